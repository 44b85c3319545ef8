"""BookingSaga and PythonFunction under the engine: what they deploy, and what they refuse."""

import base64
import hashlib
import json
from pathlib import Path

import pytest

from components.cancel_definition import cancel_definition
from components.layout import HANDLERS_DIR
from components.saga_definition import definition
from local.pulumi import engine

FUNCTION = "aws:lambda/function:Function"
MACHINE = "aws:sfn/stateMachine:StateMachine"
POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TABLE_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/bookings"
SAGA_MACHINE = "booking-state-machine"
CANCEL_MACHINE = "booking-cancel-state-machine"


def payment(deployment):
    """The saga's payment function (the stack has others)."""
    [function] = [
        f for f in deployment.of_type(FUNCTION) if f.inputs["handler"] == "payment.handler"
    ]
    return function


@pytest.mark.parametrize("name", [SAGA_MACHINE, CANCEL_MACHINE])
def test_the_state_machines_are_express_logged_and_traced(dev, name):
    machine = dev.named(MACHINE, name)
    assert machine.inputs["type"] == "EXPRESS"
    assert machine.inputs["tracingConfiguration"] == {"enabled": True}
    logging = machine.inputs["loggingConfiguration"]
    assert (logging["level"], logging["includeExecutionData"]) == ("ERROR", False)
    [group] = [
        g
        for g in dev.of_type(LOG_GROUP)
        if logging["logDestination"] in (g.outputs["arn"], f"{g.outputs['arn']}:*")
    ]
    assert group.inputs["retentionInDays"] == 14
    assert group.parent == dev.one("slate:index:BookingSaga").urn


def test_the_deployed_definition_is_the_one_built_in_python(dev):
    table = dev.one("aws:dynamodb/table:Table").outputs["name"]
    function = payment(dev).outputs["arn"]
    deployed = json.loads(dev.named(MACHINE, SAGA_MACHINE).inputs["definition"])
    assert deployed == definition(table, function, 900)


