"""What the training scripts share: pure-Python logistic regression, reproducible to the bit.

`scripts/train_spam_model.py` and `scripts/train_negative_model.py` both train a logistic model
over sparse features (`Features`: words and pairs counting `1 / sqrt(n)` each in a post of
`n` of them, other features 1) by stochastic gradient descent with AdaGrad steps and
an L2 penalty, leave one writer (one labelled file) out to cross-validate, and refuse the
held-out files. The pieces they share live here, so that a fix reaches both:

- `exp` and `sigmoid`, from + - * / and `ldexp` only: IEEE 754 rounds those the same on every
  platform, the C library's `exp` may not, and two runs must write the same file byte for byte;
- `vocabulary` and `proper_names`: a feature is kept only when it transfers, seen in posts of
  at least `min_writers` files, and never a made-up name one writer chose;
- `train`: the SGD loop itself, over the posts in a shuffled order fixed by the seed;
- `Scores`, `refuse_heldout`, `sha256`, `logit_of`.

A script imports it as `from logistic import ...`: Python puts a script's own directory first
on `sys.path` (the tests put `scripts/` there before loading a script by its path).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class Features(Protocol):
    """A post's features as both models list them: words, emoji and pairs (`text`, counting
    `1 / sqrt(n)` each for `n` of them, a repeat again) and the others (1 each)."""

    @property
    def text(self) -> Sequence[bytes]: ...

    @property
    def other(self) -> Sequence[bytes]: ...


class RefusedData(SystemExit):
    """A held-out file was given to a training script."""


def refuse_heldout(paths: Sequence[Path]) -> None:
    """Stop before reading anything when a held-out file is among `paths`: those are measured
    once, by the lead, at the end, and never trained on, tuned on or looked at."""
    for path in paths:
        if "heldout" in path.name.lower():
            raise RefusedData(f"refusing {path.name}: held-out files are never trained on")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- exact arithmetic ----------------------------------------------------------------------------

_LN2 = 0.6931471805599453


def exp(x: float) -> float:
    """e ** x from + - * / and `ldexp` only: the same bits on every IEEE 754 platform
    (`math.exp` is the C library's, which may differ in the last bit)."""
    x = max(-700.0, min(700.0, x))
    k = round(x / _LN2)
    r = x - k * _LN2
    term, total = 1.0, 1.0
    for n in range(1, 20):
        term = term * r / n
        total += term
    return math.ldexp(total, k)


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + exp(-x))
    odds = exp(x)
    return odds / (1.0 + odds)


def logit_of(probability: float) -> float:
    """The logit of a probability, rounded as the weights files write it (the models compare
    logits, as written, never probabilities)."""
    return round(math.log(probability / (1.0 - probability)), 6)


# --- which features are kept ---------------------------------------------------------------------

_WORD = re.compile(r"(?<![\w@#.'’-])[A-Za-z]{2,}(?![\w'’-])")


def proper_names(texts: Iterable[str]) -> frozenset[bytes]:
    """Words never written in lower case and capitalised at least once inside a sentence:
    the names of made-up brands, people and places. A name is one writer's choice, not a
    sign that carries over to another writer."""
    capitalised: set[bytes] = set()
    lower: set[bytes] = set()
    for text in texts:
        for found in _WORD.finditer(text):
            word = found.group()
            if word.islower():
                lower.add(word.encode())
            elif (
                word[0].isupper()
                and word[1:].islower()
                and not _opens_a_sentence(text, found.start())
            ):
                capitalised.add(word.lower().encode())
    return frozenset(capitalised - lower)


def _opens_a_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in '.!?:"“(\n'


def vocabulary(
    posts: Iterable[tuple[str, Features]],
    *,
    min_writers: int,
    min_count: int,
    left_out: frozenset[bytes] = frozenset(),
) -> set[bytes]:
    """The features of `posts` (each with its writer: the file it came from) seen in posts of
    at least `min_writers` writers and in at least `min_count` posts, without the words of
    `left_out` and the pairs that hold one."""
    writers: dict[bytes, set[str]] = {}
    counts: dict[bytes, int] = {}
    for writer, found in posts:
        for feature in dict.fromkeys((*found.text, *found.other)):
            writers.setdefault(feature, set()).add(writer)
            counts[feature] = counts.get(feature, 0) + 1
    return {
        feature
        for feature, seen in writers.items()
        if len(seen) >= min_writers
        and counts[feature] >= min_count
        and left_out.isdisjoint(feature.split(b" "))
    }


def sparse_vector(found: Features, known: set[bytes]) -> list[tuple[bytes, float]]:
    """The post's known features with their values, as the models' `logit` weighs them:
    words and pairs `1 / sqrt(n)` each for `n` of them (all of them, known or not), the
    others 1; in the order of the post, never of a set."""
    scale = 1.0 / math.sqrt(len(found.text)) if found.text else 1.0
    values: dict[bytes, float] = {}
    for feature in found.text:
        if feature in known:
            values[feature] = values.get(feature, 0.0) + scale  # a repeated word counts again
    for feature in found.other:
        if feature in known:
            values[feature] = values.get(feature, 0.0) + 1.0
    return list(values.items())


# --- training ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    seed: int
    epochs: int
    learning_rate: float
    l2: float


def train(
    data: Sequence[tuple[list[tuple[bytes, float]], float]], settings: Settings
) -> tuple[float, dict[bytes, float]]:
    """Bias and weights by AdaGrad SGD on the logistic loss with an L2 penalty (applied to the
    features of each post as it is seen). `data`: each post's sparse vector and its truth (1.0
    or 0.0)."""
    weights: dict[bytes, float] = {}
    squares: dict[bytes, float] = {}
    bias, bias_square = 0.0, 0.0
    rate, l2 = settings.learning_rate, settings.l2
    order = list(range(len(data)))
    shuffle = random.Random(settings.seed).shuffle
    for _ in range(settings.epochs):
        shuffle(order)
        for index in order:
            vector, truth = data[index]
            total = bias
            for feature, value in vector:
                total += weights.get(feature, 0.0) * value
            error = sigmoid(total) - truth
            bias_square += error * error
            bias -= rate * error / math.sqrt(bias_square)
            for feature, value in vector:
                weight = weights.get(feature, 0.0)
                gradient = error * value + l2 * weight
                square = squares.get(feature, 0.0) + gradient * gradient
                squares[feature] = square
                if square > 0.0:
                    weights[feature] = weight - rate * gradient / math.sqrt(square)
    return bias, weights


def pruned(weights: dict[bytes, float], prune: float, digits: int) -> dict[bytes, float]:
    """The weights worth shipping: rounded to `digits`, those smaller than `prune` dropped
    (they move no verdict)."""
    return {f: round(w, digits) for f, w in weights.items() if abs(w) >= prune}


# --- evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scores:
    true_pos: int
    predicted: int
    positives: int

    @property
    def precision(self) -> float:
        return self.true_pos / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_pos / self.positives if self.positives else 1.0

    def cell(self) -> str:
        return f"P {self.precision:.3f} R {self.recall:.3f}"

    def __add__(self, other: Scores) -> Scores:
        return Scores(
            self.true_pos + other.true_pos,
            self.predicted + other.predicted,
            self.positives + other.positives,
        )


def scores(truth: Sequence[bool], guess: Sequence[bool]) -> Scores:
    pairs = list(zip(truth, guess, strict=True))
    return Scores(sum(t and g for t, g in pairs), sum(g for _, g in pairs), sum(truth))
