"""Where a run's published files live: Django's storage API, alias ``replication``.

The harness writes into a local working folder (``var/replications/<run id>/``, which also
keeps its SAE checkpoints for a resumed run); when the run succeeds, its results.json,
summary and deltas plot are published through the storage, under ``replications/<run id>/``.
The default storage is a FileSystemStorage under the var folder; a deployment with several
web servers or workers points ``STORAGES["replication"]`` at shared or object storage
(README, "Replication artefacts") and nothing else changes. Checkpoints are never published.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages

ALIAS = "replication"
#: The files a run publishes, results.json first.
PUBLISHED = ("results.json", "summary.md", "deltas.png")


def storage() -> Storage:
    return storages[ALIAS]


def prefix_for(run_id: int) -> str:
    return f"replications/{run_id}"


def publish(*, run_id: int, files: dict[str, bytes]) -> str:
    """Save ``files`` (name -> content) under the run's prefix, replacing what is there;
    returns the prefix (the result's ``artifact_dir``)."""
    store = storage()
    prefix = prefix_for(run_id)
    for name, content in files.items():
        if name not in PUBLISHED:
            raise ValueError(f"{name!r} is not a file a run publishes ({', '.join(PUBLISHED)}).")
        path = f"{prefix}/{name}"
        if store.exists(path):
            store.delete(path)  # a re-published run replaces its file, never renames it
        store.save(path, ContentFile(content))
    return prefix


def read_folder(folder: Path, names: list[str]) -> dict[str, bytes]:
    """The named published files that exist in a harness output folder."""
    return {name: (folder / name).read_bytes() for name in names
            if name in PUBLISHED and (folder / name).is_file()}


def open_artifact(artifact_dir: str, name: str) -> File | None:
    """The published file, or None when it is not (or no longer) there. A result saved
    before artefacts were published keeps an absolute folder under the var folder."""
    if not artifact_dir or name not in PUBLISHED:
        return None
    if Path(artifact_dir).is_absolute():
        path = Path(artifact_dir) / name
        var = Path(settings.VAR_DIR).resolve()
        if path.resolve().is_relative_to(var) and path.is_file():
            return File(path.open("rb"), name=name)
        return None
    store = storage()
    stored = f"{artifact_dir}/{name}"
    if not store.exists(stored):
        return None
    return store.open(stored, "rb")
