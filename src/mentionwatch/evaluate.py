"""Precision, recall and F1 per class: how well a classifier agrees with human labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mentionwatch.config import SentimentConfig


@dataclass(frozen=True, slots=True)
class ClassScores:
    label: str
    precision: float
    recall: float
    f1: float
    #: How many items truly belong to the class (the recall's denominator).
    support: int
    #: How many the classifier put in the class (the precision's denominator).
    predicted: int


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def class_scores(pairs: Sequence[tuple[str, str]], label: str) -> ClassScores:
    """Scores of one class from (truth, prediction) pairs."""
    true_positive = sum(1 for truth, guess in pairs if truth == label and guess == label)
    support = sum(1 for truth, _ in pairs if truth == label)
    predicted = sum(1 for _, guess in pairs if guess == label)
    precision = _ratio(true_positive, predicted)
    recall = _ratio(true_positive, support)
    f1 = _ratio(2 * true_positive, support + predicted)
    return ClassScores(
        label, round(precision, 3), round(recall, 3), round(f1, 3), support, predicted
    )


def scores_by_class(pairs: Iterable[tuple[str, str]], labels: Sequence[str]) -> list[ClassScores]:
    listed = list(pairs)
    return [class_scores(listed, label) for label in labels]


def flag_scores(pairs: Iterable[tuple[bool, bool]], name: str) -> ClassScores:
    """Scores of a yes/no flag (spam, question) from (truth, prediction) pairs."""
    scored = class_scores([(str(truth), str(guess)) for truth, guess in pairs], "True")
    return replace(scored, label=name)


LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class LabelEvaluation:
    """The current classifier and bare VADER, each against the same human labels."""

    #: How many labelled texts were scored.
    labels: int
    ours: list[ClassScores]
    vader: list[ClassScores]
    accuracy: float
    vader_accuracy: float


def _accuracy(pairs: Sequence[tuple[str, str]]) -> float:
    return round(_ratio(sum(1 for truth, guess in pairs if truth == guess), len(pairs)), 3)


def evaluate_labels(
    labelled: Iterable[tuple[str, str]], thresholds: SentimentConfig
) -> LabelEvaluation:
    """Re-classify each (text, human label) with the current classifier and with bare VADER
    (the same thresholds), and score both per class."""
    from mentionwatch.classify.sentiment import bare_vader, classify_text

    ours: list[tuple[str, str]] = []
    vader: list[tuple[str, str]] = []
    for text, truth in labelled:
        ours.append((truth, classify_text(text, thresholds).label.value))
        vader.append((truth, bare_vader(text, thresholds).label.value))
    return LabelEvaluation(
        labels=len(ours),
        ours=scores_by_class(ours, LABELS),
        vader=scores_by_class(vader, LABELS),
        accuracy=_accuracy(ours),
        vader_accuracy=_accuracy(vader),
    )
