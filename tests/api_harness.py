"""The BookingApi as deployed, run for real: the schema and the APPSYNC_JS code recorded from the
stack, executed by the local resolver engine against the deployed saga (moto table, moto's
Step Functions interpreter, the payment handler in-process)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from local.api_deployment import LocalServices, deployed_apis
from local.aws.appsync import Caller, GraphQLEngine
from local.pulumi.engine import Deployment
from saga_harness import REGION, Saga, deployed_saga

ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_local"
ACCOUNT = "123456789012"


def user(sub: str, *groups: str) -> Caller:
    """A signed-in user, as the verified token's claims describe them."""
    claims: dict[str, Any] = {
        "sub": sub,
        "iss": ISSUER,
        "cognito:username": sub,
        "token_use": "id",
    }
    if groups:
        claims["cognito:groups"] = list(groups)
    return Caller.cognito(claims)


SYSTEM = Caller.iam(ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/fanout/session")
PUBLIC = Caller.api_key()


@dataclass
class Api:
    engine: GraphQLEngine
    saga: Saga
    api_keys: tuple[str, ...]

    def call(self, caller: Caller, query: str, **variables: Any) -> dict[str, Any]:
        """The response body, as AppSync would send it."""
        response = self.engine.execute(query, caller, variables=variables)
        assert response.status == 200
        return response.body

    def data(self, caller: Caller, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a call that must succeed."""
        body = self.call(caller, query, **variables)
        assert "errors" not in body, body
        return body["data"]

    def error(self, caller: Caller, query: str, **variables: Any) -> dict[str, Any]:
        """The one error of a call that must fail."""
        body = self.call(caller, query, **variables)
        assert len(body.get("errors", [])) == 1, body
        return body["errors"][0]


@contextmanager
def deployed_api(deployment: Deployment) -> Iterator[Api]:
    with deployed_saga(deployment) as saga:
        services = LocalServices(
            dynamodb=boto3.client("dynamodb", region_name=REGION), lambdas=saga.runtime
        )
        [api] = deployed_apis(deployment, services)
        engine = GraphQLEngine(api.config)
        try:
            yield Api(engine, saga, api.api_keys)
        finally:
            engine.close()
