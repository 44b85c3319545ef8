"""Where moto needs help with every service, and what the services' patches share.

moto lists a response class's methods (`inspect.getmembers`) on every request, to check that
the action is one; `listing_actions_once` keeps each class's list. And moto keeps every model
instance it ever made (each item, each version and copy of it, each stream record, each
execution's copy of its state machine) in a list per class, for its dashboard: memory, and the
garbage collector's walks over it, grew with every write. `untracked_models` keeps none (the
local cloud serves no dashboard).
"""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from botocore.config import Config
from botocore.exceptions import ClientError
from moto.core import responses as moto_responses
from moto.core.common_models import BaseModel
from moto.core.exceptions import JsonRESTError

OWN_CLIENTS = Config(user_agent="slate-local-cloud")
"""The config of the boto3 clients the local cloud makes for itself (the resolvers' sources,
the state machines' tasks): one User-Agent, where botocore builds and cleans its own, twice for
every request (a sixth of an in-process DynamoDB call's client side). moto reads it only for a
region its URL lacks, and these URLs name theirs."""

MOTO_CONFIG = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}


def as_client_error(error: JsonRESTError, operation: str) -> ClientError:
    """A refusal of a moto backend, called directly, as botocore raises it from the wire."""
    return ClientError(
        {
            "Error": {"Code": error.error_type, "Message": error.message},
            "ResponseMetadata": {"HTTPStatusCode": error.code, "RequestId": ""},
        },
        operation,
    )


@contextmanager
def listing_actions_once() -> Iterator[None]:
    listed = functools.lru_cache(maxsize=None)(moto_responses.method_names_from_class)
    with mock.patch.object(moto_responses, "method_names_from_class", listed):
        yield


@contextmanager
def untracked_models() -> Iterator[None]:
    def new(cls: type, *_args: Any, **_kwargs: Any) -> Any:
        return super(BaseModel, cls).__new__(cls)

    for model in _subclasses(BaseModel):
        model.instances_tracked = []
    with mock.patch.object(BaseModel, "__new__", staticmethod(new)):
        yield


def _subclasses(cls: type) -> Iterator[type]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)
