"""APPSYNC_JS modules: checked against AppSync's language rules and turned into scripts.

AppSync compiles a resolver or function as an ES module and rejects the statements and operators
its runtime lacks. The embedded engine here has no module loader, so a module becomes a script:
its `@aws-appsync/utils` imports bind to the runtime this package provides, and its exports
become the members of one object. Both steps work on a real parse (tree-sitter's JavaScript
grammar), never on the text, so `a in b` inside a string is no violation and `export` inside a
comment is left alone.
"""

from dataclasses import dataclass

import tree_sitter_javascript
from tree_sitter import Language, Node, Parser

MAX_CODE_BYTES = 32 * 1024
"""AppSync's limit on the code of one resolver or function."""

BUILTIN_MODULES = {"@aws-appsync/utils": "__appsync"}
"""The modules this engine provides, and the runtime object each is bound to."""
NOT_PROVIDED = {"@aws-appsync/utils/dynamodb", "@aws-appsync/utils/rds"}
"""Modules AppSync has that this engine does not: code using them fails with that reason."""

_FORBIDDEN_NODES = {
    "try_statement": "try/catch/finally (use util.error)",
    "throw_statement": "throw (use util.error)",
    "while_statement": "while loops",
    "do_statement": "do-while loops",
    "for_statement": "for(initialization; condition; afterthought) loops (use for-of or for-in)",
    "labeled_statement": "labeled statements",
    "continue_statement": "continue",
    "update_expression": "the ++ and -- operators",
}
_FORBIDDEN_OPERATORS = {
    ("unary_expression", "~"): "the ~ operator",
    ("binary_expression", "in"): "the in operator (use Object.hasOwn)",
}
_LANGUAGE = Language(tree_sitter_javascript.language())


class CodeError(ValueError):
    """Code AppSync would refuse to save: the message names the rule and the line."""


@dataclass(frozen=True)
class Script:
    """A module as a script: evaluating `source` yields an object of the module's exports."""

    source: str
    exports: frozenset[str]


def compile_module(code: str, required: tuple[str, ...] = ("request", "response")) -> Script:
    """The module as a script, after checking it as AppSync does before it accepts the code."""
    data = code.encode()
    if len(data) > MAX_CODE_BYTES:
        raise CodeError(f"code is {len(data)} bytes; AppSync accepts at most {MAX_CODE_BYTES}")
    tree = Parser(_LANGUAGE).parse(data)
    _check(tree.root_node)
    edits: list[tuple[int, int, str]] = []
    exports: dict[str, str] = {}
    for statement in tree.root_node.named_children:
        if statement.type == "import_statement":
            edits.append((statement.start_byte, statement.end_byte, _binding(statement)))
        elif statement.type == "export_statement":
            edits.append(_export(statement, exports))
    missing = [name for name in required if name not in exports]
    if missing:
        raise CodeError(f"the code must export {', '.join(missing)}")
    for start, end, text in sorted(edits, reverse=True):
        data = data[:start] + text.encode() + data[end:]
    members = ", ".join(f"{name}: {local}" for name, local in sorted(exports.items()))
    source = f'(function () {{\n"use strict";\n{data.decode()}\nreturn {{ {members} }};\n}})()'
    return Script(source=source, exports=frozenset(exports))


def _line(node: Node) -> int:
    return node.start_point[0] + 1


def _check(root: Node) -> None:
    if root.has_error:
        raise CodeError(f"syntax error at line {_first_error_line(root)}")
    stack = [root]
    while stack:
        node = stack.pop()
        rule = _FORBIDDEN_NODES.get(node.type)
        operator = node.child_by_field_name("operator")
        if operator is not None:
            rule = rule or _FORBIDDEN_OPERATORS.get((node.type, operator.type))
        if rule:
            raise CodeError(f"line {_line(node)}: APPSYNC_JS does not support {rule}")
        stack.extend(node.children)


def _first_error_line(root: Node) -> int:
    stack = [root]
    while stack:
        node = stack.pop(0)
        if node.is_error or node.is_missing:
            return _line(node)
        stack.extend(node.children)
    return _line(root)


def _text(node: Node) -> str:
    return node.text.decode()


def _binding(statement: Node) -> str:
    """`import { util as u } from '@aws-appsync/utils'` → `const { util: u } = __appsync;`."""
    source = statement.child_by_field_name("source")
    module = _text(source)[1:-1]
    target = BUILTIN_MODULES.get(module)
    if module in NOT_PROVIDED:
        raise CodeError(
            f"line {_line(statement)}: the local engine does not provide {module!r}; build the "
            "request objects with util.dynamodb instead"
        )
    if target is None:
        raise CodeError(
            f"line {_line(statement)}: cannot import {module!r}; AppSync resolves only "
            f"{', '.join(sorted({*BUILTIN_MODULES, *NOT_PROVIDED}))} (bundle other code into the "
            "resolver)"
        )
    clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
    if clause is None:
        return ""
    bindings = []
    for part in clause.named_children:
        if part.type == "namespace_import":
            bindings.append(f"const {_text(part.named_children[-1])} = {target};")
        elif part.type == "named_imports":
            pairs = []
            for specifier in part.named_children:
                name = _text(specifier.child_by_field_name("name"))
                alias = specifier.child_by_field_name("alias")
                pairs.append(f"{name}: {_text(alias)}" if alias else name)
            bindings.append(f"const {{ {', '.join(pairs)} }} = {target};")
        else:  # a default import: the module has no default export
            raise CodeError(f"line {_line(statement)}: {module!r} has no default export")
    return " ".join(bindings)


def _export(statement: Node, exports: dict[str, str]) -> tuple[int, int, str]:
    """Drops `export` from a declaration (or an export clause), recording what it exports."""
    declaration = statement.child_by_field_name("declaration")
    if declaration is not None:
        for name in _declared_names(declaration):
            exports[name] = name
        return statement.start_byte, declaration.start_byte, ""
    clause = next((c for c in statement.named_children if c.type == "export_clause"), None)
    if clause is None or statement.child_by_field_name("source") is not None:
        raise CodeError(f"line {_line(statement)}: only named exports of this module's own code")
    for specifier in clause.named_children:
        local = _text(specifier.child_by_field_name("name"))
        alias = specifier.child_by_field_name("alias")
        exports[_text(alias) if alias else local] = local
    return statement.start_byte, statement.end_byte, ""


def _declared_names(declaration: Node) -> list[str]:
    if declaration.type in ("function_declaration", "class_declaration"):
        return [_text(declaration.child_by_field_name("name"))]
    return [
        _text(declarator.child_by_field_name("name"))
        for declarator in declaration.named_children
        if declarator.type == "variable_declarator"
    ]
