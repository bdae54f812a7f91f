"""What a reader sees in headless Chromium (Debian's package) at 400 and 1,400 px: wide
tables scroll inside their box with a visible cue and the paper column kept in view, chart
labels stay at their drawn size (12 px, not 7), the deltas plot is shown at its own size
and linked, a running replication shows a progress bar with elapsed time and an estimate,
the forecasters list explains its columns, and the focus ring has at least 3:1 contrast.
Screenshots are kept under var/artifacts/browser/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.test_tracker.test_browser_public import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    SLUG,
    open_page,
    site,
)
from tests.test_tracker.test_browser_reader import browser_page  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reader(browser_page):  # noqa: F811 (fixture)
    return browser_page.context.browser


@pytest.fixture
def running_run(site):  # noqa: F811 (fixture)
    """A replication 8% done after four minutes, beside the finished one."""
    from replication import services
    from replication.models import ReplicationRun
    from tests.replication_specs import make_spec

    run = services.create_run(spec=make_spec(key="running"))
    attempt = services.claim_run(run_id=run.pk, worker_host="default@vm")
    ReplicationRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=4))
    services.record_progress(run_id=run.pk, attempt=attempt, fraction=0.08,
                             message="encoding 5_hist_fig_ismale (1/9 datasets)")
    return run.pk


def luminance(rgb: str) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (float(x) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_leaderboard_scrolls_in_its_box_with_a_cue_and_the_paper_in_view(reader, site):  # noqa: F811
    base, _ = site
    context, page, _, errors, _ = open_page(reader, f"{base}/markets/{SLUG}/leaderboard/", 400)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        box = page.locator(".table-scroll").first
        wide = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
        assert wide[0] > wide[1], "the table fits: nothing to scroll"
        assert "gradient" in box.evaluate("b => getComputedStyle(b).backgroundImage")
        box.evaluate("b => { b.scrollLeft = 250; }")
        first = page.locator("#leaderboard tbody tr").first.locator("th")
        assert first.evaluate("c => getComputedStyle(c).position") == "sticky"
        left = first.evaluate("c => c.getBoundingClientRect().left - "
                              "c.closest('.table-scroll').getBoundingClientRect().left")
        assert abs(left) < 2  # the paper column stays at the box's left edge
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "leaderboard-scrolled-400.png"))
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("width", (400, 1400))
def test_chart_labels_keep_their_drawn_size(reader, site, width):  # noqa: F811
    base, _ = site
    context, page, _, _, _ = open_page(reader, f"{base}/markets/{SLUG}/", width)
    try:
        sizes = page.evaluate("""() => [...document.querySelectorAll('figure.chart svg')].map(svg => {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            const font = parseFloat(svg.querySelector('text').getAttribute('font-size')
                || svg.getAttribute('font-size') || 12);
            return font * scale; })""")
        assert sizes and min(sizes) >= 11, sizes
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def test_the_deltas_plot_is_shown_at_its_size_and_linked(reader, site):  # noqa: F811
    base, run_id = site
    context, page, _, _, _ = open_page(reader, f"{base}/replications/{run_id}/", 400)
    try:
        img = page.locator("figure.wide-plot img")
        assert img.evaluate("i => [i.width, i.naturalWidth]") == [460, 460]
        assert page.locator("#deltas-full-size").get_attribute("href") == \
            f"/replications/{run_id}/deltas.png"
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
    finally:
        context.close()


def test_a_running_replication_shows_a_bar_elapsed_time_and_an_estimate(reader, site,  # noqa: F811
                                                                        running_run):
    base, _ = site
    context, page, _, _, _ = open_page(reader, f"{base}/replications/{running_run}/", 400)
    try:
        bar = page.locator(f"#run-{running_run}-progress progress")
        assert bar.get_attribute("value") == "8" and bar.is_visible()
        box = bar.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 400
        figures = page.locator(f"#run-{running_run}-progress").inner_text()
        assert "running for 4 min" in figures and "left at the pace so far" in figures
        page.screenshot(path=str(ARTIFACTS / "run-running-400.png"), full_page=True)
    finally:
        context.close()


def test_the_forecasters_list_explains_skill_and_shows_calibration(reader, site):  # noqa: F811
    base, _ = site
    context, page, _, _, _ = open_page(reader, f"{base}/forecasters/", 1400)
    try:
        assert "is 1 − (mean Brier ÷ 0.25)" in page.locator("#skill-help").locator("..").inner_text()
        headers = page.locator("table").first.locator("thead th").all_inner_texts()
        assert headers[-2:] == ["Skill vs 50%", "Calibration"]
        cells = page.locator("td.calibration-cell").all_inner_texts()
        assert any("happened" in cell for cell in cells), cells
        page.screenshot(path=str(ARTIFACTS / "forecasters-1400.png"), full_page=True)
    finally:
        context.close()


def test_the_focus_ring_has_three_to_one_contrast(reader, site):  # noqa: F811
    base, _ = site
    context, page, _, _, _ = open_page(reader, f"{base}/markets/{SLUG}/", 1400)
    try:
        for _ in range(3):
            page.keyboard.press("Tab")
            ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }""")
            assert ring[0] == "solid" and ring[1] >= 2, ring
            assert contrast(ring[2], "rgb(255, 255, 255)") >= 3, ring
    finally:
        context.close()
