"""`manage.py import_predictions`: CSV and JSON, all or nothing, with a row-numbered report."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from evaluations.forecasts.importing import ImportRejected, do_import_predictions
from evaluations.forecasts.models import Prediction, PredictionSet, Score

pytestmark = pytest.mark.django_db
FILES = Path(__file__).parent / "files"

GOOD_ROW = {
    "forecaster": "stephen-casper", "set": "casper-import-test", "set_title": "Import test",
    "statement": "A good statement.", "probability": "0.5", "made_on": "2025-01-01",
}


def _import(path: Path) -> str:
    out = StringIO()
    call_command("import_predictions", str(path), stdout=out)
    return out.getvalue()


def test_a_good_csv_file_is_imported_and_scored(seeded):
    message = _import(FILES / "good.csv")
    assert "Imported 2 predictions, 1 scored" in message
    prediction_set = PredictionSet.objects.get(slug="casper-test-2025")
    first, second = prediction_set.predictions.order_by("position")
    assert (first.position, first.probability, first.outcome) == (1, 0.3, "yes")
    assert (second.position, second.outcome) == (2, "pending")
    assert first.score.brier == pytest.approx(0.49)
    assert not Score.objects.filter(prediction=second).exists()


def test_a_good_json_file_takes_percentages_only_in_the_percent_column(seeded):
    _import(FILES / "good.json")
    by_statement = {
        p.statement: p for p in Prediction.objects.filter(prediction_set__slug="manifold-test-2025")
    }
    linked = by_statement["The seed market resolves YES (test)."]
    assert linked.probability == pytest.approx(0.7)
    assert linked.market.slug == "sae-downstream-beat-baselines"
    assert linked.score.brier == pytest.approx(0.09)
    second = by_statement["A second crowd statement."]
    assert second.position == 5 and second.outcome_inferred


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"probability": "1.2"}, "probability 1.2 is not in [0, 1]"),
        ({"probability": "63%"}, "'63%' is a percentage"),
        ({"probability": "-0.1"}, "is not in [0, 1]"),
        ({"probability": "sure"}, "is not a number"),
        ({"probability": ""}, "probability is missing"),
        ({"probability_percent": "63"}, "not both"),
        ({"statement": "   "}, "statement is empty"),
        ({"forecaster": "nobody-at-all"}, "unknown forecaster 'nobody-at-all'"),
        ({"made_on": "11/10/2024"}, "is not a date"),
        ({"outcome": "maybe"}, "outcome 'maybe' is not one of"),
        ({"market": "no-such-market"}, "unknown market"),
        ({"set": "casper-2024-05-anthropic-next-sae", "forecaster": "manifold-crowd"},
         "belongs to 'stephen-casper'"),
        ({"set": "a-new-set", "set_title": ""}, "set_title is required"),
        ({"set": "casper-2024-05-anthropic-next-sae",
          "statement": "Using an SAE as a zero-shot anomaly detector."}, None),
        ({"colour": "blue"}, "unknown column(s): colour"),
    ],
)
def test_a_bad_row_is_reported_by_number_and_nothing_is_imported(seeded, change, reason):
    rows = [dict(GOOD_ROW), {**GOOD_ROW, "statement": "Another good one.", **change}]
    before = Prediction.objects.count()
    with pytest.raises(ImportRejected) as caught:
        do_import_predictions(rows)
    if reason is None:  # a seeded statement, in the project's words, is not repeated
        statement = Prediction.objects.filter(
            prediction_set__slug="casper-2024-05-anthropic-next-sae", position=8
        ).values_list("statement", flat=True).get()
        rows[1]["statement"] = statement
        with pytest.raises(ImportRejected) as caught:
            do_import_predictions(rows)
        reason = "already has this statement"
    assert [row for row, _ in caught.value.problems] == [2]
    assert reason in caught.value.problems[0][1]
    assert Prediction.objects.count() == before
    assert not PredictionSet.objects.filter(slug="casper-import-test").exists()


def test_a_duplicate_row_in_the_same_file_names_the_first_one(seeded):
    rows = [dict(GOOD_ROW), dict(GOOD_ROW)]
    with pytest.raises(ImportRejected) as caught:
        do_import_predictions(rows)
    assert caught.value.problems == [(2, "duplicate of row 1 (same set and statement).")]


def test_the_command_lists_every_bad_row_and_imports_nothing(seeded):
    before = Prediction.objects.count()
    with pytest.raises(CommandError) as caught:
        _import(FILES / "bad.csv")
    report = str(caught.value)
    assert report.startswith("Nothing imported: 5 problem(s).")
    for expected in (
        "row 2: probability 1.2 is not in [0, 1]",
        "row 3: probability '63%' is a percentage",
        "row 4: statement is empty",
        "row 5: duplicate of row 1",
        "row 6: unknown forecaster 'nobody-at-all'",
    ):
        assert expected in report
    assert Prediction.objects.count() == before


def test_importing_the_same_file_twice_is_refused_as_duplicates(seeded):
    _import(FILES / "good.csv")
    with pytest.raises(CommandError, match="already has this statement"):
        _import(FILES / "good.csv")
    assert PredictionSet.objects.get(slug="casper-test-2025").predictions.count() == 2


def test_a_dry_run_checks_everything_and_writes_nothing(seeded):
    out = StringIO()
    call_command("import_predictions", str(FILES / "good.json"), "--dry-run", stdout=out)
    assert "Would import 2 predictions" in out.getvalue()
    assert not PredictionSet.objects.filter(slug="manifold-test-2025").exists()


def test_json_that_is_not_a_list_of_rows_is_refused(seeded, tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps({"rows": []}))
    with pytest.raises(CommandError, match="list of rows"):
        _import(path)
