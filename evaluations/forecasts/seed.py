"""Seed of forecasts: forecasters, their published prediction sets, predictions and outcomes.

Runs after the catalogue seed (markets and papers exist) inside `load_seed`'s transaction.
Upserts by natural keys (forecaster slug, set slug, set + position); scores are then
rebuilt through the scoring service, so the figures shown are the ones it computes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from evaluations.forecasts.models import Forecaster, Prediction, PredictionSet
from evaluations.forecasts.services import (
    do_rescore,
    outcome_from_market,
    stale_prediction_ids,
)
from tracker.models import Market, Paper
from tracker.seeding import SeedError, read_fixture, require, upsert

FIXTURE = "forecasts.json"


def load(seed_dir: Path) -> None:
    data = read_fixture(seed_dir, FIXTURE)
    touched: list[int] = []
    forecasters = {}
    for index, record in enumerate(data.get("forecasters", [])):
        where = f"{FIXTURE} forecasters[{index}] ({record.get('slug')!r})"
        forecasters[record.get("slug")] = _load_forecaster(record, where)
    for index, record in enumerate(data.get("prediction_sets", [])):
        where = f"{FIXTURE} prediction_sets[{index}] ({record.get('slug')!r})"
        touched += _load_set(record, forecasters, where)
    # Re-score only what changed or lacks a matching score, so a re-load writes nothing.
    stale = set(touched) | set(stale_prediction_ids(Prediction.objects.filter(
        prediction_set__slug__in=[r.get("slug") for r in data.get("prediction_sets", [])]
    )))
    if stale:
        do_rescore(Prediction.objects.filter(pk__in=stale))


def _date(value: str | None, where: str, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise SeedError(f"{where}: {field} {value!r} is not YYYY-MM-DD.") from None


def _by_slug(model, slug: str | None, where: str, what: str):
    if not slug:
        return None
    found = model.objects.filter(slug=slug).first()
    if found is None:
        raise SeedError(f"{where}: unknown {what} {slug!r}.")
    return found


def _load_forecaster(record: dict[str, Any], where: str) -> Forecaster:
    values = {
        "name": require(record, "name", where),
        "kind": require(record, "kind", where),
        "url": record.get("url") or "",
        "handle": record.get("handle") or "",
        "description": record.get("description") or "",
        "source_urls": record.get("source_urls") or [],
    }
    return upsert(Forecaster, {"slug": require(record, "slug", where)}, values, where)


def _load_set(
    record: dict[str, Any], forecasters: dict[str, Forecaster], where: str
) -> list[int]:
    forecaster_slug = require(record, "forecaster", where)
    forecaster = forecasters.get(forecaster_slug) or _by_slug(
        Forecaster, forecaster_slug, where, "forecaster"
    )
    values = {
        "forecaster": forecaster,
        "title": require(record, "title", where),
        "published_on": _date(require(record, "published_on", where), where, "published_on"),
        "source_url": record.get("source_url") or "",
        "about": record.get("about") or "",
        "about_paper": _by_slug(Paper, record.get("about_paper"), where, "paper"),
        "about_market": _by_slug(Market, record.get("about_market"), where, "market"),
        "scoring_rule_note": record.get("scoring_rule_note") or "",
        "reported_points": record.get("reported_points"),
        "notes": record.get("notes") or "",
    }
    prediction_set = upsert(
        PredictionSet, {"slug": require(record, "slug", where)}, values, where
    )
    ids = []
    for index, item in enumerate(record.get("predictions", [])):
        item_where = f"{where} predictions[{index}] (position {item.get('position')!r})"
        prediction = _load_prediction(prediction_set, item, item_where)
        if prediction._seed_changed:
            ids.append(prediction.pk)
    return ids


def _load_prediction(prediction_set: PredictionSet, record: dict[str, Any], where: str):
    probability = require(record, "probability", where)
    if isinstance(probability, bool) or not isinstance(probability, int | float):
        raise SeedError(f"{where}: probability {probability!r} is not a number.")
    if not 0.0 <= probability <= 1.0:
        raise SeedError(f"{where}: probability {probability!r} is not in [0, 1].")
    outcome = record.get("outcome") or Prediction.Outcome.PENDING
    if outcome not in Prediction.Outcome.values:
        raise SeedError(f"{where}: unknown outcome {outcome!r}.")
    values = {
        "statement": require(record, "statement", where),
        "probability": float(probability),
        "made_on": _date(require(record, "made_on", where), where, "made_on"),
        "resolves_by": _date(record.get("resolves_by"), where, "resolves_by"),
        "market": _by_slug(Market, record.get("market"), where, "market"),
        "outcome": outcome,
        "outcome_evidence": record.get("outcome_evidence") or "",
        "outcome_date": _date(record.get("outcome_date"), where, "outcome_date"),
        "outcome_inferred": bool(record.get("outcome_inferred")),
        "notes": record.get("notes") or "",
    }
    existing = Prediction.objects.filter(
        prediction_set=prediction_set, position=require(record, "position", where)
    ).select_related("market").first()
    # A market that has resolved since owns the outcome of its linked predictions.
    if (
        existing is not None
        and existing.market is not None
        and outcome_from_market(existing.market) is not None
    ):
        for key in ("outcome", "outcome_evidence", "outcome_date", "outcome_inferred"):
            values[key] = getattr(existing, key)
    return upsert(
        Prediction,
        {"prediction_set": prediction_set, "position": record["position"]},
        values,
        where,
    )
