"""Import of published predictions from CSV or JSON, all or nothing.

Every row is checked first; if any row is bad nothing is written and the caller gets a
report of row numbers and reasons. Columns are documented in docs/IMPORT.md.
Rows are numbered from 1 in file order, not counting a CSV header.

The edges are checked before anything reaches the database, each with its reason: the
file's size and row count, NUL bytes, a field too long for the CSV reader or JSON nested
too deeply, slugs, URL schemes (http and https only), lengths against the columns, and
numbers written in ASCII digits only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import Max

from evaluations.forecasts.models import Forecaster, Prediction, PredictionSet
from evaluations.forecasts.services import do_rescore
from tracker.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from tracker.models import Candidacy, Market, Paper

REQUIRED = ("forecaster", "set", "statement", "made_on")
OPTIONAL = (
    "probability", "probability_percent", "set_title", "set_published_on", "set_source_url",
    "set_about", "position", "resolves_by", "market", "paper", "outcome", "outcome_evidence",
    "outcome_date", "outcome_inferred", "notes",
)
COLUMNS = REQUIRED + OPTIONAL
_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}

#: Limits of one import: a file larger or longer is refused before it is parsed.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
#: ``Prediction.position`` is a small integer.
MAX_POSITION = 32767


def _max_length(model: type[models.Model], name: str) -> int:
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field) and model_field.max_length is not None
    return model_field.max_length


#: Longest value per column (the model's max_length where it has one).
MAX_LENGTHS = {
    "set": _max_length(PredictionSet, "slug"),
    "set_title": _max_length(PredictionSet, "title"),
    "set_source_url": _max_length(PredictionSet, "source_url"),
    "forecaster": _max_length(Forecaster, "slug"),
    "market": 100,
    "paper": 200,
}
MAX_TEXT = 20_000  # any other column
#: Dates outside these years are refused: no forecast in this tracker's domain was made
#: before 1900 or resolves after 2199, and placeholders such as 0001-01-01 and 9999-12-31
#: (the audit's) would otherwise reach the pages, whose charts and weekly sums then work
#: at the edge of what Python and PostgreSQL dates can hold.
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")
_ASCII_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)
_ASCII_WHOLE = re.compile(r"\d+\Z", re.ASCII)
_WEB_URL = URLValidator(schemes=["http", "https"])


class ImportRejected(Exception):
    """The file cannot be imported; ``problems`` lists (row or None, reason)."""

    def __init__(self, problems: Sequence[tuple[int | None, str]]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        lines = [f"Nothing imported: {len(self.problems)} problem(s)."]
        for row, reason in self.problems:
            lines.append(f"  {'file' if row is None else f'row {row}'}: {reason}")
        return "\n".join(lines)


@dataclass
class CheckedRow:
    number: int
    forecaster: Forecaster
    set_slug: str
    statement: str
    probability: float
    made_on: dt.date
    position: int | None = None
    set_title: str = ""
    set_published_on: dt.date | None = None
    set_source_url: str = ""
    set_about: str = ""
    resolves_by: dt.date | None = None
    market: Market | None = None
    candidacy: Candidacy | None = None
    outcome: str = Prediction.Outcome.PENDING
    outcome_evidence: str = ""
    outcome_date: dt.date | None = None
    outcome_inferred: bool = False
    notes: str = ""


@dataclass
class ImportResult:
    predictions: int = 0
    sets_created: list[str] = field(default_factory=list)
    scored: int = 0


# --- Reading ---------------------------------------------------------------------------


def read_rows(path: Path, fmt: str | None = None) -> list[dict[str, Any]]:
    """Rows of a CSV file (with a header) or a JSON file (a list of objects, or an object
    with a "predictions" list). The format follows the extension unless ``fmt`` is given."""
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "json"):
        raise ImportRejected([(None, f"Unknown format {fmt!r}: use a .csv or .json file.")])
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportRejected([(None, f"the file is {size:,} bytes; at most "
                                         f"{MAX_FILE_BYTES:,} are accepted in one import.")])
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportRejected([(None, f"{path} does not exist.")]) from None
    except IsADirectoryError:
        raise ImportRejected([(None, f"{path} is a folder: give the CSV or JSON file "
                                     "itself.")]) from None
    except OSError as exc:  # no permission, a device, ...
        raise ImportRejected([(None, f"{path} cannot be read: {exc.strerror}.")]) from None
    except UnicodeDecodeError:
        raise ImportRejected([(None, f"{path} is not UTF-8 text.")]) from None
    if "\x00" in text:
        lines = [n for n, line in enumerate(text.splitlines(), start=1) if "\x00" in line]
        shown = ", ".join(map(str, lines[:20])) + (" ..." if len(lines) > 20 else "")
        raise ImportRejected([(None, f"the file contains NUL bytes (line(s) {shown}): "
                                     "it is not a text file of predictions.")])
    rows = _json_rows(text) if fmt == "json" else _csv_rows(text)
    if len(rows) > MAX_ROWS:
        raise ImportRejected([(None, f"the file has {len(rows):,} rows; at most {MAX_ROWS:,} "
                                     "are accepted in one import: split it.")])
    return rows


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text, object_pairs_hook=_object_refusing_repeats)
    except json.JSONDecodeError as exc:
        raise ImportRejected([(None, f"not valid JSON ({exc}).")]) from None
    except _RepeatedKey as exc:
        raise ImportRejected([(None, f"a JSON object gives {exc.key!r} twice: each column "
                                     "once per row.")]) from None
    except ValueError as exc:  # an integer of more than 4,300 digits (Python's limit)
        raise ImportRejected([(None, f"not valid JSON: {exc}.")]) from None
    except RecursionError:
        raise ImportRejected([(None, "the JSON is nested too deeply: rows are objects of "
                                     "plain values.")]) from None
    if isinstance(data, dict):
        data = data.get("predictions")
    if not isinstance(data, list):
        raise ImportRejected([(None, 'JSON must be a list of rows or {"predictions": [...]}.')])
    problems = [
        (number, "not a JSON object.")
        for number, row in enumerate(data, start=1) if not isinstance(row, dict)
    ]
    if problems:
        raise ImportRejected(problems)
    return data


class _RepeatedKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object_refusing_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json keeps the last one silently)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _RepeatedKey(key)
        found[key] = value
    return found


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    try:
        if not reader.fieldnames:
            raise ImportRejected([(None, "the CSV file is empty (no header row).")])
        repeated = _repeated_columns(reader.fieldnames)
        if repeated:  # csv.DictReader would keep the last one silently
            raise ImportRejected([(None, f"the header names {repeated} more than once: each "
                                         "column once.")])
        for row in reader:
            if None in row:
                extra = row.pop(None)
                row["__extra__"] = extra
            rows.append(row)
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as exc:  # e.g. a field over csv.field_size_limit() (131,072)
        raise ImportRejected([(len(rows) + 1 if reader.fieldnames else None,
                               f"unreadable CSV at line {reader.line_num}: {exc}.")]) from None
    return rows


def _repeated_columns(names: Sequence[str]) -> str:
    """The header names given more than once, with their column numbers ('' if none)."""
    where: dict[str, list[int]] = {}
    for number, name in enumerate(names, start=1):
        where.setdefault(name.strip(), []).append(number)
    return "; ".join(f"{name!r} (columns {', '.join(map(str, numbers))})"
                     for name, numbers in where.items() if len(numbers) > 1)


# --- Checking --------------------------------------------------------------------------


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    return str(value).strip()


def _date(row: dict[str, Any], key: str, problems: list[str]) -> dt.date | None:
    """A calendar date written YYYY-MM-DD (fromisoformat alone also takes week dates such
    as 2025-W01-1 and 20250101), from FIRST_DATE to LAST_DATE."""
    value = _text(row, key)
    if not value:
        return None
    try:
        if not _ISO_DATE.match(value):
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        problems.append(f"{key} {value!r} is not a date (YYYY-MM-DD).")
        return None
    if not FIRST_DATE <= day <= LAST_DATE:
        problems.append(f"{key} {value} is outside {FIRST_DATE:%Y} to {LAST_DATE:%Y}: "
                        "a placeholder or a typo, not the date of a forecast.")
        return None
    return day


def _number(value: Any) -> float | None:
    """A number written with ASCII digits (float() alone takes Arabic-Indic and other
    digits, "inf" and "nan")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value) if math.isfinite(value) else None
        except OverflowError:  # a JSON integer of hundreds of digits
            return None
    text = str(value).strip()
    if not _ASCII_NUMBER.match(text):
        return None
    return float(text)


