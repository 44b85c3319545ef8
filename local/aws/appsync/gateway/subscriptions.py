"""`@aws_subscribe`: a mutation's result goes to the subscriptions of the fields that name that
mutation, whose arguments equal the result's fields and whose enhanced filter (set by the
subscription's resolver) accepts it — projected onto each subscription's selection set.

Publishing never waits on a subscriber: each message is offered to its connection's `Outbox`,
a bounded queue that the connection's own writer drains. A connection that falls that far
behind is closed (its client reconnects), so one reader that stops cannot stall the others.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import FieldNode, GraphQLSchema, SelectionSetNode

OUTBOX_LIMIT = 1000
"""Messages a connection may have waiting to be sent before it is closed as too slow."""


class Outbox:
    """A connection's outgoing messages, in order, bounded."""

    def __init__(self, limit: int = OUTBOX_LIMIT) -> None:
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(limit)
        self.overflowed = asyncio.Event()

    def offer(self, message: dict[str, Any]) -> bool:
        """Queues `message`; False (and `overflowed` set) if the reader is too far behind."""
        if self.overflowed.is_set():
            return False
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed.set()
            return False
        return True

    async def next(self) -> dict[str, Any]:
        return await self._queue.get()


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
    outbox: Outbox
    filter: dict[str, Any] | None = None


@dataclass
class SubscriptionHub:
    schema: GraphQLSchema
    _connections: dict[int, dict[str, Subscription]] = field(default_factory=dict)
    """Connection (by identity) → its subscriptions by id."""
    _triggers: dict[str, frozenset[str]] = field(default_factory=dict)

    def triggers(self, mutation_field: str) -> frozenset[str]:
        """The subscription fields whose `@aws_subscribe` names `mutation_field`."""
        if mutation_field not in self._triggers:
            self._triggers[mutation_field] = frozenset(self._subscribing(mutation_field))
        return self._triggers[mutation_field]

    def _subscribing(self, mutation_field: str) -> set[str]:
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
        return sum(len(held) for held in self._connections.values())

    def holds(self, connection: object, subscription_id: str) -> bool:
        return subscription_id in self._connections.get(id(connection), {})

    def count(self, connection: object) -> int:
        """How many subscriptions `connection` holds."""
        return len(self._connections.get(id(connection), {}))

    def add(self, subscription: Subscription) -> None:
        self._connections.setdefault(id(subscription.connection), {})[subscription.id] = (
            subscription
        )

    def remove(self, connection: object, subscription_id: str | None = None) -> None:
        """One subscription of `connection`, or all of them."""
        if subscription_id is not None:
            self._connections.get(id(connection), {}).pop(subscription_id, None)
            return
        self._connections.pop(id(connection), None)

    def publish(self, mutation_field: str, result: Any) -> int:
        """Offers `result` to every matching subscription without waiting on any; how many
        took it."""
        fields = self.triggers(mutation_field)
        if not fields or not isinstance(result, dict):
            return 0
        delivered = 0
        every = [s for held in list(self._connections.values()) for s in list(held.values())]
        for subscription in every:
            if subscription.field not in fields:
                continue
            if not _arguments_match(subscription.arguments, result):
                continue
            if subscription.filter and not _filter_accepts(subscription.filter, result):
                continue
            data = {subscription.key: _project(result, subscription.selection)}
            message = {"id": subscription.id, "type": "data", "payload": {"data": data}}
            delivered += subscription.outbox.offer(message)
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
