"""Train the learned spam model (`src/mentionwatch/classify/spam_model.json`), reproducibly.

Logistic regression over the features of `mentionwatch.classify.spam_model.features` (words,
word pairs, shapes, which rule signals fired), trained by stochastic gradient descent with
AdaGrad steps and an L2 penalty, in pure Python: no numpy, no scikit-learn. Everything that
could vary is fixed: the seed of the shuffles, the order of the features (the order of the
text, never of a set), and `exp` itself (`logistic.exp` uses only + - * / and `ldexp`, which
IEEE 754 rounds the same on every platform), so two runs write the same file, byte for byte.
The training loop and what else the two training scripts share is in `scripts/logistic.py`.

It trains on the TUNING files only (the labelled files the rules were tuned on), and refuses
any file whose name contains "heldout": those are measured once, by the lead, at the end.
A line's optional `brand` field is passed to the rules and the model as the brand's terms.

Features must transfer across writers: one is kept only when it occurs in posts of at least
`MIN_WRITERS` of the training files (a brand's made-up name, one writer's pet phrase, are
dropped) and at least `MIN_COUNT` times in all.

Before the final model it prints leave-one-writer-out cross-validation: for each tuning file,
a model trained on the other files only, and that file's spam precision and recall for the
rules alone, the model alone and the combination `spam_verdict` makes (the rules, or the model
at its threshold unless a guard holds: the post is in the voice of the brand's support, or
warns about or reports a scam), for each candidate threshold.
The shipped threshold is the lowest candidate at which the combination's precision is at
least `MIN_FOLD_PRECISION` on every fold and the posts the model adds to the rules' spam,
pooled over the folds, are spam at least `MIN_ADDED_PRECISION` of the time (issue 5: favour
precision).

Run from the repository root, in the dev venv::

    python scripts/train_spam_model.py            # cross-validate, train, write the weights
    python scripts/train_spam_model.py --check    # retrain; fail if the shipped file differs
    python scripts/train_spam_model.py --no-cv --data a.jsonl --out /tmp/m.json   # a quick run
"""

from __future__ import annotations

import argparse
import json
import re
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
    scores,
    sha256,
    sparse_vector,
)
from logistic import train as logistic_train
from logistic import vocabulary as logistic_vocabulary

from mentionwatch.classify.other_use import names_something_else
from mentionwatch.classify.spam import model_may_judge, rule_verdict, warns_about_a_scam
from mentionwatch.classify.spam_model import (
    FORMAT,
    Features,
    SpamModel,
    cue_words,
    features,
    logit,
    worth_reading,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TUNING_FILES = tuple(
    DATA / f"{name}.jsonl"
    for name in (
        "triage_dev",
        "triage_validation",
        *(f"triage_dev{n}" for n in range(2, 21)),
        "triage_spam_dev",
        "triage_spam_dev2",
        "triage_spam_dev3",
    )
)
OUT = ROOT / "src" / "mentionwatch" / "classify" / "spam_model.json"

SEED = 2026
EPOCHS = 100
LEARNING_RATE = 0.5
L2 = 1e-4
MIN_WRITERS = 2
MIN_COUNT = 3
#: Weights smaller than this are dropped from the shipped file (they move no verdict).
PRUNE = 0.01
#: Digits kept of each weight.
DIGITS = 4
#: The probability thresholds tried; the lowest whose folds all reach the precision wins.
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.825, 0.85, 0.875, 0.9, 0.925, 0.95, 0.975)
MIN_FOLD_PRECISION = 0.97
#: And the posts the model adds, pooled, this precision: well above issue 5's 0.95, since they
#: add to the false positives of the rules. Each is a post a real customer may have written (a
#: complaint with three photo links, "Won a free PS5 in the tournament!!!"): trained on all
#: twenty-two writers, the model passed a bar of 0.96 at 0.875 (additions spam 441 of 451 times),
#: where customers' posts like those two became spam; the bar is 0.98 (one addition in fifty).
MIN_ADDED_PRECISION = 0.98
#: Whether the model reads which rule signals fired.
USE_RULES = False
#: Leave the brand's name used for something else out of the model's training (see
#: `Example.other_use`).
SKIP_OTHER_USE = True


@dataclass(frozen=True, slots=True)
class Example:
    writer: str  # the file it came from
    text: str
    spam: bool
    rules_spam: bool
    found: Features
    signals: tuple[str, ...]  # the rule signals that fired
    #: The model may not make it spam: it is in the voice of the brand's support, or it warns
    #: about a scam (`spam.model_may_judge`, `spam.warns_about_a_scam`).
    guarded: bool
    #: The post uses a name for something else ("my cat Acme", "Acme Road is closed"): noise
    #: labelled spam, that the rules catch with the brand's terms; its words ("cat", "road")
    #: are no sign of spam, so the model does not learn from it. Without a `brand` field, any
    #: capitalised name stands for the brand (`_other_use`).
    other_use: bool


