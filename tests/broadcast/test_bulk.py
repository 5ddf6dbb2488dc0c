"""COPY's text format for values already bind-processed (broadcast/bulk.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from broadcast.bulk import copy_field


def test_copy_field_escapes_and_formats():
    assert copy_field(None) == "\\N"
    assert copy_field(True) == "t" and copy_field(False) == "f"
    assert copy_field(7) == "7" and copy_field(61.4) == "61.4" and copy_field(1e-7) == "1e-07"
    assert copy_field('a\\b\tc\nd\re "ư"') == 'a\\\\b\\tc\\nd\\re "ư"'
    assert copy_field(datetime(2026, 12, 1, 6, 0, 5, 123000)) == "2026-12-01T06:00:05.123000"
    assert copy_field(date(2026, 12, 1)) == "2026-12-01"


def test_copy_field_refuses_what_it_cannot_write_exactly():
    with pytest.raises(TypeError):
        copy_field(datetime(2026, 12, 1, tzinfo=UTC))  # must be bind-processed to naive UTC first
    with pytest.raises(TypeError):
        copy_field({"a": 1})
