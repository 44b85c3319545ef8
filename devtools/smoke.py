"""`make smoke`: Slate's end-to-end check of a running stack, the local cloud or one deployed.

Where it points: `--outputs FILE` (what `pulumi stack output --json` prints); else the outputs
of `pulumi stack output --json --stack STACK` when a stack is named; else the local cloud when it
runs here (`.slate/local.json`); else the dev stack's outputs. With outputs, AWS calls go where
boto3 sends them (the caller's credentials; `AWS_ENDPOINT_URL` points them elsewhere).

It creates its own users through Cognito's admin API (an owner and two customers), publishes
slots in a venue named for the run, and goes through the scenario; at the end it closes the
slots it left open and deletes the users, whatever happened. One line per check with its time;
exit status 1 when any check failed.

Slate-specific (it books slots), so it lives here and not in `local/`.
"""

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError
from gql import Client, gql
from gql.transport.appsync_auth import AppSyncJWTAuthentication

from appsync_live import AcknowledgedTransport, all_acknowledged
from stack_target import StackNotFound, Target, find_target

OWNERS_GROUP = "owners"
RACERS = 10
SLOTS = 6
LIVE_SECONDS = 20

CREATE_VENUE = "mutation($n: String!) { createVenue(name: $n) { venueId } }"
PUBLISH = """mutation($v: ID!, $s: [NewSlotInput!]!) {
  publishSlots(venueId: $v, slots: $s) { slotId }
}"""
CLOSE = "mutation($v: ID!, $s: ID!) { closeSlot(venueId: $v, slotId: $s) { status } }"
SLOTS_QUERY = "query($v: ID!) { venueSlots(venueId: $v) { slotId status } }"
BOOK = """mutation($v: ID!, $s: ID!, $f: Boolean) {
  bookSlot(venueId: $v, slotId: $s, failPayment: $f) { bookingId status }
}"""
REQUEST = """mutation($v: ID!, $s: ID!, $t: String!) {
  requestBooking(venueId: $v, slotId: $s, clientToken: $t) { bookingId status }
}"""
CANCEL = "mutation($b: ID!) { cancelBooking(bookingId: $b) { status } }"
MY_BOOKINGS = "{ myBookings { bookingId } }"
PUBLISH_SLOT = """mutation { publishSlotUpdate(slot: {venueId: "v", slotId: "s",
  startsAt: "2099-01-01T00:00:00Z", endsAt: "2099-01-01T01:00:00Z", price: 1, status: OPEN})
  { slotId } }"""
WATCH_SLOTS = "subscription($v: ID!) { onSlotUpdate(venueId: $v) { slotId status } }"
WATCH_BOOKINGS = "subscription { onBookingUpdate { bookingId status } }"


class SmokeError(Exception):
    """What a check found wrong."""


@dataclass
class User:
    username: str
    password: str
    jwt: str = ""


