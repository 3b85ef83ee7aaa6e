"""Train the inbox check (`src/mentionwatch/classify/negative_model.json`), reproducibly.

The inbox check is a second look at the posts the classifier puts in the inbox (labelled
negative, not spam): logistic regression over the features of
`mentionwatch.classify.negative_model.read` (words, word pairs, a few shapes, the classifier's
compound in buckets), answering how likely the post is a complaint. It is trained exactly as
the spam model is (`scripts/logistic.py`: stochastic gradient descent with AdaGrad steps and
an L2 penalty, in pure Python, with a fixed seed, features summed in the order of the text and
an `exp` built from + - * / and `ldexp`), so two runs write the same file, byte for byte.

It trains on the TUNING files only, each written by a different writer, and refuses any file
whose name contains "heldout" before reading anything: those are measured once, by the lead,
at the end. A line's optional `brand` field is given to `assess` as the brand's terms, as
`bench/triage_quality.py` does.

The examples are the posts the classifier without the check (`assess(..., inbox_check=False)`,
and without the missed-complaint check, which never hands the inbox check a post) puts in the
inbox, the only posts the model will ever read; the truth is "a complaint": the
line's `label` is negative and its `spam` false. So the model depends on the rules (sentiment
and spam) as well as on the data: after a change to either, retrain (`--check` fails until
then). Features must transfer across writers: one is kept only when it occurs in posts of at
least `MIN_WRITERS` of the training files and at least `MIN_COUNT` times in all, never when it
holds a name (a word only ever written capitalised), and never when it holds a word VADER's
lexicon scores negative (see `negative_model`: what it would learn of those is VADER's odd
misreading, not a rule that carries over).

Before the final model it prints leave-one-writer-out cross-validation: for each tuning file, a
model trained on the other files only, and that file's negative precision P and recall R over
ALL its posts (the inbox a user sees; recall against every complaint of the file, those the
classifier misses too), for the classifier without the check and with it at each candidate
threshold, and how many posts the check took out of the inbox (complaints / not complaints).

The shipped threshold follows issue 5 (negative precision at least 0.85 with recall at least
0.80) and one more rule: a complaint hidden from the inbox is worse than a calm post shown.
Walking up from the most cautious candidate probability (skipping those at which the check
hides nothing), it is the last one before the first that fails one of these, in the
cross-validation:

- the posts the check takes out of the inbox, all folds pooled, are no complaint at least
  `MIN_DEMOTED_PRECISION` of the time (a hidden complaint is counted as costing four calm
  posts shown);
- the pooled recall drops by at most `MAX_RECALL_DROP` from the classifier's without the
  check, and stays at least `MIN_RECALL`;
- no single writer's recall drops by more than `MAX_FOLD_RECALL_DROP`;
- the pooled precision rises.

When the first candidate that hides anything fails, the script says so and writes nothing:
the check would not help.

Run from the repository root, in the dev venv::

    python scripts/train_negative_model.py            # cross-validate, train, write the weights
    python scripts/train_negative_model.py --check    # retrain; fail if the shipped file differs
    python scripts/train_negative_model.py --no-cv --data a.jsonl b.jsonl --out /tmp/m.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from logistic import RefusedData as RefusedData  # the tests catch it here
from logistic import (
    Scores,
    Settings,
    logit_of,
    proper_names,
    pruned,
    refuse_heldout,
    sha256,
    sparse_vector,
)
from logistic import train as logistic_train
from logistic import vocabulary as logistic_vocabulary

from mentionwatch.classify.negative_model import (
    FORMAT,
    NegativeModel,
    Reading,
    feature_key,
    feature_name,
    logit,
    read,
    reads,
)
from mentionwatch.classify.sentiment import analyzer
from mentionwatch.classify.verdict import assess, is_negative
from mentionwatch.config import SentimentConfig

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TUNING_FILES = tuple(
    DATA / f"{name}.jsonl"
    for name in (
        "triage_dev",
        "triage_validation",
        "triage_dev2",
        "triage_dev3",
        "triage_dev4",
        "triage_dev5",
        "triage_dev6",
        "triage_dev7",
        "triage_dev8",
        "triage_dev9",
        "triage_dev10",
        "triage_dev11",
        "triage_dev12",
        "triage_dev13",
        "triage_dev14",
        "triage_dev15",
        "triage_dev16",
        "triage_dev17",
        "triage_dev18",
        "triage_dev19",
        "triage_dev20",
        "triage_spam_dev",
        "triage_spam_dev2",
        "triage_spam_dev3",
    )
)
OUT = ROOT / "src" / "mentionwatch" / "classify" / "negative_model.json"
LABELS = ("negative", "neutral", "positive")

SEED = 2026
EPOCHS = 60
LEARNING_RATE = 0.3
#: A heavier penalty than the spam model's, and features from three writers rather than two:
#: about 200 calm posts to learn from, against 870 spam posts. In the cross-validation, 1e-3
#: hid a few more complaints for each calm post it took out, 1e-2 did about as well as 3e-3 at
#: a higher threshold, and other seeds chose the same threshold.
L2 = 3e-3
MIN_WRITERS = 3
MIN_COUNT = 3
#: Weights smaller than this are dropped from the shipped file (they move no verdict).
PRUNE = 0.01
#: Digits kept of each weight.
DIGITS = 4
#: The candidate probabilities of a complaint below which a post leaves the inbox, most
#: cautious first.
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
#: The posts the check takes out, pooled over the folds, are no complaint this often: a
#: hidden complaint is counted as costing four calm posts shown (4 / (4 + 1)).
MIN_DEMOTED_PRECISION = 0.8
#: Issue 5's recall target, on the pooled cross-validation.
MIN_RECALL = 0.80
#: The pooled recall may fall this much from the classifier's without the check ...
MAX_RECALL_DROP = 0.01
#: ... and one writer's this much.
MAX_FOLD_RECALL_DROP = 0.03


@dataclass(frozen=True, slots=True)
class Example:
    """A post the classifier without the check puts in the inbox."""

    writer: str  # the file it came from
    text: str
    complaint: bool  # the truth: labelled negative and not spam
    #: What the model reads of it: what it trains on, and what it decides on (`hides`).
    reading: Reading


@dataclass(frozen=True, slots=True)
class Inbox:
    """One file's inbox without the check: its complaints (truly negative posts, in the inbox
    or not) and the classifier's negative, not spam, posts."""

    writer: str
    posts: int
    complaints: int
    shown: int
    shown_complaints: int

    def scores(self, hidden: int = 0, hidden_complaints: int = 0) -> Scores:
        """Negative precision and recall once the check hides `hidden` posts of the inbox, of
        which `hidden_complaints` complaints."""
        return Scores(
            self.shown_complaints - hidden_complaints, self.shown - hidden, self.complaints
        )


