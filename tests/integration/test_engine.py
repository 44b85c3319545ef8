"""The in-process engine: what it records, what it answers, and how it fails."""

import pytest

from local.pulumi import engine, predicted

PROGRAM = """
import pulumi
import pulumi_aws as aws

class Pair(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("probe:index:Pair", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.first = aws.sqs.Queue(f"{name}-first", visibility_timeout_seconds=30, opts=child)
        self.second = aws.dynamodb.Table(
            f"{name}-second",
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            attributes=[{"name": "pk", "type": "S"}],
            stream_enabled=True,
            stream_view_type="KEYS_ONLY",
            tags={"queue": self.first.id},
            opts=child,
        )
        self.register_outputs({"tableName": self.second.name})

config = pulumi.Config()
pair = Pair("pair")
pulumi.export("greeting", config.require("greeting"))
pulumi.export("size", config.require_int("size"))
pulumi.export("region", aws.get_region_output().region)
pulumi.export("account", aws.get_caller_identity_output().account_id)
pulumi.export("partition", aws.get_partition_output().partition)
pulumi.export("streamArn", pair.second.stream_arn)
pulumi.export("token", pulumi.Output.secret("s3cret"))
"""


@pytest.fixture
def deployment(make_project):
    directory = make_project(PROGRAM, {"greeting": "hello", "size": 3})
    return engine.run(directory, "test", predicted.PredictedBackend)


def test_records_every_resource_with_type_parent_and_custom_flag(deployment):
    summary = {(r.type, r.name, r.custom) for r in deployment.resources}
    assert summary == {
        ("probe:index:Pair", "pair", False),
        ("aws:sqs/queue:Queue", "pair-first", True),
        ("aws:dynamodb/table:Table", "pair-second", True),
    }
    component = deployment.one("probe:index:Pair")
    assert component.parent is None
    assert {r.name for r in deployment.children(component.urn)} == {"pair-first", "pair-second"}


def test_inputs_are_recorded_as_the_engine_receives_them(deployment):
    table = deployment.one("aws:dynamodb/table:Table")
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["streamViewType"] == "KEYS_ONLY"
    assert table.inputs["attributes"] == [{"name": "pk", "type": "S"}]
    queue = deployment.one("aws:sqs/queue:Queue")
    assert queue.inputs == {"visibilityTimeoutSeconds": 30}


def test_dependencies_and_outputs_flow_between_resources(deployment):
    queue = deployment.one("aws:sqs/queue:Queue")
    table = deployment.one("aws:dynamodb/table:Table")
    assert queue.urn in table.dependencies
    assert table.inputs["tags"] == {"queue": queue.id}
    assert table.outputs["name"].startswith("pair-second-")
    assert table.outputs["arn"] == (
        f"arn:aws:dynamodb:eu-west-1:{predicted.ACCOUNT_ID}:table/{table.outputs['name']}"
    )
    component = deployment.one("probe:index:Pair")
    assert component.outputs == {"tableName": table.outputs["name"]}


def test_stack_outputs_config_and_invokes(deployment):
    table = deployment.one("aws:dynamodb/table:Table")
    assert deployment.outputs == {
        "greeting": "hello",
        "size": 3,
        "region": "eu-west-1",
        "account": predicted.ACCOUNT_ID,
        "partition": "aws",
        "streamArn": table.outputs["streamArn"],
        "token": "s3cret",
    }
    assert deployment.secret_outputs == {"token"}


def test_runs_are_repeatable_and_deterministic(make_project):
    directory = make_project(PROGRAM, {"greeting": "hi", "size": 1})
    first = engine.run(directory, "test", predicted.PredictedBackend)
    second = engine.run(directory, "test", predicted.PredictedBackend)
    assert [(r.urn, r.outputs) for r in first.resources] == [
        (r.urn, r.outputs) for r in second.resources
    ]
    assert first.outputs == second.outputs


def test_modules_of_one_project_do_not_leak_into_the_next(make_project):
    program = "import pulumi\nimport helper\npulumi.export('value', helper.VALUE)\n"
    results = []
    for value in ("one", "two"):
        directory = make_project(program)
        (directory / "helper.py").write_text(f"VALUE = {value!r}\n")
        results.append(engine.run(directory, "test", predicted.PredictedBackend).outputs["value"])
    assert results == ["one", "two"]


def test_an_unknown_provider_function_fails_with_its_token(make_project):
    directory = make_project("import pulumi_aws as aws\naws.get_availability_zones()\n")
    with pytest.raises(
        engine.EngineError, match="aws:index/getAvailabilityZones:getAvailabilityZones"
    ):
        engine.run(directory, "test", predicted.PredictedBackend)


def test_a_failing_program_is_reported_with_its_message(make_project):
    directory = make_project("raise ValueError('the answer is not 42')\n")
    with pytest.raises(engine.EngineError, match="the program failed: the answer is not 42"):
        engine.run(directory, "test", predicted.PredictedBackend)


def test_a_failure_inside_an_output_is_reported(make_project):
    program = (
        "import pulumi\npulumi.export('x', pulumi.Output.from_input(1).apply(lambda v: v/0))\n"
    )
    with pytest.raises(engine.EngineError, match="division by zero"):
        engine.run(make_project(program), "test", predicted.PredictedBackend)


def test_a_missing_region_is_named_when_needed(make_project):
    directory = make_project("import pulumi_aws as aws\naws.get_region()\n")
    (directory / "Pulumi.test.yaml").write_text("config: {}\n")
    with pytest.raises(engine.EngineError, match="no AWS region: set aws:region"):
        engine.run(directory, "test", predicted.PredictedBackend)


def test_reading_an_existing_resource_is_refused_clearly(make_project):
    directory = make_project("import pulumi_aws as aws\naws.sqs.Queue.get('q', 'some-queue-url')\n")
    with pytest.raises(engine.EngineError, match="reading an existing resource"):
        engine.run(directory, "test", predicted.PredictedBackend)
