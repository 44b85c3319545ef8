"""`policy`: a pulumi-policy pack (Python) evaluated offline over a program's recorded resources,
as `pulumi preview --policy-pack` would evaluate it.

The pack is loaded by running its own `__main__.py` with `PolicyPack` replaced by a recorder, so
any Python pack works unchanged (building the real `PolicyPack` starts a server that never
returns). Resource policies see each resource's inputs (camelCase, as the engine passes them);
stack policies see every resource's outputs. Enforcement levels and policy config are applied
as the CLI applies them: the pack's default, the policy's own, then the config file (a JSON
object of policy name → level, or → {"enforcementLevel": …, <config properties>}; "all" sets
every policy's level), config properties defaulted from each policy's schema.
"""

import asyncio
import inspect
import json
import os
import runpy
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi_policy
import pulumi_policy.policy as policy_module
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from local.errors import LocalError
from local.pulumi.engine import Deployment, RecordedResource


class PolicyError(LocalError):
    """The pack or its config cannot be used; the message says why."""


@dataclass(frozen=True)
class Pack:
    name: str
    policies: list[Policy]
    enforcement_level: EnforcementLevel
    initial_config: Mapping[str, Any]


@dataclass(frozen=True)
class Violation:
    policy: str
    level: EnforcementLevel
    resource: str
    resource_type: str
    message: str


@dataclass(frozen=True)
class Remediation:
    policy: str
    resource: str
    resource_type: str
    changes: dict[str, tuple[Any, Any]]


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(v.level == EnforcementLevel.MANDATORY for v in self.violations)

    def as_text(self) -> str:
        lines = [
            f"{v.level.value:<9} {v.policy}: {v.resource} ({v.resource_type}): {v.message}"
            for v in self.violations
        ]
        for r in self.remediations:
            changes = ", ".join(f"{k}: {old!r} → {new!r}" for k, (old, new) in r.changes.items())
            lines.append(f"remediated {r.policy}: {r.resource} ({r.resource_type}): {changes}")
        mandatory = sum(v.level == EnforcementLevel.MANDATORY for v in self.violations)
        lines.append(
            f"{mandatory} mandatory, {len(self.violations) - mandatory} advisory violations; "
            f"{len(self.remediations)} remediations"
        )
        return "\n".join(lines)


class _Built(Exception):
    def __init__(self, pack: Pack) -> None:
        self.pack = pack


