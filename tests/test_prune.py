"""`mentionwatch prune`: old answered, ignored and own mentions go, open ones stay unless
asked; replies, notes, history, alert deliveries and the search index go with them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DIGEST_NOW, digest_post, store_posts
from mentionwatch import cli
from mentionwatch.models import MentionStatus, Reply, ScoredMention
from mentionwatch.store import Store

runner = CliRunner()
DAY = timedelta(days=1)
CUTOFF = DIGEST_NOW - 365 * DAY
#: The child tables of `mentions`: every one must lose the rows of a pruned mention.
CHILD_TABLES = ("replies", "mention_notes", "mention_history", "alert_deliveries")


def old_post(native_id: str, days_ago: float, text: str, *, spam: bool = False) -> ScoredMention:
    return digest_post(native_id, "negative", hours_ago=days_ago * 24, text=text, spam=spam)


def ids(store: Store) -> dict[str, int]:
    return {m.native_id: m.id for m in store.export_mentions()}


def children(store: Store, mention_id: int) -> dict[str, int]:
    return {
        table: store.db.execute(
            f"SELECT count(*) FROM {table} WHERE mention_id = ?", (mention_id,)
        ).fetchone()[0]
        for table in CHILD_TABLES
    }


def searched(store: Store, word: str) -> list[str]:
    return [hit.mention.native_id for hit in store.search(word, limit=100)]


def fts_integrity_ok(store: Store) -> bool:
    store.db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")
    return True


def give_children(store: Store, mention_id: int) -> None:
    """A reply, a note, history rows and an alert delivery for one mention."""
    reply = Reply("r", "AcmeSupport", DIGEST_NOW - 399 * DAY, "https://r.example/")
    store.save_thread_check(mention_id, [(reply, True)], None, DIGEST_NOW - 399 * DAY)
    store.add_note(mention_id, author="maya", text="called them", at=DIGEST_NOW - 399 * DAY)
    store.assign(mention_id, "leo", by="maya", at=DIGEST_NOW - 399 * DAY)
    store.record_alert("channel-hash", [mention_id], DIGEST_NOW - 399 * DAY)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Old (400 days): answered, ignored, own, open, open spam. Recent (10 days): answered,
    open. Each old one has a reply, a note, history and an alert delivery."""
    with Store.open(tmp_path / "prune.db") as opened:
        store_posts(
            opened,
            [
                old_post("old-answered", 400, "Acme teapot one"),
                old_post("old-ignored", 400, "Acme teapot two"),
                old_post("old-open", 400, "Acme teapot three"),
                old_post("old-spam", 400, "Acme teapot giveaway", spam=True),
                old_post("new-answered", 10, "Acme teapot four"),
                old_post("new-open", 10, "Acme teapot five"),
            ],
            DIGEST_NOW - 5 * DAY,
        )
        store_posts(
            opened,
            [
                ScoredMention(
                    old_post("old-own", 400, "Acme teapot from AcmeSupport").mention,
                    old_post("old-own", 400, "").verdict,
                    own=True,
                )
            ],
            DIGEST_NOW - 5 * DAY,
        )
        # The most recently stored mention is always kept: make it a recent one.
        store_posts(opened, [old_post("newest", 1, "Acme teapot six")], DIGEST_NOW - DAY)
        stored = ids(opened)
        for name in ("old-answered", "new-answered"):
            opened.set_status(stored[name], MentionStatus.ANSWERED, by="leo", at=DIGEST_NOW)
        opened.set_status(stored["old-ignored"], MentionStatus.IGNORED, by=None, at=DIGEST_NOW)
        for name in stored:
            if name.startswith("old-"):
                give_children(opened, stored[name])
        yield opened


def test_prune_removes_old_dealt_with_mentions_and_keeps_open_ones(store: Store) -> None:
    before = ids(store)
    report = store.prune(CUTOFF)
    assert dict(report.removed) == {
        MentionStatus.ANSWERED: 1,
        MentionStatus.IGNORED: 1,
        MentionStatus.OWN: 1,
    }
    assert report.total == 3 and report.spam == 0 and not report.dry_run
    assert report.kept_open == 2  # old-open and old-spam
    assert report.kept_newest is None
    assert set(ids(store)) == {"old-open", "old-spam", "new-answered", "new-open", "newest"}
    for name in ("old-answered", "old-ignored", "old-own"):
        assert store.mention(before[name]) is None
        assert children(store, before[name]) == dict.fromkeys(CHILD_TABLES, 0)
    # The open ones kept all their children.
    assert children(store, before["old-open"])["mention_notes"] == 1
    assert children(store, before["old-open"])["replies"] == 1
    assert children(store, before["old-open"])["alert_deliveries"] == 1
    assert children(store, before["old-open"])["mention_history"] >= 1


