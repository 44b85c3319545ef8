"""Queries answered from the key-ordered indexes give moto's own answers — items, order, counts,
`LastEvaluatedKey` — for any table content and key condition; and nothing the local cloud does
per request or at rest reads a whole table."""

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.dynamodb import indexes as dynamodb_indexes
from local.aws.dynamodb.moto_patches import full_table_reads
from local.aws.dynamodb.ttl import TtlExpiry
from local.aws.session import local_aws

REGION = "us-east-1"
ORIGINAL_QUERY = Table.query
KEYS = ["a", "ab", "abc", "b", "ba", "c"]


def create(client, name: str = "t") -> None:
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "gs", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "gs", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


@pytest.fixture(scope="module")
def cloud_env():
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            patch.setenv(name, value)
        with mock_aws(), local_aws(LambdaRuntime()):
            yield boto3.client("dynamodb", region_name=REGION)


items = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p2"]),
        st.sampled_from(KEYS),
        st.one_of(st.none(), st.sampled_from(["g1", "g2"])),
        st.integers(-3, 3),
    ),
    max_size=25,
)
conditions = st.one_of(
    st.just(("", {})),
    st.sampled_from(["=", "<", "<=", ">", ">="]).map(lambda op: (f" AND #r {op} :a", {":a": "b"})),
    st.just((" AND #r BETWEEN :a AND :b", {":a": "ab", ":b": "ba"})),
    st.just((" AND begins_with(#r, :a)", {":a": "a"})),
)


def _run_both(client, request: dict) -> tuple[dict, dict]:
    before = full_table_reads()
    indexed = client.query(**request)
    assert full_table_reads() == before  # answered from the index, not by moto's sort
    Table.query, patched = ORIGINAL_QUERY, Table.query
    try:
        original = client.query(**request)
    finally:
        Table.query = patched
    return indexed, original


def _comparable(answer: dict) -> tuple:
    return answer["Items"], answer["Count"], answer["ScannedCount"], answer.get("LastEvaluatedKey")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=items,
    condition=conditions,
    on_index=st.booleans(),
    forward=st.booleans(),
    limit=st.one_of(st.none(), st.integers(1, 4)),
    pages=st.integers(1, 3),
)
def test_indexed_queries_answer_as_moto_does(  # noqa: PLR0917 — hypothesis's arguments
    cloud_env, content, condition, on_index, forward, limit, pages
):
    client = cloud_env
    create(client)
    dynamodb_indexes.index_of(_table("t"))  # built now, on an empty table
    try:
        for pk, sk, group, number in content:
            item = {"pk": {"S": pk}, "sk": {"S": sk}, "gs": {"N": str(number)}}
            if group:
                item["g"] = {"S": group}
            client.put_item(TableName="t", Item=item)
        expression, values = condition
        if on_index:  # the GSI's sort key is a number: compare it with one
            expression = expression.replace("begins_with(#r, :a)", "#r > :a")
            values = {k: {"N": str(len(v) - 2)} for k, v in values.items()}
            request = {"IndexName": "gsi1", "KeyConditionExpression": "g = :h" + expression}
            names, values[":h"] = {"#r": "gs"}, {"S": "g1"}
        else:
            request = {"KeyConditionExpression": "pk = :h" + expression}
            names = {"#r": "sk"}
            values = {k: {"S": v} for k, v in values.items()} | {":h": {"S": "p1"}}
        request = {
            "TableName": "t",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": forward,
            **request,
            **(
                {"ExpressionAttributeNames": names}
                if "#r" in request.get("KeyConditionExpression", "")
                else {}
            ),
            **({"Limit": limit} if limit else {}),
        }
        for _ in range(pages):
            indexed, original = _run_both(client, request)
            assert _comparable(indexed) == _comparable(original)
            if "LastEvaluatedKey" not in indexed:
                break
            request["ExclusiveStartKey"] = indexed["LastEvaluatedKey"]
    finally:
        client.delete_table(TableName="t")


