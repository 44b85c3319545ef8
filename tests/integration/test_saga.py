"""The booking saga executed for real: the definition the stack deploys, on moto's Step
Functions interpreter, against a moto table, with the payment handler running in-process."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.responses import LambdaResponse
from moto.awslambda_simple.models import LambdaSimpleBackend

from domain import keys, layout
from domain.entities import Booking, BookingRef, Hold, Payment, Slot
from domain.statuses import BookingStatus, PaymentStatus, SlotStatus
from saga_harness import deployed_saga
from support import new_slot_id


@pytest.fixture
def saga(deployment, aws_env):
    with deployed_saga(deployment) as running:
        yield running


def slot_now(saga, slot: Slot) -> Slot:
    return Slot.from_item(
        saga.table.get_item(Key=keys.slot_key(slot.venue_id, slot.slot_id))["Item"]
    )


def booking(saga, booking_id: str) -> Booking:
    return Booking.from_item(saga.table.get_item(Key=keys.booking_key(booking_id))["Item"])


def payments(saga) -> list[Payment]:
    return [Payment.from_item(item) for item in saga.items(keys.PAYMENT_PREFIX)]


def held_by(saga, slot: Slot, booking_id: str, expires_at: int) -> None:
    """Put the slot in the state a booking's hold leaves it in."""
    saga.table.put_item(
        Item=Slot(
            **{**slot.__dict__, "status": SlotStatus.HELD},
        ).to_item()
        | {"bookingId": booking_id, "holdExpiresAt": expires_at}
    )


def test_success_books_the_slot_and_charges_once(saga):
    slot = saga.put_slot(price=4500)
    result = saga.book(slot, user="alice")
    assert result["status"] == "SUCCEEDED", result
    output = result["output"]
    assert output["status"] == "CONFIRMED"
    assert (output["venueId"], output["slotId"], output["price"]) == ("v1", slot.slot_id, 4500)
    assert output["startsAt"] == slot.starts_at
    booked = slot_now(saga, slot)
    assert booked.status == SlotStatus.BOOKED
    assert booked.booking_id == output["bookingId"]
    assert booked.hold_expires_at is None
    confirmed = booking(saga, output["bookingId"])
    assert (confirmed.status, confirmed.user_sub, confirmed.price) == (
        BookingStatus.CONFIRMED,
        "alice",
        4500,
    )
    assert set(output) == {
        "bookingId",
        "venueId",
        "slotId",
        "status",
        "createdAt",
        "startsAt",
        "price",
    }
    [ref] = [BookingRef.from_item(item) for item in saga.items(keys.USER_PREFIX)]
    assert (ref.user_sub, ref.booking_id) == ("alice", output["bookingId"])
    assert saga.items(keys.HOLD_PREFIX) == []  # the marker goes once the booking is confirmed
    [payment] = payments(saga)
    assert (payment.amount, payment.status) == (4500, PaymentStatus.CHARGED)
    assert payment.charge_id == confirmed.charge_id


def test_a_decline_releases_the_hold_and_fails_the_booking(saga):
    slot = saga.put_slot()
    result = saga.book(slot, failPayment=True)
    assert (result["status"], result["error"]) == ("FAILED", "PaymentDeclined")
    reopened = slot_now(saga, slot)
    assert reopened.status == SlotStatus.OPEN
    assert (reopened.booking_id, reopened.hold_expires_at) == (None, None)
    [item] = saga.items(keys.BOOKING_PREFIX)
    failed = Booking.from_item(item)
    assert (failed.status, failed.failure_reason) == (BookingStatus.FAILED, "PaymentDeclined")
    assert saga.items(keys.HOLD_PREFIX) == []
    assert payments(saga) == []
    assert saga.book(slot)["status"] == "SUCCEEDED"  # the slot can be booked again


def test_a_lost_race_is_slot_unavailable_and_leaves_no_row(saga):
    slot = saga.put_slot()
    future = int(datetime.now(UTC).timestamp()) + 600
    held_by(saga, slot, "someone-else", future)
    result = saga.book(slot)
    assert (result["status"], result["error"]) == ("FAILED", "SlotUnavailable")
    assert saga.items(keys.BOOKING_PREFIX) == []
    assert saga.items(keys.USER_PREFIX) == []
    assert saga.items(keys.HOLD_PREFIX) == []
    assert payments(saga) == []
    assert slot_now(saga, slot).booking_id == "someone-else"


def test_a_booked_or_past_or_unknown_slot_cannot_be_booked(saga):
    slot = saga.put_slot()
    assert saga.book(slot)["status"] == "SUCCEEDED"
    assert saga.book(slot, user="bob")["error"] == "SlotUnavailable"
    past = saga.put_slot(starts_in=timedelta(hours=-1))
    assert saga.book(past)["error"] == "SlotUnavailable"
    unknown = Slot("v1", new_slot_id(datetime.now(UTC)), past.starts_at, past.ends_at, 100)
    assert saga.book(unknown)["error"] == "NotFound"


