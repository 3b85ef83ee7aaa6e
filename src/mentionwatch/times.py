"""Reading the timestamps platforms send: ISO 8601 in its many spellings, and Unix seconds."""

from __future__ import annotations

import re
from datetime import datetime, timezone

_FRACTION = re.compile(r"\.(\d+)")


def parse_iso8601(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string ("2026-11-20T08:15:00.123456789Z",
    "...+02:00", no offset = UTC), or None if it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.10's fromisoformat reads only 3 or 6 fractional digits; APIs send any number.
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def from_unix(value: object) -> datetime | None:
    """An aware UTC datetime from Unix seconds (int, float or numeric string), or None."""
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
