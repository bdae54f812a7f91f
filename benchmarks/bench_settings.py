"""Settings for benchmarks/pages.py: the project's settings with a URLconf that adds the
benchmark's reference page (benchmarks/bench_urls.py), never served from the page cache.
Production URLs are unchanged."""

from tracker.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
# The reference stays what it measures, a one-query page rendered on every request.
PAGE_CACHE_NEVER = [*PAGE_CACHE_NEVER, "/bench/"]  # noqa: F405
