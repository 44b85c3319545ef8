"""`requestBooking`, `booking` and `onBookingUpdate` through the API as deployed: the resolvers
run by the local engine over the dev stack provisioned into moto, the worker draining the queue.
"""

import hashlib
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from api_harness import PUBLIC, SYSTEM, user
from domain import keys
from local.api_deployment import LocalServices, deployed_apis
from local.aws.appsync import GraphQLEngine
from local.aws.awslambda.runtime import LambdaRuntime

REQUEST = """mutation($v: ID!, $s: ID!, $t: String!, $f: Boolean) {
  requestBooking(venueId: $v, slotId: $s, clientToken: $t, failPayment: $f) {
    bookingId status createdAt userSub failureReason
  }
}"""
BOOK = """mutation($v: ID!, $s: ID!, $t: String) {
  bookSlot(venueId: $v, slotId: $s, clientToken: $t) { bookingId status }
}"""
BOOKING = "query($b: ID!) { booking(bookingId: $b) { status failureReason createdAt } }"
WATCH = "subscription { onBookingUpdate { bookingId status } }"
ANN, BEN = user("ann"), user("ben")


def call(queued, caller, query, headers=None, **variables) -> dict:
    response = queued.api.execute(query, caller, variables=variables, headers=headers)
    assert response.status == 200
    return response.body


def data(queued, caller, query, **variables) -> dict:
    body = call(queued, caller, query, **variables)
    assert "errors" not in body, body
    return body["data"]


def error(queued, caller, query, **variables) -> dict:
    body = call(queued, caller, query, **variables)
    [found] = body["errors"]
    return found


def test_a_request_answers_pending_at_once_and_the_booking_follows(queued):
    slot = queued.put_slot()
    request = data(queued, ANN, REQUEST, v=slot.venue_id, s=slot.slot_id, t="tok-1")
    pending = request["requestBooking"]
    assert pending["status"] == "PENDING" and pending["userSub"] == "ann"
    assert pending["bookingId"] == hashlib.sha256(b"ann#tok-1").hexdigest()  # as bookSlot's
    shown = data(queued, ANN, BOOKING, b=pending["bookingId"])["booking"]
    assert (shown["status"], shown["createdAt"]) == ("PENDING", pending["createdAt"])
    queued.drain()
    shown = data(queued, ANN, BOOKING, b=pending["bookingId"])["booking"]
    assert shown == {
        "status": "CONFIRMED",
        "failureReason": None,
        "createdAt": pending["createdAt"],
    }


def test_a_declined_request_shows_its_reason(queued):
    slot = queued.put_slot()
    request = data(queued, ANN, REQUEST, v=slot.venue_id, s=slot.slot_id, t="tok-2", f=True)
    queued.drain()
    shown = data(queued, ANN, BOOKING, b=request["requestBooking"]["bookingId"])["booking"]
    assert (shown["status"], shown["failureReason"]) == ("FAILED", "PaymentDeclined")


def test_the_same_token_twice_is_one_booking_and_another_token_is_refused(queued):
    slot = queued.put_slot()
    first = data(queued, ANN, REQUEST, v=slot.venue_id, s=slot.slot_id, t="tok-3")
    again = data(queued, ANN, REQUEST, v=slot.venue_id, s=slot.slot_id, t="tok-3")
    assert again == first
    refused = error(queued, ANN, REQUEST, v=slot.venue_id, s=slot.slot_id, t="tok-4")
    assert refused["errorType"] == "RequestPending"
    assert queued.waiting() == 1


@pytest.mark.parametrize(
    ("variables", "error_type", "message"),
    [
        ({"t": "has space"}, "ValidationError", "clientToken is not a valid id"),
        ({"t": "x" * 65}, "ValidationError", "clientToken is not a valid id"),
        ({"v": "bad#venue"}, "ValidationError", "venueId is not a valid id"),
        ({"s": "not-a-slot"}, "ValidationError", "slotId is not a valid slot id"),
        ({"s": "20990101T000000Z-abcdef12"}, "NotFound", "no such slot"),
    ],
)
def test_bad_input_is_refused_as_book_slot_refuses_it_and_nothing_is_queued(
    queued, variables, error_type, message
):
    slot = queued.put_slot()
    before = queued.table.scan()["Items"]
    given = {"v": slot.venue_id, "s": slot.slot_id, "t": "tok-5", **variables}
    refused = error(queued, ANN, REQUEST, **given)
    assert refused["errorType"] == error_type and message in refused["message"]
    assert queued.table.scan()["Items"] == before and queued.waiting() == 0