@dataclass(frozen=True, slots=True)
class _Row:
    writer: str
    text: str
    spam: bool
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
                    text, spam = str(row["text"]), bool(row["spam"])
                except (ValueError, KeyError, TypeError) as error:
                    raise SystemExit(f"{path}:{number}: not a labelled post: {error}") from None
                brand = (str(row["brand"]),) if row.get("brand") else ()
                rows.append(_Row(path.name, text, spam, brand))
    return rows


def load(paths: Sequence[Path]) -> list[Example]:
    """The labelled posts of `paths`, each with the rules' verdict and the model's features.
    Held-out files are refused before anything is read."""
    refuse_heldout(paths)
    rows = _read(paths)
    # The rules compile their brand patterns once per brand and keep a few: posts are read
    # brand by brand, so that each brand's patterns are compiled once.
    examples: dict[int, Example] = {}
    for index in sorted(range(len(rows)), key=lambda at: rows[at].brand):
        row = rows[index]
        rules = rule_verdict(row.text, row.brand)
        found = features(row.text, rules.signals if USE_RULES else (), row.brand)
        guarded = not rules.spam and (not model_may_judge(rules) or warns_about_a_scam(row.text))
        other_use = _other_use(row.text, row.brand)
        examples[index] = Example(
            row.writer, row.text, row.spam, rules.spam, found, rules.signals, guarded, other_use
        )
    return [examples[index] for index in range(len(rows))]


# "Acme Road is closed": a street named like a brand (the rules need the brand's terms for it).
_STREET = re.compile(
    r"\b[A-Z][a-z]+ (?:Road|Rd|Street|St|Avenue|Ave|Lane|Close|Drive|Crescent|Terrace)\b"
)


def _other_use(text: str, brand: tuple[str, ...]) -> bool:
    """Whether the post uses the brand's name (or, without one, any name) for something else."""
    if brand:
        return names_something_else(text, brand)
    return names_something_else(text) or _STREET.search(text) is not None


# --- training ------------------------------------------------------------------------------------

#: The brand's name, as `spam_model.features` folds it.
BRAND = b"zzbrandzz"


def vocabulary(examples: Sequence[Example]) -> set[bytes]:
    """The features seen in at least `MIN_WRITERS` files and `MIN_COUNT` posts, without the
    words and pairs that hold a proper name (`logistic.proper_names`)."""
    # The brand's own name goes too: only the files with a `brand` field can show it, and they
    # hold more spam than the others, so its weight would learn which file a post came from.
    names = proper_names(e.text for e in examples) | {BRAND}
    return logistic_vocabulary(
        ((e.writer, e.found) for e in examples),
        min_writers=MIN_WRITERS,
        min_count=MIN_COUNT,
        left_out=names,
    )


def train(examples: Sequence[Example], seed: int = SEED) -> tuple[float, dict[bytes, float]]:
    """Bias and weights by AdaGrad SGD on the logistic loss with an L2 penalty
    (`logistic.train`)."""
    if SKIP_OTHER_USE:
        examples = [e for e in examples if not (e.spam and e.other_use)]
    known = vocabulary(examples)
    data = [(sparse_vector(e.found, known), 1.0 if e.spam else 0.0) for e in examples]
    return logistic_train(data, Settings(seed, EPOCHS, LEARNING_RATE, L2))


def to_model(bias: float, weights: dict[bytes, float], threshold: float) -> SpamModel:
    kept = pruned(weights, PRUNE, DIGITS)
    return SpamModel(round(bias, DIGITS), kept, logit_of(threshold), USE_RULES, cue_words(kept))


# --- evaluation ----------------------------------------------------------------------------------


def model_says(model: SpamModel, example: Example) -> bool:
    """What the model answers, as `spam_verdict` asks it (only about a post worth reading)."""
    return (
        worth_reading(model, example.text, example.signals)
        and logit(model, example.found) >= model.threshold
    )


def combined(model: SpamModel, example: Example) -> bool:
    """What `spam_verdict` answers: the rules, or the model unless a guard holds."""
    return example.rules_spam or (model_says(model, example) and not example.guarded)


@dataclass(frozen=True, slots=True)
class Fold:
    writer: str
    rules: Scores
    model: dict[float, Scores]
    combined: dict[float, Scores]
    #: The posts the model adds to the rules' spam: (spam, not spam), per threshold.
    added: dict[float, tuple[int, int]]


def cross_validate(examples: Sequence[Example]) -> list[Fold]:
    """Leave one writer (file) out: train on the others, score the one left out."""
    folds = []
    for writer in dict.fromkeys(e.writer for e in examples):
        inside = [e for e in examples if e.writer != writer]
        outside = [e for e in examples if e.writer == writer]
        bias, weights = train(inside)
        truth = [e.spam for e in outside]
        by_model, by_both, added = {}, {}, {}
        for threshold in THRESHOLDS:
            model = to_model(bias, weights, threshold)
            by_model[threshold] = scores(truth, [model_says(model, e) for e in outside])
            verdicts = [combined(model, e) for e in outside]
            by_both[threshold] = scores(truth, verdicts)
            extra = [
                e.spam for e, v in zip(outside, verdicts, strict=True) if v and not e.rules_spam
            ]
            added[threshold] = (sum(extra), len(extra) - sum(extra))
        rules = scores(truth, [e.rules_spam for e in outside])
        folds.append(Fold(writer, rules, by_model, by_both, added))
    return folds


