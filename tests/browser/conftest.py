"""The browser tier: Slate's web app (web/dist, built by make) served as `make demo` serves it,
against a local cloud in its own process, in Chromium (`browser_harness.browser_test`)."""

from collections.abc import Iterator

import pytest

from cloud_harness import start_cloud, stop_cloud
from demo import DIST, site_app
from local.aws.appsync.gateway.server import serving
from support import stack_variant
from web_config import local_app_config


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
