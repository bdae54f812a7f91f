"""Leftovers of issue 29, each with the behaviour that replaced it:

- the harness reads one variable, REPLICATION_CACHE_DIR, and the tracker's worker sets it
  from its settings (the harness no longer reads TRACKER_VAR_DIR behind the README's back);
- an in-process run (an eager task inside a test's transaction) starts its heartbeat like a
  worker's: execution.py has no branch for tests;
- a spec file with an unknown suffix is refused by name, never sniffed by content.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.management import CommandError, call_command

from replication import services
from replication.harness.activations import cache_dir
from replication.harness.errors import SpecError
from replication.harness.spec import load_spec_file
from replication.models import ReplicationSpec
from tests.replication_specs import make_spec, tiny_spec_text


def test_the_worker_hands_the_harness_its_cache_folder(settings, monkeypatch, tmp_path):
    from replication.execution import export_harness_settings

    monkeypatch.delenv("REPLICATION_CACHE_DIR", raising=False)  # restored afterwards
    monkeypatch.setenv("TRACKER_VAR_DIR", str(tmp_path / "ignored-by-the-harness"))
    settings.REPLICATION_CACHE_DIR = tmp_path / "the-settings-cache"
    assert cache_dir() != settings.REPLICATION_CACHE_DIR  # the harness reads no settings

    export_harness_settings()

    assert cache_dir() == tmp_path / "the-settings-cache"


@pytest.mark.django_db
def test_an_in_process_run_starts_its_heartbeat_as_a_worker_does(settings, tmp_path,
                                                                   monkeypatch):
    from replication.execution import execute_run

    monkeypatch.setenv("REPLICATION_CACHE_DIR", str(tmp_path / "cache"))
    settings.REPLICATION_CACHE_DIR = tmp_path / "cache"
    run = services.create_run(spec=make_spec())
    name, seen, done = f"replication-heartbeat-{run.pk}", [], threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.extend(t.name for t in threading.enumerate() if t.name == name)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        outcome = execute_run(run_id=run.pk, worker_host="in-process", out_dir=tmp_path / "o")
    finally:
        done.set()
        watcher.join(timeout=5)
    assert outcome == "succeeded"
    assert seen, "no heartbeat thread ran during the in-process run"
    # stopped afterwards (told to stop on the way out; it ends within its next wait)
    deadline = time.monotonic() + 10
    while name in {t.name for t in threading.enumerate()} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert name not in {t.name for t in threading.enumerate()}


@pytest.mark.parametrize("name", ["spec.yaml", "spec.txt", "spec"])
def test_a_spec_file_with_an_unknown_suffix_is_refused_by_name(tmp_path, name):
    path = tmp_path / name
    path.write_text(tiny_spec_text())  # valid TOML: it would have been sniffed and read
    with pytest.raises(SpecError) as caught:
        load_spec_file(path)
    suffix = repr(path.suffix) if path.suffix else "'(none)'"
    assert f"unknown spec file suffix {suffix}: a spec file is .toml or .json" in str(caught.value)
    assert str(path) in str(caught.value)


@pytest.mark.django_db
def test_replicate_refuses_a_spec_file_with_an_unknown_suffix(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(tiny_spec_text())
    with pytest.raises(CommandError, match=r"Unknown spec file suffix '\.yaml'"):
        call_command("replicate", str(path))
    assert not ReplicationSpec.objects.exists()
    toml = tmp_path / "spec.toml"
    toml.write_text(tiny_spec_text())
    assert load_spec_file(toml).task == "sparse_probing"
