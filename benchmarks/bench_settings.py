"""Settings for benchmarks/pages.py: the project's settings with a URLconf that adds the
benchmark's reference page (benchmarks/bench_urls.py). Production URLs are unchanged."""

from tracker.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
