"""The seed framework: each app may ship `<app>/seed.py` with `load(seed_dir: Path) -> None`.

`load_all` runs them in INSTALLED_APPS order inside one transaction, so a broken fixture
leaves nothing half-loaded. Loaders upsert by natural keys, so loading twice changes nothing.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
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


def validated(instance, where: str):
    """Field validation with the record named in the error."""
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise SeedError(f"{where}: {'; '.join(exc.messages)}") from None
    return instance


def upsert(model, lookup: dict[str, Any], values: dict[str, Any], where: str):
    """update_or_create that saves only when a value differs, so a re-load writes nothing.

    The instance comes back with `_seed_changed` telling whether it was written.
    """
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
    elif all(getattr(instance, k) == v for k, v in values.items()):
        instance._seed_changed = False
        return instance
    else:
        for key, value in values.items():
            setattr(instance, key, value)
    validated(instance, where).save()
    instance._seed_changed = True
    return instance


def app_modules(submodule: str) -> Iterator[tuple[str, ModuleType]]:
    """(label, module) for every installed app that ships `<app>.<submodule>`."""
    for config in apps.get_app_configs():
        name = f"{config.name}.{submodule}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        yield config.label, module


def _loaders() -> list[tuple[str, Callable[[Path], None]]]:
    return [(label, module.load) for label, module in app_modules("seed")]


def load_all(seed_dir: Path = SEED_DIR) -> list[str]:
    """Load every app's seed in one transaction; returns the labels of the apps loaded."""
    loaded = []
    with transaction.atomic():
        for label, load in _loaders():
            load(seed_dir)
            loaded.append(label)
    return loaded
