"""APPSYNC_JS modules: AppSync's language rules enforced on a real parse, and the module turned
into a script the embedded engine can run."""

import re

import pytest

from local.aws.appsync.jsmodule import MAX_CODE_BYTES, CodeError, compile_module

HANDLERS = (
    "export function request(ctx) { return {}; }\nexport function response(ctx) { return 1; }\n"
)


def module(body: str) -> str:
    return f"import {{ util }} from '@aws-appsync/utils';\n{body}\n{HANDLERS}"


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("function f() { try { return 1; } catch (e) { return 2; } }", "try/catch/finally"),
        ("function f() { throw new Error('x'); }", "throw"),
        ("function f(n) { while (n) { n = n - 1; } }", "while loops"),
        ("function f(n) { do { n = n - 1; } while (n); }", "do-while loops"),
        ("function f() { for (let i = 0; i < 3; i = i + 1) {} }", "for(initialization"),
        ("function f() { outer: for (const x of [1]) { break outer; } }", "labeled statements"),
        ("function f(xs) { for (const x of xs) { if (x) continue; } }", "continue"),
        ("function f(n) { n++; }", "the ++ and -- operators"),
        ("function f(n) { --n; }", "the ++ and -- operators"),
        ("function f(n) { return ~n; }", "the ~ operator"),
        ("function f(o) { return 'a' in o; }", "the in operator"),
    ],
)
def test_constructs_appsync_rejects_are_rejected_with_the_line(code, rule):
    with pytest.raises(CodeError, match=re.escape(rule)) as error:
        compile_module(module(code))
    assert "line 2" in str(error.value)


def test_what_appsync_allows_compiles():
    script = compile_module(
        module(
            """
const label = 'a in b; while (x) { i++ }';  // neither is code
function f(xs, o) {
  let total = 0;
  for (const x of xs) { total = total + x; }
  for (const k in o) { total = total + o[k]; }
  switch (total) { case 0: break; default: total = -total; }
  return `${o?.a ?? 0}:${total}:${label}` + (Object.hasOwn(o, 'a') ? '!' : '');
}
const g = (...rest) => rest.length;
"""
        )
    )
    assert script.exports == {"request", "response"}


def test_imports_bind_to_the_runtime_and_exports_become_members():
    script = compile_module(
        "import { util as u, runtime } from '@aws-appsync/utils';\n"
        "import * as appsync from '@aws-appsync/utils';\n"
        "function handle(ctx) { return u.autoId(); }\n"
        "export const response = (ctx) => ctx.result;\n"
        "export { handle as request };\n"
    )
    assert "const { util: u, runtime } = __appsync;" in script.source
    assert "const appsync = __appsync;" in script.source
    assert "return { request: handle, response: response };" in script.source
    assert "export" not in script.source and "import" not in script.source


def test_modules_appsync_does_not_resolve_are_rejected():
    with pytest.raises(CodeError, match="cannot import 'lodash'"):
        compile_module("import { get } from 'lodash';\n" + HANDLERS)
    with pytest.raises(CodeError, match="does not provide '@aws-appsync/utils/dynamodb'"):
        compile_module("import * as ddb from '@aws-appsync/utils/dynamodb';\n" + HANDLERS)
    with pytest.raises(CodeError, match="no default export"):
        compile_module("import utils from '@aws-appsync/utils';\n" + HANDLERS)


def test_a_resolver_must_export_both_handlers():
    with pytest.raises(CodeError, match="must export response"):
        compile_module("export function request(ctx) { return {}; }")


def test_syntax_errors_name_their_line():
    with pytest.raises(CodeError, match="syntax error at line 2"):
        compile_module(module("function f( {"))


def test_code_over_appsyncs_size_limit_is_rejected():
    padding = "// " + "x" * MAX_CODE_BYTES + "\n"
    with pytest.raises(CodeError, match="at most"):
        compile_module(padding + HANDLERS)
