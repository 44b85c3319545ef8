"""An in-process Lambda runtime: a function's handler string becomes a Python call.

A function is registered with what its resource declares — handler, code directory, environment,
timeout — and invoked with a JSON payload. The handler module is imported with the function's
environment in place (handlers read it at import, as they do on AWS) and called with a Lambda
context. An exception becomes Lambda's error payload (`errorType`, `errorMessage`,
`stackTrace`) with `FunctionError: Unhandled`, which Step Functions turns into the error name.

Environment variables are process-wide, so invocations run one at a time. A function that waits
on a synchronous call which itself invokes functions (a worker's `StartSyncExecution`, whose
workflow takes a payment) lets them run while it waits (`waiting_on_others`), as it would on
AWS; its environment is back in place when it resumes.
"""

import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

FUNCTION_ERROR_HEADER = "x-amz-function-error"
_invoking = threading.local()
"""`.runtime`: the runtime whose turn this thread holds; `.function`: the function this thread
is running, if any."""
Observer = Callable[["Invoked"], None]


@dataclass(frozen=True)
class Invoked:
    """One invocation, as it ended: what a console shows."""

    function: str
    trigger: str
    milliseconds: float
    error: str | None
    """The error type of a failed invocation; None when it succeeded."""


class UnknownFunction(LookupError):
    """No function is registered under that name or ARN."""


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    arn: str
    handler: str
    code_root: Path
    environment: dict[str, str] = field(default_factory=dict)
    timeout_seconds: int = 3
    memory_mb: int = 128
    log_group: str = ""
    """Where its output goes; empty: `/aws/lambda/<name>`, as Lambda's default."""

    @property
    def log_group_name(self) -> str:
        return self.log_group or f"/aws/lambda/{self.name}"


@dataclass(frozen=True)
class Invocation:
    payload: bytes
    function_error: str | None = None


class LambdaContext:
    """The context object a handler receives, as the Python runtime shapes it."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + spec.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LambdaRuntime:
    def __init__(self, observer: Observer | None = None) -> None:
        self._functions: dict[str, FunctionSpec] = {}
        self._modules: dict[str, ModuleType] = {}
        self._lock = threading.Lock()
        self.observer = observer
        """Told of each invocation as it ends."""

    def register(self, spec: FunctionSpec) -> None:
        self._functions[spec.name] = spec
        self._functions[spec.arn] = spec

    def spec(self, name_or_arn: str) -> FunctionSpec:
        unqualified = name_or_arn.split(":$LATEST", maxsplit=1)[0]
        spec = self._functions.get(unqualified)
        if spec is None:
            raise UnknownFunction(f"no function {name_or_arn!r} is registered")
        return spec

    def invoke(
        self, name_or_arn: str, payload: bytes | str | None, trigger: str = "Invoke"
    ) -> Invocation:
        """Runs the function on `payload`; `trigger` says what invoked it (for observers)."""
        spec = self.spec(name_or_arn)
        event = json.loads(payload or "{}")
        began = time.perf_counter()
        error_type = None
        with self._turn(), _environment(spec.environment), _running(spec.name):
            try:
                invocation = Invocation(
                    json.dumps(self._handler(spec)(event, LambdaContext(spec))).encode()
                )
            except Exception as error:
                error_type = type(error).__name__
                invocation = Invocation(_error_payload(error), function_error="Unhandled")
        if self.observer is not None:
            ms = (time.perf_counter() - began) * 1000
            self.observer(Invoked(spec.name, trigger, ms, error_type))
        return invocation

    def preload(self) -> None:
        """Imports every function's handler now (each with its environment), so no first
        request waits for a cold start."""
        with self._turn():
            for spec in {spec.name: spec for spec in self._functions.values()}.values():
                with _environment(spec.environment):
                    self._handler(spec)

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This thread's turn to run functions (already its own when one calls another)."""
        if getattr(_invoking, "runtime", None) is self:
            yield
            return
        with self._lock:
            _invoking.runtime = self
            try:
                yield
            finally:
                _invoking.runtime = None

    def _handler(self, spec: FunctionSpec) -> Any:
        """The handler function, from a module loaded for this function alone (so its
        import-time setup sees this function's environment), with the code root on the path
        for the modules it imports."""
        module_name, _, function_name = spec.handler.rpartition(".")
        if spec.name not in self._modules:
            root = str(spec.code_root)
            if root not in sys.path:
                sys.path.insert(0, root)
            path = spec.code_root.joinpath(*module_name.split(".")).with_suffix(".py")
            loader_spec = importlib.util.spec_from_file_location(
                f"_lambda_{uuid.uuid4().hex}_{module_name.replace('.', '_')}", path
            )
            if loader_spec is None or not path.is_file():
                raise UnknownFunction(f"{spec.name}: handler module {path} does not exist")
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)
            self._modules[spec.name] = module
        return getattr(self._modules[spec.name], function_name)


def current_function() -> str | None:
    """The function this thread is running, if any (its output is that function's)."""
    return getattr(_invoking, "function", None)


@contextmanager
def _running(function: str) -> Iterator[None]:
    outer = current_function()
    _invoking.function = function
    try:
        yield
    finally:
        _invoking.function = outer


@contextmanager
def waiting_on_others() -> Iterator[None]:
    """Around a blocking call made from inside a function: other functions may run meanwhile
    (each puts its environment in place and takes it away again)."""
    runtime = getattr(_invoking, "runtime", None)
    if runtime is None:
        yield
        return
    _invoking.runtime = None
    runtime._lock.release()
    try:
        yield
    finally:
        runtime._lock.acquire()
        _invoking.runtime = runtime


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _error_payload(error: Exception) -> bytes:
    return json.dumps(
        {
            "errorType": type(error).__name__,
            "errorMessage": str(error),
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
    ).encode()
