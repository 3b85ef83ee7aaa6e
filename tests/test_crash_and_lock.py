"""A scan killed mid-way, two overlapping scans, and readers during a scan: real processes.

Each test runs the installed `mentionwatch` script (or the real CLI with one pause inside a
write transaction, tests/fixtures/crash/scan_paused_in_transaction.py) against a real SQLite
file and a real HTTP server on 127.0.0.1. A source is held mid-scan by a feed whose answer
waits on a gate the test opens; every wait is bounded, and every process is killed (by its own
pid) when a test ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import LocalServer, Route, SeenRequest, rss_source, write_config
from mentionwatch.store import Store

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="SIGKILL and the fcntl scan lock are POSIX"
)

SCRIPT = Path(sys.executable).parent / "mentionwatch"
PAUSED_SCAN = Path(__file__).parent / "fixtures" / "crash" / "scan_paused_in_transaction.py"
#: The longest a held feed waits for its gate; the config's read timeout is longer still, so a
#: held request never times out (and is never retried) while a test needs it held.
HOLD_LIMIT_S = 25.0
#: Bound on waiting for something a scan does (a commit, a request, a pause).
WAIT_S = 15.0
#: scan_lock's default wait before a second scan gives up.
LOCK_WAIT_S = 10.0


def script() -> str:
    found = str(SCRIPT) if SCRIPT.exists() else shutil.which("mentionwatch")
    assert found, "the `mentionwatch` console script is not installed (pip install -e .)"
    return found


# --- the feeds --------------------------------------------------------------------------------


def rss(name: str, count: int) -> bytes:
    """An RSS 2.0 feed of `count` complaints about Acme, items `NAME-0` ... (newest last)."""
    items = "".join(
        f"<item><guid>{name}-{i}</guid><link>https://forum.example/{name}/{i}</link>"
        f"<title>Acme lost order {i}</title>"
        f"<description>I am furious: Acme lost my order {i} and support ignores me."
        f" Terrible, awful service.</description>"
        f"<pubDate>Mon, 0{1 + i % 9} Jan 2024 10:00:00 GMT</pubDate></item>"
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>https://forum.example/{name}</link>{items}"
        "</channel></rss>"
    ).encode()


def native_ids(name: str, count: int) -> set[tuple[str, str]]:
    return {(name, f"{name}-{i}") for i in range(count)}


class Feeds:
    """The test's feeds on the local server: `publish` one (with an ETag), `hold` one so its
    answer waits until `release` (a slow source), see what each was asked."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.published: dict[str, tuple[int, str]] = {}
        self.gates: dict[str, threading.Event] = {}

    def url(self, name: str) -> str:
        return self.server.url(f"/{name}.xml")

    def publish(self, name: str, count: int, etag: str) -> None:
        self.published[name] = (count, etag)
        self.server.routes[f"/{name}.xml"] = self._answerer(name)

    def hold(self, name: str) -> None:
        self.gates[name] = threading.Event()

    def release(self, name: str | None = None) -> None:
        for gated, gate in self.gates.items():
            if name is None or gated == name:
                gate.set()

    def requests(self, name: str) -> list[SeenRequest]:
        return [r for r in list(self.server.requests) if r.path == f"/{name}.xml"]

    def _answerer(self, name: str) -> Callable[[SeenRequest], Route]:
        def answer(seen: SeenRequest) -> Route:
            gate = self.gates.get(name)
            if gate is not None:
                gate.wait(HOLD_LIMIT_S)
            # Read after the hold: a held source answers with what is published by then.
            count, etag = self.published[name]
            return Route(
                body=rss(name, count), headers={"Content-Type": "application/rss+xml"}, etag=etag
            )

        return answer


@pytest.fixture
def feeds(http_server: LocalServer) -> Iterator[Feeds]:
    published = Feeds(http_server)
    try:
        yield published
    finally:
        published.release()  # no server thread stays parked on a gate


# --- processes ----------------------------------------------------------------------------------


