"""`Store`: every query mentionwatch runs, by name. No SQL lives outside `store/`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType

from mentionwatch.classify.priority import reach_factor
from mentionwatch.models import (
    Advocate,
    Classification,
    Mention,
    MentionStatus,
    OpenFilter,
    Reply,
    ScanReport,
    ScoredMention,
    SearchResult,
    SentimentLabel,
    SourceOutcome,
    SourceReport,
    SourceState,
    StatsRow,
    StoredMention,
)
from mentionwatch.store.archive import ArchiveQueries
from mentionwatch.store.db import connect, from_db_time, to_db_time
from mentionwatch.store.rows import (
    EFFECTIVE_LABEL,
    EFFECTIVE_SPAM,
    MENTION_COLUMNS,
    hits_json,
    row_to_mention,
    signals_json,
)
from mentionwatch.store.workflow import WorkflowQueries
from mentionwatch.text import canonical_url

#: How `period_stats` groups a period: chosen from this table, never from user text.
_STATS_GROUPS: dict[str | None, str] = {
    None: "''",
    "source": "source",
    "responder": "responder",
    "day": "day",
}
_STATS_FIELDS = [name for name in StatsRow.__dataclass_fields__ if name != "key"]


#: Values per `IN (...)` list: far below SQLite's limit on a statement's variables.
_IN_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


class _StoredIds:
    """Under which id each post of one poll is stored: its own, or, for a post republished
    under a new id (a feed that changed its GUIDs), the id of the same post (same link, same
    title) stored first. Two different posts that merely share a link stay apart.

    Read in two queries for the whole poll instead of two per post: a first scan or a
    backfill stores thousands of posts, and the lookups one by one cost about as much as
    the inserts. `save_poll` reports what it writes (`inserted`, `changed`), so each post
    gets the answer the lookups one by one gave, even when a poll repeats a post."""

    def __init__(
        self, db: sqlite3.Connection, mentions: Sequence[Mention], canonicals: Sequence[str | None]
    ) -> None:
        self.db = db
        self.known: set[tuple[str, str]] = set()
        for source in {mention.source for mention in mentions}:
            ids = [mention.native_id for mention in mentions if mention.source == source]
            for chunk in _chunks(ids):
                rows = db.execute(
                    "SELECT native_id FROM mentions WHERE source = ?"
                    f" AND native_id IN ({', '.join('?' * len(chunk))})",
                    (source, *chunk),
                )
                self.known.update((source, native_id) for (native_id,) in rows)
        # (source, canonical link, title) -> the native id of the first post stored with
        # them, for the posts not stored under their own id. None once a row was rewritten
        # in this poll (its title may have changed): then each post is looked up alone.
        self.first_with_link: dict[tuple[str, str, str], str] | None = {}
        unknown: dict[str, set[str]] = {}
        for mention, canonical in zip(mentions, canonicals, strict=True):
            if canonical is not None and (mention.source, mention.native_id) not in self.known:
                unknown.setdefault(mention.source, set()).add(canonical)
        for source, links in unknown.items():
            for chunk in _chunks(sorted(links)):
                rows = db.execute(
                    "SELECT canonical_url, title, native_id FROM mentions WHERE source = ?"
                    f" AND canonical_url IN ({', '.join('?' * len(chunk))}) ORDER BY id",
                    (source, *chunk),
                )
                for link, title, native_id in rows:
                    self.first_with_link.setdefault((source, link, title), native_id)

    def native_id_of(self, mention: Mention, canonical: str | None) -> str:
        if (mention.source, mention.native_id) in self.known or canonical is None:
            return mention.native_id
        if self.first_with_link is None:
            row = self.db.execute(
                "SELECT native_id FROM mentions"
                " WHERE source = ? AND canonical_url = ? AND title = ? ORDER BY id LIMIT 1",
                (mention.source, canonical, mention.title),
            ).fetchone()
            return str(row[0]) if row else mention.native_id
        return self.first_with_link.get(
            (mention.source, canonical, mention.title), mention.native_id
        )

    def inserted(self, mention: Mention, canonical: str | None) -> None:
        """`mention` was just stored under its own id (the newest row, so never the first
        with its link if one was stored before)."""
        self.known.add((mention.source, mention.native_id))
        if canonical is not None and self.first_with_link is not None:
            self.first_with_link.setdefault(
                (mention.source, canonical, mention.title), mention.native_id
            )

    def changed(self) -> None:
        """A stored row was rewritten: its title may differ now, so the links read before
        no longer say which post is stored first under a link and title."""
        self.first_with_link = None


#: Every open mention: `OpenFilter` with nothing to filter on.
EVERY_OPEN = OpenFilter()


def _open_table(chosen: OpenFilter, *, by_rank: bool = False) -> str:
    """What the open mentions are read from. One person's open mentions are a range of
    `mentions_status_assignee` (which holds only assigned mentions), which the planner would
    pass over for the label index. Read `by_rank` (most urgent first, up to a limit), a view
    of the whole inbox comes from the rank index, already in that order: left to itself,
    SQLite reads every match from the label index and sorts them (5,000 rows, 13 ms, on a
    million mentions); nobody's open mentions are most of them, read the same way. A few
    sources' or days' mentions are fewer: there the planner's choice is the better one."""
    if chosen.assignee is not None:
        return "mentions INDEXED BY mentions_status_assignee"
    if by_rank and not chosen.sources and chosen.since is None:
        return "mentions INDEXED BY mentions_rank"
    return "mentions"


