"""DynamoDB calls made inside the local cloud's process skip the wire format they never cross.

A boto3 call to moto in-process normally goes request → JSON → moto's request parser → moto's
backend → moto's response serializer → JSON → botocore's response parser. The two response
steps walk the service model for every attribute of every item (most of the CPU of a query of
100 items). moto's DynamoDB handler already holds the answer as the plain structure botocore's
parser would build (attribute values as `{"S": …}`, binary as bytes); `answering_in_process`
hands that structure to botocore directly, for the item operations and for DynamoDB Streams'
GetRecords (whose records moto keeps as that structure too, but for their time, which the
wire carries as epoch seconds to the millisecond and botocore reads in local time). moto's
handler and backend (its request parser, validation, conditions, transactions) are unchanged,
and so is every error, which botocore still parses from moto's error body.

The request reaches moto's handler as it is (`_Unsent`), not as the werkzeug request moto's
stubber builds for each call (a WSGI environ written, then read back), and the handler is found
once per endpoint, not by trying every service's URL patterns on every call: together a fifth
of an item operation's cost. moto's request recorder, a moto development aid that the local
cloud never turns on, does not see these calls.

Only calls bound for AWS's own endpoints while moto's in-process mock is on are answered here;
a client of the moto server (an `endpoint_url`) pays the wire as any outside client does.
"""

import copy
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import botocore.handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, create_request_object
from botocore.parsers import create_parser
from dateutil.tz import tzlocal
from moto import backend_index, backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict
from moto.core.botocore_stubber import MockRawResponse
from moto.core.common_types import TYPE_RESPONSE
from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
from moto.core.exceptions import HTTPException
from moto.core.models import botocore_stubber
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_equivalent_url_in_aws_domain
from werkzeug.datastructures import Headers, MultiDict

