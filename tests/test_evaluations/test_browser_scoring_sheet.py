"""The scoring sheet in headless Chromium (Debian's package) at 400 and 1,280 px: the
sticky Save/Submit bar never covers the field being typed in, the sheet never scrolls
sideways, Ctrl+S saves half an answer and brings the adjudicator back to the field they
were in, and a 13-criterion assessment whose three informational criteria do not apply
takes 31 clicks and 10 typed rationales (it took 40 and 13). Screenshots are saved under
var/artifacts/adjudicators/."""

from __future__ import annotations

import pytest

from evaluations.models import Assessment
from tests.test_evaluations.test_browser_two_adjudicators import (  # noqa: F401 (fixture)
    ARTIFACTS,
    Clicks,
    log_in,
    open_market,
)
from tests.test_tracker.test_browser_reader import browser_page  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (400, 1280)
# Text fields an adjudicator types in, by criterion (the 2nd, the 7th and the last).
FIELDS = (("downstream_interesting", "rationale"), ("fair_fight_baselines", "rationale"),
          ("not_cherry_picked", "evidence_urls"))


def sheet_url(base: str, candidacy) -> str:
    return f"{base}/admin/evaluations/candidacyscoring/{candidacy.pk}/change/"


def field_id(page, key: str, name: str) -> str:
    return page.locator(f"#criterion-{key} [name$='-{name}']").get_attribute("id")


def uncovered(page, element_id: str) -> dict:
    """Where the field and the bar are on the screen."""
    return page.evaluate("""(id) => {
        const field = document.getElementById(id).getBoundingClientRect();
        const bar = document.querySelector('.sheet-actions').getBoundingClientRect();
        return {focused: document.activeElement.id, top: field.top, bottom: field.bottom,
                bar_top: bar.top, height: innerHeight};
    }""", element_id)


def tab_into_near_the_bottom(page, element_id: str) -> None:
    """Reading down the sheet: the control before the field sits near the bottom of the
    screen (where the bar is) and the adjudicator presses Tab."""
    page.evaluate("""(id) => {
        const field = document.getElementById(id);
        const controls = [...field.form.elements].filter(e => e.type !== 'hidden');
        const before = controls[controls.indexOf(field) - 1];
        const y = field.getBoundingClientRect().top + scrollY;
        scrollTo(0, y - innerHeight + 60);
        before.focus({preventScroll: true});
    }""", element_id)
    page.keyboard.press("Tab")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_bar_never_covers_the_field_being_typed_in(
        live_server, open_market, browser_page, width):  # noqa: F811 (fixtures)
    context = browser_page.context.browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "amira")
        page.goto(sheet_url(live_server.url, open_market))
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"the sheet is {scroll_width} px wide at {width} px"
        for key, name in FIELDS:
            target = field_id(page, key, name)
            tab_into_near_the_bottom(page, target)
            page.keyboard.type("Typing where I can see it")
            where = uncovered(page, target)
            assert where["focused"] == target
            assert where["bottom"] <= where["bar_top"], (key, where)
            assert where["top"] >= 0, (key, where)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"sheet-focused-field-{width}.png"))
    finally:
        context.close()


def test_ctrl_s_keeps_half_an_answer_and_returns_to_the_field(
        live_server, open_market, browser_page):  # noqa: F811 (fixtures)
    context = browser_page.context.browser.new_context(viewport={"width": 400, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "amira")
        page.goto(sheet_url(live_server.url, open_market))
        target = field_id(page, "fair_fight_baselines", "rationale")
        tab_into_near_the_bottom(page, target)
        page.keyboard.type("Only the probe baseline so far; still reading section 4.")
        page.keyboard.press("Control+s")
        page.wait_for_selector("text=Draft saved")
        where = uncovered(page, target)
        assert where["focused"] == target  # not the top of the page, 26 Tabs away
        assert where["top"] >= 0 and where["bottom"] <= where["bar_top"]
        page.keyboard.type(" More.")  # typing goes on where it stopped
        assert page.input_value(f"#{target}").endswith("section 4. More.")
        saved = Assessment.objects.get(adjudicator__username="amira",
                                       criterion__key="fair_fight_baselines")
        assert (saved.verdict, saved.confidence, saved.status) == ("", None, "draft")
        assert saved.rationale.startswith("Only the probe baseline")
        page.screenshot(path=str(ARTIFACTS / "sheet-after-ctrl-s-400.png"))
    finally:
        context.close()


def test_thirteen_criteria_with_three_not_applicable_take_31_clicks_and_10_rationales(
        live_server, open_market, browser_page):  # noqa: F811 (fixtures)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, "amira")
    page.goto(sheet_url(live_server.url, open_market))
    assert "3 of 13" in page.locator("#progress").inner_text()  # the three informational
    actions = Clicks(page)
    for block in page.locator("[data-criterion]").all():
        if block.locator("input[value='not_applicable']:checked").count():
            continue  # "not applicable" by default: nothing to do, nothing to invent
        prefix = block.locator("input[name$='-verdict']").first.get_attribute("name")
        prefix = prefix.removesuffix("-verdict")
        actions.click(f"input[name='{prefix}-verdict'][value='met']")
        actions.click(f"input[name='{prefix}-confidence'][value='4']")
        actions.fill(f"textarea[name='{prefix}-rationale']", "Read the paper's section.")
    assert "13 of 13" in page.locator("#progress-live").inner_text()
    actions.click("#submit-button")
    page.wait_for_url("**#comparison")
    assert (actions.clicks, actions.fields) == (31, 10)
    answers = Assessment.objects.filter(adjudicator__username="amira", status="submitted")
    not_applicable = answers.filter(verdict="not_applicable")
    assert answers.count() == 13
    assert sorted(not_applicable.values_list("criterion__order", flat=True)) == [1, 6, 11]
    assert set(not_applicable.values_list("confidence", "rationale")) == {(None, "")}
