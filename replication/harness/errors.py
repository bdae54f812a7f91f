"""Errors the harness raises before any training starts."""

from __future__ import annotations


class HarnessError(Exception):
    """Base class: something about the run's inputs is wrong."""


class SpecError(HarnessError):
    """A spec is malformed; the message names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class DataError(HarnessError):
    """A dataset or an activation array cannot be used as given."""


class DeviceError(HarnessError):
    """The requested compute device does not exist on this machine."""
