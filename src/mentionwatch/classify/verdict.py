"""One post's full verdict: sentiment with its explanation, spam, question. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from mentionwatch.classify.question import is_question
from mentionwatch.classify.sentiment import classify_text
from mentionwatch.classify.spam import spam_verdict
from mentionwatch.config import SentimentConfig
from mentionwatch.models import Classification, SentimentLabel


def assess(
    text: str,
    thresholds: SentimentConfig,
    brand_terms: Sequence[str] = (),
    *,
    inbox_check: bool = True,
    missed_check: bool = True,
) -> Classification:
    """Sentiment (VADER plus the domain layer, and the inbox check on a post the inbox would
    show), spam and question for one text.

    `brand_terms` (the config's `[brand] terms`) let the spam rules tell the brand's name
    used for something else ("my cat Acme", "Acme FC") from a mention of the brand.
    `inbox_check=False` leaves the inbox check (`negative_model`) out: its training script
    reads the verdicts it is trained to correct; `missed_check=False` leaves the
    missed-complaint check (`missed_model`) out, for the same reason."""
    spam = spam_verdict(text, brand_terms)
    # Spam is never a complaint to answer, whatever its words: it leaves the inbox.
    question = not spam.spam and is_question(text)
    return classify_text(
        text,
        thresholds,
        question=question,
        spam=spam.spam,
        spam_signals=spam.signals,
        inbox_check=inbox_check,
        missed_check=missed_check,
    )


def is_negative(verdict: Classification) -> bool:
    return verdict.label is SentimentLabel.NEGATIVE and not verdict.spam
