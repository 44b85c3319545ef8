"""The gateway as one ASGI app: AppSync's HTTP and real-time endpoints for one API, open to
browser apps on any origin as AppSync's are (CORS: preflights answered, every origin allowed,
the response headers a client reads exposed)."""

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from local.aws.appsync import GraphQLEngine
from local.aws.appsync.gateway.authorizer import Authorizer
from local.aws.appsync.gateway.graphql_http import (
    ERROR_TYPE_HEADER,
    REQUEST_ID_HEADER,
    OperationObserver,
    http_endpoint,
)
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
        ],
        middleware=[_CORS],
    )
    app.state.hub = hub
    return app


_CORS = Middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_methods=["POST", "OPTIONS"],
    # Whatever a client asks to send (Amplify: authorization, x-api-key, x-amz-date,
    # x-amz-security-token, x-amz-user-agent, content-type; an app: x-correlation-id).
    allow_headers=["*"],
    expose_headers=[
        REQUEST_ID_HEADER,
        ERROR_TYPE_HEADER,
        "x-amzn-ErrorMessage",
        "x-amz-user-agent",
        "Date",
    ],
    max_age=86400,
)
