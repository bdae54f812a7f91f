"""What the market page shows a reader: its dates with their sources, the evidence matrix,
the probability over time, a short timeline and the latest changes (also the Atom feeds).

Assessments and verdicts are read only through evaluations.services (the blind-review
rule lives there): `assessments_visible_to` and `blind_candidacy_ids`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from evaluations import services
from evaluations.models import Assessment, CandidacyVerdict, ResolutionEvent
from evaluations.verdicts import majority
from replication.scope import scope_of
from tracker import charts, plain, price_series
from tracker.models import Candidacy, Criterion, Market

# --- Dates -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateFact:
    label: str
    when: dt.datetime | None
    source: str  # where the date comes from, or why it is unknown
    source_url: str = ""


def resolution_date_is_sourced(event: ResolutionEvent) -> bool:
    """False for a resolution whose sources give no date."""
    return sourced_resolution_date(event) is not None


def sourced_resolution_date(event: ResolutionEvent) -> dt.datetime | None:
    """The resolution's date: the one its resolver gave, or when they resolved it in the
    tracker; None for a resolution made elsewhere whose sources give no date (the seed's:
    `resolve_market(date_known=False)`)."""
    return event.effective_at


def market_dates(market: Market, current: ResolutionEvent | None) -> list[DateFact]:
    source = market.url or (market.source_urls[0] if market.source_urls else "")
    facts = [
        DateFact("Opened", market.opened_at,
                 "as recorded from the market's page" if market.opened_at
                 else "unknown: the sources give no opening date",
                 source if market.opened_at else ""),
        DateFact("Closes", market.closed_at,
                 "as recorded from the market's page" if market.closed_at
                 else "unknown: the sources give no closing date",
                 source if market.closed_at else ""),
    ]
    if current is not None:
        who = current.actor.get_full_name() or current.actor.get_username()
        label = "Annulled" if current.action == "annul" else "Resolved"
        if resolution_date_is_sourced(current):
            resolved_here = current.effective_at == current.at
            facts.append(DateFact(label, current.effective_at,
                                  f"when {who} recorded it here" if resolved_here
                                  else f"as given by {who}"))
        else:
            facts.append(DateFact(
                label, None,
                f"unknown: the sources give no date (recorded in the tracker on "
                f"{current.at:%Y-%m-%d})",
            ))
    else:
        facts.append(DateFact("Resolved", None, "not resolved yet"))
    return facts


# --- Evidence matrix -------------------------------------------------------------------------


@dataclass
class Cell:
    criterion: Criterion
    key: str  # met, not_met, unclear, not_applicable, no_majority, not_assessed, hidden
    votes: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def words(self) -> str:
        return plain.VOTE_WORDS.get(self.key, self.key)


@dataclass
class MatrixRow:
    candidacy: Candidacy
    verdict: str  # qualifies, falls_short, undecided, or "" when hidden
    verdict_label: str
    hidden: bool
    cells: list[Cell]
    replication: dict[str, Any] | None = None  # the latest succeeded run's verdict and link

    @property
    def assessed(self) -> bool:
        return any(c.key not in ("not_assessed", "hidden") for c in self.cells)

    @property
    def shown(self) -> bool:
        """In the table: assessed, under review (hidden), or with replication evidence.
        The rest are only named below it, instead of rows of dashes."""
        return self.assessed or self.hidden or self.replication is not None

    @property
    def met_count(self) -> int:
        return sum(c.key == "met" for c in self.cells if c.criterion.kind == "must_pass")


@dataclass
class Matrix:
    """One page of the evidence matrix (candidates in leaderboard order); ``total`` and
    ``assessed_total`` count the whole market."""

    criteria: list[Criterion]
    rows: list[MatrixRow]
    must_pass: int
    assessed_rows: int
    left_out: list[Criterion]
    total: int = 0
    assessed_total: int = 0
    page: Any = None  # the django Page of candidacies these rows are

    @property
    def judgement(self) -> int:
        return len(self.criteria) - self.must_pass

    @property
    def shown_rows(self) -> list[MatrixRow]:
        return [r for r in self.rows if r.shown]

    @property
    def other_rows(self) -> list[MatrixRow]:
        return [r for r in self.rows if not r.shown]

    @property
    def bounded(self) -> bool:
        """True when the market has more candidates than this page shows."""
        return self.page is not None and self.page.paginator.num_pages > 1


def matrix_criteria(market: Market) -> tuple[list[Criterion], list[Criterion]]:
    """The matrix's columns: must-pass criteria, then judgement ones; informational
    criteria are left out (they are 'does not apply' for every paper by convention)."""
    criteria = list(market.criteria.all())
    shown = [c for c in criteria if c.kind == Criterion.Kind.MUST_PASS] + [
        c for c in criteria if c.kind == Criterion.Kind.JUDGEMENT]
    return shown, [c for c in criteria if c.kind == Criterion.Kind.INFORMATIONAL]


def _replication_evidence(market: Market, candidacies: list[Candidacy]) -> dict[int, tuple]:
    """Per candidacy with a succeeded run: (its latest run as evidence, what that run
    tests, the spec's note), in one query for these candidacies. The evidence items come
    from the pure replication.evidence.evidence_from_results."""
    from replication import evidence
    from replication.models import ReplicationResult

    if not candidacies:
        return {}
    fraction = evidence._compute_fraction(candidacies[0])  # one value per market
    found: dict[int, tuple] = {}
    ids = [c.pk for c in candidacies]
    for result in (ReplicationResult.objects.filter(run__spec__candidacy_id__in=ids,
                                                    run__status="succeeded")
                   .select_related("run__spec").order_by("-run__finished_at", "-pk")
                   # What the evidence shows: not the run's history and provenance, the
                   # spec's text or the result's artifacts (JSON decoded for every run).
                   .only("verdict", "results", "spec_hash", "run__id", "run__finished_at",
                         "run__spec__candidacy_id", "run__spec__note", "run__spec__key",
                         "run__spec__version")):
        candidacy_id = result.run.spec.candidacy_id
        if candidacy_id is None or candidacy_id in found:  # never None: filtered by it
            continue
        run = evidence.RunEvidence(
            run_id=result.run_id, spec_key=result.run.spec.key,
            spec_version=result.run.spec.version, spec_hash=result.spec_hash,
            verdict=result.verdict, finished_at=result.run.finished_at,
            url=reverse("replication:run", args=[result.run_id]),
            results_url=reverse("replication:results-json", args=[result.run_id]),
            items=evidence.evidence_from_results(result.results, compute_fraction=fraction),
        )
        found[candidacy_id] = (run, scope_of(result.results), result.run.spec.note)
    return found


MATRIX_ROWS = 25  # candidates a page of the evidence matrix shows
# A row shows its paper's name, slug and link: not the abstracts, notes and JSON columns of
# the papers and candidacies (decoded for every row, never shown).
MATRIX_UNSHOWN = ("paper__abstract", "paper__notes", "paper__source_urls", "paper__categories",
                  "paper__arxiv_comment", "notes", "baselines_compared", "relevance_signals",
                  "dismissed_reason", "claimed_result", "task")


def evidence_matrix(market: Market, viewer, number: int | str = 1,
                    size: int | None = None) -> Matrix:
    """Page ``number`` of the matrix: ``size`` candidates (dismissed ones left out) in the
    leaderboard's order, computed in SQL (``evaluations.leaderboard.ranked``: a row hidden
    by blind review ranks as undecided), so a page is a LIMIT and only its rows' votes and
    replication runs are read. A page that does not exist is a 404."""
    from django.core.paginator import InvalidPage
    from django.http import Http404

    from evaluations.leaderboard import ranked, sight
    from tracker.pagination import NarrowPaginator

    criteria, left_out = matrix_criteria(market)
    seen = sight(viewer=viewer, market=market)
    ordered = (ranked(market=market, viewer=viewer, seen=seen).prefetch_related(None)
               .exclude(status=Candidacy.Status.DISMISSED).defer(*MATRIX_UNSHOWN))
    try:
        page = NarrowPaginator(ordered, size or MATRIX_ROWS).page(number or 1)
    except InvalidPage as exc:
        raise Http404(f"No such page of the evidence matrix: {exc}") from None
    candidacies = list(page.object_list)
    ids = [c.pk for c in candidacies]
    # Assessed: a visible verdict from at least one submitted assessment (the stored
    # verdict counts them), over the whole market in one COUNT.
    with_verdict = market.candidacies.exclude(status=Candidacy.Status.DISMISSED).filter(
        verdict__submitted_count__gt=0)
    visible = seen.visible()
    if visible is not None:
        with_verdict = with_verdict.filter(visible)
    assessed_total = with_verdict.count()
    blind = services.blind_candidacy_ids(viewer=viewer, market=market, candidacies=candidacies)
    votes: dict[tuple[int, int], list[str]] = defaultdict(list)
    for candidacy_id, criterion_id, verdict in services.assessments_visible_to(viewer).filter(
        candidacy_id__in=ids, status=Assessment.Status.SUBMITTED,
    ).order_by().values_list("candidacy_id", "criterion_id", "verdict"):
        votes[(candidacy_id, criterion_id)].append(verdict)
    evidence = _replication_evidence(market, candidacies)
    labels = dict(CandidacyVerdict.Outcome.choices)

    rows = []
    for candidacy in candidacies:
        hidden = candidacy.pk in blind
        stored = getattr(candidacy, "verdict", None)
        run, scope, note = evidence.get(candidacy.pk, (None, None, ""))
        cells = []
        for criterion in criteria:
            if hidden:
                cells.append(Cell(criterion, "hidden"))
                continue
            these = votes.get((candidacy.pk, criterion.pk), [])
            winner = majority(these) if these else None
            key = winner or ("no_majority" if these else "not_assessed")
            counts = Counter(these)
            votes_text = ", ".join(
                f"{plain.VOTE_WORDS.get(v, v)}: {plain.count_of(n, len(these), 'adjudicator')}"
                for v, n in counts.most_common())
            items = []
            if run is not None:
                items = [{"stance": item.stance, "summary": item.summary, "run_id": run.run_id,
                          "url": run.url} for item in run.for_criterion(criterion.key)]
            cells.append(Cell(criterion, key, votes_text, items))
        verdict = "" if hidden else (stored.outcome if stored else "undecided")
        rows.append(MatrixRow(
            candidacy=candidacy, verdict=verdict,
            verdict_label=labels.get(verdict, "Undecided") if verdict else "hidden",
            hidden=hidden, cells=cells,
            replication=None if run is None else {
                "verdict": run.verdict, "url": run.url, "run_id": run.run_id,
                "scope": scope, "note": note},
        ))
    assessed = sum(r.assessed for r in rows)
    must_pass = sum(c.kind == Criterion.Kind.MUST_PASS for c in criteria)
    return Matrix(criteria, rows, must_pass, assessed, left_out, total=page.paginator.count,
                  assessed_total=assessed_total, page=page)


# --- Probability over time -------------------------------------------------------------------


@dataclass(frozen=True)
class ProbabilityChart:
    svg: str
    caption: str
    trades: int
    snapshots: int


def probability_chart(market: Market, current: ResolutionEvent | None) -> ProbabilityChart | None:
    """The market's price: imported Manifold history (a step line) and published snapshots
    (dots), with the resolution marked; each drawn from a bounded series (per day, week or
    month past price_series.MAX_POINTS values). None when there is no history at all."""
    # The counts, spans and (past MAX_POINTS values) bins from the stored series: the
    # quotes and trades themselves are read only when there are few (at most MAX_POINTS).
    found = price_series.stored(market)
    trades, quotes = found["trade"], found["quote"]
    if not trades.count and not quotes.count:
        return None
    series = []
    if trades.count:
        series.append(charts.Series("Manifold trades", _trade_points(market, trades),
                                    colour="#1f5fa8",
                                    dots=trades.bins is not None or trades.count <= 60))
    if quotes.count:
        series.append(charts.Series("Published quotes", _quote_points(market, quotes),
                                    colour="#b4462b", line=False))
    markers, references = [], []
    outcome_text = ""
    if current is not None and market.outcome:
        outcome_text = f"Resolved {market.get_outcome_display()}"
        value = 1.0 if market.outcome == "yes" else 0.0
        if (sourced := sourced_resolution_date(current)) is not None:
            markers.append(charts.Marker(sourced, outcome_text))
        else:
            references.append(charts.Reference(value, f"{outcome_text} (date unknown)"))
    description = f"The market's probability of YES over time, from {_data(trades, quotes)}."
    if outcome_text:
        description += (f" {outcome_text}; " + ("marked at its date." if markers else
                        "the sources give no date, so it is drawn as a line at "
                        f"{'100%' if market.outcome == 'yes' else '0%'}."))
    svg = charts.time_series_svg(
        chart_id="probability", title=f"Probability over time: {market.title}",
        description=description, series=series, markers=markers, references=references,
        axis=charts.Axis(label="Probability of YES"),
    )
    return ProbabilityChart(svg, description, trades.count, quotes.count)


def _bins_as_points(found: price_series.History, what: str) -> list[charts.Point]:
    return [charts.Point(b.start, b.mean, price_series.bin_label(b, what))
            for b in found.bins or ()]


def _trade_points(market: Market, trades: price_series.History) -> list[charts.Point]:
    from evaluations.forecasts.models import ProbabilityPoint

    if trades.bins is not None:
        return _bins_as_points(trades, "trade")
    return [charts.Point(at, p, f"{p:.0%} after a trade on {at:%Y-%m-%d}")
            for at, p in ProbabilityPoint.objects.filter(manifold_market__market=market)
            .order_by("at", "bet_id").values_list("at", "probability")]


def _quote_points(market: Market, quotes: price_series.History) -> list[charts.Point]:
    from evaluations.forecasts.models import Forecaster, Prediction

    if quotes.bins is not None:
        return _bins_as_points(quotes, "published quote")
    return [charts.Point(s.made_on, s.probability,
                         f"{s.probability:.0%} on {s.made_on:%Y-%m-%d} ({s.prediction_set.title})")
            for s in Prediction.objects.filter(
                market=market, prediction_set__forecaster__kind=Forecaster.Kind.CROWD)
            .select_related("prediction_set").order_by("made_on", "pk")]


def _data(trades: price_series.History, quotes: price_series.History) -> str:
    """The caption's account of what is drawn, and how it was grouped."""
    parts = []
    if trades.count:
        parts.append(f"{plain.counted(trades.count, 'trade')} imported from Manifold "
                     f"({trades.first:%Y-%m-%d} to {trades.last:%Y-%m-%d})")
    if quotes.count:
        parts.append(f"{plain.counted(quotes.count, 'published quote')} of the price")
    grouped = [f"{what} by {found.bins[0].unit}" for what, found in
               (("trades", trades), ("quotes", quotes)) if found.bins]
    suffix = (f" ({' and '.join(grouped)}: each mark is the mean, its tooltip gives the range)"
              if grouped else "")
    return " and ".join(parts) + suffix


