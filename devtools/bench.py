"""`make bench`: the local cloud's figures at two table sizes, printed as one table.

Starts two clouds (`python -m local up`, seeded, on free ports, each in a copy of the project),
loads one of them to about 10,000 items through the public API (`publishSlots`, as an owner
would) while the other starts at about 110, and runs every scenario on both in turns (which
goes first alternates): a slow spell of a shared host then hits both sizes alike, and their
ratio compares like with like (measured minutes apart, it did not). Clients run in this
process, the clouds in their own, so each cloud's CPU is its own. Handler cold imports
(`python -X importtime`) are measured beside boto3's, while the clouds rest. Last, with the
large table, bookings run until that cloud is killed with SIGKILL; it is started again on the
same saved state, and every booking acknowledged before the kill is looked for.

Slate-specific (it books slots), so it lives here and not in `local/`.
"""

import asyncio
import base64
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import requests
import websockets

REPO = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "components", "handlers")
SEED = "devtools/seed.py:seed"
OWNER, CUSTOMERS = "olivia@example.com", ("alice@example.com", "bob@example.com")
LARGE_ITEMS = 10_000
SLOTS_PER_PUBLISH = 25
LOAD_CONCURRENCY = 4
SEQUENTIAL_READS = 600
"""The p99 of 300 (their fourth slowest, ~15-20 ms) differed by a quarter between two clouds
alike in two runs of nine; a read takes half a booking's time and books no slot."""
SEQUENTIAL_BOOKINGS = 200
"""The p99 of 100 is their second slowest, and one run's could differ by a third between two
clouds alike."""
RACES, RACERS = 20, 20
THROUGHPUT_BOOKINGS, THROUGHPUT_CONCURRENCY, THROUGHPUT_ROUNDS = 40, 10, 6
WARM_UP_BOOKINGS = THROUGHPUT_CONCURRENCY
"""Booked, unmeasured, before each cloud's rounds: each measured round then pays the fan-out of
the bookings before it, as in a sustained run."""
LIVE_UPDATES = 600
"""As many as reads: the p99 of 100 (their second slowest, ~10 ms) differed by a third between
two clouds alike in one run of eight, and of 300 by a quarter in one of ten."""
REQUESTED_SLOTS, BURSTS = 50, 2
"""Each customer requests each of these through the queue: one booking and one refusal each."""
SEQUENTIAL_SLOTS = SEQUENTIAL_BOOKINGS + RACES
"""The slots booked one at a time and raced for, published once reads are measured."""
LATER_SLOTS = THROUGHPUT_BOOKINGS * THROUGHPUT_ROUNDS + 2 * WARM_UP_BOOKINGS + REQUESTED_SLOTS + 1
"""The slots the rest books on one cloud (the last one: the live probe's), published before
throughput: each scenario meets a table that holds what the ones before it left, not what
the ones after it will book (the small one starts at ~110 items)."""
SIZES = ("small", "large")
SEQUENTIAL_TURN = 20
"""Requests one at a time that one cloud takes in a row before the other takes its turn: about
a second, too short for the waiting cloud's quiet-time tidying to start."""
REQUEST_POLL_SECONDS = 0.1
MODEL = json.loads((REPO / "handlers" / "domain" / "model.json").read_text())
IDLE_SECONDS = 30
IMPORT_RUNS = 3
REFERENCE_ROUNDS, REFERENCE_TRIES = 300, 5
KILL_AFTER_SECONDS = 3.0
SETTLED_SECONDS = 3.0
"""Idle for this long, the cloud has done its quiet-time tidying (it starts after 2 s)."""
KILL_CONCURRENCY = 4
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

CREATE_VENUE = "mutation($n: String!) { createVenue(name: $n) { venueId } }"
PUBLISH = (
    "mutation($v: ID!, $s: [NewSlotInput!]!) { publishSlots(venueId: $v, slots: $s) { slotId } }"
)
VENUE_SLOTS = "query($v: ID!) { venueSlots(venueId: $v) { slotId startsAt status price } }"
BOOKING = "query($b: ID!) { booking(bookingId: $b) { status } }"
BOOK = (
    "mutation($v: ID!, $s: ID!, $t: String) {"
    " bookSlot(venueId: $v, slotId: $s, clientToken: $t) { bookingId status } }"
)
WATCH = "subscription($v: ID!) { onSlotUpdate(venueId: $v) { slotId status } }"
REQUEST = (
    "mutation($v: ID!, $s: ID!, $t: String!) {"
    " requestBooking(venueId: $v, slotId: $s, clientToken: $t) { bookingId status } }"
)


