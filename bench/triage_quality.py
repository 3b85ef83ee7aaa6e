"""Triage quality: bare VADER and mentionwatch's classifier against human labels, side by side.

Reads a labelled JSONL file (default ``tests/data/triage_heldout.jsonl``, the held-out part of
the set issue 5 asks for), one post per line with ``text``, ``label`` (negative, neutral or
positive), ``spam`` (bool) and ``question`` (bool), and optionally ``brand`` (the brand the
post was found for); other fields are ignored. Every post is classified twice, with the
default thresholds (``SentimentConfig()``, not any user config):

- **bare VADER**: ``mentionwatch.classify.sentiment.bare_vader``, VADER alone, long texts
  combined sentence by sentence the same way mentionwatch does. It has no notion of spam or
  questions: it never flags either.
- **mentionwatch**: ``mentionwatch.classify.verdict.assess``, the full verdict (VADER plus the
  domain layer, spam, question), exactly what a scan stores. A scan always knows the brand it
  searched for, and the spam rules need it to tell the brand's name used for something else
  ("my cat Acme", "Acme FC") from a mention of the brand: so a line with a ``brand`` field is
  assessed with ``(brand,)`` as the brand's terms. A line without one is assessed without
  terms, as before. The header says which mode ran (with terms, without, or mixed).

The inbox is the open *negative* mentions, and spam never enters it, so the class that matters
is "negative and not spam":

- truth: negative when ``label`` is negative and ``spam`` is false (a spam post is never a
  complaint to answer, whatever its words);
- mentionwatch predicts negative when its label is negative and it did not flag spam
  (``verdict.is_negative``); bare VADER when its label is negative.

Neutral and positive (reported for both, for reference) follow the first labelled files'
convention, which labels every spam post neutral: a spam post is neutral in truth whatever
its ``label`` (later writers label some spam positive or negative: "made $4,000 this
week!"), a post flagged spam counts as a neutral prediction, any other post as its sentiment
label. Spam and question are yes/no flags scored on every post. Precision, recall and F1
come from ``mentionwatch.evaluate``; a precision over zero predictions is shown as "-".

"Neutral and positive posts that would land in the inbox" counts the truly neutral or
positive, non-spam posts that a classifier calls negative (and, for mentionwatch, not spam):
posts a support team would be asked to answer for nothing. Spam posts that would land in the
inbox and complaints that would not are counted next to them.

The targets of issue 5 are printed with a verdict, for mentionwatch: negative recall at least
0.80 with negative precision at least 0.85; spam precision at least 0.95 with recall at least
0.70. They are only a *result* on the held-out file. On the development file
(``--data tests/data/triage_dev.jsonl``), which the classifier was tuned on, the same figures
are printed but labelled as the development part: they show how well the rules fit what they
were written for, not how well they generalise.

This script only measures: it changes no threshold, lexicon or rule, and it prints no
individual post, so that nobody tunes on the held-out part by reading its misses.

Run from the repository root, in the dev venv::

    python bench/triage_quality.py                                   # held-out part
    python bench/triage_quality.py --markdown                        # tables for BENCHMARKS.md
    python bench/triage_quality.py --data tests/data/triage_dev.jsonl   # development part
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mentionwatch
from mentionwatch.classify.sentiment import bare_vader
from mentionwatch.classify.verdict import assess, is_negative
from mentionwatch.config import SentimentConfig
from mentionwatch.evaluate import ClassScores, class_scores, flag_scores
from mentionwatch.models import Classification, SentimentLabel

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "tests" / "data" / "triage_heldout.jsonl"
DEV = ROOT / "tests" / "data" / "triage_dev.jsonl"
LEXICON = ROOT / "src" / "mentionwatch" / "classify" / "domain_lexicon.toml"
LABELS = ("negative", "neutral", "positive")

#: Issue 5's targets.
TARGET_NEG_RECALL, TARGET_NEG_PRECISION = 0.80, 0.85
TARGET_SPAM_PRECISION, TARGET_SPAM_RECALL = 0.95, 0.70


@dataclass(frozen=True, slots=True)
class Post:
    text: str
    label: str
    spam: bool
    question: bool
    #: The brand the post was found for, when the file says (given to `assess` as its terms).
    brand: str = ""

    @property
    def triage(self) -> str:
        """The truth as the inbox sees it: a spam post is never a complaint (nor praise):
        neutral, whatever its label."""
        return "neutral" if self.spam else self.label


@dataclass(frozen=True, slots=True)
class Predicted:
    """One classifier's answer for one post, reduced to what is scored."""

    triage: str  # negative (in the inbox), neutral or positive
    spam: bool
    question: bool


