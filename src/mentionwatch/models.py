"""The values that flow through a scan: plain frozen dataclasses, no behaviour, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum


class MentionStatus(str, Enum):
    """Where a mention stands for the team."""

    OPEN = "open"
    ANSWERED = "answered"
    IGNORED = "ignored"
    #: Written by one of the brand's own accounts: stored, never something to answer.
    OWN = "own"


class SentimentLabel(str, Enum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


@dataclass(frozen=True, slots=True)
class Mention:
    """One post that names the brand, as a source found it (not yet stored or scored)."""

    source: str
    kind: str
    native_id: str
    url: str
    title: str
    text: str
    #: Timezone-aware UTC; None when the platform gives no date (the scan uses the fetch time).
    created_at: datetime | None = None
    #: None when the platform shows no author, or the author's account was deleted.
    author: str | None = None
    matched_term: str | None = None
    #: The platform's own measure of attention: points, score, followers, reputation.
    reach: int | None = None
    #: What the source needs to read this post's thread later (an item id, a URI...);
    #: None for a post with no thread to check.
    thread_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One reply found in a mention's thread, at any depth."""

    native_id: str
    #: None when the reply's author was deleted or is not shown.
    author: str | None
    created_at: datetime | None
    url: str
    text: str = ""
    #: 1 for a direct reply to the post, 2 for a reply to that reply, and so on.
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Classification:
    """What the classifier concluded about one text."""

    compound: float
    label: SentimentLabel
    #: The sentence that decided the score (the most negative one), for the inbox table.
    snippet: str
    #: Bare VADER's compound for the same text, for comparison and evaluation.
    vader_compound: float = 0.0
    #: What the domain layer saw: (kind, what, valence) for each word, rule or emoji.
    hits: tuple[tuple[str, str, float], ...] = ()
    #: The post asks the brand something that needs an answer.
    question: bool = False
    #: Spam score and the signals behind it; `spam` when the score reached the threshold.
    spam: bool = False
    spam_signals: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoredMention:
    """A relevant mention with its verdict, ready to store."""

    mention: Mention
    verdict: Classification
    #: Written by one of the brand's own accounts: stored with status `own`, never in the inbox.
    own: bool = False


@dataclass(frozen=True, slots=True)
class StoredMention:
    """A mention as the database holds it: the post, its scores and its status."""

    id: int
    source: str
    kind: str
    native_id: str
    url: str
    author: str | None
    title: str
    text: str
    created_at: datetime
    fetched_at: datetime
    matched_term: str | None
    compound: float
    label: SentimentLabel
    snippet: str
    status: MentionStatus
    answered_at: datetime | None
    answered_by: str | None
    status_changed_at: datetime | None
    reach: int | None = None
    thread_ref: str | None = None
    #: The brand's reply that answered it, when the thread check found one.
    answered_url: str | None = None
    #: "auto" (a brand reply found in the thread) or "manual" (a person's mark); None if open.
    marked_by: str | None = None
    #: Seconds from the post to its first answer (the brand's reply, or the manual mark).
    first_response_s: int | None = None
    thread_checked_at: datetime | None = None
    #: When a person last reopened it: brand replies older than this no longer answer it.
    reopened_at: datetime | None = None
    #: Bare VADER's compound for the same text; None for a mention stored before it was kept.
    vader_compound: float | None = None
    #: The post asks the brand something that needs an answer.
    question: bool = False
    #: The classifier's spam verdict and the signals behind it.
    spam: bool = False
    spam_signals: tuple[str, ...] = ()
    #: A person's spam mark (`mentionwatch spam ID` / `notspam ID`); None when nobody marked it.
    spam_mark: bool | None = None
    #: A person's sentiment label (`mentionwatch label ID ...`): overrides the classifier's.
    human_label: SentimentLabel | None = None
    #: What the domain layer saw when it was scored: (kind, what, valence) for each hit.
    explanation: tuple[tuple[str, str, float], ...] = ()
    #: The team member who owns it (`mentionwatch assign ID WHO`); None when unassigned.
    assignee: str | None = None

    @property
    def effective_spam(self) -> bool:
        """Spam as the inbox sees it: a person's mark wins over the classifier."""
        return self.spam if self.spam_mark is None else self.spam_mark

    @property
    def effective_label(self) -> SentimentLabel:
        """The sentiment the inbox uses: a person's label wins over the classifier's."""
        return self.human_label or self.label


