"""`python -m local plan` as a person runs it."""

import json

import pytest

from support import REPO, run_local

SMALL_PROGRAM = """
import pulumi
import pulumi_aws as aws

queue = aws.sqs.Queue("jobs", message_retention_seconds=3600)
pulumi.export("queueArn", queue.arn)
pulumi.export("apiKey", pulumi.Output.secret("hunter2"))
"""


def plan(*args: str, cwd=REPO):
    return run_local("plan", *args, cwd=cwd)


@pytest.fixture(scope="module")
def dev_json():
    result = plan("--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_text_plan_shows_the_tree_and_outputs():
    result = plan()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "slate-dev (pulumi:pulumi:Stack)"
    assert "  bookings (slate:index:BookingTable)" in lines
    assert "    bookings-table (aws:dynamodb/table:Table)" in lines
    assert "  auth (slate:index:AuthPool)" in lines
    assert "    auth-user-pool (aws:cognito/userPool:UserPool)" in lines
    assert "    booking (slate:index:BookingSaga)" not in lines  # a top-level component
    assert "  booking (slate:index:BookingSaga)" in lines
    assert "    booking-payment (slate:index:PythonFunction)" in lines
    assert "      booking-payment-function (aws:lambda/function:Function)" in lines
    assert "126 resources (115 custom)" in result.stdout
    assert any(line.startswith("  tableName") for line in lines)
    assert result.stderr == ""


def test_json_plan_has_exactly_the_documented_shape(dev_json):
    assert set(dev_json) == {"resources", "outputs"}
    for resource in dev_json["resources"]:
        assert set(resource) == {"type", "name", "parent", "custom", "inputs", "outputs"}
    by_name = {r["name"]: r for r in dev_json["resources"]}
    assert by_name["bookings"]["parent"] is None
    assert by_name["bookings"]["custom"] is False
    assert by_name["bookings-table"]["parent"] == "bookings"
    assert by_name["bookings-table"]["inputs"]["streamViewType"] == "NEW_AND_OLD_IMAGES"
    assert by_name["auth-client"]["parent"] == "auth"
    assert dev_json["outputs"]["tableName"] == by_name["bookings-table"]["outputs"]["name"]


def test_plan_of_another_project_with_dash_c(make_project, tmp_path):
    directory = make_project(SMALL_PROGRAM)
    result = plan("-C", str(directory), "--stack", "test", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    [queue] = document["resources"]
    assert (queue["type"], queue["name"], queue["parent"]) == ("aws:sqs/queue:Queue", "jobs", None)
    assert queue["inputs"] == {"messageRetentionSeconds": 3600}
    assert document["outputs"] == {
        "queueArn": "arn:aws:sqs:eu-west-1:123456789012:jobs-01aa8cb",  # computed, as AWS would
        "apiKey": "[secret]",
    }


def test_dash_c_defaults_to_the_current_directory(make_project):
    directory = make_project(SMALL_PROGRAM)
    result = plan("--stack", "test", cwd=directory)
    assert result.returncode == 0, result.stderr
    assert "  jobs (aws:sqs/queue:Queue)" in result.stdout
    assert '  apiKey   : "[secret]"' in result.stdout


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: (d / "Pulumi.test.yaml").unlink(), "no such stack file for stack 'test'"),
        (lambda d: (d / "Pulumi.test.yaml").write_text("config: {a: [1\n"), "not valid YAML"),
        (lambda d: (d / "__main__.py").write_text("raise RuntimeError('kaput')\n"), "kaput"),
        (lambda d: (d / "Pulumi.yaml").write_text("name: x\nruntime: go\n"), "runtime is 'go'"),
    ],
)
def test_errors_are_one_clear_line_and_a_failing_exit(make_project, setup, message):
    directory = make_project(SMALL_PROGRAM)
    setup(directory)
    result = plan("-C", str(directory), "--stack", "test")
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