@dataclass
class Row:
    figure: str
    target: str
    unit: str
    values: dict[str, float | None] = field(default_factory=dict)
    flat: bool = True
    """Compared between the sizes (±25%)."""


class Cloud:
    """`python -m local up` in its own process, in a throwaway copy of the project."""

    def __init__(self, directory: Path | None = None) -> None:
        """A new cloud; or, given the directory of a stopped one, that cloud resumed."""
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="slate-bench-"))
            for name in PROJECT_FILES:
                (directory / name).symlink_to(REPO / name)
            (directory / "devtools").symlink_to(REPO / "devtools")
        self.directory = directory
        began = time.monotonic()
        command = ["-m", "local", "up", "-C", str(self.directory), "--port", "0", "--seed", SEED]
        self.process = subprocess.Popen(
            [sys.executable, *command],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**_clean_environment(), "PYTHONPATH": str(REPO)},
        )
        lines = []
        for line in self.process.stdout:
            lines.append(line)
            if line.startswith("Ready."):
                break
        else:
            raise RuntimeError("the local cloud did not start:\n" + "".join(lines))
        self.ready_seconds = time.monotonic() - began
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.discovery = json.loads((self.directory / ".slate" / "local.json").read_text())
        self.url = self.discovery["graphqlUrl"]

    def cpu_seconds(self) -> float:
        """CPU the process has used, its ended threads' included, in clock ticks (10 ms)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def run_seconds(self) -> float:
        """CPU its threads that are running now have used, to the nanosecond: what rest costs,
        ~0.1 s in 30 s, would be counted in ten ticks; no thread ends at rest."""
        total = 0
        for stats in Path(f"/proc/{self.process.pid}/task").glob("*/schedstat"):
            try:
                total += int(stats.read_text().split()[0])
            except FileNotFoundError:  # a thread that ended since the listing
                continue
        return total / 1e9

    def stop(self) -> float:
        """Ctrl-C; seconds until the process is gone."""
        began = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        self.process.wait(60)
        return time.monotonic() - began

    def aws(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=self.discovery["region"],
            endpoint_url=self.discovery["awsEndpoint"],
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )

    def token(self, username: str) -> str:
        password = next(u["password"] for u in self.discovery["users"] if u["username"] == username)
        answer = self.aws("cognito-idp").initiate_auth(
            ClientId=self.discovery["userPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return answer["AuthenticationResult"]["IdToken"]

    def items(self) -> int:
        dynamodb = self.aws("dynamodb")
        [table] = dynamodb.list_tables()["TableNames"]
        return dynamodb.describe_table(TableName=table)["Table"]["ItemCount"]


class Api:
    """GraphQL over HTTP as one signed-in user, on a kept-alive connection per thread."""

    def __init__(self, url: str, jwt: str) -> None:
        self.url = url
        self.jwt = jwt
        self._local = threading.local()

    def call(self, query: str, **variables: Any) -> dict[str, Any]:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        reply = session.post(
            self.url,
            json={"query": query, "variables": variables},
            headers={"Authorization": self.jwt},
            timeout=60,
        )
        return reply.json()

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.call(query, **variables)
        if body.get("errors"):
            raise RuntimeError(f"{query}: {body['errors']}")
        return body["data"]


class Slots:
    """Venues of the bench and the open slots it has published, handed out once each."""

    def __init__(self, owner: Api) -> None:
        self.owner = owner
        self.start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.start += timedelta(days=2)
        self.free: list[tuple[str, str]] = []
        self.reads_venue = ""
        """The venue whose first 100 slots `venueSlots` reads."""
        self._lock = threading.Lock()
        self._next: dict[str, datetime] = {}

    def venue(self, name: str) -> str:
        venue = self.owner.data(CREATE_VENUE, n=name)["createVenue"]["venueId"]
        self._next[venue] = self.start
        return venue

    def publish(self, venue: str, count: int, bookable: bool = False) -> None:
        """`count` half-hour slots after the venue's last ones, 25 per call."""
        for first in range(0, count, SLOTS_PER_PUBLISH):
            batch = []
            for _ in range(min(SLOTS_PER_PUBLISH, count - first)):
                starts = self._next[venue]
                self._next[venue] = starts + timedelta(minutes=30)
                batch.append(
                    {"startsAt": _iso(starts), "endsAt": _iso(starts + timedelta(minutes=30))}
                    | {"price": 4500}
                )
            published = self.owner.data(PUBLISH, v=venue, s=batch)["publishSlots"]
            if bookable:
                with self._lock:
                    self.free += [(venue, s["slotId"]) for s in published]

    def take(self) -> tuple[str, str]:
        with self._lock:
            return self.free.pop(0)


