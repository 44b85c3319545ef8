"""The local cloud's saved state: moto's state round-trips (items, users and their passwords,
queued messages), a change costs a journal entry the size of the change whatever the table
holds, a journal cut short by a kill is read up to its last whole entry, and a state that cannot
be read is set aside."""

import pickle
import threading
from contextlib import nullcontext
from datetime import datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from moto.backends import get_backend
from moto.core.base_backend import BackendDict

from local.aws import persistence
from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.moto_core import MOTO_CONFIG
from local.aws.persistence import Snapshots
from local.aws.session import local_aws
from support import create_plain_table

REGION = "us-east-1"
KEY = {"id": {"S": "kept"}}


def client(service: str):
    return boto3.client(service, region_name=REGION)


@pytest.fixture
def aws(aws_env):
    with mock_aws(config=MOTO_CONFIG), local_aws(LambdaRuntime()), persistence.tracking_changes():
        yield


def build_state(items: int = 0) -> dict:
    dynamodb = client("dynamodb")
    create_plain_table(dynamodb, "things", keys=("id",), stream="NEW_AND_OLD_IMAGES")
    dynamodb.put_item(TableName="things", Item={**KEY, "n": {"N": "7"}})
    table = boto3.resource("dynamodb", region_name=REGION).Table("things")
    with table.batch_writer() as batch:
        for n in range(items):
            batch.put_item(Item={"id": f"filler-{n}", "text": "x" * 100})
    cognito = client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="users")["UserPool"]["Id"]
    app = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    url = client("sqs").create_queue(QueueName="dlq")["QueueUrl"]
    return {"pool": pool, "client": app, "queue": url}


def add_user(state: dict, name: str) -> None:
    cognito = client("cognito-idp")
    cognito.admin_create_user(UserPoolId=state["pool"], Username=name)
    cognito.admin_set_user_password(
        UserPoolId=state["pool"], Username=name, Password="Passw0rd!Kept", Permanent=True
    )


def signs_in(state: dict, name: str) -> bool:
    answer = client("cognito-idp").initiate_auth(
        ClientId=state["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": "Passw0rd!Kept"},
    )
    return bool(answer["AuthenticationResult"]["IdToken"])


def stream_records() -> list[dict]:
    """Every record of the `things` table's stream, from its start."""
    streams = client("dynamodbstreams")
    arn = client("dynamodb").describe_table(TableName="things")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return streams.get_records(ShardIterator=iterator)["Records"]


def restart() -> None:
    """moto forgets everything, as a new process starts with nothing."""
    BackendDict.reset()
    assert client("dynamodb").list_tables()["TableNames"] == []


def test_the_base_and_its_journal_bring_everything_back(aws, tmp_path):
    state = build_state()
    add_user(state, "ada")
    extras = {"users": ["ada"]}
    snapshots = Snapshots(tmp_path, lambda: extras)
    snapshots.pump()  # the first look writes a base
    client("dynamodb").update_item(
        TableName="things", Key=KEY, UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "8"}},
    )  # fmt: skip
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "later"}})
    client("sqs").send_message(QueueUrl=state["queue"], MessageBody="poison")
    add_user(state, "bob")
    extras = {"users": ["ada", "bob"]}
    snapshots.pump()  # journaled, not a new base
    assert snapshots.journal.stat().st_size > 8
    restart()

    assert Snapshots(tmp_path, dict).load() == {"users": ["ada", "bob"]}
    item = client("dynamodb").get_item(TableName="things", Key=KEY)["Item"]
    assert item == {**KEY, "n": {"N": "8"}}
    scanned = client("dynamodb").scan(TableName="things")["Items"]
    assert sorted(i["id"]["S"] for i in scanned) == ["kept", "later"]
    assert signs_in(state, "ada") and signs_in(state, "bob")
    [message] = client("sqs").receive_message(QueueUrl=state["queue"])["Messages"]
    assert message["Body"] == "poison"
    events = [r["eventName"] for r in stream_records()]
    assert events == ["INSERT", "MODIFY", "INSERT"]  # the stream goes on where it was


