"""The seed ships the SAE market's saved searches and its triage profile."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tracker.ingestion.triage import SAE_PROFILE
from tracker.models import SavedSearch, TriageProfile
from tracker.seeding import SEED_DIR, SeedError, load_all


def test_the_seed_market_gets_its_searches_and_triage_profile(seed_market):
    searches = SavedSearch.objects.filter(market=seed_market)
    assert searches.count() == 4
    assert all(s.active and s.categories == ["cs.LG", "cs.CL", "cs.AI"] for s in searches)
    core = searches.get(name="SAEs or dictionary learning against baselines")
    assert '"sparse autoencoder"' in core.query and '"dictionary learning"' in core.query
    assert "baseline" in core.query
    assert core.full_query().endswith("AND (cat:cs.LG OR cat:cs.CL OR cat:cs.AI)")
    profile = TriageProfile.objects.get(market=seed_market)
    assert tuple(profile.method_terms) == SAE_PROFILE.method_terms
    assert profile.threshold == 0.5


def test_loading_the_seed_twice_changes_nothing(seed_market):
    before = list(SavedSearch.objects.order_by("pk").values())
    load_all()
    assert list(SavedSearch.objects.order_by("pk").values()) == before


def test_reloading_keeps_what_operators_changed_in_the_admin(seed_market):
    SavedSearch.objects.filter(market=seed_market).update(active=False)
    load_all()
    assert not SavedSearch.objects.filter(market=seed_market, active=True).exists()


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    for path in SEED_DIR.iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _edit(seed_dir: Path, change) -> None:
    path = seed_dir / "arxiv_searches.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["searches"][1].pop("query"), r"searches\[1\] \('SAEs on downstream tasks'\): "
                                                  r"required field 'query' is missing"),
        (lambda d: d["searches"][0].update(categories="cs.LG"), r"searches\[0\].*'categories'"),
        (lambda d: d["searches"][2].update(max_results=0), r"searches\[2\].*'max_results'"),
        (lambda d: d["searches"].append(dict(d["searches"][0])), r"searches\[4\].*used twice"),
        (lambda d: d.update(market="another"), "is not the seeded market"),
        (lambda d: d["triage_profile"].update(threshold=2), "triage_profile: 'threshold'"),
    ],
)
def test_a_bad_record_names_itself(db, seed_copy, change, message):
    _edit(seed_copy, change)
    with pytest.raises(SeedError, match=message):
        load_all(seed_copy)
    assert not SavedSearch.objects.exists()  # one transaction: nothing half-loaded


def test_without_the_searches_file_the_rest_of_the_seed_loads(db, seed_copy):
    (seed_copy / "arxiv_searches.json").unlink()
    load_all(seed_copy)
    assert not SavedSearch.objects.exists()

