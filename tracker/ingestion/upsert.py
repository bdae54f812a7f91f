"""Upsert one page of arXiv entries with a constant number of queries.

Papers are keyed by arXiv id without version. A new paper is created with its authors and
its first recorded version; a higher version updates title, abstract, dates and authors
and adds to the version history; the same version with the same metadata changes nothing.
Every read and write is a bulk operation over the whole page, so the number of queries
depends on neither the number of entries nor the number of authors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

from tracker.ingestion.entries import Entry, latest_per_id
from tracker.models import Author, Authorship, Paper, PaperVersion, normalize_person_name

# Paper fields that ingestion owns and compares; any difference means an update.
SYNCED_FIELDS = (
    "arxiv_version",
    "title",
    "abstract",
    "published",
    "updated",
    "date_text",
    "primary_category",
    "categories",
    "arxiv_comment",
    "journal_ref",
    "doi",
    "withdrawn",
)


@dataclass
class PageOutcome:
    created: list[Paper] = field(default_factory=list)
    updated: list[Paper] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> list[Paper]:
        return self.created + self.updated


def _values(entry: Entry, previous: Paper | None) -> dict:
    abstract = entry.abstract
    if entry.withdrawn and previous is not None and previous.abstract:
        # The withdrawal notice replaces the abstract on arXiv; keep the last real one
        # here (the notice itself stays in the version history).
        abstract = previous.abstract
    return {
        "arxiv_version": entry.version,
        "title": entry.title,
        "abstract": abstract,
        "published": entry.published_at.date(),
        "updated": entry.updated_at.date(),
        "date_text": entry.published_at.date().isoformat(),
        "primary_category": entry.primary_category,
        "categories": list(entry.categories),
        "arxiv_comment": entry.comment,
        "journal_ref": entry.journal_ref,
        "doi": entry.doi,
        "withdrawn": entry.withdrawn,
    }


def _version_row(paper: Paper, entry: Entry) -> PaperVersion:
    return PaperVersion(
        paper=paper,
        version=entry.version,
        title=entry.title,
        abstract=entry.abstract,
        published_at=entry.published_at,
        updated_at=entry.updated_at,
        comment=entry.comment,
        withdrawn=entry.withdrawn,
    )


def upsert_entries(entries: list[Entry]) -> PageOutcome:
    """Store one page; call inside a transaction so a failure leaves nothing behind."""
    outcome = PageOutcome()
    entries = latest_per_id(entries)
    if not entries:
        return outcome
    now = timezone.now()
    existing = {
        p.arxiv_id: p
        for p in Paper.objects.filter(arxiv_id__in=[e.arxiv_id for e in entries])
    }

    to_create: list[tuple[Paper, Entry]] = []
    to_update: list[tuple[Paper, Entry]] = []
    new_version: list[tuple[Paper, Entry]] = []
    for entry in entries:
        paper = existing.get(entry.arxiv_id)
        if paper is None:
            values = _values(entry, None)
            paper = Paper(
                arxiv_id=entry.arxiv_id, slug=entry.slug, url=entry.abs_url,
                kind=Paper.Kind.PAPER, created_at=now, updated_at=now, **values,
            )
            to_create.append((paper, entry))
            continue
        if paper.arxiv_version is not None and entry.version < paper.arxiv_version:
            outcome.unchanged += 1  # an older version than we hold: ignore it
            continue
        values = _values(entry, paper)
        if all(getattr(paper, name) == value for name, value in values.items()):
            outcome.unchanged += 1
            continue
        if paper.arxiv_version is None or entry.version > paper.arxiv_version:
            new_version.append((paper, entry))
        for name, value in values.items():
            setattr(paper, name, value)
        if not paper.url:
            paper.url = entry.abs_url
        paper.updated_at = now
        to_update.append((paper, entry))

    if to_create:
        _create_papers(to_create)
    if to_update:
        # An upsert on the primary key: one plain INSERT ... ON CONFLICT DO UPDATE per
        # batch, much cheaper to build than bulk_update's CASE WHEN per field and row.
        Paper.objects.bulk_create(
            [p for p, _ in to_update],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=[*SYNCED_FIELDS, "url", "updated_at"],
        )
    # Authors are (re)written for new papers and for new versions whose list changed.
    _write_authors(to_create, new_version)
    versions = [_version_row(p, e) for p, e in to_create + new_version]
    if versions:
        PaperVersion.objects.bulk_create(versions, ignore_conflicts=True)

    outcome.created = [p for p, _ in to_create]
    outcome.updated = [p for p, _ in to_update]
    return outcome


def _create_papers(to_create: list[tuple[Paper, Entry]]) -> None:
    slugs = [p.slug for p, _ in to_create]
    taken = set(Paper.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    for paper, _ in to_create:
        if paper.slug in taken:  # a hand-made paper already uses the slug
            paper.slug = f"{paper.slug}-{paper.arxiv_version}-ingested"
    Paper.objects.bulk_create([p for p, _ in to_create])
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
        ids = dict(
            Paper.objects.filter(arxiv_id__in=[p.arxiv_id for p, _ in to_create])
            .values_list("arxiv_id", "pk")
        )
        for paper, _ in to_create:
            paper.pk = ids[paper.arxiv_id]


def _author_keys(names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(normalized, as written) per author, first occurrence of each person only."""
    seen: dict[str, str] = {}
    for name in names:
        key = normalize_person_name(name)[:200]
        if key and key not in seen:
            seen[key] = name[:200]
    return list(seen.items())


