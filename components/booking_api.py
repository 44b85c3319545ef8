"""BookingApi: Slate's AppSync GraphQL API — schema, data sources, APPSYNC_JS resolvers, auth."""

import re
from typing import Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from .booking_table import TableReference, table_reference
from .iam import assume_role_policy, policy_document, service_role, table_statement
from .layout import model, table_layout
from .logs import checked_retention
from .resolver_code import SCHEMA_FILE, bundle, function_file, manifest, resolver_file
from .validation import (
    InvalidArgument,
    checked,
    checked_tags,
    int_between,
    one_of,
    reject_unknown,
    require,
)

COMPONENT = "BookingApi"
JS_RUNTIME = {"name": "APPSYNC_JS", "runtime_version": "1.0.0"}
FIELD_LOG_LEVELS = ("NONE", "ERROR", "INFO", "DEBUG", "ALL")
API_KEY_DIRECTIVE = "@aws_api_key"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
LIMITS = {
    "list": 100,
    "page": 100,
    "defaultPage": 20,
    "slotsPerPublish": 25,
    "slotHours": 24,
    "overlapScan": 500,
    "price": 10_000_000,
    "venueName": 100,
}
"""What the resolvers enforce; documented in the README (list forms return the first `list`)."""
TABLE_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
]
API_PARTITIONS = ("venue", "booking", "user")
DEFAULT_QUERY_DEPTH_LIMIT = 10
DEFAULT_PUBLISH_HORIZON_DAYS = 365
DEFAULT_RESOLVER_COUNT_LIMIT = 100
NONE_SOURCE = "none"
PUBLISH_FIELD_PATH = "/types/Mutation/fields/publishSlotUpdate"
PUBLISH_BOOKING_FIELD_PATH = "/types/Mutation/fields/publishBookingUpdate"


class BookingApiArgs(TypedDict, total=False):
    """What the API reads and writes, who may call it, and how it logs."""

    table: Required[pulumi.Input[TableReference]]
    """The BookingTable the resolvers read and write (`BookingTable.reference`); the table
    data source's role is scoped to it and its indexes."""

    state_machine_arn: Required[pulumi.Input[str]]
    """The BookingSaga's state machine, which `bookSlot` runs synchronously."""

    request_state_machine_arn: pulumi.Input[str]
    """The BookingQueue's request workflow, which `requestBooking` runs synchronously. Without
    it, `requestBooking` answers a `NotConfigured` error."""

    cancel_state_machine_arn: pulumi.Input[str]
    """The BookingSaga's cancellation workflow, which `cancelBooking` runs synchronously (it
    refunds, then cancels). Without it, `cancelBooking` answers a `NotConfigured` error."""

    user_pool_id: Required[pulumi.Input[str]]
    """The AuthPool's user pool: the default auth mode."""

    public_reads: bool
    """Adds an API key that may read venues and slots without signing in. Default false.
    Plain, not an Input: it decides which resources (the key) and which schema exist, which
    must be known when the program runs, not when a resource is created."""

    api_key_expires: pulumi.Input[str]
    """When the API key expires (RFC 3339, e.g. `2027-06-30T00:00:00Z`, whole hours; AppSync
    allows 1-365 days ahead). Default: AppSync's, 7 days after creation."""

    field_log_level: pulumi.Input[str]
    """AppSync field log level: NONE, ERROR, INFO, DEBUG or ALL. Default ERROR."""

    log_retention_days: pulumi.Input[int]
    """Retention of the API's log group. Default 14."""

    query_depth_limit: pulumi.Input[int]
    """How deeply a query may nest (1-75; 0 is AppSync's default, no limit). Default 10: the
    contract's deepest query nests 3 levels."""

    resolver_count_limit: pulumi.Input[int]
    """How many resolvers one request may run (1-10000; 0 is AppSync's default, 10000).
    Default 100: each root field is one resolver, so this caps aliased fields per request."""

    publish_horizon_days: pulumi.Input[int]
    """How far ahead slots may start, in days (1-3650). Default 365."""

    tags: pulumi.Input[dict[str, pulumi.Input[str]]]
    """Tags applied to the API and its roles."""


