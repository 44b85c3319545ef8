"""The local cloud's state across restarts, as `make dev` users meet it: a graceful stop and a
`kill -9` both resume with every venue, slot, booking, user and queued message; old tokens still
verify; a stale discovery file is replaced; `--fresh` starts empty."""

import signal
import time

import pytest
from gql import gql

from cloud_harness import aws, book, http_client, open_slot, start_cloud, stop_cloud, token
from domain import keys
from local.aws.persistence import SNAPSHOT_SECONDS
from local.discovery import live_discovery
from support import stack_variant

ALICE, BOB = "alice@example.com", "bob@example.com"


@pytest.fixture
def project(tmp_path):
    return stack_variant(tmp_path / "restart", "e2e", {})


def items(discovery: dict) -> list[dict]:
    [name] = aws(discovery, "dynamodb").list_tables()["TableNames"]
    return aws(discovery, "dynamodb", resource=True).Table(name).scan()["Items"]


def check_invariants(found: list[dict]) -> None:
    """What the security probe checked: no slot booked twice, no booking left PENDING."""
    bookings = [i for i in found if str(i[keys.PK]).startswith(keys.BOOKING_PREFIX)]
    confirmed = [(b["venueId"], b["slotId"]) for b in bookings if b["status"] == "CONFIRMED"]
    assert len(confirmed) == len(set(confirmed))
    assert not [b for b in bookings if b["status"] == "PENDING"]


def bookings_of(discovery: dict, jwt: str) -> dict[str, str]:
    mine = http_client(discovery, jwt).execute(gql("{ myBookings { bookingId status } }"))
    mine = mine["myBookings"]
    return {b["bookingId"]: b["status"] for b in mine}


def test_a_killed_cloud_resumes_with_everything_acknowledged(project):
    process, discovery, _ = start_cloud(project)
    try:
        alice = token(discovery, ALICE)
        venue, slot = open_slot(discovery, alice)
        confirmed = book(discovery, alice, venue, slot)
        _, other = open_slot(discovery, alice)
        declined = book(discovery, alice, venue, other, fail=True)
        dlq = aws(discovery, "sqs")
        [queue] = [url for url in dlq.list_queues()["QueueUrls"] if "realtime-dlq" in url]
        dlq.send_message(QueueUrl=queue, MessageBody='{"looked": "at later"}')
        time.sleep(SNAPSHOT_SECONDS * 3)  # writes through the moto endpoint: within 0.5 s
        _, last_slot = open_slot(discovery, alice)
        last = book(discovery, alice, venue, last_slot)
        before = items(discovery)
    finally:
        process.send_signal(signal.SIGKILL)  # at once: an acknowledged mutation is on disk
        process.wait(10)
    assert confirmed["status"] == "CONFIRMED" and declined == "PaymentDeclined"
    assert (project / ".slate" / "local.json").exists()  # left behind by the killed cloud
    assert live_discovery(project) is None  # ... and known to be stale

    process, resumed, _ = start_cloud(project)
    try:
        assert live_discovery(project) == resumed
        assert resumed["userPoolId"] == discovery["userPoolId"]
        assert resumed["userPoolClientId"] == discovery["userPoolClientId"]
        assert resumed["users"] == discovery["users"]
        after = items(resumed)
        assert {(i[keys.PK], i[keys.SK]) for i in after} == {
            (i[keys.PK], i[keys.SK]) for i in before
        }
        check_invariants(after)
        mine = bookings_of(resumed, alice)  # with the token issued before the kill
        assert mine[confirmed["bookingId"]] == mine[last["bookingId"]] == "CONFIRMED"
        assert sorted(mine.values()) == ["CONFIRMED", "CONFIRMED", "FAILED"]
        assert book(resumed, token(resumed, BOB), venue, slot) == "SlotUnavailable"
        queued = aws(resumed, "sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=0)
        assert [m["Body"] for m in queued["Messages"]] == ['{"looked": "at later"}']
        _, fresh_slot = open_slot(resumed, alice)
        assert book(resumed, token(resumed, BOB), venue, fresh_slot)["status"] == "CONFIRMED"
    finally:
        stop_cloud(process)

    process, again, _ = start_cloud(project)  # after a graceful stop, the last write is kept
    try:
        check_invariants(items(again))
        assert len(bookings_of(again, token(again, BOB))) == 1
    finally:
        stop_cloud(process)


def test_fresh_starts_empty_and_one_cloud_runs_per_project(project):
    process, discovery, _ = start_cloud(project)
    try:
        alice = token(discovery, ALICE)
        venue, slot = open_slot(discovery, alice)
        book(discovery, alice, venue, slot)
        time.sleep(SNAPSHOT_SECONDS * 3)
        with pytest.raises(AssertionError, match="already running"):
            start_cloud(project)
    finally:
        stop_cloud(process)
    process, fresh, _ = start_cloud(project, "--fresh")
    try:
        assert bookings_of(fresh, token(fresh, ALICE)) == {}
        assert fresh["userPoolId"] != discovery["userPoolId"]
    finally:
        stop_cloud(process)
