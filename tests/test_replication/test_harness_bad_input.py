"""Bad input gives a clear error before any SAE is trained."""

from __future__ import annotations

import numpy as np
import pytest

from replication.harness.api import run_spec
from replication.harness.errors import DataError, DeviceError, SpecError
from replication.harness.spec import parse_spec, spec_from_dict

pytestmark = pytest.mark.harness


@pytest.fixture(autouse=True)
def no_training(monkeypatch):
    import replication.harness.sae as sae_module

    def refuse(*args, **kwargs):
        raise AssertionError("training started before the input was checked")

    monkeypatch.setattr(sae_module, "train_sae", refuse)


def arrays_spec(path, **extra):
    return spec_from_dict(
        {
            "task": "sparse_probing",
            "data": {"source": "arrays", "path": str(path)},
            "sae": {"width": 16, "k": 2},
            **extra,
        }
    )


def write_arrays(path, X, y):
    np.savez(path, X=X, y=y)
    return path


def test_an_unknown_task_is_refused(tmp_path):
    with pytest.raises(SpecError, match="task: must be one of"):
        parse_spec('task = "mind_reading"\n[sae]\nwidth = 8\nk = 2\n')


def test_an_unknown_field_is_refused():
    with pytest.raises(SpecError, match=r"protocol\.seeds: unknown field"):
        spec_from_dict(
            {"task": "sparse_probing", "sae": {"width": 8, "k": 2}, "protocol": {"seeds": 3}}
        )


def test_a_dataset_with_one_class_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    path = write_arrays(
        tmp_path / "one.npz", rng.normal(size=(80, 4)).astype(np.float32), np.ones(80)
    )
    with pytest.raises(DataError, match="single class"):
        run_spec(arrays_spec(path), tmp_path / "out", device="cpu")


def test_a_csv_with_one_class_is_refused(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\n" + "".join(f"review number {i},good\n" for i in range(60)))
    spec = spec_from_dict(
        {
            "task": "sparse_probing",
            "data": {"source": "csv", "path": str(path)},
            "sae": {"width": 16, "k": 2},
        }
    )
    with pytest.raises(DataError, match="single class"):
        run_spec(spec, tmp_path / "out", device="cpu")


def test_a_csv_without_the_label_column_is_refused(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,stars\nfine,1\n")
    spec = spec_from_dict(
        {
            "task": "sparse_probing",
            "data": {"source": "csv", "path": str(path)},
            "sae": {"width": 16, "k": 2},
        }
    )
    with pytest.raises(DataError, match="no column 'label'"):
        run_spec(spec, tmp_path / "out", device="cpu")


def test_nan_in_the_activations_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4)).astype(np.float32)
    X[7, 1] = np.nan
    path = write_arrays(tmp_path / "nan.npz", X, np.arange(80) % 2)
    with pytest.raises(DataError, match="NaN"):
        run_spec(arrays_spec(path), tmp_path / "out", device="cpu")


def test_a_device_that_does_not_exist_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    path = write_arrays(
        tmp_path / "ok.npz", rng.normal(size=(80, 4)).astype(np.float32), np.arange(80) % 2
    )
    with pytest.raises(DeviceError, match="cuda:3"):
        run_spec(arrays_spec(path), tmp_path / "out", device="cuda:3")


def test_too_few_rows_are_refused(tmp_path):
    rng = np.random.default_rng(0)
    path = write_arrays(
        tmp_path / "tiny.npz", rng.normal(size=(10, 4)).astype(np.float32), np.arange(10) % 2
    )
    with pytest.raises(DataError, match="usable rows"):
        run_spec(arrays_spec(path), tmp_path / "out", device="cpu")


def test_an_unknown_sae_probes_dataset_is_refused(tmp_path):
    spec = spec_from_dict(
        {
            "task": "sparse_probing",
            "data": {"source": "sae_probes", "datasets": ["999_nope"]},
            "sae": {"width": 16, "k": 2},
        }
    )
    with pytest.raises(DataError, match="999_nope"):
        run_spec(spec, tmp_path / "out", device="cpu")


def test_the_command_line_reports_errors_without_a_traceback(tmp_path, capsys):
    from replication.harness.cli import main

    path = tmp_path / "bad.toml"
    path.write_text('task = "sparse_probing"\n[sae]\nwidth = 8\nk = 16\n')
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "error: sae.k" in err
    assert err.rstrip().endswith(f"(in {path})")  # the file is named
