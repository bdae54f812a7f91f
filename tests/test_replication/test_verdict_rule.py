"""The rule in compare.py and the spec: every baseline reported, beats means beating each,
the SAE is never essential without controls, the rule is part of the spec's hash."""

from __future__ import annotations

import numpy as np
import pytest

from replication.harness import stats
from replication.harness.compare import Rule, compare
from replication.harness.context import Cell, TaskOutput
from replication.harness.errors import SpecError
from replication.harness.spec import spec_from_dict, spec_hash
from replication.harness.tuning import MethodRun

pytestmark = pytest.mark.harness

N_ROWS, N_TEST, SEEDS = 300, 120, 6


def _output(separation: dict[str, float], controls=(), datasets=("d1", "d2"), seed=0):
    """Cells whose methods score y * separation + shared row noise + own noise."""
    rng = np.random.default_rng(seed)
    cells = []
    for name in datasets:
        y = np.arange(N_ROWS) % 2
        hard = rng.normal(0, 1, N_ROWS)
        cell = Cell(regime="normal", dataset=name)
        for _ in range(SEEDS):
            test = np.sort(rng.choice(N_ROWS, N_TEST, replace=False))
            cell.labels.append(y[test])
            cell.groups.append(None)
            cell.test_ids.append(test)
            for method, sep in separation.items():
                scores = y[test] * sep + hard[test] + rng.normal(0, 0.5, N_TEST)
                val = 0.5 + sep / 10  # the cross-validated metric ranks by separation
                cell.add(method, MethodRun(val, scores, {"sep": sep}, 1.0, selection="kfold"))
        cells.append(cell)
    baselines = [m for m in separation if m.startswith("base")]
    return TaskOutput(
        metric="auroc",
        sae_methods=["sae"],
        baselines=baselines,
        controls=list(controls),
        cells=cells,
    )


RULE = Rule(n_boot=300)


def test_beating_the_best_baseline_is_not_enough_it_must_beat_every_one():
    # the SAE clears base_b by far, but base_c matches it
    out = _output({"sae": 3.0, "base_b": 1.0, "base_c": 3.0})
    result = compare(out, rule=RULE, seed=0)
    comp = result["datasets"]["d1"]["regimes"]["normal"]["comparison"]
    assert set(comp["against"]) == {"base_b", "base_c"}
    assert comp["against"]["base_b"]["ci_low"] > comp["against"]["base_b"]["margin"]
    assert comp["verdict"] != "beats"
    assert result["verdict"] != "beats"


def test_beating_every_baseline_beats_and_losing_to_one_loses():
    won = compare(_output({"sae": 3.0, "base_b": 1.0, "base_c": 1.5}), rule=RULE, seed=0)
    assert won["verdict"] == "beats"
    assert won["regimes"]["normal"]["verdict"] == "beats"
    assert won["win_tie_loss"]["won"] == 1.0
    lost = compare(_output({"sae": 1.0, "base_b": 1.0, "base_c": 3.0}), rule=RULE, seed=0)
    assert lost["verdict"] == "loses"
    assert lost["datasets"]["d2"]["regimes"]["normal"]["comparison"]["verdict"] == "loses"


def test_the_results_keep_the_keys_the_pages_read_and_add_the_rules():
    result = compare(_output({"sae": 2.0, "base_b": 1.0}), rule=RULE, seed=0)
    comp = result["datasets"]["d1"]["regimes"]["normal"]["comparison"]
    for key in (
        "sae_method",
        "best_baseline",
        "delta",
        "ci_low",
        "ci_high",
        "p",
        "p_holm",
        "verdict",
    ):
        assert key in comp
    for key in ("margin", "p_beats_holm", "p_loses_holm", "p_equivalent_holm", "mde", "se", "df"):
        assert key in comp and key in result["overall"]
    assert {"n_datasets", "test"} <= set(result["overall"])
    assert set(result["win_tie_loss"]) == {"n", "won", "tied", "lost", "inconclusive"}
    assert result["rule"]["version"] == 4
    assert result["rule"]["margin_floor"] == 0.01
    method = result["datasets"]["d1"]["regimes"]["normal"]["methods"]["sae"]
    assert method["selection"] == "kfold"


def test_equivalent_must_hold_against_every_baseline():
    # equivalent to base_b, but base_c is far behind: not "equivalent"
    wide = Rule(n_boot=300, margin_kind="absolute", margin=0.1)
    alone = compare(_output({"sae": 1.0, "base_b": 1.0}, datasets=("d1",)), rule=wide, seed=0)
    assert alone["verdict"] == "equivalent"  # against base_b alone it is equivalent
    out = _output({"sae": 1.0, "base_b": 1.0, "base_c": 0.2}, datasets=("d1",))
    comp = compare(out, rule=wide, seed=0)["datasets"]["d1"]["regimes"]["normal"]["comparison"]
    assert comp["against"]["base_b"]["p_equivalent"] < 0.05
    assert comp["against"]["base_c"]["p_equivalent"] > 0.05
    assert comp["verdict"] != "equivalent"


