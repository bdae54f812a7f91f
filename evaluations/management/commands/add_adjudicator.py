"""`manage.py add_adjudicator USERNAME [--resolver]`: create or update a login that can
score candidacies in the admin (staff flag + the adjudicators group; resolvers too with
--resolver).

A new account's password comes from DJANGO_ADJUDICATOR_PASSWORD when it is set (as
`createsuperuser` reads DJANGO_SUPERUSER_PASSWORD: scripts and containers have no
terminal), else from the prompt. Without a terminal and without the variable the command
stops before writing anything, saying how to give one; with --no-input and no variable the
account is created without a password, and the command says it cannot log in until
`manage.py changepassword USERNAME`."""

from __future__ import annotations

import getpass
import os
import sys
from typing import cast

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Field

from evaluations.roles import grant_adjudicator

PASSWORD_VARIABLE = "DJANGO_ADJUDICATOR_PASSWORD"


class Command(BaseCommand):
    help = "Create or update an adjudicator login (staff, adjudicators group; --resolver too)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--resolver", action="store_true",
                            help="Also add to the resolvers group (may resolve markets).")
        parser.add_argument("--first-name", default="", help="Used by the conflict check.")
        parser.add_argument("--last-name", default="", help="Used by the conflict check.")
        parser.add_argument("--no-input", action="store_true",
                            help=f"Never prompt: a new account gets {PASSWORD_VARIABLE} as "
                            "its password, or none (it cannot log in until "
                            "`manage.py changepassword`).")

    def handle(self, *args, username: str, resolver: bool, first_name: str, last_name: str,
               no_input: bool, **options) -> None:
        User = get_user_model()
        username = username.strip()
        if not username:
            raise CommandError("Give a username.")
        try:
            # The username field is a concrete field, never a reverse relation.
            cast(Field, User._meta.get_field(User.USERNAME_FIELD)).run_validators(username)
        except ValidationError as exc:
            raise CommandError(f"Invalid username {username!r}: {' '.join(exc.messages)}") \
                from None
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        created = user is None
        if user is None:
            user = User(**{User.USERNAME_FIELD: username}, first_name=first_name,
                        last_name=last_name)
            password = self._password(user, no_input=no_input)
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        elif first_name or last_name:
            user.first_name = first_name or user.first_name
            user.last_name = last_name or user.last_name
            user.save(update_fields=["first_name", "last_name"])
        changed = grant_adjudicator(user=user, resolver=resolver)
        role = "adjudicator and resolver" if resolver else "adjudicator"
        what = "Created" if created else ("Updated" if changed else "Unchanged:")
        self.stdout.write(f"{what} {role} {username!r}"
                          + (f" ({', '.join(changed)})." if changed else "."))
        if not user.has_usable_password():
            self.stderr.write(self.style.WARNING(
                f"{username!r} cannot log in: it has no password. Set one with "
                f"`manage.py changepassword {username}` (or create the account with "
                f"{PASSWORD_VARIABLE} set)."))
        if not (user.first_name or user.last_name):
            self.stdout.write("No name given: set it (--first-name/--last-name) so the "
                              "conflict-of-interest check can match authorship.")

    def _password(self, user, *, no_input: bool) -> str | None:
        """The new account's password: the variable's, the prompt's, or none."""
        given = os.environ.get(PASSWORD_VARIABLE)
        if given:
            try:
                password_validation.validate_password(given, user)
            except ValidationError as exc:
                raise CommandError(f"{PASSWORD_VARIABLE} is refused: "
                                   f"{' '.join(exc.messages)} Nothing was created.") from None
            return given
        if no_input:
            return None
        if not sys.stdin.isatty():
            raise CommandError(
                f"No terminal to ask for {user.get_username()!r}'s password, so nothing was "
                f"created. Set {PASSWORD_VARIABLE}, or pass --no-input to create an account "
                "without a password (it cannot log in until `manage.py changepassword`).")
        try:
            return self._ask_password(user)
        except (EOFError, KeyboardInterrupt):
            raise CommandError("No password was typed; nothing was created.") from None

    def _ask_password(self, user) -> str | None:
        for _ in range(3):
            password = getpass.getpass("Password (empty for none): ")
            if not password:
                return None
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords differ.")
                continue
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                self.stderr.write(" ".join(exc.messages))
                continue
            return password
        raise CommandError("No valid password after three tries; nothing was created.")
