"""`python -m local policy`: the pack over the dev stack, over a broken project, with config."""

import json

from pulumi_policy import EnforcementLevel

from local.pulumi.policy import evaluate, load_pack
from support import REPO, run_local

BROKEN_PROGRAM = """
import pulumi_aws as aws

aws.dynamodb.Table(
    "orders",
    billing_mode="PAY_PER_REQUEST",
    hash_key="id",
    attributes=[{"name": "id", "type": "S"}],
)
aws.cloudwatch.LogGroup("audit")
"""


def policy(*args: str, cwd=REPO):
    return run_local("policy", *args, cwd=cwd)


def test_the_dev_stack_passes_every_mandatory_rule(dev):
    report = evaluate(dev, load_pack(REPO / "policies"), {})
    assert not report.failed, report.as_text()
    assert {v.policy for v in report.violations} == {"cognito-threat-protection"}
    assert {v.level for v in report.violations} == {EnforcementLevel.ADVISORY}


def test_the_cli_passes_the_dev_stack():
    result = policy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "0 mandatory, 1 advisory violations; 0 remediations"


def test_a_broken_project_fails_naming_rule_resource_and_reason(make_project):
    project = make_project(BROKEN_PROGRAM)
    result = policy("-C", str(project), "--stack", "test")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert (
        "mandatory dynamodb-point-in-time-recovery: orders (aws:dynamodb/table:Table): "
        "point-in-time recovery is off: set pointInTimeRecovery.enabled"
    ) in lines
    assert any(line.startswith("mandatory logs-retention: audit ") for line in lines)
    assert lines[-1] == "2 mandatory, 0 advisory violations; 0 remediations"


def test_config_from_a_file_lowers_levels_and_remediates(make_project, tmp_path):
    project = make_project(BROKEN_PROGRAM)
    config = tmp_path / "policy-config.json"
    config.write_text(
        json.dumps(
            {
                "dynamodb-point-in-time-recovery": "advisory",
                "logs-retention": {"enforcementLevel": "remediate", "defaultDays": 30},
            }
        )
    )
    result = policy("-C", str(project), "--stack", "test", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "remediated logs-retention: audit (aws:cloudwatch/logGroup:LogGroup): "
        "retentionInDays: None → 30"
    ) in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1] == "0 mandatory, 1 advisory violations; 1 remediations"


def test_a_bad_config_or_pack_is_one_error_line(make_project, tmp_path):
    project = make_project(BROKEN_PROGRAM)
    missing = policy("-C", str(project), "--stack", "test", "--config", str(tmp_path / "nope"))
    assert missing.returncode == 1 and missing.stderr.startswith("error: cannot read the policy")
    elsewhere = policy("-C", str(project), "--stack", "test", "--pack", str(tmp_path))
    assert elsewhere.returncode == 1 and "is not a policy pack" in elsewhere.stderr
