"""Triage speed: mentionwatch's classifier against bare VADER on the same texts, in one run.

Two comparisons, each interleaved repetition by repetition so that a noisy moment on a shared
machine hits every side alike, each reported as min and median of the repetitions and as a
ratio to the baseline measured in the same run:

1. **Short posts** (issue 5: the full classifier at most 1.3 times VADER's cost). The texts are
   every post of the labelled files (``tests/data/triage_dev.jsonl`` and
   ``tests/data/triage_heldout.jsonl``) of at most 140 characters (``--max-chars``), i.e. what
   mentionwatch scores whole, without splitting sentences. Three loops over the same list:

   - ``VADER``: ``analyzer().polarity_scores(text)``, the bare baseline (bound method);
   - ``classify_text``: ``mentionwatch.classify.sentiment.classify_text(text, cfg)``, VADER
     plus the domain layer, the issue's "full classifier": **the target is on this row**;
   - ``assess``: ``mentionwatch.classify.verdict.assess(text, cfg)``, which adds the spam and
     question rules: the full verdict a scan stores. Its ratio is printed against the same
     1.3x for information;
   - ``exact VADER``: ``mentionwatch.classify.vader.compound(text)``, mentionwatch's own
     implementation of VADER's algorithm that the classifier runs (exactly
     ``polarity_scores``'s compound, checked by ``tests/test_vader_equivalence.py``), for
     information: it shows how much of the classifier's cost is VADER and how much is the
     domain layer.

   The baseline is always the real vaderSentiment ``polarity_scores``, never our copy of it.

2. **Long posts** (issue 5: 500-word posts scored sentence by sentence at least 4 times faster
   than whole-text VADER). ``--long-posts`` posts (20) of about ``--words`` words (500) are
   built deterministically (``--seed``) by drawing sentences of the labelled files at random,
   with a paragraph break every few sentences. Sides:

   - ``VADER, whole text``: ``polarity_scores`` on the whole post, the baseline (VADER's cost
     grows faster than linearly with the length of the text it is given);
   - ``classify_text``: scores such a post sentence by sentence (VADER plus the domain layer
     per sentence, combined): **the target is on this row** (speed-up at least 4x);
   - ``bare_vader``: VADER alone, sentence by sentence, to show what the splitting buys and
     what the domain layer costs on top;
   - ``assess``: the full verdict, for information.

Method, as ``timeit`` does it: the configuration, VADER's analyzer and the domain layer are
built and every side is run once before any timing (so no side pays for loading a lexicon);
the number of passes over the texts per timing is calibrated once so that the baseline's
timing lasts at least ``--min-time`` seconds, and every side then does that same number of
passes; the garbage collector is off while a timing runs; each repetition times every side
once, in a rotating order. Figures are per post (µs for short posts, ms for long ones). The
ratio of the medians is the headline figure; the ratio of the mins is printed next to it.

The process runs on one core: Python runs these loops on one thread anyway, and the process
is pinned to a single CPU (``--cpu``; ``--no-pin`` to leave it free) so that it does not
migrate between cores mid-timing. The machine this runs on is usually shared, so read the
ratio, and compare min and median: when they are far apart, the run was noisy; run it again
or with more ``--repeat``.

All the work is pure Python on texts in memory: no database, no network, no files written.
The texts are the same on every pass, so if a per-text cache is ever added to the classifier
these figures would measure cache hits; the script refuses to run if it finds one (a
``functools`` cache on any of the functions timed or on VADER's steps).

Noise: after the tables, a line gives each side's spread, (median - min) / min over the
repetitions. A few per cent is a quiet machine; tens of per cent mean another job was
running: read the ratio of the mins, or run again.

Run from the repository root, in the dev venv::

    python bench/triage_speed.py                 # both comparisons, 7 and 5 repetitions
    python bench/triage_speed.py --markdown      # the tables for BENCHMARKS.md
    python bench/triage_speed.py --repeat 15 --long-repeat 9 --min-time 0.5   # calmer figures
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import hostinfo

import mentionwatch
from mentionwatch.classify import sentiment as sentiment_module
from mentionwatch.classify import vader as vader_module
from mentionwatch.classify import verdict as verdict_module
from mentionwatch.classify.sentiment import analyzer, bare_vader, classify_text
from mentionwatch.classify.verdict import assess
from mentionwatch.config import SentimentConfig
from mentionwatch.text import split_sentences

ROOT = Path(__file__).resolve().parent.parent
DATA = (
    ROOT / "tests" / "data" / "triage_dev.jsonl",
    ROOT / "tests" / "data" / "triage_heldout.jsonl",
)

#: Issue 5's targets.
TARGET_SHORT_RATIO = 1.3  # classify_text's cost per short post, at most this times VADER's
TARGET_LONG_SPEEDUP = 4.0  # sentence-by-sentence at least this many times faster on 500 words
TARGET_WORDS = 500


# --- the texts ------------------------------------------------------------------------------


def load_texts(paths: Sequence[Path]) -> list[str]:
    texts = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    try:
                        texts.append(str(json.loads(line)["text"]))
                    except (ValueError, KeyError, TypeError) as error:
                        raise SystemExit(f"{path}:{number}: no text: {error}") from None
    return texts


def long_posts(texts: Sequence[str], count: int, words: int, seed: int) -> list[str]:
    """`count` posts of at least `words` words, drawn from the sentences of `texts`.

    Deterministic for given texts and seed. Each sentence ends in punctuation (the labelled
    posts often do not), so that the post reads as prose and splits where a reader would;
    every 3 to 6 sentences a paragraph break."""
    sentences = []
    for text in texts:
        for sentence in split_sentences(text):
            sentences.append(sentence if sentence[-1] in ".!?…" else sentence + ".")
    rng = random.Random(seed)
    posts = []
    for _ in range(count):
        paragraphs: list[list[str]] = [[]]
        total = 0
        paragraph_length = rng.randint(3, 6)
        while total < words:
            sentence = rng.choice(sentences)
            if len(paragraphs[-1]) == paragraph_length:
                paragraphs.append([])
                paragraph_length = rng.randint(3, 6)
            paragraphs[-1].append(sentence)
            total += len(sentence.split())
        posts.append("\n\n".join(" ".join(p) for p in paragraphs))
    return posts


# --- timing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Side:
    name: str
    run: Callable[[Sequence[str]], None]  # one pass over every text


def vader_side(name: str) -> Side:
    polarity_scores = analyzer().polarity_scores

    def run(texts: Sequence[str]) -> None:
        for text in texts:
            polarity_scores(text)

    return Side(name, run)


def text_side(name: str, score: Callable[[str], object]) -> Side:
    def run(texts: Sequence[str]) -> None:
        for text in texts:
            score(text)

    return Side(name, run)


def classifier_side(name: str, classify: Callable[[str, SentimentConfig], object]) -> Side:
    cfg = SentimentConfig()

    def run(texts: Sequence[str]) -> None:
        for text in texts:
            classify(text, cfg)

    return Side(name, run)


def _timed(side: Side, texts: Sequence[str], passes: int) -> float:
    """Seconds for `passes` passes, with the garbage collector off (as timeit does)."""
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(passes):
            side.run(texts)
        return time.perf_counter() - start
    finally:
        if gc_was_on:
            gc.enable()


def calibrate(side: Side, texts: Sequence[str], min_time: float) -> int:
    """Passes (1, 2, 5, 10, 20, ...) for one timing of `side` to last at least `min_time`."""
    passes = 1
    while True:
        for step in (1, 2, 5):
            if _timed(side, texts, passes * step) >= min_time:
                return passes * step
        passes *= 10


@dataclass(frozen=True, slots=True)
class Timings:
    name: str
    per_post_s: list[float]

    @property
    def min(self) -> float:
        return min(self.per_post_s)

    @property
    def median(self) -> float:
        return statistics.median(self.per_post_s)


def _duration(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.1f} µs"


def measure(
    sides: Sequence[Side],
    texts: Sequence[str],
    repeat: int,
    min_time: float,
    log: Callable[[str], None],
    label: str,
) -> tuple[list[Timings], int]:
    for side in sides:
        side.run(texts)  # warm-up: every lazy build happens here, untimed
    passes = calibrate(sides[0], texts, min_time)
    log(f"{label}: {len(texts)} texts, {passes} passes per timing, {repeat} repetitions")
    seconds: dict[str, list[float]] = {side.name: [] for side in sides}
    for i in range(repeat):
        shift = i % len(sides)  # rotate the order: no side is always first after a pause
        for side in [*sides[shift:], *sides[:shift]]:
            seconds[side.name].append(_timed(side, texts, passes) / (passes * len(texts)))
        log(
            f"  run {i + 1}/{repeat}: "
            + ", ".join(f"{name} {_duration(s[-1])}" for name, s in seconds.items())
        )
    return [Timings(name, per_post) for name, per_post in seconds.items()], passes


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


def short_table(timings: Sequence[Timings], markdown: bool) -> tuple[str, list[str]]:
    base = timings[0]
    header = (
        "short posts",
        "µs/post min",
        "µs/post median",
        "x VADER (medians)",
        "x VADER (mins)",
        f"target <= {TARGET_SHORT_RATIO:g}x",
    )
    rows, verdicts = [], []
    for t in timings:
        ratio, ratio_mins = t.median / base.median, t.min / base.min
        if t is base:
            check = "(baseline)"
        elif t.name == "exact VADER":
            check = "(info)"
            verdicts.append(
                f"for information: short posts, mentionwatch's exact VADER costs {ratio:.2f}x"
                f" polarity_scores (medians; {ratio_mins:.2f}x of the mins)"
            )
        else:
            holds = ratio <= TARGET_SHORT_RATIO
            check = ("yes" if holds else "NO") + ("" if t.name == "classify_text" else " (info)")
            if t.name == "classify_text":
                verdicts.append(
                    f"target {'holds' if holds else 'DOES NOT HOLD'}: short posts,"
                    f" classify_text costs {ratio:.2f}x VADER (medians; {ratio_mins:.2f}x of"
                    f" the mins), at most {TARGET_SHORT_RATIO:g}x"
                )
            else:
                verdicts.append(
                    f"for information: short posts, {t.name} costs {ratio:.2f}x VADER"
                    f" (medians; {ratio_mins:.2f}x of the mins),"
                    f" {'within' if holds else 'over'} {TARGET_SHORT_RATIO:g}x"
                )
        rows.append(
            [
                t.name,
                f"{t.min * 1e6:.1f}",
                f"{t.median * 1e6:.1f}",
                f"{ratio:.2f}x",
                f"{ratio_mins:.2f}x",
                check,
            ]
        )
    return _render(header, rows, markdown), verdicts


def long_table(timings: Sequence[Timings], markdown: bool, words: int) -> tuple[str, list[str]]:
    base = timings[0]
    header = (
        "long posts",
        "ms/post min",
        "ms/post median",
        "speed-up (medians)",
        "speed-up (mins)",
        f"target >= {TARGET_LONG_SPEEDUP:g}x",
    )
    rows, verdicts = [], []
    for t in timings:
        speedup, speedup_mins = base.median / t.median, base.min / t.min
        if t is base:
            check = "(baseline)"
        elif t.name != "classify_text":
            check = "(info)"
        else:
            holds = speedup >= TARGET_LONG_SPEEDUP
            check = "yes" if holds else "NO"
            if words != TARGET_WORDS:
                check = f"n/a ({TARGET_WORDS} words)"
                verdicts.append(f"target not checked: stated for {TARGET_WORDS}-word posts")
            else:
                verdicts.append(
                    f"target {'holds' if holds else 'DOES NOT HOLD'}: {words}-word posts,"
                    f" classify_text is {speedup:.1f}x faster than whole-text VADER (medians;"
                    f" {speedup_mins:.1f}x of the mins), at least {TARGET_LONG_SPEEDUP:g}x"
                )
        rows.append(
            [
                t.name,
                f"{t.min * 1e3:.2f}",
                f"{t.median * 1e3:.2f}",
                f"{speedup:.1f}x",
                f"{speedup_mins:.1f}x",
                check,
            ]
        )
    return _render(header, rows, markdown), verdicts


def noise(timings: Sequence[Timings]) -> str:
    """Each side's spread over the repetitions, (median - min) / min: how noisy the run was."""
    spreads = ", ".join(f"{t.name} {(t.median - t.min) / t.min:.0%}" for t in timings)
    return f"Noise, (median - min) / min over the repetitions: {spreads}."


