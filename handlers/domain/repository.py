"""The reads the functions make of the booking table: holds expired by a time, oldest first,
from the holds index (gsi1 where gsi1pk = `HOLD`, gsi1sk < `<epoch>#`), for the sweeper. A
query, never a scan. Every other read goes through the API's resolvers (`handlers/api`).

Lists are paginated: a page carries `next_token`, an opaque token the caller passes back to get
the next page. A token only continues the list it came from; any other is a ValidationError.
"""

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from boto3.dynamodb.conditions import Key

from . import keys
from .entities import Hold, Item
from .errors import ValidationError
from .layout import GSI1, GSI1_PK, GSI1_SK, PK, SK

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


class BookingRepository:
    """Reads entities from one table (a boto3 `Table` resource)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def expired_holds(
        self, now_epoch: int, limit: int = MAX_PAGE_SIZE, next_token: str | None = None
    ) -> Page[Hold]:
        """Hold markers whose expiry is before `now_epoch`, oldest first (the holds index)."""
        return self._query_page(
            Hold.from_item,
            limit,
            next_token,
            index=GSI1,
            partition=(GSI1_PK, keys.HOLDS_PARTITION),
            sort_condition=Key(GSI1_SK).lt(keys.hold_expiry_bound(now_epoch)),
        )

    def _query_page(
        self,
        build: Callable[[Item], T],
        limit: int,
        next_token: str | None,
        *,
        index: str | None,
        partition: tuple[str, str],
        sort_condition: Any,
        newest_first: bool = False,
    ) -> Page[T]:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationError(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
        attribute, value = partition
        condition = Key(attribute).eq(value)
        if sort_condition is not None:
            condition = condition & sort_condition
        request: dict[str, Any] = {
            "KeyConditionExpression": condition,
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if index:
            request["IndexName"] = index
        if next_token is not None:
            request["ExclusiveStartKey"] = _decode_token(next_token, partition)
        response = self.table.query(**request)
        last = response.get("LastEvaluatedKey")
        return Page([build(item) for item in response["Items"]], _encode_token(last))


def _encode_token(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    text = json.dumps(last_key, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_token(token: object, partition: tuple[str, str]) -> dict[str, str]:
    """The start key a token encodes, accepted only if it continues this partition's list."""
    invalid = ValidationError("nextToken is not a token this list returned")
    if not isinstance(token, str) or not token or len(token) > 2048:
        raise invalid
    try:
        padded = token + "=" * (-len(token) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    attribute, value = partition
    if (
        not isinstance(key, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in key.items())
        or key.get(attribute) != value
        or not {PK, SK} <= key.keys()
    ):
        raise invalid
    return key
