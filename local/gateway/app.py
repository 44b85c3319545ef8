"""The gateway as one ASGI app: AppSync's HTTP and real-time endpoints for one API."""

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from ..appsync import GraphQLEngine
from .auth import Authorizer
from .graphql_http import http_endpoint
from .realtime import RealtimeEndpoint
from .subscriptions import SubscriptionHub


def gateway_app(
    engine: GraphQLEngine, authorizer: Authorizer, keep_alive_seconds: float = 60.0
) -> Starlette:
    hub = SubscriptionHub(engine.schema)
    realtime = RealtimeEndpoint(engine, authorizer, hub, keep_alive_seconds)
    return Starlette(
        routes=[
            Route("/graphql", http_endpoint(engine, authorizer, hub), methods=["POST"]),
            WebSocketRoute("/graphql", realtime),
            WebSocketRoute("/graphql/realtime", realtime),
        ]
    )
