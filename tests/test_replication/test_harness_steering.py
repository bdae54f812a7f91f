"""The steering task on a planted world (a tiny hand-set Llama, see steering_world.py):
it can say beats and loses, hooks leave the model as it was, strength 0 and conditional
suppression where the latent is silent are no-ops, and bad input fails before generating."""

from __future__ import annotations

import json

import numpy as np
import pytest

from replication.harness.api import run_spec
from replication.harness.errors import DataError, HarnessError
from replication.harness.spec import spec_from_dict
from tests.test_replication.steering_world import build_world, world_spec

pytestmark = pytest.mark.harness


@pytest.fixture(scope="module")
def beats_world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("beats"), shared=False, decoder="write")


@pytest.fixture(scope="module")
def loses_world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("loses"), shared=True, decoder="read")


def _lm(model_dir):
    from pathlib import Path

    from replication.harness.steering.lm import load_lm

    return load_lm(f"hf:{model_dir}", device="cpu", cache=Path("unused"))


def test_an_sae_latent_that_writes_the_concept_beats_handicapped_baselines(beats_world, tmp_path):
    raw = world_spec(*beats_world)
    # a spec's own scope is what results.json states (the task's words are the fallback)
    raw["scope"] = {"tests": "the planted latent", "does_not_test": "any real model"}
    result = run_spec(spec_from_dict(raw), tmp_path)
    results = result.results
    block = results["datasets"]["ocean"]["regimes"]["steer"]
    assert block["comparison"]["verdict"] == "beats", block["comparison"]
    assert results["verdict"] == "beats"
    assert results["win_tie_loss"]["won"] == 1.0
    sae = block["methods"]["sae_addition"]
    assert sae["test_concept"] > 0.8
    for baseline in ("diff_in_means", "probe", "prompting"):
        assert block["methods"][baseline]["test_concept"] < 0.5
    concept = results["notes"]["concepts"]["ocean"]
    assert concept["latents"][0]["latent"] == 0 and concept["selective"] is True
    assert results["notes"]["selective_latent_share"] == 1.0
    assert results["scope"] == raw["scope"]
    # every method's chosen setting is effective and strictly inside its searched span
    for name in ("sae_addition", "diff_in_means", "probe"):
        for config in block["methods"][name]["configs"]:
            assert config["effective"] is True and 1.0 < config["s"] < 4.0, (name, config)
    tried = [p for p in results["notes"]["pareto"]["steer/ocean"] if p["method"] == "probe"]
    assert len({p["config"]["s"] for p in tried if p["seed"] == 0}) == 3  # the budget, 3
    # the judge's accuracy on generated text it was not trained on is recorded
    judged = results["notes"]["judge"]["ocean"]["generated_validation"]
    assert 0.0 <= judged["accuracy"] <= 1.0 and judged["n_pos"] == judged["n_neg"] == 4
    # the Pareto points and the compute record are there
    assert any(p["on_frontier"] for p in results["notes"]["pareto"]["steer/ocean"])
    assert results["compute"]["methods"]["sae_addition"] > 0


def test_an_sae_latent_that_writes_nothing_loses_to_diff_in_means(loses_world, tmp_path):
    spec = world_spec(*loses_world, baselines=["diff_in_means"])
    result = run_spec(spec_from_dict(spec), tmp_path)
    block = result.results["datasets"]["ocean"]["regimes"]["steer"]
    assert block["comparison"]["verdict"] == "loses", block["comparison"]
    assert result.verdict == "loses"
    assert block["methods"]["diff_in_means"]["test_concept"] > 0.8


