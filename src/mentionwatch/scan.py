"""One scan: poll the due sources concurrently, keep the relevant posts, score and store them.

Each source is isolated: whatever goes wrong in one (HTTP error, unparsable body, a bug in a
plug-in) is recorded against that source and the others carry on. Each source's findings are
committed in their own transaction as soon as its poll completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mentionwatch.alerts import send_alerts
from mentionwatch.classify.duplicates import (
    as_copied_spam,
    copied_by_key,
    normalized_for_duplicates,
)
from mentionwatch.classify.handles import is_brand_handle
from mentionwatch.classify.match import TermMatcher, compile_matcher
from mentionwatch.classify.sentiment import text_to_score
from mentionwatch.classify.verdict import assess
from mentionwatch.config import BrandConfig, Config, SentimentConfig, SourceConfig
from mentionwatch.errors import ScanLockedError, SourceError
from mentionwatch.http import HttpFetcher, retry_after_seconds
from mentionwatch.inbox import rank
from mentionwatch.models import (
    Classification,
    Mention,
    Reply,
    ScanReport,
    ScoredMention,
    SearchResult,
    SourceOutcome,
    SourceReport,
    SourceState,
    StoredMention,
    ThreadReport,
)
from mentionwatch.overview import source_overview
from mentionwatch.sources import source_class
from mentionwatch.sources.base import Source
from mentionwatch.store import Store

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def is_due(source: SourceConfig, state: SourceState, now: datetime) -> bool:
    if not source.enabled:
        return False
    if state.next_check_at is not None:
        return now >= state.next_check_at
    return state.last_attempt_at is None or now >= state.last_attempt_at + source.interval


def in_backoff(source: SourceConfig, state: SourceState) -> bool:
    """The platform asked us to wait (a rate limit, Stack Exchange's `backoff`) beyond the
    source's own interval: its threads are not read either until then."""
    if state.next_check_at is None or state.last_attempt_at is None:
        return False
    return state.next_check_at > state.last_attempt_at + source.interval


def relevant_and_scored(
    mentions: Sequence[Mention],
    matcher: TermMatcher,
    brand: BrandConfig,
    thresholds: SentimentConfig,
) -> list[ScoredMention]:
    """Drop posts that do not name the brand; give the rest their full verdict (sentiment,
    spam, question) and spot the brand's own. Within the poll, the same text from many
    accounts is spam. Pure."""
    found = judged(as_posts(mentions), matcher, brand, thresholds)
    return with_copies_marked(with_verdicts(mentions, found), found)


#: A post as `judged` reads it: title, text, author, kind.
Post = tuple[str, str, str | None, str]
#: A post that names the brand, judged: its position among the posts given, the term that
#: matched, its verdict, whether one of the brand's own accounts posted it, and the text it
#: is compared by to spot copies (`normalized_for_duplicates`; "" for a post never compared:
#: the brand's own, or one without an author).
Judged = tuple[int, str, Classification, bool, str]


def as_posts(mentions: Sequence[Mention]) -> list[Post]:
    return [(m.title, m.text, m.author, m.kind) for m in mentions]


def judged(
    posts: Sequence[Post], matcher: TermMatcher, brand: BrandConfig, thresholds: SentimentConfig
) -> list[Judged]:
    """Drop the posts that do not name the brand and judge the others. Plain tuples in and
    out: a scan's worker processes run this, and what crosses the pipe is pickled twice.
    Copies are counted across the whole poll afterwards (`with_copies_marked`), but each
    post's text is normalized for that here, in the worker."""
    found: list[Judged] = []
    for position, (title, text, author, kind) in enumerate(posts):
        term = matcher.match(title, text)
        if term is None:
            continue
        scored = text_to_score(title, text)
        verdict = assess(scored, thresholds, brand.terms)
        own = is_brand_handle(author, brand.handles_for(kind))
        compared = normalized_for_duplicates(scored) if author and not own else ""
        found.append((position, term, verdict, own, compared))
    return found


def with_verdicts(mentions: Sequence[Mention], found: Sequence[Judged]) -> list[ScoredMention]:
    """The judged posts (`judged`) as scored mentions, with the term that matched."""
    return [
        ScoredMention(replace(mentions[position], matched_term=term), verdict, own)
        for position, term, verdict, own, _ in found
    ]


def with_copies_marked(kept: list[ScoredMention], found: Sequence[Judged]) -> list[ScoredMention]:
    """The same text from many accounts in one poll is spam (`kept`: the posts `found`, as
    scored mentions, in the same order). The brand's own accounts may well post one
    announcement everywhere, and that is not. Pure."""
    compared = [(item.mention.author, key) for item, (*_, key) in zip(kept, found, strict=True)]
    for index, accounts in copied_by_key(compared).items():
        kept[index] = replace(kept[index], verdict=as_copied_spam(kept[index].verdict, accounts))
    return kept


class PollScorer:
    """Scores each poll's posts for one scan (`relevant_and_scored`).

    A cron scan of a few hundred posts is scored right here. Once a scan has scored
    `POOL_AFTER` posts it is a big one (a first scan, a backfill, a busy brand): the rest go
    to a pool of worker processes, one per CPU, in slices of `SLICE`, so classification uses
    every core while this process keeps storing the polls already scored."""

    #: Posts scored in this process before a scan starts its worker pool.
    POOL_AFTER = 2000
    #: Posts per task sent to a worker.
    SLICE = 250

    def __init__(
        self, matcher: TermMatcher, brand: BrandConfig, thresholds: SentimentConfig
    ) -> None:
        self.matcher = matcher
        self.brand = brand
        self.thresholds = thresholds
        self.workers = os.cpu_count() or 1
        self.scored_here = 0
        self._pool: ProcessPoolExecutor | None = None

    async def score(self, mentions: Sequence[Mention]) -> list[ScoredMention]:
        if self.workers < 2 or self.scored_here < self.POOL_AFTER:
            self.scored_here += len(mentions)
            return relevant_and_scored(mentions, self.matcher, self.brand, self.thresholds)
        pool = self._pool or self._start_pool()
        loop = asyncio.get_running_loop()
        posts = as_posts(mentions)
        starts = range(0, len(posts), self.SLICE)
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool,
                    judged,
                    posts[start : start + self.SLICE],
                    self.matcher,
                    self.brand,
                    self.thresholds,
                )
                for start in starts
            )
        )
        found = [
            (start + position, term, verdict, own, compared)
            for start, part in zip(starts, parts, strict=True)
            for position, term, verdict, own, compared in part
        ]
        return with_copies_marked(with_verdicts(mentions, found), found)

    def _start_pool(self) -> ProcessPoolExecutor:
        self._pool = ProcessPoolExecutor(max_workers=self.workers)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


