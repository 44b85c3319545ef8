"""The DynamoDB data source: AppSync's request objects as DynamoDB calls, and results shaped as
AppSync shapes them (plain JSON items, `{items, nextToken, scannedCount}`, cancellation reasons).

Attribute values in requests are DynamoDB JSON (what `util.dynamodb.toMapValues` makes); items in
results are plain JSON. A `nextToken` is opaque: it encodes the last evaluated key together with
a digest of the query it continues, so it cannot be replayed against another query.
"""

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer
from botocore.exceptions import ClientError

from local.aws.appsync.sources import SourceResult

ERROR_PREFIX = "DynamoDB:"
_deserializer = TypeDeserializer()


class DynamoDbSource:
    """One AMAZON_DYNAMODB data source: its table, through a boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name
        self._operations: dict[str, Callable[[dict[str, Any]], SourceResult]] = {
            "GetItem": self._get,
            "PutItem": self._put,
            "UpdateItem": self._update,
            "DeleteItem": self._delete,
            "Query": self._query,
            "Scan": self._scan,
            "BatchGetItem": self._batch_get,
            "TransactGetItems": self._transact_get,
            "TransactWriteItems": self._transact_write,
        }

    def call(self, request: Any) -> SourceResult:
        operation = request.get("operation") if isinstance(request, dict) else None
        handler = self._operations.get(operation)
        if handler is None:
            return SourceResult.failed(
                "MappingTemplate",
                f"unsupported DynamoDB operation {operation!r}; one of {sorted(self._operations)}",
            )
        try:
            return handler(request)
        except ClientError as error:
            details = error.response["Error"]
            return SourceResult.failed(ERROR_PREFIX + details["Code"], details["Message"])
        except (KeyError, TypeError, ValueError) as error:
            return SourceResult.failed("MappingTemplate", f"malformed {operation} request: {error}")

    def _get(self, request: dict[str, Any]) -> SourceResult:
        found = self.client.get_item(
            TableName=self.table,
            Key=request["key"],
            ConsistentRead=bool(request.get("consistentRead", False)),
            **_projection(request.get("projection")),
        )
        return SourceResult(result=plain_item(found.get("Item")))

    def _put(self, request: dict[str, Any]) -> SourceResult:
        item = {**request.get("attributeValues", {}), **request["key"]}
        self.client.put_item(
            TableName=self.table, Item=item, **_expressions(condition=request.get("condition"))
        )
        return SourceResult(result=plain_item(item))

    def _update(self, request: dict[str, Any]) -> SourceResult:
        update = request["update"]
        answer = self.client.update_item(
            TableName=self.table,
            Key=request["key"],
            UpdateExpression=update["expression"],
            ReturnValues="ALL_NEW",
            **_expressions(update, request.get("condition")),
        )
        return SourceResult(result=plain_item(answer.get("Attributes")))

    def _delete(self, request: dict[str, Any]) -> SourceResult:
        answer = self.client.delete_item(
            TableName=self.table,
            Key=request["key"],
            ReturnValues="ALL_OLD",
            **_expressions(condition=request.get("condition")),
        )
        return SourceResult(result=plain_item(answer.get("Attributes")))

    def _query(self, request: dict[str, Any]) -> SourceResult:
        query = request["query"]
        arguments: dict[str, Any] = {
            "KeyConditionExpression": query["expression"],
            "ScanIndexForward": bool(request.get("scanIndexForward", True)),
            **_expressions(query, filter_=request.get("filter")),
        }
        return self._page("query", request, arguments)

    def _scan(self, request: dict[str, Any]) -> SourceResult:
        arguments: dict[str, Any] = _expressions(filter_=request.get("filter"))
        for field, name in (("segment", "Segment"), ("totalSegments", "TotalSegments")):
            if request.get(field) is not None:
                arguments[name] = request[field]
        return self._page("scan", request, arguments)

    def _page(
        self, method: str, request: dict[str, Any], arguments: dict[str, Any]
    ) -> SourceResult:
        if request.get("index"):
            arguments["IndexName"] = request["index"]
        if request.get("consistentRead"):
            arguments["ConsistentRead"] = True
        digest = _digest(method, self.table, arguments)  # a page size may change between pages
        if request.get("limit") is not None:
            arguments["Limit"] = int(request["limit"])
        if request.get("nextToken"):
            start = _read_token(request["nextToken"], digest)
            if start is None:
                return SourceResult.failed(
                    ERROR_PREFIX + "ValidationException",
                    "the nextToken is not one this query returned",
                )
            arguments["ExclusiveStartKey"] = start
        answer = getattr(self.client, method)(TableName=self.table, **arguments)
        last = answer.get("LastEvaluatedKey")
        return SourceResult(
            result={
                "items": [plain_item(item) for item in answer.get("Items", [])],
                "nextToken": _token(last, digest) if last else None,
                "scannedCount": answer.get("ScannedCount", 0),
            }
        )

    def _batch_get(self, request: dict[str, Any]) -> SourceResult:
        tables: dict[str, Any] = request["tables"]
        wanted = {
            name: {"Keys": spec["keys"], "ConsistentRead": bool(spec.get("consistentRead", False))}
            for name, spec in tables.items()
            if spec["keys"]
        }
        found: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
        unprocessed: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
        if wanted:
            answer = self.client.batch_get_item(RequestItems=wanted)
            found.update(answer.get("Responses", {}))
            for name, rest in answer.get("UnprocessedKeys", {}).items():
                unprocessed[name] = [plain_item(key) for key in rest["Keys"]]
        data = {}
        for name, spec in tables.items():
            # AppSync answers in the order of the keys asked for, null where nothing was found.
            by_key = {_key_of(item, spec["keys"]): item for item in found[name]}
            data[name] = [plain_item(by_key.get(_canonical(key))) for key in spec["keys"]]
        return SourceResult(result={"data": data, "unprocessedKeys": unprocessed})

    def _transact_get(self, request: dict[str, Any]) -> SourceResult:
        items = [
            {"Get": {"TableName": entry["table"], "Key": entry["key"]}}
            for entry in request["transactItems"]
        ]
        try:
            answer = self.client.transact_get_items(TransactItems=items)
        except ClientError as error:
            return _cancelled(error, "items")
        found = [plain_item(response.get("Item")) for response in answer["Responses"]]
        return SourceResult(result={"items": found, "cancellationReasons": None})

    def _transact_write(self, request: dict[str, Any]) -> SourceResult:
        items = [_transact_write_item(entry) for entry in request["transactItems"]]
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            return _cancelled(error, "keys")
        keys = [plain_item(entry["key"]) for entry in request["transactItems"]]
        return SourceResult(result={"keys": keys, "cancellationReasons": None})


def _transact_write_item(entry: dict[str, Any]) -> dict[str, Any]:
    operation = entry["operation"]
    common = {"TableName": entry["table"]}
    if operation == "PutItem":
        item = {**entry.get("attributeValues", {}), **entry["key"]}
        return {"Put": {**common, "Item": item, **_expressions(condition=entry.get("condition"))}}
    if operation == "UpdateItem":
        update = entry["update"]
        return {
            "Update": {
                **common,
                "Key": entry["key"],
                "UpdateExpression": update["expression"],
                **_expressions(update, entry.get("condition")),
            }
        }
    if operation == "DeleteItem":
        return {
            "Delete": {
                **common,
                "Key": entry["key"],
                **_expressions(condition=entry.get("condition")),
            }
        }
    if operation == "ConditionCheck":
        return {
            "ConditionCheck": {
                **common,
                "Key": entry["key"],
                **_expressions(condition=entry["condition"]),
            }
        }
    raise ValueError(f"unsupported transaction operation {operation!r}")


def _cancelled(error: ClientError, emptied: str) -> SourceResult:
    """A cancelled transaction: the reasons, one per item, as AppSync passes them to ctx.result."""
    details = error.response["Error"]
    if details["Code"] != "TransactionCanceledException":
        raise error
    reasons = [
        {"type": reason.get("Code", "None"), "message": reason.get("Message")}
        for reason in error.response.get("CancellationReasons", [])
    ]
    return SourceResult.failed(
        ERROR_PREFIX + details["Code"],
        details["Message"],
        result={emptied: None, "cancellationReasons": reasons},
    )


def _expressions(
    main: dict[str, Any] | None = None,
    condition: dict[str, Any] | None = None,
    filter_: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Condition and filter expressions, with the names and values of every part merged."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    arguments: dict[str, Any] = {}
    for part, argument in (
        (main, None),
        (condition, "ConditionExpression"),
        (filter_, "FilterExpression"),
    ):
        if not part:
            continue
        names.update(part.get("expressionNames") or {})
        values.update(part.get("expressionValues") or {})
        if argument:
            arguments[argument] = part["expression"]
    if names:
        arguments["ExpressionAttributeNames"] = names
    if values:
        arguments["ExpressionAttributeValues"] = values
    return arguments


def _projection(projection: dict[str, Any] | None) -> dict[str, Any]:
    if not projection:
        return {}
    arguments = {"ProjectionExpression": projection["expression"]}
    if projection.get("expressionNames"):
        arguments["ExpressionAttributeNames"] = projection["expressionNames"]
    return arguments


def plain_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """A DynamoDB JSON item as plain JSON: numbers as int or float, binary as base64."""
    if item is None:
        return None
    return {name: plain_value(value) for name, value in item.items()}


def plain_value(value: dict[str, Any]) -> Any:
    """A string as it is (most attributes are: ~3 µs each through the deserializer, and a page
    of 100 items has a thousand); any other value through boto3's deserializer."""
    if len(value) == 1 and type(value.get("S")) is str:
        return value["S"]
    return _plain(_deserializer.deserialize(value))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return base64.b64encode(value.value).decode()
    if isinstance(value, set):
        return sorted(_plain(member) for member in value)
    if isinstance(value, list):
        return [_plain(member) for member in value]
    if isinstance(value, dict):
        return {name: _plain(member) for name, member in value.items()}
    return value


def _canonical(key: dict[str, Any]) -> str:
    return json.dumps(key, sort_keys=True)


def _key_of(item: dict[str, Any], keys: list[dict[str, Any]]) -> str:
    attributes = keys[0].keys() if keys else ()
    return _canonical({name: item[name] for name in attributes if name in item})


def _digest(method: str, table: str, arguments: dict[str, Any]) -> str:
    text = json.dumps([method, table, arguments], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _token(last_key: dict[str, Any], digest: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"k": last_key, "q": digest}).encode()).decode()


def _read_token(token: Any, digest: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(decoded, dict) or decoded.get("q") != digest:
        return None
    key = decoded.get("k")
    return key if isinstance(key, dict) else None
