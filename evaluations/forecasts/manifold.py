"""Import of a Manifold market's probability history through Manifold's public API.

* ``GET {base}/v0/market/{id}``: the market (question, url, resolution).
* ``GET {base}/v0/bets?contractId={id}&limit=N[&before={bet id}]``: its bets, newest first,
  paged back with ``before`` until a page comes back short.

The probability over time is each bet's ``probAfter`` at its ``createdTime``. The base URL,
timeout, retries and the import's deadline come from evaluations.forecasts.conf
(MANIFOLD_API_URL, MANIFOLD_TIMEOUT_S, MANIFOLD_RETRIES, MANIFOLD_DEADLINE_S).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import requests
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from evaluations.forecasts import conf
from evaluations.forecasts.models import (
    Forecaster,
    ManifoldMarket,
    Prediction,
    PredictionSet,
    ProbabilityPoint,
)
from evaluations.forecasts.services import do_rescore
from tracker.http_deadline import cut_off_after
from tracker.models import Market

PAGE_SIZE = 1000  # Manifold's maximum for /v0/bets
MAX_PAGES = 10_000  # a guard against a server that never stops paging


class ManifoldError(Exception):
    """The API could not be reached or answered something unusable."""


class _Retryable(ManifoldError):
    """A network error, or an answer a retry may cure."""


RETRIED_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class Point:
    bet_id: str
    at: dt.datetime
    probability: float


class ManifoldClient:
    """Manifold's API with a per-read timeout, retries with exponential backoff (network
    errors, 429 and 5xx) and one deadline for everything the client fetches (an import):
    a server that trickles its answer a byte at a time is cut off at the deadline, and no
    retry starts that would end past it."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float = 0.3,
        deadline: float | None = None,
    ) -> None:
        self.base_url = (base_url or conf.manifold_api_url()).rstrip("/")
        self.timeout = timeout if timeout is not None else conf.manifold_timeout_s()
        self.retries = conf.manifold_retries() if retries is None else retries
        self.backoff = backoff
        self.deadline = conf.manifold_deadline_s() if deadline is None else deadline
        self._deadline_at = time.monotonic() + self.deadline
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"

    def _remaining(self, url: str) -> float:
        remaining = self._deadline_at - time.monotonic()
        if remaining <= 0:
            raise ManifoldError(self._late(f"before GET {url}"))
        return remaining

    def _late(self, when: str) -> str:
        return (f"The import passed its deadline of {self.deadline:g} s (MANIFOLD_DEADLINE_S) "
                f"{when}; nothing was stored.")

    def _get(self, path: str, params: dict | None = None):
        url = f"{self.base_url}{path}"
        for attempt in range(self.retries + 1):
            try:
                return self._get_once(url, params)
            except _Retryable as exc:
                if attempt == self.retries:
                    raise ManifoldError(str(exc)) from None
                pause = self.backoff * 2**attempt
                if pause >= self._remaining(url):
                    raise ManifoldError(self._late(f"while retrying ({exc})")) from None
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _get_once(self, url: str, params: dict | None):
        budget = self._remaining(url)
        expired = None
        try:
            response = self.session.get(url, params=params, stream=True,
                                        timeout=min(self.timeout, budget))
            with cut_off_after(response, budget) as expired, response:
                if response.status_code in RETRIED_STATUSES:
                    raise _Retryable(f"GET {url} answered HTTP {response.status_code}.")
                if response.status_code != 200:
                    raise ManifoldError(f"GET {url} answered HTTP {response.status_code}.")
                body = response.content
        except requests.RequestException as exc:
            if expired is not None and expired.is_set():
                raise ManifoldError(self._late(f"while GET {url} was still arriving")) from None
            raise _Retryable(f"GET {url} failed: {exc}") from None
        try:
            return json.loads(body)
        except ValueError:
            raise ManifoldError(f"GET {url} did not answer JSON.") from None

    def market(self, market_id: str) -> dict:
        data = self._get(f"/v0/market/{market_id}")
        if not isinstance(data, dict) or "id" not in data:
            raise ManifoldError(f"Market {market_id!r}: unexpected answer.")
        return data

    def bets(self, contract_id: str, *, page_size: int = PAGE_SIZE) -> Iterator[dict]:
        """Every bet on the market, newest first, following ``before`` page by page."""
        before = None
        for _ in range(MAX_PAGES):
            params = {"contractId": contract_id, "limit": page_size}
            if before is not None:
                params["before"] = before
            page = self._get("/v0/bets", params)
            if not isinstance(page, list):
                raise ManifoldError("Bets: expected a list.")
            yield from page
            if len(page) < page_size:
                return
            before = page[-1]["id"]
        raise ManifoldError(f"Bets of {contract_id!r}: more than {MAX_PAGES} pages.")


