"""The domain's errors. `error_type` is what the API reports as AppSync's `errorType`."""

from typing import ClassVar


class DomainError(Exception):
    error_type: ClassVar[str] = "InternalFailure"


class ValidationError(DomainError):
    """The caller sent something malformed; nothing was read or written because of it."""

    error_type = "ValidationError"


class NotFound(DomainError):
    error_type = "NotFound"


class MalformedItem(DomainError):
    """An item in the table does not have the shape its entity requires."""

    error_type = "DataError"
