"""The CLI as a user drives it: real config files, real SQLite files, a real local HTTP server."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner, Result

from conftest import LocalServer, Route, mw, rss_source, write_config
from mentionwatch import __version__
from mentionwatch.cli import app
from mentionwatch.config import load_config
from mentionwatch.models import (
    Classification,
    Mention,
    ScoredMention,
    SearchResult,
    SentimentLabel,
    SourceState,
)
from mentionwatch.store import Store

PACKAGED_EXAMPLE = Path(__file__).resolve().parents[1] / "src/mentionwatch/config.example.toml"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
COMPLAINT = "Dozens of readers told the Ledger"
COMPLAINT_URL = "https://www.riversideledger.example/business/2026/11/20/acme-refund-delays/"
INBOX_KEYS = {
    "id",
    "source",
    "kind",
    "url",
    "author",
    "title",
    "text",
    "created_at",
    "sentiment",
    "status",
    "answered_at",
    "answered_by",
    "priority",
    "sla_breached",
}

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("plain_output")


def json_out(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@dataclass
class Workspace:
    config: Path
    db: Path
    server: LocalServer


@pytest.fixture
def workspace(
    isolated_env: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    """A config with one Google Alerts feed on the local server, found through the env vars."""
    url = http_server.serve_file("/alerts.atom", "feeds/google-alerts.atom", "application/atom+xml")
    config = write_config(isolated_env, rss_source("alerts", url))
    db = isolated_env / "mentions.db"
    monkeypatch.setenv("MENTIONWATCH_CONFIG", str(config))
    monkeypatch.setenv("MENTIONWATCH_DB", str(db))
    return Workspace(config, db, http_server)


def scanned(workspace: Workspace) -> Workspace:
    result = mw("scan")
    assert result.exit_code == 0, result.output
    return workspace


def rss_feed(items: Sequence[dict[str, Any]]) -> bytes:
    """A small RSS 2.0 feed; each item has guid, title, text, and `at` (a datetime)."""
    body = "".join(
        f"<item><title>{i['title']}</title><link>https://forum.example/t/{i['guid']}</link>"
        f'<guid isPermaLink="false">{i["guid"]}</guid>'
        f"<pubDate>{format_datetime(i['at'], usegmt=True)}</pubDate>"
        f"<author>{i.get('author', 'someone@forum.example (someone)')}</author>"
        f"<description>{i['text']}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Forum</title><link>https://forum.example/</link><description>d</description>"
        f"{body}</channel></rss>"
    ).encode()


def serve(server: LocalServer, path: str, body: bytes, status: int = 200) -> str:
    server.routes[path] = Route(
        body=body, status=status, headers={"Content-Type": "application/rss+xml"}
    )
    return server.url(path)


def only_mention_id(workspace: Workspace) -> int:
    (entry,) = json_out(mw("inbox", "--json"))
    return int(entry["id"])


# --- help and version -------------------------------------------------------------------------


def test_version() -> None:
    result = mw("--version")
    assert result.exit_code == 0
    assert result.stdout == f"mentionwatch {__version__}\n"


def test_help_lists_the_commands() -> None:
    result = mw("--help")
    assert result.exit_code == 0
    for command in ("scan", "inbox", "show", "answer", "sources", "classify", "demo", "init"):
        assert command in result.stdout
    assert "Example" in result.stdout


COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_an_example(command: str) -> None:
    result = mw(command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout
    assert f"mentionwatch {command}" in result.stdout


# --- init -------------------------------------------------------------------------------------


def test_init_writes_the_starter_config_and_will_not_overwrite(isolated_env: Path) -> None:
    target = isolated_env / "xdg-config" / "mentionwatch" / "config.toml"

    result = mw("init")
    assert result.exit_code == 0, result.output
    assert str(target) in result.stdout
    assert target.read_bytes() == PACKAGED_EXAMPLE.read_bytes()
    assert load_config(target).brand.name == "Acme"

    target.write_text("# my edits\n", encoding="utf-8")
    refused = mw("init")
    assert refused.exit_code == 2
    assert refused.stderr == f"mentionwatch: {target} exists; use --force to overwrite it\n"
    assert target.read_text(encoding="utf-8") == "# my edits\n"

    forced = mw("init", "--force")
    assert forced.exit_code == 0, forced.output
    assert target.read_bytes() == PACKAGED_EXAMPLE.read_bytes()


def test_init_to_an_explicit_path(isolated_env: Path) -> None:
    target = isolated_env / "here" / "mw.toml"
    result = mw("init", "--config", target)
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == PACKAGED_EXAMPLE.read_bytes()
    assert not (isolated_env / "xdg-config").exists()


# --- a broken or missing config ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["scan", "inbox", "sources"])
def test_a_broken_config_is_one_line_and_exit_2(isolated_env: Path, command: str) -> None:
    config = write_config(isolated_env, brand_toml='[brand]\nname = "Acme"\nterms = "Acme"\n')

    result = mw(command, "--config", config, "--db", isolated_env / "m.db")

    assert result.exit_code == 2
    assert result.stderr == (
        f"mentionwatch: {config}: brand.terms: expected an array of strings, got str 'Acme'\n"
    )
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_a_broken_source_in_the_config_names_its_index(isolated_env: Path) -> None:
    config = write_config(
        isolated_env,
        rss_source("a", "https://a.example/feed")
        + rss_source("b", "https://b.example/feed")
        + "urll = 'https://b.example/'\n",
    )
    result = mw("scan", "--config", config)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"mentionwatch: {config}: sources[1].urll: unknown key: expected one of"
    )
    assert result.stderr.count("\n") == 1


def test_no_config_at_all_suggests_init(isolated_env: Path) -> None:
    result = mw("scan")
    assert result.exit_code == 2
    assert result.stderr.startswith("mentionwatch: ")
    assert "mentionwatch init" in result.stderr
    assert str(isolated_env / "xdg-config" / "mentionwatch" / "config.toml") in result.stderr


def test_a_bad_since_is_a_usage_error(workspace: Workspace) -> None:
    for since in ("4 fortnights", "99999999999w", "1000000w"):
        result = mw("inbox", "--since", since)
        assert result.exit_code == 2, (since, result.output)
        assert "--since" in result.stderr
        assert "Traceback" not in result.output


# --- scan and inbox ---------------------------------------------------------------------------


def test_scan_then_inbox_shows_the_complaint(workspace: Workspace) -> None:
    scan = mw("scan")
    assert scan.exit_code == 0, scan.output
    assert "alerts" in scan.stdout
    assert "3 new" in scan.stdout

    inbox = mw("inbox")
    assert inbox.exit_code == 0, inbox.output
    assert COMPLAINT in inbox.stdout
    assert COMPLAINT_URL in inbox.stdout
    assert "Acme: unanswered negative mentions" in inbox.stdout
    # The neutral and the positive alert are stored but are not the team's problem.
    assert "Rotterdam" not in inbox.stdout
    assert "Rocket Skates" not in inbox.stdout
    assert workspace.db.exists()


def test_inbox_json_is_the_documented_contract(workspace: Workspace) -> None:
    scanned(workspace)
    entries = json_out(mw("inbox", "--json"))

    assert isinstance(entries, list)
    (entry,) = entries
    assert set(entry) >= INBOX_KEYS
    assert isinstance(entry["id"], int)
    assert entry["source"] == "alerts"
    assert entry["kind"] == "rss"
    assert entry["url"] == COMPLAINT_URL  # Google's redirect unwrapped
    assert entry["author"] is None
    assert entry["title"] == "Readers say Acme refunds are stuck for weeks - Riverside Ledger"
    assert entry["text"].startswith(COMPLAINT)
    assert entry["created_at"] == "2026-11-20T08:15:00Z"
    assert ISO_UTC.match(entry["fetched_at"])
    assert entry["sentiment"]["label"] == "negative"
    assert -1 <= entry["sentiment"]["compound"] < 0
    assert entry["status"] == "open"
    assert entry["answered_at"] is None
    assert entry["answered_by"] is None
    assert 0 <= entry["priority"] <= 100
    assert isinstance(entry["sla_breached"], bool)


def test_inbox_csv_has_a_header_and_rows(workspace: Workspace) -> None:
    scanned(workspace)
    result = mw("inbox", "--csv")
    assert result.exit_code == 0, result.output

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    header = result.stdout.splitlines()[0].split(",")
    assert {"id", "priority", "created_at", "source", "title", "label", "status", "url"} <= set(
        header
    )
    (row,) = rows
    assert row["source"] == "alerts"
    assert row["label"] == "negative"
    assert row["url"] == COMPLAINT_URL
    assert row["created_at"] == "2026-11-20T08:15:00Z"


def test_inbox_all_shows_every_open_mention(workspace: Workspace) -> None:
    scanned(workspace)
    labels = [e["sentiment"]["label"] for e in json_out(mw("inbox", "--all", "--json"))]
    assert sorted(labels) == ["negative", "neutral", "positive"]
    text = mw("inbox", "--all")
    assert "Acme: open mentions" in text.stdout
    assert "Rotterdam" in text.stdout


def test_inbox_filters(isolated_env: Path, http_server: LocalServer) -> None:
    now = datetime.now(timezone.utc)
    forum = rss_feed(
        [
            {
                "guid": "recent",
                "title": "Acme lost my parcel",
                "text": "Acme lost my parcel and support ignored me. Terrible, I am furious.",
                "at": now - timedelta(hours=2),
            },
            {
                "guid": "old",
                "title": "Acme double charged me",
                "text": "Acme double charged me again. Awful, nobody answers.",
                "at": now - timedelta(days=10),
            },
            {
                "guid": "happy",
                "title": "Acme kettle",
                "text": "I love my new Acme kettle, great design.",
                "at": now - timedelta(hours=1),
            },
        ]
    )
    blog = rss_feed(
        [
            {
                "guid": "blog-1",
                "title": "Acme outage",
                "text": "Acme is down again. Useless and broken, I hate it.",
                "at": now - timedelta(days=3),
            }
        ]
    )
    config = write_config(
        isolated_env,
        rss_source("forum", serve(http_server, "/forum.rss", forum))
        + rss_source("blog", serve(http_server, "/blog.rss", blog)),
    )
    common = ["--config", config, "--db", isolated_env / "m.db"]
    assert mw("scan", *common).exit_code == 0

    def titles(*args: str) -> list[str]:
        return [e["title"] for e in json_out(mw("inbox", "--json", *common, *args))]

    everything = titles()
    assert sorted(everything) == ["Acme double charged me", "Acme lost my parcel", "Acme outage"]
    priorities = [e["priority"] for e in json_out(mw("inbox", "--json", *common))]
    assert priorities == sorted(priorities, reverse=True)  # most urgent first
    assert titles("--since", "1d") == ["Acme lost my parcel"]
    assert sorted(titles("--since", "5d")) == ["Acme lost my parcel", "Acme outage"]
    assert titles("--source", "blog") == ["Acme outage"]
    assert titles("-s", "blog", "-s", "forum") == everything
    assert titles("--limit", "1") == everything[:1]
    assert sorted(titles("--all")) == sorted([*everything, "Acme kettle"])
    assert sorted(titles("--all", "--source", "forum", "--since", "1d")) == [
        "Acme kettle",
        "Acme lost my parcel",
    ]

    limited = mw("inbox", *common, "--limit", "2")
    assert "Showing the first 2; use --limit for more." in limited.stdout
    assert mw("inbox", *common, "--limit", "0").exit_code == 2


def test_scan_json_shape(workspace: Workspace) -> None:
    report = json_out(mw("scan", "--json"))

    assert report["alerts"] == {"alerted": 0, "messages": 0, "held": 0, "errors": []}
    assert set(report) == {
        "alerts",
        "started_at",
        "finished_at",
        "new",
        "updated",
        "failed",
        "sources",
        "threads",
        "silent",
    }
    assert report["silent"] == []
    assert ISO_UTC.match(report["started_at"])
    assert ISO_UTC.match(report["finished_at"])
    assert (report["new"], report["updated"], report["failed"]) == (3, 0, 0)
    (source,) = report["sources"]
    assert source == {
        "name": "alerts",
        "kind": "rss",
        "outcome": "ok",
        "http_status": 200,
        "items_seen": 3,
        "relevant": 3,
        "new": 3,
        "updated": 0,
        "error": None,
        "duration_s": source["duration_s"],
        "moved_to": None,
        "paused": None,
        "next_check_at": source["next_check_at"],
    }
    assert isinstance(source["duration_s"], float)
    assert ISO_UTC.match(source["next_check_at"])


def test_a_scan_skips_sources_that_are_not_due(workspace: Workspace) -> None:
    scanned(workspace)
    again = mw("scan")
    assert again.exit_code == 0
    assert "No source is due. Use --all to poll them anyway." in again.stdout
    assert json_out(mw("scan", "--json"))["sources"] == []
    forced = json_out(mw("scan", "--all", "--json"))
    assert [s["name"] for s in forced["sources"]] == ["alerts"]
    assert (forced["new"], forced["updated"]) == (0, 0)
    assert len(workspace.server.requests) == 2


@pytest.mark.parametrize("command", ["scan", "inbox"])
def test_an_unknown_source_is_not_found(workspace: Workspace, command: str) -> None:
    result = mw(command, "--source", "nope")
    assert result.exit_code == 3
    assert result.stderr.startswith("mentionwatch: no source named nope in ")


def test_one_failing_source_exits_1_and_keeps_the_others(
    isolated_env: Path, http_server: LocalServer
) -> None:
    good = http_server.serve_file("/ok.atom", "feeds/google-alerts.atom", "application/atom+xml")
    bad = serve(http_server, "/broken.rss", b"oops", status=500)
    config = write_config(isolated_env, rss_source("alerts", good) + rss_source("broken", bad))
    common = ["--config", config, "--db", isolated_env / "m.db"]

    result = mw("scan", "--all", *common)
    assert result.exit_code == 1, result.output
    assert "broken" in result.stdout
    assert "1 failed (broken)" in result.stdout

    report = json.loads(mw("scan", "--all", "--json", *common).stdout)
    assert report["failed"] == 1
    failed = next(s for s in report["sources"] if s["name"] == "broken")
    assert failed["outcome"] == "error"
    assert failed["http_status"] == 500
    assert "500" in failed["error"]

    (entry,) = json_out(mw("inbox", "--json", *common))
    assert entry["source"] == "alerts"
    assert entry["text"].startswith(COMPLAINT)


# --- show, answer, ignore, reopen -------------------------------------------------------------


def test_show_a_mention(workspace: Workspace) -> None:
    mention_id = only_mention_id(scanned(workspace))

    text = mw("show", mention_id)
    assert text.exit_code == 0, text.output
    for expected in (
        "Readers say Acme refunds are stuck for weeks",
        COMPLAINT,
        COMPLAINT_URL,
        "alerts (rss)",
        "2026-11-20 08:15 UTC",
        "negative",
        "open",
        "Why it scored so",
    ):
        assert expected in text.stdout

    detail = json_out(mw("show", mention_id, "--json"))
    assert set(detail) >= INBOX_KEYS
    assert detail["id"] == mention_id
    assert detail["url"] == COMPLAINT_URL


def test_show_an_unknown_id(workspace: Workspace) -> None:
    scanned(workspace)
    for args in (["show", "999"], ["show", "999", "--json"]):
        result = mw(*args)
        assert result.exit_code == 3
        assert result.stderr == "mentionwatch: no mention with id 999\n"
        assert result.stdout == ""


def test_answer_ignore_reopen_round_trip(workspace: Workspace) -> None:
    mention_id = only_mention_id(scanned(workspace))

    answered = mw("answer", mention_id, "--by", "maya")
    assert answered.exit_code == 0, answered.output
    assert answered.stdout == f"#{mention_id} is now answered by maya.\n"
    detail = json_out(mw("show", mention_id, "--json"))
    assert detail["status"] == "answered"
    assert detail["answered_by"] == "maya"
    assert ISO_UTC.match(detail["answered_at"])
    assert json_out(mw("inbox", "--json")) == []
    assert json_out(mw("inbox", "--all", "--json")) != []  # the other two are still open
    assert "answered by maya" in mw("show", mention_id).stdout

    ignored = mw("ignore", mention_id)
    assert ignored.stdout == f"#{mention_id} is now ignored.\n"
    detail = json_out(mw("show", mention_id, "--json"))
    assert (detail["status"], detail["answered_by"], detail["answered_at"]) == (
        "ignored",
        None,
        None,
    )
    assert json_out(mw("inbox", "--json")) == []

    reopened = mw("reopen", mention_id)
    assert reopened.stdout == f"#{mention_id} is now open.\n"
    (entry,) = json_out(mw("inbox", "--json"))
    assert (entry["id"], entry["status"], entry["answered_by"]) == (mention_id, "open", None)


def test_marking_an_unknown_id(workspace: Workspace) -> None:
    scanned(workspace)
    for args in (["answer", "999", "--by", "maya"], ["ignore", "999"], ["reopen", "999"]):
        result = mw(*args)
        assert result.exit_code == 3, args
        assert result.stderr == "mentionwatch: no mention with id 999\n"
    assert mw("answer", "1").exit_code == 2  # --by is required


def test_a_rescan_never_undoes_a_manual_mark(workspace: Workspace) -> None:
    mention_id = only_mention_id(scanned(workspace))
    assert mw("answer", mention_id, "--by", "maya").exit_code == 0

    # The publisher edits the headline: the re-scan updates the post but not the team's mark.
    route = workspace.server.routes["/alerts.atom"]
    assert isinstance(route, Route)
    route.body = route.body.replace(b"stuck for weeks", b"stuck for months")
    report = json_out(mw("scan", "--all", "--json"))
    assert report["updated"] == 1

    detail = json_out(mw("show", mention_id, "--json"))
    assert "stuck for months" in detail["title"]
    assert (detail["status"], detail["answered_by"]) == ("answered", "maya")
    assert json_out(mw("inbox", "--json")) == []


# --- sources ----------------------------------------------------------------------------------


def test_sources_after_a_scan(isolated_env: Path, http_server: LocalServer) -> None:
    good = http_server.serve_file("/ok.atom", "feeds/google-alerts.atom", "application/atom+xml")
    bad = serve(http_server, "/broken.rss", b"oops", status=500)
    config = write_config(
        isolated_env,
        rss_source("alerts", good, interval="1h")
        + rss_source("broken", bad)
        + rss_source("later", "https://later.example/feed")
        + "enabled = false\n",
    )
    common = ["--config", config, "--db", isolated_env / "m.db"]
    assert mw("scan", *common).exit_code == 1

    text = mw("sources", *common)
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    alerts = next(line for line in lines if line.startswith("alerts"))
    assert re.search(r"\b1h\b.*\bago\b.*\b3\b.*\bok\b", alerts), alerts
    broken = next(line for line in lines if line.startswith("broken"))
    assert "failing (1 in a row)" in broken
    assert "✗" in broken  # its recent history
    assert "HTTP 500" in broken
    later = next(line for line in lines if line.startswith("later"))
    assert "disabled" in later

    rows = {row["name"]: row for row in json_out(mw("sources", "--json", *common))}
    assert set(rows) == {"alerts", "broken", "later"}
    assert rows["alerts"]["mentions_stored"] == 3
    assert rows["alerts"]["interval"] == "1h"
    assert rows["alerts"]["consecutive_errors"] == 0
    assert ISO_UTC.match(rows["alerts"]["last_success_at"])
    assert rows["alerts"]["last_scan"]["outcome"] == "ok"
    assert rows["broken"]["last_success_at"] is None
    assert ISO_UTC.match(rows["broken"]["last_attempt_at"])
    assert rows["broken"]["consecutive_errors"] == 1
    assert "500" in rows["broken"]["last_error"]
    assert rows["broken"]["last_scan"]["outcome"] == "error"
    assert rows["later"]["enabled"] is False
    assert rows["later"]["last_attempt_at"] is None
    assert rows["later"]["last_scan"] is None


# --- classify ---------------------------------------------------------------------------------


def test_classify_one_text_without_any_config(isolated_env: Path) -> None:
    result = mw("classify", "My Acme order never arrived and support is useless")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("negative")
    assert "My Acme order never arrived" in result.stdout
    assert not (isolated_env / "xdg-config").exists()
    assert not (isolated_env / "xdg-data").exists()


def test_classify_json_reads_one_text_per_stdin_line(isolated_env: Path) -> None:
    stdin = "I hate how slow Acme is\n\n   \nI love my new Acme kettle, great design.\n"
    result = mw("classify", "--json", input=stdin)
    assert result.exit_code == 0, result.output

    lines = result.stdout.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["text"] == "I hate how slow Acme is"
    assert first["sentiment"]["label"] == "negative"
    assert first["sentiment"]["compound"] < 0
    assert second["sentiment"]["label"] == "positive"
    assert set(first) >= {"text", "sentiment", "snippet"}
    dash = mw("classify", "-", "--json", input=stdin)
    assert dash.stdout == result.stdout


def test_classify_uses_the_config_thresholds(isolated_env: Path) -> None:
    config = write_config(
        isolated_env,
        "[sentiment]\nnegative = -0.99\npositive = 0.99\n",
    )
    result = mw("classify", "--json", "--config", config, "I hate how slow Acme is")
    assert json.loads(result.stdout)["sentiment"]["label"] == "neutral"


# --- demo -------------------------------------------------------------------------------------


def test_demo_runs_offline_into_the_given_database(isolated_env: Path) -> None:
    db = isolated_env / "demo.db"
    result = mw("demo", "--db", db)
    assert result.exit_code == 0, result.output
    assert "unanswered negative" in result.stdout
    assert str(db) in result.stdout
    with sqlite3.connect(db) as connection:
        (stored,) = connection.execute("SELECT count(*) FROM mentions").fetchone()
    assert stored > 0
    shown = mw("show", "1", "--db", db)
    assert shown.exit_code == 0, shown.output


# --- output safety: untrusted text never drives the terminal ----------------------------------

# Escape sequences as a hostile feed would send them: OSC 52 (write the clipboard), CSI 2J (clear
# the screen), an OSC 8 hyperlink, a right-to-left override, a C1 CSI; plus Rich markup.
OSC52 = "\x1b]52;c;SGVsbG8=\x07"
CSI_CLEAR = "\x1b[2J"
OSC8 = "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"
MARKUP_BOLD = "[bold red]x[/]"
MARKUP_LINK = "[link=http://evil.example]y[/link]"
HOSTILE = f"Acme {MARKUP_BOLD} {MARKUP_LINK} {OSC52}{CSI_CLEAR}{OSC8} \u202egnorw is awful"
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\u202e")


def xml_char_refs(text: str) -> str:
    """XML 1.0 cannot carry ESC even as a reference; feedparser's lenient parser still reads it."""
    return "".join(
        f"&#{ord(c)};" if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" else c
        for c in text
    )


