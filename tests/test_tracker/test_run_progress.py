"""A running replication's progress as the run page shows it: the share done, how long it
has run, and what is left at the pace so far (tracker.progress, pure); and the page."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from tracker.progress import duration_words, progress_of

NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


@dataclass
class Run:
    progress: int
    progress_message: str = ""
    started_at: dt.datetime | None = None


@pytest.mark.parametrize(("percent", "running_for", "elapsed", "remaining"), [
    (8, dt.timedelta(minutes=4), "4 min 0 s", "about 46 min 0 s left at the pace so far"),
    (50, dt.timedelta(hours=1), "1 h 0 min", "about 1 h 0 min left at the pace so far"),
    (99, dt.timedelta(seconds=99), "1 min 39 s", "about 1 s left at the pace so far"),
    (0, dt.timedelta(minutes=3), "3 min 0 s", "not estimated yet"),  # nothing done yet
    (30, dt.timedelta(seconds=5), "5 s", "not estimated yet"),  # too soon to tell
    (100, dt.timedelta(minutes=2), "2 min 0 s", "about 0 s left at the pace so far"),
])
def test_elapsed_and_estimate(percent, running_for, elapsed, remaining):
    progress = progress_of(Run(percent, "encoding", NOW - running_for), NOW)
    assert (progress.percent, progress.elapsed_text, progress.remaining_text) == (
        percent, elapsed, remaining)


def test_a_run_not_started_has_no_elapsed_time_or_estimate():
    progress = progress_of(Run(0), NOW)
    assert (progress.elapsed_text, progress.remaining_text) == ("not started", "not estimated yet")


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "0 s"), (59, "59 s"), (60, "1 min 0 s"), (3599, "59 min 59 s"), (3600, "1 h 0 min"),
    (90061, "25 h 1 min")])
def test_duration_words(seconds, words):
    assert duration_words(dt.timedelta(seconds=seconds)) == words


@pytest.mark.django_db
def test_the_run_page_and_the_runs_list_fill_the_bar_from_the_progress_fragment(client):
    """The pages carry a placeholder (they are cached, and progress writes do not expire
    them); the run's progress fragment, which static/tracker/progress.js puts in its place,
    shows the bar, the elapsed time and the estimate as they are now."""
    from replication import services
    from replication.models import ReplicationRun
    from tests.replication_specs import make_spec

    run = services.create_run(spec=make_spec(key="progress"))
    attempt = services.claim_run(run_id=run.pk, worker_host="default@vm")
    ReplicationRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=4))
    services.record_progress(run_id=run.pk, attempt=attempt, fraction=0.08,
                             message="encoding 5_hist_fig_ismale (1/9 datasets)")
    fragment_url = f"/replications/{run.pk}/progress/"
    page = client.get(f"/replications/{run.pk}/").content.decode()
    assert f'data-progress-url="{fragment_url}"' in page and "<progress" not in page
    assert "tracker/progress.js" in page
    fragment = client.get(fragment_url).content.decode()
    assert f'<progress max="100" value="8" aria-label="Run {run.pk}: 8% done">' in fragment
    assert "encoding 5_hist_fig_ismale (1/9 datasets)" in fragment
    assert 'running for <span class="elapsed">4 min 0 s</span>' in fragment \
        or 'running for <span class="elapsed">4 min 1 s</span>' in fragment
    assert "left at the pace so far" in fragment and 'data-running="1"' in fragment
    listing = client.get("/replications/").content.decode()
    assert f'data-progress-url="{fragment_url}?compact=1"' in listing
    compact = client.get(f"{fragment_url}?compact=1").content.decode()
    assert f'id="run-{run.pk}-progress"' in compact and 'value="8"' in compact
    assert "encoding 5_hist_fig_ismale" not in compact  # the list's short form
    services.cancel_run(run_id=run.pk)
    ended = client.get(fragment_url).content.decode()
    assert 'data-running="0"' in ended and "<progress" not in ended
