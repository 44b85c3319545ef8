"""The stream mapping as the local cloud runs it, on the deployed fan-out: filtered records,
partial failures retried, failing batches bisected, and what cannot be published delivered,
after its retries, to the on-failure queue in Lambda's format."""

import json
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from moto.events.models import EventPattern

from local.aws.awslambda import event_sources
from local.aws.awslambda.event_sources import StreamMapping
from local.aws.awslambda.runtime import FunctionSpec
from local.aws.dynamodb.ttl import TtlExpiry
from realtime_harness import MAPPING, STREAM_MAPPING, deployed_realtime


@pytest.fixture
def running(dev, aws_env):
    inputs = dev.named(MAPPING, STREAM_MAPPING).inputs
    with deployed_realtime(dev) as realtime:
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq_name = inputs["destinationConfig"]["onFailure"]["destinationArn"].rsplit(":", 1)[-1]
        dlq = sqs.create_queue(QueueName=dlq_name)["QueueUrl"]
        mapping = StreamMapping(
            inputs={**inputs, "eventSourceArn": realtime.stream_arn},
            streams=realtime.streams,
            sqs=sqs,
            lambdas=realtime.runtime,
        )
        yield realtime, mapping, sqs, dlq


def failures(sqs, dlq: str) -> list[dict]:
    messages = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_only_filtered_records_reach_the_function_and_are_published(running):
    realtime, mapping, sqs, dlq = running
    slot, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=5))
    assert mapping.poll() == 2  # the slot and the booking; the hold marker is filtered out
    assert [p["slotId"] for p in realtime.endpoint.published] == [slot.slot_id]
    assert [b["bookingId"] for b in realtime.endpoint.published_bookings] == ["b1"]
    assert mapping.poll() == 0  # nothing new: the mapping keeps its place in the shard
    assert failures(sqs, dlq) == []


def test_an_unpublishable_record_ends_in_the_dlq_after_its_retries(running):
    realtime, mapping, sqs, dlq = running
    first, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=5))
    refused, _, _ = realtime.held_slot("b2", expires_in=timedelta(minutes=5))
    last, _, _ = realtime.held_slot("b3", expires_in=timedelta(minutes=5))
    realtime.endpoint.refuse.add(refused.slot_id)
    mapping.poll()
    retries = mapping.inputs["maximumRetryAttempts"]
    published = [p["slotId"] for p in realtime.endpoint.published]
    assert published.count(first.slot_id) == 1
    # Retried from the failed record on: the records after it go again with it.
    assert published.count(last.slot_id) == retries + 1
    [failure] = failures(sqs, dlq)
    info = failure["DDBStreamBatchInfo"]
    # The refused slot, its booking, and the last slot and booking.
    assert info["batchSize"] == 4 and info["streamArn"] == realtime.stream_arn
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == retries + 1


def test_a_batch_that_only_fails_is_bisected_down_to_single_records(running):
    realtime, mapping, sqs, dlq = running
    slots = [realtime.held_slot(f"b{n}", expires_in=timedelta(minutes=5))[0] for n in range(2)]
    realtime.endpoint.refuse.update({slot.slot_id for slot in slots} | {"b0", "b1"})
    mapping.poll()
    found = failures(sqs, dlq)
    assert sorted(f["DDBStreamBatchInfo"]["batchSize"] for f in found) == [1, 1, 1, 1]
    assert {f["responseContext"]["functionError"] for f in found} == {"Unhandled"}
    assert realtime.endpoint.published == realtime.endpoint.published_bookings == []


def test_a_hold_abandoned_past_expiry_is_released_by_ttl_and_published(running):
    realtime, mapping, _, _ = running
    expired, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=-1))
    live, _, _ = realtime.held_slot("b2", expires_in=timedelta(minutes=10))
    mapping.poll()
    ttl = TtlExpiry("us-east-1")
    assert ttl.sweep() == 1  # b1's marker; b2's has not expired, slots carry no TTL
    mapping.poll()  # the TTL removal: the fan-out reopens the slot
    mapping.poll()  # the reopening: published
    statuses = [(p["slotId"], p["status"]) for p in realtime.endpoint.published]
    assert statuses[-1] == (expired.slot_id, "OPEN")
    assert (live.slot_id, "OPEN") not in statuses
    assert ttl.sweep() == 0


def test_ttl_waits_out_its_delay_and_marks_only_its_own_deletions(running):
    realtime, _, _, _ = running
    realtime.held_slot("b1", expires_in=timedelta(seconds=-30))
    assert TtlExpiry("us-east-1", delay_seconds=3600).sweep() == 0
    realtime.table.delete_item(Key={"pk": "BOOKING#b1", "sk": "META"})  # an ordinary delete
    assert TtlExpiry("us-east-1").sweep() == 1
    removals = [r for r in realtime.new_records() if r["eventName"] == "REMOVE"]
    identities = {r["dynamodb"]["Keys"]["pk"]["S"]: r.get("userIdentity") for r in removals}
    assert identities == {
        "BOOKING#b1": None,
        "HOLD#b1": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    }


RECORDER = """
import json
from pathlib import Path

SEEN = Path(__file__).with_name("seen.jsonl")
ANSWER = Path(__file__).with_name("answer.json")


def handler(event, context):
    with SEEN.open("a") as seen:
        seen.write(json.dumps([r["dynamodb"]["SequenceNumber"] for r in event["Records"]]) + "\\n")
    return json.loads(ANSWER.read_text()) if ANSWER.exists() else {}
"""


