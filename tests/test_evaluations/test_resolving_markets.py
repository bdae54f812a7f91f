"""Staff resolve YES citing qualifying candidacies, resolve NO, annul, and unresolve;
every change is appended to the market's history and re-scoring is enqueued on commit."""

import datetime as dt

import pytest
from django.utils import timezone

from evaluations import services
from evaluations.models import ResolutionEvent
from tracker.celery import app as celery_app
from tracker.models import Market

pytestmark = pytest.mark.django_db


def fresh(market):
    return Market.objects.get(pk=market.pk)


def test_yes_citing_a_qualifying_candidacy(three_raters, rita):
    event = services.resolve_market(
        market=three_raters["market"], actor=rita, outcome="yes",
        reason="X beats the baselines on a useful task.", cited=[three_raters["x"]],
    )
    market = fresh(three_raters["market"])
    assert (market.status, market.outcome) == ("resolved", "yes")
    assert market.resolved_at == event.effective_at
    assert list(event.cited.all()) == [three_raters["x"]]
    assert (event.actor, event.status_before, event.status_after) == (rita, "open", "resolved")


def test_yes_without_a_citation_is_refused_with_the_reason(three_raters, rita):
    with pytest.raises(services.ResolutionRefused, match="Qualifying now: Paper X"):
        services.resolve_market(market=three_raters["market"], actor=rita, outcome="yes",
                                reason="Because.")
    assert fresh(three_raters["market"]).status == "open"
    assert not ResolutionEvent.objects.exists()


def test_yes_citing_a_candidacy_that_falls_short_is_refused(three_raters, rita):
    with pytest.raises(services.ResolutionRefused, match=r"Paper Y falls short \(not met: Useful task\)"):
        services.resolve_market(market=three_raters["market"], actor=rita, outcome="yes",
                                reason="Because.", cited=[three_raters["x"], three_raters["y"]])
    assert fresh(three_raters["market"]).status == "open"


def test_yes_with_no_qualifying_candidacy_at_all_is_refused(tiny, rita):
    with pytest.raises(services.ResolutionRefused, match="No candidacy qualifies yet"):
        services.resolve_market(market=tiny["market"], actor=rita, outcome="yes", reason="r")


def test_a_date_before_the_market_opened_is_refused(three_raters, rita):
    opened = timezone.now() - dt.timedelta(days=30)
    Market.objects.filter(pk=three_raters["market"].pk).update(opened_at=opened)
    with pytest.raises(services.ResolutionRefused, match="before the market opened"):
        services.resolve_market(
            market=three_raters["market"], actor=rita, outcome="no", reason="r",
            resolved_at=opened - dt.timedelta(days=1),
        )


def test_a_date_in_the_future_is_refused(tiny, rita):
    with pytest.raises(services.ResolutionRefused, match="in the future"):
        services.resolve_market(market=tiny["market"], actor=rita, outcome="no", reason="r",
                                resolved_at=timezone.now() + dt.timedelta(days=2))


def test_a_reason_is_required(tiny, rita):
    with pytest.raises(services.ResolutionRefused, match="Give a reason"):
        services.resolve_market(market=tiny["market"], actor=rita, outcome="no", reason=" ")


def test_no_needs_no_citation(tiny, rita):
    services.resolve_market(market=tiny["market"], actor=rita, outcome="no",
                            reason="Nothing beat the baselines in time.")
    assert fresh(tiny["market"]).outcome == "no"


def test_a_resolved_market_must_be_unresolved_before_resolving_again(tiny, rita):
    services.resolve_market(market=tiny["market"], actor=rita, outcome="no", reason="r")
    with pytest.raises(services.ResolutionRefused, match="unresolve it first"):
        services.resolve_market(market=tiny["market"], actor=rita, outcome="no", reason="r")


def test_unresolve_restores_the_previous_state(three_raters, rita):
    closed = timezone.now() - dt.timedelta(days=1)
    Market.objects.filter(pk=three_raters["market"].pk).update(status="closed", closed_at=closed)
    services.resolve_market(market=three_raters["market"], actor=rita, outcome="yes",
                            reason="X qualifies.", cited=[three_raters["x"]])
    services.unresolve_market(market=three_raters["market"], actor=rita,
                              reason="Resolved too early.")
    market = fresh(three_raters["market"])
    assert (market.status, market.outcome, market.resolved_at) == ("closed", "", None)
    assert market.closed_at == closed