def test_a_change_costs_an_entry_its_own_size_however_big_the_table(aws, tmp_path):
    build_state(items=2000)
    snapshots = Snapshots(tmp_path, dict)
    snapshots.pump()
    base = snapshots.base.stat().st_size
    assert base > 200_000
    journal = snapshots.journal.stat().st_size
    client("dynamodb").get_item(TableName="things", Key=KEY)
    client("dynamodb").query(
        TableName="things",
        KeyConditionExpression="id = :id",
        ExpressionAttributeValues={":id": {"S": "kept"}},
    )
    client("cognito-idp").list_user_pools(MaxResults=10)
    snapshots.pump()
    assert snapshots.journal.stat().st_size == journal  # reads change nothing
    client("dynamodb").delete_item(TableName="things", Key=KEY)
    snapshots.pump()
    entry = snapshots.journal.stat().st_size - journal
    assert 0 < entry < 2_000  # one item and its stream record, not the table
    assert snapshots.base.stat().st_size == base


def test_a_journal_cut_short_is_read_to_its_last_whole_entry(aws, tmp_path):
    build_state()
    snapshots = Snapshots(tmp_path, dict)
    snapshots.pump()
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "whole"}})
    snapshots.pump()
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "torn"}})
    snapshots.pump()
    data = snapshots.journal.read_bytes()
    snapshots.journal.write_bytes(data[:-5])  # killed while writing the last entry
    restart()
    Snapshots(tmp_path, dict).load()
    scanned = client("dynamodb").scan(TableName="things")["Items"]
    assert sorted(i["id"]["S"] for i in scanned) == ["kept", "whole"]


def test_a_journal_outgrowing_its_base_becomes_a_new_base(aws, tmp_path, monkeypatch):
    build_state()
    settled = []
    snapshots = Snapshots(tmp_path, dict, lambda: settled.append(snapshots.base.read_bytes()))
    snapshots.pump()
    monkeypatch.setattr(persistence, "MINIMUM_JOURNAL_BYTES", 0)
    monkeypatch.setattr(persistence, "JOURNAL_GROWTH_LIMIT", 3)
    first_base = snapshots.base.read_bytes()

    def busy_until(size: int) -> None:
        n = 0
        while snapshots.journal.stat().st_size <= size:
            n += 1
            client("dynamodb").put_item(TableName="things", Item={"id": {"S": f"{size}-{n}"}})
            snapshots.pump()

    busy_until(len(first_base))  # outgrown, but requests keep coming: no new base yet
    assert snapshots.base.read_bytes() == first_base
    snapshots.pump()
    assert snapshots.base.read_bytes() == first_base  # quiet for a moment only
    monkeypatch.setattr(persistence, "QUIET_SECONDS", 0.0)
    snapshots.pump()  # quiet long enough: the new base
    second_base = snapshots.base.read_bytes()
    assert second_base != first_base
    assert snapshots.journal.stat().st_size < len(second_base)
    assert settled == [second_base]  # much changed, then nothing: the moment to tidy
    monkeypatch.setattr(persistence, "QUIET_SECONDS", 60.0)
    sizes = []  # busy as it stays, a new base comes once the journal is three times the base
    while snapshots.base.read_bytes() == second_base and len(sizes) < 5_000:
        client("dynamodb").put_item(TableName="things", Item={"id": {"S": f"busy-{len(sizes)}"}})
        sizes.append(snapshots.journal.stat().st_size)
        snapshots.pump()
    assert snapshots.base.read_bytes() != second_base
    assert 3 * len(second_base) < sizes[-1] < 4 * len(second_base)
    assert settled == [second_base]  # a base forced while busy is no quiet moment
    written = len(client("dynamodb").scan(TableName="things")["Items"])
    stale_journal = snapshots.journal.read_bytes()
    create_plain_table(client("dynamodb"), "more", keys=("id",))
    snapshots.pump()  # a new table: a new base, at once
    snapshots.journal.write_bytes(stale_journal)  # a journal of an older base is not replayed
    restart()
    Snapshots(tmp_path, dict).load()
    assert sorted(client("dynamodb").list_tables()["TableNames"]) == ["more", "things"]
    assert len(client("dynamodb").scan(TableName="things")["Items"]) == written


