"""`make web-config`: the web app's config.json, from the stack it should talk to.

Where it points, as `make smoke` does: `--outputs FILE` (what `pulumi stack output --json`
prints); the outputs of `--stack STACK`; else the local cloud running here (`.slate/local.json`);
else the dev stack's outputs. The app reads config.json beside its index.html at run time, so one
build serves every stack: the file goes to web/public/ (served by `npm run dev`, copied into
web/dist/ by `npm run build`) unless `--out` says otherwise.

It holds only what a browser may know: the region, the HTTPS GraphQL endpoint, the user pool and
its public app client; for the local cloud also its Cognito endpoint and the seeded demo logins.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from stack_target import REPO, StackNotFound, Target, find_target

DEFAULT_OUT = REPO / "web" / "public" / "config.json"
LOCAL_SOURCE = "the local cloud"


def app_config(target: Target, source: str) -> dict[str, Any]:
    """What web/src/appConfig.js reads (parseAppConfig)."""
    if not target.browser_graphql_url.startswith("https://"):
        raise StackNotFound(
            f"{source} has no HTTPS GraphQL endpoint ({target.browser_graphql_url}):"
            " Amplify needs one to derive its wss:// endpoint"
        )
    config: dict[str, Any] = {
        "source": source,
        "region": target.region,
        "graphqlUrl": target.browser_graphql_url,
        "userPoolId": target.user_pool_id,
        "userPoolClientId": target.client_id,
        "demoLogins": [
            {"username": u["username"], "password": u["password"], "groups": list(u["groups"])}
            for u in target.demo_users
        ],
    }
    if target.aws_endpoint:
        config["userPoolEndpoint"] = target.aws_endpoint
    return config


def local_app_config(discovery: dict[str, Any]) -> dict[str, Any]:
    """The app's config for the local cloud that wrote `discovery`."""
    return app_config(Target.from_discovery(discovery), LOCAL_SOURCE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make web-config", description=__doc__)
    parser.add_argument("--stack", help="a deployed stack (default: the local cloud, else dev)")
    parser.add_argument("--outputs", type=Path, help="a file of `pulumi stack output --json`")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write it")
    parser.add_argument("-C", dest="directory", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    try:
        target = find_target(args.outputs, args.stack, args.directory)
        if args.outputs is not None:
            source = f"the outputs in {args.outputs.name}"
        elif target.aws_endpoint:
            source = LOCAL_SOURCE
        else:
            source = f"stack {args.stack or 'dev'}"
        config = app_config(target, source)
    except StackNotFound as error:
        print(f"make web-config: {error}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(config, indent=2) + "\n")
    print(f"Wrote {args.out} for {source} ({config['graphqlUrl']}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
