"""Where `make smoke` and `make watch` point: an outputs file; a stack named explicitly; else the
local cloud running here; else the dev stack. Stack outputs are what `pulumi stack output
--json` prints (a stand-in `pulumi` on PATH here, since the CLI cannot be installed)."""

import json

import pytest

from stack_target import StackNotFound, find_target
from stack_target_support import OUTPUTS, local_cloud


def test_the_stack_outputs_come_from_the_pulumi_cli(fake_pulumi, tmp_path):
    install, args = fake_pulumi
    install(json.dumps(OUTPUTS))
    target = find_target(None, "prod", tmp_path)
    assert (target.graphql_url, target.region, target.aws_endpoint) == (
        OUTPUTS["graphqlUrl"],
        "eu-west-1",
        None,
    )
    assert args.read_text().split() == [
        "stack",
        "output",
        "--json",
        "--show-secrets",
        "--stack",
        "prod",
    ]


def test_a_failing_cli_is_one_clear_error(fake_pulumi, tmp_path):
    install, _ = fake_pulumi
    install("error: no stack named 'prod' found", status=255)
    with pytest.raises(StackNotFound, match="pulumi stack output failed"):
        find_target(None, "prod", tmp_path)


def test_outputs_missing_what_the_tools_need_are_named(fake_pulumi, tmp_path):
    install, _ = fake_pulumi
    install(json.dumps({"graphqlUrl": "x", "region": "eu-west-1"}))
    with pytest.raises(StackNotFound, match="realtimeUrl, userPoolId, userPoolClientId"):
        find_target(None, "dev", tmp_path)


def test_a_running_local_cloud_comes_before_the_dev_stack(fake_pulumi, tmp_path):
    install, args = fake_pulumi
    install(json.dumps(OUTPUTS))
    with local_cloud(tmp_path, running=True):
        assert find_target(None, None, tmp_path).aws_endpoint == "http://127.0.0.1:5000"
        assert not args.exists()  # the CLI was not asked
        outputs_file = tmp_path / "out.json"
        outputs_file.write_text(json.dumps(OUTPUTS))
        assert find_target(outputs_file, None, tmp_path).aws_endpoint is None  # a file first


def test_a_stack_named_explicitly_comes_before_a_running_local_cloud(fake_pulumi, tmp_path):
    install, args = fake_pulumi
    install(json.dumps(OUTPUTS))
    with local_cloud(tmp_path, running=True):
        assert find_target(None, "prod", tmp_path).aws_endpoint is None
    assert args.read_text().split()[-2:] == ["--stack", "prod"]


def test_a_discovery_file_left_by_a_killed_cloud_is_not_a_running_cloud(fake_pulumi, tmp_path):
    install, args = fake_pulumi
    install(json.dumps(OUTPUTS))
    with local_cloud(tmp_path, running=False):
        assert find_target(None, None, tmp_path).aws_endpoint is None
    assert args.read_text().split()[-2:] == ["--stack", "dev"]