def store_hostile_mention(db: Path) -> int:
    """A mention stored as a source could deliver it: C1 CSI and friends, no XML in between."""
    now = datetime.now(timezone.utc)
    text = f"Acme \x9b2J {MARKUP_BOLD} {OSC52} \u202egnorw \x1b[31mis awful"
    mention = Mention(
        source="injected",
        kind="rss",
        native_id="hostile-1",
        url=f"https://evil.example/{CSI_CLEAR}post",
        title=f"{MARKUP_LINK} \x9b31m title",
        text=text,
        created_at=now - timedelta(minutes=5),
        author=f"mallory{OSC52}\u202e",
        matched_term="Acme",
    )
    verdict = Classification(-0.6, SentimentLabel.NEGATIVE, text)
    with Store.open(db) as store:
        store.save_poll(
            SourceState("injected", "rss"),
            SearchResult([mention]),
            [ScoredMention(mention, verdict)],
            now,
        )
        (stored,) = [m for m in store.open_mentions() if m.source == "injected"]
    return stored.id


def assert_inert(output: str) -> None:
    for char in FORBIDDEN:
        assert char not in output, f"{char!r} reached the terminal"


@pytest.fixture
def hostile(workspace: Workspace) -> tuple[int, int]:
    """Two hostile mentions: one fetched through a served feed, one stored directly."""
    now = datetime.now(timezone.utc)
    feed = rss_feed(
        [
            {
                "guid": "evil-1",
                "title": xml_char_refs(HOSTILE),
                "text": xml_char_refs(f"{HOSTILE}. Broken and terrible."),
                "author": xml_char_refs(f"eve{CSI_CLEAR}@evil.example (eve)"),
                "at": now - timedelta(hours=1),
            }
        ]
    )
    url = serve(workspace.server, "/evil.rss", feed)
    workspace.config.write_text(
        workspace.config.read_text(encoding="utf-8") + rss_source("evil", url), encoding="utf-8"
    )
    scan = mw("scan", "--source", "evil")
    assert scan.exit_code == 0, scan.output
    assert_inert(scan.stdout)
    (fetched,) = [e for e in json_out(mw("inbox", "--json")) if e["source"] == "evil"]
    # Make sure the test is not vacuous: the escape sequences really reached the database.
    assert "\x1b]52;" in fetched["title"]
    assert "\u202e" in fetched["text"]
    return fetched["id"], store_hostile_mention(workspace.db)


