"""Opening the SQLite database: pragmas, migrations, and the timestamp format we store."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

#: Readers never wait on a scan in WAL mode; writers wait this long for each other.
BUSY_TIMEOUT_MS = 5000


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at `path`."""
    from mentionwatch.store.migrations import migrate

    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly the
    # block we mean and nothing is committed behind our back.
    connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA journal_mode = WAL")
    # NORMAL is safe in WAL mode: a crash loses at most the last transactions, never corrupts.
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    migrate(connection)
    return connection


def to_db_time(moment: datetime) -> str:
    """UTC, second precision, ISO 8601 with Z: sorts correctly as text."""
    utc = moment.astimezone(timezone.utc)
    # Formatted by hand: strftime's %Y does not zero-pad years before 1000 on every platform,
    # and an unpadded year would sort wrongly as text.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


def from_db_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
