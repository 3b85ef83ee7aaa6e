"""The team's workflow: assign, note, `inbox --mine`, and the history every change leaves.

Real config files and SQLite files, the real CLI through CliRunner, and for the thread check a
real scan of the Hacker News source against a local HTTP server."""

from __future__ import annotations

import csv
import getpass
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from conftest import FIXTURES, LocalServer, Route, SeenRequest, mw, write_config
from mentionwatch.models import (
    MAX_NOTE_LENGTH,
    Classification,
    Mention,
    MentionStatus,
    ScoredMention,
    SearchResult,
    SentimentLabel,
    SourceState,
)
from mentionwatch.store import Store

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("plain_output")

ESC_CSI_RED = "\x1b[31m"
C1_CSI = "\x9b2J"
OSC52 = "\x1b]52;c;ZXZpbA==\x07"
RLO = "\u202e"
MARKUP = "[red]x[/red]"
FORBIDDEN = ("\x1b", "\x9b", "\x07", RLO)
HOSTILE_NAME = f"mal{ESC_CSI_RED}lory{OSC52}{RLO}{MARKUP}"


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def json_out(result: Result) -> Any:
    return json.loads(ok(result))


def assert_inert(output: str) -> None:
    for char in FORBIDDEN:
        assert char not in output, f"{char!r} reached the terminal"


@dataclass
class Team:
    """A config and a database with three open negative mentions (ids in `ids`), one open
    positive one, and one spam post, found through the env vars; the user is "maya"."""

    config: Path
    db: Path
    ids: dict[str, int]


def post(native_id: str, label: str = "negative", *, spam: bool = False) -> ScoredMention:
    now = datetime.now(timezone.utc)
    text = f"Acme post {native_id}: my order never arrived"
    mention = Mention(
        source="alerts",
        kind="rss",
        native_id=native_id,
        url=f"https://alerts.example/{native_id}",
        title="",
        text=text,
        created_at=now - timedelta(hours=1),
        author=f"author_{native_id}",
        matched_term="Acme",
    )
    compound = {"negative": -0.6, "positive": 0.6}[label]
    return ScoredMention(mention, Classification(compound, SentimentLabel(label), text, spam=spam))


