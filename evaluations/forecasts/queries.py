"""Read-side summaries of scores, shared by the pages, the API, the CSV and the command.

Per-prediction scores are stored (computed by the scoring service through
``evaluations.scoring``); aggregates are computed here from them with the same module, so
every place that shows a figure shows the same one.

Per-forecaster aggregates (the leaderboard row, calibration bins, Murphy's decomposition)
are computed when scores change and stored in ``ForecasterStats`` (``store_stats``, called
by the scoring service); pages read those rows, sorted and paginated in SQL, because
aggregating 100,000 scores per request costs seconds while the scores change only when a
re-score runs. Per prediction-set figures cover ~50 rows and are aggregated in SQL per
request.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db.models import Avg, Count, Expression, F, QuerySet, Sum
from django.db.models.functions import Coalesce, Lower

from evaluations import scoring
from evaluations.forecasts.conf import pseudo_count
from evaluations.forecasts.models import (
    Forecaster,
    ForecasterStats,
    Prediction,
    PredictionSet,
    Score,
)

CALIBRATION_BINS = 10


def _nan_to_none(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


@dataclass
class ScoreSummary:
    """Aggregates over a group of resolved (yes/no) predictions."""

    n_predictions: int = 0
    n_resolved: int = 0
    brier: float | None = None  # mean, 0-1 scale, lower is better
    log_score: float | None = None  # mean natural log, higher is better
    points: float | None = None  # sum of Casper points (not a proper rule)
    shrunk_brier: float | None = None  # mean Brier with pseudo-forecasts at 0.25
    skill_vs_uniform: float | None = None  # 1 - Brier / 0.25
    skill_vs_crowd: float | None = None  # on events the market crowd also forecast
    n_vs_crowd: int = 0

    @classmethod
    def of(cls, scores: pd.DataFrame, n_predictions: int) -> ScoreSummary:
        n = len(scores)
        summary = cls(n_predictions=n_predictions, n_resolved=n)
        if n:
            summary.shrunk_brier = scoring.shrunk_mean(
                scores["brier"].to_numpy(), prior=scoring.UNIFORM_BRIER,
                pseudo_count=pseudo_count(),
            )
            p = scores["probability"].to_numpy()
            y = scores["happened"].to_numpy(dtype=bool)
            summary.brier = float(scores["brier"].mean())
            summary.log_score = float(scores["log_score"].mean())
            summary.points = float(scores["points"].sum())
            summary.skill_vs_uniform = _nan_to_none(scoring.brier_skill_score(p, y, 0.5))
        return summary


@dataclass(frozen=True)
class CalibrationHalf:
    """The forecasts on one side of 50%: how many, how many happened, their mean."""

    label: str  # "50% or more", "under 50%"
    n: int
    happened: int
    mean_forecast: float


def calibration_halves(table: list[list[float]] | None) -> list[CalibrationHalf]:
    """A forecaster's stored 10% bins ([forecasts, happened, sum of probabilities]) folded
    into the two halves a reader compares at a glance on the leaderboard: of what they
    called likely, how much happened; of what they called unlikely, how much did."""
    halves = []
    for label, bins in (("50% or more", (table or [])[5:]), ("under 50%", (table or [])[:5])):
        n = int(sum(b[0] for b in bins))
        if n:
            halves.append(CalibrationHalf(label, n, int(sum(b[1] for b in bins)),
                                          sum(b[2] for b in bins) / n))
    return halves


@dataclass
class ForecasterRow:
    forecaster: Forecaster
    summary: ScoreSummary = field(default_factory=ScoreSummary)
    calibration: list[CalibrationHalf] = field(default_factory=list)
    frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    """The scores the row was computed from (``compute_rows`` only)."""


_SCORE_COLUMNS = [
    "prediction_id", "forecaster_id", "set_id", "probability", "happened", "brier",
    "log_score", "points", "market_id", "made_on",
]


def score_frame(scores: QuerySet[Score] | None = None) -> pd.DataFrame:
    """One row per stored score, with the prediction's forecaster, set, market and date."""
    rows = (scores if scores is not None else Score.objects.all()).order_by().values_list(
        "prediction_id", "prediction__prediction_set__forecaster_id",
        "prediction__prediction_set_id", "prediction__probability", "happened", "brier",
        "log_score", "points", "prediction__market_id", "prediction__made_on",
    )
    return pd.DataFrame.from_records(list(rows), columns=_SCORE_COLUMNS)


