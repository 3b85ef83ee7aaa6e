"""Learning from the team: re-scoring what is stored, and measuring the classifier against the
labels people gave. The CLI calls these; the SQL is the store's, the scoring the classifier's."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mentionwatch.classify.duplicates import as_copied_spam, copies_in
from mentionwatch.classify.sentiment import Explanation, explain, text_to_score
from mentionwatch.classify.verdict import assess
from mentionwatch.config import SentimentConfig
from mentionwatch.evaluate import LabelEvaluation, evaluate_labels
from mentionwatch.models import Classification, RescoreReport, StoredMention
from mentionwatch.store import Store
from mentionwatch.store.queries import (
    INDEXED_VERDICT_COLUMNS,
    RescoreRow,
    unindexed_columns,
    verdict_columns,
)
from mentionwatch.store.rows import signals_from_json, signals_json

#: Mentions re-scored per transaction: a scan waiting for the write lock waits one batch.
RESCORE_BATCH = 1000


def rescored_verdict(
    title: str,
    text: str,
    stored_signals: tuple[str, ...],
    thresholds: SentimentConfig,
    brand_terms: Sequence[str] = (),
) -> Classification:
    """A stored mention's verdict under the current config (`brand_terms`: the config's
    `[brand] terms`, as a scan passes them). The "same text from N accounts" signal was seen
    across one poll, not in the text, so it is kept as it was."""
    verdict = assess(text_to_score(title, text), thresholds, brand_terms)
    for signal in stored_signals:
        accounts = copies_in(signal)
        if accounts is not None:
            return as_copied_spam(verdict, accounts)
    return verdict


def rescore(
    store: Store,
    thresholds: SentimentConfig,
    *,
    batch_size: int = RESCORE_BATCH,
    workers: int | None = None,
    pool_from: int | None = None,
    brand_terms: Sequence[str] = (),
) -> RescoreReport:
    """Re-classify every stored mention with the current config (after a lexicon or
    threshold change). Status and a person's marks are never touched.

    Scoring is the cost, so a large database is scored by a pool of worker processes (one
    per CPU; `workers=1` scores in this process) while this process reads the next batches
    and writes the changed verdicts, one short transaction per batch: a scan waits at most
    one batch for the write lock, and a mention whose text a scan changed in the meantime
    keeps the scan's fresher verdict (`Store.save_rescored`)."""
    began = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    if workers > 1 and store.count_mentions() < (POOL_FROM if pool_from is None else pool_from):
        workers = 1  # starting processes costs more than it saves on a small database
    job = _RescoreJob(store.path, thresholds, tuple(brand_terms))
    last_id = store.last_mention_id()
    totals = _RescoreTotals()
    with _range_scorer(workers, job, store) as score:
        pending: deque[Future[_ScoredBatch]] = deque()
        for low in range(0, last_id, batch_size):
            pending.append(score(low, min(low + batch_size, last_id)))
            # Keep the workers fed, but never hold more than a few batches in memory.
            while len(pending) > 2 * workers:
                totals.add(pending.popleft().result(), store)
        while pending:
            totals.add(pending.popleft().result(), store)
    return totals.report(seconds=round(time.perf_counter() - began, 3))


@dataclass(frozen=True)
class _RescoreJob:
    """What a worker needs to score a range of ids on its own: it reads the rows itself, so
    this process only writes (sending every text through a pipe kept it the bottleneck)."""

    database: Path
    thresholds: SentimentConfig
    brand_terms: tuple[str, ...]


#: Each worker process's own read connection, opened on its first range.
_worker_stores: dict[Path, Store] = {}


def score_range(job: _RescoreJob, low: int, high: int, store: Store | None = None) -> _ScoredBatch:
    """Score the mentions with `low < id <= high` (in a worker process unless `store` is
    given) and keep the rows whose verdict changed."""
    if store is None:
        store = _worker_stores.get(job.database)
        if store is None:
            store = _worker_stores[job.database] = Store.open(job.database)
    return score_batch(store.rescore_batch(low, high), job.thresholds, job.brand_terms)


