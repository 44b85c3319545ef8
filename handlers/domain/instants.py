"""Points in time as the table stores them: UTC, whole seconds, in a form that sorts as text.

Stored as `2026-12-01T19:00:00Z`, so a string comparison in a key condition or a DynamoDB
condition expression is a time comparison.
"""

from datetime import UTC, datetime

from .errors import ValidationError

STORED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_instant(text: object, field: str) -> datetime:
    """An ISO 8601 time with a timezone, as an aware UTC datetime truncated to the second."""
    if not isinstance(text, str):
        raise ValidationError(f"{field} must be an ISO 8601 time, got {type(text).__name__}")
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"{field} must be an ISO 8601 time such as 2026-12-01T19:00:00Z, got {text!r}"
        ) from None
    if value.tzinfo is None:
        raise ValidationError(f"{field} must include a timezone (Z or +hh:mm), got {text!r}")
    return value.astimezone(UTC).replace(microsecond=0)


def format_instant(value: datetime) -> str:
    return _utc(value).strftime(STORED_FORMAT)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: the domain works in aware UTC datetimes only")
    return value.astimezone(UTC)
