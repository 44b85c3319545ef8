"""Checks for component args: a bad value fails at construction with the argument's name.

A value that is still an `Output` is checked when it resolves, so the same rule holds for values
that come from other resources or from another language through the component provider.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pulumi

T = TypeVar("T")

TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+$")


class InvalidArgument(ValueError):
    """A component argument has a value the component cannot build from."""

    def __init__(self, component: str, argument: str, problem: str) -> None:
        super().__init__(f"{component}: argument '{argument}' {problem}")


def reject_unknown(component: str, args: Mapping[str, Any], known: type) -> None:
    """A misspelt argument is an error, not a silently ignored default."""
    allowed = set(getattr(known, "__annotations__", {}))
    for key in args:
        if key not in allowed:
            raise InvalidArgument(
                component, key, f"is not an argument of {component} (known: {sorted(allowed)})"
            )


def require(component: str, args: Mapping[str, Any], *names: str) -> None:
    for name in names:
        if args.get(name) is None:
            raise InvalidArgument(component, name, "is required")


def checked(component: str, argument: str, value: Any, check: Callable[[Any], str | None]) -> Any:
    """Run `check` now on a plain value, or on resolution for an Output; it returns a problem."""

    def verify(plain: T) -> T:
        problem = check(plain)
        if problem:
            raise InvalidArgument(component, argument, problem)
        return plain

    if _contains_output(value):
        return pulumi.Output.from_input(value).apply(verify)
    return verify(value)


def _contains_output(value: Any) -> bool:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, Mapping):
        return any(_contains_output(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_contains_output(item) for item in value)
    return False


def is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {value!r}"


def int_between(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"must be a whole number from {low} to {high}, got {value!r}"
        return None

    return check


def int_setting(  # noqa: PLR0917 - the argument and its bounds, as the docs state them
    component: str, args: Mapping[str, Any], argument: str, default: int, low: int, high: int
) -> Any:
    """A whole-number argument, defaulted and checked to lie in [low, high]."""
    return checked(component, argument, args.get(argument, default), int_between(low, high))


def one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {list(choices)}, got {value!r}"

    return check


def is_kms_key_arn(value: Any) -> str | None:
    if isinstance(value, str) and KMS_KEY_ARN.match(value):
        return None
    return (
        f"must be a KMS key or alias ARN (arn:aws:kms:<region>:<account>:key/<id>), got {value!r}"
    )


def checked_tags(component: str, args: Mapping[str, Any]) -> Any:
    """The `tags` argument, defaulted to none and checked as AWS checks tags."""
    return checked(component, "tags", args.get("tags", {}), are_tags)


def are_tags(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return f"must be a mapping of tag names to values, got {type(value).__name__}"
    for key, tag in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= TAG_KEY_MAX:
            return f"has a tag name that is not 1-{TAG_KEY_MAX} characters: {key!r}"
        if key.lower().startswith("aws:"):
            return f"has a tag name in the reserved aws: namespace: {key!r}"
        if not isinstance(tag, str) or len(tag) > TAG_VALUE_MAX:
            return f"has a value for tag {key!r} that is not text of at most {TAG_VALUE_MAX} chars"
    return None
