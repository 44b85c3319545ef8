"""Instants: strict parsing, one stored form that sorts as time."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.instants import format_instant, parse_instant


def test_offsets_are_normalised_to_utc_seconds():
    parsed = parse_instant("2026-12-01T20:00:00.750+01:00", "startsAt")
    assert parsed == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    assert format_instant(parsed) == "2026-12-01T19:00:00Z"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-12-01T19:00:00", "must include a timezone"),
        ("tomorrow", "must be an ISO 8601 time such as"),
        ("2026-13-01T19:00:00Z", "must be an ISO 8601 time such as"),
        (1733079600, "must be an ISO 8601 time, got int"),
    ],
)
def test_malformed_times_name_the_field(text, message):
    with pytest.raises(ValidationError, match=f"startsAt {message}"):
        parse_instant(text, "startsAt")


def test_naive_datetimes_are_a_programming_error():
    with pytest.raises(ValueError, match="naive datetime"):
        format_instant(datetime(2026, 1, 1))


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2999, 1, 1)),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2999, 1, 1)),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_stored_form_round_trips_and_sorts_as_time(a, b, offset_minutes):
    zone = timezone(timedelta(minutes=offset_minutes))
    first, second = a.replace(tzinfo=zone), b.replace(tzinfo=UTC)
    stored_first, stored_second = format_instant(first), format_instant(second)
    assert parse_instant(stored_first, "t") == first.replace(microsecond=0)
    if first.replace(microsecond=0) < second.replace(microsecond=0):
        assert stored_first < stored_second
