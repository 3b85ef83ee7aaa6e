"""`mentionwatch stats` and `mentionwatch advocates` on a fixture database whose answers were
computed by hand (medians, nearest-rank 90th percentiles, rates, SLA breaches)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import DIGEST_NOW, digest_post, store_posts
from mentionwatch import cli
from mentionwatch.config import BrandConfig
from mentionwatch.models import MentionStatus, ScoredMention, SentimentLabel
from mentionwatch.stats import StatsBy, build_stats, find_advocates
from mentionwatch.store import Store

runner = CliRunner()
SLA = timedelta(hours=4)
BRAND = BrandConfig(name="Acme", terms=("Acme",), handles=("AcmeSupport", "*atAcme"), sla=SLA)
CONFIG = """
[brand]
name = "Acme"
terms = ["Acme"]
handles = ["AcmeSupport", "*atAcme"]
sla = "4h"

[[sources]]
name = "alerts"
kind = "rss"
url = "https://alerts.example/feed.xml"
"""

#: native id -> (who answered, seconds after the post), for the answered mentions.
ANSWERS = {
    "n1": ("maya", 3600),
    "n2": ("maya", 7200),
    "n3": ("leo", 18000),  # late (> 4h)
    "q1": ("leo", 10800),
    "p1": ("maya", 36000),  # late
    "f3": ("maya", 60),  # posted 100 days ago: outside every period below
}


def fill_stats_data(store: Store) -> None:
    """alerts: 5 negative (3 answered), 2 questions (1 answered), 1 positive (answered), 1 spam;
    forum: 1 negative and 1 positive, nothing answered (and one answered 100 days ago);
    plus the brand's own post, in no figure."""
    store_posts(
        store,
        [
            digest_post("n1", "negative", hours_ago=20),
            digest_post("n2", "negative", hours_ago=30),
            digest_post("n3", "negative", hours_ago=40),
            digest_post("n4", "negative", hours_ago=10),  # open, past SLA
            digest_post("n5", "negative", hours_ago=2),  # open, within SLA
            digest_post("q1", "neutral", hours_ago=50, question=True),
            digest_post("q2", "neutral", hours_ago=6, question=True),  # open, past SLA
            digest_post("p1", "positive", hours_ago=12),
            digest_post("s1", "negative", hours_ago=5, spam=True),
            ScoredMention(
                digest_post("own", "negative", hours_ago=9, author="AcmeSupport").mention,
                digest_post("own", "negative", hours_ago=9).verdict,
                own=True,
            ),
        ],
        DIGEST_NOW,
    )
    store_posts(
        store,
        [
            digest_post("f1", "negative", hours_ago=8, source="forum"),  # open, past SLA
            digest_post("f2", "positive", hours_ago=3, source="forum"),
            digest_post("f3", "neutral", hours_ago=2400, source="forum", question=True),
        ],
        DIGEST_NOW,
        source="forum",
    )
    for mention in store.open_mentions():
        if mention.native_id in ANSWERS:
            who, after = ANSWERS[mention.native_id]
            store.set_status(
                mention.id,
                MentionStatus.ANSWERED,
                by=who,
                at=mention.created_at + timedelta(seconds=after),
            )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "stats.db") as opened:
        fill_stats_data(opened)
        yield opened


def test_the_whole_period_matches_the_hand_computed_figures(store: Store) -> None:
    stats = build_stats(store, sla=SLA, now=DIGEST_NOW, since=timedelta(days=30), by=StatsBy.SOURCE)
    total = stats.total
    assert not stats.empty
    assert (total.mentions, total.negative, total.neutral, total.positive, total.spam) == (
        10,
        6,
        2,
        2,
        1,
    )
    assert total.share_negative == pytest.approx(60.0)  # 6 of 10
    assert (total.negative_answered, total.negative_response_rate) == (3, pytest.approx(50.0))
    assert (total.questions_answered, total.questions) == (1, 2)
    assert total.question_response_rate == pytest.approx(50.0)
    # Times to first response, sorted: 3600, 7200, 10800, 18000, 36000.
    assert (total.answered, total.timed) == (5, 5)
    assert total.median_response_s == 10800
    assert total.p90_response_s == 36000  # nearest rank: ceil(0.9 * 5) = 5th
    assert (total.answered_late, total.late_rate) == (2, pytest.approx(40.0))
    # Open and needing an answer: n4, n5, q2, f1; past the 4h SLA: n4, q2, f1.
    assert (total.open_past_sla, total.open_needing_answer) == (3, 4)
    assert total.open_past_sla_rate == pytest.approx(75.0)


