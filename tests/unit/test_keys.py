"""Key builders: every entity's keys, and ids that cannot escape their key space."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import keys
from domain.errors import ValidationError
from support import new_slot_id

START = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


def test_every_entity_key():
    assert keys.venue_key("v1") == {"pk": "VENUE#v1", "sk": "META"}
    assert keys.venue_index_keys("v1", "Chez Nous") == {"gsi1pk": "VENUE", "gsi1sk": "chez nous#v1"}
    assert keys.slot_key("v1", "20261201T190000Z-ab12cd34") == {
        "pk": "VENUE#v1",
        "sk": "SLOT#20261201T190000Z-ab12cd34",
    }
    assert keys.booking_key("b1") == {"pk": "BOOKING#b1", "sk": "META"}
    assert keys.booking_index_keys("v1", "2026-11-21T10:00:00Z", "b1") == {
        "gsi1pk": "VENUE#v1",
        "gsi1sk": "BOOKING#2026-11-21T10:00:00Z#b1",
    }
    assert keys.booking_ref_key("sub-1", "2026-11-21T10:00:00Z", "b1") == {
        "pk": "USER#sub-1",
        "sk": "BOOKING#2026-11-21T10:00:00Z#b1",
    }
    assert keys.hold_key("b1") == {"pk": "HOLD#b1", "sk": "META"}


YEARS = {"min_value": datetime(2000, 1, 1), "max_value": datetime(9999, 1, 1)}


@given(st.datetimes(**YEARS, timezones=st.just(UTC)), st.datetimes(**YEARS, timezones=st.just(UTC)))
def test_slots_sort_by_start_under_their_keys(first, second):
    """A slot id leads with its start, so a venue's slots sort by start and a window is a range."""
    a = keys.slot_key("v", new_slot_id(first))["sk"]
    b = keys.slot_key("v", new_slot_id(second))["sk"]
    if first.replace(microsecond=0) < second.replace(microsecond=0):
        assert a < b


@pytest.mark.parametrize("bad", ["", "a#b", "a b", "x" * 65, None, 7, "ü"])
def test_ids_that_could_reach_another_key_are_rejected(bad):
    with pytest.raises(ValidationError, match="venueId is not a valid id"):
        keys.venue_key(bad)
    with pytest.raises(ValidationError, match="bookingId is not a valid id"):
        keys.booking_key(bad)


@pytest.mark.parametrize("bad", ["20261201T1900Z-ab12", "abc", "20261201T190000Z#ab12", ""])
def test_malformed_slot_ids_are_rejected(bad):
    with pytest.raises(ValidationError, match="slotId is not a valid id"):
        keys.slot_key("v1", bad)


def test_user_partition_rejects_separators():
    with pytest.raises(ValidationError, match="user is not a valid id"):
        keys.user_partition("a#b")
