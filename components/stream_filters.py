"""The filter criteria of the fan-out's stream mapping: which records invoke the function.

Lambda evaluates these before invoking, so the function never sees refs, locks, payments,
venues or idempotency records: only slot inserts and modifications, bookings' (when it
publishes them), and hold markers removed by DynamoDB's TTL (the removal's `userIdentity` is
the DynamoDB service; the saga's and the sweeper's own deletes carry none). A filter cannot
compare old and new images, so a modification that leaves the status alone still arrives, and
the function skips it.
"""

from typing import Any

from .layout import model, table_layout

TTL_IDENTITY = {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}


def filter_patterns(bookings: bool = False) -> list[dict[str, Any]]:
    """The patterns; with `bookings`, booking changes too."""
    layout = table_layout()
    shared = model()
    prefixes = shared["keyPrefixes"]
    slot_changes = {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"Keys": {layout.sort_key: {"S": [{"prefix": prefixes["slot"]}]}}},
    }
    expired_holds = {
        "eventName": ["REMOVE"],
        "userIdentity": TTL_IDENTITY,
        "dynamodb": {"Keys": {layout.partition_key: {"S": [{"prefix": prefixes["hold"]}]}}},
    }
    booking_changes = {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {
            "Keys": {
                layout.partition_key: {"S": [{"prefix": prefixes["booking"]}]},
                layout.sort_key: {"S": [shared["meta"]]},
            }
        },
    }
    return [slot_changes, expired_holds, *([booking_changes] if bookings else [])]
