"""Reads of the booking table, one method per access pattern. Queries and gets only — no scans.

- list venues by name: gsi1 where gsi1pk = `VENUE`
- get a venue: pk = `VENUE#<vid>`, sk = `META`
- a venue's slots starting in [from, to), by start: pk = `VENUE#<vid>`,
  sk BETWEEN `SLOT#<from>` AND `SLOT#<to>` (open ends: `SLOT#` and `SLOT#~`)
- get a slot: pk = `VENUE#<vid>`, sk = `SLOT#<slotId>`
- a user's bookings, newest first: pk = `USER#<sub>`, sk begins_with `BOOKING#`, descending;
  then one BatchGetItem of the bookings the refs name
- a venue's bookings, newest first: gsi1 where gsi1pk = `VENUE#<vid>`, gsi1sk begins_with
  `BOOKING#`, descending
- get a booking: pk = `BOOKING#<bid>`, sk = `META`
- holds expired by a time, oldest first: gsi1 where gsi1pk = `HOLD`, gsi1sk < `<epoch>#`

Lists are paginated: a page carries `next_token`, an opaque token the caller passes back to get
the next page. A token only continues the list it came from; any other is a ValidationError.
"""

import base64
import binascii
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from boto3.dynamodb.conditions import Key

from . import keys
from .entities import Booking, BookingRef, Hold, Item, Slot, Venue
from .errors import ValidationError
from .layout import GSI1, GSI1_PK, GSI1_SK, PK, SK

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
BATCH_GET_LIMIT = 100
BATCH_GET_ATTEMPTS = 8


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


class BookingRepository:
    """Reads entities from one table (a boto3 `Table` resource)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def list_venues(
        self, limit: int = DEFAULT_PAGE_SIZE, next_token: str | None = None
    ) -> Page[Venue]:
        return self._query_page(
            Venue.from_item,
            limit,
            next_token,
            index=GSI1,
            partition=(GSI1_PK, keys.VENUES_PARTITION),
            sort_condition=None,
        )

    def get_venue(self, venue_id: str) -> Venue | None:
        return self._get(keys.venue_key(venue_id), Venue.from_item)

    def venue_slots(
        self,
        venue_id: str,
        starts_from: datetime | None = None,
        starts_before: datetime | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        next_token: str | None = None,
    ) -> Page[Slot]:
        """Slots starting in [starts_from, starts_before), earliest first; either end optional."""
        if starts_from and starts_before and starts_from >= starts_before:
            raise ValidationError("the window's start must be before its end")
        lower = keys.slot_range_bound(starts_from) if starts_from else keys.SLOT_PREFIX
        upper = keys.slot_range_bound(starts_before) if starts_before else keys.SLOT_RANGE_END
        partition = keys.venue_key(venue_id)[PK]
        return self._query_page(
            Slot.from_item,
            limit,
            next_token,
            index=None,
            partition=(PK, partition),
            sort_condition=Key(SK).between(lower, upper),
        )

    def get_slot(self, venue_id: str, slot_id: str) -> Slot | None:
        return self._get(keys.slot_key(venue_id, slot_id), Slot.from_item)

    def user_bookings(
        self, user_sub: str, limit: int = DEFAULT_PAGE_SIZE, next_token: str | None = None
    ) -> Page[Booking]:
        """The user's bookings, newest first: a page of refs, then the bookings in one batch."""
        refs = self._query_page(
            BookingRef.from_item,
            limit,
            next_token,
            index=None,
            partition=(PK, keys.user_partition(user_sub)),
            sort_condition=Key(SK).begins_with(keys.BOOKING_PREFIX),
            newest_first=True,
        )
        bookings = self._batch_get([keys.booking_key(ref.booking_id) for ref in refs.items])
        by_id = {booking.booking_id: booking for booking in map(Booking.from_item, bookings)}
        return Page(
            [by_id[r.booking_id] for r in refs.items if r.booking_id in by_id], refs.next_token
        )

    def venue_bookings(
        self, venue_id: str, limit: int = DEFAULT_PAGE_SIZE, next_token: str | None = None
    ) -> Page[Booking]:
        partition = keys.venue_key(venue_id)[PK]
        return self._query_page(
            Booking.from_item,
            limit,
            next_token,
            index=GSI1,
            partition=(GSI1_PK, partition),
            sort_condition=Key(GSI1_SK).begins_with(keys.BOOKING_PREFIX),
            newest_first=True,
        )

    def get_booking(self, booking_id: str) -> Booking | None:
        return self._get(keys.booking_key(booking_id), Booking.from_item)

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

    def _get(self, key: dict[str, str], build: Callable[[Item], T]) -> T | None:
        item = self.table.get_item(Key=key, ConsistentRead=True).get("Item")
        return None if item is None else build(item)

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

    def _batch_get(self, item_keys: list[dict[str, str]]) -> list[Item]:
        """BatchGetItem, retrying what DynamoDB leaves unprocessed. The table's client is boto3's
        resource-layer client, which converts items to and from DynamoDB's typed form itself."""
        client = self.table.meta.client
        found: list[Item] = []
        pending = list(item_keys)
        while pending:
            batch, pending = pending[:BATCH_GET_LIMIT], pending[BATCH_GET_LIMIT:]
            request = {self.table.name: {"Keys": batch, "ConsistentRead": True}}
            for attempt in range(BATCH_GET_ATTEMPTS):
                response = client.batch_get_item(RequestItems=request)
                found += response["Responses"].get(self.table.name, [])
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError("BatchGetItem left keys unprocessed after every retry")
        return found


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
