"""`manage.py add_adjudicator` and the user admin's actions give a login the roles it
needs to score (staff flag and the adjudicators group) and, on request, to resolve."""

import os
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from evaluations import services

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    """What the command says (its output and its warnings)."""
    out, err = StringIO(), StringIO()
    call_command("add_adjudicator", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_it_creates_an_adjudicator_who_can_score(tiny):
    output = run("zoe", "--first-name", "Zoe", "--last-name", "Z", "--no-input")
    zoe = User.objects.get(username="zoe")
    assert zoe.is_staff and not zoe.has_usable_password()
    assert services.is_adjudicator(zoe) and not services.can_resolve(zoe)
    assert "Created adjudicator 'zoe'" in output
    assert "'zoe' cannot log in: it has no password." in output
    assert "manage.py changepassword zoe" in output
    services.record_assessment(adjudicator=zoe, candidacy=tiny["y"],
                               criterion=tiny["criteria"]["useful"], verdict="met",
                               confidence=2, rationale="Works.")


def test_it_updates_an_existing_user_and_is_idempotent(reader):
    assert "Updated adjudicator and resolver 'reader'" in run("reader", "--resolver")
    reader = User.objects.get(pk=reader.pk)
    assert reader.is_staff and reader.check_password("pw-reader")
    assert services.is_adjudicator(reader) and services.can_resolve(reader)
    assert "Unchanged: adjudicator and resolver 'reader'." in run("reader", "--resolver")


def test_it_asks_for_the_password_of_a_new_account(monkeypatch, db):
    answers = iter(["s3cret-Passphrase!", "s3cret-Passphrase!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)  # at a terminal
    run("yan")
    assert User.objects.get(username="yan").check_password("s3cret-Passphrase!")


@pytest.fixture
def no_terminal(monkeypatch):
    """As `manage.py add_adjudicator alice </dev/null` (F9: an EOFError traceback)."""
    with open(os.devnull) as devnull:
        monkeypatch.setattr("sys.stdin", devnull)
        yield


def test_without_a_terminal_it_says_how_to_give_a_password_and_creates_nothing(
        no_terminal, monkeypatch):
    monkeypatch.delenv("DJANGO_ADJUDICATOR_PASSWORD", raising=False)
    with pytest.raises(CommandError) as caught:
        run("alice")

    assert str(caught.value) == (
        "No terminal to ask for 'alice''s password, so nothing was created. Set "
        "DJANGO_ADJUDICATOR_PASSWORD, or pass --no-input to create an account without a "
        "password (it cannot log in until `manage.py changepassword`).")
    assert not User.objects.exists()


@pytest.mark.parametrize("flags", [(), ("--no-input",)])
def test_the_password_comes_from_the_environment_without_a_prompt(
        no_terminal, monkeypatch, flags):
    monkeypatch.setenv("DJANGO_ADJUDICATOR_PASSWORD", "s3cret-Passphrase!")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": pytest.fail("prompted"))

    output = run("alice", "--first-name", "Alice", *flags)

    alice = User.objects.get(username="alice")
    assert alice.check_password("s3cret-Passphrase!") and services.is_adjudicator(alice)
    assert "cannot log in" not in output


def test_a_weak_password_in_the_environment_is_refused(no_terminal, monkeypatch):
    monkeypatch.setenv("DJANGO_ADJUDICATOR_PASSWORD", "alice")
    with pytest.raises(CommandError, match="DJANGO_ADJUDICATOR_PASSWORD is refused: .*too "
                       r"short.* Nothing was created\."):
        run("alice", "--no-input")
    assert not User.objects.exists()


def test_a_closed_input_at_the_prompt_creates_nothing(monkeypatch, db):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)

    def closed(prompt=""):
        raise EOFError

    monkeypatch.setattr("getpass.getpass", closed)
    with pytest.raises(CommandError, match="No password was typed; nothing was created."):
        run("alice")
    assert not User.objects.exists()


def test_a_bad_username_is_refused_and_nothing_created(db):
    with pytest.raises(CommandError, match="Invalid username"):
        run("no spaces allowed", "--no-input")
    assert not User.objects.exists()


def test_the_user_admin_action_makes_adjudicators(client, reader, db):
    boss = User.objects.create_superuser("boss", password="pw-boss")
    client.force_login(boss)
    response = client.post(reverse("admin:auth_user_changelist"), {
        "action": "make_adjudicators", "_selected_action": [reader.pk]}, follow=True)
    assert "eader: staff flag set, added to adjudicators." in response.content.decode()
    reader = User.objects.get(pk=reader.pk)
    assert services.is_adjudicator(reader) and not services.can_resolve(reader)
