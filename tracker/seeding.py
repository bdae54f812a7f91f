"""The seed framework: each app may ship `<app>/seed.py` with `load(seed_dir: Path) -> None`.

`load_all` runs them in INSTALLED_APPS order inside one transaction, so a broken fixture
leaves nothing half-loaded. Loaders upsert by natural keys, so loading twice changes nothing.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction

SEED_DIR = Path(settings.BASE_DIR) / "seed"


class SeedError(Exception):
    """A fixture record that cannot be loaded; the message names the record."""


def read_fixture(seed_dir: Path, name: str) -> dict[str, Any]:
    path = seed_dir / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedError(f"{path}: fixture file is missing.") from None
    except json.JSONDecodeError as exc:
        raise SeedError(f"{path}: not valid JSON ({exc}).") from None


def require(record: dict[str, Any], field: str, where: str) -> Any:
    value = record.get(field)
    if value in (None, ""):
        raise SeedError(f"{where}: required field {field!r} is missing.")
    return value


def _loaders() -> list[tuple[str, Callable[[Path], None]]]:
    found = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.seed")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.seed":
                raise
            continue
        found.append((config.label, module.load))
    return found


def load_all(seed_dir: Path = SEED_DIR) -> list[str]:
    """Load every app's seed in one transaction; returns the labels of the apps loaded."""
    loaded = []
    with transaction.atomic():
        for label, load in _loaders():
            load(seed_dir)
            loaded.append(label)
    return loaded