def test_an_expired_hold_is_reclaimed(saga):
    slot = saga.put_slot()
    held_by(saga, slot, "abandoned", int(datetime.now(UTC).timestamp()) - 1)
    result = saga.book(slot, user="bob")
    assert result["status"] == "SUCCEEDED", result
    assert slot_now(saga, slot).booking_id == result["output"]["bookingId"]


def _during_payment(saga, booking_user: str, action):
    """Run `action` while the payment step of `booking_user`'s booking is in progress."""
    route = LambdaSimpleBackend.invoke

    def invoke(backend, *args):
        event = json.loads(args[2])
        if (
            event.get("action") == "charge"
            and saga.table.get_item(Key=keys.booking_key(event["bookingId"]))["Item"]["userSub"]
            == booking_user
        ):
            action()
        return route(backend, *args)

    return mock.patch.object(LambdaSimpleBackend, "invoke", invoke)


def test_a_stale_booking_cannot_confirm_a_hold_taken_by_another(saga):
    slot = saga.put_slot()
    started = datetime.now(UTC)
    later = {}

    def reclaim():  # the stale hold has expired by the time bob asks
        later["result"] = saga.book(slot, user="bob", at=started + timedelta(hours=1))

    with _during_payment(saga, "alice", reclaim):
        stale = saga.book(slot, user="alice", at=started)
    assert (stale["status"], stale["error"]) == ("FAILED", "HoldExpired")
    bob = later["result"]["output"]
    assert later["result"]["status"] == "SUCCEEDED"
    assert slot_now(saga, slot).status == SlotStatus.BOOKED
    assert slot_now(saga, slot).booking_id == bob["bookingId"]
    by_user = {b.user_sub: b for b in map(Booking.from_item, saga.items(keys.BOOKING_PREFIX))}
    assert by_user["alice"].status == BookingStatus.FAILED
    assert by_user["alice"].failure_reason == "HoldExpired"
    assert by_user["bob"].status == BookingStatus.CONFIRMED
    charges = {p.booking_id: p.status for p in payments(saga)}
    assert charges[by_user["alice"].booking_id] == PaymentStatus.REFUNDED
    assert charges[bob["bookingId"]] == PaymentStatus.CHARGED


def test_a_stale_booking_cannot_release_a_hold_taken_by_another(saga):
    slot = saga.put_slot()
    started = datetime.now(UTC)
    later = {}

    def reclaim():
        later["result"] = saga.book(slot, user="bob", at=started + timedelta(hours=1))

    with _during_payment(saga, "alice", reclaim):
        stale = saga.book(slot, user="alice", at=started, failPayment=True)
    assert stale["error"] == "PaymentDeclined"
    assert later["result"]["status"] == "SUCCEEDED"
    assert slot_now(saga, slot).status == SlotStatus.BOOKED
    assert slot_now(saga, slot).booking_id == later["result"]["output"]["bookingId"]


def test_the_same_client_token_twice_is_one_booking_and_one_charge(saga):
    slot = saga.put_slot()
    first = saga.book(slot, clientToken="tok-1")
    second = saga.book(slot, clientToken="tok-1")
    assert first["status"] == second["status"] == "SUCCEEDED"
    assert first["output"]["bookingId"] == second["output"]["bookingId"]
    assert second["output"] == first["output"]  # the booking as it stands, not a new one
    assert len(saga.items(keys.BOOKING_PREFIX)) == 1
    assert len(payments(saga)) == 1
    other = saga.put_slot()
    reused = saga.book(other, clientToken="tok-1")
    assert (reused["status"], reused["error"]) == ("FAILED", "ValidationError")
    assert saga.book(slot, user="bob", clientToken="tok-1")["error"] == "SlotUnavailable"


def test_a_repeated_declined_request_is_declined_again_without_a_new_booking(saga):
    slot = saga.put_slot()
    assert saga.book(slot, clientToken="t", failPayment=True)["error"] == "PaymentDeclined"
    assert saga.book(slot, clientToken="t", failPayment=True)["error"] == "PaymentDeclined"
    assert len(saga.items(keys.BOOKING_PREFIX)) == 1


