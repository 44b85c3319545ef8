"""The Slate stack itself (`__main__.py` with `Pulumi.<stack>.yaml`) under the engine."""

import json
import shutil

import pytest
import yaml

from local.pulumi import engine, predicted
from local.pulumi.project import ProjectError
from support import REPO

TOP_LEVEL = {
    "slate:index:BookingTable",
    "slate:index:AuthPool",
    "slate:index:BookingSaga",
    "slate:index:BookingQueue",
    "slate:index:BookingApi",
    "slate:index:RealtimeFanout",
    "slate:index:Monitoring",
}


STREAM_ACTIONS = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}


def _stack_copy(tmp_path, stack: str, config: dict) -> engine.Deployment:
    """The same program and Pulumi.yaml with another stack file, in a directory of its own."""
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(REPO / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return engine.run(tmp_path, stack, predicted.PredictedBackend)


def test_no_role_in_the_stack_grants_every_action_and_table_access_is_scoped(dev):
    table_arn = dev.one("aws:dynamodb/table:Table").outputs["arn"]
    for policy in dev.of_type("aws:iam/rolePolicy:RolePolicy"):
        document = json.loads(policy.inputs["policy"])
        for statement in document["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            assert all(a != "*" and not a.endswith(":*") for a in actions), policy.name
            dynamodb = [a for a in actions if a.startswith("dynamodb:")]
            if dynamodb and not all(a in STREAM_ACTIONS for a in dynamodb):
                # the table (and, for queries, its indexes), by key prefix
                assert statement["Resource"] in (
                    table_arn,
                    f"{table_arn}/index/*",
                    [table_arn, f"{table_arn}/index/*"],
                )
                leading = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                assert leading and all(key.endswith("#*") or "#" not in key for key in leading)
            if statement["Resource"] == "*":
                assert all(
                    a.split(":")[0] in {"logs", "xray"} or a == "dynamodb:ListStreams"
                    for a in actions
                ), actions


def test_every_resource_is_parented_to_a_component_and_named_after_it(dev):
    components = {r.urn: r for r in dev.resources if not r.custom}
    assert {r.type for r in components.values() if r.parent is None} == TOP_LEVEL
    for resource in dev.resources:
        if resource.parent is not None or resource.custom:
            assert resource.parent in components, resource.name
            assert resource.name.startswith(dev.by_urn(resource.parent).name + "-")


def test_stack_outputs_are_resolved_from_the_components(dev):
    table = dev.one("slate:index:BookingTable").outputs
    auth = dev.one("slate:index:AuthPool").outputs
    saga = dev.one("slate:index:BookingSaga").outputs
    queue = dev.one("slate:index:BookingQueue").outputs
    api = dev.one("slate:index:BookingApi").outputs
    realtime = dev.one("slate:index:RealtimeFanout").outputs
    monitoring = dev.one("slate:index:Monitoring").outputs
    assert dev.outputs == {
        "region": "us-east-1",
        "tableName": table["table_name"],
        "tableArn": table["table_arn"],
        "tableStreamArn": table["stream_arn"],
        "tableIndexNames": table["index_names"],
        "userPoolId": auth["user_pool_id"],
        "userPoolArn": auth["user_pool_arn"],
        "userPoolClientId": auth["client_id"],
        "issuerUrl": auth["issuer_url"],
        "groups": ["admins", "owners"],
        "bookingStateMachineArn": saga["state_machine_arn"],
        "paymentFunctionName": saga["payment_function_name"],
        "cancelStateMachineArn": saga["cancel_state_machine_arn"],
        "requestStateMachineArn": queue["request_state_machine_arn"],
        "bookingQueueUrl": queue["queue_url"],
        "bookingDeadLetterQueueUrl": queue["dead_letter_queue_url"],
        "bookingDeadLetterQueueArn": queue["dead_letter_queue_arn"],
        "bookingWorkerFunctionName": queue["worker_function_name"],
        "apiId": api["api_id"],
        "graphqlUrl": api["graphql_url"],
        "realtimeUrl": api["realtime_url"],
        "apiKey": None,  # the dev stack has no public reads
        "fanoutFunctionName": realtime["fanout_function_name"],
        "sweeperFunctionName": realtime["sweeper_function_name"],
        "deadLetterQueueUrl": realtime["dead_letter_queue_url"],
        "alarmTopicArn": monitoring["alarm_topic_arn"],
        "dashboardName": monitoring["dashboard_name"],
    }
    assert all(value for key, value in dev.outputs.items() if key != "apiKey")


def test_dev_stack_file_sets_every_key_declared_in_the_project():
    declared = {
        f"slate:{key}" for key in yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    }
    dev_config = set(yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"])
    assert declared | {"aws:region"} == dev_config


def test_dev_values(dev):
    table = dev.one("aws:dynamodb/table:Table").inputs
    pool = dev.one("aws:cognito/userPool:UserPool").inputs
    assert table["deletionProtectionEnabled"] is False
    assert table["serverSideEncryption"] == {"enabled": False}
    assert table["tags"] == {"app": "slate", "stack": "dev"}
    assert pool["deletionProtection"] == "INACTIVE"


def test_a_production_stack_turns_on_protection_and_its_key(tmp_path):
    key = "arn:aws:kms:eu-central-1:123456789012:key/abcd-1234"
    deployment = _stack_copy(
        tmp_path,
        "prod",
        {
            "aws:region": "eu-central-1",
            "slate:deletionProtection": True,
            "slate:tableKmsKeyArn": key,
            "slate:mfa": "OPTIONAL",
        },
    )
    table = deployment.one("aws:dynamodb/table:Table").inputs
    pool = deployment.one("aws:cognito/userPool:UserPool").inputs
    assert table["deletionProtectionEnabled"] is True
    assert table["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key}
    assert table["tags"] == {"app": "slate", "stack": "prod"}
    assert pool["deletionProtection"] == "ACTIVE"
    assert pool["mfaConfiguration"] == "OPTIONAL"
    assert pool["passwordPolicy"]["minimumLength"] == 12  # the project default
    assert deployment.outputs["region"] == "eu-central-1"


def test_stack_values_of_the_wrong_type_are_refused_before_the_program_runs(tmp_path):
    with pytest.raises(ProjectError, match="slate:deletionProtection must be of type boolean"):
        _stack_copy(tmp_path, "bad", {"slate:deletionProtection": "sometimes"})


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"slate:passwordMinimumLength": 4}, "'password_minimum_length' must be a whole number"),
        ({"slate:mfa": "ALWAYS"}, "AuthPool: argument 'mfa' must be one of"),
    ],
)
def test_bad_stack_config_fails_clearly(tmp_path, config, message):
    with pytest.raises(engine.EngineError, match=message):
        _stack_copy(tmp_path, "bad", {"aws:region": "us-east-1", **config})
