"""Pages and API routes of forecasts (included at the site root)."""

urlpatterns: list = []
