"""Every status a slot or a booking can be in, defined once."""

from enum import StrEnum


class SlotStatus(StrEnum):
    OPEN = "OPEN"
    HELD = "HELD"
    BOOKED = "BOOKED"


class BookingStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
