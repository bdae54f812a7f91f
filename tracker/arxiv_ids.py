"""arXiv identifiers: parse, normalise (no version) and validate.

New style: 2502.04382 or 0704.0001 (4 digits after the dot before 2015, 5 since),
old style: hep-th/9901001 or math.GT/0309136; either may carry a version (v2) and may be
written as "arXiv:ID" or as an abs/pdf URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXPECTED_FORM = "2502.04382 (or 2502.04382v2), or an old-style id such as hep-th/9901001"

_NEW = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v(?P<version>\d+))?$")
_OLD = re.compile(r"^(?P<id>[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?$")
_PREFIXES = (
    "https://arxiv.org/abs/",
    "http://arxiv.org/abs/",
    "https://arxiv.org/pdf/",
    "http://arxiv.org/pdf/",
    "arxiv:",
)


class InvalidArxivId(ValueError):
    """Raised for text that is not an arXiv identifier; the message shows the form."""

    def __init__(self, raw: str) -> None:
        super().__init__(f"{raw!r} is not an arXiv id: expected a form like {EXPECTED_FORM}.")
        self.raw = raw


@dataclass(frozen=True)
class ArxivId:
    id: str
    version: int | None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def parse_arxiv_id(raw: str) -> ArxivId:
    text = (raw or "").strip()
    lowered = text.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix):]
            break
    text = text.removesuffix(".pdf")
    match = _NEW.match(text) or _OLD.match(text)
    if not match or (match.re is _NEW and not _plausible_new_style(match.group("id"))):
        raise InvalidArxivId(raw)
    version = match.group("version")
    return ArxivId(id=match.group("id"), version=int(version) if version else None)


def _plausible_new_style(identifier: str) -> bool:
    """A real month, and 4 digits after the dot until 2014, 5 from January 2015."""
    yymm, number = identifier.split(".")
    if not 1 <= int(yymm[2:]) <= 12:
        return False
    return len(number) == (5 if yymm >= "1501" else 4)


def normalize_arxiv_id(raw: str) -> str:
    """The id without its version: the key a paper is stored under."""
    return parse_arxiv_id(raw).id


def is_arxiv_id(raw: str) -> bool:
    try:
        parse_arxiv_id(raw)
    except InvalidArxivId:
        return False
    return True
