"""The entities in the table and their conversion to and from DynamoDB items.

`to_item` gives the whole item, keys included; `from_item` accepts an item as boto3's resource
layer returns it (numbers as Decimal) and raises `MalformedItem` — naming the entity, the key and
the attribute — instead of building half an entity.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, NoReturn, Self, TypeVar

from . import keys
from .errors import MalformedItem, ValidationError
from .instants import parse_instant
from .layout import PK, SK, TTL_ATTRIBUTE
from .statuses import BookingStatus, SlotStatus

ENTITY = "entity"
Item = dict[str, Any]
S = TypeVar("S", bound=StrEnum)


class _Reader:
    """Typed reads from one item, each failure naming what is wrong with it."""

    def __init__(self, item: Item, entity: str) -> None:
        if not isinstance(item, dict):
            raise MalformedItem(f"{entity} item is not a mapping: {type(item).__name__}")
        self.item = item
        self.entity = entity
        if item.get(ENTITY) != entity:
            self.fail(ENTITY, f"is {item.get(ENTITY)!r}, expected {entity!r}")

    def fail(self, attribute: str, problem: str) -> NoReturn:
        where = f"{self.item.get(PK)!r}/{self.item.get(SK)!r}"
        raise MalformedItem(f"{self.entity} item {where}: attribute '{attribute}' {problem}")

    def text(self, attribute: str) -> str:
        value = self.item.get(attribute)
        if not isinstance(value, str) or not value:
            self.fail(attribute, "is missing or not a non-empty string")
        return value

    def optional_text(self, attribute: str) -> str | None:
        return None if self.item.get(attribute) is None else self.text(attribute)

    def integer(self, attribute: str) -> int:
        value = self.item.get(attribute)
        whole = isinstance(value, int) and not isinstance(value, bool)
        whole = whole or (isinstance(value, Decimal) and value.is_finite() and value % 1 == 0)
        if not whole:
            self.fail(attribute, f"is not a whole number: {value!r}")
        return int(value)

    def instant(self, attribute: str) -> str:
        value = self.text(attribute)
        try:
            parse_instant(value, attribute)
        except ValidationError:
            self.fail(attribute, f"is not an ISO 8601 time: {value!r}")
        return value

    def optional_instant(self, attribute: str) -> str | None:
        return None if self.item.get(attribute) is None else self.instant(attribute)

    def status(self, attribute: str, statuses: type[S]) -> S:
        value = self.item.get(attribute)
        try:
            return statuses(value)
        except ValueError:
            self.fail(attribute, f"is {value!r}, not one of {[s.value for s in statuses]}")


def _without_none(item: Item) -> Item:
    """DynamoDB items leave absent attributes out rather than storing nulls."""
    return {key: value for key, value in item.items() if value is not None}


@dataclass(frozen=True)
class Venue:
    KIND: ClassVar[str] = "Venue"
    venue_id: str
    name: str
    owner_sub: str
    created_at: str

    def to_item(self) -> Item:
        return {
            **keys.venue_key(self.venue_id),
            **keys.venue_index_keys(self.venue_id, self.name),
            ENTITY: self.KIND,
            "venueId": self.venue_id,
            "name": self.name,
            "ownerSub": self.owner_sub,
            "createdAt": self.created_at,
        }

    @classmethod
    def from_item(cls, item: Item) -> Self:
        read = _Reader(item, cls.KIND)
        return cls(
            venue_id=read.text("venueId"),
            name=read.text("name"),
            owner_sub=read.text("ownerSub"),
            created_at=read.instant("createdAt"),
        )


@dataclass(frozen=True)
class Slot:
    KIND: ClassVar[str] = "Slot"
    venue_id: str
    slot_id: str
    starts_at: str
    ends_at: str
    price: int
    """In the currency's minor unit (cents)."""
    status: SlotStatus = SlotStatus.OPEN
    hold_expires_at: str | None = None
    booking_id: str | None = None

    def to_item(self) -> Item:
        return _without_none(
            {
                **keys.slot_key(self.venue_id, self.slot_id),
                ENTITY: self.KIND,
                "venueId": self.venue_id,
                "slotId": self.slot_id,
                "startsAt": self.starts_at,
                "endsAt": self.ends_at,
                "price": self.price,
                "status": self.status.value,
                "holdExpiresAt": self.hold_expires_at,
                "bookingId": self.booking_id,
            }
        )

    @classmethod
    def from_item(cls, item: Item) -> Self:
        read = _Reader(item, cls.KIND)
        return cls(
            venue_id=read.text("venueId"),
            slot_id=read.text("slotId"),
            starts_at=read.instant("startsAt"),
            ends_at=read.instant("endsAt"),
            price=read.integer("price"),
            status=read.status("status", SlotStatus),
            hold_expires_at=read.optional_instant("holdExpiresAt"),
            booking_id=read.optional_text("bookingId"),
        )


