"""The two-browser demo, as a person runs it: Slate's web app (React + aws-amplify v6, unmodified)
in Chromium, two customers signed in through Cognito SRP, each booking seen live by the other
through Amplify's subscription over the gateway's wss:// endpoint."""

import json
import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from browser_harness import NewPage, browser_test
from support import eventually

LIVE_SECONDS = 2.0
"""How soon a change made in one browser shows in the other (the issue's bar)."""
VENUE = "Chez Slate"  # devtools/seed.py's venue


def sign_in(page: Page, site: str, username: str, password: str, path: str = "#/venues") -> None:
    page.goto(f"{site}/{path}")
    page.get_by_label("Email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text(username)


def open_venue(page: Page) -> None:
    page.get_by_role("link", name="Venues").click()
    page.get_by_role("link", name=VENUE).click()
    expect(page.get_by_role("heading", name=VENUE)).to_be_visible()
    expect(page.get_by_test_id("live")).to_have_text("Live")  # subscribed and acknowledged


def two_customers(
    new_page, site: str, cloud: dict, before_venue: Callable[[Page], None] = lambda _: None
) -> tuple[Page, Page]:
    """Alice and Bob, each in a browser of their own, both watching the demo venue's slots
    (`before_venue` runs on Bob's page before it opens the venue)."""
    password = {user["username"]: user["password"] for user in cloud["users"]}
    alice, bob = new_page(), new_page()
    for page, username in ((alice, "alice@example.com"), (bob, "bob@example.com")):
        sign_in(page, site, username, password[username])
        if page is bob:
            before_venue(page)
        open_venue(page)
    return alice, bob


def slot_card(page: Page, slot_id: str):
    return page.locator(f'[data-slot-id="{slot_id}"]')


def first_open_slot(page: Page) -> str:
    card = page.locator(".slot.open").first
    expect(card).to_be_visible()
    return card.get_attribute("data-slot-id")


def record_frames(frames: list[str]) -> Callable[[Page], None]:
    """Keeps every message the page's WebSockets receive, in order, in `frames`."""

    def keep(frame: str) -> None:  # a Python function: Playwright cannot wrap a builtin
        frames.append(frame)

    def attach(page: Page) -> None:
        page.on("websocket", lambda socket: socket.on("framereceived", keep))

    return attach


def pumped(page: Page) -> bool:
    """Lets Playwright deliver the page's events (frames among them) to their listeners: its
    synchronous API does so only while one of its calls runs."""
    page.wait_for_timeout(10)
    return True


def statuses_of(slot_id: str, frames: list[str]) -> list[str]:
    """The statuses of `slot_id` that onSlotUpdate delivered, in order."""
    updates = [json.loads(frame) for frame in frames]
    return [
        update["payload"]["data"]["onSlotUpdate"]["status"]
        for update in updates
        if update.get("type") == "data"
        and update["payload"]["data"]["onSlotUpdate"]["slotId"] == slot_id
    ]


@browser_test
def test_a_booking_in_one_browser_turns_the_slot_booked_in_the_other(
    new_page: NewPage, site: str, cloud: dict
) -> None:
    alice, bob = two_customers(new_page, site, cloud)
    slot = first_open_slot(alice)
    expect(slot_card(bob, slot).locator(".status")).to_have_text("OPEN")

    slot_card(alice, slot).get_by_role("button", name="Book").click()

    expect(slot_card(bob, slot).locator(".status")).to_have_text(
        "BOOKED", timeout=LIVE_SECONDS * 1000
    )
    expect(alice.get_by_role("status")).to_contain_text("Booked for")
    expect(slot_card(alice, slot).locator(".status")).to_have_text("BOOKED")
    expect(slot_card(bob, slot).get_by_role("button", name="Book")).to_have_count(0)


@browser_test
def test_a_declined_payment_says_so_and_leaves_the_slot_open_in_both(
    new_page: NewPage, site: str, cloud: dict
) -> None:
    frames: list[str] = []  # what reaches Bob's browser over its real-time socket
    alice, bob = two_customers(new_page, site, cloud, before_venue=record_frames(frames))
    slot = first_open_slot(alice)

    alice.get_by_label("Simulate payment failure").check()
    slot_card(alice, slot).get_by_role("button", name="Book").click()

    expect(alice.get_by_role("alert")).to_have_text(
        "Your payment was declined, so nothing was booked or charged. The slot is free again."
    )
    for page in (alice, bob):
        expect(slot_card(page, slot).locator(".status")).to_have_text("OPEN")
    # Bob's page was told, live, that the slot was held for the payment, then released (React
    # may render the two in one frame, so the grid itself need not show HELD).
    eventually(lambda: pumped(bob) and statuses_of(slot, frames)[-2:] == ["HELD", "OPEN"])


@browser_test
def test_my_bookings_cancel_reopens_the_slot_live_in_the_other_browser(
    new_page: NewPage, site: str, cloud: dict
) -> None:
    alice, bob = two_customers(new_page, site, cloud)
    slot = first_open_slot(alice)
    slot_card(alice, slot).get_by_role("button", name="Book").click()
    expect(slot_card(bob, slot).locator(".status")).to_have_text("BOOKED")

    alice.get_by_role("link", name="My bookings").click()
    confirmed = alice.locator(f'tr[data-slot-id="{slot}"]').filter(has_text="CONFIRMED")
    expect(confirmed).to_have_count(1)  # the slot may have declined bookings of other tests
    row = alice.locator(f'tr[data-booking-id="{confirmed.get_attribute("data-booking-id")}"]')
    row.get_by_role("button", name="Cancel").click()

    expect(alice.get_by_role("status")).to_contain_text("Cancelled your booking")
    expect(alice.get_by_role("status")).to_contain_text("refund re_")
    expect(row.get_by_test_id("booking-status")).to_contain_text("CANCELLED (refunded: re_")
    expect(slot_card(bob, slot).locator(".status")).to_have_text(
        "OPEN", timeout=LIVE_SECONDS * 1000
    )
    expect(slot_card(bob, slot).get_by_role("button", name="Book")).to_be_enabled()


@browser_test
def test_losing_the_race_for_a_slot_reads_in_plain_language(
    new_page: NewPage, site: str, cloud: dict
) -> None:
    alice, bob = two_customers(new_page, site, cloud)
    slot = first_open_slot(alice)
    held_back = hold_back_live_updates(bob)  # Bob's connection is slow: he still sees it OPEN

    slot_card(alice, slot).get_by_role("button", name="Book").click()
    expect(alice.get_by_role("status")).to_contain_text("Booked for")
    slot_card(bob, slot).get_by_role("button", name="Book").click()

    expect(bob.get_by_role("alert")).to_have_text("Someone just took this slot. Pick another one.")
    held_back.release()
    expect(slot_card(bob, slot).locator(".status")).to_have_text("BOOKED")


@browser_test
def test_a_visit_without_a_session_lands_on_sign_in_and_then_where_it_was_going(
    new_page: NewPage, site: str, cloud: dict
) -> None:
    page = new_page()
    page.goto(f"{site}/#/bookings")
    expect(page.get_by_role("heading", name="Sign in to Slate")).to_be_visible()
    logins = page.get_by_role("region", name="Demo logins")
    for user in cloud["users"]:
        expect(logins).to_contain_text(user["username"])

    page.get_by_label("Email").fill("bob@example.com")
    page.get_by_label("Password").fill("not-his-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")

    logins.get_by_role("button", name="Use bob@example.com").click()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    page.goto(f"{site}/#/venues/no-such-venue")
    expect(page.get_by_role("alert")).to_have_text(
        "That no longer exists. It may have been removed a moment ago."
    )
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Slate")).to_be_visible()


@browser_test
def test_an_owner_creates_a_venue_and_publishes_slots_customers_see(
    new_page: NewPage, site: str, cloud: dict
) -> None:
    password = {user["username"]: user["password"] for user in cloud["users"]}
    owner, customer = new_page(), new_page()
    sign_in(owner, site, "olivia@example.com", password["olivia@example.com"], "#/manage")
    sign_in(customer, site, "bob@example.com", password["bob@example.com"])
    expect(customer.get_by_role("link", name="Manage venues")).to_have_count(0)

    owner.get_by_role("form", name="Create a venue").get_by_label("Name").fill("Browser Bistro")
    owner.get_by_role("button", name="Create venue").click()
    expect(owner.get_by_role("status")).to_have_text("Created Browser Bistro.")
    publish = owner.get_by_role("form", name="Publish slots")
    expect(publish.get_by_label("Venue")).to_have_value(re.compile(".+"))
    publish.get_by_label("How many").fill("3")
    publish.get_by_role("button", name="Publish slots").click()
    expect(owner.get_by_role("status")).to_have_text("Published 3 slots.")

    open_venue(customer)  # another venue's grid first: its socket stays up
    customer.get_by_role("link", name="Venues").click()
    customer.get_by_role("link", name="Browser Bistro").click()
    expect(customer.locator(".slot.open")).to_have_count(3)
    expect(customer.get_by_test_id("live")).to_have_text("Live")


class HeldBack:
    """Messages from the server to the page, kept until released."""

    def __init__(self) -> None:
        self.holding = True
        self.kept: list = []
        self.routes: list = []

    def release(self) -> None:
        self.holding = False
        for route, message in self.kept:
            route.send(message)
        self.kept.clear()


def hold_back_live_updates(page: Page) -> HeldBack:
    """From now on, the page's real-time socket delivers nothing until released: it reconnects
    through Playwright, which passes the page's messages on and keeps the server's."""
    held = HeldBack()

    def route(socket) -> None:
        server = socket.connect_to_server()
        socket.on_message(server.send)

        def deliver(message) -> None:
            if held.holding and '"type":"data"' in message.replace(" ", ""):
                held.kept.append((socket, message))
            else:
                socket.send(message)

        server.on_message(deliver)

    page.route_web_socket(re.compile(r"/graphql/realtime"), route)
    page.reload()  # the grid reconnects through the route
    expect(page.get_by_test_id("live")).to_have_text("Live")
    return held
