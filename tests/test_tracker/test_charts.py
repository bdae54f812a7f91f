"""The server-drawn SVG charts (tracker.charts): pure functions, checked as parsed XML."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from tracker import charts

SVG = "{http://www.w3.org/2000/svg}"
D = dt.date


def draw(**kwargs) -> ET.Element:
    kwargs.setdefault("chart_id", "c")
    kwargs.setdefault("title", "Title")
    kwargs.setdefault("description", "Description")
    return ET.fromstring(charts.time_series_svg(**kwargs))


def circles(root: ET.Element) -> list[tuple[float, float]]:
    return [(float(c.get("cx")), float(c.get("cy"))) for c in root.iter(f"{SVG}circle")]


def test_the_chart_has_a_text_alternative_referenced_by_aria():
    root = draw(chart_id="prob", title="Probability <over> time", description="1 & 2 quotes",
                series=[charts.Series("s", [charts.Point(D(2024, 10, 11), 0.63)])])
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "prob-title prob-desc"
    assert root.find(f"{SVG}title").get("id") == "prob-title"
    assert root.find(f"{SVG}title").text == "Probability <over> time"  # escaped, then parsed
    assert root.find(f"{SVG}desc").text == "1 & 2 quotes"
    assert "style" not in charts.time_series_svg(
        chart_id="x", title="t", description="d",
        series=[charts.Series("s", [charts.Point(D(2024, 1, 1), 0.5)])])  # strict CSP


# (values on a 0-1 axis, expected y in the 260-px canvas: top 16, plot height 204)
Y_CASES = [
    ("top of the axis", 1.0, 16.0),
    ("bottom of the axis", 0.0, 220.0),
    ("middle", 0.5, 118.0),
    ("clamped above", 1.7, 16.0),
    ("clamped below", -0.2, 220.0),
]


@pytest.mark.parametrize(("name", "value", "y"), Y_CASES, ids=[c[0] for c in Y_CASES])
def test_values_map_onto_the_plot_height(name, value, y):
    root = draw(series=[charts.Series("s", [charts.Point(D(2024, 1, 1), value)])])
    assert circles(root)[0][1] == pytest.approx(y)


# (dates, which point should be further right)
X_CASES = [
    ("later is right", [D(2024, 1, 1), D(2024, 6, 1)], 1),
    ("order of input does not matter", [D(2024, 6, 1), D(2024, 1, 1)], 0),
    ("datetimes too", [dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC),
                       dt.datetime(2024, 1, 1, 21, tzinfo=dt.UTC)], 1),
]


@pytest.mark.parametrize(("name", "dates", "rightmost"), X_CASES, ids=[c[0] for c in X_CASES])
def test_time_runs_left_to_right(name, dates, rightmost):
    points = [charts.Point(d, 0.5, label=str(i)) for i, d in enumerate(dates)]
    root = draw(series=[charts.Series("s", points, line=False)])
    marks = {c.find(f"{SVG}title").text: float(c.get("cx")) for c in root.iter(f"{SVG}circle")}
    assert max(marks, key=marks.get) == str(rightmost)


def test_a_single_point_is_drawn_inside_the_plot():
    root = draw(series=[charts.Series("s", [charts.Point(D(2024, 10, 11), 0.63)])])
    (x, _), = circles(root)
    assert charts.LEFT < x < charts.WIDTH - charts.RIGHT


def test_a_line_series_is_a_step_path_through_every_point():
    points = [charts.Point(D(2024, 1, 1), 0.2), charts.Point(D(2024, 2, 1), 0.8),
              charts.Point(D(2024, 3, 1), 0.4)]
    root = draw(series=[charts.Series("s", points, dots=False)])
    path = root.find(f"{SVG}path").get("d")
    assert path.startswith("M") and path.count("H") == 2 and path.count("V") == 2
    assert not circles(root)


def test_markers_and_references_are_labelled():
    root = draw(series=[charts.Series("s", [charts.Point(D(2024, 1, 1), 0.5)])],
                markers=[charts.Marker(D(2024, 3, 1), "Resolved YES")],
                references=[charts.Reference(1.0, "Resolved YES (date unknown)")])
    labels = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")]
    assert labels == ["Resolved YES (date unknown)", "Resolved YES"]


def test_month_ticks_are_labelled_and_thinned():
    points = [charts.Point(D(2023, 1, 15), 0.1), charts.Point(D(2025, 1, 15), 0.9)]
    root = draw(series=[charts.Series("s", points)])
    months = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text[-4:].isdigit()
              and t.text[:3].isalpha()]
    assert 2 <= len(months) <= 6
    assert all(len(m.split()) == 2 for m in months)  # "Jan 2024"


def test_no_data_says_so():
    root = draw(series=[])
    assert "No data yet" in [t.text for t in root.iter(f"{SVG}text")]


def test_a_legend_names_each_series_when_there_are_several():
    root = draw(series=[charts.Series("Trades", [charts.Point(D(2024, 1, 1), 0.5)]),
                        charts.Series("Quotes", [charts.Point(D(2024, 2, 1), 0.6)])])
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Trades" in texts and "Quotes" in texts


def test_an_empty_axis_is_refused_with_a_clear_error():
    with pytest.raises(charts.ChartError, match="from 1 to 1"):
        draw(series=[], axis=charts.Axis(low=1, high=1))
