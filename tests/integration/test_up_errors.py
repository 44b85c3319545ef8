"""`python -m local up` that cannot start says why in one `error:` line and exits 1, never with a
traceback: a port another program holds (checked before any work), a resolver the local cloud
cannot run, a config value of the wrong type."""

import socket
import subprocess
import sys

import pytest

from local.aws.appsync.gateway.server import HOST
from support import REPO, stack_variant

VTL_PROGRAM = """
import pulumi_aws as aws

api = aws.appsync.GraphQLApi(
    "api", authentication_type="API_KEY", schema="type Query { hello: String }"
)
aws.appsync.ApiKey("key", api_id=api.id)
none = aws.appsync.DataSource("none", api_id=api.id, name="none", type="NONE")
aws.appsync.Resolver(
    "hello",
    api_id=api.id,
    type="Query",
    field="hello",
    data_source=none.name,
    request_template='{"version": "2018-05-29", "payload": {}}',
    response_template="$util.toJson($ctx.result)",
)
"""


def up(directory, *options: str, stack: str = "test") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "local", "up", "-C", str(directory), "--stack", stack, *options],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(directory)},
    )


def assert_one_error_line(result: subprocess.CompletedProcess, *phrases: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for phrase in phrases:
        assert phrase in errors[0], errors[0]
    assert "Ready." not in result.stdout


@pytest.fixture
def held_port():
    """A port another program listens on."""
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize(
    ("option", "setting"), [("--port", "PORT="), ("--moto-port", "--moto-port")]
)
def test_a_port_in_use_is_named_with_how_to_choose_another(
    make_project, held_port, option, setting
):
    directory = make_project("")
    result = up(directory, option, str(held_port))
    assert_one_error_line(result, f"port {held_port}", "in use", setting)
    assert not (directory / ".slate" / "local.json").exists()


def test_a_vtl_resolver_is_named_as_what_the_local_cloud_does_not_run(make_project):
    result = up(make_project(VTL_PROGRAM), "--port", "0")
    assert_one_error_line(result, "hello", "VTL mapping templates do not")


def test_a_config_value_of_the_wrong_type_is_named(tmp_path):
    directory = stack_variant(tmp_path / "slate", "wrong", {"slate:queryDepthLimit": "deep"})
    result = up(directory, "--port", "0", stack="wrong")
    assert_one_error_line(result, "queryDepthLimit")