@dataclass(frozen=True)
class _Polled:
    source: SourceConfig
    state: SourceState
    result: SearchResult | None
    scored: list[ScoredMention]
    error: SourceError | None
    duration_s: float
    #: The longest wait the platform asked for during the poll (Retry-After, rate limits).
    wait_s: float | None = None
    #: A permanent redirect followed during the poll: (from, to).
    moved: tuple[str, str] | None = None


def run_scan(
    config: Config,
    store: Store,
    *,
    force: bool = False,
    only: Sequence[str] = (),
    clock: Clock = utc_now,
    environ: Mapping[str, str] | None = None,
    on_polled: Callable[[SourceReport, int], None] | None = None,
) -> ScanReport:
    """Poll every due source (all of them with `force`, or just those named in `only`), then
    check the threads of open mentions for the brand's replies.

    `on_polled(report, total)` is called as each source's poll is stored (a progress display).
    """
    started = clock()
    due = []
    for source in config.sources:
        if only and source.name not in only:
            continue
        state = store.source_state(source.name, source.kind)
        # Naming a source, or --all, polls it now; a disabled or paused source is never
        # polled (`sources resume NAME` un-pauses).
        if not source.enabled or state.paused_at is not None:
            continue
        if force or only or is_due(source, state, started):
            due.append((source, state))
    scan = _Scan(
        config, store, clock, os.environ if environ is None else environ, on_polled or _ignore
    )
    reports, threads = asyncio.run(scan.run(due))
    finished = clock()
    silent = [
        (row.name, row.silent_for)
        for row in source_overview(store, config, finished)
        if row.silent_for is not None and (not only or row.name in only)
    ]
    # After the findings are stored and threads checked, so an answered post is not alerted;
    # delivery never raises (a failure is a line in the report, retried next scan).
    alerts = send_alerts(config, store, finished)
    report = ScanReport(started, finished, reports, threads, silent, alerts)
    store.record_scan(report)
    return report


