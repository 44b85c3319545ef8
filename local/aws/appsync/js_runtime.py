"""Runs APPSYNC_JS handlers in QuickJS, with the `@aws-appsync/utils` runtime in `runtime.js`.

One QuickJS context holds the runtime and every module loaded into it. QuickJS contexts must stay
on the thread that made them (its stack checks assume so), so the context lives on one worker
thread and every call is handed to it; handlers take well under a millisecond each.

Every evaluation is bounded: the context has a memory limit and a stack limit, and each handler
runs under a time limit. Under a time limit the binding cannot call back into Python, so the
runtime is self-contained: an invocation carries the clock reading and a random seed, and a
handler that needs a named zone's offset ends early asking for it, to be run again with the answer.
"""

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="appsync-js")
        self._context: quickjs.Context = self._call(self._new_context)
        self._loaded: set[str] = set()

    def close(self) -> None:
        self._thread.shutdown(wait=True)

    def load(self, code: str) -> str:
        """The id of the module `code`, loading it on first sight. Raises `CodeError`."""
        module_id = hashlib.sha256(code.encode()).hexdigest()
        if module_id not in self._loaded:
            script = compile_module(code)
            self._call(lambda: self._context.eval(f"__modules[{module_id!r}] = {script.source};"))
            self._loaded.add(module_id)
        return module_id

    def invoke(
        self, module_id: str, handler: str, context: dict[str, Any], auth_type: str | None
    ) -> Outcome:
        payload = json.dumps(context)
        env: dict[str, Any] = {
            "nowMs": float(int(self._clock() * 1000)),
            "seed": [secrets.randbits(32) for _ in range(4)],
            "offsets": {},
        }
        for _ in range(MAX_HOST_ROUNDS):
            answer = self._call(lambda: self._run(module_id, handler, payload, auth_type, env))
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
        self, module_id: str, handler: str, payload: str, auth_type: str | None, env: dict[str, Any]
    ) -> dict[str, Any]:
        """One bounded evaluation; a limit it hits ends it as a `Code` error that says which."""
        self._context.set_time_limit(self._time_limit)
        try:
            text = self._context.get("__invoke")(
                module_id, handler, payload, auth_type, json.dumps(env)
            )
        except quickjs.JSException as error:
            return _failure(str(error))
        finally:
            self._context.set_time_limit(-1)
        answer = json.loads(text)
        # QuickJS hands a handler's catch a null for an allocation that failed.
        return _failure(_OUT_OF_MEMORY) if answer["outcome"] == "outOfMemory" else answer

    def _call(self, work: Callable[[], Any]) -> Any:
        return self._thread.submit(work).result()

    def _new_context(self) -> quickjs.Context:
        context = quickjs.Context()
        context.set_memory_limit(self._memory_limit)
        context.set_max_stack_size(STACK_LIMIT_BYTES)
        context.eval(RUNTIME_SOURCE)
        return context


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