class BookingApi(pulumi.ComponentResource):
    """The AppSync API of the GraphQL contract: Cognito by default, IAM for the system
    mutation, an optional API key for public reads; every resolver APPSYNC_JS straight to
    DynamoDB, to the saga (signed HTTP, no Lambda) or to NONE; logged and traced."""

    api_id: pulumi.Output[str]
    """The GraphQL API's id."""

    api_arn: pulumi.Output[str]
    """Its ARN (`publishSlotUpdate` grants are scoped under it)."""

    graphql_url: pulumi.Output[str]
    """HTTPS endpoint for queries and mutations."""

    realtime_url: pulumi.Output[str]
    """WebSocket endpoint for subscriptions."""

    api_key: pulumi.Output[str | None]
    """The public-read API key (secret), or None without `public_reads`."""

    log_group_name: pulumi.Output[str]
    """Where the API logs (`/aws/appsync/apis/<apiId>`)."""

    publish_field_arn: pulumi.Output[str]
    """ARN of the `Mutation.publishSlotUpdate` field: what a publisher's `appsync:GraphQL`
    grant names."""

    publish_booking_field_arn: pulumi.Output[str]
    """ARN of the `Mutation.publishBookingUpdate` field, likewise."""

    def __init__(
        self, name: str, args: BookingApiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"slate:index:{COMPONENT}", name, {}, opts)
        reject_unknown(COMPONENT, args, BookingApiArgs)
        require(COMPONENT, args, "table", "state_machine_arn", "user_pool_id")
        table = table_reference(COMPONENT, args)
        child = pulumi.ResourceOptions(parent=self)
        tags = checked_tags(COMPONENT, args)
        # Plain, not an Output: it decides which resources and schema exist.
        public_reads = args.get("public_reads", False)
        if not isinstance(public_reads, bool):
            raise InvalidArgument(
                COMPONENT, "public_reads", f"must be true or false: {public_reads!r}"
            )
        if not public_reads and args.get("api_key_expires") is not None:
            raise InvalidArgument(COMPONENT, "api_key_expires", "needs public_reads (no API key)")
        region = aws.get_region_output().region

        log_role = aws.iam.Role(
            f"{name}-logs-role",
            assume_role_policy=assume_role_policy("appsync.amazonaws.com", self),
            tags=tags,
            opts=child,
        )
        additional = [{"authentication_type": "AWS_IAM"}]
        if public_reads:
            additional.append({"authentication_type": "API_KEY"})
        api = aws.appsync.GraphQLApi(
            f"{name}-api",
            authentication_type="AMAZON_COGNITO_USER_POOLS",
            user_pool_config={
                "user_pool_id": args["user_pool_id"],
                "aws_region": region,
                "default_action": "ALLOW",
            },
            additional_authentication_providers=additional,
            schema=deployed_schema(public_reads),
            log_config={
                "cloudwatch_logs_role_arn": log_role.arn,
                "field_log_level": checked(
                    COMPONENT,
                    "field_log_level",
                    args.get("field_log_level", "ERROR"),
                    one_of(*FIELD_LOG_LEVELS),
                ),
                "exclude_verbose_content": True,
            },
            query_depth_limit=checked(
                COMPONENT,
                "query_depth_limit",
                args.get("query_depth_limit", DEFAULT_QUERY_DEPTH_LIMIT),
                int_between(0, 75),
            ),
            resolver_count_limit=checked(
                COMPONENT,
                "resolver_count_limit",
                args.get("resolver_count_limit", DEFAULT_RESOLVER_COUNT_LIMIT),
                int_between(0, 10_000),
            ),
            xray_enabled=True,
            tags=tags,
            opts=child,
        )
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=pulumi.Output.concat("/aws/appsync/apis/", api.id),
            retention_in_days=checked_retention(COMPONENT, args),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-logs-policy",
            role=log_role.id,
            policy=policy_document(
                COMPONENT,
                [
                    {
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": pulumi.Output.concat(logs.arn, ":*"),
                    }
                ],
            ),
            opts=child,
        )

        sources = self._data_sources(name, api, table, args, region, tags, child)
        horizon_days = checked(
            COMPONENT,
            "publish_horizon_days",
            args.get("publish_horizon_days", DEFAULT_PUBLISH_HORIZON_DAYS),
            int_between(1, 3650),
        )
        constants = pulumi.Output.all(
            table["name"],
            args["state_machine_arn"],
            args.get("request_state_machine_arn"),
            horizon_days,
            args.get("cancel_state_machine_arn"),
        ).apply(
            lambda values: resolver_constants(
                values[0],
                values[1],
                publish_horizon_days=values[3],
                request_state_machine_arn=values[2],
                cancel_state_machine_arn=values[4],
            )
        )
        functions = {
            function: aws.appsync.Function(
                f"{name}-fn-{function}",
                api_id=api.id,
                name=function,
                data_source=sources[source].name,
                code=constants.apply(lambda c, f=function: bundle(function_file(f), c)),
                runtime=JS_RUNTIME,
                opts=child,
            )
            for function, source in manifest()["functions"].items()
        }
        for type_and_field, spec in manifest()["resolvers"].items():
            type_name, field_name = type_and_field.split(".")
            pipeline = spec.get("pipeline")
            source = spec.get("dataSource")
            if source is not None and source not in sources:  # an optional source left out
                source = NONE_SOURCE
            code = constants.apply(lambda c, t=type_and_field: bundle(resolver_file(t), c))
            aws.appsync.Resolver(
                f"{name}-{type_and_field}",
                api_id=api.id,
                type=type_name,
                field=field_name,
                kind="PIPELINE" if pipeline else "UNIT",
                data_source=None if pipeline else sources[source].name,
                pipeline_config=(
                    {"functions": [functions[f].function_id for f in pipeline]}
                    if pipeline
                    else None
                ),
                code=code,
                runtime=JS_RUNTIME,
                opts=child,
            )
        key = None
        if public_reads:
            key = aws.appsync.ApiKey(
                f"{name}-public-key",
                api_id=api.id,
                description="Public reads of venues and slots",
                expires=checked(
                    COMPONENT,
                    "api_key_expires",
                    args.get("api_key_expires"),
                    lambda v: None if v is None or RFC3339.match(str(v)) else "must be RFC 3339",
                ),
                opts=child,
            )

        self.api_id = api.id
        self.api_arn = api.arn
        self.graphql_url = api.uris["GRAPHQL"]
        self.realtime_url = api.uris["REALTIME"]
        self.api_key = pulumi.Output.secret(key.key) if key else pulumi.Output.from_input(None)
        self.log_group_name = logs.name
        self.publish_field_arn = pulumi.Output.concat(api.arn, PUBLISH_FIELD_PATH)
        self.publish_booking_field_arn = pulumi.Output.concat(api.arn, PUBLISH_BOOKING_FIELD_PATH)
        self.register_outputs(
            {
                "api_id": self.api_id,
                "api_arn": self.api_arn,
                "graphql_url": self.graphql_url,
                "realtime_url": self.realtime_url,
                "api_key": self.api_key,
                "log_group_name": self.log_group_name,
                "publish_field_arn": self.publish_field_arn,
                "publish_booking_field_arn": self.publish_booking_field_arn,
            }
        )

    def _data_sources(  # noqa: PLR0917 - a private helper of the constructor
        self,
        name: str,
        api: aws.appsync.GraphQLApi,
        table: TableReference,
        args: BookingApiArgs,
        region: pulumi.Output[str],
        tags: Any,
        opts: pulumi.ResourceOptions,
    ) -> dict[str, aws.appsync.DataSource]:
        """The table, the workflows (the saga; the request and cancel workflows when given) and
        NONE, each
        with a role allowed only what its resolvers do."""
        table_arn = table["arn"]
        table_role = service_role(
            COMPONENT,
            f"{name}-table",
            service="appsync.amazonaws.com",
            statements=[
                table_statement(
                    [table_arn, pulumi.Output.concat(table_arn, "/index/*")],
                    TABLE_ACTIONS,
                    API_PARTITIONS,
                    exact=(model()["venuesPartition"],),
                )
            ],
            tags=tags,
            opts=opts,
        )
        workflows = {"saga": args["state_machine_arn"]}
        for source, argument in (
            ("requests", "request_state_machine_arn"),
            ("cancel", "cancel_state_machine_arn"),
        ):
            if args.get(argument) is not None:
                workflows[source] = args[argument]
        sources = {
            source: self._workflow_source(name, api, source, arn, region, tags, opts)
            for source, arn in workflows.items()
        }
        return {
            **sources,
            "table": aws.appsync.DataSource(
                f"{name}-table-source",
                api_id=api.id,
                name="table",
                type="AMAZON_DYNAMODB",
                service_role_arn=table_role.arn,
                dynamodb_config={"table_name": table["name"], "region": region},
                opts=opts,
            ),
            NONE_SOURCE: aws.appsync.DataSource(
                f"{name}-none-source", api_id=api.id, name=NONE_SOURCE, type="NONE", opts=opts
            ),
        }

    def _workflow_source(  # noqa: PLR0917 - a private helper of the constructor
        self,
        name: str,
        api: aws.appsync.GraphQLApi,
        source: str,
        state_machine_arn: pulumi.Input[str],
        region: pulumi.Output[str],
        tags: Any,
        opts: pulumi.ResourceOptions,
    ) -> aws.appsync.DataSource:
        """An HTTP data source signed for Step Functions, allowed to start one state machine
        synchronously."""
        role = service_role(
            COMPONENT,
            f"{name}-{source}",
            service="appsync.amazonaws.com",
            statements=[
                {
                    "Effect": "Allow",
                    "Action": ["states:StartSyncExecution"],
                    "Resource": state_machine_arn,
                }
            ],
            tags=tags,
            opts=opts,
        )
        return aws.appsync.DataSource(
            f"{name}-{source}-source",
            api_id=api.id,
            name=source,
            type="HTTP",
            service_role_arn=role.arn,
            http_config={
                "endpoint": pulumi.Output.concat("https://sync-states.", region, ".amazonaws.com"),
                "authorization_config": {
                    "authorization_type": "AWS_IAM",
                    "aws_iam_config": {
                        "signing_region": region,
                        "signing_service_name": "states",
                    },
                },
            },
            opts=opts,
        )


