"""Every message of the importer's row check, table-driven: a good row with one change, and
the exact problems it gets (issue 29 split the 133-line ``check`` into one validator per
column; these hold the words and their order, which a reader of the report relies on)."""

from __future__ import annotations

import pytest

from evaluations.forecasts.importing import ImportRejected, check_rows

pytestmark = pytest.mark.django_db

GOOD = {
    "forecaster": "stephen-casper", "set": "casper-import-test", "set_title": "Import test",
    "statement": "A statement.", "probability": "0.6", "made_on": "2025-01-02",
}
SEEDED_SET = "casper-2024-05-anthropic-next-sae"

CASES = [
    ({"colour": "blue", "size": "L"}, ["unknown column(s): colour, size."]),
    ({"__extra__": ["x"]}, ["more values than header columns."]),
    ({"forecaster": ""}, ["forecaster is missing."]),
    ({"forecaster": "nobody"}, ["unknown forecaster 'nobody'."]),
    ({"statement": "  \t "}, ["statement is empty."]),
    ({"set": ""}, ["set is missing."]),
    ({"set": "a b"}, ["set 'a b' is not a slug: use letters, digits, - and _ only (it "
                      "becomes part of a URL)."]),
    ({"set_source_url": "ftp://x.org/a"},
     ["set_source_url 'ftp://x.org/a' is not an http or https URL."]),
    ({"probability": "63%"}, ["probability '63%' is a percentage, but this column takes a "
                              "number in [0, 1] (write 0.63, or use the probability_percent "
                              "column)."]),
    ({"probability": "1.5"}, ["probability 1.5 is not in [0, 1]."]),
    ({"probability": "", "probability_percent": "150%"},
     ["probability_percent 150% is not in [0, 100]."]),
    ({"probability": "٠.٥"}, ["probability '٠.٥' is not a number."]),
    ({"made_on": ""}, ["made_on is missing."]),
    ({"made_on": "2025-W01-1"}, ["made_on '2025-W01-1' is not a date (YYYY-MM-DD)."]),
    ({"made_on": "0001-01-01"}, ["made_on 0001-01-01 is outside 1900 to 2199: a placeholder "
                                 "or a typo, not the date of a forecast."]),
    ({"position": "0"}, ["position '0' is not a whole number from 1 to 32767."]),
    ({"position": "2.5"}, ["position '2.5' is not a whole number from 1 to 32767."]),
    ({"position": 40000}, ["position '40000' is not a whole number from 1 to 32767."]),
    ({"outcome": "maybe"}, ["outcome 'maybe' is not one of pending, yes, no, annulled, "
                            "ambiguous."]),
    ({"outcome_inferred": "perhaps"}, ["outcome_inferred 'perhaps' is not true or false."]),
    ({"outcome_inferred": "yes"}, ["a pending outcome cannot be inferred."]),
    ({"market": "no-such-market"}, ["unknown market 'no-such-market'."]),
    ({"paper": "no-such-paper"}, ["unknown paper 'no-such-paper'."]),
    ({"paper": "2502.04382"}, ["a paper needs the market it is a candidate for."]),
    ({"set": SEEDED_SET, "forecaster": "neel-nanda"},
     [f"set '{SEEDED_SET}' belongs to 'stephen-casper', not 'neel-nanda'."]),
    ({"set_title": ""}, ["set 'casper-import-test' is new: set_title is required."]),
    ({"set": SEEDED_SET, "position": 1}, [f"set '{SEEDED_SET}' already has position 1."]),
    ({"set_published_on": "soon"}, ["set_published_on 'soon' is not a date (YYYY-MM-DD)."]),
    ({"resolves_by": "2300-01-01"}, ["resolves_by 2300-01-01 is outside 1900 to 2199: a "
                                     "placeholder or a typo, not the date of a forecast."]),
    ({"outcome_date": "20250101"}, ["outcome_date '20250101' is not a date (YYYY-MM-DD)."]),
    # Several problems: every one, in column order.
    ({"forecaster": "", "statement": "", "set": "", "probability": "x", "made_on": "",
      "outcome": "later"},
     ["forecaster is missing.", "statement is empty.", "set is missing.",
      "probability 'x' is not a number.", "made_on is missing.",
      "outcome 'later' is not one of pending, yes, no, annulled, ambiguous."]),
    # An edge problem alone: the column checks would only repeat it.
    ({"statement": "a\x00b", "probability": "x"}, ["statement contains a NUL character."]),
]


@pytest.mark.parametrize(("change", "problems"), CASES, ids=[str(c) for c, _ in CASES])
def test_a_row_with_one_fault_gets_exactly_its_message(seeded, change, problems):
    with pytest.raises(ImportRejected) as caught:
        check_rows([{**GOOD, **change}])
    assert caught.value.problems == [(1, problem) for problem in problems]


def test_the_paper_must_be_a_candidate_for_the_market(seeded):
    from tracker.models import Candidacy, Market, Paper

    market = Market.objects.get(candidacies__paper__slug="hypothesaes")
    Paper.objects.create(slug="not-a-candidate", title="Not a candidate", arxiv_id="2501.00009")
    with pytest.raises(ImportRejected) as caught:
        check_rows([{**GOOD, "market": market.slug, "paper": "2501.00009"}])
    assert caught.value.problems == [
        (1, f"paper '2501.00009' is not a candidate for {market.slug!r}.")]
    [row] = check_rows([{**GOOD, "market": market.slug, "paper": "hypothesaes"}])
    assert row.candidacy == Candidacy.objects.get(market=market, paper__slug="hypothesaes")


def test_rows_of_one_file_are_checked_against_each_other(seeded):
    rows = [{**GOOD, "position": 3}, {**GOOD, "statement": "a  STATEMENT.", "position": 3},
            {**GOOD, "statement": "Another.", "set_title": ""}]
    with pytest.raises(ImportRejected) as caught:
        check_rows(rows)
    assert caught.value.problems == [
        (2, "duplicate of row 1 (same set and statement)."),
        (2, "position 3 repeats row 1."),
    ]


def test_a_good_row_is_checked_into_its_values(seeded):
    [row] = check_rows([{**GOOD, "probability": "", "probability_percent": "63%",
                         "position": "4", "outcome": "YES", "outcome_inferred": "y"}])
    assert (row.forecaster.slug, row.set_slug, row.probability, row.position) == (
        "stephen-casper", "casper-import-test", 0.63, 4)
    assert (row.outcome, row.outcome_inferred, str(row.made_on)) == ("yes", True, "2025-01-02")