@dataclass
class Run:
    """One smoke run: its target, its users, what it published, and every check's outcome."""

    target: Target
    out: Callable[[str], None] = print
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    users: dict[str, User] = field(default_factory=dict)
    venue: str = ""
    slots: list[str] = field(default_factory=list)
    booking: str = ""
    """The booking seen live, cancelled later."""
    failures: int = 0

    def check(self, name: str, work: Callable[[], str | None]) -> None:
        began = time.perf_counter()
        try:
            detail = work()
        except Exception as error:  # every failure is the check's to report
            self.failures += 1
            self.out(f"FAIL {name} ({_ms(began)}): {error}")
            return
        self.out(f"ok   {name} ({_ms(began)})" + (f": {detail}" if detail else ""))

    # -- GraphQL ---------------------------------------------------------------------------

    def call(self, who: str | None, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": self.users[who].jwt} if who else {}
        reply = requests.post(
            self.target.graphql_url,
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=60,
        )
        return {"status": reply.status_code, **reply.json()}

    def data(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        body = self.call(who, query, **variables)
        if body.get("errors"):
            raise SmokeError(body["errors"][0].get("message"))
        return body["data"]

    def error_type(self, who: str | None, query: str, **variables: Any) -> str | None:
        errors = self.call(who, query, **variables).get("errors") or [{}]
        return errors[0].get("errorType")

    def watch(self, who: str, query: str, until: Callable[[dict], bool], act: Callable[[], Any],
              starts: Callable[[dict], bool] = lambda _: True,
              **variables: Any) -> tuple[list[dict], Any]:  # fmt: skip
        """What `who` receives on a subscription once `act()` has begun, from the first update
        for which `starts` holds (the act's first effect: an update of an earlier write, such as
        a slot's publication, may still be on its way) up to the first for which `until`
        holds; and what `act` returned."""
        host = self.target.graphql_url.split("/")[2]
        subscription = gql(query)
        subscription.variable_values = variables

        async def scenario() -> tuple[list[dict], Any]:
            seen: list[dict] = []
            acting = asyncio.Event()  # earlier updates (a slot's publication) are not the act's
            transport = AcknowledgedTransport(
                url=self.target.realtime_url,
                auth=AppSyncJWTAuthentication(host=host, jwt=self.users[who].jwt),
            )

            async def listen() -> None:
                async with Client(transport=transport) as live:
                    async for update in live.subscribe(subscription):
                        [value] = update.values()
                        if not acting.is_set() or not (seen or starts(value)):
                            continue
                        seen.append(value)
                        if until(value):
                            return

            task = asyncio.create_task(listen())
            try:
                await all_acknowledged(transport)
            except TimeoutError as error:
                task.cancel()
                raise SmokeError("the subscription was not acknowledged") from error
            acting.set()
            outcome = await asyncio.to_thread(act)
            try:
                await asyncio.wait_for(task, LIVE_SECONDS)
            except TimeoutError as error:
                raise SmokeError(f"only {[v.get('status') for v in seen]} arrived") from error
            return seen, outcome

        return asyncio.run(scenario())

    # -- users -----------------------------------------------------------------------------

    def create_users(self) -> str:
        cognito = self.target.cognito()
        for role in ("owner", "alice", "bob"):
            user = User(f"smoke-{self.run_id}-{role}@example.com", f"Smoke-{uuid.uuid4().hex}!")
            cognito.admin_create_user(
                UserPoolId=self.target.user_pool_id,
                Username=user.username,
                UserAttributes=[
                    {"Name": "email", "Value": user.username},
                    {"Name": "email_verified", "Value": "true"},
                ],
                MessageAction="SUPPRESS",
            )
            self.users[role] = user
            cognito.admin_set_user_password(
                UserPoolId=self.target.user_pool_id,
                Username=user.username,
                Password=user.password,
                Permanent=True,
            )
        cognito.admin_add_user_to_group(
            UserPoolId=self.target.user_pool_id,
            Username=self.users["owner"].username,
            GroupName=OWNERS_GROUP,
        )
        for user in self.users.values():
            user.jwt = self.target.sign_in(user.username, user.password)
        return ", ".join(u.username for u in self.users.values())

    def delete_users(self) -> str:
        cognito = self.target.cognito()
        for user in self.users.values():
            with suppress(ClientError):  # one that was never made
                cognito.admin_delete_user(
                    UserPoolId=self.target.user_pool_id, Username=user.username
                )
        return f"{len(self.users)} deleted"

    # -- the scenario ----------------------------------------------------------------------

    def venue_with_slots(self) -> str:
        self.venue = self.data("owner", CREATE_VENUE, n=f"Smoke {self.run_id}")["createVenue"][
            "venueId"
        ]
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        batch = [
            {
                "startsAt": _iso(start + timedelta(hours=n)),
                "endsAt": _iso(start + timedelta(hours=n, minutes=30)),
                "price": 1000,
            }
            for n in range(SLOTS)
        ]
        published = self.data("owner", PUBLISH, v=self.venue, s=batch)["publishSlots"]
        self.slots = [s["slotId"] for s in published]
        return f"venue {self.venue}, {len(self.slots)} slots"

    def booking_seen_live(self) -> str:
        slot = self.slots[0]
        seen, booking = self.watch(
            "bob",
            WATCH_SLOTS,
            lambda s: s["slotId"] == slot and s["status"] == "BOOKED",
            lambda: self.data("alice", BOOK, v=self.venue, s=slot)["bookSlot"],
            starts=lambda s: s["slotId"] == slot and s["status"] == "HELD",
            v=self.venue,
        )
        self.booking = booking["bookingId"]  # the later checks use it, whatever bob saw
        statuses = [s["status"] for s in seen if s["slotId"] == slot]
        _expect(booking["status"] == "CONFIRMED", f"the booking is {booking['status']}")
        _expect(statuses == ["HELD", "BOOKED"], f"bob saw {statuses}")
        return "bob saw HELD, BOOKED"

    def race(self) -> str:
        slot = self.slots[1]
        who = ["alice", "bob"] * (RACERS // 2)
        with ThreadPoolExecutor(RACERS) as pool:
            answers = list(pool.map(lambda user: self.call(user, BOOK, v=self.venue, s=slot), who))
        won = [a for a in answers if not a.get("errors")]
        lost = {a["errors"][0].get("errorType") for a in answers if a.get("errors")}
        _expect(len(won) == 1, f"{len(won)} winners")
        _expect(lost == {"SlotUnavailable"}, f"the losers were told {lost}")
        return f"1 of {RACERS} won"

    def declined_and_reopened(self) -> str:
        slot = self.slots[2]
        seen, declined = self.watch(
            "bob",
            WATCH_SLOTS,
            lambda s: s["slotId"] == slot and s["status"] == "OPEN",
            lambda: self.error_type("alice", BOOK, v=self.venue, s=slot, f=True),
            starts=lambda s: s["slotId"] == slot and s["status"] == "HELD",
            v=self.venue,
        )
        _expect(declined == "PaymentDeclined", f"the decline was {declined}")
        statuses = [s["status"] for s in seen if s["slotId"] == slot]
        _expect(statuses == ["HELD", "OPEN"], f"bob saw {statuses}")
        return "declined; bob saw HELD, OPEN"

    def cancellation(self) -> str:
        cancelled = self.data("alice", CANCEL, b=self.booking)["cancelBooking"]["status"]
        _expect(cancelled == "CANCELLED", f"the booking is {cancelled}")
        slots = self.data("alice", SLOTS_QUERY, v=self.venue)["venueSlots"]
        [slot] = [s for s in slots if s["slotId"] == self.slots[0]]
        _expect(slot["status"] == "OPEN", f"the slot is {slot['status']}")
        return "booking CANCELLED, slot OPEN"

    def my_bookings_isolation(self) -> str:
        bobs_own = self.data("bob", BOOK, v=self.venue, s=self.slots[4])["bookSlot"]["bookingId"]
        alices = {b["bookingId"] for b in self.data("alice", MY_BOOKINGS)["myBookings"]}
        bobs = {b["bookingId"] for b in self.data("bob", MY_BOOKINGS)["myBookings"]}
        _expect(self.booking in alices, "alice's booking is missing from her list")
        _expect(bobs_own in bobs, "bob's booking is missing from his list")
        _expect(not alices & bobs, f"shared: {alices & bobs}")
        return f"alice {len(alices)}, bob {len(bobs)}, none shared"

    def denials(self) -> str:
        anonymous = self.call(None, "{ venues { name } }")
        _expect(anonymous["status"] == 401, f"no token: HTTP {anonymous['status']}")
        group = self.error_type("alice", CREATE_VENUE, n="not mine")
        _expect(group == "Unauthorized", f"a customer creating a venue: {group}")
        system = self.error_type("alice", PUBLISH_SLOT)
        _expect(system == "Unauthorized", f"a user publishing a slot update: {system}")
        return "no token 401; wrong group and publishSlotUpdate Unauthorized"

    def requested_live(self) -> str:
        slot = self.slots[3]
        seen, pending = self.watch(
            "alice",
            WATCH_BOOKINGS,
            lambda b: b["status"] != "PENDING",
            lambda: self.data("alice", REQUEST, v=self.venue, s=slot, t=f"smoke-{self.run_id}"),
        )
        booking = pending["requestBooking"]
        _expect(booking["status"] == "PENDING", f"the request answered {booking['status']}")
        statuses = [b["status"] for b in seen if b["bookingId"] == booking["bookingId"]]
        _expect(statuses[-1:] == ["CONFIRMED"], f"alice saw {statuses}")
        return f"alice saw {', '.join(statuses)}"

    def close_slots(self) -> str:
        if not self.venue:
            return "nothing published"
        slots = self.data("owner", SLOTS_QUERY, v=self.venue)["venueSlots"]
        still_open = [s["slotId"] for s in slots if s["status"] == "OPEN"]
        for slot in still_open:
            self.data("owner", CLOSE, v=self.venue, s=slot)
        return f"{len(still_open)} closed"

    def scenario(self) -> int:
        steps = [
            ("sign-in: an owner and two customers, made for this run", self.create_users),
            ("a venue with slots", self.venue_with_slots),
            ("a booking seen live by a second user", self.booking_seen_live),
            (f"a {RACERS}-way race, exactly one winner", self.race),
            ("a declined payment, compensated and seen live", self.declined_and_reopened),
            ("a cancellation", self.cancellation),
            ("myBookings isolation", self.my_bookings_isolation),
            ("denials", self.denials),
            ("requestBooking followed live to its end", self.requested_live),
        ]
        try:
            for name, step in steps:
                failures = self.failures
                self.check(name, step)
                if name.startswith(("sign-in", "a venue")) and self.failures > failures:
                    break  # nothing else can run
        finally:
            self.check("clean-up: the run's open slots closed", self.close_slots)
            self.check("clean-up: the run's users deleted", self.delete_users)
        self.out(f"{'FAILED' if self.failures else 'passed'}: {self.failures} of the checks failed")
        return 1 if self.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make smoke", description=__doc__)
    parser.add_argument(
        "--stack",
        help="a deployed stack, by its outputs (default: the local cloud running here, else dev)",
    )
    parser.add_argument("--outputs", type=Path, help="a file of `pulumi stack output --json`")
    parser.add_argument("-C", dest="directory", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    try:
        where = find_target(args.outputs, args.stack, args.directory)
    except (StackNotFound, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"smoke against {where.graphql_url}", flush=True)
    try:
        return Run(where, out=lambda line: print(line, flush=True)).scenario()
    except (BotoCoreError, ClientError) as error:  # the clean-up itself could not reach AWS
        print(f"error: {error}", file=sys.stderr)
        return 1


def _expect(holds: bool, problem: str) -> None:
    if not holds:
        raise SmokeError(problem)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(began: float) -> str:
    return f"{(time.perf_counter() - began) * 1000:.0f} ms"


if __name__ == "__main__":
    sys.exit(main())
