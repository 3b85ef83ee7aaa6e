"""A big scan scores its polls in worker processes: the verdicts must be exactly those of
scoring in this process, copies across a poll included."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from mentionwatch.classify.match import compile_matcher
from mentionwatch.config import BrandConfig, SentimentConfig
from mentionwatch.models import Mention, ScoredMention
from mentionwatch.scan import PollScorer, relevant_and_scored

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
BRAND = BrandConfig(name="Acme", terms=("Acme",), handles=("AcmeSupport",))
TEXTS = [
    "Still waiting for my Acme refund after 3 weeks",
    "Love the new Acme app, so fast",
    "How do I export my data from Acme?",
    "Earn $500 a day from home, DM me, Acme giveaway",
    "Nothing to do with the brand at all",
    "Acme crashed again after the update. Thanks for nothing",
]


def poll(size: int, offset: int = 0) -> list[Mention]:
    mentions = [
        Mention(
            source="alerts",
            kind="rss",
            native_id=f"n{offset + i}",
            url=f"https://acme.example/{offset + i}",
            title="",
            text=f"{TEXTS[i % len(TEXTS)]} #{offset + i}",
            created_at=NOW - timedelta(minutes=i),
            author="AcmeSupport" if i % 50 == 0 else f"user{i}",
        )
        for i in range(size)
    ]
    # The same text from three accounts, split across the slices sent to workers.
    for i, position in enumerate((3, size // 2, size - 1)):
        mentions[position] = Mention(
            source="alerts",
            kind="rss",
            native_id=f"copy{offset + i}",
            url=f"https://acme.example/copy{offset + i}",
            title="",
            text="Just tried the new Acme blender smoothie recipe with my kids this morning",
            created_at=NOW,
            author=f"bot{i}",
        )
    return mentions


async def score_all(scorer: PollScorer, polls: list[list[Mention]]) -> list[list[ScoredMention]]:
    try:
        return list(await asyncio.gather(*(scorer.score(p) for p in polls)))
    finally:
        scorer.close()


def test_worker_processes_score_exactly_as_this_process_does() -> None:
    matcher = compile_matcher(BRAND.terms, BRAND.exclude)
    thresholds = SentimentConfig()
    polls = [poll(600, offset=1000 * k) for k in range(3)]
    scorer = PollScorer(matcher, BRAND, thresholds)
    scorer.POOL_AFTER = 600  # the first poll here, the others in the pool
    scorer.SLICE = 97
    scorer.workers = 2
    pooled = asyncio.run(score_all(scorer, polls))
    assert scorer.scored_here == 600
    expected = [relevant_and_scored(p, matcher, BRAND, thresholds) for p in polls]
    assert pooled == expected
    copies = [item for item in pooled[2] if item.mention.native_id.startswith("copy")]
    assert len(copies) == 3 and all(item.verdict.spam for item in copies)


def test_a_small_scan_never_starts_a_pool() -> None:
    scorer = PollScorer(compile_matcher(BRAND.terms), BRAND, SentimentConfig())
    asyncio.run(score_all(scorer, [poll(100), poll(100, offset=500)]))
    assert scorer._pool is None and scorer.scored_here == 200
