"""How steering settings are chosen and read (issue 25): the strength search never tries or
chooses a no-op, suppression is scored against the request without the concept, a tie between
identical outputs is "no effect", and the task interface keeps metrics and scope in one place."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from replication.harness.tuning import (
    StrengthPoint,
    choose_strength,
    interior_ladder,
    refine_strengths,
    strength_span,
)


def _p(s, headline, concept=0.5, quality=0.5, effective=True):
    return StrengthPoint(s, headline, concept, quality, effective)


@pytest.mark.parametrize(
    ("values", "span"),
    [([0.0, 2.0, 5.0], (2.0, 5.0)), ([0.5, 20.0], (0.5, 20.0)), ([3.0], (3.0, 3.0))],
)
def test_the_span_drops_zero(values, span):
    assert strength_span(values) == span


def test_a_span_of_only_zero_is_refused():
    with pytest.raises(ValueError, match="strength 0 is the unsteered model"):
        strength_span([0.0, 0.0])


@pytest.mark.parametrize(("low", "high", "n"), [(0.05, 2.0, 1), (0.05, 2.0, 2), (0.5, 20, 5)])
def test_the_ladder_is_interior_and_geometric(low, high, n):
    ladder = interior_ladder(low, high, n)
    assert len(ladder) == n and all(low < s < high for s in ladder)
    ratios = np.diff(np.log(ladder))
    assert np.allclose(ratios, ratios[0]) if n > 1 else True
    assert np.isclose(np.sqrt(low * high), interior_ladder(low, high, 1)[0])


@pytest.mark.parametrize(
    ("points", "chosen"),
    [
        # the no-op has the best headline (unsteered text is fluent): never chosen
        ([_p(0.1, 0.9, effective=False), _p(0.5, 0.4), _p(2.0, 0.3)], 1),
        ([_p(0.1, 0.2), _p(0.5, 0.6), _p(2.0, 0.1)], 1),
        # a tie goes to the weaker strength
        ([_p(0.1, 0.5), _p(0.5, 0.5)], 0),
        # only when every point is a no-op is one returned (the run records it as such)
        ([_p(0.1, 0.3, effective=False), _p(0.5, 0.4, effective=False)], 1),
    ],
)
def test_a_no_op_is_never_chosen_while_an_effective_setting_exists(points, chosen):
    assert choose_strength(points) == chosen


@pytest.mark.parametrize(
    ("points", "inside"),
    [
        # too little concept at the best point: search between it and the next stronger one
        ([_p(0.2, 0.5, concept=0.2, quality=0.9), _p(1.0, 0.3)], (0.2, 1.0)),
        # too little quality: search between it and the next weaker one
        ([_p(0.2, 0.3), _p(1.0, 0.5, concept=0.9, quality=0.2)], (0.2, 1.0)),
        # best at the top wanting more: up to the span's end
        ([_p(0.2, 0.3), _p(1.0, 0.5, concept=0.2, quality=0.9)], (1.0, 4.0)),
        # best at the bottom wanting less: down to the span's start
        ([_p(0.2, 0.5, concept=0.9, quality=0.2), _p(1.0, 0.3)], (0.05, 0.2)),
    ],
)
def test_the_second_stage_searches_strictly_inside_the_bracket(points, inside):
    new = refine_strengths(points, 0.05, 4.0, 2)
    assert len(new) == 2
    assert all(inside[0] < s < inside[1] for s in new), new
    assert not {p.strength for p in points} & set(new)


# --- the degenerate-tie guard -----------------------------------------------------------------


def _comparison(se: float, best: str = "prompting") -> dict:
    block = {"verdict": "equivalent", "se": se, "delta": 0.0, "best_baseline": best}
    return {
        "verdict": "equivalent",
        "overall": {"verdict": "equivalent"},
        "regimes": {"steer": {"verdict": "equivalent"}},
        "datasets": {
            "ocean": {
                "verdict": "equivalent",
                "overall": {"verdict": "equivalent"},
                "regimes": {"steer": {"comparison": block, "controls": {}}},
            }
        },
    }


@pytest.mark.parametrize(
    ("se", "identical", "cell", "overall"),
    [
        (0.0, [], "no effect", "inconclusive"),
        (0.02, ["prompting"], "no effect", "inconclusive"),
        (0.02, [], "equivalent", "equivalent"),  # a real tie keeps its verdict
    ],
)
def test_identical_outputs_or_zero_se_are_no_effect_not_equivalent(se, identical, cell, overall):
    from replication.harness.context import TaskOutput
    from replication.harness.tasks.steering.verdicts import mark_no_effect

    output = TaskOutput(
        metric="mean_score",
        sae_methods=["sae_clamp"],
        baselines=["prompting"],
        controls=[],
        cells=[],
        notes={"identical_outputs": {"steer/ocean": identical}},
    )
    out = mark_no_effect(_comparison(se), output)
    assert out["datasets"]["ocean"]["regimes"]["steer"]["comparison"]["verdict"] == cell
    assert out["verdict"] == out["overall"]["verdict"] == overall
    assert out["regimes"]["steer"]["verdict"] == overall
    assert out["datasets"]["ocean"]["verdict"] == overall


def test_same_outputs_names_word_for_word_copies():
    from replication.harness.tasks.steering.verdicts import same_outputs

    texts = {"sae_clamp": [["a", "b"]], "prompting": [["a", "b"]], "probe": [["a", "c"]]}
    assert same_outputs(texts, ["sae_clamp"]) == ["prompting"]


# --- suppression scoring (real MiniLM) ---------------------------------------------------------


@pytest.mark.harness
def test_a_suppression_that_removes_the_concept_scores_above_one_that_does_not():
    from replication.harness.steering import judge as jd
    from replication.harness.steering.concepts import CURATED

    ocean = CURATED["ocean"]
    i = ocean.elicit.index("Describe a day at the beach.")
    asked, neutral = ocean.elicit[i], ocean.neutral[i]
    assert neutral == "Describe a day at the office."
    emb = jd.embed(ocean.positives + ocean.negatives, "cpu")
    judge = jd.fit_concept_classifier(emb[:18], emb[18:], 0)
    removed = "I sat at my desk all day, answered emails and went to two meetings at the office."
    kept = "Waves rolled onto the sand and we swam in the blue sea until the tide came in."
    responses = jd.embed([removed, kept], "cpu")
    ref = jd.Reference(nll=2.0, distinct=1.0, relevance=0.3)

    def headline(request: str) -> np.ndarray:
        cosine = (responses * jd.embed([request, request], "cpu")).sum(1)
        return jd.score(
            concept_prob=judge.prob(responses),
            suppress=True,
            nll=np.array([2.0, 2.0]),
            distinct=np.array([1.0, 1.0]),
            cosine=cosine,
            ref=ref,
        ).headline

    against_neutral = headline(neutral)
    assert against_neutral[0] > against_neutral[1] + 0.2
    # scored against the eliciting prompt instead, removing the concept costs relevance
    cos_asked = (responses * jd.embed([asked, asked], "cpu")).sum(1)
    assert cos_asked[1] > cos_asked[0]


# --- the task interface -----------------------------------------------------------------------


def test_importing_the_steering_task_registers_nothing_and_the_registry_does():
    code = (
        "from replication.harness import stats\n"
        "import replication.harness.tasks.steering\n"
        "assert 'mean_score' not in stats.METRICS\n"
        "from replication.harness.tasks.registry import get_task, register_metrics\n"
        "register_metrics(get_task('steering'))\n"
        "assert stats.METRICS['mean_score'] and stats.METRIC_CEILING['mean_score'] == 1.0\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_specs_scope_overrides_the_tasks_in_one_place():
    from replication.harness.api import merged_scope
    from replication.harness.spec import load_spec_file
    from replication.harness.tasks.registry import get_task

    spec = load_spec_file("replication/specs/ci_steering.toml")
    task = get_task("steering")
    assert merged_scope(task, spec) == task.scope(spec)
    spec.scope["tests"] = "only this"
    merged = merged_scope(task, spec)
    assert merged["tests"] == "only this"
    assert merged["does_not_test"] == task.scope(spec)["does_not_test"]


@pytest.mark.parametrize(
    "name",
    [
        "sparse_probing",
        "ood_detection",
        "hypothesis_predictivity",
        "spurious_correlation_removal",
        "steering",
    ],
)
def test_every_task_is_registered_with_a_scope(name):
    from replication.harness.spec import load_spec_file
    from replication.harness.tasks.registry import get_task

    task = get_task(name)
    assert task.name == name
    spec = load_spec_file("replication/specs/ci_steering.toml")
    if name != "steering":
        assert task.scope(spec)["tests"]


def test_the_summary_prints_the_judges_accuracy_on_generated_text():
    from replication.harness.report import _judge_lines

    notes = {
        "judge": {
            "ocean": {"generated_validation": {"auroc": 0.93, "accuracy": 0.81, "n_pos": 16,
                                               "n_neg": 16}}
        }
    }
    lines = _judge_lines(notes)
    assert "| ocean | 0.930 | 0.810 | 16 / 16 |" in lines
    assert _judge_lines({}) == []  # other tasks print nothing
