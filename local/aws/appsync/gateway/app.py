"""The gateway as one ASGI app: AppSync's HTTP and real-time endpoints for one API."""

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from local.aws.appsync import GraphQLEngine
from local.aws.appsync.gateway.authorizer import Authorizer
from local.aws.appsync.gateway.graphql_http import OperationObserver, http_endpoint
from local.aws.appsync.gateway.realtime import INIT_TIMEOUT_SECONDS, RealtimeEndpoint
from local.aws.appsync.gateway.subscriptions import OUTBOX_LIMIT, SubscriptionHub


def gateway_app(
    engine: GraphQLEngine,
    authorizer: Authorizer,
    keep_alive_seconds: float = 60.0,
    *,
    init_timeout_seconds: float = INIT_TIMEOUT_SECONDS,
    outbox_limit: int = OUTBOX_LIMIT,
    before_acknowledging: Callable[[], None] | None = None,
    observer: OperationObserver | None = None,
) -> Starlette:
    """`before_acknowledging` runs before a mutation's answer is sent (the local cloud makes
    its changes durable there)."""
    hub = SubscriptionHub(engine.schema)
    realtime = RealtimeEndpoint(
        engine,
        authorizer,
        hub,
        keep_alive_seconds=keep_alive_seconds,
        init_timeout_seconds=init_timeout_seconds,
        outbox_limit=outbox_limit,
        observer=observer,
    )
    app = Starlette(
        routes=[
            Route(
                "/graphql",
                http_endpoint(engine, authorizer, hub, before_acknowledging, observer),
                methods=["POST"],
            ),
            WebSocketRoute("/graphql", realtime.handle),
            WebSocketRoute("/graphql/realtime", realtime.handle),
        ]
    )
    app.state.hub = hub
    return app
