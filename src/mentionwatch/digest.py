"""The daily digest: what the team should know this morning, as one value. No SQL, no I/O
beyond the store's named queries; `views/digest.py` renders it, `mailer.py` delivers it.

"New" means stored since the last digest the SMTP server accepted (a watermark on mention ids
in the database, advanced by `mark_sent` only after a successful send), or, before the first
one, stored within `[digest] since`. An explicit `since` (`digest --since 24h`) overrides the
watermark for that one digest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mentionwatch.config import Config
from mentionwatch.errors import ConfigError
from mentionwatch.inbox import InboxEntry, InboxView, open_inbox
from mentionwatch.models import MentionStatus, SentimentLabel, StoredMention
from mentionwatch.overview import source_overview
from mentionwatch.store import Store

#: Days shown in the sentiment trend, today included.
TREND_DAYS = 7
#: Mentions listed per section; the rest are counted ("and 12 more").
SECTION_LIMIT = 15


@dataclass(frozen=True, slots=True)
class SourceProblem:
    name: str
    kind: str
    #: "failing", "paused" or "silent".
    state: str
    #: One line: the last error, the pause reason, or how long it has been silent.
    detail: str


@dataclass(frozen=True, slots=True)
class TrendDay:
    day: date
    negative: int = 0
    neutral: int = 0
    positive: int = 0

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive


@dataclass(frozen=True, slots=True)
class Digest:
    brand: str
    generated_at: datetime
    #: Where "new" starts: the last digest's send time, or `generated_at - since`.
    period_start: datetime
    #: True when the period starts at the last sent digest (not at a look-back).
    since_last_digest: bool
    sla: timedelta
    #: Open negative mentions, not spam, most urgent first (SLA breaches included).
    negatives: list[InboxEntry]
    #: Open questions that are not negative, most urgent first.
    questions: list[InboxEntry]
    #: New mentions (not spam) by effective label, and by source (most first).
    new_by_sentiment: dict[SentimentLabel, int]
    new_by_source: list[tuple[str, int]]
    #: New mentions judged spam (kept out of every other count).
    new_spam: int
    #: Mentions answered during the period, with their time to first response.
    answered: list[StoredMention]
    problems: list[SourceProblem]
    trend: list[TrendDay]
    #: The watermark to store once this digest was accepted by the SMTP server.
    through_mention_id: int
    after_mention_id: int = 0

    @property
    def breaches(self) -> list[InboxEntry]:
        """Negatives and questions past `brand.sla`, most urgent first."""
        late = [e for e in self.negatives + self.questions if e.urgency.breached]
        return sorted(late, key=lambda e: (-e.urgency.priority, e.mention.created_at))

    @property
    def new_total(self) -> int:
        return sum(self.new_by_sentiment.values())

    @property
    def headline(self) -> str:
        """ "5 unanswered negative mentions, 2 past SLA": counts only, never post text."""
        negatives = len(self.negatives)
        parts = [f"{negatives} unanswered negative {_plural(negatives, 'mention')}"]
        parts.append(f"{len(self.breaches)} past SLA")
        if self.questions:
            parts.append(f"{len(self.questions)} open {_plural(len(self.questions), 'question')}")
        return ", ".join(parts)

    @property
    def subject(self) -> str:
        return f"{self.brand} digest: {self.headline}; {self.new_total} new"


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def build_digest(
    store: Store, config: Config, *, now: datetime, since: timedelta | None = None
) -> Digest:
    """The digest as of `now`. `since` overrides both the watermark and `[digest] since`."""
    through = store.last_mention_id()
    last = store.last_digest() if since is None else None
    if last is not None:
        period_start, after_id = last
        fetched_since = None
    else:
        period_start = now - (since or config.digest.since)
        after_id, fetched_since = 0, period_start
    counts = store.new_mention_counts(
        after_id=after_id, through_id=through, fetched_since=fetched_since
    )
    by_sentiment = dict.fromkeys(SentimentLabel, 0)
    by_source: dict[str, int] = {}
    spam = 0
    for source, label, is_spam, count in counts:
        if is_spam:
            spam += count
            continue
        by_sentiment[label] += count
        by_source[source] = by_source.get(source, 0) + count
    negatives = open_inbox(store, config.brand, InboxView.NEGATIVE, now=now).entries
    questions = [
        e
        for e in open_inbox(store, config.brand, InboxView.QUESTIONS, now=now).entries
        if e.mention.effective_label is not SentimentLabel.NEGATIVE
    ]
    return Digest(
        brand=config.brand.name,
        generated_at=now,
        period_start=period_start,
        since_last_digest=last is not None,
        sla=config.brand.sla,
        negatives=negatives,
        questions=questions,
        new_by_sentiment=by_sentiment,
        new_by_source=sorted(by_source.items(), key=lambda item: (-item[1], item[0])),
        new_spam=spam,
        answered=[
            m for m in store.answered_since(period_start) if m.status is MentionStatus.ANSWERED
        ],
        problems=source_problems(store, config, now),
        trend=sentiment_trend(store, now),
        through_mention_id=through,
        after_mention_id=after_id,
    )


def source_problems(store: Store, config: Config, now: datetime) -> list[SourceProblem]:
    """Configured sources that are paused, failing, or silent for longer than expected."""
    problems = []
    for row in source_overview(store, config, now):
        if row.config is None or not row.config.enabled:
            continue
        state = row.state
        if state.paused_at is not None:
            problems.append(
                SourceProblem(row.name, row.kind, "paused", state.paused_reason or "paused")
            )
        elif state.consecutive_errors:
            times = state.consecutive_errors
            detail = f"{state.last_error or 'error'} ({times} in a row)"
            problems.append(SourceProblem(row.name, row.kind, "failing", detail))
        elif row.silent_for is not None:
            days = row.silent_for.days
            detail = f"nothing new for {days} days" if days else "nothing new for a day"
            problems.append(SourceProblem(row.name, row.kind, "silent", detail))
    return problems


def sentiment_trend(store: Store, now: datetime, days: int = TREND_DAYS) -> list[TrendDay]:
    """Mentions posted per UTC day over the last `days` days (today last), by label."""
    today = now.date()
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
    counts: dict[str, dict[SentimentLabel, int]] = {}
    for day_text, label, count in store.sentiment_by_day(start):
        counts.setdefault(day_text, {})[label] = count
    trend = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        per_label = counts.get(day.isoformat(), {})
        trend.append(
            TrendDay(
                day,
                per_label.get(SentimentLabel.NEGATIVE, 0),
                per_label.get(SentimentLabel.NEUTRAL, 0),
                per_label.get(SentimentLabel.POSITIVE, 0),
            )
        )
    return trend


def send_digest(
    store: Store,
    config: Config,
    digest: Digest,
    *,
    recipients: list[str],
    environ: Mapping[str, str],
    now: datetime,
) -> list[str]:
    """Email `digest` through `[smtp]`, then advance the watermark. Returns the recipients the
    server refused while accepting it for the others; raises `DeliveryError` (watermark
    unmoved) when it accepted nothing."""
    from mentionwatch.mailer import send
    from mentionwatch.views.digest import digest_message

    if config.smtp is None or config.digest.sender is None or not recipients:
        raise ConfigError(f"{config.path}: [smtp], [digest] from and to are needed to send")
    message = digest_message(digest, sender=config.digest.sender, recipients=recipients, now=now)
    refused = send(message, config.smtp, environ)
    # Accepted (for some recipients at least): it must never be sent as new again, so the
    # watermark moves before anything else is reported.
    mark_sent(store, digest, [r for r in recipients if r not in refused], now)
    return sorted(refused)


def mark_sent(store: Store, digest: Digest, recipients: list[str], sent_at: datetime) -> None:
    """Advance the watermark past this digest. Call only after the SMTP server accepted it."""
    store.record_digest(sent_at, digest.through_mention_id, ", ".join(recipients))