def test_an_unreadable_state_is_set_aside_not_half_read(aws, tmp_path):
    (tmp_path / "base.pickle").write_bytes(b"not a pickle")
    assert Snapshots(tmp_path, dict).load() is None
    assert (tmp_path / "base.unreadable").read_bytes() == b"not a pickle"
    assert Snapshots(tmp_path / "nothing", dict).load() is None


class Killed(BaseException):
    """The process dies here."""


def items_by_id() -> dict[str, dict]:
    return {i["id"]["S"]: i for i in client("dynamodb").scan(TableName="things")["Items"]}


@pytest.mark.parametrize("killed_before_the_journal_is_swapped", [False, True])
def test_requests_and_their_flushes_go_on_while_a_base_is_written(
    aws, tmp_path, monkeypatch, killed_before_the_journal_is_swapped
):
    """A base is written a slice of items at a time. Between slices another thread writes
    and flushes, as a request does before its answer: neither DynamoDB's lock nor the journal
    is held. What it wrote comes back once, whatever slice the item was in (before, after,
    or none), even if the process dies after the base is written but before the journal that
    goes on from it is."""
    build_state(items=95)
    snapshots = Snapshots(tmp_path, dict)
    snapshots.save()
    monkeypatch.setattr(persistence, "ITEMS_PER_SLICE", 10)
    dynamodb = client("dynamodb")

    def text_of(name: str, text: str) -> None:
        dynamodb.update_item(
            TableName="things", Key={"id": {"S": name}}, UpdateExpression="SET #t = :t",
            ExpressionAttributeNames={"#t": "text"}, ExpressionAttributeValues={":t": {"S": text}},
        )  # fmt: skip

    writes = [
        lambda: dynamodb.put_item(TableName="things", Item={"id": {"S": "meanwhile"}}),
        lambda: text_of("filler-90", "changed before its slice"),
        lambda: text_of("filler-0", "changed after its slice"),
        lambda: dynamodb.delete_item(TableName="things", Key=KEY),  # in the first slice
    ]
    slices = []

    def a_request_meanwhile() -> None:
        slices.append(len(slices))
        if not writes:
            return
        write = writes.pop(0)
        thread = threading.Thread(target=lambda: (write(), snapshots.flush()))
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the request waited for the base"

    monkeypatch.setattr(persistence, "_between_slices", a_request_meanwhile)
    replace = persistence._replace

    def killed_at_the_journal(path, data):
        if path == snapshots.journal:
            raise Killed
        replace(path, data)

    with monkeypatch.context() as patched:
        if killed_before_the_journal_is_swapped:
            patched.setattr(persistence, "_replace", killed_at_the_journal)
        with pytest.raises(Killed) if killed_before_the_journal_is_swapped else nullcontext():
            snapshots.save()
    assert len(slices) == 10 and not writes  # 96 items, ten at a time
    items, records = items_by_id(), stream_records()
    assert "kept" not in items and items["filler-90"]["text"]["S"] == "changed before its slice"
    restart()

    resumed = Snapshots(tmp_path, dict)
    resumed.load()
    assert items_by_id() == items
    assert stream_records() == records  # each once, in order
    dynamodb.put_item(TableName="things", Item={"id": {"S": "after"}})
    resumed.flush()  # to the journal that goes on from the base, whether or not it was swapped
    restart()
    Snapshots(tmp_path, dict).load()
    assert set(items_by_id()) == {*items, "after"}


