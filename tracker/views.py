"""Public pages: server-rendered, read-only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tracker import queries
from tracker.arxiv_ids import InvalidArxivId, parse_arxiv_id
from tracker.models import Market, WorkerHeartbeat
from tracker.pagination import page_of as _page


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "tracker/home.html", {"page": _page(request, queries.markets())})


def market_detail(request: HttpRequest, slug: str) -> HttpResponse:
    market = get_object_or_404(Market, slug=slug)
    context = {
        "market": market,
        "criteria": market.criteria.all(),
        "page": _page(request, queries.market_candidacies(market)),
    }
    return render(request, "tracker/market.html", context)


def paper_list(request: HttpRequest) -> HttpResponse:
    rows = queries.paper_list()
    return render(request, "tracker/papers.html", {"page": _page(request, rows)})


def paper_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    if looks_like_arxiv_id(public_id):
        try:
            parse_arxiv_id(public_id)
        except InvalidArxivId as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain")
    paper = queries.get_paper(public_id)
    if public_id != paper.public_id:
        return redirect(paper, permanent=False)
    return render(request, "tracker/paper.html", {"paper": paper})


def looks_like_arxiv_id(public_id: str) -> bool:
    """Slugs have no dots or slashes; anything with them is meant as an arXiv id."""
    return "." in public_id or "/" in public_id


def health(request: HttpRequest) -> HttpResponse:
    beats = WorkerHeartbeat.objects.all()[:10]
    return render(request, "tracker/health.html", {"beats": beats})


@require_POST
def ping_worker(request: HttpRequest) -> HttpResponse:
    """Enqueue a heartbeat from the web: the worker's row appears on the health page."""
    from kombu.exceptions import OperationalError

    from tracker.tasks import heartbeat

    try:
        heartbeat.delay()
    except OperationalError as exc:
        return render(
            request, "tracker/health.html",
            {"beats": WorkerHeartbeat.objects.all()[:10],
             "error": f"The task queue cannot be reached: {exc}"},
            status=503,
        )
    return redirect("tracker:health")
