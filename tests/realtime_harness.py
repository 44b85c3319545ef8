"""The realtime functions as deployed: the fan-out and the sweeper recorded from the stack, run
in-process against a moto table with its stream, publishing to a local endpoint that checks
SigV4 signatures as AppSync does."""

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto import mock_aws
from moto.events.models import EventPattern

from domain.entities import Booking, Hold, Slot
from domain.instants import format_instant
from domain.statuses import BookingStatus, SlotStatus
from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.dynamodb.stream_reader import StreamReader
from local.aws.session import local_aws
from local.aws.sigv4 import SignatureError, verify
from local.pulumi.engine import Deployment
from saga_harness import create_table, deployed_function, function_spec
from support import new_slot_id

TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
STREAM_MAPPING = "realtime-stream"


PUBLISHED = {"slot": "publishSlotUpdate", "booking": "publishBookingUpdate"}


@dataclass
class PublishEndpoint:
    """AppSync's side of `publishSlotUpdate` and `publishBookingUpdate`: verifies the
    signature, records the call."""

    url: str = ""
    published: list[dict[str, Any]] = field(default_factory=list)
    """The slots published."""
    published_bookings: list[dict[str, Any]] = field(default_factory=list)
    signers: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    """Slot and booking ids whose publication is refused (as a GraphQL error)."""

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            signer = verify("POST", self.url, headers, body, _environment_secret)
        except SignatureError as error:
            return 401, {"errors": [{"errorType": "UnauthorizedException", "message": str(error)}]}
        request = json.loads(body)
        self.signers.append(signer)
        data, errors = {}, []
        for name, value in request["variables"].items():
            kind, alias = name.rstrip("0123456789"), "u" + name.lstrip("abcdefghijklmnopqrstuvwxyz")
            mutation = PUBLISHED[kind]
            assert f"{alias}: {mutation}({kind}: ${name})" in request["query"]
            if value[f"{kind}Id"] in self.refuse:
                data[alias] = None
                errors.append({"path": [alias], "errorType": "Unauthorized", "message": "no"})
                continue
            (self.published if kind == "slot" else self.published_bookings).append(value)
            data[alias] = value
        return 200, {"data": data, **({"errors": errors} if errors else {})}


def _environment_secret(access_key: str) -> str | None:
    """The secret of the credentials in the environment (moto's, under mock_aws): the only
    identity the endpoint knows, as an account knows its roles."""
    if access_key != os.environ.get("AWS_ACCESS_KEY_ID"):
        return None
    return os.environ["AWS_SECRET_ACCESS_KEY"]


@contextmanager
def publish_endpoint() -> Iterator[PublishEndpoint]:
    endpoint = PublishEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            status, answer = endpoint.answer(dict(self.headers.items()), body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/graphql"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Realtime:
    table: Any
    streams: StreamReader
    stream_arn: str
    runtime: LambdaRuntime
    endpoint: PublishEndpoint
    patterns: list[dict[str, Any]]
    functions: dict[str, str]
    """Handler module → the deployed function's name."""
    _seen: set[str] = field(default_factory=set)

    def new_records(self) -> list[dict[str, Any]]:
        """The stream records written since the last call, as Lambda delivers them."""
        records = []
        for shard in self.streams.shard_ids(self.stream_arn):
            for record in self.streams.records_after(self.stream_arn, shard, None, 1000):
                sequence = record["dynamodb"]["SequenceNumber"]
                if sequence not in self._seen:
                    self._seen.add(sequence)
                    records.append(record)
        return records

    def passes_filter(self, record: dict[str, Any]) -> bool:
        """Whether the mapping's filter criteria let the record through (EventBridge rules)."""
        return any(EventPattern(None, pattern).matches_event(record) for pattern in self.patterns)

    def fanout(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        invocation = self.runtime.invoke(self.functions["fanout"], json.dumps({"Records": records}))
        assert invocation.function_error is None, invocation.payload
        return json.loads(invocation.payload)

    def sweep(self) -> dict[str, Any]:
        invocation = self.runtime.invoke(self.functions["sweeper"], json.dumps({}))
        assert invocation.function_error is None, invocation.payload
        return json.loads(invocation.payload)

    def held_slot(self, booking_id: str, expires_in: timedelta) -> tuple[Slot, Booking, Hold]:
        """A slot held by a PENDING booking, its hold expiring `expires_in` from now."""
        now = datetime.now(UTC).replace(microsecond=0)
        starts = now + timedelta(days=2)
        expires_at = int((now + expires_in).timestamp())
        slot = Slot(
            venue_id="v1",
            slot_id=new_slot_id(starts),
            starts_at=format_instant(starts),
            ends_at=format_instant(starts + timedelta(hours=1)),
            price=4500,
            status=SlotStatus.HELD,
            hold_expires_at=expires_at,
            booking_id=booking_id,
        )
        booking = Booking(
            booking_id=booking_id,
            user_sub="alice",
            venue_id="v1",
            slot_id=slot.slot_id,
            starts_at=slot.starts_at,
            price=slot.price,
            status=BookingStatus.PENDING,
            created_at=format_instant(now),
            updated_at=format_instant(now),
        )
        hold = Hold(booking_id, "v1", slot.slot_id, expires_at)
        for entity in (slot, booking, hold):
            self.table.put_item(Item=entity.to_item())
        return slot, booking, hold


def as_ttl_removal(record: dict[str, Any]) -> dict[str, Any]:
    """The REMOVE record DynamoDB's TTL writes: the same, with the service's identity."""
    return {**record, "userIdentity": TTL_IDENTITY}


@contextmanager
def deployed_realtime(deployment: Deployment) -> Iterator[Realtime]:
    table_inputs = deployment.one("aws:dynamodb/table:Table")
    filters = deployment.named(MAPPING, STREAM_MAPPING).inputs["filterCriteria"]["filters"]
    runtime = LambdaRuntime()
    with publish_endpoint() as endpoint, mock_aws(), local_aws(runtime):
        table = create_table(table_inputs.outputs["name"], table_inputs.inputs)
        functions = {}
        for handler in ("fanout", "sweeper"):
            spec = function_spec(deployed_function(deployment, handler), GRAPHQL_URL=endpoint.url)
            runtime.register(spec)
            functions[handler] = spec.name
        yield Realtime(
            table=table,
            streams=StreamReader(),
            stream_arn=table.latest_stream_arn,
            runtime=runtime,
            endpoint=endpoint,
            patterns=[json.loads(f["pattern"]) for f in filters],
            functions=functions,
        )
