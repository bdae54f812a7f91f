"""SAEs: every architecture trains, keeps a unit-norm decoder, and round-trips through
safetensors in SAELens's layout."""

from __future__ import annotations

import json

import numpy as np
import pytest

from replication.harness.errors import DataError, DeviceError
from replication.harness.spec import SAESpec
from replication.harness.synthetic import make_synthetic

pytestmark = pytest.mark.harness


@pytest.fixture(scope="module")
def pool():
    _, _, pool = make_synthetic(
        "sparse_atom", 10, seed=3, dim=32, n_atoms=64, active=3, pool_rows=3000
    )
    return pool


@pytest.mark.parametrize("architecture", ["topk", "batchtopk", "relu", "jumprelu"])
def test_each_architecture_learns_to_reconstruct(pool, architecture):
    import torch

    from replication.harness.sae import train_sae

    cfg = SAESpec(width=128, k=4, architecture=architecture, steps=150, batch_size=256, lr=3e-3)
    model, report = train_sae(pool, cfg, seed=0)
    assert report.fve > 0.3
    assert 0 <= report.dead_fraction <= 1
    assert report.samples == 150 * 256 and report.flops > 0
    norms = model.W_dec.detach().norm(dim=1)
    assert torch.allclose(norms, torch.ones_like(norms), atol=1e-4)
    if architecture in ("topk", "batchtopk"):
        assert report.l0 <= 4 * 1.5


def test_topk_latents_have_exactly_k_active(pool):
    import torch

    from replication.harness.sae import encode_numpy, train_sae

    model, _ = train_sae(pool, SAESpec(width=64, k=5, steps=30, batch_size=128), seed=1)
    z = encode_numpy(model, pool[:50])
    assert z.shape == (50, 64)
    with torch.no_grad():
        pre = model.pre_acts(torch.from_numpy(pool[:50]) * model.scaling_factor).numpy()
    # every row keeps exactly its 5 largest pre-activations...
    assert (pre > 0).sum(axis=1).min() >= 5  # (so the ReLU zeroes none of them)
    assert ((z > 0).sum(axis=1) == 5).all()
    top5 = np.sort(np.argsort(-pre, axis=1)[:, :5], axis=1)
    np.testing.assert_array_equal(np.sort(np.argsort(-z, axis=1)[:, :5], axis=1), top5)
    # ...at their pre-activation values
    np.testing.assert_allclose(np.take_along_axis(z, top5, 1),
                               np.take_along_axis(pre, top5, 1), rtol=1e-5, atol=1e-6)


def test_topk_keeps_exactly_k_of_many_positive_pre_activations():
    import torch

    from replication.harness.sae import SAE

    model = SAE(d_in=4, d_sae=16, architecture="topk", k=3)
    pre = torch.arange(1.0, 17.0).repeat(2, 1)  # all positive: 1..16 in every row
    pre[1] = pre[1].flip(0)
    acts = model.activations(pre)
    assert acts.count_nonzero(dim=1).tolist() == [3, 3]
    assert acts[0].nonzero().flatten().tolist() == [13, 14, 15]
    assert acts[1].nonzero().flatten().tolist() == [0, 1, 2]
    assert acts.sum(dim=1).tolist() == [14.0 + 15.0 + 16.0] * 2


@pytest.mark.parametrize("architecture", ["topk", "batchtopk", "relu", "jumprelu"])
def test_a_checkpoint_round_trips_in_saelens_layout(tmp_path, pool, architecture):
    from safetensors.torch import load_file

    from replication.harness.sae import encode_numpy, load_sae, save_sae, train_sae

    model, report = train_sae(
        pool, SAESpec(width=64, k=4, architecture=architecture, steps=20, batch_size=128), seed=2
    )
    save_sae(model, tmp_path / "sae", report)
    tensors = load_file(str(tmp_path / "sae" / "sae_weights.safetensors"))
    assert tensors["W_enc"].shape == (32, 64) and tensors["W_dec"].shape == (64, 32)
    cfg = json.loads((tmp_path / "sae" / "cfg.json").read_text())
    assert cfg["d_in"] == 32 and cfg["d_sae"] == 64
    loaded, _ = load_sae(tmp_path / "sae")
    np.testing.assert_allclose(
        encode_numpy(loaded, pool[:20]), encode_numpy(model, pool[:20]), atol=1e-5
    )


