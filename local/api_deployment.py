"""The AppSync APIs a stack declares, as the resolver engine serves them.

Reads the recorded `aws:appsync/*` resources of a deployment (the API, its data sources,
functions and resolvers, with the inputs the program gave them) and binds each data source to a
local service: DynamoDB through a boto3 client, HTTP signed for Step Functions to synchronous
executions, Lambda to the in-process runtime, NONE to itself.
"""

from dataclasses import dataclass
from typing import Any

from local.aws import resource_types as types
from local.aws.appsync.auth_modes import API_KEY, AuthConfig
from local.aws.appsync.dynamodb import DynamoDbSource
from local.aws.appsync.graphql_engine import (
    RUNTIME,
    ApiConfig,
    ConfigError,
    FunctionConfig,
    ResolverConfig,
)
from local.aws.appsync.http_source import AwsTarget, HttpSource
from local.aws.appsync.lambda_source import LambdaSource
from local.aws.appsync.sources import DataSource, NoneSource
from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.stepfunctions import sync_executions as stepfunctions
from local.pulumi.engine import Deployment, RecordedResource


@dataclass(frozen=True)
class LocalServices:
    """The local AWS the data sources reach."""

    dynamodb: Any
    """A boto3 DynamoDB client."""
    lambdas: LambdaRuntime


@dataclass(frozen=True)
class DeployedApi:
    """One API of the stack: its id, its config for the engine, and its API keys."""

    api_id: str
    name: str
    config: ApiConfig
    api_keys: tuple[str, ...]


def deployed_apis(deployment: Deployment, services: LocalServices) -> list[DeployedApi]:
    return [_api(deployment, api, services) for api in deployment.of_type(types.GRAPHQL_API)]


def _api(deployment: Deployment, api: RecordedResource, services: LocalServices) -> DeployedApi:
    api_id = api.id or api.outputs["id"]

    def of_api(type_: str) -> list[RecordedResource]:
        return [r for r in deployment.of_type(type_) if r.inputs.get("apiId") == api_id]

    sources = {
        r.inputs["name"]: _data_source(r, services) for r in of_api(types.APPSYNC_DATA_SOURCE)
    }
    functions = {
        r.outputs["functionId"]: FunctionConfig(
            name=r.inputs["name"], data_source=r.inputs["dataSource"], code=_code(r)
        )
        for r in of_api(types.APPSYNC_FUNCTION)
    }
    resolvers = [
        ResolverConfig(
            type_name=r.inputs["type"],
            field_name=r.inputs["field"],
            code=_code(r),
            kind=r.inputs.get("kind", "UNIT"),
            data_source=r.inputs.get("dataSource"),
            functions=tuple((r.inputs.get("pipelineConfig") or {}).get("functions", [])),
        )
        for r in of_api(types.APPSYNC_RESOLVER)
    ]
    inputs = api.inputs
    auth = AuthConfig(
        default_mode=inputs["authenticationType"],
        additional_modes=tuple(
            p["authenticationType"] for p in inputs.get("additionalAuthenticationProviders", [])
        ),
        cognito_default_action=(inputs.get("userPoolConfig") or {}).get("defaultAction", "ALLOW"),
    )
    keys = tuple(r.outputs["key"] for r in of_api(types.APPSYNC_API_KEY))
    if keys and API_KEY not in auth.modes:
        raise ConfigError(f"API {api.name} has API keys but not the API_KEY auth mode")
    config = ApiConfig(
        schema=inputs["schema"],
        auth=auth,
        resolvers=resolvers,
        data_sources=sources,
        functions=functions,
        query_depth_limit=inputs.get("queryDepthLimit") or 0,
        resolver_count_limit=inputs.get("resolverCountLimit") or 0,
    )
    return DeployedApi(api_id=api_id, name=api.name, config=config, api_keys=keys)


def _code(resource: RecordedResource) -> str:
    runtime = (resource.inputs.get("runtime") or {}).get("name")
    if runtime != RUNTIME or "code" not in resource.inputs:
        raise ConfigError(
            f"{resource.name}: only {RUNTIME} code runs locally (VTL mapping templates do not)"
        )
    return resource.inputs["code"]


def _data_source(resource: RecordedResource, services: LocalServices) -> DataSource:
    inputs = resource.inputs
    kind = inputs["type"]
    if kind == "NONE":
        return NoneSource()
    if kind == "AMAZON_DYNAMODB":
        return DynamoDbSource(services.dynamodb, inputs["dynamodbConfig"]["tableName"])
    if kind == "AWS_LAMBDA":
        return LambdaSource(services.lambdas, inputs["lambdaConfig"]["functionArn"])
    if kind == "HTTP":
        http = inputs["httpConfig"]
        return HttpSource(http["endpoint"], http.get("authorizationConfig"), _aws_targets())
    raise ConfigError(f"data source {inputs['name']}: type {kind} does not run locally")


def _aws_targets() -> dict[str, AwsTarget]:
    return {f"AWSStepFunctions.{stepfunctions.OPERATION}": stepfunctions.answer}
