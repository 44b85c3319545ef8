"""What a data source answers a resolver: its result, or an error as AppSync reports it."""

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class SourceResult:
    """`ctx.result` and `ctx.error` for the response handler."""

    result: Any = None
    error: dict[str, str] | None = None

    @classmethod
    def failed(cls, error_type: str, message: str, result: Any = None) -> "SourceResult":
        return cls(result=result, error={"type": error_type, "message": message})


class DataSource(Protocol):
    """A data source of one kind, called with the request object a request handler returned."""

    def call(self, request: Any) -> SourceResult: ...


class NoneSource:
    """AppSync's NONE data source: the request's `payload` is the result."""

    def call(self, request: Any) -> SourceResult:
        if not isinstance(request, dict):
            return SourceResult.failed("MappingTemplate", "the request must be an object")
        return SourceResult(result=request.get("payload"))
