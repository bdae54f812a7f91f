"""Charts drawn on the server as SVG strings: pure functions, no database, no JavaScript.

Every chart carries a <title> and <desc> (referenced by aria-labelledby) so that it has a
text alternative, and each mark a <title> with its numbers. Colours are presentation
attributes, never style= (the pages run under a strict Content-Security-Policy).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 560, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Point:
    at: dt.date
    value: float
    label: str = ""  # the mark's tooltip; numbers by default


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[Point]
    colour: str = "#1f5fa8"
    line: bool = True  # join the points (a step line), or dots only
    dots: bool = True


@dataclass(frozen=True)
class Marker:
    at: dt.date
    label: str
    colour: str = "#2e7d32"


@dataclass(frozen=True)
class Reference:
    """A horizontal line at a value, e.g. a YES resolution at 100% when its date is unknown."""

    value: float
    label: str
    colour: str = "#2e7d32"


@dataclass(frozen=True)
class Axis:
    low: float = 0.0
    high: float = 1.0
    label: str = ""
    ticks: Sequence[float] = field(default_factory=lambda: (0.0, 0.25, 0.5, 0.75, 1.0))
    fmt: Callable[[float], str] = lambda v: f"{v:.0%}"


class ChartError(ValueError):
    """The data cannot be drawn as asked (say so instead of drawing a wrong chart)."""


def _day(value: dt.date | dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp() / 86400.0
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp() / 86400.0


def _date_range(days: list[float]) -> tuple[float, float]:
    low, high = min(days), max(days)
    pad = max((high - low) * 0.04, 15.0)  # a lone point still gets a month of width
    # Never past the first or last day a date can hold (0001-01-01, 9999-12-31): the
    # ticks are dates.
    return max(low - pad, _FIRST_DAY), min(high + pad, _LAST_DAY)


_FIRST_DAY, _LAST_DAY = _day(dt.date.min), _day(dt.date.max)


def _month_ticks(low: float, high: float, most: int = 6) -> list[tuple[float, str]]:
    """First-of-month ticks between low and high (in days), at most `most` of them."""
    start = dt.datetime.fromtimestamp(low * 86400.0, tz=dt.UTC).date().replace(day=1)
    months = []
    year, month = start.year, start.month
    while year <= dt.MAXYEAR:
        day = dt.date(year, month, 1)
        position = _day(day)
        if position > high:
            break
        if position >= low:
            months.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not months:
        return []
    step = max(1, -(-len(months) // most))
    return [(_day(d), d.strftime("%b %Y")) for d in months[::step]]


def _or_a_note(draw: Callable[..., str]) -> Callable[..., str]:
    """A chart whose data cannot be drawn says so in its place, and the page around it is
    shown (the error is logged for the operators): never a 500 for a reader. A ChartError
    (the caller asked for something undrawable) is the caller's to handle."""

    @functools.wraps(draw)
    def drawn(*, chart_id: str, title: str, **kwargs: Any) -> str:
        try:
            return draw(chart_id=chart_id, title=title, **kwargs)
        except ChartError:
            raise
        except (ArithmeticError, ValueError, UnicodeError) as exc:
            logger.exception("Chart %r could not be drawn", chart_id)
            return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} 40" '
                    f'role="img" aria-labelledby="{chart_id}-title" {FONT}>'
                    f'<title id="{chart_id}-title">{escape(title)}</title>'
                    f'<text x="8" y="24" fill="#333">This chart could not be drawn '
                    f'from its data ({escape(type(exc).__name__)}).</text>'
                    "</svg>")

    return drawn


@dataclass(frozen=True)
class _Plot:
    """The plotting area of a time chart and how values and dates map into it."""

    axis: Axis
    width: int
    height: int

    @property
    def w(self) -> int:
        return self.width - LEFT - RIGHT

    @property
    def h(self) -> int:
        return self.height - TOP - BOTTOM

    def y_of(self, value: float) -> float:
        axis = self.axis
        clamped = min(max(value, axis.low), axis.high)
        return round(TOP + (axis.high - clamped) / (axis.high - axis.low) * self.h, 1)


@dataclass(frozen=True)
class _TimeRange:
    low: float
    high: float
    plot: _Plot

    def x_at(self, position: float) -> float:
        return round(LEFT + (position - self.low) / (self.high - self.low) * self.plot.w, 1)

    def x_of(self, value: dt.date | dt.datetime) -> float:
        return self.x_at(_day(value))


def _frame(plot: _Plot, chart_id: str, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {plot.width} {plot.height}" '
        f'width="{plot.width}" height="{plot.height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT}>',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot.w}" height="{plot.h}" fill="#fafafa" '
        'stroke="#999"/>',
    ]


