"""`plan`: an offline preview — the resource tree a program would create, and its stack outputs."""

import json
from typing import Any

import pulumi

from local.pulumi.engine import Deployment, RecordedResource

SECRET = "[secret]"


def as_json(deployment: Deployment) -> dict[str, Any]:
    """The documented `plan --json` shape; `parent` is the parent's name, null at the stack."""
    names = {resource.urn: resource.name for resource in deployment.resources}
    return {
        "resources": [
            {
                "type": resource.type,
                "name": resource.name,
                "parent": names.get(resource.parent) if resource.parent else None,
                "custom": resource.custom,
                "inputs": jsonable(resource.inputs),
                "outputs": jsonable(resource.outputs),
            }
            for resource in deployment.resources
        ],
        "outputs": _masked_outputs(deployment),
    }


def as_text(deployment: Deployment) -> str:
    """An indented tree, children under their component, then the stack outputs."""
    lines = [f"{deployment.project}-{deployment.stack} (pulumi:pulumi:Stack)"]
    lines += _tree_lines(deployment, None, depth=1)
    count = len(deployment.resources)
    lines.append(f"\n{count} resources ({sum(r.custom for r in deployment.resources)} custom)")
    lines.append("Outputs:")
    outputs = _masked_outputs(deployment)
    width = max((len(key) for key in outputs), default=0)
    lines += [f"  {key:<{width}} : {json.dumps(outputs[key])}" for key in sorted(outputs)]
    return "\n".join(lines)


def _tree_lines(deployment: Deployment, parent: str | None, depth: int) -> list[str]:
    lines = []
    for child in sorted(deployment.children(parent), key=_sort_key):
        lines.append(f"{'  ' * depth}{child.name} ({child.type})")
        lines += _tree_lines(deployment, child.urn, depth + 1)
    return lines


def _sort_key(resource: RecordedResource) -> tuple[bool, str, str]:
    return (resource.custom, resource.type, resource.name)


def _masked_outputs(deployment: Deployment) -> dict[str, Any]:
    return {
        key: SECRET if key in deployment.secret_outputs else jsonable(value)
        for key, value in deployment.outputs.items()
    }


def jsonable(value: Any) -> Any:
    """Assets, archives and resource references as JSON a reader can follow."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, pulumi.FileArchive | pulumi.FileAsset):
        return {"path": value.path}
    if isinstance(value, pulumi.StringAsset):
        return {"text": value.text}
    if isinstance(value, pulumi.AssetArchive):
        return {"assets": jsonable(dict(value.assets))}
    if isinstance(value, pulumi.Resource):
        return {"resource": type(value).__name__}
    return value
