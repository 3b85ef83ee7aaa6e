"""Search, export and retention over all stored mentions.

Search reads the FTS5 index `mentions_fts` (see `migrations.add_search_index`), whose triggers
keep it in step with every insert, update and delete. A user's query is never handed to FTS5
as written: `fts_query` rebuilds it from quoted tokens, so no input can be an FTS5 syntax error.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Generator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mentionwatch.errors import MentionwatchError
from mentionwatch.models import (
    MentionFilter,
    MentionStatus,
    PruneReport,
    SearchHit,
    SearchOrder,
    StoredMention,
)
from mentionwatch.store.db import to_db_time
from mentionwatch.store.rows import (
    EFFECTIVE_LABEL,
    EFFECTIVE_SPAM,
    MENTION_COLUMNS,
    row_to_mention,
)

#: `MENTION_COLUMNS` read through the alias `m`: `mentions_fts` has title, text and author too.
_JOINED_COLUMNS = ", ".join("m." + name.strip() for name in MENTION_COLUMNS.split(","))
#: BM25 weights of the FTS columns title, text, author: a word in the title says more about
#: what a post is about than the same word in its body; an author match is a handle search.
_BM25 = "bm25(mentions_fts, 4.0, 1.0, 2.0)"
#: Marks around each match in `snippet()`: control characters, which `safe()` removes from
#: any stored text before display anyway, so they cannot be confused with what a post says.
_MATCH_START, _MATCH_END = "\x02", "\x03"
_EXCERPT_TOKENS = 14
#: Rows read from SQLite at a time while exporting: enough to amortise the calls, few enough
#: that memory stays flat however many mentions there are.
EXPORT_BATCH = 500
#: Mentions deleted per transaction while pruning: a scan waits at most one batch for the
#: write lock (the busy timeout is 5 s).
PRUNE_BATCH = 2000
#: The filter that keeps every mention.
EVERY_MENTION = MentionFilter()


class SearchQueryError(MentionwatchError):
    """The search query has nothing to look for (usage error, exit status 2)."""


# --- the user's query, as FTS5 syntax ---------------------------------------------------------

# A term: an optional "-" (exclude), then a "quoted phrase" (the closing quote may be missing)
# or a bare word (anything up to whitespace or a quote), then an optional "*" (prefix).
_TERM = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))(\*?)')
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class _Term:
    words: str
    excluded: bool = False
    prefix: bool = False

    def fts(self) -> str:
        # Every term is an FTS5 string: inside double quotes nothing is an operator, a column
        # filter or NEAR; a double quote is written twice.
        quoted = '"' + self.words.replace('"', '""') + '"'
        return quoted + "*" if self.prefix else quoted


def _terms(query: str) -> list[_Term | str]:
    """The query's terms in order, with the operators OR and NOT as plain strings."""
    parts: list[_Term | str] = []
    for match in _TERM.finditer(query):
        minus, phrase, bare, star = match.groups()
        if bare is not None and not minus and not star and bare in ("OR", "AND", "NOT"):
            parts.append(bare)
            continue
        words = phrase if phrase is not None else bare
        prefix = bool(star)
        if bare is not None and bare.endswith("*"):
            words, prefix = bare.rstrip("*"), True
        # A term without a letter or digit has no token to look for: FTS5 would read it as
        # an empty phrase, which matches nothing, and AND-ed with the rest it would empty
        # the whole result. Drop it.
        if any(ch.isalnum() for ch in words):
            parts.append(_Term(words, excluded=bool(minus), prefix=prefix))
    return parts


