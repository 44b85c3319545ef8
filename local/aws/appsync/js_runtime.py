"""Runs APPSYNC_JS handlers in QuickJS, with the `@aws-appsync/utils` runtime in `runtime.js`.

A QuickJS context must stay on the thread that made it (its stack checks assume so), so each
thread that invokes a handler has a context of its own, made on its first call: the runtime,
then each module the first time that thread runs it. Handlers take well under a millisecond
each; handing every call to one worker thread instead cost more than the handler itself (two
thread switches per call: half the CPU of a publish of ten updates).

Every evaluation is bounded: the context has a memory limit and a stack limit, and each handler
runs under a time limit. Under a time limit the binding cannot call back into Python, so the
runtime is self-contained: an invocation carries the clock reading and a random seed, and a
handler that needs a named zone's offset ends early asking for it, to be run again with the answer.
"""

import hashlib
import json
import logging
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import quickjs

from local.aws.appsync.jsmodule import compile_module

RUNTIME_SOURCE = Path(__file__).with_name("runtime.js").read_text()
MEMORY_LIMIT_BYTES = 64 * 1024 * 1024
STACK_LIMIT_BYTES = 1024 * 1024
TIME_LIMIT_SECONDS = 1.0
"""The longest one handler may run (CPU time; a handler normally takes well under 1 ms)."""
MAX_HOST_ROUNDS = 32
"""How many named-zone offsets one handler may ask for before it is refused."""
SEED_WORDS = struct.Struct("<4I")
"""The seed of an invocation's random numbers: four 32-bit words, read from the OS at once
(one `getrandom` call, not one per word: ten handlers run for a booking)."""
CODE_ERROR = "Code"
_INTERRUPTED = "InternalError: interrupted"
_OUT_OF_MEMORY = "out of memory"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandlerError:
    """What `util.error` (or a runtime failure, as type `Code`) ended a handler with."""

    message: str | None
    type: str | None
    data: Any = None
    info: Any = None

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> "HandlerError":
        return cls(value.get("message"), value.get("type"), value.get("data"), value.get("info"))


@dataclass(frozen=True)
class Outcome:
    """How a handler ended: with a value, an early return, or an error; and what it left."""

    kind: str
    value: Any = None
    error: HandlerError | None = None
    stash: dict[str, Any] = field(default_factory=dict)
    appended: list[HandlerError] = field(default_factory=list)
    extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def early(self) -> bool:
        return self.kind == "earlyReturn"


@dataclass
class _ThreadContext:
    """One thread's QuickJS context, and the modules evaluated in it so far."""

    context: quickjs.Context
    loaded: set[str] = field(default_factory=set)


