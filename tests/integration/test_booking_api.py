"""Slate's API as deployed: the schema and the bundled APPSYNC_JS resolvers recorded from the dev
stack, executed by the local resolver engine against moto and the real booking saga."""

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from graphql import parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.exceptions import DynamodbException
from moto.dynamodb.models import DynamoDBBackend

from api_harness import PUBLIC, SYSTEM, Api, deployed_api, user
from domain import keys
from domain.entities import Booking, Slot, Venue
from domain.instants import format_instant
from domain.statuses import BookingStatus, SlotStatus
from local.pulumi import engine, predicted
from support import stack_variant

OWNER = user("owner-1", "owners")
OTHER_OWNER = user("owner-2", "owners")
ADMIN = user("admin-1", "admins")
ALICE = user("alice")
BOB = user("bob")

CREATE_VENUE = (
    "mutation($name: String!) { createVenue(name: $name) { venueId name ownerSub createdAt } }"
)
PUBLISH = """
mutation($venueId: ID!, $slots: [NewSlotInput!]!) {
  publishSlots(venueId: $venueId, slots: $slots) { venueId slotId startsAt endsAt price status }
}"""
BOOK = """
mutation($venueId: ID!, $slotId: ID!, $fail: Boolean, $token: String) {
  bookSlot(venueId: $venueId, slotId: $slotId, failPayment: $fail, clientToken: $token) {
    bookingId venueId slotId status createdAt startsAt price userSub
  }
}"""
CANCEL = "mutation($id: ID!) { cancelBooking(bookingId: $id) { bookingId status updatedAt } }"
CANCEL_WITH_REFUND = "mutation($id: ID!) { cancelBooking(bookingId: $id) { status refundId } }"
CLOSE = "mutation($v: ID!, $s: ID!) { closeSlot(venueId: $v, slotId: $s) { slotId status } }"
SLOTS = """
query($v: ID!, $from: AWSDateTime, $to: AWSDateTime) {
  venueSlots(venueId: $v, from: $from, to: $to) { slotId startsAt status }
}"""
MY_BOOKINGS = "{ myBookings { bookingId venueId slotId status userSub } }"
BOOKING = "query($id: ID!) { booking(bookingId: $id) { bookingId status userSub } }"
VENUE_BOOKINGS = """
query($v: ID!, $limit: Int, $next: String) {
  venueBookings(venueId: $v, limit: $limit, nextToken: $next) {
    items { bookingId userSub }
    nextToken
  }
}"""
PUBLISH_UPDATE = """
mutation($slot: SlotInput!) { publishSlotUpdate(slot: $slot) { venueId slotId status startsAt } }"""


@pytest.fixture
def api(deployment, aws_env):
    with deployed_api(deployment) as running:
        yield running


