"""RealtimeFanout's functions as deployed, on real stream records produced by moto: what the
stream filter lets through, what is published (signed), how holds are released — on the stream
when TTL removes a marker, and by the sweeper before TTL gets to it."""

import json
from datetime import timedelta

import boto3
import pytest

from api_publisher import ApiPublisher
from domain import keys
from domain.entities import Booking, Slot
from domain.statuses import BookingStatus, SlotStatus
from realtime_harness import Realtime, as_ttl_removal, deployed_realtime


@pytest.fixture
def realtime(deployment, aws_env):
    with deployed_realtime(deployment) as running:
        yield running


def slot_now(rt: Realtime, slot: Slot) -> Slot:
    return Slot.from_item(rt.table.get_item(Key=keys.slot_key(slot.venue_id, slot.slot_id))["Item"])


def booking_now(rt: Realtime, booking_id: str) -> Booking:
    return Booking.from_item(rt.table.get_item(Key=keys.booking_key(booking_id))["Item"])


def set_status(rt: Realtime, slot: Slot, status: SlotStatus) -> None:
    rt.table.update_item(
        Key=keys.slot_key(slot.venue_id, slot.slot_id),
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": status.value},
    )


def test_the_filter_lets_through_slot_and_booking_changes_and_ttl_removals_only(realtime):
    slot, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=5))
    set_status(realtime, slot, SlotStatus.BOOKED)
    realtime.table.delete_item(Key=keys.hold_key("b1"))  # the saga's own delete
    records = realtime.new_records()
    kinds = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"].split("#")[0]) for r in records]
    assert kinds == [
        ("INSERT", "VENUE"),  # the slot
        ("INSERT", "BOOKING"),
        ("INSERT", "HOLD"),
        ("MODIFY", "VENUE"),
        ("REMOVE", "HOLD"),
    ]
    assert [realtime.passes_filter(r) for r in records] == [True, True, False, True, False]
    assert realtime.passes_filter(as_ttl_removal(records[-1]))
    venue = {
        **records[0],
        "dynamodb": {
            **records[0]["dynamodb"],
            "Keys": {"pk": {"S": "VENUE#v1"}, "sk": {"S": "META"}},
        },
    }
    assert not realtime.passes_filter(venue)
    ref = {**records[1], "dynamodb": {**records[1]["dynamodb"], "Keys": booking_ref_keys()}}
    assert not realtime.passes_filter(ref)


def booking_ref_keys() -> dict:
    return {"pk": {"S": "USER#alice"}, "sk": {"S": "BOOKING#2026-12-01T10:00:00Z#b1"}}


def test_slot_and_booking_status_changes_are_published_signed_for_appsync(realtime):
    slot, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=5))
    set_status(realtime, slot, SlotStatus.BOOKED)
    realtime.table.update_item(  # not a status change: filtered in, then skipped
        Key=keys.slot_key(slot.venue_id, slot.slot_id),
        UpdateExpression="SET price = :p",
        ExpressionAttributeValues={":p": 5000},
    )
    realtime.table.update_item(  # the booking confirmed: a status change
        Key=keys.booking_key("b1"),
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "CONFIRMED"},
    )
    records = [r for r in realtime.new_records() if realtime.passes_filter(r)]
    assert len(records) == 5
    assert realtime.fanout(records) == {"batchItemFailures": []}
    assert [p["status"] for p in realtime.endpoint.published] == ["HELD", "BOOKED"]
    bookings = realtime.endpoint.published_bookings
    assert [(b["bookingId"], b["status"]) for b in bookings] == [
        ("b1", "PENDING"),
        ("b1", "CONFIRMED"),
    ]
    assert bookings[0]["userSub"] == "alice" and bookings[0]["failureReason"] is None
    assert realtime.endpoint.published[0] == {
        "venueId": "v1",
        "slotId": slot.slot_id,
        "startsAt": slot.starts_at,
        "endsAt": slot.ends_at,
        "price": 4500,
        "status": "HELD",
    }
    [signer] = realtime.endpoint.signers  # the whole batch in one signed request
    assert (signer.region, signer.service) == ("us-east-1", "appsync")


