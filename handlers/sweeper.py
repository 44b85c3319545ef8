"""The hold sweeper, run on a schedule: releases every hold whose expiry has passed, found
through the holds index (no scan), so the live view never waits for DynamoDB's TTL, which can
lag by days. The slot's write reaches the stream and is published by the fan-out.
"""

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain import business_metrics
from domain.holds import HoldReleaser
from domain.instants import now
from domain.repository import MAX_PAGE_SIZE, BookingRepository

MAX_HOLDS_PER_RUN = 1000
"""Bounds one run; the next run (a minute later by default) takes the rest."""

logger = Logger()
tracer = Tracer()
metrics = Metrics()
TABLE_NAME = os.environ["TABLE_NAME"]
table = boto3.resource("dynamodb").Table(TABLE_NAME)
business = business_metrics.publisher(TABLE_NAME)
repository = BookingRepository(table)
releaser = HoldReleaser(table)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@business.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    now_epoch = int(now().timestamp())
    seen = reopened = expired = 0
    next_token = None
    while seen < MAX_HOLDS_PER_RUN:
        page = repository.expired_holds(now_epoch, limit=MAX_PAGE_SIZE, next_token=next_token)
        for hold in page.items:
            release = releaser.release(hold, now_epoch, delete_marker=True)
            reopened += release.slot_reopened
            expired += release.booking_expired
        seen += len(page.items)
        next_token = page.next_token
        if not next_token:
            break
    metrics.add_metric(name="ExpiredHoldsReleased", unit=MetricUnit.Count, value=seen)
    business.add_metric(name=business_metrics.HOLDS_RELEASED, unit=MetricUnit.Count, value=seen)
    logger.info("swept", extra={"holds": seen, "slots_reopened": reopened, "expired": expired})
    return {"holds": seen, "slotsReopened": reopened, "bookingsExpired": expired}