def probability_history(bets: list[dict]) -> list[Point]:
    """The market probability after each bet, oldest first (bets without probAfter, such
    as cancelled limit orders, are skipped; a bet seen twice counts once)."""
    points: dict[str, Point] = {}
    for bet in bets:
        prob, created, bet_id = bet.get("probAfter"), bet.get("createdTime"), bet.get("id")
        if bet.get("isCancelled") or not isinstance(prob, int | float) \
                or not isinstance(created, int | float):
            continue
        if not bet_id or not 0.0 <= prob <= 1.0:
            continue
        try:
            at = dt.datetime.fromtimestamp(created / 1000.0, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            continue  # a time no date can hold: not a bet to draw
        bet_id = _storable(bet_id)
        points[bet_id] = Point(bet_id=bet_id, at=at, probability=float(prob))
    return sorted(points.values(), key=lambda point: (point.at, point.bet_id))


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value: object) -> str:
    """Text from the API as a database and a page can hold it: JSON may carry a NUL or a
    lone surrogate (\\ud800), which no PostgreSQL text column or UTF-8 page can; each
    becomes U+FFFD, the replacement character."""
    return _UNSTORABLE.sub("\ufffd", "" if value is None else str(value))


@dataclass(frozen=True)
class HistoryImport:
    manifold_market: ManifoldMarket
    fetched_points: int
    new_points: int


def do_import_manifold_history(
    *, manifold_id: str, market: Market | None = None, client: ManifoldClient | None = None,
    page_size: int = PAGE_SIZE,
) -> HistoryImport:
    """Fetch a Manifold market and its bets, then store the history in one transaction.
    Re-running adds only the bets not stored before."""
    client = client or ManifoldClient()
    info = client.market(manifold_id)
    points = probability_history(list(client.bets(info["id"], page_size=page_size)))
    with transaction.atomic():
        record, _ = ManifoldMarket.objects.update_or_create(
            manifold_id=info["id"],
            defaults={
                "slug": _storable(info.get("slug")),
                "question": _storable(info.get("question") or info["id"])[:500],
                "url": _storable(info.get("url")),
                "resolution": _storable(info.get("resolution")),
                "fetched_at": timezone.now(),
                **({"market": market} if market is not None else {}),
            },
        )
        known = set(record.points.values_list("bet_id", flat=True))
        fresh = [point for point in points if point.bet_id not in known]
        ProbabilityPoint.objects.bulk_create(
            ProbabilityPoint(manifold_market=record, bet_id=point.bet_id, at=point.at,
                             probability=point.probability)
            for point in fresh
        )
    return HistoryImport(record, len(points), len(fresh))


def probability_on(manifold_market: ManifoldMarket, day: dt.date) -> ProbabilityPoint | None:
    """The last recorded probability at or before the end of ``day`` (UTC)."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return manifold_market.points.filter(at__lt=end).order_by("-at", "-bet_id").first()


def do_record_snapshot(
    *, manifold_market: ManifoldMarket, day: dt.date, set_slug: str,
    forecaster_slug: str = "manifold-crowd", statement: str | None = None,
) -> Prediction:
    """Record the crowd's probability at the end of ``day`` as a prediction in a set
    (created if new), linked to the tracker market if the history is; then score it."""
    point = probability_on(manifold_market, day)
    if point is None:
        raise ManifoldError(f"No bet on {manifold_market.manifold_id!r} before {day}.")
    forecaster = Forecaster.objects.filter(slug=forecaster_slug).first()
    if forecaster is None:
        raise ManifoldError(f"Unknown forecaster {forecaster_slug!r}.")
    with transaction.atomic():
        prediction_set, _ = PredictionSet.objects.get_or_create(
            slug=set_slug,
            defaults={
                "forecaster": forecaster,
                "title": f"Manifold price on {day:%Y-%m-%d}: {manifold_market.question}"[:300],
                "published_on": day, "source_url": manifold_market.url,
                "about_market": manifold_market.market,
                "about": "The market's probability after the last bet of the day, from "
                         "Manifold's API.",
            },
        )
        if prediction_set.forecaster_id != forecaster.pk:
            raise ManifoldError(f"Set {set_slug!r} belongs to another forecaster.")
        text = statement or f"{manifold_market.question} (crowd price on {day:%Y-%m-%d})"
        note = f"Price after Manifold bet {point.bet_id} at {point.at:%Y-%m-%d %H:%M} UTC."
        prediction = prediction_set.predictions.filter(statement=text).first()
        if prediction is None:
            top = prediction_set.predictions.aggregate(top=Max("position"))["top"] or 0
            prediction = Prediction(prediction_set=prediction_set, statement=text,
                                    position=top + 1)
        prediction.probability, prediction.made_on = point.probability, day
        prediction.market, prediction.notes = manifold_market.market, note
        prediction.save()
        do_rescore(Prediction.objects.filter(pk=prediction.pk))
    return prediction