@dataclass
class Stage:
    """One cloud under measurement, its customers, and the slots they book."""

    cloud: Cloud
    apis: list[Api]
    slots: Slots
    booking_venue: str

    @classmethod
    def of(cls, cloud: Cloud) -> "Stage":
        slots = Slots(Api(cloud.url, cloud.token(OWNER)))
        apis = [Api(cloud.url, cloud.token(name)) for name in CUSTOMERS]
        return cls(cloud, apis, slots, slots.venue("Bench bookings"))

    def prepare(self) -> None:
        """The venue `venueSlots` reads (100 slots)."""
        self.slots.reads_venue = self.slots.venue("Bench reads")
        self.slots.publish(self.slots.reads_venue, 100)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = work()
    return (time.perf_counter() - began) * 1000, result


def book(api: Api, venue: str, slot: str) -> dict[str, Any]:
    body = api.call(BOOK, v=venue, s=slot, t=uuid.uuid4().hex)
    if body.get("errors"):
        return {"error": body["errors"][0].get("errorType")}
    return body["data"]["bookSlot"]


def first_booking(stage: Stage) -> float:
    """Milliseconds of the first `bookSlot` after ready (a real client once saw 1.96 s)."""
    stage.slots.publish(stage.booking_venue, 1, bookable=True)
    return booking(stage)


def read(stage: Stage) -> float:
    """Milliseconds of one `venueSlots` of the reads venue's 100 slots."""
    elapsed, data = timed(lambda: stage.apis[0].data(VENUE_SLOTS, v=stage.slots.reads_venue))
    assert len(data["venueSlots"]) == 100, len(data["venueSlots"])
    return elapsed


def booking(stage: Stage) -> float:
    """Milliseconds of one `bookSlot` of a free slot, which must be CONFIRMED."""
    venue, slot = stage.slots.take()
    elapsed, answer = timed(lambda: book(stage.apis[0], venue, slot))
    assert answer.get("status") == "CONFIRMED", answer
    return elapsed


def race(stage: Stage, pool: ThreadPoolExecutor) -> list[float]:
    """Every racer's answer time in one race of `RACERS` for one slot, which must end with
    exactly one winner."""
    venue, slot = stage.slots.take()
    barrier = threading.Barrier(RACERS)

    def racer(index: int) -> tuple[float, dict[str, Any]]:
        barrier.wait()
        return timed(lambda: book(stage.apis[index % len(stage.apis)], venue, slot))

    timings = list(pool.map(racer, range(RACERS)))
    answers = [answer for _, answer in timings]
    winners = [a for a in answers if a.get("status") == "CONFIRMED"]
    losers = {a.get("error") for a in answers if "error" in a}
    if len(winners) != 1 or losers - {"SlotUnavailable"}:
        raise AssertionError(f"a race ended with {answers}")
    return [elapsed for elapsed, _ in timings]


