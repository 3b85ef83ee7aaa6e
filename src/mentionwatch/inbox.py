"""The inbox: open mentions that need the team, most urgent first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mentionwatch.classify.priority import Urgency, urgency
from mentionwatch.config import BrandConfig
from mentionwatch.models import SentimentLabel, StoredMention
from mentionwatch.store import Store


@dataclass(frozen=True, slots=True)
class InboxEntry:
    mention: StoredMention
    urgency: Urgency


def rank(mentions: Sequence[StoredMention], sla_of: BrandConfig, now: datetime) -> list[InboxEntry]:
    """Score every mention's urgency and sort: highest priority first, then oldest first."""
    entries = [InboxEntry(m, urgency(m.compound, now - m.created_at, sla_of.sla)) for m in mentions]
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
    """Open negative mentions (or, with `every_open`, every open mention), ranked."""
    labels = None if every_open else [SentimentLabel.NEGATIVE]
    mentions = store.open_mentions(labels=labels, sources=sources, since=since)
    ranked = rank(mentions, brand, now)
    return ranked[:limit] if limit is not None else ranked
