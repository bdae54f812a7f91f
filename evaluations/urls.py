"""Pages and API routes of adjudication (included at the site root)."""

from django.urls import path

from evaluations import views

app_name = "evaluations"

urlpatterns = [
    path("markets/<slug:slug>/leaderboard/", views.market_leaderboard, name="leaderboard"),
    path("api/markets/<slug:slug>/leaderboard/", views.MarketLeaderboardAPI.as_view(),
         name="api-leaderboard"),
]
