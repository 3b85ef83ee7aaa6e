"""Train the missed-complaint check (`src/mentionwatch/classify/missed_model.json`), reproducibly.

The missed-complaint check is the inbox check's mirror: a second look at the posts the rules
call calm (not negative, not spam, not taken out of the inbox by a frame; see
`mentionwatch.classify.missed_model`), answering how likely the post is a complaint the rules
missed. It is trained as the inbox check and the spam model are (`scripts/logistic.py`: AdaGrad
SGD on the logistic loss with an L2 penalty, in pure Python, with a fixed seed), so two runs
write the same file, byte for byte.

It trains on the TUNING files only, and refuses any file whose name contains "heldout" before
reading anything. A line's optional `brand` field is given to `assess` as the brand's terms.

The examples are the posts the classifier (with the inbox check, without this one:
`assess(..., missed_check=False)`) reads as calm, the only posts the model will ever read; the
truth is "a complaint": the line's `label` is negative and its `spam` false. So the model
depends on the rules and the inbox check: after a change to either, retrain (`--check` fails
until then). A feature is kept only when it occurs in posts of at least `MIN_WRITERS` of the
training files and `MIN_COUNT` times in all, never when it holds a name (a word only ever
written capitalised). Unlike the inbox check it keeps the words VADER scores negative (see
`missed_model`).

Before the final model it prints leave-one-writer-out cross-validation: for each tuning file, a
model trained on the other files only, and that file's negative precision P and recall R over
ALL its posts, without the check and with it at each candidate threshold, and how many posts
the check put in the inbox (complaints / not complaints).

The shipped threshold favours precision (a post put in the inbox costs a person a look, and
the inbox check cannot take it out again). Walking down from the most cautious candidate
probability (skipping those at which the check adds nothing), it is the last one before the
first that fails one of these, in the cross-validation:

- the posts the check puts in the inbox, all folds pooled, are complaints at least as often
  as the posts already there (the pooled precision without the check): so the check never
  makes the inbox less precise, only fuller;
- no single writer's precision falls by more than `MAX_FOLD_PRECISION_DROP`;
- the pooled recall rises.

When the first candidate that adds anything fails, the script says so and writes nothing.

Run from the repository root, in the dev venv::

    python scripts/train_missed_model.py            # cross-validate, train, write the weights
    python scripts/train_missed_model.py --check    # retrain; fail if the shipped file differs
"""

from __future__ import annotations

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
    sparse_vector,
)
from logistic import sha256 as sha256  # the tests check the shipped file's digests with it
from logistic import train as logistic_train
from logistic import vocabulary as logistic_vocabulary
from train_negative_model import TUNING_FILES as TUNING_FILES  # the files it trains on
from train_negative_model import Inbox, _read, parse_args
from train_negative_model import weights_json as inbox_weights_json

from mentionwatch.classify.missed_model import reading_if_read
from mentionwatch.classify.negative_model import (
    HIT_KIND,
    NegativeModel,
    Reading,
    feature_key,
    logit,
)
from mentionwatch.classify.verdict import assess, is_negative
from mentionwatch.config import SentimentConfig
from mentionwatch.models import Classification

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "mentionwatch" / "classify" / "missed_model.json"

SEED = 2026
#: Fewer passes than the inbox check's 60: about 4,700 posts to learn from, against 1,200; in
#: the cross-validation 30 passes chose the same threshold as 60, and a retrain takes minutes.
EPOCHS = 30
LEARNING_RATE = 0.3
L2 = 1e-3
MIN_WRITERS = 3
MIN_COUNT = 3
#: Weights smaller than this are dropped from the shipped file (they move no verdict).
PRUNE = 0.01
#: Digits kept of each weight.
DIGITS = 4
#: The candidate probabilities of a complaint at or above which a calm post enters the inbox,
#: most cautious first.
THRESHOLDS = (0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4)
#: One writer's negative precision may fall this much from the classifier's without the check.
MAX_FOLD_PRECISION_DROP = 0.03


def frame_or_check_decided(verdict: Classification) -> bool:
    """Whether a frame or the inbox check took a post the rules read negative out of the
    inbox: a frame's hit names its rule "context: ...", the inbox check's hit is a model's.
    The missed-complaint check never reads such a post (`sentiment.classify_text`)."""
    return any(kind == HIT_KIND or what.startswith("context:") for kind, what, _ in verdict.hits)


def read_by_check(verdict: Classification) -> bool:
    """Whether `classify_text` hands the missed-complaint check a post whose verdict without
    it is `verdict`: calm by the rules, not spam, and not taken out of the inbox by a frame or
    the inbox check (the check's own length limits aside: `reading_if_read`)."""
    return not is_negative(verdict) and not verdict.spam and not frame_or_check_decided(verdict)