@dataclass(frozen=True, slots=True)
class _Row:
    writer: str
    text: str
    complaint: bool
    brand: tuple[str, ...]


def _read(paths: Sequence[Path]) -> list[_Row]:
    rows = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    text, label, spam = str(row["text"]), str(row["label"]), bool(row["spam"])
                except (ValueError, KeyError, TypeError) as error:
                    raise SystemExit(f"{path}:{number}: not a labelled post: {error}") from None
                if label not in LABELS:
                    raise SystemExit(f"{path}:{number}: label {label!r} not in {LABELS}")
                brand = (str(row["brand"]),) if row.get("brand") else ()
                rows.append(_Row(path.name, text, label == "negative" and not spam, brand))
    return rows


def load(paths: Sequence[Path]) -> tuple[list[Example], list[Inbox]]:
    """The posts of `paths` the classifier without the check puts in the inbox, with their
    features, and each file's inbox. Held-out files are refused before anything is read."""
    refuse_heldout(paths)
    thresholds = SentimentConfig()
    examples = []
    inboxes = []
    for path in paths:
        rows = _read([path])
        shown = 0
        for row in rows:
            verdict = assess(row.text, thresholds, row.brand, inbox_check=False, missed_check=False)
            if not is_negative(verdict):
                continue
            shown += 1
            reading = read(row.text, verdict.compound)
            examples.append(Example(path.name, row.text, row.complaint, reading))
        mine = [e for e in examples if e.writer == path.name]
        inboxes.append(
            Inbox(
                path.name,
                len(rows),
                sum(row.complaint for row in rows),
                shown,
                sum(e.complaint for e in mine),
            )
        )
    return examples, inboxes


# --- training ------------------------------------------------------------------------------------


def vader_negative_words() -> frozenset[bytes]:
    """The words VADER's lexicon scores negative, as the model writes them (lower case,
    apostrophes dropped: "can't" is "cant")."""
    words = (word.replace("'", "") for word, valence in analyzer().lexicon.items() if valence < 0)
    return frozenset(word.encode() for word in words if word.isascii() and word.isalpha())


def vocabulary(examples: Sequence[Example]) -> set[bytes]:
    """The features seen in at least `MIN_WRITERS` files and `MIN_COUNT` posts, without the
    words and pairs that hold a proper name (`logistic.proper_names`) or a word VADER scores
    negative."""
    return logistic_vocabulary(
        ((e.writer, e.reading) for e in examples),
        min_writers=MIN_WRITERS,
        min_count=MIN_COUNT,
        left_out=proper_names(e.text for e in examples) | vader_negative_words(),
    )


