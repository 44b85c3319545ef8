"""`python -m local`: run a Pulumi Python project without the Pulumi CLI or an AWS account."""

import argparse
import json
import sys
from pathlib import Path

from . import engine, offline, plan, policy
from .project import ProjectError

DEFAULT_PACK = Path("policies")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    plan_parser = commands.add_parser("plan", help="print the resource tree and stack outputs")
    policy_parser = commands.add_parser(
        "policy", help="evaluate a policy pack over the program's resources (exit 1: mandatory)"
    )
    for sub in (plan_parser, policy_parser):
        sub.add_argument(
            "-C",
            dest="directory",
            type=Path,
            default=Path.cwd(),
            help="the project directory (default: the current directory)",
        )
        sub.add_argument("--stack", default="dev", help="the stack (default: dev)")
    plan_parser.add_argument("--json", action="store_true", help="print JSON instead of a tree")
    policy_parser.add_argument(
        "--pack",
        type=Path,
        default=DEFAULT_PACK,
        help="the policy pack directory (default: ./policies)",
    )
    policy_parser.add_argument(
        "--config", type=Path, help="policy config JSON, as --policy-pack-config takes it"
    )
    args = parser.parse_args(argv)

    try:
        deployment = engine.run(args.directory, args.stack, offline.OfflineBackend)
        if args.command == "policy":
            pack = policy.load_pack(args.pack)
            report = policy.evaluate(deployment, pack, policy.read_config(args.config))
    except (ProjectError, engine.EngineError, policy.PolicyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.command == "policy":
        print(report.as_text())
        return 1 if report.failed else 0
    if args.json:
        print(json.dumps(plan.as_json(deployment), indent=2, sort_keys=True))
    else:
        print(plan.as_text(deployment))
    return 0


if __name__ == "__main__":
    sys.exit(main())
