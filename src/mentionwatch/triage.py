"""Learning from the team: re-scoring what is stored, and measuring the classifier against the
labels people gave. The CLI calls these; the SQL is the store's, the scoring the classifier's."""

from __future__ import annotations

from mentionwatch.classify.duplicates import as_copied_spam, copies_in
from mentionwatch.classify.sentiment import Explanation, explain, text_to_score
from mentionwatch.classify.verdict import assess
from mentionwatch.config import SentimentConfig
from mentionwatch.evaluate import LabelEvaluation, evaluate_labels
from mentionwatch.models import Classification, RescoreReport, StoredMention
from mentionwatch.store import Store

#: Mentions re-scored per transaction: a scan waiting for the write lock waits one batch.
RESCORE_BATCH = 1000


def rescored_verdict(
    title: str, text: str, stored_signals: tuple[str, ...], thresholds: SentimentConfig
) -> Classification:
    """A stored mention's verdict under the current config. The "same text from N accounts"
    signal was seen across one poll, not in the text, so it is kept as it was."""
    verdict = assess(text_to_score(title, text), thresholds)
    for signal in stored_signals:
        accounts = copies_in(signal)
        if accounts is not None:
            return as_copied_spam(verdict, accounts)
    return verdict


def rescore(
    store: Store, thresholds: SentimentConfig, *, batch_size: int = RESCORE_BATCH
) -> RescoreReport:
    """Re-classify every stored mention with the current config (after a lexicon or
    threshold change). Status and a person's marks are never touched."""
    return store.rescore(
        lambda title, text, signals: rescored_verdict(title, text, signals, thresholds),
        batch_size=batch_size,
    )


def evaluate_human_labels(store: Store, thresholds: SentimentConfig) -> LabelEvaluation:
    """The current classifier and bare VADER against every label a person gave."""
    labelled = store.human_labelled()
    return evaluate_labels(
        ((text_to_score(title, text), label.value) for _, title, text, label in labelled),
        thresholds,
    )


def explain_mention(
    mention: StoredMention, thresholds: SentimentConfig
) -> tuple[tuple[tuple[str, str, float], ...], Explanation]:
    """Why a stored mention scored so: the domain layer's hits behind its stored score, and
    VADER's side (lexicon hits, sentences, the deciding one) under the current config. A
    mention stored before the hits were kept (it has no VADER compound either) is explained
    with the current classifier throughout."""
    text = text_to_score(mention.title, mention.text)
    fresh = assess(text, thresholds)
    hits = mention.explanation if mention.vader_compound is not None else fresh.hits
    return hits, explain(text, fresh, thresholds)
