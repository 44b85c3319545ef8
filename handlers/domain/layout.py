"""The names the table and everything that writes to it share, read from `model.json`.

The BookingTable component builds the table from the same file, and the booking saga's state
machine writes keys and statuses from it, so code, table and workflow agree by construction.
"""

import json
from pathlib import Path
from typing import Any

MODEL: dict[str, Any] = json.loads(
    Path(__file__).with_name("model.json").read_text(encoding="utf-8")
)
_TABLE = MODEL["table"]
_INDEX = _TABLE["indexes"][0]

PK: str = _TABLE["partitionKey"]
SK: str = _TABLE["sortKey"]
TTL_ATTRIBUTE: str = _TABLE["ttlAttribute"]
GSI1: str = _INDEX["name"]
GSI1_PK: str = _INDEX["partitionKey"]
GSI1_SK: str = _INDEX["sortKey"]