def test_a_base_that_fails_part_way_is_tried_again_at_the_next_look(aws, tmp_path, monkeypatch):
    """A service changing under the pickler (a dict that changes size) fails a base: the next
    look writes it, with the table change that called for it."""
    build_state()
    snapshots = Snapshots(tmp_path, dict)
    snapshots.pump()
    create_plain_table(client("dynamodb"), "more", keys=("id",))
    taken = persistence._Layout.taken

    def changed_meanwhile():
        monkeypatch.setattr(persistence._Layout, "taken", taken)
        raise RuntimeError("dictionary changed size during iteration")

    monkeypatch.setattr(persistence._Layout, "taken", changed_meanwhile)
    assert snapshots.pump() == 0.0  # look again at once
    snapshots.pump()
    restart()
    Snapshots(tmp_path, dict).load()
    assert sorted(client("dynamodb").list_tables()["TableNames"]) == ["more", "things"]


def test_a_flush_keeps_every_change_so_far_even_before_the_first_look(aws, tmp_path):
    """What the gateway calls before answering a mutation: on a fresh start there is no base
    yet, and the flush writes one."""
    build_state()
    snapshots = Snapshots(tmp_path, dict)
    snapshots.flush()
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "acknowledged"}})
    snapshots.flush()
    restart()
    Snapshots(tmp_path, dict).load()
    scanned = client("dynamodb").scan(TableName="things")["Items"]
    assert sorted(i["id"]["S"] for i in scanned) == ["acknowledged", "kept"]


def test_a_new_base_keeps_no_stream_record_past_24_hours(aws, tmp_path):
    build_state()
    snapshots = Snapshots(tmp_path, dict)
    snapshots.pump()
    for n in range(3):
        client("dynamodb").put_item(TableName="things", Item={"id": {"S": f"old-{n}"}})
    old = stream_records()
    shard = persistence._table(REGION, "things").stream_shard
    for record in shard.items:  # a day and a moment ago
        stream = record.record["dynamodb"]
        stream["ApproximateCreationDateTime"] -= timedelta(hours=24, seconds=1)
    snapshots.pump()
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "new"}})
    snapshots.save()
    [kept] = [r["dynamodb"]["SequenceNumber"] for r in stream_records()]  # "new" alone
    assert int(kept) == int(old[-1]["dynamodb"]["SequenceNumber"]) + 1
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "newer"}})
    snapshots.flush()
    before = stream_records()
    restart()
    Snapshots(tmp_path, dict).load()
    assert stream_records() == before
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "after"}})
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in stream_records()]
    assert numbers == list(range(numbers[0], numbers[0] + 3))


@pytest.mark.parametrize("streams_expired_records", [False, True])
def test_a_base_pickled_whole_as_before_still_loads(aws, tmp_path, streams_expired_records):
    """Bases were one pickle of every service whole; before streams expired records, they
    kept each stream's length instead of where it ended."""
    build_state(items=30)
    snapshots = Snapshots(tmp_path, dict)
    snapshots.save()
    base = pickle.loads(snapshots.base.read_bytes())  # the header: the slices follow it
    del base["journal_from"]
    base["format"] = persistence.WHOLE_BASE_FORMAT
    base["services"] = {
        name: persistence._pickled(dict(get_backend(name))) for name in base["services"]
    }
    if not streams_expired_records:
        [(key, end)] = base.pop("stream_ends").items()
        base["streams"] = {
            key: end - persistence._table(*key).stream_shard.starting_sequence_number
        }
    snapshots.base.write_bytes(pickle.dumps(base))
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "journaled"}})
    snapshots.flush()
    items, records = items_by_id(), stream_records()
    restart()
    Snapshots(tmp_path, dict).load()
    assert items_by_id() == items
    assert stream_records() == records