@dataclass(frozen=True)
class Booking:
    KIND: ClassVar[str] = "Booking"
    booking_id: str
    user_sub: str
    venue_id: str
    slot_id: str
    starts_at: str
    price: int
    status: BookingStatus
    created_at: str
    updated_at: str
    failure_reason: str | None = None

    def to_item(self) -> Item:
        return _without_none(
            {
                **keys.booking_key(self.booking_id),
                **keys.booking_index_keys(self.venue_id, self.created_at, self.booking_id),
                ENTITY: self.KIND,
                "bookingId": self.booking_id,
                "userSub": self.user_sub,
                "venueId": self.venue_id,
                "slotId": self.slot_id,
                "startsAt": self.starts_at,
                "price": self.price,
                "status": self.status.value,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
                "failureReason": self.failure_reason,
            }
        )

    @classmethod
    def from_item(cls, item: Item) -> Self:
        read = _Reader(item, cls.KIND)
        return cls(
            booking_id=read.text("bookingId"),
            user_sub=read.text("userSub"),
            venue_id=read.text("venueId"),
            slot_id=read.text("slotId"),
            starts_at=read.instant("startsAt"),
            price=read.integer("price"),
            status=read.status("status", BookingStatus),
            created_at=read.instant("createdAt"),
            updated_at=read.instant("updatedAt"),
            failure_reason=read.optional_text("failureReason"),
        )


@dataclass(frozen=True)
class BookingRef:
    """Points from a user's partition to one of their bookings, newest first by sort key."""

    KIND: ClassVar[str] = "BookingRef"
    user_sub: str
    booking_id: str
    venue_id: str
    slot_id: str
    created_at: str

    def to_item(self) -> Item:
        return {
            **keys.booking_ref_key(self.user_sub, self.created_at, self.booking_id),
            ENTITY: self.KIND,
            "userSub": self.user_sub,
            "bookingId": self.booking_id,
            "venueId": self.venue_id,
            "slotId": self.slot_id,
            "createdAt": self.created_at,
        }

    @classmethod
    def from_item(cls, item: Item) -> Self:
        read = _Reader(item, cls.KIND)
        return cls(
            user_sub=read.text("userSub"),
            booking_id=read.text("bookingId"),
            venue_id=read.text("venueId"),
            slot_id=read.text("slotId"),
            created_at=read.instant("createdAt"),
        )


@dataclass(frozen=True)
class Hold:
    """Marks a booking's claim on a slot; DynamoDB TTL removes it some time after `expires_at`."""

    KIND: ClassVar[str] = "Hold"
    booking_id: str
    venue_id: str
    slot_id: str
    expires_at: int
    """Epoch seconds, the attribute TTL reads."""

    def to_item(self) -> Item:
        return {
            **keys.hold_key(self.booking_id),
            ENTITY: self.KIND,
            "bookingId": self.booking_id,
            "venueId": self.venue_id,
            "slotId": self.slot_id,
            TTL_ATTRIBUTE: self.expires_at,
        }

    @classmethod
    def from_item(cls, item: Item) -> Self:
        read = _Reader(item, cls.KIND)
        return cls(
            booking_id=read.text("bookingId"),
            venue_id=read.text("venueId"),
            slot_id=read.text("slotId"),
            expires_at=read.integer(TTL_ATTRIBUTE),
        )
