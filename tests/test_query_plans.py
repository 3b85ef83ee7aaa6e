"""Every query the read commands run stays an index lookup as the database grows.

Rather than list queries by hand (and miss the one someone adds next month), each command runs
for real through the CLI with SQLite's trace hook on, and every SELECT it sent is put to
`EXPLAIN QUERY PLAN`. A line like `SCAN mentions` means SQLite would read the whole table (or
walk a whole index) for it: at a million mentions that is the difference between an instant
inbox and a slow one. Small tables that grow with the config, not with the mentions
(`source_state`, `alerts`, `digests`), may be scanned.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DIGEST_NOW, digest_post, store_posts
from mentionwatch import cli
from mentionwatch.models import MentionStatus
from mentionwatch.store import Store
from mentionwatch.store import db as store_db
from mentionwatch.store import queries as store_queries

runner = CliRunner()

CONFIG = """
[brand]
name = "Acme"
terms = ["Acme"]
handles = ["AcmeSupport"]
sla = "4h"

[[sources]]
name = "alerts"
kind = "rss"
url = "https://alerts.example/feed.xml"

[[sources]]
name = "forum"
kind = "rss"
url = "https://forum.example/feed.xml"
"""

#: Tables whose size grows with the mentions stored or the scans run: never scanned whole.
GROWING_TABLES = (
    "mentions",
    "replies",
    "mention_history",
    "mention_notes",
    "alert_deliveries",
    "source_runs",
    "scan_runs",
)
FULL_SCAN = re.compile(rf"^SCAN ({'|'.join(GROWING_TABLES)})\b")

#: Each read command a person or cron runs against a big database, as CLI arguments.
READ_COMMANDS: dict[str, list[str]] = {
    "inbox": ["inbox"],
    "inbox --all": ["inbox", "--all"],
    "inbox --questions": ["inbox", "--questions"],
    "inbox --spam": ["inbox", "--spam"],
    "inbox --source --since": ["inbox", "--source", "forum", "--since", "30d"],
    "inbox --mine": ["inbox", "--mine"],
    "inbox --assignee": ["inbox", "--assignee", "leo"],
    "inbox --unassigned": ["inbox", "--unassigned"],
    "show": ["show", "1"],
    "show --json": ["show", "1", "--json"],
    "sources": ["sources"],
    "stats": ["stats", "--since", "30d"],
    "stats --by source": ["stats", "--since", "30d", "--by", "source"],
    "stats --by responder": ["stats", "--since", "30d", "--by", "responder"],
    "stats --by day": ["stats", "--since", "30d", "--by", "day"],
    "advocates": ["advocates", "--since", "90d"],
    "search": ["search", "refund"],
    "search with filters": [
        "search", "refund", "--source", "forum", "--status", "open", "--since", "30d",
    ],
}  # fmt: skip


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A small database with every kind of row the read commands touch."""
    path = tmp_path / "plans.db"
    with Store.open(path) as store:
        store_posts(
            store,
            [
                digest_post("n1", "negative", hours_ago=20, text="Still waiting for my refund"),
                digest_post("n2", "negative", hours_ago=3, text="Acme app crashed again"),
                digest_post("q1", "neutral", hours_ago=5, text="How do I export?", question=True),
                digest_post("p1", "positive", hours_ago=30, author="fan", text="Love Acme"),
                digest_post("s1", "positive", hours_ago=1, text="Earn $500 a day", spam=True),
            ],
            DIGEST_NOW,
        )
        store_posts(
            store,
            [digest_post("f1", "negative", hours_ago=8, source="forum", text="refund late")],
            DIGEST_NOW,
            source="forum",
        )
        store.set_status(2, MentionStatus.ANSWERED, by="leo", at=DIGEST_NOW)
        store.assign(1, "maya", by="maya", at=DIGEST_NOW)
        store.add_note(1, author="maya", text="Called back", at=DIGEST_NOW)
    return path


@pytest.fixture
def traced_statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every SQL statement the store's connections send, with its parameters bound."""
    statements: list[str] = []
    real_connect: Callable[[Path], sqlite3.Connection] = store_db.connect

    def connect_and_trace(path: Path) -> sqlite3.Connection:
        connection = real_connect(path)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(store_queries, "connect", connect_and_trace)
    yield statements