def hour(days: int = 2, hours: int = 0) -> datetime:
    """A whole hour in the future."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return start + timedelta(days=days, hours=hours)


def new_slot(start: datetime, minutes: int = 60, price: int = 4500) -> dict:
    return {
        "startsAt": format_instant(start),
        "endsAt": format_instant(start + timedelta(minutes=minutes)),
        "price": price,
    }


def make_venue(api: Api, owner=OWNER, name: str = "Chez Slate") -> str:
    return api.data(owner, CREATE_VENUE, name=name)["createVenue"]["venueId"]


def publish(api: Api, venue_id: str, *starts: datetime, owner=OWNER) -> list[dict]:
    slots = [new_slot(start) for start in starts]
    return api.data(owner, PUBLISH, venueId=venue_id, slots=slots)["publishSlots"]


def venue_with_slot(api: Api) -> tuple[str, str]:
    venue_id = make_venue(api)
    [slot] = publish(api, venue_id, hour())
    return venue_id, slot["slotId"]


def stored_slot(api: Api, venue_id: str, slot_id: str) -> Slot:
    return Slot.from_item(api.saga.table.get_item(Key=keys.slot_key(venue_id, slot_id))["Item"])


def count(api: Api, prefix: str) -> int:
    return len(api.saga.items(prefix))


# --- venues and slots ------------------------------------------------------------------------


def test_an_owner_creates_a_venue_and_publishes_slots(api):
    venue = api.data(OWNER, CREATE_VENUE, name="  Chez Slate  ")["createVenue"]
    assert venue["name"] == "Chez Slate" and venue["ownerSub"] == "owner-1"
    later, earlier = hour(3), hour(2)
    slots = publish(api, venue["venueId"], later, earlier)
    assert [s["startsAt"] for s in slots] == [format_instant(earlier), format_instant(later)]
    assert {s["status"] for s in slots} == {"OPEN"}
    for slot in slots:  # what the resolvers wrote reads back as the domain's entities
        stored = stored_slot(api, venue["venueId"], slot["slotId"])
        assert stored.slot_id.startswith(slot["startsAt"].replace("-", "").replace(":", "")[:15])
        assert stored.price == 4500
    stored = api.saga.table.get_item(Key=keys.venue_key(venue["venueId"]))["Item"]
    assert Venue.from_item(stored).owner_sub == "owner-1"
    listed = api.data(ALICE, "{ venues { venueId name } }")["venues"]
    assert listed == [{"venueId": venue["venueId"], "name": "Chez Slate"}]
    one = api.data(
        ALICE, "query($v: ID!) { venue(venueId: $v) { name ownerSub } }", v=venue["venueId"]
    )
    assert one["venue"] == {"name": "Chez Slate", "ownerSub": "owner-1"}


def test_venues_are_listed_by_name_and_paged(api):
    for name in ("bistro", "Atelier", "Cantina"):
        make_venue(api, name=name)
    names = [v["name"] for v in api.data(ALICE, "{ venues { name } }")["venues"]]
    assert names == ["Atelier", "bistro", "Cantina"]
    query = "query($n: String) { venuesPage(limit: 2, nextToken: $n) { items { name } nextToken } }"
    first = api.data(ALICE, query)["venuesPage"]
    rest = api.data(ALICE, query, n=first["nextToken"])["venuesPage"]
    assert [v["name"] for v in first["items"] + rest["items"]] == names


def test_venue_slots_in_a_window_ordered_by_start_and_paged(api):
    venue_id = make_venue(api)
    starts = [hour(2, h) for h in (5, 1, 3, 2)]
    publish(api, venue_id, *starts)
    ordered = sorted(format_instant(s) for s in starts)
    every = api.data(ALICE, SLOTS, v=venue_id)["venueSlots"]
    assert [s["startsAt"] for s in every] == ordered
    window = api.data(ALICE, SLOTS, v=venue_id, **{"from": ordered[1], "to": ordered[3]})
    assert [s["startsAt"] for s in window["venueSlots"]] == ordered[1:3]
    page = """query($v: ID!, $n: String) {
      venueSlotsPage(venueId: $v, limit: 3, nextToken: $n) { items { startsAt } nextToken }
    }"""
    first = api.data(ALICE, page, v=venue_id)["venueSlotsPage"]
    second = api.data(ALICE, page, v=venue_id, n=first["nextToken"])["venueSlotsPage"]
    assert [s["startsAt"] for s in first["items"] + second["items"]] == ordered
    assert second["nextToken"] is None


def test_a_foreign_or_altered_next_token_is_a_validation_error(api):
    venue_id = make_venue(api)
    publish(api, venue_id, *[hour(2, h) for h in range(1, 5)])
    slots = """query($v: ID!, $n: String) {
      venueSlotsPage(venueId: $v, limit: 2, nextToken: $n) { nextToken }
    }"""
    venues = "query($n: String) { venuesPage(limit: 1, nextToken: $n) { nextToken } }"
    mine = "query($n: String) { myBookingsPage(limit: 1, nextToken: $n) { nextToken } }"
    token = api.data(ALICE, slots, v=venue_id)["venueSlotsPage"]["nextToken"]
    for query, variables in (
        (venues, {"n": token}),  # another list's token
        (slots, {"v": venue_id, "n": token[:-6] + "AAAAAA"}),  # altered
        (slots, {"v": venue_id, "n": "not-a-token"}),
        (mine, {"n": token}),
    ):
        error = api.error(ALICE, query, **variables)
        assert (error["errorType"], error["message"]) == (
            "ValidationError",
            "nextToken is not one this list returned",
        )


def test_slot_queries_check_their_arguments(api):
    venue_id = make_venue(api)
    backwards = api.error(
        ALICE, SLOTS, v=venue_id, **{"from": format_instant(hour(3)), "to": format_instant(hour(2))}
    )
    assert backwards["errorType"] == "ValidationError"
    assert api.error(ALICE, SLOTS, v="no-such-venue")["errorType"] == "NotFound"
    assert api.error(ALICE, SLOTS, v="bad#id")["errorType"] == "ValidationError"
    too_many = api.error(
        ALICE,
        "query($v: ID!) { venueSlotsPage(venueId: $v, limit: 500) { nextToken } }",
        v=venue_id,
    )
    assert too_many["errorType"] == "ValidationError"
    assert api.error(ALICE, '{ venue(venueId: "nope") { name } }')["errorType"] == "NotFound"


def test_an_owner_closes_an_open_slot_only(api):
    venue_id, slot_id = venue_with_slot(api)
    assert api.data(OWNER, CLOSE, v=venue_id, s=slot_id)["closeSlot"]["status"] == "CLOSED"
    again = api.error(OWNER, CLOSE, v=venue_id, s=slot_id)
    assert again["errorType"] == "SlotUnavailable"
    # A closed slot cannot be booked.
    assert (
        api.error(ALICE, BOOK, venueId=venue_id, slotId=slot_id)["errorType"] == "SlotUnavailable"
    )
    unknown = api.error(OWNER, CLOSE, v=venue_id, s="20990101T000000Z-abcdef12")
    assert unknown["errorType"] == "NotFound"
    assert api.error(OWNER, CLOSE, v=venue_id, s="not-a-slot")["errorType"] == "ValidationError"
    assert count(api, keys.VENUE_PREFIX) == 2  # the venue and its one slot: nothing was added


# --- bad input writes nothing ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "🎾" * 101])
def test_create_venue_rejects_bad_names(api, name):
    assert api.error(OWNER, CREATE_VENUE, name=name)["errorType"] == "ValidationError"
    assert count(api, keys.VENUE_PREFIX) == 0


def test_errors_never_echo_a_whole_input(api):
    long_id = "a" * 10_000
    error = api.error(ALICE, "query($v: ID!) { venue(venueId: $v) { name } }", v=long_id)
    assert error["errorType"] == "ValidationError"
    assert error["message"].endswith("(10000 characters)") and len(error["message"]) < 200
    bad_id = api.error(ALICE, "query($v: ID!) { venue(venueId: $v) { name } }", v="#" * 20)
    assert bad_id["message"] == "venueId is not a valid id: " + "#" * 20
    coercion = api.call(
        ALICE, "query($n: Int) { venuesPage(limit: $n) { nextToken } }", n="x" * 10_000
    )
    assert len(coercion["errors"][0]["message"]) < 600


def test_venue_names_are_counted_in_characters_not_utf16_units(api):
    name = "🎾" * 100  # 200 UTF-16 units, 100 characters
    venue = api.data(OWNER, CREATE_VENUE, name=name)["createVenue"]
    assert venue["name"] == name


@pytest.mark.parametrize(
    ("slots", "problem"),
    [
        ([new_slot(hour()), new_slot(hour() + timedelta(minutes=30))], "overlaps"),
        ([new_slot(hour()), new_slot(hour())], "duplicates"),
        ([new_slot(hour(), minutes=0)], "endsAt must be after startsAt"),
        ([new_slot(hour(-1))], "in the past"),
        ([new_slot(hour(366))], "more than 365 days ahead"),
        (
            [{"startsAt": "9999-12-31T10:00:00Z", "endsAt": "9999-12-31T11:00:00Z", "price": 1}],
            "more than 365 days ahead",
        ),
        ([new_slot(hour(), minutes=25 * 60)], "at most 24 hours"),
        ([new_slot(hour() + timedelta(seconds=30))], "whole minutes"),
        ([new_slot(hour(), price=-1)], "price"),
        ([new_slot(hour(2, h)) for h in range(26)], "publish 1 to 25 slots"),
        ([], "publish 1 to 25 slots"),
        ([{**new_slot(hour()), "startsAt": "2026-12-01T19:00:00"}], "not a valid 'AWSDateTime'"),
    ],
)
def test_publish_slots_rejects_bad_batches_and_writes_nothing(api, slots, problem):
    venue_id = make_venue(api)
    body = api.call(OWNER, PUBLISH, venueId=venue_id, slots=slots)
    [error] = body["errors"]
    assert problem in error["message"]
    assert error.get("errorType") in ("ValidationError", None)  # None: GraphQL validation
    assert count(api, keys.VENUE_PREFIX) == 1  # only the venue: no slot was written


def test_publish_slots_rejects_overlap_with_existing_slots(api):
    venue_id = make_venue(api)
    [existing] = publish(api, venue_id, hour())
    clash = new_slot(hour() + timedelta(minutes=30))
    error = api.error(OWNER, PUBLISH, venueId=venue_id, slots=[new_slot(hour(4)), clash])
    assert error["errorType"] == "ValidationError" and existing["slotId"] in error["message"]
    assert count(api, keys.VENUE_PREFIX) == 2  # the venue and the one existing slot
    # A closed slot no longer blocks its time.
    api.data(OWNER, CLOSE, v=venue_id, s=existing["slotId"])
    assert publish(api, venue_id, hour() + timedelta(minutes=30))


def test_publish_to_an_unknown_venue_is_not_found(api):
    error = api.error(OWNER, PUBLISH, venueId="missing", slots=[new_slot(hour())])
    assert error["errorType"] == "NotFound"
    assert count(api, keys.VENUE_PREFIX) == 0


def test_concurrent_publishes_cannot_both_write(api):
    venue_id = make_venue(api)
    with ThreadPoolExecutor(max_workers=4) as pool:
        bodies = list(
            pool.map(
                lambda minutes: api.call(
                    OWNER,
                    PUBLISH,
                    venueId=venue_id,
                    slots=[new_slot(hour() + timedelta(minutes=minutes))],
                ),
                [0, 10, 20, 30],
            )
        )
    # Each publish overlaps every other; whatever the interleaving, at most one slot exists.
    assert count(api, keys.VENUE_PREFIX) == 2
    assert sum("errors" not in body for body in bodies) == 1


# --- booking through the saga ----------------------------------------------------------------


def test_book_slot_runs_the_saga_and_returns_the_booking(api):
    venue_id, slot_id = venue_with_slot(api)
    booking = api.data(ALICE, BOOK, venueId=venue_id, slotId=slot_id)["bookSlot"]
    assert booking["status"] == "CONFIRMED"
    assert (booking["venueId"], booking["slotId"], booking["userSub"]) == (
        venue_id,
        slot_id,
        "alice",
    )
    assert booking["price"] == 4500
    assert stored_slot(api, venue_id, slot_id).status is SlotStatus.BOOKED
    stored = Booking.from_item(
        api.saga.table.get_item(Key=keys.booking_key(booking["bookingId"]))["Item"]
    )
    assert stored.user_sub == "alice"


def test_a_declined_payment_reopens_the_slot(api):
    venue_id, slot_id = venue_with_slot(api)
    error = api.error(ALICE, BOOK, venueId=venue_id, slotId=slot_id, fail=True)
    assert (error["errorType"], error["message"]) == ("PaymentDeclined", "the payment was declined")
    assert stored_slot(api, venue_id, slot_id).status is SlotStatus.OPEN
    assert (
        api.data(BOB, BOOK, venueId=venue_id, slotId=slot_id)["bookSlot"]["status"] == "CONFIRMED"
    )


def test_the_loser_of_a_race_gets_slot_unavailable(api):
    venue_id, slot_id = venue_with_slot(api)
    racers = [user(f"racer-{n}") for n in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        bodies = list(
            pool.map(lambda who: api.call(who, BOOK, venueId=venue_id, slotId=slot_id), racers)
        )
    winners = [b for b in bodies if "errors" not in b]
    assert len(winners) == 1
    assert {b["errors"][0]["errorType"] for b in bodies if "errors" in b} == {"SlotUnavailable"}
    assert count(api, keys.BOOKING_PREFIX) == 1


def test_the_same_client_token_twice_books_once(api):
    venue_id, slot_id = venue_with_slot(api)
    first = api.data(ALICE, BOOK, venueId=venue_id, slotId=slot_id, token="checkout-1")
    again = api.data(ALICE, BOOK, venueId=venue_id, slotId=slot_id, token="checkout-1")
    assert first == again
    assert count(api, keys.BOOKING_PREFIX) == 1 and count(api, keys.PAYMENT_PREFIX) == 1


@pytest.mark.parametrize(
    ("arguments", "error_type"),
    [
        ({"venueId": "bad#venue", "slotId": "20990101T000000Z-abcdef12"}, "ValidationError"),
        ({"venueId": "v1", "slotId": "not-a-slot-id"}, "ValidationError"),
        (
            {"venueId": "v1", "slotId": "20990101T000000Z-abcdef12", "token": "bad token!"},
            "ValidationError",
        ),
        ({"venueId": "v1", "slotId": "20990101T000000Z-abcdef12"}, "NotFound"),
    ],
)
def test_book_slot_rejects_bad_input_and_writes_nothing(api, arguments, error_type):
    assert api.error(ALICE, BOOK, **arguments)["errorType"] == error_type
    assert count(api, keys.BOOKING_PREFIX) == 0


# --- bookings: who sees and cancels what -----------------------------------------------------


def test_my_bookings_are_mine_only_newest_first(api):
    venue_id = make_venue(api)
    slots = publish(api, venue_id, hour(2), hour(3), hour(4))
    mine = [
        api.data(ALICE, BOOK, venueId=venue_id, slotId=s["slotId"])["bookSlot"] for s in slots[:2]
    ]
    api.data(BOB, BOOK, venueId=venue_id, slotId=slots[2]["slotId"])
    listed = api.data(ALICE, MY_BOOKINGS)["myBookings"]
    assert [b["bookingId"] for b in listed] == [b["bookingId"] for b in reversed(mine)]
    assert {b["userSub"] for b in listed} == {"alice"}
    assert [b["userSub"] for b in api.data(BOB, MY_BOOKINGS)["myBookings"]] == ["bob"]
    assert api.data(user("carol"), MY_BOOKINGS)["myBookings"] == []
    page = """query($n: String) {
      myBookingsPage(limit: 1, nextToken: $n) { items { bookingId } nextToken }
    }"""
    first = api.data(ALICE, page)["myBookingsPage"]
    second = api.data(ALICE, page, n=first["nextToken"])["myBookingsPage"]
    assert [b["bookingId"] for b in first["items"] + second["items"]] == [
        b["bookingId"] for b in reversed(mine)
    ]


def test_a_booking_is_visible_to_its_booker_the_venue_owner_and_admins(api):
    venue_id, slot_id = venue_with_slot(api)
    booking_id = api.data(ALICE, BOOK, venueId=venue_id, slotId=slot_id)["bookSlot"]["bookingId"]
    for reader in (ALICE, OWNER, ADMIN):
        assert api.data(reader, BOOKING, id=booking_id)["booking"]["userSub"] == "alice"
    for stranger in (BOB, OTHER_OWNER):
        assert api.error(stranger, BOOKING, id=booking_id)["errorType"] == "Unauthorized"
    assert api.error(ALICE, BOOKING, id="missing")["errorType"] == "NotFound"


def test_venue_bookings_for_the_owner_and_admins_only(api):
    venue_id = make_venue(api)
    slots = publish(api, venue_id, hour(2), hour(3))
    for booker, slot in zip((ALICE, BOB), slots, strict=True):
        api.data(booker, BOOK, venueId=venue_id, slotId=slot["slotId"])
    first = api.data(OWNER, VENUE_BOOKINGS, v=venue_id, limit=1)["venueBookings"]
    second = api.data(ADMIN, VENUE_BOOKINGS, v=venue_id, limit=1, next=first["nextToken"])[
        "venueBookings"
    ]
    assert [b["userSub"] for b in first["items"] + second["items"]] == ["bob", "alice"]
    for outsider in (OTHER_OWNER, ALICE):
        assert api.error(outsider, VENUE_BOOKINGS, v=venue_id)["errorType"] == "Unauthorized"


def test_cancel_frees_the_slot_for_the_next_booker(api):
    venue_id, slot_id = venue_with_slot(api)
    booking_id = api.data(ALICE, BOOK, venueId=venue_id, slotId=slot_id)["bookSlot"]["bookingId"]
    assert api.error(BOB, CANCEL, id=booking_id)["errorType"] == "Unauthorized"
    cancelled = api.data(ALICE, CANCEL, id=booking_id)["cancelBooking"]
    assert cancelled["status"] == "CANCELLED" and cancelled["updatedAt"]
    slot = stored_slot(api, venue_id, slot_id)
    assert (slot.status, slot.booking_id) == (SlotStatus.OPEN, None)
    assert api.error(ALICE, CANCEL, id=booking_id)["errorType"] == "ValidationError"
    assert (
        api.data(BOB, BOOK, venueId=venue_id, slotId=slot_id)["bookSlot"]["status"] == "CONFIRMED"
    )


def test_cancel_rejects_what_cannot_be_cancelled_and_writes_nothing(api):
    venue_id, slot_id = venue_with_slot(api)
    api.error(ALICE, BOOK, venueId=venue_id, slotId=slot_id, fail=True)
    [failed] = [Booking.from_item(i) for i in api.saga.items(keys.BOOKING_PREFIX)]
    assert failed.status is BookingStatus.FAILED
    assert api.error(ALICE, CANCEL, id=failed.booking_id)["errorType"] == "ValidationError"
    assert api.error(ALICE, CANCEL, id="missing")["errorType"] == "NotFound"
    assert api.error(ALICE, CANCEL, id="bad#id")["errorType"] == "ValidationError"
    assert Booking.from_item(api.saga.items(keys.BOOKING_PREFIX)[0]).status is BookingStatus.FAILED


def test_a_started_slot_cannot_be_cancelled(api):
    venue_id, slot_id = venue_with_slot(api)
    booking_id = api.data(ALICE, BOOK, venueId=venue_id, slotId=slot_id)["bookSlot"]["bookingId"]
    api.saga.table.update_item(
        Key=keys.booking_key(booking_id),
        UpdateExpression="SET startsAt = :past",
        ExpressionAttributeValues={":past": format_instant(hour(-1))},
    )
    assert api.error(ALICE, CANCEL, id=booking_id)["errorType"] == "ValidationError"
    assert stored_slot(api, venue_id, slot_id).status is SlotStatus.BOOKED


# --- authorization of every protected field --------------------------------------------------

SLOT_INPUT = {
    "venueId": "v1",
    "slotId": "20990101T190000Z-abcdef12",
    "startsAt": "2099-01-01T19:00:00Z",
    "endsAt": "2099-01-01T20:00:00Z",
    "price": 4500,
    "status": "HELD",
}


def test_only_iam_publishes_slot_updates(api):
    published = api.data(SYSTEM, PUBLISH_UPDATE, slot=SLOT_INPUT)["publishSlotUpdate"]
    assert published == {
        key: SLOT_INPUT[key] for key in ("venueId", "slotId", "status", "startsAt")
    }
    for caller in (ALICE, ADMIN, PUBLIC):
        assert api.error(caller, PUBLISH_UPDATE, slot=SLOT_INPUT)["errorType"] == "Unauthorized"
    malformed = api.call(SYSTEM, PUBLISH_UPDATE, slot={**SLOT_INPUT, "status": "GONE"})
    assert malformed["data"] is None and "errors" in malformed


@pytest.mark.parametrize(
    ("caller", "query", "variables"),
    [
        (ALICE, CREATE_VENUE, {"name": "mine"}),  # not in admins or owners
        (SYSTEM, CREATE_VENUE, {"name": "mine"}),
        (ALICE, PUBLISH, {"venueId": "v", "slots": [new_slot(hour())]}),
        (ALICE, CLOSE, {"v": "v", "s": "20990101T000000Z-abcdef12"}),
        (SYSTEM, BOOK, {"venueId": "v", "slotId": "20990101T000000Z-abcdef12"}),
        (PUBLIC, BOOK, {"venueId": "v", "slotId": "20990101T000000Z-abcdef12"}),
        (SYSTEM, MY_BOOKINGS, {}),
        (PUBLIC, MY_BOOKINGS, {}),
        (SYSTEM, "{ venues { name } }", {}),
        (PUBLIC, "{ venues { name } }", {}),  # the dev stack has no public reads
        (SYSTEM, CANCEL, {"id": "b"}),
    ],
)
def test_modes_and_groups_the_schema_excludes_are_unauthorized(api, caller, query, variables):
    error = api.error(caller, query, **variables)
    assert error["errorType"] == "Unauthorized"
    assert error["message"].startswith("Not Authorized to access")
    assert count(api, keys.VENUE_PREFIX) == 0


FAR_SLOT = "20990101T190000Z-abcdef12"
EVERY_OPERATION = {
    "venues": "{ venues { name } }",
    "venuesPage": "{ venuesPage { nextToken } }",
    "venue": '{ venue(venueId: "v") { name } }',
    "venueSlots": '{ venueSlots(venueId: "v") { status } }',
    "venueSlotsPage": '{ venueSlotsPage(venueId: "v") { nextToken } }',
    "myBookings": "{ myBookings { status } }",
    "myBookingsPage": "{ myBookingsPage { nextToken } }",
    "booking": '{ booking(bookingId: "b") { status } }',
    "venueBookings": '{ venueBookings(venueId: "v") { nextToken } }',
    "createVenue": 'mutation { createVenue(name: "n") { name } }',
    "publishSlots": (
        'mutation { publishSlots(venueId: "v", slots: [{startsAt: "2099-01-01T19:00:00Z",'
        ' endsAt: "2099-01-01T20:00:00Z", price: 1}]) { status } }'
    ),
    "closeSlot": f'mutation {{ closeSlot(venueId: "v", slotId: "{FAR_SLOT}") {{ status }} }}',
    "bookSlot": f'mutation {{ bookSlot(venueId: "v", slotId: "{FAR_SLOT}") {{ status }} }}',
    "requestBooking": (
        f'mutation {{ requestBooking(venueId: "v", slotId: "{FAR_SLOT}", clientToken: "t")'
        " { status } }"
    ),
    "cancelBooking": 'mutation { cancelBooking(bookingId: "b") { status } }',
    "onSlotUpdate": 'subscription { onSlotUpdate(venueId: "v") { status } }',
    "onBookingUpdate": "subscription { onBookingUpdate { status } }",
}
ROOT_TYPES = {"{": "Query", "mutation": "Mutation", "subscription": "Subscription"}


def test_no_user_operation_is_reachable_by_iam_or_without_public_reads(api):
    for operation, query in EVERY_OPERATION.items():
        root = ROOT_TYPES[query.split()[0]]
        for caller in (SYSTEM, PUBLIC):
            error = api.error(caller, query)
            assert error["errorType"] == "Unauthorized", (operation, caller.mode)
            assert error["message"] == f"Not Authorized to access {operation} on type {root}"
    assert count(api, keys.VENUE_PREFIX) == 0


def test_every_query_and_mutation_is_covered_by_the_mode_checks(deployment):
    schema = deployment.one("aws:appsync/graphQLApi:GraphQLApi").inputs["schema"]
    fields = {
        field.name.value
        for definition in parse(schema).definitions
        if getattr(definition, "name", None)
        and definition.name.value in ("Query", "Mutation", "Subscription")
        for field in definition.fields
    }
    assert fields - {"publishSlotUpdate", "publishBookingUpdate"} == set(EVERY_OPERATION)


def test_owners_manage_only_their_own_venues(api):
    venue_id, slot_id = venue_with_slot(api)
    foreign = api.error(OTHER_OWNER, PUBLISH, venueId=venue_id, slots=[new_slot(hour(5))])
    assert foreign["errorType"] == "Unauthorized"
    assert api.error(OTHER_OWNER, CLOSE, v=venue_id, s=slot_id)["errorType"] == "Unauthorized"
    assert count(api, keys.VENUE_PREFIX) == 2
    assert publish(api, venue_id, hour(5), owner=ADMIN)  # admins manage every venue


@pytest.fixture(scope="module")
def public_deployment(tmp_path_factory):
    project = stack_variant(
        tmp_path_factory.mktemp("public"), "public", {"slate:publicReads": True}
    )
    return engine.run(project, "public", predicted.PredictedBackend)


def test_public_reads_let_an_api_key_read_venues_and_slots_only(public_deployment, aws_env):
    with deployed_api(public_deployment) as api:
        assert len(api.api_keys) == 1
        venue_id, _ = venue_with_slot(api)
        read = api.data(
            PUBLIC,
            "query($v: ID!) { venues { name } venueSlots(venueId: $v) { status } }",
            v=venue_id,
        )
        assert read == {"venues": [{"name": "Chez Slate"}], "venueSlots": [{"status": "OPEN"}]}
        owner = api.error(PUBLIC, "{ venues { ownerSub } }")  # a signed-in user's field only
        assert owner["errorType"] == "Unauthorized" and owner["path"] == ["venues", 0, "ownerSub"]
        assert api.error(PUBLIC, MY_BOOKINGS)["errorType"] == "Unauthorized"
        assert api.error(PUBLIC, CREATE_VENUE, name="x")["errorType"] == "Unauthorized"
        watching = api.engine.execute(SUBSCRIBE, PUBLIC, variables={"v": venue_id})
        assert watching.body == {"data": {"onSlotUpdate": None}}


SUBSCRIBE = "subscription($v: ID!) { onSlotUpdate(venueId: $v) { venueId slotId status } }"


def test_subscribing_runs_the_subscription_resolver(api):
    started = api.engine.execute(SUBSCRIBE, ALICE, variables={"v": "v1"})
    assert started.body == {"data": {"onSlotUpdate": None}}
    assert api.error(ALICE, SUBSCRIBE, v="bad#venue")["errorType"] == "ValidationError"
    for caller in (SYSTEM, PUBLIC):  # IAM publishes, it does not subscribe; no public reads
        assert api.error(caller, SUBSCRIBE, v="v1")["errorType"] == "Unauthorized"


# Slots as (start hour offset in quarter hours, length in quarter hours) on one future day.
BATCHES = st.lists(
    st.tuples(st.integers(min_value=0, max_value=40), st.integers(min_value=1, max_value=8)),
    min_size=1,
    max_size=6,
)


def overlapping(intervals: list[tuple[int, int]]) -> bool:
    spans = sorted((start, start + length) for start, length in intervals)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=BATCHES, second=BATCHES)
def test_published_slots_never_overlap(api, first, second):
    """Whatever two batches an owner publishes, a batch is accepted exactly when it overlaps
    neither itself nor what is already there, and the venue never holds two overlapping slots."""
    venue_id = make_venue(api)
    base = hour(3)
    accepted: list[tuple[int, int]] = []
    for batch in (first, second):
        slots = [new_slot(base + timedelta(minutes=15 * s), minutes=15 * n) for s, n in batch]
        body = api.call(OWNER, PUBLISH, venueId=venue_id, slots=slots)
        expected = not overlapping(batch + accepted)
        assert ("errors" not in body) == expected, (batch, accepted, body)
        if expected:
            accepted += batch
        else:
            assert body["errors"][0]["errorType"] == "ValidationError"
    stored = api.data(ALICE, SLOTS, v=venue_id)["venueSlots"]
    assert len(stored) == len(accepted)


def test_a_cancel_that_finds_the_slot_taken_over_still_refunds_and_cancels_the_booking(api):
    venue_id, slot_id = venue_with_slot(api)
    booking_id = api.data(ALICE, BOOK, venueId=venue_id, slotId=slot_id)["bookSlot"]["bookingId"]
    api.saga.table.update_item(  # the slot moved on since the booking was read
        Key=keys.slot_key(venue_id, slot_id),
        UpdateExpression="SET bookingId = :other",
        ExpressionAttributeValues={":other": "someone-else"},
    )
    cancelled = api.data(ALICE, CANCEL_WITH_REFUND, id=booking_id)["cancelBooking"]
    assert cancelled["status"] == "CANCELLED" and cancelled["refundId"].startswith("re_")
    slot = stored_slot(api, venue_id, slot_id)
    assert (slot.status, slot.booking_id) == (SlotStatus.BOOKED, "someone-else")  # not ours


def test_a_cancel_that_cannot_write_after_the_refund_says_so_and_finishes_later(api):
    venue_id, slot_id = venue_with_slot(api)
    booking_id = api.data(ALICE, BOOK, venueId=venue_id, slotId=slot_id)["bookSlot"]["bookingId"]
    throttled = DynamodbException(
        "ProvisionedThroughputExceededException", "The level of configured provisioned throughput"
    )
    with mock.patch.object(DynamoDBBackend, "transact_write_items", side_effect=throttled):
        error = api.error(ALICE, CANCEL, id=booking_id)
    assert error["errorType"] == "RequestPending" and "same refund" in error["message"]
    assert stored_slot(api, venue_id, slot_id).status is SlotStatus.BOOKED
    stored = api.saga.table.get_item(Key=keys.booking_key(booking_id))["Item"]
    assert stored["status"] == "CONFIRMED" and "cancellingSince" in stored
    stale = int(stored["cancellingSince"]) - 600  # as if five minutes had passed
    api.saga.table.update_item(
        Key=keys.booking_key(booking_id),
        UpdateExpression="SET cancellingSince = :t",
        ExpressionAttributeValues={":t": stale},
    )
    finished = api.data(ALICE, CANCEL_WITH_REFUND, id=booking_id)["cancelBooking"]
    payment = api.saga.table.get_item(Key=keys.payment_key(booking_id))["Item"]
    assert (finished["status"], finished["refundId"]) == ("CANCELLED", payment["refundId"])
    assert stored_slot(api, venue_id, slot_id).status is SlotStatus.OPEN
