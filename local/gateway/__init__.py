"""The local cloud's AppSync gateway: AppSync's endpoints and auth in front of the resolver
engine (`local.appsync`)."""

from .app import gateway_app
from .auth import Authorizer, Unauthorized
from .server import serving

__all__ = ["Authorizer", "Unauthorized", "gateway_app", "serving"]
