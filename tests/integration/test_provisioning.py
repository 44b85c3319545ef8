"""The local cloud's provisioning backend: the dev stack created in moto (in-process), with moto's
ids and ARNs as the outputs the program sees — and the saga running on what it created."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.useragent import UserAgentString
from moto import mock_aws
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

from domain.entities import Slot
from domain.instants import format_instant
from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.session import local_aws
from local.aws.stepfunctions.sync_executions import start_sync_execution
from local.cloud import LocalCloud
from local.pulumi import engine
from local.pulumi.provisioning import ProvisioningBackend
from support import REPO, new_slot_id

REGION = "us-east-1"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def client(service: str):
    return boto3.client(service, region_name=REGION)


@pytest.fixture(scope="module")
def cloud(provisioned_stack):
    """One provisioned dev stack for the module (tests only read it, or add their own items)."""
    return provisioned_stack.deployment, provisioned_stack.runtime


def test_the_table_is_created_as_declared(cloud):
    deployment, _ = cloud
    name = deployment.outputs["tableName"]
    table = client("dynamodb").describe_table(TableName=name)["Table"]
    assert table["TableArn"] == deployment.outputs["tableArn"]
    assert table["LatestStreamArn"] == deployment.outputs["tableStreamArn"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["gsi1"]
    ttl = client("dynamodb").describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expiresAt")


def test_the_user_pool_client_and_groups_are_moto_s(cloud):
    deployment, _ = cloud
    cognito = client("cognito-idp")
    pool_id = deployment.outputs["userPoolId"]
    assert (
        cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
        == (deployment.outputs["userPoolArn"])
    )
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"]
    assert [c["ClientId"] for c in clients] == [deployment.outputs["userPoolClientId"]]
    described = cognito.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=deployment.outputs["userPoolClientId"]
    )["UserPoolClient"]
    assert described["ReadAttributes"] == ["email", "email_verified"]
    groups = cognito.list_groups(UserPoolId=pool_id)["Groups"]
    assert sorted(g["GroupName"] for g in groups) == ["admins", "owners"]


def test_functions_are_registered_with_the_lambda_runtime(cloud):
    deployment, runtime = cloud
    for output in ("paymentFunctionName", "fanoutFunctionName", "sweeperFunctionName"):
        spec = runtime.spec(deployment.outputs[output])
        assert spec.environment["AWS_REGION"] == REGION
        assert (spec.code_root / spec.handler.split(".")[0]).with_suffix(".py").is_file()


def test_the_dead_letter_queue_keeps_its_settings(cloud):
    deployment, _ = cloud
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=deployment.outputs["deadLetterQueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    assert attributes["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    assert attributes["SqsManagedSseEnabled"] == "true"


def test_the_saga_books_on_what_was_provisioned(cloud):
    deployment, _ = cloud
    arn = deployment.outputs["bookingStateMachineArn"]
    assert client("stepfunctions").describe_state_machine(stateMachineArn=arn)["type"] == "EXPRESS"
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    slot = Slot(
        venue_id="v1",
        slot_id=new_slot_id(starts),
        starts_at=format_instant(starts),
        ends_at=format_instant(starts + timedelta(hours=1)),
        price=4500,
    )
    table = boto3.resource("dynamodb", region_name=REGION).Table(deployment.outputs["tableName"])
    table.put_item(Item=slot.to_item())
    now = datetime.now(UTC)
    result = start_sync_execution(
        arn,
        {
            "userSub": "alice",
            "venueId": "v1",
            "slotId": slot.slot_id,
            "failPayment": False,
            "now": format_instant(now),
            "nowEpoch": int(now.timestamp()),
        },
    )
    assert result["status"] == "SUCCEEDED", result
    assert result["output"]["status"] == "CONFIRMED"


def test_a_type_the_local_cloud_cannot_create_is_named(aws_env, make_project):
    project = make_project('import pulumi_aws as aws\naws.s3.Bucket("files")\n')
    with (
        mock_aws(),
        pytest.raises(engine.EngineError, match="cannot create a aws:s3/bucket:Bucket"),
    ):
        engine.run(project, "test", ProvisioningBackend.factory(client, LambdaRuntime()))


def test_running_again_adopts_what_exists_with_its_ids_and_data(cloud):
    """What a resumed local cloud does: the same program over a saved state keeps every id."""
    first, runtime = cloud
    table = first.outputs["tableName"]
    client("dynamodb").put_item(TableName=table, Item={"pk": {"S": "kept"}, "sk": {"S": "x"}})
    again = engine.run(REPO, "dev", ProvisioningBackend.factory(client, runtime))
    for output in ("tableName", "userPoolId", "userPoolClientId", "bookingStateMachineArn"):
        assert again.outputs[output] == first.outputs[output], output
    assert again.outputs["deadLetterQueueUrl"] == first.outputs["deadLetterQueueUrl"]
    key = {"pk": {"S": "kept"}, "sk": {"S": "x"}}
    assert client("dynamodb").get_item(TableName=table, Key=key)["Item"] == key
    cognito, sfn = client("cognito-idp"), client("stepfunctions")
    pool = cognito.describe_user_pool(UserPoolId=first.outputs["userPoolId"])["UserPool"]
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    assert [p["Name"] for p in pools].count(pool["Name"]) == 1  # adopted, not made twice
    machine = sfn.describe_state_machine(stateMachineArn=first.outputs["bookingStateMachineArn"])
    machines = sfn.list_state_machines()["stateMachines"]
    assert [m["name"] for m in machines].count(machine["name"]) == 1
    client("dynamodb").delete_item(TableName=table, Key=key)


def test_a_saved_table_of_another_shape_is_not_adopted(aws_env, make_project):
    program = (
        "import pulumi_aws as aws\n"
        'aws.dynamodb.Table("t", name="things", hash_key="{key}", billing_mode="PAY_PER_REQUEST",'
        ' attributes=[{{"name": "{key}", "type": "S"}}])\n'
    )
    with mock_aws():
        first = make_project(program.format(key="id"))
        engine.run(first, "test", ProvisioningBackend.factory(client, LambdaRuntime()))
        changed = make_project(program.format(key="code"))
        with pytest.raises(engine.EngineError, match=r"table things: .*start fresh"):
            engine.run(changed, "test", ProvisioningBackend.factory(client, LambdaRuntime()))


def test_the_alarms_dashboard_and_alert_topic_are_moto_s(cloud):
    deployment, _ = cloud
    declared = {a.outputs["name"]: a.inputs for a in deployment.of_type(ALARM)}
    found = {
        a["AlarmName"]: a
        for page in client("cloudwatch").get_paginator("describe_alarms").paginate()
        for a in page["MetricAlarms"]
    }
    assert set(found) == set(declared) and len(found) > 20
    topic = deployment.outputs["alarmTopicArn"]
    rate = next(a for name, a in found.items() if name.startswith("monitoring-failed-booking"))
    assert rate["AlarmActions"] == rate["OKActions"] == [topic]
    assert [m["Id"] for m in rate["Metrics"]] == ["e1", "m1", "m2"]
    assert rate["Metrics"][1]["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "TableName", "Value": deployment.outputs["tableName"]}
    ]
    attributes = client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"] == "alias/aws/sns"
    body = client("cloudwatch").get_dashboard(DashboardName=deployment.outputs["dashboardName"])
    assert "Bookings per minute" in body["DashboardBody"]


def test_the_cloud_makes_one_client_per_service_for_all_its_threads(tmp_path, monkeypatch):
    """Provisioning asks for a client per resource (69 on a start); boto3's default session is
    not safe to make clients from in several threads at once."""
    made = []
    monkeypatch.setattr(boto3, "client", lambda service, **_: made.append(service) or object())
    cloud = LocalCloud(tmp_path, "dev")
    cloud.region = REGION
    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(cloud.client, ["iam", "logs"] * 20))
    assert sorted(made) == ["iam", "logs"]
    assert len({id(c) for c in clients}) == 2 and clients[0] is cloud.client("iam")


def test_the_cloud_s_own_clients_build_no_user_agent_per_call(tmp_path, monkeypatch, aws_env):
    """botocore builds and cleans its User-Agent for every request, twice: a sixth of an
    in-process DynamoDB call's client side, for a header moto does not need."""
    built = []
    build = UserAgentString._build_sdk_metadata
    monkeypatch.setattr(
        UserAgentString, "_build_sdk_metadata", lambda agent: built.append(1) or build(agent)
    )
    cloud = LocalCloud(tmp_path, "dev")
    cloud.region = REGION
    with mock_aws(), local_aws(LambdaRuntime()):
        for own in (cloud.client("dynamodb"), boto_client_for(REGION, "dynamodb")):
            own.list_tables()
        assert built == []
        client("dynamodb").list_tables()  # any other client builds its own, as botocore does
    assert built