EVENTS = ("before-call.dynamodb", "before-call.dynamodbstreams")
GET_RECORDS = "GetRecords"
ITEM_OPERATIONS = frozenset(
    {
        GET_RECORDS,
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
AWS_HOST_SUFFIX = ".amazonaws.com"
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
Handler = Callable[[Any, str, Any], TYPE_RESPONSE]

_PARSER = create_parser("json")
"""One parser for every call, as one botocore client shares its own across threads (a parser
per call left a reference cycle behind it, for the garbage collector)."""
_handlers: dict[str, Handler | None] = {}
"""Endpoint URL → the moto handler that answers it (None: left to moto's stubber)."""
_state = threading.local()
_enabled = [0]
_counts = {"serialized": 0, "answered": 0, "stubbed": 0}


def counts() -> dict[str, int]:
    """How many DynamoDB responses moto serialized, how many were handed over as built, and how
    many in-process calls went through moto's stubber (a werkzeug request each)."""
    return dict(_counts)


def _answer(model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict] | None:
    """botocore's `before-call` hook: (response, parsed) instead of a request on the wire."""
    if not _enabled[0] or not botocore_stubber.enabled or model.name not in ITEM_OPERATIONS:
        return None
    if not params["url"].split("/")[2].endswith(AWS_HOST_SUFFIX):
        return None
    prepared = create_request_object(params).prepare()
    _state.captured = None
    _state.capturing = True
    try:
        answered = _dispatched(prepared)
    finally:
        _state.capturing = False
    if answered is None:
        return None
    status, headers, body = answered
    body = body.encode() if isinstance(body, str) else body or b""
    captured, _state.captured = _state.captured, None
    parser = _PARSER
    response = {"status_code": status, "headers": headers, "body": body or b"{}"}
    if captured is None or status >= 300:
        parsed = parser.parse(response, model.output_shape)
        _add_modeled_error_fields(parsed, response, model, parser)
    else:
        _counts["answered"] += 1
        parsed = parser.parse({**response, "body": b"{}"}, model.output_shape)
        members = model.output_shape.members if model.output_shape else {}
        if model.name == GET_RECORDS:
            captured = _as_read(captured)
        parsed.update({k: v for k, v in captured.items() if k in members and v is not None})
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return AWSResponse(prepared.url, status, headers, MockRawResponse(body)), parsed


class _Unsent:
    """A request as moto's handlers read it (`BaseResponse.setup_class` and the request parser),
    made from botocore's prepared request as it is: no WSGI environ to build and read back."""

    from_wsgi_server = False
    content_encoding = None

    def __init__(self, prepared: AWSPreparedRequest) -> None:
        self.method = prepared.method
        self.raw_url = prepared.url
        self.raw_path = self.path = urlsplit(prepared.url).path or "/"
        self.headers = Headers(
            [(k, v.decode() if isinstance(v, bytes) else v) for k, v in prepared.headers.items()]
        )
        body = prepared.body
        self.data = body.encode() if isinstance(body, str) else body or b""
        self.content_type = self.headers.get("Content-Type")
        self.form: dict[str, str] = {}
        self.files: dict[str, Any] = {}
        self.values: MultiDict[str, str] = MultiDict()
        self.environ: dict[str, str] = {}


def _dispatched(prepared: AWSPreparedRequest) -> TYPE_RESPONSE | None:
    """moto's answer to the request, as its stubber's `process_request` gives it."""
    handler = _handler_for(prepared.url)
    if handler is None or "Content-Encoding" in prepared.headers:
        _counts["stubbed"] += 1
        return botocore_stubber.process_request(prepared)
    request = _Unsent(prepared)
    try:
        return handler(request, request.raw_url, request.headers)
    except HTTPException as error:
        return error.code, error.get_headers(), error.get_body()


def _handler_for(url: str) -> Handler | None:
    """The handler moto's stubber would pick for `url`, found as it finds it, once."""
    parsed, _ = get_equivalent_url_in_aws_domain(url)
    endpoint = f"{parsed.scheme}://{parsed.netloc}{parsed.path}"
    if endpoint not in _handlers:
        _handlers[endpoint] = _find_handler(endpoint)
    return _handlers[endpoint]


def _find_handler(endpoint: str) -> Handler | None:
    if passthrough_url(endpoint):
        return None
    for service, pattern in backend_index.backend_url_patterns:
        if not pattern.match(endpoint):
            continue
        if passthrough_service(service) or not service_whitelisted(service):
            return None
        backend_dict = backends.get_backend(service)
        if isinstance(backend_dict, BackendDict):
            regions = backend_dict[DEFAULT_ACCOUNT_ID]
            backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
        else:
            backend = backend_dict["global"]
        for url, handler in backend.urls.items():
            if re.compile(url).match(endpoint):
                return handler
        return None
    return None


def _as_read(answer: dict[str, Any]) -> dict[str, Any]:
    """GetRecords' answer as botocore reads it off the wire: each record's time to the
    millisecond, in local time; and copies of moto's records, which the caller may change."""
    records = copy.deepcopy(answer.get("Records", []))
    for record in records:
        stream = record["dynamodb"]
        moment = stream["ApproximateCreationDateTime"]
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        milliseconds = int(moment.timestamp() * 1000)
        stream["ApproximateCreationDateTime"] = datetime.fromtimestamp(
            milliseconds / 1000, tzlocal()
        )
    return {**answer, "Records": records}


def _add_modeled_error_fields(parsed: dict, response: dict, model: Any, parser: Any) -> None:
    """What botocore's endpoint adds to an error: the fields its error shape models
    (`CancellationReasons`, the `Item` a failed condition returns)."""
    code = parsed.get("Error", {}).get("Code")
    shape = model.service_model.shape_for_error_code(code) if code else None
    if shape is not None:
        parsed.update(parser.parse(response, shape))


def _serialized(original: Any) -> Any:
    def serialized(response: BaseResponse, action_result: ActionResult) -> Any:
        if getattr(_state, "capturing", False) and not isinstance(action_result.result, Exception):
            _state.captured = action_result.result
            return 200, {"content-type": JSON_CONTENT_TYPE}, ""
        if response.service_name == "dynamodb":
            _counts["serialized"] += 1
        return original(response, action_result)

    return serialized


botocore.handlers.BUILTIN_HANDLERS.extend((event, _answer) for event in EVENTS)


@contextmanager
def answering_in_process() -> Iterator[None]:
    _enabled[0] += 1
    try:
        with mock.patch.object(BaseResponse, "serialized", _serialized(BaseResponse.serialized)):
            yield
    finally:
        _enabled[0] -= 1
