"""Pages and API routes of replication runs (included at the site root, full paths)."""

from django.urls import path

from replication import api, views

app_name = "replication"

urlpatterns = [
    path("replications/", views.run_list, name="runs"),
    path("replications/<int:run_id>/", views.run_detail, name="run"),
    path("replications/<int:run_id>/progress/", views.run_progress, name="run-progress"),
    path("replications/<int:run_id>/results.json", views.results_json, name="results-json"),
    path("replications/<int:run_id>/deltas.png", views.deltas_png, name="deltas-png"),
    path("api/replications/", api.RunList.as_view(), name="api-runs"),
    path("api/replications/<int:pk>/", api.RunDetail.as_view(), name="api-run"),
]
