"""Runs APPSYNC_JS handlers in QuickJS, with the `@aws-appsync/utils` runtime in `runtime.js`.

One QuickJS context holds the runtime and every module loaded into it. QuickJS contexts must stay
on the thread that made them (its stack checks assume so), so the context lives on one worker
thread and every call is handed to it; handlers take well under a millisecond each.
"""

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import quickjs

from .jsmodule import compile_module

RUNTIME_SOURCE = Path(__file__).with_name("runtime.js").read_text()
MEMORY_LIMIT_BYTES = 64 * 1024 * 1024
STACK_LIMIT_BYTES = 1024 * 1024
_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


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

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
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
        answer = json.loads(
            self._call(
                lambda: self._context.get("__invoke")(module_id, handler, payload, auth_type)
            )
        )
        error = answer.get("error")
        return Outcome(
            kind=answer["outcome"],
            value=answer.get("value"),
            error=HandlerError.from_json(error) if error else None,
            stash=answer["stash"] or {},
            appended=[HandlerError.from_json(e) for e in answer["errors"]],
            extensions=answer["extensions"],
        )

    def _call(self, work: Callable[[], Any]) -> Any:
        return self._thread.submit(work).result()

    def _new_context(self) -> quickjs.Context:
        context = quickjs.Context()
        context.set_memory_limit(MEMORY_LIMIT_BYTES)
        # No time limit: the binding refuses Python callables under one, and without while or
        # for(;;) loops resolver code cannot spin forever; runaway recursion hits the stack limit.
        context.set_max_stack_size(STACK_LIMIT_BYTES)
        callables: dict[str, Callable[..., Any]] = {
            # Numbers cross as doubles: the binding would cut a Python int to 32 bits.
            "__py_now_ms": lambda: float(int(self._clock() * 1000)),
            "__py_uuid": lambda: str(uuid.uuid4()),
            "__py_ulid": self._ulid,
            "__py_format": format_epoch_ms,
            "__py_parse_iso": parse_iso_ms,
            "__py_b64encode": lambda text: base64.b64encode(text.encode()).decode(),
            "__py_b64decode": lambda text: base64.b64decode(text).decode(),
        }
        for name, function in callables.items():
            context.add_callable(name, function)
        context.eval(RUNTIME_SOURCE)
        return context

    def _ulid(self) -> str:
        number = (int(self._clock() * 1000) << 80) | secrets.randbits(80)
        return "".join(_ULID_ALPHABET[(number >> shift) & 31] for shift in range(125, -1, -5))


# Java DateTimeFormatter letters (what util.time's patterns use) → strftime, longest first.
_PATTERN_LETTERS = [
    ("yyyy", "%Y"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSS", "{millis}"),
    ("XXX", "{offset}"),
    ("Z", "%z"),
]


def format_epoch_ms(epoch_ms: float, pattern: str, zone: str) -> str:
    """`util.time`'s formatting: a DateTimeFormatter pattern (the common letters) in a zone."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=ZoneInfo(zone))
    out, index = [], 0
    while index < len(pattern):
        if pattern[index] == "'":
            end = pattern.index("'", index + 1)
            out.append(pattern[index + 1 : end].replace("%", "%%") or "'")
            index = end + 1
            continue
        for letters, directive in _PATTERN_LETTERS:
            if pattern.startswith(letters, index):
                out.append(directive)
                index += len(letters)
                break
        else:
            if pattern[index].isalpha():
                raise ValueError(f"unsupported date pattern letter {pattern[index]!r}")
            out.append(pattern[index].replace("%", "%%"))
            index += 1
    offset = moment.strftime("%z")
    text = moment.strftime("".join(out))
    return text.replace("{millis}", f"{int(epoch_ms) % 1000:03d}").replace(
        "{offset}", "Z" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}"
    )


def parse_iso_ms(text: str) -> float | None:
    """Epoch milliseconds of an ISO 8601 time with a zone, or null if it is not one."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return float(int(moment.astimezone(UTC).timestamp() * 1000))
