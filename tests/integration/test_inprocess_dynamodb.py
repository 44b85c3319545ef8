"""DynamoDB item calls made inside the local cloud's process get exactly what the wire path
gives them — items of every attribute type, errors with their modeled fields — without moto
serializing a response for them."""

import copy
import sys
import time

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws
from moto.dynamodb.models.utilities import dynamo_to_dict
from moto.server import ThreadedMotoServer

from local.aws.appsync.gateway.server import free_port
from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.dynamodb import in_process as inprocess_dynamodb
from local.aws.moto_core import MOTO_CONFIG
from local.aws.session import local_aws
from support import create_plain_table

ITEM = {
    "b": {"B": b"\x00\x01"},
    "n": {"N": "1.5"},
    "l": {"L": [{"S": "a"}, {"NULL": True}, {"BOOL": False}]},
    "m": {"M": {"x": {"BS": [b"z"]}, "y": {"SS": ["p", "q"]}}},
    "ns": {"NS": ["1", "2"]},
}


def key(n: int) -> dict:
    return {"pk": {"S": "p"}, "sk": {"S": f"s{n:03d}"}}


def every_item_operation(client) -> list:
    """The answer (or the error response) of each item operation, in order."""
    create_plain_table(client, keys=("pk", "sk"))
    calls = [
        lambda n=n: client.put_item(TableName="t", Item={**key(n), **ITEM}) for n in range(30)
    ] + [
        lambda: client.query(
            TableName="t",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            Limit=12,
        ),
        lambda: client.scan(TableName="t", Limit=5),
        lambda: client.get_item(TableName="t", Key=key(1)),
        lambda: client.get_item(TableName="t", Key=key(99)),
        lambda: client.update_item(
            TableName="t",
            Key=key(1),
            UpdateExpression="SET n = n + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        ),
        lambda: client.delete_item(TableName="t", Key=key(2), ReturnValues="ALL_OLD"),
        lambda: client.batch_get_item(RequestItems={"t": {"Keys": [key(3), key(4), key(98)]}}),
        lambda: client.batch_write_item(
            RequestItems={
                "t": [{"PutRequest": {"Item": key(50)}}, {"DeleteRequest": {"Key": key(5)}}]
            }
        ),
        lambda: client.transact_get_items(
            TransactItems=[{"Get": {"TableName": "t", "Key": key(6)}}]
        ),
        lambda: client.transact_write_items(
            TransactItems=[{"Put": {"TableName": "t", "Item": {**key(51), "n": {"N": "0"}}}}]
        ),
        lambda: client.put_item(
            TableName="t",
            Item=key(1),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        ),
        lambda: client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": "t",
                        "Item": key(7),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ]
        ),
        lambda: client.query(TableName="t", KeyConditionExpression="nope = :p"),
        lambda: client.get_item(TableName="missing", Key=key(1)),
    ]
    answers = []
    for call in calls:
        try:
            answers.append(_without_metadata(call()))
        except ClientError as error:
            answers.append((type(error).__name__, _without_metadata(error.response)))
    return answers


def _without_metadata(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


@pytest.fixture
def region(aws_env):
    return "us-east-1"


def test_in_process_answers_are_the_wire_answers(region):
    with mock_aws(config=MOTO_CONFIG):
        over_the_wire = every_item_operation(boto3.client("dynamodb", region_name=region))
    with mock_aws(config=MOTO_CONFIG), local_aws(LambdaRuntime()):
        before = inprocess_dynamodb.counts()
        in_process = every_item_operation(boto3.client("dynamodb", region_name=region))
        after = inprocess_dynamodb.counts()
    assert in_process == over_the_wire
    assert any(isinstance(a, tuple) and a[0] == "TransactionCanceledException" for a in in_process)
    # Only CreateTable was serialized; every item operation that succeeded was handed over.
    assert after["serialized"] - before["serialized"] == 1
    assert after["answered"] - before["answered"] == 30 + 10
    # Every call reached moto's handler directly, with no werkzeug request built for it.
    assert after["stubbed"] == before["stubbed"]


def test_a_client_of_the_moto_server_pays_the_wire(region):
    """An explicit endpoint is an outside client: the hook leaves it alone."""
    with mock_aws(config=MOTO_CONFIG), local_aws(LambdaRuntime()):
        client = boto3.client("dynamodb", region_name=region, endpoint_url="http://127.0.0.1:9")
        with pytest.raises(EndpointConnectionError):
            client.get_item(TableName="t", Key=key(1))


def test_in_process_stream_records_are_the_wire_records(region):
    """GetRecords answered in-process equals what a client of the moto server reads off the
    wire for the same records: times to the millisecond in local time, binary as bytes."""
    with mock_aws(config=MOTO_CONFIG), local_aws(LambdaRuntime()):
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            dynamodb = boto3.client("dynamodb", region_name=region)
            create_plain_table(dynamodb, "s", stream="NEW_AND_OLD_IMAGES")
            for n in range(5):
                dynamodb.put_item(TableName="s", Item={"pk": {"S": f"p{n}"}, **ITEM})
                time.sleep(0.0013)  # times that do not fall on a millisecond
            dynamodb.delete_item(TableName="s", Key={"pk": {"S": "p1"}})
            arn = dynamodb.describe_table(TableName="s")["Table"]["LatestStreamArn"]
            wire = boto3.client(
                "dynamodbstreams", region_name=region, endpoint_url=f"http://127.0.0.1:{port}"
            )
            before = inprocess_dynamodb.counts()
            in_process = _records(boto3.client("dynamodbstreams", region_name=region), arn)
            answered = inprocess_dynamodb.counts()["answered"] - before["answered"]
            read = copy.deepcopy(in_process)
            in_process[0]["dynamodb"]["Keys"]["pk"]["S"] = "changed by the caller"
            over_the_wire = _records(wire, arn)  # after: the caller's copy is its own
        finally:
            server.stop()
    assert answered == 1
    assert len(read) == 6
    for mine, theirs in zip(read, over_the_wire, strict=True):
        assert mine == theirs


def _records(streams, arn: str) -> list:
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return streams.get_records(ShardIterator=iterator)["Records"]


def test_moto_s_conversion_of_an_answer_leaves_plain_data_as_it_is(region):
    """A counter, not a clock: moto turned every string, number, map and list of an answer into
    plain data one call each, asking each whether it was a date, an attribute value or a model;
    now it is called for binary values alone."""
    conversions = []

    def count(frame, event, _arg):
        if event == "call" and frame.f_code is dynamo_to_dict.__code__:
            conversions.append(1)

    with mock_aws(config=MOTO_CONFIG), local_aws(LambdaRuntime()):
        client = boto3.client("dynamodb", region_name=region)
        create_plain_table(client, keys=("pk", "sk"))
        for n in range(12):
            client.put_item(TableName="t", Item={**key(n), **ITEM})
        sys.setprofile(count)
        try:
            page = client.query(
                TableName="t",
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "p"}},
            )
        finally:
            sys.setprofile(None)
    assert page["Count"] == 12 and page["Items"][0]["m"] == ITEM["m"]
    # Per item: its two binary values, which moto decodes; 328 when it converted every node.
    assert len(conversions) == 12 * 2
