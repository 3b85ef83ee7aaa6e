"""The SQLite store, on real files: schema, pragmas, upserts, state and manual marks."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import DIGEST_NOW, digest_post, store_posts
from mentionwatch.errors import MentionwatchError
from mentionwatch.models import (
    Classification,
    Mention,
    MentionStatus,
    OpenFilter,
    ScoredMention,
    SearchResult,
    SentimentLabel,
)
from mentionwatch.store import Store
from mentionwatch.store.migrations import MIGRATIONS

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
NEGATIVE = Classification(-0.6, SentimentLabel.NEGATIVE, "never arrived")


def scored(
    native_id: str = "guid-1",
    text: str = "My Acme order never arrived",
    own: bool = False,
    created: datetime | None = NOW - timedelta(hours=2),
) -> ScoredMention:
    mention = Mention(
        source="alerts",
        kind="rss",
        native_id=native_id,
        url=f"https://example.com/{native_id}",
        title="Order",
        text=text,
        created_at=created,
        author="jo",
        matched_term="Acme",
    )
    return ScoredMention(mention, NEGATIVE, own)


def save(
    store: Store, *items: ScoredMention, result: SearchResult | None = None, at: datetime = NOW
) -> tuple[int, int]:
    state = store.source_state("alerts", "rss")
    return store.save_poll(state, result or SearchResult(list(i.mention for i in items)), items, at)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "sub" / "mw.db") as opened:
        yield opened  # type: ignore[misc]


def test_new_database_is_migrated_with_safe_pragmas(store: Store) -> None:
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"mentions", "source_state", "scan_runs", "source_runs"} <= tables


def test_reopening_keeps_data_and_does_not_migrate_twice(tmp_path: Path) -> None:
    path = tmp_path / "mw.db"
    with Store.open(path) as first:
        save(first, scored())
    with Store.open(path) as second:
        assert second.count_mentions() == 1
        assert second.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mw.db"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(MentionwatchError, match="newer mentionwatch"):
        Store.open(path)


def test_a_mention_is_stored_once_and_updated_only_when_it_changed(store: Store) -> None:
    assert save(store, scored()) == (1, 0)
    assert save(store, scored()) == (0, 0)
    assert save(store, scored(text="My Acme order never arrived. Edit: still nothing")) == (0, 1)
    assert store.count_mentions() == 1
    (stored,) = store.open_mentions()
    assert stored.text.endswith("still nothing")
    assert stored.created_at == NOW - timedelta(hours=2)
    assert stored.fetched_at == NOW


def test_a_post_without_a_date_is_dated_when_first_fetched(store: Store) -> None:
    save(store, scored(created=None))
    (stored,) = store.open_mentions()
    assert stored.created_at == NOW


def test_manual_marks_survive_rescans(store: Store) -> None:
    save(store, scored("a"), scored("b"))
    a, b = store.open_mentions()
    answered = store.set_status(a.id, MentionStatus.ANSWERED, by="maya", at=NOW)
    assert answered is not None and answered.answered_by == "maya" and answered.answered_at == NOW
    store.set_status(b.id, MentionStatus.IGNORED, by=None, at=NOW)
    save(store, scored("a", text="edited a"), scored("b", text="edited b"))
    assert store.mention(a.id).status is MentionStatus.ANSWERED  # type: ignore[union-attr]
    assert store.mention(b.id).status is MentionStatus.IGNORED  # type: ignore[union-attr]
    assert store.mention(a.id).text == "edited a"  # type: ignore[union-attr]
    assert store.open_mentions() == []


def test_reopen_clears_the_answer(store: Store) -> None:
    save(store, scored())
    (m,) = store.open_mentions()
    store.set_status(m.id, MentionStatus.ANSWERED, by="maya", at=NOW)
    reopened = store.set_status(m.id, MentionStatus.OPEN, by=None, at=NOW)
    assert reopened is not None and reopened.status is MentionStatus.OPEN
    assert reopened.answered_by is None and reopened.answered_at is None


def test_marking_an_unknown_id_returns_none(store: Store) -> None:
    assert store.set_status(999, MentionStatus.IGNORED, by=None, at=NOW) is None


def test_the_brands_own_posts_are_stored_but_never_open(store: Store) -> None:
    save(store, scored("mine", own=True), scored("theirs"))
    assert [m.native_id for m in store.open_mentions()] == ["theirs"]
    assert store.count_mentions() == 2


def test_open_mentions_filters_by_label_source_and_time(store: Store) -> None:
    positive = ScoredMention(scored("p").mention, Classification(0.7, SentimentLabel.POSITIVE, ""))
    old = scored("old", created=NOW - timedelta(days=10))
    save(store, scored("n"), positive, old)
    negatives = store.open_mentions(OpenFilter(labels=(SentimentLabel.NEGATIVE,)))
    assert {m.native_id for m in negatives} == {"n", "old"}
    recent = store.open_mentions(OpenFilter(since=NOW - timedelta(days=1)))
    assert {m.native_id for m in recent} == {"n", "p"}
    assert store.open_mentions(OpenFilter(sources=("elsewhere",))) == []
    assert [m.native_id for m in store.open_mentions()] == ["old", "n", "p"]  # oldest first


def test_validators_and_cursor_are_saved_with_the_mentions(store: Store) -> None:
    save(store, scored(), result=SearchResult([], cursor="c1", etag='"e1"', last_modified="lm"))
    state = store.source_state("alerts", "rss")
    assert (state.cursor, state.etag, state.last_modified) == ("c1", '"e1"', "lm")
    assert state.last_success_at == NOW and state.consecutive_errors == 0


def test_failures_are_counted_and_success_resets_them(store: Store) -> None:
    store.record_failure("alerts", "rss", "HTTP 500", NOW)
    store.record_failure("alerts", "rss", "HTTP 502", NOW + timedelta(minutes=5))
    state = store.source_state("alerts", "rss")
    assert state.consecutive_errors == 2 and state.last_error == "HTTP 502"
    assert state.last_success_at is None
    save(store, scored(), at=NOW + timedelta(minutes=10))
    state = store.source_state("alerts", "rss")
    assert state.consecutive_errors == 0 and state.last_error is None


def test_a_failure_keeps_what_the_source_stored_before(store: Store) -> None:
    save(store, scored())
    store.record_failure("alerts", "rss", "HTTP 500", NOW)
    assert store.count_mentions() == 1


def test_a_failed_transaction_stores_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute("INSERT INTO source_state (name, kind) VALUES ('x', 'rss')")
        raise RuntimeError("crash mid-transaction")
    assert store.db.execute("SELECT count(*) FROM source_state").fetchone()[0] == 0


def test_an_older_database_is_upgraded_step_by_step_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    for number, step in enumerate(MIGRATIONS[:5], start=1):
        step(raw)
        raw.execute(f"PRAGMA user_version = {number}")
    raw.execute(
        "INSERT INTO mentions (source, kind, native_id, url, title, text, created_at,"
        " fetched_at, compound, label) VALUES ('blog', 'rss', 'g1',"
        " 'http://Blog.example/p?utm_source=x', 'Acme', 'Acme is down',"
        " '2026-11-20T09:00:00Z', '2026-11-20T09:00:00Z', -0.5, 'negative')"
    )
    raw.close()
    with Store.open(path) as upgraded:
        assert upgraded.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        row = upgraded.db.execute("SELECT native_id, canonical_url FROM mentions").fetchone()
        assert tuple(row) == ("g1", "https://blog.example/p")


def test_only_questions_and_assigned_mentions_are_in_their_indexes(store: Store) -> None:
    """Every insert pays for every index entry: the two views of a few rows index only
    those rows, and their queries can still read the index."""
    store_posts(
        store,
        [
            digest_post("q1", "neutral", hours_ago=2, text="How do I export?", question=True),
            digest_post("n1", "negative", hours_ago=3, text="Acme app crashed again"),
        ],
        DIGEST_NOW,
    )
    store.assign(2, "maya", by="maya", at=DIGEST_NOW)

    def entries(index: str, where: str) -> int:
        """Rows read through `index` (SQLite refuses INDEXED BY an index the WHERE cannot
        use: a partial index serves only queries whose terms imply its own WHERE)."""
        query = f"SELECT count(*) FROM mentions INDEXED BY {index} WHERE {where}"
        return int(store.db.execute(query).fetchone()[0])

    assert entries("mentions_questions", "status = 'open' AND question = 1") == 1
    assert entries("mentions_status_assignee", "status = 'open' AND assignee = 'MAYA'") == 1
    with pytest.raises(sqlite3.OperationalError, match="no query solution"):
        entries("mentions_questions", "status = 'open'")
    with pytest.raises(sqlite3.OperationalError, match="no query solution"):
        entries("mentions_status_assignee", "status = 'open' AND assignee IS NULL")


# --- transactions inside transactions (a scan storing several polls in one commit) -------------


def _titles(store: Store) -> set[str]:
    return {str(row[0]) for row in store.db.execute("SELECT title FROM mentions")}


def test_a_transaction_inside_another_is_a_savepoint_committed_with_it(tmp_path: Path) -> None:
    path = tmp_path / "nested.db"
    with Store.open(path) as store:
        state = store.source_state("alerts", "rss")
        with store.transaction():
            store.save_poll(state, SearchResult(mentions=[]), [scored("a")], NOW)
            assert store.db.in_transaction  # not committed by the inner block
            with pytest.raises(RuntimeError), store.transaction() as db:
                db.execute("UPDATE mentions SET title = 'changed'")
                raise RuntimeError("the inner block fails")
            # Only the inner block was undone; the outer one goes on.
            assert _titles(store) == {"Order"}
            store.save_poll(state, SearchResult(mentions=[]), [scored("b")], NOW)
        assert not store.db.in_transaction
    with Store.open(path) as reopened:
        assert reopened.count_mentions() == 2
        assert _titles(reopened) == {"Order"}


def test_a_failing_outer_transaction_takes_its_savepoints_with_it(tmp_path: Path) -> None:
    with Store.open(tmp_path / "nested.db") as store:
        state = store.source_state("alerts", "rss")
        with pytest.raises(RuntimeError), store.transaction():
            store.save_poll(state, SearchResult(mentions=[]), [scored("a")], NOW)
            raise RuntimeError("the scan fails after the poll was stored")
        assert store.count_mentions() == 0
        assert store.source_state("alerts", "rss").last_success_at is None


# --- which id a poll's posts are stored under, read once per poll ---------------------------


def linked(native_id: str, link: str, title: str, text: str = "text") -> ScoredMention:
    mention = Mention(
        source="alerts",
        kind="rss",
        native_id=native_id,
        url=link,
        title=title,
        text=text,
        created_at=NOW,
        author="jo",
    )
    return ScoredMention(mention, NEGATIVE)


def stored_ids(store: Store) -> list[tuple[str, str, str]]:
    """The stored posts, after checking that the full-text index holds exactly their words
    (FTS5's integrity check raises otherwise)."""
    store.db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")
    rows = store.db.execute("SELECT native_id, title, text FROM mentions ORDER BY id")
    return [(row["native_id"], row["title"], row["text"]) for row in rows]


def test_a_post_a_poll_repeats_is_stored_once_with_its_last_text(store: Store) -> None:
    # Its second copy updates the row the first inserted: that row must be in the full-text
    # index by then, or the update's trigger fails ("database disk image is malformed").
    first = linked("g1", "https://blog.example/1", "Outage", "down")
    again = linked("g1", "https://blog.example/1", "Outage", "down for hours")
    assert save(store, first, again) == (1, 1)
    assert stored_ids(store) == [("g1", "Outage", "down for hours")]
    assert [hit.mention.native_id for hit in store.search("hours")] == ["g1"]


def test_a_post_republished_under_a_new_id_in_the_same_poll_is_the_first(store: Store) -> None:
    original = linked("g1", "https://blog.example/1", "Outage", "down")
    republished = linked("g2", "https://blog.example/1?utm_source=x", "Outage", "down, edited")
    assert save(store, original, republished) == (1, 1)
    assert stored_ids(store) == [("g1", "Outage", "down, edited")]


def test_a_post_renamed_earlier_in_the_poll_is_found_under_its_new_title(store: Store) -> None:
    save(store, linked("g1", "https://blog.example/1", "Outage"))
    # The poll renames g1, then republishes it under a new id with the new title: that copy
    # is g1 (same link, same title now), not a second post.
    renamed = linked("g1", "https://blog.example/1", "Outage resolved")
    copy = linked("g2", "https://blog.example/1", "Outage resolved", "text, again")
    assert save(store, renamed, copy, at=NOW + timedelta(hours=1)) == (0, 2)
    assert stored_ids(store) == [("g1", "Outage resolved", "text, again")]


def test_the_first_post_stored_under_a_link_and_title_takes_its_copies(store: Store) -> None:
    save(store, linked("a", "https://blog.example/home", "Status"))
    save(
        store,
        linked("b", "https://blog.example/home", "Status"),
        linked("c", "https://x.example/c", "Other"),
    )
    assert [row[0] for row in stored_ids(store)] == ["a", "c"]
    # Many posts in one poll (more than one `IN (...)` list): each finds its own row.
    many = [linked(f"n{i}", f"https://blog.example/n{i}", f"Post {i}") for i in range(1200)]
    assert save(store, *many) == (1200, 0)
    assert save(store, *many, linked("z", "https://blog.example/home", "Status", "moved")) == (
        0,
        1,
    )
    assert stored_ids(store)[0] == ("a", "Status", "moved")