def full_scans(database: Path, statement: str) -> list[str]:
    """The plan lines of `statement` that read a growing table whole."""
    return full_scans_of(database, [statement]).get(statement, [])


#: A temporary table a command builds from a query (`stats` reads its period once).
TEMP_TABLE = re.compile(r"\s*CREATE TEMP TABLE \w+ AS\s+(.*)", re.DOTALL | re.IGNORECASE)
DROP_TEMP_TABLE = re.compile(r"\s*DROP TABLE (?:IF EXISTS )?temp\.", re.IGNORECASE)


def full_scans_of(database: Path, statements: list[str]) -> dict[str, list[str]]:
    """The plan lines of each read statement that read a growing table whole. A temporary
    table the statements build is built here too, so that the reads of it can be explained;
    the query that fills it is explained as a read."""
    found: dict[str, list[str]] = {}
    with sqlite3.connect(database) as connection:
        for statement in statements:
            filled = TEMP_TABLE.match(statement)
            read = filled.group(1) if filled else statement if is_read(statement) else None
            if read is not None:
                plan = connection.execute(f"EXPLAIN QUERY PLAN {read}").fetchall()
                found[statement] = [row[3] for row in plan if FULL_SCAN.match(row[3])]
            if filled or DROP_TEMP_TABLE.match(statement):
                connection.execute(statement)
    return found


def is_read(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("SELECT", "WITH"))


@pytest.mark.parametrize("arguments", READ_COMMANDS.values(), ids=READ_COMMANDS.keys())
def test_read_commands_never_scan_a_growing_table(
    arguments: list[str],
    database: Path,
    traced_statements: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("MENTIONWATCH_USER", "maya")
    result = runner.invoke(cli.app, [*arguments, "--config", str(config), "--db", str(database)])
    assert result.exit_code == 0, result.output
    reads = [statement for statement in traced_statements if is_read(statement)]
    assert reads, "the command sent no query: the trace hook is not installed"
    scans_by_statement = full_scans_of(database, traced_statements)
    offenders = {statement: scans for statement, scans in scans_by_statement.items() if scans}
    assert not offenders, "\n\n".join(
        f"{statement}\n  -> {', '.join(scans)}" for statement, scans in offenders.items()
    )


def test_the_check_itself_recognises_a_full_scan(database: Path) -> None:
    assert full_scans(database, "SELECT count(*) FROM mentions WHERE text LIKE '%refund%'")
    assert not full_scans(database, "SELECT * FROM mentions WHERE id = 1")
    # the query that fills a temporary table is a read too, and the reads of the table work
    build = "CREATE TEMP TABLE picked AS SELECT id FROM mentions WHERE text LIKE '%refund%'"
    scans = full_scans_of(database, [build, "SELECT count(*) FROM temp.picked"])
    assert scans[build] and scans["SELECT count(*) FROM temp.picked"] == []


@pytest.mark.parametrize(
    "arguments", [["inbox"], ["inbox", "--questions"], ["inbox", "--spam"], ["inbox", "--all"]]
)
def test_the_inbox_reads_its_most_urgent_rows_in_index_order(
    arguments: list[str],
    database: Path,
    traced_statements: list[str],
    tmp_path: Path,
) -> None:
    """The inbox's waited-out part is read in `inbox_rank` order straight from its index and
    stops at --limit; a plan that sorts every match first costs time in proportion to the
    open mentions (13 ms for 5,000 on a million-mention database)."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    result = runner.invoke(cli.app, [*arguments, "--config", str(config), "--db", str(database)])
    assert result.exit_code == 0, result.output
    ranked = [s for s in traced_statements if is_read(s) and "ORDER BY inbox_rank DESC" in s]
    assert ranked, "the inbox sent no ranked query"
    with sqlite3.connect(database) as connection:
        for statement in ranked:
            plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}")]
            assert any("USING INDEX mentions_rank" in line for line in plan), plan
            assert not any("TEMP B-TREE FOR ORDER BY" in line for line in plan), plan
