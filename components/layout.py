"""Where the component package finds the handler files it deploys, and the names they share.

Components never import handler code; they read the files. The table's key attributes, the key
prefixes and the statuses are defined once, in `handlers/domain/model.json`, which the domain
layer reads too.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any


def _handlers_dir() -> Path:
    """Inside the package once installed (`slate_components/handlers`), else beside it in the
    repository (`handlers/`)."""
    package = Path(__file__).resolve().parent
    installed = package / "handlers"
    return installed if installed.is_dir() else package.parent / "handlers"


HANDLERS_DIR = _handlers_dir()
MODEL_FILE = HANDLERS_DIR / "domain" / "model.json"


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
def model() -> dict[str, Any]:
    """The whole shared model: table layout, key prefixes, statuses."""
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))


def table_layout() -> TableLayout:
    document = model()["table"]
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
