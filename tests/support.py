"""Helpers the tests share: the repository's location, small projects made by a test, clean
processes, and `eventually`, the one way a test waits for something."""

import asyncio
import json
import secrets
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import yaml

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}
"""Fake credentials and a region, so no call can reach a real account."""

COMPONENT_PROGRAM = """
import json
import secrets
import pulumi
import components

config = pulumi.Config()
args = json.loads(config.require("args"))
for key in json.loads(config.get("asOutputs") or "[]"):
    args[key] = pulumi.Output.from_input(args[key])
getattr(components, config.require("component"))("subject", args)
"""


def write_project(
    directory: Path,
    program: str,
    config: dict | None = None,
    *,
    name: str = "probe",
    stack: str = "test",
) -> Path:
    """A minimal Pulumi Python project made by a test: Pulumi.yaml, a stack file, a program."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    stack_config = {"aws:region": "eu-west-1", **(config or {})}
    (directory / f"Pulumi.{stack}.yaml").write_text(json.dumps({"config": stack_config}))
    (directory / "__main__.py").write_text(textwrap.dedent(program))
    return directory


def component_config(component: str, args: dict, as_outputs: tuple[str, ...] = ()) -> dict:
    """Stack config for COMPONENT_PROGRAM; `as_outputs` names args passed as Outputs."""
    return {"component": component, "args": args, "asOutputs": list(as_outputs)}


def stack_variant(directory: Path, stack: str, overrides: dict) -> Path:
    """The Slate project with one more stack: the dev stack's config with `overrides`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py", "components", "handlers", "devtools"):
        (directory / name).symlink_to(REPO / name)
    dev = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())
    config = {**dev["config"], **overrides}
    (directory / f"Pulumi.{stack}.yaml").write_text(json.dumps({"config": config}))
    return directory


CLEAN_ENV = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
"""A person's shell, without this process's environment (credentials, endpoints)."""


def run_python(
    *args: str, cwd: Path = REPO, env: dict | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """`python <args>` as a person runs it, in a clean environment (plus `env`)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**CLEAN_ENV, **(env or {})},
    )


def run_local(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """`python -m local <args>`: what the Makefile's targets run."""
    return run_python("-m", "local", *args, cwd=cwd)


def run_devtool(name: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python devtools/<name>.py <args>`: what `make smoke` and `make watch` run."""
    return run_python(str(REPO / "devtools" / f"{name}.py"), *args, env=env, timeout=180)


def create_plain_table(client, name: str = "t", keys=("pk",), stream: str | None = None) -> dict:
    """A pay-per-request table keyed by string attributes (hash, then range), with a stream of
    the given view type if any; its description."""
    kinds = ("HASH", "RANGE")[: len(keys)]
    return client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": k, "KeyType": kind} for k, kind in zip(keys, kinds, strict=True)
        ],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        **(
            {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": stream}}
            if stream
            else {}
        ),
    )["TableDescription"]


def new_slot_id(starts_at: datetime) -> str:
    """A slot id as `publishSlots` makes one (`writeSlots.js`): its start in UTC, compact
    (`20261201T190000Z`), then 8 hex digits."""
    compact = starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{compact}-{secrets.token_hex(4)}"


def eventually(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """`check()`'s first truthy result, tried every `interval` seconds; an AssertionError naming
    the check if none comes within `timeout` (the tests' one way to wait for something)."""
    for result in _polls(check, timeout):
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("unreachable")


async def eventually_async(
    check: Callable[[], T], timeout: float = 10.0, interval: float = 0.01
) -> T:
    """`eventually` inside a test's event loop: waits without blocking it."""
    for result in _polls(check, timeout):
        if result:
            return result
        await asyncio.sleep(interval)
    raise AssertionError("unreachable")


def _polls(check: Callable[[], T], timeout: float) -> Iterator[T | None]:
    """`check()`'s results until one is truthy; past `timeout`, an AssertionError instead."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            yield result
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"{getattr(check, '__name__', check)} not true after {timeout} s")
        yield None
