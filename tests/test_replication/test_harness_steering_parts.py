"""The steering task's pure parts: the judge's arithmetic, the interventions' algebra, the
concept splits and the spec options, table-driven."""

from __future__ import annotations

import numpy as np
import pytest

from replication.harness.errors import DataError
from replication.harness.steering import interventions as iv
from replication.harness.steering import judge as jd

pytestmark = pytest.mark.harness


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ((1.0, 1.0, 1.0), 1.0),
        ((0.5, 0.5, 0.5), 0.5),
        ((1.0, 0.5, 0.25), 3 / (1 + 2 + 4)),
        ((0.9, 0.0, 0.9), 0.0),  # any zero term gives zero
        ((1.5, 1.0, 1.0), 1.0),  # clipped to [0, 1]
    ],
)
def test_harmonic_mean_of_the_three_terms(terms, expected):
    out = jd.harmonic(*(np.array([t]) for t in terms))
    assert out[0] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("points", "front"),
    [
        ([(0.1, 0.9), (0.9, 0.1), (0.5, 0.5)], [True, True, True]),
        ([(0.1, 0.1), (0.5, 0.5)], [False, True]),
        ([(0.5, 0.5), (0.5, 0.5)], [True, True]),  # ties dominate nothing
        ([(0.2, 0.8), (0.3, 0.8)], [False, True]),
    ],
)
def test_pareto_front(points, front):
    assert jd.pareto_front(points) == front


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [([1, 2, 3, 4], 1.0), ([5, 5, 5, 5, 5], 0.25), ([1, 2, 1, 2, 1], 0.5), ([7], 1.0)],
)
def test_distinct_bigrams(tokens, expected):
    assert jd.distinct2(tokens) == pytest.approx(expected)


def test_score_terms_follow_the_references():
    ref = jd.Reference(nll=2.0, distinct=0.8, relevance=0.4)
    s = jd.score(
        concept_prob=np.array([0.9, 0.9, 0.2]),
        suppress=False,
        nll=np.array([2.0, 3.0, np.nan]),
        distinct=np.array([0.8, 0.4, 1.0]),
        cosine=np.array([0.4, 0.2, 0.8]),
        ref=ref,
    )
    assert s.fluency == pytest.approx([1.0, np.exp(-1.0) * 0.5, 0.0])
    assert s.relevance == pytest.approx([1.0, 0.5, 1.0])
    assert s.headline[2] == 0.0  # an empty response scores zero
    suppressed = jd.score(
        concept_prob=np.array([0.9]),
        suppress=True,
        nll=np.array([1.0]),
        distinct=np.array([1.0]),
        cosine=np.array([0.5]),
        ref=ref,
    )
    assert suppressed.concept == pytest.approx([0.1])


def test_addition_and_ablation_per_row():
    import torch

    h = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    r = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    added = iv.Add(r, np.array([0.0, 2.0])).rows(slice(0, 2))(h)
    assert torch.equal(added[0], h[0])
    assert torch.equal(added[1, :, 0], h[1, :, 0] + 2.0)
    ablated = iv.Ablate(r, np.array([1.0, 0.5])).rows(slice(0, 2))(h)
    assert torch.equal(ablated[0, :, 0], torch.zeros(3))
    assert torch.equal(ablated[1, :, 0], h[1, :, 0] * 0.5)
    assert torch.equal(ablated[..., 1:], h[..., 1:])
    # a slice picks the rows of one generation batch
    second = iv.Add(r, np.array([0.0, 2.0, 5.0])).rows(slice(2, 3))(h[:1])
    assert torch.equal(second[0, :, 0], h[0, :, 0] + 5.0)


def test_clamp_swaps_the_latents_decoder_contribution():
    """SAELens-style clamping: h - a d + t d, i.e. the latent's share of the reconstruction
    is replaced by the target's (re-encoding need not return t exactly: encoder and decoder
    rows are not inverses)."""
    import torch

    from replication.harness.sae import SAE

    torch.manual_seed(0)
    sae = SAE(8, 16, "relu", scaling_factor=2.0).eval()
    h = torch.randn(1, 4, 8)
    clamp = iv.Clamp(sae, 3, np.array([2.0]))
    out = clamp.rows(slice(0, 1))(h)
    a = clamp.latent_activation(h)
    expected = h + (2.0 - a)[..., None] * (sae.W_dec[3] / 2.0).detach()
    assert torch.allclose(out, expected, atol=1e-6)


