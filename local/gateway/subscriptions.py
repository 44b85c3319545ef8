"""`@aws_subscribe`: a mutation's result goes to the subscriptions of the fields that name that
mutation, whose arguments equal the result's fields and whose enhanced filter (set by the
subscription's resolver) accepts it — projected onto each subscription's selection set."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import FieldNode, GraphQLSchema, SelectionSetNode

Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(eq=False)
class Subscription:
    connection: object
    id: str
    field: str
    """The subscription field (e.g. `onSlotUpdate`)."""
    key: str
    """Its response key (the alias, if any)."""
    arguments: dict[str, Any]
    selection: SelectionSetNode | None
    send: Send
    filter: dict[str, Any] | None = None


@dataclass
class SubscriptionHub:
    schema: GraphQLSchema
    _subscriptions: list[Subscription] = field(default_factory=list)

    def triggers(self, mutation_field: str) -> set[str]:
        """The subscription fields whose `@aws_subscribe` names `mutation_field`."""
        subscription_type = self.schema.subscription_type
        found = set()
        for name, definition in (subscription_type.fields if subscription_type else {}).items():
            for directive in definition.ast_node.directives if definition.ast_node else ():
                if directive.name.value != "aws_subscribe":
                    continue
                for argument in directive.arguments:
                    if argument.name.value == "mutations":
                        mutations = {value.value for value in argument.value.values}
                        if mutation_field in mutations:
                            found.add(name)
        return found

    @property
    def active(self) -> int:
        """How many subscriptions are open."""
        return len(self._subscriptions)

    def add(self, subscription: Subscription) -> None:
        self._subscriptions.append(subscription)

    def remove(self, connection: object, subscription_id: str | None = None) -> None:
        self._subscriptions = [
            s
            for s in self._subscriptions
            if s.connection is not connection
            or (subscription_id is not None and s.id != subscription_id)
        ]

    async def publish(self, mutation_field: str, result: Any) -> int:
        """Sends `result` to every matching subscription; how many received it."""
        fields = self.triggers(mutation_field)
        delivered = 0
        for subscription in list(self._subscriptions):
            if subscription.field not in fields or not isinstance(result, dict):
                continue
            if not _arguments_match(subscription.arguments, result):
                continue
            if subscription.filter and not _filter_accepts(subscription.filter, result):
                continue
            data = {subscription.key: _project(result, subscription.selection)}
            await subscription.send(
                {"id": subscription.id, "type": "data", "payload": {"data": data}}
            )
            delivered += 1
        return delivered


def _arguments_match(arguments: dict[str, Any], result: dict[str, Any]) -> bool:
    return all(result.get(name) == value for name, value in arguments.items() if value is not None)


def _project(value: Any, selection: SelectionSetNode | None) -> Any:
    if selection is None or value is None:
        return value
    if isinstance(value, list):
        return [_project(item, selection) for item in value]
    projected = {}
    for node in selection.selections:
        if isinstance(node, FieldNode):
            key = node.alias.value if node.alias else node.name.value
            projected[key] = _project(value.get(node.name.value), node.selection_set)
    return projected


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda actual, wanted: actual == wanted,
    "ne": lambda actual, wanted: actual != wanted,
    "lt": lambda actual, wanted: actual is not None and actual < wanted,
    "le": lambda actual, wanted: actual is not None and actual <= wanted,
    "gt": lambda actual, wanted: actual is not None and actual > wanted,
    "ge": lambda actual, wanted: actual is not None and actual >= wanted,
    "in": lambda actual, wanted: actual in wanted,
    "notIn": lambda actual, wanted: actual not in wanted,
    "contains": lambda actual, wanted: actual is not None and wanted in actual,
    "notContains": lambda actual, wanted: actual is None or wanted not in actual,
    "beginsWith": lambda actual, wanted: isinstance(actual, str) and actual.startswith(wanted),
    "between": lambda actual, wanted: actual is not None and wanted[0] <= actual <= wanted[1],
}


def _filter_accepts(subscription_filter: dict[str, Any], result: dict[str, Any]) -> bool:
    """Enhanced filtering: any group whose every filter holds."""
    return any(
        all(
            OPERATORS[rule["operator"]](result.get(rule["fieldName"]), rule["value"])
            for rule in group.get("filters", [])
        )
        for group in subscription_filter.get("filterGroup", [])
    )
