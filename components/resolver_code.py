"""The code AppSync runs for each resolver and function: a file in `handlers/api/` bundled with
the shared `lib.js` and the constants it reads.

AppSync takes one self-contained module per resolver: its only imports may be AppSync's own
(`@aws-appsync/utils`). A JavaScript bundler (esbuild) would need Node, which a Pulumi Python
program cannot assume, so this joins the files itself, relying on the house layout of the
resolver files: `import { … } from '…';` statements at the top, `export` on declarations only.
Whether the result is code AppSync accepts is checked by the tests, which run every bundle in
the local resolver engine.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from .layout import HANDLERS_DIR

API_DIR = HANDLERS_DIR / "api"
SCHEMA_FILE = API_DIR / "schema.graphql"
MANIFEST_FILE = API_DIR / "resolvers.json"
LIB_FILE = API_DIR / "lib.js"
APPSYNC_MODULE = "@aws-appsync/utils"
LIB_IMPORT = "../lib.js"


class BundleError(ValueError):
    """A resolver file does not follow the layout the bundler reads."""


@cache
def manifest() -> dict[str, Any]:
    """Which data source each resolver and function uses, and each pipeline's functions."""
    return json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))


def resolver_file(type_and_field: str) -> Path:
    return API_DIR / "resolvers" / f"{type_and_field}.js"


def function_file(name: str) -> Path:
    return API_DIR / "functions" / f"{name}.js"


def bundle(path: Path, constants: dict[str, Any]) -> str:
    """One module: AppSync's imports, `const SLATE = constants`, lib.js, then the file's code."""
    _, lib_utils, lib_body = _split(LIB_FILE)
    exported = {
        line.split("(")[0].split("=")[0].split()[-1]
        for line in lib_body
        if line.startswith("export ")
    }
    names, utils, body = _split(path)
    unknown = names - exported
    if unknown:
        raise BundleError(f"{path.name} imports {sorted(unknown)}, which lib.js does not export")
    imports = sorted(lib_utils | utils)
    header = [f"import {{ {', '.join(imports)} }} from '{APPSYNC_MODULE}';"] if imports else []
    lib = [line.removeprefix("export ") for line in lib_body]
    return "\n".join(
        [
            *header,
            f"const SLATE = {json.dumps(constants, sort_keys=True)};",
            *lib,
            *body,
            "",
        ]
    )


def _split(path: Path) -> tuple[set[str], set[str], list[str]]:
    """(names imported from lib.js, names imported from AppSync, the remaining lines)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lib_names: set[str] = set()
    util_names: set[str] = set()
    body: list[str] = []
    statement: list[str] = []
    for line in lines:
        if statement or line.startswith("import "):
            statement.append(line)
            if line.rstrip().endswith(";"):
                _read_import(path, " ".join(statement), lib_names, util_names)
                statement = []
        else:
            body.append(line)
    return lib_names, util_names, body


def _read_import(path: Path, text: str, lib_names: set[str], util_names: set[str]) -> None:
    opening, closing = text.find("{"), text.find("}")
    module = text[closing:].split("'")[1] if closing > 0 and "'" in text[closing:] else ""
    if opening < 0 or module not in (APPSYNC_MODULE, LIB_IMPORT):
        raise BundleError(f"{path.name}: unsupported import {text!r}")
    names = {name.strip() for name in text[opening + 1 : closing].split(",") if name.strip()}
    (util_names if module == APPSYNC_MODULE else lib_names).update(names)