def test_a_ttl_removal_releases_the_hold_and_the_release_is_published(realtime):
    slot, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=-1))
    realtime.new_records()  # the writes that set the scene
    realtime.table.delete_item(Key=keys.hold_key("b1"))  # as TTL would
    [removal] = [as_ttl_removal(r) for r in realtime.new_records()]
    assert realtime.fanout([removal]) == {"batchItemFailures": []}
    reopened = slot_now(realtime, slot)
    assert (reopened.status, reopened.booking_id, reopened.hold_expires_at) == (
        SlotStatus.OPEN,
        None,
        None,
    )
    expired = booking_now(realtime, "b1")
    assert (expired.status, expired.failure_reason) == (BookingStatus.EXPIRED, "HoldExpired")
    # The release is itself a slot change and a booking change, published in turn.
    releases = [r for r in realtime.new_records() if realtime.passes_filter(r)]
    assert realtime.fanout(releases) == {"batchItemFailures": []}
    assert [p["status"] for p in realtime.endpoint.published] == ["OPEN"]
    [booking] = realtime.endpoint.published_bookings
    assert (booking["status"], booking["failureReason"]) == ("EXPIRED", "HoldExpired")


def test_redelivery_republishes_and_never_reopens_a_slot_taken_again(realtime):
    slot, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=-1))
    realtime.table.delete_item(Key=keys.hold_key("b1"))
    batch = [r if r["eventName"] != "REMOVE" else as_ttl_removal(r) for r in realtime.new_records()]
    batch = [r for r in batch if realtime.passes_filter(r)]
    assert realtime.fanout(batch) == {"batchItemFailures": []}
    # Someone else holds the slot now; the same batch arrives again.
    realtime.table.update_item(
        Key=keys.slot_key(slot.venue_id, slot.slot_id),
        UpdateExpression="SET #s = :held, bookingId = :b, holdExpiresAt = :e",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":held": "HELD", ":b": "b2", ":e": slot.hold_expires_at + 3600},
    )
    assert realtime.fanout(batch) == {"batchItemFailures": []}
    again = slot_now(realtime, slot)
    assert (again.status, again.booking_id) == (SlotStatus.HELD, "b2")
    assert [p["status"] for p in realtime.endpoint.published] == ["HELD", "HELD"]


def test_a_refused_publish_is_reported_as_that_records_failure(realtime):
    first, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=5))
    second, _, _ = realtime.held_slot("b2", expires_in=timedelta(minutes=5))
    realtime.endpoint.refuse.add(second.slot_id)
    records = [r for r in realtime.new_records() if realtime.passes_filter(r)]
    slots = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("VENUE#")]
    response = realtime.fanout(slots)
    failed = slots[1]["dynamodb"]["SequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": failed}]}
    assert [p["slotId"] for p in realtime.endpoint.published] == [first.slot_id]


def test_a_record_the_filter_should_have_stopped_fails_instead_of_vanishing(realtime):
    realtime.held_slot("b1", expires_in=timedelta(minutes=5))
    slot_insert, _, hold_insert = realtime.new_records()[:3]
    response = realtime.fanout([slot_insert, hold_insert])
    failed = hold_insert["dynamodb"]["SequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": failed}]}
    # A batch whose every record fails is a function error: Lambda retries it, bisecting.
    alone = realtime.runtime.invoke(
        realtime.functions["fanout"], json.dumps({"Records": [hold_insert]})
    )
    assert alone.function_error == "Unhandled"
    assert json.loads(alone.payload)["errorType"] == "BatchProcessingError"


