"""A week later the same search returns a new version, a withdrawal and an old entry."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.test_tracker.arxiv_server import ArxivStub, fast_config, recorded_pages
from tracker.ingestion.services import ingest_query
from tracker.models import Author, Paper, PaperVersion

pytestmark = pytest.mark.django_db


def _ingest(name: str):
    with ArxivStub(recorded_pages(name)) as stub:
        return ingest_query(query="q", max_results=None, config=fast_config(stub.url))


@pytest.fixture
def weekly_run():
    _ingest("sae")
    return _ingest("weekly")


def test_the_weekly_run_counts_one_new_paper_two_updates_and_one_unchanged(weekly_run):
    assert (weekly_run.fetched, weekly_run.created, weekly_run.updated, weekly_run.unchanged) == (
        4, 1, 2, 1,
    )


def test_a_new_version_updates_title_abstract_dates_and_authors(weekly_run):
    paper = Paper.objects.get(arxiv_id="2506.01873")
    assert paper.arxiv_version == 2
    assert paper.title == (
        "Sparse Autoencoders as Hypothesis Engines: Interpretable Predictors of Text Outcomes"
    )
    assert "court rulings" in paper.abstract
    assert paper.published == dt.date(2025, 6, 2)
    assert paper.updated == dt.date(2025, 7, 8)
    assert paper.arxiv_comment.startswith("v2:")
    assert paper.ordered_author_names()[-1] == "Kwame Mensah"
    assert Author.objects.filter(normalized_name="rajiv menon").count() == 1


def test_a_new_version_keeps_the_version_history(weekly_run):
    history = list(
        PaperVersion.objects.filter(paper__arxiv_id="2506.01873").order_by("version")
    )
    assert [v.version for v in history] == [1, 2]
    assert history[0].title.endswith("Finding What Text Predicts an Outcome")
    assert "three datasets" in history[0].abstract
    assert "court rulings" in history[1].abstract
    assert history[1].updated_at == dt.datetime(2025, 7, 8, 10, 15, tzinfo=dt.UTC)


def test_a_withdrawn_version_marks_the_paper_and_keeps_the_last_real_abstract(weekly_run):
    paper = Paper.objects.get(arxiv_id="2505.20001")
    assert paper.withdrawn is True
    assert paper.arxiv_version == 4
    assert "F1 from 0.81" in paper.abstract
    notice = PaperVersion.objects.get(paper=paper, version=4)
    assert notice.withdrawn is True
    assert notice.abstract.startswith("This paper has been withdrawn")
    assert not PaperVersion.objects.get(paper=paper, version=3).withdrawn


def test_an_old_style_id_with_a_subject_class_is_created(weekly_run):
    knot = Paper.objects.get(arxiv_id="math.GT/0309136")
    assert knot.slug == "arxiv-math-gt-0309136"
    assert knot.ordered_author_names() == ["Karl Pöhlmann"]


def test_an_older_version_never_replaces_a_newer_one(weekly_run):
    run = _ingest("sae")  # the first recording again: 2506.01873 is back at v1
    paper = Paper.objects.get(arxiv_id="2506.01873")
    assert paper.arxiv_version == 2
    assert "court rulings" in paper.abstract
    assert run.created == 0
    assert Paper.objects.get(arxiv_id="2505.20001").withdrawn is True


def test_a_paper_added_by_hand_is_completed_not_duplicated(db):
    Paper.objects.create(slug="hypothesis-engines", arxiv_id="2506.01873", title="SAE hypotheses",
                         short_name="HypothesisEngines")
    _ingest("sae")
    paper = Paper.objects.get(arxiv_id="2506.01873")
    assert paper.slug == "hypothesis-engines"
    assert paper.short_name == "HypothesisEngines"
    assert paper.arxiv_version == 1
    assert paper.abstract.startswith("We ask whether")
    assert paper.ordered_author_names() == ["Rajiv Menon", "Ana-María Ortega", "Tobias Lindqvist"]
    assert Paper.objects.filter(arxiv_id="2506.01873").count() == 1


def test_a_slug_taken_by_another_paper_gets_a_suffix(db):
    Paper.objects.create(slug="arxiv-2506-04410", title="A blog post that took the slug",
                         kind=Paper.Kind.BLOG, url="https://example.org/post")
    _ingest("sae")
    assert Paper.objects.get(arxiv_id="2506.04410").slug == "arxiv-2506-04410-1-ingested"
