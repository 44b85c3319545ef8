"""Slate's reusable Pulumi components. Import them into any Python stack, or consume them from
another language through the component package (`pulumi package add`)."""

from .auth_pool import ADMINS_GROUP, OWNERS_GROUP, AuthPool, AuthPoolArgs
from .booking_api import BookingApi, BookingApiArgs
from .booking_queue import BookingQueue, BookingQueueArgs
from .booking_saga import BookingSaga, BookingSagaArgs
from .booking_table import BookingTable, BookingTableArgs, TableReference
from .monitoring import Monitoring, MonitoringArgs
from .realtime_fanout import RealtimeFanout, RealtimeFanoutArgs

PACKAGE_NAME = "slate"
PACKAGE_VERSION = "0.1.0"
COMPONENTS = [
    BookingTable,
    AuthPool,
    BookingSaga,
    BookingQueue,
    BookingApi,
    RealtimeFanout,
    Monitoring,
]

__all__ = [
    "ADMINS_GROUP",
    "COMPONENTS",
    "OWNERS_GROUP",
    "PACKAGE_NAME",
    "PACKAGE_VERSION",
    "AuthPool",
    "AuthPoolArgs",
    "BookingApi",
    "BookingApiArgs",
    "BookingQueue",
    "BookingQueueArgs",
    "BookingSaga",
    "BookingSagaArgs",
    "BookingTable",
    "BookingTableArgs",
    "Monitoring",
    "MonitoringArgs",
    "RealtimeFanout",
    "RealtimeFanoutArgs",
    "TableReference",
]