def test_a_source_with_no_answers_has_no_times_and_no_nan(store: Store) -> None:
    stats = build_stats(store, sla=SLA, now=DIGEST_NOW, since=timedelta(days=30), by=StatsBy.SOURCE)
    alerts, forum = stats.groups
    assert (alerts.key, alerts.mentions, alerts.spam, alerts.share_negative) == (
        "alerts",
        8,
        1,
        pytest.approx(62.5),
    )
    assert (alerts.median_response_s, alerts.p90_response_s) == (10800, 36000)
    assert (alerts.open_past_sla, alerts.open_needing_answer) == (2, 3)
    assert forum.key == "forum" and (forum.mentions, forum.negative, forum.positive) == (2, 1, 1)
    assert (forum.negative_answered, forum.negative_response_rate) == (0, 0.0)
    assert forum.questions == 0 and forum.question_response_rate is None
    assert forum.timed == 0 and forum.median_response_s is None and forum.p90_response_s is None
    assert forum.late_rate is None
    assert (forum.open_past_sla, forum.open_needing_answer, forum.open_past_sla_rate) == (
        1,
        1,
        pytest.approx(100.0),
    )


def test_answers_per_responder_with_an_even_median(store: Store) -> None:
    stats = build_stats(
        store, sla=SLA, now=DIGEST_NOW, since=timedelta(days=30), by=StatsBy.RESPONDER
    )
    assert stats.groups == stats.responders
    maya, leo = stats.responders
    # maya: 3600, 7200, 36000; leo: 10800, 18000 (median: the mean of the middle two).
    assert (maya.key, maya.answered, maya.median_response_s, maya.p90_response_s) == (
        "maya",
        3,
        7200,
        36000,
    )
    assert (maya.answered_late, maya.timed) == (1, 3)
    assert (leo.key, leo.answered, leo.median_response_s, leo.p90_response_s) == (
        "leo",
        2,
        14400,
        18000,
    )
    assert (leo.answered_late, leo.timed) == (1, 2)


def test_the_trend_has_every_day_of_the_period(store: Store) -> None:
    stats = build_stats(store, sla=SLA, now=DIGEST_NOW, since=timedelta(days=3), by=StatsBy.DAY)
    days = [(d.key, d.negative, d.neutral, d.positive, d.spam) for d in stats.trend]
    assert days == [
        ("2026-11-17", 0, 0, 0, 0),
        ("2026-11-18", 1, 1, 0, 0),
        ("2026-11-19", 3, 0, 1, 0),
        ("2026-11-20", 2, 1, 1, 1),
    ]
    # --by day lists only the days that had mentions.
    assert [d.key for d in stats.groups] == ["2026-11-18", "2026-11-19", "2026-11-20"]


def test_an_empty_period_says_so(store: Store) -> None:
    stats = build_stats(store, sla=SLA, now=DIGEST_NOW, since=timedelta(hours=1), by=StatsBy.SOURCE)
    assert stats.empty and stats.groups == [] and stats.responders == []
    assert stats.total.share_negative is None and stats.total.median_response_s is None


# --- the command ---------------------------------------------------------------------------