def _edge_problems(row: dict[str, Any]) -> list[str]:
    """Values that must never reach the database: non-plain values, NUL characters and
    values longer than their column."""
    problems = []
    for key, value in row.items():
        if not _is_unicode_text(key):
            problems.append(f"the column name {key!r} contains a lone surrogate.")
            continue
        if key == "__extra__" or value is None:
            continue
        if isinstance(value, dict | list):
            problems.append(f"{key} must be text or a number, not a JSON "
                            f"{'object' if isinstance(value, dict) else 'list'}.")
            continue
        text = str(value)
        if "\x00" in text:
            problems.append(f"{key} contains a NUL character.")
        if not _is_unicode_text(text):
            problems.append(f"{key} contains a lone surrogate (such as \\ud800): not text "
                            "that can be stored.")
        limit = MAX_LENGTHS.get(key, MAX_TEXT)
        if len(text.strip()) > limit:
            problems.append(f"{key} is {len(text.strip()):,} characters long; at most {limit:,}.")
    return problems


def _is_unicode_text(text: str) -> bool:
    """False for a string with a lone surrogate (JSON's "\\ud800"): no UTF-8 encoding,
    so no database, page or terminal can take it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _probability(row: dict[str, Any], problems: list[str]) -> float | None:
    raw, raw_pct = row.get("probability"), row.get("probability_percent")
    has, has_pct = _text(row, "probability") != "", _text(row, "probability_percent") != ""
    if has and has_pct:
        problems.append("give probability or probability_percent, not both.")
        return None
    if not has and not has_pct:
        problems.append("probability is missing (a number in [0, 1], e.g. 0.63).")
        return None
    if has:
        text = _text(row, "probability")
        if text.endswith("%"):
            problems.append(
                f"probability {text!r} is a percentage, but this column takes a number in "
                "[0, 1] (write 0.63, or use the probability_percent column)."
            )
            return None
        value = _number(raw)
        scale, column, bounds = 1.0, "probability", "[0, 1]"
    else:
        text = _text(row, "probability_percent")
        value = _number(text[:-1] if text.endswith("%") else raw_pct)
        scale, column, bounds = 100.0, "probability_percent", "[0, 100]"
    if value is None or math.isnan(value):
        problems.append(f"{column} {text!r} is not a number.")
        return None
    if not 0.0 <= value <= scale:
        problems.append(f"{column} {text} is not in {bounds}.")
        return None
    return value / scale


def _find_paper(reference: str) -> Paper | None:
    paper = Paper.objects.filter(slug=reference).first()
    if paper is None:
        try:
            paper = Paper.objects.filter(arxiv_id=normalize_arxiv_id(reference)).first()
        except InvalidArxivId:
            return None
    return paper


# Validators of one row's columns, each ``(row, problems) -> value``: a problem is appended
# (in the words the report shows) and the value is then None or empty.


def _column_problems(row: dict[str, Any], problems: list[str]) -> None:
    unknown = sorted(key for key in row if key not in COLUMNS and key != "__extra__")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}.")
    if "__extra__" in row:
        problems.append("more values than header columns.")


def _statement(row: dict[str, Any], problems: list[str]) -> str:
    statement = " ".join(_text(row, "statement").split())
    if not statement:
        problems.append("statement is empty.")
    return statement


def _set_slug(row: dict[str, Any], problems: list[str]) -> str:
    set_slug = _text(row, "set")
    if not set_slug:
        problems.append("set is missing.")
    elif not _SLUG.match(set_slug):
        problems.append(f"set {set_slug!r} is not a slug: use letters, digits, - and _ "
                        "only (it becomes part of a URL).")
        return ""
    return set_slug


def _source_url(row: dict[str, Any], problems: list[str]) -> str:
    source_url = _text(row, "set_source_url")
    if source_url:
        try:
            _WEB_URL(source_url)
        except ValidationError:
            problems.append(f"set_source_url {source_url!r} is not an http or https URL.")
    return source_url


def _made_on(row: dict[str, Any], problems: list[str]) -> dt.date | None:
    made_on = _date(row, "made_on", problems)
    if not _text(row, "made_on"):
        problems.append("made_on is missing.")
    return made_on


def _position(row: dict[str, Any], problems: list[str]) -> int | None:
    text = _text(row, "position")
    if not text:
        return None
    raw = row.get("position")
    if isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    if (not _ASCII_WHOLE.match(text) or len(text) > len(str(MAX_POSITION))
            or not 1 <= int(text) <= MAX_POSITION):
        problems.append(f"position {_text(row, 'position')!r} is not a whole number "
                        f"from 1 to {MAX_POSITION}.")
        return None
    return int(text)


def _outcome(row: dict[str, Any], problems: list[str]) -> tuple[str, bool]:
    """The outcome (pending when blank) and whether it was inferred."""
    outcome = _text(row, "outcome").lower() or Prediction.Outcome.PENDING
    if outcome not in Prediction.Outcome.values:
        problems.append(
            f"outcome {outcome!r} is not one of {', '.join(Prediction.Outcome.values)}."
        )
    inferred_text = _text(row, "outcome_inferred").lower()
    if inferred_text not in _TRUE | _FALSE:
        problems.append(f"outcome_inferred {inferred_text!r} is not true or false.")
    inferred = inferred_text in _TRUE
    if inferred and outcome == Prediction.Outcome.PENDING:
        problems.append("a pending outcome cannot be inferred.")
    return outcome, inferred


def _candidacy(row: dict[str, Any], market: Market | None,
               problems: list[str]) -> Candidacy | None:
    """The candidacy the ``paper`` column names for the row's market."""
    paper_ref, market_slug = _text(row, "paper"), _text(row, "market")
    if not paper_ref:
        return None
    paper = _find_paper(paper_ref)
    if paper is None:
        problems.append(f"unknown paper {paper_ref!r}.")
    elif not market_slug:
        problems.append("a paper needs the market it is a candidate for.")
    elif market is not None:
        candidacy = Candidacy.objects.filter(paper=paper, market=market).first()
        if candidacy is None:
            problems.append(f"paper {paper_ref!r} is not a candidate for {market_slug!r}.")
        return candidacy
    return None


