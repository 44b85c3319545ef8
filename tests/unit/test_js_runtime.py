"""The `@aws-appsync/utils` runtime as resolver code sees it, run in QuickJS."""

import re

import pytest

from local.appsync.js_runtime import JsRuntime, format_epoch_ms, parse_iso_ms

NOW = 1_795_000_000.123  # 2026-11-18T11:06:40.123Z


@pytest.fixture(scope="module")
def js():
    runtime = JsRuntime(clock=lambda: NOW)
    yield runtime
    runtime.close()


def run(js: JsRuntime, body: str, context: dict | None = None, auth: str | None = None):
    code = (
        "import { util, runtime, extensions } from '@aws-appsync/utils';\n"
        f"export function request(ctx) {{ {body} }}\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    return js.invoke(js.load(code), "request", {"stash": {}, **(context or {})}, auth)


def test_a_value_and_the_stash_come_back(js):
    outcome = run(
        js, "ctx.stash.seen = ctx.args.n; return { doubled: ctx.args.n * 2 };", {"args": {"n": 21}}
    )
    assert outcome.kind == "value"
    assert outcome.value == {"doubled": 42}
    assert outcome.stash == {"seen": 21}


def test_util_error_ends_the_handler_with_its_type_data_and_info(js):
    outcome = run(js, "util.error('no such slot', 'NotFound', { id: 1 }, { hint: 'x' }); return 1;")
    assert outcome.kind == "error"
    assert (outcome.error.message, outcome.error.type) == ("no such slot", "NotFound")
    assert (outcome.error.data, outcome.error.info) == ({"id": 1}, {"hint": "x"})


def test_append_error_keeps_the_value(js):
    outcome = run(js, "util.appendError('partial', 'Warning'); return 7;")
    assert outcome.value == 7
    assert [(e.message, e.type) for e in outcome.appended] == [("partial", "Warning")]


def test_unauthorized_and_early_return(js):
    assert run(js, "util.unauthorized();").error.type == "Unauthorized"
    early = run(js, "runtime.earlyReturn({ cached: true }); return 1;")
    assert early.early and early.value == {"cached": True}


def test_a_runtime_failure_is_a_code_error(js):
    outcome = run(js, "return ctx.missing.field;")
    assert outcome.error.type == "Code"
    assert "TypeError" in outcome.error.message


def test_dynamodb_helpers_type_values_as_dynamodb_json(js):
    outcome = run(
        js,
        "return util.dynamodb.toMapValues({ s: 'a', n: 4500, b: true, z: null, l: [1, 'x'],"
        " m: { k: 'v' } });",
    )
    assert outcome.value == {
        "s": {"S": "a"},
        "n": {"N": "4500"},
        "b": {"BOOL": True},
        "z": {"NULL": True},
        "l": {"L": [{"N": "1"}, {"S": "x"}]},
        "m": {"M": {"k": {"S": "v"}}},
    }


def test_time_helpers_use_the_engines_clock(js):
    outcome = run(
        js,
        "return { ms: util.time.nowEpochMilliSeconds(), s: util.time.nowEpochSeconds(),"
        " iso: util.time.nowISO8601(),"
        " compact: util.time.nowFormatted(\"yyyyMMdd'T'HHmmss'Z'\", 'UTC'),"
        " parsed: util.time.parseISO8601ToEpochMilliSeconds('2026-12-01T19:00:00+01:00'),"
        " bad: util.time.parseISO8601ToEpochMilliSeconds('yesterday') };",
    )
    assert outcome.value == {
        "ms": 1_795_000_000_123,
        "s": 1_795_000_000,
        "iso": "2026-11-18T11:06:40.123Z",
        "compact": "20261118T110640Z",
        "parsed": 1_796_148_000_000,
        "bad": None,
    }


def test_ids_auth_type_and_matching(js):
    outcome = run(
        js,
        "return { id: util.autoId(), ulid: util.autoUlid(), auth: util.authType(),"
        " ok: util.matches('[a-z]+', 'abc'), partial: util.matches('[a-z]+', 'abc1') };",
        auth="IAM Authorization",
    )
    assert re.fullmatch(r"[0-9a-f-]{36}", outcome.value["id"])
    assert re.fullmatch(r"[0-9A-Z]{26}", outcome.value["ulid"])
    assert outcome.value["auth"] == "IAM Authorization"
    assert (outcome.value["ok"], outcome.value["partial"]) == (True, False)


def test_extensions_are_recorded(js):
    outcome = run(
        js,
        "extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter("
        "{ venueId: { eq: 'v1' } })); return null;",
    )
    assert outcome.extensions["subscriptionFilter"] == {
        "filterGroup": [{"filters": [{"fieldName": "venueId", "operator": "eq", "value": "v1"}]}]
    }


def test_runaway_recursion_fails_instead_of_crashing(js):
    outcome = run(js, "const f = (n) => f(n + 1); return f(0);")
    assert outcome.error.type == "Code"


def test_date_patterns_and_zones():
    assert (
        format_epoch_ms(0, "yyyy-MM-dd'T'HH:mm:ssXXX", "Europe/Paris")
        == "1970-01-01T01:00:00+01:00"
    )
    assert format_epoch_ms(1500, "HH:mm:ss.SSS'Z'", "UTC") == "00:00:01.500Z"
    with pytest.raises(ValueError, match="unsupported date pattern letter"):
        format_epoch_ms(0, "EEE", "UTC")
    assert parse_iso_ms("2026-01-01T00:00:00") is None  # no zone