class _RecordingPack:
    """Stands in for `PolicyPack` while the pack's program runs: records it, serves nothing."""

    def __init__(
        self,
        name: str,
        policies: list[Policy],
        enforcement_level: EnforcementLevel | None = None,
        initial_config: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> None:
        level = enforcement_level or EnforcementLevel.ADVISORY
        raise _Built(Pack(name, list(policies), level, dict(initial_config or {})))


def load_pack(directory: str | Path) -> Pack:
    directory = Path(directory).resolve()
    main = directory / "__main__.py"
    if not main.is_file():
        raise PolicyError(f"{directory} is not a policy pack (no __main__.py)")
    with _pack_context(directory):
        try:
            runpy.run_path(str(main), run_name="__main__")
        except _Built as built:
            return built.pack
    raise PolicyError(f"{main} never built a PolicyPack")


@contextmanager
def _pack_context(directory: Path) -> Iterator[None]:
    """The pack's program runs from its directory with `PolicyPack` recorded; the modules it
    imports from there are forgotten afterwards."""
    before = set(sys.modules)
    saved = (pulumi_policy.PolicyPack, policy_module.PolicyPack)
    pulumi_policy.PolicyPack = policy_module.PolicyPack = _RecordingPack
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        pulumi_policy.PolicyPack, policy_module.PolicyPack = saved
        sys.path.remove(str(directory))
        for name in set(sys.modules) - before:
            origin = getattr(sys.modules[name], "__file__", None) or ""
            if origin.startswith(str(directory) + os.sep):
                del sys.modules[name]


def read_config(path: str | Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        config = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise PolicyError(f"cannot read the policy config {path}: {error}") from error
    if not isinstance(config, dict):
        raise PolicyError(f"{path}: the policy config must be a JSON object")
    return config


def evaluate(deployment: Deployment, pack: Pack, config: Mapping[str, Any]) -> Report:
    report = Report()
    merged = {**pack.initial_config, **config}
    known = {p.name for p in pack.policies}
    unknown = sorted(set(merged) - known - {"all"})
    if unknown:
        raise PolicyError(f"the config names policies the pack does not have: {unknown}")
    for policy in pack.policies:
        level, settings = _settings(pack, policy, merged)
        if level == EnforcementLevel.DISABLED:
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for resource in deployment.resources:
                _check_resource(report, policy, level, settings, resource)
        elif isinstance(policy, StackValidationPolicy):
            _check_stack(report, policy, level, settings, deployment)
    return report


def _settings(
    pack: Pack, policy: Policy, config: Mapping[str, Any]
) -> tuple[EnforcementLevel, dict[str, Any]]:
    level = policy.enforcement_level or pack.enforcement_level
    if "all" in config:
        level = _level(config["all"], "all")
    entry = config.get(policy.name)
    settings: dict[str, Any] = {}
    schema = policy.config_schema.properties if policy.config_schema else {}
    settings.update({k: spec["default"] for k, spec in schema.items() if "default" in spec})
    if isinstance(entry, str):
        level = _level(entry, policy.name)
    elif isinstance(entry, dict):
        if "enforcementLevel" in entry:
            level = _level(entry["enforcementLevel"], policy.name)
        extra = sorted(set(entry) - set(schema) - {"enforcementLevel"})
        if extra:
            raise PolicyError(f"{policy.name} has no config properties {extra}")
        settings.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
    return level, settings


def _level(value: Any, where: str) -> EnforcementLevel:
    try:
        return EnforcementLevel(value)
    except ValueError as error:
        choices = [level.value for level in EnforcementLevel]
        raise PolicyError(f"{where}: {value!r} is not an enforcement level ({choices})") from error


def _options(resource: RecordedResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent,
    )


def _check_resource(
    report: Report,
    policy: ResourceValidationPolicy,
    level: EnforcementLevel,
    settings: dict[str, Any],
    resource: RecordedResource,
) -> None:
    def args_for(props: Mapping[str, Any]) -> ResourceValidationArgs:
        return ResourceValidationArgs(
            resource.type, props, resource.urn, resource.name, _options(resource), None, settings
        )

    props: Mapping[str, Any] = resource.inputs
    if level == EnforcementLevel.REMEDIATE and policy.has_remediation():
        fixed = _settled(policy.remediate(args_for(props)))
        if fixed is not None and dict(fixed) != dict(props):
            changes = {
                key: (props.get(key), fixed.get(key))
                for key in set(props) | set(fixed)
                if props.get(key) != fixed.get(key)
            }
            report.remediations.append(
                Remediation(policy.name, resource.name, resource.type, changes)
            )
            props = fixed
    found: list[str] = []
    _settled(policy.validate(args_for(props), lambda message, urn=None: found.append(message)))
    for message in found:
        report.violations.append(
            Violation(policy.name, _reported(level), resource.name, resource.type, message)
        )


def _check_stack(
    report: Report,
    policy: StackValidationPolicy,
    level: EnforcementLevel,
    settings: dict[str, Any],
    deployment: Deployment,
) -> None:
    resources = {
        r.urn: PolicyResource(r.type, r.outputs, r.urn, r.name, _options(r), None, None, [], {})
        for r in deployment.resources
    }
    by_urn = {r.urn: r for r in deployment.resources}
    reported: list[tuple[str, str | None]] = []
    stack = StackValidationArgs(list(resources.values()), settings)
    _settled(policy.validate(stack, lambda message, urn=None: reported.append((message, urn))))
    for message, urn in reported:
        resource = by_urn.get(urn) if urn else None
        report.violations.append(
            Violation(
                policy.name,
                _reported(level),
                resource.name if resource else f"{deployment.project}-{deployment.stack}",
                resource.type if resource else "pulumi:pulumi:Stack",
                message,
            )
        )


def _reported(level: EnforcementLevel) -> EnforcementLevel:
    """What remains after remediation is reported as mandatory, as the CLI does."""
    return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level


def _settled(result: Any) -> Any:
    return asyncio.run(result) if inspect.isawaitable(result) else result
