"""Compute-device selection: checked before any training starts."""

from __future__ import annotations

from replication.harness.errors import DeviceError


def resolve_device(requested: str) -> str:
    """Turn ``auto``/``cpu``/``cuda``/``cuda:N`` into a device that exists, or raise DeviceError."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cpu":
        return "cpu"
    if requested == "cuda" or requested.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device {requested!r} requested but CUDA is not available on this machine"
            )
        index = int(requested.split(":", 1)[1]) if ":" in requested else 0
        count = torch.cuda.device_count()
        if index >= count:
            raise DeviceError(
                f"device {requested!r} does not exist: this machine has {count} CUDA device(s)"
            )
        return requested
    raise DeviceError(f"unknown device {requested!r}: use auto, cpu, cuda or cuda:N")


def describe_device(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return f"{device} ({torch.cuda.get_device_name(torch.device(device))})"
    # The wording is part of every result's provenance: the shipped records carry it as is.
    return f"cpu ({torch.get_num_threads()} threads)"


def autocast(device: str):  # noqa: ANN201 - a torch context manager
    """bf16 autocast on CUDA; a no-op context on CPU."""
    import contextlib

    import torch

    if device.startswith("cuda"):
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
