"""Every status a slot, a booking or a payment can be in, defined once in `model.json`."""

from enum import StrEnum

from .layout import MODEL

SlotStatus = StrEnum("SlotStatus", {name: name for name in MODEL["statuses"]["slot"]})
BookingStatus = StrEnum("BookingStatus", {name: name for name in MODEL["statuses"]["booking"]})
PaymentStatus = StrEnum("PaymentStatus", {name: name for name in MODEL["statuses"]["payment"]})
