"""`make smoke` and `make watch` against the local cloud. Smoke goes in both ways: through the
discovery file, and through an outputs file shaped like `pulumi stack output --json` (its AWS
calls sent to the local cloud by `AWS_ENDPOINT_URL`, as boto3 reads it); users are created and
deleted through Cognito's admin API either way, and deleted too when the run fails."""

import json
import re
import subprocess
import sys

import pytest

from cloud_harness import aws, book, open_slot, start_cloud, stop_cloud, token
from support import CLEAN_ENV, REPO, eventually, run_devtool, stack_variant

CHECKS = [
    "sign-in: an owner and two customers, made for this run",
    "a venue with slots",
    "a booking seen live by a second user",
    "a 10-way race, exactly one winner",
    "a declined payment, compensated and seen live",
    "a cancellation",
    "myBookings isolation",
    "denials",
    "requestBooking followed live to its end",
    "clean-up: the run's open slots closed",
    "clean-up: the run's users deleted",
]
OUTPUT_KEYS = ("graphqlUrl", "realtimeUrl", "region", "userPoolId", "userPoolClientId")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return stack_variant(tmp_path_factory.mktemp("smoke"), "e2e", {})


@pytest.fixture(scope="module")
def cloud(project):
    process, discovery, _ = start_cloud(project)
    yield discovery
    stop_cloud(process)