def measure_throughput(stages: dict[str, Stage], rows: dict[str, Row]) -> None:
    """Bookings per second at concurrency 10 on each cloud, and the cloud's CPU per booking:
    the median of a few rounds of 40, back to back after a warm-up (one round lasts about a
    second, and a busy neighbour on a shared machine can halve a single one). Half of one
    cloud's rounds, all of the other's, then the first one's other half, each cloud settled
    after its part: a drift of the host's speed over that minute falls on both sizes alike (one
    cloud's rounds and then the other's gave ratios from 0.78 to 1.08). Each part ends with
    `requestBooking` bursts in the same proportion (one cloud's burst, then the other's, gave
    ratios from 0.79 to 1.16)."""
    first, second = _turns(1)
    half = THROUGHPUT_ROUNDS // 2
    rates: dict[str, list[float]] = {size: [] for size in SIZES}
    spent, requested = dict.fromkeys(SIZES, 0.0), dict.fromkeys(SIZES, 0.0)
    for size, rounds in ((first, half), (second, THROUGHPUT_ROUNDS), (first, half)):
        stage = stages[size]
        _throughput_round(stage.apis, stage.slots, WARM_UP_BOOKINGS)
        before = stage.cloud.cpu_seconds()
        rates[size] += [_throughput_round(stage.apis, stage.slots) for _ in range(rounds)]
        spent[size] += stage.cloud.cpu_seconds() - before
        for _ in range(BURSTS * rounds // THROUGHPUT_ROUNDS):
            requested[size] += measure_requests(stage, REQUESTED_SLOTS // BURSTS)
        settle(stage.cloud)
    for size in SIZES:
        booked = THROUGHPUT_BOOKINGS * THROUGHPUT_ROUNDS
        _put(rows, size, throughput=statistics.median(rates[size]))
        _put(rows, size, booking_cpu=spent[size] * 1000 / booked)
        each = requested[size] * 1000 / (REQUESTED_SLOTS * len(CUSTOMERS))
        _put(rows, size, requested=requested[size], requested_each=each)


def _throughput_round(apis: list[Api], slots: Slots, bookings: int = THROUGHPUT_BOOKINGS) -> float:
    taken = [slots.take() for _ in range(bookings)]
    with ThreadPoolExecutor(THROUGHPUT_CONCURRENCY) as pool:
        began = time.perf_counter()
        answers = list(
            pool.map(
                lambda pair: book(apis[hash(pair) % len(apis)], *pair),
                taken,
            )
        )
        elapsed = time.perf_counter() - began
    confirmed = [a for a in answers if a.get("status") == "CONFIRMED"]
    if len(confirmed) != bookings:
        raise AssertionError(f"bookings lost: {answers}")
    return bookings / elapsed


def measure_requests(stage: Stage, slot_count: int) -> float:
    """Seconds from the first `requestBooking` of a burst (each customer requests each of
    `slot_count` slots, 10 at a time) to the last of its bookings' final states, read from the
    table; each slot must end with exactly one booking."""
    taken = [stage.slots.take() for _ in range(slot_count)]
    plan = [(api, pair, uuid.uuid4().hex) for pair in taken for api in stage.apis]
    with ThreadPoolExecutor(THROUGHPUT_CONCURRENCY) as pool:
        began = time.perf_counter()
        answers = list(pool.map(lambda p: p[0].data(REQUEST, v=p[1][0], s=p[1][1], t=p[2]), plan))
    booking_ids = [a["requestBooking"]["bookingId"] for a in answers]
    final = _final_states(stage.cloud, booking_ids)
    elapsed = time.perf_counter() - began
    confirmed = {final[b]["slotId"] for b in booking_ids if final[b]["status"] == "CONFIRMED"}
    if len(confirmed) != slot_count or len(final) != len(plan):
        booked = f"{len(confirmed)} of {slot_count}"
        raise AssertionError(f"{booked} slots booked through the queue")
    return elapsed


def _final_states(cloud: Cloud, booking_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each booking once it has left PENDING (BatchGetItem through the AWS endpoint)."""
    dynamodb = cloud.aws("dynamodb")
    [table] = dynamodb.list_tables()["TableNames"]
    layout, prefix = MODEL["table"], MODEL["keyPrefixes"]["booking"]
    final: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 120
    while len(final) < len(booking_ids):
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(booking_ids) - len(final)} requests still pending")
        pending = [b for b in booking_ids if b not in final]
        for first in range(0, len(pending), 100):
            keys = [
                {layout["partitionKey"]: {"S": prefix + b}, layout["sortKey"]: {"S": MODEL["meta"]}}
                for b in pending[first : first + 100]
            ]
            found = dynamodb.batch_get_item(RequestItems={table: {"Keys": keys}})
            for item in found["Responses"][table]:
                plain = {name: next(iter(value.values())) for name, value in item.items()}
                if plain["status"] != "PENDING":
                    final[plain["bookingId"]] = plain
        time.sleep(REQUEST_POLL_SECONDS)
    return final


@dataclass
class LiveProbe:
    """A subscriber of one cloud, watching a slot of its own."""

    cloud: Cloud
    jwt: str
    venue: str
    slot: str


def measure_live(probes: dict[str, LiveProbe]) -> dict[str, tuple[float, float]]:
    """Commit → subscriber on each cloud, p50 and p99: a slot's status flipped in the table,
    timed from the write's request to the subscriber's data message, the clouds taking turns
    flip by flip."""

    async def scenario() -> dict[str, list[float]]:
        async with AsyncExitStack() as stack:
            watches = {
                size: await stack.enter_async_context(_watching(probe))
                for size, probe in probes.items()
            }
            latencies: dict[str, list[float]] = {size: [] for size in probes}
            for index in range(LIVE_UPDATES):
                status = "CLOSED" if index % 2 == 0 else "OPEN"
                for size in _turns(index):
                    latencies[size].append(await watches[size](status))
            return latencies

    return {
        size: (statistics.median(latencies), percentile(latencies, 0.99))
        for size, latencies in asyncio.run(scenario()).items()
    }


@asynccontextmanager
async def _watching(probe: LiveProbe) -> AsyncIterator[Callable[[str], Awaitable[float]]]:
    """A subscription to the probe's venue, and a flip of its slot to a status: milliseconds
    from the flip's request (a conditional UpdateItem through the AWS endpoint) to the update at
    the subscriber. The commit falls somewhere in the request, so this is an upper bound: from
    the acknowledgement it would be a lower one, and the update often beats it (~2 ms after)."""
    dynamodb = probe.cloud.aws("dynamodb")
    [table] = dynamodb.list_tables()["TableNames"]
    host = probe.cloud.url.split("/")[2]
    authorization = {"host": host, "Authorization": probe.jwt}
    header = base64.urlsafe_b64encode(json.dumps(authorization).encode())
    protocols = ["graphql-ws", "header-" + header.decode().rstrip("=")]
    query = json.dumps({"query": WATCH, "variables": {"v": probe.venue}})
    key = {"pk": {"S": f"VENUE#{probe.venue}"}, "sk": {"S": f"SLOT#{probe.slot}"}}

    def flip(status: str) -> float:
        requested = time.perf_counter()
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #s = :new",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":new": {"S": status}},
        )
        return requested

    realtime = probe.cloud.discovery["realtimeUrl"]
    async with websockets.connect(realtime, subprotocols=protocols) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        await _next(ws, "connection_ack")
        start = {"data": query, "extensions": {"authorization": authorization}}
        await ws.send(json.dumps({"id": "bench", "type": "start", "payload": start}))
        await _next(ws, "start_ack")

        async def latency(status: str) -> float:
            written = asyncio.create_task(asyncio.to_thread(flip, status))
            while True:
                message = await _next(ws, "data")
                if message["payload"]["data"]["onSlotUpdate"] == {
                    "slotId": probe.slot,
                    "status": status,
                }:
                    break
            received = time.perf_counter()
            return (received - await written) * 1000

        yield latency


async def _next(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if message["type"] == kind:
            return message
        if message["type"] in ("error", "connection_error"):
            raise RuntimeError(message)


def measure_kill(cloud: Cloud, apis: list[Api], slots: Slots) -> tuple[Cloud, dict[str, float]]:
    """Bookings until SIGKILL, then the cloud resumed: how many acknowledged bookings it lost,
    the oldest of them (ms before the kill), and how long resuming took."""
    acknowledged: list[tuple[float, str, str]] = []
    killed = threading.Event()

    def customer(api: Api) -> None:
        while not killed.is_set():
            try:
                answer = book(api, *slots.take())
            except (requests.RequestException, IndexError):
                return
            if answer.get("status") == "CONFIRMED" and not killed.is_set():
                acknowledged.append((time.monotonic(), answer["bookingId"], api.jwt))

    workers = [
        threading.Thread(target=customer, args=(apis[n % len(apis)],))
        for n in range(KILL_CONCURRENCY)
    ]
    for worker in workers:
        worker.start()
    time.sleep(KILL_AFTER_SECONDS)
    cloud.process.kill()
    kill_time = time.monotonic()
    killed.set()
    for worker in workers:
        worker.join()
    cloud.process.wait(30)
    resumed = Cloud(cloud.directory)
    lost = [
        kill_time - acked
        for acked, booking_id, jwt in acknowledged
        if Api(resumed.url, jwt).call(BOOKING, b=booking_id).get("errors")
    ]
    return resumed, {
        "acknowledged": len(acknowledged),
        "lost": len(lost),
        "oldest_lost_ms": max(lost) * 1000 if lost else 0.0,
        "resume_seconds": resumed.ready_seconds,
    }


def machine_reference() -> float:
    """Milliseconds of CPU for a fixed piece of pure Python (JSON and dicts, as the cloud's work
    is), best of a few: the machine's speed at that moment, which drifts on a shared host, so a
    run's figures can be read against it."""
    document = {
        f"k{n}": {"S": "x" * n, "N": str(n), "L": [n, n / 3, None, True]} for n in range(60)
    }

    def work() -> None:
        for _ in range(REFERENCE_ROUNDS):
            json.loads(json.dumps(document))
            sorted(document.items(), key=lambda pair: pair[1]["N"])

    times = []
    for _ in range(REFERENCE_TRIES):
        began = time.thread_time()
        work()
        times.append((time.thread_time() - began) * 1000)
    return min(times)


def measure_idle(
    clouds: list[Cloud], seconds: float, meanwhile: Callable[[], dict[str, float]]
) -> tuple[list[float], dict[str, float]]:
    """% of one core each cloud used while nobody called either, once settled (the tidying
    after the last requests is theirs, not rest's), and what `meanwhile` gave, done in those
    seconds by this process and its children on the core the clouds leave free."""
    settle(*clouds)
    before = [cloud.run_seconds() for cloud in clouds]
    began = time.monotonic()
    result = meanwhile()
    time.sleep(max(0.0, seconds - (time.monotonic() - began)))
    elapsed = time.monotonic() - began
    spent = [cloud.run_seconds() - cpu for cloud, cpu in zip(clouds, before, strict=True)]
    return [cpu / elapsed * 100 for cpu in spent], result


def settle(*clouds: Cloud) -> None:
    """Waits until the clouds have all been idle for `SETTLED_SECONDS`: the stream of a load
    has been fanned out, and each cloud's own tidying once changes stop (a new base, the heap
    settled) is done, so what is measured next is the steady state a user meets."""
    previous, idle_since = [cloud.cpu_seconds() for cloud in clouds], time.monotonic()
    for _ in range(600):
        time.sleep(0.5)
        current = [cloud.cpu_seconds() for cloud in clouds]
        if any(now - then >= 0.02 for now, then in zip(current, previous, strict=True)):
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= SETTLED_SECONDS:
            return
        previous = current


def run_scenarios(stages: dict[str, Stage], rows: dict[str, Row]) -> dict[str, float]:
    """Every scenario on both clouds, close together in time so that a slow spell of the host
    falls on both sizes: requests one at a time, races and live updates are taken in turns, a
    few at a time; throughput and the queued bursts in three parts (one cloud, the other, the
    first again). The slots each scenario books are published just before it. Each cloud is
    settled after its part of a scenario (its fan-out and its quiet-time tidying done) before
    either is measured again. Which cloud goes first alternates. The handlers' cold imports are
    measured while the clouds rest."""
    for size in SIZES:
        _put(rows, size, items=stages[size].cloud.items(), reference=machine_reference())
    reads = _in_turns(stages, SEQUENTIAL_READS, SEQUENTIAL_TURN, lambda stage: [read(stage)])
    stock(stages, SEQUENTIAL_SLOTS)
    books = _in_turns(stages, SEQUENTIAL_BOOKINGS, SEQUENTIAL_TURN, lambda s: [booking(s)])
    clouds = [stages[size].cloud for size in SIZES]
    settle(*clouds)
    with ThreadPoolExecutor(RACERS) as pool:
        races = _in_turns(stages, RACES, 1, lambda stage: race(stage, pool))
    for size in SIZES:
        for key, samples in (("reads", reads[size]), ("book", books[size])):
            p50, p99 = statistics.median(samples), percentile(samples, 0.99)
            _put(rows, size, **{key: p50, f"{key}99": p99})
        _put(rows, size, race=percentile(races[size], 0.99))
    stock(stages, LATER_SLOTS)
    measure_throughput(stages, rows)
    probes = {}  # one change's way to a subscriber, not queued behind the burst's fan-out
    for size in SIZES:
        venue, slot = stages[size].slots.take()
        probes[size] = LiveProbe(stages[size].cloud, stages[size].apis[1].jwt, venue, slot)
    for size, (live, live99) in measure_live(probes).items():
        _put(rows, size, live=live, live99=live99)
    idle, imports = measure_idle(clouds, IDLE_SECONDS, cold_imports)
    for size, percent in zip(SIZES, idle, strict=True):
        _put(rows, size, idle=percent)
    return imports


def stock(stages: dict[str, Stage], count: int) -> None:
    """`count` more open slots to book on each cloud, their fan-out and the clouds' tidying
    done before anything is measured again."""
    for stage in stages.values():
        stage.slots.publish(stage.booking_venue, count, bookable=True)
    settle(*(stage.cloud for stage in stages.values()))


def _turns(index: int) -> tuple[str, ...]:
    return SIZES if index % 2 == 0 else SIZES[::-1]


def _in_turns(
    stages: dict[str, Stage], units: int, per_turn: int, unit: Callable[[Stage], list[float]]
) -> dict[str, list[float]]:
    """What `units` runs of `unit` measure on each cloud, the clouds taking `per_turn` of them
    in turns."""
    samples: dict[str, list[float]] = {size: [] for size in SIZES}
    for index in range(units // per_turn):
        for size in _turns(index):
            for _ in range(per_turn):
                samples[size] += unit(stages[size])
    return samples


def _put(rows: dict[str, Row], size: str, **figures: float) -> None:
    for key, value in figures.items():
        rows[key].values[size] = value


def cold_imports() -> dict[str, float]:
    """Milliseconds to import each function's handler module in a fresh interpreter, with the
    function's environment (best of a few runs), and boto3's alone."""
    sys.path.insert(0, str(REPO))
    from local.aws import resource_types
    from local.pulumi import engine, predicted

    deployment = engine.run(REPO, "dev", predicted.PredictedBackend)
    found = {"boto3": ("boto3", {})}
    for function in deployment.of_type(resource_types.FUNCTION):
        module = function.inputs["handler"].rsplit(".", 1)[0]
        variables = (function.inputs.get("environment") or {}).get("variables", {})
        found[module] = (module, variables)
    return {name: _import_ms(module, variables) for name, (module, variables) in found.items()}


def _import_ms(module: str, variables: dict[str, str]) -> float:
    env = {
        **_clean_environment(),
        **variables,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }
    best = float("inf")
    for _ in range(IMPORT_RUNS):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            cwd=REPO / "handlers",
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        line = next(
            line
            for line in reversed(done.stderr.splitlines())
            if line.rsplit("|", 1)[-1].strip() == module
        )
        best = min(best, int(line.split("|")[1]) / 1000)
    return best


def _clean_environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tempfile.gettempdir()}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def print_table(rows: list[Row], extra: list[tuple[str, str, str]]) -> None:
    header = ("figure", "target", "~200 items", "~10,000 items", "10k / 200")
    lines = [header]
    for row in rows:
        small, large = row.values.get("small"), row.values.get("large")
        ratio = f"{large / small:.2f}" if row.flat and small and large is not None else ""
        lines.append(
            (row.figure, row.target, _show(small, row.unit), _show(large, row.unit), ratio)
        )
    lines += [(figure, target, value, "", "") for figure, target, value in extra]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for index, line in enumerate(lines):
        print(" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("-|-".join("-" * width for width in widths))


def _show(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "items":
        return f"{value:,.0f}"
    if value < 1:  # rest's share of a core, which a tenth would round to 0.1 or 0.2
        return f"{value:.2f} {unit}"
    return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"


def main() -> int:
    began = time.monotonic()
    rows = {
        "items": Row("items in the table as measuring starts", "", "items", flat=False),
        "reference": Row("machine speed: a fixed Python workload", "", "ms", flat=False),
        "reads": Row("venueSlots (100 slots) p50", "< 25 ms", "ms"),
        "reads99": Row("venueSlots (100 slots) p99", "< 80 ms", "ms"),
        "book": Row("bookSlot, one at a time, p50", "< 40 ms", "ms"),
        "book99": Row("bookSlot, one at a time, p99", "< 100 ms", "ms"),
        "race": Row(f"{RACERS} racers for one slot, p99", "< 300 ms", "ms"),
        "throughput": Row("bookings at concurrency 10", ">= 40 /s", "/s"),
        "booking_cpu": Row("the cloud's CPU per booking at concurrency 10", "", "ms"),
        "requested": Row(
            f"requestBooking, {BURSTS} bursts of {REQUESTED_SLOTS // BURSTS * len(CUSTOMERS)}:"
            " to last final state",
            "",
            "s",
        ),
        "requested_each": Row("requestBooking bursts: per request", "", "ms"),
        "live": Row("commit -> onSlotUpdate p50 (from the write)", "< 30 ms", "ms"),
        "live99": Row("commit -> onSlotUpdate p99 (from the write)", "< 100 ms", "ms"),
        "idle": Row("idle CPU (% of a core)", "< 2 %", "%"),
    }
    clouds = [Cloud()]
    try:
        small = Stage.of(clouds[0])
        first_ms = first_booking(small)
        small.prepare()
        clouds.append(Cloud())
        large = Stage.of(clouds[1])
        first_booking(large)  # as on the small one: neither size's figures hold the first's
        large.prepare()
        load_began = time.monotonic()
        load(large.cloud, large.slots)
        settle(large.cloud)
        load_seconds = time.monotonic() - load_began
        imports = run_scenarios({"small": small, "large": large}, rows)
        large.slots.publish(large.booking_venue, 200, bookable=True)
        clouds[1], kill = measure_kill(large.cloud, large.apis, large.slots)
    finally:
        stop_seconds = stop_all(clouds)
    extra = [
        ("first bookSlot after ready", "< 200 ms", f"{first_ms:.0f} ms"),
        ("make dev ready (after install)", "< 8 s", f"{clouds[0].ready_seconds:.1f} s"),
        ("Ctrl-C to stopped (~10,000 items)", "< 2 s", f"{stop_seconds:.1f} s"),
        ("loading to ~10,000 items", "", f"{load_seconds:.0f} s"),
        (
            "kill -9 while booking: acknowledged bookings lost",
            "none older than 1 s",
            f"{kill['lost']:.0f} of {kill['acknowledged']:.0f}"
            + (f", oldest {kill['oldest_lost_ms']:.0f} ms before the kill" if kill["lost"] else ""),
        ),
        ("resumed with ~10,000 items: ready", "", f"{kill['resume_seconds']:.1f} s"),
    ]
    extra += [(f"cold import: {name}", "", f"{ms:.0f} ms") for name, ms in imports.items()]
    print_table(list(rows.values()), extra)
    print(f"\nbench took {time.monotonic() - began:.0f} s")
    return 0


def stop_all(clouds: list[Cloud]) -> float:
    """Ctrl-C to every cloud, each even if another does not stop; the last one's seconds."""
    with ExitStack() as others:
        for cloud in clouds[:-1]:
            others.callback(cloud.stop)
        return clouds[-1].stop()


def load(cloud: Cloud, slots: Slots) -> None:
    """To ~10,000 items through publishSlots: the reads venue grows after its first 100 slots,
    and other venues take the rest, a few publishers at a time."""
    missing = LARGE_ITEMS - cloud.items()
    others = [slots.venue(f"Bench load {n}") for n in range(LOAD_CONCURRENCY - 1)]
    venues = [slots.reads_venue, *others]
    share = missing // len(venues) // SLOTS_PER_PUBLISH * SLOTS_PER_PUBLISH
    with ThreadPoolExecutor(LOAD_CONCURRENCY) as pool:
        list(pool.map(lambda venue: slots.publish(venue, share), venues))


if __name__ == "__main__":
    sys.exit(main())