def _value_axis(plot: _Plot) -> list[str]:
    out = []
    for tick in plot.axis.ticks:
        y = plot.y_of(tick)
        out.append(f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + plot.w}" y2="{y}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" fill="#333">'
                   f'{escape(plot.axis.fmt(tick))}</text>')
    if plot.axis.label:
        mid = TOP + plot.h / 2
        out.append(f'<text x="14" y="{mid}" text-anchor="middle" fill="#333" '
                   f'transform="rotate(-90 14 {mid})">{escape(plot.axis.label)}</text>')
    return out


def _reference_lines(plot: _Plot, references: Sequence[Reference]) -> list[str]:
    out = []
    for ref in references:
        y = plot.y_of(ref.value)
        label_y = y + 14 if y < TOP + 20 else y - 5
        out.append(f'<g class="reference"><title>{escape(ref.label)}</title>'
                   f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + plot.w}" y2="{y}" '
                   f'stroke="{ref.colour}" stroke-width="2" stroke-dasharray="5 3"/>'
                   f'<text x="{LEFT + plot.w - 6}" y="{label_y}" text-anchor="end" '
                   f'fill="{ref.colour}">{escape(ref.label)}</text></g>')
    return out


def _time_axis(time: _TimeRange) -> list[str]:
    out = []
    bottom = TOP + time.plot.h
    for position, text in _month_ticks(time.low, time.high):
        x = time.x_at(position)
        out.append(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 4}" stroke="#666"/>')
        out.append(f'<text x="{x}" y="{bottom + 18}" text-anchor="middle" fill="#333">'
                   f'{escape(text)}</text>')
    return out


def _marker_lines(time: _TimeRange, markers: Sequence[Marker]) -> list[str]:
    out = []
    for marker in markers:
        x = time.x_of(marker.at)
        out.append(f'<g class="marker"><title>{escape(marker.label)}</title>'
                   f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{TOP + time.plot.h}" '
                   f'stroke="{marker.colour}" stroke-width="2" stroke-dasharray="5 3"/>'
                   f'<text x="{x - 4}" y="{TOP + 14}" text-anchor="end" '
                   f'fill="{marker.colour}">{escape(marker.label)}</text></g>')
    return out


def _series_marks(time: _TimeRange, s: Series) -> list[str]:
    out = []
    y_of, x_of, fmt = time.plot.y_of, time.x_of, time.plot.axis.fmt
    points = sorted(s.points, key=lambda p: _day(p.at))
    if s.line and len(points) > 1:
        # A step line: a market's price holds until the next trade.
        path = [f"M{x_of(points[0].at)},{y_of(points[0].value)}"]
        for point in points[1:]:
            path.append(f"H{x_of(point.at)}V{y_of(point.value)}")
        out.append(f'<path d="{"".join(path)}" fill="none" stroke="{s.colour}" '
                   'stroke-width="2"/>')
    if s.dots:
        for point in points:
            tip = point.label or f"{s.name}: {fmt(point.value)} on {point.at:%Y-%m-%d}"
            out.append(f'<circle cx="{x_of(point.at)}" cy="{y_of(point.value)}" r="4" '
                       f'fill="{s.colour}"><title>{escape(tip)}</title></circle>')
    return out


def _legend(plot: _Plot, series: Sequence[Series]) -> list[str]:
    if len(series) < 2:
        return []
    out = []
    x = LEFT + 8
    for s in series:
        out.append(f'<rect x="{x}" y="{plot.height - 14}" width="10" height="10" '
                   f'fill="{s.colour}"/>')
        out.append(f'<text x="{x + 14}" y="{plot.height - 5}" fill="#333">{escape(s.name)}</text>')
        x += 24 + 7 * len(s.name)
    return out


@_or_a_note
def time_series_svg(*, chart_id: str, title: str, description: str, series: Sequence[Series],
                    axis: Axis | None = None, markers: Sequence[Marker] = (),
                    references: Sequence[Reference] = (), width: int = WIDTH,
                    height: int = HEIGHT) -> str:
    """Values over time, one or more series, with optional vertical markers (e.g. the
    resolution). `chart_id` makes the ids of <title>/<desc> unique on the page."""
    axis = axis or Axis()
    if axis.high <= axis.low:
        raise ChartError(f"The axis runs from {axis.low} to {axis.high}: nothing to draw.")
    plot = _Plot(axis, width, height)
    out = _frame(plot, chart_id, title, description)
    out += _value_axis(plot)
    out += _reference_lines(plot, references)
    days = [_day(p.at) for s in series for p in s.points] + [_day(m.at) for m in markers]
    if not days:
        out.append(f'<text x="{LEFT + plot.w / 2}" y="{TOP + plot.h / 2}" text-anchor="middle" '
                   'fill="#333">No data yet</text>')
    else:
        time = _TimeRange(*_date_range(days), plot=plot)
        out += _time_axis(time)
        out += _marker_lines(time, markers)
        for s in series:
            out += _series_marks(time, s)
        out += _legend(plot, series)
    out.append("</svg>")
    return "\n".join(out)
