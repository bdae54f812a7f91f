"""The cast: a reader, adjudicators Ada and Ben (and Cleo for a third rater), Sam who
co-wrote a paper under review, Rita the staff resolver, and Otto, staff outside both
groups. Plus a two-criterion market with two candidacies, small enough to check by hand."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from evaluations import services
from tracker.models import Author, Authorship, Candidacy, Criterion, Market, Paper


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(username: str, first: str, last: str, *, staff: bool = False,
          groups: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(
        username, password="pw-" + username, first_name=first, last_name=last, is_staff=staff
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def reader(db):
    return _user("reader", "Rea", "Der")


@pytest.fixture
def ada(db):
    return _user("ada", "Ada", "Adjudicator", staff=True, groups=("adjudicators",))


@pytest.fixture
def ben(db):
    return _user("ben", "Ben", "Blind", staff=True, groups=("adjudicators",))


@pytest.fixture
def cleo(db):
    return _user("cleo", "Cleo", "Third", staff=True, groups=("adjudicators",))


@pytest.fixture
def sam(db):
    """An adjudicator who is an author (as 'Samuel Marks', spelt differently)."""
    return _user("sam", "Sámuel", "MARKS", staff=True, groups=("adjudicators",))


@pytest.fixture
def rita(db):
    return _user("rita", "Rita", "Resolver", staff=True, groups=("resolvers",))


@pytest.fixture
def otto(db):
    return _user("otto", "Otto", "Outsider", staff=True)


@pytest.fixture
def tiny(db):
    """A market with two must-pass criteria and one informational one; two candidacies,
    the first co-written by Samuel Marks."""
    market = Market.objects.create(slug="tiny", title="Tiny market")
    criteria = [
        Criterion.objects.create(market=market, key="useful", order=1, title="Useful task",
                                 description="d", kind=Criterion.Kind.MUST_PASS),
        Criterion.objects.create(market=market, key="beats", order=2, title="Beats baselines",
                                 description="d", kind=Criterion.Kind.MUST_PASS),
        Criterion.objects.create(market=market, key="note", order=3, title="A note",
                                 description="d", kind=Criterion.Kind.INFORMATIONAL,
                                 not_applicable=Criterion.NotApplicable.DEFAULT),
    ]
    x = Paper.objects.create(slug="paper-x", title="Paper X", arxiv_id="2501.00001")
    y = Paper.objects.create(slug="paper-y", title="Paper Y", arxiv_id="2501.00002")
    for position, name in enumerate(["Jane Doe", "Samuel Marks"], start=1):
        Authorship.objects.create(
            paper=x, position=position,
            author=Author.objects.get_or_create(name=name)[0],
        )
    return {
        "market": market,
        "criteria": {c.key: c for c in criteria},
        "x": Candidacy.objects.create(paper=x, market=market),
        "y": Candidacy.objects.create(paper=y, market=market),
    }


def score(user, candidacy, votes: dict[str, str], *, submit: bool = True, confidence: int = 3):
    """Record `votes` (criterion key -> verdict) as `user`, then submit them."""
    criteria = {c.key: c for c in candidacy.market.criteria.all()}
    for key, verdict in votes.items():
        services.record_assessment(
            adjudicator=user, candidacy=candidacy, criterion=criteria[key], verdict=verdict,
            confidence=confidence, rationale=f"{user.username} says {verdict} on {key}.",
        )
    if submit:
        services.submit_assessments(adjudicator=user, candidacy=candidacy)


@pytest.fixture
def three_raters(tiny, ada, ben, cleo):
    """Three adjudicators score both candidacies of the tiny market (hand-checkable):
    useful on X: M M M; beats on X: M M N; useful on Y: N N N; beats on Y: M N U;
    the informational criterion is marked not applicable by all."""
    na = "not_applicable"
    score(ada, tiny["x"], {"useful": "met", "beats": "met", "note": na})
    score(ben, tiny["x"], {"useful": "met", "beats": "met", "note": na})
    score(cleo, tiny["x"], {"useful": "met", "beats": "not_met", "note": na})
    score(ada, tiny["y"], {"useful": "not_met", "beats": "met", "note": na})
    score(ben, tiny["y"], {"useful": "not_met", "beats": "not_met", "note": na})
    score(cleo, tiny["y"], {"useful": "not_met", "beats": "unclear", "note": na})
    return tiny