def test_too_few_prompts_and_unknown_concepts_are_errors():
    from replication.harness.spec import spec_from_dict
    from replication.harness.steering.concepts import load_concept, neutral_prompts
    from replication.harness.tasks.steering import split_concept

    with pytest.raises(DataError, match="unknown concept 'volcanoes'"):
        load_concept("concepts", "volcanoes", 100, 0)
    with pytest.raises(DataError, match="exceeds the 64 neutral prompts"):
        neutral_prompts(65)
    spec = spec_from_dict(
        {
            "task": "steering",
            "data": {"source": "concepts", "datasets": ["ocean"]},
            "activations": {"model": "smollm2"},
            "sae": {"width": 64, "k": 4},
            "task_options": {"n_prompts": 1},
        }
    )
    with pytest.raises(DataError, match="steer prompt list has 1 prompt"):
        split_concept(spec, load_concept("concepts", "ocean", 100, 0), ["steer"])


def test_concept_halves_do_not_overlap_and_prompts_are_set_aside():
    from replication.harness.spec import spec_from_dict
    from replication.harness.steering.concepts import load_concept
    from replication.harness.tasks.steering import split_concept

    spec = spec_from_dict(
        {
            "task": "steering",
            "data": {"source": "sae_probes", "datasets": ["96_spam_is"]},
            "activations": {"model": "smollm2"},
            "sae": {"width": 64, "k": 4},
            "task_options": {"n_prompts": 10, "concept_rows": 120},
        }
    )
    concept = load_concept("sae_probes", "96_spam_is", 120, 0)
    cd = split_concept(spec, concept, ["steer", "suppress"])
    assert len(cd.prompts["steer"]) == 10 and len(cd.prompts["suppress"]) == 10
    assert all(p.asked == p.neutral for p in cd.prompts["steer"])
    method = set(cd.train_pos) | set(cd.train_neg)
    judge = set(cd.judge_pos) | set(cd.judge_neg)
    assert not method & judge
    # the suppression prompts open the first ten positives, which no method or judge sees
    assert not set(concept.positives[:10]) & (method | judge)
    assert {
        f"Continue this text: {' '.join(t.split()[:12])}" for t in concept.positives[:10]
    } == {p.asked for p in cd.prompts["suppress"]}
    # relevance is scored against the bare task: the opening carries the concept
    assert {p.neutral for p in cd.prompts["suppress"]} == {"Continue this text."}


def test_curated_suppression_prompts_pair_each_request_with_a_concept_neutral_one():
    from replication.harness.spec import spec_from_dict
    from replication.harness.steering.concepts import CURATED, load_concept
    from replication.harness.tasks.steering import split_concept

    for concept in CURATED.values():
        assert len(concept.elicit) == len(set(concept.elicit)) == 56
        assert len(concept.neutral) == 56 and not set(concept.elicit) & set(concept.neutral)
    spec = spec_from_dict(
        {
            "task": "steering",
            "data": {"source": "concepts", "datasets": ["ocean"]},
            "activations": {"model": "smollm2"},
            "sae": {"width": 64, "k": 4},
            "task_options": {"n_prompts": 56, "n_validation": 8, "modes": ["suppress"]},
        }
    )
    cd = split_concept(spec, load_concept("concepts", "ocean", 100, 0), ["suppress"])
    pairs = dict(zip(CURATED["ocean"].elicit, CURATED["ocean"].neutral, strict=True))
    assert len(cd.prompts["suppress"]) == 56
    assert all(pairs[p.asked] == p.neutral for p in cd.prompts["suppress"])


def test_embeddings_are_memoised_per_text_and_the_memo_is_bounded(monkeypatch):
    """The memo returns what a fresh embedding would (repeats, blanks, order kept) and
    starts over rather than grow past its bound."""
    texts = ["The tide came in over the sand.", "Two tips about sleep.", "", "Two tips about sleep."]
    fresh = jd.embed(texts, "cpu")
    assert fresh.shape == (4, 384)
    assert np.allclose(np.linalg.norm(fresh, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(fresh[1], fresh[3])
    assert np.array_equal(jd.embed(texts[::-1], "cpu"), fresh[::-1])
    assert jd.embed([], "cpu").shape == (0, 384)
    monkeypatch.setattr(jd, "_MEMO_MAX", 3)
    jd.embed(["one new text", "another new text"], "cpu")
    assert len(jd._MEMO["cpu"]) <= 3
    # each text embedded alone, memo cleared: what the memo handed out for it in a batch
    for i, text in enumerate(texts):
        jd._MEMO.clear()
        assert np.allclose(jd.embed([text], "cpu")[0], fresh[i], atol=1e-5), text
