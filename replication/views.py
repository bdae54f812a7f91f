"""Public pages of replication runs: the list, one run, and its results.json download."""

from __future__ import annotations

import json

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render

from replication import artifacts
from replication.models import ReplicationResult, ReplicationRun
from tracker.pagination import page_of
from tracker.views import site_404

PAGE_SIZE = 25


def run_list(request: HttpRequest) -> HttpResponse:
    runs = ReplicationRun.objects.select_related(
        "spec__candidacy__paper", "result"
    ).order_by("-queued_at", "-id")
    page = page_of(request, runs, PAGE_SIZE)
    return render(request, "replication/runs.html", {"page": page})


@site_404
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(
        ReplicationRun.objects.select_related("spec__candidacy__paper", "spec__candidacy__market",
                                              "reproduces__result"),
        pk=run_id,
    )
    return render(request, "replication/run.html", {"run": run, "result": run.result_or_none})


def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run's progress block, read afresh: the pages that show a run are cached under the
    runs table's version, which progress writes do not move; static/tracker/progress.js
    puts this block in their place (templates/replication/_progress.html)."""
    run = get_object_or_404(ReplicationRun.objects.only(
        "pk", "status", "started_at", "progress", "progress_message"), pk=run_id)
    return render(request, "replication/progress.html",
                  {"run": run, "compact": request.GET.get("compact") == "1"})


def deltas_png(request: HttpRequest, run_id: int) -> FileResponse:
    """The per-dataset deltas plot the harness wrote beside results.json."""
    result = ReplicationResult.objects.filter(run_id=run_id).first()
    if result is None or "deltas.png" not in (result.artifacts or []):
        raise Http404("This run has no deltas plot.")
    found = artifacts.open_artifact(result.artifact_dir, "deltas.png")
    if found is None:
        raise Http404("The deltas plot of this run is no longer on this server.")
    return FileResponse(found, content_type="image/png")


def results_json(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """The run's results.json: the published file when the storage still has it, otherwise
    the copy kept in the database (the same document)."""
    result = ReplicationResult.objects.filter(run_id=run_id).first()
    if result is None:
        raise Http404("This run has no results (yet).")
    found = artifacts.open_artifact(result.artifact_dir, "results.json")
    if found is not None:
        return FileResponse(found, content_type="application/json",
                            as_attachment=True, filename=f"run-{run_id}-results.json")
    response = HttpResponse(json.dumps(result.results, indent=2),
                            content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="run-{run_id}-results.json"'
    return response