@dataclass(frozen=True, slots=True)
class SourceState:
    """What mentionwatch remembers about one source between scans."""

    name: str
    kind: str
    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    consecutive_errors: int = 0
    next_check_at: datetime | None = None
    mentions_stored: int = 0
    #: Set when the source was paused (too many failures in a row, or gone): never polled
    #: until `mentionwatch sources resume NAME`.
    paused_at: datetime | None = None
    paused_reason: str | None = None
    #: Where the source's address permanently redirected to (update the config).
    moved_to: str | None = None
    #: The last poll that stored something new; silence is measured from here.
    last_new_at: datetime | None = None
    first_success_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What one poll of a source returned, before classification and storage."""

    mentions: list[Mention]
    #: The source's own cursor for the next poll (a timestamp, an id...), saved after commit.
    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    #: The server answered 304 Not Modified: nothing new, and the validators stay as they were.
    not_modified: bool = False
    http_status: int | None = None
    #: How many items the source saw before the relevance filter.
    items_seen: int = 0
    #: The platform asked us to wait this long before the next request (Stack Exchange's
    #: `backoff`, an exhausted rate limit); the next scan will not poll the source earlier.
    retry_after_s: float | None = None


class SourceOutcome(str, Enum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SourceReport:
    """How one source fared in one scan."""

    name: str
    kind: str
    outcome: SourceOutcome
    http_status: int | None = None
    items_seen: int = 0
    relevant: int = 0
    new: int = 0
    updated: int = 0
    error: str | None = None
    duration_s: float = 0.0
    #: A permanent redirect was followed: the source's new address.
    moved_to: str | None = None
    #: The source was paused by this poll (the reason), e.g. after too many failures.
    paused: str | None = None
    #: When the source will next be polled (its interval, or longer if the platform asked).
    next_check_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ThreadReport:
    """The thread checks of one scan."""

    #: Threads of open mentions read this scan.
    checked: int = 0
    #: Mentions found answered by a brand reply this scan.
    answered: int = 0
    #: One line per source whose threads could not be read.
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AlertReport:
    """The alerts of one scan."""

    #: Mentions every alert channel has now been told about (never alerted again).
    alerted: int = 0
    #: Alert messages channels accepted this scan (one per channel at most).
    messages: int = 0
    #: Mentions waiting for the rate limit: they go out with the next allowed message.
    held: int = 0
    #: One line per channel whose delivery failed: its mentions are retried next scan.
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ScanReport:
    started_at: datetime
    finished_at: datetime
    sources: list[SourceReport] = field(default_factory=list)
    threads: ThreadReport = field(default_factory=ThreadReport)
    #: Sources that found nothing new for longer than expected, and for how long.
    silent: list[tuple[str, timedelta]] = field(default_factory=list)
    alerts: AlertReport = field(default_factory=AlertReport)

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.outcome is SourceOutcome.ERROR]

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def updated(self) -> int:
        return sum(s.updated for s in self.sources)


@dataclass(frozen=True, slots=True)
class RescoreReport:
    """What `mentionwatch rescore` changed."""

    #: Mentions re-classified.
    mentions: int = 0
    #: Mentions whose stored verdict changed in any way (score, snippet, explanation...).
    changed: int = 0
    #: Mentions whose classifier label changed (negative / neutral / positive).
    label_changes: int = 0
    spam_changes: int = 0
    question_changes: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class StatsRow:
    """What `mentionwatch stats` counts for one group of a period (a source, a responder, a
    day, or the whole period with `key` ""). Every field is computed in SQL by the store;
    the rates are percentages, None when their denominator is 0 (never a division by zero)."""

    key: str = ""
    #: Mentions posted in the period, not spam, not the brand's own.
    mentions: int = 0
    #: Mentions posted in the period judged spam (a person's mark wins): counted apart.
    spam: int = 0
    negative: int = 0
    neutral: int = 0
    positive: int = 0
    #: negative / mentions.
    share_negative: float | None = None
    negative_answered: int = 0
    #: negative_answered / negative.
    negative_response_rate: float | None = None
    questions: int = 0
    questions_answered: int = 0
    #: questions_answered / questions.
    question_response_rate: float | None = None
    answered: int = 0
    #: Answered mentions with a time to first response (the denominator of the times).
    timed: int = 0
    median_response_s: float | None = None
    #: Nearest rank: the smallest time at least 90% of the timed answers did not exceed.
    p90_response_s: int | None = None
    #: Timed answers that came later than `brand.sla`; late_rate = answered_late / timed.
    answered_late: int = 0
    late_rate: float | None = None
    #: Open mentions that need an answer (negative or a question).
    open_needing_answer: int = 0
    #: Of those, the ones waiting longer than `brand.sla`; open_past_sla / open_needing_answer.
    open_past_sla: int = 0
    open_past_sla_rate: float | None = None


@dataclass(frozen=True, slots=True)
class Advocate:
    """An author who repeatedly posted positively about the brand in a period."""

    author: str
    kind: str
    posts: int
    #: The largest reach among their posts (None when the platform gives none).
    reach: int | None
    latest_id: int
    latest_at: datetime
    latest_snippet: str
    latest_url: str
    latest_source: str


#: A note is a few lines for the team ("refund issued, waiting for them"), not a pasted log:
#: longer ones are refused, so `show` stays readable and stdin is never read without bound.
MAX_NOTE_LENGTH = 4000


@dataclass(frozen=True, slots=True)
class MentionNote:
    """Something a team member wrote about a mention (`mentionwatch note ID TEXT`)."""

    mention_id: int
    author: str
    created_at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class MentionChange:
    """One change of a mention's status or assignee: who made it, when, from what to what."""

    mention_id: int
    changed_at: datetime
    #: The person (or, for an automatic change, the brand account that replied); None when
    #: nobody was named.
    changed_by: str | None
    #: "status" or "assignee".
    field: str
    #: None for "unassigned" (an assignee field); statuses are `MentionStatus` values.
    old_value: str | None
    new_value: str | None
    #: No person made it: the thread check found a brand reply.
    automatic: bool = False


