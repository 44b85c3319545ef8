"""The browser tier: Slate's web app (web/dist, built by make) served as `make demo` serves it,
against a local cloud in its own process, in Debian's Chromium driven by Playwright. A failed
test leaves a screenshot and the console of each of its pages in test-results/browser/."""

import os
import shutil
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from cloud_harness import start_cloud, stop_cloud
from demo import DIST, site_app
from local.aws.appsync.gateway.server import serving
from support import REPO, stack_variant
from web_config import local_app_config

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
FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


@pytest.fixture(scope="module")
def cloud(tmp_path_factory) -> Iterator[dict]:
    assert (DIST / "index.html").exists(), "make test builds web/dist first (npm run build)"
    project = stack_variant(tmp_path_factory.mktemp("browser"), "e2e", {})
    process, discovery, _ = start_cloud(project)
    yield discovery
    stop_cloud(process)


@pytest.fixture(scope="module")
def site(cloud) -> Iterator[str]:
    """The app at its own origin, with the local cloud's config.json, as `make demo` serves it."""
    with serving(site_app(DIST, lambda: local_app_config(cloud))) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = os.environ.get("SLATE_CHROMIUM") or shutil.which("chromium")
    assert chromium, "make test installs Debian's chromium (devtools/system-packages)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(request, browser: Browser) -> Iterator[Callable[[], Page]]:
    """Pages, each in a browser context of its own (its own storage: its own signed-in user).
    The contexts accept the local cloud's certificate, as a browser that trusts caFile would."""
    contexts, consoles = [], []

    def open_page() -> Page:
        context = browser.new_context(ignore_https_errors=True)
        contexts.append(context)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        consoles.append(console)
        return page

    yield open_page
    if request.node.stash.get(FAILED, False):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for number, (context, console) in enumerate(zip(contexts, consoles, strict=True)):
            stem = ARTIFACTS / f"{request.node.name}-{number}"
            for page in context.pages:
                page.screenshot(path=f"{stem}.png", full_page=True)
            stem.with_suffix(".console.txt").write_text("\n".join(console))
    for context in contexts:
        context.close()
