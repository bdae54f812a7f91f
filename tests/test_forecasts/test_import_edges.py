"""Input that must be refused at the edge (D6-D8): each file below was accepted, or ended
in a raw traceback. Now `import_predictions` names the row and the reason, exits non-zero,
and the database is exactly as before."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from evaluations.forecasts.models import Prediction, PredictionSet, Score

pytestmark = pytest.mark.django_db

ROW = {
    "forecaster": "stephen-casper", "set": "casper-edge-test", "set_title": "Edge test",
    "statement": "A good statement.", "probability": "0.5", "made_on": "2025-01-01",
}


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _state() -> tuple:
    return (Prediction.objects.count(), PredictionSet.objects.count(), Score.objects.count(),
            sorted(PredictionSet.objects.values_list("slug", flat=True)))


def _refused(path: Path) -> str:
    before = _state()
    with pytest.raises(CommandError) as caught:
        call_command("import_predictions", str(path))
    assert _state() == before  # nothing written
    message = str(caught.value)
    assert message.startswith("Nothing imported:")
    return message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # D6: the slug ended in a 500 (NoReverseMatch) on the forecaster's page.
        ({"set": "bad slug/../x"},
         "row 1: set 'bad slug/../x' is not a slug: use letters, digits, - and _ only"),
        # D7: stored, then rendered as a link.
        ({"set_source_url": "javascript:alert(document.cookie)"},
         "row 1: set_source_url 'javascript:alert(document.cookie)' is not an http or https URL."),
        ({"set_source_url": "ftp://example.org/x"}, "is not an http or https URL."),
        # D8: tracebacks from the database.
        ({"set": "s" * 121}, "row 1: set is 121 characters long; at most 120."),
        ({"set_title": "t" * 301}, "row 1: set_title is 301 characters long; at most 300."),
        ({"position": "32768"}, "row 1: position '32768' is not a whole number from 1 to 32767."),
        ({"position": "٣"}, "row 1: position '٣' is not a whole number"),
        # Arabic-Indic digits were taken as 0.5.
        ({"probability": "٠.٥"}, "row 1: probability '٠.٥' is not a number."),
        ({"probability": "nan"}, "row 1: probability 'nan' is not a number."),
        ({"made_on": "٢٠٢٥-01-01"}, "row 1: made_on '٢٠٢٥-01-01' is not a date"),
        ({"statement": "x" * 20_001}, "row 1: statement is 20,001 characters long; at most 20,000."),
        # F5: accepted, then /forecasters/<slug>/ answered 500 (a chart tick before year 1).
        ({"made_on": "0001-01-01"},
         "row 1: made_on 0001-01-01 is outside 1900 to 2199: a placeholder or a typo"),
        ({"made_on": "9999-12-31"}, "row 1: made_on 9999-12-31 is outside 1900 to 2199"),
        ({"resolves_by": "9999-12-31"}, "row 1: resolves_by 9999-12-31 is outside 1900 to 2199"),
        # Minor: ISO week dates and the basic format were taken as dates.
        ({"made_on": "2025-W01-1"}, "row 1: made_on '2025-W01-1' is not a date (YYYY-MM-DD)."),
        ({"outcome_date": "20250101"}, "row 1: outcome_date '20250101' is not a date"),
        # F6: int() of 5,000 digits raised ValueError (Python's integer string limit).
        ({"position": "1" * 5000}, "row 1: position '1111"),
    ],
)
def test_a_bad_value_is_refused_with_its_row_and_reason(seeded, tmp_path, change, message):
    path = tmp_path / "bad.csv"
    path.write_text(_csv([{**ROW, **change}]), encoding="utf-8")

    assert message in _refused(path)


def test_every_bad_row_is_reported_not_only_the_first(seeded, tmp_path):
    rows = [ROW, {**ROW, "statement": "Two", "set": "a/b"},
            {**ROW, "statement": "Three", "probability": "١"}]
    path = tmp_path / "bad.csv"
    path.write_text(_csv(rows), encoding="utf-8")

    report = _refused(path)

    assert "2 problem(s)" in report
    assert "row 2: set 'a/b' is not a slug" in report
    assert "row 3: probability '١' is not a number." in report


def test_a_nul_byte_is_refused_naming_its_line(seeded, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_text(_csv([ROW]).replace("A good", "A\x00good"), encoding="utf-8")

    assert "file: the file contains NUL bytes (line(s) 2)" in _refused(path)


def test_a_nul_character_inside_json_is_refused(seeded, tmp_path):
    path = tmp_path / "nul.json"
    path.write_text(json.dumps([{**ROW, "statement": "A\x00good"}]), encoding="utf-8")

    assert "row 1: statement contains a NUL character." in _refused(path)


def test_a_csv_field_over_the_readers_limit_is_refused(seeded, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(_csv([{**ROW, "notes": "n" * 131_073}]), encoding="utf-8")

    assert "row 1: unreadable CSV at line 2: field larger than field limit (131072)." in (
        _refused(path))


def test_json_nested_a_hundred_thousand_deep_is_refused(seeded, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")

    assert "file: the JSON is nested too deeply" in _refused(path)


def test_a_json_value_that_is_an_object_is_refused(seeded, tmp_path):
    path = tmp_path / "object.json"
    path.write_text(json.dumps([{**ROW, "statement": {"a": 1}}]), encoding="utf-8")

    assert "row 1: statement must be text or a number, not a JSON object." in _refused(path)


def test_more_rows_than_one_import_takes_are_refused_before_any_work(seeded, tmp_path):
    """D8: 32,768 rows overflowed the position column after 23 s and 386 MB."""
    rows = [{**ROW, "statement": f"Statement {i}"} for i in range(10_001)]
    path = tmp_path / "many.csv"
    path.write_text(_csv(rows), encoding="utf-8")

    assert "file: the file has 10,001 rows; at most 10,000 are accepted in one import" in (
        _refused(path))


def test_a_file_over_the_size_limit_is_refused_unread(seeded, tmp_path, monkeypatch):
    monkeypatch.setattr("evaluations.forecasts.importing.MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.csv"
    path.write_text(_csv([ROW]) + "x" * 1000, encoding="utf-8")

    assert "file: the file is 1,1" in _refused(path)
    assert "bytes; at most 1,000 are accepted in one import." in _refused(path)


def test_the_good_row_itself_is_imported(seeded, tmp_path):
    """The edge checks refuse the cases above, not good rows."""
    path = tmp_path / "good.csv"
    path.write_text(_csv([{**ROW, "set_source_url": "https://example.org/post",
                           "position": "32767"}]), encoding="utf-8")

    call_command("import_predictions", str(path), stdout=io.StringIO())

    stored = PredictionSet.objects.get(slug="casper-edge-test")
    assert stored.source_url == "https://example.org/post"
    assert stored.predictions.get().position == 32767


def test_json_with_a_lone_surrogate_is_refused(seeded, tmp_path):
    """F6: psycopg's UnicodeEncodeError on PostgreSQL (SQLite stored it, then pages broke)."""
    path = tmp_path / "surrogate.json"
    path.write_text(json.dumps([ROW])[:-2] + ', "notes": "\\ud800"}]', encoding="utf-8")

    assert "row 1: notes contains a lone surrogate (such as \\ud800)" in _refused(path)