def added_precision(folds: Sequence[Fold], threshold: float) -> float:
    """Of the posts the model adds to the rules' spam on the held-out writers, the share that
    is spam (all folds pooled)."""
    spam = sum(f.added[threshold][0] for f in folds)
    other = sum(f.added[threshold][1] for f in folds)
    return spam / (spam + other) if spam + other else 1.0


def choose_threshold(folds: Sequence[Fold]) -> float:
    """The lowest threshold at which the combination keeps `MIN_FOLD_PRECISION` on every
    held-out writer and the model's own additions, pooled, `MIN_ADDED_PRECISION`."""
    for threshold in THRESHOLDS:
        if (
            all(f.combined[threshold].precision >= MIN_FOLD_PRECISION for f in folds)
            and added_precision(folds, threshold) >= MIN_ADDED_PRECISION
        ):
            return threshold
    return THRESHOLDS[-1]


def print_folds(folds: Sequence[Fold], chosen: float) -> None:
    print("leave-one-writer-out cross-validation (spam precision P and recall R on the file left")
    print(f"out; model and combination at the chosen threshold {chosen}):")
    print(f"  {'held-out writer':28} {'rules alone':19} {'model alone':19} combined")
    for fold in folds:
        print(
            f"  {fold.writer:28} {fold.rules.cell():19} {fold.model[chosen].cell():19}"
            f" {fold.combined[chosen].cell()}"
        )
    print(
        "combined precision / recall per threshold (the worst fold's precision and the"
        " model's additions, spam/not spam, first):"
    )
    for threshold in THRESHOLDS:
        worst = min(f.combined[threshold].precision for f in folds)
        spam = sum(f.added[threshold][0] for f in folds)
        other = sum(f.added[threshold][1] for f in folds)
        cells = "  ".join(f.combined[threshold].cell() for f in folds)
        print(f"  {threshold:<5} worst P {worst:.3f} added {spam:3}/{other:<2} {cells}")


# --- the weights file ----------------------------------------------------------------------------


def weights_json(model: SpamModel, threshold: float, paths: Sequence[Path], posts: int) -> str:
    """The weights file: sorted keys, fixed digits, one feature a line (so a diff reads)."""
    data = {
        "format": FORMAT,
        "about": "mentionwatch's spam model; written by scripts/train_spam_model.py",
        "trained_on": {path.name: sha256(path)[:16] for path in paths},
        "posts": posts,
        "settings": {
            "seed": SEED,
            "epochs": EPOCHS,
            "learning_rate": LEARNING_RATE,
            "l2": L2,
            "min_writers": MIN_WRITERS,
            "min_count": MIN_COUNT,
            "prune": PRUNE,
        },
        "uses_rules": model.uses_rules,
        "threshold": threshold,
        "threshold_logit": model.threshold,
        "bias": model.bias,
        "weights": {f.decode(): w for f, w in sorted(model.weights.items())},
    }
    return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train mentionwatch's spam model.")
    parser.add_argument("--data", type=Path, nargs="+", default=list(TUNING_FILES))
    parser.add_argument("--out", type=Path, default=OUT)
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
    examples = load(args.data)
    print(f"{len(examples)} posts ({sum(e.spam for e in examples)} spam) from:")
    for path in args.data:
        print(f"  {path.name}: {sum(e.writer == path.name for e in examples)} posts")
    threshold = args.threshold
    if not args.no_cv and len(args.data) > 1:
        folds = cross_validate(examples)
        chosen = choose_threshold(folds)
        print_folds(folds, chosen)
        threshold = threshold or chosen
    if threshold is None and args.check and args.out.exists():
        threshold = float(json.loads(args.out.read_text(encoding="utf-8"))["threshold"])
    threshold = threshold or THRESHOLDS[-1]
    bias, weights = train(examples)
    model = to_model(bias, weights, threshold)
    text = weights_json(model, threshold, args.data, len(examples))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'the same as a retrain' if same else 'DIFFERS from a retrain'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    training = [combined(model, e) for e in examples]
    print(f"threshold {threshold}: {len(model.weights)} weights, {len(text)} bytes -> {args.out}")
    for path in args.data:
        inside = [(e.spam, g) for e, g in zip(examples, training, strict=True)]
        mine = [pair for pair, e in zip(inside, examples, strict=True) if e.writer == path.name]
        found = scores([t for t, _ in mine], [g for _, g in mine])
        print(f"  on its own training data, {path.name}: combined {found.cell()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
