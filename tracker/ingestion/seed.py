"""Seed of the saved arXiv searches and the triage profile of a market.

Loaded from `seed/arxiv_searches.json` at the end of tracker.seed.load. Shipped fields
(query, categories, terms) are brought up to date; what operators own in the admin (the
`active` flags, run times) is set only when the record is created. Loading twice changes
nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from tracker.models import Market, SavedSearch, TriageProfile
from tracker.seeding import SeedError, read_fixture, require

FIXTURE = "arxiv_searches.json"


def load_searches(market: Market, seed_dir: Path) -> None:
    if not (seed_dir / FIXTURE).exists():
        return
    data = read_fixture(seed_dir, FIXTURE)
    slug = require(data, "market", FIXTURE)
    if slug != market.slug:
        raise SeedError(f"{FIXTURE}: market {slug!r} is not the seeded market {market.slug!r}.")
    if "triage_profile" in data:
        _load_profile(market, data["triage_profile"], f"{FIXTURE} triage_profile")
    names = set()
    for index, record in enumerate(data.get("searches", [])):
        where = f"{FIXTURE} searches[{index}] ({record.get('name')!r})"
        name = require(record, "name", where)
        if name in names:
            raise SeedError(f"{where}: the name is used twice.")
        names.add(name)
        _load_search(market, record, where)


def _strings(record: dict[str, Any], field: str, where: str) -> list[str]:
    value = record.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise SeedError(f"{where}: {field!r} must be a list of non-empty strings.")
    return value


def _save_if_changed(instance, values: dict[str, Any], where: str) -> None:
    if instance.pk and all(getattr(instance, k) == v for k, v in values.items()):
        return
    for key, value in values.items():
        setattr(instance, key, value)
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise SeedError(f"{where}: {'; '.join(exc.messages)}") from None
    instance.save()


def _load_profile(market: Market, record: dict[str, Any], where: str) -> None:
    threshold = record.get("threshold", 0.5)
    if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise SeedError(f"{where}: 'threshold' must be a number from 0 to 1.")
    values = {
        "threshold": float(threshold),
        "method_terms": _strings(record, "method_terms", where),
        "baseline_terms": _strings(record, "baseline_terms", where),
        "task_terms": _strings(record, "task_terms", where),
    }
    if not values["method_terms"]:
        raise SeedError(f"{where}: 'method_terms' cannot be empty.")
    profile = TriageProfile.objects.filter(market=market).first() or TriageProfile(market=market)
    _save_if_changed(profile, values, where)


def _load_search(market: Market, record: dict[str, Any], where: str) -> None:
    categories = _strings(record, "categories", where)
    max_results = record.get("max_results", 200)
    if not isinstance(max_results, int) or max_results < 1:
        raise SeedError(f"{where}: 'max_results' must be a positive integer.")
    values = {
        "description": record.get("description", ""),
        "query": require(record, "query", where),
        "categories": categories,
        "max_results": max_results,
    }
    search = SavedSearch.objects.filter(market=market, name=record["name"]).first()
    if search is None:
        search = SavedSearch(market=market, name=record["name"], active=record.get("active", True))
    _save_if_changed(search, values, where)
