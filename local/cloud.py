"""The local cloud: a stack run on this machine, AppSync-compatible, with no AWS account.

Every resource is provisioned into moto (served on loopback for outside clients, and in-process
for the functions and the gateway, sharing the same state); the AppSync gateway serves the
stack's API over HTTP and WebSocket; the event source mappings, the schedules and TTL expiry
each run on a thread of their own, woken by the writes that feed them (`pumps`, `wakeups`).
Discovery goes to `.slate/local.json` in the project directory while it runs.

State survives a restart: moto's state, the stream mappings' checkpoints and the seeded users
are kept under `.slate/state/` (`persistence`) and resumed on the next start, unless it is a
fresh one. One cloud at a time runs per project (`discovery`).

This module is the composition root: it runs the program with `local.pulumi`'s engine against
the local AWS of `local.aws`, and wires what the deployment records (APIs, mappings, schedules)
to the services that run them.
"""

import logging
import os
import runpy
import socket
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from moto import mock_aws
from moto.server import ThreadedMotoServer

from local import heap
from local.api_deployment import LocalServices, deployed_apis
from local.aws import persistence, wakeups
from local.aws import resource_types as types
from local.aws.appsync import GraphQLEngine
from local.aws.appsync.gateway import Authorizer, gateway_app, serving
from local.aws.appsync.gateway.server import HOST, ensure_free, free_port, listening_socket
from local.aws.appsync.gateway.tls import local_certificate
from local.aws.awslambda.event_sources import QueueMapping, StreamMapping
from local.aws.awslambda.function_logs import FunctionLogs
from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.dynamodb.stream_reader import StreamReader
from local.aws.dynamodb.ttl import TtlExpiry
from local.aws.moto_core import MOTO_CONFIG, OWN_CLIENTS
from local.aws.pumps import Pump, Pumps, backoff, earliest
from local.aws.scheduler import rate_schedule
from local.aws.session import local_aws
from local.aws.stepfunctions.moto_patches import warm_up_definition
from local.aws.wakeups import TTL, Waker, seconds_until_visible
from local.console import Console, routing_output
from local.discovery import hold_lock, publish
from local.pulumi import engine
from local.pulumi.project import Project
from local.pulumi.provisioning import ProvisioningBackend

LOGS = Path(".slate") / "logs"
"""Each function's own output: `<function>.log`."""
STATE = Path(".slate") / "state"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local-secret"}
RETRY_BACKOFF_SECONDS = (0.05, 2.0)
"""A stream batch's retries: the first wait, and the longest."""
PORT_SETTING, MOTO_PORT_SETTING = "PORT=… (make dev) or --port", "--moto-port"
TLS_PORT_SETTING = "TLS_PORT=… (make dev) or --tls-port"
"""How a user chooses the gateway's port, moto's, and the gateway's HTTPS one."""
TLS = Path(".slate") / "tls"
"""The local certificate authority and the gateway's certificate."""
SWITCH_SECONDS = 0.02
"""How long a thread may run before the interpreter hands it to another that waits (Python's
5 ms made the cloud's many threads hand over so often that a booking cost ~9% more CPU)."""
log = logging.getLogger("local.cloud")

Seed = Callable[["LocalCloud"], list[dict[str, Any]]]


@dataclass
class Settings:
    port: int = 4000
    moto_port: int = 0
    tls_port: int = 0
    """The gateway's HTTPS and WSS port (0: a free one)."""
    ttl_delay_seconds: float = 0.0
    keep_alive_seconds: float = 60.0
    schedule_seconds: float | None = None
    """Fire every schedule this often instead of at its rate (tests, demos)."""
    seed: str | None = None
    """`path/to/file.py:function` in the project: called once everything runs (on a fresh
    start only: a resumed cloud has what the seed made)."""
    fresh: bool = False
    """Start empty: the saved state is discarded."""
    verbose: bool = False
    """Show the functions' own output on the terminal too, not only in their log files."""