@dataclass
class _Parsed:
    """A row's values once each column's validator has run (None where it found a problem)."""

    forecaster: Forecaster | None
    statement: str
    set_slug: str
    source_url: str
    probability: float | None
    made_on: dt.date | None
    position: int | None
    outcome: str
    inferred: bool
    market: Market | None
    candidacy: Candidacy | None


class _Checker:
    """Checks rows one by one, remembering what earlier rows (and the database) hold: known
    forecasters, markets and sets, and the statements and positions already taken."""

    def __init__(self) -> None:
        self.forecasters = {f.slug: f for f in Forecaster.objects.all()}
        self.markets: dict[str, Market | None] = {}
        self.sets = {s.slug: s for s in PredictionSet.objects.select_related("forecaster")}
        self.seen_statements: dict[tuple[str, str], int] = {}
        self.seen_positions: dict[tuple[str, int], int] = {}
        self.new_set_rows: dict[str, CheckedRow] = {}

    def market(self, slug: str) -> Market | None:
        if slug not in self.markets:
            self.markets[slug] = Market.objects.filter(slug=slug).first()
        return self.markets[slug]

    def check(self, number: int, row: dict[str, Any]) -> tuple[CheckedRow | None, list[str]]:
        """The checked row, or None and every problem found in it (in column order)."""
        problems: list[str] = _edge_problems(row)
        if problems:  # the other checks would only repeat these
            return None, problems
        _column_problems(row, problems)
        parsed = self._parse(row, problems)
        existing_set = self.sets.get(parsed.set_slug)
        self._set_problems(row, parsed, existing_set, problems)
        self._duplicate_problems(number, parsed, existing_set, problems)
        set_published_on = _date(row, "set_published_on", problems)
        resolves_by = _date(row, "resolves_by", problems)
        outcome_date = _date(row, "outcome_date", problems)
        if problems:
            return None, problems
        # Each of these records a problem when missing.
        assert parsed.forecaster is not None and parsed.probability is not None
        assert parsed.made_on is not None
        checked = CheckedRow(
            number=number, forecaster=parsed.forecaster, set_slug=parsed.set_slug,
            statement=parsed.statement, probability=parsed.probability,
            made_on=parsed.made_on, position=parsed.position,
            set_title=_text(row, "set_title"), set_published_on=set_published_on,
            set_source_url=parsed.source_url, set_about=_text(row, "set_about"),
            resolves_by=resolves_by, market=parsed.market, candidacy=parsed.candidacy,
            outcome=parsed.outcome, outcome_evidence=_text(row, "outcome_evidence"),
            outcome_date=outcome_date, outcome_inferred=parsed.inferred,
            notes=_text(row, "notes"),
        )
        if existing_set is None:
            self.new_set_rows.setdefault(parsed.set_slug, checked)
        return checked, []

    def _parse(self, row: dict[str, Any], problems: list[str]) -> _Parsed:
        forecaster = self._forecaster(row, problems)
        statement = _statement(row, problems)
        set_slug = _set_slug(row, problems)
        source_url = _source_url(row, problems)
        probability = _probability(row, problems)
        made_on = _made_on(row, problems)
        position = _position(row, problems)
        outcome, inferred = _outcome(row, problems)
        market = self._market(row, problems)
        candidacy = _candidacy(row, market, problems)
        return _Parsed(forecaster, statement, set_slug, source_url, probability, made_on,
                       position, outcome, inferred, market, candidacy)

    def _forecaster(self, row: dict[str, Any], problems: list[str]) -> Forecaster | None:
        slug = _text(row, "forecaster")
        forecaster = self.forecasters.get(slug)
        if not slug:
            problems.append("forecaster is missing.")
        elif forecaster is None:
            problems.append(f"unknown forecaster {slug!r}.")
        return forecaster

    def _market(self, row: dict[str, Any], problems: list[str]) -> Market | None:
        slug = _text(row, "market")
        if not slug:
            return None
        market = self.market(slug)
        if market is None:
            problems.append(f"unknown market {slug!r}.")
        return market

    def _set_problems(self, row: dict[str, Any], parsed: _Parsed,
                      existing_set: PredictionSet | None, problems: list[str]) -> None:
        """The set belongs to the row's forecaster; a new set has a title."""
        set_slug, forecaster = parsed.set_slug, parsed.forecaster
        if not set_slug:
            return
        if existing_set is not None and forecaster is not None \
                and existing_set.forecaster_id != forecaster.pk:
            problems.append(
                f"set {set_slug!r} belongs to {existing_set.forecaster.slug!r}, "
                f"not {forecaster.slug!r}."
            )
        if existing_set is None and set_slug not in self.new_set_rows \
                and not _text(row, "set_title"):
            problems.append(f"set {set_slug!r} is new: set_title is required.")

    def _duplicate_problems(self, number: int, parsed: _Parsed,
                            existing_set: PredictionSet | None, problems: list[str]) -> None:
        """No statement or position twice in a set, in the file or in the database."""
        set_slug, statement, position = parsed.set_slug, parsed.statement, parsed.position
        if set_slug and statement:
            key = (set_slug, statement.casefold())
            if key in self.seen_statements:
                problems.append(f"duplicate of row {self.seen_statements[key]} (same set and "
                                "statement).")
            else:
                self.seen_statements[key] = number
                if existing_set is not None and existing_set.predictions.filter(
                    statement__iexact=statement
                ).exists():
                    problems.append(f"duplicate: set {set_slug!r} already has this statement.")
        if set_slug and position is not None:
            at = (set_slug, position)
            if at in self.seen_positions:
                problems.append(f"position {position} repeats row {self.seen_positions[at]}.")
            else:
                self.seen_positions[at] = number
                if existing_set is not None and existing_set.predictions.filter(
                    position=position
                ).exists():
                    problems.append(f"set {set_slug!r} already has position {position}.")