#: Databases smaller than this are rescored in this process.
POOL_FROM = 20_000


@dataclass
class _ScoredBatch:
    seen: int
    #: The changed rows, ready for `Store.save_rescored`: those whose indexed columns
    #: changed, and those only reworded (snippet, explanation, VADER's score).
    changed: list[tuple[object, ...]]
    reworded: list[tuple[object, ...]]
    label_changes: int
    spam_changes: int
    question_changes: int


@dataclass
class _RescoreTotals:
    seen: int = 0
    written: int = 0
    label_changes: int = 0
    spam_changes: int = 0
    question_changes: int = 0

    def add(self, batch: _ScoredBatch, store: Store) -> None:
        self.seen += batch.seen
        self.written += store.save_rescored(batch.changed, batch.reworded)
        self.label_changes += batch.label_changes
        self.spam_changes += batch.spam_changes
        self.question_changes += batch.question_changes

    def report(self, seconds: float) -> RescoreReport:
        return RescoreReport(
            mentions=self.seen,
            changed=self.written,
            label_changes=self.label_changes,
            spam_changes=self.spam_changes,
            question_changes=self.question_changes,
            seconds=seconds,
        )


def score_batch(
    rows: Sequence[RescoreRow], thresholds: SentimentConfig, brand_terms: Sequence[str] = ()
) -> _ScoredBatch:
    """Score one batch and keep the rows whose verdict changed (runs in a worker process)."""
    changed: list[tuple[object, ...]] = []
    reworded: list[tuple[object, ...]] = []
    labels = spam = questions = 0
    for row in rows:
        mention_id, title, text, *old, updated_at = row
        signals = signals_from_json(old[6])  # type: ignore[arg-type]
        new = verdict_columns(
            rescored_verdict(str(title), str(text), signals, thresholds, brand_terms)
        )
        old[6] = signals_json(signals)  # as `verdict_columns` writes them, to compare
        if new == tuple(old):
            continue
        if any(new[column] != old[column] for column in INDEXED_VERDICT_COLUMNS):
            changed.append((*new, mention_id, updated_at))
            labels += new[1] != old[1]
            questions += new[4] != old[4]
            spam += new[5] != old[5]
        else:
            reworded.append((*unindexed_columns(new), mention_id, updated_at))
    return _ScoredBatch(len(rows), changed, reworded, labels, spam, questions)


@contextmanager
def _range_scorer(
    workers: int, job: _RescoreJob, store: Store
) -> Iterator[Callable[[int, int], Future[_ScoredBatch]]]:
    """`score(low, high)` -> a future of that id range scored: in a process pool, or at once
    in this process (with its own connection) when `workers` is 1."""
    if workers <= 1:

        def score_here(low: int, high: int) -> Future[_ScoredBatch]:
            done: Future[_ScoredBatch] = Future()
            done.set_result(score_range(job, low, high, store))
            return done

        yield score_here
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield lambda low, high: pool.submit(score_range, job, low, high)


def evaluate_human_labels(store: Store, thresholds: SentimentConfig) -> LabelEvaluation:
    """The current classifier and bare VADER against every label a person gave."""
    labelled = store.human_labelled()
    return evaluate_labels(
        ((text_to_score(title, text), label.value) for _, title, text, label in labelled),
        thresholds,
    )


def explain_mention(
    mention: StoredMention, thresholds: SentimentConfig, brand_terms: Sequence[str] = ()
) -> tuple[tuple[tuple[str, str, float], ...], Explanation]:
    """Why a stored mention scored so: the domain layer's hits behind its stored score, and
    VADER's side (lexicon hits, sentences, the deciding one) under the current config. A
    mention stored before the hits were kept (it has no VADER compound either) is explained
    with the current classifier throughout."""
    text = text_to_score(mention.title, mention.text)
    fresh = assess(text, thresholds, brand_terms)
    hits = mention.explanation if mention.vader_compound is not None else fresh.hits
    return hits, explain(text, fresh, thresholds)
