"""A Pulumi project directory as the CLI reads it: `Pulumi.yaml` and `Pulumi.<stack>.yaml`.

The engine needs the project name, the program's entry point and the stack's configuration in the
exact form the CLI hands it to a Python program (fully qualified keys, string values, JSON for
anything structured), so that `pulumi.Config` behaves here as it does under `pulumi up`.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from local.errors import LocalError

# The value types a project may declare for its config keys, as YAML reads them.
_DECLARED_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "array": lambda value: isinstance(value, list),
}


class ProjectError(LocalError):
    """The project or stack files are missing or malformed; the message says which and why."""


@dataclass(frozen=True)
class Project:
    """What the engine needs from `Pulumi.yaml`."""

    directory: Path
    name: str
    main: Path
    config_defaults: dict[str, str]
    config_types: dict[str, str]

    @classmethod
    def load(cls, directory: str | Path) -> "Project":
        directory = Path(directory).resolve()
        document = _read_yaml(directory / "Pulumi.yaml", what="project file")
        name = document.get("name")
        if not isinstance(name, str) or not name:
            raise ProjectError(f"{directory / 'Pulumi.yaml'}: 'name' must be a non-empty string")
        runtime = document.get("runtime")
        runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
        if runtime_name != "python":
            raise ProjectError(
                f"{directory / 'Pulumi.yaml'}: runtime is {runtime_name!r}; "
                "the local engine runs Python programs only"
            )
        main = directory / document.get("main", ".")
        if main.is_dir():
            main = main / "__main__.py"
        if not main.is_file():
            raise ProjectError(f"{directory}: the program entry point {main} does not exist")
        defaults, types = _project_config(name, document.get("config") or {}, directory)
        return cls(directory, name, main, config_defaults=defaults, config_types=types)

    def stack_file(self, stack: str) -> Path:
        return self.directory / f"Pulumi.{stack}.yaml"

    def stack_config(self, stack: str) -> dict[str, str]:
        """The merged config of one stack: project defaults overlaid by `Pulumi.<stack>.yaml`."""
        path = self.stack_file(stack)
        document = _read_yaml(path, what=f"stack file for stack {stack!r}")
        raw = document.get("config") or {}
        if not isinstance(raw, dict):
            raise ProjectError(f"{path}: 'config' must be a mapping of key to value")
        config = dict(self.config_defaults)
        for key, value in raw.items():
            full_key = self.qualify(str(key))
            declared = self.config_types.get(full_key)
            if declared and not _DECLARED_TYPES[declared](value):
                raise ProjectError(
                    f"{path}: {full_key} must be of type {declared} (as Pulumi.yaml declares), "
                    f"got {value!r}"
                )
            config[full_key] = _config_text(full_key, value, path)
        return config

    def qualify(self, key: str) -> str:
        """A bare key belongs to the project's namespace, as the CLI reads it."""
        return key if ":" in key else f"{self.name}:{key}"


def _read_yaml(path: Path, *, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise ProjectError(f"{path}: no such {what}")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "unreadable"
        raise ProjectError(f"{path}: not valid YAML{where}: {problem}") from error
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ProjectError(f"{path}: expected a mapping at the top level")
    return document


def _project_config(
    project: str, block: Any, directory: Path
) -> tuple[dict[str, str], dict[str, str]]:
    """`config:` in Pulumi.yaml declares keys: a `type` the stack's value must have, and a
    `default` (for another namespace such as `aws:`, a `value`) used when the stack sets none."""
    path = directory / "Pulumi.yaml"
    if not isinstance(block, dict):
        raise ProjectError(f"{path}: 'config' must be a mapping")
    defaults, types = {}, {}
    for key, spec in block.items():
        full_key = key if ":" in key else f"{project}:{key}"
        if not isinstance(spec, dict):
            defaults[full_key] = _config_text(full_key, spec, path)
            continue
        declared = spec.get("type")
        if declared is not None:
            if declared not in _DECLARED_TYPES:
                raise ProjectError(f"{path}: {full_key} has unknown type {declared!r}")
            types[full_key] = declared
        if "default" in spec or "value" in spec:
            default = spec.get("value", spec.get("default"))
            if declared and not _DECLARED_TYPES[declared](default):
                raise ProjectError(f"{path}: the default of {full_key} is not of type {declared}")
            defaults[full_key] = _config_text(full_key, default, path)
    return defaults, types


def _config_text(key: str, value: Any, path: Path) -> str:
    """The string the CLI passes for a config value: text as is, anything else as JSON."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        raise ProjectError(
            f"{path}: {key} is an encrypted secret, which the local engine cannot decrypt; "
            "give it a plaintext value for local runs"
        )
    if isinstance(value, str):
        return value
    if value is None:
        raise ProjectError(f"{path}: {key} has no value")
    return json.dumps(value)