def test_the_headline_is_the_strongest_baseline_on_test_not_the_cross_validated_pick():
    out = _output({"sae": 2.0, "base_b": 1.0, "base_c": 2.0}, datasets=("d1",))
    for cell in out.cells:  # base_b's cross-validation flatters it
        cell.runs["base_b"] = [
            MethodRun(0.99, r.test_scores, r.config, 1.0, selection="kfold") for r in cell.runs["base_b"]
        ]
    comp = compare(out, rule=RULE, seed=0)["datasets"]["d1"]["regimes"]["normal"]["comparison"]
    assert comp["best_baseline"] == "base_c"
    assert comp["delta"] == pytest.approx(comp["against"]["base_c"]["delta"])


def test_identical_outputs_are_no_effect_never_equivalent():
    out = _output({"sae": 1.0, "base_b": 1.0}, datasets=("d1",))
    for cell in out.cells:
        cell.runs["base_b"] = list(cell.runs["sae"])
    result = compare(out, rule=RULE, seed=0)
    comp = result["datasets"]["d1"]["regimes"]["normal"]["comparison"]
    assert comp["se"] == 0.0 and comp["verdict"] == "inconclusive"
    assert comp["verdict_possible"] is False and "no effect" in comp["finding"]
    assert result["verdict"] == "inconclusive"


def test_an_inconclusive_result_says_what_would_resolve_it():
    result = compare(_output({"sae": 1.05, "base_b": 1.0}, datasets=("d1",)), rule=RULE, seed=0)
    comp = result["datasets"]["d1"]["regimes"]["normal"]["comparison"]
    assert comp["verdict"] == "inconclusive"
    assert comp["to_resolve"]["seeds_needed"] > SEEDS


@pytest.mark.parametrize(
    ("controls", "essential"),
    [((), False), (("ctrl",), True)],
)
def test_the_sae_is_essential_only_when_it_beats_every_control(controls, essential):
    sep = {"sae": 3.0, "base_b": 1.0, **{c: 1.0 for c in controls}}
    result = compare(_output(sep, controls=controls), rule=RULE, seed=0)
    assert result["controls"]["sae_essential"] is essential
    assert result["regimes"]["normal"]["sae_essential"] is essential


# --- the spec -----------------------------------------------------------------------------------


def _spec(**protocol):
    return spec_from_dict(
        {
            "task": "sparse_probing",
            "data": {"source": "synthetic", "datasets": ["sparse_atom"]},
            "sae": {"width": 64, "k": 4},
            "protocol": protocol,
        }
    )


def test_the_rule_version_is_in_the_resolved_spec_and_its_hash():
    spec = _spec()
    assert spec.to_dict()["protocol"]["rule_version"] == stats.RULE_VERSION == 4
    assert spec.protocol.margin_kind == "relative_error" and spec.protocol.relative_margin == 0.05
    assert spec.protocol.margin_floor == 0.01
    assert spec_hash(_spec(margin_kind="absolute")) != spec_hash(spec)
    assert spec_hash(_spec(margin_floor=0.02)) != spec_hash(spec)
    assert spec_hash(_spec(max_split_seeds=40)) != spec_hash(spec)


@pytest.mark.parametrize(
    ("protocol", "field", "message"),
    [
        ({"rule_version": 2}, "protocol.rule_version", "must be one of 4"),
        ({"margin_floor": -0.01}, "protocol.margin_floor", "must be >= 0.0"),
        ({"max_split_seeds": -1}, "protocol.max_split_seeds", "must be >= 0"),
        ({"margin_kind": "percent"}, "protocol.margin_kind", "relative_error, absolute, both"),
        ({"relative_margin": 1.5}, "protocol.relative_margin", "must be <= 1.0"),
        ({"cv_folds": 1}, "protocol.cv_folds", "must be >= 2"),
    ],
)
def test_bad_rule_settings_name_the_field(protocol, field, message):
    with pytest.raises(SpecError, match=message) as err:
        _spec(**protocol)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("main_delta", "hard_delta", "expected"),
    [
        (0.002, -0.010, "hard"),  # towards equivalent: the hardest comparator sets the need
        (0.002, 0.001, "hard"),  # both inside the margin: still the larger need
        (0.050, 0.001, "main"),  # towards a difference: the headline's own need
    ],
)
def test_what_would_decide_follows_the_comparator_that_binds(main_delta, hard_delta, expected):
    from replication.harness.compare import _to_resolve

    parts = {"seed_var": 1e-3, "row_var": 1e-5}
    main = stats.Estimate(main_delta, 0.004, 50.0, 0.025, n_seeds=10, components=parts)
    hard = stats.Estimate(hard_delta, 0.012, 50.0, 0.025, n_seeds=10, components=parts)
    got = _to_resolve(main, {"a": main, "b": hard}, 0.025, RULE)
    want = stats.resolve_more(main if expected == "main" else hard, 0.025, RULE.power)
    assert got == want
    if expected == "hard":
        assert got["seeds_needed"] > stats.resolve_more(main, 0.025, RULE.power)["seeds_needed"]
