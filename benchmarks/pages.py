"""Benchmark of every public page, API endpoint and adjudicators' admin list at a large tenant.

Run from the root of the tree under test (it imports that tree's code):

    .venv/bin/python benchmarks/pages.py                       # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfbench .venv/bin/python benchmarks/pages.py
    .venv/bin/python benchmarks/pages.py --small               # a 1/20 tenant, for a quick look

It loads the seed, then adds by bulk inserts through the models the issue's large tenant
(10,022 papers, 3,022 candidacies, 65,013 assessments, 203 forecasters, 2,003 prediction
sets, 100,019 predictions, 541 runs in all, seed included) and prints how long that took.
It also publishes 10,000 price quotes of the market crowd on the
market (a few a day over ~3 years; part of the predictions). If the tree has a
`rebuild_aggregates` command it runs it (stored aggregates are derived data, rebuilt after
bulk inserts that bypass the services). SQL queries per request come from an in-process pass
with Django's test client under CaptureQueriesContext (the first request of each URL).

Then, per mode, it serves the tenant with gunicorn on 127.0.0.1 (DEBUG=0, 2 sync workers) and
requests each URL one at a time (p50/p95 over --requests, at most --seconds per URL), with
/health/live/ (one SELECT 1, no template) timed first and last as the reference:

- "cache off": PAGE_CACHE_SECONDS=0, every request renders (the first reader after a write);
- "cache on (no writes)": the page cache as deployed, an idle site;
- "cache on + write mix": the same while a thread writes as a live site does (`WriteMix`);
- "cache on + write mix + ETag" (asked for by --modes): the same, each client sending back
  the last ETag it got as If-None-Match (a 304 counts as a hit).

Each mode ends with a concurrency pass: 8 clients on the market page, then 8 on
/health/live/, requests/s each. The hit rate comes from the responses' X-Page-Cache header.
It prints a table per mode and a summary: URLs within 3x of /health/live/, hit rate, the
worst three, the market page's bytes, requests/s and the load average (1 min).
Not a test: nothing is asserted.

The database must be one of your own (it is flushed when --rebuild is given or when it
holds a smaller tenant); never point it at the tests' database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))

SIZES = {  # the issue's tenant, seed included
    "papers": 10_022, "candidacies": 3_022, "assessments": 65_013, "forecasters": 203,
    "prediction_sets": 2_003, "predictions": 100_019, "runs": 541,
}
QUOTES = 10_000  # the market crowd's published price quotes on MARKET (part of predictions)
SECRET = secrets.token_urlsafe(50)  # a fresh key per run (settings refuse weak ones)
CSRF_SECRET = secrets.token_hex(16)  # 32 characters, as Django's CSRF cookie holds
MARKET = "sae-downstream-beat-baselines"


def configure(args: argparse.Namespace) -> None:
    var = Path(args.var_dir)
    var.mkdir(parents=True, exist_ok=True)
    os.environ.update({
        # The project's settings plus the reference page's URL, where the tree has them.
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings"
        if (ROOT / "benchmarks" / "bench_settings.py").exists() else "tracker.settings",
        "TRACKER_VAR_DIR": str(var),
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SECURE_HSTS_PRELOAD": "0",
        "CELERY_BROKER_URL": "memory://",
        "LOG_LEVEL": "WARNING",
        # One client asks every endpoint ~20 times: the API's per-address throttle would
        # answer 429s, which measure nothing.
        "API_ANON_RATE": "1000000/min",
        "API_USER_RATE": "1000000/min",
    })
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    import django

    django.setup()


# --- Building the tenant ----------------------------------------------------------------------


def scaled(sizes: dict[str, int], factor: float) -> dict[str, int]:
    return {k: max(1, round(v * factor)) for k, v in sizes.items()}


def build(sizes: dict[str, int], seed: int) -> dict[str, float]:
    from django.core.management import call_command

    timings = {}
    start = time.perf_counter()
    call_command("load_seed", verbosity=0)
    timings["load_seed"] = time.perf_counter() - start
    rng = random.Random(seed)
    for name, step in [("papers and authors", _papers), ("candidacies", _candidacies),
                       ("assessments and verdicts", _assessments),
                       ("forecasts and scores", _forecasts), ("replication runs", _runs)]:
        start = time.perf_counter()
        step(sizes, rng)
        timings[name] = time.perf_counter() - start
        print(f"  {name}: {timings[name]:.1f} s", flush=True)
    return timings


def _batched(model, rows, size: int = 5000) -> None:
    model.objects.bulk_create(rows, batch_size=size)


def _papers(sizes, rng) -> None:
    from tracker.models import Author, Authorship, Paper, normalize_person_name

    words = ["sparse", "autoencoder", "probing", "feature", "steering", "dictionary",
             "baseline", "circuit", "transformer", "latent", "interpretability", "downstream",
             "linear", "attention", "residual", "activation", "concept", "unlearning"]
    authors = [Author(name=f"Bench Author {i}", normalized_name=normalize_person_name(
        f"Bench Author {i}")) for i in range(3000)]
    # The benchmark adjudicator is an author of a few papers: the conflict column has rows.
    authors.append(Author(name="Bench Viewer", normalized_name="bench viewer"))
    _batched(Author, authors)
    author_ids = list(Author.objects.filter(name__startswith="Bench ").values_list("id", flat=True))
    viewer_author = Author.objects.get(normalized_name="bench viewer").pk
    todo = sizes["papers"] - Paper.objects.count()
    base = dt.date(2019, 1, 1)
    papers = []
    for i in range(todo):
        published = base + dt.timedelta(days=rng.randrange(2400))
        papers.append(Paper(
            slug=f"bench-paper-{i}", arxiv_id=f"{19 + i // 90000:02d}{1 + i % 12:02d}.{i:05d}",
            title=" ".join(rng.choice(words) for _ in range(8)).capitalize() + f" {i}",
            abstract="An abstract. " * 20, published=published,
            date_text=published.isoformat(), venue=rng.choice(["", "NeurIPS", "ICLR", "arXiv"]),
        ))
    _batched(Paper, papers)
    ids = list(Paper.objects.filter(slug__startswith="bench-paper-").values_list("id", flat=True))
    authorships = []
    for n, paper_id in enumerate(ids):
        chosen = rng.sample(author_ids, 3)
        if n % 200 == 0:
            chosen[2] = viewer_author if viewer_author not in chosen else chosen[2]
        authorships += [Authorship(paper_id=paper_id, author_id=a, position=p + 1)
                        for p, a in enumerate(dict.fromkeys(chosen))]
    _batched(Authorship, authorships)


def _candidacies(sizes, rng) -> None:
    from tracker.models import Candidacy, Market

    market = Market.objects.get(slug=MARKET)
    todo = sizes["candidacies"] - Candidacy.objects.count()
    taken = set(market.candidacies.values_list("paper_id", flat=True))
    free = [p for p in _bench_papers() if p not in taken]
    statuses = ["new", "triaged", "in_review", "decided"]
    _batched(Candidacy, [
        Candidacy(paper_id=paper_id, market=market, status=rng.choice(statuses),
                  task="A downstream task the paper attempts, described in a sentence or two.",
                  claimed_result="The SAE method beats the baselines on most datasets.")
        for paper_id in free[:todo]
    ])


def _bench_papers() -> list[int]:
    from tracker.models import Paper

    return list(Paper.objects.filter(slug__startswith="bench-paper-").order_by("id")
                .values_list("id", flat=True))


def _assessments(sizes, rng) -> None:
    from collections import defaultdict

    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from evaluations import verdicts
    from evaluations.models import (
        ADJUDICATORS_GROUP,
        Assessment,
        CandidacyVerdict,
        DeclaredConflict,
    )
    from tracker.models import Candidacy, Criterion, Market

    market = Market.objects.get(slug=MARKET)
    group = Group.objects.get(name=ADJUDICATORS_GROUP)
    users = [User(username=f"bench-adj-{i}", first_name="Bench", last_name=f"Adjudicator {i}")
             for i in range(20)]
    users.append(User(username="bench-viewer", first_name="Bench", last_name="Viewer",
                      is_staff=True))
    User.objects.bulk_create(users)
    adjudicators = list(User.objects.filter(username__startswith="bench-"))
    group.user_set.add(*adjudicators)
    viewer = User.objects.get(username="bench-viewer")
    others = [u for u in adjudicators if u.pk != viewer.pk]
    criteria = list(Criterion.objects.filter(market=market).order_by("order"))
    candidacies = list(market.candidacies.filter(paper__slug__startswith="bench-paper-")
                       .order_by("id").values_list("id", "paper_id"))
    todo = sizes["assessments"] - Assessment.objects.count()
    # Rater slots spread evenly: every candidacy gets `base` raters, the first `extra` one more.
    slots = -(-todo // len(criteria))
    base, extra = divmod(slots, max(1, len(candidacies)))
    now = timezone.now()
    weights = {"met": 5, "not_met": 3, "unclear": 1, "not_applicable": 1}
    rows = []
    for n, (candidacy_id, _) in enumerate(candidacies):
        raters = rng.sample(others, min(len(others), base + (n < extra)))
        if n % 10 == 0 and raters:
            raters[0] = viewer  # the viewer finished some, drafted others (blind review)
        for user in raters:
            submitted = (user != viewer or n % 20 == 0) and rng.random() >= 0.1
            for criterion in criteria:
                verdict = ("not_applicable" if criterion.kind == "informational" else
                           rng.choices(list(weights), list(weights.values()))[0])
                rows.append(Assessment(
                    candidacy_id=candidacy_id, criterion=criterion, adjudicator=user,
                    verdict=verdict, confidence=rng.randint(1, 5),
                    rationale="Because the paper's table shows it, on the stated datasets.",
                    status="submitted" if submitted else "draft",
                    submitted_at=now if submitted else None,
                ))
    rows = rows[:todo]
    _batched(Assessment, rows)
    DeclaredConflict.objects.bulk_create([
        DeclaredConflict(adjudicator=viewer, paper_id=paper_id, reason="Same lab.")
        for _, paper_id in candidacies[5::150]
    ], ignore_conflicts=True)
    # Verdicts as refresh_verdict would store them, computed here in one pass.
    must_pass = [c.key for c in criteria if c.kind == Criterion.Kind.MUST_PASS]
    votes: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    raters: dict[int, set[int]] = defaultdict(set)
    for candidacy_id, key, vote, adjudicator_id in Assessment.objects.filter(
        status="submitted", candidacy__market=market,
    ).order_by().values_list("candidacy_id", "criterion__key", "verdict", "adjudicator_id"):
        votes[candidacy_id][key].append(vote)
        raters[candidacy_id].add(adjudicator_id)
    existing = set(CandidacyVerdict.objects.values_list("candidacy_id", flat=True))
    stored = []
    for candidacy_id in Candidacy.objects.filter(market=market).values_list("id", flat=True):
        if candidacy_id in existing:
            continue
        result = verdicts.decide(must_pass, votes.get(candidacy_id, {}))
        stored.append(CandidacyVerdict(
            candidacy_id=candidacy_id, outcome=result.outcome,
            deciding_criteria=list(result.deciding), criteria_met=list(result.met),
            criteria_not_met=list(result.not_met),
            submitted_count=sum(len(v) for v in votes.get(candidacy_id, {}).values()),
            adjudicator_count=len(raters.get(candidacy_id, ())), computed_at=now,
        ))
    _batched(CandidacyVerdict, stored)


def _forecasts(sizes, rng) -> None:
    from evaluations.forecasts import services
    from evaluations.forecasts.models import Forecaster, Prediction, PredictionSet
    from tracker.models import Market

    market = Market.objects.get(slug=MARKET)
    todo = sizes["forecasters"] - Forecaster.objects.count()
    _batched(Forecaster, [
        Forecaster(slug=f"bench-forecaster-{i}", name=f"Bench Forecaster {i:03d}",
                   kind="crowd" if i == 0 else "person")
        for i in range(todo)
    ])
    forecasters = list(Forecaster.objects.filter(slug__startswith="bench-forecaster-")
                       .order_by("id").values_list("id", flat=True))
    n_sets = sizes["prediction_sets"] - PredictionSet.objects.count()
    quotes = min(QUOTES, sizes["predictions"] // 10)
    n_predictions = sizes["predictions"] - quotes - Prediction.objects.count()
    # One forecaster holds an eighth of all predictions (the biggest forecaster page).
    biggest = forecasters[1] if len(forecasters) > 1 else forecasters[0]
    owners = [biggest if i < n_sets // 8 else forecasters[i % len(forecasters)]
              for i in range(n_sets)]
    base = dt.date(2023, 1, 1)
    _batched(PredictionSet, [
        PredictionSet(slug=f"bench-set-{i}", forecaster_id=owner, title=f"Predictions {i}",
                      published_on=base + dt.timedelta(days=i % 700))
        for i, owner in enumerate(owners)
    ])
    sets = list(PredictionSet.objects.filter(slug__startswith="bench-set-").order_by("id")
                .values_list("id", "published_on"))
    rows = []
    for i in range(n_predictions):
        set_id, published = sets[i % len(sets)]
        outcome = rng.choices(["yes", "no", "pending", "annulled"], [30, 40, 25, 5])[0]
        rows.append(Prediction(
            prediction_set_id=set_id, position=i // len(sets) + 1,
            statement=f"Statement {i // len(sets) + 1}: something happens by the date.",
            probability=round(rng.random(), 3), made_on=published,
            market=market if i % 7 == 0 else None, outcome=outcome,
            outcome_evidence="A source says so." if outcome != "pending" else "",
        ))
    _batched(Prediction, rows)
    _quotes(market, sizes["predictions"] - Prediction.objects.count(), rng)
    services.do_rescore(Prediction.objects.filter(prediction_set__slug__startswith="bench-"))


def _quotes(market, todo: int, rng) -> None:
    """The market crowd's price, published as quotes: a few a day over ~3 years, in one
    prediction set per day (a market snapshot), as an importer of a price feed would."""
    from evaluations.forecasts.models import Forecaster, Prediction, PredictionSet

    crowd, _ = Forecaster.objects.get_or_create(
        slug="bench-crowd", defaults={"name": "Bench market crowd", "kind": "crowd"})
    days = max(1, min(1000, todo // 10))
    base = dt.date(2023, 1, 1)
    _batched(PredictionSet, [
        PredictionSet(slug=f"bench-quotes-{d}", forecaster=crowd, title=f"Price on day {d}",
                      published_on=base + dt.timedelta(days=d)) for d in range(days)])
    sets = list(PredictionSet.objects.filter(slug__startswith="bench-quotes-").order_by("id")
                .values_list("id", "published_on"))
    price, rows = 0.5, []
    for i in range(todo):
        set_id, day = sets[i * len(sets) // todo]
        price = min(0.99, max(0.01, price + rng.gauss(0, 0.02)))
        rows.append(Prediction(
            prediction_set_id=set_id, position=i + 1, statement=f"Market price, quote {i + 1}.",
            probability=round(price, 3), made_on=day, market=market, outcome="pending"))
    _batched(Prediction, rows)


def _runs(sizes, rng) -> None:
    from django.utils import timezone

    from replication.models import ReplicationResult, ReplicationRun, ReplicationSpec
    from tracker.models import Candidacy

    todo = sizes["runs"] - ReplicationRun.objects.count()
    candidacies = list(Candidacy.objects.filter(paper__slug__startswith="bench-paper-")
                       .order_by("id").values_list("id", flat=True)[: max(1, todo // 5)])
    _batched(ReplicationSpec, [
        ReplicationSpec(key=f"bench-spec-{i}", text="task = 'sparse_probing'\n",
                        spec_hash=f"{i:064x}", task="sparse_probing", time_limit=3600,
                        soft_time_limit=3300, candidacy_id=candidacy_id)
        for i, candidacy_id in enumerate(candidacies)
    ])
    specs = list(ReplicationSpec.objects.filter(key__startswith="bench-spec-")
                 .values_list("id", flat=True))
    sample = ReplicationResult.objects.first()
    now = timezone.now()
    runs = [ReplicationRun(spec_id=specs[i % len(specs)],
                           status="succeeded" if i % 4 else "failed", finished_at=now,
                           error="" if i % 4 else "Out of memory.")
            for i in range(todo)]
    _batched(ReplicationRun, runs)
    done = ReplicationRun.objects.filter(spec__key__startswith="bench-spec-", status="succeeded")
    _batched(ReplicationResult, [
        ReplicationResult(run_id=run_id, spec_hash="0" * 64,
                          verdict=rng.choice(["beats", "equivalent", "loses", "inconclusive"]),
                          results=sample.results if sample else {}, artifact_dir="/nonexistent",
                          attempt=1)
        for run_id in done.values_list("id", flat=True)
    ])


def quote_count() -> int:
    from evaluations.forecasts.models import Prediction

    return Prediction.objects.filter(market__slug=MARKET,
                                     prediction_set__forecaster__kind="crowd").count()


def counts() -> dict[str, int]:
    from evaluations.forecasts.models import Forecaster, Prediction, PredictionSet
    from evaluations.models import Assessment
    from replication.models import ReplicationRun
    from tracker.models import Candidacy, Paper

    return {"papers": Paper.objects.count(), "candidacies": Candidacy.objects.count(),
            "assessments": Assessment.objects.count(),
            # Less the market crowd's price feed, counted apart (quote_count).
            "forecasters": Forecaster.objects.exclude(slug="bench-crowd").count(),
            "prediction_sets": PredictionSet.objects.exclude(
                slug__startswith="bench-quotes-").count(),
            "predictions": Prediction.objects.count(), "runs": ReplicationRun.objects.count()}


def prepare(args, sizes) -> None:
    from django.core.management import call_command, get_commands

    call_command("migrate", verbosity=0, interactive=False)
    have = counts()
    if args.rebuild or have["papers"] > 1000 and have != sizes:
        call_command("flush", verbosity=0, interactive=False)
        have = counts()
    if have != sizes:
        print(f"Building the tenant on {_db_label()}:", flush=True)
        start = time.perf_counter()
        timings = build(sizes, args.seed)
        print(f"Built in {time.perf_counter() - start:.1f} s "
              f"(load_seed {timings['load_seed']:.1f} s).", flush=True)
    else:
        print(f"Reusing the tenant already in {_db_label()}.")
    from django.db import connection

    if connection.vendor == "postgresql":  # planner statistics, as autovacuum would gather
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if "rebuild_aggregates" in get_commands():
        start = time.perf_counter()
        call_command("rebuild_aggregates", verbosity=0)
        print(f"rebuild_aggregates: {time.perf_counter() - start:.1f} s", flush=True)
    call_command("collectstatic", verbosity=0, interactive=False)
    print("Tenant: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts().items())
          + f"; {quote_count():,} published price quotes on {MARKET}")


def _db_label() -> str:
    from django.db import connection

    return f"{connection.vendor} ({connection.settings_dict['NAME']})"


# --- The URLs ----------------------------------------------------------------------------------


def urls() -> tuple[list[tuple[str, str, bool]], str]:
    """(label, path, as_adjudicator) per URL, and the benchmark adjudicator's username."""
    from django.db.models import Count

    from evaluations.forecasts.models import Forecaster, PredictionSet
    from evaluations.models import Assessment
    from replication.models import ReplicationRun
    from tracker.models import Candidacy, Paper

    biggest = (Forecaster.objects.annotate(n=Count("prediction_sets__predictions"))
               .order_by("-n").first())
    a_set = PredictionSet.objects.filter(forecaster=biggest).order_by("id").first()
    paper = (Paper.objects.annotate(n=Count("candidacies__assessments")).order_by("-n", "id")
             .first())
    run = (ReplicationRun.objects.filter(result__isnull=False).order_by("id").first()
           or ReplicationRun.objects.order_by("id").first())
    viewer = "bench-viewer"
    drafted = (Assessment.objects.filter(adjudicator__username=viewer, status="draft")
               .values_list("candidacy_id", flat=True).first()
               or Candidacy.objects.values_list("id", flat=True).first())
    pages = Paper.objects.count() // 25
    m = f"/markets/{MARKET}"
    return [
        (f"reference: {reference_path()}", reference_path(), False),
        *([(f"reference 2: {live}", live, False)] if (live := live_path()) else []),
        *([("/health/", "/health/", False)] if reference_path() != "/health/" else []),
        ("/", "/", False),
        ("/markets/<slug>/", f"{m}/", False),
        ("/markets/<slug>/leaderboard/", f"{m}/leaderboard/", False),
        ("/markets/<slug>/leaderboard/ (adjudicator)", f"{m}/leaderboard/", True),
        ("/papers/", "/papers/", False),
        ("/papers/?page=<last>", f"/papers/?page={pages}", False),
        ("/papers/<id>/ (most assessed)", f"/papers/{paper.public_id}/", False),
        ("/forecasters/", "/forecasters/", False),
        ("/forecasters/?sort=-points", "/forecasters/?sort=-points", False),
        ("/forecasters/<biggest>/", f"/forecasters/{biggest.slug}/", False),
        ("/forecasters/<biggest>/calibration.svg", f"/forecasters/{biggest.slug}/calibration.svg",
         False),
        ("/forecasters/calibration.svg", "/forecasters/calibration.svg", False),
        ("/forecasters/<biggest>/scores.csv", f"/forecasters/{biggest.slug}/scores.csv", False),
        ("/forecasters/scores.csv", "/forecasters/scores.csv", False),
        ("/prediction-sets/<slug>/", f"/prediction-sets/{a_set.slug}/", False),
        ("/replications/", "/replications/", False),
        ("/replications/<id>/", f"/replications/{run.pk}/", False),
        ("/api/markets/", "/api/markets/", False),
        ("/api/markets/<slug>/", f"/api/markets/{MARKET}/", False),
        ("/api/markets/<slug>/leaderboard/", f"/api/markets/{MARKET}/leaderboard/", False),
        ("/api/papers/<id>/", f"/api/papers/{paper.public_id}/", False),
        ("/api/forecasters/", "/api/forecasters/", False),
        ("/api/forecasters/<biggest>/", f"/api/forecasters/{biggest.slug}/", False),
        ("/api/prediction-sets/<slug>/", f"/api/prediction-sets/{a_set.slug}/", False),
        ("/api/replications/", "/api/replications/", False),
        ("admin: candidacies to score", "/admin/evaluations/candidacyscoring/", True),
        ("admin: assessments", "/admin/evaluations/assessment/", True),
        ("admin: scoring page", f"/admin/evaluations/candidacyscoring/{drafted}/change/", True),
        ("admin: index (the adjudicator's queue)", "/admin/", True),
    ], viewer