def _skill_vs_crowd(frame: pd.DataFrame, crowd_ids: set[int]) -> dict[int, tuple[float, int]]:
    """Per non-crowd forecaster: Brier skill against the crowd on shared market events.

    Each prediction linked to a market is paired with the crowd's latest prediction on the
    same market made on or before it (or, failing that, the crowd's earliest). One
    as-of merge per market side, not a filter per row.
    """
    linked = frame[frame["market_id"].notna()]
    crowd = linked[linked["forecaster_id"].isin(crowd_ids)]
    mine = linked[~linked["forecaster_id"].isin(crowd_ids)]
    result: dict[int, tuple[float, int]] = {}
    if crowd.empty or mine.empty:
        return result
    mine = mine[mine["market_id"].isin(set(crowd["market_id"]))]
    if mine.empty:
        return result

    def keyed(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.assign(made_on=pd.to_datetime(rows["made_on"]),
                           market_id=rows["market_id"].astype("int64"))
        return rows.sort_values("made_on", kind="stable")

    # Within a day the crowd's later rows win, as in a stable sort by date ("iloc[-1]").
    crowd = keyed(crowd[["market_id", "made_on", "probability"]]).rename(
        columns={"probability": "reference"})
    mine = keyed(mine[["forecaster_id", "market_id", "made_on", "probability", "happened"]])
    paired = pd.merge_asof(mine, crowd, on="made_on", by="market_id", direction="backward")
    earliest = crowd.groupby("market_id")["reference"].first()
    missing = paired["reference"].isna()
    paired.loc[missing, "reference"] = paired.loc[missing, "market_id"].map(earliest)
    for forecaster_id, rows in paired.groupby("forecaster_id"):
        skill = scoring.brier_skill_score(
            rows["probability"].to_numpy(dtype=np.float64),
            rows["happened"].to_numpy(dtype=bool), rows["reference"].to_numpy(dtype=np.float64),
        )
        result[int(forecaster_id)] = (skill, len(rows))
    return result


SORT_KEYS = {
    "name": lambda row: row.forecaster.name.casefold(),
    "n": lambda row: row.summary.n_resolved,
    "brier": lambda row: row.summary.brier,
    "shrunk": lambda row: row.summary.shrunk_brier,
    "log": lambda row: row.summary.log_score,
    "points": lambda row: row.summary.points,
}
DEFAULT_SORT = "shrunk"


def compute_rows(forecaster_ids: set[int] | None = None) -> list[ForecasterRow]:
    """Leaderboard rows computed from the stored scores (all forecasters, or those given),
    unsorted. The crowd's scores are always read: skill vs the crowd needs them."""
    forecasters = Forecaster.objects.order_by().annotate(
        n_predictions=Count("prediction_sets__predictions"))
    if forecaster_ids is not None:
        forecasters = forecasters.filter(pk__in=forecaster_ids)
    listed = list(forecasters)  # read before the scores, as the rows are built from both
    crowd_ids = set(Forecaster.objects.filter(kind=Forecaster.Kind.CROWD)
                    .values_list("pk", flat=True))
    scores = Score.objects.all()
    if forecaster_ids is not None:
        scores = scores.filter(
            prediction__prediction_set__forecaster_id__in=set(forecaster_ids) | crowd_ids)
    frame = score_frame(scores)
    vs_crowd = _skill_vs_crowd(frame, crowd_ids)
    groups = dict(tuple(frame.groupby("forecaster_id"))) if not frame.empty else {}
    rows = []
    for forecaster in listed:
        scores_of = groups.get(forecaster.pk, frame.iloc[0:0])
        summary = ScoreSummary.of(scores_of, forecaster.n_predictions)
        if forecaster.pk in vs_crowd:
            skill, n_shared = vs_crowd[forecaster.pk]
            summary.skill_vs_crowd, summary.n_vs_crowd = _nan_to_none(skill), n_shared
        rows.append(ForecasterRow(forecaster, summary, frame=scores_of))
    return rows


def store_stats(forecaster_ids: set[int] | None = None) -> int:
    """Recompute and store the figures of these forecasters (all when None). A change to
    the crowd's scores moves everyone's skill vs the crowd, so it recomputes everyone."""
    if forecaster_ids is not None:
        crowd = Forecaster.objects.filter(pk__in=forecaster_ids, kind=Forecaster.Kind.CROWD)
        if crowd.exists():
            forecaster_ids = None
    rows = compute_rows(forecaster_ids)
    stats = []
    for row in rows:
        s, frame = row.summary, row.frame
        assert frame is not None  # compute_rows attaches every row's scores
        p = frame["probability"].to_numpy(dtype=np.float64)
        y = frame["happened"].to_numpy(dtype=bool)
        index = np.minimum((p * CALIBRATION_BINS).astype(np.intp), CALIBRATION_BINS - 1)
        bins = np.stack([
            np.bincount(index, minlength=CALIBRATION_BINS),
            np.bincount(index, weights=y, minlength=CALIBRATION_BINS),
            np.bincount(index, weights=p, minlength=CALIBRATION_BINS),
        ], axis=1)
        murphy = scoring.murphy_decomposition(p, y)._asdict() if len(p) else None
        by_day = frame.groupby("made_on")["brier"].agg(["size", "sum"]).sort_index()
        stats.append(ForecasterStats(
            forecaster_id=row.forecaster.pk, n_resolved=s.n_resolved, brier=s.brier,
            log_score=s.log_score, points=s.points, shrunk_brier=s.shrunk_brier,
            skill_vs_uniform=s.skill_vs_uniform, skill_vs_crowd=s.skill_vs_crowd,
            n_vs_crowd=s.n_vs_crowd,
            calibration=[[int(n), int(h), float(sp)] for n, h, sp in bins.tolist()],
            murphy=murphy,
            over_time=[[day.isoformat(), int(n), float(total)]
                       for day, n, total in by_day.itertuples()],
        ))
    ids = [row.forecaster.pk for row in rows]
    ForecasterStats.objects.filter(forecaster_id__in=ids).delete()
    ForecasterStats.objects.bulk_create(stats)
    return len(stats)


SORT_FIELDS: dict[str, Expression | F] = {
    "name": Lower("name"),
    "n": Coalesce("stats__n_resolved", 0),
    "brier": F("stats__brier"),
    "shrunk": F("stats__shrunk_brier"),
    "log": F("stats__log_score"),
    "points": F("stats__points"),
}


def forecaster_rows(sort: str = DEFAULT_SORT) -> QuerySet[Forecaster]:
    """The leaderboard in SQL order, for a paginator: ``sort`` is a key of SORT_KEYS,
    optionally prefixed with '-'; forecasters without a value (nothing resolved) come
    last; ties in name order. Each row carries its stored stats; ``rows_of`` turns a page
    of them into rows (prediction counts are read for that page only)."""
    field = SORT_FIELDS.get(sort.lstrip("-"), SORT_FIELDS[DEFAULT_SORT])
    order = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
    return Forecaster.objects.select_related("stats").order_by(order, Lower("name"), "pk")


def rows_of(forecasters) -> list[ForecasterRow]:
    """Leaderboard rows of a page of ``forecaster_rows``: one query for their prediction
    counts (not a count over every prediction to sort the whole table)."""
    forecasters = list(forecasters)
    counts = dict(
        Prediction.objects.filter(prediction_set__forecaster__in=forecasters).order_by()
        .values("prediction_set__forecaster_id").annotate(n=Count("pk"))
        .values_list("prediction_set__forecaster_id", "n")
    )
    return [row_of(forecaster, n_predictions=counts.get(forecaster.pk, 0))
            for forecaster in forecasters]


def row_of(forecaster: Forecaster, n_predictions: int | None = None) -> ForecasterRow:
    """A leaderboard row from the stored stats (empty when never scored), with
    ``n_predictions`` when the caller counted them (``rows_of``, a page), else counted."""
    n = n_predictions
    if n is None:
        n = Prediction.objects.filter(prediction_set__forecaster=forecaster).count()
    stats = getattr(forecaster, "stats", None) if _has_stats(forecaster) else None
    summary = ScoreSummary(n_predictions=n)
    if stats is not None:
        for name in ("n_resolved", "brier", "log_score", "points", "shrunk_brier",
                     "skill_vs_uniform", "skill_vs_crowd", "n_vs_crowd"):
            setattr(summary, name, getattr(stats, name))
    return ForecasterRow(forecaster, summary,
                         calibration_halves(stats.calibration if stats else None))


def _has_stats(forecaster: Forecaster) -> bool:
    try:
        forecaster.stats  # noqa: B018 - a select_related or one query
    except ForecasterStats.DoesNotExist:
        return False
    return True


def forecaster_row(forecaster: Forecaster, n_predictions: int | None = None) -> ForecasterRow:
    return row_of(forecaster, n_predictions)


def sort_rows(rows: list[ForecasterRow], sort: str) -> list[ForecasterRow]:
    """Python order of computed rows, the same as ``forecaster_rows``' SQL order."""
    descending = sort.startswith("-")
    key = SORT_KEYS.get(sort.lstrip("-"), SORT_KEYS[DEFAULT_SORT])
    present = [row for row in rows if key(row) is not None]
    missing = [row for row in rows if key(row) is None]
    present.sort(key=lambda row: row.forecaster.name.casefold())
    present.sort(key=key, reverse=descending)  # stable: ties stay in name order
    return present + sorted(missing, key=lambda row: row.forecaster.name.casefold())


def set_summary(prediction_set: PredictionSet) -> ScoreSummary:
    """The set's figures, aggregated in SQL (one query)."""
    figures = Prediction.objects.filter(prediction_set=prediction_set).order_by().aggregate(
        n=Count("pk"), resolved=Count("score"), brier=Avg("score__brier"),
        log_score=Avg("score__log_score"), points=Sum("score__points"),
    )
    return ScoreSummary(
        n_predictions=figures["n"], n_resolved=figures["resolved"], brier=figures["brier"],
        log_score=figures["log_score"], points=figures["points"] if figures["resolved"] else None,
    )


def predictions_with_scores(**filters) -> QuerySet[Prediction]:
    return (
        Prediction.objects.filter(**filters)
        .select_related("prediction_set__forecaster", "market", "candidacy__paper", "score")
        .order_by("-prediction_set__published_on", "prediction_set__slug", "position")
    )


def brier_by_period(forecaster: Forecaster, period: str = "day") -> list[tuple]:
    """(date, resolved predictions, sum of their Brier scores) per date the forecaster's
    resolved predictions were made (``period="day"``) or per week (the week's Monday),
    oldest first: one GROUP BY in SQL."""
    from django.db.models.functions import TruncWeek

    key = F("prediction__made_on") if period == "day" else TruncWeek("prediction__made_on")
    return [
        (day.date() if isinstance(day, dt.datetime) else day, n, total)
        for day, n, total in Score.objects.filter(prediction__prediction_set__forecaster=forecaster)
        .order_by().annotate(period=key).values("period")
        .annotate(n=Count("pk"), total=Sum("brier")).order_by("period")
        .values_list("period", "n", "total")
    ]


def stored_brier_by_period(forecaster: Forecaster, period: str = "day") -> list[tuple]:
    """``brier_by_period`` from the forecaster's stored figures (``ForecasterStats.over_time``,
    per date; weeks summed here): no score is read. Computed from the scores when the
    forecaster has no stored series yet (a row stored before the field existed)."""
    try:
        days = forecaster.stats.over_time
    except ForecasterStats.DoesNotExist:
        days = None
    if days is None:
        return brier_by_period(forecaster, period)
    periods: dict[dt.date, list[float]] = {}
    for iso, n, total in days:
        day = dt.date.fromisoformat(iso)
        if period != "day":
            day -= dt.timedelta(days=day.weekday())  # the week's Monday, as TruncWeek
        slot = periods.setdefault(day, [0, 0.0])
        slot[0] += n
        slot[1] += total
    return [(day, int(n), total) for day, (n, total) in sorted(periods.items())]


def calibration(forecaster: Forecaster | None = None, bins: int = 10) -> pd.DataFrame:
    """The calibration table from the stored per-forecaster bins (summed over everyone
    when ``forecaster`` is None); ``bins`` other than the stored 10 recompute from scores."""
    if bins != CALIBRATION_BINS:
        scores = Score.objects.order_by()
        if forecaster is not None:
            scores = scores.filter(prediction__prediction_set__forecaster=forecaster)
        pairs = list(scores.values_list("prediction__probability", "happened"))
        p = np.array([pair[0] for pair in pairs], dtype=np.float64)
        y = np.array([pair[1] for pair in pairs], dtype=bool)
        return scoring.calibration_table(p, y, bins=bins)
    stats = ForecasterStats.objects.order_by()
    if forecaster is not None:
        stats = stats.filter(forecaster=forecaster)
    totals = np.zeros((CALIBRATION_BINS, 3))
    for table in stats.values_list("calibration", flat=True):
        if table:
            totals += np.array(table, dtype=np.float64)
    counts, happened, sums = totals[:, 0], totals[:, 1], totals[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_forecast = np.where(counts > 0, sums / counts, np.nan)
        observed = np.where(counts > 0, happened / counts, np.nan)
    low, high = scoring.wilson_interval(happened, counts)
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    return pd.DataFrame({
        "bin_low": edges[:-1], "bin_high": edges[1:], "n": counts.astype(np.int64),
        "happened": happened.astype(np.int64), "mean_forecast": mean_forecast,
        "observed_rate": observed, "ci_low": low, "ci_high": high,
    })


def murphy(forecaster: Forecaster) -> scoring.MurphyDecomposition:
    stored = ForecasterStats.objects.filter(forecaster=forecaster).values_list(
        "murphy", flat=True).first()
    if not stored:
        nan = float("nan")
        return scoring.MurphyDecomposition(nan, nan, nan, nan, nan)
    return scoring.MurphyDecomposition(**stored)


def summary_dict(row: ForecasterRow, *, digits: int = 6) -> dict:
    """The JSON shape of a leaderboard row, for the API and `score_predictions`."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, digits)

    s = row.summary
    return {
        "slug": row.forecaster.slug,
        "name": row.forecaster.name,
        "kind": row.forecaster.kind,
        "url": row.forecaster.url,
        "n_predictions": s.n_predictions,
        "n_resolved": s.n_resolved,
        "brier": rounded(s.brier),
        "log_score": rounded(s.log_score),
        "points": rounded(s.points),
        "shrunk_brier": rounded(s.shrunk_brier),
        "brier_skill_vs_uniform": rounded(s.skill_vs_uniform),
        "brier_skill_vs_crowd": rounded(s.skill_vs_crowd),
        "n_shared_with_crowd": s.n_vs_crowd,
    }
