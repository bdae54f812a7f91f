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
