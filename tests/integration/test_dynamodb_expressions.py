"""Expressions parsed once per shape: each use still judges its own values, errors stay moto's
own, and moto's parser runs once per shape however many writes use it. An update expression's
own checks run once per expression and names; the checks of its values, on every use."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.parsing.ast_nodes import Node
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodb.parsing.validators import ActionCountValidator

from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.dynamodb import expressions as dynamodb_expressions
from local.aws.session import local_aws
from support import create_plain_table

GUARDED = "attribute_not_exists(pk) OR (#n < :limit AND #owner = :me)"


@pytest.fixture
def table(aws_env):
    with mock_aws(), local_aws(LambdaRuntime()):
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_plain_table(client)
        yield client


@pytest.fixture
def parses(monkeypatch):
    """How many times moto's own condition parser runs."""
    count = [0]
    original = dynamodb_expressions._ORIGINAL_PARSE

    def counted(parser):
        count[0] += bool(parser.condition_expression)
        return original(parser)

    monkeypatch.setattr(dynamodb_expressions, "_ORIGINAL_PARSE", counted)
    dynamodb_expressions._shapes.clear()
    return count


def guarded_put(client, n: int, limit: int, me: str) -> bool:
    """A put allowed while the item's counter is under `limit` and `me` owns it."""
    try:
        client.put_item(
            TableName="t",
            Item={"pk": {"S": "a"}, "n": {"N": str(n)}, "owner": {"S": "ann"}},
            ConditionExpression=GUARDED,
            ExpressionAttributeNames={"#n": "n", "#owner": "owner"},
            ExpressionAttributeValues={":limit": {"N": str(limit)}, ":me": {"S": me}},
        )
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
        return False
    return True


def test_each_use_of_a_shape_is_judged_by_its_own_values(table, parses):
    assert guarded_put(table, 1, limit=0, me="bob")  # no item yet
    assert not guarded_put(table, 2, limit=1, me="ann")  # 1 < 1 is false
    assert not guarded_put(table, 2, limit=5, me="bob")  # not the owner
    assert guarded_put(table, 2, limit=5, me="ann")
    assert not guarded_put(table, 3, limit=2, me="ann")  # 2 < 2 is false
    assert guarded_put(table, 3, limit=3, me="ann")
    stored = table.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]
    assert stored["n"] == {"N": "3"}
    assert parses[0] == 1