# --- Timeline and changes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One thing that happened to a market, for the timeline, the home page and the feeds."""

    kind: str  # candidate, verdict, resolution, replication, quote
    when: dt.datetime | None
    date_text: str  # the date as a reader should read it (may be a month or a year)
    title: str
    text: str
    url: str
    uid: str  # stable id for feed entries
    sort_key: tuple = ()
    recorded: dt.datetime | None = None  # when the tracker recorded it (the feed's <updated>)


UNKNOWN_DATE = "date unknown"


def dated_by_sources(sources_date: str) -> tuple[dt.datetime | None, str]:
    """(when, date text) of something that happened when its sources say: a full date as
    a datetime, a month or a year as words only, nothing given as "date unknown" (never
    the time the tracker recorded it)."""
    if not sources_date:
        return None, UNKNOWN_DATE
    when = (_as_datetime(dt.date.fromisoformat(sources_date)) if len(sources_date) == 10
            else None)
    return when, plain.date_words(sources_date)


def _as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _narrow(rows, limit: int) -> list:
    """The first ``limit`` of an ordered queryset in two steps: their keys (a sort of
    narrow rows, without the joined wide ones), then those rows in that order."""
    ids = list(rows.values_list("pk", flat=True)[:limit])
    found = {row.pk: row for row in rows.filter(pk__in=ids).order_by()}
    return [found[pk] for pk in ids if pk in found]


