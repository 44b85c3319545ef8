"""aws-amplify v6, unmodified, in Node against the local cloud, configured as the web app is (the
config.json `make web-config` writes, through web/src/appConfig.js): SRP sign-in with moto's
Cognito, a query and a mutation over `httpsGraphqlUrl`, a subscription over the `wss://` endpoint
Amplify derives from it, and AppSync's error type, trusting the local authority through
`NODE_EXTRA_CA_CERTS` alone. (`make test` installs web/'s packages with `npm ci`.)"""

import json
import shutil
import subprocess

import pytest

import web_config
from cloud_harness import start_cloud, stop_cloud
from support import REPO, stack_variant

PROBE = REPO / "web" / "probe" / "amplify_probe.mjs"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    project = stack_variant(tmp_path_factory.mktemp("amplify"), "e2e", {})
    process, discovery, _ = start_cloud(project)
    yield project, discovery
    stop_cloud(process)


def test_amplify_in_node_signs_in_reads_books_and_sees_it_live(cloud, tmp_path):
    project, discovery = cloud
    config = tmp_path / "config.json"
    assert web_config.main(["-C", str(project), "--out", str(config)]) == 0
    node = shutil.which("node")
    assert node, "Node is installed by make test (Debian's nodejs) when the machine has none"
    run = subprocess.run(
        [node, "--experimental-websocket", str(PROBE), str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "NODE_EXTRA_CA_CERTS": discovery["caFile"]},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {
        "signedIn": True,
        "seen": ["HELD", "BOOKED"],
        "booked": "CONFIRMED",
        "again": "SlotUnavailable",
    }
