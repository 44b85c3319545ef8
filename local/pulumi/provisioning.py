"""The backend behind the local cloud: each resource a program registers becomes real state in
moto (in-process or a moto server), and moto's own ids and ARNs are what the program sees.

Types with state here — tables (keys, indexes, stream, TTL), queues (with redrive), user pools,
their clients and groups, roles, state machines — are created through boto3, or adopted when
they already exist (the local cloud resumed a saved state): the same name keeps its id, its
data and its users, and takes the program's current settings. A table whose keys or indexes
changed cannot be adopted; that is an error naming the way out (a fresh start). Functions are
registered with the in-process Lambda runtime (moto's own Lambda would need Docker). Types the
local cloud serves itself (AppSync, event source mappings, schedules) and types with no local
meaning (policies, log groups) are recorded with the attributes AWS would compute. Any other
type fails, naming it.
"""

import contextlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.aws import resource_types as types
from local.aws.appsync.listing import list_api
from local.aws.awslambda.runtime import FunctionSpec, LambdaRuntime
from local.pulumi import alerting
from local.pulumi.engine import EngineError, ResourceRequest, StackContext
from local.pulumi.predicted import PredictedBackend

Clients = Callable[[str], Any]
"""Service name → a boto3 client for the local AWS."""

RECORDED_ONLY = {
    types.ROLE_POLICY,
    types.KMS_KEY,
    types.GRAPHQL_API,
    types.APPSYNC_DATA_SOURCE,
    types.APPSYNC_FUNCTION,
    types.APPSYNC_RESOLVER,
    types.APPSYNC_API_KEY,
    types.EVENT_SOURCE_MAPPING,
    types.SCHEDULE,
    types.REDRIVE_ALLOW_POLICY,  # moto has no message move tasks
    types.TOPIC_SUBSCRIPTION,  # nothing here sends email
}