def machine() -> str:
    load = ""
    with contextlib.suppress(OSError, AttributeError):
        load = ", load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    return hostinfo.summary() + load


def pin(cpu: int | None) -> str:
    """Pin this process to one CPU (the first it may use, or `cpu`); say what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here); Python runs the loops on one thread"
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[0] if cpu is None else cpu
    try:
        os.sched_setaffinity(0, {chosen})
    except OSError as error:
        return f"not pinned ({error}); Python runs the loops on one thread"
    return f"pinned to CPU {chosen}"


def refuse_caches() -> None:
    """The loops repeat the same texts: a per-text cache would turn this into a cache test."""
    for module in (sentiment_module, verdict_module, vader_module):
        for name in ("classify_text", "assess", "bare_vader", "vader_compound", "compound", "read"):
            if hasattr(getattr(module, name, None), "cache_info"):
                raise SystemExit(
                    f"{module.__name__}.{name} caches its results: these loops repeat the same"
                    " texts, so they would time cache hits. Give the benchmark a way to clear"
                    " the cache between passes first."
                )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="mentionwatch's classifier against bare VADER: short posts and long posts."
    )
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        default=list(DATA),
        help="labelled JSONL files whose texts are used (default: both parts in tests/data)",
    )
    parser.add_argument(
        "--max-chars", type=int, default=140, help="longest short post, in characters (140)"
    )
    parser.add_argument("--repeat", type=int, default=7, help="repetitions, short posts (7)")
    parser.add_argument("--long-repeat", type=int, default=5, help="repetitions, long posts (5)")
    parser.add_argument(
        "--min-time",
        type=float,
        default=0.2,
        help="seconds the baseline's timing lasts at least; sets the passes per timing (0.2)",
    )
    parser.add_argument("--long-posts", type=int, default=20, help="long posts generated (20)")
    parser.add_argument("--words", type=int, default=TARGET_WORDS, help="words per long post")
    parser.add_argument("--seed", type=int, default=2026, help="seed for the long posts (2026)")
    parser.add_argument("--cpu", type=int, help="CPU to pin to (default: the first allowed)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    parser.add_argument("--skip-long", action="store_true", help="only the short-posts comparison")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args(argv)
    if min(args.max_chars, args.repeat, args.long_repeat, args.long_posts, args.words) < 1:
        parser.error("counts and sizes must be at least 1")
    if args.min_time <= 0:
        parser.error("--min-time must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    refuse_caches()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    pinned = "not pinned (--no-pin)" if args.no_pin else pin(args.cpu)
    texts = load_texts(args.data)
    short = [text for text in texts if len(text) <= args.max_chars]
    if not short:
        raise SystemExit(f"no text of at most {args.max_chars} characters in {args.data}")
    log(f"machine: {machine()}; {pinned}")
    log(f"mentionwatch {mentionwatch.__version__}")

    short_sides = [
        vader_side("VADER"),
        classifier_side("classify_text", classify_text),
        classifier_side("assess", assess),
        text_side("exact VADER", vader_module.compound),
    ]
    short_timings, short_passes = measure(
        short_sides, short, args.repeat, args.min_time, log, "short posts"
    )
    mean_chars = sum(map(len, short)) / len(short)
    print(
        f"Short posts: {len(short)} texts of at most {args.max_chars} characters (mean"
        f" {mean_chars:.0f}) from {len(texts)} labelled posts; {short_passes} passes per"
        f" timing, {args.repeat} repetitions, interleaved; {pinned}."
    )
    table, verdicts = short_table(short_timings, args.markdown)
    print()
    print(table)
    print()
    print(noise(short_timings))
    print()

    if not args.skip_long:
        posts = long_posts(texts, args.long_posts, args.words, args.seed)
        long_sides = [
            vader_side("VADER, whole text"),
            classifier_side("classify_text", classify_text),
            classifier_side("bare_vader", bare_vader),
            classifier_side("assess", assess),
        ]
        long_timings, long_passes = measure(
            long_sides, posts, args.long_repeat, args.min_time, log, "long posts"
        )
        words = [len(post.split()) for post in posts]
        sentences = [len(split_sentences(post)) for post in posts]
        print(
            f"Long posts: {len(posts)} posts of {min(words)}-{max(words)} words"
            f" ({min(sentences)}-{max(sentences)} sentences, seed {args.seed}) built from"
            f" the labelled posts' sentences; {long_passes} passes per timing,"
            f" {args.long_repeat} repetitions, interleaved."
        )
        table, more = long_table(long_timings, args.markdown, args.words)
        verdicts += more
        print()
        print(table)
        print()
        print(noise(long_timings))
        print()

    for line in verdicts:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
