"""Slate's business metrics: what happened to bookings and slots, counted where the facts are
(the fan-out sees every status change on the table's stream; the sweeper and the fan-out
release holds). Names, namespace and dimension are defined once in `model.json`, where the
Monitoring component reads them for its alarms and dashboard. The one dimension is the table's
name, so two stacks in one account never mix their figures."""

from collections.abc import Iterable

from aws_lambda_powertools.metrics import EphemeralMetrics

from .entities import Booking, Slot
from .layout import MODEL
from .statuses import BookingStatus, SlotStatus

_METRICS = MODEL["metrics"]
NAMESPACE: str = _METRICS["namespace"]
DIMENSION: str = _METRICS["dimension"]
_NAMES: dict[str, str] = _METRICS["business"]
BOOKINGS_CONFIRMED = _NAMES["bookingsConfirmed"]
BOOKINGS_FAILED = _NAMES["bookingsFailed"]
BOOKINGS_CANCELLED = _NAMES["bookingsCancelled"]
SLOTS_PUBLISHED = _NAMES["slotsPublished"]
SLOTS_BOOKED = _NAMES["slotsBooked"]
HOLDS_RELEASED = _NAMES["holdsReleased"]

_BOOKING_OUTCOMES = {
    BookingStatus.CONFIRMED: BOOKINGS_CONFIRMED,
    BookingStatus.FAILED: BOOKINGS_FAILED,
    BookingStatus.CANCELLED: BOOKINGS_CANCELLED,
}


def counted(change: Slot | Booking, previous_status: str | None) -> Iterable[str]:
    """The business metrics a status change adds one to (`previous_status` None: a new item)."""
    if isinstance(change, Booking):
        outcome = _BOOKING_OUTCOMES.get(BookingStatus(change.status))
        return [outcome] if outcome else []
    if previous_status is None and change.status == SlotStatus.OPEN:
        return [SLOTS_PUBLISHED]
    if change.status == SlotStatus.BOOKED:
        return [SLOTS_BOOKED]
    return []


def publisher(table_name: str) -> EphemeralMetrics:
    """Business metrics for one table: `add_metric`, flushed by `@publisher.log_metrics` at the
    end of each invocation. Apart from the function's own metrics, which carry its `service`
    dimension: these carry the table's name alone, whichever function counts them."""
    metrics = EphemeralMetrics(namespace=NAMESPACE, service="")
    metrics.set_default_dimensions(**{DIMENSION: table_name})
    return metrics