def candidate_changes(market: Market, limit: int | None = None) -> list[Change]:
    """New candidates: when the tracker took them up (newest first; the newest ``limit``
    when given, read with a LIMIT)."""
    rows = (market.candidacies.exclude(status=Candidacy.Status.DISMISSED)
            .select_related("paper").order_by("-created_at", "-pk"))
    shown: Iterable[Candidacy] = rows if limit is None else _narrow(rows, limit)
    changes = []
    for c in shown:
        when, text = (dated_by_sources(c.sources_date) if c.from_sources
                      else (c.created_at, f"{c.created_at:%Y-%m-%d}"))
        changes.append(Change("candidate", when, text, f"New candidate: {c.paper}",
                              f"{c.paper.title}. {c.task}".strip(), c.paper.get_absolute_url(),
                              f"candidacy-{c.pk}", (c.created_at.timestamp(),),
                              recorded=c.created_at))
    return changes


def verdict_changes(market: Market, viewer=None, limit: int | None = None) -> list[Change]:
    """Each candidacy's current verdict (stored with the time it was computed) and every
    resolution event, newest first. A verdict that changes gets a new entry (its id has
    the time). With ``limit``, the newest ``limit`` of each are read (ORDER BY and LIMIT in
    SQL, hidden verdicts filtered there by the blind-review rule) and of those the newest
    ``limit`` returned."""
    from evaluations.leaderboard import visible_filter

    candidacies = (market.candidacies.select_related("paper", "verdict")
                   .filter(verdict__isnull=False))
    events = (ResolutionEvent.objects.filter(market=market).select_related("actor")
              .prefetch_related("cited__paper"))
    chosen: Iterable[Candidacy] = candidacies
    if limit is not None:
        visible = visible_filter(viewer=viewer, market=market)
        if visible is not None:
            candidacies = candidacies.filter(visible)
        chosen = _narrow(candidacies.order_by("-verdict__computed_at", "-pk"), limit)
        events = events.order_by("-at", "-id")[:limit]
    else:
        events = events.order_by("at", "id")
    rows = list(chosen)
    blind = services.blind_candidacy_ids(viewer=viewer, market=market, candidacies=rows)
    labels = dict(CandidacyVerdict.Outcome.choices)
    changes = []
    for c in rows:
        if c.pk in blind:
            continue
        v = c.verdict
        when, text = (dated_by_sources(v.sources_date) if v.from_sources
                      else (v.computed_at, f"{v.computed_at:%Y-%m-%d}"))
        changes.append(Change(
            "verdict", when, text,
            f"{c.paper}: {labels.get(v.outcome, v.outcome)}",
            f"{plain.counted(v.submitted_count, 'submitted assessment')} by "
            f"{plain.counted(v.adjudicator_count, 'adjudicator')}.",
            c.paper.get_absolute_url(),
            f"verdict-{c.pk}-{v.outcome}-{v.computed_at:%Y%m%d%H%M%S}",
            (v.computed_at.timestamp(),), recorded=v.computed_at))
    for e in events:
        cited = ", ".join(str(c.paper) for c in e.cited.all())
        # Unresolving is the tracker's own act; a resolution is dated as its resolver gave it.
        dated = e.at if e.action == ResolutionEvent.Action.UNRESOLVE \
            else sourced_resolution_date(e)
        changes.append(Change(
            "resolution", dated, f"{dated:%Y-%m-%d}" if dated else UNKNOWN_DATE,
            f"{e.get_action_display()}" + (f", citing {cited}" if cited else ""),
            e.reason, market.get_absolute_url(), f"resolution-{e.pk}", (e.at.timestamp(),),
            recorded=e.at))
    changes.sort(key=lambda c: c.sort_key, reverse=True)
    return changes if limit is None else changes[:limit]