def test_json_with_a_lone_surrogate_in_a_column_name_is_refused(seeded, tmp_path):
    path = tmp_path / "surrogate-key.json"
    path.write_text(json.dumps([ROW])[:-2] + ', "\\udfff": "x"}]', encoding="utf-8")

    assert "row 1: the column name '\\udfff' contains a lone surrogate." in _refused(path)


@pytest.mark.parametrize("column", ["position", "probability"])
def test_a_json_number_of_five_thousand_digits_is_refused(seeded, tmp_path, column):
    """F6: a ValueError traceback (Python refuses integers of over 4,300 digits)."""
    path = tmp_path / "digits.json"
    path.write_text(json.dumps([ROW])[:-2] + f', "{column}": {"1" * 5000}}}]', encoding="utf-8")

    assert "file: not valid JSON: Exceeds the limit (4300 digits)" in _refused(path)


def test_a_folder_given_as_the_file_is_refused(seeded, tmp_path):
    """F6: IsADirectoryError."""
    folder = tmp_path / "predictions.csv"
    folder.mkdir()

    assert f"file: {folder} is a folder: give the CSV or JSON file itself." in _refused(folder)


def test_a_column_given_twice_in_the_csv_header_is_refused(seeded, tmp_path):
    """Minor: csv.DictReader kept the last probability silently."""
    path = tmp_path / "twice.csv"
    path.write_text("forecaster,set,set_title,statement,probability,made_on,probability\n"
                    "stephen-casper,casper-edge-test,T,A statement.,0.9,2025-01-01,0.1\n",
                    encoding="utf-8")

    assert ("file: the header names 'probability' (columns 5, 7) more than once: each "
            "column once.") in _refused(path)


def test_a_key_given_twice_in_a_json_row_is_refused(seeded, tmp_path):
    path = tmp_path / "twice.json"
    path.write_text(json.dumps([ROW])[:-2] + ', "probability": "0.1"}]', encoding="utf-8")

    assert "file: a JSON object gives 'probability' twice: each column once per row." in (
        _refused(path))


def test_the_first_and_last_accepted_dates_are_imported(seeded, tmp_path, client):
    """The range's edges are dates like any other: imported, and the forecaster's page
    draws them."""
    path = tmp_path / "edges.csv"
    path.write_text(_csv([{**ROW, "made_on": "1900-01-01", "outcome": "yes"},
                          {**ROW, "statement": "Another.", "made_on": "2199-12-31",
                           "resolves_by": "2199-12-31", "outcome": "no"}]), encoding="utf-8")

    call_command("import_predictions", str(path), stdout=io.StringIO())

    assert Prediction.objects.filter(prediction_set__slug="casper-edge-test").count() == 2
    page = client.get("/forecasters/stephen-casper/")
    assert page.status_code == 200
    assert "Scores over time" in page.content.decode()
