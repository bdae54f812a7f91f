"""The database makes duplicates impossible; the model refuses malformed arXiv ids."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tracker.models import Candidacy, Paper


def make_paper(slug: str, **fields) -> Paper:
    return Paper.objects.create(slug=slug, title=slug.title(), **fields)


@pytest.mark.django_db
def test_one_paper_per_arxiv_id(seed_market):
    make_paper("first", arxiv_id="2601.00001")

    with pytest.raises(IntegrityError), transaction.atomic():
        make_paper("second", arxiv_id="2601.00001")

    assert Paper.objects.filter(arxiv_id="2601.00001").count() == 1


@pytest.mark.django_db
def test_works_without_an_arxiv_id_are_kept_by_url():
    make_paper("blog-a", url="https://example.org/post")

    with pytest.raises(IntegrityError), transaction.atomic():
        make_paper("blog-b", url="https://example.org/post")


@pytest.mark.django_db
def test_one_candidacy_per_paper_and_market(seed_market):
    paper = Paper.objects.get(arxiv_id="2502.04382")

    with pytest.raises(IntegrityError), transaction.atomic():
        Candidacy.objects.create(paper=paper, market=seed_market)

    assert Candidacy.objects.filter(paper=paper, market=seed_market).count() == 1


@pytest.mark.django_db
def test_cleaning_a_paper_keeps_the_id_without_its_version():
    paper = Paper(slug="p", title="P", arxiv_id="arXiv:2601.00002v3")

    paper.full_clean()

    assert (paper.arxiv_id, paper.arxiv_version) == ("2601.00002", 3)


@pytest.mark.django_db
def test_a_malformed_arxiv_id_is_refused_with_the_expected_form():
    paper = Paper(slug="p", title="P", arxiv_id="2601.2")

    with pytest.raises(ValidationError) as error:
        paper.full_clean()

    assert "expected a form like 2502.04382" in str(error.value.message_dict["arxiv_id"])
