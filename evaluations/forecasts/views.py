"""Public pages of forecasts: leaderboard, forecaster and prediction-set pages, the
calibration chart (SVG drawn here, no JavaScript) and CSV downloads of scores."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string

from evaluations import scoring
from evaluations.forecasts import queries
from evaluations.forecasts.conf import pseudo_count
from evaluations.forecasts.models import Forecaster, PredictionSet
from tracker import csv_safe
from tracker.pagination import page_of
from tracker.views import site_404

COLUMNS = [
    ("name", "Forecaster"),
    ("n", "Resolved"),
    ("shrunk", "Shrunk Brier"),
    ("brier", "Mean Brier"),
    ("log", "Mean log score"),
    ("points", "Casper points"),
]


@site_404  # a page past the last says which (it was the generic "no page at" 404)
def leaderboard(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", queries.DEFAULT_SORT)
    if sort.lstrip("-") not in queries.SORT_KEYS:
        sort = queries.DEFAULT_SORT
    columns = []
    for key, label in COLUMNS:
        active = sort.lstrip("-") == key
        next_sort = key if (not active or sort.startswith("-")) else f"-{key}"
        arrow = ("▼" if sort.startswith("-") else "▲") if active else ""
        columns.append({"key": key, "label": label, "sort": next_sort, "arrow": arrow})
    page = page_of(request, queries.forecaster_rows(sort))
    table = queries.calibration(None)
    context = {
        "page": page,
        "rows": queries.rows_of(page.object_list),
        "columns": columns,
        "sort": sort,
        "pseudo_count": pseudo_count(),
        "uniform_brier": scoring.UNIFORM_BRIER,
        "calibration": calibration_svg_markup("All forecasters", table),
        "bins": [bin_ for bin_ in _bins(table) if bin_.n],
    }
    return render(request, "forecasts/leaderboard.html", context)


@site_404
def forecaster_detail(request: HttpRequest, slug: str) -> HttpResponse:
    forecaster = get_object_or_404(Forecaster.objects.select_related("stats"), slug=slug)
    table = queries.calibration(forecaster)
    # The sets' ids first: filtered by that list, Postgres counts the forecaster's
    # predictions with an index on their set (14 ms) instead of joining all 100,000 to the
    # sets (52 ms at the benchmark's tenant).
    set_ids = list(forecaster.prediction_sets.order_by().values_list("pk", flat=True))
    page = page_of(request, queries.predictions_with_scores(prediction_set_id__in=set_ids))
    context = {
        "forecaster": forecaster,
        # The row's count is the page's: the same COUNT.
        "row": queries.forecaster_row(forecaster, n_predictions=page.paginator.count),
        "page": page,
        "murphy": queries.murphy(forecaster),
        "bins": [bin_ for bin_ in _bins(table) if bin_.n],
        "pseudo_count": pseudo_count(),
        "calibration": calibration_svg_markup(forecaster.name, table),
        "over_time": scores_over_time(forecaster),
    }
    return render(request, "forecasts/forecaster.html", context)


@dataclass(frozen=True)
class OverTime:
    svg: str
    caption: str
    n: int
    period: str = "date"  # what one dot stands for: "date" or "week"


# At most this many dates are plotted one dot each; past it the dots are weeks.
MAX_DATES = 366


def scores_over_time(forecaster: Forecaster) -> OverTime | None:
    """The mean Brier score of the resolved predictions made each date (each week when a
    record spans more than MAX_DATES dates), and the running mean of the record up to each.
    Read from the forecaster's stored figures (one row a date, stored by the re-score),
    never one a prediction. None before the first resolved one."""
    from tracker import charts, plain

    periods = queries.stored_brier_by_period(forecaster, "day")
    period = "date"
    if len(periods) > MAX_DATES:
        periods, period = queries.stored_brier_by_period(forecaster, "week"), "week"
    if not periods:
        return None
    dots, running = [], []
    count, total = 0, 0.0
    for day, n, brier_sum in periods:
        count, total = count + n, total + brier_sum
        when = f"the week of {day:%Y-%m-%d}" if period == "week" else f"{day:%Y-%m-%d}"
        dots.append(charts.Point(day, brier_sum / n,
                                 f"{when}: mean Brier {brier_sum / n:.3f} of "
                                 f"{plain.counted(n, 'resolved prediction')}"))
        running.append(charts.Point(day, total / count,
                                    f"Mean Brier of the {count} forecasts made by {when}: "
                                    f"{total / count:.3f}"))
    caption = (f"Brier score (0 is perfect, 0.25 is what always saying 50% earns, lower is "
               f"better) of {plain.counted(count, 'resolved prediction')}: each dot is the "
               f"mean of those made on one {period} ({plain.counted(len(periods), period)}), "
               f"and the line the running mean of the record so far.")
    svg = charts.time_series_svg(
        chart_id="over-time", title=f"Scores over time: {forecaster.name}", description=caption,
        series=[charts.Series(f"Mean of each {period}", dots, colour="#1f5fa8", line=False),
                charts.Series("Running mean", running, colour="#b4462b")],
        axis=charts.Axis(label="Brier score", fmt=lambda v: f"{v:.2f}"),
        references=[charts.Reference(scoring.UNIFORM_BRIER, "always 50%", colour="#666")],
    )
    return OverTime(svg, caption, count, period)


@site_404
def prediction_set_detail(request: HttpRequest, slug: str) -> HttpResponse:
    prediction_set = get_object_or_404(
        PredictionSet.objects.select_related("forecaster", "about_paper", "about_market"),
        slug=slug,
    )
    context = {
        "set": prediction_set,
        "summary": queries.set_summary(prediction_set),
        "page": page_of(request, queries.predictions_with_scores(prediction_set=prediction_set)),
    }
    return render(request, "forecasts/prediction_set.html", context)


# --- Calibration chart ---------------------------------------------------------------


@dataclass
class Bin:
    low: float
    high: float
    n: int
    happened: int
    mean_forecast: float | None
    observed: float | None
    ci_low: float | None
    ci_high: float | None


def _bins(table) -> list[Bin]:
    def number(value) -> float | None:
        return None if value is None or math.isnan(value) else float(value)

    return [
        Bin(float(r.bin_low), float(r.bin_high), int(r.n), int(r.happened),
            number(r.mean_forecast), number(r.observed_rate), number(r.ci_low), number(r.ci_high))
        for r in table.itertuples(index=False)
    ]


# Plot area inside a 440 x 400 canvas.
_LEFT, _TOP, _SIZE = 60, 20, 320


def _x(p: float) -> float:
    return round(_LEFT + p * _SIZE, 1)


def _y(rate: float) -> float:
    return round(_TOP + (1.0 - rate) * _SIZE, 1)


def calibration_svg_markup(title: str, table) -> str:
    bins = _bins(table)
    largest = max((b.n for b in bins), default=0) or 1
    marks = []
    for b in bins:
        if (not b.n or b.mean_forecast is None or b.observed is None
                or b.ci_low is None or b.ci_high is None):
            continue  # an empty bin has no figures
        marks.append({
            "cx": _x(b.mean_forecast), "cy": _y(b.observed),
            "r": round(3 + 7 * math.sqrt(b.n / largest), 1),
            "y_low": _y(b.ci_low), "y_high": _y(b.ci_high),
            "label_y": round(_y(b.ci_high) - 4, 1),
            "n": b.n, "happened": b.happened,
            "text": (
                f"{b.low:.0%}-{b.high:.0%}: {b.n} forecasts, mean {b.mean_forecast:.0%}, "
                f"{b.happened} happened ({b.observed:.0%}; 95% interval "
                f"{b.ci_low:.0%}-{b.ci_high:.0%})"
            ),
        })
    ticks = [{"value": f"{t / 10:.0%}" if t % 2 == 0 else "", "x": _x(t / 10), "y": _y(t / 10)}
             for t in range(11)]
    context = {
        "title": title, "marks": marks, "ticks": ticks, "total": sum(b.n for b in bins),
        "left": _LEFT, "top": _TOP, "right": _LEFT + _SIZE, "bottom": _TOP + _SIZE,
        "size": _SIZE, "mid_x": _LEFT + _SIZE / 2, "mid_y": _TOP + _SIZE / 2,
    }
    return render_to_string("forecasts/calibration.svg", context)


def calibration_svg(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    if slug is None:
        title, table = "All forecasters", queries.calibration(None)
    else:
        forecaster = get_object_or_404(Forecaster, slug=slug)
        title, table = forecaster.name, queries.calibration(forecaster)
    markup = calibration_svg_markup(title, table)
    return HttpResponse(markup, content_type="image/svg+xml; charset=utf-8")


# --- CSV -----------------------------------------------------------------------------

CSV_HEADER = [
    "forecaster", "prediction_set", "position", "statement", "probability", "made_on",
    "resolves_by", "market", "outcome", "outcome_inferred", "outcome_date", "brier_0_1",
    "log_score", "casper_points",
]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


class _Echo:
    """A file-like object whose write returns the line: csv.writer then yields rows."""

    def write(self, value: str) -> str:
        return value


CSV_FIELDS = [
    "prediction_set__forecaster__slug", "prediction_set__slug", "position", "statement",
    "probability", "made_on", "resolves_by", "market__slug", "outcome", "outcome_inferred",
    "outcome_date", "score__brier", "score__log_score", "score__points",
]


def _iso(value) -> str:
    return value.isoformat() if value else ""


def csv_rows(predictions) -> Iterator[str]:
    """The CSV, line by line, from plain tuples read in chunks (.iterator(): a server-side
    cursor on Postgres): memory stays at one chunk however many predictions there are."""
    writer = csv_safe.writer(_Echo())  # statements are imported text: no formulas
    yield writer.writerow(CSV_HEADER)
    rows = predictions.values_list(*CSV_FIELDS).iterator(chunk_size=2000)
    for (forecaster, set_slug, position, statement, probability, made_on, resolves_by,
         market, outcome, inferred, outcome_date, brier, log_score, points) in rows:
        yield writer.writerow([
            forecaster, set_slug, position, statement, probability, made_on.isoformat(),
            _iso(resolves_by), market or "", outcome, "yes" if inferred else "no",
            _iso(outcome_date), _fmt(brier), _fmt(log_score), _fmt(points),
        ])


def scores_csv(request: HttpRequest, slug: str | None = None) -> StreamingHttpResponse:
    filters = {}
    filename = "forecast-scores.csv"
    if slug is not None:
        forecaster = get_object_or_404(Forecaster, slug=slug)
        filters["prediction_set__forecaster"] = forecaster
        filename = f"forecast-scores-{forecaster.slug}.csv"
    response = StreamingHttpResponse(
        csv_rows(queries.predictions_with_scores(**filters)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