@pytest.fixture
def recorder(running, tmp_path):
    """A function of the test's own behind the stream mapping: it records each batch it gets
    and answers what `answer.json` says."""
    realtime, mapping, sqs, dlq = running
    (tmp_path / "recorder.py").write_text(RECORDER)
    realtime.runtime.register(
        FunctionSpec(
            name="recorder", arn="arn:recorder", handler="recorder.handler", code_root=tmp_path
        )
    )

    def make(checkpoints: dict[str, str] | None = None, **inputs) -> StreamMapping:
        return StreamMapping(
            inputs={**mapping.inputs, "functionName": "recorder", "filterCriteria": None, **inputs},
            streams=mapping.streams,
            sqs=sqs,
            lambdas=realtime.runtime,
            checkpoints=checkpoints or {},
        )

    def batches() -> list[list[str]]:
        path = tmp_path / "seen.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    return realtime, make, batches, tmp_path / "answer.json", (sqs, dlq)


def test_a_failure_naming_a_record_outside_the_batch_fails_the_whole_batch(recorder):
    realtime, make, batches, answer, (sqs, dlq) = recorder
    answer.write_text(json.dumps({"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}))
    realtime.held_slot("b1", expires_in=timedelta(minutes=5))
    mapping = make(maximumRetryAttempts=2, bisectBatchOnFunctionError=False)
    mapping.poll()
    seen = batches()
    assert len(seen) == 3 and all(batch == seen[0] for batch in seen)  # retried whole, twice
    [failure] = failures(sqs, dlq)
    assert failure["responseContext"]["functionError"] == "InvalidBatchItemFailures"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == len(seen[0])
    answer.unlink()
    assert mapping.poll() == 0  # done with: given up on, not read again


def test_an_error_while_processing_loses_no_record(recorder):
    realtime, make, batches, _, _ = recorder
    realtime.held_slot("b1", expires_in=timedelta(minutes=5))
    broken = make(
        maximumRetryAttempts=0,
        destinationConfig={"onFailure": {"destinationArn": "arn:aws:sqs:us-east-1:1:missing"}},
    )
    realtime.runtime.register(
        FunctionSpec(
            name="gone", arn="arn:gone", handler="absent.handler", code_root=Path("/nowhere")
        )
    )
    broken.inputs["functionName"] = "gone"  # invoking fails, then so does the destination
    with pytest.raises(Exception):  # noqa: B017 — whatever the failure, it surfaces
        broken.poll()
    broken.inputs["functionName"] = "recorder"
    assert broken.poll() == 3  # the same records, read again from where the mapping was
    assert broken.poll() == 0
    assert len(batches()) == 1


def test_the_batching_window_gathers_until_full_or_due(recorder):
    realtime, make, batches, _, _ = recorder
    mapping = make(maximumBatchingWindowInSeconds=1, batchSize=6)
    realtime.held_slot("b1", expires_in=timedelta(minutes=5))  # three records
    wait = mapping.pump()
    assert wait is not None and 0 < wait <= 1
    assert batches() == []
    time.sleep(wait)
    assert mapping.pump() is None
    assert [len(batch) for batch in batches()] == [3]
    realtime.held_slot("b2", expires_in=timedelta(minutes=5))
    realtime.held_slot("b3", expires_in=timedelta(minutes=5))  # six: a full batch goes at once
    assert mapping.pump() is None
    assert [len(batch) for batch in batches()] == [3, 6]


def test_a_mapping_given_a_previous_runs_checkpoints_resumes_after_them(recorder):
    """What a restarted local cloud does: records done with before the stop are not replayed."""
    realtime, make, batches, _, _ = recorder
    first = make()
    realtime.held_slot("b1", expires_in=timedelta(minutes=5))
    assert first.poll() == 3
    realtime.held_slot("b2", expires_in=timedelta(minutes=5))
    resumed = make(checkpoints=dict(first.checkpoints))
    assert resumed.poll() == 3  # only b2's records
    assert [len(batch) for batch in batches()] == [3, 3]
    assert set(batches()[0]).isdisjoint(batches()[1])


def test_a_record_waiting_in_the_batching_window_is_filtered_once(running, monkeypatch):
    realtime, mapping, _, _ = running
    judged: list[str] = []
    original = EventPattern._flatten_dict

    def counted(node, *args):
        if not args:  # the top of a record, not one of its nested maps
            judged.append(node["eventID"])
        return original(node, *args)

    monkeypatch.setattr(EventPattern, "_flatten_dict", staticmethod(counted))
    copies = []
    counted_dumps = SimpleNamespace(
        dumps=lambda value, **options: copies.append(1) or json.dumps(value, **options),
        loads=json.loads,
    )
    monkeypatch.setattr(event_sources, "json", counted_dumps)
    windowed = StreamMapping(
        inputs={**mapping.inputs, "maximumBatchingWindowInSeconds": 5, "batchSize": 10},
        streams=mapping.streams,
        sqs=mapping.sqs,
        lambdas=mapping.lambdas,
    )
    slot, _, _ = realtime.held_slot("b1", expires_in=timedelta(minutes=5))  # three records
    for _ in range(3):
        assert windowed.pump() is not None  # two changes gathered, the window still open
    assert sorted(judged) == sorted(set(judged)) and len(judged) == 3  # each record, once
    assert copies == []  # and as it was delivered: no copy through JSON first
    monkeypatch.setattr(event_sources, "json", json)
    assert windowed.poll() == 2
    assert [p["slotId"] for p in realtime.endpoint.published] == [slot.slot_id]
