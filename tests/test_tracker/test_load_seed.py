"""`manage.py load_seed`: the seed market, idempotent, all or nothing."""

from __future__ import annotations

import json
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker.models import Authorship, Candidacy, Claim, Criterion, Market, Paper
from tracker.seeding import SEED_DIR

SAE_MARKET = "sae-downstream-beat-baselines"


def snapshot() -> dict[str, list]:
    return {
        model.__name__: sorted(map(str, model.objects.values_list()))
        for model in (Market, Criterion, Paper, Authorship, Candidacy, Claim)
    }


@pytest.mark.django_db
def test_it_loads_the_market_its_criteria_and_the_papers():
    call_command("load_seed")

    market = Market.objects.get(slug=SAE_MARKET)
    assert market.platform == "Manifold"
    assert market.criteria.count() == 13
    assert market.criteria.get(key="compute_budget_amortisation").parameters == {
        "sae_training_compute_fraction_charged": 0.1
    }
    assert Paper.objects.count() == 22
    assert market.candidacies.count() == 22
    hypothesis = Paper.objects.get(arxiv_id="2502.04382")
    assert hypothesis.ordered_author_names()[:2] == ["Rajiv Movva", "Kenny Peng"]
    assert Paper.objects.get(slug="sieve").arxiv_id is None


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    call_command("load_seed")
    before = snapshot()

    with CaptureQueriesContext(connection) as queries:
        call_command("load_seed")

    assert snapshot() == before
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


@pytest.mark.django_db
def test_a_broken_fixture_loads_nothing_and_names_the_record(tmp_path):
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    fixture = json.loads((seed_dir / "catalogue.json").read_text())
    fixture["papers"][5]["arxiv_id"] = "2406.117"  # one digit short
    (seed_dir / "catalogue.json").write_text(json.dumps(fixture))

    with pytest.raises(CommandError) as error:
        call_command("load_seed", seed_dir=str(seed_dir))

    slug = fixture["papers"][5]["slug"]
    assert f"papers[5] ('{slug}')" in str(error.value)
    assert "expected a form like 2502.04382" in str(error.value)
    assert "nothing was written" in str(error.value)
    assert Market.objects.count() == 0
    assert Paper.objects.count() == 0


@pytest.mark.django_db
def test_a_record_missing_a_required_field_is_named(tmp_path):
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    fixture = json.loads((seed_dir / "catalogue.json").read_text())
    del fixture["criteria"][2]["title"]
    (seed_dir / "catalogue.json").write_text(json.dumps(fixture))

    with pytest.raises(CommandError) as error:
        call_command("load_seed", seed_dir=str(seed_dir))

    assert "criteria[2] ('objectively_measurable'): required field 'title'" in str(error.value)
    assert Criterion.objects.count() == 0