@dataclass(frozen=True, slots=True)
class Example:
    """A post the classifier reads as calm and the check reads."""

    writer: str
    text: str
    complaint: bool
    reading: Reading


def load(paths: Sequence[Path]) -> tuple[list[Example], list[Inbox]]:
    """The posts of `paths` the check reads, with their features, and each file's inbox
    without the check. Held-out files are refused before anything is read."""
    refuse_heldout(paths)
    thresholds = SentimentConfig()
    examples = []
    inboxes = []
    for path in paths:
        rows = _read([path])
        shown = shown_complaints = 0
        for row in rows:
            verdict = assess(row.text, thresholds, row.brand, missed_check=False)
            if is_negative(verdict):
                shown += 1
                shown_complaints += row.complaint
                continue
            if not read_by_check(verdict):
                continue
            reading = reading_if_read(row.text, verdict.compound)
            if reading is not None:
                examples.append(Example(path.name, row.text, row.complaint, reading))
        complaints = sum(row.complaint for row in rows)
        inboxes.append(Inbox(path.name, len(rows), complaints, shown, shown_complaints))
    return examples, inboxes


# --- training ------------------------------------------------------------------------------------


def vocabulary(examples: Sequence[Example]) -> set[bytes]:
    """The features seen in at least `MIN_WRITERS` files and `MIN_COUNT` posts, without the
    words and pairs that hold a proper name (`logistic.proper_names`)."""
    return logistic_vocabulary(
        ((e.writer, e.reading) for e in examples),
        min_writers=MIN_WRITERS,
        min_count=MIN_COUNT,
        left_out=proper_names(e.text for e in examples),
    )


def train(examples: Sequence[Example], seed: int = SEED) -> tuple[float, dict[bytes, float]]:
    """Bias and weights: the log-odds that a post the rules call calm is a complaint."""
    known = vocabulary(examples)
    data = [(sparse_vector(e.reading, known), 1.0 if e.complaint else 0.0) for e in examples]
    return logistic_train(data, Settings(seed, EPOCHS, LEARNING_RATE, L2))


def to_model(bias: float, weights: dict[bytes, float], threshold: float) -> NegativeModel:
    """The model as `missed_model.load_model` would read it from the file written for it."""
    kept = {feature_key(f): w for f, w in pruned(weights, PRUNE, DIGITS).items()}
    return NegativeModel(round(bias, DIGITS), kept, logit_of(threshold), threshold)


def promotes(model: NegativeModel, example: Example) -> bool:
    """Whether the check puts the post in the inbox, as `classify_text` asks it."""
    return logit(model, example.reading) >= model.threshold


# --- evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fold:
    writer: str
    without: Scores
    #: Per threshold: the file's scores with the check, and the posts it added (complaints,
    #: not complaints).
    with_check: dict[float, Scores]
    added: dict[float, tuple[int, int]]


def with_added(inbox: Inbox, added: int, complaints: int) -> Scores:
    """A file's negative precision and recall once the check adds `added` posts to its inbox,
    of which `complaints` complaints."""
    return Scores(inbox.shown_complaints + complaints, inbox.shown + added, inbox.complaints)


def cross_validate(examples: Sequence[Example], inboxes: Sequence[Inbox]) -> list[Fold]:
    """Leave one writer (file) out: train on the others, score the one left out."""
    folds = []
    for inbox in inboxes:
        inside = [e for e in examples if e.writer != inbox.writer]
        outside = [e for e in examples if e.writer == inbox.writer]
        bias, weights = train(inside)
        with_check, added = {}, {}
        for threshold in THRESHOLDS:
            model = to_model(bias, weights, threshold)
            found = [e.complaint for e in outside if promotes(model, e)]
            complaints = sum(found)
            with_check[threshold] = with_added(inbox, len(found), complaints)
            added[threshold] = (complaints, len(found) - complaints)
        folds.append(Fold(inbox.writer, inbox.scores(), with_check, added))
    return folds


def pooled(folds: Sequence[Fold], threshold: float | None) -> Scores:
    """All folds' posts together, with the check at `threshold` (None: without it)."""
    total = Scores(0, 0, 0)
    for fold in folds:
        total += fold.without if threshold is None else fold.with_check[threshold]
    return total


def pooled_added(folds: Sequence[Fold], threshold: float) -> tuple[int, int]:
    """The posts the check put in the inbox on the held-out writers, all folds pooled:
    (complaints, not complaints)."""
    return (sum(f.added[threshold][0] for f in folds), sum(f.added[threshold][1] for f in folds))


