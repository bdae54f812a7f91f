"""Two adjudicators score the same candidacy in headless Chromium (Debian's package).

Before the second submits, nothing the first wrote (verdicts, rationale) reaches the
second on the admin, the paper page, the market page, the leaderboard or the API; a
logged-out reader sees no more. After both submit, each sees the side-by-side view with
kappa. Screenshots of the sheet and of the side-by-side view at 1,280 px are saved under
var/artifacts/adjudicators/."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command

from evaluations import services
from tests.test_tracker.test_browser_reader import browser_page  # noqa: F401 (fixture)
from tracker.models import Candidacy, Market

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "sae-downstream-beat-baselines"
PAPER = "axbench"
WIDTH = 1280
SECRET = "Amira-rationale-7f3c"  # what the first adjudicator writes, searched for everywhere
ARTIFACTS = Path(settings.VAR_DIR) / "artifacts" / "adjudicators"


@pytest.fixture
def open_market(seeded):
    """The seed market, unresolved again so that its candidacies can be scored."""
    market = Market.objects.get(slug=SLUG)
    resolver = User.objects.get(username="NeelNanda")
    services.unresolve_market(market=market, actor=resolver, reason="Browser test.")
    for username, first, last in (("amira", "Amira", "Adjudicator"),
                                  ("bruno", "Bruno", "Blind")):
        call_command("add_adjudicator", username, "--first-name", first, "--last-name", last,
                     "--no-input", stdout=StringIO())
        user = User.objects.get(username=username)
        user.set_password(f"pw-{username}-long-enough")
        user.save()
    return Candidacy.objects.select_related("paper").get(market=market, paper__slug=PAPER)


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}-long-enough")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/admin/")


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"the page scrolls sideways: {width} px wide"


class Clicks:
    """Counts what a person with a mouse does: clicks (one to put the cursor in a text
    field) and fields typed into."""

    def __init__(self, page):
        self.page, self.clicks, self.fields = page, 0, 0

    def click(self, selector: str) -> None:
        self.page.click(selector)
        self.clicks += 1

    def fill(self, selector: str, text: str) -> None:
        self.page.click(selector)
        self.page.fill(selector, text)
        self.clicks += 1
        self.fields += 1


def answer_everything(actions: Clicks, verdicts: dict[str, str], rationale: str) -> None:
    for block in actions.page.locator("[data-criterion]").all():
        key = block.get_attribute("id").removeprefix("criterion-")
        prefix = block.locator("input[name$='-verdict']").first.get_attribute("name")
        prefix = prefix.removesuffix("-verdict")
        actions.click(f"input[name='{prefix}-verdict'][value='{verdicts.get(key, 'met')}']")
        actions.click(f"input[name='{prefix}-confidence'][value='4']")
        actions.fill(f"textarea[name='{prefix}-rationale']", f"{rationale} on {key}.")


def public_texts(page, base: str, candidacy) -> dict[str, str]:
    texts = {}
    for path in (f"/papers/{candidacy.paper.public_id}/", f"/markets/{SLUG}/",
                 f"/markets/{SLUG}/leaderboard/", f"/api/markets/{SLUG}/",
                 f"/api/markets/{SLUG}/leaderboard/"):
        page.goto(base + path)
        texts[path] = page.content()
    return texts


def test_two_adjudicators_score_blind_then_compare(live_server, open_market,
                                                  browser_page):  # noqa: F811
    candidacy = open_market
    base = live_server.url
    browser = browser_page.context.browser
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    contexts = {name: browser.new_context(viewport={"width": WIDTH, "height": 900})
                for name in ("amira", "bruno", "anonymous")}
    amira, bruno, anonymous = (contexts[n].new_page() for n in ("amira", "bruno", "anonymous"))
    sheet_url = f"{base}/admin/evaluations/candidacyscoring/{candidacy.pk}/change/"
    amira.set_default_timeout(15000)
    bruno.set_default_timeout(15000)

    # Amira: from the admin index to a submitted assessment, counted.
    log_in(amira, base, "amira")
    actions = Clicks(amira)
    assert "Awaiting my assessment" in amira.locator("#my-queue").inner_text()
    amira.screenshot(path=str(ARTIFACTS / "admin-index-queue-1280.png"))
    actions.click("#my-queue a[href$='queue=awaiting']")
    fits(amira)
    amira.screenshot(path=str(ARTIFACTS / "queue-awaiting-1280.png"))
    actions.click(f"text={candidacy.paper}")
    amira.wait_for_url(f"{sheet_url}**")
    # The three informational criteria start as "not applicable", their default.
    assert "3 of 13" in amira.locator("#progress").inner_text()
    fits(amira)
    answer_everything(actions, {"downstream_interesting": "met", "sae_essential": "not_met",
                                "personal_judgement": "not_applicable",
                                "post_hoc_task_choice": "not_applicable",
                                "other_dictionary_learning_allowed": "not_applicable"}, SECRET)
    assert "13 of 13" in amira.locator("#progress-live").inner_text()
    actions.click("#submit-button")
    amira.wait_for_url(sheet_url + "#comparison")
    assert "all submitted" in amira.locator("#progress").inner_text()
    (ARTIFACTS / "clicks.txt").write_text(
        f"admin index to a submitted assessment (13 criteria): {actions.clicks} clicks, "
        f"{actions.fields} fields typed\n")

    # Bruno starts: a draft of one criterion, by keyboard only.
    log_in(bruno, base, "bruno")
    bruno.goto(sheet_url)
    first = bruno.locator("[data-criterion]").first
    first.locator("input[type=radio][name$='-verdict']").first.focus()
    bruno.keyboard.press("Space")          # met
    bruno.keyboard.press("ArrowRight")     # not met
    bruno.keyboard.press("Tab")            # into the confidence group
    bruno.keyboard.press("ArrowRight")
    bruno.keyboard.press("ArrowRight")     # 3 (ArrowRight from nothing checks 1, then 2, 3)
    bruno.keyboard.press("Tab")
    bruno.keyboard.type("Bruno's own reading.")
    # Criterion 1 is informational: answered already by its default, now "not met".
    assert "3 of 13" in bruno.locator("#progress-live").inner_text()
    bruno.keyboard.press("Control+s")      # Save draft (scoring.js)
    bruno.wait_for_load_state()
    bruno.wait_for_selector("text=Draft saved")
    saved = services.visible_assessments(
        viewer=User.objects.get(username="bruno"), candidacy=candidacy)
    assert [(a.verdict, a.confidence, a.status) for a in saved
            if a.verdict != "not_applicable"] == [("not_met", 3, "draft")]
    assert sum(a.verdict == "not_applicable" for a in saved) == 2  # 6 and 11's defaults

    # Before Bruno submits: nothing of Amira's reaches him, nor a logged-out reader.
    bruno.goto(sheet_url)
    sheet = bruno.content()
    assert SECRET not in sheet and "Amira" not in sheet
    assert "Hidden until you have submitted" in bruno.locator("#blind-notice").inner_text()
    fits(bruno)
    bruno.screenshot(path=str(ARTIFACTS / "scoring-sheet-1280.png"))
    bruno.screenshot(path=str(ARTIFACTS / "scoring-sheet-full-1280.png"), full_page=True)
    bruno.goto(f"{base}/admin/evaluations/assessment/")
    assert SECRET not in bruno.content()
    bruno.goto(f"{base}/admin/evaluations/candidacyscoring/")
    assert "hidden until you submit" in bruno.content()
    for who, page in (("bruno", bruno), ("anonymous", anonymous)):
        for path, text in public_texts(page, base, candidacy).items():
            assert SECRET not in text, (who, path)
            assert "Amira" not in text, (who, path)
        paper_page = public_texts(page, base, candidacy)[f"/papers/{candidacy.paper.public_id}/"]
        assert ("Hidden until you have submitted" if who == "bruno" else "Under review") \
            in paper_page

    # Bruno submits; both now see each other's verdicts side by side, with kappa.
    bruno.goto(sheet_url)
    actions = Clicks(bruno)
    answer_everything(actions, {"downstream_interesting": "met", "sae_essential": "met",
                                "fair_fight_baselines": "unclear",
                                "personal_judgement": "not_applicable",
                                "post_hoc_task_choice": "not_applicable",
                                "other_dictionary_learning_allowed": "not_applicable"},
                      "Bruno's reading")
    actions.click("#submit-button")
    bruno.wait_for_url(sheet_url + "#comparison")
    for page, other in ((bruno, "Amira Adjudicator"), (amira, "Bruno Blind")):
        page.goto(sheet_url)
        comparison = page.locator("#comparison")
        headers = comparison.locator("thead th").all_inner_texts()
        assert [h.lower() for h in headers[:3]] == ["criterion", "me", other.lower()]
        assert "κ = " in comparison.locator("#kappa").inner_text()
        assert comparison.locator("tr.disagree").count() == 2  # sae_essential, fair fight
        fits(page)
    bruno.locator("#comparison").screenshot(path=str(ARTIFACTS / "side-by-side-1280.png"))
    bruno.screenshot(path=str(ARTIFACTS / "side-by-side-page-1280.png"), full_page=False)
    for context in contexts.values():
        context.close()
