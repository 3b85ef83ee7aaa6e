"""`mentionwatch export`: every field of every matching mention in CSV, JSON and JSON Lines,
parsed back; spreadsheet formulas defused; hostile text; streaming (nothing accumulates)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import DIGEST_NOW, digest_post, store_posts
from mentionwatch import cli
from mentionwatch.models import (
    Classification,
    Mention,
    MentionFilter,
    MentionStatus,
    Reply,
    ScoredMention,
    SentimentLabel,
    StoredMention,
)
from mentionwatch.store import Store
from mentionwatch.store.archive import EVERY_MENTION
from mentionwatch.views.export import (
    EXPORT_FIELDS,
    export_record,
    write_export_csv,
    write_export_json,
    write_export_jsonl,
)

runner = CliRunner()

HOSTILE_TITLE = '=HYPERLINK("https://evil.example","click")'
HOSTILE_TEXT = '\x1b]52;c;SGVsbG8=\x07Acme \u202eline one\nline two, "quoted", tab\there'


def fully_marked_post() -> ScoredMention:
    """A mention with every optional field set, so an export that drops one shows."""
    mention = Mention(
        source="alerts",
        kind="rss",
        native_id="full",
        url="https://alerts.example/full",
        title="Acme refund stuck",
        text="Acme refund stuck for weeks.\nSecond paragraph.",
        created_at=DIGEST_NOW - timedelta(hours=10),
        author="maya_k",
        matched_term="Acme",
        reach=1200,
        thread_ref="t3_abc",
    )
    verdict = Classification(
        compound=-0.65,
        label=SentimentLabel.NEGATIVE,
        snippet="Acme refund stuck for weeks.",
        vader_compound=-0.25,
        hits=(("word", "stuck", -1.5), ("rule", "for weeks", -0.5)),
        question=True,
        spam=True,
        spam_signals=("same text from 3 accounts", "link shortener"),
    )
    return ScoredMention(mention, verdict)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "export.db") as opened:
        store_posts(
            opened,
            [
                fully_marked_post(),
                digest_post("formula", "negative", hours_ago=5, title=HOSTILE_TITLE,
                            text=HOSTILE_TEXT, author="@evil\x1b[2J"),
                digest_post("signs", "neutral", hours_ago=4, title="+1 for Acme",
                            text="-2 points to Acme", author="\tfoo"),
                digest_post("plain", "positive", hours_ago=3, title="Acme is great",
                            text="Love it.", author=None),
            ],
            DIGEST_NOW,
        )  # fmt: skip
        full = next(m for m in opened.export_mentions() if m.native_id == "full")
        reply = Reply("r1", "AcmeSupport", DIGEST_NOW - timedelta(hours=8), "https://r.example/1")
        opened.save_thread_check(full.id, [(reply, True)], reply, DIGEST_NOW - timedelta(hours=7))
        opened.set_status(full.id, MentionStatus.OPEN, by=None, at=DIGEST_NOW - timedelta(hours=6))
        opened.set_status(
            full.id, MentionStatus.ANSWERED, by="maya", at=DIGEST_NOW - timedelta(hours=2)
        )
        opened.set_spam_mark(full.id, False)
        opened.set_human_label(full.id, SentimentLabel.NEUTRAL)
        opened.assign(full.id, "leo", by="maya", at=DIGEST_NOW - timedelta(hours=1))
        yield opened


def mention(store: Store, native_id: str) -> StoredMention:
    return next(m for m in store.export_mentions() if m.native_id == native_id)


# --- the record -------------------------------------------------------------------------------

#: StoredMention fields exported under another name (the names `inbox --json` already uses),
#: or whose plain name holds the effective value.
RENAMED = {"first_response_s": "first_response_seconds", "spam": "classifier_spam"}


def test_every_stored_field_is_exported(store: Store) -> None:
    record = export_record(mention(store, "full"))
    assert list(record) == EXPORT_FIELDS
    for field in fields(StoredMention):
        assert RENAMED.get(field.name, field.name) in record, field.name


def test_the_record_of_a_fully_marked_mention(store: Store) -> None:
    full = mention(store, "full")
    record = export_record(full)
    assert full.status_changed_at is not None and full.reopened_at is not None
    expected = {
        "id": full.id,
        "source": "alerts",
        "kind": "rss",
        "native_id": "full",
        "url": "https://alerts.example/full",
        "author": "maya_k",
        "title": "Acme refund stuck",
        "text": "Acme refund stuck for weeks.\nSecond paragraph.",
        "created_at": "2026-11-19T22:00:00Z",
        "fetched_at": "2026-11-20T08:00:00Z",
        "matched_term": "Acme",
        "compound": -0.65,
        "vader_compound": -0.25,
        "label": "negative",
        "human_label": "neutral",
        "effective_label": "neutral",
        "snippet": "Acme refund stuck for weeks.",
        "question": True,
        "spam": False,
        "classifier_spam": True,
        "spam_mark": False,
        "spam_signals": ["same text from 3 accounts", "link shortener"],
        "explanation": [
            {"kind": "word", "what": "stuck", "valence": -1.5},
            {"kind": "rule", "what": "for weeks", "valence": -0.5},
        ],
        "status": "answered",
        "status_changed_at": "2026-11-20T06:00:00Z",
        "marked_by": "manual",
        "answered_at": "2026-11-20T06:00:00Z",
        "answered_by": "maya",
        "answered_url": None,
        "first_response_seconds": 8 * 3600,
        "reopened_at": "2026-11-20T02:00:00Z",
        "assignee": "leo",
        "reach": 1200,
        "thread_ref": "t3_abc",
        "thread_checked_at": "2026-11-20T01:00:00Z",
    }
    assert record == expected


# --- the three formats, parsed back -------------------------------------------------------------


def exported(store: Store, writer: Any, chosen: MentionFilter = EVERY_MENTION) -> str:
    out = io.StringIO()
    writer(store.export_mentions(chosen), out)
    return out.getvalue()


def test_jsonl_round_trips_every_field_exactly(store: Store) -> None:
    lines = exported(store, write_export_jsonl).splitlines()
    records = [json.loads(line) for line in lines]
    assert records == [export_record(m) for m in store.export_mentions()]
    assert [r["native_id"] for r in records] == ["full", "formula", "signs", "plain"]  # by id
    formula = records[1]
    # JSON keeps the data exact: the escape sequences come back as they were stored...
    assert formula["text"] == HOSTILE_TEXT and formula["author"] == "@evil\x1b[2J"
    # ...but are written as \u escapes, never as raw characters a terminal would obey.
    assert "\x1b" not in lines[1] and "\u202e" not in lines[1] and "\\u001b" in lines[1]


def test_json_is_one_array_of_the_same_records(store: Store) -> None:
    text = exported(store, write_export_json)
    assert json.loads(text) == [export_record(m) for m in store.export_mentions()]
    assert text.startswith("[\n{") and text.endswith("}\n]\n")
    assert "\x1b" not in text


@pytest.mark.parametrize("writer", [write_export_json, write_export_jsonl, write_export_csv])
def test_an_empty_export_is_still_valid(store: Store, writer: Any) -> None:
    text = exported(store, writer, MentionFilter(sources=("nowhere",)))
    if writer is write_export_json:
        assert text == "[]\n" and json.loads(text) == []
    elif writer is write_export_jsonl:
        assert text == ""
    else:
        assert list(csv.reader(io.StringIO(text))) == [EXPORT_FIELDS]


def csv_rows(store: Store) -> dict[str, dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(exported(store, write_export_csv))))
    return {row["native_id"]: row for row in rows}


def test_csv_has_every_field_and_parses_back(store: Store) -> None:
    reader = csv.reader(io.StringIO(exported(store, write_export_csv)))
    assert next(reader) == EXPORT_FIELDS
    rows = csv_rows(store)
    assert list(rows) == ["full", "formula", "signs", "plain"]
    full = rows["full"]
    assert full["text"] == "Acme refund stuck for weeks.\nSecond paragraph."  # lines kept
    assert full["compound"] == "-0.65"  # a number, never prefixed
    assert (full["question"], full["spam"], full["classifier_spam"], full["spam_mark"]) == (
        "true",
        "false",
        "true",
        "false",
    )
    assert json.loads(full["spam_signals"]) == ["same text from 3 accounts", "link shortener"]
    assert json.loads(full["explanation"])[0] == {"kind": "word", "what": "stuck", "valence": -1.5}
    assert full["first_response_seconds"] == "28800" and full["reach"] == "1200"
    assert full["assignee"] == "leo" and full["answered_url"] == ""
    plain = rows["plain"]
    assert (plain["author"], plain["human_label"], plain["spam_mark"]) == ("", "", "")
    # Every other cell is the record's value as text.
    record = export_record(mention(store, "plain"))
    assert plain["id"] == str(record["id"]) and plain["created_at"] == record["created_at"]


def test_csv_defuses_spreadsheet_formulas_and_terminal_controls(store: Store) -> None:
    rows = csv_rows(store)
    formula, signs = rows["formula"], rows["signs"]
    assert formula["title"] == "'" + HOSTILE_TITLE
    assert formula["author"] == "'@evil"
    assert formula["text"] == 'Acme line one\nline two, "quoted", tab\there'
    assert signs["title"] == "'+1 for Acme"
    assert signs["text"] == "'-2 points to Acme"
    assert signs["author"] == "'\tfoo"
    assert signs["compound"] == "0.0" and formula["compound"] == "-0.6"
    for row in rows.values():
        for value in row.values():
            assert value[:1] not in ("=", "+", "@", "\t", "\r") or value.startswith("'")
            assert value[:1] != "-" or value.lstrip("-").replace(".", "", 1).isdigit()
            assert "\x1b" not in value and "\u202e" not in value and "\x07" not in value


# --- filters, order, streaming ------------------------------------------------------------------


def test_export_filters_and_full_text_query(store: Store) -> None:
    def ids(chosen: MentionFilter = EVERY_MENTION, query: str | None = None) -> list[str]:
        return [m.native_id for m in store.export_mentions(chosen, query=query)]

    assert ids() == ["full", "formula", "signs", "plain"]
    assert ids(MentionFilter(statuses=(MentionStatus.ANSWERED,))) == ["full"]
    assert ids(MentionFilter(labels=(SentimentLabel.NEUTRAL,))) == ["full", "signs"]
    assert ids(MentionFilter(since=DIGEST_NOW - timedelta(hours=4, minutes=30))) == [
        "signs",
        "plain",
    ]
    assert ids(MentionFilter(until=DIGEST_NOW - timedelta(hours=4, minutes=30))) == [
        "full",
        "formula",
    ]
    assert ids(query="acme") == ["full", "formula", "signs", "plain"]  # in id order, not rank
    assert ids(query="refund OR great") == ["full", "plain"]
    assert ids(MentionFilter(sources=("alerts",), spam=False), query="acme -refund") == [
        "formula",
        "signs",
        "plain",
    ]


class CountingMentions:
    """An iterable of mentions that counts how many were taken so far."""

    def __init__(self, mentions: list[StoredMention]) -> None:
        self.mentions = mentions
        self.taken = 0

    def __iter__(self) -> Iterator[StoredMention]:
        for m in self.mentions:
            self.taken += 1
            yield m


class WatchingOutput(io.StringIO):
    """Records, at each write, how many mentions the writer had taken."""

    def __init__(self, source: CountingMentions) -> None:
        super().__init__()
        self.source = source
        self.taken_at_write: list[int] = []

    def write(self, text: str) -> int:
        self.taken_at_write.append(self.source.taken)
        return super().write(text)


@pytest.mark.parametrize("writer", [write_export_json, write_export_jsonl, write_export_csv])
def test_writers_stream_each_mention_before_taking_the_next(store: Store, writer: Any) -> None:
    mentions = CountingMentions(list(store.export_mentions()) * 5)
    out = WatchingOutput(mentions)
    writer(mentions, out)
    # Each mention is written before the next is taken: a writer that gathered them first
    # would only write once all 20 were taken.
    taken = [n for n in out.taken_at_write if n > 0]
    assert sorted(set(taken)) == list(range(1, 21))
    assert out.taken_at_write == sorted(out.taken_at_write)


def test_an_export_reads_one_snapshot_in_batches_without_blocking_a_scan(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mentionwatch.store.archive as archive

    monkeypatch.setattr(archive, "EXPORT_BATCH", 3)
    more = [digest_post(f"n{i}", "neutral", hours_ago=1, text=f"Acme {i}") for i in range(10)]
    store_posts(store, more, DIGEST_NOW)
    streamed = store.export_mentions()
    first = next(streamed)
    assert first.native_id == "full"
    # A scan (another connection) storing a mention while the export is half-way does not
    # wait for it (WAL), and the export does not see it: it reads one snapshot.
    with Store.open(store.path) as scan:
        late = digest_post("late", "neutral", hours_ago=1, text="Acme late")
        store_posts(scan, [late], DIGEST_NOW)
    rest = [m.native_id for m in streamed]
    assert len(rest) == 13 and "late" not in rest
    assert "late" in [m.native_id for m in store.export_mentions()]


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def workspace(store: Store, monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> list[str]:
    monkeypatch.setattr(cli, "_now", lambda: DIGEST_NOW)
    return ["--db", str(store.path)]


def test_export_to_stdout_in_each_format(workspace: list[str], store: Store) -> None:
    expected = [export_record(m) for m in store.export_mentions()]
    result = runner.invoke(cli.app, ["export", *workspace])  # JSON Lines by default
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == expected
    result = runner.invoke(cli.app, ["export", "--format", "json", *workspace])
    assert json.loads(result.stdout) == expected
    result = runner.invoke(cli.app, ["export", "--format", "csv", *workspace])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["id"] for row in rows] == [str(r["id"]) for r in expected]


def test_export_options(workspace: list[str]) -> None:
    def ids(*options: str) -> list[str]:
        result = runner.invoke(cli.app, ["export", *options, *workspace])
        assert result.exit_code == 0, result.output
        return [json.loads(line)["native_id"] for line in result.stdout.splitlines()]

    assert ids("--status", "answered", "--status", "ignored") == ["full"]
    assert ids("--sentiment", "neutral", "--no-spam") == ["full", "signs"]
    assert ids("--spam") == []
    assert ids("--since", "4h30m") == ["signs", "plain"]
    assert ids("--until", "4h30m", "-s", "alerts") == ["full", "formula"]
    assert ids("--query", "refund OR great") == ["full", "plain"]


def test_export_to_a_file(workspace: list[str], tmp_path: Path) -> None:
    target = tmp_path / "out" / "mentions.csv"
    target.parent.mkdir()
    result = runner.invoke(
        cli.app, ["export", "--format", "csv", "--output", str(target), *workspace]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    with target.open(encoding="utf-8", newline="") as written:
        rows = list(csv.DictReader(written))
    assert len(rows) == 4 and rows[0]["text"] == "Acme refund stuck for weeks.\nSecond paragraph."
    assert [p.name for p in target.parent.iterdir()] == ["mentions.csv"]  # no temporary left


def test_a_bad_query_writes_no_file(workspace: list[str], tmp_path: Path) -> None:
    target = tmp_path / "mentions.jsonl"
    result = runner.invoke(cli.app, ["export", "-q", "-refund", "-o", str(target), *workspace])
    assert result.exit_code == 2
    assert "only excludes" in result.output
    assert not target.exists() and not list(tmp_path.glob(".mentions.jsonl*"))


def test_an_unwritable_output_is_one_line_exit_2(workspace: list[str], tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["export", "-o", str(tmp_path / "no" / "x.csv"), *workspace])
    assert result.exit_code == 2
    assert result.output.startswith("mentionwatch: cannot write ")
    assert "Traceback" not in result.output


def test_an_unknown_source_is_not_found(workspace: list[str]) -> None:
    result = runner.invoke(cli.app, ["export", "-s", "nope", *workspace])
    assert result.exit_code == 3
    assert "no source named nope" in result.output


def test_an_unknown_format_is_a_usage_error(workspace: list[str]) -> None:
    result = runner.invoke(cli.app, ["export", "--format", "xlsx", *workspace])
    assert result.exit_code == 2
