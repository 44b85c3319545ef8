"""The local cloud's background sources: a write wakes its reader at once, a source that is
retrying delays no other, and stopping ends every one of them promptly."""

import threading
import time

import boto3
from moto import mock_aws

from local.aws import wakeups
from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.pumps import Pumps, backoff
from local.aws.session import local_aws
from local.aws.wakeups import Waker
from support import create_plain_table, eventually


def test_a_write_to_a_table_wakes_the_reader_of_its_stream(aws_env):
    with mock_aws(), local_aws(LambdaRuntime()):
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_plain_table(client, stream="NEW_IMAGE")
        waker = Waker(wakeups.stream_source("t"))
        assert waker.wait(0.05) is False  # nothing written: it sleeps
        client.put_item(TableName="t", Item={"pk": {"S": "a"}})
        assert waker.wait(0) is True
        waker.stop()


def test_a_retrying_source_delays_no_other_and_stop_ends_both():
    pumps = Pumps()
    poisoned, healthy = Waker(("test", "poisoned")), Waker(("test", "healthy"))
    retry = backoff(poisoned, 30.0, 30.0)
    ran: list[float] = []
    retrying = threading.Event()

    def poisoned_pump() -> None:
        retrying.set()
        retry(1)  # a batch's retry, waiting out its backoff

    def healthy_pump() -> None:
        ran.append(time.monotonic())

    pumps.start("poisoned", poisoned_pump, poisoned)
    pumps.start("healthy", healthy_pump, healthy)
    assert retrying.wait(2)
    woken = time.monotonic()
    wakeups.notify(("test", "healthy"))
    eventually(lambda: len(ran) == 2, timeout=1, interval=0.01)
    assert ran[1] - woken < 0.5  # its first run, then the wake-up
    began = time.monotonic()
    pumps.stop()
    assert time.monotonic() - began < 1
    assert not any(thread.is_alive() for thread in pumps.threads)