class JsRuntime:
    """Loads modules once (checked and compiled) and invokes their handlers with a context."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        time_limit_seconds: float = TIME_LIMIT_SECONDS,
        memory_limit_bytes: int = MEMORY_LIMIT_BYTES,
    ) -> None:
        self._clock = clock
        self._time_limit = time_limit_seconds
        self._memory_limit = memory_limit_bytes
        self._scripts: dict[str, str] = {}
        """Module id → its compiled source, which each thread's context evaluates once."""
        self._threads = threading.local()
        self._closed = False

    def close(self) -> None:
        """No handler runs after this; each thread's context goes with its thread (or this
        runtime), as Python frees it."""
        self._closed = True
        self._threads = threading.local()

    def load(self, code: str) -> str:
        """The id of the module `code`, loading it on first sight. Raises `CodeError`."""
        module_id = hashlib.sha256(code.encode()).hexdigest()
        if module_id not in self._scripts:
            source = compile_module(code).source
            self._evaluate(self._thread_context(), module_id, source)
            self._scripts[module_id] = source
        return module_id

    def invoke(
        self,
        module_id: str,
        handler: str,
        context: dict[str, Any],
        auth_type: str | None,
        variables_json: str | None = None,
    ) -> Outcome:
        """`variables_json`, if given, is `ctx.info.variables` as JSON text, which `context`
        leaves out: a request's variables are serialized once for all its fields, and parsed
        only by a handler that reads them."""
        payload = json.dumps(context)
        env: dict[str, Any] = {
            "nowMs": float(int(self._clock() * 1000)),
            "seed": list(SEED_WORDS.unpack(secrets.token_bytes(SEED_WORDS.size))),
            "offsets": {},
        }
        for _ in range(MAX_HOST_ROUNDS):
            answer = self._run(
                module_id, handler, payload, auth_type, env=env, variables_json=variables_json
            )
            if answer["outcome"] != "needsHost":
                return _outcome(answer)
            ask = answer["ask"]
            env["offsets"][f"{ask['zone']}@{ask['ms']}"] = zone_offset_minutes(
                ask["ms"], ask["zone"]
            )
        return Outcome(
            "error", error=HandlerError("The code asked for too many time zones.", CODE_ERROR)
        )

    def _run(
        self,
        module_id: str,
        handler: str,
        payload: str,
        auth_type: str | None,
        *,
        env: dict[str, Any],
        variables_json: str | None,
    ) -> dict[str, Any]:
        """One bounded evaluation; a limit it hits ends it as a `Code` error that says which."""
        context = self._thread_context()
        if module_id not in context.loaded:
            self._evaluate(context, module_id, self._scripts[module_id])
        context.context.set_time_limit(self._time_limit)
        try:
            text = context.context.get("__invoke")(
                module_id, handler, payload, auth_type, json.dumps(env), variables_json
            )
        except quickjs.JSException as error:
            return _failure(str(error))
        finally:
            context.context.set_time_limit(-1)
        answer = json.loads(text)
        # QuickJS hands a handler's catch a null for an allocation that failed.
        return _failure(_OUT_OF_MEMORY) if answer["outcome"] == "outOfMemory" else answer

    def _thread_context(self) -> _ThreadContext:
        """This thread's context, made (with the runtime in it) on its first call."""
        if self._closed:
            raise RuntimeError("the APPSYNC_JS runtime is closed")
        current = getattr(self._threads, "current", None)
        if current is None:
            context = quickjs.Context()
            context.set_memory_limit(self._memory_limit)
            context.set_max_stack_size(STACK_LIMIT_BYTES)
            context.eval(RUNTIME_SOURCE)
            current = self._threads.current = _ThreadContext(context)
        return current

    @staticmethod
    def _evaluate(context: _ThreadContext, module_id: str, source: str) -> None:
        context.context.eval(f"__modules[{module_id!r}] = {source};")
        context.loaded.add(module_id)


def _outcome(answer: dict[str, Any]) -> Outcome:
    error = answer.get("error")
    return Outcome(
        kind=answer["outcome"],
        value=answer.get("value"),
        error=HandlerError.from_json(error) if error else None,
        stash=answer["stash"] or {},
        appended=[HandlerError.from_json(e) for e in answer["errors"]],
        extensions=answer["extensions"],
    )


def _failure(message: str) -> dict[str, Any]:
    """A handler ended by the engine itself (a limit it hit), said without the internals."""
    if message.startswith(_INTERRUPTED):
        text = "The resolver code ran longer than its time limit."
    elif _OUT_OF_MEMORY in message:
        text = "The resolver code ran out of memory."
    else:
        logger.error("APPSYNC_JS evaluation failed: %s", message)
        text = "The resolver code failed in the runtime."
    error = {"message": text, "type": CODE_ERROR}
    return {"outcome": "error", "error": error, "stash": None, "errors": [], "extensions": {}}


def zone_offset_minutes(epoch_ms: float, zone: str) -> int | None:
    """Minutes east of UTC in the IANA zone `zone` at that instant; None for an unknown zone."""
    try:
        moment = datetime.fromtimestamp(epoch_ms / 1000, tz=ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError, OverflowError):
        return None
    offset = moment.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else None