def train(examples: Sequence[Example], seed: int = SEED) -> tuple[float, dict[bytes, float]]:
    """Bias and weights by AdaGrad SGD on the logistic loss with an L2 penalty
    (`logistic.train`): the log-odds that a post in the inbox is a complaint."""
    known = vocabulary(examples)
    data = [(sparse_vector(e.reading, known), 1.0 if e.complaint else 0.0) for e in examples]
    return logistic_train(data, Settings(seed, EPOCHS, LEARNING_RATE, L2))


def to_model(bias: float, weights: dict[bytes, float], threshold: float) -> NegativeModel:
    """The model as `negative_model.load_model` would read it from the file written for it."""
    kept = {feature_key(f): w for f, w in pruned(weights, PRUNE, DIGITS).items()}
    return NegativeModel(round(bias, DIGITS), kept, logit_of(threshold), threshold)


def hides(model: NegativeModel, example: Example) -> bool:
    """Whether the check takes the post out of the inbox, as `classify_text` asks it."""
    return reads(example.text, example.reading) and logit(model, example.reading) < model.threshold


# --- evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fold:
    writer: str
    without: Scores
    #: Per threshold: the file's scores with the check, and the posts it hid (complaints,
    #: not complaints).
    with_check: dict[float, Scores]
    hidden: dict[float, tuple[int, int]]


def cross_validate(examples: Sequence[Example], inboxes: Sequence[Inbox]) -> list[Fold]:
    """Leave one writer (file) out: train on the others, score the one left out."""
    folds = []
    for inbox in inboxes:
        inside = [e for e in examples if e.writer != inbox.writer]
        outside = [e for e in examples if e.writer == inbox.writer]
        bias, weights = train(inside)
        with_check, hidden = {}, {}
        for threshold in THRESHOLDS:
            model = to_model(bias, weights, threshold)
            gone = [e.complaint for e in outside if hides(model, e)]
            complaints = sum(gone)
            with_check[threshold] = inbox.scores(len(gone), complaints)
            hidden[threshold] = (complaints, len(gone) - complaints)
        folds.append(Fold(inbox.writer, inbox.scores(), with_check, hidden))
    return folds


def pooled(folds: Sequence[Fold], threshold: float | None) -> Scores:
    """All folds' posts together, with the check at `threshold` (None: without it)."""
    total = Scores(0, 0, 0)
    for fold in folds:
        total += fold.without if threshold is None else fold.with_check[threshold]
    return total


def pooled_hidden(folds: Sequence[Fold], threshold: float) -> tuple[int, int]:
    """The posts the check takes out of the inbox on the held-out writers, all folds pooled:
    (complaints, not complaints)."""
    return (sum(f.hidden[threshold][0] for f in folds), sum(f.hidden[threshold][1] for f in folds))


def hidden_precision(folds: Sequence[Fold], threshold: float) -> float:
    """Of the posts the check takes out of the inbox on the held-out writers, the share that
    is no complaint (all folds pooled)."""
    complaints, calm = pooled_hidden(folds, threshold)
    return calm / (complaints + calm) if complaints + calm else 1.0


def passes(folds: Sequence[Fold], threshold: float) -> bool:
    """Whether a threshold keeps the rules of the module's docstring."""
    before, after = pooled(folds, None), pooled(folds, threshold)
    return (
        hidden_precision(folds, threshold) >= MIN_DEMOTED_PRECISION
        and after.recall >= MIN_RECALL
        and before.recall - after.recall <= MAX_RECALL_DROP
        and all(
            f.without.recall - f.with_check[threshold].recall <= MAX_FOLD_RECALL_DROP for f in folds
        )
        and after.precision > before.precision
    )


def choose_threshold(folds: Sequence[Fold]) -> float | None:
    """The highest candidate that `passes` with every more cautious candidate passing too (a
    lone pass above a failure is noise, not a safe place), or None when the first that hides
    any post fails: the check would not help. A candidate at which the check hides nothing
    is the classifier without it: neither a pass nor a failure."""
    chosen = None
    for threshold in THRESHOLDS:
        if pooled_hidden(folds, threshold) == (0, 0):
            continue
        if not passes(folds, threshold):
            break
        chosen = threshold
    return chosen


