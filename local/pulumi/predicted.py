"""The backend behind `plan`: creates nothing, and answers as AWS would about what it would create.

Each custom resource echoes its inputs back as outputs, plus the attributes AWS computes for the
types it knows (physical names the provider would generate, ids, ARNs, stream ARNs), derived
deterministically from the URN so two runs print the same plan. Provider functions about the
caller's account and region are answered from the stack's `aws:region` config.
"""

import hashlib
import os
from collections.abc import Callable
from typing import Any

from local.aws import resource_types as types
from local.pulumi.engine import EngineError, ResourceRequest, StackContext

ACCOUNT_ID = "123456789012"
PARTITION = "aws"
DNS_SUFFIX = "amazonaws.com"
STREAM_LABEL = "2026-01-01T00:00:00.000"

Computed = Callable[["PredictedBackend", ResourceRequest, str], dict[str, Any]]


class PredictedBackend:
    """Answers the engine without side effects."""

    def __init__(self, context: StackContext) -> None:
        self.context = context

    @property
    def region(self) -> str:
        region = (
            self.context.config.get("aws:region")
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
        )
        if not region:
            raise EngineError(
                f"no AWS region: set aws:region in Pulumi.{self.context.stack}.yaml "
                "(or AWS_REGION in the environment)"
            )
        return region

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """An ARN in this stack's account and region (IAM's are global)."""
        region = self.region if regional else ""
        return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{resource}"

    def create(self, resource: ResourceRequest) -> tuple[str, dict[str, Any]]:
        outputs = dict(resource.inputs)
        computed = _COMPUTED.get(resource.type)
        if computed is None:
            return f"{resource.name}-{_digest(resource.urn, 8)}", outputs
        outputs.update(computed(self, resource, _digest(resource.urn, 32)))
        return outputs.pop("id"), outputs

    def invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        answer = _INVOKES.get(token)
        if answer is None:
            raise EngineError(f"the local engine cannot answer the provider function {token}")
        return answer(self)


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _autoname(resource: ResourceRequest, digest: str) -> str:
    """The provider's default physical name: the logical name and a random-looking suffix."""
    return resource.inputs.get("name") or f"{resource.name}-{digest[:7]}"


