"""Public pages: server-rendered, read-only."""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from evaluations.queries import with_adjudication
from evaluations.services.resolution import current_resolution, resolution_history
from tracker import queries, reader
from tracker.arxiv_ids import InvalidArxivId, parse_arxiv_id
from tracker.health import health as health_state
from tracker.models import Market, Paper
from tracker.pagination import PAGE_SIZE, page_of
from tracker.queueing import QueueUnavailable, send_now


def site_404(view):
    """Render the site's 404 page for a missing object even when DEBUG is on (Django's
    handler404 only applies with DEBUG off), so a reader never meets a debug page."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return not_found(request, exc, message=str(exc) if "No " in str(exc) else "")

    return wrapped


def _page(request: HttpRequest, rows, size: int = PAGE_SIZE):
    return page_of(request, rows, size)


def home(request: HttpRequest) -> HttpResponse:
    page = _page(request, queries.markets())
    changes = {m.pk: reader.latest_changes(m, request.user) for m in page}
    return render(request, "tracker/home.html", {
        "page": page,
        "rows": [(m, changes[m.pk]) for m in page],
    })


# What the market page's candidate list and evidence matrix never show: the papers'
# abstracts, notes and JSON columns, the candidacies' notes and triage signals (decoded for
# every row before issue 27's last pass, and thrown away).
UNSHOWN_COLUMNS = ("paper__abstract", "paper__notes", "paper__source_urls", "paper__categories",
                   "paper__arxiv_comment", "notes", "baselines_compared", "relevance_signals",
                   "dismissed_reason", "claimed_result")


@site_404
def market_detail(request: HttpRequest, slug: str) -> HttpResponse:
    market = get_object_or_404(Market, slug=slug)
    events = resolution_history(market)
    current = current_resolution(market, events)
    matrix = reader.evidence_matrix(market, request.user, request.GET.get("matrix") or 1)
    context = {
        "market": market,
        "criteria": market.criteria.all(),
        "page": _page(request, queries.market_candidacies(market).defer(*UNSHOWN_COLUMNS)),
        "current": current,
        "events": events,  # the resolution panel's history: read once
        "dates": reader.market_dates(market, current),
        "matrix": matrix,
        "probability": reader.probability_chart(market, current),
        "timeline": reader.timeline(market, request.user, current),
        "feeds": reader.feed_urls(market),
    }
    return render(request, "tracker/market.html", context)


def paper_list(request: HttpRequest) -> HttpResponse:
    from tracker import paper_list as listing

    filters = listing.Filters.from_query(request.GET)
    page = _page(request, listing.papers(viewer=request.user, filters=filters))
    listing.attach_verdicts(page.object_list, request.user)
    return render(request, "tracker/papers.html", {
        "page": page, "filters": filters, "total": listing.total(),
        "verdict_choices": listing.VERDICT_CHOICES, "kind_choices": listing.kind_choices(),
        "query_string": filters.query_string(),
    })


def paper_page(public_id: str) -> Paper:
    """The paper of its page and of /api/papers/<id>/, by arXiv id or slug (404 if none):
    its candidacies with their verdicts, criteria and submitted assessments (the consensus
    and rationales), and their replication specs' runs and results."""
    papers = with_adjudication(queries.papers()).prefetch_related(
        "candidacies__replication_specs__runs__result"
    )
    return queries.get_paper(public_id, papers)


@site_404
def paper_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    if looks_like_arxiv_id(public_id):
        try:
            parse_arxiv_id(public_id)
        except InvalidArxivId as exc:
            return not_found(request, message=str(exc), expected=ARXIV_FORMS)
    paper = paper_page(public_id)
    if public_id != paper.public_id:
        return redirect(paper, permanent=False)
    return render(request, "tracker/paper.html", {"paper": paper})


ARXIV_FORMS = ("an arXiv id such as 2502.04382 (a version like 2502.04382v2 is accepted) or "
               "hep-th/9901001, or a paper's slug such as hypothesaes")