@dataclass
class LocalCloud:
    directory: Path
    stack: str
    settings: Settings = field(default_factory=Settings)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory).resolve()
        self._exit = ExitStack()
        self._stop = threading.Event()
        self.lambdas = LambdaRuntime()
        self.discovery: dict[str, Any] = {}
        self.resumed = False
        self._streams: dict[str, StreamMapping] = {}
        self._users: list[dict[str, Any]] = []
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    def client(self, service: str) -> Any:
        """The in-process client of the local AWS for `service`, made once: provisioning asked
        for one 69 times on a start (~20 ms each), and boto3's default session is not safe to
        make clients from in several threads at once (a client is safe to share)."""
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(
                    service, region_name=self.region, config=OWN_CLIENTS
                )
            return self._clients[service]

    def start(self) -> dict[str, Any]:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> dict[str, Any]:
        project = Project.load(self.directory)
        config = project.stack_config(self.stack)
        self._exit.callback(hold_lock(self.directory).close)
        self.region = config.get("aws:region") or os.environ.get("AWS_REGION") or "us-east-1"
        for name, value in {**LOCAL_CREDENTIALS, "AWS_DEFAULT_REGION": self.region}.items():
            os.environ.setdefault(name, value)
        os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"
        listener, moto_port, tls_listener = self._ports()
        port, tls_port = listener.getsockname()[1], tls_listener.getsockname()[1]
        console = self._console()
        self._moto(moto_port)
        snapshots = persistence.Snapshots(self.directory / STATE, self._kept, heap.settle)
        if self.settings.fresh:
            snapshots.discard()
        saved = snapshots.load()
        # Once the gateway and the sources have stopped; never for a start that failed.
        self._exit.callback(lambda: self.discovery and snapshots.close())
        base = f"http://{HOST}:{port}"
        uris = {"GRAPHQL": f"{base}/graphql", "REALTIME": f"ws://{HOST}:{port}/graphql/realtime"}
        self.deployment = engine.run(
            self.directory, self.stack, ProvisioningBackend.factory(self.client, self.lambdas, uris)
        )
        self._function_logs(console)
        apis = deployed_apis(
            self.deployment,
            LocalServices(self.client("dynamodb"), self.lambdas),
        )
        if len(apis) > 1:
            raise engine.EngineError("the local cloud serves one GraphQL API per stack")
        api = apis[0] if apis else None
        pool_id = self.user_pool_id
        clients = [
            r.id
            for r in self.deployment.of_type(types.USER_POOL_CLIENT)
            if pool_id is None or r.inputs.get("userPoolId") == pool_id
        ]
        tls = local_certificate(self.directory / TLS)
        if api is not None:
            self.engine = GraphQLEngine(api.config)
            self._exit.callback(self.engine.close)
            authorizer = Authorizer(
                config=api.config.auth,
                account_id=self.client("sts").get_caller_identity()["Account"],
                api_keys=frozenset(api.api_keys),
                user_pool_id=pool_id,
                client_ids=frozenset(clients),
                jwks=self._jwks,
                secret_for=_iam_secret,
            )
            app = gateway_app(
                self.engine,
                authorizer,
                self.settings.keep_alive_seconds,
                before_acknowledging=snapshots.flush,
                observer=console.operation,
            )
            self._exit.enter_context(serving(app, listener))
            self._exit.enter_context(serving(app, tls_listener, tls))
        self._warm_up()
        sources = self._sources((saved or {}).get("checkpoints", {}))
        self.resumed = saved is not None
        self._users = saved["users"] if saved is not None else self._seed()
        self._drain(sources)  # what the seed wrote is processed before anyone is told we are ready
        heap.set_aside()  # not collected first: 0.2 s before "Ready" to free ~9,000 objects
        self._exit.enter_context(heap.set_aside_after_full_collections())
        sys.setswitchinterval(SWITCH_SECONDS)
        sources.append(("snapshots", snapshots.pump, lambda: 0, Waker()))
        self._start_sources(sources)
        self.discovery = {
            "graphqlUrl": uris["GRAPHQL"] if api else None,
            "realtimeUrl": uris["REALTIME"] if api else None,
            "httpsGraphqlUrl": f"https://localhost:{tls_port}/graphql" if api else None,
            "caFile": str(tls.ca_file),
            "region": self.region,
            "awsEndpoint": f"http://{HOST}:{moto_port}",
            "userPoolId": pool_id,
            "userPoolClientId": clients[0] if clients else None,
            "apiKey": api.api_keys[0] if api and api.api_keys else None,
            "iamCredentials": {
                "accessKeyId": LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                "secretAccessKey": LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            },
            "users": self._users,
        }
        self._exit.callback(publish(self.directory, self.discovery).unlink, missing_ok=True)
        return self.discovery

    def _moto(self, port: int) -> None:
        """moto served on `port` for outside clients, and in-process (the same backends) for
        the functions, the resolvers and the workflows, with the local cloud's glue."""
        server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
        server.start()
        self._exit.callback(server.stop)
        mock = mock_aws(config=MOTO_CONFIG)
        mock.start(reset=False)
        self._exit.callback(mock.stop)
        self._exit.enter_context(local_aws(self.lambdas))
        self._exit.enter_context(persistence.tracking_changes())

    def _console(self) -> Console:
        """The terminal's lines, and each function's output to its log; in place before any
        handler is imported (a logger keeps the stream it was given)."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the AWS endpoint's access log
        console = Console(sys.stdout, self.directory / LOGS, self.settings.verbose)
        self._exit.enter_context(routing_output(console))
        self.lambdas.observer = console.invoked
        return console

    def _function_logs(self, console: Console) -> None:
        """The functions' output into their log groups too (`aws logs tail` shows it)."""
        function_logs = FunctionLogs(
            self.client("logs"), lambda name: self.lambdas.spec(name).log_group_name
        )
        console.forward = function_logs.add
        function_logs.start()
        self._exit.callback(function_logs.stop)

    def _ports(self) -> tuple[socket.socket, int, socket.socket]:
        """The gateway's socket, moto's port and the gateway's HTTPS socket: each on the port
        chosen (once checked free), else a free one. The gateway's are held from now on, as
        it starts serving only once everything is provisioned; moto's starts at once."""
        gateway = listening_socket(self.settings.port, PORT_SETTING)
        self._exit.callback(gateway.close)
        if self.settings.moto_port:
            ensure_free(self.settings.moto_port, MOTO_PORT_SETTING)
        tls = listening_socket(self.settings.tls_port, TLS_PORT_SETTING)
        self._exit.callback(tls.close)
        return gateway, self.settings.moto_port or free_port(), tls

    def stop(self) -> None:
        self._stop.set()
        self._exit.close()

    def _kept(self) -> dict[str, Any]:
        """What the snapshots keep besides moto's state."""
        return {
            "checkpoints": {name: dict(s.checkpoints) for name, s in self._streams.items()},
            "users": self._users,
        }

    @property
    def user_pool_id(self) -> str | None:
        """The user pool of the stack's API (its Cognito auth mode), else the stack's only one."""
        for api in self.deployment.of_type(types.GRAPHQL_API):
            return (api.inputs.get("userPoolConfig") or {}).get("userPoolId")
        pools = self.deployment.of_type(types.USER_POOL)
        return pools[0].id if len(pools) == 1 else None

    def _jwks(self, pool_id: str) -> dict[str, Any]:
        url = f"https://cognito-idp.{self.region}.amazonaws.com/{pool_id}/.well-known/jwks.json"
        return requests.get(url, timeout=5).json()  # answered in-process by moto

    def _seed(self) -> list[dict[str, Any]]:
        if not self.settings.seed:
            return []
        path, _, function = self.settings.seed.partition(":")
        seed: Seed = runpy.run_path(str(self.directory / path))[function or "seed"]
        return seed(self)

    def _warm_up(self) -> None:
        """What a first request would otherwise wait for: handler imports, parsed workflows."""
        self.lambdas.preload()
        for machine in self.deployment.of_type(types.STATE_MACHINE):
            warm_up_definition(machine.inputs["definition"], self.region)

    def _sources(
        self, checkpoints: dict[str, dict[str, str]]
    ) -> list[tuple[str, Pump, Callable[[], int], Waker]]:
        """Every background source: (name, its pump, one synchronous pass, what wakes it);
        stream mappings resume after `checkpoints` (mapping → shard → sequence number)."""
        sources = []
        for mapping in self.deployment.of_type(types.EVENT_SOURCE_MAPPING):
            source = mapping.inputs["eventSourceArn"]
            name = f"mapping {mapping.name}"
            if ":dynamodb:" in source:
                waker = Waker(wakeups.stream_source(source.split("/")[1]))
                stream = StreamMapping(
                    mapping.inputs,
                    StreamReader(),
                    self.client("sqs"),
                    self.lambdas,
                    backoff(waker, *RETRY_BACKOFF_SECONDS),
                    checkpoints=dict(checkpoints.get(mapping.name, {})),
                )
                self._streams[mapping.name] = stream
                sources.append((name, stream.pump, stream.poll, waker))
            elif ":sqs:" in source:
                queue_name = source.rsplit(":", 1)[-1]
                queue = QueueMapping(mapping.inputs, self.client("sqs"), self.lambdas)
                sources.append(
                    (
                        name,
                        earliest(
                            queue.pump, lambda q=queue_name: seconds_until_visible(self.region, q)
                        ),
                        queue.poll,
                        Waker(wakeups.queue_source(queue_name)),
                    )
                )
        ttl = TtlExpiry(self.region, self.settings.ttl_delay_seconds)
        sources.append(("ttl", earliest(ttl.sweep, ttl.seconds_until_due), ttl.sweep, Waker(TTL)))
        for schedule in self.deployment.of_type(types.SCHEDULE):
            tick = rate_schedule(
                schedule.name, schedule.inputs, self.lambdas, self.settings.schedule_seconds
            )
            sources.append((f"schedule {schedule.name}", tick, lambda: 0, Waker()))
        return sources

    def _start_sources(self, sources: list[tuple[str, Pump, Callable[[], int], Waker]]) -> None:
        pumps = Pumps()
        self._exit.callback(pumps.stop)
        for name, pump, _, waker in sources:
            pumps.start(name, pump, waker)

    @staticmethod
    def _drain(sources: list[tuple[str, Pump, Callable[[], int], Waker]]) -> None:
        """One synchronous pass of every source (before their threads start)."""
        for name, _, once, _ in sources:
            try:
                once()
            except Exception:  # a failing source must not stop the others
                log.exception("%s failed", name)


def _iam_secret(access_key: str) -> str | None:
    """The IAM identities the gateway accepts: the local cloud's own (`LOCAL_CREDENTIALS`, which
    the discovery file gives outside clients), and whatever its in-process functions sign with
    (the credentials in its environment: moto's own while its mock is on)."""
    if access_key == LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"]:
        return LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    if access_key != os.environ.get("AWS_ACCESS_KEY_ID"):
        return None
    return os.environ.get("AWS_SECRET_ACCESS_KEY")
