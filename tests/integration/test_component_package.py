"""The component package: the schema other languages see, and construction through the provider."""

import json
import subprocess
import sys

import grpc
import pytest
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components import COMPONENTS, PACKAGE_NAME, PACKAGE_VERSION
from local.pulumi import engine, predicted
from support import REPO

EXPECTED = {
    "BookingTable": {
        "inputs": {
            "deletionProtection": "boolean",
            "pointInTimeRecovery": "boolean",
            "kmsKeyArn": "string",
            "tags": "object",
        },
        "outputs": {
            "tableName": "string",
            "tableArn": "string",
            "streamArn": "string",
            "indexNames": "array",
            "ttlAttribute": "string",
        },
    },
    "BookingSaga": {
        "inputs": {
            "table": "#/types/slate:index:TableReference",
            "holdTtlSeconds": "integer",
            "logRetentionDays": "integer",
            "powertoolsLayerVersion": "integer",
            "tags": "object",
        },
        "required": ["table"],
        "outputs": {
            "stateMachineArn": "string",
            "stateMachineName": "string",
            "paymentFunctionArn": "string",
            "paymentFunctionName": "string",
            "cancelStateMachineArn": "string",
        },
    },
    "AuthPool": {
        "inputs": {
            "deletionProtection": "boolean",
            "passwordMinimumLength": "integer",
            "mfa": "string",
            "accessTokenMinutes": "integer",
            "refreshTokenDays": "integer",
            "tags": "object",
        },
        "outputs": {
            "userPoolId": "string",
            "userPoolArn": "string",
            "clientId": "string",
            "issuerUrl": "string",
            "adminsGroup": "string",
            "ownersGroup": "string",
        },
    },
    "BookingQueue": {
        "inputs": {
            "table": "#/types/slate:index:TableReference",
            "stateMachineArn": "string",
            "maxReceiveCount": "integer",
            "workerTimeoutSeconds": "integer",
            "batchSize": "integer",
            "batchingWindowSeconds": "integer",
            "lockSeconds": "integer",
            "logRetentionDays": "integer",
            "powertoolsLayerVersion": "integer",
            "tags": "object",
        },
        "required": ["stateMachineArn", "table"],
        "outputs": {
            "requestStateMachineArn": "string",
            "queueUrl": "string",
            "queueArn": "string",
            "deadLetterQueueUrl": "string",
            "deadLetterQueueArn": "string",
            "workerFunctionName": "string",
            "eventSourceMappingId": "string",
        },
    },
    "BookingApi": {
        "inputs": {
            "table": "#/types/slate:index:TableReference",
            "stateMachineArn": "string",
            "requestStateMachineArn": "string",
            "cancelStateMachineArn": "string",
            "userPoolId": "string",
            "publicReads": "boolean",
            "apiKeyExpires": "string",
            "fieldLogLevel": "string",
            "logRetentionDays": "integer",
            "queryDepthLimit": "integer",
            "resolverCountLimit": "integer",
            "publishHorizonDays": "integer",
            "tags": "object",
        },
        "required": ["stateMachineArn", "table", "userPoolId"],
        "outputs": {
            "apiId": "string",
            "apiArn": "string",
            "graphqlUrl": "string",
            "realtimeUrl": "string",
            "apiKey": "string",
            "logGroupName": "string",
            "publishFieldArn": "string",
            "publishBookingFieldArn": "string",
        },
        "optional_outputs": ["apiKey"],
    },
    "RealtimeFanout": {
        "inputs": {
            "table": "#/types/slate:index:TableReference",
            "graphqlUrl": "string",
            "publishFieldArn": "string",
            "publishBookingFieldArn": "string",
            "sweepRateMinutes": "integer",
            "batchSize": "integer",
            "batchingWindowSeconds": "integer",
            "maximumRetryAttempts": "integer",
            "maximumRecordAgeSeconds": "integer",
            "logRetentionDays": "integer",
            "powertoolsLayerVersion": "integer",
            "tags": "object",
        },
        "required": ["graphqlUrl", "publishFieldArn", "table"],
        "outputs": {
            "fanoutFunctionName": "string",
            "sweeperFunctionName": "string",
            "deadLetterQueueUrl": "string",
            "deadLetterQueueArn": "string",
            "eventSourceMappingId": "string",
            "scheduleArn": "string",
        },
    },
    "Monitoring": {
        "inputs": {
            "tableName": "string",
            "functions": "object",
            "stateMachines": "object",
            "workQueues": "object",
            "deadLetterQueues": "object",
            "streamFunctions": "object",
            "apiId": "string",
            "alarmEmail": "string",
            "failedBookingRatePercent": "integer",
            "functionErrorRatePercent": "integer",
            "queueDepthThreshold": "integer",
            "queueAgeSeconds": "integer",
            "iteratorAgeSeconds": "integer",
            "apiLatencyP99Ms": "integer",
            "tags": "object",
        },
        "required": ["functions", "tableName"],
        "outputs": {
            "alarmTopicArn": "string",
            "alarmNames": "array",
            "dashboardName": "string",
        },
    },
}


@pytest.fixture(scope="module")
def schema():
    provider = ComponentProvider(COMPONENTS, PACKAGE_NAME, version=PACKAGE_VERSION)
    return json.loads(provider.schema)