def fts_query(query: str) -> str:
    """Translate a search box query into FTS5 syntax; every word is quoted.

    Words are AND-ed; `"a phrase"` matches the words in order; `A OR B` matches either (OR
    binds its two neighbours, so `refund OR chargeback late` is `(refund OR chargeback) AND
    late`); `-word` and `NOT word` exclude; `word*` matches any word starting so. Everything
    else (quotes, parentheses, `col:value`, `NEAR(`, `^`) is part of a word. Operators with
    nothing on one side are ignored. Raises `SearchQueryError` when nothing is left to look for.
    """
    # Control characters are never part of a word; a NUL would even end the string early
    # for SQLite.
    parts = _terms(_CONTROLS.sub(" ", query))
    included: list[list[_Term]] = []  # AND of ORs
    excluded: list[_Term] = []
    join_next = negate_next = False
    for part in parts:
        if part == "OR":
            join_next = bool(included) and not negate_next
            continue
        if part == "NOT":
            negate_next = True
            continue
        if part == "AND":
            continue
        assert isinstance(part, _Term)
        if part.excluded or negate_next:
            excluded.append(part)
        elif join_next:
            included[-1].append(part)
        else:
            included.append([part])
        join_next = negate_next = False
    if not included:
        if excluded:
            raise SearchQueryError(
                f"the query {query!r} only excludes words: give at least one word to look for"
            )
        raise SearchQueryError(f"the query {query!r} has no word to look for")
    clauses = [
        "(" + " OR ".join(t.fts() for t in group) + ")" if len(group) > 1 else group[0].fts()
        for group in included
    ]
    expression = " AND ".join(clauses)
    if excluded:
        expression = f"({expression}) NOT ({' OR '.join(t.fts() for t in excluded)})"
    return expression


def excerpt_pieces(marked: str) -> tuple[tuple[str, bool], ...]:
    """Split a `snippet()` with our match marks into (text, is_a_match) pieces."""
    pieces: list[tuple[str, bool]] = []
    for chunk in marked.split(_MATCH_START):
        matched, _, rest = chunk.rpartition(_MATCH_END)
        if matched:
            pieces.append((matched.replace(_MATCH_END, ""), True))
        if rest:
            pieces.append((rest, False))
    return tuple(pieces)


def _filter_sql(chosen: MentionFilter) -> tuple[list[str], list[object]]:
    """WHERE conditions and their parameters for a filter. No column they name is also a
    column of `mentions_fts`, so they read the same joined to it or not."""
    where: list[str] = []
    params: list[object] = []
    if chosen.sources:
        where.append(f"source IN ({', '.join('?' for _ in chosen.sources)})")
        params.extend(chosen.sources)
    if chosen.statuses:
        where.append(f"status IN ({', '.join('?' for _ in chosen.statuses)})")
        params.extend(s.value for s in chosen.statuses)
    if chosen.labels:
        where.append(f"{EFFECTIVE_LABEL} IN ({', '.join('?' for _ in chosen.labels)})")
        params.extend(label.value for label in chosen.labels)
    if chosen.spam is not None:
        where.append(f"{EFFECTIVE_SPAM} = ?")
        params.append(int(chosen.spam))
    if chosen.since is not None:
        where.append("created_at >= ?")
        params.append(to_db_time(chosen.since))
    if chosen.until is not None:
        where.append("created_at < ?")
        params.append(to_db_time(chosen.until))
    return where, params