def test_a_transient_payment_error_is_retried(saga):
    slot = saga.put_slot()
    route = LambdaSimpleBackend.invoke
    calls = []

    def flaky(backend, *args):
        calls.append(json.loads(args[2])["action"])  # (name, qualifier, body, ...)
        if len(calls) == 1:
            raise LambdaClientError("ServiceException", "the Lambda service is unavailable")
        return route(backend, *args)

    with mock.patch.object(LambdaSimpleBackend, "invoke", flaky):
        result = saga.book(slot)
    assert result["status"] == "SUCCEEDED", result
    assert calls == ["charge", "charge"]
    assert len(payments(saga)) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"userSub": None},
        {"failPayment": "no"},
        {"clientToken": 7},
        {"nowEpoch": "soon"},
    ],
)
def test_malformed_input_is_a_validation_error_and_writes_nothing(saga, change):
    slot = saga.put_slot()
    payload = {
        "userSub": "alice",
        "venueId": slot.venue_id,
        "slotId": slot.slot_id,
        "failPayment": False,
        "now": "2026-11-21T10:00:00Z",
        "nowEpoch": 1795000000,
        **change,
    }
    payload = {key: value for key, value in payload.items() if value is not None}
    result = saga.run(payload)
    assert (result["status"], result["error"]) == ("FAILED", "ValidationError")
    assert saga.items(keys.BOOKING_PREFIX) == []
    assert slot_now(saga, slot).status == SlotStatus.OPEN


def _race(saga, slots: list[Slot], racers: int) -> list[dict]:
    barrier = threading.Barrier(racers)

    def run(index: int) -> dict:
        barrier.wait()
        return saga.book(slots[index % len(slots)], user=f"user{index}")

    with ThreadPoolExecutor(max_workers=racers) as pool:
        return list(pool.map(run, range(racers)))


def test_twenty_racers_for_one_slot_make_exactly_one_booking(saga):
    slot = saga.put_slot()
    results = _race(saga, [slot], 20)
    outcomes = sorted(r["status"] if r["status"] == "SUCCEEDED" else r["error"] for r in results)
    assert outcomes == ["SUCCEEDED"] + ["SlotUnavailable"] * 19
    [winner] = [r["output"]["bookingId"] for r in results if r["status"] == "SUCCEEDED"]
    assert slot_now(saga, slot).booking_id == winner
    assert [item["bookingId"] for item in saga.items(keys.BOOKING_PREFIX)] == [winner]
    assert [item["bookingId"] for item in saga.items(keys.USER_PREFIX)] == [winner]
    assert saga.items(keys.HOLD_PREFIX) == []
    assert len(payments(saga)) == 1


def test_fifty_racers_over_ten_slots_make_exactly_ten_bookings(saga):
    slots = [saga.put_slot(starts_in=timedelta(days=2, hours=i)) for i in range(10)]
    results = _race(saga, slots, 50)
    assert sum(r["status"] == "SUCCEEDED" for r in results) == 10
    assert {r["error"] for r in results if r["status"] != "SUCCEEDED"} == {"SlotUnavailable"}, [
        r.get("cause") for r in results if r.get("error") not in (None, "SlotUnavailable")
    ]
    bookings = [Booking.from_item(item) for item in saga.items(keys.BOOKING_PREFIX)]
    assert len(bookings) == 10
    assert {b.slot_id for b in bookings} == {s.slot_id for s in slots}
    assert all(slot_now(saga, s).status == SlotStatus.BOOKED for s in slots)


def test_the_hold_marker_is_in_the_holds_index_while_payment_runs(saga):
    """While the payment is taken, the marker is findable by expiry (what the sweeper reads)."""
    slot = saga.put_slot()
    seen: list[list[dict]] = []
    invoke = saga.runtime.invoke

    def peek(name, payload, *trigger):
        seen.append(saga.items(keys.HOLD_PREFIX))
        return invoke(name, payload, *trigger)

    with mock.patch.object(saga.runtime, "invoke", peek):
        result = saga.book(slot)
    assert result["status"] == "SUCCEEDED"
    [[marker]] = seen
    hold = Hold.from_item(marker)
    assert marker[layout.GSI1_PK] == keys.HOLDS_PARTITION
    assert marker[layout.GSI1_SK] == f"{hold.expires_at}#{hold.booking_id}"
    assert marker == {**marker, **hold.to_item()}  # the saga and the entity agree on every key


def test_the_payment_task_skips_lambdas_rest_formats(saga):
    """The state machine calls the payment function through moto's Lambda backend, not through
    Lambda's REST API (whose request router moto builds anew for every call)."""
    slot = saga.put_slot()
    backend_calls, rest_calls = [], []
    route = LambdaSimpleBackend.invoke
    rest = LambdaResponse.invoke

    def counted(backend, *args):
        backend_calls.append(json.loads(args[2])["action"])
        return route(backend, *args)

    def counted_rest(response, *args, **kwargs):
        rest_calls.append(1)
        return rest(response, *args, **kwargs)

    with (
        mock.patch.object(LambdaSimpleBackend, "invoke", counted),
        mock.patch.object(LambdaResponse, "invoke", counted_rest),
    ):
        result = saga.book(slot)
    assert result["status"] == "SUCCEEDED", result
    assert backend_calls == ["charge"] and rest_calls == []
