"""Entities to and from items: round trips, and malformed items named precisely."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.entities import Booking, BookingRef, Hold, Payment, Slot, Venue
from domain.errors import MalformedItem
from domain.statuses import BookingStatus, PaymentStatus, SlotStatus

VENUE = Venue("v1", "Chez Nous", "owner-sub", "2026-11-01T09:00:00Z")
SLOT = Slot("v1", "20261201T190000Z-ab12cd34", "2026-12-01T19:00:00Z", "2026-12-01T21:00:00Z", 4500)
HELD = Slot(
    "v1",
    "20261201T190000Z-ab12cd34",
    "2026-12-01T19:00:00Z",
    "2026-12-01T21:00:00Z",
    4500,
    SlotStatus.HELD,
    hold_expires_at=1_795_000_900,
    booking_id="b1",
)
BOOKING = Booking(
    "b1",
    "user-sub",
    "v1",
    SLOT.slot_id,
    SLOT.starts_at,
    4500,
    BookingStatus.FAILED,
    "2026-11-21T10:00:00Z",
    "2026-11-21T10:00:05Z",
    failure_reason="PaymentDeclined",
)
REF = BookingRef("user-sub", "b1", "v1", SLOT.slot_id, "2026-11-21T10:00:00Z")
HOLD = Hold("b1", "v1", SLOT.slot_id, 1_795_000_000)
PAYMENT = Payment("b1", "ch_1", 4500, PaymentStatus.CHARGED, "2026-11-21T10:00:02Z")
ALL = [VENUE, SLOT, HELD, BOOKING, REF, HOLD, PAYMENT]


def _as_read_back(item: dict) -> dict:
    """Numbers come back from DynamoDB as Decimal."""
    return {
        k: Decimal(v) if isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in item.items()
    }


@pytest.mark.parametrize("entity", ALL, ids=lambda e: type(e).__name__)
def test_round_trip(entity):
    assert type(entity).from_item(_as_read_back(entity.to_item())) == entity


def test_items_carry_their_keys_and_kind():
    assert SLOT.to_item()["pk"] == "VENUE#v1"
    assert SLOT.to_item()["entity"] == "Slot"
    assert "holdExpiresAt" not in SLOT.to_item()  # absent, not null
    assert HELD.to_item()["holdExpiresAt"] == 1_795_000_900
    assert BOOKING.to_item()["gsi1pk"] == "VENUE#v1"
    assert VENUE.to_item()["gsi1sk"] == "chez nous#v1"
    assert HOLD.to_item()["expiresAt"] == 1_795_000_000


@pytest.mark.parametrize(
    ("entity", "change", "message"),
    [
        (VENUE, {"name": None}, "attribute 'name' is missing or not a non-empty string"),
        (VENUE, {"entity": "Slot"}, "attribute 'entity' is 'Slot', expected 'Venue'"),
        (SLOT, {"status": "GONE"}, "attribute 'status' is 'GONE', not one of"),
        (SLOT, {"price": Decimal("12.5")}, "attribute 'price' is not a whole number"),
        (SLOT, {"price": "12"}, "attribute 'price' is not a whole number"),
        (SLOT, {"startsAt": "soon"}, "attribute 'startsAt' is not an ISO 8601 time"),
        (HELD, {"holdExpiresAt": "soon"}, "attribute 'holdExpiresAt' is not a whole number"),
        (BOOKING, {"status": None}, "attribute 'status' is None, not one of"),
        (REF, {"bookingId": ""}, "attribute 'bookingId' is missing or not a non-empty string"),
        (HOLD, {"expiresAt": True}, "attribute 'expiresAt' is not a whole number"),
    ],
)
def test_malformed_items_name_entity_key_and_attribute(entity, change, message):
    item = {**_as_read_back(entity.to_item()), **change}
    item = {k: v for k, v in item.items() if v is not None}
    with pytest.raises(MalformedItem) as raised:
        type(entity).from_item(item)
    assert message in str(raised.value)
    assert f"{type(entity).__name__} item '{item['pk']}'/'{item['sk']}'" in str(raised.value)


def test_a_non_mapping_is_malformed():
    with pytest.raises(MalformedItem, match="Slot item is not a mapping"):
        Slot.from_item(["pk"])


VALUES = st.none() | st.integers() | st.decimals(allow_nan=False) | st.text("OPENHLDBK0129-:TZ#")


@given(st.dictionaries(st.sampled_from(list(SLOT.to_item())), VALUES))
def test_arbitrary_items_either_parse_or_fail_cleanly(overrides):
    item = {**SLOT.to_item(), **overrides}
    try:
        slot = Slot.from_item(item)
    except MalformedItem:
        return
    assert isinstance(slot.price, int)
    assert slot.status in SlotStatus
