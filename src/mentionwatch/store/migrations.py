"""Schema migrations: an ordered list of small named steps, tracked by `PRAGMA user_version`.

Append a new function to `MIGRATIONS` to change the schema; never edit one that has shipped.
Each step runs in its own transaction together with the version bump, so a crash leaves the
database at the previous version, never half-way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def create_mentions(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE mentions (
            id                INTEGER PRIMARY KEY,
            source            TEXT NOT NULL,
            kind              TEXT NOT NULL,
            native_id         TEXT NOT NULL,
            url               TEXT NOT NULL,
            author            TEXT,
            title             TEXT NOT NULL DEFAULT '',
            text              TEXT NOT NULL DEFAULT '',
            created_at        TEXT NOT NULL,
            fetched_at        TEXT NOT NULL,
            updated_at        TEXT,
            matched_term      TEXT,
            compound          REAL NOT NULL,
            label             TEXT NOT NULL,
            snippet           TEXT NOT NULL DEFAULT '',
            status            TEXT NOT NULL DEFAULT 'open',
            status_changed_at TEXT,
            answered_at       TEXT,
            answered_by       TEXT,
            UNIQUE (source, native_id)
        )
        """
    )
    # The inbox reads open mentions of one label; keep that a narrow index range scan.
    db.execute("CREATE INDEX mentions_status_label_created ON mentions (status, label, created_at)")
    db.execute("CREATE INDEX mentions_source_created ON mentions (source, created_at)")


def create_source_state(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE source_state (
            name               TEXT PRIMARY KEY,
            kind               TEXT NOT NULL,
            cursor             TEXT,
            etag               TEXT,
            last_modified      TEXT,
            last_attempt_at    TEXT,
            last_success_at    TEXT,
            last_error         TEXT,
            consecutive_errors INTEGER NOT NULL DEFAULT 0,
            next_check_at      TEXT
        )
        """
    )


def create_scan_history(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE scan_runs (
            id          INTEGER PRIMARY KEY,
            started_at  TEXT NOT NULL,
            finished_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE source_runs (
            run_id      INTEGER NOT NULL REFERENCES scan_runs (id) ON DELETE CASCADE,
            source      TEXT NOT NULL,
            outcome     TEXT NOT NULL,
            http_status INTEGER,
            items_seen  INTEGER NOT NULL DEFAULT 0,
            relevant    INTEGER NOT NULL DEFAULT 0,
            new         INTEGER NOT NULL DEFAULT 0,
            updated     INTEGER NOT NULL DEFAULT 0,
            error       TEXT,
            duration_s  REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, source)
        )
        """
    )
    db.execute("CREATE INDEX source_runs_source ON source_runs (source, run_id)")


def add_threads_and_replies(db: sqlite3.Connection) -> None:
    """Reach and thread references on mentions, how each was answered, and the replies that
    the thread check saw (so `show` can prove a mark)."""
    for column in (
        "reach INTEGER",
        "thread_ref TEXT",
        "answered_url TEXT",
        "marked_by TEXT",  # 'auto' (a brand reply found) or 'manual' (a person's mark)
        "reopened_at TEXT",
        "first_response_s INTEGER",
        "thread_checked_at TEXT",
    ):
        db.execute(f"ALTER TABLE mentions ADD COLUMN {column}")
    db.execute(
        """
        CREATE TABLE replies (
            mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
            native_id  TEXT NOT NULL,
            author     TEXT,
            created_at TEXT,
            url        TEXT NOT NULL DEFAULT '',
            text       TEXT NOT NULL DEFAULT '',
            depth      INTEGER NOT NULL DEFAULT 1,
            by_brand   INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (mention_id, native_id)
        )
        """
    )


def add_source_health(db: sqlite3.Connection) -> None:
    """What a poller a cron job can trust needs to remember: pauses, moves, silence."""
    for column in (
        "paused_at TEXT",
        "paused_reason TEXT",
        "moved_to TEXT",  # where a permanent redirect pointed, for the user to update
        "last_new_at TEXT",  # the last poll that stored something new: silence is measured here
        "first_success_at TEXT",
    ):
        db.execute(f"ALTER TABLE source_state ADD COLUMN {column}")


def add_canonical_url(db: sqlite3.Connection) -> None:
    """The canonical form of each mention's link, to recognise a post republished under a new
    id (a feed that changed its GUIDs) as the post already stored."""
    from mentionwatch.text import canonical_url

    db.execute("ALTER TABLE mentions ADD COLUMN canonical_url TEXT")
    db.create_function("canonical_url", 1, canonical_url, deterministic=True)
    db.execute("UPDATE mentions SET canonical_url = canonical_url(url) WHERE url != ''")
    db.execute("CREATE INDEX mentions_source_canonical_url ON mentions (source, canonical_url)")


