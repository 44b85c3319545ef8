"""Copies of moto's items are what moto's own deep copy makes, and share nothing changeable."""

import copy

from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

from local.aws.dynamodb.items import item_copy

ATTRIBUTES = {
    "pk": {"S": "VENUE#1"},
    "sk": {"N": "7"},
    "blob": {"B": b"\x00\x01"},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2"]},
    "blobs": {"BS": [b"x"]},
    "list": {"L": [{"S": "x"}, {"M": {"deep": {"L": [{"N": "1"}]}}}]},
    "map": {"M": {"inner": {"SS": ["q"]}, "n": {"N": "3"}}},
}


def test_an_item_copy_is_what_moto_s_deepcopy_makes():
    item = Item(DynamoType(ATTRIBUTES["pk"]), DynamoType(ATTRIBUTES["sk"]), ATTRIBUTES)
    copied, deep = item_copy(item), copy.deepcopy(item)
    assert copied == deep and copied.to_json() == deep.to_json() == item.to_json()
    assert (copied.hash_key, copied.range_key) == (item.hash_key, item.range_key)
    assert type(copied.attrs) is LimitedSizeDict
    assert list(copied.attrs) == list(ATTRIBUTES)


def test_an_item_copy_shares_nothing_that_can_change():
    item = Item(DynamoType(ATTRIBUTES["pk"]), None, ATTRIBUTES)
    copied = item_copy(item)
    assert copied.range_key is None
    copied.attrs["strings"].value.append("c")
    copied.attrs["list"].value[1].value["deep"].value.append(DynamoType({"N": "2"}))
    copied.attrs["map"].value["inner"].value.append("r")
    copied.attrs["map"].value["n"] = DynamoType({"N": "4"})
    copied.attrs["pk"].value = "changed"
    copied.hash_key.value = "changed"
    assert item.to_json() == Item(DynamoType(ATTRIBUTES["pk"]), None, ATTRIBUTES).to_json()
    assert item.hash_key == DynamoType(ATTRIBUTES["pk"])