def load(path: Path) -> list[Post]:
    posts = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                post = Post(
                    str(row["text"]),
                    str(row["label"]),
                    bool(row["spam"]),
                    bool(row["question"]),
                    str(row.get("brand") or ""),
                )
            except (ValueError, KeyError, TypeError) as error:
                raise SystemExit(f"{path}:{number}: not a labelled post: {error}") from None
            if post.label not in LABELS:
                raise SystemExit(f"{path}:{number}: label {post.label!r} not in {LABELS}")
            posts.append(post)
    if not posts:
        raise SystemExit(f"{path}: no posts")
    return posts


def from_vader(verdict: Classification) -> Predicted:
    return Predicted(verdict.label.value, spam=False, question=False)


def from_mentionwatch(verdict: Classification) -> Predicted:
    if is_negative(verdict):
        triage = SentimentLabel.NEGATIVE.value
    elif verdict.spam:
        triage = SentimentLabel.NEUTRAL.value  # the labelled file's convention for spam
    else:
        triage = verdict.label.value
    return Predicted(triage, verdict.spam, verdict.question)


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    classes: dict[str, ClassScores]  # negative, neutral, positive, spam, question
    #: Truly neutral/positive non-spam posts called negative: (neutral, positive, of how many).
    leaked_neutral: int
    leaked_positive: int
    calm_posts: int
    spam_in_inbox: int
    spam_posts: int
    missed_complaints: int
    complaints: int


def report(name: str, posts: Sequence[Post], predictions: Sequence[Predicted]) -> Report:
    pairs = [(p.triage, q.triage) for p, q in zip(posts, predictions, strict=True)]
    classes = {label: class_scores(pairs, label) for label in LABELS}
    classes["spam"] = flag_scores(
        ((p.spam, q.spam) for p, q in zip(posts, predictions, strict=True)), "spam"
    )
    classes["question"] = flag_scores(
        ((p.question, q.question) for p, q in zip(posts, predictions, strict=True)), "question"
    )
    calm = [
        (p, q)
        for p, q in zip(posts, predictions, strict=True)
        if p.triage in ("neutral", "positive") and not p.spam
    ]
    spam = [q for p, q in zip(posts, predictions, strict=True) if p.spam]
    complaints = [q for p, q in zip(posts, predictions, strict=True) if p.triage == "negative"]
    return Report(
        name,
        classes,
        leaked_neutral=sum(1 for p, q in calm if q.triage == "negative" and p.label == "neutral"),
        leaked_positive=sum(1 for p, q in calm if q.triage == "negative" and p.label == "positive"),
        calm_posts=len(calm),
        spam_in_inbox=sum(1 for q in spam if q.triage == "negative"),
        spam_posts=len(spam),
        missed_complaints=sum(1 for q in complaints if q.triage != "negative"),
        complaints=len(complaints),
    )


# --- output ---------------------------------------------------------------------------------


def _render(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(col) for col in column) for column in zip(header, *rows, strict=True)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def _cells(scores: ClassScores) -> list[str]:
    precision = f"{scores.precision:.3f}" if scores.predicted else "-"
    return [str(scores.predicted), precision, f"{scores.recall:.3f}", f"{scores.f1:.3f}"]


def scores_table(vader: Report, mw: Report, markdown: bool) -> str:
    header = (
        "class",
        "truly in class",
        "VADER predicted",
        "VADER precision",
        "VADER recall",
        "VADER F1",
        "mentionwatch predicted",
        "mentionwatch precision",
        "mentionwatch recall",
        "mentionwatch F1",
    )
    names = {
        "negative": "negative (the inbox)",
        "spam": "spam (VADER: never)",
        "neutral": "neutral (spam counted neutral)",
        "positive": "positive",
        "question": "question (VADER: never)",
    }
    rows = [
        [title, str(mw.classes[key].support), *_cells(vader.classes[key]), *_cells(mw.classes[key])]
        for key, title in names.items()
    ]
    return _render(header, rows, markdown)


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.1f} %)" if whole else f"{part} of 0"