@pytest.fixture
def workspace(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> list[str]:
    monkeypatch.setattr(cli, "_now", lambda: DIGEST_NOW)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return ["--config", str(config), "--db", str(store.path)]


def run(*args: str) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_stats_json_states_every_denominator(workspace: list[str]) -> None:
    out = json.loads(run("stats", *workspace, "--json").stdout)
    assert out["period"] == {
        "start": "2026-10-21T08:00:00Z",
        "end": "2026-11-20T08:00:00Z",
        "since": "30d",
    }
    assert out["sla_seconds"] == 14400 and out["by"] == "source" and out["empty"] is False
    assert out["mentions"] == {"total": 10, "negative": 6, "neutral": 2, "positive": 2, "spam": 1}
    assert out["share_negative"] == {"count": 6, "of": 10, "percent": 60.0}
    assert out["negative_answered"] == {"count": 3, "of": 6, "percent": 50.0}
    assert out["questions_answered"] == {"count": 1, "of": 2, "percent": 50.0}
    assert out["response_time"] == {
        "answered": 5,
        "timed": 5,
        "median_seconds": 10800,
        "p90_seconds": 36000,
    }
    assert out["answered_late"] == {"count": 2, "of": 5, "percent": 40.0}
    assert out["open_past_sla"] == {"count": 3, "of": 4, "percent": 75.0}
    assert [g["key"] for g in out["groups"]] == ["alerts", "forum"]
    forum = out["groups"][1]
    assert forum["questions_answered"] == {"count": 0, "of": 0, "percent": None}
    assert forum["response_time"]["median_seconds"] is None
    assert [(r["responder"], r["answers"], r["median_seconds"]) for r in out["responders"]] == [
        ("maya", 3, 7200),
        ("leo", 2, 14400),
    ]
    assert len(out["trend"]) == 31 and out["trend"][-1] == {
        "day": "2026-11-20",
        "negative": 2,
        "neutral": 1,
        "positive": 1,
        "spam": 1,
    }


@pytest.mark.parametrize(
    ("by", "keys"),
    [
        ("source", ["alerts", "forum"]),
        ("responder", ["maya", "leo"]),
        ("day", ["2026-11-18", "2026-11-19", "2026-11-20"]),
    ],
)
def test_stats_by(workspace: list[str], by: str, keys: list[str]) -> None:
    out = json.loads(run("stats", *workspace, "--since", "3d", "--by", by, "--json").stdout)
    assert out["by"] == by and [g["key"] for g in out["groups"]] == keys
    text = run("stats", *workspace, "--since", "3d", "--by", by).stdout
    assert all(key in text for key in keys)


def test_stats_text_gives_each_figure_its_denominator(workspace: list[str]) -> None:
    text = run("stats", *workspace).stdout
    assert "Mentions posted 2026-10-21 08:00 to 2026-11-20 08:00 UTC (last 30d)." in text
    assert "Share negative: 6 of 10 mentions negative (60%)." in text
    assert "3 of 6 negative mentions answered (50%)" in text
    assert "1 of 2 questions answered (50%)" in text
    assert "median 3h00m, 90th percentile 10h00m (over 5 answered mentions)" in text
    assert "2 of 5 answered mentions answered later than 4h (40%)" in text
    assert "3 of 4 open mentions needing an answer waiting longer than 4h (75%)" in text
    assert "Answers per responder" in text and "maya" in text
    assert "Sentiment per day, 2026-10-21 to 2026-11-20 (spam excluded):" in text
    assert "█" in text
    assert "nan" not in text.lower()


def test_stats_on_an_empty_period_or_database(workspace: list[str], tmp_path: Path) -> None:
    text = run("stats", *workspace, "--since", "1h").stdout
    assert "No mentions were posted in this period" in text
    out = json.loads(run("stats", "--db", str(tmp_path / "new.db"), "--json").stdout)
    assert out["empty"] is True and out["share_negative"]["percent"] is None
    assert out["groups"] == [] and out["responders"] == []


def test_stats_rejects_a_bad_period(workspace: list[str]) -> None:
    result = runner.invoke(cli.app, ["stats", *workspace, "--since", "soon"])
    assert result.exit_code == 2 and "--since" in result.output


# --- advocates -----------------------------------------------------------------------------


def fill_advocates(store: Store) -> None:
    def praise(native_id: str, author: str, hours: float, **kw: Any) -> ScoredMention:
        return digest_post(
            native_id,
            kw.pop("label", "positive"),
            hours_ago=hours,
            author=author,
            text=f"Acme is great ({native_id})",
            **kw,
        )

    own = praise("own-1", "AcmeSupport", 5)
    store_posts(
        store,
        [
            praise("fan-1", "fan", 30, reach=10),
            praise("fan-2", "fan", 20, reach=50),
            praise("fan-3", "fan", 10),
            praise("big-1", "big", 40, reach=5000),
            praise("big-2", "big", 35, reach=20),
            praise("lab-1", "labelled", 15),
            praise("lab-2", "labelled", 14, label="neutral"),
            praise("once", "once", 3, reach=90000),
            praise("mix-1", "mixed", 8),
            praise("mix-2", "mixed", 7, label="negative"),
            praise("spam-1", "spammer", 6, spam=True),
            praise("spam-2", "spammer", 5, spam=True),
            praise("old-1", "old", 24 * 100),
            praise("old-2", "old", 24 * 101),
            praise("handle-1", "JoatAcme", 4),  # a brand handle configured after storing
            praise("handle-2", "JoatAcme", 3),
            ScoredMention(own.mention, own.verdict, own=True),
            ScoredMention(praise("own-2", "AcmeSupport", 4).mention, own.verdict, own=True),
        ],
        DIGEST_NOW,
    )
    relabel = next(m for m in store.open_mentions() if m.native_id == "lab-2")
    store.set_human_label(relabel.id, SentimentLabel.POSITIVE)


def test_advocates_most_valuable_first_without_the_brand_or_spam(tmp_path: Path) -> None:
    with Store.open(tmp_path / "adv.db") as store:
        fill_advocates(store)
        found = find_advocates(store, BRAND, now=DIGEST_NOW, since=timedelta(days=90), min_posts=2)
        assert [(a.author, a.posts, a.reach) for a in found] == [
            ("fan", 3, 50),
            ("big", 2, 5000),
            ("labelled", 2, None),
        ]
        assert found[0].latest_url == "https://alerts.example/fan-3"
        assert found[0].latest_snippet == "Acme is great (fan-3)"
        # Without the config, the handle glob is unknown: only stored `own` posts are excluded.
        bare = find_advocates(store, None, now=DIGEST_NOW, since=timedelta(days=90), min_posts=2)
        assert "JoatAcme" in [a.author for a in bare] and "AcmeSupport" not in str(bare)
        three = find_advocates(store, BRAND, now=DIGEST_NOW, since=timedelta(days=90), min_posts=3)
        assert [a.author for a in three] == ["fan"]
        longer = find_advocates(
            store, BRAND, now=DIGEST_NOW, since=timedelta(days=120), min_posts=2
        )
        assert "old" in [a.author for a in longer]


def test_advocates_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    monkeypatch.setattr(cli, "_now", lambda: DIGEST_NOW)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with Store.open(tmp_path / "adv.db") as store:
        fill_advocates(store)
    args = ["--config", str(config), "--db", str(tmp_path / "adv.db")]
    out = json.loads(run("advocates", *args, "--json").stdout)
    assert [a["author"] for a in out] == ["fan", "big", "labelled"]
    assert out[0] == {
        "author": "fan",
        "kind": "rss",
        "posts": 3,
        "reach": 50,
        "latest": {
            "id": out[0]["latest"]["id"],
            "source": "alerts",
            "created_at": "2026-11-19T22:00:00Z",
            "snippet": "Acme is great (fan-3)",
            "url": "https://alerts.example/fan-3",
        },
    }
    text = run("advocates", *args, "--min-posts", "3").stdout
    assert "fan" in text and "big" not in text
    none = run("advocates", *args, "--min-posts", "9").stdout
    assert "No author posted positively at least 9 times in the last 90d." in none