def test_an_saelens_standard_sae_loads(tmp_path):
    import torch
    from safetensors.torch import save_file

    from replication.harness.sae import encode_numpy, load_sae

    folder = tmp_path / "saelens"
    folder.mkdir()
    w_enc = torch.randn(8, 16)
    save_file(
        {
            "W_enc": w_enc,
            "b_enc": torch.zeros(16),
            "W_dec": w_enc.T.contiguous(),
            "b_dec": torch.zeros(8),
        },
        str(folder / "sae_weights.safetensors"),
    )
    (folder / "cfg.json").write_text(
        json.dumps({"architecture": "standard", "d_in": 8, "d_sae": 16})
    )
    model, _ = load_sae(folder)
    assert model.architecture == "relu"
    x = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    np.testing.assert_allclose(encode_numpy(model, x), np.maximum(x @ w_enc.numpy(), 0), atol=1e-5)


def test_a_file_that_is_not_an_sae_is_refused(tmp_path):
    import torch
    from safetensors.torch import save_file

    from replication.harness.sae import load_sae

    save_file({"weight": torch.zeros(2, 2)}, str(tmp_path / "x.safetensors"))
    with pytest.raises(DataError, match="missing"):
        load_sae(tmp_path / "x.safetensors")


def test_nan_in_the_pool_is_refused_before_training():
    from replication.harness.sae import train_sae

    pool = np.ones((100, 4), dtype=np.float32)
    pool[5, 2] = np.nan
    with pytest.raises(DataError, match="NaN"):
        train_sae(pool, SAESpec(width=8, k=2, steps=1), seed=0)


@pytest.fixture
def cuda_devices(monkeypatch):
    """Pretend this machine has ``n`` CUDA devices (0: no CUDA), whatever it has."""
    import torch

    def pretend(n: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)

    return pretend


@pytest.mark.parametrize(
    ("devices", "requested", "message"),
    [
        (0, "cuda", "CUDA is not available"),
        (0, "cuda:0", "CUDA is not available"),
        (2, "cuda:7", "this machine has 2 CUDA device"),
        (2, "tpu", "unknown device 'tpu'"),
    ],
)
def test_a_device_that_does_not_exist_is_an_error(cuda_devices, devices, requested, message):
    from replication.harness.device import resolve_device

    cuda_devices(devices)
    with pytest.raises(DeviceError, match=message):
        resolve_device(requested)


@pytest.mark.parametrize(
    ("devices", "requested", "resolved"),
    [
        (0, "auto", "cpu"),
        (1, "auto", "cuda"),
        (0, "cpu", "cpu"),
        (1, "cpu", "cpu"),
        (1, "cuda", "cuda"),
        (2, "cuda:1", "cuda:1"),
    ],
)
def test_auto_picks_cuda_when_present_and_cpu_otherwise(cuda_devices, devices, requested, resolved):
    from replication.harness.device import resolve_device

    cuda_devices(devices)
    assert resolve_device(requested) == resolved


# (d_in, width, architecture, k, samples) -> FLOPs, worked out by hand from the docstring:
# TopK per sample 2*d*W + 8*k*d; the others 4*d*W + 6*W*d = 10*d*W.
TRAINING_FLOPS = [
    ((384, 4096, "topk", 32, 1), 3_244_032),  # 3,145,728 + 98,304
    ((384, 4096, "relu", 0, 2), 31_457_280),  # 2 x 15,728,640
    ((16, 64, "topk", 4, 10), 25_600),  # 10 x (2,048 + 512)
    ((16, 64, "batchtopk", 4, 3), 30_720),  # 3 x 10,240: dense, like relu
    ((16, 64, "jumprelu", 0, 3), 30_720),
    ((384, 4096, "topk", 32, 0), 0),
]


@pytest.mark.parametrize(("args", "flops"), TRAINING_FLOPS)
def test_training_flops_follow_the_documented_formula(args, flops):
    from replication.harness.flops import sae_training_flops

    assert sae_training_flops(*args) == flops