def reference_path() -> str:
    """The reference page: /bench/reference/ (one query through the base template, served by
    the benchmark's URLconf) where the tree has it; else /health/live/ (one SELECT 1, no
    template); /health/ (one query before issue 14, six after) in older trees."""
    return _path("bench-reference") or _path("tracker:live") or "/health/"


def live_path() -> str | None:
    """The second reference, /health/live/, when the first is /bench/reference/."""
    live = _path("tracker:live")
    return live if live and live != reference_path() else None


def _path(name: str) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# --- Measuring ---------------------------------------------------------------------------------


def query_counts(targets, viewer: str) -> dict[str, int | str]:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    anonymous, adjudicator = Client(), Client()
    adjudicator.force_login(User.objects.get(username=viewer))
    result = {}
    for label, path, as_adjudicator in targets:
        client = adjudicator if as_adjudicator else anonymous
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
            if response.streaming:
                b"".join(response.streaming_content)
        result[label] = len(queries) if response.status_code == 200 else \
            f"{len(queries)} ({response.status_code})"
    return result


def session_cookie(viewer: str) -> str:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=viewer))
    return client.cookies["sessionid"].value


def start_gunicorn(port: int, timeout: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "tracker.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2",
         "--worker-class", "sync", "--timeout", str(timeout), "--chdir", str(ROOT),
         "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, **(env or {})}, start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            status, *_ = fetch(port, "/health/live/", None)
            if status == 404:
                status, *_ = fetch(port, "/health/", None)
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer /health/live/ or /health/ within 60 s")


def fetch(port: int, path: str, cookie: str | None,
          etag: str = "") -> tuple[int, int, str, str]:
    """(status, bytes, the X-Page-Cache header: hit, miss or empty where not cached, and the
    ETag); `etag` is sent as If-None-Match, as a client that kept the last answer does."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Host": "127.0.0.1"}
    if cookie:  # a browser that has visited before also holds a CSRF cookie
        headers["Cookie"] = f"sessionid={cookie}; csrftoken={CSRF_SECRET}"
    if etag:
        headers["If-None-Match"] = etag
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        size = 0
        while chunk := response.read(65536):
            size += len(chunk)
        return (response.status, size, response.getheader("X-Page-Cache") or "",
                response.getheader("ETag") or "")
    finally:
        connection.close()


def time_url(port, path, cookie, n, seconds,
             conditional: bool = False) -> tuple[list[float], int, str, int]:
    """Times, response bytes, statuses seen, and how many answers were page-cache hits (a
    304 to a `conditional` client, which sends back the last ETag it got, counts as one)."""
    _, _, _, etag = fetch(port, path, cookie)  # warm-up: not counted
    times, statuses, size, hits = [], set(), 0, 0
    started = time.perf_counter()
    while len(times) < n and (len(times) < 3 or time.perf_counter() - started < seconds):
        t0 = time.perf_counter()
        try:
            status, got, cache, tag = fetch(port, path, cookie, etag if conditional else "")
            size = got if status != 304 else size
            etag = tag or etag
            hits += cache == "hit" or status == 304
        except (OSError, http.client.HTTPException):
            status = "dropped"
        times.append((time.perf_counter() - t0) * 1000)
        statuses.add(status)
    return times, size, ",".join(str(s) for s in sorted(statuses, key=str)), hits


def summarise(times: list[float], size: int, status: str, hits: int = 0) -> dict:
    ordered = sorted(times)
    return {"n": len(ordered), "p50": statistics.median(ordered),
            "p95": ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))],
            "bytes": size, "status": status, "hits": hits}


# --- The write mix and the concurrency pass ----------------------------------------------------


class WriteMix:
    """A thread writing as a live site does while it is read: a replication's progress every
    3 s (replication.services.record_progress's UPDATE), an adjudicator's draft save every
    10 s (the scoring sheet's UPDATE of a draft) and a paper upsert every 30 s (an ingestion's
    UPDATE of a paper). Every write changes its row, so each must count as a write."""

    PERIODS = {"progress": 3.0, "draft": 10.0, "paper": 30.0}

    def __init__(self) -> None:
        import threading

        self.stop = threading.Event()
        self.done = {name: 0 for name in self.PERIODS}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WriteMix:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        from django.db import connection

        due = dict.fromkeys(self.PERIODS, time.monotonic())
        try:
            while not self.stop.wait(0.2):
                now = time.monotonic()
                for name, period in self.PERIODS.items():
                    if now >= due[name]:
                        getattr(self, f"_{name}")(self.done[name])
                        self.done[name] += 1
                        due[name] = now + period
        finally:
            connection.close()

    def _progress(self, n: int) -> None:
        from django.utils import timezone

        from replication.models import ReplicationRun

        run = ReplicationRun.objects.order_by("id").values_list("id", flat=True).first()
        ReplicationRun.objects.filter(pk=run).update(
            progress=n % 100, progress_message=f"Step {n}", heartbeat_at=timezone.now())

    def _draft(self, n: int) -> None:
        from django.db.models import F
        from django.utils import timezone

        from evaluations.models import Assessment

        draft = Assessment.objects.filter(status="draft").order_by("id").values_list(
            "id", flat=True).first()
        Assessment.objects.filter(pk=draft).update(
            rationale=f"Draft, edited {n} times.", version=F("version") + 1,
            updated_at=timezone.now())

    def _paper(self, n: int) -> None:
        from django.utils import timezone

        from tracker.models import Paper

        Paper.objects.filter(slug="bench-paper-1").update(
            abstract=f"An abstract, revision {n}.", updated_at=timezone.now())


def concurrent_rate(port: int, path: str, clients: int, seconds: float) -> tuple[float, float]:
    """(requests/s, p95 ms) of `clients` threads requesting `path` back to back."""
    from concurrent.futures import ThreadPoolExecutor

    deadline = time.perf_counter() + seconds

    def client(_: int) -> list[float]:
        times = []
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                fetch(port, path, None)
            except (OSError, http.client.HTTPException):
                continue
            times.append((time.perf_counter() - t0) * 1000)
        return times

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        times = [t for result in pool.map(client, range(clients)) for t in result]
    elapsed = time.perf_counter() - start
    ordered = sorted(times) or [0.0]
    return len(times) / elapsed, ordered[int(0.95 * (len(ordered) - 1))]


# --- One mode: a server, every URL, the references first and last ------------------------------

MODES = {  # name: (server environment, write mix on, clients send If-None-Match)
    "cache off": ({"PAGE_CACHE_SECONDS": "0"}, False, False),
    "cache on (no writes)": ({}, False, False),
    "cache on + write mix": ({}, True, False),
    "cache on + write mix + ETag": ({}, True, True),
}


def run_mode(mode: str, targets, cookie: str, args) -> dict:
    import contextlib

    env, writing, conditional = MODES[mode]
    server = start_gunicorn(args.port, args.timeout, env)
    loads, rows = [os.getloadavg()[0]], {}
    live = live_path() or reference_path()
    pooled: list[float] = []
    try:
        with WriteMix() if writing else contextlib.nullcontext() as mix:
            for label, path, as_adjudicator in [("live", live, False), *targets,
                                                ("live", live, False)]:
                measured = summarise(*time_url(args.port, path, cookie if as_adjudicator
                                               else None, args.requests, args.seconds,
                                               conditional and label != "live"))
                if label == "live":
                    pooled += [measured["p95"]]
                else:
                    rows[label] = measured
                loads.append(os.getloadavg()[0])
                print(f"  [{mode}] {label}: p95 {measured['p95']:.0f} ms", file=sys.stderr,
                      flush=True)
            market = f"/markets/{MARKET}/"
            rate = {"market": concurrent_rate(args.port, market, 8, args.concurrent_seconds),
                    "live": concurrent_rate(args.port, live, 8, args.concurrent_seconds)}
            writes = dict(mix.done) if mix else {}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {"rows": rows, "live_p95": statistics.mean(pooled), "loads": loads,
            "rate": rate, "writes": writes}


def report_mode(mode: str, result: dict, queries: dict) -> dict:
    rows, live = result["rows"], result["live_p95"]
    loads = result["loads"]
    print(f"\n### {mode}\n\nload average (1 min): start {loads[0]:.2f}, end {loads[-1]:.2f}, "
          f"mean {statistics.mean(loads):.2f}, max {max(loads):.2f}; /health/live/ p95 "
          f"{live:.1f} ms (mean of first and last); writes done: {result['writes'] or '-'}")
    print("\n| URL | n | p50 ms | p95 ms | p95 / live | hits | queries | bytes | status |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for label, m in rows.items():
        print(f"| {label} | {m['n']} | {m['p50']:.1f} | {m['p95']:.1f} | "
              f"{m['p95'] / live:.1f}x | {m['hits']}/{m['n']} | {queries.get(label, '')} | "
              f"{m['bytes']:,} | {m['status']} |")
    ratios = {label: m["p95"] / live for label, m in rows.items()}
    worst = sorted(ratios.items(), key=lambda item: -item[1])[:3]
    hits = sum(m["hits"] for m in rows.values())
    total = sum(m["n"] for m in rows.values())
    (market_rate, market_p95), (live_rate, _) = result["rate"]["market"], result["rate"]["live"]
    print(f"\n8 concurrent clients: market page {market_rate:.1f} requests/s (p95 "
          f"{market_p95:.0f} ms), /health/live/ {live_rate:.1f} requests/s")
    return {"within": f"{sum(r <= 3 for r in ratios.values())}/{len(ratios)}",
            "hit rate": f"{hits / total:.1%} ({hits} of {total})",
            "worst": ", ".join(f"{label} {r:.1f}x" for label, r in worst),
            "market bytes": f"{rows.get('/markets/<slug>/', {}).get('bytes', 0):,}",
            "8 clients req/s": f"market {market_rate:.1f} (p95 {market_p95:.0f} ms) vs "
                               f"live {live_rate:.1f}",
            "load": f"{statistics.mean(loads):.1f}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a 1/20 tenant")
    parser.add_argument("--scale", type=float, default=1.0, help="tenant size factor")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per URL")
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="stop a URL after this long (at least 3 requests)")
    parser.add_argument("--concurrent-seconds", type=float, default=8.0,
                        help="length of each 8-client pass (market page, then /health/live/)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--timeout", type=int, default=30, help="gunicorn worker timeout")
    parser.add_argument("--var-dir", default=str(Path(tempfile.gettempdir()) / "perfbench"))
    parser.add_argument("--rebuild", action="store_true", help="flush and build again")
    parser.add_argument("--only", default="", help="comma-separated substrings of labels")
    parser.add_argument("--modes", default=",".join(list(MODES)[:3]),
                        help=f"comma-separated, of: {', '.join(MODES)}")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--build-only", action="store_true", help="build the tenant, time nothing")
    args = parser.parse_args()
    sizes = scaled(SIZES, 0.05 if args.small else args.scale)
    configure(args)
    prepare(args, sizes)
    if args.build_only:
        return 0
    from django.db import connections

    targets, viewer = urls()
    targets = [t for t in targets if not t[0].startswith("reference")]
    if args.only:
        targets = [t for t in targets if any(w in t[0] for w in args.only.split(","))]
    queries = query_counts(targets, viewer)
    cookie = session_cookie(viewer)
    connections.close_all()
    summary = {}
    for mode in args.modes.split(","):
        summary[mode] = report_mode(mode, run_mode(mode, targets, cookie, args), queries)
    import django

    print(f"\n{_db_label()}, Django {django.get_version()}, gunicorn 2 sync workers, DEBUG=0; "
          f"tree {ROOT}; {os.cpu_count()} CPUs; p95 over {args.requests} sequential requests "
          "per URL as a multiple of /health/live/ in the same mode\n")
    columns = ["within", "hit rate", "worst", "market bytes", "8 clients req/s", "load"]
    print("| mode | URLs within 3x | cache hit rate | worst 3 | market page bytes | "
          "8 clients req/s | load avg |")
    print("|---|---:|---:|---|---:|---|---:|")
    for mode, row in summary.items():
        print(f"| {mode} | " + " | ".join(row[c] for c in columns) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