def test_the_cancellation_deployed_is_the_one_built_in_python_and_may_do_only_its_work(dev):
    table = dev.one("aws:dynamodb/table:Table")
    function_arn = payment(dev).outputs["arn"]
    deployed = json.loads(dev.named(MACHINE, CANCEL_MACHINE).inputs["definition"])
    assert deployed == cancel_definition(table.outputs["name"], function_arn)
    assert dev.outputs["cancelStateMachineArn"] == dev.named(MACHINE, CANCEL_MACHINE).outputs["arn"]
    [policy] = [p for p in dev.of_type(POLICY) if p.name == "booking-cancel-policy"]
    statements = json.loads(policy.inputs["policy"])["Statement"]
    [items] = [s for s in statements if "Condition" in s]
    [invoke] = [s for s in statements if s["Action"] == ["lambda:InvokeFunction"]]
    assert items["Action"] == ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    assert items["Resource"] == table.outputs["arn"]
    leading = items["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert leading == ["VENUE#*", "BOOKING#*"]
    assert invoke["Resource"] == [function_arn, f"{function_arn}:*"]


def test_the_state_machine_may_invoke_only_the_payment_function(dev):
    function_arn = payment(dev).outputs["arn"]
    [policy] = [p for p in dev.of_type(POLICY) if p.name == "booking-policy"]
    statements = json.loads(policy.inputs["policy"])["Statement"]
    [invoke] = [s for s in statements if s["Action"] == ["lambda:InvokeFunction"]]
    assert invoke["Resource"] == [function_arn, f"{function_arn}:*"]


def test_the_payment_function_is_packaged_and_run_as_every_function(dev):
    function = payment(dev).inputs
    assert (function["runtime"], function["architectures"]) == ("python3.13", ["arm64"])
    assert function["handler"] == "payment.handler"
    assert function["tracingConfig"] == {"mode": "Active"}
    assert function["loggingConfig"]["logFormat"] == "JSON"
    assert function["layers"] == [
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:27"
    ]
    variables = function["environment"]["variables"]
    assert variables["TABLE_NAME"] == dev.one("aws:dynamodb/table:Table").outputs["name"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "booking-payment"
    [group] = [
        g
        for g in dev.of_type(LOG_GROUP)
        if g.outputs["name"] == function["loggingConfig"]["logGroup"]
    ]
    assert group.inputs["retentionInDays"] == 14
    assert len(function["sourceCodeHash"]) == 44


def test_the_code_hash_is_a_function_of_the_packaged_files_alone(dev):
    """So it is stable while the files are, whatever the machine or the run."""
    inputs = payment(dev).inputs
    digest = hashlib.sha256()
    for name in sorted(inputs["code"].assets):
        content = Path(inputs["code"].assets[name].path).read_bytes()
        digest.update(name.encode() + b"\0" + content + b"\0")
    assert inputs["sourceCodeHash"] == base64.b64encode(digest.digest()).decode()


def test_the_archive_holds_only_handler_files_and_each_exists(dev):
    archive = payment(dev).inputs["code"]
    names = set(archive.assets)
    assert {"payment.py", "payment_provider.py", "domain/model.json", "domain/keys.py"} <= names
    for name, asset in archive.assets.items():
        path = Path(asset.path)
        assert path.is_file() and path == HANDLERS_DIR / name
        assert "__pycache__" not in name and not name.startswith("tests/")
        assert path.suffix in {".py", ".json"}
        if path.suffix == ".py":
            source = path.read_text()
            assert "import pulumi" not in source and "from local" not in source, name


def _saga(run_component, **args):
    return run_component("BookingSaga", {"table": {"name": "bookings", "arn": TABLE_ARN}, **args})


def test_options(run_component):
    deployment = _saga(
        run_component, hold_ttl_seconds=300, log_retention_days=30, powertools_layer_version=20
    )
    machine = json.loads(deployment.named(MACHINE, "subject-state-machine").inputs["definition"])
    assert "States.MathAdd($.nowEpoch, 300)" in json.dumps(machine)
    assert {g.inputs["retentionInDays"] for g in deployment.of_type(LOG_GROUP)} == {30}
    assert payment(deployment).inputs["layers"][0].endswith(":20")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"hold_ttl_seconds": 30}, "'hold_ttl_seconds' must be a whole number from 60 to 3600"),
        ({"log_retention_days": 13}, "'log_retention_days' must be one of"),
        (
            {"powertools_layer_version": 0},
            "BookingSaga: argument 'powertools_layer_version' must be a whole number",
        ),
        ({"holdTtl": 60}, "'holdTtl' is not an argument of BookingSaga"),
    ],
)
def test_invalid_args_are_rejected_naming_the_argument(run_component, args, message):
    with pytest.raises(engine.EngineError, match=message):
        _saga(run_component, **args)


def test_the_table_is_required(run_component):
    with pytest.raises(engine.EngineError, match="BookingSaga: argument 'table' is required"):
        run_component("BookingSaga", {})


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"name": "bookings"}, "'table' needs its 'arn'"),
        (
            {"name": "bookings", "arn": TABLE_ARN, "id": "x"},
            "'table' has unknown fields \\['id'\\]",
        ),
        ("bookings", "'table' must be a BookingTable's reference"),
    ],
)
def test_a_malformed_table_reference_is_refused_by_the_component_called(
    run_component, table, message
):
    with pytest.raises(engine.EngineError, match=f"BookingSaga: argument {message}"):
        run_component("BookingSaga", {"table": table})


def test_the_old_name_and_arn_pair_points_to_the_table_argument(run_component):
    with pytest.raises(engine.EngineError, match="'table_name' is not an argument of BookingSaga"):
        run_component("BookingSaga", {"table_name": "bookings", "table_arn": TABLE_ARN})
