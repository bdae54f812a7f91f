"""The seed makes the market's creator the first adjudicator; from his assessments alone
the tracker's aggregation reproduces the published outcome, through the services."""

import pytest
from django.core.management import call_command

from evaluations import services
from evaluations.models import Assessment, CandidacyVerdict, ResolutionEvent
from tracker.models import Candidacy
from tracker.seeding import SeedError, load_all

pytestmark = pytest.mark.django_db

QUALIFY = ["hypothesaes", "auditing-hidden-objectives"]
DO_NOT = ["sieve", "sparse-feature-circuits", "scaling-monosemanticity",
          "golden-gate-claude", "refusal-single-direction"]


def candidacy(market, slug):
    return Candidacy.objects.get(market=market, paper__slug=slug)


def test_the_creator_is_an_adjudicator_and_resolver_without_a_password(seed_market):
    creator = Assessment.objects.first().adjudicator
    assert creator.get_full_name() == "Neel Nanda"
    assert not creator.has_usable_password()
    assert services.is_adjudicator(creator) and services.can_resolve(creator)


def test_he_assessed_every_criterion_of_every_paper_he_judged(seed_market):
    criteria = seed_market.criteria.count()
    assert criteria == 13
    for slug in QUALIFY + DO_NOT:
        rows = Assessment.objects.filter(candidacy=candidacy(seed_market, slug))
        assert rows.count() == criteria, slug
        assert set(rows.values_list("status", flat=True)) == {"submitted"}
        assert all(a.rationale and a.source_url for a in rows)


def test_the_aggregation_reproduces_the_published_verdicts_from_the_rows(seed_market):
    CandidacyVerdict.objects.all().delete()  # prove nothing is read from stored verdicts
    outcomes = {slug: services.compute_verdict(candidacy=candidacy(seed_market, slug))
                for slug in QUALIFY + DO_NOT}
    assert {s for s, v in outcomes.items() if v.outcome == "qualifies"} == set(QUALIFY)
    assert {s for s, v in outcomes.items() if v.outcome == "falls_short"} == set(DO_NOT)
    assert outcomes["refusal-single-direction"].not_met == (
        "must_beat_not_competitive", "sae_essential"
    )
    assert outcomes["sieve"].deciding == ("downstream_interesting",)
    assert outcomes["golden-gate-claude"].deciding == (
        "objectively_measurable", "fair_fight_baselines", "must_beat_not_competitive"
    )


def test_the_market_resolves_yes_citing_the_two_through_the_service(seed_market):
    creator = Assessment.objects.first().adjudicator
    assert (seed_market.status, seed_market.outcome) == ("resolved", "yes")
    event = ResolutionEvent.objects.get(market=seed_market)
    assert sorted(c.paper.arxiv_id for c in event.cited.all()) == ["2502.04382", "2503.10965"]
    # And again, from scratch, through the services: unresolve, then re-resolve.
    services.unresolve_market(market=seed_market, actor=creator, reason="Re-check.")
    CandidacyVerdict.objects.all().delete()
    qualifying = [c for c in seed_market.candidacies.all()
                  if services.compute_verdict(candidacy=c).outcome == "qualifies"]
    assert sorted(c.paper.slug for c in qualifying) == sorted(QUALIFY)
    services.resolve_market(market=seed_market, actor=creator, outcome="yes",
                            reason="Re-check.", cited=qualifying)
    services.unresolve_market(market=seed_market, actor=creator, reason="Again.")
    with pytest.raises(services.ResolutionRefused, match="Sieve falls short"):
        services.resolve_market(market=seed_market, actor=creator, outcome="yes",
                                reason="r", cited=[candidacy(seed_market, "sieve")])


def test_the_conflicted_paper_is_flagged_and_still_closed_to_new_assessments(seed_market):
    refusal = candidacy(seed_market, "refusal-single-direction")
    rows = Assessment.objects.filter(candidacy=refusal)
    assert all("co-wrote" in a.conflict_waiver for a in rows)
    assert not Assessment.objects.filter(candidacy__paper__slug="hypothesaes").exclude(
        conflict_waiver="").exists()
    creator = rows.first().adjudicator
    first = rows.first()
    services.unresolve_market(market=seed_market, actor=creator, reason="To edit.")
    with pytest.raises(services.ConflictOfInterest, match="author 7 of 7"):
        services.record_assessment(
            adjudicator=creator, candidacy=refusal, criterion=first.criterion,
            verdict="met", confidence=5, rationale="New view.", expected_version=first.version,
        )


def test_loading_twice_changes_nothing(seeded):
    def snapshot():
        return (
            list(Assessment.objects.order_by("pk").values_list("pk", "version", "updated_at")),
            list(CandidacyVerdict.objects.order_by("pk").values_list("pk", "computed_at")),
            ResolutionEvent.objects.count(),
        )

    before = snapshot()
    load_all()
    call_command("load_seed", verbosity=0)
    assert snapshot() == before


def test_a_broken_judgement_names_its_record(db, tmp_path):
    import json
    import shutil
    from pathlib import Path

    from django.conf import settings

    seed_dir = Path(settings.BASE_DIR) / "seed"
    for path in seed_dir.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    fixture = json.loads((tmp_path / "adjudication.json").read_text())
    fixture["judgements"][2]["assessments"]["downstream_interesting"]["verdict"] = "met"
    (tmp_path / "adjudication.json").write_text(json.dumps(fixture))
    with pytest.raises(SeedError, match=r"judgements\[2\] \('sieve'\): the assessments "
                                        r"aggregate to 'qualifies'"):
        load_all(tmp_path)
