"""The inbox: open mentions that need the team, most urgent first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from mentionwatch.classify.priority import Urgency, labelled_compound, urgency
from mentionwatch.config import BrandConfig
from mentionwatch.models import SentimentLabel, StoredMention
from mentionwatch.store import Store


@dataclass(frozen=True, slots=True)
class InboxEntry:
    mention: StoredMention
    urgency: Urgency


class InboxView(str, Enum):
    """Which open mentions an inbox lists."""

    #: Negative (by the effective label), not spam: the default.
    NEGATIVE = "negative"
    #: Every open mention that is not spam (`--all`).
    OPEN = "open"
    #: Questions of any sentiment, not spam (`--questions`).
    QUESTIONS = "questions"
    #: Spam (by the effective verdict) kept out of the other views (`--spam`).
    SPAM = "spam"


@dataclass(frozen=True, slots=True)
class Inbox:
    view: InboxView
    entries: list[InboxEntry]
    #: Open spam posts kept out of this view (0 for the spam view itself).
    spam_hidden: int = 0


def mention_urgency(mention: StoredMention, sla: timedelta, now: datetime) -> Urgency:
    """One mention's priority: its tone (a person's label wins), wait, reach and question."""
    compound = labelled_compound(
        mention.compound, mention.human_label.value if mention.human_label else None
    )
    return urgency(
        compound,
        now - mention.created_at,
        sla,
        reach=mention.reach,
        question=mention.question,
    )


def rank(mentions: Sequence[StoredMention], sla_of: BrandConfig, now: datetime) -> list[InboxEntry]:
    """Score every mention's urgency and sort: highest priority first, then oldest first."""
    entries = [InboxEntry(m, mention_urgency(m, sla_of.sla, now)) for m in mentions]
    entries.sort(key=lambda e: (-e.urgency.priority, e.mention.created_at, e.mention.id))
    return entries


def build_inbox(
    store: Store,
    brand: BrandConfig,
    *,
    now: datetime,
    every_open: bool = False,
    sources: Sequence[str] = (),
    since: datetime | None = None,
    limit: int | None = None,
) -> list[InboxEntry]:
    """Open negative mentions (or, with `every_open`, every open mention), ranked; never spam."""
    view = InboxView.OPEN if every_open else InboxView.NEGATIVE
    entries = open_inbox(store, brand, view, now=now, sources=sources, since=since).entries
    return entries[:limit] if limit is not None else entries


def open_inbox(
    store: Store,
    brand: BrandConfig,
    view: InboxView = InboxView.NEGATIVE,
    *,
    now: datetime,
    sources: Sequence[str] = (),
    since: datetime | None = None,
    assignee: str | None = None,
    unassigned: bool = False,
) -> Inbox:
    """One view of the open mentions, ranked, with how many spam posts it leaves out.

    `assignee` keeps one team member's mentions (names match in any case), `unassigned`
    those nobody owns; the spam count is of the same owner's."""
    if view is InboxView.SPAM:
        mentions = store.open_mentions(
            sources=sources, since=since, spam=True, assignee=assignee, unassigned=unassigned
        )
        return Inbox(view, rank(mentions, brand, now))
    labels = [SentimentLabel.NEGATIVE] if view is InboxView.NEGATIVE else None
    mentions = store.open_mentions(
        labels=labels,
        sources=sources,
        since=since,
        spam=False,
        questions=view is InboxView.QUESTIONS,
        assignee=assignee,
        unassigned=unassigned,
    )
    hidden = store.count_open_spam(
        sources=sources, since=since, assignee=assignee, unassigned=unassigned
    )
    return Inbox(view, rank(mentions, brand, now), hidden)