def _open_filter(chosen: OpenFilter) -> tuple[list[str], list[object]]:
    """The WHERE terms of one view of the open mentions, and their parameters."""
    where = ["status = ?"]
    params: list[object] = [MentionStatus.OPEN.value]
    if chosen.questions:
        where.append("question = 1")
    if chosen.labels is not None:
        where.append(f"{EFFECTIVE_LABEL} IN ({', '.join('?' for _ in chosen.labels)})")
        params.extend(label.value for label in chosen.labels)
    if chosen.assignee is not None:
        where.append("assignee = ?")  # the column's NOCASE collation: any case matches
        params.append(chosen.assignee)
    elif chosen.unassigned:
        where.append("assignee IS NULL")
    if chosen.spam is not None:
        where.append(f"{EFFECTIVE_SPAM} = ?")
        params.append(int(chosen.spam))
    if chosen.sources:
        where.append(f"source IN ({', '.join('?' for _ in chosen.sources)})")
        params.extend(chosen.sources)
    if chosen.since is not None:
        where.append("created_at >= ?")
        params.append(to_db_time(chosen.since))
    return where, params


#: One stored mention as `rescore` reads it: id, title, text, the eight stored verdict columns
#: in `verdict_columns` order (spam signals and explanation as JSON), updated_at.
RescoreRow = tuple[object, ...]


#: Positions in `verdict_columns` of the columns an index reads: compound (through the
#: generated `inbox_rank`), label, question and spam. A new verdict that changes none of them
#: (only its snippet, explanation or VADER's score) is written without touching an index
#: (`Store.save_rescored`): SQLite updates only the indexes that read a column it sets.
INDEXED_VERDICT_COLUMNS = (0, 1, 4, 5)


def verdict_columns(verdict: Classification) -> tuple[object, ...]:
    """compound, label, snippet, vader_compound, question, spam, spam_signals, explanation."""
    return (
        verdict.compound,
        verdict.label.value,
        verdict.snippet,
        verdict.vader_compound,
        int(verdict.question),
        int(verdict.spam),
        signals_json(verdict.spam_signals),
        hits_json(verdict.hits),
    )


def unindexed_columns(columns: tuple[object, ...]) -> tuple[object, ...]:
    """Of a verdict's columns (`verdict_columns` order), the ones no index reads (snippet,
    vader_compound, spam_signals, explanation), as `Store.save_rescored` writes a reworded
    verdict."""
    return tuple(value for at, value in enumerate(columns) if at not in INDEXED_VERDICT_COLUMNS)


