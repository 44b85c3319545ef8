"""Key builders for every entity in the table, and the ids inside them.

| entity     | pk              | sk                    | gsi1pk        | gsi1sk                |
| ---------- | --------------- | --------------------- | ------------- | --------------------- |
| Venue      | `VENUE#<vid>`   | `META`                | `VENUE`       | `<name folded>#<vid>` |
| Slot       | `VENUE#<vid>`   | `SLOT#<slotId>`       |               |                       |
| Booking    | `BOOKING#<bid>` | `META`                | `VENUE#<vid>` | `BOOKING#<at>#<bid>`  |
| BookingRef | `USER#<sub>`    | `BOOKING#<at>#<bid>`  |               |                       |
| Hold       | `HOLD#<bid>`    | `META`                | `HOLD`        | `<expiresAt>#<bid>`   |
| Payment    | `PAYMENT#<bid>` | `META`                |               |                       |

`<at>` is the booking's `createdAt`, so a user's or a venue's bookings sort by creation.

A slot id begins with its start time in compact form (`20261201T190000Z-3f9a1c2e`), so a slot
is addressed by (venue, slot id) alone — what `bookSlot` receives — while the venue's slots still
sort by start time and a time window is a key range.

Ids never contain `#`: an id is checked before it becomes part of a key, so no input can reach
into another entity's key space.
"""

import re

from .errors import ValidationError
from .layout import GSI1_PK, GSI1_SK, MODEL, PK, SK

_PREFIXES = MODEL["keyPrefixes"]
META: str = MODEL["meta"]
VENUES_PARTITION: str = MODEL["venuesPartition"]
HOLDS_PARTITION: str = MODEL["holdsPartition"]
VENUE_PREFIX: str = _PREFIXES["venue"]
SLOT_PREFIX: str = _PREFIXES["slot"]
BOOKING_PREFIX: str = _PREFIXES["booking"]
USER_PREFIX: str = _PREFIXES["user"]
HOLD_PREFIX: str = _PREFIXES["hold"]
PAYMENT_PREFIX: str = _PREFIXES["payment"]
IDEMPOTENCY_PREFIX: str = _PREFIXES["idempotency"]
SEPARATOR = "#"

ID_PATTERN = re.compile(MODEL["idPatterns"]["id"])
SUB_PATTERN = re.compile(MODEL["idPatterns"]["sub"])
SLOT_ID_PATTERN = re.compile(MODEL["idPatterns"]["slotId"])

Key = dict[str, str]


def checked_id(value: object, field: str, pattern: re.Pattern[str] = ID_PATTERN) -> str:
    """An id that is safe to embed in a key, or a ValidationError naming the field."""
    if not isinstance(value, str) or not pattern.match(value):
        raise ValidationError(f"{field} is not a valid id: {value!r}")
    return value


def venue_key(venue_id: str) -> Key:
    return {PK: VENUE_PREFIX + checked_id(venue_id, "venueId"), SK: META}


def venue_index_keys(venue_id: str, name: str) -> Key:
    return {GSI1_PK: VENUES_PARTITION, GSI1_SK: f"{name.lower()}{SEPARATOR}{venue_id}"}


def slot_key(venue_id: str, slot_id: str) -> Key:
    return {
        PK: VENUE_PREFIX + checked_id(venue_id, "venueId"),
        SK: SLOT_PREFIX + checked_id(slot_id, "slotId", SLOT_ID_PATTERN),
    }


def booking_key(booking_id: str) -> Key:
    return {PK: BOOKING_PREFIX + checked_id(booking_id, "bookingId"), SK: META}


def booking_index_keys(venue_id: str, created_at: str, booking_id: str) -> Key:
    return {
        GSI1_PK: VENUE_PREFIX + venue_id,
        GSI1_SK: f"{BOOKING_PREFIX}{created_at}{SEPARATOR}{booking_id}",
    }


def user_partition(user_sub: str) -> str:
    return USER_PREFIX + checked_id(user_sub, "user", SUB_PATTERN)


def booking_ref_key(user_sub: str, created_at: str, booking_id: str) -> Key:
    return {
        PK: user_partition(user_sub),
        SK: f"{BOOKING_PREFIX}{created_at}{SEPARATOR}{checked_id(booking_id, 'bookingId')}",
    }


def hold_key(booking_id: str) -> Key:
    return {PK: HOLD_PREFIX + checked_id(booking_id, "bookingId"), SK: META}


def hold_index_keys(expires_at: int, booking_id: str) -> Key:
    """Holds by expiry: those expired by `t` are the keys below `hold_expiry_bound(t)`."""
    return {GSI1_PK: HOLDS_PARTITION, GSI1_SK: f"{expires_at}{SEPARATOR}{booking_id}"}


def hold_expiry_bound(epoch_seconds: int) -> str:
    """The index sort key above every hold expiring before `epoch_seconds` (10-digit epochs
    sort as numbers until the year 2286)."""
    return f"{epoch_seconds}{SEPARATOR}"


def payment_key(booking_id: str) -> Key:
    return {PK: PAYMENT_PREFIX + checked_id(booking_id, "bookingId"), SK: META}
