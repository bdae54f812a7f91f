"""Pages and API routes of replication runs (included at the site root)."""

urlpatterns: list = []
