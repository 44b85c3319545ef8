"""The local cloud's AppSync gateway: AppSync's endpoints and auth in front of the resolver
engine (`local.aws.appsync`)."""

from local.aws.appsync.gateway.app import gateway_app
from local.aws.appsync.gateway.authorizer import Authorizer, Unauthorized
from local.aws.appsync.gateway.server import serving

__all__ = ["Authorizer", "Unauthorized", "gateway_app", "serving"]
