"""Which business metric a status change seen on the stream counts toward."""

import pytest

from domain import business_metrics as bm
from domain.entities import Booking, Slot
from domain.statuses import BookingStatus, SlotStatus

SLOT = Slot(
    venue_id="v1",
    slot_id="20261201T190000Z-abcd",
    starts_at="2026-12-01T19:00:00Z",
    ends_at="2026-12-01T20:00:00Z",
    price=4500,
)


def booking(status: BookingStatus) -> Booking:
    return Booking(
        booking_id="b1",
        user_sub="alice",
        venue_id="v1",
        slot_id=SLOT.slot_id,
        starts_at=SLOT.starts_at,
        price=4500,
        status=status,
        created_at="2026-11-30T10:00:00Z",
        updated_at="2026-11-30T10:00:00Z",
    )


@pytest.mark.parametrize(
    ("status", "counted"),
    [
        (BookingStatus.PENDING, []),
        (BookingStatus.CONFIRMED, ["BookingsConfirmed"]),
        (BookingStatus.FAILED, ["BookingsFailed"]),
        (BookingStatus.CANCELLED, ["BookingsCancelled"]),
        (BookingStatus.EXPIRED, []),
    ],
)
def test_a_booking_counts_by_how_it_ended(status, counted):
    assert list(bm.counted(booking(status), "PENDING")) == counted


@pytest.mark.parametrize(
    ("previous", "status", "counted"),
    [
        (None, SlotStatus.OPEN, ["SlotsPublished"]),
        ("OPEN", SlotStatus.HELD, []),
        ("HELD", SlotStatus.BOOKED, ["SlotsBooked"]),
        ("HELD", SlotStatus.OPEN, []),  # a released hold: not a new slot
        ("BOOKED", SlotStatus.OPEN, []),
        ("OPEN", SlotStatus.CLOSED, []),
    ],
)
def test_a_slot_counts_when_published_and_when_booked(previous, status, counted):
    slot = Slot(**{**SLOT.__dict__, "status": status})
    assert list(bm.counted(slot, previous)) == counted


def test_the_names_come_from_the_model_once():
    assert (bm.NAMESPACE, bm.DIMENSION) == ("Slate", "TableName")
    assert bm.SLOTS_BOOKED == "SlotsBooked" and bm.HOLDS_RELEASED == "HoldsReleased"
