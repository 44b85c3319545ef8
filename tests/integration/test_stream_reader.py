"""The stream as Lambda's poller reads it: the records after a place, as Lambda delivers them,
with nothing left behind in moto for each read, a replaced table's old stream gone, and records
past the service's 24 hours expired."""

import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from moto.dynamodbstreams.models import dynamodbstreams_backends

from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.dynamodb.moto_patches import STREAM_RETENTION, expire_stream_records
from local.aws.dynamodb.stream_reader import StreamGone, StreamReader
from local.aws.session import local_aws
from support import create_plain_table

REGION = "us-east-1"


@pytest.fixture
def dynamodb(aws_env):
    with mock_aws(), local_aws(LambdaRuntime()):
        yield boto3.client("dynamodb", region_name=REGION)


def create(client) -> str:
    """A table with a stream of new and old images; its stream's ARN."""
    return create_plain_table(client, stream="NEW_AND_OLD_IMAGES")["LatestStreamArn"]


def put(client, n: int) -> None:
    client.put_item(TableName="t", Item={"pk": {"S": f"k{n}"}, "n": {"N": str(n)}})


def test_records_after_a_place_come_as_lambda_delivers_them(dynamodb):
    arn = create(dynamodb)
    for n in range(5):
        put(dynamodb, n)
    reader = StreamReader()
    [shard] = reader.shard_ids(arn)
    first_two = reader.records_after(arn, shard, None, 2)
    assert [r["dynamodb"]["NewImage"]["n"]["N"] for r in first_two] == ["0", "1"]
    record = first_two[0]
    assert record["eventSourceARN"] == arn
    assert record["eventName"] == "INSERT"
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)
    rest = reader.records_after(arn, shard, first_two[-1]["dynamodb"]["SequenceNumber"], 100)
    assert [r["dynamodb"]["NewImage"]["n"]["N"] for r in rest] == ["2", "3", "4"]
    last = rest[-1]["dynamodb"]["SequenceNumber"]
    assert reader.records_after(arn, shard, last, 100) == []


def test_a_delivered_record_is_a_copy(dynamodb):
    arn = create(dynamodb)
    put(dynamodb, 1)
    reader = StreamReader()
    [shard] = reader.shard_ids(arn)
    reader.records_after(arn, shard, None, 10)[0]["dynamodb"]["NewImage"]["n"]["N"] = "changed"
    assert reader.records_after(arn, shard, None, 10)[0]["dynamodb"]["NewImage"]["n"]["N"] == "1"


def test_reading_leaves_nothing_behind(dynamodb):
    arn = create(dynamodb)
    reader = StreamReader()
    [shard] = reader.shard_ids(arn)
    iterators = dynamodbstreams_backends["123456789012"][REGION].shard_iterators
    kept = len(iterators)
    for n in range(20):
        put(dynamodb, n)
        assert len(reader.records_after(arn, shard, None, 1000)) == n + 1
    assert len(iterators) == kept


def test_the_stream_of_a_replaced_table_is_gone(dynamodb):
    old = create(dynamodb)
    reader = StreamReader()
    [shard] = reader.shard_ids(old)
    dynamodb.delete_table(TableName="t")
    assert reader.shard_ids(old) == []
    with pytest.raises(StreamGone):
        reader.records_after(old, shard, None, 10)
    new = create(dynamodb)
    assert new != old
    assert reader.shard_ids(old) == []
    assert len(reader.shard_ids(new)) == 1


def test_records_past_24_hours_expire_and_readers_go_on_from_the_oldest_kept(dynamodb):
    arn = create(dynamodb)
    put(dynamodb, 0)
    put(dynamodb, 1)
    between = datetime.now(UTC)
    time.sleep(0.01)
    put(dynamodb, 2)
    reader = StreamReader()
    [shard] = reader.shard_ids(arn)
    first, second, third = reader.records_after(arn, shard, None, 10)
    assert expire_stream_records(between + timedelta(hours=23)) == 0
    assert expire_stream_records(between + STREAM_RETENTION) == 2
    [kept] = reader.records_after(arn, shard, None, 10)
    assert kept["dynamodb"]["SequenceNumber"] == third["dynamodb"]["SequenceNumber"]
    behind = first["dynamodb"]["SequenceNumber"]  # a place in what has expired
    assert reader.records_after(arn, shard, behind, 10) == [kept]
    put(dynamodb, 3)
    after = reader.records_after(arn, shard, kept["dynamodb"]["SequenceNumber"], 10)
    assert [int(r["dynamodb"]["SequenceNumber"]) for r in after] == [
        int(third["dynamodb"]["SequenceNumber"]) + 1
    ]
    assert int(second["dynamodb"]["SequenceNumber"]) + 1 == int(third["dynamodb"]["SequenceNumber"])
