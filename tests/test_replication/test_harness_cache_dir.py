"""Where the harness caches embeddings: the most specific choice first, never the cwd."""

from __future__ import annotations

from pathlib import Path

import pytest

from replication.harness.activations import cache_dir

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("spec_value", "env", "expected"),
    [
        ("/spec/cache", {"REPLICATION_CACHE_DIR": "/env/cache", "TRACKER_VAR_DIR": "/var/t"},
         Path("/spec/cache")),
        ("", {"REPLICATION_CACHE_DIR": "/env/cache", "TRACKER_VAR_DIR": "/var/t"},
         Path("/env/cache")),
        # The harness reads no other variable: the tracker's var folder is the worker's
        # business (it sets REPLICATION_CACHE_DIR, below).
        ("", {"TRACKER_VAR_DIR": "/var/t"}, CHECKOUT / "var" / "cache" / "embeddings"),
        ("", {}, CHECKOUT / "var" / "cache" / "embeddings"),
    ],
)
def test_the_cache_folder_follows_spec_then_environment_then_var(
    spec_value, env, expected, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)  # the working directory never decides
    for name in ("REPLICATION_CACHE_DIR", "TRACKER_VAR_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert cache_dir(spec_value) == expected
