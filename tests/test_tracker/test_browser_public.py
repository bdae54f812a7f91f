"""Every public page in headless Chromium (Debian's package) at 1,400 and 400 px: it loads
with no console error under a strict Content-Security-Policy, no request leaves 127.0.0.1, the body never scrolls sideways at
400 px, axe-core finds no critical accessibility violation, and every chart has a text
alternative. Screenshots are kept under var/artifacts/browser/ for looking at.

axe-core comes from the npm registry: `npm ci --prefix tests/browser` (.ci/run does it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE = Path(__file__).parents[1] / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", Path(settings.BASE_DIR) / "var" /
                                "artifacts" / "browser"))
RECORDED_BETS = Path(__file__).parents[1] / "test_forecasts" / "recorded" / "bets-SAEmkt2024.json"
WIDTHS = (1400, 400)
# The policy the pages must live under (another change sets it in production): no inline
# script or style. Added to every response here so that a violation is a console error.
STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
SLUG = "sae-downstream-beat-baselines"

PAGES = {
    "home": "/",
    "market": f"/markets/{SLUG}/",
    "leaderboard": f"/markets/{SLUG}/leaderboard/",
    "paper": "/papers/2502.04382/",
    "paper-replicated": "/papers/2502.16681/",
    "papers": "/papers/",
    "papers-filtered": "/papers/?verdict=falls_short",
    "replications": "/replications/",
    "run": "/replications/{run}/",
    "forecasters": "/forecasters/",
    "forecaster": "/forecasters/stephen-casper/",
    "prediction-set": "/prediction-sets/casper-2024-10-next-lab-sae/",
    "api-docs": "/api/docs/",
    "not-found": "/papers/2502.0438/",
}


@pytest.fixture(scope="module")
def chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (REQUIRE_BROWSER is set) but not installed.")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium).")
    if not AXE.exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"axe-core is missing at {AXE}: run `npm ci --prefix tests/browser`.")
        pytest.skip("axe-core is not installed (npm ci --prefix tests/browser).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
    # beside one unless told. Only for this module: a later test (the deploy check) would
    # see the variable and fail.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def site(seeded, live_server, tmp_path, settings):
    """The seed, one finished replication with its deltas plot, and a Manifold history."""
    from PIL import Image

    from evaluations.forecasts.manifold import probability_history
    from evaluations.forecasts.models import ManifoldMarket, ProbabilityPoint
    from replication import services
    from tests.replication_specs import make_spec, results_dict
    from tracker.models import Candidacy, Market

    settings.VAR_DIR = tmp_path
    candidacy = Candidacy.objects.get(paper__arxiv_id="2502.16681")
    spec = make_spec(key="probe", candidacy=candidacy)
    run = services.create_run(spec=spec)
    attempt = services.claim_run(run_id=run.pk, worker_host="w")
    out = services.artifact_dir(run.pk)
    out.mkdir(parents=True)
    Image.new("RGB", (460, 330), "white").save(out / "deltas.png")
    results = results_dict(verdict="loses", spec_hash=spec.spec_hash, datasets={
        "5_hist_fig_ismale": (-0.121, -0.150, -0.094, 0.012, "loses"),
        "87_glue_cola": (0.004, -0.02, 0.03, 0.6, "inconclusive")})
    (out / "results.json").write_text(json.dumps(results))
    services.finish_run(run_id=run.pk, attempt=attempt, results=results, out_dir=out,
                        artifacts=["results.json", "deltas.png"])

    market = Market.objects.get(slug=SLUG)
    record = ManifoldMarket.objects.create(manifold_id="SAEmkt2024", question=market.title,
                                           market=market, fetched_at=dt.datetime.now(dt.UTC))
    for point in probability_history(json.loads(RECORDED_BETS.read_text())):
        ProbabilityPoint.objects.create(manifold_market=record, bet_id=point.bet_id, at=point.at,
                                        probability=point.probability)
    # Loopback by address, so that "no request leaves 127.0.0.1" is checked literally.
    return live_server.url.replace("localhost", "127.0.0.1"), run.pk


def open_page(chromium, url: str, width: int):
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def guard(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith("data:"):
            route.continue_()
        elif host == "127.0.0.1":
            response = route.fetch()
            route.fulfill(response=response, headers={
                **response.headers, "content-security-policy": STRICT_CSP})
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    response = page.goto(url, wait_until="load")
    return context, page, response, errors, outside


def run_axe(page) -> list[dict]:
    # Evaluated through the DevTools protocol, which the page's CSP does not govern.
    page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return result


def check_text_alternatives(page) -> list[str]:
    """Charts (inline SVG with role=img) are named by their <title>/<desc>; images by alt."""
    return page.evaluate("""() => {
        const missing = [];
        for (const svg of document.querySelectorAll('svg')) {
            const ids = (svg.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
            const named = ids.length && ids.every(id => {
                const el = document.getElementById(id); return el && el.textContent.trim(); });
            if (svg.getAttribute('role') !== 'img' || !named) missing.push(svg.outerHTML.slice(0, 80));
        }
        for (const img of document.querySelectorAll('img')) {
            if (!(img.getAttribute('alt') || '').trim()) missing.push(img.outerHTML.slice(0, 80));
        }
        return missing;
    }""")


def test_every_public_page_in_chromium_at_desktop_and_phone_widths(chromium, site):
    base, run_id = site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = {}
    failures = []
    for width in WIDTHS:
        for name, path in PAGES.items():
            url = base + path.format(run=run_id)
            context, page, response, errors, outside = open_page(chromium, url, width)
            try:
                expected = 404 if name == "not-found" else 200
                if response.status != expected:
                    failures.append(f"{name}@{width}: status {response.status}")
                if name == "not-found":  # Chromium logs the document's own 404 status
                    errors = [e for e in errors if "status of 404" not in e]
                if errors:
                    failures.append(f"{name}@{width}: console errors {errors}")
                if outside:
                    failures.append(f"{name}@{width}: requests left 127.0.0.1: {outside}")
                scroll, inner = page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]")
                if scroll > inner:
                    failures.append(f"{name}@{width}: body is {scroll} px wide in {inner} px")
                missing = check_text_alternatives(page)
                if missing:
                    failures.append(f"{name}@{width}: no text alternative for {missing}")
                page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
                violations = run_axe(page)
                report[f"{name}@{width}"] = violations
                critical = [v for v in violations if v["impact"] == "critical"]
                if critical:
                    failures.append(f"{name}@{width}: critical axe violations {critical}")
            finally:
                context.close()
    (ARTIFACTS / "axe.json").write_text(json.dumps(report, indent=1))
    assert failures == []


def test_the_market_matrix_shows_the_seeded_verdicts(chromium, site):
    base, _ = site
    context, page, _, errors, _ = open_page(chromium, f"{base}/markets/{SLUG}/", 1400)
    try:
        for slug in ("hypothesaes", "auditing-hidden-objectives"):
            row = page.locator(f'#matrix tr[data-paper="{slug}"]')
            assert row.locator("td.verdict").inner_text() == "Qualifies"
            cells = row.locator('td.cell[data-kind="must_pass"]')
            assert cells.count() == 6
            # the finding's words; a replication's "R" mark may follow them (the seed's
            # records bear on some of these criteria)
            assert [cells.nth(i).evaluate("td => td.firstChild.textContent")
                    for i in range(6)] == ["met"] * 6
        sieve = page.locator('#matrix tr[data-paper="sieve"]')
        assert sieve.locator("td.verdict").inner_text() == "Falls short"
        assert sieve.locator('td[data-criterion="downstream_interesting"]').inner_text() == (
            "not met")
        # The replication run of the sparse-probing case study is marked on its criteria.
        probing = page.locator('#matrix tr[data-paper="are-saes-useful-sparse-probing"]')
        assert probing.locator("a.rep").count() == 6
        # The probability chart: the imported trades, the quote, and the resolution line.
        chart = page.locator("#probability svg")
        assert "2 trades imported from Manifold" in chart.locator("desc").text_content()
        assert page.locator("#probability figcaption").inner_text().startswith(
            "The market's probability of YES over time")
        assert errors == []
        # The strict policy is in force in these tests: an inline script is refused.
        ran = page.evaluate("""() => { const s = document.createElement('script');
            s.textContent = 'window.inlineRan = true'; document.head.appendChild(s);
            return window.inlineRan === true; }""")
        assert ran is False and any("Content Security Policy" in e for e in errors)
    finally:
        context.close()


def test_the_copy_button_copies_the_full_hash(chromium, site):
    base, run_id = site
    context, page, _, _, _ = open_page(chromium, f"{base}/replications/{run_id}/", 1400)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        button = page.locator("dl.facts:not(.provenance) button.copy")
        assert button.is_visible()  # shown by copy.js once the clipboard is there
        full = button.get_attribute("data-copy")
        assert len(full) == 64 and page.locator("dl.facts:not(.provenance) .hash code").inner_text() == full[:12]
        button.click()
        assert page.evaluate("navigator.clipboard.readText()") == full
    finally:
        context.close()
