"""`make watch`: a venue's slot changes, live, one line each, until Ctrl-C.

It subscribes to `onSlotUpdate` of `--venue` (without one: the first venue by name, after
listing them) on the running local cloud, signed in as a seeded customer, or on a deployed
stack (`--outputs FILE` or `pulumi stack output`) as `--username` / `--password` (or
`SLATE_USERNAME` / `SLATE_PASSWORD`). Each line: when it arrived, the slot, its start, and its
old → new status (the old one from `venueSlots` when the watch began, then from each update).

Slate-specific, so it lives here and not in `local/`.
"""

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import requests
from gql import Client, gql
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportError

from stack_target import StackNotFound, Target, find_target

VENUES = "{ venues { venueId name } }"
SLOTS = "query($v: ID!) { venueSlots(venueId: $v) { slotId status } }"
WATCH = "subscription($v: ID!) { onSlotUpdate(venueId: $v) { slotId startsAt status } }"


class WatchError(Exception):
    """Nothing to watch, or no way to sign in."""


def credentials(target: Target, username: str | None, password: str | None) -> tuple[str, str]:
    if username and password:
        return username, password
    customers = [u for u in target.demo_users if not u.get("groups")]
    if not customers:
        raise WatchError("give --username and --password (or SLATE_USERNAME, SLATE_PASSWORD)")
    return customers[0]["username"], customers[0]["password"]


def query(target: Target, jwt: str, text: str, **variables: object) -> dict:
    reply = requests.post(
        target.graphql_url,
        json={"query": text, "variables": variables},
        headers={"Authorization": jwt},
        timeout=30,
    ).json()
    if reply.get("errors"):
        raise WatchError(reply["errors"][0].get("message"))
    return reply["data"]


def chosen_venue(target: Target, jwt: str, venue: str | None, out: Callable[[str], None]) -> str:
    if venue:
        return venue
    venues = query(target, jwt, VENUES)["venues"]
    if not venues:
        raise WatchError("the stack has no venue yet")
    for listed in venues:
        out(f"venue  {listed['venueId']}  {listed['name']}")
    out(f"watching {venues[0]['name']} (make watch VENUE=<id> for another)")
    return venues[0]["venueId"]


async def watch(
    target: Target, jwt: str, venue: str, out: Callable[[str], None], count: int | None
) -> None:
    statuses = {s["slotId"]: s["status"] for s in query(target, jwt, SLOTS, v=venue)["venueSlots"]}
    subscription = gql(WATCH)
    subscription.variable_values = {"v": venue}
    host = target.graphql_url.split("/")[2]
    transport = AppSyncWebsocketsTransport(
        url=target.realtime_url, auth=AppSyncJWTAuthentication(host=host, jwt=jwt)
    )
    seen = 0
    async with Client(transport=transport) as live:
        out(f"watching venue {venue}; Ctrl-C stops")
        async for update in live.subscribe(subscription):
            slot = update["onSlotUpdate"]
            before = statuses.get(slot["slotId"], "new")
            statuses[slot["slotId"]] = slot["status"]
            now = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
            out(f"{now}  {slot['slotId']}  starts {slot['startsAt']}  {before} → {slot['status']}")
            seen += 1
            if count is not None and seen >= count:
                return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make watch", description=__doc__)
    parser.add_argument("--venue", help="the venue's id (default: the first by name)")
    parser.add_argument(
        "--stack",
        help="a deployed stack, by its outputs (default: the local cloud running here, else dev)",
    )
    parser.add_argument("--outputs", type=Path, help="a file of `pulumi stack output --json`")
    parser.add_argument("--username", default=os.environ.get("SLATE_USERNAME"))
    parser.add_argument("--password", default=os.environ.get("SLATE_PASSWORD"))
    parser.add_argument("--count", type=int, help="stop after this many updates")
    parser.add_argument("-C", dest="directory", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)

    def out(line: str) -> None:
        print(line, flush=True)

    try:
        target = find_target(args.outputs, args.stack, args.directory)
        jwt = target.sign_in(*credentials(target, args.username, args.password))
        venue = chosen_venue(target, jwt, args.venue, out)
        asyncio.run(watch(target, jwt, venue, out, args.count))
    except KeyboardInterrupt:
        return 0
    except (StackNotFound, WatchError, TransportError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