def promoted_precision(folds: Sequence[Fold], threshold: float) -> float:
    """Of the posts the check put in the inbox on the held-out writers, the share that is a
    complaint (all folds pooled)."""
    complaints, calm = pooled_added(folds, threshold)
    return complaints / (complaints + calm) if complaints + calm else 1.0


def worst_fold_drop(folds: Sequence[Fold], threshold: float) -> float:
    return max(f.without.precision - f.with_check[threshold].precision for f in folds)


def passes(folds: Sequence[Fold], threshold: float) -> bool:
    """Whether a threshold keeps the rules of the module's docstring."""
    before, after = pooled(folds, None), pooled(folds, threshold)
    return (
        promoted_precision(folds, threshold) >= before.precision
        and worst_fold_drop(folds, threshold) <= MAX_FOLD_PRECISION_DROP
        and after.recall > before.recall
    )


def choose_threshold(folds: Sequence[Fold]) -> float | None:
    """The lowest candidate that `passes` with every more cautious candidate passing too, or
    None when the first that adds any post fails: the check would not help. A candidate at
    which the check adds nothing is the classifier without it: neither a pass nor a failure."""
    chosen = None
    for threshold in THRESHOLDS:
        if pooled_added(folds, threshold) == (0, 0):
            continue
        if not passes(folds, threshold):
            break
        chosen = threshold
    return chosen


def print_folds(folds: Sequence[Fold], chosen: float | None) -> None:
    print("leave-one-writer-out cross-validation: negative precision P and recall R over all the")
    print("posts of the file left out, without the check and with it (added: the posts it put")
    print("in the inbox, complaints / not complaints):")
    shown = [t for t in THRESHOLDS if chosen is None or abs(t - chosen) <= 0.051]
    header = "  ".join(f"{'with check at ' + str(t):27}" for t in shown)
    print(f"  {'held-out writer':24} {'without the check':19} {header}")
    for fold in [*folds, None]:
        name = fold.writer if fold else "POOLED"
        without = fold.without if fold else pooled(folds, None)
        cells = []
        for threshold in shown:
            scores = fold.with_check[threshold] if fold else pooled(folds, threshold)
            added = fold.added[threshold] if fold else pooled_added(folds, threshold)
            cells.append(f"{scores.cell()} {added[0]:3}/{added[1]:<3}")
        print(f"  {name:24} {without.cell():19} {'  '.join(cells)}")
    print("pooled per threshold (added posts that are complaints; passes the rules?):")
    print(f"  without   {pooled(folds, None).cell()}")
    for threshold in THRESHOLDS:
        complaints, calm = pooled_added(folds, threshold)
        print(
            f"  {threshold:<9} {pooled(folds, threshold).cell()}  added {complaints:3}/{calm:<3}"
            f" complaints {promoted_precision(folds, threshold):.3f}"
            f"  worst fold precision drop {worst_fold_drop(folds, threshold):.3f}"
            f"  {'PASSES' if passes(folds, threshold) else 'fails'}"
            f"{'  <- chosen' if threshold == chosen else ''}"
        )


# --- the weights file ----------------------------------------------------------------------------


def weights_json(model: NegativeModel, paths: Sequence[Path], posts: int) -> str:
    """The weights file, in the inbox check's layout (`train_negative_model.weights_json`)."""
    settings: dict[str, object] = {
        "seed": SEED,
        "epochs": EPOCHS,
        "learning_rate": LEARNING_RATE,
        "l2": L2,
        "min_writers": MIN_WRITERS,
        "min_count": MIN_COUNT,
        "prune": PRUNE,
        "without_vader_negative_words": False,
    }
    about = "mentionwatch's missed-complaint check; written by scripts/train_missed_model.py"
    return inbox_weights_json(model, paths, posts, about=about, settings=settings)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, "Train mentionwatch's missed-complaint check.", OUT)
    refuse_heldout(args.data)
    examples, inboxes = load(args.data)
    print(
        f"{len(examples)} posts the rules call calm, read by the check"
        f" ({sum(e.complaint for e in examples)} complaints) from:"
    )
    for inbox in inboxes:
        print(
            f"  {inbox.writer}: {inbox.posts} posts, {inbox.complaints} complaints;"
            f" {inbox.shown} in the inbox without the check, {inbox.shown_complaints} complaints"
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
        found = [e.complaint for e in examples if e.writer == inbox.writer and promotes(model, e)]
        scores = with_added(inbox, len(found), sum(found))
        print(f"  on its own training data, {inbox.writer}: with the check {scores.cell()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
