"""The login lockout keys on the client's real address and cannot be turned against a
user (F2): behind the trusted proxy the address is the last X-Forwarded-For entry (the
one the proxy appended), never one a client wrote; without a proxy the header is ignored.
Failures from one address lock only that address out, for that user name; password
spraying (few guesses at many user names) locks the sprayer's address out."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"  # nginx on the same host: every request's REMOTE_ADDR
HOME, ATTACKER = "1.1.1.1", "8.8.8.8"
PASSWORD = "pw-alice-long-enough"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password=PASSWORD, is_staff=True)


@pytest.fixture
def behind_proxy(settings):
    settings.BEHIND_TRUSTED_PROXY = True


def log_in(username: str, password: str, **meta) -> tuple[int, str]:
    """A fresh browser's login POST to the admin: (status, text of the answer)."""
    response = Client().post(reverse("admin:login"),
                             {"username": username, "password": password}, **meta)
    return response.status_code, response.content.decode()


def through_proxy(forwarded_for: str) -> dict[str, str]:
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded_for}


def test_failures_from_elsewhere_do_not_lock_a_user_out_behind_the_proxy(
        alice, behind_proxy, settings):
    # The attacker writes alice's home address into the header himself; nginx appends
    # the address it saw, so the header reads "1.1.1.1, 8.8.8.8".
    answers = [log_in("alice", f"wrong-{i}", **through_proxy(f"{HOME}, {ATTACKER}"))[0]
               for i in range(settings.AXES_FAILURE_LIMIT + 1)]

    status, _ = log_in("alice", PASSWORD, **through_proxy(HOME))

    assert answers[-1] == 429  # the attacker is locked out, from his own address
    assert status == 302  # alice, from home, logs in
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_the_guessers_own_address_stays_locked_with_the_right_password(
        alice, behind_proxy, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in("alice", f"wrong-{i}", **through_proxy(ATTACKER))

    status, text = log_in("alice", PASSWORD, **through_proxy(ATTACKER))

    assert status == 429
    assert "Too many failed logins for this user name from your address" in text
    assert "Try again in 15 minutes" in text


def test_without_a_proxy_the_forwarded_header_is_not_believed(alice, settings):
    assert settings.BEHIND_TRUSTED_PROXY is False
    for i in range(settings.AXES_FAILURE_LIMIT + 1):
        log_in("alice", f"wrong-{i}", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=HOME)

    assert log_in("alice", PASSWORD, REMOTE_ADDR=HOME)[0] == 302
    assert log_in("alice", PASSWORD, REMOTE_ADDR=ATTACKER,
                  HTTP_X_FORWARDED_FOR=HOME)[0] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_password_spraying_from_one_address_is_stopped(alice, behind_proxy, settings):
    """30 user names x 4 guesses each: below the per-name limit every time, so only the
    per-address limit can stop it."""
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    answers = [log_in(f"user{n}", f"guess-{i}", **through_proxy(ATTACKER))[0]
               for n in range(30) for i in range(4)]

    assert answers[:limit - 1] == [200] * (limit - 1)
    assert set(answers[limit - 1:]) == {429}
    assert log_in("alice", PASSWORD, **through_proxy(ATTACKER))[0] == 429
    assert log_in("alice", PASSWORD, **through_proxy(HOME))[0] == 302  # others unaffected


@pytest.mark.parametrize(("forwarded_for", "expected"), [
    (HOME, HOME),
    (f"{ATTACKER}, {HOME}", HOME),  # client-sent entries in front are ignored
    (f"not-an-address, {HOME}", HOME),
    (f"[2001:db8::1]:443, {HOME}:5678", HOME),  # ports are not part of the address
    ("", PROXY),  # no header: the proxy's address (a misconfigured proxy, not a client's)
])
def test_the_client_address_behind_the_proxy(rf, settings, forwarded_for, expected):
    from tracker.client_address import client_address

    settings.BEHIND_TRUSTED_PROXY = True
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_address(request) == expected