def not_found(request: HttpRequest, exception: Exception | None = None, *, message: str = "",
              expected: str = "") -> HttpResponse:
    """The 404 page (also Django's handler404): what was not found and, for a malformed
    id, the form expected."""
    return render(request, "404.html", {"message": message, "expected": expected}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: rendered without context processors or database access."""
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None, *,
                message: str = "") -> HttpResponse:
    """The 400 page (also Django's handler400, e.g. for a Host not in ALLOWED_HOSTS):
    rendered without context processors or database access, like the 500 page."""
    from django.template import loader

    return HttpResponse(loader.get_template("400.html").render({"message": message}),
                        status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: Django's own page has an inline style the CSP blocks."""
    from django.template import loader

    return HttpResponse(loader.get_template("403_csrf.html").render({"reason": reason}),
                        status=403)


def looks_like_arxiv_id(public_id: str) -> bool:
    """Slugs have no dots or slashes; anything with them is meant as an arXiv id."""
    return "." in public_id or "/" in public_id


PING_WAIT = dt.timedelta(seconds=60)  # how long the page waits for the workers' answers


def health(request: HttpRequest) -> HttpResponse:
    """Every queue and every worker; after "Ping the workers" (``?pinged=`` its time), who
    answered on which queue, reloading itself until all have or a minute has passed."""
    state = health_state()
    context: dict[str, object] = {"health": state}
    try:
        pinged = dt.datetime.fromtimestamp(float(request.GET["pinged"]), tz=dt.UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        pinged = None
    if pinged is not None and dt.timedelta(0) <= state.now - pinged <= PING_WAIT * 10:
        answers = state.answers(pinged)
        context.update(pinged=pinged, answers=answers, waiting=(
            any(not a.workers for a in answers) and state.now - pinged < PING_WAIT))
    return render(request, "tracker/health.html", context)


@never_cache
def live(request: HttpRequest) -> HttpResponse:
    """A bare liveness probe: "ok" after one ``SELECT 1``, no template (a load balancer's
    check, and the benchmark's one-query reference page; /health/ reads the queues)."""
    from tracker.health import database_answers

    return HttpResponse("ok" if database_answers() else "no database",
                        content_type="text/plain; charset=utf-8")


#: One ping per account in this many seconds: its answer shows within a few seconds.
PING_INTERVAL_SECONDS = 10


def may_ping(user) -> bool:
    """Pinging queues a task: operators (superusers, or staff with the permission to add
    worker heartbeats), adjudicators and resolvers; not other staff."""
    from evaluations.services import can_resolve, is_adjudicator

    return bool(user.is_superuser or user.has_perm("tracker.add_workerheartbeat")
                or is_adjudicator(user) or can_resolve(user))


@staff_member_required
@require_POST
def ping_worker(request: HttpRequest) -> HttpResponse:
    """Send a heartbeat to every queue (each POST queues tasks, so only those who may, at
    most once per account every PING_INTERVAL_SECONDS); the health page then shows which
    workers answered on each."""
    from django.core.cache import cache

    from tracker.health import QUEUES

    def refused(error: str, status: int) -> HttpResponse:
        return render(request, "tracker/health.html",
                      {"health": health_state(), "error": error}, status=status)

    if not may_ping(request.user):
        return refused("Pinging the workers queues a task, so it is for operators (staff "
                       "allowed to add worker heartbeats), adjudicators and resolvers; "
                       "nothing was sent.", 403)
    if not cache.add(f"tracker:ping:{request.user.pk}", 1, timeout=PING_INTERVAL_SECONDS):
        return refused(f"You pinged the workers less than {PING_INTERVAL_SECONDS} s ago; "
                       "the answers show below within a few seconds. Nothing more was sent.",
                       429)
    pinged = timezone.now()
    try:
        for queue in QUEUES:
            send_now("tracker.heartbeat", kwargs={"queue": queue}, queue=queue)
    except QueueUnavailable as exc:
        return refused(f"The task queue cannot be reached: {exc.__cause__ or exc}", 503)
    return redirect(f"{reverse('tracker:health')}?pinged={pinged.timestamp():.3f}")
