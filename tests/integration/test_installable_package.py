"""`pip install <path or git URL>` gives another stack `slate_components`: the wheel is built
from this checkout, installed into a fresh virtualenv with no checkout on its path, and a second
Pulumi program there builds two components through the engine's `plan`."""

import json
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from support import REPO, write_project

PROGRAM = """
import importlib.util

import pulumi
from slate_components import BookingSaga, BookingTable

# Only the installed package is importable here, not the repository's layout.
assert importlib.util.find_spec("components") is None
assert importlib.util.find_spec("handlers") is None

table = BookingTable("shared", {"point_in_time_recovery": False})
saga = BookingSaga("booking", {"table": table.reference, "hold_ttl_seconds": 120})
pulumi.export("stateMachineArn", saga.state_machine_arn)
pulumi.export("tableName", table.table_name)
"""


def _run(
    *args: str | Path, env: dict | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", **(env or {})},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "-w", directory, REPO)  # fmt: skip
    [built] = directory.glob("slate_components-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, wheel) -> Path:
    """A new virtualenv with the wheel installed. Its dependencies (Pulumi, pulumi-aws) are
    reached through a path file to this environment's packages rather than downloaded again;
    that they are the wheel's declared ones is checked on the metadata."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    Path(site.stdout.strip(), "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "--quiet", wheel)  # fmt: skip
    return python


def test_the_wheel_carries_the_components_and_the_handler_files_they_deploy(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "slate_components/__init__.py",
        "slate_components/booking_saga.py",
        "slate_components/handlers/payment.py",
        "slate_components/handlers/domain/model.json",
        "slate_components/handlers/api/schema.graphql",
        "slate_components/handlers/api/resolvers/Mutation.bookSlot.js",
    ):
        assert expected in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert "slate_components/__main__.py" not in names  # the checkout's plugin entry
    assert not [name for name in names if name.startswith(("components/", "handlers/", "local/"))]


def test_its_dependencies_are_the_program_s_exact_pins(wheel):
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("METADATA"))
    )
    declared = set(re.findall(r"^Requires-Dist: (\S+)$", metadata.decode(), re.M))
    pins = {
        line.strip()
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert declared == pins


def test_the_public_components_import_and_the_inner_function_does_not(fresh):
    probe = (
        "import pathlib, slate_components as s\n"
        "from slate_components import AuthPool, BookingApi, BookingSaga, BookingTable, "
        "RealtimeFanout, TableReference\n"
        "from slate_components.layout import HANDLERS_DIR\n"
        "print(pathlib.Path(s.__file__).parent, HANDLERS_DIR, 'PythonFunction' in s.__all__)\n"
    )
    package, handlers, exported = _run(fresh, "-c", probe, cwd=fresh.parent).stdout.split()
    assert Path(package).is_relative_to(fresh.parent.parent)
    assert Path(handlers) == Path(package) / "handlers"
    assert exported == "False"


def test_a_second_program_builds_installed_components_through_plan(fresh, tmp_path):
    engine = tmp_path / "engine"  # the engine alone on the path: `local`, not the checkout
    engine.mkdir()
    (engine / "local").symlink_to(REPO / "local")
    project = write_project(tmp_path / "other-stack", PROGRAM, name="other", stack="dev")
    run = _run(
        fresh, "-m", "local", "plan", "-C", project, "--json",
        env={"PYTHONPATH": engine}, cwd=tmp_path,
    )  # fmt: skip
    plan = json.loads(run.stdout)
    types = {resource["type"] for resource in plan["resources"]}
    assert {"slate:index:BookingTable", "slate:index:BookingSaga"} <= types
    [payment] = [r for r in plan["resources"] if r["inputs"].get("handler") == "payment.handler"]
    assert payment["inputs"]["runtime"] == "python3.13"
    assert plan["outputs"]["stateMachineArn"].startswith("arn:aws:states:eu-west-1:")
    assert plan["outputs"]["tableName"].startswith("shared-table-")
