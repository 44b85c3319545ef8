"""moto's DynamoDB parses each expression once per use, and every write uses several.

A condition is parsed (lexed, its paths and placeholders resolved, its tree built) about three
times per item of a transaction: once to validate the request, once to check it. The parse is
pure Python and was a third of a transaction's cost. An update expression is parsed twice, and
each of the ten passes that validate it against the item built its table of node types anew at
every node it visited (most of an update's cost). Before the passes, the tree was deep-copied
through `copy`'s generic reduce protocol (a sixth of a transaction's cost), and three of the
passes judge only the expression and its attribute names, the same way every time.

`parsing_once` keeps each parse by the expression's shape: its text, its attribute names, and
the placeholders' types, never their values. A condition's tree is built once with a stand-in
for each value, and each later use gets a copy of that tree with the request's own values put
in. Anything the cache cannot stand in for (a value of another type than S or N, an expression
that does not parse) is parsed as moto parses it, so its errors are moto's own. Each validation
pass builds its table of node types once. An update's tree is copied node by node, sharing its
text and number leaves (which nothing changes), and the expression-only passes run once per
expression, attribute names and table key: once they have passed, they would pass again.
"""

import copy
import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.dynamodb.comparisons import AttributeValue, ConditionExpressionParser
from moto.dynamodb.parsing import validators
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node
from moto.dynamodb.parsing.expressions import UpdateExpressionParser

STAND_IN_TYPES = frozenset({"S", "N"})
SHARED_LEAVES = (str, int, float, bool, type(None))
EXPRESSION_ONLY_PASSES = (
    validators.ActionCountValidator,
    validators.OverlappingPathsValidator,
    validators.UpdateHashRangeKeyValidator,
)
STAND_IN_MARK = "\x00slate-stand-in:"
MAXIMUM_SHAPES = 1024
"""Expressions come from callers; past this many shapes the cache starts again."""


class _Shape:
    """A condition's tree built with stand-ins, and what the parse found. Evaluating a tree
    changes none of its nodes, so each use shares every node that holds no stand-in."""

    def __init__(self, parser: ConditionExpressionParser) -> None:
        self.tree = _ORIGINAL_PARSE(parser)
        self.names_found = list(parser.expr_attr_names_found)
        self.values_found = list(parser.expr_attr_values_found)
        self.stand_ins: dict[int, str] = {}
        self.above_stand_ins: set[int] = set()
        self._find_stand_ins(self.tree)

    def with_values(self, values: dict[str, dict[str, str]]) -> Any:
        if not self.stand_ins:
            return self.tree
        return self._substituted(self.tree, values)

    def _find_stand_ins(self, node: Any) -> bool:
        if isinstance(node, AttributeValue):
            if isinstance(node.value, str) and node.value.startswith(STAND_IN_MARK):
                self.stand_ins[id(node)] = node.value[len(STAND_IN_MARK) :]
                return True
            return False
        found = False
        for child in _children(node):
            found = self._find_stand_ins(child) or found
        if found:
            self.above_stand_ins.add(id(node))
        return found

    def _substituted(self, node: Any, values: dict[str, dict[str, str]]) -> Any:
        if id(node) in self.stand_ins:
            return AttributeValue(values[self.stand_ins[id(node)]])
        if id(node) not in self.above_stand_ins:
            return node
        if isinstance(node, list | tuple):
            return type(node)(self._substituted(child, values) for child in node)
        copied = copy.copy(node)
        for name, child in vars(node).items():
            setattr(copied, name, self._substituted(child, values))
        return copied


def _children(node: Any) -> list[Any]:
    """A condition tree's nodes keep their children as attributes, some in lists."""
    if isinstance(node, list | tuple):
        return list(node)
    return list(vars(node).values()) if hasattr(node, "__dict__") else []


_ORIGINAL_PARSE = ConditionExpressionParser.parse
_shapes: dict[tuple[Any, ...], _Shape | None] = {}
_shapes_lock = threading.Lock()


def _parse(parser: ConditionExpressionParser) -> Any:
    key = _key(parser)
    if key is None:
        return _ORIGINAL_PARSE(parser)
    with _shapes_lock:
        shape = _shapes.get(key, ...)
    if shape is ...:
        shape = _stand_in_shape(parser)
        with _shapes_lock:
            if len(_shapes) >= MAXIMUM_SHAPES:
                _shapes.clear()
            _shapes[key] = shape
    if shape is None:  # does not parse: moto says why, with the caller's values
        return _ORIGINAL_PARSE(parser)
    parser.expr_attr_names_found.extend(shape.names_found)
    parser.expr_attr_values_found.extend(shape.values_found)
    return shape.with_values(parser.expression_attribute_values)


