"""Screenshots of the public pages at 1,400 and 400 px, for looking at them.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8123 var/artifacts/before [NAME...]

Writes <name>-1400.png and <name>-400.png for each page and prints each page's width at
400 px (document.documentElement.scrollWidth), which should not exceed 400.
"""

from __future__ import annotations

import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = {
    "home": "/",
    "market": "/markets/sae-downstream-beat-baselines/",
    "leaderboard": "/markets/sae-downstream-beat-baselines/leaderboard/",
    "paper": "/papers/2502.04382/",
    "paper-replicated": "/papers/2502.16681/",
    "papers": "/papers/",
    "forecasters": "/forecasters/",
    "forecaster": "/forecasters/stephen-casper/",
    "replications": "/replications/",
    "run": "/replications/1/",
    "api-docs": "/api/docs/",
    "not-found": "/papers/9999.99999/",
}


def wait_for(base: str, seconds: float = 20.0) -> None:
    """The development server restarts when a file changes: wait until it answers."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=5)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main(base: str, out: Path, only: list[str]) -> None:
    wait_for(base)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        for width in (1400, 400):
            page = browser.new_page(viewport={"width": width, "height": 900})
            for name, path in PAGES.items():
                if only and name not in only:
                    continue
                page.goto(base + path)
                page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)
                if width == 400:
                    scroll = page.evaluate("document.documentElement.scrollWidth")
                    print(f"{name:18} {path:55} width at 400 px: {scroll}")
            page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])
