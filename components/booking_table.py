"""BookingTable: the single DynamoDB table that holds venues, slots, bookings and holds."""

from collections.abc import Mapping
from typing import Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from .layout import table_layout
from .validation import (
    InvalidArgument,
    checked,
    checked_tags,
    is_bool,
    is_kms_key_arn,
    reject_unknown,
)

COMPONENT = "BookingTable"
TABLE_ARGUMENT = "table"


class TableReference(TypedDict, total=False):
    """The BookingTable another component works on; `BookingTable.reference` gives it."""

    name: Required[pulumi.Input[str]]
    """The table's name."""

    arn: Required[pulumi.Input[str]]
    """The table's ARN: the roles that use it are scoped to it."""

    stream_arn: pulumi.Input[str]
    """The ARN of its stream (NEW_AND_OLD_IMAGES); RealtimeFanout needs it."""


class BookingTableArgs(TypedDict, total=False):
    """Settings for a BookingTable; every field is optional."""

    deletion_protection: pulumi.Input[bool]
    """Refuse `pulumi destroy` and API deletes of the table. Default false (dev stacks); turn it on
    for production."""

    point_in_time_recovery: pulumi.Input[bool]
    """Continuous backups with restore to any second of the last 35 days. Default true."""

    kms_key_arn: pulumi.Input[str]
    """ARN of a customer-managed KMS key to encrypt the table with. Default: the AWS-owned key
    (no KMS charges)."""

    tags: pulumi.Input[dict[str, pulumi.Input[str]]]
    """Tags applied to the table."""


class BookingTable(pulumi.ComponentResource):
    """One on-demand DynamoDB table with the keys, index, TTL and stream the booking domain uses.

    The key attributes come from `handlers/domain/model.json`, the file the handlers read, so the
    table and the code that queries it cannot drift apart. The stream carries new and old images
    for the realtime fan-out; TTL only tidies up expired hold markers.
    """

    table_name: pulumi.Output[str]
    """The physical table name."""

    table_arn: pulumi.Output[str]
    """The table's ARN."""

    stream_arn: pulumi.Output[str]
    """The ARN of the table's stream (NEW_AND_OLD_IMAGES)."""

    index_names: pulumi.Output[list[str]]
    """Names of the table's global secondary indexes."""

    ttl_attribute: pulumi.Output[str]
    """The attribute DynamoDB's TTL reads (epoch seconds)."""

    def __init__(
        self,
        name: str,
        args: BookingTableArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(f"slate:index:{COMPONENT}", name, {}, opts)
        args = args or {}
        reject_unknown(COMPONENT, args, BookingTableArgs)
        layout = table_layout()
        key_attributes = [layout.partition_key, layout.sort_key] + [
            key for index in layout.indexes for key in (index.partition_key, index.sort_key)
        ]
        kms_key_arn = args.get("kms_key_arn")

        table = aws.dynamodb.Table(
            f"{name}-table",
            billing_mode="PAY_PER_REQUEST",
            hash_key=layout.partition_key,
            range_key=layout.sort_key,
            attributes=[{"name": key, "type": "S"} for key in dict.fromkeys(key_attributes)],
            global_secondary_indexes=[
                {
                    "name": index.name,
                    "key_schemas": [
                        {"attribute_name": index.partition_key, "key_type": "HASH"},
                        {"attribute_name": index.sort_key, "key_type": "RANGE"},
                    ],
                    "projection_type": index.projection,
                }
                for index in layout.indexes
            ],
            ttl={"attribute_name": layout.ttl_attribute, "enabled": True},
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
            point_in_time_recovery={
                "enabled": checked(
                    COMPONENT,
                    "point_in_time_recovery",
                    args.get("point_in_time_recovery", True),
                    is_bool,
                )
            },
            # DynamoDB always encrypts at rest; `enabled: false` names the AWS-owned key.
            server_side_encryption=(
                {
                    "enabled": True,
                    "kms_key_arn": checked(COMPONENT, "kms_key_arn", kms_key_arn, is_kms_key_arn),
                }
                if kms_key_arn is not None
                else {"enabled": False}
            ),
            deletion_protection_enabled=checked(
                COMPONENT, "deletion_protection", args.get("deletion_protection", False), is_bool
            ),
            tags=checked_tags(COMPONENT, args),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.table_name = table.name
        self.table_arn = table.arn
        self.stream_arn = table.stream_arn
        self.index_names = pulumi.Output.from_input([index.name for index in layout.indexes])
        self.ttl_attribute = pulumi.Output.from_input(layout.ttl_attribute)
        self.register_outputs(
            {
                "table_name": self.table_name,
                "table_arn": self.table_arn,
                "stream_arn": self.stream_arn,
                "index_names": self.index_names,
                "ttl_attribute": self.ttl_attribute,
            }
        )

    @property
    def reference(self) -> TableReference:
        """What BookingSaga, BookingQueue, BookingApi and RealtimeFanout take as `table`."""
        return {"name": self.table_name, "arn": self.table_arn, "stream_arn": self.stream_arn}


def table_reference(
    component: str, args: Mapping[str, Any], *, stream: bool = False
) -> TableReference:
    """The `table` argument of `component`, checked: a mapping with the table's name and ARN
    (and its stream's ARN when `stream`), each a value or an Output."""
    table = args.get(TABLE_ARGUMENT)
    needed = ("name", "arn", "stream_arn") if stream else ("name", "arn")
    if isinstance(table, pulumi.Output):  # a whole reference from another resource or language
        return {key: table.apply(_field(component, key)) for key in needed}
    if not isinstance(table, Mapping):
        raise InvalidArgument(
            component,
            TABLE_ARGUMENT,
            "must be a BookingTable's reference (`table.reference`: name, arn, stream_arn),"
            f" got {type(table).__name__}",
        )
    unknown = sorted(set(table) - set(TableReference.__annotations__))
    if unknown:
        raise InvalidArgument(component, TABLE_ARGUMENT, f"has unknown fields {unknown}")
    for key in needed:
        if table.get(key) is None:
            raise InvalidArgument(component, TABLE_ARGUMENT, f"needs its '{key}'")
    return {key: table[key] for key in needed}


def _field(component: str, key: str) -> Any:
    def field(table: Any) -> Any:
        if not isinstance(table, Mapping) or table.get(key) is None:
            raise InvalidArgument(component, TABLE_ARGUMENT, f"needs its '{key}'")
        return table[key]

    return field
