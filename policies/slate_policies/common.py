"""What the rules share: building a rule from a check, reading IAM documents, production stacks."""

import fnmatch
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

Check = Callable[[Mapping[str, Any], Mapping[str, Any], ResourceValidationArgs], Iterable[str]]
"""(props, config, args) → one message per violation."""

PRODUCTION_STACKS = {
    "productionStacks": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["prod", "production", "prod-*", "production-*"],
        "description": "Stack name patterns (fnmatch) that count as production.",
    }
}


def resource_rule(
    name: str,
    description: str,
    resource_types: str | tuple[str, ...],
    check: Check,
    *,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    severity: Severity = Severity.HIGH,
    config: dict[str, dict[str, Any]] | None = None,
    remediate: Callable[[ResourceValidationArgs], Mapping[str, Any] | None] | None = None,
) -> ResourceValidationPolicy:
    """A rule over resources of the given types: each message `check` yields is a violation."""
    types = (resource_types,) if isinstance(resource_types, str) else resource_types

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type in types:
            for problem in check(args.props, args.get_config() or {}, args):
                report(problem, None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        severity=severity,
        config_schema=PolicyConfigSchema(properties=config) if config else None,
        remediate=remediate,
    )


def stack_name(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` → the stack."""
    return urn.split(":")[2] if urn.count(":") >= 2 else ""


def is_production(args: ResourceValidationArgs, config: Mapping[str, Any]) -> bool:
    patterns = config.get("productionStacks", PRODUCTION_STACKS["productionStacks"]["default"])
    return any(fnmatch.fnmatch(stack_name(args.urn), pattern) for pattern in patterns)


def statements(document: Any) -> list[dict[str, Any]]:
    """The statements of an IAM policy document given as JSON text or as a mapping."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    found = (document or {}).get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def truthy(props: Mapping[str, Any], *path: str) -> Any:
    """The value at `path` inside nested props, or None."""
    value: Any = props
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
