"""The inbox reads old posts in index order (`inbox_rank`) and scores only recent ones: it must
list exactly what scoring every open mention and sorting would, for every view and limit."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mentionwatch.classify.priority import reach_factor, saturated_after, urgency
from mentionwatch.config import BrandConfig
from mentionwatch.inbox import InboxView, open_inbox, rank
from mentionwatch.models import (
    Classification,
    Mention,
    MentionStatus,
    OpenFilter,
    ScoredMention,
    SearchResult,
    SentimentLabel,
    SourceState,
)
from mentionwatch.store import Store

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
BRAND = BrandConfig(name="Acme", terms=("Acme",), sla=timedelta(hours=4))
LABEL_OF = {-1: SentimentLabel.NEGATIVE, 0: SentimentLabel.NEUTRAL, 1: SentimentLabel.POSITIVE}


def random_posts(rng: random.Random, count: int) -> list[ScoredMention]:
    posts = []
    for i in range(count):
        compound = rng.choice([-0.9, -0.6, -0.3, -0.05, 0.0, 0.2, 0.7, rng.uniform(-1, 1)])
        label = LABEL_OF[-1 if compound <= -0.05 else 1 if compound >= 0.05 else 0]
        # Many posts near the 8-hour saturation boundary, where the two paths meet.
        hours = rng.choice([0.5, 3, 7.9, 8, 8.1, 30, 400, rng.uniform(0, 2000)])
        mention = Mention(
            source=rng.choice(["alerts", "forum"]),
            kind="rss",
            native_id=f"p{i}",
            url=f"https://acme.example/{i}",
            title="",
            text=f"post {i}",
            created_at=NOW - timedelta(hours=hours),
            author=f"user{i % 17}",
            reach=rng.choice([None, 0, 3, 150, 12_000, rng.randint(1, 5000)]),
        )
        verdict = Classification(
            compound,
            label,
            mention.text,
            question=rng.random() < 0.25,
            spam=rng.random() < 0.1,
        )
        posts.append(ScoredMention(mention, verdict))
    return posts


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    rng = random.Random(2026)
    path: Path = tmp_path_factory.mktemp("rank") / "rank.db"
    store = Store.open(path)
    posts = random_posts(rng, 400)
    store.save_poll(
        SourceState("alerts", "rss"), SearchResult([p.mention for p in posts]), posts, NOW
    )
    for mention_id in rng.sample(range(1, 401), 60):
        store.set_human_label(mention_id, rng.choice(list(SentimentLabel)))
    for mention_id in rng.sample(range(1, 401), 40):
        store.set_status(mention_id, MentionStatus.ANSWERED, by="leo", at=NOW)
    for mention_id in rng.sample(range(1, 401), 30):
        store.set_spam_mark(mention_id, rng.random() < 0.5)
    for mention_id in rng.sample(range(1, 401), 50):
        store.assign(mention_id, rng.choice(["maya", "leo"]), by="maya", at=NOW)
    return store


def brute_force(store: Store, view: InboxView, **filters: object) -> list[int]:
    """Score every open mention of the view and sort them: the definition of the inbox."""
    mentions = store.open_mentions(
        OpenFilter(
            labels=(SentimentLabel.NEGATIVE,) if view is InboxView.NEGATIVE else None,
            spam=view is InboxView.SPAM,
            questions=view is InboxView.QUESTIONS,
            **filters,  # type: ignore[arg-type]
        )
    )
    return [entry.mention.id for entry in rank(mentions, BRAND, NOW)]


@pytest.mark.parametrize("view", list(InboxView))
@pytest.mark.parametrize("limit", [1, 7, 50, None])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"sources": ["forum"]},
        {"since": NOW - timedelta(hours=30)},
        {"since": NOW - timedelta(hours=2)},
        {"assignee": "MAYA"},
        {"unassigned": True},
    ],
    ids=["all", "source", "since-30h", "since-2h", "assignee", "unassigned"],
)
def test_the_inbox_lists_what_scoring_everything_would(
    store: Store, view: InboxView, limit: int | None, filters: dict[str, object]
) -> None:
    expected = brute_force(store, view, **filters)
    inbox = open_inbox(store, BRAND, view, now=NOW, limit=limit, **filters)  # type: ignore[arg-type]
    assert [entry.mention.id for entry in inbox.entries] == expected[:limit]
    assert inbox.total == len(expected)
    everything = open_inbox(store, BRAND, view, now=NOW, **filters)  # type: ignore[arg-type]
    assert inbox.past_sla == sum(1 for entry in everything.entries if entry.urgency.breached)


def test_the_stored_rank_is_the_saturated_priority_to_the_last_bit(store: Store) -> None:
    rows = store.db.execute(
        "SELECT id, compound, human_label, question, reach, inbox_rank FROM mentions"
    ).fetchall()
    assert rows
    for _id, compound, human_label, question, reach, stored in rows:
        if human_label == "negative":
            compound = min(compound, -0.5)
        elif human_label is not None:
            compound = max(compound, 0.0)
        late = urgency(
            compound,
            saturated_after(BRAND.sla) * 3,
            BRAND.sla,
            reach=reach,
            question=bool(question),
        )
        assert stored == late.score, (_id, stored, late.score)


def test_a_label_or_rescore_moves_the_rank_with_no_code_to_remember(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        mention = Mention(
            source="alerts",
            kind="rss",
            native_id="x",
            url="https://acme.example/x",
            title="",
            text="meh",
            created_at=NOW - timedelta(days=3),
            reach=99,
        )
        post = ScoredMention(mention, Classification(0.0, SentimentLabel.NEUTRAL, "meh"))
        store.save_poll(SourceState("alerts", "rss"), SearchResult([mention]), [post], NOW)
        before = store.db.execute("SELECT inbox_rank FROM mentions").fetchone()[0]
        store.set_human_label(1, SentimentLabel.NEGATIVE)
        after = store.db.execute("SELECT inbox_rank, reach_score FROM mentions").fetchone()
        assert after[0] == pytest.approx(before + 100 * 0.5 * 0.5)
        assert after[1] == reach_factor(99)