def inbox_table(vader: Report, mw: Report, markdown: bool) -> str:
    header = ("the inbox (negative, not spam)", "VADER", "mentionwatch")
    rows = [
        [
            "neutral and positive posts (not spam) in it",
            _share(vader.leaked_neutral + vader.leaked_positive, vader.calm_posts),
            _share(mw.leaked_neutral + mw.leaked_positive, mw.calm_posts),
        ],
        [
            "... of which neutral",
            _share(vader.leaked_neutral, vader.calm_posts),
            _share(mw.leaked_neutral, mw.calm_posts),
        ],
        [
            "... of which positive",
            _share(vader.leaked_positive, vader.calm_posts),
            _share(mw.leaked_positive, mw.calm_posts),
        ],
        [
            "spam posts in it",
            _share(vader.spam_in_inbox, vader.spam_posts),
            _share(mw.spam_in_inbox, mw.spam_posts),
        ],
        [
            "complaints missing from it",
            _share(vader.missed_complaints, vader.complaints),
            _share(mw.missed_complaints, mw.complaints),
        ],
    ]
    return _render(header, rows, markdown)


def verdicts(mw: Report) -> list[tuple[str, bool]]:
    neg, spam = mw.classes["negative"], mw.classes["spam"]
    return [
        (
            f"negative recall {neg.recall:.3f} >= {TARGET_NEG_RECALL:.2f} with precision"
            f" {neg.precision:.3f} >= {TARGET_NEG_PRECISION:.2f}",
            neg.recall >= TARGET_NEG_RECALL and neg.precision >= TARGET_NEG_PRECISION,
        ),
        (
            f"spam precision {spam.precision:.3f} >= {TARGET_SPAM_PRECISION:.2f} with recall"
            f" {spam.recall:.3f} >= {TARGET_SPAM_RECALL:.2f}",
            spam.precision >= TARGET_SPAM_PRECISION and spam.recall >= TARGET_SPAM_RECALL,
        ),
    ]


def describe(path: Path, posts: Sequence[Post]) -> tuple[str, str]:
    """What the file is (held-out, development, other) and its contents, for the header."""
    resolved = path.resolve()
    if resolved == HELDOUT.resolve():
        part = "HELD-OUT part (never tuned on): these are the results"
    elif resolved == DEV.resolve():
        part = (
            "DEVELOPMENT part (the classifier was tuned on it): NOT a result,"
            " only how well the rules fit what they were written for"
        )
    else:
        part = "a labelled file from outside tests/data (not the project's split)"
    counts = {label: sum(1 for p in posts if p.triage == label) for label in LABELS}
    contents = (
        f"{len(posts)} posts: {counts['negative']} negative, {counts['neutral']} neutral"
        f" (of which {sum(p.spam for p in posts)} spam), {counts['positive']} positive;"
        f" {sum(p.question for p in posts)} questions"
    )
    return part, contents


def _sha(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "?"


def brand_mode(posts: Sequence[Post]) -> str:
    """Which brand terms `assess` was given, for the header."""
    with_brand = sum(1 for p in posts if p.brand)
    if with_brand == len(posts):
        return "every post assessed with its line's brand as the brand's terms"
    if not with_brand:
        return "no brand field: posts assessed without brand terms"
    return (
        f"{with_brand} of {len(posts)} posts assessed with their line's brand as the brand's"
        " terms, the others without"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Bare VADER and mentionwatch against human labels: precision, recall, F1."
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=HELDOUT,
        help="labelled JSONL (default tests/data/triage_heldout.jsonl; the development part is"
        " tests/data/triage_dev.jsonl)",
    )
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    posts = load(args.data)
    thresholds = SentimentConfig()  # the defaults: this measures, it never tunes
    vader = report("bare VADER", posts, [from_vader(bare_vader(p.text, thresholds)) for p in posts])
    mw = report(
        "mentionwatch",
        posts,
        [
            from_mentionwatch(assess(p.text, thresholds, (p.brand,) if p.brand else ()))
            for p in posts
        ],
    )

    part, contents = describe(args.data, posts)
    try:
        shown = args.data.resolve().relative_to(ROOT)
    except ValueError:
        shown = args.data
    print(f"data: {shown} (sha256 {_sha(args.data)}): {part}")
    print(f"      {contents}")
    print(f"      brand terms: {brand_mode(posts)}")
    print(
        f"mentionwatch {mentionwatch.__version__}, domain_lexicon.toml sha256 {_sha(LEXICON)},"
        f" thresholds negative <= {thresholds.negative:g}, positive >= {thresholds.positive:g}"
    )
    print()
    print(scores_table(vader, mw, args.markdown))
    print()
    print(inbox_table(vader, mw, args.markdown))
    print()
    prefix = "" if args.data.resolve() == HELDOUT.resolve() else "(development part, not a result) "
    if args.data.resolve() not in (HELDOUT.resolve(), DEV.resolve()):
        prefix = "(outside file) "
    for text, holds in verdicts(mw):
        print(f"{prefix}target {'holds' if holds else 'DOES NOT HOLD'}: {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