def _ignore(report: SourceReport, total: int) -> None:
    pass


@dataclass(frozen=True)
class _Scan:
    config: Config
    store: Store
    clock: Clock
    environ: Mapping[str, str]
    on_polled: Callable[[SourceReport, int], None]

    def source(self, config: SourceConfig) -> Source:
        return source_class(config.kind)(config, self.config.brand, self.environ)

    async def run(
        self, due: list[tuple[SourceConfig, SourceState]]
    ) -> tuple[list[SourceReport], ThreadReport]:
        async with HttpFetcher(self.config.http) as http:
            reports = await self.poll_all(http, due)
            # A source's threads are read when the source itself is polled: its interval (and
            # any wait the platform asked for) bounds all of its traffic, logins included.
            polled = {r.name for r in reports if r.outcome is not SourceOutcome.ERROR}
            threaded = [
                s
                for s in self.config.sources
                if s.name in polled
                and source_class(s.kind).has_threads
                and not in_backoff(s, self.store.source_state(s.name, s.kind))
            ]
            threads = await self.check_threads(http, threaded)
        return reports, threads

    async def poll_all(
        self, http: HttpFetcher, due: list[tuple[SourceConfig, SourceState]]
    ) -> list[SourceReport]:
        matcher = compile_matcher(self.config.brand.terms, self.config.brand.exclude)
        scorer = PollScorer(matcher, self.config.brand, self.config.sentiment)
        try:
            tasks = [asyncio.create_task(self.poll_one(http, s, state, scorer)) for s, state in due]
            order = {task: position for position, task in enumerate(tasks)}
            reports: dict[str, SourceReport] = {}
            pending: set[asyncio.Task[_Polled]] = set(tasks)
            while pending:
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                # Each poll is stored as soon as it completes. The polls that completed while
                # the last ones were being stored go in one commit (each still all or nothing):
                # on a big scan, a commit per poll rewrites the same index pages again and
                # again, and the commits would cost more than the inserts.
                polls = [task.result() for task in sorted(finished, key=order.__getitem__)]
                stored, failure = self._store_polls(polls)
                for report in stored:
                    reports[report.name] = report
                    self.on_polled(report, len(due))
                if failure is not None:
                    raise failure
        finally:
            scorer.close()
        return [reports[source.name] for source, _ in due]  # config order, not finishing order

    def _store_polls(self, polls: list[_Polled]) -> tuple[list[SourceReport], Exception | None]:
        """Store polls in one commit. A poll that cannot be stored (a bug, a full disk) is
        rolled back alone and returned, after the polls stored before it are committed."""
        stored: list[SourceReport] = []
        with self.store.transaction():
            for polled in polls:
                try:
                    stored.append(
                        _store_poll(self.store, polled, self.clock(), self.config.scan.pause_after)
                    )
                except Exception as exc:
                    return stored, exc
        return stored, None

    async def poll_one(
        self, http: HttpFetcher, source: SourceConfig, state: SourceState, scorer: PollScorer
    ) -> _Polled:
        began = time.perf_counter()
        instance = self.source(source)
        session = http.session()  # this source's own record of redirects and waits
        try:
            result = await instance.search(session, state)
            scored = await scorer.score(result.mentions)
            return _Polled(
                source,
                state,
                result,
                scored,
                None,
                time.perf_counter() - began,
                session.wait_s,
                session.moved,
            )
        except SourceError as exc:
            error = exc
        except Exception as exc:  # a bug in one source must not stop the scan
            error = _unexpected(exc, source)
        error.message = instance.scrub(error.message)
        return _Polled(
            source,
            state,
            None,
            [],
            error,
            time.perf_counter() - began,
            session.wait_s,
            session.moved,
        )

    async def check_threads(self, http: HttpFetcher, sources: list[SourceConfig]) -> ThreadReport:
        """Re-read the threads of open mentions, most urgent first, within the scan's budget,
        and mark those the brand has answered."""
        budget = self.config.scan.thread_checks
        candidates = self.store.thread_candidates([s.name for s in sources])
        ranked = rank(candidates, self.config.brand, self.clock())[:budget]
        by_source: dict[str, list[StoredMention]] = {}
        for entry in ranked:
            by_source.setdefault(entry.mention.source, []).append(entry.mention)
        configs = {s.name: s for s in sources}
        outcomes = await asyncio.gather(
            *(
                self.check_source_threads(http, configs[name], mentions)
                for name, mentions in by_source.items()
            )
        )
        checked = sum(n for n, _, _ in outcomes)
        answered = sum(a for _, a, _ in outcomes)
        errors = [e for _, _, e in outcomes if e]
        return ThreadReport(checked=checked, answered=answered, errors=errors)

    async def check_source_threads(
        self, http: HttpFetcher, source: SourceConfig, mentions: list[StoredMention]
    ) -> tuple[int, int, str | None]:
        refs = [m.thread_ref for m in mentions if m.thread_ref]
        instance = self.source(source)
        try:
            found = await instance.replies(http.session(), refs)
        except SourceError as exc:
            return 0, 0, f"{source.name}: {instance.scrub(exc.message)}"
        except Exception as exc:  # a bug in one source must not stop the scan
            return 0, 0, f"{source.name}: {instance.scrub(_unexpected(exc, source).message)}"
        handles = self.config.brand.handles_for(source.kind)
        answered = 0
        for mention in mentions:
            replies = found.get(mention.thread_ref or "", [])
            judged = [(reply, is_brand_handle(reply.author, handles)) for reply in replies]
            answer = first_brand_reply(judged, after=mention.reopened_at)
            if self.store.save_thread_check(mention.id, judged, answer, self.clock()):
                answered += 1
        return len(mentions), answered, None


