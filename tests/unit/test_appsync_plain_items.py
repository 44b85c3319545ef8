"""A DynamoDB data source's items as its resolvers see them: plain JSON, as AppSync gives them."""

from boto3.dynamodb.types import TypeDeserializer

from local.aws.appsync import dynamodb
from local.aws.appsync.dynamodb import plain_item

ITEM = {
    "s": {"S": "x"},
    "empty": {"S": ""},
    "int": {"N": "4500"},
    "float": {"N": "1.5"},
    "b": {"B": b"\x00\x01"},
    "yes": {"BOOL": True},
    "none": {"NULL": True},
    "ss": {"SS": ["b", "a"]},
    "ns": {"NS": ["2", "1.5"]},
    "bs": {"BS": [b"z"]},
    "l": {"L": [{"S": "a"}, {"N": "1"}]},
    "m": {"M": {"k": {"S": "v"}, "n": {"N": "2"}}},
}


def test_every_type_comes_as_plain_json():
    assert plain_item(ITEM) == {
        "s": "x",
        "empty": "",
        "int": 4500,
        "float": 1.5,
        "b": "AAE=",
        "yes": True,
        "none": None,
        "ss": ["a", "b"],
        "ns": [1.5, 2],
        "bs": ["eg=="],
        "l": ["a", 1],
        "m": {"k": "v", "n": 2},
    }
    assert plain_item(None) is None


def test_strings_skip_the_deserializer(monkeypatch):
    """A counter, not a clock: a page of 100 items is a thousand strings, ~3 µs each through
    boto3's deserializer."""
    deserialized = []
    original = TypeDeserializer.deserialize
    monkeypatch.setattr(
        dynamodb._deserializer,
        "deserialize",
        lambda value: deserialized.append(value) or original(dynamodb._deserializer, value),
    )
    assert plain_item({f"a{n}": {"S": str(n)} for n in range(10)}) == {
        f"a{n}": str(n) for n in range(10)
    }
    assert deserialized == []
    assert plain_item({"n": {"N": "1"}}) == {"n": 1} and deserialized == [{"N": "1"}]
