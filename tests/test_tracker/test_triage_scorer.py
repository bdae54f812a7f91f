"""The pure triage scorer, table-driven: which signals match, and the score they add to.

Weights: method 0.4, baselines 0.2 (one named baseline 0.15, only the word "baseline"
0.1), task 0.15, comparison 0.15, reported numbers 0.1; without the method at most 0.3.
"""

from __future__ import annotations

import pytest

from tracker.ingestion.triage import SAE_PROFILE, Profile, score_paper

CASES = [
    # (title, abstract, expected score, expected signal lists (subset check))
    (
        "Sparse Autoencoders Beat Linear Probes on Toxicity Detection",
        "We compare SAE probes with linear probes and logistic regression; they outperform "
        "both by 4.2 percentage points of AUROC.",
        1.0,
        {"method": ["sparse autoencoder", "SAE"], "baselines": ["linear probe",
         "logistic regression"], "task": ["toxicity", "detection"]},
    ),
    (
        "Dictionary learning for unlearning",
        "We apply dictionary learning to remove hazardous knowledge.",
        0.55,
        {"method": ["dictionary learning"], "task": ["unlearning"], "baselines": [],
         "comparison": [], "numbers": []},
    ),
    (
        "Transcoders versus steering vectors",
        "Transcoder latents match steering vectors on our benchmark.",
        0.7,
        {"method": ["transcoder"], "baselines": ["steering vector"], "comparison": ["match"],
         "task": []},  # "steering" inside "steering vectors" is not also a task
    ),
    (
        "Top-k crosscoders for model diffing",
        "Compared with a PCA baseline, crosscoder latents are 3x more often interpretable.",
        0.8,
        {"method": ["crosscoder"], "baselines": ["PCA", "baseline"], "numbers": ["3x"],
         "comparison": ["compared with"], "task": []},
    ),
    (
        "Sparse auto-encoders and the baseline question",
        "We discuss whether SAEs need a baseline at all.",
        0.5,
        {"method": ["sparse auto-encoder", "SAE"], "baselines": ["baseline"]},
    ),
    (
        "A single direction mediates refusal",
        "A difference-in-means direction outperforms prompting for jailbreak detection with "
        "95% accuracy.",
        0.3,
        {"method": [], "baselines": ["difference in means", "prompting"],
         "task": ["refusal", "jailbreak", "detection"]},
    ),
    (
        "Graph neural networks for molecules",
        "We predict solubility.",
        0.0,
        {"method": [], "baselines": [], "task": [], "comparison": [], "numbers": []},
    ),
    (
        "SAEBench: a benchmark",
        "Saes in the title are matched case-insensitively; SAEBench itself is not an SAE word.",
        0.4,
        {"method": ["SAE"]},
    ),
]


@pytest.mark.parametrize(("title", "abstract", "score", "signals"), CASES,
                         ids=[c[0][:40] for c in CASES])
def test_the_scorer_finds_the_signals_and_adds_their_weights(title, abstract, score, signals):
    result = score_paper(title, abstract, SAE_PROFILE)
    assert result.score == pytest.approx(score)
    for key, expected in signals.items():
        assert result.signals[key] == expected, key


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        ("SAEs for classification", "", "Score 0.55. method: SAE; task: classification. "
         "Not found: baselines, comparison, reported numbers."),
        ("Probes", "Linear probes beat prompting on toxicity by 10%.",
         "Score 0.30. baselines: linear probe, prompting; task: toxicity; comparison: beat; "
         "reported numbers: 10%. Not found: method. Capped at 0.3 because the method is "
         "never named."),
        ("Nothing", "", "Score 0.00. No signal matched."),
    ],
)
def test_the_explanation_says_what_matched_and_what_did_not(title, abstract, expected):
    assert score_paper(title, abstract, SAE_PROFILE).explanation == expected


def test_a_withdrawn_paper_scores_zero_whatever_it_says():
    result = score_paper("Sparse autoencoders beat linear probes", "by 10%", SAE_PROFILE,
                         withdrawn=True)
    assert result.score == 0 and result.signals == {"withdrawn": True}
    assert "Withdrawn" in result.explanation


@pytest.mark.parametrize(
    ("score", "threshold", "passes"),
    [(0.5, 0.5, True), (0.49, 0.5, False), (1.0, 0.9, True), (0.0, 0.0, True)],
)
def test_a_paper_passes_at_or_above_the_threshold(score, threshold, passes):
    from tracker.ingestion.triage import Relevance

    assert Relevance(score).passes(threshold) is passes


def test_another_market_brings_its_own_terms():
    profile = Profile(method_terms=("protein language model",), task_terms=("folding",),
                      baseline_terms=("AlphaFold",))
    result = score_paper("Protein language models outperform AlphaFold",
                         "Folding accuracy improves by 3%.", profile)
    assert result.signals["method"] == ["protein language model"]
    assert result.signals["baselines"] == ["AlphaFold"]
    assert result.score == pytest.approx(0.4 + 0.15 + 0.15 + 0.15 + 0.1)


def test_the_scorer_is_pure_and_needs_no_database():
    # No django_db mark: any query would fail this test.
    assert score_paper("SAE", "", SAE_PROFILE).score == 0.4