def check_source(
    config: Config, source: SourceConfig, environ: Mapping[str, str]
) -> tuple[bool, str]:
    """One real request to one source (`sources test`): (works, one line for the user)."""
    instance = source_class(source.kind)(source, config.brand, environ)

    async def attempt() -> str:
        async with HttpFetcher(config.http) as http:
            return await instance.check(http)

    try:
        return True, instance.scrub(asyncio.run(attempt()))
    except SourceError as exc:
        return False, instance.scrub(advice_for(exc))
    except Exception as exc:  # a bug in a source is still an answer to "does it work?"
        return False, instance.scrub(_unexpected(exc, source).message)


def advice_for(error: SourceError) -> str:
    """A source's failure in one line, with what to do about the common HTTP statuses."""
    status = error.http_status
    # Only the fetcher's bare "HTTP 401 Unauthorized from URL" needs explaining; a source that
    # wrote its own explanation knows its platform better than this generic advice.
    if error.advised or not error.message.startswith("HTTP "):
        return error.message
    if status == 401:
        return f"{error.message}: the credentials were rejected; check the token or password"
    if status == 403:
        return (
            f"{error.message}: access is forbidden; the credentials may lack a permission,"
            " or the platform blocks unauthenticated clients"
        )
    if status == 429:
        when = (
            f" (the server asks to wait: Retry-After {error.retry_after})"
            if (error.retry_after)
            else ""
        )
        return f"{error.message}: rate limited{when}; try again later or poll less often"
    if status == 404:
        return f"{error.message}: not found; check base_url and the source's other keys"
    return error.message


