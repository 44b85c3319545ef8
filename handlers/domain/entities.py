"""The entities in the table and their conversion to and from DynamoDB items.

Each entity is a frozen dataclass; its fields are its attributes (camelCase in the item unless a
field names its attribute), read back by their type hints. `to_item` gives the whole item, keys
included, leaving out absent values; `from_item` accepts an item as boto3's resource layer
returns it (numbers as Decimal) and raises `MalformedItem` — naming the entity, the key and the
attribute — instead of building half an entity.
"""

import types
from abc import ABC, abstractmethod
from dataclasses import Field, dataclass, field, fields
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, NoReturn, Self, Union, get_args, get_origin
from typing import get_type_hints as type_hints

from . import keys
from .errors import MalformedItem, ValidationError
from .instants import parse_instant
from .layout import PK, SK, TTL_ATTRIBUTE
from .statuses import BookingStatus, PaymentStatus, SlotStatus

ENTITY = "entity"
INSTANT = "instant"
Item = dict[str, Any]
Instant = Annotated[str, INSTANT]
"""A time as the table stores it: `2026-12-01T19:00:00Z`."""


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

    def read(self, attribute: str, hint: Any) -> Any:
        """The attribute as `hint` says: text, whole number, instant, status, or optional."""
        if get_origin(hint) in (Union, types.UnionType):
            if self.item.get(attribute) is None:
                return None
            [hint] = [arg for arg in get_args(hint) if arg is not type(None)]
        if hint is int:
            return self._integer(attribute)
        if isinstance(hint, type) and issubclass(hint, StrEnum):
            return self._status(attribute, hint)
        text = self._text(attribute)
        if INSTANT in getattr(hint, "__metadata__", ()):
            try:
                parse_instant(text, attribute)
            except ValidationError:
                self.fail(attribute, f"is not an ISO 8601 time: {text!r}")
        return text

    def _text(self, attribute: str) -> str:
        value = self.item.get(attribute)
        if not isinstance(value, str) or not value:
            self.fail(attribute, "is missing or not a non-empty string")
        return value

    def _integer(self, attribute: str) -> int:
        value = self.item.get(attribute)
        whole = isinstance(value, int) and not isinstance(value, bool)
        whole = whole or (isinstance(value, Decimal) and value.is_finite() and value % 1 == 0)
        if not whole:
            self.fail(attribute, f"is not a whole number: {value!r}")
        return int(value)

    def _status(self, attribute: str, statuses: type[StrEnum]) -> StrEnum:
        value = self.item.get(attribute)
        try:
            return statuses(value)
        except ValueError:
            self.fail(attribute, f"is {value!r}, not one of {[s.value for s in statuses]}")


def _attribute(entity_field: Field) -> str:
    """The item attribute a field is stored in: its camelCase name unless it names another."""
    if "attribute" in entity_field.metadata:
        return entity_field.metadata["attribute"]
    head, *rest = entity_field.name.split("_")
    return head + "".join(word.capitalize() for word in rest)


@dataclass(frozen=True)
class Entity(ABC):
    """What every entity shares: its kind, its keys, and the mapping to and from an item."""

    KIND: ClassVar[str]

    @abstractmethod
    def keys(self) -> Item:
        """The item's primary key and any index keys."""

    def to_item(self) -> Item:
        item = {**self.keys(), ENTITY: self.KIND}
        for entity_field in fields(self):
            value = getattr(self, entity_field.name)
            if value is not None:  # DynamoDB items leave absent attributes out
                item[_attribute(entity_field)] = value
        return item

    @classmethod
    def from_item(cls, item: Item) -> Self:
        reader = _Reader(item, cls.KIND)
        hints = type_hints(cls, include_extras=True)
        return cls(**{f.name: reader.read(_attribute(f), hints[f.name]) for f in fields(cls)})


@dataclass(frozen=True)
class Venue(Entity):
    KIND: ClassVar[str] = "Venue"
    venue_id: str
    name: str
    owner_sub: str
    created_at: Instant

    def keys(self) -> Item:
        return {**keys.venue_key(self.venue_id), **keys.venue_index_keys(self.venue_id, self.name)}


@dataclass(frozen=True)
class Slot(Entity):
    KIND: ClassVar[str] = "Slot"
    venue_id: str
    slot_id: str
    starts_at: Instant
    ends_at: Instant
    price: int
    """In the currency's minor unit (cents)."""
    status: SlotStatus = SlotStatus.OPEN
    hold_expires_at: int | None = None
    """Epoch seconds after which a HELD slot may be claimed again."""
    booking_id: str | None = None

    def keys(self) -> Item:
        return keys.slot_key(self.venue_id, self.slot_id)


@dataclass(frozen=True)
class Booking(Entity):
    KIND: ClassVar[str] = "Booking"
    booking_id: str
    user_sub: str
    venue_id: str
    slot_id: str
    starts_at: Instant
    price: int
    status: BookingStatus
    created_at: Instant
    updated_at: Instant
    failure_reason: str | None = None
    charge_id: str | None = None
    refund_id: str | None = None
    """The refund of its charge, once a cancellation refunded it."""

    def keys(self) -> Item:
        return {
            **keys.booking_key(self.booking_id),
            **keys.booking_index_keys(self.venue_id, self.created_at, self.booking_id),
        }


@dataclass(frozen=True)
class BookingRef(Entity):
    """Points from a user's partition to one of their bookings, newest first by sort key."""

    KIND: ClassVar[str] = "BookingRef"
    user_sub: str
    booking_id: str
    venue_id: str
    slot_id: str
    created_at: Instant

    def keys(self) -> Item:
        return keys.booking_ref_key(self.user_sub, self.created_at, self.booking_id)


@dataclass(frozen=True)
class Payment(Entity):
    """The mock payment provider's ledger: one charge per booking, refundable once."""

    KIND: ClassVar[str] = "Payment"
    booking_id: str
    charge_id: str
    amount: int
    status: PaymentStatus
    charged_at: Instant
    refund_id: str | None = None
    refunded_at: Instant | None = None

    def keys(self) -> Item:
        return keys.payment_key(self.booking_id)


@dataclass(frozen=True)
class Hold(Entity):
    """Marks a booking's claim on a slot; DynamoDB TTL removes it some time after `expires_at`."""

    KIND: ClassVar[str] = "Hold"
    booking_id: str
    venue_id: str
    slot_id: str
    expires_at: int = field(metadata={"attribute": TTL_ATTRIBUTE})
    """Epoch seconds, in the attribute TTL reads."""

    def keys(self) -> Item:
        return {
            **keys.hold_key(self.booking_id),
            **keys.hold_index_keys(self.expires_at, self.booking_id),
        }
