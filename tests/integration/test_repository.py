"""The repository against moto's DynamoDB: every access pattern, pages, order, windows, errors."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import keys
from domain.entities import Booking, BookingRef, Hold, Slot, Venue
from domain.errors import MalformedItem, ValidationError
from domain.instants import format_instant
from domain.repository import MAX_PAGE_SIZE, BookingRepository
from domain.statuses import BookingStatus

EVENING = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
def repo(booking_table):
    return BookingRepository(booking_table)


def put(table, *entities):
    with table.batch_writer() as batch:
        for entity in entities:
            batch.put_item(Item=entity.to_item())


def slot(venue_id: str, starts_at: datetime, minutes: int = 60, price: int = 2000) -> Slot:
    return Slot(
        venue_id=venue_id,
        slot_id=keys.new_slot_id(starts_at),
        starts_at=format_instant(starts_at),
        ends_at=format_instant(starts_at + timedelta(minutes=minutes)),
        price=price,
    )


def booking(
    booking_id: str, user: str, venue_id: str, created: datetime
) -> tuple[Booking, BookingRef]:
    created_at = format_instant(created)
    entity = Booking(
        booking_id=booking_id,
        user_sub=user,
        venue_id=venue_id,
        slot_id=keys.new_slot_id(EVENING),
        starts_at=format_instant(EVENING),
        price=2000,
        status=BookingStatus.CONFIRMED,
        created_at=created_at,
        updated_at=created_at,
    )
    return entity, BookingRef(user, booking_id, venue_id, entity.slot_id, created_at)


def all_pages(fetch, **kwargs) -> tuple[list, int]:
    """Every item of a paginated list, and how many pages it took."""
    items, token, pages = [], None, 0
    while True:
        page = fetch(**kwargs, next_token=token)
        items += page.items
        pages += 1
        token = page.next_token
        if token is None:
            return items, pages


def test_venues_are_listed_by_name_across_pages(booking_table, repo):
    names = ["zebra bar", "Alpha", "mango", "Beta", "alpine"]
    put(
        booking_table,
        *(Venue(f"v{i}", n, "owner", "2026-11-01T00:00:00Z") for i, n in enumerate(names)),
    )
    venues, pages = all_pages(repo.list_venues, limit=2)
    assert [v.name for v in venues] == ["Alpha", "alpine", "Beta", "mango", "zebra bar"]
    assert pages >= 3


def test_venue_list_does_not_include_other_entities(booking_table, repo):
    put(booking_table, Venue("v1", "Only", "o", "2026-11-01T00:00:00Z"), slot("v1", EVENING))
    b, ref = booking("b1", "u1", "v1", EVENING)
    put(booking_table, b, ref)
    assert [v.venue_id for v in repo.list_venues().items] == ["v1"]


def test_get_venue_and_slot(booking_table, repo):
    venue = Venue("v1", "Chez Nous", "owner", "2026-11-01T00:00:00Z")
    evening = slot("v1", EVENING)
    put(booking_table, venue, evening)
    assert repo.get_venue("v1") == venue
    assert repo.get_venue("v2") is None
    assert repo.get_slot("v1", evening.slot_id) == evening
    assert repo.get_slot("v1", keys.new_slot_id(EVENING)) is None


def test_slots_are_ordered_by_start_and_paginated(booking_table, repo):
    starts = [EVENING + timedelta(hours=h) for h in (5, 0, 3, 1, 4, 2)]
    put(booking_table, *(slot("v1", s) for s in starts), slot("v2", EVENING))
    slots, pages = all_pages(repo.venue_slots, venue_id="v1", limit=4)
    assert [s.starts_at for s in slots] == [format_instant(s) for s in sorted(starts)]
    assert {s.venue_id for s in slots} == {"v1"}
    assert pages == 2


def test_slot_window_is_half_open(booking_table, repo):
    hours = [EVENING + timedelta(hours=h) for h in range(6)]
    put(booking_table, *(slot("v1", h) for h in hours))

    def window(start=None, end=None):
        page = repo.venue_slots("v1", starts_from=start, starts_before=end, limit=100)
        return [s.starts_at for s in page.items]

    fmt = [format_instant(h) for h in hours]
    assert window(hours[1], hours[4]) == fmt[1:4]  # start included, end excluded
    assert window(hours[1] + timedelta(seconds=1), hours[4] + timedelta(seconds=1)) == fmt[2:5]
    assert window(start=hours[4]) == fmt[4:]
    assert window(end=hours[2]) == fmt[:2]
    assert window(hours[0] - timedelta(days=1), hours[0]) == []
    assert window() == fmt


def test_an_empty_or_reversed_window_is_a_validation_error(repo):
    with pytest.raises(ValidationError, match="start must be before its end"):
        repo.venue_slots("v1", starts_from=EVENING, starts_before=EVENING)
    with pytest.raises(ValidationError, match="start must be before its end"):
        repo.venue_slots("v1", starts_from=EVENING, starts_before=EVENING - timedelta(hours=1))


def test_user_bookings_are_newest_first_and_only_their_own(booking_table, repo):
    for i in range(5):
        put(booking_table, *booking(f"mine{i}", "alice", "v1", EVENING + timedelta(minutes=i)))
    put(booking_table, *booking("theirs", "bob", "v1", EVENING + timedelta(hours=1)))
    mine, pages = all_pages(repo.user_bookings, user_sub="alice", limit=2)
    assert [b.booking_id for b in mine] == [f"mine{i}" for i in reversed(range(5))]
    assert all(b.user_sub == "alice" for b in mine)
    assert pages >= 3
    assert [b.booking_id for b in repo.user_bookings("bob").items] == ["theirs"]
    assert repo.user_bookings("carol").items == []


def test_user_bookings_read_refs_then_one_batch_of_bookings(booking_table, repo):
    for i in range(3):
        put(booking_table, *booking(f"b{i}", "alice", "v1", EVENING + timedelta(minutes=i)))
    booking_table.operations.clear()
    assert len(repo.user_bookings("alice").items) == 3
    assert booking_table.operations == ["Query", "BatchGetItem"]


def test_venue_bookings_are_newest_first_and_only_that_venues(booking_table, repo):
    for i in range(4):
        put(booking_table, *booking(f"b{i}", f"user{i}", "v1", EVENING + timedelta(minutes=i)))
    put(booking_table, *booking("elsewhere", "user9", "v2", EVENING))
    put(booking_table, slot("v1", EVENING))  # shares the venue's partition, is not a booking
    found, _ = all_pages(repo.venue_bookings, venue_id="v1", limit=3)
    assert [b.booking_id for b in found] == ["b3", "b2", "b1", "b0"]


def test_get_booking(booking_table, repo):
    entity, ref = booking("b1", "alice", "v1", EVENING)
    put(booking_table, entity, ref)
    assert repo.get_booking("b1") == entity
    assert repo.get_booking("b2") is None


def test_no_access_pattern_scans(booking_table, repo):
    put(booking_table, Venue("v1", "A", "o", "2026-11-01T00:00:00Z"), slot("v1", EVENING))
    put(booking_table, *booking("b1", "alice", "v1", EVENING))
    repo.list_venues()
    repo.get_venue("v1")
    repo.venue_slots("v1", starts_from=EVENING)
    repo.user_bookings("alice")
    repo.venue_bookings("v1")
    repo.get_booking("b1")
    assert "Scan" not in booking_table.operations
    assert set(booking_table.operations) >= {"Query", "GetItem", "BatchGetItem"}


def test_a_malformed_item_raises_instead_of_half_an_entity(booking_table, repo):
    broken = slot("v1", EVENING).to_item()
    del broken["price"]
    booking_table.put_item(Item=broken)
    with pytest.raises(MalformedItem, match=r"Slot item 'VENUE#v1'/'SLOT#.*': attribute 'price'"):
        repo.venue_slots("v1")
    with pytest.raises(MalformedItem, match="attribute 'price'"):
        repo.get_slot("v1", broken["slotId"])


def test_tokens_only_continue_their_own_list(booking_table, repo):
    for i in range(3):
        put(booking_table, *booking(f"a{i}", "alice", "v1", EVENING + timedelta(minutes=i)))
        put(booking_table, *booking(f"b{i}", "bob", "v2", EVENING + timedelta(minutes=i)))
    alice_token = repo.user_bookings("alice", limit=1).next_token
    assert alice_token
    assert repo.user_bookings("alice", limit=1, next_token=alice_token).items[0].booking_id == "a1"
    with pytest.raises(ValidationError, match="nextToken is not a token this list returned"):
        repo.user_bookings("bob", next_token=alice_token)
    venue_token = repo.venue_bookings("v1", limit=1).next_token
    with pytest.raises(ValidationError, match="nextToken"):
        repo.venue_bookings("v2", next_token=venue_token)
    with pytest.raises(ValidationError, match="nextToken"):
        repo.user_bookings("alice", next_token=venue_token)


@pytest.mark.parametrize("token", ["", "not base64 !", "bm90IGpzb24", "WzFd", "e30", "x" * 5000])
def test_malformed_tokens_are_validation_errors(repo, token):
    with pytest.raises(ValidationError, match="nextToken"):
        repo.list_venues(next_token=token)


@pytest.mark.parametrize("limit", [0, -1, MAX_PAGE_SIZE + 1, True, "10", 2.5])
def test_page_size_is_bounded(repo, limit):
    with pytest.raises(
        ValidationError, match=f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}"
    ):
        repo.list_venues(limit=limit)


def test_ids_are_validated_before_any_call(booking_table, repo):
    booking_table.operations.clear()
    with pytest.raises(ValidationError, match="venueId"):
        repo.venue_slots("v1#SLOT")
    with pytest.raises(ValidationError, match="user"):
        repo.user_bookings("alice#x")
    assert booking_table.operations == []


def test_expired_holds_come_from_the_holds_index_oldest_first(booking_table, repo):
    put(booking_table, *(Hold(f"b{n}", "v1", f"s{n}", 1_795_000_000 + n) for n in (3, 1, 2)))
    holds = repo.expired_holds(now_epoch=1_795_000_003)
    assert [h.booking_id for h in holds.items] == ["b1", "b2"]  # b3 expires at that second
    assert repo.expired_holds(now_epoch=1_795_000_001).items == []
    assert "Scan" not in booking_table.operations
    first = repo.expired_holds(now_epoch=1_795_000_010, limit=2)
    rest = repo.expired_holds(now_epoch=1_795_000_010, limit=2, next_token=first.next_token)
    assert [h.booking_id for h in first.items + rest.items] == ["b1", "b2", "b3"]
