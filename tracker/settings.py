"""One settings module, driven by environment variables (see README, "Configuration").

Defaults need no outside service: SQLite under var/ and a filesystem broker, so a clone
can migrate and run at once. Production sets DATABASE_URL, CELERY_BROKER_URL,
SECRET_KEY, ALLOWED_HOSTS and DEBUG=0.
"""

from __future__ import annotations

import json
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tracker.env import (
    check_secret_key,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
#: Where the embedded defaults keep their files (SQLite, filesystem broker, static files).
#: Nothing is created here: tracker.apps.TrackerConfig.ready() makes the folders at start-up.
VAR_DIR = Path(env_str("TRACKER_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdefghij"
SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG:
    check_secret_key(SECRET_KEY)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_celery_beat",
    "axes",
    "csp",
    "tracker",
    "evaluations",
    "evaluations.forecasts",
    "replication",
]

MIDDLEWARE = [
    # First, so every answer carries the policy: also a 400 for a Host not in
    # ALLOWED_HOSTS, which the middleware that checks the host answers itself.
    "csp.middleware.CSPMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions: a hit skips them, and a response that sets a cookie is never kept.
    "tracker.page_cache.PublishedPageCache",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tracker.request_guard.RefuseNulInQuery",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

# --- Login lockout (django-axes) --------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_HOURS", 0.25, minimum=0.0)
# One user name from one address: locks a guesser out without letting anyone lock a
# known user out from everywhere (or from their own address: see BEHIND_TRUSTED_PROXY).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And one address whatever the user names: password spraying (tracker/login_lockout.py).
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
AXES_HANDLER = "tracker.login_lockout.PairAndAddressLockout"
AXES_RESET_ON_SUCCESS = True
AXES_COOLOFF_MESSAGE = (
    f"Too many failed logins for this user name from your address, or from your address "
    f"for any user name. Try again in {AXES_COOLOFF_TIME * 60:g} minutes."
)
# The client's address (django-ipware): the last X-Forwarded-For entry behind the one
# trusted proxy of SECURE_PROXY_SSL=1, else REMOTE_ADDR (tracker/client_address.py).
BEHIND_TRUSTED_PROXY = env_bool("SECURE_PROXY_SSL", False)
AXES_CLIENT_IP_CALLABLE = "tracker.client_address.client_address"

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
_DEFAULT_DB = f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}"
DATABASE_URL = env_url(
    "DATABASE_URL", _DEFAULT_DB, schemes={"sqlite", "postgres", "postgresql", "pgsql"}
)
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0, minimum=0))
except ValueError as exc:  # dj-database-url raises ValueError on a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not :memory:) for the test database, so a worker process in the
    # tests sees the same rows as the test.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test-tracker.sqlite3")}
    # Several processes write one file (web, workers, beat): a transaction takes the write
    # lock when it begins (IMMEDIATE), so a writer waits up to `timeout` for another instead
    # of failing at once with "database is locked" when its read lock cannot be upgraded;
    # WAL lets readers go on while one writes.
    _db.setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
    )
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Replication artefacts (results.json, summary, deltas plot): replication/artifacts.py.
# A JSON object {"BACKEND": ..., "OPTIONS": {...}} in REPLICATION_STORAGE puts them on
# shared or object storage (README, "Replication artefacts").
def _replication_storage() -> dict:
    raw = env_str("REPLICATION_STORAGE")
    if not raw:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(VAR_DIR / "storage")}}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"REPLICATION_STORAGE is not JSON: {exc}") from None
    if not isinstance(value, dict) or not value.get("BACKEND"):
        raise ImproperlyConfigured(
            'REPLICATION_STORAGE must be {"BACKEND": ..., "OPTIONS": {...}}.')
    return value


STORAGES["replication"] = _replication_storage()

# --- Caches ---------------------------------------------------------------------------
# "default": DRF's throttle counts (and anything else counted per client). "pages": rendered
# pages keyed by the content versions (tracker/page_cache.py). CACHE_URL (redis://...) puts
# both in one shared Redis, so a throttle's limit holds across web processes and servers and
# each page is rendered once for all of them; PAGE_CACHE_URL gives the pages their own
# Redis. Unset: each process counts and keeps its own, which `check --deploy` and the web
# server's start-up warn about when DEBUG is off (tracker/shared_cache.py).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300, minimum=0)
PAGE_CACHE_NEVER = ["/health/", "/static/"]  # path prefixes always rendered afresh
CACHE_URL = env_url("CACHE_URL", "", schemes={"redis", "rediss"})
PAGE_CACHE_URL = env_url("PAGE_CACHE_URL", CACHE_URL, schemes={"redis", "rediss"})


def _redis_cache(url: str, prefix: str) -> dict:
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
            "KEY_PREFIX": prefix}


CACHES = {
    "default": _redis_cache(CACHE_URL, "tracker-default") if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": _redis_cache(PAGE_CACHE_URL, "tracker") if PAGE_CACHE_URL
    # At most 256 entries of at most 512 KiB (tracker.page_store.MAX_BYTES) a process.
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages",
          "OPTIONS": {"MAX_ENTRIES": 256}},
}

# --- Security (production: DEBUG=0) -----------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Cookies only over https when DEBUG is off, unless SECURE_COOKIES=0 (`make run`: plain http
# on this machine).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "tracker.views.csrf_failure"  # Django's page has an inline <style>