def test_hooks_leave_the_model_unchanged_and_strength_zero_is_a_no_op(beats_world):
    import torch

    from replication.harness.sae import load_sae
    from replication.harness.steering import interventions as iv
    from replication.harness.steering.lm import generate

    lm = _lm(beats_world[0])
    sae, _ = load_sae(beats_world[1])
    prompts = [
        lm.format(p) for p in ("Describe a day at the beach.", "Give me two tips about sleep.")
    ]
    batch = lm.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.no_grad():
        before = lm.model(**batch).logits.clone()
    kwargs = {"layer": 1, "max_new_tokens": 10, "seed": 3, "temperature": 0.7}
    plain = generate(lm, prompts, **kwargs)
    direction = np.ones(lm.d_model, dtype=np.float32)
    zero = generate(lm, prompts, intervention=iv.Add(direction, np.zeros(2)), **kwargs)
    steered = generate(lm, prompts, intervention=iv.Clamp(sae, 0, np.array([50.0, 50.0])), **kwargs)
    with torch.no_grad():
        after = lm.model(**batch).logits
    assert zero.texts == plain.texts and zero.new_tokens == plain.new_tokens
    assert steered.texts != plain.texts  # the hook did act while it was registered
    assert torch.equal(before, after)
    assert not lm.block(1)._forward_hooks


def test_conditional_suppression_is_a_no_op_where_the_latent_does_not_fire(beats_world):
    import torch

    from replication.harness.sae import load_sae
    from replication.harness.steering import interventions as iv

    sae, _ = load_sae(beats_world[1])
    sae.requires_grad_(False)
    read = sae.W_enc[:, 0]
    rng = torch.Generator().manual_seed(0)
    h = torch.randn(2, 5, sae.d_in, generator=rng)
    h = h - (h @ read)[..., None] * read - 0.5 * read  # latent 0's pre-activation is negative
    assert float(sae.encode(h)[..., 0].abs().max()) == 0.0
    edit = iv.ConditionalClamp(sae, 0, np.array([-10.0, -10.0])).rows(slice(0, 2))
    assert torch.equal(edit(h), h)
    fired = h.clone()
    fired[0, 2] += 4.0 * read  # one position where it fires: only that one changes
    out = edit(fired)
    changed = (out != fired).any(-1)
    assert changed[0, 2] and int(changed.sum()) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"activations": {"model": "hf:/nonexistent/model-folder"}}, "not available locally"),
        ({"activations": {"layer": 7}}, "out of range"),
        ({"task_options": {"min_examples": 40}}, "at least task_options.min_examples"),
        ({"task_options": {"n_prompts": 0}}, "prompt list is empty"),
        ({"task_options": {"n_validation": 24}}, "one validation and one test prompt"),
        ({"task_options": {"strengths": [0.0]}}, "strength 0 is the unsteered model"),
    ],
)
def test_bad_input_fails_before_any_generation(beats_world, tmp_path, monkeypatch, change, message):
    from replication.harness.tasks.steering import judging, scoring

    def no_generation(*args, **kwargs):
        raise AssertionError("generation started before the inputs were checked")

    monkeypatch.setattr(scoring, "generate", no_generation)
    monkeypatch.setattr(judging, "generate", no_generation)
    raw = world_spec(*beats_world)
    for section, values in change.items():
        raw[section] = {**raw[section], **values}
    with pytest.raises(HarnessError, match=message) as info:
        run_spec(spec_from_dict(raw), tmp_path / "run")
    assert isinstance(info.value, DataError)
    assert not (tmp_path / "run" / "results.json").exists()


def test_the_ci_spec_states_its_size(tmp_path):
    """The CI spec is as small as its header says, and what a run stores of it (its
    canonical JSON, whose hash names the run) reads back as the same spec, sizes included."""
    from replication.harness.spec import canonical_json, load_spec_file, spec_hash

    spec = load_spec_file("replication/specs/ci_steering.toml")
    assert spec.task == "steering" and spec.data.datasets == ["ocean"]
    assert spec.option("n_prompts") == 6 and spec.option("max_new_tokens") == 16
    assert spec.option("n_validation") == 2 and spec.option("modes") == ["steer", "suppress"]
    assert spec.option("sae_methods") == ["sae_clamp"]
    # budget 3: two span points and one inside the bracket, so the search is exercised
    assert (spec.protocol.split_seeds, spec.protocol.sae_seeds,
            spec.protocol.tuning_budget) == (1, 1, 3)
    stored = json.loads(canonical_json(spec))
    assert stored["task_options"]["n_prompts"] == 6
    assert stored["task_options"]["max_new_tokens"] == 16
    assert list(stored["data"]["datasets"]) == ["ocean"]
    assert spec_hash(spec_from_dict(stored)) == spec_hash(spec)
