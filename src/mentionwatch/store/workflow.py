"""The team's workflow: who owns a mention, the notes on it, and its status history."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING


class WorkflowQueries:
    """Mixed into `Store`: every query of the team's workflow."""

    db: sqlite3.Connection

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