@dataclass
class Child:
    """A process of the test, its output going to files (no pipe can fill up and stall it)."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    @property
    def stdout(self) -> str:
        return self.out.read_text(encoding="utf-8")

    @property
    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8")

    def running(self) -> bool:
        return self.process.poll() is None

    def finish(self, timeout: float = WAIT_S) -> int:
        return self.process.wait(timeout)

    def sigkill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(WAIT_S) == -signal.SIGKILL


class Processes:
    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.directory = directory
        self.env = env
        self.children: list[Child] = []

    def start(self, *command: str) -> Child:
        n = len(self.children)
        out, err = self.directory / f"child{n}.out", self.directory / f"child{n}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                command, env=self.env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
            )
        child = Child(process, out, err)
        self.children.append(child)
        return child

    def scan(self, *args: str) -> Child:
        return self.start(script(), "scan", *args)

    def paused_scan(self, source: str, *args: str) -> tuple[Child, Path, Path]:
        """A real scan that stops inside `source`'s write transaction until `release` exists;
        `marker` appears once it is there."""
        marker = self.directory / f"paused-{source}"
        release = self.directory / f"release-{source}"
        child = self.start(
            sys.executable, str(PAUSED_SCAN), source, str(marker), str(release), "scan", *args
        )
        return child, marker, release

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [script(), *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=WAIT_S * 2,
        )

    def kill_all(self) -> None:
        for child in self.children:
            if child.running():
                child.process.kill()  # this child only, by its pid
            child.process.wait(WAIT_S)


@pytest.fixture
def setup(
    isolated_env: Path, feeds: Feeds, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Processes, Path]]:
    """Processes run with a config of three feeds (alpha, beta, slow) and a database in a
    temporary directory; yields them and the database path. Kills stray processes at the end."""
    sources = "".join(rss_source(name, feeds.url(name)) for name in ("alpha", "beta", "slow"))
    # A read timeout longer than any hold, and no retries: a held request is one request.
    http = '[http]\ntimeout = "40s"\ndeadline = "60s"\nretries = 0\n\n'
    config = write_config(isolated_env, http + sources)
    database = isolated_env / "data" / "mentions.db"
    monkeypatch.setenv("MENTIONWATCH_CONFIG", str(config))
    monkeypatch.setenv("MENTIONWATCH_DB", str(database))
    env = dict(os.environ)
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        env.pop(name, None)
    env["PYTHONIOENCODING"] = "utf-8"
    processes = Processes(isolated_env, env)
    try:
        yield processes, database
    finally:
        processes.kill_all()


# --- reading the database -----------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    #: (id, source, native_id, url) of every mention.
    mentions: tuple[tuple[Any, ...], ...]
    #: source name -> (etag, cursor, last_success_at)
    states: dict[str, tuple[Any, ...]]
    scan_runs: int

    def keys(self, source: str | None = None) -> set[tuple[str, str]]:
        return {(s, n) for _, s, n, _ in self.mentions if source is None or s == source}

    def count(self, source: str) -> int:
        return len(self.keys(source))

    def etag(self, source: str) -> str | None:
        state = self.states.get(source)
        return state[0] if state else None


def snapshot(connection: sqlite3.Connection) -> Snapshot:
    mentions = connection.execute(
        "SELECT id, source, native_id, url FROM mentions ORDER BY id"
    ).fetchall()
    states = connection.execute(
        "SELECT name, etag, cursor, last_success_at FROM source_state"
    ).fetchall()
    runs = connection.execute("SELECT count(*) FROM scan_runs").fetchone()[0]
    return Snapshot(
        tuple(tuple(row) for row in mentions),
        {row[0]: tuple(row[1:]) for row in states},
        runs,
    )


def read_only(database: Path) -> Snapshot | None:
    """What is committed now, read through a read-only connection; None while the database or
    its schema does not exist yet."""
    try:
        connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=1)
    except sqlite3.OperationalError:
        return None
    try:
        return snapshot(connection)
    except sqlite3.OperationalError:  # not created, or not migrated, yet
        return None
    finally:
        connection.close()


def after_the_fact(database: Path) -> Snapshot:
    """Open the database as the next process would (recovering the WAL), check it is sound,
    and read it."""
    connection = sqlite3.connect(database, timeout=5)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        duplicates = connection.execute(
            "SELECT source, native_id, count(*) FROM mentions GROUP BY source, native_id"
            " HAVING count(*) > 1"
            " UNION ALL "
            "SELECT source, url, count(*) FROM mentions GROUP BY source, url HAVING count(*) > 1"
        ).fetchall()
        assert duplicates == []
        return snapshot(connection)
    finally:
        connection.close()


def wait_for(what: str, check: Callable[[], Any], *alive: Child, timeout: float = WAIT_S) -> Any:
    """Poll `check` until it returns something true; fail if a process in `alive` exits first
    or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        for child in alive:
            if not child.running():
                pytest.fail(
                    f"waiting for {what}, {child.process.args!r} exited"
                    f" {child.process.returncode}:\n{child.stdout}\n{child.stderr}"
                )
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def committed(database: Path, **counts: int) -> Callable[[], Snapshot | None]:
    """A check: the committed snapshot once each named source has that many mentions."""

    def check() -> Snapshot | None:
        seen = read_only(database)
        if seen and all(seen.count(name) == n for name, n in counts.items()):
            return seen
        return None

    return check