def print_folds(folds: Sequence[Fold], chosen: float | None) -> None:
    print("leave-one-writer-out cross-validation: negative precision P and recall R over all the")
    print("posts of the file left out, without the check and with it (hidden: the posts it took")
    print("out of the inbox, complaints / not complaints):")
    shown = [t for t in THRESHOLDS if chosen is None or abs(t - chosen) <= 0.051]
    header = "  ".join(f"{'with check at ' + str(t):27}" for t in shown)
    print(f"  {'held-out writer':24} {'without the check':19} {header}")
    for fold in [*folds, None]:
        name = fold.writer if fold else "POOLED"
        without = fold.without if fold else pooled(folds, None)
        cells = []
        for threshold in shown:
            scores = fold.with_check[threshold] if fold else pooled(folds, threshold)
            hidden = fold.hidden[threshold] if fold else pooled_hidden(folds, threshold)
            cells.append(f"{scores.cell()} {hidden[0]:2}/{hidden[1]:<3}")
        print(f"  {name:24} {without.cell():19} {'  '.join(cells)}")
    print("pooled per threshold (hidden posts that are no complaint; passes the rules?):")
    before = pooled(folds, None)
    print(f"  without   {before.cell()}")
    for threshold in THRESHOLDS:
        after = pooled(folds, threshold)
        worst = max(f.without.recall - f.with_check[threshold].recall for f in folds)
        complaints, calm = pooled_hidden(folds, threshold)
        print(
            f"  {threshold:<9} {after.cell()}  hidden {complaints:2}/{calm:<3} no complaint"
            f" {hidden_precision(folds, threshold):.3f}  worst fold recall drop {worst:.3f}"
            f"  {'PASSES' if passes(folds, threshold) else 'fails'}"
            f"{'  <- chosen' if threshold == chosen else ''}"
        )


# --- the weights file ----------------------------------------------------------------------------


def weights_json(
    model: NegativeModel,
    paths: Sequence[Path],
    posts: int,
    *,
    about: str = "mentionwatch's inbox check; written by scripts/train_negative_model.py",
    settings: dict[str, object] | None = None,
) -> str:
    """The weights file: fixed keys, fixed digits, one feature a line (so a diff reads). The
    missed-complaint check's script writes its file here too, with its own `about` and
    `settings`."""
    data = {
        "format": FORMAT,
        "about": about,
        "trained_on": {path.name: sha256(path)[:16] for path in paths},
        "posts": posts,
        "settings": settings
        or {
            "seed": SEED,
            "epochs": EPOCHS,
            "learning_rate": LEARNING_RATE,
            "l2": L2,
            "min_writers": MIN_WRITERS,
            "min_count": MIN_COUNT,
            "prune": PRUNE,
            "without_vader_negative_words": True,
        },
        "threshold": model.threshold_probability,
        "threshold_logit": model.threshold,
        "bias": model.bias,
        "weights": dict(sorted((feature_name(f).decode(), w) for f, w in model.weights.items())),
    }
    return json.dumps(data, ensure_ascii=False, indent=0) + "\n"


def parse_args(
    argv: Sequence[str] | None,
    description: str = "Train mentionwatch's inbox check.",
    out: Path = OUT,
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", type=Path, nargs="+", default=list(TUNING_FILES))
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    parser.add_argument(
        "--threshold", type=float, help="use this threshold instead of the cross-validated one"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; fail if --out differs from a retrain"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    refuse_heldout(args.data)
    examples, inboxes = load(args.data)
    print(
        f"{len(examples)} posts in the inbox without the check"
        f" ({sum(e.complaint for e in examples)} complaints) from:"
    )
    for inbox in inboxes:
        print(
            f"  {inbox.writer}: {inbox.posts} posts, {inbox.complaints} complaints;"
            f" {inbox.shown} in the inbox, {inbox.shown_complaints} of them complaints"
        )
    threshold = args.threshold
    if not args.no_cv and len(args.data) > 1:
        folds = cross_validate(examples, inboxes)
        chosen = choose_threshold(folds)
        print_folds(folds, chosen)
        if chosen is None and threshold is None:
            print("no threshold passes: the check would not help; nothing written")
            return 1
        threshold = threshold or chosen
    if threshold is None and args.check and args.out.exists():
        threshold = float(json.loads(args.out.read_text(encoding="utf-8"))["threshold"])
    threshold = threshold or THRESHOLDS[0]
    bias, weights = train(examples)
    model = to_model(bias, weights, threshold)
    text = weights_json(model, args.data, len(examples))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'the same as a retrain' if same else 'DIFFERS from a retrain'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"threshold {threshold}: {len(model.weights)} weights, {len(text)} bytes -> {args.out}")
    for inbox in inboxes:
        gone = [e.complaint for e in examples if e.writer == inbox.writer and hides(model, e)]
        found = inbox.scores(len(gone), sum(gone))
        print(f"  on its own training data, {inbox.writer}: with the check {found.cell()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
