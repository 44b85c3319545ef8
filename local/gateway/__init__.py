"""The local cloud's AppSync gateway: AppSync's endpoints and auth in front of the resolver
engine (`local.appsync`)."""

from .auth import Authorizer, Unauthorized
from .graphql_http import graphql_app
from .server import serving

__all__ = ["Authorizer", "Unauthorized", "graphql_app", "serving"]