def latest_changes(market: Market, viewer=None, limit: int = 5) -> list[Change]:
    """The home page's few latest changes: each source read with a LIMIT."""
    changes = candidate_changes(market, limit) + verdict_changes(market, viewer, limit)
    changes.sort(key=lambda c: c.sort_key, reverse=True)
    return changes[:limit]


TIMELINE_LENGTH = 20  # entries the market page's timeline shows (the latest)


class Timeline(list):
    """The latest entries of a market's history, oldest first; ``older`` is True when
    there are earlier ones (the page then links to where each kind is listed in full)."""

    older: bool = False
    crowd: Any = None  # the crowd forecaster whose page lists every published quote


def timeline(market: Market, viewer, current: ResolutionEvent | None,
             limit: int | None = None) -> Timeline:
    """A short history as the sources date it: publication of the candidates with a
    verdict, published quotes of the price, replication runs and the resolution; the
    latest ``limit`` of them, oldest first. Each kind is read newest first with a LIMIT of
    ``limit + 1`` (to know whether there is more). Dates known only to the month stay
    months."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Coalesce, NullIf

    from evaluations.forecasts.models import Forecaster, Prediction
    from evaluations.leaderboard import visible_filter
    from replication.models import ReplicationRun

    limit = TIMELINE_LENGTH if limit is None else limit
    labels = dict(CandidacyVerdict.Outcome.choices)
    decided = (market.candidacies.exclude(status=Candidacy.Status.DISMISSED)
               .filter(verdict__outcome__in=["qualifies", "falls_short"])
               .select_related("paper", "verdict")
               .annotate(dated=Coalesce(NullIf("paper__date_text", Value("")),
                                        Cast("paper__published", CharField())))
               .exclude(dated__isnull=True).exclude(dated=""))
    visible = visible_filter(viewer=viewer, market=market)
    if visible is not None:
        decided = decided.filter(visible)
    # What an entry shows (the paper's names, dates and link, the verdict's outcome): not
    # the papers' abstracts and JSON columns, decoded for every row and never shown.
    newest = _narrow(decided.order_by("-dated", "-pk").only(
        "pk", "status", "market_id", "paper__id", "paper__slug", "paper__arxiv_id",
        "paper__title", "paper__short_name", "paper__date_text", "paper__published",
        "verdict__candidacy_id", "verdict__outcome"), limit + 1)
    blind = services.blind_candidacy_ids(viewer=viewer, market=market, candidacies=newest)
    # (sort key, how to build the entry): of the up to 3 x (limit + 1) read, only the
    # shown `limit` are built (each a reverse() and a date in words).
    entries: list[tuple[tuple, Any]] = []

    def candidate(candidacy, text):
        paper = candidacy.paper
        label = labels.get(candidacy.verdict.outcome, candidacy.verdict.outcome)
        return Change("candidate", None, plain.date_words(text), f"{paper} published",
                      f"now {label.lower()}", paper.get_absolute_url(), f"paper-{paper.pk}",
                      plain.date_sort_key(text))

    def quote(p):
        return Change("quote", _as_datetime(p.made_on), plain.date_words(
            f"{p.made_on:%Y-%m-%d}"), f"Price quoted at {p.probability:.0%}",
            p.prediction_set.title, p.prediction_set.get_absolute_url(), f"quote-{p.pk}",
            (p.made_on.year, p.made_on.month, p.made_on.day))

    def replication(run):
        day = run.finished_at.date()
        return Change(
            "replication", run.finished_at, plain.date_words(f"{day:%Y-%m-%d}"),
            f"Replication of {run.spec.candidacy.paper}: {run.verdict}",
            run.spec.title or run.spec.key, run.get_absolute_url(), f"run-{run.pk}",
            (day.year, day.month, day.day))

    for candidacy in newest:
        if candidacy.pk in blind:
            continue
        paper = candidacy.paper
        text = paper.date_text or (f"{paper.published:%Y-%m-%d}" if paper.published else "")
        entries.append((plain.date_sort_key(text), functools.partial(candidate, candidacy, text)))
    crowd = Forecaster.objects.filter(kind=Forecaster.Kind.CROWD).order_by("pk").first()
    for p in (Prediction.objects.filter(market=market,
                                        prediction_set__forecaster__kind=Forecaster.Kind.CROWD)
              .select_related("prediction_set").order_by("-made_on", "-pk")
              .only("made_on", "probability", "prediction_set__title", "prediction_set__slug")
              [:limit + 1]):
        entries.append(((p.made_on.year, p.made_on.month, p.made_on.day),
                        functools.partial(quote, p)))
    for run in (ReplicationRun.objects.filter(spec__candidacy__market=market,
                                              status=ReplicationRun.Status.SUCCEEDED)
                .select_related("spec__candidacy__paper", "result")
                .order_by("-finished_at", "-pk")
                # The run's date, verdict and link, its spec's name and its paper's: not
                # the run's history and provenance, the spec's text or the results JSON.
                .only("finished_at", "status", "spec__key", "spec__title",
                      "spec__candidacy__id", "spec__candidacy__paper__id",
                      "spec__candidacy__paper__title", "spec__candidacy__paper__short_name",
                      "result__id", "result__verdict")[:limit + 1]):
        if run.finished_at is None or run.spec.candidacy is None:
            continue  # never: a succeeded run has finished, and the filter joins the candidacy
        day = run.finished_at.date()
        entries.append(((day.year, day.month, day.day), functools.partial(replication, run)))
    if current is not None and (sourced := sourced_resolution_date(current)) is not None:
        day = sourced.date()
        resolution = Change("resolution", sourced, plain.date_words(f"{day:%Y-%m-%d}"),
                            current.get_action_display(), "", market.get_absolute_url(),
                            f"resolution-{current.pk}", (day.year, day.month, day.day))
        entries.append((resolution.sort_key, lambda: resolution))
    entries.sort(key=lambda entry: entry[0])  # stable: ties keep the order read, as before
    shown = Timeline(build() for _, build in (entries[-limit:] if limit else []))
    shown.older = len(entries) > limit
    shown.crowd = crowd
    return shown


def feed_urls(market: Market) -> dict[str, str]:
    return {
        "candidates": reverse("tracker:feed-candidates", args=[market.slug]),
        "changes": reverse("tracker:feed-changes", args=[market.slug]),
    }


def latest_replications(candidacy_ids) -> dict[int, dict[str, Any]]:
    """Per candidacy, its latest succeeded run: verdict, link and what it tests (one query)."""
    from replication.models import ReplicationResult

    found: dict[int, dict[str, Any]] = {}
    for result in (ReplicationResult.objects.filter(run__spec__candidacy_id__in=list(candidacy_ids),
                                                    run__status="succeeded")
                   .select_related("run__spec").order_by("-run__finished_at", "-pk")
                   # What the row shows: not the run's history and provenance, the spec's
                   # config or the result's artifacts (JSON decoded for every run, unused).
                   .only("verdict", "results", "run__id", "run__spec__candidacy_id",
                         "run__spec__note")):
        candidacy_id = result.run.spec.candidacy_id
        if candidacy_id is not None and candidacy_id not in found:  # never None: filtered
            found[candidacy_id] = {
                "run_id": result.run_id, "verdict": result.verdict,
                "url": result.run.get_absolute_url(), "scope": scope_of(result.results),
                "note": result.run.spec.note,
            }
    return found