def test_every_child_table_of_mentions_cascades(store: Store) -> None:
    """A table added later that references mentions must cascade too (or prune must delete
    its rows): this lists them from the schema itself."""
    referencing = set()
    for (table,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for fk in store.db.execute(f"PRAGMA foreign_key_list({table})"):
            if fk["table"] == "mentions":
                assert fk["on_delete"] == "CASCADE", table
                referencing.add(table)
    assert referencing == set(CHILD_TABLES)
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_the_search_index_follows_a_prune(store: Store) -> None:
    assert len(searched(store, "teapot")) == 8
    store.prune(CUTOFF)
    assert set(searched(store, "teapot")) == {
        "old-open",
        "old-spam",
        "new-answered",
        "new-open",
        "newest",
    }
    assert searched(store, "one") == []  # old-answered's own word
    assert fts_integrity_ok(store)


def test_a_dry_run_counts_the_same_and_changes_nothing(store: Store) -> None:
    before = [m for m in store.export_mentions()]
    dry = store.prune(CUTOFF, dry_run=True)
    assert dry.dry_run and dry.total == 3
    assert list(store.export_mentions()) == before
    assert all(children(store, m.id)["replies"] == 1 for m in before if m.native_id[:4] == "old-")
    real = store.prune(CUTOFF)
    assert (dry.removed, dry.spam, dry.kept_open) == (real.removed, real.spam, real.kept_open)


def test_include_spam_removes_open_spam_only(store: Store) -> None:
    report = store.prune(CUTOFF, include_spam=True)
    assert dict(report.removed)[MentionStatus.OPEN] == 1
    assert report.spam == 1 and report.kept_open == 1
    assert "old-spam" not in ids(store) and "old-open" in ids(store)


def test_include_open_removes_open_ones_too(store: Store) -> None:
    report = store.prune(CUTOFF, include_open=True)
    assert report.total == 5 and report.kept_open == 0
    assert dict(report.removed)[MentionStatus.OPEN] == 2
    assert set(ids(store)) == {"new-answered", "new-open", "newest"}
    assert fts_integrity_ok(store)


def test_the_newest_mention_is_kept_so_its_id_is_never_reused(store: Store) -> None:
    newest_id = ids(store)["newest"]
    report = store.prune(DIGEST_NOW, include_open=True)
    assert report.kept_newest == newest_id
    assert list(ids(store)) == ["newest"]
    store_posts(store, [old_post("after", 0, "Acme teapot seven")], DIGEST_NOW)
    assert ids(store)["after"] == newest_id + 1


def test_prune_deletes_in_batches(store: Store) -> None:
    many = [old_post(f"bulk-{i}", 500, f"Acme bulk {i}") for i in range(25)]
    store_posts(store, many, DIGEST_NOW - 5 * DAY)
    store_posts(store, [old_post("newest-2", 1, "Acme")], DIGEST_NOW)
    for m in store.export_mentions(query="bulk"):
        store.set_status(m.id, MentionStatus.IGNORED, by=None, at=DIGEST_NOW)
    report = store.prune(CUTOFF, batch_size=4)
    assert dict(report.removed)[MentionStatus.IGNORED] == 26
    assert searched(store, "bulk") == []
    assert fts_integrity_ok(store)


def test_vacuum_gives_the_space_back(store: Store) -> None:
    filler = [old_post(f"big-{i}", 500, "Acme " + "lorem ipsum " * 400) for i in range(60)]
    store_posts(store, filler, DIGEST_NOW - 5 * DAY)
    store_posts(store, [old_post("newest-2", 1, "Acme")], DIGEST_NOW)
    for m in store.export_mentions(query="lorem"):
        store.set_status(m.id, MentionStatus.IGNORED, by=None, at=DIGEST_NOW)
    store.prune(CUTOFF)
    before, after = store.vacuum()
    assert after < before / 2
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert fts_integrity_ok(store)
    assert len(searched(store, "teapot")) == 5


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def workspace(store: Store, monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> list[str]:
    monkeypatch.setattr(cli, "_now", lambda: DIGEST_NOW)
    return ["--db", str(store.path)]


def test_prune_dry_run_then_prune(workspace: list[str], store: Store) -> None:
    result = runner.invoke(cli.app, ["prune", "--older-than", "365d", "--dry-run", *workspace])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Would remove 3 mentions posted before 2025-11-20 08:00 UTC: 1 answered, 1 ignored, 1 own.",
        "Kept 2 open mentions older than that (--include-open removes them too).",
    ]
    assert len(ids(store)) == 8
    result = runner.invoke(cli.app, ["prune", "--older-than", "365d", *workspace])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Removed 3 mentions posted before 2025-11-20 08:00 UTC")
    assert "VACUUM" in result.stdout and len(ids(store)) == 5


def test_prune_json_with_vacuum(workspace: list[str], store: Store) -> None:
    result = runner.invoke(
        cli.app,
        ["prune", "--older-than", "365d", "--include-spam", "--vacuum", "--json", *workspace],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["cutoff"] == "2025-11-20T08:00:00Z" and out["dry_run"] is False
    assert out["removed"] == {"open": 1, "answered": 1, "ignored": 1, "own": 1}
    assert (out["total"], out["spam"], out["kept_open"], out["kept_newest"]) == (4, 1, 1, None)
    assert out["vacuum"]["bytes_after"] <= out["vacuum"]["bytes_before"]
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_nothing_to_prune(workspace: list[str]) -> None:
    result = runner.invoke(cli.app, ["prune", "--older-than", "1000d", *workspace])
    assert result.exit_code == 0, result.output
    assert result.stdout == "No mention posted before 2024-02-24 08:00 UTC to remove.\n"


@pytest.mark.parametrize("value", ["soon", "-5d", "0d"])
def test_a_bad_duration_is_a_usage_error(workspace: list[str], store: Store, value: str) -> None:
    result = runner.invoke(cli.app, ["prune", "--older-than", value, *workspace])
    assert result.exit_code == 2
    assert "--older-than" in result.output
    assert len(ids(store)) == 8


def test_older_than_is_required(workspace: list[str]) -> None:
    result = runner.invoke(cli.app, ["prune", *workspace])
    assert result.exit_code == 2
    assert "--older-than" in result.output
