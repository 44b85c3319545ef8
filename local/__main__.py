"""`python -m local`: run a Pulumi Python project without the Pulumi CLI or an AWS account."""

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

import boto3

from local import cloud, discovery
from local.aws.sqs import redrive as sqs_redrive
from local.errors import LocalError
from local.pulumi import engine, plan, policy, predicted

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
    up_parser = commands.add_parser(
        "up", help="run the stack locally (moto, the AppSync gateway, event sources) until Ctrl-C"
    )
    up_parser.add_argument("-C", dest="directory", type=Path, default=Path.cwd())
    up_parser.add_argument("--stack", default="dev", help="the stack (default: dev)")
    up_parser.add_argument("--port", type=int, default=4000, help="the gateway's port (4000)")
    up_parser.add_argument("--moto-port", type=int, default=0, help="moto's port (a free one)")
    up_parser.add_argument(
        "--tls-port", type=int, default=0, help="the gateway's HTTPS and WSS port (a free one)"
    )
    up_parser.add_argument("--seed", help="FILE.py:FUNCTION in the project, run once it is up")
    up_parser.add_argument(
        "--ttl-delay", type=float, default=0.0, help="seconds TTL lags behind expiry (0)"
    )
    up_parser.add_argument(
        "--schedule-every", type=float, help="fire every schedule this often (seconds)"
    )
    up_parser.add_argument(
        "--fresh", action="store_true", help="start empty: discard the state kept in .slate/state"
    )
    up_parser.add_argument(
        "--verbose",
        action="store_true",
        help="show the functions' own log lines too (always in .slate/logs/<function>.log)",
    )
    redrive_parser = commands.add_parser(
        "redrive",
        help="move a running local cloud's dead-letter messages back to their source queues",
    )
    redrive_parser.add_argument("-C", dest="directory", type=Path, default=Path.cwd())
    redrive_parser.add_argument(
        "--queue", help="one dead-letter queue, by name or URL (default: every one)"
    )
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except LocalError as error:  # what the user can act on: one line, never a traceback
        print(f"error: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "up":
        return _up(args)
    if args.command == "redrive":
        return _redrive(args)
    deployment = engine.run(args.directory, args.stack, predicted.PredictedBackend)
    if args.command == "policy":
        pack = policy.load_pack(args.pack)
        report = policy.evaluate(deployment, pack, policy.read_config(args.config))
        print(report.as_text())
        return 1 if report.failed else 0
    if args.json:
        print(json.dumps(plan.as_json(deployment), indent=2, sort_keys=True))
    else:
        print(plan.as_text(deployment))
    return 0


def _redrive(args: argparse.Namespace) -> int:
    endpoints = discovery.live_discovery(args.directory)
    if endpoints is None:
        raise sqs_redrive.RedriveError(
            f"no local cloud is running in {args.directory.resolve()}: start it with make dev"
        )
    sqs = boto3.client(
        "sqs",
        region_name=endpoints["region"],
        endpoint_url=endpoints["awsEndpoint"],
        aws_access_key_id=cloud.LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=cloud.LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    moved = sqs_redrive.redrive(sqs, args.queue)
    for move in moved:
        print(f"{move.messages} moved from {move.dead_letter_queue} to {move.source_queue}")
    if not moved:
        print("no dead-letter queue")
    return 0


def _up(args: argparse.Namespace) -> int:
    settings = cloud.Settings(
        port=args.port,
        moto_port=args.moto_port,
        tls_port=args.tls_port,
        seed=args.seed,
        ttl_delay_seconds=args.ttl_delay,
        schedule_seconds=args.schedule_every,
        fresh=args.fresh,
        verbose=args.verbose,
    )
    local = cloud.LocalCloud(args.directory, args.stack, settings)
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    endpoints = local.start()
    print(f"GraphQL    {endpoints['graphqlUrl'] or '(the stack has no API)'}")
    print(f"Realtime   {endpoints['realtimeUrl']}")
    print(f"HTTPS      {endpoints['httpsGraphqlUrl']}  (trust {endpoints['caFile']})")
    print(f"AWS (moto) {endpoints['awsEndpoint']}  region {endpoints['region']}")
    print(f"User pool  {endpoints['userPoolId']}  client {endpoints['userPoolClientId']}")
    for user in endpoints["users"]:
        groups = ", ".join(user["groups"]) or "customer"
        print(f"Sign in    {user['username']} / {user['password']}  ({groups})")
    print(f"Discovery  {args.directory.resolve() / discovery.DISCOVERY}")
    state = args.directory.resolve() / cloud.STATE
    print(f"State      {state} ({'resumed' if local.resumed else 'new'}; FRESH=1 starts empty)")
    logs = args.directory.resolve() / cloud.LOGS
    print(f"Logs       {logs}/<function>.log (VERBOSE=1 shows them here too)")
    print("Ready. Ctrl-C stops everything.", flush=True)
    stopped.wait()
    local.stop()
    print("Stopped.", flush=True)
    # Everything is stopped and cleaned up; the interpreter's own teardown of a loaded cloud
    # (freeing every object, C-level) takes seconds and has nothing left to do.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
