import pytest

from tracker.arxiv_ids import ArxivId, InvalidArxivId, normalize_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2502.04382", ArxivId("2502.04382", None)),
        ("2502.04382v2", ArxivId("2502.04382", 2)),
        ("arXiv:2503.10965v1", ArxivId("2503.10965", 1)),
        ("https://arxiv.org/abs/2406.11717v3", ArxivId("2406.11717", 3)),
        ("http://arxiv.org/pdf/2403.19647.pdf", ArxivId("2403.19647", None)),
        ("0704.0001", ArxivId("0704.0001", None)),
        ("hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("math.GT/0309136", ArxivId("math.GT/0309136", None)),
        ("  2502.16681  ", ArxivId("2502.16681", None)),
    ],
)
def test_it_parses_every_written_form(raw, expected):
    assert parse_arxiv_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "2502.1", "2502.0438", "0704.00001", "2513.04382", "25020.04382", "2502.04382v",
     "hep-th/990100", "sieve", "1234.5678.9"],
)
def test_a_malformed_id_is_refused_showing_the_expected_form(raw):
    with pytest.raises(InvalidArxivId) as error:
        parse_arxiv_id(raw)

    assert "expected a form like 2502.04382" in str(error.value)
    assert "hep-th/9901001" in str(error.value)


def test_normalising_drops_the_version():
    assert normalize_arxiv_id("hep-th/9901001v2") == "hep-th/9901001"
