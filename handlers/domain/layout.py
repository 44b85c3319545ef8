"""The table's attribute and index names, read from `table.json` — the file the BookingTable
component builds the table from, so code and table agree by construction."""

import json
from pathlib import Path

_LAYOUT = json.loads(Path(__file__).with_name("table.json").read_text(encoding="utf-8"))
_INDEX = _LAYOUT["indexes"][0]

PK: str = _LAYOUT["partitionKey"]
SK: str = _LAYOUT["sortKey"]
TTL_ATTRIBUTE: str = _LAYOUT["ttlAttribute"]
GSI1: str = _INDEX["name"]
GSI1_PK: str = _INDEX["partitionKey"]
GSI1_SK: str = _INDEX["sortKey"]
