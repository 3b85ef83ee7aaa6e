"""The team's workflow: who owns a mention, the notes on it, and its status history."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from mentionwatch.models import MentionChange, MentionNote, StoredMention
from mentionwatch.store.db import from_db_time, to_db_time

#: What `mention_history.field` holds.
STATUS_FIELD = "status"
ASSIGNEE_FIELD = "assignee"


class WorkflowQueries:
    """Mixed into `Store`: every query of the team's workflow.

    Every change of a mention's status or assignee is written to `mention_history` by
    `record_change`, in the transaction that makes the change, and only when the value
    really changes. Names compare without regard to ASCII case (the `assignee` column is
    NOCASE): "Maya" and "maya" are one person.
    """

    db: sqlite3.Connection

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def mention(self, mention_id: int) -> StoredMention | None: ...

    @staticmethod
    def record_change(
        db: sqlite3.Connection,
        mention_id: int,
        *,
        field: str,
        old: str | None,
        new: str | None,
        by: str | None,
        at: str,
        automatic: bool = False,
    ) -> None:
        """One history row; call inside the transaction that made the change. `at` is a
        database time (`to_db_time`)."""
        db.execute(
            """
            INSERT INTO mention_history
                (mention_id, changed_at, changed_by, field, old_value, new_value, automatic)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            (mention_id, at, by, field, old, new, int(automatic)),
        )

    @staticmethod
    def status_before(db: sqlite3.Connection, mention_id: int) -> str | None:
        """A mention's stored status (None: no such mention), read before changing it."""
        row = db.execute("SELECT status FROM mentions WHERE id = ?", (mention_id,)).fetchone()
        return None if row is None else str(row[0])

    def assign(
        self, mention_id: int, assignee: str | None, *, by: str | None, at: datetime
    ) -> tuple[StoredMention, bool] | None:
        """Give a mention to `assignee` (None: to nobody). Returns the mention and whether
        its assignee changed (a name differing only in case is no change), or None if the id
        is unknown."""
        when = to_db_time(at)
        with self.transaction() as db:
            row = db.execute("SELECT assignee FROM mentions WHERE id = ?", (mention_id,)).fetchone()
            if row is None:
                return None
            before: str | None = row[0]
            # `IS NOT` compares with the column's NOCASE collation.
            cursor = db.execute(
                "UPDATE mentions SET assignee = ? WHERE id = ? AND assignee IS NOT ?",
                (assignee, mention_id, assignee),
            )
            changed = cursor.rowcount == 1
            if changed:
                self.record_change(
                    db,
                    mention_id,
                    field=ASSIGNEE_FIELD,
                    old=before,
                    new=assignee,
                    by=by,
                    at=when,
                )
        mention = self.mention(mention_id)
        assert mention is not None
        return mention, changed

    def add_note(
        self, mention_id: int, *, author: str, text: str, at: datetime
    ) -> MentionNote | None:
        """Keep a team member's note on a mention; None if the id is unknown."""
        when = to_db_time(at)
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO mention_notes (mention_id, author, created_at, text)"
                " SELECT id, ?, ?, ? FROM mentions WHERE id = ?",
                (author, when, text, mention_id),
            )
        if cursor.rowcount != 1:
            return None
        return MentionNote(mention_id, author, from_db_time(when), text)  # type: ignore[arg-type]

    def notes(self, mention_id: int) -> list[MentionNote]:
        """The notes on a mention, oldest first."""
        rows = self.db.execute(
            "SELECT mention_id, author, created_at, text FROM mention_notes"
            " WHERE mention_id = ? ORDER BY created_at, id",
            (mention_id,),
        ).fetchall()
        return [
            MentionNote(
                mention_id=row["mention_id"],
                author=row["author"],
                created_at=from_db_time(row["created_at"]),  # type: ignore[arg-type]
                text=row["text"],
            )
            for row in rows
        ]

    def history(self, mention_id: int) -> list[MentionChange]:
        """Every change of a mention's status and assignee, oldest first."""
        rows = self.db.execute(
            """
            SELECT mention_id, changed_at, changed_by, field, old_value, new_value, automatic
              FROM mention_history WHERE mention_id = ? ORDER BY changed_at, id
            """,
            (mention_id,),
        ).fetchall()
        return [
            MentionChange(
                mention_id=row["mention_id"],
                changed_at=from_db_time(row["changed_at"]),  # type: ignore[arg-type]
                changed_by=row["changed_by"],
                field=row["field"],
                old_value=row["old_value"],
                new_value=row["new_value"],
                automatic=bool(row["automatic"]),
            )
            for row in rows
        ]
