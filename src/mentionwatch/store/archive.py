"""Search, export and retention over all stored mentions."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING


class ArchiveQueries:
    """Mixed into `Store`: full-text search, streaming export and pruning."""

    db: sqlite3.Connection

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