def test_a_transaction_judges_each_item_by_its_values(table, parses):
    for pk in ("a", "b"):
        table.put_item(TableName="t", Item={"pk": {"S": pk}, "n": {"N": "1"}})

    def bump(pk: str, expected: str) -> dict:
        return {
            "Update": {
                "TableName": "t",
                "Key": {"pk": {"S": pk}},
                "UpdateExpression": "SET n = n + :one",
                "ConditionExpression": "n = :expected",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":expected": {"N": expected}},
            }
        }

    with pytest.raises(ClientError) as refused:
        table.transact_write_items(TransactItems=[bump("a", "1"), bump("b", "7")])
    reasons = [r["Code"] for r in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed"]
    table.transact_write_items(TransactItems=[bump("a", "1"), bump("b", "1")])
    items = table.scan(TableName="t")["Items"]
    assert sorted(i["n"]["N"] for i in items) == ["2", "2"]
    assert parses[0] == 1


@pytest.mark.parametrize(
    ("condition", "values"),
    [
        ("n <", {}),
        ("n = :missing", {":other": {"N": "1"}}),
        ("n BETWEEN :a AND :b", {":a": {"NULL": True}, ":b": {"N": "2"}}),
    ],
)
def test_a_bad_condition_is_refused_as_moto_refuses_it(table, parses, condition, values):
    with pytest.raises(Exception) as by_moto:
        dynamodb_expressions._ORIGINAL_PARSE(ConditionExpressionParser(condition, {}, values))
    for _ in range(2):
        with pytest.raises(type(by_moto.value)) as refused:
            table.put_item(
                TableName="t",
                Item={"pk": {"S": "a"}},
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        assert str(refused.value) == str(by_moto.value)
    assert "Item" not in table.get_item(TableName="t", Key={"pk": {"S": "a"}})


def test_values_of_other_types_are_parsed_as_moto_parses_them(table, parses):
    for flag in (True, False, True):
        table.put_item(
            TableName="t",
            Item={"pk": {"S": "a"}, "on": {"BOOL": flag}},
            ConditionExpression="attribute_not_exists(pk) OR #on = :on",
            ExpressionAttributeNames={"#on": "on"},
            ExpressionAttributeValues={":on": {"BOOL": not flag}},
        )
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        table.put_item(
            TableName="t",
            Item={"pk": {"S": "a"}},
            ConditionExpression="#on = :on",
            ExpressionAttributeNames={"#on": "on"},
            ExpressionAttributeValues={":on": {"BOOL": False}},
        )
    assert parses[0] >= 4  # no stand-in for a BOOL: each use parsed again


@pytest.fixture
def expression_only_passes(monkeypatch):
    """How many times moto's expression-only update checks run."""
    count = [0]
    original = ActionCountValidator.traverse

    def counted(traverser, node):
        count[0] += 1
        return original(traverser, node)

    monkeypatch.setattr(ActionCountValidator, "traverse", counted)
    dynamodb_expressions._passed.clear()
    return count


def update(client, expression: str, values: dict, names: dict | None = None) -> dict:
    return client.update_item(
        TableName="t",
        Key={"pk": {"S": "a"}},
        UpdateExpression=expression,
        ExpressionAttributeValues=values,
        **({"ExpressionAttributeNames": names} if names else {}),
        ReturnValues="ALL_NEW",
    )["Attributes"]


def test_an_update_checks_its_expression_once_and_its_values_every_time(
    table, expression_only_passes
):
    appended = "SET #log = list_append(if_not_exists(#log, :empty), :entry), n = :n"
    for n in range(1, 4):
        item = update(
            table,
            appended,
            {":empty": {"L": []}, ":entry": {"L": [{"N": str(n)}]}, ":n": {"N": str(n)}},
            {"#log": "log"},
        )
        assert item["log"] == {"L": [{"N": str(i)} for i in range(1, n + 1)]}
        assert item["n"] == {"N": str(n)}
    assert expression_only_passes[0] == 1
    update(
        table,
        appended,
        {":empty": {"L": []}, ":entry": {"L": []}, ":n": {"N": "0"}},
        {"#log": "other"},
    )
    assert expression_only_passes[0] == 2  # other attribute names: checked again
    for _ in range(2):  # a value's error, every time
        with pytest.raises(ClientError, match="Incorrect operand type"):
            update(table, "SET n = n + :one", {":one": {"S": "1"}})
    assert table.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "0"}


@pytest.mark.parametrize(
    ("expression", "names", "error"),
    [
        ("SET #k = :v", {"#k": "pk"}, "Cannot update attribute pk"),
        ("SET a = :v, a = :v", None, "Two document paths overlap"),
        ("SET a = :v SET b = :v", None, 'The "SET" section can only be used once'),
    ],
)
def test_an_expression_refused_is_refused_every_time(
    table, expression_only_passes, expression, names, error
):
    table.put_item(TableName="t", Item={"pk": {"S": "a"}})
    for _ in range(2):
        with pytest.raises(ClientError, match=error):
            update(table, expression, {":v": {"S": "x"}}, names)
    assert table.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
    assert not dynamodb_expressions._passed


def test_a_validated_update_leaves_the_parsed_expression_unchanged(table, monkeypatch):
    expression = "SET a = :v, b = list_append(:l, :l)"
    source = UpdateExpressionParser.make(expression)
    before = tree(source)
    reduced = []  # the generic deepcopy takes a node apart through its __reduce_ex__

    def reduce(node, protocol):
        reduced.append(node)
        return object.__reduce_ex__(node, protocol)

    monkeypatch.setattr(Node, "__reduce_ex__", reduce, raising=False)
    for value in ("x", "y"):
        item = update(table, expression, {":v": {"S": value}, ":l": {"L": [{"S": value}]}})
        assert item["a"] == {"S": value}
        assert item["b"] == {"L": [{"S": value}, {"S": value}]}
    assert UpdateExpressionParser.make(expression) is source
    assert tree(source) == before
    assert reduced == []  # copied node by node instead


def tree(node) -> object:
    """A parsed expression as nested (type, children), to compare before and after use."""
    if not isinstance(node, Node):
        return node
    return node.type, [tree(child) for child in node.children or []]
