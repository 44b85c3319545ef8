"""The moto glue's item-level transactions: a cancelled transaction leaves the items it touched,
and the table's stream, exactly as they were — without copying the table."""

import inspect
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamRecord

from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.session import local_aws
from support import create_plain_table, run_python


@pytest.fixture
def dynamodb(aws_env):
    with mock_aws(), local_aws(LambdaRuntime()):
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_plain_table(client, keys=("pk", "sk"), stream="NEW_AND_OLD_IMAGES")
        yield client


def item(pk: str, n: int = 0) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": "META"}, "n": {"N": str(n)}}


def stream_length(client) -> int:
    arn = client.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return len(streams.get_records(ShardIterator=iterator)["Records"])


def test_a_cancelled_transaction_restores_what_it_touched_and_the_stream(dynamodb):
    dynamodb.put_item(TableName="t", Item=item("kept", 1))
    dynamodb.put_item(TableName="t", Item=item("changed", 1))
    dynamodb.put_item(TableName="t", Item=item("guard", 1))
    before = stream_length(dynamodb)
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": item("new", 1)}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "changed"}, "sk": {"S": "META"}},
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Delete": {"TableName": "t", "Key": {"pk": {"S": "kept"}, "sk": {"S": "META"}}}},
                {
                    "ConditionCheck": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "guard"}, "sk": {"S": "META"}},
                        "ConditionExpression": "n = :nine",
                        "ExpressionAttributeValues": {":nine": {"N": "9"}},
                    }
                },
            ]
        )
    items = {i["pk"]["S"]: i["n"]["N"] for i in dynamodb.scan(TableName="t")["Items"]}
    assert items == {"kept": "1", "changed": "1", "guard": "1"}
    assert stream_length(dynamodb) == before


def test_a_transaction_costs_the_same_in_a_large_table(dynamodb):
    for n in range(2000):
        dynamodb.put_item(TableName="t", Item=item(f"filler-{n}"))
    start = time.perf_counter()
    for n in range(20):
        dynamodb.transact_write_items(
            TransactItems=[{"Put": {"TableName": "t", "Item": item(f"tx-{n}")}}]
        )
    per_transaction = (time.perf_counter() - start) / 20
    # Not a timing assertion: the figure is reported; correctness is the other test's.
    print(f"transaction at 2,000 items: {per_transaction * 1000:.1f} ms")
    assert dynamodb.get_item(TableName="t", Key={"pk": {"S": "tx-19"}, "sk": {"S": "META"}})["Item"]


def test_an_item_is_sized_once_not_once_per_attribute(dynamodb, monkeypatch):
    """moto summed the whole item each time it set one attribute: 43 attributes, 948 sizes."""
    sizes = [0]
    original = DynamoType.size

    def counted(value: DynamoType) -> int:
        sizes[0] += 1
        return original(value)

    monkeypatch.setattr(DynamoType, "size", counted)
    wide = {**item("wide"), **{f"a{n}": {"S": "x" * 10} for n in range(40)}}
    dynamodb.put_item(TableName="t", Item=wide)
    assert 43 <= sizes[0] <= 2 * 43
    stored = dynamodb.get_item(TableName="t", Key={"pk": {"S": "wide"}, "sk": {"S": "META"}})
    assert list(stored["Item"]) == list(wide)


@pytest.mark.parametrize("last", [True, False], ids=["large-last", "large-first"])
def test_an_item_over_the_size_limit_is_refused_whole(dynamodb, last):
    halves = {"a": {"S": "x" * 210_000}, "b": {"S": "y" * 210_000}}
    small = {"c": {"N": "1"}}
    attributes = {**small, **halves} if last else {**halves, **small}
    with pytest.raises(ClientError, match="Item size has exceeded the maximum allowed size"):
        dynamodb.put_item(TableName="t", Item={**item("big"), **attributes})
    key = {"pk": {"S": "big"}, "sk": {"S": "META"}}
    assert "Item" not in dynamodb.get_item(TableName="t", Key=key)
    dynamodb.put_item(TableName="t", Item={**item("big"), "a": halves["a"], **small})
    assert dynamodb.get_item(TableName="t", Key=key)["Item"]["a"] == halves["a"]


def test_repeated_requests_list_no_class_methods_again(dynamodb, monkeypatch):
    dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "META"}})
    listings = [0]
    original = inspect.getmembers

    def counted(*args, **kwargs):
        listings[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(inspect, "getmembers", counted)
    for n in range(10):
        dynamodb.put_item(TableName="t", Item=item(f"k{n}", n))
        dynamodb.get_item(TableName="t", Key={"pk": {"S": f"k{n}"}, "sk": {"S": "META"}})
    assert listings[0] == 0


def test_moto_keeps_no_instance_it_made(dynamodb):
    dynamodb.put_item(TableName="t", Item=item("a", 1))
    for n in range(2, 12):
        dynamodb.update_item(
            TableName="t",
            Key={"pk": {"S": "a"}, "sk": {"S": "META"}},
            UpdateExpression="SET n = :n",
            ExpressionAttributeValues={":n": {"N": str(n)}},
        )
    assert Item.instances_tracked == []
    assert StreamRecord.instances_tracked == []
    stored = dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "META"}})
    assert stored["Item"]["n"] == {"N": "11"}


def test_the_local_cloud_imports_no_ec2_models_and_batch_still_resolves():
    """moto's Step Functions interpreter imports `moto.batch`, whose `__init__` loaded moto's
    EC2 models (0.7 s of every start); they now load only if a Batch name is asked for."""
    probe = (
        "import sys, local.aws.session\n"
        "print('moto.ec2.models' in sys.modules)\n"
        "import moto.batch\n"
        "print(type(moto.batch.batch_backends).__name__, 'moto.ec2.models' in sys.modules)\n"
    )
    run = run_python("-c", probe)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "BackendDict", "True"]
