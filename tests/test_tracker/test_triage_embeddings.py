"""Optional MiniLM similarity: it adds to the keyword score, and only when asked for."""

from __future__ import annotations

import pytest

from tracker.ingestion import embeddings
from tracker.ingestion.triage import EMBEDDING_WEIGHT, SAE_PROFILE, score_paper

TITLE = "Sparse autoencoders for toxicity detection"


@pytest.mark.parametrize(
    ("similarity", "bonus"),
    [(None, 0.0), (0.2, 0.0), (-0.5, 0.0), (0.6, EMBEDDING_WEIGHT * 0.5), (1.0, EMBEDDING_WEIGHT)],
)
def test_similarity_adds_up_to_its_weight_above_the_floor(similarity, bonus):
    keywords = score_paper(TITLE, "", SAE_PROFILE).score
    result = score_paper(TITLE, "", SAE_PROFILE, similarity=similarity)
    assert result.score == pytest.approx(keywords + bonus)
    assert ("embedding_similarity" in result.signals) is (similarity is not None)


def test_the_explanation_reports_the_similarity():
    result = score_paper(TITLE, "", SAE_PROFILE, similarity=0.61)
    assert result.explanation.endswith("MiniLM similarity to the market 0.61.")


def test_without_the_method_similarity_cannot_reach_the_threshold():
    result = score_paper("Linear probes beat prompting on toxicity by 9%", "", SAE_PROFILE,
                         similarity=1.0)
    assert result.score < SAE_PROFILE.threshold


@pytest.mark.django_db
def test_profiles_not_asking_for_embeddings_never_load_the_model(monkeypatch):
    from tracker.ingestion.triage_store import active_profiles
    from tracker.models import Market, TriageProfile

    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(embeddings, "similarities", refuse)
    market = Market.objects.create(slug="sae", title="SAEs?")
    TriageProfile.objects.create(market=market, method_terms=["SAE"])
    assert active_profiles()[0].reference_text is None


@pytest.mark.skipif(not embeddings.available(), reason="needs the harness extra (MiniLM)")
def test_minilm_finds_an_sae_abstract_closer_to_the_market_than_a_chemistry_one():
    reference = ("Will sparse autoencoders beat baselines on a downstream task? "
                 "Interpretability of language models with dictionary learning.")
    sae, chemistry = embeddings.similarities(
        [
            "Probes on sparse autoencoder latents of a language model against linear probes.",
            "Catalytic hydrogenation of alkenes over palladium nanoparticles.",
        ],
        reference,
    )
    assert sae > chemistry
    assert -1 <= chemistry <= sae <= 1


@pytest.mark.django_db
@pytest.mark.skipif(not embeddings.available(), reason="needs the harness extra (MiniLM)")
def test_a_profile_asking_for_embeddings_gets_them_during_ingestion():
    from tests.test_tracker.arxiv_server import ArxivStub, fast_config, recorded_pages
    from tracker.ingestion.services import ingest_query
    from tracker.models import Market, PaperRelevance, TriageProfile

    market = Market.objects.create(
        slug="sae", title="Will SAEs beat baselines on a downstream task?",
        description="Sparse autoencoders and dictionary learning for language model tasks.",
    )
    TriageProfile.objects.create(market=market, method_terms=list(SAE_PROFILE.method_terms),
                                 use_embeddings=True)
    with ArxivStub(recorded_pages("sae")) as stub:
        ingest_query(query="q", max_results=None, config=fast_config(stub.url))
    scored = {r.paper.arxiv_id: r.signals["embedding_similarity"]
              for r in PaperRelevance.objects.select_related("paper")}
    assert len(scored) == 10
    assert scored["2506.04410"] > scored["hep-th/9901001"]
