"""BookingTable under the engine: what it asks AWS for, and what it refuses."""

import json

import pytest

from local.pulumi import engine
from support import REPO

TABLE = "aws:dynamodb/table:Table"
COMPONENT = "slate:index:BookingTable"
LAYOUT = json.loads((REPO / "handlers" / "domain" / "model.json").read_text())["table"]
KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_defaults(run_component):
    deployment = run_component("BookingTable", {})
    table = deployment.one(TABLE).inputs
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert table["hashKey"] == LAYOUT["partitionKey"]
    assert table["rangeKey"] == LAYOUT["sortKey"]
    assert table["pointInTimeRecovery"] == {"enabled": True}
    assert table["streamEnabled"] is True
    assert table["streamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["ttl"] == {"attributeName": LAYOUT["ttlAttribute"], "enabled": True}
    assert table["serverSideEncryption"] == {"enabled": False}  # the AWS-owned key
    assert table["deletionProtectionEnabled"] is False
    assert table["tags"] == {}


def test_indexes_use_key_schemas_not_the_deprecated_hash_key(run_component):
    table = run_component("BookingTable", {}).one(TABLE).inputs
    [index] = LAYOUT["indexes"]
    assert table["globalSecondaryIndexes"] == [
        {
            "name": index["name"],
            "keySchemas": [
                {"attributeName": index["partitionKey"], "keyType": "HASH"},
                {"attributeName": index["sortKey"], "keyType": "RANGE"},
            ],
            "projectionType": "ALL",
        }
    ]
    names = {attribute["name"] for attribute in table["attributes"]}
    assert names == {"pk", "sk", index["partitionKey"], index["sortKey"]}
    assert all(attribute["type"] == "S" for attribute in table["attributes"])


def test_options(run_component):
    args = {
        "deletion_protection": True,
        "point_in_time_recovery": False,
        "kms_key_arn": KMS_KEY,
        "tags": {"team": "bookings"},
    }
    table = run_component("BookingTable", args).one(TABLE).inputs
    assert table["deletionProtectionEnabled"] is True
    assert table["pointInTimeRecovery"] == {"enabled": False}
    assert table["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": KMS_KEY}
    assert table["tags"] == {"team": "bookings"}


def test_children_are_parented_and_outputs_registered(run_component):
    deployment = run_component("BookingTable", {})
    component = deployment.one(COMPONENT)
    table = deployment.one(TABLE)
    assert table.parent == component.urn
    assert table.name == "subject-table"
    assert component.outputs == {
        "table_name": table.outputs["name"],
        "table_arn": table.outputs["arn"],
        "stream_arn": table.outputs["streamArn"],
        "index_names": [LAYOUT["indexes"][0]["name"]],
        "ttl_attribute": LAYOUT["ttlAttribute"],
    }
    assert component.outputs["stream_arn"].startswith(table.outputs["arn"] + "/stream/")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"deletion_protection": "yes"}, "'deletion_protection' must be true or false"),
        ({"point_in_time_recovery": 1}, "'point_in_time_recovery' must be true or false"),
        ({"kms_key_arn": "alias/mine"}, "'kms_key_arn' must be a KMS key or alias ARN"),
        ({"tags": {"aws:owner": "x"}}, "'tags' has a tag name in the reserved aws: namespace"),
        ({"tags": {"k": 5}}, "'tags' has a value for tag 'k'"),
        ({"tags": ["a"]}, "'tags' must be a mapping"),
        ({"tags": {"": "x"}}, "'tags' has a tag name that is not"),
        ({"deletionProtection": True}, "'deletionProtection' is not an argument of BookingTable"),
    ],
)
def test_invalid_args_are_rejected_naming_the_argument(run_component, args, message):
    with pytest.raises(engine.EngineError, match=f"BookingTable: argument {message}"):
        run_component("BookingTable", args)


def test_invalid_args_arriving_as_outputs_are_rejected_when_they_resolve(run_component):
    with pytest.raises(engine.EngineError, match="argument 'kms_key_arn' must be a KMS key"):
        run_component("BookingTable", {"kms_key_arn": "nope"}, as_outputs=("kms_key_arn",))
    table = run_component("BookingTable", {"kms_key_arn": KMS_KEY}, as_outputs=("kms_key_arn",))
    assert table.one(TABLE).inputs["serverSideEncryption"]["kmsKeyArn"] == KMS_KEY