def _unexpected(exc: Exception, source: SourceConfig) -> SourceError:
    return SourceError(f"unexpected {type(exc).__name__} in the {source.kind} source: {exc}")


def first_brand_reply(
    judged: Sequence[tuple[Reply, bool]], after: datetime | None = None
) -> Reply | None:
    """The earliest reply written by the brand (after `after`, when a person reopened the
    mention). Pure."""
    brand = [
        reply
        for reply, by_brand in judged
        if by_brand
        and (after is None or (reply.created_at is not None and reply.created_at > after))
    ]
    if not brand:
        return None
    return min(
        brand,
        key=lambda r: (
            r.created_at is None,
            r.created_at or datetime.max.replace(tzinfo=timezone.utc),
        ),
    )


#: The longest a server's Retry-After or rate-limit reset can put a source off. A larger ask
#: (or a nonsense one: `Retry-After: 99999999999999`, a reset of `inf`) would overflow the
#: datetime and stop the whole scan; a week still honours any real quota.
MAX_SERVER_WAIT = timedelta(days=7)


def next_check(source: SourceConfig, now: datetime, *waits: float | None) -> datetime:
    """The larger of the source's interval and every wait the platform asked for."""
    wait = source.interval
    for asked in waits:
        if asked is not None and asked > 0:  # False for NaN too
            wait = max(wait, min(timedelta(seconds=min(asked, 1e9)), MAX_SERVER_WAIT))
    return now + wait


def _store_poll(store: Store, polled: _Polled, now: datetime, pause_after: int) -> SourceReport:
    source, result = polled.source, polled.result
    moved_to = polled.moved[1] if polled.moved else None
    if result is None:
        error = polled.error
        assert error is not None
        gone = None
        if error.http_status == 410:
            gone = "gone (HTTP 410): the address no longer exists; fix or remove the source"
        state = store.record_failure(
            source.name,
            source.kind,
            error.message,
            now,
            next_check_at=next_check(
                source, now, polled.wait_s, retry_after_seconds(error.retry_after)
            ),
            pause_after=pause_after,
            pause_now=gone,
        )
        return SourceReport(
            name=source.name,
            kind=source.kind,
            outcome=SourceOutcome.ERROR,
            http_status=error.http_status,
            error=error.message,
            duration_s=round(polled.duration_s, 3),
            moved_to=moved_to,
            # Paused sources are never polled, so a pause seen now was made by this poll.
            paused=state.paused_reason if state.paused_at is not None else None,
            next_check_at=state.next_check_at,
        )
    next_at = next_check(source, now, result.retry_after_s, polled.wait_s)
    new, updated = store.save_poll(
        polled.state, result, polled.scored, now, next_check_at=next_at, moved_to=moved_to
    )
    return SourceReport(
        name=source.name,
        kind=source.kind,
        outcome=SourceOutcome.NOT_MODIFIED if result.not_modified else SourceOutcome.OK,
        http_status=result.http_status,
        items_seen=result.items_seen,
        relevant=len(polled.scored),
        new=new,
        updated=updated,
        duration_s=round(polled.duration_s, 3),
        moved_to=moved_to,
        next_check_at=next_at.replace(microsecond=0),
    )


@contextlib.contextmanager
def scan_lock(database: Path, wait_seconds: float = 10.0) -> Iterator[None]:
    """Hold an exclusive lock beside the database for the length of a scan.

    Two overlapping cron runs would poll every source twice; the second waits briefly for the
    first, then gives up with `ScanLockedError`. Readers (`inbox`, `show`) never take this lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: SQLite's own locking still keeps data safe
        yield
        return
    # Resolved, so two cron jobs reaching one database through a symlink share one lock.
    database = database.resolve()
    lock_path = database.with_name(database.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ScanLockedError(
                        f"another scan is running on {database} (lock {lock_path});"
                        " try again when it finishes"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
