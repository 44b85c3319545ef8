"""A local AppSync: GraphQL operations executed as AppSync executes them, without AWS.

`GraphQLEngine` serves one API (schema, auth modes, APPSYNC_JS resolvers, data sources);
the gateway (`gateway`) serves it over HTTP and WebSocket.
"""

from local.aws.appsync.auth_modes import AuthConfig, Caller
from local.aws.appsync.graphql_engine import (
    ApiConfig,
    ConfigError,
    FunctionConfig,
    GraphQLEngine,
    ResolverConfig,
    Response,
    clipped,
)
from local.aws.appsync.jsmodule import CodeError

__all__ = [
    "ApiConfig",
    "AuthConfig",
    "Caller",
    "CodeError",
    "ConfigError",
    "FunctionConfig",
    "GraphQLEngine",
    "ResolverConfig",
    "Response",
    "clipped",
]
