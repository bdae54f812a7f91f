"""Pages and API routes of adjudication (included at the site root)."""

urlpatterns: list = []
