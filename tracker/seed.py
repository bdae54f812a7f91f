"""Seed of the catalogue: the market, its criteria, the papers and their candidacies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tracker.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from tracker.models import (
    Author,
    Authorship,
    Candidacy,
    Claim,
    Criterion,
    Market,
    Paper,
    normalize_person_name,
)
from tracker.seeding import SeedError, read_fixture, require, upsert

FIXTURE = "catalogue.json"


def load(seed_dir: Path) -> None:
    data = read_fixture(seed_dir, FIXTURE)
    market = _load_market(require(data, "market", FIXTURE))
    for index, record in enumerate(data.get("criteria", [])):
        _load_criterion(market, record, f"{FIXTURE} criteria[{index}] ({record.get('key')!r})")
    for index, record in enumerate(data.get("papers", [])):
        _load_paper(market, record, f"{FIXTURE} papers[{index}] ({record.get('slug')!r})")
    from tracker.ingestion.seed import load_searches

    load_searches(market, seed_dir)


def _load_market(record: dict[str, Any]) -> Market:
    where = f"{FIXTURE} market ({record.get('slug')!r})"
    values = {
        "title": require(record, "title", where),
        "platform": record.get("platform", ""),
        "url": record.get("url", ""),
        "creator": record.get("creator", ""),
        "creator_handle": record.get("creator_handle", ""),
        "description": record.get("description", ""),
        "source_urls": record.get("source_urls", []),
    }
    market = Market.objects.filter(slug=require(record, "slug", where)).first()
    if market is not None:
        # Status and outcome belong to the resolution workflow once the market exists.
        return upsert(Market, {"slug": market.slug}, values, where)
    values["status"] = record.get("status", Market.Status.OPEN)
    return upsert(Market, {"slug": record["slug"]}, values, where)


def _load_criterion(market: Market, record: dict[str, Any], where: str) -> Criterion:
    values = {
        "order": record.get("order", 0),
        "title": require(record, "title", where),
        "description": require(record, "description", where),
        "kind": require(record, "kind", where),
        "not_applicable": record.get("not_applicable", Criterion.NotApplicable.NEVER),
        "group": record.get("group", ""),
        "parameters": record.get("parameters", {}),
    }
    lookup = {"market": market, "key": require(record, "key", where)}
    return upsert(Criterion, lookup, values, where)


def _parse_date(text: str | None, where: str) -> dt.date | None:
    """Full dates become dates; partial ones (YYYY-MM) stay only as text."""
    if not text or len(text) != 10:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SeedError(f"{where}: date {text!r} is not YYYY-MM-DD.") from None


def _load_paper(market: Market, record: dict[str, Any], where: str) -> Paper:
    raw_id = record.get("arxiv_id")
    try:
        arxiv_id = normalize_arxiv_id(raw_id) if raw_id else None
    except InvalidArxivId as exc:
        raise SeedError(f"{where}: {exc}") from None
    values = {
        "arxiv_id": arxiv_id,
        "title": require(record, "title", where),
        "short_name": record.get("short_name") or "",
        "published": _parse_date(record.get("date"), where),
        "date_text": record.get("date") or "",
        "url": record.get("url") or "",
        "venue": record.get("venue") or "",
        "kind": record.get("kind") or Paper.Kind.PAPER,
        "uses_sae": record.get("uses_sae"),
        "notes": record.get("notes") or "",
        "source_urls": record.get("source_urls", []),
    }
    paper = upsert(Paper, {"slug": require(record, "slug", where)}, values, where)
    _load_authors(paper, record.get("authors") or [], where)
    if "candidacy" in record:
        _load_candidacy(market, paper, record["candidacy"], where)
    return paper


def _load_authors(paper: Paper, names: list[str], where: str) -> None:
    current = list(paper.authorships.select_related("author").order_by("position"))
    if [a.author.name for a in current] == names:
        return
    if len(set(names)) != len(names):
        raise SeedError(f"{where}: an author is listed twice.")
    paper.authorships.all().delete()
    for position, name in enumerate(names, start=1):
        key = normalize_person_name(name)
        author = Author.objects.filter(normalized_name=key).first() or Author.objects.create(
            name=name
        )
        Authorship.objects.create(paper=paper, author=author, position=position)


def _load_candidacy(market: Market, paper: Paper, record: dict[str, Any], where: str) -> None:
    values = {
        "task": record.get("task", ""),
        "claimed_result": record.get("claimed_result", ""),
        "baselines_compared": record.get("baselines_compared", []),
        # Put forward in the market's history: its date as the sources give it, else unknown.
        "from_sources": True,
        "sources_date": record.get("proposed_on") or "",
    }
    existing = Candidacy.objects.filter(market=market, paper=paper).first()
    if existing is None:
        values["status"] = record.get("status", Candidacy.Status.NEW)
    candidacy = upsert(Candidacy, {"market": market, "paper": paper}, values, f"{where} candidacy")
    for index, claim in enumerate(record.get("claims", [])):
        claim_where = f"{where} candidacy claims[{index}]"
        upsert(
            Claim,
            {
                "candidacy": candidacy,
                "method": require(claim, "method", claim_where),
                "metric": claim.get("metric", ""),
            },
            {
                "is_sae_method": bool(claim.get("is_sae_method")),
                "value": claim.get("value"),
                "sample_size": claim.get("sample_size"),
                "location": claim.get("location", ""),
                "description": claim.get("description", ""),
            },
            claim_where,
        )
