"""`make demo` as a person runs it: the local cloud and the built web app in one process, the
app's config.json made from the cloud's endpoints, the demo logins printed, and Ctrl-C stopping
everything cleanly."""

import signal
import subprocess
import sys
import threading
import time

import requests

from local.aws.appsync.gateway.server import free_port
from support import CLEAN_ENV, REPO, stack_variant

READY_SECONDS = 90
STOP_SECONDS = 10


def test_make_demo_serves_the_app_with_its_config_and_stops_on_ctrl_c(tmp_path):
    project = stack_variant(tmp_path / "demo", "e2e", {})
    port, tls_port, web_port = free_port(), free_port(), free_port()
    ports = ["--port", str(port), "--tls-port", str(tls_port), "--web-port", str(web_port)]
    process = subprocess.Popen(
        [sys.executable, "devtools/demo.py", "-C", str(project), "--stack", "e2e", *ports],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=CLEAN_ENV,
    )
    try:
        lines = []
        deadline = time.monotonic() + READY_SECONDS
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Ready.") or time.monotonic() > deadline:
                break
        printed = "".join(lines)
        assert lines and lines[-1].startswith("Ready."), printed
        assert f"http://localhost:{web_port}/" in printed
        assert "alice@example.com / Slate-demo-2026!  (customer)" in printed
        assert "olivia@example.com / Slate-demo-2026!  (owners)" in printed
        rest = []
        threading.Thread(target=lambda: rest.extend(process.stdout), daemon=True).start()

        page = requests.get(f"http://127.0.0.1:{web_port}/", timeout=10)
        assert page.status_code == 200 and '<div id="root">' in page.text
        config = requests.get(f"http://127.0.0.1:{web_port}/config.json", timeout=10)
        assert config.headers["cache-control"] == "no-store"
        assert config.json()["graphqlUrl"] == f"https://localhost:{tls_port}/graphql"
        assert len(config.json()["demoLogins"]) == 4
        assert (
            requests.get(f"http://127.0.0.1:{web_port}/nothing.js", timeout=10).status_code == 404
        )

        process.send_signal(signal.SIGINT)
        assert process.wait(STOP_SECONDS) == 0
        time.sleep(0.1)  # the reader thread drains the last lines
        assert "Stopped." in "".join(rest)
    finally:
        if process.poll() is None:
            process.kill()
