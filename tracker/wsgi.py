import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
application = get_wsgi_application()

from tracker import shared_cache  # noqa: E402  (needs the settings get_wsgi_application set up)

shared_cache.warn_at_start_up()
