"""Cancelling refunds the charge: the cancellation workflow the stack deploys, executed on moto's
Step Functions interpreter against a moto table, with the payment handler running in-process.
The booking ends CANCELLED with its refund and the slot OPEN; a refund that fails leaves it
CONFIRMED; retries never refund twice."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from domain import keys
from domain.entities import Booking, Payment, Slot
from domain.statuses import BookingStatus, PaymentStatus, SlotStatus
from saga_harness import deployed_saga


@pytest.fixture
def saga(deployment, aws_env):
    with deployed_saga(deployment) as running:
        yield running


def booked(saga, user: str = "alice", starts_in: timedelta = timedelta(days=2)) -> tuple:
    slot = saga.put_slot(starts_in=starts_in)
    result = saga.book(slot, user=user)
    assert result["status"] == "SUCCEEDED", result
    return slot, result["output"]["bookingId"]


def state(saga, slot: Slot, booking_id: str) -> tuple[Booking, Slot, Payment]:
    item = saga.table.get_item(Key=keys.booking_key(booking_id))["Item"]
    slot_item = saga.table.get_item(Key=keys.slot_key(slot.venue_id, slot.slot_id))["Item"]
    payment = saga.table.get_item(Key=keys.payment_key(booking_id))["Item"]
    return Booking.from_item(item), Slot.from_item(slot_item), Payment.from_item(payment)


def test_a_cancellation_refunds_then_cancels_and_reopens_the_slot(saga):
    slot, booking_id = booked(saga)
    result = saga.cancel(booking_id)
    assert result["status"] == "SUCCEEDED", result
    output = result["output"]
    booking, reopened, payment = state(saga, slot, booking_id)
    assert payment.status == PaymentStatus.REFUNDED and payment.refund_id.startswith("re_")
    assert (booking.status, booking.refund_id) == (BookingStatus.CANCELLED, payment.refund_id)
    assert (output["status"], output["refundId"], output["bookingId"]) == (
        "CANCELLED",
        payment.refund_id,
        booking_id,
    )
    assert (output["slotId"], output["price"], output["startsAt"]) == (
        slot.slot_id,
        4500,
        slot.starts_at,
    )
    assert (reopened.status, reopened.booking_id) == (SlotStatus.OPEN, None)
    item = saga.table.get_item(Key=keys.booking_key(booking_id))["Item"]
    assert "cancellingSince" not in item


def test_a_retried_cancellation_never_refunds_twice(saga):
    _slot, booking_id = booked(saga)
    first = saga.cancel(booking_id)
    again = saga.cancel(booking_id)
    assert first["status"] == "SUCCEEDED"
    assert (again["status"], again["error"]) == ("FAILED", "ValidationError")
    assert "CONFIRMED" in again["cause"]
    payments = [p for p in saga.items(keys.PAYMENT_PREFIX)]
    assert len(payments) == 1 and payments[0]["refundId"] == first["output"]["refundId"]


def test_concurrent_cancellations_refund_once_and_one_of_them_cancels(saga):
    slot, booking_id = booked(saga)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: saga.cancel(booking_id), range(4)))
    succeeded = [r for r in results if r["status"] == "SUCCEEDED"]
    assert len(succeeded) >= 1
    refunds = {r["output"]["refundId"] for r in succeeded}
    assert len(refunds) == 1
    assert {r["error"] for r in results if r["status"] != "SUCCEEDED"} <= {
        "RequestPending",
        "ValidationError",
    }
    booking, reopened, payment = state(saga, slot, booking_id)
    assert booking.status == BookingStatus.CANCELLED and reopened.status == SlotStatus.OPEN
    assert payment.refund_id in refunds


def test_a_refund_that_fails_leaves_the_booking_confirmed_and_the_slot_booked(saga):
    slot, booking_id = booked(saga)
    saga.table.delete_item(Key=keys.payment_key(booking_id))  # the provider has no charge
    result = saga.cancel(booking_id)
    assert (result["status"], result["error"]) == ("FAILED", "RefundFailed")
    assert "stays CONFIRMED" in result["cause"]
    item = saga.table.get_item(Key=keys.booking_key(booking_id))["Item"]
    assert item["status"] == "CONFIRMED" and "cancellingSince" not in item
    slot_item = saga.table.get_item(Key=keys.slot_key(slot.venue_id, slot.slot_id))["Item"]
    assert (slot_item["status"], slot_item["bookingId"]) == ("BOOKED", booking_id)


def test_a_payment_function_that_fails_is_a_refund_failure(saga, monkeypatch):
    _slot, booking_id = booked(saga)
    spec = saga.payment_function
    monkeypatch.setitem(spec.environment, "TABLE_NAME", "no-such-table")
    saga.runtime._modules.pop(spec.name, None)  # a cold start with the broken setting
    result = saga.cancel(booking_id)
    assert (result["status"], result["error"]) == ("FAILED", "RefundFailed")
    item = saga.table.get_item(Key=keys.booking_key(booking_id))["Item"]
    assert item["status"] == "CONFIRMED" and "cancellingSince" not in item


@pytest.mark.parametrize(
    ("who", "starts_in", "error"),
    [
        ("bob", timedelta(days=2), "Unauthorized"),
        ("alice", timedelta(seconds=-60), "ValidationError"),
    ],
)
def test_only_the_booker_cancels_and_only_before_the_slot_starts(saga, who, starts_in, error):
    slot, booking_id = booked(saga)
    at = None
    if starts_in < timedelta(0):  # the request comes after the slot began
        at = datetime.fromisoformat(slot.starts_at.replace("Z", "+00:00")) - starts_in
    result = saga.cancel(booking_id, user=who, at=at)
    assert (result["status"], result["error"]) == ("FAILED", error)
    booking, still_booked, payment = state(saga, slot, booking_id)
    assert booking.status == BookingStatus.CONFIRMED and payment.status == PaymentStatus.CHARGED
    assert still_booked.status == SlotStatus.BOOKED


@pytest.mark.parametrize(
    "payload",
    [
        {"bookingId": "b1", "userSub": "alice", "now": "yesterday", "nowEpoch": 1},
        {"bookingId": 7, "userSub": "alice", "now": "2026-12-01T00:00:00Z", "nowEpoch": 1},
        {"userSub": "alice", "now": "2026-12-01T00:00:00Z", "nowEpoch": 1},
    ],
)
def test_malformed_input_is_a_validation_error_and_writes_nothing(saga, payload):
    before = saga.table.scan()["Items"]
    result = saga.run_cancel(payload)
    assert (result["status"], result["error"]) == ("FAILED", "ValidationError")
    assert saga.table.scan()["Items"] == before


def test_an_unknown_booking_is_not_found(saga):
    result = saga.cancel("no-such-booking")
    assert (result["status"], result["error"]) == ("FAILED", "NotFound")


def test_a_mark_left_by_a_dead_execution_goes_stale_and_the_next_one_completes(saga):
    _slot, booking_id = booked(saga)
    long_ago = int((datetime.now(UTC) - timedelta(minutes=10)).timestamp())
    saga.table.update_item(
        Key=keys.booking_key(booking_id),
        UpdateExpression="SET cancellingSince = :t",
        ExpressionAttributeValues={":t": long_ago},
    )
    assert saga.cancel(booking_id)["status"] == "SUCCEEDED"
    recent = int(datetime.now(UTC).timestamp())
    slot2, other = booked(saga, user="bob")
    saga.table.update_item(
        Key=keys.booking_key(other),
        UpdateExpression="SET cancellingSince = :t",
        ExpressionAttributeValues={":t": recent},
    )
    pending = saga.cancel(other, user="bob")
    assert (pending["status"], pending["error"]) == ("FAILED", "RequestPending")
    booking, _, payment = state(saga, slot2, other)
    assert booking.status == BookingStatus.CONFIRMED and payment.status == PaymentStatus.CHARGED


def test_the_slot_no_longer_held_by_the_booking_still_ends_it_cancelled_with_its_refund(saga):
    slot, booking_id = booked(saga)
    saga.table.update_item(  # an operator closed the slot by hand
        Key=keys.slot_key(slot.venue_id, slot.slot_id),
        UpdateExpression="SET #s = :closed REMOVE bookingId",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":closed": "CLOSED"},
    )
    assert saga.cancel(booking_id)["status"] == "SUCCEEDED"
    booking, left, payment = state(saga, slot, booking_id)
    assert booking.status == BookingStatus.CANCELLED and booking.refund_id == payment.refund_id
    assert left.status == SlotStatus.CLOSED
