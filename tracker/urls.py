from django.contrib import admin
from django.urls import include, path, re_path

from tracker import api, api_docs

api_patterns = [
    path("", api.ApiRoot.as_view(), name="api-root"),
    path("markets/", api.MarketList.as_view(), name="api-markets"),
    path("markets/<slug:slug>/", api.MarketDetail.as_view(), name="api-market"),
    re_path(
        r"^papers/(?P<public_id>[\w.\-]+(?:/[\w.\-]+)?)/$", api.PaperDetail.as_view(),
        name="api-paper",
    ),
    path("schema/", api.Schema.as_view(), name="api-schema"),
    # Rendered on the server from the same schema: works offline and under a strict CSP.
    path("docs/", api_docs.api_docs, name="api-docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("", include("tracker.urls_public")),
    path("", include("evaluations.urls")),
    path("", include("evaluations.forecasts.urls")),
    path("", include("replication.urls")),
]

handler400 = "tracker.views.bad_request"
handler404 = "tracker.views.not_found"
handler500 = "tracker.views.server_error"
