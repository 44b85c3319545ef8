"""Where the component package finds the handler files it deploys, and the table layout they use.

Components never import handler code; they read the files. The table's key attribute names are
defined once, in `handlers/domain/table.json`, which the domain layer reads too.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HANDLERS_DIR = Path(__file__).resolve().parent.parent / "handlers"
TABLE_LAYOUT_FILE = HANDLERS_DIR / "domain" / "table.json"


@dataclass(frozen=True)
class IndexLayout:
    name: str
    partition_key: str
    sort_key: str
    projection: str


@dataclass(frozen=True)
class TableLayout:
    partition_key: str
    sort_key: str
    ttl_attribute: str
    indexes: tuple[IndexLayout, ...]


@cache
def table_layout() -> TableLayout:
    document = json.loads(TABLE_LAYOUT_FILE.read_text(encoding="utf-8"))
    return TableLayout(
        partition_key=document["partitionKey"],
        sort_key=document["sortKey"],
        ttl_attribute=document["ttlAttribute"],
        indexes=tuple(
            IndexLayout(
                name=index["name"],
                partition_key=index["partitionKey"],
                sort_key=index["sortKey"],
                projection=index["projection"],
            )
            for index in document["indexes"]
        ),
    )