def test_changes_then_a_quiet_moment_call_settled_once_whether_or_not_a_base_is_due(
    aws, tmp_path, monkeypatch
):
    build_state()
    settled = []
    snapshots = Snapshots(tmp_path, dict, lambda: settled.append(snapshots.journal.stat().st_size))
    monkeypatch.setattr(persistence, "QUIET_SECONDS", 0.0)
    snapshots.pump()  # the first base: changes taken, and quiet at once
    assert len(settled) == 1
    snapshots.pump()
    assert len(settled) == 1  # nothing changed since
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "one more"}})
    snapshots.flush()  # a mutation's acknowledgement journals it before the pump looks
    monkeypatch.setattr(persistence, "QUIET_SECONDS", 60.0)
    snapshots.pump()
    assert len(settled) == 1  # changed a moment ago: not quiet yet
    monkeypatch.setattr(persistence, "QUIET_SECONDS", 0.0)
    snapshots.pump()
    assert len(settled) == 2  # quiet now; the journal took the change, no new base was due
    assert settled[1] > settled[0]


def test_a_flush_journals_changes_and_leaves_extras_alone_to_the_next_look(aws, tmp_path):
    build_state()
    extras = {"checkpoints": {"fanout": "1"}}
    snapshots = Snapshots(tmp_path, lambda: dict(extras))
    snapshots.pump()
    size = snapshots.journal.stat().st_size
    extras["checkpoints"] = {"fanout": "2"}  # a mapping moved on; no data changed
    snapshots.flush()
    assert snapshots.journal.stat().st_size == size  # no entry, no disk sync for it
    snapshots.pump()
    assert snapshots.journal.stat().st_size > size
    restart()
    assert Snapshots(tmp_path, dict).load() == {"checkpoints": {"fanout": "2"}}


def test_a_clean_stop_journals_what_is_left_and_writes_a_base_only_where_one_is_due(
    aws, tmp_path, monkeypatch
):
    build_state(items=2000)
    saves = []
    original = Snapshots.save

    def counted(snapshots: Snapshots) -> None:
        saves.append(snapshots)
        original(snapshots)

    monkeypatch.setattr(Snapshots, "save", counted)
    extras = {"checkpoints": {"fanout": "1"}}
    snapshots = Snapshots(tmp_path, lambda: dict(extras))
    snapshots.pump()
    base, journal = snapshots.base.read_bytes(), snapshots.journal.stat().st_size
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "last"}})
    extras["checkpoints"] = {"fanout": "2"}  # a mapping moved on too
    snapshots.close()
    assert len(saves) == 1  # the first look's base only: the stop wrote an entry
    assert snapshots.base.read_bytes() == base
    assert 0 < snapshots.journal.stat().st_size - journal < 2_000  # not the table again
    restart()
    snapshots = Snapshots(tmp_path, dict)
    assert snapshots.load() == {"checkpoints": {"fanout": "2"}}
    assert len(client("dynamodb").scan(TableName="things")["Items"]) == 2002

    create_plain_table(client("dynamodb"), "more", keys=("id",))
    snapshots.close()  # a table changed: a base is due, as at the next look
    assert len(saves) == 2
    restart()
    Snapshots(tmp_path, dict).load()
    assert sorted(client("dynamodb").list_tables()["TableNames"]) == ["more", "things"]


def test_a_start_drops_the_stream_records_past_24_hours_that_a_clean_stop_kept(
    aws, tmp_path, monkeypatch
):
    build_state()
    snapshots = Snapshots(tmp_path, dict)
    snapshots.pump()
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "later"}})
    snapshots.close()  # an entry: the base and the journal keep both records
    last = int(stream_records()[-1]["dynamodb"]["SequenceNumber"])
    restart()

    class DayLater(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(hours=24, seconds=1)

    monkeypatch.setattr(persistence, "datetime", DayLater)
    Snapshots(tmp_path, dict).load()
    assert stream_records() == []  # as DynamoDB Streams keeps them: a day
    assert len(client("dynamodb").scan(TableName="things")["Items"]) == 2
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "next"}})
    [record] = stream_records()
    assert int(record["dynamodb"]["SequenceNumber"]) == last + 1