def _write_authors(
    created: list[tuple[Paper, Entry]], new_version: list[tuple[Paper, Entry]]
) -> None:
    wanted: dict[int, list[tuple[str, str]]] = {}
    for paper, entry in created:
        wanted[paper.pk] = _author_keys(entry.authors)
    if new_version:
        current: dict[int, list[str]] = {p.pk: [] for p, _ in new_version}
        rows = (
            Authorship.objects.filter(paper_id__in=current)
            .order_by("paper_id", "position")
            .values_list("paper_id", "author__normalized_name")
        )
        for paper_id, key in rows:
            current[paper_id].append(key)
        for paper, entry in new_version:
            keys = _author_keys(entry.authors)
            if [k for k, _ in keys] != current[paper.pk]:
                wanted[paper.pk] = keys
    if not wanted:
        return

    names = {key: name for keys in wanted.values() for key, name in keys}
    authors = dict(
        Author.objects.filter(normalized_name__in=names).values_list("normalized_name", "pk")
    )
    missing = [Author(name=names[k], normalized_name=k) for k in names if k not in authors]
    if missing:
        Author.objects.bulk_create(missing, ignore_conflicts=True)
        authors.update(
            Author.objects.filter(normalized_name__in=[a.normalized_name for a in missing])
            .values_list("normalized_name", "pk")
        )
    new_ids = {p.pk for p, _ in created}
    replaced = [pk for pk in wanted if pk not in new_ids]
    if replaced:
        Authorship.objects.filter(paper_id__in=replaced).delete()
    _insert_authorships(
        (paper_id, authors[key], position)
        for paper_id, keys in wanted.items()
        for position, (key, _) in enumerate(keys, start=1)
    )


def _column(model: type[Model], name: str) -> str:
    """The database column of one of ``model``'s concrete fields."""
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, Field) and model_field.column is not None
    return model_field.column


def _insert_authorships(rows) -> None:
    """Authorships are the most numerous rows (one per author per paper) and are three
    integers: one executemany instead of building a model instance for each."""
    rows = list(rows)
    if not rows:
        return
    columns = ", ".join(
        connection.ops.quote_name(_column(Authorship, name))
        for name in ("paper", "author", "position")
    )
    table = connection.ops.quote_name(Authorship._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s)"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
