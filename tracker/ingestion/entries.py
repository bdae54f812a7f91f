"""From the `arxiv` package's Result to the plain record the upsert stores (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import arxiv

from tracker.arxiv_ids import InvalidArxivId, parse_arxiv_id

_SPACE = re.compile(r"\s+")
_WITHDRAWN = re.compile(
    r"\b(?:(?:this|the) (?:paper|article|submission|manuscript|work|version) "
    r"(?:has been|is being|was|is) withdrawn"
    r"|withdrawn by (?:the )?(?:authors?|submitter|arxiv(?: admin(?:istrators?)?)?)"
    r"|(?:paper|submission|article) withdrawn)",
    re.IGNORECASE,
)


class BadEntry(ValueError):
    """An entry that cannot be stored (its id is not an arXiv id)."""


@dataclass(frozen=True)
class Entry:
    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: tuple[str, ...]
    published_at: datetime
    updated_at: datetime
    comment: str
    journal_ref: str
    doi: str
    primary_category: str
    categories: tuple[str, ...]
    withdrawn: bool

    @property
    def slug(self) -> str:
        return paper_slug(self.arxiv_id)

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"


def squash(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def paper_slug(arxiv_id: str) -> str:
    """2502.04382 -> arxiv-2502-04382; math.GT/0309136 -> arxiv-math-gt-0309136."""
    return "arxiv-" + re.sub(r"[^a-z0-9]+", "-", arxiv_id.lower()).strip("-")


def is_withdrawal(comment: str, abstract: str) -> bool:
    return bool(_WITHDRAWN.search(comment) or _WITHDRAWN.search(abstract[:400]))


def entry_from_result(result: arxiv.Result) -> Entry:
    short_id = result.get_short_id()
    try:
        parsed = parse_arxiv_id(short_id)
    except InvalidArxivId as exc:
        raise BadEntry(f"entry {result.entry_id!r}: {exc}") from None
    comment = squash(result.comment)
    abstract = squash(result.summary)
    authors: list[str] = []
    for author in result.authors:
        name = squash(author.name)
        if name:
            authors.append(name)
    return Entry(
        arxiv_id=parsed.id,
        version=parsed.version or 1,
        title=squash(result.title)[:500],
        abstract=abstract,
        authors=tuple(authors),
        published_at=result.published,
        updated_at=result.updated,
        comment=comment,
        journal_ref=squash(result.journal_ref)[:500],
        doi=squash(result.doi)[:200],
        primary_category=(result.primary_category or "")[:40],
        categories=tuple(dict.fromkeys(result.categories)),
        withdrawn=is_withdrawal(comment, abstract),
    )


def latest_per_id(entries: list[Entry]) -> list[Entry]:
    """One entry per arXiv id (the highest version), in first-seen order."""
    best: dict[str, Entry] = {}
    for entry in entries:
        current = best.get(entry.arxiv_id)
        if current is None or entry.version > current.version:
            best[entry.arxiv_id] = entry
    return list(best.values())
