"""The `@aws-appsync/utils` runtime as resolver code sees it, run in QuickJS."""

import random
import re
import threading

import pytest

from local.aws.appsync.js_runtime import JsRuntime, zone_offset_minutes

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


def test_date_patterns_and_zones(js):
    outcome = run(
        js,
        "return { paris: util.time.epochMilliSecondsToFormatted(0, \"yyyy-MM-dd'T'HH:mm:ssXXX\","
        " 'Europe/Paris'),"
        " summer: util.time.epochMilliSecondsToFormatted(1782900000000, 'HH:mmZ', 'Europe/Paris'),"
        " fixed: util.time.epochMilliSecondsToFormatted(0, 'HH:mmXXX', '-05:30'),"
        " millis: util.time.epochMilliSecondsToFormatted(1500, \"HH:mm:ss.SSS'Z'\", 'UTC') };",
    )
    assert outcome.value == {
        "paris": "1970-01-01T01:00:00+01:00",
        "summer": "12:00+0200",
        "fixed": "18:30-05:30",
        "millis": "00:00:01.500Z",
    }
    unsupported = run(js, "return util.time.epochMilliSecondsToFormatted(0, 'EEE', 'UTC');")
    assert "unsupported date pattern letter 'E'" in unsupported.error.message
    unknown = run(js, "return util.time.nowFormatted('HH', 'Mars/Olympus');")
    assert "unknown time zone Mars/Olympus" in unknown.error.message
    assert zone_offset_minutes(0, "America/New_York") == -300


def test_iso_parsing_needs_a_zone_and_a_real_date(js):
    outcome = run(
        js,
        "const p = util.time.parseISO8601ToEpochMilliSeconds;"
        " return [p('2026-01-01T00:00:00'), p('2026-02-30T10:00:00Z'), p('2026-01-01T24:00:00Z'),"
        " p('2026-01-01T00:00:00.5Z'), p('2026-01-01T01:30-0130'), p(42)];",
    )
    assert outcome.value == [None, None, None, 1_767_225_600_500, 1_767_236_400_000, None]


def test_base64_round_trips_unicode(js):
    outcome = run(
        js,
        "const e = util.base64Encode('é😀 slate');"
        " return { e, d: util.base64Decode(e), plain: util.base64Encode('ab') };",
    )
    assert outcome.value == {"e": "w6nwn5iAIHNsYXRl", "d": "é😀 slate", "plain": "YWI="}
    assert run(js, "return util.base64Decode('*');").error.type == "Code"


def test_ids_differ_between_calls_and_invocations(js):
    body = "return [util.autoId(), util.autoId(), util.autoUlid()];"
    first, second = run(js, body).value, run(js, body).value
    assert len({first[0], first[1], second[0], second[1]}) == 4
    assert first[0][14] == "4" and first[0][19] in "89ab"  # UUID version 4, RFC 4122 variant
    clock = "".join(
        "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(int(NOW * 1000) >> s) & 31] for s in range(45, -1, -5)
    )
    assert first[2][:10] == second[2][:10] == clock  # the clock's 48 bits, then 80 random ones
    assert first[2][10:] != second[2][10:]


def test_an_invocation_reads_its_random_seed_from_the_os_once(js, monkeypatch):
    reads = []
    original = random._urandom  # what `secrets` reads the OS with
    monkeypatch.setattr(random, "_urandom", lambda n: reads.append(n) or original(n))
    assert len(set(run(js, "return [util.autoId(), util.autoId()];").value)) == 2
    assert reads == [16]


def test_a_handler_that_runs_too_long_is_stopped_and_the_runtime_stays_usable():
    runtime = JsRuntime(clock=lambda: NOW, time_limit_seconds=0.2)
    try:
        spin = run(
            runtime,
            "const n = Array.from({ length: 3000 }, (_, i) => i);"
            " return n.map((a) => n.reduce((s, b) => s + ((a * b) % 7), 0)).length;",
        )
        assert spin.kind == "error" and spin.error.type == "Code"
        assert spin.error.message == "The resolver code ran longer than its time limit."
        assert run(runtime, "return 1 + 1;").value == 2
    finally:
        runtime.close()


@pytest.mark.parametrize(
    "hog",
    [
        "return Array.from({ length: 5000000 }, (_, i) => ({ i })).length;",
        # These fail inside QuickJS's own allocations: its InternalError, not a null, is thrown.
        "let s = 'x'; for (const i of Array.from({ length: 40 })) { s = s + s; } return s.length;",
        "return JSON.stringify(Array.from({ length: 3000000 }, (_, i) => i));",
    ],
)
def test_a_handler_that_takes_too_much_memory_is_stopped_and_the_runtime_stays_usable(hog):
    runtime = JsRuntime(clock=lambda: NOW, memory_limit_bytes=16 * 1024 * 1024)
    try:
        hog = run(runtime, hog)
        assert hog.kind == "error" and hog.error.type == "Code"
        assert hog.error.message == "The resolver code ran out of memory."
        assert "__invoke" not in hog.error.message
        assert run(runtime, "return [1, 2].length;").value == 2
    finally:
        runtime.close()


def test_object_has_own_exists_as_in_appsync(js):
    assert run(js, "return [Object.hasOwn({ a: 1 }, 'a'), Object.hasOwn({}, 'a')];").value == [
        True,
        False,
    ]


def test_a_handler_runs_on_the_calling_thread_in_that_thread_s_own_context():
    """Handing each call to one worker thread cost two thread switches per handler; every
    thread now has a context of its own, with the modules loaded before it ran."""
    started = threading.active_count()
    runtime = JsRuntime(clock=lambda: NOW)
    module = runtime.load(
        "export function request(ctx) { return ctx.args.n + 1; }\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    results: dict[str, int] = {}

    def call(name: str, n: int) -> None:
        for _ in range(50):
            results[name] = runtime.invoke(
                module, "request", {"args": {"n": n}, "stash": {}}, None
            ).value

    workers = [threading.Thread(target=call, args=(f"t{n}", n)) for n in range(4)]
    for worker in workers:
        worker.start()
    call("main", 100)
    for worker in workers:
        worker.join()
    assert threading.active_count() == started  # the runtime started no thread of its own
    assert results == {"main": 101, "t0": 1, "t1": 2, "t2": 3, "t3": 4}
    runtime.close()
    with pytest.raises(RuntimeError, match="closed"):
        runtime.invoke(module, "request", {"args": {"n": 1}, "stash": {}}, None)
