"""One post's full verdict: sentiment with its explanation, spam, question. Pure."""

from __future__ import annotations

from dataclasses import replace

from mentionwatch.classify.question import is_question
from mentionwatch.classify.sentiment import classify_text
from mentionwatch.classify.spam import spam_verdict
from mentionwatch.config import SentimentConfig
from mentionwatch.models import Classification, SentimentLabel


def assess(text: str, thresholds: SentimentConfig) -> Classification:
    """Sentiment (VADER plus the domain layer), spam and question for one text."""
    verdict = classify_text(text, thresholds)
    spam = spam_verdict(text)
    question = is_question(text)
    if spam.spam:
        # Spam is never a complaint to answer, whatever its words: it leaves the inbox.
        return replace(verdict, spam=True, spam_signals=spam.signals, question=False)
    return replace(verdict, question=question, spam_signals=spam.signals)


def is_negative(verdict: Classification) -> bool:
    return verdict.label is SentimentLabel.NEGATIVE and not verdict.spam
