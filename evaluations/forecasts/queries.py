"""Read-side summaries of scores, shared by the pages, the API, the CSV and the command.

Per-prediction scores are stored (computed by the scoring service through
``evaluations.scoring``); aggregates are computed here from them with the same module, so
every place that shows a figure shows the same one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db.models import Count, Prefetch, QuerySet

from evaluations import scoring
from evaluations.forecasts.conf import pseudo_count
from evaluations.forecasts.models import Forecaster, Prediction, PredictionSet, Score


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


@dataclass
class ForecasterRow:
    forecaster: Forecaster
    summary: ScoreSummary = field(default_factory=ScoreSummary)


_SCORE_COLUMNS = [
    "prediction_id", "forecaster_id", "set_id", "probability", "happened", "brier",
    "log_score", "points", "market_id", "made_on",
]


def score_frame(scores: QuerySet[Score] | None = None) -> pd.DataFrame:
    """One row per stored score, with the prediction's forecaster, set, market and date."""
    rows = (scores if scores is not None else Score.objects.all()).values_list(
        "prediction_id", "prediction__prediction_set__forecaster_id",
        "prediction__prediction_set_id", "prediction__probability", "happened", "brier",
        "log_score", "points", "prediction__market_id", "prediction__made_on",
    )
    return pd.DataFrame.from_records(list(rows), columns=_SCORE_COLUMNS)


def _skill_vs_crowd(frame: pd.DataFrame, crowd_ids: set[int]) -> dict[int, tuple[float, int]]:
    """Per non-crowd forecaster: Brier skill against the crowd on shared market events.

    Each prediction linked to a market is paired with the crowd's latest prediction on the
    same market made on or before it (or, failing that, the crowd's earliest).
    """
    linked = frame[frame["market_id"].notna()]
    crowd = linked[linked["forecaster_id"].isin(crowd_ids)].sort_values("made_on")
    mine = linked[~linked["forecaster_id"].isin(crowd_ids)]
    result: dict[int, tuple[float, int]] = {}
    if crowd.empty or mine.empty:
        return result
    pairs: dict[int, list[tuple[float, bool, float]]] = {}
    for row in mine.itertuples(index=False):
        same = crowd[crowd["market_id"] == row.market_id]
        if same.empty:
            continue
        before = same[same["made_on"] <= row.made_on]
        reference = (before.iloc[-1] if not before.empty else same.iloc[0])["probability"]
        pairs.setdefault(row.forecaster_id, []).append(
            (row.probability, bool(row.happened), float(reference))
        )
    for forecaster_id, rows in pairs.items():
        p, y, ref = (np.array(column) for column in zip(*rows, strict=True))
        result[forecaster_id] = (scoring.brier_skill_score(p, y.astype(bool), ref), len(rows))
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


def forecaster_rows(sort: str = DEFAULT_SORT) -> list[ForecasterRow]:
    """The leaderboard: every forecaster with the aggregates of their resolved predictions.

    ``sort`` is a key of SORT_KEYS, optionally prefixed with '-' for descending order;
    forecasters without a value for the key (nothing resolved) always come last.
    """
    forecasters = list(
        Forecaster.objects.annotate(n_predictions=Count("prediction_sets__predictions"))
    )
    frame = score_frame()
    crowd_ids = {f.pk for f in forecasters if f.kind == Forecaster.Kind.CROWD}
    vs_crowd = _skill_vs_crowd(frame, crowd_ids)
    groups = dict(tuple(frame.groupby("forecaster_id"))) if not frame.empty else {}
    rows = []
    for forecaster in forecasters:
        scores = groups.get(forecaster.pk, frame.iloc[0:0])
        summary = ScoreSummary.of(scores, forecaster.n_predictions)
        if forecaster.pk in vs_crowd:
            skill, n_shared = vs_crowd[forecaster.pk]
            summary.skill_vs_crowd, summary.n_vs_crowd = _nan_to_none(skill), n_shared
        rows.append(ForecasterRow(forecaster, summary))
    return sort_rows(rows, sort)


def sort_rows(rows: list[ForecasterRow], sort: str) -> list[ForecasterRow]:
    descending = sort.startswith("-")
    key = SORT_KEYS.get(sort.lstrip("-"), SORT_KEYS[DEFAULT_SORT])
    present = [row for row in rows if key(row) is not None]
    missing = [row for row in rows if key(row) is None]
    present.sort(key=lambda row: row.forecaster.name.casefold())
    present.sort(key=key, reverse=descending)  # stable: ties stay in name order
    return present + sorted(missing, key=lambda row: row.forecaster.name)


def forecaster_row(forecaster: Forecaster) -> ForecasterRow:
    for row in forecaster_rows():
        if row.forecaster.pk == forecaster.pk:
            return row
    raise LookupError(forecaster.slug)


def set_summary(prediction_set: PredictionSet) -> ScoreSummary:
    frame = score_frame(Score.objects.filter(prediction__prediction_set=prediction_set))
    return ScoreSummary.of(frame, prediction_set.predictions.count())


def predictions_with_scores(**filters) -> QuerySet[Prediction]:
    return (
        Prediction.objects.filter(**filters)
        .select_related("prediction_set__forecaster", "market", "candidacy__paper", "score")
        .order_by("-prediction_set__published_on", "prediction_set__slug", "position")
    )


def forecaster_sets(forecaster: Forecaster) -> QuerySet[PredictionSet]:
    return forecaster.prediction_sets.prefetch_related(
        Prefetch("predictions", queryset=Prediction.objects.select_related("score", "market"))
    )


def calibration(forecaster: Forecaster | None = None, bins: int = 10) -> pd.DataFrame:
    scores = Score.objects.all()
    if forecaster is not None:
        scores = scores.filter(prediction__prediction_set__forecaster=forecaster)
    pairs = list(scores.values_list("prediction__probability", "happened"))
    p = np.array([pair[0] for pair in pairs], dtype=np.float64)
    y = np.array([pair[1] for pair in pairs], dtype=bool)
    return scoring.calibration_table(p, y, bins=bins)


def murphy(forecaster: Forecaster) -> scoring.MurphyDecomposition:
    pairs = list(
        Score.objects.filter(prediction__prediction_set__forecaster=forecaster)
        .values_list("prediction__probability", "happened")
    )
    p = np.array([pair[0] for pair in pairs], dtype=np.float64)
    y = np.array([pair[1] for pair in pairs], dtype=bool)
    return scoring.murphy_decomposition(p, y)


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
