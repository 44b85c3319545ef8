"""The repository against moto's DynamoDB: the sweeper's read of expired holds, its pages, its
order, and its refusals. (Every other read is a resolver's, tested through the API.)"""

import base64
import json

import pytest

from domain.entities import Hold
from domain.errors import MalformedItem, ValidationError
from domain.repository import MAX_PAGE_SIZE, BookingRepository

BASE = 1_795_000_000


@pytest.fixture
def repo(booking_table):
    return BookingRepository(booking_table)


def put_holds(table, *expiries: int) -> None:
    with table.batch_writer() as batch:
        for n in expiries:
            batch.put_item(Item=Hold(f"b{n}", "v1", f"s{n}", BASE + n).to_item())


def token(key: dict) -> str:
    text = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_expired_holds_come_from_the_holds_index_oldest_first(booking_table, repo):
    put_holds(booking_table, 3, 1, 2)
    booking_table.operations.clear()
    holds = repo.expired_holds(now_epoch=BASE + 3)
    assert [h.booking_id for h in holds.items] == ["b1", "b2"]  # b3 expires at that second
    assert holds.next_token is None
    assert repo.expired_holds(now_epoch=BASE + 1).items == []
    assert "Scan" not in booking_table.operations
    assert set(booking_table.operations) == {"Query"}


def test_pages_continue_where_they_stopped(booking_table, repo):
    put_holds(booking_table, *range(1, 6))
    seen, next_token, pages = [], None, 0
    while True:
        page = repo.expired_holds(now_epoch=BASE + 10, limit=2, next_token=next_token)
        seen += [h.booking_id for h in page.items]
        pages += 1
        next_token = page.next_token
        if next_token is None:
            break
    assert seen == ["b1", "b2", "b3", "b4", "b5"]
    assert pages == 3


def test_a_token_for_another_partition_is_refused(booking_table, repo):
    put_holds(booking_table, 1, 2)
    forged = token({"pk": "VENUE#v1", "sk": "META", "gsi1pk": "VENUE", "gsi1sk": "a#v1"})
    with pytest.raises(ValidationError, match="nextToken is not a token this list returned"):
        repo.expired_holds(now_epoch=BASE + 10, next_token=forged)


def test_a_malformed_marker_raises_instead_of_half_an_entity(booking_table, repo):
    broken = Hold("b1", "v1", "s1", BASE + 1).to_item()
    del broken["slotId"]
    booking_table.put_item(Item=broken)
    with pytest.raises(MalformedItem, match="Hold item 'HOLD#b1'/'META': attribute 'slotId'"):
        repo.expired_holds(now_epoch=BASE + 10)


@pytest.mark.parametrize("bad", ["", "not base64 !", "bm90IGpzb24", "WzFd", "e30", "x" * 5000])
def test_malformed_tokens_are_validation_errors(repo, bad):
    with pytest.raises(ValidationError, match="nextToken"):
        repo.expired_holds(now_epoch=BASE, next_token=bad)


@pytest.mark.parametrize("limit", [0, -1, MAX_PAGE_SIZE + 1, True, "10", 2.5])
def test_page_size_is_bounded(booking_table, repo, limit):
    booking_table.operations.clear()
    with pytest.raises(
        ValidationError, match=f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}"
    ):
        repo.expired_holds(now_epoch=BASE, limit=limit)
    assert booking_table.operations == []