@pytest.fixture
def team(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Team:
    config = write_config(isolated_env)
    db = isolated_env / "mentions.db"
    monkeypatch.setenv("MENTIONWATCH_CONFIG", str(config))
    monkeypatch.setenv("MENTIONWATCH_DB", str(db))
    monkeypatch.setenv("MENTIONWATCH_USER", "maya")
    posts = [post("a"), post("b"), post("c"), post("happy", "positive"), post("junk", spam=True)]
    with Store.open(db) as store:
        store.save_poll(
            SourceState("alerts", "rss"),
            SearchResult([p.mention for p in posts]),
            posts,
            datetime.now(timezone.utc),
        )
        rows = store.db.execute("SELECT native_id, id FROM mentions").fetchall()
    return Team(config, db, {row[0]: row[1] for row in rows})


def history(mention_id: int) -> list[tuple[Any, ...]]:
    """(field, from, to, who, automatic) of each change, oldest first, as `show --json` says."""
    return [
        (h["field"], h["from"], h["to"], h["changed_by"], h["automatic"])
        for h in json_out(mw("show", mention_id, "--json"))["history"]
    ]


def ids_of(result: Result) -> set[int]:
    return {entry["id"] for entry in json_out(result)}


# --- assign ----------------------------------------------------------------------------------


def test_assign_reassign_and_clear_each_leave_one_history_row(team: Team) -> None:
    a = team.ids["a"]

    assert ok(mw("assign", a, "lou", "--by", "boss")) == f"#{a} is now assigned to lou.\n"
    # The same person in another case is no change: nothing is written, nothing recorded.
    assert ok(mw("assign", a, "LOU")) == f"#{a} was already assigned to lou.\n"
    assert ok(mw("assign", a, "kim")) == f"#{a} is now assigned to kim.\n"
    assert ok(mw("assign", a, "--clear")) == f"#{a} is now assigned to nobody.\n"
    assert ok(mw("assign", a, "--clear")) == f"#{a} was already assigned to nobody.\n"

    assert history(a) == [
        ("assignee", None, "lou", "boss", False),
        ("assignee", "lou", "kim", "maya", False),  # --by defaults to $MENTIONWATCH_USER
        ("assignee", "kim", None, "maya", False),
    ]
    detail = json_out(mw("show", a, "--json"))
    assert detail["assignee"] is None
    assert detail["history"][0]["changed_at"].endswith("Z")
    assert history(team.ids["b"]) == []  # nothing leaks to another mention


def test_assign_without_a_name_takes_it_yourself(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = team.ids["a"], team.ids["b"]
    assert ok(mw("assign", a)) == f"#{a} is now assigned to maya.\n"

    # No $MENTIONWATCH_USER: the OS login name.
    monkeypatch.delenv("MENTIONWATCH_USER")
    monkeypatch.setenv("LOGNAME", "ops_login")
    assert ok(mw("assign", b)) == f"#{b} is now assigned to ops_login.\n"
    assert history(b) == [("assignee", None, "ops_login", "ops_login", False)]


def test_nobody_to_name_is_a_usage_error(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_login_name() -> str:
        raise OSError("no login name for this uid")

    monkeypatch.delenv("MENTIONWATCH_USER")
    monkeypatch.setattr(getpass, "getuser", no_login_name)
    a = team.ids["a"]
    for args in (["assign", a], ["note", a, "hello"], ["inbox", "--mine"]):
        result = mw(*args)
        assert result.exit_code == 2, args
        assert "cannot tell who you are: set MENTIONWATCH_USER" in result.stderr
    # A mark needs no name: it is kept with nobody named.
    assert ok(mw("ignore", a)) == f"#{a} is now ignored.\n"
    assert history(a) == [("status", "open", "ignored", None, False)]
    assert "?  status" in ok(mw("show", a))
    # --by still names someone.
    assert ok(mw("note", a, "hi", "--by", "lou")) == f"Noted on #{a} by lou.\n"


def test_assign_usage_errors(team: Team) -> None:
    a = team.ids["a"]
    for args in (["assign", a, "lou", "--clear"], ["assign", a, "  "], ["assign", a, "--by", ""]):
        result = mw(*args)
        assert result.exit_code == 2, args
        assert result.stdout == ""
    assert history(a) == []


# --- notes -----------------------------------------------------------------------------------


def test_notes_are_kept_with_author_and_time_and_shown(team: Team) -> None:
    a = team.ids["a"]
    assert ok(mw("note", a, "Refund issued, waiting for them")) == f"Noted on #{a} by maya.\n"
    assert ok(mw("note", a, "-", "--by", "lou", input="Called them.\nNo answer yet.\n")) == (
        f"Noted on #{a} by lou.\n"
    )

    notes = json_out(mw("show", a, "--json"))["notes"]
    assert [(n["author"], n["text"]) for n in notes] == [
        ("maya", "Refund issued, waiting for them"),
        ("lou", "Called them.\nNo answer yet."),
    ]
    assert all(n["created_at"].endswith("Z") for n in notes)
    shown = ok(mw("show", a))
    assert "Notes (2):" in shown
    assert "Refund issued, waiting for them" in shown
    assert "Called them." in shown and "No answer yet." in shown
    # A note is not a change of status or owner.
    assert history(a) == []
    assert json_out(mw("show", team.ids["b"], "--json"))["notes"] == []


@pytest.mark.parametrize(("text", "stdin"), [("", None), ("   ", None), ("-", ""), ("-", " \n\n")])
def test_an_empty_note_is_a_usage_error(team: Team, text: str, stdin: str | None) -> None:
    result = mw("note", team.ids["a"], text, input=stdin)
    assert result.exit_code == 2
    assert "the note is empty" in result.stderr
    assert json_out(mw("show", team.ids["a"], "--json"))["notes"] == []


@pytest.mark.parametrize("stdin", [False, True])
def test_a_note_longer_than_the_limit_is_refused_whole(team: Team, stdin: bool) -> None:
    long = "Called them. " + "x" * MAX_NOTE_LENGTH
    result = (
        mw("note", team.ids["a"], "-", input=long) if stdin else mw("note", team.ids["a"], long)
    )
    assert result.exit_code == 2
    assert f"longer than {MAX_NOTE_LENGTH:,} characters" in result.stderr
    assert json_out(mw("show", team.ids["a"], "--json"))["notes"] == []
    ok(mw("note", team.ids["a"], "y" * MAX_NOTE_LENGTH))  # the limit itself is fine
    (kept,) = json_out(mw("show", team.ids["a"], "--json"))["notes"]
    assert len(kept["text"]) == MAX_NOTE_LENGTH


# --- status history --------------------------------------------------------------------------


def test_answer_ignore_reopen_each_leave_a_history_row_only_when_the_status_changes(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = team.ids["a"]
    ok(mw("reopen", a))  # already open: nothing changes
    ok(mw("answer", a, "--by", "maya"))
    ok(mw("answer", a, "--by", "lou"))  # still answered: no new row
    ok(mw("ignore", a, "--by", "lou"))
    ok(mw("ignore", a, "--by", "lou"))
    monkeypatch.setenv("MENTIONWATCH_USER", "kim")
    ok(mw("reopen", a))

    assert history(a) == [
        ("status", "open", "answered", "maya", False),
        ("status", "answered", "ignored", "lou", False),
        ("status", "ignored", "open", "kim", False),
    ]
    shown = ok(mw("show", a))
    assert "History:" in shown
    for line in ("maya  status  open -> answered", "kim   status  ignored -> open"):
        assert line in shown


def test_unknown_ids_exit_3_and_change_nothing(team: Team) -> None:
    for args in (
        ["assign", "999", "lou"],
        ["assign", "999", "--clear"],
        ["assign", "999"],
        ["note", "999", "hello"],
        ["ignore", "999", "--by", "lou"],
        ["reopen", "999", "--by", "lou"],
    ):
        result = mw(*args)
        assert result.exit_code == 3, args
        assert result.stderr == "mentionwatch: no mention with id 999\n"
        assert result.stdout == ""
    with Store.open(team.db) as store:
        counts = [
            store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("mention_history", "mention_notes")
        ]
    assert counts == [0, 0]


# --- the thread check: an automatic change ---------------------------------------------------

HN = FIXTURES / "hackernews"
JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}


def serve_hacker_news(server: LocalServer, *pages: str) -> str:
    """The HN fixtures: these search pages (page 0 first), and the threads."""
    for path in HN.glob("item_*.json"):
        item_id = path.stem.removeprefix("item_")
        server.routes[f"/hn/items/{item_id}"] = Route(body=path.read_bytes(), headers=JSON_TYPE)

    def search(request: SeenRequest) -> Route:
        page = int(request.query.get("page", ["0"])[0])
        if page >= len(pages):
            return Route(status=400, body=b'{"message":"no such page","status":400}')
        return Route(body=(HN / pages[page]).read_bytes(), headers=JSON_TYPE)

    server.routes["/hn/search_by_date"] = search
    return server.url("/hn")


def test_a_thread_check_answer_is_kept_as_an_automatic_change_by_the_brand_account(
    isolated_env: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url = serve_hacker_news(http_server, "search_page0.json")
    config = write_config(
        isolated_env, f'[[sources]]\nname = "hn"\nkind = "hackernews"\nbase_url = "{base_url}"\n'
    )
    db = isolated_env / "mentions.db"
    monkeypatch.setenv("MENTIONWATCH_CONFIG", str(config))
    monkeypatch.setenv("MENTIONWATCH_DB", str(db))
    monkeypatch.setenv("MENTIONWATCH_USER", "maya")

    assert json_out(mw("scan", "--json"))["threads"]["answered"] == 2
    with Store.open(db) as store:
        ids = {row[0]: row[1] for row in store.db.execute("SELECT native_id, id FROM mentions")}
    comment, ask, teardown = ids["46001234"], ids["46001200"], ids["46000950"]

    assert history(comment) == [("status", "open", "answered", "jo_atacme", True)]
    assert history(ask) == [("status", "open", "answered", "AcmeSupport", True)]
    assert history(teardown) == []  # only others replied: no change, no row
    assert "jo_atacme (thread check)  status  open -> answered" in ok(mw("show", comment))

    # A person overrules it; the next check does not answer it again with the same reply.
    ok(mw("reopen", comment))
    serve_hacker_news(http_server, "search_since_page0.json", "search_since_page1.json")
    threads = json_out(mw("scan", "--all", "--json"))["threads"]
    assert threads["checked"] >= 2 and threads["answered"] == 0  # the comment was re-read
    assert history(comment) == [
        ("status", "open", "answered", "jo_atacme", True),
        ("status", "answered", "open", "maya", False),
    ]


# --- inbox by owner ----------------------------------------------------------------------------


def test_inbox_mine_assignee_and_unassigned(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c, happy, junk = (team.ids[k] for k in ("a", "b", "c", "happy", "junk"))
    for mention_id, who in ((a, "Maya"), (b, "lou"), (happy, "maya"), (junk, "maya")):
        ok(mw("assign", mention_id, who))

    assert ids_of(mw("inbox", "--mine", "--json")) == {a}  # $MENTIONWATCH_USER is "maya"
    assert ids_of(mw("inbox", "--mine", "--all", "--json")) == {a, happy}
    assert ids_of(mw("inbox", "--mine", "--spam", "--json")) == {junk}
    assert ids_of(mw("inbox", "--assignee", "LOU", "--json")) == {b}
    assert ids_of(mw("inbox", "--assignee", "nobody-here", "--all", "--json")) == set()
    assert ids_of(mw("inbox", "--unassigned", "--json")) == {c}
    assert ids_of(mw("inbox", "--unassigned", "--all", "--json")) == {c}
    assert ids_of(mw("inbox", "--unassigned", "--questions", "--json")) == set()
    monkeypatch.setenv("MENTIONWATCH_USER", "lou")
    assert ids_of(mw("inbox", "--mine", "--json")) == {b}

    # Answered: it leaves its owner's inbox like any other.
    ok(mw("answer", b, "--by", "lou"))
    assert ids_of(mw("inbox", "--mine", "--json")) == set()
    empty = ok(mw("inbox", "--mine"))
    assert empty == "No unanswered negative mentions assigned to lou.\n"

    entries = json_out(mw("inbox", "--all", "--json"))
    assert {e["id"]: e["assignee"] for e in entries} == {a: "Maya", c: None, happy: "maya"}

    table = ok(mw("inbox", "--assignee", "maya"))
    assert table.splitlines()[0] == "Acme: unanswered negative mentions assigned to maya"
    assert table.splitlines()[1].split()[:6] == [
        "id",
        "prio",
        "age",
        "source",
        "author",
        "assignee",
    ]
    assert "Maya" in table.splitlines()[2]
    # The spam caption counts the same owner's spam only.
    assert "1 spam post hidden" in table
    assert "spam post" not in ok(mw("inbox", "--unassigned"))


def test_the_inbox_shows_no_assignee_column_when_nobody_owns_a_listed_mention(team: Team) -> None:
    header = ok(mw("inbox")).splitlines()[1]
    assert "assignee" not in header
    rows = list(csv.DictReader(io.StringIO(ok(mw("inbox", "--csv")))))
    assert {row["assignee"] for row in rows} == {""}
    ok(mw("assign", team.ids["a"], "lou"))
    rows = list(csv.DictReader(io.StringIO(ok(mw("inbox", "--csv")))))
    assert sorted(row["assignee"] for row in rows) == ["", "", "lou"]


@pytest.mark.parametrize(
    "owners",
    [
        ["--mine", "--unassigned"],
        ["--mine", "--assignee", "lou"],
        ["--assignee", "lou", "--unassigned"],
        ["--mine", "--assignee", "lou", "--unassigned"],
    ],
)
def test_owner_filters_are_mutually_exclusive(team: Team, owners: list[str]) -> None:
    result = mw("inbox", "--all", *owners)
    assert result.exit_code == 2
    assert "choose one of --mine, --assignee and --unassigned" in result.stderr
    assert result.stdout == ""


def test_a_blank_assignee_filter_is_a_usage_error(team: Team) -> None:
    result = mw("inbox", "--assignee", " ")
    assert result.exit_code == 2
    assert "a name cannot be blank" in result.stderr


# --- hostile names and notes -------------------------------------------------------------------


def test_hostile_names_and_notes_reach_the_terminal_inert(team: Team) -> None:
    a = team.ids["a"]
    for output in (
        ok(mw("assign", a, HOSTILE_NAME, "--by", HOSTILE_NAME)),
        ok(mw("note", a, f"see {OSC52}{C1_CSI}{MARKUP} {RLO}olleh", "--by", HOSTILE_NAME)),
        ok(mw("ignore", a, "--by", HOSTILE_NAME)),
        ok(mw("reopen", a, "--by", HOSTILE_NAME)),
    ):
        assert_inert(output)
    assert json_out(mw("show", a, "--json"))["assignee"] == HOSTILE_NAME  # stored exactly

    inbox = ok(mw("inbox"))
    shown = ok(mw("show", a))
    mine = mw("inbox", "--assignee", HOSTILE_NAME)
    for output in (inbox, shown, ok(mine), ok(mw("inbox", "--csv"))):
        assert_inert(output)
        # Rich markup is shown literally, never interpreted.
        assert "mallory" in output and MARKUP in output
    assert f"see {MARKUP} olleh" in shown
    assert "Acme: unanswered negative mentions assigned to mallory" in ok(mine)

    raw_json = ok(mw("show", a, "--json"))
    assert_inert(raw_json)  # escaped as \uXXXX, read back exactly
    detail = json.loads(raw_json)
    assert detail["notes"][0]["author"] == HOSTILE_NAME
    assert [h["changed_by"] for h in detail["history"]] == [HOSTILE_NAME] * 3


# --- the store ---------------------------------------------------------------------------------


def test_the_store_writes_history_only_for_real_changes(team: Team) -> None:
    now = datetime.now(timezone.utc)
    with Store.open(team.db) as store:
        a = team.ids["a"]
        assert store.set_status(a, MentionStatus.OPEN, by="maya", at=now) is not None
        assert store.history(a) == []
        store.set_status(a, MentionStatus.IGNORED, by="maya", at=now)
        store.set_status(a, MentionStatus.IGNORED, by="lou", at=now + timedelta(minutes=1))
        assigned = store.assign(a, "lou", by="maya", at=now)
        assert assigned is not None and assigned[1] and assigned[0].assignee == "lou"
        again = store.assign(a, "Lou", by="maya", at=now)
        assert again is not None and not again[1] and again[0].assignee == "lou"
        assert store.assign(999, "lou", by="maya", at=now) is None
        assert store.add_note(999, author="maya", text="x", at=now) is None

        (status, owner) = store.history(a)
        assert (status.field, status.old_value, status.new_value, status.changed_by) == (
            "status",
            "open",
            "ignored",
            "maya",
        )
        assert (owner.field, owner.old_value, owner.new_value) == ("assignee", None, "lou")
        assert not status.automatic and status.changed_at == now.replace(microsecond=0)
