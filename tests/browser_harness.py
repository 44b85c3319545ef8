"""Chromium for the browser tier: Debian's browser driven by Playwright's synchronous API, each
test in a thread of its own with its own Playwright. The synchronous API switches greenlets,
which on CPython 3.11 can leave the thread's recursion accounting off ("AST constructor
recursion depth mismatch" in a later test of the same worker); on a thread of its own that
stays with the browser. A test that fails leaves a screenshot and the console of each of its
pages in test-results/browser/."""

import gc
import os
import shutil
import threading
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from support import REPO

ARTIFACTS = REPO / "test-results" / "browser"
CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",  # this machine's network is closed
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
NewPage = Callable[[], Page]


class Pages:
    """Pages, each in a browser context of its own (its own storage: its own signed-in user).
    The contexts accept the local cloud's certificate, as a browser that trusts caFile would."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self._opened: list[tuple[BrowserContext, list[str]]] = []

    def open(self) -> Page:
        context = self._browser.new_context(ignore_https_errors=True)
        console: list[str] = []
        self._opened.append((context, console))
        page = context.new_page()
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        return page

    def keep_evidence(self, test_name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for number, (context, console) in enumerate(self._opened):
            stem = ARTIFACTS / f"{test_name}-{number}"
            for page in context.pages:
                page.screenshot(path=f"{stem}.png", full_page=True)
            stem.with_suffix(".console.txt").write_text("\n".join(console))


def chromium() -> str:
    path = os.environ.get("SLATE_CHROMIUM") or shutil.which("chromium")
    assert path, "make test installs Debian's chromium (devtools/system-packages)"
    return path


def browser_test(test: Callable[..., None]) -> Callable[..., None]:
    """Runs `test(new_page, site, cloud)` in a Chromium of its own, on a thread of its own."""

    def run(site: str, cloud: dict[str, Any]) -> None:
        failures: list[BaseException] = []

        def body() -> None:
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=chromium(), args=CHROMIUM_FLAGS
                    )
                    pages = Pages(browser)
                    try:
                        test(pages.open, site, cloud)
                    except BaseException:
                        pages.keep_evidence(test.__name__)
                        raise
                    finally:
                        browser.close()
            except BaseException as failure:  # re-raised on the test's own thread
                failures.append(failure)
            finally:
                gc.collect()  # Playwright's greenlets end here, on their own thread

        thread = threading.Thread(target=body, name=f"browser-{test.__name__}")
        thread.start()
        thread.join()
        if failures:
            raise failures[0]

    # pytest reads the fixtures from this signature (site, cloud): not the test's own.
    for name in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(run, name, getattr(test, name))
    return run
