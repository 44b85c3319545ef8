"""`make demo`: the local cloud with the demo seed, and Slate's web app (web/dist) served beside
it, until Ctrl-C.

The app is served over plain HTTP on localhost (a secure context for the browser), with the
local cloud's config.json made from its discovery at each request; its calls go to the
gateway's HTTPS and WSS endpoint, whose certificate authority the browser must trust
(docs/local-cloud.md says how). Slate-specific (the seed, the app), so it lives here and not in
`local/`.
"""

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from stack_target import REPO
from web_config import local_app_config

if str(REPO) not in sys.path:
    sys.path.append(str(REPO))  # run as `python devtools/demo.py`, as the Makefile does
from local import cloud
from local.aws.appsync.gateway.server import listening_socket, serving
from local.errors import LocalError

DIST = REPO / "web" / "dist"
SEED = "devtools/seed.py:seed"
WEB_PORT_SETTING = "WEB_PORT=… (make demo) or --web-port"


def site_app(dist: Path, config: Callable[[], dict[str, Any]]) -> Starlette:
    """The built app at `/`, and `config()` as its config.json (never cached: it names ports)."""

    async def config_json(_: Request) -> JSONResponse:
        return JSONResponse(config(), headers={"Cache-Control": "no-store"})

    return Starlette(
        routes=[
            Route("/config.json", config_json),
            Mount("/", StaticFiles(directory=dist, html=True)),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("-C", dest="directory", type=Path, default=REPO)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--port", type=int, default=4000, help="the gateway's port (4000)")
    parser.add_argument("--tls-port", type=int, default=4443, help="its HTTPS port (4443)")
    parser.add_argument("--web-port", type=int, default=8080, help="the app's port (8080)")
    parser.add_argument("--fresh", action="store_true", help="start empty (FRESH=1)")
    args = parser.parse_args(argv)
    if not (DIST / "index.html").exists():
        print("make demo: web/dist is not built: run `make demo`, which builds it", file=sys.stderr)
        return 1
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    settings = cloud.Settings(port=args.port, tls_port=args.tls_port, seed=SEED, fresh=args.fresh)
    local = cloud.LocalCloud(args.directory, args.stack, settings)
    try:
        web = listening_socket(args.web_port, WEB_PORT_SETTING)  # held while the cloud starts
        endpoints = local.start()
        with serving(site_app(DIST, lambda: local_app_config(local.discovery)), web):
            _introduce(args.web_port, endpoints)
            stopped.wait()
    except LocalError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        local.stop()
    print("Stopped.", flush=True)
    # As `local up` does: everything is stopped; the interpreter's teardown has nothing to do.
    os._exit(0)


def _introduce(web_port: int, endpoints: dict[str, Any]) -> None:
    print(f"Slate demo  http://localhost:{web_port}/  (open it in two browsers)")
    print(f"API         {endpoints['httpsGraphqlUrl']}")
    print(f"Trust       {endpoints['caFile']} in each browser first (docs/local-cloud.md)")
    for user in endpoints["users"]:
        groups = ", ".join(user["groups"]) or "customer"
        print(f"Sign in     {user['username']} / {user['password']}  ({groups})")
    print("Ready. Ctrl-C stops everything.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