def smoke(*options: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_devtool("smoke", *options, env=env)


def smoke_users(discovery: dict) -> list[str]:
    listed = aws(discovery, "cognito-idp").list_users(UserPoolId=discovery["userPoolId"])
    return [u["Username"] for u in listed["Users"] if u["Username"].startswith("smoke-")]


def assert_passed(run: subprocess.CompletedProcess) -> None:
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    for check in CHECKS:
        assert any(line.startswith(f"ok   {check} (") for line in lines), (check, run.stdout)
    assert lines[-1] == "passed: 0 of the checks failed"


def test_smoke_through_the_discovery_file(cloud, project):
    run = smoke("-C", str(project))
    assert_passed(run)
    assert smoke_users(cloud) == []


def test_smoke_through_a_stack_outputs_file(cloud, tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({key: cloud[key] for key in OUTPUT_KEYS} | {"apiKey": None}))
    local_aws = {
        "AWS_ENDPOINT_URL": cloud["awsEndpoint"],
        "AWS_ACCESS_KEY_ID": "ops",
        "AWS_SECRET_ACCESS_KEY": "ops",
    }
    run = smoke("--outputs", str(outputs), "-C", str(tmp_path), env=local_aws)
    assert_passed(run)
    assert run.stdout.startswith(f"smoke against {cloud['graphqlUrl']}")
    assert smoke_users(cloud) == []


def test_a_failing_run_exits_non_zero_and_still_deletes_its_users(cloud, tmp_path):
    outputs = tmp_path / "outputs.json"
    broken = {key: cloud[key] for key in OUTPUT_KEYS} | {"graphqlUrl": "http://127.0.0.1:9/graphql"}
    outputs.write_text(json.dumps(broken))
    local_aws = {
        "AWS_ENDPOINT_URL": cloud["awsEndpoint"],
        "AWS_ACCESS_KEY_ID": "ops",
        "AWS_SECRET_ACCESS_KEY": "ops",
    }
    run = smoke("--outputs", str(outputs), "-C", str(tmp_path), env=local_aws)
    assert run.returncode == 1
    assert "FAIL a venue with slots" in run.stdout
    assert "ok   clean-up: the run's users deleted" in run.stdout
    assert smoke_users(cloud) == []


def test_nowhere_to_point_is_one_error_line(tmp_path):
    run = smoke("-C", str(tmp_path))
    assert run.returncode == 2
    assert run.stderr.startswith("error: no local cloud is running")
    missing = tmp_path / "outputs.json"
    missing.write_text(json.dumps({"graphqlUrl": "x"}))
    run = smoke("--outputs", str(missing))
    assert run.returncode == 2 and "the stack outputs lack realtimeUrl" in run.stderr


def test_watch_prints_each_change_of_the_first_venue_with_old_and_new_status(cloud, project):
    watcher = subprocess.Popen(
        [sys.executable, str(REPO / "devtools" / "watch.py"), "-C", str(project), "--count", "2"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=CLEAN_ENV,
    )
    try:
        lines = []
        for line in watcher.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("watching venue"):
                break
        assert lines[-2] == "watching Chez Slate (make watch VENUE=<id> for another)", lines
        alice = token(cloud, "alice@example.com")
        venue, slot = open_slot(cloud, alice)
        assert book(cloud, alice, venue, slot)["status"] == "CONFIRMED"
        rest, _ = watcher.communicate(timeout=30)
    finally:
        watcher.kill()
    changes = rest.splitlines()
    assert len(changes) == 2, changes
    for line, change in zip(changes, ["OPEN → HELD", "HELD → BOOKED"], strict=True):
        stamp, slot_id, starts, status = line.split("  ")
        assert (slot_id, status) == (slot, change)
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", stamp)
        assert re.fullmatch(r"starts \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", starts)
    assert watcher.returncode == 0


def test_watch_without_credentials_on_a_deployed_stack_says_what_to_give(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({key: "x" for key in OUTPUT_KEYS}))
    run = run_devtool("watch", "--outputs", str(outputs))
    assert run.returncode == 2
    assert (
        run.stderr == "error: give --username and --password (or SLATE_USERNAME, SLATE_PASSWORD)\n"
    )


def test_the_aws_endpoint_lists_and_invokes_functions_and_keeps_their_logs(cloud):
    lambdas = aws(cloud, "lambda")
    functions = {f["FunctionName"]: f for f in lambdas.list_functions()["Functions"]}
    handlers = sorted(f["Handler"] for f in functions.values())
    assert handlers == [
        "booking_worker.handler",
        "fanout.handler",
        "payment.handler",
        "sweeper.handler",
    ]
    [sweeper] = [name for name, f in functions.items() if f["Handler"] == "sweeper.handler"]
    answer = lambdas.invoke(FunctionName=sweeper, Payload=b"{}")  # run by the local runtime
    assert answer["StatusCode"] == 200
    assert set(json.loads(answer["Payload"].read())) == {
        "holds",
        "slotsReopened",
        "bookingsExpired",
    }

    logs = aws(cloud, "logs")
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
    assert {g for g in groups if g.startswith("/aws/vendedlogs/states/")}  # the workflows'
    payment_group = next(g for g in groups if g.endswith("-booking-payment"))
    assert groups[payment_group]["retentionInDays"] == 14
    alice = token(cloud, "alice@example.com")
    venue, slot = open_slot(cloud, alice)
    booking = book(cloud, alice, venue, slot)

    def charged_line_logged() -> bool:
        events = logs.filter_log_events(logGroupName=payment_group)["events"]
        charged = [json.loads(e["message"]) for e in events if '"charged"' in e["message"]]
        return any(c.get("booking_id") == booking["bookingId"] for c in charged)

    eventually(charged_line_logged, timeout=10, interval=0.2)  # lines are sent about every second


def test_the_aws_endpoint_lists_the_api_with_the_gateways_endpoints(cloud):
    appsync = aws(cloud, "appsync")
    [api] = appsync.list_graphql_apis()["graphqlApis"]
    assert api["uris"] == {"GRAPHQL": cloud["graphqlUrl"], "REALTIME": cloud["realtimeUrl"]}
    assert appsync.get_graphql_api(apiId=api["apiId"])["graphqlApi"]["uris"] == api["uris"]
    assert api["authenticationType"] == "AMAZON_COGNITO_USER_POOLS"
    groups = [g["logGroupName"] for g in aws(cloud, "logs").describe_log_groups()["logGroups"]]
    assert f"/aws/appsync/apis/{api['apiId']}" in groups  # the id the stack recorded