def _assert_typed_and_described(properties: dict, expected: dict[str, str]) -> None:
    assert {name: spec.get("type") or spec["$ref"] for name, spec in properties.items()} == expected
    for name, spec in properties.items():
        assert len(spec.get("description", "")) > 10, f"{name} has no description"


@pytest.mark.parametrize("component", sorted(EXPECTED))
def test_schema_has_every_component_typed_and_described(schema, component):
    resource = schema["resources"][f"slate:index:{component}"]
    assert resource["isComponent"] is True
    assert len(resource["description"]) > 40
    _assert_typed_and_described(resource["inputProperties"], EXPECTED[component]["inputs"])
    _assert_typed_and_described(resource["properties"], EXPECTED[component]["outputs"])
    assert sorted(resource["requiredInputs"]) == EXPECTED[component].get("required", [])
    optional = set(EXPECTED[component].get("optional_outputs", []))
    assert set(resource["required"]) == set(EXPECTED[component]["outputs"]) - optional


def test_the_table_reference_is_one_typed_object(schema):
    reference = schema["types"]["slate:index:TableReference"]
    assert {name: spec["type"] for name, spec in reference["properties"].items()} == {
        "name": "string",
        "arn": "string",
        "streamArn": "string",
    }
    assert sorted(reference["required"]) == ["arn", "name"]
    for component in ("BookingSaga", "BookingQueue", "BookingApi", "RealtimeFanout"):
        table = schema["resources"][f"slate:index:{component}"]["inputProperties"]["table"]
        assert not table.get("plain"), f"{component}'s table is an Input, not a plain value"


def test_schema_names_the_package(schema):
    assert (schema["name"], schema["version"]) == (PACKAGE_NAME, PACKAGE_VERSION)
    assert set(schema["resources"]) == {f"slate:index:{name}" for name in EXPECTED}


def test_booking_table_constructs_through_the_provider(make_project):
    program = """
import pulumi
from pulumi.provider.experimental.component import ComponentProvider
from components import COMPONENTS

provider = ComponentProvider(COMPONENTS, "slate")
result = provider.construct(
    "shared", "slate:index:BookingTable",
    {"deletionProtection": True, "tags": {"team": "payments"}}, None,
)
pulumi.export("state", result.state)
"""
    deployment = engine.run(make_project(program), "test", predicted.PredictedBackend)
    table = deployment.one("aws:dynamodb/table:Table")
    assert table.parent == deployment.one("slate:index:BookingTable").urn
    assert table.inputs["deletionProtectionEnabled"] is True
    assert table.inputs["tags"] == {"team": "payments"}
    state = deployment.outputs["state"]
    assert state["tableName"] == table.outputs["name"]
    assert state["streamArn"] == table.outputs["streamArn"]


def test_a_table_reference_from_another_language_reaches_the_fanout(make_project):
    """Another language passes `table` as an object of camelCase fields, as the schema says."""
    program = """
import pulumi
from pulumi.provider.experimental.component import ComponentProvider
from components import COMPONENTS

provider = ComponentProvider(COMPONENTS, "slate")
provider.construct(
    "live", "slate:index:RealtimeFanout",
    {
        "table": {
            "name": "bookings",
            "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/bookings",
            "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/bookings/stream/1",
        },
        "graphqlUrl": "https://x.appsync-api.us-east-1.amazonaws.com/graphql",
        "publishFieldArn": "arn:aws:appsync:us-east-1:123456789012:apis/a/types/Mutation/fields/p",
    },
    None,
)
"""
    deployment = engine.run(make_project(program), "test", predicted.PredictedBackend)
    mapping = deployment.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["eventSourceArn"].endswith("table/bookings/stream/1")
    fanout = next(
        f for f in deployment.of_type("aws:lambda/function:Function") if "fanout" in f.name
    )
    assert fanout.inputs["environment"]["variables"]["TABLE_NAME"] == "bookings"


def test_monitoring_takes_its_labelled_maps_from_another_language(make_project):
    program = """
from pulumi.provider.experimental.component import ComponentProvider
from components import COMPONENTS

ComponentProvider(COMPONENTS, "slate").construct(
    "ops", "slate:index:Monitoring",
    {
        "tableName": "bookings",
        "functions": {"payment": "pay"},
        "deadLetterQueues": {"dlq": "https://sqs.us-east-1.amazonaws.com/123456789012/dead"},
        "failedBookingRatePercent": 8,
    },
    None,
)
"""
    deployment = engine.run(make_project(program), "test", predicted.PredictedBackend)
    alarms = {
        a.name: a.inputs for a in deployment.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    assert alarms["ops-failed-booking-rate"]["threshold"] == 8
    assert alarms["ops-dlq-messages"]["dimensions"] == {"QueueName": "dead"}
    assert "ops-payment-error-rate" in alarms


def test_plugin_entry_serves_the_schema_over_grpc():
    """What `pulumi package add` does: start the plugin, read its port, ask for the schema."""
    plugin = subprocess.Popen(
        [sys.executable, str(REPO / "components" / "__main__.py"), "127.0.0.1:1"],
        cwd=REPO / "components",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        port = int(plugin.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            response = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30)
        served = json.loads(response.schema)
        assert set(served["resources"]) == {f"slate:index:{name}" for name in EXPECTED}
    finally:
        plugin.terminate()
        plugin.wait(timeout=10)
        plugin.stdout.close()
        plugin.stderr.close()
