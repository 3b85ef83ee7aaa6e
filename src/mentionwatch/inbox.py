"""The inbox: open mentions that need the team, most urgent first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from mentionwatch.classify.priority import Urgency, labelled_compound, saturated_after, urgency
from mentionwatch.config import BrandConfig
from mentionwatch.models import OpenFilter, SentimentLabel, StoredMention
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
    #: The most urgent entries of the view, first first (all of them when no limit was asked).
    entries: list[InboxEntry]
    #: Open spam posts kept out of this view (0 for the spam view itself).
    spam_hidden: int = 0
    #: How many mentions the whole view holds, and how many of them waited past the SLA.
    total: int = 0
    past_sla: int = 0


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
    entries.sort(key=_most_urgent_first)
    return entries


def _most_urgent_first(entry: InboxEntry) -> tuple[float, datetime, int]:
    return (-entry.urgency.score, entry.mention.created_at, entry.mention.id)


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
    limit: int | None = None,
) -> Inbox:
    """One view of the open mentions, the `limit` most urgent first (all without a limit),
    with its size, how many waited past the SLA, and how many spam posts it leaves out.

    `assignee` keeps one team member's mentions (names match in any case), `unassigned`
    those nobody owns; the spam count is of the same owner's.

    Only posts younger than `saturated_after(sla)` are scored here one by one: older ones no
    longer gain priority with time, and the store returns the most urgent of them in index
    order, so a million stored mentions cost what a hundred do."""
    shown = OpenFilter(
        labels=(SentimentLabel.NEGATIVE,) if view is InboxView.NEGATIVE else None,
        sources=tuple(sources),
        since=since,
        spam=view is InboxView.SPAM,
        questions=view is InboxView.QUESTIONS,
        assignee=assignee,
        unassigned=unassigned,
    )
    saturated_before = now - saturated_after(brand.sla)
    recent_since = saturated_before if since is None else max(since, saturated_before)
    recent = store.open_mentions(replace(shown, since=recent_since))
    waited_out = (
        store.most_urgent_waited_out(shown, saturated_before, limit)
        if since is None or since < saturated_before
        else []
    )
    entries = rank([*recent, *waited_out], brand, now)
    # The same owner's and sources' spam, whatever the view's labels.
    spam = replace(shown, labels=None, spam=True, questions=False)
    hidden = 0 if view is InboxView.SPAM else store.count_open(spam)
    return Inbox(
        view,
        entries if limit is None else entries[:limit],
        hidden,
        total=store.count_open(shown),
        past_sla=store.count_open(shown, posted_before=now - brand.sla),
    )