def test_a_started_slot_is_unavailable_as_with_book_slot(queued):
    slot = queued.put_slot(starts_in=timedelta(minutes=-5))
    refused = error(queued, ANN, REQUEST, v=slot.venue_id, s=slot.slot_id, t="tok-6")
    booked = error(queued, ANN, BOOK, v=slot.venue_id, s=slot.slot_id, t="tok-7")
    assert refused["errorType"] == booked["errorType"] == "SlotUnavailable"
    assert queued.waiting() == 0


def test_a_missing_token_is_refused_by_the_schema(queued):
    slot = queued.put_slot()
    query = "mutation($v: ID!, $s: ID!) { requestBooking(venueId: $v, slotId: $s) { status } }"
    refused = error(queued, ANN, query, v=slot.venue_id, s=slot.slot_id)
    assert "clientToken" in refused["message"]
    assert queued.waiting() == 0


@pytest.mark.parametrize("caller", [SYSTEM, PUBLIC])
def test_only_signed_in_users_may_request(queued, caller):
    slot = queued.put_slot()
    refused = error(queued, caller, REQUEST, v=slot.venue_id, s=slot.slot_id, t="tok-8")
    assert refused["errorType"] == "Unauthorized"
    assert queued.waiting() == 0


def test_book_slot_with_a_requests_token_takes_the_request_over(queued):
    slot = queued.put_slot()
    request = data(queued, ANN, REQUEST, v=slot.venue_id, s=slot.slot_id, t="tok-9")
    booking_id = request["requestBooking"]["bookingId"]
    booked = data(queued, ANN, BOOK, v=slot.venue_id, s=slot.slot_id, t="tok-9")["bookSlot"]
    assert booked == {"bookingId": booking_id, "status": "CONFIRMED"}
    queued.drain()  # the queued message finds the booking made
    assert queued.booking(booking_id)["status"] == "CONFIRMED"
    assert len(queued.items(f"{keys.PAYMENT_PREFIX}{booking_id}")) == 1


def test_the_correlation_id_comes_from_the_header_when_valid(queued):
    slot = queued.put_slot()
    given = {"v": slot.venue_id, "s": slot.slot_id}
    chosen = call(queued, ANN, REQUEST, headers={"x-correlation-id": "trace-42"}, t="a", **given)
    bad = call(queued, BEN, REQUEST, headers={"x-correlation-id": "no spaces!"}, t="b", **given)
    ids = [body["data"]["requestBooking"]["bookingId"] for body in (chosen, bad)]
    correlations = [queued.booking(booking_id)["correlationId"] for booking_id in ids]
    assert correlations[0] == "trace-42"
    assert len(correlations[1]) == 36 and correlations[1] != "no spaces!"  # a fresh one


def test_on_booking_update_filters_on_the_verified_identity(queued):
    subscribed = queued.api.execute(WATCH, ANN)
    assert subscribed.status == 200 and "errors" not in subscribed.body
    assert subscribed.extensions["subscriptionFilter"] == {
        "filterGroup": [{"filters": [{"fieldName": "userSub", "operator": "eq", "value": "ann"}]}]
    }


@pytest.mark.parametrize("caller", [SYSTEM, PUBLIC])
def test_iam_and_api_key_callers_cannot_subscribe_to_booking_updates(queued, caller):
    refused = error(queued, caller, WATCH)
    assert refused["errorType"] == "Unauthorized"


def test_without_their_workflows_request_and_cancel_booking_say_so(run_component, aws_env):
    deployment = run_component(
        "BookingApi",
        {
            "table": {
                "name": "bookings",
                "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/bookings",
            },
            "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:saga",
            "user_pool_id": "us-east-1_pool",
        },
    )
    with mock_aws():
        services = LocalServices(boto3.client("dynamodb", region_name="us-east-1"), LambdaRuntime())
        [api] = deployed_apis(deployment, services)
        engine = GraphQLEngine(api.config)
        try:
            body = engine.execute(
                REQUEST, ANN, variables={"v": "v1", "s": "20990101T000000Z-abcdef12", "t": "t"}
            ).body
            cancel = 'mutation { cancelBooking(bookingId: "b1") { status } }'
            cancelled = engine.execute(cancel, ANN).body
        finally:
            engine.close()
    [refused] = body["errors"]
    assert refused["errorType"] == "NotConfigured" and "BookingQueue" in refused["message"]
    [refused] = cancelled["errors"]
    assert refused["errorType"] == "NotConfigured" and "cancel workflow" in refused["message"]
