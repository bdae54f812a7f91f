"""A reader in headless Chromium (Debian's package) opens home, market and paper pages."""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def browser_page(monkeypatch):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (REQUIRE_BROWSER is set) but not installed.")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium).")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # fixtures here are ordinary synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        yield page
        browser.close()


def test_a_reader_goes_from_the_home_page_to_a_paper(live_server, seeded, browser_page):
    page = browser_page

    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Markets"
    page.get_by_role("link", name="Will Sparse Autoencoders be successfully used").click()

    page.wait_for_url("**/markets/sae-downstream-beat-baselines/")
    criteria = page.locator("#criteria tbody tr")
    assert criteria.count() == 13
    assert "Fair-fight baselines" in page.locator("#criteria").inner_text()
    assert page.locator("#candidates").get_by_text("HypotheSAEs").count() == 1

    page.locator("#candidates").get_by_role("link", name="HypotheSAEs").click()
    page.wait_for_url("**/papers/2502.04382/")
    assert page.locator("h1").inner_text() == "Sparse Autoencoders for Hypothesis Generation"
    assert page.locator("#authors").inner_text().startswith("Rajiv Movva, Kenny Peng")
    assert page.get_by_role("link", name="2502.04382", exact=True).get_attribute("href") == (
        "https://arxiv.org/abs/2502.04382"
    )
