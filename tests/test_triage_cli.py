"""Triage as a team drives it: spam, questions, priority, labels, eval and rescore.

Real config files, real SQLite files, a real local HTTP server for the scans, CliRunner.
"""

from __future__ import annotations

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
from typer.testing import CliRunner, Result

from conftest import LocalServer, Route, mw, rss_source, write_config
from mentionwatch.models import (
    Classification,
    Mention,
    OpenFilter,
    ScoredMention,
    SearchResult,
    SentimentLabel,
    SourceState,
)
from mentionwatch.store import Store
from mentionwatch.store.migrations import MIGRATIONS

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("plain_output")
NOW = datetime.now(timezone.utc).replace(microsecond=0)

COMPLAINT = "My Acme order never arrived and support is useless. Terrible."
QUESTION = "@Acme how do I export my data to CSV?"
SCAM = "Earn $500 a day from home with Acme! Click the link in my bio"
COPIED = "Just tried the new Acme blender smoothie recipe with my kids this morning"
PRAISE = "Acme is wonderful, I love it"


def json_out(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@dataclass(frozen=True)
class Post:
    guid: str
    text: str
    author: str = "someone"
    hours_ago: float = 1.0


def rss_feed(posts: Sequence[Post]) -> bytes:
    """An RSS 2.0 feed: each post's title is its text (so it is scored once)."""
    items = "".join(
        f"<item><title>{p.text}</title><link>https://forum.example/t/{p.guid}</link>"
        f'<guid isPermaLink="false">{p.guid}</guid>'
        f"<dc:creator>{p.author}</dc:creator>"
        f"<pubDate>{format_datetime(NOW - timedelta(hours=p.hours_ago), usegmt=True)}</pubDate>"
        f"<description>{p.text}</description></item>"
        for p in posts
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>Forum</title><link>https://forum.example/</link><description>d</description>"
        f"{items}</channel></rss>"
    ).encode()


@dataclass
class Workspace:
    config: Path
    db: Path
    server: LocalServer

    def serve(self, posts: Sequence[Post]) -> None:
        self.server.routes["/forum.rss"] = Route(
            body=rss_feed(posts), headers={"Content-Type": "application/rss+xml"}
        )

    def scan(self) -> dict[str, Any]:
        report: dict[str, Any] = json_out(mw("scan", "--all", "--json"))
        return report

    def ids(self) -> dict[str, int]:
        """Every stored mention's id, by its native id (the feed's guid)."""
        with sqlite3.connect(self.db) as db:
            return dict(db.execute("SELECT native_id, id FROM mentions").fetchall())

    def row(self, mention_id: int) -> sqlite3.Row:
        with sqlite3.connect(self.db) as db:
            db.row_factory = sqlite3.Row
            row: sqlite3.Row = db.execute(
                "SELECT * FROM mentions WHERE id = ?", (mention_id,)
            ).fetchone()
            return row


FORUM = [
    Post("complaint", COMPLAINT, "jo", hours_ago=3),
    Post("question", QUESTION, "sam", hours_ago=2),
    Post("scam", SCAM, "promo_king"),
    Post("copy-1", COPIED, "bot_one"),
    Post("copy-2", COPIED + " #ad", "bot_two"),
    Post("copy-3", COPIED.upper(), "Bot_Three"),
    Post("praise", PRAISE, "lena"),
    Post("own", "Acme: we are looking into delivery delays today, sorry", "AcmeSupport"),
]


@pytest.fixture
def workspace(
    isolated_env: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    config = write_config(isolated_env, rss_source("forum", http_server.url("/forum.rss")))
    db = isolated_env / "mentions.db"
    monkeypatch.setenv("MENTIONWATCH_CONFIG", str(config))
    monkeypatch.setenv("MENTIONWATCH_DB", str(db))
    space = Workspace(config, db, http_server)
    space.serve(FORUM)
    return space


def inbox_ids(*args: str) -> list[int]:
    return [entry["id"] for entry in json_out(mw("inbox", "--json", *args))]


# --- the scan stores the whole verdict -----------------------------------------------------------


def test_a_scan_stores_the_full_verdict(workspace: Workspace) -> None:
    assert workspace.scan()["new"] == len(FORUM)
    ids = workspace.ids()

    complaint = workspace.row(ids["complaint"])
    assert complaint["label"] == "negative"
    assert complaint["vader_compound"] is not None
    assert (complaint["question"], complaint["spam"], complaint["spam_mark"]) == (0, 0, None)
    assert complaint["human_label"] is None
    hits = json.loads(complaint["explanation"])
    assert hits and all(set(hit) == {"kind", "what", "valence"} for hit in hits)
    assert json.loads(complaint["spam_signals"]) == []

    assert workspace.row(ids["question"])["question"] == 1
    scam = workspace.row(ids["scam"])
    assert scam["spam"] == 1
    assert json.loads(scam["spam_signals"])


def test_the_same_text_from_three_accounts_is_spam(workspace: Workspace) -> None:
    workspace.scan()
    ids = workspace.ids()
    for guid in ("copy-1", "copy-2", "copy-3"):
        row = workspace.row(ids[guid])
        assert row["spam"] == 1, guid
        assert "same text from 3 accounts" in json.loads(row["spam_signals"])

    listed = json_out(mw("inbox", "--spam", "--json"))
    assert {e["id"] for e in listed} == {ids["scam"], ids["copy-1"], ids["copy-2"], ids["copy-3"]}
    assert all(e["spam"] is True and e["spam_signals"] for e in listed)
    text = mw("inbox", "--spam")
    assert text.exit_code == 0, text.output
    assert "same text from 3 accounts" in text.stdout
    assert "4 spam posts" in text.stdout


@pytest.mark.parametrize(
    "authors",
    [("ann", "bob"), ("ann", "ann", "ann"), ("ann", "ANN", "Ann")],
    ids=["two accounts", "one account thrice", "one account in three cases"],
)
def test_copies_from_fewer_than_three_accounts_are_not_spam(
    workspace: Workspace, authors: tuple[str, ...]
) -> None:
    workspace.serve([Post(f"c{n}", COPIED, author) for n, author in enumerate(authors)])
    workspace.scan()
    assert json_out(mw("inbox", "--spam", "--json")) == []
    assert len(json_out(mw("inbox", "--all", "--json"))) == len(authors)


def test_a_later_poll_that_completes_the_copies_marks_the_earlier_ones(
    workspace: Workspace,
) -> None:
    workspace.serve([Post("c1", COPIED, "ann"), Post("c2", COPIED, "bob")])
    workspace.scan()
    assert json_out(mw("inbox", "--spam", "--json")) == []
    workspace.serve(
        [Post("c1", COPIED, "ann"), Post("c2", COPIED, "bob"), Post("c3", COPIED, "cy")]
    )
    report = workspace.scan()
    assert (report["new"], report["updated"]) == (1, 0)
    assert len(json_out(mw("inbox", "--spam", "--json"))) == 3


def test_short_texts_are_never_copies(workspace: Workspace) -> None:
    workspace.serve([Post(f"c{n}", "@Acme is down", f"user{n}") for n in range(5)])
    workspace.scan()
    assert json_out(mw("inbox", "--spam", "--json")) == []


# --- inbox views ---------------------------------------------------------------------------------


def test_spam_never_reaches_the_inbox_and_the_caption_counts_it(workspace: Workspace) -> None:
    workspace.scan()
    ids = workspace.ids()
    assert inbox_ids() == [ids["complaint"]]
    every_open = set(inbox_ids("--all"))
    assert every_open == {ids["complaint"], ids["question"], ids["praise"]}

    text = mw("inbox")
    assert text.exit_code == 0, text.output
    assert "1 unanswered negative mention." in text.stdout
    assert "4 spam posts hidden: inbox --spam" in text.stdout
    assert "4 spam posts hidden: inbox --spam" in mw("inbox", "--all").stdout


def test_inbox_questions_lists_open_questions_of_any_sentiment(workspace: Workspace) -> None:
    workspace.serve(
        [
            Post("neutral-q", QUESTION, "sam"),
            Post("angry-q", "Why is Acme so terrible? I want my money back.", "max"),
            Post("positive-q", "Does Acme support SSO for teams?", "kim"),
            Post("scam-q", SCAM + ". Who wants to get rich?", "promo_king"),
            Post("statement", COMPLAINT, "jo"),
        ]
    )
    workspace.scan()
    ids = workspace.ids()
    listed = json_out(mw("inbox", "--questions", "--json"))
    assert {e["id"] for e in listed} == {ids["neutral-q"], ids["angry-q"], ids["positive-q"]}
    assert all(e["question"] is True and e["spam"] is False for e in listed)
    assert listed[0]["id"] == ids["angry-q"]  # a complaint that asks comes first
    text = mw("inbox", "--questions")
    assert "Acme: open questions" in text.stdout
    assert "3 open questions." in text.stdout


def test_inbox_views_are_exclusive(workspace: Workspace) -> None:
    for pair in (("--all", "--spam"), ("--questions", "--spam"), ("--all", "--questions")):
        result = mw("inbox", *pair)
        assert result.exit_code == 2, pair
        assert "choose one of" in result.stderr


def test_inbox_csv_carries_the_triage_columns(workspace: Workspace) -> None:
    workspace.scan()
    header, *rows = mw("inbox", "--spam", "--csv").stdout.splitlines()
    assert header.endswith(",question,spam,spam_signals,human_label")
    assert len(rows) == 4 and all(",true," in row for row in rows)


# --- spam, notspam, label ------------------------------------------------------------------------


def test_spam_and_notspam_move_a_mention_out_of_and_into_the_inbox(workspace: Workspace) -> None:
    workspace.scan()
    ids = workspace.ids()

    marked = mw("spam", ids["complaint"])
    assert marked.exit_code == 0, marked.output
    assert marked.stdout == (
        f"#{ids['complaint']} is now marked spam: out of the inbox (inbox --spam lists it).\n"
    )
    assert inbox_ids() == []
    assert ids["complaint"] in {e["id"] for e in json_out(mw("inbox", "--spam", "--json"))}
    assert "marked spam by a person" in mw("inbox", "--spam").stdout
    assert workspace.row(ids["complaint"])["spam_mark"] == 1

    rescued = mw("notspam", ids["scam"])
    assert rescued.stdout == f"#{ids['scam']} is now marked not spam.\n"
    assert ids["scam"] in inbox_ids("--all")
    detail = json_out(mw("show", ids["scam"], "--json"))
    assert (detail["spam"], detail["spam_mark"]) == (False, False)
    assert detail["spam_signals"]  # the classifier's signals are still shown
    assert "marked not spam by a person" in mw("show", ids["scam"]).stdout

    assert mw("notspam", ids["complaint"]).exit_code == 0
    assert inbox_ids() == [ids["complaint"]]


def test_label_overrides_the_classifier_in_the_inbox(workspace: Workspace) -> None:
    workspace.scan()
    ids = workspace.ids()

    labelled = mw("label", ids["praise"], "negative")
    assert labelled.exit_code == 0, labelled.output
    assert labelled.stdout == (
        f"#{ids['praise']} is now labelled negative (the classifier said positive).\n"
    )
    assert mw("label", ids["complaint"], "NEUTRAL").exit_code == 0
    assert inbox_ids() == [ids["praise"]]

    detail = json_out(mw("show", ids["praise"], "--json"))
    assert detail["human_label"] == "negative"
    assert detail["sentiment"]["label"] == "positive"  # the classifier's, kept for eval
    # A person's negative label counts as at least -0.5 for the priority.
    assert detail["priority"] >= 25
    assert "labelled negative by a person" in mw("show", ids["praise"]).stdout


def test_a_bad_label_is_a_usage_error(workspace: Workspace) -> None:
    workspace.scan()
    mention_id = workspace.ids()["complaint"]
    for bad in ("angry", "spam", ""):
        result = mw("label", mention_id, bad)
        assert result.exit_code == 2, bad
        assert "expected one of negative, neutral, positive" in result.stderr
    assert workspace.row(mention_id)["human_label"] is None


@pytest.mark.parametrize(
    "args", [["spam", "999"], ["notspam", "999"], ["label", "999", "negative"]]
)
def test_marking_an_unknown_id_is_not_found(workspace: Workspace, args: list[str]) -> None:
    workspace.scan()
    result = mw(*args)
    assert result.exit_code == 3
    assert result.stderr == "mentionwatch: no mention with id 999\n"


def test_a_rescan_keeps_every_mark_a_person_made(workspace: Workspace) -> None:
    workspace.scan()
    ids = workspace.ids()
    assert mw("spam", ids["praise"]).exit_code == 0
    assert mw("notspam", ids["scam"]).exit_code == 0
    assert mw("label", ids["question"], "negative").exit_code == 0
    assert mw("answer", ids["complaint"], "--by", "maya").exit_code == 0

    # Every post is edited: the re-scan re-scores them all, and keeps the team's marks.
    workspace.serve([Post(p.guid, p.text + " Edited.", p.author, p.hours_ago) for p in FORUM])
    report = workspace.scan()
    assert report["updated"] == len(FORUM)

    assert workspace.row(ids["praise"])["spam_mark"] == 1
    assert workspace.row(ids["scam"])["spam_mark"] == 0
    assert workspace.row(ids["question"])["human_label"] == "negative"
    complaint = workspace.row(ids["complaint"])
    assert (complaint["status"], complaint["answered_by"]) == ("answered", "maya")
    assert complaint["text"].endswith("Edited.")
    assert set(inbox_ids()) == {ids["question"]}
    assert ids["scam"] in inbox_ids("--all")


# --- priority ------------------------------------------------------------------------------------


def store_direct(db: Path, *posts: tuple[str, Classification, int | None, float]) -> None:
    """Store (native id, verdict, reach, hours ago) posts as a source with reach would."""
    mentions = [
        Mention(
            source="social",
            kind="mastodon",
            native_id=native_id,
            url=f"https://social.example/{native_id}",
            title="",
            text=verdict.snippet,
            created_at=NOW - timedelta(hours=hours),
            author=f"author-{native_id}",
            matched_term="Acme",
            reach=reach,
        )
        for native_id, verdict, reach, hours in posts
    ]
    with Store.open(db) as store:
        store.save_poll(
            SourceState("social", "mastodon"),
            SearchResult(mentions),
            [ScoredMention(m, p[1]) for m, p in zip(mentions, posts, strict=True)],
            NOW,
        )


def verdict(compound: float, text: str, *, question: bool = False) -> Classification:
    label = (
        SentimentLabel.NEGATIVE
        if compound <= -0.05
        else SentimentLabel.POSITIVE
        if compound >= 0.05
        else SentimentLabel.NEUTRAL
    )
    return Classification(compound, label, text, compound, question=question)


def test_the_inbox_ranks_by_negativity_reach_wait_and_question(workspace: Workspace) -> None:
    store_direct(
        workspace.db,
        ("quiet", verdict(-0.6, "Acme lost my parcel"), 3, 1),
        ("famous", verdict(-0.6, "Acme lost my parcel too"), 250_000, 1),
        ("asking", verdict(-0.6, "Acme lost my parcel, where is it?", question=True), 3, 1),
        ("old", verdict(-0.6, "Acme lost my parcel last week"), 3, 30),
        ("furious", verdict(-0.95, "Acme is the worst, furious"), 3, 1),
    )
    ranked = json_out(mw("inbox", "--json"))
    order = [e["native_id"] for e in ranked]
    assert order.index("famous") < order.index("quiet")
    assert order.index("asking") < order.index("quiet")
    assert order.index("old") < order.index("quiet")
    assert order.index("furious") < order.index("quiet")
    assert order[-1] == "quiet"
    priorities = [e["priority"] for e in ranked]
    assert priorities == sorted(priorities, reverse=True)
    # The same priority in the table, and in `show`.
    table = mw("inbox").stdout
    assert f"{ranked[0]['priority']:.0f}" in table
    detail = json_out(mw("show", ranked[0]["id"], "--json"))
    assert detail["priority"] == ranked[0]["priority"]


def test_questions_rank_by_wait_and_reach_even_when_neutral(workspace: Workspace) -> None:
    store_direct(
        workspace.db,
        ("fresh", verdict(0.0, "@Acme how do I export my data?", question=True), 2, 0.1),
        ("waiting", verdict(0.0, "@Acme does the API support SSO?", question=True), 2, 6),
        ("popular", verdict(0.0, "@Acme is there a dark mode?", question=True), 40_000, 0.1),
        ("statement", verdict(0.0, "Acme opened an office"), 2, 6),
    )
    listed = json_out(mw("inbox", "--questions", "--json"))
    assert [e["native_id"] for e in listed] == ["waiting", "popular", "fresh"]
    assert all(e["priority"] >= 25 for e in listed)  # a neutral question still needs an answer
    assert json_out(mw("inbox", "--json")) == []  # none of them is negative


# --- classify ------------------------------------------------------------------------------------


def test_classify_json_carries_the_full_verdict(isolated_env: Path) -> None:
    stdin = f"{COMPLAINT}\n{QUESTION}\n{SCAM}\n"
    result = mw("classify", "--json", input=stdin)
    assert result.exit_code == 0, result.output
    complaint, question, scam = (json.loads(line) for line in result.stdout.splitlines())

    assert set(complaint) >= {
        "text",
        "sentiment",
        "spam",
        "spam_signals",
        "question",
        "explanation",
        "snippet",
    }
    assert set(complaint["sentiment"]) == {"compound", "label", "vader_compound"}
    assert complaint["sentiment"]["label"] == "negative"
    assert (complaint["spam"], complaint["question"]) == (False, False)
    assert complaint["explanation"]
    for hit in complaint["explanation"]:
        assert set(hit) == {"kind", "what", "valence"}
        assert isinstance(hit["valence"], float)
    assert (question["question"], question["spam"]) == (True, False)
    assert scam["spam"] is True and scam["spam_signals"]
    assert "vader_hits" not in complaint  # only with --explain


def test_classify_explain_lists_what_moved_the_score(isolated_env: Path) -> None:
    text = "I waited all week. Acme is terrible and my order never arrived."
    result = mw("classify", "--explain", text)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("negative")
    assert "VADER's lexicon" in out
    assert "terrible -2.1" in out  # VADER's own word and valence
    assert "domain layer" in out
    assert "never arrived" in out  # the rule that fired
    assert "deciding sentence  Acme is terrible and my order never arrived." in out

    explained = json.loads(mw("classify", "--explain", "--json", text).stdout)
    assert {"word": "terrible", "valence": -2.1} in explained["vader_hits"]
    assert explained["deciding_sentence"] == "Acme is terrible and my order never arrived."
    assert [s["sentence"] for s in explained["sentences"]] == [
        "I waited all week.",
        "Acme is terrible and my order never arrived.",
    ]


def test_classify_explain_says_when_nothing_fired(isolated_env: Path) -> None:
    out = mw("classify", "--explain", "Acme opened a new office in Leeds").stdout
    assert out.startswith("neutral")
    assert "no word it knows" in out
    assert "no rule fired" in out


def test_classify_flags_spam_and_questions_in_the_terminal(isolated_env: Path) -> None:
    out = mw("classify", input=f"{SCAM}\n{QUESTION}\n").stdout.splitlines()
    assert "[spam]" in out[0]
    assert "[question]" in out[1]


# --- show ----------------------------------------------------------------------------------------


def test_show_explains_the_verdict(workspace: Workspace) -> None:
    workspace.scan()
    ids = workspace.ids()

    text = mw("show", ids["complaint"])
    assert text.exit_code == 0, text.output
    for expected in (
        "Why it scored so",
        "VADER's lexicon",
        "useless",
        "domain layer",
        "never arrived",
        "deciding sentence",
        "VADER alone",
    ):
        assert expected in text.stdout, expected
    assert re.search(r"^question +no$", text.stdout, re.MULTILINE)
    scam = mw("show", ids["scam"]).stdout
    assert "spam signals" in scam
    assert "kept out of the inbox" in scam
    assert re.search(r"^question +yes", mw("show", ids["question"]).stdout, re.MULTILINE)

    detail = json_out(mw("show", ids["complaint"], "--json"))
    assert {"question", "spam", "spam_mark", "spam_signals", "human_label"} <= set(detail)
    assert isinstance(detail["sentiment"]["vader_compound"], float)
    assert any("never arrived" in hit["what"] for hit in detail["explanation"])
    assert any(hit["word"] == "useless" for hit in detail["vader_hits"])
    assert "never arrived" in detail["deciding_sentence"]


# --- eval ----------------------------------------------------------------------------------------

# (text, the person's label). The classifier finds "never arrived"; bare VADER scores it 0.
# The last one is a person disagreeing with both: it counts against both.
LABELLED = [
    ("I hate Acme. Terrible, awful service.", "negative"),
    ("My Acme order never arrived", "negative"),
    ("Acme is wonderful, I love it", "positive"),
    ("Acme opened a new office in Leeds", "neutral"),
    ("Acme is awful and rude", "positive"),
]


def test_eval_scores_the_classifier_and_vader_against_the_labels(workspace: Workspace) -> None:
    store_direct(
        workspace.db,
        *((f"l{n}", verdict(0.0, text), None, 1) for n, (text, _) in enumerate(LABELLED)),
        ("unlabelled", verdict(0.0, "Acme is the worst"), None, 1),
    )
    with Store.open(workspace.db) as store:
        ids = {m.native_id: m.id for m in store.open_mentions()}
    for n, (_, label) in enumerate(LABELLED):
        assert mw("label", ids[f"l{n}"], label).exit_code == 0

    report = json_out(mw("eval", "--json"))
    assert report["labels"] == 5
    by_class = {c["label"]: c for c in report["classes"]}
    assert list(by_class) == ["negative", "neutral", "positive"]
    # Ours: negative = {1, 2, 5} (2 right of 2 labelled); VADER: negative = {1, 5}.
    assert by_class["negative"]["support"] == 2
    assert by_class["negative"]["mentionwatch"] == {
        "precision": 0.667,
        "recall": 1.0,
        "f1": 0.8,
        "predicted": 3,
    }
    assert by_class["negative"]["vader"] == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "predicted": 2,
    }
    assert by_class["neutral"]["mentionwatch"]["precision"] == 1.0
    assert by_class["neutral"]["vader"]["precision"] == 0.5  # "never arrived" came out neutral
    assert by_class["positive"]["mentionwatch"]["recall"] == 0.5
    assert report["accuracy"] == {"mentionwatch": 0.8, "vader": 0.6}

    text = mw("eval")
    assert text.exit_code == 0, text.output
    assert "against 5 human labels" in text.stdout
    negative = next(line for line in text.stdout.splitlines() if line.startswith("negative"))
    assert negative.split() == [
        "negative",
        "2",
        "0.667",
        "1.000",
        "0.800",
        "0.500",
        "0.500",
        "0.500",
    ]
    assert "Accuracy: 0.800 (bare VADER 0.600)" in text.stdout


def test_eval_without_labels_says_so(workspace: Workspace) -> None:
    workspace.scan()
    result = mw("eval")
    assert result.exit_code == 0, result.output
    assert "No mention has a human label yet" in result.stdout
    assert "mentionwatch label ID negative|neutral|positive" in result.stdout
    assert json_out(mw("eval", "--json"))["labels"] == 0


# --- rescore -------------------------------------------------------------------------------------


def test_rescore_applies_a_lexicon_change_and_keeps_every_mark(workspace: Workspace) -> None:
    beige = "The new Acme kettle is beige"
    workspace.serve([*FORUM, Post("beige", beige, "kim"), Post("beige-2", beige + " too", "al")])
    workspace.scan()
    ids = workspace.ids()
    assert workspace.row(ids["beige"])["label"] == "neutral"
    assert mw("ignore", ids["beige-2"]).exit_code == 0
    assert mw("label", ids["beige-2"], "positive").exit_code == 0
    assert mw("notspam", ids["copy-1"]).exit_code == 0
    unchanged = json_out(mw("rescore", "--json"))
    assert (unchanged["mentions"], unchanged["label_changes"]) == (len(FORUM) + 2, 0)

    workspace.config.write_text(
        workspace.config.read_text(encoding="utf-8")
        + "\n[sentiment]\n[sentiment.lexicon]\nbeige = -3.0\n",
        encoding="utf-8",
    )
    report = json_out(mw("rescore", "--json"))
    assert report["mentions"] == len(FORUM) + 2
    assert report["label_changes"] == 2
    assert report["changed"] >= 2
    assert isinstance(report["seconds"], float)

    beige_row = workspace.row(ids["beige"])
    assert beige_row["label"] == "negative"
    assert any(hit["what"] == "beige" for hit in json.loads(beige_row["explanation"]))
    assert ids["beige"] in inbox_ids()
    marked = workspace.row(ids["beige-2"])
    assert (marked["label"], marked["status"], marked["human_label"]) == (
        "negative",
        "ignored",
        "positive",
    )
    copy = workspace.row(ids["copy-1"])
    assert copy["spam_mark"] == 0
    assert copy["spam"] == 1  # the copies seen in one poll are not forgotten by a rescore
    assert "same text from 3 accounts" in json.loads(copy["spam_signals"])

    again = mw("rescore")
    assert again.exit_code == 0, again.output
    assert f"Rescored {len(FORUM) + 2} mentions" in again.stdout
    assert "0 changed label" in again.stdout


def test_rescore_batches_cover_every_mention(workspace: Workspace) -> None:
    from mentionwatch.config import SentimentConfig
    from mentionwatch.triage import rescore

    workspace.scan()
    with Store.open(workspace.db) as store:
        report = rescore(store, SentimentConfig(lexicon={"smoothie": -3.0}), batch_size=2)
    assert report.mentions == len(FORUM)
    assert (report.label_changes, report.changed) == (3, 3)  # the three copies: spam, still
    assert report.spam_changes == 0


def test_rescore_in_worker_processes_gives_the_same_verdicts(workspace: Workspace) -> None:
    from mentionwatch.config import SentimentConfig
    from mentionwatch.triage import rescore

    workspace.scan()
    changed = SentimentConfig(lexicon={"smoothie": -3.0})
    with Store.open(workspace.db) as store:
        pooled = rescore(store, changed, batch_size=2, workers=2, pool_from=0)
        pooled_rows = store.db.execute(
            "SELECT id, compound, label, spam, question, explanation FROM mentions ORDER BY id"
        ).fetchall()
        rescore(store, SentimentConfig(), workers=1)  # back to the defaults
        here = rescore(store, changed, batch_size=2, workers=1)
        here_rows = store.db.execute(
            "SELECT id, compound, label, spam, question, explanation FROM mentions ORDER BY id"
        ).fetchall()
    assert (pooled.mentions, pooled.changed, pooled.label_changes) == (len(FORUM), 3, 3)
    assert (here.mentions, here.changed, here.label_changes) == (len(FORUM), 3, 3)
    assert [tuple(row) for row in pooled_rows] == [tuple(row) for row in here_rows]


def test_a_verdict_on_text_a_scan_replaced_meanwhile_is_not_written(
    workspace: Workspace,
) -> None:
    from mentionwatch.config import SentimentConfig
    from mentionwatch.triage import score_batch

    workspace.scan()
    ids = workspace.ids()
    with Store.open(workspace.db) as store:
        rows = store.rescore_batch(0, 100)
        scored = score_batch(rows, SentimentConfig(lexicon={"smoothie": -3.0}))
        assert len(scored.changed) == 3
        # A scan rewrites one of those posts after the batch was read.
        target = next(item for item in scored.changed if item[-2] == int(ids["copy-1"]))
        store.db.execute(
            "UPDATE mentions SET text = 'new text', updated_at = '2030-01-01T00:00:00Z'"
            " WHERE id = ?",
            (target[-2],),
        )
        assert store.save_rescored(scored.changed) == 2
        kept = store.db.execute("SELECT label FROM mentions WHERE id = ?", (target[-2],))
        assert kept.fetchone()[0] != "negative"


# --- the migration -------------------------------------------------------------------------------


def old_database(path: Path) -> None:
    """A database as the release before triage left it, with one negative mention."""
    db = sqlite3.connect(path, isolation_level=None)
    for number, step in enumerate(MIGRATIONS[:6]):
        step(db)
        db.execute(f"PRAGMA user_version = {number + 1}")
    at = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.execute(
        """
        INSERT INTO mentions (source, kind, native_id, url, author, title, text, created_at,
                              fetched_at, compound, label, snippet, status)
        VALUES ('forum', 'rss', 'old-1', 'https://forum.example/t/old-1', 'jo', '', ?, ?, ?,
                -0.6, 'negative', ?, 'open')
        """,
        (COMPLAINT, at, at, COMPLAINT),
    )
    db.close()


def test_the_migration_upgrades_an_existing_database(workspace: Workspace) -> None:
    old_database(workspace.db)

    (entry,) = json_out(mw("inbox", "--json"))  # opening it migrates it
    assert entry["native_id"] == "old-1"
    assert (entry["spam"], entry["question"], entry["human_label"]) == (False, False, None)
    assert entry["sentiment"]["vader_compound"] is None
    with sqlite3.connect(workspace.db) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        columns = {row[1] for row in db.execute("PRAGMA table_info(mentions)")}
        indexes = {row[1] for row in db.execute("PRAGMA index_list(mentions)")}
    assert {
        "vader_compound",
        "question",
        "spam",
        "spam_signals",
        "spam_mark",
        "human_label",
        "explanation",
    } <= columns
    assert {"mentions_inbox", "mentions_questions"} <= indexes
    shown = mw("show", entry["id"])  # explained with the current classifier
    assert shown.exit_code == 0, shown.output
    assert "never arrived" in shown.stdout

    report = json_out(mw("rescore", "--json"))
    assert report["changed"] == 1
    row = workspace.row(entry["id"])
    assert row["vader_compound"] is not None and json.loads(row["explanation"])
    assert row["status"] == "open"


@pytest.mark.parametrize(
    ("kwargs", "index"),
    [
        ({"labels": (SentimentLabel.NEGATIVE,), "spam": False}, "mentions_inbox"),
        ({"spam": False}, "mentions_inbox"),
        ({"spam": True}, "mentions_inbox"),
        ({"spam": False, "questions": True}, "mentions_questions"),
    ],
)
def test_inbox_queries_are_index_range_scans(
    tmp_path: Path, kwargs: dict[str, Any], index: str
) -> None:
    def plan(store: Store, **filters: Any) -> str:
        statements: list[str] = []
        store.db.set_trace_callback(statements.append)
        store.open_mentions(OpenFilter(**kwargs, **filters))
        store.db.set_trace_callback(None)
        (query,) = statements
        return " ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + query))

    with Store.open(tmp_path / "m.db") as store:
        unfiltered = plan(store)
        filtered = plan(store, sources=("forum",), since=NOW)
    # The view's own index, or the inbox-rank index that starts with the same columns.
    assert unfiltered.startswith(
        (
            f"SEARCH mentions USING INDEX {index} (status=? AND",
            "SEARCH mentions USING INDEX mentions_rank (status=? AND",
        )
    ), unfiltered
    # With a source or a date, SQLite may pick the source index instead: still a range.
    assert filtered.startswith("SEARCH mentions USING INDEX"), filtered


def test_a_verdict_only_reworded_is_rewritten_without_its_indexed_columns(
    workspace: Workspace,
) -> None:
    """A new explanation for the same label, score, spam and question takes the cheaper
    UPDATE (no index reads those columns), and is written all the same."""
    from mentionwatch.config import SentimentConfig
    from mentionwatch.triage import rescore, score_batch

    workspace.scan()
    with Store.open(workspace.db) as store:
        stored = store.db.execute(
            "SELECT id, snippet, explanation, label, compound FROM mentions"
            " WHERE explanation != '[]' ORDER BY id LIMIT 1"
        ).fetchone()
        store.db.execute(
            "UPDATE mentions SET snippet = 'stale', explanation = '[]' WHERE id = ?",
            (stored["id"],),
        )
        scored = score_batch(store.rescore_batch(0, 100), SentimentConfig())
        assert scored.changed == []
        assert [item[-2] for item in scored.reworded] == [stored["id"]]
        report = rescore(store, SentimentConfig(), workers=1)
        after = store.db.execute(
            "SELECT snippet, explanation, label, compound FROM mentions WHERE id = ?",
            (stored["id"],),
        ).fetchone()
    assert (report.changed, report.label_changes) == (1, 0)
    assert tuple(after) == (
        stored["snippet"],
        stored["explanation"],
        stored["label"],
        stored["compound"],
    )