def _table(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict[str, Any]:
    name = _autoname(resource, digest)
    arn = backend.arn("dynamodb", f"table/{name}")
    stream = resource.inputs.get("streamEnabled")
    return {
        "id": name,
        "name": name,
        "arn": arn,
        "streamArn": f"{arn}/stream/{STREAM_LABEL}" if stream else "",
        "streamLabel": STREAM_LABEL if stream else "",
    }


def _user_pool(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict[str, Any]:
    pool_id = f"{backend.region}_{digest[:9]}"
    return {
        "id": pool_id,
        "name": _autoname(resource, digest),
        "arn": backend.arn("cognito-idp", f"userpool/{pool_id}"),
        "endpoint": f"cognito-idp.{backend.region}.{DNS_SUFFIX}/{pool_id}",
    }


def _user_pool_client(_: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    return {"id": digest[:26], "clientSecret": ""}


def _user_group(_: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    return {"id": f"{resource.inputs.get('userPoolId')}/{resource.inputs.get('name')}"}


def _kms_key(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    key_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return {"id": key_id, "keyId": key_id, "arn": backend.arn("kms", f"key/{key_id}")}


def _function(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    name = _autoname(resource, digest)
    arn = backend.arn("lambda", f"function:{name}")
    return {
        "id": name,
        "name": name,
        "arn": arn,
        "qualifiedArn": f"{arn}:$LATEST",
        "invokeArn": (
            f"arn:{PARTITION}:apigateway:{backend.region}:lambda:path/2015-03-31/functions/"
            f"{arn}/invocations"
        ),
        "version": "$LATEST",
    }


def _role(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    name = _autoname(resource, digest)
    return {
        "id": name,
        "name": name,
        "arn": backend.arn("iam", f"role/{name}", regional=False),
        "uniqueId": f"AROA{digest[:17].upper()}",
    }


def _role_policy(_: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    name = _autoname(resource, digest)
    return {"id": f"{resource.inputs.get('role')}:{name}", "name": name}


def _log_group(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    name = _autoname(resource, digest)
    return {"id": name, "name": name, "arn": backend.arn("logs", f"log-group:{name}")}


def _state_machine(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    name = _autoname(resource, digest)
    arn = backend.arn("states", f"stateMachine:{name}")
    return {"id": arn, "name": name, "arn": arn, "status": "ACTIVE"}


def _graphql_api(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    api_id = digest[:26]
    host = digest[26:32] + digest[:20]
    return {
        "id": api_id,
        "arn": backend.arn("appsync", f"apis/{api_id}"),
        "uris": {
            "GRAPHQL": f"https://{host}.appsync-api.{backend.region}.{DNS_SUFFIX}/graphql",
            "REALTIME": f"wss://{host}.appsync-realtime-api.{backend.region}.{DNS_SUFFIX}/graphql",
        },
    }


def _api_arn(backend: PredictedBackend, resource: ResourceRequest, path: str) -> str:
    return backend.arn("appsync", f"apis/{resource.inputs.get('apiId')}/{path}")


def _data_source(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    name = resource.inputs.get("name")
    return {
        "id": f"{resource.inputs.get('apiId')}-{name}",
        "arn": _api_arn(backend, resource, f"datasources/{name}"),
    }


def _appsync_function(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    function_id = digest[:26]
    return {
        "id": f"{resource.inputs.get('apiId')}-{function_id}",
        "functionId": function_id,
        "arn": _api_arn(backend, resource, f"functions/{function_id}"),
    }


def _resolver(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    type_, field = resource.inputs.get("type"), resource.inputs.get("field")
    return {
        "id": f"{resource.inputs.get('apiId')}-{type_}-{field}",
        "arn": _api_arn(backend, resource, f"types/{type_}/resolvers/{field}"),
    }


def _api_key(_: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    return {"id": f"{resource.inputs.get('apiId')}:{digest[:26]}", "key": f"da2-{digest[:26]}"}


def _queue(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    name = _autoname(resource, digest)
    url = f"https://sqs.{backend.region}.{DNS_SUFFIX}/{ACCOUNT_ID}/{name}"
    return {"id": url, "name": name, "url": url, "arn": backend.arn("sqs", name)}


def _topic(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    name = _autoname(resource, digest)
    arn = backend.arn("sns", name)
    return {"id": arn, "name": name, "arn": arn}


def _topic_subscription(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    arn = f"{resource.inputs.get('topic')}:{digest[:8]}-{digest[8:12]}-{digest[12:24]}"
    return {"id": arn, "arn": arn, "pendingConfirmation": True}


def _metric_alarm(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    name = resource.inputs.get("name") or _autoname(resource, digest)
    return {"id": name, "name": name, "arn": backend.arn("cloudwatch", f"alarm:{name}")}


def _dashboard(backend: PredictedBackend, resource: ResourceRequest, _: str) -> dict:
    name = resource.inputs["dashboardName"]
    return {
        "id": name,
        "dashboardArn": backend.arn("cloudwatch", f"dashboard/{name}", regional=False),
    }


def _redrive_allow_policy(_: PredictedBackend, resource: ResourceRequest, __: str) -> dict:
    return {"id": resource.inputs.get("queueUrl")}


def _event_source_mapping(_: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    mapping_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return {
        "id": mapping_id,
        "uuid": mapping_id,
        "functionArn": resource.inputs.get("functionName"),
        "state": "Enabled",
    }


def _schedule(backend: PredictedBackend, resource: ResourceRequest, digest: str) -> dict:
    name = _autoname(resource, digest)
    group = resource.inputs.get("groupName", "default")
    return {
        "id": f"{group}/{name}",
        "name": name,
        "arn": backend.arn("scheduler", f"schedule/{group}/{name}"),
    }


_COMPUTED: dict[str, Computed] = {
    types.QUEUE: _queue,
    types.TOPIC: _topic,
    types.TOPIC_SUBSCRIPTION: _topic_subscription,
    types.METRIC_ALARM: _metric_alarm,
    types.DASHBOARD: _dashboard,
    types.REDRIVE_ALLOW_POLICY: _redrive_allow_policy,
    types.EVENT_SOURCE_MAPPING: _event_source_mapping,
    types.SCHEDULE: _schedule,
    types.GRAPHQL_API: _graphql_api,
    types.APPSYNC_DATA_SOURCE: _data_source,
    types.APPSYNC_FUNCTION: _appsync_function,
    types.APPSYNC_RESOLVER: _resolver,
    types.APPSYNC_API_KEY: _api_key,
    types.FUNCTION: _function,
    types.ROLE: _role,
    types.ROLE_POLICY: _role_policy,
    types.LOG_GROUP: _log_group,
    types.STATE_MACHINE: _state_machine,
    types.TABLE: _table,
    types.USER_POOL: _user_pool,
    types.USER_POOL_CLIENT: _user_pool_client,
    types.USER_GROUP: _user_group,
    types.KMS_KEY: _kms_key,
}

_INVOKES: dict[str, Callable[[PredictedBackend], dict[str, Any]]] = {
    types.GET_REGION: lambda b: {
        "id": b.region,
        "name": b.region,
        "region": b.region,
        "description": b.region,
        "endpoint": f"ec2.{b.region}.{DNS_SUFFIX}",
    },
    types.GET_CALLER_IDENTITY: lambda b: {
        "id": ACCOUNT_ID,
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/local",
        "userId": "AIDALOCALUSER",
    },
    types.GET_PARTITION: lambda b: {
        "id": PARTITION,
        "partition": PARTITION,
        "dnsSuffix": DNS_SUFFIX,
        "reverseDnsPrefix": "com.amazonaws",
    },
}
