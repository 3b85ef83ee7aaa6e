"""times.py: the timestamp spellings platforms send."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mentionwatch.times import from_unix, parse_iso8601

UTC_0815 = datetime(2026, 11, 20, 8, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20T08:15:00Z",
        "2026-11-20T08:15:00z",
        "2026-11-20T08:15:00.000Z",
        "2026-11-20T08:15:00.000000000Z",
        "2026-11-20T10:15:00+02:00",
        "2026-11-20T02:15:00.0-06:00",
        "2026-11-20T08:15:00",
        " 2026-11-20T08:15:00Z ",
    ],
)
def test_iso8601_spellings(text: str) -> None:
    assert parse_iso8601(text) == UTC_0815


def test_fractions_of_any_length_are_kept_to_microseconds() -> None:
    parsed = parse_iso8601("2026-11-20T08:15:00.123456789Z")
    assert parsed is not None and parsed.microsecond == 123456


@pytest.mark.parametrize("value", [None, "", "yesterday", 17, "2026-13-01T00:00:00Z"])
def test_not_a_timestamp(value: object) -> None:
    assert parse_iso8601(value) is None


@pytest.mark.parametrize("value", [1795162500, 1795162500.0, "1795162500"])
def test_unix_seconds(value: object) -> None:
    assert from_unix(value) == datetime(2026, 11, 20, 8, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", [None, "soon", True, 1e30])
def test_not_unix_seconds(value: object) -> None:
    assert from_unix(value) is None