def _key(parser: ConditionExpressionParser) -> tuple[Any, ...] | None:
    expression = parser.condition_expression
    names = parser.expression_attribute_names or {}
    values = parser.expression_attribute_values or {}
    if not expression or not isinstance(expression, str):
        return None
    types = []
    for name, value in values.items():
        if not (isinstance(value, dict) and len(value) == 1):
            return None
        [(kind, content)] = value.items()
        if kind not in STAND_IN_TYPES or not isinstance(content, str):
            return None
        types.append((name, kind))
    if not all(isinstance(v, str) for v in names.values()):
        return None
    return expression, tuple(sorted(names.items())), tuple(sorted(types))


def _stand_in_shape(parser: ConditionExpressionParser) -> _Shape | None:
    stand_ins = {
        name: {kind: STAND_IN_MARK + name}
        for name, value in (parser.expression_attribute_values or {}).items()
        for kind in value
    }
    try:
        return _Shape(
            ConditionExpressionParser(
                parser.condition_expression, parser.expression_attribute_names, stand_ins
            )
        )
    except Exception:  # moto's own parse, with the real values, raises it below
        return None


def _processing_map(traverser: DepthFirstTraverser) -> dict[type, Any]:
    """A validation pass's node types and their processors: the same for the whole pass."""
    table = traverser.__dict__.get("_slate_processing_map")
    if table is None:
        table = traverser.__dict__["_slate_processing_map"] = traverser._processing_map()
    return table


def _nodes_to_be_processed(traverser: DepthFirstTraverser) -> tuple[type, ...]:
    return tuple(_processing_map(traverser))


def _process(traverser: DepthFirstTraverser, node: Any) -> Any:
    for node_type, processor in _processing_map(traverser).items():
        if isinstance(node, node_type):
            return processor(node)
    return None


def _tree_copy(node: Any) -> Any:
    """`deepcopy` for moto's expression trees: a copy of every node, sharing immutable leaves;
    anything else (a `DynamoType` in a validated tree) is deep-copied as before."""
    if isinstance(node, SHARED_LEAVES):
        return node
    if not isinstance(node, Node):
        return copy.deepcopy(node)
    copied = object.__new__(type(node))
    copied.__dict__.update(vars(node))
    if node.children is not None:
        copied.children = [_tree_copy(child) for child in node.children]
        for child in copied.children:
            if isinstance(child, Node):
                child.parent = copied
    return copied


_ORIGINAL_VALIDATOR_INIT = validators.Validator.__init__
_passed: dict[int, tuple[Node, set[tuple[Any, ...]]]] = {}
"""Per parsed update expression (kept alive here, so its id is not reused): the attribute
names and table keys its expression-only passes have accepted."""


def _validator_init(
    validator: validators.Validator, expression: Node, *args: Any, **kwargs: Any
) -> None:
    _ORIGINAL_VALIDATOR_INIT(validator, expression, *args, **kwargs)
    validator.__dict__["_slate_source"] = expression


def _validate(validator: validators.Validator) -> Any:
    """moto's `Validator.validate`, skipping the expression-only passes where they have passed."""
    source = validator.__dict__.get("_slate_source")
    judged = _judged_by(validator)
    with _shapes_lock:
        accepted = source is not None and judged in _passed.get(id(source), (None, set()))[1]
    node = validator.node_to_validate
    expression_only = [p for p in validator.processors if isinstance(p, EXPRESSION_ONLY_PASSES)]
    for processor in validator.processors:
        if accepted and processor in expression_only:
            continue
        node = processor.traverse(node)
        if processor in expression_only:
            expression_only.remove(processor)
            if not expression_only and source is not None and judged is not None:
                _accept(source, judged)
    return node


def _judged_by(validator: validators.Validator) -> tuple[Any, ...] | None:
    """What the expression-only passes read besides the tree: names and the table's keys."""
    names = validator.expression_attribute_names or {}
    table = getattr(validator, "table", None)
    if table is None or not all(isinstance(v, str) for v in names.values()):
        return None
    return tuple(sorted(names.items())), tuple(table.table_key_attrs)


def _accept(source: Node, judged: tuple[Any, ...]) -> None:
    with _shapes_lock:
        if id(source) not in _passed and len(_passed) >= MAXIMUM_SHAPES:
            _passed.clear()
        _passed.setdefault(id(source), (source, set()))[1].add(judged)


@contextmanager
def parsing_once() -> Iterator[None]:
    make = functools.lru_cache(maxsize=MAXIMUM_SHAPES)(UpdateExpressionParser.make.__func__)
    with (
        mock.patch.object(ConditionExpressionParser, "parse", _parse),
        mock.patch.object(UpdateExpressionParser, "make", classmethod(make)),
        mock.patch.object(DepthFirstTraverser, "nodes_to_be_processed", _nodes_to_be_processed),
        mock.patch.object(DepthFirstTraverser, "process", _process),
        mock.patch.object(validators, "deepcopy", _tree_copy),
        mock.patch.object(validators.Validator, "__init__", _validator_init),
        mock.patch.object(validators.Validator, "validate", _validate),
    ):
        yield
