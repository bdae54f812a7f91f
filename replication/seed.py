"""Seed of replication specs: `seed/replication/specs.json` names each spec file and what
it tests. Runs after the catalogue seed (papers, candidacies and claims exist) inside
`load_seed`'s transaction. Loading twice changes nothing: a spec whose text, limits and
candidacy are unchanged keeps its version; an edited file becomes the next version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from replication.services import create_spec_version
from tracker.models import Candidacy, Claim
from tracker.seeding import SeedError, read_fixture, require

FOLDER = "replication"
FIXTURE = f"{FOLDER}/specs.json"


def load(seed_dir: Path) -> None:
    if not (seed_dir / FOLDER).is_dir():
        return  # a seed without replication specs is complete
    data = read_fixture(seed_dir, FIXTURE)
    for index, record in enumerate(data.get("specs", [])):
        where = f"{FIXTURE} specs[{index}] ({record.get('key')!r})"
        _load_spec(seed_dir / FOLDER, record, where)


def _load_spec(folder: Path, record: dict[str, Any], where: str) -> None:
    key = require(record, "key", where)
    path = folder / require(record, "file", where)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(f"{where}: spec file {path} is missing.") from None
    candidacy = _candidacy(record.get("candidacy"), where)
    claims = _claims(candidacy, record.get("claims", []), where)
    try:
        create_spec_version(
            key=key, text=text, title=record.get("title", ""), candidacy=candidacy,
            claims=claims, note=record.get("note", ""),
            time_limit=record.get("time_limit"), soft_time_limit=record.get("soft_time_limit"),
        )
    except ValidationError as exc:
        raise SeedError(f"{where}: {'; '.join(exc.messages)}") from None


def _candidacy(ref: dict[str, Any] | None, where: str) -> Candidacy | None:
    if not ref:
        return None
    paper = require(ref, "paper", where)
    market = require(ref, "market", where)
    found = Candidacy.objects.filter(
        Q(paper__arxiv_id=paper) | Q(paper__slug=paper), market__slug=market
    ).first()
    if found is None:
        raise SeedError(f"{where}: no candidacy of paper {paper!r} for market {market!r}.")
    return found


def _claims(candidacy: Candidacy | None, methods: list[str], where: str) -> list[Claim]:
    if methods and candidacy is None:
        raise SeedError(f"{where}: claims need a candidacy.")
    claims = []
    for method in methods:
        claim = Claim.objects.filter(candidacy=candidacy, method=method).first()
        if claim is None:
            raise SeedError(f"{where}: the candidacy has no claim by method {method!r}.")
        claims.append(claim)
    return claims