def test_annul_then_unresolve_then_resolve_no(tiny, rita):
    services.annul_market(market=tiny["market"], actor=rita, reason="The question was ambiguous.")
    market = fresh(tiny["market"])
    assert (market.status, market.outcome) == ("annulled", "")
    assert market.annulled_at is not None
    services.unresolve_market(market=tiny["market"], actor=rita, reason="Clarified.")
    assert fresh(tiny["market"]).annulled_at is None
    services.resolve_market(market=tiny["market"], actor=rita, outcome="no", reason="Nothing.")
    history = list(ResolutionEvent.objects.filter(market=tiny["market"])
                   .values_list("action", "reason"))
    assert history == [
        ("annul", "The question was ambiguous."), ("unresolve", "Clarified."),
        ("resolve_no", "Nothing."),
    ]


def test_the_current_resolution_is_the_last_one_not_undone(tiny, rita):
    market = tiny["market"]
    assert not fresh(market).is_settled
    assert services.current_resolution(fresh(market)) is None
    services.annul_market(market=market, actor=rita, reason="Ambiguous.")
    assert fresh(market).is_settled
    services.unresolve_market(market=market, actor=rita, reason="Clarified.")
    market = fresh(market)
    assert not market.is_settled
    assert services.current_resolution(market) is None
    assert services.current_resolution(market, services.resolution_history(market)) is None
    resolved = services.resolve_market(market=market, actor=rita, outcome="no", reason="No.")
    market = fresh(market)
    assert market.is_settled
    history = services.resolution_history(market)
    assert [e.action for e in history] == ["annul", "unresolve", "resolve_no"]
    assert services.current_resolution(market) == resolved
    assert services.current_resolution(market, history) == resolved


def test_an_open_market_cannot_be_unresolved(tiny, rita):
    with pytest.raises(services.ResolutionRefused, match="not resolved"):
        services.unresolve_market(market=tiny["market"], actor=rita, reason="r")


def test_the_history_is_append_only(tiny, rita):
    event = services.resolve_market(market=tiny["market"], actor=rita, outcome="no", reason="r")
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        ResolutionEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(TypeError):
        ResolutionEvent.objects.all().delete()


def test_adjudicators_and_others_cannot_resolve(tiny, ada, otto, reader):
    for user in (ada, otto, reader):
        with pytest.raises(services.NotAResolver):
            services.resolve_market(market=tiny["market"], actor=user, outcome="no", reason="r")
        with pytest.raises(services.NotAResolver):
            services.annul_market(market=tiny["market"], actor=user, reason="r")
    assert fresh(tiny["market"]).status == "open"


def test_resolving_enqueues_rescoring_on_commit_only(tiny, rita, monkeypatch,
                                                    django_capture_on_commit_callbacks):
    sent = []
    task = celery_app.tasks[services.RESCORE_TASK]  # sent by name: the registered task
    monkeypatch.setattr(task, "apply_async", lambda *, args, kwargs=None, **options: (
        sent.append((task.name, args)) or type("AsyncResult", (), {"id": "t-1"})()))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.resolve_market(market=tiny["market"], actor=rita, outcome="no", reason="r")
        assert sent == []  # nothing before the commit
    assert len(callbacks) == 1
    assert sent == [("forecasts.rescore_market", (tiny["market"].pk,))]


def test_a_broker_outage_does_not_undo_the_resolution(tiny, rita, monkeypatch, caplog,
                                                     django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    def down(**sending):
        raise OperationalError("broker down")

    monkeypatch.setattr(celery_app.tasks[services.RESCORE_TASK], "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve_market(market=tiny["market"], actor=rita, outcome="no", reason="r")
    assert fresh(tiny["market"]).status == "resolved"
    assert "Could not enqueue forecasts.rescore_market" in caplog.text


def test_the_enqueued_rescoring_runs_the_forecasts_task(seed_market, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    """Eager in tests: the named task is registered by the forecasts app and runs."""
    from evaluations.forecasts import services as forecasts

    ran = []
    real = forecasts.do_rescore_market
    monkeypatch.setattr(forecasts, "do_rescore_market",
                        lambda *, market_id: ran.append(market_id) or real(market_id=market_id))
    creator = seed_market.resolution_events.get().actor
    with django_capture_on_commit_callbacks(execute=True):
        services.unresolve_market(market=seed_market, actor=creator, reason="Check.")
    assert ran == [seed_market.pk]
