"""Pages and API routes of forecasts (included at the site root)."""

from django.urls import path

from evaluations.forecasts import api, views

app_name = "forecasts"

urlpatterns = [
    path("forecasters/", views.leaderboard, name="leaderboard"),
    path("forecasters/scores.csv", views.scores_csv, name="scores-csv"),
    path("forecasters/calibration.svg", views.calibration_svg, name="calibration-svg-all"),
    path("forecasters/<slug:slug>/", views.forecaster_detail, name="forecaster"),
    path("forecasters/<slug:slug>/scores.csv", views.scores_csv, name="forecaster-scores-csv"),
    path("forecasters/<slug:slug>/calibration.svg", views.calibration_svg,
         name="calibration-svg"),
    path("prediction-sets/<slug:slug>/", views.prediction_set_detail, name="prediction-set"),
    path("api/forecasters/", api.ForecasterList.as_view(), name="api-forecasters"),
    path("api/forecasters/<slug:slug>/", api.ForecasterDetail.as_view(), name="api-forecaster"),
    path("api/prediction-sets/<slug:slug>/", api.PredictionSetDetail.as_view(),
         name="api-prediction-set"),
]
