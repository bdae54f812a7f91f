"""Specs: the smallest valid spec, documented defaults, field-named errors, the content hash."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from replication.harness.errors import SpecError
from replication.harness.spec import (
    TASKS,
    describe_fields,
    load_spec_file,
    parse_spec,
    spec_from_dict,
    spec_hash,
)

pytestmark = pytest.mark.harness

MINIMAL_TOML = """
task = "sparse_probing"
[data]
source = "sae_probes"
datasets = ["all"]
[sae]
width = 4096
k = 32
"""


def minimal(**overrides):
    raw = {
        "task": "sparse_probing",
        "data": {"source": "sae_probes"},
        "sae": {"width": 4096, "k": 32},
    }
    raw.update(overrides)
    return raw


def test_a_spec_with_task_data_width_and_k_is_valid_and_gets_the_documented_defaults():
    spec = parse_spec(MINIMAL_TOML)
    assert spec.task == "sparse_probing"
    assert spec.protocol.split_seeds == 10
    assert spec.protocol.sae_seeds == 3
    assert spec.protocol.margin == 0.01
    assert spec.protocol.regimes == [
        "normal",
        "scarcity",
        "imbalance",
        "label_noise",
        "covariate_shift",
    ]
    assert spec.baselines == ("logreg", "pca_logreg", "knn")
    assert spec.protocol.tuning_budget == 8
    assert spec.device == "auto"
    assert spec.activations.model == "minilm"


def test_toml_and_json_of_the_same_run_share_one_hash():
    toml_spec = parse_spec(MINIMAL_TOML)
    json_spec = parse_spec(json.dumps(minimal(data={"source": "sae_probes", "datasets": ["all"]})))
    assert spec_hash(toml_spec) == spec_hash(json_spec)


def test_writing_out_a_default_does_not_change_the_hash_but_editing_a_value_does():
    base = spec_hash(spec_from_dict(minimal()))
    assert spec_hash(spec_from_dict(minimal(protocol={"margin": 0.01}))) == base
    assert spec_hash(spec_from_dict(minimal(protocol={"margin": 0.02}))) != base


def test_spec_files_load_from_a_path(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(MINIMAL_TOML)
    assert load_spec_file(path).sae.width == 4096
    assert load_spec_file(str(path)).sae.k == 32


def test_a_json_file_loads_by_its_suffix(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(minimal()))
    assert load_spec_file(path) == spec_from_dict(minimal())


def test_spec_text_is_never_taken_for_a_path(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(MINIMAL_TOML)
    # a one-line spec is text as it stands: no trailing newline needed
    assert parse_spec('task = "ood_detection"').task == "ood_detection"
    # and a path given as text is (invalid) TOML, not a file to open
    with pytest.raises(SpecError, match=r"^invalid TOML: .* \(in <text>\)$"):
        parse_spec(str(path))


def test_a_missing_spec_file_is_named(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(SpecError) as info:
        load_spec_file(path)
    assert str(info.value) == f"spec file not found (in {path})"
    assert info.value.source == str(path)


def test_errors_in_a_file_name_the_file_and_the_field(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(MINIMAL_TOML.replace("k = 32", "k = 8192"))
    with pytest.raises(SpecError) as info:
        load_spec_file(path)
    assert info.value.field == "sae.k"
    assert str(info.value) == f"sae.k: must not exceed sae.width (4096), got 8192 (in {path})"
    assert info.value.detail == "sae.k: must not exceed sae.width (4096), got 8192"


def test_errors_in_spec_text_name_its_source():
    with pytest.raises(SpecError) as info:
        parse_spec('task = "sparse_probbing"', source="spec 7")
    assert info.value.field == "task"
    assert str(info.value).startswith("task: must be one of")
    assert str(info.value).endswith(" (in spec 7)")
    with pytest.raises(SpecError, match=r"^invalid JSON: .* \(in <text>\)$"):
        parse_spec('{"task": ')


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (minimal(task="sparse_probbing"), "task"),
        ({"data": {"source": "sae_probes"}, "sae": {"width": 8, "k": 2}}, "task"),
        (minimal(colour="blue"), "colour"),
        (minimal(sae={"width": 4096, "k": 32, "widht": 3}), "sae.widht"),
        (minimal(sae={"fit": "sometimes"}), "sae.fit"),
        (minimal(sae={"min_fve": 2.0}), "sae.min_fve"),
        (
            minimal(task_options={"reference_methods": ["hypothesaes"]}),
            "task_options.reference_methods[0]",
        ),
        (
            minimal(task_options={"sae_probe_variants": ["l3"]}),
            "task_options.sae_probe_variants[0]",
        ),
        (minimal(scope={"tests": "x", "maybe": "y"}), "scope.maybe"),
        (minimal(sae={"width": 16, "k": 32}), "sae.k"),
        (minimal(sae={"width": "big", "k": 32}), "sae.width"),
        (minimal(sae={"width": 64, "k": 8, "architecture": "gated"}), "sae.architecture"),
        (minimal(protocol={"regimes": ["normal", "hard"]}), "protocol.regimes[1]"),
        (minimal(protocol={"baselines": ["xgboost"]}), "protocol.baselines[0]"),
        (minimal(protocol={"margin": -0.1}), "protocol.margin"),
        (minimal(protocol={"split_seeds": 0}), "protocol.split_seeds"),
        (minimal(data={"source": "ftp"}), "data.source"),
        (minimal(data="sae_probes"), "data"),
        (minimal(device="tpu"), "device"),
        (minimal(task_options={"n_features": 5}), "task_options.n_features"),
        (minimal(activations={"model": "gpt-5"}), "activations.model"),
        (minimal(activations={"pooling": "max"}), "activations.pooling"),
    ],
)
def test_a_bad_spec_names_the_offending_field(raw, field):
    with pytest.raises(SpecError) as info:
        spec_from_dict(raw)
    assert info.value.field == field
    assert str(info.value).startswith(field)


def test_a_spec_that_is_not_toml_or_json_is_reported():
    with pytest.raises(SpecError, match="invalid TOML"):
        parse_spec("task = [unclosed")


def test_a_checkpoint_replaces_width_and_k():
    spec = spec_from_dict(
        {
            "task": "ood_detection",
            "data": {"source": "sae_probes"},
            "sae": {"checkpoint": "some/folder"},
        }
    )
    assert spec.sae.checkpoint == "some/folder"


def test_every_task_has_a_default_baseline_set():
    for task in TASKS:
        spec = spec_from_dict(minimal(task=task))
        assert spec.baselines


def test_every_field_is_documented():
    rows = describe_fields()
    assert len(rows) > 50 and {"task", "sae.k", "protocol.margin"} <= {p for p, _, _ in rows}
    assert all(doc for path, doc, _ in rows if "." in path), [
        p for p, d, _ in rows if not d and "." in p
    ]


def test_importing_the_spec_and_stats_modules_does_not_import_torch():
    code = (
        "import sys; import replication.harness.spec, replication.harness.stats, "
        "replication.harness.api; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
