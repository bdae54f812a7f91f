"""Seed of replication specs: `seed/replication/specs.json` names each spec file and what
it tests. Runs after the catalogue seed (papers, candidacies and claims exist) inside
`load_seed`'s transaction. Loading twice changes nothing: a spec whose text, limits and
candidacy are unchanged keeps its version; an edited file becomes the next version.

Then each spec's record (``records/<key>/``, written by ``manage.py replicate --record``)
is loaded as a run "recorded elsewhere" (``replication.recorded``): once, by its
results.json's hash. A record that no longer matches its spec, the verdict rule or the
harness is left out with a warning on stderr, and the pages say "not recorded yet".
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from replication import records
from replication.models import ReplicationSpec
from replication.recorded import load_record
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
    load_records(seed_dir)


def load_records(seed_dir: Path) -> list[str]:
    """Load every present record; returns (and writes to stderr) why any was left out."""
    left_out = []
    for key, folder in records.record_folders(seed_dir, FOLDER).items():
        loaded = load_record(key=key, folder=folder)
        if loaded.skipped:
            left_out.append(f"record {key} not loaded: {loaded.skipped}. Re-record it: "
                            f"manage.py replicate --record {key}")
    for line in left_out:
        sys.stderr.write(line + "\n")
    return left_out


def seeded_spec(seed_dir: Path, key: str) -> ReplicationSpec:
    """The current version of seeded spec ``key``, saved from its file if need be (what the
    admin's "Replicate a shipped spec" runs)."""
    data = read_fixture(seed_dir, FIXTURE)
    for index, record in enumerate(data.get("specs", [])):
        if record.get("key") == key:
            return _load_spec(seed_dir / FOLDER, record, f"{FIXTURE} specs[{index}] ({key!r})")
    raise SeedError(f"No seeded spec has key {key!r}.")


def _load_spec(folder: Path, record: dict[str, Any], where: str) -> ReplicationSpec:
    key = require(record, "key", where)
    path = folder / require(record, "file", where)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(f"{where}: spec file {path} is missing.") from None
    candidacy = _candidacy(record.get("candidacy"), where)
    claims = _claims(candidacy, record.get("claims", []), where)
    try:
        return create_spec_version(
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
