"""The stack's `slate:*` configuration, read once and handed to the components.

Keys, types and defaults are declared in `Pulumi.yaml` (the CLI checks the types); each key is
the camelCase name of the component argument it feeds, and the component validates its value.
"""

from dataclasses import dataclass

import pulumi

from .auth_pool import AuthPoolArgs
from .booking_api import BookingApiArgs
from .booking_queue import BookingQueueArgs
from .booking_saga import BookingSagaArgs
from .booking_table import BookingTableArgs
from .monitoring import MonitoringArgs
from .realtime_fanout import RealtimeFanoutArgs

NAMESPACE = "slate"


@dataclass(frozen=True)
class SlateConfig:
    table: BookingTableArgs
    auth: AuthPoolArgs
    saga: BookingSagaArgs
    """Without the table's name and ARN, which come from the table the stack creates."""
    queue: BookingQueueArgs
    """Without the table and the state machine, which come from the stack's resources."""
    api: BookingApiArgs
    """Without the table, state machines and user pool, which come from the stack's resources."""
    realtime: RealtimeFanoutArgs
    """Without the table and the API, which come from the stack's resources."""
    monitoring: MonitoringArgs
    """The thresholds and the alert address; what it watches comes from the stack's resources."""

    @classmethod
    def load(cls) -> "SlateConfig":
        config = pulumi.Config(NAMESPACE)
        deletion_protection = config.require_bool("deletionProtection")
        tags = {"app": NAMESPACE, "stack": pulumi.get_stack()}
        table: BookingTableArgs = {
            "deletion_protection": deletion_protection,
            "point_in_time_recovery": config.require_bool("pointInTimeRecovery"),
            "tags": tags,
        }
        if kms_key_arn := config.get("tableKmsKeyArn"):
            table["kms_key_arn"] = kms_key_arn
        auth: AuthPoolArgs = {
            "deletion_protection": deletion_protection,
            "password_minimum_length": config.require_int("passwordMinimumLength"),
            "mfa": config.require("mfa"),
            "access_token_minutes": config.require_int("accessTokenMinutes"),
            "refresh_token_days": config.require_int("refreshTokenDays"),
            "tags": tags,
        }
        saga: BookingSagaArgs = {
            "hold_ttl_seconds": config.require_int("holdTtlSeconds"),
            "log_retention_days": config.require_int("logRetentionDays"),
            "powertools_layer_version": config.require_int("powertoolsLayerVersion"),
            "tags": tags,
        }
        queue: BookingQueueArgs = {
            "max_receive_count": config.require_int("maxReceiveCount"),
            "lock_seconds": config.require_int("holdTtlSeconds"),
            "log_retention_days": config.require_int("logRetentionDays"),
            "powertools_layer_version": config.require_int("powertoolsLayerVersion"),
            "tags": tags,
        }
        api: BookingApiArgs = {
            "public_reads": config.require_bool("publicReads"),
            "field_log_level": config.require("apiFieldLogLevel"),
            "log_retention_days": config.require_int("logRetentionDays"),
            "query_depth_limit": config.require_int("queryDepthLimit"),
            "resolver_count_limit": config.require_int("resolverCountLimit"),
            "publish_horizon_days": config.require_int("publishHorizonDays"),
            "tags": tags,
        }
        if expires := config.get("apiKeyExpires"):
            api["api_key_expires"] = expires
        realtime: RealtimeFanoutArgs = {
            "sweep_rate_minutes": config.require_int("sweepRateMinutes"),
            "log_retention_days": config.require_int("logRetentionDays"),
            "powertools_layer_version": config.require_int("powertoolsLayerVersion"),
            "tags": tags,
        }
        monitoring: MonitoringArgs = {
            "failed_booking_rate_percent": config.require_int("failedBookingRatePercent"),
            "function_error_rate_percent": config.require_int("functionErrorRatePercent"),
            "queue_depth_threshold": config.require_int("queueDepthThreshold"),
            "queue_age_seconds": config.require_int("queueAgeSeconds"),
            "iterator_age_seconds": config.require_int("iteratorAgeSeconds"),
            "api_latency_p99_ms": config.require_int("apiLatencyP99Ms"),
            "tags": tags,
        }
        if email := config.get("alarmEmail"):
            monitoring["alarm_email"] = email
        return cls(
            table=table,
            auth=auth,
            saga=saga,
            queue=queue,
            api=api,
            realtime=realtime,
            monitoring=monitoring,
        )