def check_rows(rows: list[dict[str, Any]]) -> list[CheckedRow]:
    """Validate every row; raise ImportRejected listing every problem found."""
    if not rows:
        raise ImportRejected([(None, "the file has no rows.")])
    checker = _Checker()
    checked, problems = [], []
    for number, row in enumerate(rows, start=1):
        result, reasons = checker.check(number, row)
        problems += [(number, reason) for reason in reasons]
        if result is not None:
            checked.append(result)
    if problems:
        raise ImportRejected(problems)
    return checked


# --- Writing ---------------------------------------------------------------------------


def do_import_predictions(rows: list[dict[str, Any]], *, dry_run: bool = False) -> ImportResult:
    """Check every row, then write them all in one transaction (or nothing) and score them."""
    checked = check_rows(rows)
    result = ImportResult()
    if dry_run:
        result.predictions = len(checked)
        result.sets_created = sorted({r.set_slug for r in checked} - set(
            PredictionSet.objects.values_list("slug", flat=True)))
        return result
    with transaction.atomic():
        sets: dict[str, PredictionSet] = {}
        next_position: dict[str, int] = {}
        created = []
        for row in checked:
            prediction_set = sets.get(row.set_slug)
            if prediction_set is None:
                prediction_set = PredictionSet.objects.filter(slug=row.set_slug).first()
                if prediction_set is None:
                    prediction_set = PredictionSet.objects.create(
                        slug=row.set_slug, forecaster=row.forecaster, title=row.set_title,
                        published_on=row.set_published_on or row.made_on,
                        source_url=row.set_source_url, about=row.set_about,
                    )
                    result.sets_created.append(row.set_slug)
                sets[row.set_slug] = prediction_set
                highest = prediction_set.predictions.aggregate(top=Max("position"))["top"]
                taken = [r.position for r in checked
                         if r.set_slug == row.set_slug and r.position is not None]
                next_position[row.set_slug] = max([highest or 0, *taken]) + 1
            position = row.position
            if position is None:
                position = next_position[row.set_slug]
                next_position[row.set_slug] += 1
                if position > MAX_POSITION:  # rolls the whole import back
                    raise ImportRejected([(row.number, f"set {row.set_slug!r} would need "
                                           f"position {position}; at most {MAX_POSITION}.")])
            created.append(Prediction.objects.create(
                prediction_set=prediction_set, position=position, statement=row.statement,
                probability=row.probability, made_on=row.made_on, resolves_by=row.resolves_by,
                market=row.market, candidacy=row.candidacy, outcome=row.outcome,
                outcome_evidence=row.outcome_evidence, outcome_date=row.outcome_date,
                outcome_inferred=row.outcome_inferred, notes=row.notes,
            ))
        scored = do_rescore(Prediction.objects.filter(pk__in=[p.pk for p in created]))
    result.predictions = len(created)
    result.scored = scored.scored
    return result
