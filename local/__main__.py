"""`python -m local`: run a Pulumi Python project without the Pulumi CLI or an AWS account."""

import argparse
import json
import sys
from pathlib import Path

from . import engine, offline, plan
from .project import ProjectError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    plan_parser = commands.add_parser("plan", help="print the resource tree and stack outputs")
    plan_parser.add_argument(
        "-C",
        dest="directory",
        type=Path,
        default=Path.cwd(),
        help="the project directory (default: the current directory)",
    )
    plan_parser.add_argument("--stack", default="dev", help="the stack to plan (default: dev)")
    plan_parser.add_argument("--json", action="store_true", help="print JSON instead of a tree")
    args = parser.parse_args(argv)

    try:
        deployment = engine.run(args.directory, args.stack, offline.OfflineBackend)
    except (ProjectError, engine.EngineError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(plan.as_json(deployment), indent=2, sort_keys=True))
    else:
        print(plan.as_text(deployment))
    return 0


if __name__ == "__main__":
    sys.exit(main())
