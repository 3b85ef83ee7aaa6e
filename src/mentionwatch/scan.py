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
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from mentionwatch.classify.handles import is_brand_handle
from mentionwatch.classify.match import TermMatcher, compile_matcher
from mentionwatch.classify.sentiment import classify_text, text_to_score
from mentionwatch.config import BrandConfig, Config, SentimentConfig, SourceConfig
from mentionwatch.errors import ScanLockedError, SourceError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import (
    Mention,
    ScanReport,
    ScoredMention,
    SearchResult,
    SourceOutcome,
    SourceReport,
    SourceState,
)
from mentionwatch.sources import source_class
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


def relevant_and_scored(
    mentions: Sequence[Mention],
    matcher: TermMatcher,
    brand: BrandConfig,
    thresholds: SentimentConfig,
) -> list[ScoredMention]:
    """Drop posts that do not name the brand; score the rest and spot the brand's own. Pure."""
    kept = []
    for mention in mentions:
        term = matcher.match(mention.title, mention.text)
        if term is None:
            continue
        verdict = classify_text(text_to_score(mention.title, mention.text), thresholds)
        own = is_brand_handle(mention.author, brand.handles)
        kept.append(ScoredMention(replace(mention, matched_term=term), verdict, own))
    return kept


@dataclass(frozen=True)
class _Polled:
    source: SourceConfig
    state: SourceState
    result: SearchResult | None
    scored: list[ScoredMention]
    error: SourceError | None
    duration_s: float


def run_scan(
    config: Config,
    store: Store,
    *,
    force: bool = False,
    only: Sequence[str] = (),
    clock: Clock = utc_now,
    environ: Mapping[str, str] | None = None,
) -> ScanReport:
    """Poll every due source (all of them with `force`, or just those named in `only`)."""
    started = clock()
    due = []
    for source in config.sources:
        if only and source.name not in only:
            continue
        state = store.source_state(source.name, source.kind)
        # Naming a source, or --all, polls it now; a disabled source is never polled.
        if source.enabled and (force or only or is_due(source, state, started)):
            due.append((source, state))
    reports = asyncio.run(
        _poll_all(config, store, due, clock, os.environ if environ is None else environ)
    )
    report = ScanReport(started_at=started, finished_at=clock(), sources=reports)
    store.record_scan(report)
    return report


async def _poll_all(
    config: Config,
    store: Store,
    due: list[tuple[SourceConfig, SourceState]],
    clock: Clock,
    environ: Mapping[str, str],
) -> list[SourceReport]:
    matcher = compile_matcher(config.brand.terms, config.brand.exclude)
    reports: dict[str, SourceReport] = {}
    async with HttpFetcher(config.http) as http:
        tasks = [
            asyncio.create_task(_poll_one(config, http, source, state, matcher, environ))
            for source, state in due
        ]
        for finished in asyncio.as_completed(tasks):
            polled = await finished
            reports[polled.source.name] = _store_poll(store, polled, clock())
    return [reports[source.name] for source, _ in due]  # in config order, not finishing order


async def _poll_one(
    config: Config,
    http: HttpFetcher,
    source: SourceConfig,
    state: SourceState,
    matcher: TermMatcher,
    environ: Mapping[str, str],
) -> _Polled:
    began = time.perf_counter()
    try:
        instance = source_class(source.kind)(source, config.brand, environ)
        result = await instance.search(http, state)
        scored = relevant_and_scored(result.mentions, matcher, config.brand, config.sentiment)
        return _Polled(source, state, result, scored, None, time.perf_counter() - began)
    except SourceError as exc:
        error = exc
    except Exception as exc:  # a bug in one source must not stop the scan
        error = SourceError(f"unexpected {type(exc).__name__} in the {source.kind} source: {exc}")
    return _Polled(source, state, None, [], error, time.perf_counter() - began)


def _store_poll(store: Store, polled: _Polled, now: datetime) -> SourceReport:
    source, result = polled.source, polled.result
    if result is None:
        assert polled.error is not None
        store.record_failure(source.name, source.kind, polled.error.message, now)
        return SourceReport(
            name=source.name,
            kind=source.kind,
            outcome=SourceOutcome.ERROR,
            http_status=polled.error.http_status,
            error=polled.error.message,
            duration_s=round(polled.duration_s, 3),
        )
    new, updated = store.save_poll(polled.state, result, polled.scored, now)
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