@dataclass(frozen=True, slots=True)
class OpenFilter:
    """Which open mentions an inbox view reads (`Store.open_mentions` and the counts beside
    it); an empty field does not filter."""

    #: The effective label: a person's label, else the classifier's; None: any label.
    labels: tuple[SentimentLabel, ...] | None = None
    sources: tuple[str, ...] = ()
    #: Posted at or after this moment.
    since: datetime | None = None
    #: The effective spam verdict (a person's mark wins); None: spam or not.
    spam: bool | None = None
    #: Only the posts that ask the brand something.
    questions: bool = False
    #: One person's mentions (the name in any case).
    assignee: str | None = None
    #: Only the mentions nobody owns.
    unassigned: bool = False


@dataclass(frozen=True, slots=True)
class MentionFilter:
    """Which stored mentions `search` and `export` read; an empty field does not filter."""

    sources: tuple[str, ...] = ()
    #: The effective label: a person's label, else the classifier's.
    labels: tuple[SentimentLabel, ...] = ()
    statuses: tuple[MentionStatus, ...] = ()
    #: Posted at or after this moment.
    since: datetime | None = None
    #: Posted before this moment.
    until: datetime | None = None
    #: The effective spam verdict (a person's mark wins); None: spam or not.
    spam: bool | None = None


class SearchOrder(str, Enum):
    """How `mentionwatch search` orders what it found."""

    RELEVANCE = "relevance"
    NEWEST = "newest"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One mention a full-text search found."""

    mention: StoredMention
    #: BM25 relevance (title matches weigh most); higher is more relevant.
    relevance: float
    #: A few words around the best match, as (text, is_a_match) pieces, in order.
    excerpt: tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What `mentionwatch prune` removed (or, in a dry run, would remove)."""

    #: Mentions posted before this moment were candidates.
    cutoff: datetime
    dry_run: bool
    #: (status, count) for each status that lost mentions.
    removed: tuple[tuple[MentionStatus, int], ...] = ()
    #: How many of the removed mentions were spam (by the effective verdict).
    spam: int = 0
    #: Open mentions older than the cutoff that were kept (no --include-open).
    kept_open: int = 0
    #: The id of the most recently stored mention when it was kept although old enough:
    #: the newest mention always stays, so SQLite never hands out its id again.
    kept_newest: int | None = None

    @property
    def total(self) -> int:
        return sum(count for _, count in self.removed)
