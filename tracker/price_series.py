"""A market's price history as a bounded series: what the probability chart draws.

A market with thousands of quotes or trades drew one SVG circle per quote (1.5 MB of page
for 10,000 quotes, a second to render). Past MAX_POINTS values the history is read as bins
of a day, a week or a month (the smallest unit that gives at most MAX_POINTS bins over the
history's span), grouped by the database in one query: each bin's mean, lowest and highest
value and count, so the chart's line and each bin's tooltip keep the information a reader
can see at this width (560 px: a few hundred marks at most).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, DateField, Max, Min, QuerySet
from django.db.models.functions import Trunc

MAX_POINTS = 240
UNITS = (("day", 1), ("week", 7), ("month", 31))


@dataclass(frozen=True)
class Bin:
    start: dt.date
    unit: str  # day, week or month
    count: int
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class History:
    """`count` values from `first` to `last`; `bins` when there were too many to draw one by
    one (then the caller draws the bins), else None (the caller reads the values)."""

    count: int
    first: dt.date | dt.datetime | None
    last: dt.date | dt.datetime | None
    bins: list[Bin] | None


def unit_for(first: dt.date, last: dt.date, most: int = MAX_POINTS) -> str:
    """The smallest unit that cuts the span into at most `most` bins (months past that)."""
    span = (last - first).days + 1
    for unit, days in UNITS:
        if span / days <= most:
            return unit
    return UNITS[-1][0]


def history(values: QuerySet, at: str, value: str, most: int = MAX_POINTS) -> History:
    """The history of `values` (a queryset), dated by field `at`, valued by field `value`:
    its count and span (one aggregate), and past `most` values its bins (one grouped
    query)."""
    span = values.order_by().aggregate(count=Count("pk"), first=Min(at), last=Max(at))
    if span["count"] <= most:
        return History(span["count"], span["first"], span["last"], None)
    unit = unit_for(_date(span["first"]), _date(span["last"]), most)
    rows = (values.order_by()
            .annotate(bin=Trunc(at, unit, output_field=DateField()))
            .values("bin")
            .annotate(n=Count("pk"), mean=Avg(value), low=Min(value), high=Max(value))
            .order_by("bin"))
    bins = [Bin(row["bin"], unit, row["n"], row["mean"], row["low"], row["high"])
            for row in rows]
    return History(span["count"], span["first"], span["last"], bins)


def stored(market, series: tuple[str, ...] = ("trade", "quote"),
           most: int = MAX_POINTS) -> dict[str, History]:
    """The histories of a market's series from the stored bins (tracker.PriceBin, kept in
    step with the quotes and trades by tracker/price_bins.py): each series' `all` row (its
    count and span), then, for the series past `most` values, the bins of the unit its span
    asks for, in one query. Never a read of the quotes or trades themselves."""
    from django.db.models import Q

    from tracker.models import PriceBin

    found = {s: History(0, None, None, None) for s in series}
    spans = {}
    for row in PriceBin.objects.filter(market=market, unit="all", series__in=series).values(
            "series", "count", "first_on", "last_on"):
        spans[row["series"]] = row
    wanted = {name: unit_for(row["first_on"], row["last_on"], most)
              for name, row in spans.items() if row["count"] > most}
    bins: dict[str, list[Bin]] = {name: [] for name in wanted}
    if wanted:
        which = Q()
        for name, unit in wanted.items():
            which |= Q(series=name, unit=unit)
        for b in PriceBin.objects.filter(which, market=market).order_by("series", "start"):
            bins[b.series].append(Bin(b.start, b.unit, b.count, b.total / b.count, b.low, b.high))
    for name, span in spans.items():
        found[name] = History(span["count"], span["first_on"], span["last_on"], bins.get(name))
    return found


def _date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def bin_label(found: Bin, what: str) -> str:
    """A bin's tooltip: when, how many, the mean and the range."""
    when = {"day": f"on {found.start:%Y-%m-%d}", "week": f"in the week of {found.start:%Y-%m-%d}",
            "month": f"in {found.start:%B %Y}"}[found.unit]
    if found.count == 1:
        return f"{found.mean:.0%}: 1 {what} {when}"
    return (f"{found.mean:.0%} on average: {found.count} {what}s {when}, from {found.low:.0%} "
            f"to {found.high:.0%}")
