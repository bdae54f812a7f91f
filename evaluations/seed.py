"""Seed of adjudication: the market creator as the first adjudicator, his published
judgements as submitted assessments, and the market's resolution, all through the
services (so the seed obeys the same rules as the admin). Loading twice changes nothing.

The creator co-wrote the refusal-direction paper, so the conflict-of-interest rule blocks
him from assessing it. The fixture transcribes his *published* ruling on it with an
explicit, public `conflict_waiver`; the service accepts a waiver only on a transcription
that names its source. See seed/adjudication.json.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError

from evaluations import services
from evaluations.models import AdjudicatorProfile, Assessment
from tracker.models import Candidacy, Market
from tracker.seeding import SeedError, read_fixture, require

FIXTURE = "adjudication.json"

# What the creator's labels mean for the tracker's three-valued verdict.
PUBLISHED_TO_VERDICT = {
    "qualifies": "qualifies",
    "runner_up": "falls_short",
    "falls_short": "falls_short",
}


def load(seed_dir: Path) -> None:
    data = read_fixture(seed_dir, FIXTURE)
    users = {}
    for index, record in enumerate(data.get("adjudicators", [])):
        where = f"{FIXTURE} adjudicators[{index}] ({record.get('username')!r})"
        users[require(record, "username", where)] = _load_adjudicator(record, where)
    defaults = data.get("defaults", {})
    for index, record in enumerate(data.get("judgements", [])):
        where = f"{FIXTURE} judgements[{index}] ({record.get('paper')!r})"
        _load_judgement(record, defaults, users, where)
    if "resolution" in data:
        _load_resolution(data["resolution"], users, f"{FIXTURE} resolution")


def _load_adjudicator(record: dict[str, Any], where: str) -> User:
    username = require(record, "username", where)
    names = {"first_name": record.get("first_name", ""), "last_name": record.get("last_name", "")}
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, is_staff=True, **names)
        user.set_unusable_password()
        user.save()
    elif any(getattr(user, k) != v for k, v in names.items()) or not user.is_staff:
        for key, value in names.items():
            setattr(user, key, value)
        user.is_staff = True
        user.save(update_fields=[*names, "is_staff"])
    for group_name in record.get("groups", []):
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            raise SeedError(f"{where}: no group {group_name!r} (run the migrations).")
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
    publishes_as = record.get("publishes_as", [])
    profile = AdjudicatorProfile.objects.filter(user=user).first()
    if profile is None:
        AdjudicatorProfile.objects.create(user=user, publishes_as=publishes_as)
    elif profile.publishes_as != publishes_as:
        profile.publishes_as = publishes_as
        profile.save(update_fields=["publishes_as"])
    return User.objects.get(pk=user.pk)  # fresh: no stale permission caches


def _load_judgement(record: dict[str, Any], defaults: dict[str, Any],
                    users: dict[str, User], where: str) -> None:
    market_slug = require(record, "market", where)
    paper_slug = require(record, "paper", where)
    candidacy = (
        Candidacy.objects.select_related("market", "paper")
        .filter(market__slug=market_slug, paper__slug=paper_slug).first()
    )
    if candidacy is None:
        raise SeedError(f"{where}: no candidacy of paper {paper_slug!r} in {market_slug!r}.")
    adjudicator = _user(users, require(record, "adjudicator", where), where)
    criteria = {c.key: c for c in candidacy.market.criteria.all()}
    given = record.get("assessments", {})
    unknown = sorted(set(given) - set(criteria))
    if unknown:
        raise SeedError(f"{where}: unknown criteria {unknown}.")
    wanted = {**{k: v for k, v in defaults.items() if k in criteria}, **given}
    missing = [key for key in criteria if key not in wanted]
    if missing:
        raise SeedError(f"{where}: no assessment for criteria {missing}.")
    existing = {
        a.criterion.key: a
        for a in Assessment.objects.filter(candidacy=candidacy, adjudicator=adjudicator)
        .select_related("criterion")
    }
    evidence = record.get("evidence_urls", [])
    source_url = record.get("source_url", "")
    source_date = record.get("source_date") or ""  # null: the sources give no date
    waiver = record.get("conflict_waiver", "")
    for key, criterion in criteria.items():
        item = wanted[key]
        values = {
            "verdict": require(item, "verdict", f"{where} {key}"),
            "confidence": require(item, "confidence", f"{where} {key}"),
            "rationale": require(item, "rationale", f"{where} {key}"),
            "evidence_urls": item.get("evidence_urls", evidence),
            "source_url": source_url,
            "source_date": source_date,
            "conflict_waiver": waiver,
        }
        current = existing.get(key)
        if current is not None and all(getattr(current, k) == v for k, v in values.items()):
            continue
        try:
            services.record_assessment(
                adjudicator=adjudicator, candidacy=candidacy, criterion=criterion,
                expected_version=current.version if current else None, **values,
            )
        except (ValidationError, PermissionDenied) as exc:
            raise SeedError(f"{where} {key}: {_message(exc)}") from None
    if Assessment.objects.filter(
        candidacy=candidacy, adjudicator=adjudicator, status=Assessment.Status.DRAFT
    ).exists():
        try:
            services.submit_assessments(adjudicator=adjudicator, candidacy=candidacy)
        except (ValidationError, PermissionDenied) as exc:
            raise SeedError(f"{where}: {_message(exc)}") from None
    published = require(record, "published_verdict", where)
    expected = PUBLISHED_TO_VERDICT.get(published)
    if expected is None:
        raise SeedError(f"{where}: published_verdict {published!r} is not one of "
                        f"{sorted(PUBLISHED_TO_VERDICT)}.")
    reached = services.compute_verdict(candidacy=candidacy).outcome
    if reached != expected:
        raise SeedError(
            f"{where}: the assessments aggregate to {reached!r}, but the published verdict "
            f"{published!r} means {expected!r}."
        )


def _load_resolution(record: dict[str, Any], users: dict[str, User], where: str) -> None:
    market = Market.objects.filter(slug=require(record, "market", where)).first()
    if market is None:
        raise SeedError(f"{where}: no market {record['market']!r}.")
    if market.is_settled:
        return  # resolved already (by a previous load, or by hand): leave it alone
    cited = []
    for slug in record.get("cite", []):
        candidacy = Candidacy.objects.filter(market=market, paper__slug=slug).first()
        if candidacy is None:
            raise SeedError(f"{where}: {slug!r} is not a candidate for {market.slug!r}.")
        cited.append(candidacy)
    try:
        services.resolve_market(
            market=market, actor=_user(users, require(record, "by", where), where),
            outcome=require(record, "outcome", where), reason=require(record, "reason", where),
            cited=cited, **_resolution_date(record, where),
        )
    except (ValidationError, PermissionDenied) as exc:
        raise SeedError(f"{where}: {_message(exc)}") from None


def _resolution_date(record: dict[str, Any], where: str) -> dict[str, Any]:
    """The resolution's date as the sources give it; null (or absent) means they give none,
    and the market is recorded as resolved on an unknown date, not on the loading day."""
    text = record.get("date")
    if not text:
        return {"date_known": False}
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise SeedError(f"{where}: date {text!r} is not YYYY-MM-DD.") from None
    return {"resolved_at": dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)}


def _user(users: dict[str, User], username: str, where: str) -> User:
    if username not in users:
        raise SeedError(f"{where}: {username!r} is not among the fixture's adjudicators.")
    return users[username]


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)