# --- Content-Security-Policy (django-csp) -----------------------------------------------
# No inline script or style anywhere: templates use static files and classes; the API docs
# are rendered on the server, so no page needs an exception.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "tracker.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    # Anonymous readers share a per-address budget; a 429 says when to come back.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_ANON_RATE", "120/min"),
        "user": env_rate("API_USER_RATE", "600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SAE resolution tracker API",
    "DESCRIPTION": "Read-only public API: markets, criteria, candidate papers, verdicts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "MarketStatusEnum": "tracker.models.Market.Status",
        "CandidacyStatusEnum": "tracker.models.Candidacy.Status",
        "ReplicationRunStatusEnum": "replication.models.ReplicationRun.Status",
    },
}

# --- Celery -------------------------------------------------------------------------
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    "filesystem://",
    schemes={"filesystem", "redis", "rediss", "amqp", "memory"},
)
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: producer and consumer share one folder (made at start-up
    # by tracker.apps, with the other folders under VAR_DIR).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
else:
    # Redis re-delivers an unacknowledged task after this many seconds: it must exceed
    # the longest task's hard time limit, or a long replication would run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 4 * 3600, minimum=60),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("CELERY_BROKER_CONNECTION_TIMEOUT", 3.0, minimum=0.1)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# At least once: a task is acknowledged after it returns, and handed back to the queue
# when its pool process dies (SIGKILL, out of memory). Tasks are idempotent and fenced.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3300, minimum=1)
# django-celery-beat's database scheduler, plus the reconciler (tracker.reconcile) in
# beat's own process every TRACKER_RECONCILE_SECONDS: it needs no worker to run.
CELERY_BEAT_SCHEDULER = "tracker.beat:ReconcilingScheduler"
TRACKER_RECONCILE_SECONDS = env_float("TRACKER_RECONCILE_SECONDS", 30.0, minimum=0.5)
CELERY_TIMEZONE = TIME_ZONE

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", upper=True,
                       choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# --- arXiv ingestion (tracker.ingestion.conf; see docs/INGESTION.md) -----------------------
from tracker.ingestion.conf import DEFAULT_API_URL, MIN_POLITE_DELAY  # noqa: E402

ARXIV_API_URL = env_url("ARXIV_API_URL", DEFAULT_API_URL, schemes={"http", "https"})
ARXIV_PAGE_SIZE = env_int("ARXIV_PAGE_SIZE", 100, minimum=1)
ARXIV_DELAY_SECONDS = env_float("ARXIV_DELAY_SECONDS", MIN_POLITE_DELAY, minimum=MIN_POLITE_DELAY)
ARXIV_NUM_RETRIES = env_int("ARXIV_NUM_RETRIES", 3, minimum=0)
ARXIV_BACKOFF_SECONDS = env_float("ARXIV_BACKOFF_SECONDS", 5.0, minimum=0.0)
ARXIV_TIMEOUT_SECONDS = env_float("ARXIV_TIMEOUT_SECONDS", 30.0, minimum=0.1)
ARXIV_LOCK_STALE_SECONDS = env_int("ARXIV_LOCK_STALE_SECONDS", 2 * 3600, minimum=60)
ARXIV_REQUEST_DEADLINE_SECONDS = env_float("ARXIV_REQUEST_DEADLINE_SECONDS", 120.0, minimum=1.0)
ARXIV_RUN_DEADLINE_SECONDS = env_float("ARXIV_RUN_DEADLINE_SECONDS", 1800.0, minimum=1.0)
ARXIV_REQUEST_RESEND_SECONDS = env_float("ARXIV_REQUEST_RESEND_SECONDS", 300.0, minimum=1.0)

# --- Manifold forecasts (evaluations.forecasts.conf) --------------------------------------
MANIFOLD_API_URL = env_url(
    "MANIFOLD_API_URL", "https://api.manifold.markets", schemes={"http", "https"}
)
MANIFOLD_TIMEOUT_S = env_float("MANIFOLD_TIMEOUT_S", 10.0, minimum=0.1)
MANIFOLD_RETRIES = env_int("MANIFOLD_RETRIES", 3, minimum=0)
MANIFOLD_DEADLINE_S = env_float("MANIFOLD_DEADLINE_S", 300.0, minimum=1.0)
FORECAST_PSEUDO_COUNT = env_int("FORECAST_PSEUDO_COUNT", 5, minimum=0)

# --- Replication runs (replication.conf describes each) -----------------------------------
REPLICATION_HEARTBEAT_SECONDS = env_float("REPLICATION_HEARTBEAT_SECONDS", 15.0, minimum=0.1)
REPLICATION_STALE_AFTER_SECONDS = env_float(
    "REPLICATION_STALE_AFTER_SECONDS", 120.0, minimum=0.5
)
REPLICATION_PROGRESS_INTERVAL = env_float("REPLICATION_PROGRESS_INTERVAL", 3.0, minimum=0.0)
REPLICATION_MAX_ATTEMPTS = env_int("REPLICATION_MAX_ATTEMPTS", 3, minimum=1)
REPLICATION_RESEND_AFTER_SECONDS = env_float(
    "REPLICATION_RESEND_AFTER_SECONDS", 600.0, minimum=0.5
)
REPLICATION_TIME_LIMIT = env_int("REPLICATION_TIME_LIMIT", 3600, minimum=10)
REPLICATION_SOFT_TIME_LIMIT = env_int("REPLICATION_SOFT_TIME_LIMIT", 3300, minimum=5)
REPLICATION_TIME_LIMIT_GRACE = env_int("REPLICATION_TIME_LIMIT_GRACE", 300, minimum=0)
#: The harness's embedding cache; a worker hands it to the harness (which reads no settings)
#: as $REPLICATION_CACHE_DIR before it runs a spec (replication.execution).
REPLICATION_CACHE_DIR = Path(env_str("REPLICATION_CACHE_DIR") or VAR_DIR / "cache" / "embeddings")
