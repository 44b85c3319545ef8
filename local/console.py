"""What the terminal running the local cloud shows: one line per GraphQL operation and one per
function invocation. The functions' own output (their JSON log lines, their metrics) goes to
`<logs>/<function>.log`, and to the terminal too when verbose.

The functions' output is told apart by thread: while a thread runs a function (the Lambda
runtime says which), what it writes to `sys.stdout` is that function's. `routing_output`
puts that router in place; it must be in place before the handlers are imported, since a
logging handler keeps the stream it was given.
"""

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from local.aws.appsync.auth_modes import API_KEY, COGNITO, IAM, Caller
from local.aws.awslambda.runtime import Invoked, current_function


class Console:
    def __init__(self, terminal: IO[str], logs: Path, verbose: bool = False) -> None:
        self.terminal = terminal
        self.logs = logs
        self.verbose = verbose
        self.forward: Callable[[str, str], None] | None = None
        """Also given each function's output (the local cloud sends it to the function's
        log group)."""
        self._lock = threading.Lock()
        self._files: dict[str, IO[str]] = {}

    def line(self, text: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S.%f")[:-3]
        with self._lock:
            self.terminal.write(f"{stamp}  {text}\n")
            self.terminal.flush()

    def operation(self, caller: Caller | None, operation: str, outcome: str, ms: float) -> None:
        """A GraphQL request: who, what (`mutation bookSlot`), `ok` or the error type, time."""
        self.line(f"graphql  {caller_label(caller)}  {operation}  {outcome}  {ms:.0f} ms")

    def invoked(self, invocation: Invoked) -> None:
        outcome = "ok" if invocation.error is None else f"error {invocation.error}"
        self.line(
            f"lambda   {invocation.function}  ({invocation.trigger})  "
            f"{outcome}  {invocation.milliseconds:.0f} ms"
        )

    def function_output(self, function: str, text: str) -> None:
        with self._lock:
            log = self._files.get(function)
            if log is None:
                self.logs.mkdir(parents=True, exist_ok=True)
                log = self._files[function] = (self.logs / f"{function}.log").open("a")
            log.write(text)
            log.flush()
            if self.forward is not None:
                self.forward(function, text)
            if self.verbose:
                self.terminal.write(text)
                self.terminal.flush()

    def close(self) -> None:
        with self._lock:
            for log in self._files.values():
                log.close()
            self._files.clear()


def caller_label(caller: Caller | None) -> str:
    """`alice@example.com (owners)`, `IAM user/local`, `API key`, or `-` (refused)."""
    if caller is None:
        return "-"
    if caller.mode == COGNITO:
        identity = caller.identity or {}
        claims = identity.get("claims") or {}
        name = claims.get("email") or identity.get("username") or identity.get("sub")
        return f"{name} ({', '.join(caller.groups)})" if caller.groups else str(name)
    if caller.mode == IAM:
        return f"IAM {(caller.identity or {}).get('userArn', '').split(':')[-1]}"
    if caller.mode == API_KEY:
        return "API key"
    return caller.mode


class _FunctionOutput:
    """`sys.stdout` while the cloud runs: a function's writes to its log, the rest to the
    console's terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.terminal = console.terminal

    def write(self, text: str) -> int:
        function = current_function()
        if function is None:
            return self.terminal.write(text)
        self.console.function_output(function, text)
        return len(text)

    def flush(self) -> None:
        self.terminal.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno: the terminal's
        return getattr(self.terminal, name)


@contextmanager
def routing_output(console: Console) -> Iterator[None]:
    replaced = sys.stdout
    sys.stdout = _FunctionOutput(console)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout = replaced
        console.close()