def test_the_sweeper_releases_expired_holds_through_the_index(realtime, request):
    operations: list[str] = []  # every DynamoDB call of clients made from now on (the sweeper's)

    def record(model, **_):
        operations.append(model.name)

    events = boto3._get_default_session().events
    events.register("before-call.dynamodb.*", record)
    request.addfinalizer(lambda: events.unregister("before-call.dynamodb.*", record))
    expired, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=-2))
    live, _, _ = realtime.held_slot("b2", expires_in=timedelta(minutes=10))
    taken, _, _ = realtime.held_slot("b3", expires_in=timedelta(minutes=-2))
    realtime.table.update_item(  # b3's slot has since been taken by b4
        Key=keys.slot_key(taken.venue_id, taken.slot_id),
        UpdateExpression="SET bookingId = :b, holdExpiresAt = :e",
        ExpressionAttributeValues={":b": "b4", ":e": taken.hold_expires_at + 3600},
    )
    assert realtime.sweep() == {"holds": 2, "slotsReopened": 1, "bookingsExpired": 2}
    assert set(operations) == {"Query", "UpdateItem", "DeleteItem"}  # the index, never a scan
    assert slot_now(realtime, expired).status is SlotStatus.OPEN
    assert booking_now(realtime, "b1").status is BookingStatus.EXPIRED
    assert slot_now(realtime, live).status is SlotStatus.HELD
    assert booking_now(realtime, "b2").status is BookingStatus.PENDING
    assert slot_now(realtime, taken).booking_id == "b4"
    assert booking_now(realtime, "b3").status is BookingStatus.EXPIRED
    remaining = {
        i["pk"] for i in realtime.table.scan()["Items"] if i["pk"].startswith(keys.HOLD_PREFIX)
    }
    assert remaining == {"HOLD#b2"}
    assert realtime.sweep() == {"holds": 0, "slotsReopened": 0, "bookingsExpired": 0}


def test_a_large_batch_is_published_in_requests_of_fifty_each_update_judged(realtime):
    publisher = ApiPublisher(realtime.endpoint.url, "us-east-1", boto3.Session().get_credentials())
    slots = [realtime.held_slot(f"b{n}", expires_in=timedelta(minutes=5))[0] for n in range(120)]
    realtime.endpoint.refuse.add(slots[70].slot_id)
    refusals = publisher.publish(slots)
    assert len(realtime.endpoint.signers) == 3  # 50 + 50 + 20
    assert [n for n, refusal in enumerate(refusals) if refusal] == [70]
    assert "u20 was refused" in refusals[70]  # the 21st of the second request
    assert len(realtime.endpoint.published) == 119


def business_metrics(printed: str) -> list[tuple[str, float, dict]]:
    """(metric, value, dimensions) of every EMF document in the Slate namespace with the table
    dimension, as CloudWatch would read them from the functions' output."""
    found = []
    for line in printed.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        document = json.loads(line)
        [directive] = document["_aws"]["CloudWatchMetrics"]
        if directive["Namespace"] != "Slate" or directive["Dimensions"] != [["TableName"]]:
            continue
        for metric in directive["Metrics"]:
            [value] = document[metric["Name"]]
            found.append((metric["Name"], value, document["TableName"]))
    return found


def test_business_metrics_count_what_the_stream_shows_per_table(realtime, capsys):
    slot, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=5))  # published HELD
    set_status(realtime, slot, SlotStatus.BOOKED)
    realtime.table.update_item(
        Key=keys.booking_key("b1"),
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "CONFIRMED"},
    )
    opened = Slot(
        venue_id="v1",
        slot_id=slot.slot_id[:-4] + "beef",
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        price=4500,
    )
    realtime.table.put_item(Item=opened.to_item())  # a newly published slot
    capsys.readouterr()
    records = [r for r in realtime.new_records() if realtime.passes_filter(r)]
    assert realtime.fanout(records) == {"batchItemFailures": []}
    table = realtime.table.name
    assert sorted(business_metrics(capsys.readouterr().out)) == [
        ("BookingsConfirmed", 1.0, table),
        ("SlotsBooked", 1.0, table),
        ("SlotsPublished", 1.0, table),
    ]


def test_released_holds_are_counted_by_the_sweeper_per_table(realtime, capsys):
    realtime.held_slot("b1", expires_in=timedelta(minutes=-1))
    realtime.held_slot("b2", expires_in=timedelta(minutes=-1))
    capsys.readouterr()
    assert realtime.sweep()["holds"] == 2
    assert business_metrics(capsys.readouterr().out) == [
        ("HoldsReleased", 2.0, realtime.table.name)
    ]