class ArchiveQueries:
    """Mixed into `Store`: full-text search, streaming export and pruning."""

    db: sqlite3.Connection

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def last_mention_id(self) -> int: ...

    def unknown_sources(self, names: Sequence[str]) -> list[str]:
        """The names no poll was ever stored under and no stored mention carries."""
        return [
            name
            for name in names
            if self.db.execute(
                "SELECT 1 FROM source_state WHERE name = ?"
                " UNION ALL SELECT 1 FROM mentions WHERE source = ? LIMIT 1",
                (name, name),
            ).fetchone()
            is None
        ]

    # --- search -----------------------------------------------------------------------------

    def search_sql(self, chosen: MentionFilter, order: SearchOrder) -> tuple[str, list[object]]:
        """The statement that ranks the matches (ids and relevance, best first), and its
        parameters after the query (the first `?`), without LIMIT: shared by `search` and the
        test that reads its query plan."""
        where, params = _filter_sql(chosen)
        conditions = " AND ".join(["mentions_fts MATCH ?", *where])
        ordering = (
            "relevance DESC, m.id DESC"
            if order is SearchOrder.RELEVANCE
            else "m.created_at DESC, m.id DESC"
        )
        # CROSS JOIN: SQLite keeps the tables in this order, so the index finds the matches
        # first and each is fetched by its id; the planner can never choose to scan
        # `mentions` and probe the index row by row.
        sql = f"""
            SELECT m.id, -{_BM25} AS relevance
              FROM mentions_fts CROSS JOIN mentions m ON m.id = mentions_fts.rowid
             WHERE {conditions}
             ORDER BY {ordering}
        """
        return sql, params

    def search(
        self,
        query: str,
        chosen: MentionFilter = EVERY_MENTION,
        *,
        order: SearchOrder = SearchOrder.RELEVANCE,
        limit: int = 20,
    ) -> list[SearchHit]:
        """Stored mentions whose title, text or author match `query` (see `fts_query`), most
        relevant (or newest) first, each with an excerpt around its best match.

        In two steps: every match is ranked, but only the `limit` best are read whole and get
        an excerpt. (In one statement SQLite built the excerpt and the row of every match
        before sorting them: a search for the brand's name, which every mention holds, took
        seconds.)"""
        matched = fts_query(query)
        sql, params = self.search_sql(chosen, order)
        ranked = self.db.execute(sql + " LIMIT ?", [matched, *params, limit]).fetchall()
        if not ranked:
            return []
        relevance = {int(row[0]): float(row[1]) for row in ranked}
        rows = self.db.execute(
            f"""
            SELECT {_JOINED_COLUMNS},
                   snippet(mentions_fts, -1, '{_MATCH_START}', '{_MATCH_END}', '…',
                           {_EXCERPT_TOKENS}) AS excerpt
              FROM mentions_fts CROSS JOIN mentions m ON m.id = mentions_fts.rowid
             WHERE mentions_fts MATCH ? AND mentions_fts.rowid IN ({", ".join("?" * len(ranked))})
            """,
            [matched, *relevance],
        ).fetchall()
        by_id = {int(row["id"]): row for row in rows}
        return [
            SearchHit(
                mention=row_to_mention(by_id[mention_id]),
                relevance=relevance[mention_id],
                excerpt=excerpt_pieces(by_id[mention_id]["excerpt"] or ""),
            )
            for mention_id in relevance
            if mention_id in by_id
        ]

    # --- export -----------------------------------------------------------------------------

    def export_mentions(
        self, chosen: MentionFilter = EVERY_MENTION, *, query: str | None = None
    ) -> Generator[StoredMention, None, None]:
        """Every mention the filter (and the full-text `query`, if given) selects, by id.

        A generator: rows are read `EXPORT_BATCH` at a time from one statement, so a
        million mentions take no more memory than a few hundred. The statement reads one
        snapshot of the database from start to end, however long the writer takes; a scan
        running meanwhile is not blocked (WAL mode). The query is checked before the first
        row is asked for, so a bad one fails before anything is written.
        """
        if query is None:
            where, params = _filter_sql(chosen)
            sql = f"SELECT {MENTION_COLUMNS} FROM mentions"
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += " ORDER BY id"
        else:
            where, params = _filter_sql(chosen)
            params = [fts_query(query), *params]
            sql = (
                f"SELECT {_JOINED_COLUMNS}"
                " FROM mentions_fts CROSS JOIN mentions m ON m.id = mentions_fts.rowid"
                f" WHERE {' AND '.join(['mentions_fts MATCH ?', *where])}"
                " ORDER BY mentions_fts.rowid"
            )
        return self._stream(sql, params)

    def _stream(self, sql: str, params: Sequence[object]) -> Generator[StoredMention, None, None]:
        cursor = self.db.execute(sql, params)
        try:
            while batch := cursor.fetchmany(EXPORT_BATCH):
                for row in batch:
                    yield row_to_mention(row)
        finally:
            # A generator abandoned half-way (a reader that stopped) is closed when it is
            # collected, which may be after the connection itself was closed.
            with contextlib.suppress(sqlite3.ProgrammingError):
                cursor.close()

    # --- retention ------------------------------------------------------------------------

    def prune(
        self,
        before: datetime,
        *,
        include_open: bool = False,
        include_spam: bool = False,
        dry_run: bool = False,
        batch_size: int = PRUNE_BATCH,
    ) -> PruneReport:
        """Delete the mentions posted before `before` that are answered, ignored or the
        brand's own; open ones too with `include_open`, open spam with `include_spam`.

        Replies, notes, history and alert deliveries go with them (ON DELETE CASCADE), and
        the search index with them (its trigger). Deleted `batch_size` at a time, one
        transaction each, so a scan never waits long; an interrupted prune has deleted
        whole batches only, and running it again finishes the work. The most recently stored
        mention is always kept, so SQLite never hands out its id again (the digest
        remembers the last id it covered). With `dry_run`, only counts.
        """
        cutoff = to_db_time(before)
        newest = self.last_mention_id()
        old_enough = "created_at < ?"
        if not include_open:
            old_enough += " AND status != 'open'"
            if include_spam:
                old_enough = f"created_at < ? AND (status != 'open' OR {EFFECTIVE_SPAM} = 1)"
        condition = f"{old_enough} AND id < ?"
        params: list[object] = [cutoff, newest]
        counts: dict[tuple[str, int], int] = {}
        kept_newest = self.db.execute(
            f"SELECT id FROM mentions WHERE id = ? AND {old_enough}", (newest, cutoff)
        ).fetchone()
        kept_open = 0
        if not include_open:
            spam_kept = f" AND {EFFECTIVE_SPAM} = 0" if include_spam else ""
            kept_open = self.db.execute(
                "SELECT count(*) FROM mentions"
                f" WHERE status = 'open' AND created_at < ? AND id < ?{spam_kept}",
                (cutoff, newest),
            ).fetchone()[0]
        if dry_run:
            for status, spam, count in self.db.execute(
                f"SELECT status, {EFFECTIVE_SPAM}, count(*) FROM mentions"
                f" WHERE {condition} GROUP BY 1, 2",
                params,
            ):
                counts[(status, spam)] = count
        else:
            self._delete_in_batches(condition, params, batch_size, counts)
        removed: dict[MentionStatus, int] = {}
        for (status, _), count in counts.items():
            removed[MentionStatus(status)] = removed.get(MentionStatus(status), 0) + count
        return PruneReport(
            cutoff=before,
            dry_run=dry_run,
            removed=tuple((s, removed[s]) for s in MentionStatus if s in removed),
            spam=sum(count for (_, spam), count in counts.items() if spam),
            kept_open=int(kept_open),
            kept_newest=int(kept_newest[0]) if kept_newest else None,
        )

    def _delete_in_batches(
        self,
        condition: str,
        params: list[object],
        batch_size: int,
        counts: dict[tuple[str, int], int],
    ) -> None:
        last_id = 0
        while True:
            with self.transaction() as db:
                rows = db.execute(
                    f"SELECT id, status, {EFFECTIVE_SPAM} FROM mentions"
                    f" WHERE id > ? AND {condition} ORDER BY id LIMIT ?",
                    [last_id, *params, batch_size],
                ).fetchall()
                if not rows:
                    return
                db.executemany("DELETE FROM mentions WHERE id = ?", [(row[0],) for row in rows])
            for _, status, spam in rows:
                counts[(status, spam)] = counts.get((status, spam), 0) + 1
            last_id = rows[-1][0]

    def database_size(self) -> int:
        """Bytes the database's pages take (the file may be larger until a VACUUM)."""
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        page_size = self.db.execute("PRAGMA page_size").fetchone()[0]
        return int(pages) * int(page_size)

    def vacuum(self) -> tuple[int, int]:
        """Compact the search index, then rebuild the database file without its free pages.
        Returns its size before and after, in bytes.

        VACUUM writes a complete copy of the database (free disk about its size is needed)
        and holds the write lock until done: a scan started meanwhile waits, then fails.
        """
        before = self.database_size()
        with self.transaction() as db:
            db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('optimize')")
        self.db.execute("VACUUM")
        # In WAL mode the rebuilt pages sit in the write-ahead log until a checkpoint: copy
        # them into the file and truncate the log, so the disk space is given back now.
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return before, self.database_size()
