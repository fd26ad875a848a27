"""Debian's headless Chromium for the browser tests, driven by Playwright (never its own download)."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# The README's screenshots are refreshed with UPDATE_SCREENSHOTS=1; a normal run leaves docs/ alone.
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "results")
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("run scripts/install_packages.sh browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield instance
        finally:
            instance.close()


@contextlib.contextmanager
def strict_page(browser, what: str, **context_args):
    """A page whose JavaScript errors and Content-Security-Policy refusals fail the test."""
    context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", reduced_motion="reduce", **context_args)
    context.add_init_script("document.addEventListener('securitypolicyviolation', e => (window.__refused ="
                            " window.__refused || []).push(e.violatedDirective + ' ' + e.blockedURI))")
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    refused = tab.evaluate("window.__refused || []")
    context.close()
    assert not errors, f"JavaScript errors on {what}: {errors}"
    assert not refused, f"Content-Security-Policy violations: {refused}"