def add_triage(db: sqlite3.Connection) -> None:
    """The full verdict of the triage classifier, and the marks a person puts on it.

    `spam` and `label` are the classifier's; `spam_mark` and `human_label` a person's, which
    win: the inbox reads `coalesce(spam_mark, spam)` and `coalesce(human_label, label)`, and
    its indexes are on exactly those expressions so it stays an index range scan. Mentions
    stored before this step count as not spam and not questions until `mentionwatch rescore`.
    """
    for column in (
        "vader_compound REAL",
        "question INTEGER NOT NULL DEFAULT 0",
        "spam INTEGER NOT NULL DEFAULT 0",
        "spam_signals TEXT",  # JSON list of the signals that fired
        "spam_mark INTEGER",  # a person's: 1 spam, 0 not spam, NULL no mark
        "human_label TEXT",  # a person's sentiment label
        "explanation TEXT",  # JSON list of the domain layer's hits
    ):
        db.execute(f"ALTER TABLE mentions ADD COLUMN {column}")
    # The new inbox index starts with the same `status` column, so the old one only costs
    # writes now.
    db.execute("DROP INDEX IF EXISTS mentions_status_label_created")
    db.execute(
        "CREATE INDEX mentions_inbox ON mentions"
        " (status, coalesce(spam_mark, spam), coalesce(human_label, label), created_at)"
    )
    db.execute(
        "CREATE INDEX mentions_questions ON mentions"
        " (status, question, coalesce(spam_mark, spam), created_at)"
    )


def add_digests(db: sqlite3.Connection) -> None:
    """Every digest the SMTP server accepted. The newest row is the watermark: the next digest's
    "new" mentions are those stored after `through_mention_id`. A row is written only after the
    server accepted the message, so a failed send is retried whole by the next run."""
    db.execute(
        """
        CREATE TABLE digests (
            id                 INTEGER PRIMARY KEY,
            sent_at            TEXT NOT NULL,
            through_mention_id INTEGER NOT NULL,
            recipients         TEXT NOT NULL
        )
        """
    )


def add_alerts(db: sqlite3.Connection) -> None:
    """What the scan's alerts have delivered, so nothing is alerted twice.

    `alert_deliveries` holds each mention a channel accepted (a channel is a hash of its URL:
    webhook and Apprise URLs carry tokens and are never stored), so a channel that failed is
    retried alone; `mentions.alerted_at` is set once every channel has it. `alerts` holds each
    channel's last accepted message, for the rate limit."""
    db.execute("ALTER TABLE mentions ADD COLUMN alerted_at TEXT")
    db.execute(
        """
        CREATE TABLE alerts (
            channel      TEXT PRIMARY KEY,
            last_sent_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE alert_deliveries (
            mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
            channel    TEXT NOT NULL,
            sent_at    TEXT NOT NULL,
            PRIMARY KEY (mention_id, channel)
        )
        """
    )


