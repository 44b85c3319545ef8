"""A local AppSync: GraphQL operations executed as AppSync executes them, without AWS.

`GraphQLEngine` serves one API (schema, auth modes, APPSYNC_JS resolvers, data sources);
`deployed_apis` builds its config from the resources a stack records.
"""

from .auth import AuthConfig, Caller
from .deployment import DeployedApi, LocalServices, deployed_apis
from .engine import (
    ApiConfig,
    ConfigError,
    FunctionConfig,
    GraphQLEngine,
    ResolverConfig,
    Response,
    clipped,
)
from .jsmodule import CodeError

__all__ = [
    "ApiConfig",
    "AuthConfig",
    "Caller",
    "CodeError",
    "ConfigError",
    "DeployedApi",
    "FunctionConfig",
    "GraphQLEngine",
    "LocalServices",
    "ResolverConfig",
    "Response",
    "clipped",
    "deployed_apis",
]