def scan_json(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return {s["name"]: s for s in json.loads(result.stdout)["sources"]}


# --- 1. a scan killed mid-way -----------------------------------------------------------------


def test_a_scan_killed_while_a_source_is_slow_loses_and_duplicates_nothing(
    feeds: Feeds, setup: tuple[Processes, Path]
) -> None:
    processes, database = setup
    feeds.publish("alpha", 3, '"alpha-1"')
    feeds.publish("beta", 2, '"beta-1"')
    feeds.publish("slow", 4, '"slow-1"')
    feeds.hold("slow")

    scan = processes.scan()
    before = wait_for("alpha and beta committed", committed(database, alpha=3, beta=2), scan)
    wait_for("the slow source asked", lambda: feeds.requests("slow"), scan)
    scan.sigkill()

    after = after_the_fact(database)
    assert after.mentions == before.mentions  # every commit survived, nothing half-written
    assert after.keys() == native_ids("alpha", 3) | native_ids("beta", 2)
    assert (after.etag("alpha"), after.etag("beta")) == ('"alpha-1"', '"beta-1"')
    # The killed source stored nothing, so it has no validator that would hide its items.
    assert after.count("slow") == 0
    assert after.etag("slow") is None

    # The next cron run: the slow source (never stored) is due, the others are not.
    feeds.release("slow")
    rerun = processes.run("scan", "--json")
    reports = scan_json(rerun)
    assert set(reports) == {"slow"}
    assert reports["slow"]["new"] == 4
    assert feeds.requests("slow")[-1].headers.get("if-none-match") is None

    final = after_the_fact(database)
    assert final.keys() == native_ids("alpha", 3) | native_ids("beta", 2) | native_ids("slow", 4)
    assert final.mentions[: len(before.mentions)] == before.mentions  # same rows, same ids
    assert {name: final.etag(name) for name in ("alpha", "beta", "slow")} == {
        "alpha": '"alpha-1"',
        "beta": '"beta-1"',
        "slow": '"slow-1"',
    }
    assert all(state[2] is not None for state in final.states.values())  # every source stored

    # Each saved ETag matches what is stored: a forced scan gets 304 everywhere, adds nothing.
    forced = scan_json(processes.run("scan", "--all", "--json"))
    assert {name: r["outcome"] for name, r in forced.items()} == {
        "alpha": "not_modified",
        "beta": "not_modified",
        "slow": "not_modified",
    }
    assert after_the_fact(database).mentions == final.mentions


def test_a_scan_killed_inside_a_write_transaction_leaves_the_last_commit(
    feeds: Feeds, setup: tuple[Processes, Path]
) -> None:
    processes, database = setup
    feeds.publish("alpha", 3, '"alpha-1"')
    feeds.publish("beta", 2, '"beta-1"')
    feeds.publish("slow", 4, '"slow-1"')
    assert processes.run("scan").returncode == 0
    first = after_the_fact(database)
    assert first.count("slow") == 4

    # New posts everywhere. The slow source is held until the others are committed, then the
    # scan stops inside its transaction (its 2 new mentions inserted, not committed): kill it.
    feeds.publish("alpha", 5, '"alpha-2"')
    feeds.publish("beta", 3, '"beta-2"')
    feeds.publish("slow", 6, '"slow-2"')
    feeds.hold("slow")
    scan, marker, _ = processes.paused_scan("slow", "--all")
    wait_for("alpha and beta committed", committed(database, alpha=5, beta=3), scan)
    feeds.release("slow")
    wait_for("the scan inside slow's transaction", marker.exists, scan)
    assert_write_locked(database)
    before = read_only(database)
    assert before is not None
    assert before.count("slow") == 4  # the open transaction is invisible to readers
    scan.sigkill()

    after = after_the_fact(database)
    assert after.mentions == before.mentions
    assert after.mentions[: len(first.mentions)] == first.mentions
    assert after.count("slow") == 4
    assert after.etag("slow") == '"slow-1"'  # rolled back with the mentions it came with
    assert (after.etag("alpha"), after.etag("beta")) == ('"alpha-2"', '"beta-2"')

    reports = scan_json(processes.run("scan", "--all", "--json"))
    # The old ETag brings the whole new feed back: the two lost posts are stored now.
    assert feeds.requests("slow")[-1].headers.get("if-none-match") == '"slow-1"'
    assert (reports["slow"]["outcome"], reports["slow"]["new"]) == ("ok", 2)
    assert reports["alpha"]["outcome"] == reports["beta"]["outcome"] == "not_modified"

    final = after_the_fact(database)
    assert final.keys() == native_ids("alpha", 5) | native_ids("beta", 3) | native_ids("slow", 6)
    assert final.mentions[: len(after.mentions)] == after.mentions
    assert final.etag("slow") == '"slow-2"'


def assert_write_locked(database: Path) -> None:
    """Another process holds the database's write lock right now."""
    probe = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
    finally:
        probe.close()


# --- 2. one scan at a time ----------------------------------------------------------------------


def test_a_second_scan_waits_then_gives_up_and_readers_never_wait(
    feeds: Feeds, setup: tuple[Processes, Path]
) -> None:
    processes, database = setup
    feeds.publish("alpha", 3, '"alpha-1"')
    feeds.publish("beta", 2, '"beta-1"')
    feeds.publish("slow", 4, '"slow-1"')
    feeds.hold("slow")

    first = processes.scan()
    held = wait_for("alpha and beta committed", committed(database, alpha=3, beta=2), first)
    wait_for("the slow source asked", lambda: feeds.requests("slow"), first)
    asked = len(feeds.server.requests)

    began = time.monotonic()
    second = processes.scan("--all")
    # Meanwhile a reader answers at once with what the first scan committed.
    inbox = processes.run("inbox", "--json")
    assert inbox.returncode == 0, inbox.stderr
    assert {(e["source"], e["native_id"]) for e in json.loads(inbox.stdout)} == held.keys()
    assert first.running() and second.running()

    assert second.finish(LOCK_WAIT_S + WAIT_S) == 4
    waited = time.monotonic() - began
    assert waited >= LOCK_WAIT_S  # it did wait for the first scan before giving up
    assert second.stdout == ""
    (line,) = second.stderr.splitlines()
    assert line.startswith(f"mentionwatch: another scan is running on {database}")
    assert "Traceback" not in second.stderr
    # It changed nothing and asked no server anything.
    assert read_only(database) == held
    assert len(feeds.server.requests) == asked
    assert first.running()

    feeds.release("slow")
    assert first.finish() == 0, first.stderr
    done = after_the_fact(database)
    assert done.keys() == native_ids("alpha", 3) | native_ids("beta", 2) | native_ids("slow", 4)
    assert done.scan_runs == 1

    again = processes.run("scan", "--all")
    assert again.returncode == 0, again.stderr
    assert after_the_fact(database).scan_runs == 2


# --- 3. readers during a write transaction ------------------------------------------------------


def test_readers_do_not_wait_for_a_scans_write_transaction(
    feeds: Feeds, setup: tuple[Processes, Path]
) -> None:
    processes, database = setup
    feeds.publish("alpha", 3, '"alpha-1"')
    feeds.publish("beta", 2, '"beta-1"')
    feeds.publish("slow", 1, '"slow-1"')
    assert processes.run("scan").returncode == 0
    stored = native_ids("alpha", 3) | native_ids("beta", 2) | native_ids("slow", 1)

    feeds.publish("alpha", 6, '"alpha-2"')
    scan, marker, release = processes.paused_scan("alpha", "--all")
    wait_for("the scan inside alpha's transaction", marker.exists, scan)
    assert_write_locked(database)

    # The scan holds its transaction until released, so a reader that waited for it would
    # run into the busy timeout and fail, not merely be slow.
    with Store.open(database) as store:
        seen = {(m.source, m.native_id) for m in store.open_mentions()}
    assert seen == stored  # what is committed, not alpha's uncommitted three
    inbox = processes.run("inbox", "--json")
    assert inbox.returncode == 0, inbox.stderr
    assert {(e["source"], e["native_id"]) for e in json.loads(inbox.stdout)} == stored
    assert scan.running()
    assert_write_locked(database)  # still held: the reads really overlapped it

    release.touch()
    assert scan.finish() == 0, scan.stderr
    with Store.open(database) as store:
        seen = {(m.source, m.native_id) for m in store.open_mentions()}
    assert seen == stored | native_ids("alpha", 6)
