"""BookingApi under the engine: the API's auth, logging, data sources, roles and resolvers as
deployed, and the arguments it refuses."""

import json
import re

import pytest
from graphql import parse

from components.booking_api import LIMITS, TABLE_ACTIONS, resolver_constants
from components.layout import model
from components.resolver_code import (
    API_DIR,
    SCHEMA_FILE,
    BundleError,
    bundle,
    function_file,
    manifest,
    resolver_file,
)
from local.pulumi import engine, predicted
from support import stack_variant

API = "aws:appsync/graphQLApi:GraphQLApi"
RESOLVER = "aws:appsync/resolver:Resolver"
FUNCTION = "aws:appsync/function:Function"
DATA_SOURCE = "aws:appsync/dataSource:DataSource"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"
COMPONENT = "slate:index:BookingApi"
REQUIRED = {
    "table": {
        "name": "bookings",
        "arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/bookings",
    },
    "state_machine_arn": "arn:aws:states:eu-west-1:123456789012:stateMachine:booking",
    "user_pool_id": "eu-west-1_abcdefghi",
}


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    project = stack_variant(
        tmp_path_factory.mktemp("public"),
        "public",
        {"slate:publicReads": True, "slate:apiKeyExpires": "2027-06-30T00:00:00Z"},
    )
    return engine.run(project, "public", predicted.PredictedBackend)


def policy_of(deployment, role_name: str) -> dict:
    [policy] = [
        p for p in deployment.of_type(POLICY) if p.name == role_name.replace("-role", "-policy")
    ]
    return json.loads(policy.inputs["policy"])


def test_cognito_by_default_iam_for_the_system_and_no_api_key_unless_asked(dev):
    api = dev.one(API).inputs
    assert api["authenticationType"] == "AMAZON_COGNITO_USER_POOLS"
    assert api["userPoolConfig"]["userPoolId"] == dev.outputs["userPoolId"]
    assert api["userPoolConfig"]["defaultAction"] == "ALLOW"
    assert api["additionalAuthenticationProviders"] == [{"authenticationType": "AWS_IAM"}]
    assert "@aws_api_key" not in api["schema"]
    assert not dev.of_type("aws:appsync/apiKey:ApiKey")
    assert dev.outputs["apiKey"] is None
    assert (api["queryDepthLimit"], api["resolverCountLimit"]) == (10, 100)


def test_public_reads_add_an_api_key_and_keep_its_directives(public):
    api = public.one(API).inputs
    modes = [p["authenticationType"] for p in api["additionalAuthenticationProviders"]]
    assert modes == ["AWS_IAM", "API_KEY"]
    assert api["schema"] == SCHEMA_FILE.read_text()
    key = public.one("aws:appsync/apiKey:ApiKey")
    assert key.inputs["expires"] == "2027-06-30T00:00:00Z"
    assert "apiKey" in public.secret_outputs and public.outputs["apiKey"].startswith("da2-")