class ProvisioningBackend:
    """Creates resources in the local AWS that `clients` reach."""

    def __init__(
        self,
        context: StackContext,
        clients: Clients,
        lambdas: LambdaRuntime,
        api_uris: dict[str, str] | None = None,
    ) -> None:
        self.context = context
        self.clients = clients
        self.lambdas = lambdas
        self.api_uris = api_uris
        """Where the local gateway serves GraphQL APIs (`GRAPHQL`, `REALTIME`), if it does."""
        self.recorder = PredictedBackend(context)
        self._creators: dict[str, Callable[[ResourceRequest], tuple[str, dict[str, Any]]]] = {
            types.TABLE: self._table,
            types.QUEUE: self._queue,
            types.USER_POOL: self._user_pool,
            types.USER_POOL_CLIENT: self._user_pool_client,
            types.USER_GROUP: self._user_group,
            types.ROLE: self._role,
            types.STATE_MACHINE: self._state_machine,
            types.FUNCTION: self._function,
            types.LOG_GROUP: self._log_group,
            types.TOPIC: self._topic,
            types.METRIC_ALARM: self._metric_alarm,
            types.DASHBOARD: self._dashboard,
        }

    @classmethod
    def factory(
        cls, clients: Clients, lambdas: LambdaRuntime, api_uris: dict[str, str] | None = None
    ) -> Callable[[StackContext], Any]:
        return lambda context: cls(context, clients, lambdas, api_uris)

    def create(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        creator = self._creators.get(resource.type)
        if creator is not None:
            return creator(resource)
        if resource.type in RECORDED_ONLY:
            resource_id, outputs = self.recorder.create(resource)
            if resource.type == types.GRAPHQL_API and self.api_uris:
                outputs["uris"] = dict(self.api_uris)
                list_api(
                    self.clients("appsync"),
                    resource_id,
                    outputs.get("name") or resource.name,
                    resource.inputs.get("authenticationType", "API_KEY"),
                    self.api_uris,
                )
            return resource_id, outputs
        raise EngineError(
            f"{resource.name}: the local cloud cannot create a {resource.type} "
            f"(it runs {', '.join(sorted({*self._creators, *RECORDED_ONLY}))})"
        )

    def invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        return self.recorder.invoke(token, args)

    def _name(self, resource: ResourceRequest) -> str:
        """The physical name the program asked for, or the provider's default form."""
        _, outputs = self.recorder.create(resource)
        return outputs.get("name") or resource.inputs.get("name") or resource.name

    def _table(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = self._name(resource)
        dynamodb = self.clients("dynamodb")
        try:
            table = dynamodb.describe_table(TableName=name)["Table"]
        except dynamodb.exceptions.ResourceNotFoundException:
            table = create_table(dynamodb, name, resource.inputs)
        else:
            _check_shape(name, table, resource.inputs)
        outputs = {
            **resource.inputs,
            "name": name,
            "arn": table["TableArn"],
            "streamArn": table.get("LatestStreamArn", ""),
            "streamLabel": table.get("LatestStreamLabel", ""),
        }
        return name, outputs

    def _queue(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        inputs = resource.inputs
        name = self._name(resource)
        attributes = {
            attribute: str(inputs[key]).lower()
            if isinstance(inputs[key], bool)
            else str(inputs[key])
            for key, attribute in _QUEUE_ATTRIBUTES.items()
            if inputs.get(key) is not None
        }
        sqs = self.clients("sqs")
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        else:
            settable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
            if settable:
                sqs.set_queue_attributes(QueueUrl=url, Attributes=settable)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return url, {**inputs, "name": name, "url": url, "arn": arn}

    def _user_pool(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        inputs = resource.inputs
        name = self._name(resource)
        policy = inputs.get("passwordPolicy") or {}
        cognito = self.clients("cognito-idp")
        existing = _named(cognito.list_user_pools(MaxResults=60)["UserPools"], "Name", name)
        if existing is not None:
            pool = cognito.describe_user_pool(UserPoolId=existing["Id"])["UserPool"]
            return pool["Id"], self._pool_outputs(inputs, name, pool)
        pool = cognito.create_user_pool(
            PoolName=name,
            Policies={
                "PasswordPolicy": {
                    key[0].upper() + key[1:]: value
                    for key, value in policy.items()
                    if key in _PASSWORD_POLICY
                }
            },
            UsernameAttributes=inputs.get("usernameAttributes", []),
            AutoVerifiedAttributes=inputs.get("autoVerifiedAttributes", []),
        )["UserPool"]
        return pool["Id"], self._pool_outputs(inputs, name, pool)

    def _pool_outputs(
        self, inputs: dict[str, Any], name: str, pool: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            **inputs,
            "id": pool["Id"],
            "name": name,
            "arn": pool["Arn"],
            "endpoint": f"cognito-idp.{self.recorder.region}.amazonaws.com/{pool['Id']}",
        }

    def _user_pool_client(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        inputs = resource.inputs
        cognito = self.clients("cognito-idp")
        name = inputs.get("name") or resource.name
        pool_id = inputs["userPoolId"]
        listed = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
        existing = _named(listed["UserPoolClients"], "ClientName", name)
        settings: dict[str, Any] = {"ExplicitAuthFlows": inputs.get("explicitAuthFlows", [])}
        if inputs.get("readAttributes"):  # the attributes its ID tokens carry
            settings["ReadAttributes"] = inputs["readAttributes"]
        if existing is not None:
            client = cognito.update_user_pool_client(
                UserPoolId=pool_id, ClientId=existing["ClientId"], ClientName=name, **settings
            )["UserPoolClient"]
        else:
            client = cognito.create_user_pool_client(
                UserPoolId=pool_id,
                ClientName=name,
                GenerateSecret=bool(inputs.get("generateSecret")),
                **settings,
            )["UserPoolClient"]
        return client["ClientId"], {**inputs, "clientSecret": client.get("ClientSecret", "")}

    def _user_group(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        inputs = resource.inputs
        arguments = {"GroupName": inputs["name"], "UserPoolId": inputs["userPoolId"]}
        for key, argument in (("description", "Description"), ("precedence", "Precedence")):
            if inputs.get(key) is not None:
                arguments[argument] = inputs[key]
        cognito = self.clients("cognito-idp")
        try:
            cognito.create_group(**arguments)
        except cognito.exceptions.GroupExistsException:
            cognito.update_group(**arguments)
        return f"{inputs['userPoolId']}/{inputs['name']}", dict(inputs)

    def _role(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        inputs = resource.inputs
        name = self._name(resource)
        iam = self.clients("iam")
        try:
            role = iam.get_role(RoleName=name)["Role"]
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=inputs["assumeRolePolicy"])
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=inputs["assumeRolePolicy"]
            )["Role"]
        return name, {**inputs, "name": name, "arn": role["Arn"], "uniqueId": role["RoleId"]}

    def _state_machine(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        inputs = resource.inputs
        name = self._name(resource)
        sfn = self.clients("stepfunctions")
        machines = sfn.list_state_machines()["stateMachines"]
        existing = _named(machines, "name", name)
        if existing is not None:
            arn = existing["stateMachineArn"]
            sfn.update_state_machine(
                stateMachineArn=arn, definition=inputs["definition"], roleArn=inputs["roleArn"]
            )
        else:
            arn = sfn.create_state_machine(
                name=name,
                definition=inputs["definition"],
                roleArn=inputs["roleArn"],
                type=inputs.get("type", "STANDARD"),
            )["stateMachineArn"]
        return arn, {**inputs, "name": name, "arn": arn, "status": "ACTIVE"}

    def _function(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        inputs = resource.inputs
        function_id, outputs = self.recorder.create(resource)
        region = self.recorder.region
        self._listed_function(outputs["name"], inputs)
        self.lambdas.register(
            FunctionSpec(
                name=outputs["name"],
                arn=outputs["arn"],
                handler=inputs["handler"],
                code_root=archive_root(inputs["code"]),
                environment={
                    **(inputs.get("environment") or {}).get("variables", {}),
                    "AWS_REGION": region,
                    "AWS_DEFAULT_REGION": region,
                },
                timeout_seconds=inputs.get("timeout", 3),
                memory_mb=inputs.get("memorySize", 128),
                log_group=(inputs.get("loggingConfig") or {}).get("logGroup") or "",
            )
        )
        return function_id, outputs

    def _log_group(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        """Recorded, and made in moto's CloudWatch Logs, where the functions' lines land."""
        group_id, outputs = self.recorder.create(resource)
        logs = self.clients("logs")
        name = outputs.get("name") or resource.inputs["name"]
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=name)
        if resource.inputs.get("retentionInDays"):
            logs.put_retention_policy(
                logGroupName=name, retentionInDays=resource.inputs["retentionInDays"]
            )
        return group_id, outputs

    def _topic(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = self._name(resource)
        arn = alerting.create_topic(self.clients("sns"), name, resource.inputs)
        return arn, {**resource.inputs, "name": name, "arn": arn}

    def _metric_alarm(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        alarm_id, outputs = self.recorder.create(resource)
        alerting.put_alarm(self.clients("cloudwatch"), outputs["name"], resource.inputs)
        return alarm_id, outputs

    def _dashboard(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        dashboard_id, outputs = self.recorder.create(resource)
        self.clients("cloudwatch").put_dashboard(
            DashboardName=resource.inputs["dashboardName"],
            DashboardBody=resource.inputs["dashboardBody"],
        )
        return dashboard_id, outputs

    def _listed_function(self, name: str, inputs: dict[str, Any]) -> None:
        """The function in moto's Lambda too, so `aws lambda list-functions` and `invoke` see it
        (moto's invoke is routed to the Lambda runtime); its code stays where the runtime reads
        it, and moto keeps a placeholder archive."""
        lambdas = self.clients("lambda")
        settings = {
            "Role": inputs["role"],
            "Handler": inputs["handler"],
            "Runtime": inputs.get("runtime", "python3.13"),
            "Timeout": inputs.get("timeout", 3),
            "MemorySize": inputs.get("memorySize", 128),
            "Environment": {"Variables": (inputs.get("environment") or {}).get("variables", {})},
        }
        try:
            lambdas.create_function(
                FunctionName=name, Code={"ZipFile": _PLACEHOLDER_ARCHIVE}, **settings
            )
        except lambdas.exceptions.ResourceConflictException:  # made by an earlier run
            lambdas.update_function_configuration(FunctionName=name, **settings)


def _placeholder_archive() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as placeholder:
        placeholder.writestr("README", "The local cloud runs this function from its source.\n")
    return archive.getvalue()


_PLACEHOLDER_ARCHIVE = _placeholder_archive()
_QUEUE_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "redrivePolicy": "RedrivePolicy",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "fifoQueue": "FifoQueue",
}
_PASSWORD_POLICY = {
    "minimumLength",
    "requireLowercase",
    "requireUppercase",
    "requireNumbers",
    "requireSymbols",
    "temporaryPasswordValidityDays",
}


def create_table(dynamodb: Any, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A table as an `aws.dynamodb.Table`'s inputs declare it: keys, indexes, stream, TTL."""
    table = dynamodb.create_table(**create_table_arguments(name, inputs))["TableDescription"]
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
        )
    return table


def create_table_arguments(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """CreateTable's arguments for an `aws.dynamodb.Table`'s inputs."""
    keys = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        keys.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    arguments: dict[str, Any] = {
        "TableName": name,
        "BillingMode": inputs.get("billingMode", "PAY_PER_REQUEST"),
        "KeySchema": keys,
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]}
            for a in inputs.get("attributes", [])
        ],
    }
    indexes = [_index(index) for index in inputs.get("globalSecondaryIndexes", [])]
    if indexes:
        arguments["GlobalSecondaryIndexes"] = indexes
    if inputs.get("streamEnabled"):
        arguments["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": inputs.get("streamViewType", "NEW_AND_OLD_IMAGES"),
        }
    return arguments


def _named(listed: list[dict[str, Any]], key: str, name: str) -> dict[str, Any] | None:
    return next((entry for entry in listed if entry[key] == name), None)


def _check_shape(name: str, table: dict[str, Any], inputs: dict[str, Any]) -> None:
    """An existing table is adopted only if it has the keys and indexes the program declares."""
    wanted = create_table_arguments(name, inputs)
    has = {
        "keys": table["KeySchema"],
        "indexes": sorted(
            (i["IndexName"], str(i["KeySchema"])) for i in table.get("GlobalSecondaryIndexes", [])
        ),
    }
    declared = {
        "keys": wanted["KeySchema"],
        "indexes": sorted(
            (i["IndexName"], str(i["KeySchema"])) for i in wanted.get("GlobalSecondaryIndexes", [])
        ),
    }
    if has != declared:
        raise EngineError(
            f"table {name}: the saved state has other keys or indexes than the program declares;"
            " start fresh to recreate it (make dev FRESH=1, or python -m local up --fresh)"
        )


def _index(index: dict[str, Any]) -> dict[str, Any]:
    key_schema = index.get("keySchemas") or [
        {"attributeName": index["hashKey"], "keyType": "HASH"},
        *(
            [{"attributeName": index["rangeKey"], "keyType": "RANGE"}]
            if index.get("rangeKey")
            else []
        ),
    ]
    return {
        "IndexName": index["name"],
        "KeySchema": [
            {"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in key_schema
        ],
        "Projection": {"ProjectionType": index.get("projectionType", "ALL")},
    }


def archive_root(archive: Any) -> Path:
    """The directory an `AssetArchive` of files under one root was packaged from."""
    assets = getattr(archive, "assets", None)
    if not assets:
        raise EngineError("a function's code must be an AssetArchive of files")
    name, asset = next(iter(assets.items()))
    # Relative asset paths are relative to the program's directory: resolve while it runs.
    return Path(asset.path).resolve().parents[len(Path(name).parts) - 1]