def deployed_schema(public_reads: bool) -> str:
    """The schema file, without the API-key directive when the API has no API key."""
    schema = SCHEMA_FILE.read_text(encoding="utf-8")
    return schema if public_reads else schema.replace(API_KEY_DIRECTIVE, "")


def resolver_constants(
    table_name: str,
    state_machine_arn: str,
    publish_horizon_days: int = DEFAULT_PUBLISH_HORIZON_DAYS,
    request_state_machine_arn: str | None = None,
    cancel_state_machine_arn: str | None = None,
) -> dict[str, Any]:
    """What the resolvers read as `SLATE`: the shared model, the resources, the limits."""
    shared = model()
    layout = table_layout()
    [index] = layout.indexes
    return {
        "table": {
            "name": table_name,
            "pk": layout.partition_key,
            "sk": layout.sort_key,
            "index": {"name": index.name, "pk": index.partition_key, "sk": index.sort_key},
        },
        "keyPrefixes": shared["keyPrefixes"],
        "meta": shared["meta"],
        "venuesPartition": shared["venuesPartition"],
        "status": {kind: {s: s for s in names} for kind, names in shared["statuses"].items()},
        "errors": shared["errors"],
        "groups": shared["groups"],
        "idPatterns": shared["idPatterns"],
        "stateMachineArn": state_machine_arn,
        "requestStateMachineArn": request_state_machine_arn,
        "cancelStateMachineArn": cancel_state_machine_arn,
        "limits": {**LIMITS, "publishHorizonDays": publish_horizon_days},
    }
