from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from tracker import api

api_patterns = [
    path("markets/", api.MarketList.as_view(), name="api-markets"),
    path("markets/<slug:slug>/", api.MarketDetail.as_view(), name="api-market"),
    re_path(
        r"^papers/(?P<public_id>[\w.\-]+(?:/[\w.\-]+)?)/$", api.PaperDetail.as_view(),
        name="api-paper",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Redoc, a third-party page: its script from its CDN, and the styles it injects.
    # Still no inline script.
    path("docs/", csp_update({
        "script-src": ["https://cdn.jsdelivr.net"], "worker-src": ["blob:"],
        "style-src": [UNSAFE_INLINE, "https://fonts.googleapis.com"],
        "font-src": ["https://fonts.gstatic.com"], "img-src": ["https://cdn.jsdelivr.net"],
    })(SpectacularRedocView.as_view(url_name="api-schema")), name="api-docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("", include("tracker.urls_public")),
    path("", include("evaluations.urls")),
    path("", include("evaluations.forecasts.urls")),
    path("", include("replication.urls")),
]
