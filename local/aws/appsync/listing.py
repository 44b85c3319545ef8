"""AppSync APIs listed by the local AWS endpoint (`aws appsync list-graphql-apis`,
`get-graphql-api`) with the ids the stack recorded and the gateway's own endpoints: moto would
give each API an id of its own and answer a placeholder URI for every one."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.appsync.models import appsync_backends
from moto.appsync.responses import AppSyncResponse
from moto.core.responses import ActionResult

ANSWERING = ("create_graphql_api", "get_graphql_api", "list_graphql_apis", "update_graphql_api")


def list_api(appsync: Any, api_id: str, name: str, auth_type: str, uris: dict[str, str]) -> None:
    """Puts the stack's API in moto's AppSync under `api_id`, answering with `uris`."""
    created = appsync.create_graphql_api(name=name, authenticationType=auth_type)["graphqlApi"]
    account, region = created["arn"].split(":")[4], created["arn"].split(":")[3]
    apis = appsync_backends[account][region].graphql_apis
    api = apis.pop(created["apiId"])
    api.api_id = api_id
    api.arn = created["arn"].rsplit("/", 1)[0] + f"/{api_id}"
    api.slate_uris = dict(uris)
    apis[api_id] = api


def _answering(original: Any) -> Any:
    def answer(response: AppSyncResponse) -> ActionResult:
        result = original(response)
        body = result.result
        if not isinstance(body, dict):
            return result
        for api in body.get("graphqlApis") or [body.get("graphqlApi") or {}]:
            listed = response.appsync_backend.graphql_apis.get(api.get("apiId"))
            uris = getattr(listed, "slate_uris", None)
            if uris:
                api["uris"] = dict(uris)
        return result

    return answer


@contextmanager
def answering_endpoints() -> Iterator[None]:
    patches = [
        mock.patch.object(AppSyncResponse, name, _answering(getattr(AppSyncResponse, name)))
        for name in ANSWERING
    ]
    for patch in patches:
        patch.start()
    try:
        yield
    finally:
        for patch in reversed(patches):
            patch.stop()