class Store(WorkflowQueries, ArchiveQueries):
    """The database. Open with `Store.open(path)`; use as a context manager to close it.

    The team's workflow (assignments, notes, status history) lives in `store/workflow.py`,
    search, export and pruning in `store/archive.py`; this file holds the rest."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Store:
        return cls(connect(path), path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything in the block is committed together, or nothing.

        Inside another transaction (a scan storing several polls in one commit) the block is a
        savepoint of it: still all or nothing, committed with the outer transaction."""
        if self.db.in_transaction:
            with self._savepoint():
                yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self.db.execute("SAVEPOINT nested")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK TO nested")
            self.db.execute("RELEASE nested")
            raise
        self.db.execute("RELEASE nested")

    # --- writing what a scan found --------------------------------------------------------

    def save_poll(
        self,
        state: SourceState,
        result: SearchResult,
        scored: Sequence[ScoredMention],
        fetched_at: datetime,
        *,
        next_check_at: datetime | None = None,
        moved_to: str | None = None,
    ) -> tuple[int, int]:
        """Store one source's poll in one transaction; returns (new, updated).

        The source's cursor and cache validators are written in the same transaction as its
        mentions, so they can never run ahead of what was actually stored.
        """
        new = updated = 0
        fetched = to_db_time(fetched_at)
        with self.transaction() as db:
            indexed_through = self.last_mention_id()
            inserted_unindexed = False
            canonicals = [
                canonical_url(item.mention.url) if item.mention.url else None for item in scored
            ]
            stored = _StoredIds(db, [item.mention for item in scored], canonicals)
            for item, canonical in zip(scored, canonicals, strict=True):
                stored_as = stored.native_id_of(item.mention, canonical)
                if stored_as == item.mention.native_id and self._insert_mention(
                    db, item, fetched, canonical
                ):
                    stored.inserted(item.mention, canonical)
                    inserted_unindexed = True
                    new += 1
                    continue
                if inserted_unindexed:
                    # An update's trigger takes the row's old words out of the full-text
                    # index, so a row this poll inserted (a post the poll lists twice) must be
                    # in it first: FTS5 refuses to delete words it never indexed.
                    self._index_for_search(db, after_id=indexed_through)
                    indexed_through, inserted_unindexed = self.last_mention_id(), False
                mention = (
                    item.mention
                    if stored_as == item.mention.native_id
                    else replace(item.mention, native_id=stored_as)
                )
                if self._update_mention(db, mention, item.verdict, fetched, canonical):
                    stored.changed()
                    updated += 1
            if inserted_unindexed:
                self._index_for_search(db, after_id=indexed_through)
            cursor = result.cursor if result.cursor is not None else state.cursor
            self._upsert_state(db, state.name, state.kind)
            db.execute(
                """
                UPDATE source_state
                   SET cursor = ?, etag = ?, last_modified = ?, last_attempt_at = ?,
                       last_success_at = ?, last_error = NULL, consecutive_errors = 0,
                       next_check_at = ?, moved_to = coalesce(?, moved_to),
                       first_success_at = coalesce(first_success_at, ?),
                       last_new_at = CASE WHEN ? > 0 THEN ? ELSE last_new_at END
                 WHERE name = ?
                """,
                (
                    cursor,
                    result.etag,
                    result.last_modified,
                    fetched,
                    fetched,
                    to_db_time(next_check_at) if next_check_at else None,
                    moved_to,
                    fetched,
                    new,
                    fetched,
                    state.name,
                ),
            )
        return new, updated

    @staticmethod
    def _index_for_search(db: sqlite3.Connection, after_id: int) -> None:
        """Add the mentions inserted after `after_id` to the full-text index, in one
        statement. (A trigger per row would do it too, but FTS5 flushes its buffer at every
        trigger's savepoint: that made each insert about five times slower.) Updates and
        deletes, which are rare, keep their triggers (`migrations.add_search_index`)."""
        db.execute(
            "INSERT INTO mentions_fts (rowid, title, text, author)"
            " SELECT id, title, text, coalesce(author, '') FROM mentions WHERE id > ?",
            (after_id,),
        )

    def _insert_mention(
        self, db: sqlite3.Connection, item: ScoredMention, fetched: str, canonical: str | None
    ) -> bool:
        mention, verdict = item.mention, item.verdict
        created = to_db_time(mention.created_at) if mention.created_at else fetched
        status = MentionStatus.OWN if item.own else MentionStatus.OPEN
        cursor = db.execute(
            """
            INSERT OR IGNORE INTO mentions
                (source, kind, native_id, url, author, title, text, created_at, fetched_at,
                 matched_term, status, reach, reach_score, thread_ref, canonical_url,
                 compound, label, snippet, vader_compound, question, spam, spam_signals,
                 explanation)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                mention.source,
                mention.kind,
                mention.native_id,
                mention.url,
                mention.author,
                mention.title,
                mention.text,
                created,
                fetched,
                mention.matched_term,
                status.value,
                mention.reach,
                reach_factor(mention.reach),
                mention.thread_ref,
                canonical,
                *verdict_columns(verdict),
            ),
        )
        return cursor.rowcount == 1

    def _update_mention(
        self,
        db: sqlite3.Connection,
        mention: Mention,
        verdict: Classification,
        fetched: str,
        canonical: str | None,
    ) -> bool:
        # Only the post's content and scores change on a re-scan; its status, and a person's
        # marks on it (spam_mark, human_label, answered / ignored), are the team's and are
        # never touched here.
        cursor = db.execute(
            """
            UPDATE mentions
               SET url = ?, author = ?, title = ?, text = ?, matched_term = ?,
                   updated_at = ?, canonical_url = ?,
                   compound = ?, label = ?, snippet = ?, vader_compound = ?, question = ?,
                   spam = ?, spam_signals = ?, explanation = ?
             WHERE source = ? AND native_id = ?
               AND (url IS NOT ? OR author IS NOT ? OR title IS NOT ? OR text IS NOT ?)
            """,
            (
                mention.url,
                mention.author,
                mention.title,
                mention.text,
                mention.matched_term,
                fetched,
                canonical,
                *verdict_columns(verdict),
                mention.source,
                mention.native_id,
                mention.url,
                mention.author,
                mention.title,
                mention.text,
            ),
        )
        if cursor.rowcount == 0 and verdict.spam:
            # A post seen again unchanged keeps its stored verdict, except that it can turn
            # out to be spam: its copies from other accounts may have arrived in this poll.
            # Spam is never withdrawn here; `rescore` re-judges everything.
            db.execute(
                "UPDATE mentions SET spam = 1, question = 0, spam_signals = ?"
                " WHERE source = ? AND native_id = ? AND spam = 0",
                (json.dumps(list(verdict.spam_signals)), mention.source, mention.native_id),
            )
        # Reach (points, followers) moves on every poll: keep it current without counting
        # the post as updated.
        db.execute(
            "UPDATE mentions SET reach = ?, reach_score = ?, thread_ref = coalesce(?, thread_ref)"
            " WHERE source = ? AND native_id = ? AND (reach IS NOT ? OR thread_ref IS NOT ?)",
            (
                mention.reach,
                reach_factor(mention.reach),
                mention.thread_ref,
                mention.source,
                mention.native_id,
                mention.reach,
                mention.thread_ref,
            ),
        )
        return cursor.rowcount == 1

    @staticmethod
    def _upsert_state(db: sqlite3.Connection, name: str, kind: str) -> None:
        db.execute(
            "INSERT INTO source_state (name, kind) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET kind = excluded.kind",
            (name, kind),
        )

    def record_failure(
        self,
        name: str,
        kind: str,
        error: str,
        at: datetime,
        *,
        next_check_at: datetime | None = None,
        pause_after: int = 0,
        pause_now: str | None = None,
    ) -> SourceState:
        """Count a failed poll; pause the source after `pause_after` failures in a row (0:
        never), or at once with `pause_now` (the reason). Nothing the source stored before is
        touched. Returns the state as it now stands."""
        when = to_db_time(at)
        with self.transaction() as db:
            self._upsert_state(db, name, kind)
            db.execute(
                """
                UPDATE source_state
                   SET last_attempt_at = ?, last_error = ?, next_check_at = ?,
                       consecutive_errors = consecutive_errors + 1
                 WHERE name = ?
                """,
                (when, error, to_db_time(next_check_at) if next_check_at else None, name),
            )
            errors = db.execute(
                "SELECT consecutive_errors FROM source_state WHERE name = ?", (name,)
            ).fetchone()[0]
            if pause_now is None and pause_after and errors >= pause_after:
                pause_now = f"paused after {errors} failures in a row"
            if pause_now is not None:
                db.execute(
                    "UPDATE source_state SET paused_at = coalesce(paused_at, ?),"
                    " paused_reason = ? WHERE name = ?",
                    (when, pause_now, name),
                )
        return self.source_state(name, kind)

    def resume_source(self, name: str, at: datetime | None = None) -> bool:
        """Un-pause a source and make it due at once (at `at`, by default now, whatever its
        interval). False if no source has that name."""
        from datetime import timezone

        due = to_db_time(at or datetime.now(timezone.utc))
        with self.transaction() as db:
            cursor = db.execute(
                """
                UPDATE source_state
                   SET paused_at = NULL, paused_reason = NULL, consecutive_errors = 0,
                       next_check_at = ?
                 WHERE name = ?
                """,
                (due, name),
            )
        return cursor.rowcount == 1

    def record_scan(self, report: ScanReport) -> int:
        with self.transaction() as db:
            run_id = db.execute(
                "INSERT INTO scan_runs (started_at, finished_at) VALUES (?, ?)",
                (to_db_time(report.started_at), to_db_time(report.finished_at)),
            ).lastrowid
            db.executemany(
                """
                INSERT INTO source_runs (run_id, source, outcome, http_status, items_seen,
                                         relevant, new, updated, error, duration_s)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    (
                        run_id,
                        s.name,
                        s.outcome.value,
                        s.http_status,
                        s.items_seen,
                        s.relevant,
                        s.new,
                        s.updated,
                        s.error,
                        s.duration_s,
                    )
                    for s in report.sources
                ],
            )
        assert run_id is not None
        return run_id

    # --- reading sources ------------------------------------------------------------------

    def source_state(self, name: str, kind: str) -> SourceState:
        """The stored state of one source; a fresh one if it has never been polled."""
        row = self.db.execute("SELECT * FROM source_state WHERE name = ?", (name,)).fetchone()
        if row is None:
            return SourceState(name=name, kind=kind)
        return self._row_to_state(row, mentions_stored=0)

    def source_states(self) -> list[SourceState]:
        """Every source ever polled, with how many mentions each has stored."""
        rows = self.db.execute(
            """
            SELECT s.*, (SELECT count(*) FROM mentions m WHERE m.source = s.name) AS stored
              FROM source_state s ORDER BY s.name
            """
        ).fetchall()
        return [self._row_to_state(row, mentions_stored=row["stored"]) for row in rows]

    @staticmethod
    def _row_to_state(row: sqlite3.Row, mentions_stored: int) -> SourceState:
        return SourceState(
            name=row["name"],
            kind=row["kind"],
            cursor=row["cursor"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            last_attempt_at=from_db_time(row["last_attempt_at"]),
            last_success_at=from_db_time(row["last_success_at"]),
            last_error=row["last_error"],
            consecutive_errors=row["consecutive_errors"],
            next_check_at=from_db_time(row["next_check_at"]),
            mentions_stored=mentions_stored,
            paused_at=from_db_time(row["paused_at"]),
            paused_reason=row["paused_reason"],
            moved_to=row["moved_to"],
            last_new_at=from_db_time(row["last_new_at"]),
            first_success_at=from_db_time(row["first_success_at"]),
        )

    def recent_outcomes(self, per_source: int = 8) -> dict[str, list[SourceOutcome]]:
        """Each source's last `per_source` poll outcomes, oldest first: its recent history.

        Read per source from the end of its index range, so the cost does not grow with the
        years of scan history kept."""
        rows = self.db.execute(
            """
            SELECT r.source, r.outcome
              FROM source_state s JOIN source_runs r
                ON r.rowid IN (SELECT rowid FROM source_runs WHERE source = s.name
                                ORDER BY run_id DESC LIMIT ?)
             ORDER BY r.source, r.run_id
            """,
            (per_source,),
        ).fetchall()
        history: dict[str, list[SourceOutcome]] = {}
        for row in rows:
            history.setdefault(row["source"], []).append(SourceOutcome(row["outcome"]))
        return history

    def last_source_reports(self) -> dict[str, SourceReport]:
        """How each source fared in the most recent scan that polled it, by source name."""
        rows = self.db.execute(
            """
            SELECT r.*, s.kind
              FROM source_runs r JOIN source_state s ON s.name = r.source
             WHERE r.run_id = (SELECT max(run_id) FROM source_runs WHERE source = r.source)
            """
        ).fetchall()
        return {
            row["source"]: SourceReport(
                name=row["source"],
                kind=row["kind"],
                outcome=SourceOutcome(row["outcome"]),
                http_status=row["http_status"],
                items_seen=row["items_seen"],
                relevant=row["relevant"],
                new=row["new"],
                updated=row["updated"],
                error=row["error"],
                duration_s=row["duration_s"],
            )
            for row in rows
        }

    # --- reading mentions -----------------------------------------------------------------

    def mention(self, mention_id: int) -> StoredMention | None:
        row = self.db.execute(
            f"SELECT {MENTION_COLUMNS} FROM mentions WHERE id = ?", (mention_id,)
        ).fetchone()
        return row_to_mention(row) if row else None

    def open_mentions(self, chosen: OpenFilter = EVERY_OPEN) -> list[StoredMention]:
        """Open mentions (not answered, ignored or the brand's own), oldest first; `chosen`
        says which (all of them by default)."""
        where, params = _open_filter(chosen)
        rows = self.db.execute(
            f"SELECT {MENTION_COLUMNS} FROM {_open_table(chosen)}"
            f" WHERE {' AND '.join(where)} ORDER BY created_at",
            params,
        ).fetchall()
        return [row_to_mention(row) for row in rows]

    def most_urgent_waited_out(
        self, chosen: OpenFilter, saturated_before: datetime, limit: int | None
    ) -> list[StoredMention]:
        """The `limit` most urgent open mentions posted before `saturated_before` (whose
        priority no longer grows with time), by `inbox_rank`, then oldest first. Read in
        index order, so the cost does not grow with the number of open mentions."""
        where, params = _open_filter(chosen)
        where.append("created_at < ?")
        params.append(to_db_time(saturated_before))
        params.append(-1 if limit is None else limit)
        rows = self.db.execute(
            f"SELECT {MENTION_COLUMNS} FROM {_open_table(chosen, by_rank=True)}"
            f" WHERE {' AND '.join(where)} ORDER BY inbox_rank DESC, created_at, id LIMIT ?",
            params,
        ).fetchall()
        return [row_to_mention(row) for row in rows]

    def count_open(self, chosen: OpenFilter, *, posted_before: datetime | None = None) -> int:
        """How many open mentions `chosen` holds (and, with `posted_before`, how many of them
        are older than that: past the SLA)."""
        where, params = _open_filter(chosen)
        if posted_before is not None:
            where.append("created_at < ?")
            params.append(to_db_time(posted_before))
        row = self.db.execute(
            f"SELECT count(*) FROM {_open_table(chosen)} WHERE {' AND '.join(where)}", params
        ).fetchone()
        return int(row[0])

    def human_labelled(self) -> list[tuple[int, str, str, SentimentLabel]]:
        """Every mention a person labelled: (id, title, text, the person's label)."""
        rows = self.db.execute(
            "SELECT id, title, text, human_label FROM mentions"
            " WHERE human_label IS NOT NULL ORDER BY id"
        ).fetchall()
        return [(row[0], row[1], row[2], SentimentLabel(row[3])) for row in rows]

    def answered_mentions(self, *, limit: int = 20) -> list[StoredMention]:
        """Answered mentions, most recently answered first."""
        rows = self.db.execute(
            f"SELECT {MENTION_COLUMNS} FROM mentions WHERE status = 'answered'"
            " ORDER BY answered_at DESC, id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [row_to_mention(row) for row in rows]

    def count_mentions(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM mentions").fetchone()[0])

    # --- the digest ------------------------------------------------------------------------

    def last_digest(self) -> tuple[datetime, int] | None:
        """When the last accepted digest was sent, and the last mention id it covered."""
        row = self.db.execute(
            "SELECT sent_at, through_mention_id FROM digests ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return from_db_time(row[0]), int(row[1])  # type: ignore[return-value]

    def record_digest(self, sent_at: datetime, through_mention_id: int, recipients: str) -> None:
        """Advance the watermark: call only once the SMTP server accepted the message."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO digests (sent_at, through_mention_id, recipients) VALUES (?, ?, ?)",
                (to_db_time(sent_at), through_mention_id, recipients),
            )

    def last_mention_id(self) -> int:
        return int(self.db.execute("SELECT coalesce(max(id), 0) FROM mentions").fetchone()[0])

    def new_mention_counts(
        self, *, after_id: int, through_id: int, fetched_since: datetime | None = None
    ) -> list[tuple[str, SentimentLabel, bool, int]]:
        """Mentions stored after `after_id` up to `through_id` (and, if given, fetched since
        `fetched_since`), not the brand's own: (source, effective label, effective spam, count).
        """
        sql = (
            f"SELECT source, {EFFECTIVE_LABEL}, {EFFECTIVE_SPAM}, count(*) FROM mentions"
            " WHERE id > ? AND id <= ? AND status != 'own'"
        )
        params: list[object] = [after_id, through_id]
        if fetched_since is not None:
            sql += " AND fetched_at >= ?"
            params.append(to_db_time(fetched_since))
        rows = self.db.execute(sql + " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", params).fetchall()
        return [(row[0], SentimentLabel(row[1]), bool(row[2]), int(row[3])) for row in rows]

    def answered_since(self, since: datetime) -> list[StoredMention]:
        """Mentions answered at or after `since`, not spam, first answered first."""
        rows = self.db.execute(
            f"SELECT {MENTION_COLUMNS} FROM mentions"
            f" WHERE status = 'answered' AND answered_at >= ? AND {EFFECTIVE_SPAM} = 0"
            " ORDER BY answered_at, id",
            (to_db_time(since),),
        ).fetchall()
        return [row_to_mention(row) for row in rows]

    def sentiment_by_day(self, since: datetime) -> list[tuple[str, SentimentLabel, int]]:
        """Mentions posted since `since` per UTC day (YYYY-MM-DD) and effective label; not spam,
        not the brand's own."""
        rows = self.db.execute(
            f"SELECT substr(created_at, 1, 10), {EFFECTIVE_LABEL}, count(*) FROM mentions"
            f" WHERE created_at >= ? AND status != 'own' AND {EFFECTIVE_SPAM} = 0"
            " GROUP BY 1, 2 ORDER BY 1, 2",
            (to_db_time(since),),
        ).fetchall()
        return [(row[0], SentimentLabel(row[1]), int(row[2])) for row in rows]

    # --- stats and advocates ---------------------------------------------------------------

    def period_stats(
        self, start: datetime, end: datetime, *, sla_s: int, groupings: Sequence[str | None]
    ) -> dict[str | None, list[StatsRow]]:
        """`mentionwatch stats`: mentions posted in [start, end], not the brand's own, counted
        per group, for each of `groupings` (None for the whole period, "source", "responder"
        or "day"), every figure computed here: counts by effective label and spam, response
        rates, the median (mean of the middle one or two) and nearest-rank 90th percentile of
        `first_response_s`, and SLA breaches. A rate whose denominator is 0 is NULL.

        The period's rows are read once, into a temporary table that each grouping reads,
        with what each row counts towards worked out there (1 or 0): evaluating those
        conditions per row and per grouping, and looking the rows up through the
        `created_at` index per grouping, was most of the command's time."""
        needs_answer = "kept AND status = 'open' AND (lbl = 'negative' OR question = 1)"
        self.db.execute("DROP TABLE IF EXISTS temp.stats_period")
        self.db.execute(
            f"""
            CREATE TEMP TABLE stats_period AS
            WITH period AS (
                SELECT source, coalesce(answered_by, '') AS responder,
                       substr(created_at, 1, 10) AS day, {EFFECTIVE_SPAM} != 0 AS spam,
                       {EFFECTIVE_SPAM} = 0 AS kept, {EFFECTIVE_LABEL} AS lbl, question,
                       status, first_response_s, created_at
                  FROM mentions
                 WHERE status != 'own' AND created_at >= :start AND created_at <= :end
            )
            SELECT source, responder, day, spam, kept,
                   kept AND lbl = 'negative' AS negative,
                   kept AND lbl = 'neutral' AS neutral,
                   kept AND lbl = 'positive' AS positive,
                   kept AND lbl = 'negative' AND status = 'answered' AS negative_answered,
                   kept AND question = 1 AS questions,
                   kept AND question = 1 AND status = 'answered' AS questions_answered,
                   kept AND status = 'answered' AS answered,
                   {needs_answer} AS open_needing_answer,
                   CASE WHEN {needs_answer} THEN created_at END AS open_since,
                   CASE WHEN kept AND status = 'answered' THEN first_response_s END
                       AS response_s
              FROM period
            """,
            {"start": to_db_time(start), "end": to_db_time(end)},
        )
        try:
            return {by: self._stats_of_period(by, end, sla_s) for by in groupings}
        finally:
            self.db.execute("DROP TABLE temp.stats_period")

    def _stats_of_period(self, by: str | None, end: datetime, sla_s: int) -> list[StatsRow]:
        """One grouping of `temp.stats_period` (see `period_stats`)."""
        group = _STATS_GROUPS[by]
        order = {
            None: "c.grp",
            "source": "c.mentions DESC, c.grp",
            "responder": "c.answered DESC, c.grp",
            "day": "c.grp",
        }[by]
        having = "WHERE c.answered > 0" if by == "responder" else ""
        rows = self.db.execute(
            f"""
            WITH counts AS (
                SELECT {group} AS grp, sum(spam) AS spam, sum(kept) AS mentions,
                       sum(negative) AS negative, sum(neutral) AS neutral,
                       sum(positive) AS positive, sum(negative_answered) AS negative_answered,
                       sum(questions) AS questions, sum(questions_answered) AS questions_answered,
                       sum(answered) AS answered, sum(open_needing_answer) AS open_needing_answer,
                       sum(open_since IS NOT NULL AND open_since < :deadline) AS open_past_sla
                  FROM temp.stats_period GROUP BY grp
            ),
            ranked AS (
                SELECT {group} AS grp, response_s AS s,
                       row_number() OVER (PARTITION BY {group} ORDER BY response_s) AS k,
                       count(*) OVER (PARTITION BY {group}) AS n
                  FROM temp.stats_period
                 WHERE response_s IS NOT NULL
            ),
            times AS (
                SELECT grp, max(n) AS timed,
                       avg(CASE WHEN k IN ((n + 1) / 2, (n + 2) / 2) THEN s END) AS median_s,
                       max(CASE WHEN k = (9 * n + 9) / 10 THEN s END) AS p90_s,
                       sum(s > :sla) AS late
                  FROM ranked GROUP BY grp
            )
            SELECT c.*, coalesce(t.timed, 0) AS timed, t.median_s AS median_response_s,
                   t.p90_s AS p90_response_s,
                   coalesce(t.late, 0) AS answered_late,
                   CASE WHEN c.mentions > 0 THEN 100.0 * c.negative / c.mentions END
                       AS share_negative,
                   CASE WHEN c.negative > 0 THEN 100.0 * c.negative_answered / c.negative END
                       AS negative_response_rate,
                   CASE WHEN c.questions > 0
                        THEN 100.0 * c.questions_answered / c.questions END
                       AS question_response_rate,
                   CASE WHEN t.timed > 0 THEN 100.0 * t.late / t.timed END AS late_rate,
                   CASE WHEN c.open_needing_answer > 0
                        THEN 100.0 * c.open_past_sla / c.open_needing_answer END
                       AS open_past_sla_rate
              FROM counts c LEFT JOIN times t ON t.grp = c.grp
              {having}
             ORDER BY {order}
            """,
            {"deadline": to_db_time(end - timedelta(seconds=sla_s)), "sla": sla_s},
        ).fetchall()
        return [
            StatsRow(
                key=row["grp"],
                **{name: row[name] for name in _STATS_FIELDS},
            )
            for row in rows
        ]

    def advocates(
        self, since: datetime, *, min_posts: int = 2, limit: int | None = None
    ) -> list[Advocate]:
        """Authors with at least `min_posts` positive posts (effective label) since `since`,
        not spam, not the brand's own, per platform kind and handle: their post count, largest
        reach and latest post. Most posts first, then most reach, then most recent."""
        rows = self.db.execute(
            f"""
            WITH praise AS (
                SELECT id, kind, source, author, reach, snippet, title, url, created_at,
                       row_number() OVER (PARTITION BY kind, author
                                          ORDER BY created_at DESC, id DESC) AS k,
                       count(*) OVER (PARTITION BY kind, author) AS posts,
                       max(reach) OVER (PARTITION BY kind, author) AS top_reach
                  FROM mentions
                 WHERE status != 'own' AND {EFFECTIVE_SPAM} = 0
                   AND {EFFECTIVE_LABEL} = 'positive'
                   AND author IS NOT NULL AND author != '' AND created_at >= ?
            )
            SELECT * FROM praise WHERE k = 1 AND posts >= ?
             ORDER BY posts DESC, coalesce(top_reach, -1) DESC, created_at DESC, author
             LIMIT ?
            """,
            (to_db_time(since), min_posts, -1 if limit is None else limit),
        ).fetchall()
        return [
            Advocate(
                author=row["author"],
                kind=row["kind"],
                posts=row["posts"],
                reach=row["top_reach"],
                latest_id=row["id"],
                latest_at=from_db_time(row["created_at"]),  # type: ignore[arg-type]
                latest_snippet=row["snippet"] or row["title"],
                latest_url=row["url"],
                latest_source=row["source"],
            )
            for row in rows
        ]

    # --- the team's marks ----------------------------------------------------------------

    def set_status(
        self, mention_id: int, status: MentionStatus, *, by: str | None, at: datetime
    ) -> StoredMention | None:
        """Mark a mention by hand. Returns the updated mention, or None if the id is unknown.

        `by` is who makes the mark (for an answer, who answered); a change of status is kept
        in the mention's history under that name.
        A manual mark always wins: the thread check only ever answers mentions that are open.
        Reopening clears every mark, and from then on only brand replies newer than the
        reopening count (the reply that was judged not enough does not close it again).
        """
        when = to_db_time(at)
        with self.transaction() as db:
            before = self.status_before(db, mention_id)
            if status is MentionStatus.OPEN:
                cursor = db.execute(
                    """
                    UPDATE mentions
                       SET status = 'open', status_changed_at = ?, reopened_at = ?,
                           marked_by = NULL, answered_at = NULL, answered_by = NULL,
                           answered_url = NULL, first_response_s = NULL
                     WHERE id = ? AND status != 'own'
                    """,
                    (when, when, mention_id),
                )
            elif status is MentionStatus.ANSWERED:
                cursor = db.execute(
                    """
                    UPDATE mentions
                       SET status = 'answered', status_changed_at = ?, marked_by = 'manual',
                           answered_at = ?, answered_by = ?, answered_url = NULL,
                           first_response_s = max(0, CAST(round(
                               (julianday(?) - julianday(created_at)) * 86400) AS INTEGER))
                     WHERE id = ?
                    """,
                    (when, when, by, when, mention_id),
                )
            else:
                cursor = db.execute(
                    """
                    UPDATE mentions
                       SET status = ?, status_changed_at = ?, marked_by = 'manual',
                           answered_at = NULL, answered_by = NULL, answered_url = NULL,
                           first_response_s = NULL
                     WHERE id = ?
                    """,
                    (status.value, when, mention_id),
                )
            if cursor.rowcount and before != status.value:
                self.record_change(
                    db, mention_id, field="status", old=before, new=status.value, by=by, at=when
                )
        return self.mention(mention_id) if cursor.rowcount else None

    def set_spam_mark(self, mention_id: int, spam: bool) -> StoredMention | None:
        """A person's spam verdict: it wins over the classifier's, and no re-scan changes it."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE mentions SET spam_mark = ? WHERE id = ?", (int(spam), mention_id)
            )
        return self.mention(mention_id) if cursor.rowcount else None

    def set_human_label(self, mention_id: int, label: SentimentLabel) -> StoredMention | None:
        """A person's sentiment label: it wins over the classifier's and feeds `eval`."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE mentions SET human_label = ? WHERE id = ?", (label.value, mention_id)
            )
        return self.mention(mention_id) if cursor.rowcount else None

    # --- re-classifying what is stored ----------------------------------------------------

    def rescore_batch(self, after_id: int, through_id: int) -> list[RescoreRow]:
        """The mentions with `after_id < id <= through_id`, by id, as `rescore` needs them:
        the text to score, the verdict columns to compare with, and `updated_at` (the version
        of the text the new verdict will be about)."""
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples: they travel to worker processes
        rows: list[RescoreRow] = cursor.execute(
            """
            SELECT id, title, text, compound, label, snippet, vader_compound, question,
                   spam, spam_signals, explanation, updated_at
              FROM mentions WHERE id > ? AND id <= ? ORDER BY id
            """,
            (after_id, through_id),
        ).fetchall()
        return rows

    def save_rescored(
        self, changed: Sequence[tuple[object, ...]], reworded: Sequence[tuple[object, ...]] = ()
    ) -> int:
        """Write new verdicts. Each item of `changed` is the eight verdict columns
        (`verdict_columns` order), then the id and the `updated_at` the text was read at; each
        of `reworded` (a verdict whose indexed columns are as stored: see
        `INDEXED_VERDICT_COLUMNS`) is snippet, vader_compound, spam_signals and explanation,
        then the id and `updated_at`. A row whose text a scan changed since then keeps the
        scan's fresher verdict. Returns the rows written."""
        if not changed and not reworded:
            return 0
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(
                """
                UPDATE mentions
                   SET compound = ?, label = ?, snippet = ?, vader_compound = ?,
                       question = ?, spam = ?, spam_signals = ?, explanation = ?
                 WHERE id = ? AND updated_at IS ?
                """,
                changed,
            )
            # The same verdict in other words: no index reads these columns, so no index
            # entry is rewritten (a quarter to a third of a full rewrite's cost, measured on
            # the benchmark's database).
            db.executemany(
                """
                UPDATE mentions
                   SET snippet = ?, vader_compound = ?, spam_signals = ?, explanation = ?
                 WHERE id = ? AND updated_at IS ?
                """,
                reworded,
            )
            return db.total_changes - before

    # --- alerts -----------------------------------------------------------------------------

    def alert_candidates(self) -> list[StoredMention]:
        """Open mentions that need an answer (negative by the effective label, or questions),
        not spam, not yet alerted: the scan's alerts rank them by priority and SLA."""
        rows = self.db.execute(
            f"SELECT {MENTION_COLUMNS} FROM mentions"
            f" WHERE status = 'open' AND {EFFECTIVE_SPAM} = 0 AND alerted_at IS NULL"
            f" AND ({EFFECTIVE_LABEL} = 'negative' OR question = 1)"
            " ORDER BY created_at, id"
        ).fetchall()
        return [row_to_mention(row) for row in rows]

    def alert_delivered(self, channel: str) -> set[int]:
        """Mentions not yet fully alerted that this channel already accepted."""
        rows = self.db.execute(
            "SELECT d.mention_id FROM alert_deliveries d JOIN mentions m ON m.id = d.mention_id"
            " WHERE d.channel = ? AND m.alerted_at IS NULL",
            (channel,),
        ).fetchall()
        return {int(row[0]) for row in rows}

    def last_alert_at(self, channel: str) -> datetime | None:
        """When this channel last accepted an alert message (the rate limit)."""
        row = self.db.execute(
            "SELECT last_sent_at FROM alerts WHERE channel = ?", (channel,)
        ).fetchone()
        return from_db_time(row[0]) if row else None

    def record_alert(self, channel: str, mention_ids: Sequence[int], sent_at: datetime) -> None:
        """One channel accepted a message about these mentions: call only after it did."""
        at = to_db_time(sent_at)
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO alert_deliveries (mention_id, channel, sent_at)"
                " VALUES (?, ?, ?)",
                [(mention_id, channel, at) for mention_id in mention_ids],
            )
            db.execute(
                "INSERT INTO alerts (channel, last_sent_at) VALUES (?, ?)"
                " ON CONFLICT (channel) DO UPDATE SET last_sent_at = excluded.last_sent_at",
                (channel, at),
            )

    def mark_alerted(self, mention_ids: Sequence[int], at: datetime) -> None:
        """Every channel has these mentions: never alert them again."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE mentions SET alerted_at = ? WHERE id = ? AND alerted_at IS NULL",
                [(to_db_time(at), mention_id) for mention_id in mention_ids],
            )

    # --- thread checks --------------------------------------------------------------------

    def thread_candidates(self, sources: Sequence[str]) -> list[StoredMention]:
        """Open mentions of these sources whose thread can be checked."""
        if not sources:
            return []
        marks = ", ".join("?" for _ in sources)
        rows = self.db.execute(
            f"SELECT {MENTION_COLUMNS} FROM mentions"
            f" WHERE status = 'open' AND {EFFECTIVE_SPAM} = 0 AND thread_ref IS NOT NULL"
            f" AND source IN ({marks})",
            list(sources),
        ).fetchall()
        return [row_to_mention(row) for row in rows]

    def save_thread_check(
        self,
        mention_id: int,
        replies: Sequence[tuple[Reply, bool]],
        answer: Reply | None,
        at: datetime,
    ) -> bool:
        """Keep what the thread check saw; mark the mention answered by `answer` if it is
        still open (kept in its history as an automatic change by the reply's author).
        Returns True if this check answered it."""
        with self.transaction() as db:
            db.execute("DELETE FROM replies WHERE mention_id = ?", (mention_id,))
            db.executemany(
                """
                INSERT OR REPLACE INTO replies
                    (mention_id, native_id, author, created_at, url, text, depth, by_brand)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    (
                        mention_id,
                        r.native_id,
                        r.author,
                        to_db_time(r.created_at) if r.created_at else None,
                        r.url,
                        r.text,
                        r.depth,
                        int(by_brand),
                    )
                    for r, by_brand in replies
                ],
            )
            db.execute(
                "UPDATE mentions SET thread_checked_at = ? WHERE id = ?",
                (to_db_time(at), mention_id),
            )
            if answer is None:
                return False
            answered_at = to_db_time(answer.created_at or at)
            cursor = db.execute(
                """
                UPDATE mentions
                   SET status = 'answered', marked_by = 'auto', status_changed_at = ?,
                       answered_at = ?, answered_by = ?, answered_url = ?,
                       first_response_s = max(0, CAST(round(
                           (julianday(?) - julianday(created_at)) * 86400) AS INTEGER))
                 WHERE id = ? AND status = 'open'
                """,
                (to_db_time(at), answered_at, answer.author, answer.url, answered_at, mention_id),
            )
            if cursor.rowcount == 1:
                self.record_change(
                    db,
                    mention_id,
                    field="status",
                    old=MentionStatus.OPEN.value,
                    new=MentionStatus.ANSWERED.value,
                    by=answer.author,
                    at=to_db_time(at),
                    automatic=True,
                )
            return cursor.rowcount == 1

    def replies(self, mention_id: int) -> list[tuple[Reply, bool]]:
        """What the last thread check saw under a mention: each reply, and whether the brand
        wrote it; oldest first."""
        rows = self.db.execute(
            "SELECT * FROM replies WHERE mention_id = ? ORDER BY created_at, native_id",
            (mention_id,),
        ).fetchall()
        return [
            (
                Reply(
                    native_id=row["native_id"],
                    author=row["author"],
                    created_at=from_db_time(row["created_at"]),
                    url=row["url"],
                    text=row["text"],
                    depth=row["depth"],
                ),
                bool(row["by_brand"]),
            )
            for row in rows
        ]
