"""Errors the harness raises before any training starts."""

from __future__ import annotations


class HarnessError(Exception):
    """Base class: something about the run's inputs is wrong."""


class SpecError(HarnessError):
    """A spec is malformed; the message names the offending field, then the spec's source
    (its file, when it came from one): ``sae.k: must not exceed ... (in run.toml)``."""

    def __init__(self, field: str, message: str, *, source: str = "") -> None:
        self.field = field
        self.message = message
        self.source = source
        #: the error without its source: "field: message"
        self.detail = f"{field}: {message}" if field else message
        super().__init__(f"{self.detail} (in {source})" if source else self.detail)


class DataError(HarnessError):
    """A dataset or an activation array cannot be used as given."""


class DeviceError(HarnessError):
    """The requested compute device does not exist on this machine."""
