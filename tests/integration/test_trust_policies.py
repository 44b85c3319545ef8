"""Every role of the stack that an AWS service assumes is guarded against a confused deputy: the
stack's own account always, and the acting resource's ARN where the service names it."""

import json

from local.pulumi.policy import evaluate, load_pack
from support import REPO

ROLE = "aws:iam/role:Role"
ACCOUNT = "123456789012"  # the local engine's account; region from the dev stack's config


def test_each_service_role_trusts_only_this_account_and_its_resources(dev):
    region = dev.outputs["region"]
    conditions = {}
    for role in (r for r in dev.resources if r.type == ROLE):
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        conditions.setdefault(statement["Principal"]["Service"], []).append(statement["Condition"])
    assert set(conditions) == {
        "states.amazonaws.com",
        "appsync.amazonaws.com",
        "scheduler.amazonaws.com",
        "lambda.amazonaws.com",
    }
    for service, found in conditions.items():
        expected = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
        if service != "lambda.amazonaws.com":  # Lambda names no source resource
            name = service.split(".")[0]
            expected["ArnLike"] = {"aws:SourceArn": f"arn:aws:{name}:{region}:{ACCOUNT}:*"}
        assert found == [expected] * len(found), service


def test_the_policy_pack_finds_no_unguarded_role_in_the_stack(dev):
    report = evaluate(dev, load_pack(REPO / "policies"), {})
    assert "iam-service-trust-confused-deputy" not in {v.policy for v in report.violations}
