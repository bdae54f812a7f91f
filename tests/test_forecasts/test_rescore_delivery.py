"""D2: a re-score enqueued on commit while the broker is down was dropped, and the crowd's
Brier kept the old outcome until someone ran `score_predictions` by hand. Now the
reconciler in beat's process finds the drift (the market's row says what the scores
should be) and re-scores, with no command and no worker."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from evaluations import services as resolution
from evaluations.forecasts.models import Prediction
from evaluations.forecasts.services import (
    do_rescore_market,
    drifted_prediction_ids,
    reconcile_scores,
)
from tests.worker import running_beat, wait_for
from tracker.celery import app

CROWD = "manifold-2024-10-snapshot"


def _crowd() -> Prediction:
    return Prediction.objects.select_related("score").get(prediction_set__slug=CROWD)


def _brier() -> float | None:
    crowd = _crowd()
    return round(crowd.score.brier, 4) if hasattr(crowd, "score") else None


@pytest.fixture
def resolver(db):
    user = User.objects.create_user("rita-resolver", is_staff=True)
    user.groups.add(Group.objects.get(name="resolvers"))
    return user


@pytest.fixture
def broker_down(monkeypatch):
    """Point this process's Celery app at a port where nothing listens."""
    conf = app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.broker_connection_timeout)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    conf.broker_url, conf.broker_transport_options = "redis://127.0.0.1:1/0", {}
    conf.broker_connection_timeout = 1
    app._pool = None
    app.amqp._producer_pool = None

    def back_up() -> None:
        conf.broker_url, conf.broker_transport_options, conf.broker_connection_timeout = saved
        app._pool = None
        app.amqp._producer_pool = None

    yield back_up
    back_up()


def _scored_yes(market) -> None:
    """The seed resolves the market YES; its crowd forecast (0.63) then scores 0.1369."""
    market.refresh_from_db()
    assert (market.status, market.outcome) == ("resolved", "yes")
    do_rescore_market(market_id=market.pk)
    assert (_crowd().outcome, _brier()) == ("yes", 0.1369)


def _unresolve_and_resolve_no(market, resolver) -> None:
    resolution.unresolve_market(market=market, actor=resolver, reason="Cited in error.")
    resolution.resolve_market(
        market=market, actor=resolver, outcome="no", reason="Nothing qualified in time.",
        resolved_at=timezone.now() - dt.timedelta(minutes=1),
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_resolved_while_the_broker_is_down_the_scores_follow_without_a_command(
    seed_market, resolver, broker_down
):
    _scored_yes(seed_market)
    _unresolve_and_resolve_no(seed_market, resolver)
    # The re-scores could not be sent: the crowd still shows the old outcome's Brier.
    assert (_crowd().outcome, _brier()) == ("yes", 0.1369)
    assert _crowd().pk in drifted_prediction_ids()

    broker_down()  # the broker is back; beat (with its reconciler) is running
    started = time.monotonic()
    with running_beat(extra_env={"TRACKER_RECONCILE_SECONDS": "1"}, name="beat-rescore"):
        assert wait_for(lambda: _brier() == 0.3969, timeout=60, every=0.25), _crowd().outcome
    print(f"re-scored {time.monotonic() - started:.1f} s after beat started")
    assert _crowd().outcome == "no"
    assert drifted_prediction_ids() == []


@pytest.mark.django_db
def test_the_reconciler_rescores_what_drifted_and_leaves_a_clean_state_alone(
    seed_market, resolver, django_capture_on_commit_callbacks
):
    _scored_yes(seed_market)
    assert reconcile_scores() == {}  # nothing drifted: nothing done

    with django_capture_on_commit_callbacks(execute=False):  # the messages are lost
        _unresolve_and_resolve_no(seed_market, resolver)
    assert (_crowd().outcome, _brier()) == ("yes", 0.1369)

    report = reconcile_scores()

    assert report["rescored"] >= 1 and report["outcomes_from_markets"] >= 1
    assert (_crowd().outcome, _brier()) == ("no", 0.3969)
    assert drifted_prediction_ids() == []
    assert reconcile_scores() == {}