def add_workflow(db: sqlite3.Connection) -> None:
    """Who owns a mention, what the team noted on it, and every change of its status.

    `mention_history` keeps one row per change of status or assignee (who, when, from, to),
    written by the store method that makes the change, so `show` can tell a mention's story;
    `automatic` marks the changes no person made (the thread check found a brand reply).
    Team members' names compare without regard to (ASCII) case: "Maya" and "maya" are one
    person, and the column's NOCASE collation lets the index serve `inbox --assignee maya`.
    """
    db.execute("ALTER TABLE mentions ADD COLUMN assignee TEXT COLLATE NOCASE")
    # `inbox --assignee WHO` / `--unassigned` read open mentions of one owner.
    db.execute("CREATE INDEX mentions_status_assignee ON mentions (status, assignee, created_at)")
    db.execute(
        """
        CREATE TABLE mention_notes (
            id         INTEGER PRIMARY KEY,
            mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
            author     TEXT NOT NULL,
            created_at TEXT NOT NULL,
            text       TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX mention_notes_mention ON mention_notes (mention_id, created_at)")
    db.execute(
        """
        CREATE TABLE mention_history (
            id         INTEGER PRIMARY KEY,
            mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
            changed_at TEXT NOT NULL,
            changed_by TEXT,
            field      TEXT NOT NULL,  -- 'status' or 'assignee'
            old_value  TEXT,
            new_value  TEXT,
            automatic  INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX mention_history_mention ON mention_history (mention_id, changed_at)")


def add_search_index(db: sqlite3.Connection) -> None:
    """Full-text search over every stored mention (SQLite FTS5).

    An external-content table: the index holds only tokens, the text stays in `mentions` once.
    Triggers keep it in step with every insert, update and delete (prune included), so no
    code path can forget it. The porter stemmer lets "refund" find "refunds" and "refunded".
    """
    db.execute(
        """
        CREATE VIRTUAL TABLE mentions_fts USING fts5 (
            title, text, author,
            content = 'mentions', content_rowid = 'id',
            tokenize = 'porter unicode61 remove_diacritics 2'
        )
        """
    )
    db.execute(
        """
        CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
            INSERT INTO mentions_fts (rowid, title, text, author)
            VALUES (new.id, new.title, new.text, coalesce(new.author, ''));
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN
            INSERT INTO mentions_fts (mentions_fts, rowid, title, text, author)
            VALUES ('delete', old.id, old.title, old.text, coalesce(old.author, ''));
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER mentions_fts_update AFTER UPDATE OF title, text, author ON mentions BEGIN
            INSERT INTO mentions_fts (mentions_fts, rowid, title, text, author)
            VALUES ('delete', old.id, old.title, old.text, coalesce(old.author, ''));
            INSERT INTO mentions_fts (rowid, title, text, author)
            VALUES (new.id, new.title, new.text, coalesce(new.author, ''));
        END
        """
    )
    db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild')")


def add_period_index(db: sqlite3.Connection) -> None:
    """`stats --since`, `advocates` and the digest's trend read the mentions of a period:
    an index on `created_at` makes that a range, not a read of every mention ever stored."""
    db.execute("CREATE INDEX mentions_created ON mentions (created_at)")


def add_inbox_rank(db: sqlite3.Connection) -> None:
    """The inbox's order, readable from an index.

    A post's priority stops growing once it has waited twice the SLA; from then on it depends
    only on its own columns. `inbox_rank` is that saturated score, a virtual column computed
    by SQLite (so a rescore or a person's label moves it with no code to remember), from
    `reach_score`, the log-scaled reach the store writes with `reach` (SQLite has no portable
    log10). The index lets `inbox --limit 50` read the 50 most urgent old posts directly,
    whatever the number of open mentions.
    """
    from mentionwatch.classify.priority import reach_factor, saturated_rank_sql

    db.execute("ALTER TABLE mentions ADD COLUMN reach_score REAL NOT NULL DEFAULT 0")
    db.create_function("mw_reach_factor", 1, reach_factor, deterministic=True)
    db.execute("UPDATE mentions SET reach_score = mw_reach_factor(reach) WHERE reach > 0")
    rank = saturated_rank_sql("compound", "human_label", "question", "reach_score")
    db.execute(f"ALTER TABLE mentions ADD COLUMN inbox_rank REAL GENERATED ALWAYS AS ({rank})")
    db.execute(
        "CREATE INDEX mentions_rank ON mentions (status, coalesce(spam_mark, spam),"
        " inbox_rank DESC, created_at, coalesce(human_label, label), question)"
    )


def index_new_mentions_per_transaction(db: sqlite3.Connection) -> None:
    """New mentions reach the search index in one statement per transaction
    (`Store._index_for_search`), not by a trigger per row: FTS5 flushes its buffer at each
    trigger's savepoint, which made every insert about five times slower."""
    db.execute("DROP TRIGGER mentions_fts_insert")


def index_only_questions_and_assigned_mentions(db: sqlite3.Connection) -> None:
    """The questions index holds only questions, the assignee index only assigned mentions.

    Both served views of a few rows (`inbox --questions`, `inbox --assignee WHO`) but had an
    entry for every mention, each at a random place of its B-tree (ordered by `created_at`
    within a status), which every insert paid for: about a quarter of what storing a short
    post costs on a 50,000-row database. A partial index is used by a query whose WHERE says
    `question = 1` or `assignee = ?`; `inbox --unassigned` (most open mentions) reads the
    inbox's own indexes instead."""
    db.execute("DROP INDEX IF EXISTS mentions_questions")
    db.execute(
        "CREATE INDEX mentions_questions ON mentions"
        " (status, coalesce(spam_mark, spam), created_at) WHERE question = 1"
    )
    db.execute("DROP INDEX IF EXISTS mentions_status_assignee")
    db.execute(
        "CREATE INDEX mentions_status_assignee ON mentions (status, assignee, created_at)"
        " WHERE assignee IS NOT NULL"
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    create_mentions,
    create_source_state,
    create_scan_history,
    add_threads_and_replies,
    add_source_health,
    add_canonical_url,
    add_triage,
    add_digests,
    add_alerts,
    add_workflow,
    add_search_index,
    add_period_index,
    add_inbox_rank,
    index_new_mentions_per_transaction,
    index_only_questions_and_assigned_mentions,
]


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to date. Safe to run on every open, and by two processes at once."""
    if schema_version(db) > len(MIGRATIONS):
        from mentionwatch.errors import MentionwatchError

        raise MentionwatchError(
            f"this database was written by a newer mentionwatch (schema {schema_version(db)});"
            " upgrade mentionwatch to use it"
        )
    while schema_version(db) < len(MIGRATIONS):
        db.execute("BEGIN IMMEDIATE")
        try:
            version = schema_version(db)  # re-read under the write lock
            if version < len(MIGRATIONS):
                MIGRATIONS[version](db)
                db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
