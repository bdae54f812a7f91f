from django.urls import path, re_path

from tracker import feeds, views

app_name = "tracker"

urlpatterns = [
    path("", views.home, name="home"),
    path("markets/<slug:slug>/", views.market_detail, name="market"),
    path("markets/<slug:slug>/feeds/candidates.atom", feeds.CandidatesFeed(),
         name="feed-candidates"),
    path("markets/<slug:slug>/feeds/changes.atom", feeds.ChangesFeed(), name="feed-changes"),
    path("papers/", views.paper_list, name="papers"),
    # Old-style arXiv ids contain a slash (hep-th/9901001).
    re_path(r"^papers/(?P<public_id>[\w.\-]+(?:/[\w.\-]+)?)/$", views.paper_detail, name="paper"),
    path("health/", views.health, name="health"),
    path("health/ping/", views.ping_worker, name="ping-worker"),
    path("health/live/", views.live, name="live"),
]
