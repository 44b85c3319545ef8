"""Runs a Pulumi Python program in-process, the way `pulumi up` would, without the CLI.

The program runs under the SDK's mocks (`pulumi.runtime.set_mocks`) with a monitor that records
every registration — type, name, parent, inputs as the engine receives them (camelCase),
outputs, dependencies — and hands resource creation and provider invokes to a pluggable
`Backend`. `plan` uses a backend that only invents plausible ids; the local cloud uses one that
provisions real state. Nothing here knows which program it runs.
"""

import asyncio
import gc
import os
import runpy
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pulumi
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from local.errors import LocalError
from local.pulumi.project import Project

STACK_TYPE = "pulumi:pulumi:Stack"


class EngineError(LocalError):
    """The program could not be run; the message is meant for the person running it."""


class Backend(Protocol):
    """Where resources are created and provider functions answered."""

    def create(self, resource: "ResourceRequest") -> tuple[str, dict[str, Any]]:
        """Create a custom resource; return its physical id and its output properties."""
        ...

    def invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """Answer a provider function (e.g. `aws:index/getRegion:getRegion`)."""
        ...


@dataclass(frozen=True)
class StackContext:
    """The run a backend serves: which project and stack, and the stack's merged config."""

    project: str
    stack: str
    config: dict[str, str]


BackendFactory = Callable[[StackContext], Backend]


@dataclass(frozen=True)
class ResourceRequest:
    """A custom resource the program registers, as a backend sees it."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]


@dataclass
class RecordedResource:
    """One registration, with what the engine sent and what the backend answered."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    inputs: dict[str, Any]
    dependencies: list[str]
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Deployment:
    """Everything one run of a program registered, in registration order, and its stack outputs."""

    project: str
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    secret_outputs: set[str] = field(default_factory=set)

    def by_urn(self, urn: str) -> RecordedResource:
        return next(r for r in self.resources if r.urn == urn)

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> RecordedResource:
        found = self.of_type(type_)
        if len(found) != 1:
            raise LookupError(f"expected one {type_}, found {len(found)}")
        return found[0]

    def named(self, type_: str, name: str) -> RecordedResource:
        """The resource of `type_` registered under `name`."""
        found = [r for r in self.of_type(type_) if r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_} named {name}, found {len(found)}")
        return found[0]

    def children(self, parent_urn: str | None) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == parent_urn]


class _RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, recording what it is told and creating resources in a `Backend`."""

    def __init__(self, backend: Backend) -> None:
        super().__init__(_InvokeMocks(backend))
        self.backend = backend
        self.records: dict[str, RecordedResource] = {}
        self.stack_urn: str | None = None
        self._lock = threading.Lock()

    def RegisterResource(self, request):  # noqa: N802 - the gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        _ensure_event_loop()
        record = RecordedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent if request.parent != self.stack_urn else None,
            inputs=_plain(rpc.deserialize_properties(request.object)),
            dependencies=sorted(set(request.dependencies)),
        )
        with self._lock:
            self.records[urn] = record
        resource_id, state = "", {}
        if record.custom:
            resource_id, state = self.backend.create(
                ResourceRequest(record.type, record.name, urn, record.inputs)
            )
            record.id, record.outputs = resource_id, _plain(state)
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=resource_id, object=_sync_await(rpc.serialize_properties(state, {}))
        )

    def RegisterResourceOutputs(self, request):  # noqa: N802 - the gRPC method name
        outputs = _plain(rpc.deserialize_properties(request.outputs))
        with self._lock:
            if request.urn in self.records:
                self.records[request.urn].outputs = outputs
        return super().RegisterResourceOutputs(request)

    def ReadResource(self, request):  # noqa: N802 - the gRPC method name
        raise EngineError(
            f"{request.type} {request.name!r}: reading an existing resource (.get) is not "
            "supported by the local engine"
        )


class _InvokeMocks(mocks.Mocks):
    """Routes provider functions to the backend; resources never reach here."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict]:
        raise AssertionError(f"{args.typ} {args.name}: resources are created by the monitor")

    def call(self, args: mocks.MockCallArgs) -> tuple[dict, list]:
        return self.backend.invoke(args.token, _plain(args.args)), []


def run(project_dir: str | Path, stack: str, backend: BackendFactory) -> Deployment:
    """Run the project's program for `stack` against a backend made for this run, and return what
    it registered."""
    project = Project.load(project_dir)
    config = project.stack_config(stack)
    monitor = _RecordingMonitor(backend(StackContext(project.name, stack, config)))

    try:
        with _own_event_loop(), _program_context(project):
            settings.reset_options(project=project.name, stack=stack, preview=False)
            set_all_config(config, [])
            mocks.set_mocks(monitor.mocks, project.name, stack, preview=False, monitor=monitor)
            root = settings.get_root_resource()
            _sync_await(run_pulumi_func(lambda: _run_main(project.main)))
            outputs, secrets = _resolve_stack_outputs(root.outputs)
    except EngineError:
        raise
    except Exception as error:
        message = f"{project.name} ({stack}): the program failed: {_describe(error)}"
        raise EngineError(message) from error
    finally:
        settings.reset_options()
    return Deployment(
        project=project.name,
        stack=stack,
        resources=list(monitor.records.values()),
        outputs=outputs,
        secret_outputs=secrets,
    )


def _resolve_stack_outputs(exported: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    values, secrets = {}, set()
    for key, value in exported.items():
        output = pulumi.Output.from_input(value)
        values[key] = _plain(_sync_await(output.future()))
        if _sync_await(output.is_secret()):
            secrets.add(key)
    return values, secrets


@contextmanager
def _own_event_loop() -> Iterator[None]:
    """Each run gets a fresh event loop, closed with its executor threads at the end, so runs do
    not share state and no loop is left for the interpreter to close at exit."""
    loop = asyncio.new_event_loop()
    # A failed run leaves futures whose exception nobody retrieves; the run reports the error
    # itself, so their "never retrieved" logging (a traceback at garbage collection) is noise.
    loop.set_exception_handler(lambda _loop, _context: None)
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        gc.collect()
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(None)


def _run_main(main: Path) -> None:
    runpy.run_path(str(main), run_name="__main__")


@contextmanager
def _program_context(project: Project) -> Iterator[None]:
    """The program runs from its own directory with it on `sys.path`, as the language host does;
    the modules it imports from there (not installed packages, even in a `.venv` inside the
    project) are forgotten afterwards so the next run starts fresh."""
    before = set(sys.modules)
    cwd = os.getcwd()
    directory = str(project.directory)
    sys.path.insert(0, directory)
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path.remove(directory)
        installed = tuple(
            {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], sys.prefix}
        )
        for name in set(sys.modules) - before:
            origin = getattr(sys.modules[name], "__file__", None) or ""
            if origin.startswith(directory + os.sep) and not origin.startswith(installed):
                del sys.modules[name]


def _describe(error: BaseException) -> str:
    """One line: the root cause's message, without the SDK's "While processing ..." wrapping."""
    seen = {id(error)}
    while error.__cause__ is not None and id(error.__cause__) not in seen:  # causes can cycle
        error = error.__cause__
        seen.add(id(error))
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _plain(value: Any) -> Any:
    """Secrets unwrapped, whole numbers as ints (the wire has only doubles), containers copied,
    so records are ordinary data."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
