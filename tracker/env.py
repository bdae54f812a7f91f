"""Strict parsing of environment variables for settings.

A bad value stops start-up with a message that names the variable, instead of a
confusing failure later (healthchecks' settings do the same).
"""

from __future__ import annotations

import math
import os
import re
import zlib
from collections import Counter
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return value.strip()


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = _raw(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"{name} is required but not set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_choice(name: str, default: str, *, choices: tuple[str, ...],
               upper: bool = False) -> str:
    """One of ``choices`` (compared in upper case when ``upper``: log levels)."""
    value = _raw(name)
    if value is None or value == "":
        return default
    if upper:
        value = value.upper()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {', '.join(choices)}.")
    return value


#: A request rate as DRF reads it (requests/period; DRF looks only at the period's first
#: letter, so "10/mango" would pass as per minute: the spellings are listed instead).
_RATE = re.compile(r"(\d+)/(s|sec|second|m|min|minute|h|hour|d|day)\Z")


def env_rate(name: str, default: str) -> str:
    """A throttle rate such as 120/min (at least one request per period)."""
    value = _raw(name)
    if value is None or value == "":
        return default
    match = _RATE.match(value)
    if match is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate: write requests/period with at least one "
            "request, e.g. 120/min (period: s, sec, second, m, min, minute, h, hour, d, day).")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value == "":
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name}={value!r} has an empty item: use a,b,c.")
    return items


def env_url(name: str, default: str, *, schemes: set[str]) -> str:
    """A URL whose scheme is one of `schemes`; anything else names the variable."""
    value = _raw(name)
    if value is None or value == "":
        return default
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a supported URL: the scheme must be one of {allowed}."
        )
    if parts.scheme not in {"sqlite", "filesystem", "memory"} and not parts.hostname:
        raise ImproperlyConfigured(f"{name}={value!r} has no host name.")
    return value


#: A production SECRET_KEY needs this many characters and this many bits of entropy by
#: its own letter counts (Django's get_random_secret_key() gives 50 characters, ~270 bits).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_BITS = 200
SECRET_KEY_MIN_DISTINCT = 10


def secret_key_bits(key: str) -> float:
    """Shannon entropy of the key's characters times its length: an upper bound on what a
    guesser faces, low for repeated or few distinct characters."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return max(0.0, per_char * len(key))


def check_secret_key(key: str) -> None:
    """Refuse a production key that is short or guessable (60 x "a", a word repeated)."""
    if len(key) < SECRET_KEY_MIN_LENGTH:
        raise ImproperlyConfigured(
            f"SECRET_KEY must be at least {SECRET_KEY_MIN_LENGTH} characters when DEBUG is off."
        )
    if key.startswith("django-insecure") or "insecure" in key.lower():
        raise ImproperlyConfigured("SECRET_KEY is a development key: generate a new one.")
    distinct = len(set(key))
    bits = secret_key_bits(key)
    # A repeated pattern has many distinct letters yet compresses: random keys never do
    # (compressed/raw is above 1.1 for Django's generated keys).
    repeats = len(zlib.compress(key.encode(), 9)) < 0.9 * len(key.encode())
    if distinct < SECRET_KEY_MIN_DISTINCT or bits < SECRET_KEY_MIN_BITS or repeats:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too predictable ({distinct} distinct characters, about "
            f"{bits:.0f} bits{', a repeated pattern' if repeats else ''}; at least "
            f"{SECRET_KEY_MIN_DISTINCT} distinct and {SECRET_KEY_MIN_BITS} bits are needed). "
            "Generate one: python -c \"from django.core.management.utils "
            "import get_random_secret_key; print(get_random_secret_key())\""
        )