def test_requests_and_rest_read_no_whole_table(cloud_env):
    """A counter, not a clock: queries, writes that move index keys, and TTL expiry on a table
    of 2,000 items read it whole once (the index built on first use) and never again."""
    client = cloud_env
    create(client, "big")
    client.update_time_to_live(
        TableName="big", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    try:
        for n in range(2000):
            item = {
                "pk": {"S": f"p{n % 20}"},
                "sk": {"S": f"s{n:05d}"},
                "g": {"S": f"g{n % 5}"},
                "gs": {"N": str(n)},
            }
            client.put_item(TableName="big", Item=item)
        before = full_table_reads()
        ttl = TtlExpiry(REGION)
        for n in range(50):
            page = client.query(
                TableName="big",
                KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":p": {"S": "p3"},
                    ":a": {"S": "s00100"},
                    ":b": {"S": "s01000"},
                },
                Limit=10,
            )
            assert page["Items"][0]["sk"]["S"] == "s00103"
            client.update_item(
                TableName="big",
                Key={"pk": {"S": "p0"}, "sk": {"S": f"s{n * 20:05d}"}},
                UpdateExpression="SET g = :g, #t = :t",
                ExpressionAttributeNames={"#t": "ttl"},
                ExpressionAttributeValues={":g": {"S": "moved"}, ":t": {"N": "1"}},
            )
            moved = client.query(
                TableName="big",
                IndexName="gsi1",
                KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": "moved"}},
            )
            assert moved["Count"] == 1  # the one just moved; the sweep below expires it
            assert ttl.sweep() == 1  # the item just given an expiry in the past
        assert ttl.seconds_until_due() is None
        assert full_table_reads() - before == 0
    finally:
        client.delete_table(TableName="big")


def test_the_expiry_index_follows_rewrites_and_deletes(cloud_env):
    client = cloud_env
    create(client, "ttl")
    client.update_time_to_live(
        TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    try:
        key = {"pk": {"S": "p"}, "sk": {"S": "s"}}
        client.put_item(TableName="ttl", Item={**key, "ttl": {"N": "4000000000"}})
        ttl = TtlExpiry(REGION)
        assert ttl.seconds_until_due(now=3_999_999_000) == pytest.approx(1001)
        client.put_item(TableName="ttl", Item={**key, "ttl": {"N": "4000000500"}})
        assert ttl.seconds_until_due(now=3_999_999_000) == pytest.approx(1501)
        assert ttl.sweep(now=4_000_000_200) == 0  # rewritten: its old expiry is gone
        client.delete_item(TableName="ttl", Key=key)
        assert ttl.seconds_until_due() is None
        assert dynamodb_indexes.index_of(_table("ttl")).expired(5_000_000_000) == []
    finally:
        client.delete_table(TableName="ttl")


def _table(name: str) -> Table:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(name)


def test_a_page_is_sized_once_per_item_and_copied_without_copy_s_dispatch(cloud_env, monkeypatch):
    """Counters, not a clock: each item a page visits is sized once (moto's loop sized each
    item it kept twice) and copied as moto copies it, not through `copy.deepcopy` (two thirds
    of the copy's cost)."""
    client = cloud_env
    create(client, "page")
    try:
        for n in range(30):
            item = {"pk": {"S": "p"}, "sk": {"S": f"s{n:02d}"}, "tags": {"SS": ["x", str(n)]}}
            client.put_item(TableName="page", Item=item)
        sizes, deep_copies = [], []
        original_size = Item.size
        monkeypatch.setattr(Item, "size", lambda item: sizes.append(1) or original_size(item))
        original_copy = Item.__deepcopy__
        monkeypatch.setattr(
            Item,
            "__deepcopy__",
            lambda item, memo: deep_copies.append(1) or original_copy(item, memo),
        )
        page = client.query(
            TableName="page",
            KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
            ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"S": "s1"}},
        )
        assert [i["sk"]["S"] for i in page["Items"]] == [f"s1{n}" for n in range(10)]
        assert page["Items"][3]["tags"] == {"SS": ["x", "13"]}
        assert len(sizes) <= 10 + 1 and deep_copies == []  # and the one past the page
    finally:
        client.delete_table(TableName="page")