def test_logging_at_error_without_verbose_content_and_traced(dev):
    api = dev.one(API)
    log_config = api.inputs["logConfig"]
    assert (log_config["fieldLogLevel"], log_config["excludeVerboseContent"]) == ("ERROR", True)
    assert api.inputs["xrayEnabled"] is True
    [group] = [
        g for g in dev.of_type("aws:cloudwatch/logGroup:LogGroup") if "appsync" in g.inputs["name"]
    ]
    assert group.inputs["name"] == f"/aws/appsync/apis/{api.id}"
    assert group.inputs["retentionInDays"] == 14
    [role] = [
        r for r in dev.of_type(ROLE) if r.outputs["arn"] == log_config["cloudwatchLogsRoleArn"]
    ]
    [statement] = policy_of(dev, role.name)["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == group.outputs["arn"] + ":*"


def test_every_query_and_mutation_field_has_a_resolver(dev):
    schema = parse(dev.one(API).inputs["schema"])
    fields = {
        f"{definition.name.value}.{field.name.value}"
        for definition in schema.definitions
        if getattr(definition, "name", None) and definition.name.value in ("Query", "Mutation")
        for field in definition.fields
    }
    resolved = {f"{r.inputs['type']}.{r.inputs['field']}" for r in dev.of_type(RESOLVER)}
    assert fields <= resolved
    assert resolved == set(manifest()["resolvers"])


def test_resolver_code_is_the_handler_files_bundled(dev):
    constants = resolver_constants(
        dev.outputs["tableName"],
        dev.outputs["bookingStateMachineArn"],
        request_state_machine_arn=dev.outputs["requestStateMachineArn"],
        cancel_state_machine_arn=dev.outputs["cancelStateMachineArn"],
    )
    for resolver in dev.of_type(RESOLVER):
        name = f"{resolver.inputs['type']}.{resolver.inputs['field']}"
        assert resolver.inputs["runtime"] == {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}
        assert resolver.inputs["code"] == bundle(resolver_file(name), constants)
        assert "request(ctx)" in resolver.inputs["code"] or "request()" in resolver.inputs["code"]
    functions = {f.outputs["functionId"]: f for f in dev.of_type(FUNCTION)}
    for function in functions.values():
        assert function.inputs["code"] == bundle(function_file(function.inputs["name"]), constants)
    for resolver in dev.of_type(RESOLVER):
        spec = manifest()["resolvers"][f"{resolver.inputs['type']}.{resolver.inputs['field']}"]
        if "pipeline" in spec:
            assert resolver.inputs["kind"] == "PIPELINE"
            ids = resolver.inputs["pipelineConfig"]["functions"]
            assert [functions[i].inputs["name"] for i in ids] == spec["pipeline"]
        else:
            assert (resolver.inputs["kind"], resolver.inputs["dataSource"]) == (
                "UNIT",
                spec["dataSource"],
            )


def test_the_bundle_carries_the_shared_model_and_resources(dev):
    code = dev.of_type(RESOLVER)[0].inputs["code"]
    constants = json.loads(re.search(r"^const SLATE = (.*);$", code, re.M).group(1))
    assert constants["table"]["name"] == dev.outputs["tableName"]
    assert constants["stateMachineArn"] == dev.outputs["bookingStateMachineArn"]
    assert constants["keyPrefixes"] == model()["keyPrefixes"]
    assert constants["limits"] == {**LIMITS, "publishHorizonDays": 365}
    assert code.startswith("import { ")  # one import statement, of AppSync's own module


def test_schema_groups_are_the_pools_groups():
    groups = set(
        re.findall(
            r'"(\w+)"',
            " ".join(re.findall(r"cognito_groups: \[([^\]]*)\]", SCHEMA_FILE.read_text())),
        )
    )
    assert groups and groups <= set(model()["groups"].values())


def test_data_sources_and_their_least_privilege_roles(dev):
    sources = {s.inputs["name"]: s for s in dev.of_type(DATA_SOURCE)}
    assert set(sources) == {"table", "saga", "requests", "cancel", "none"}
    table = sources["table"]
    assert table.inputs["dynamodbConfig"]["tableName"] == dev.outputs["tableName"]
    [role] = [r for r in dev.of_type(ROLE) if r.outputs["arn"] == table.inputs["serviceRoleArn"]]
    [statement] = policy_of(dev, role.name)["Statement"]
    assert statement["Action"] == TABLE_ACTIONS
    assert statement["Resource"] == [dev.outputs["tableArn"], dev.outputs["tableArn"] + "/index/*"]
    leading = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert leading == ["VENUE", "VENUE#*", "BOOKING#*", "USER#*"]
    workflows = {
        "saga": "bookingStateMachineArn",
        "requests": "requestStateMachineArn",
        "cancel": "cancelStateMachineArn",
    }
    for source, machine in workflows.items():
        http = sources[source].inputs["httpConfig"]
        assert http["endpoint"] == "https://sync-states.us-east-1.amazonaws.com"
        assert http["authorizationConfig"] == {
            "authorizationType": "AWS_IAM",
            "awsIamConfig": {"signingRegion": "us-east-1", "signingServiceName": "states"},
        }
        role_arn = sources[source].inputs["serviceRoleArn"]
        [role] = [r for r in dev.of_type(ROLE) if r.outputs["arn"] == role_arn]
        assert policy_of(dev, role.name)["Statement"] == [
            {
                "Effect": "Allow",
                "Action": ["states:StartSyncExecution"],
                "Resource": dev.outputs[machine],
            }
        ]
    assert (
        sources["none"].inputs["type"] == "NONE" and "serviceRoleArn" not in sources["none"].inputs
    )


def test_every_resource_is_a_child_of_the_component(dev):
    component = dev.one(COMPONENT)
    children = dev.children(component.urn)
    types = {c.type for c in children}
    assert {API, RESOLVER, FUNCTION, DATA_SOURCE, ROLE, POLICY} <= types
    assert len([c for c in children if c.type == RESOLVER]) == len(manifest()["resolvers"])


def test_options(run_component):
    deployment = run_component(
        "BookingApi",
        {
            **REQUIRED,
            "field_log_level": "ALL",
            "log_retention_days": 30,
            "tags": {"team": "x"},
            "query_depth_limit": 0,
            "resolver_count_limit": 10_000,
            "publish_horizon_days": 30,
        },
    )
    code = deployment.of_type(RESOLVER)[0].inputs["code"]
    constants = json.loads(re.search(r"^const SLATE = (.*);$", code, re.M).group(1))
    assert constants["limits"]["publishHorizonDays"] == 30
    api = deployment.one(API).inputs
    assert (api["queryDepthLimit"], api["resolverCountLimit"]) == (0, 10_000)
    assert api["logConfig"]["fieldLogLevel"] == "ALL"
    assert api["tags"] == {"team": "x"}
    assert api["userPoolConfig"]["awsRegion"] == "eu-west-1"
    group = next(g for g in deployment.of_type("aws:cloudwatch/logGroup:LogGroup"))
    assert group.inputs["retentionInDays"] == 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"field_log_level": "VERBOSE"}, "argument 'field_log_level'"),
        ({"public_reads": "yes"}, "argument 'public_reads' must be true or false"),
        ({"public_reads": True, "api_key_expires": "next week"}, "argument 'api_key_expires'"),
        ({"log_retention_days": 13}, "argument 'log_retention_days'"),
        ({"query_depth_limit": 76}, "argument 'query_depth_limit' must be a whole number"),
        ({"resolver_count_limit": -1}, "argument 'resolver_count_limit' must be a whole number"),
        ({"publish_horizon_days": 0}, "argument 'publish_horizon_days' must be a whole number"),
        ({"api_key_expires": "2027-06-30T00:00:00Z"}, "'api_key_expires' needs public_reads"),
        ({"tabel_name": "x"}, "'tabel_name' is not an argument of BookingApi"),
    ],
)
def test_invalid_args_are_rejected_naming_the_argument(run_component, args, message):
    with pytest.raises(engine.EngineError, match=message):
        run_component("BookingApi", {**REQUIRED, **args})


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_required_args(run_component, missing):
    args = {k: v for k, v in REQUIRED.items() if k != missing}
    with pytest.raises(engine.EngineError, match=f"argument '{missing}' is required"):
        run_component("BookingApi", args)


def test_the_bundler_refuses_imports_it_cannot_place(tmp_path):
    strange = tmp_path / "strange.js"
    strange.write_text("import { get } from 'lodash';\nexport function request() {}\n")
    with pytest.raises(BundleError, match="unsupported import"):
        bundle(strange, {})
    unknown = tmp_path / "unknown.js"
    unknown.write_text("import { noSuchHelper } from '../lib.js';\n")
    with pytest.raises(BundleError, match="noSuchHelper"):
        bundle(unknown, {})
    assert (API_DIR / "lib.js").is_file()


def test_settings_may_come_from_other_resources(run_component):
    """An Input argument may be an Output: the horizon reaches the resolvers once resolved."""
    deployment = run_component(
        "BookingApi",
        {**REQUIRED, "publish_horizon_days": 30, "query_depth_limit": 7},
        as_outputs=("publish_horizon_days", "query_depth_limit", "table"),
    )
    codes = [r.inputs["code"] for r in deployment.of_type(RESOLVER)]
    assert codes and all('"publishHorizonDays": 30' in code for code in codes)
    assert deployment.one(API).inputs["queryDepthLimit"] == 7