def test_the_inbox_renders_hostile_text_inert(hostile: tuple[int, int]) -> None:
    for args in (["inbox"], ["inbox", "--all"], ["sources"]):
        result = mw(*args)
        assert result.exit_code == 0, result.output
        assert_inert(result.stdout)
    inbox = mw("inbox").stdout
    assert MARKUP_BOLD in inbox
    assert "evil" in inbox
    assert "injected" in inbox


@pytest.mark.parametrize("which", [0, 1], ids=["fetched", "stored"])
def test_show_renders_hostile_text_inert_and_markup_literally(
    hostile: tuple[int, int], which: int
) -> None:
    result = mw("show", hostile[which])
    assert result.exit_code == 0, result.output
    assert_inert(result.stdout)
    assert MARKUP_BOLD in result.stdout
    assert MARKUP_LINK in result.stdout
    assert "is awful" in result.stdout


def test_marking_echoes_a_hostile_name_inert(hostile: tuple[int, int]) -> None:
    result = mw("answer", hostile[1], "--by", f"maya{OSC52}\u202e")
    assert result.exit_code == 0, result.output
    assert_inert(result.stdout)
    shown = mw("show", hostile[1])
    assert "answered by maya" in shown.stdout
    assert_inert(shown.stdout)


def test_json_output_escapes_terminal_controls(hostile: tuple[int, int]) -> None:
    result = mw("inbox", "--json")
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    assert any(MARKUP_BOLD in e["text"] for e in json.loads(result.stdout))


def test_csv_output_carries_no_terminal_controls(hostile: tuple[int, int]) -> None:
    result = mw("inbox", "--csv")
    assert result.exit_code == 0
    assert_inert(result.stdout)
