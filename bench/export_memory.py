"""Export memory: `mentionwatch export` of 100,000 mentions against 10,000, peak RSS, in one run.

Issue 7 target: "Export of 100,000 mentions streams with flat memory". Flat means the peak
resident memory of the export process does not grow with the number of mentions: the ratio
of the peak at 100,000 to the peak at 10,000 is about 1x (the target: at most 1.2x).

- **Data.** Two temporary SQLite databases of ``--sizes`` mentions (10,000 and 100,000), each
  written through the project's own ``Store.save_poll`` (so the FTS5 triggers and every column
  are exercised) in chunks of 2,000, from a fixed ``--seed``: posts of 20-80 words from a small
  word pool, a third with domain-layer hits, one in twenty with spam signals, a few hundred
  characters of text each.
- **Sides.** For each format (``jsonl``, ``csv``, ``json``): the real command,
  ``python -m mentionwatch export --db DB --format F``, in a child process, its stdout read
  by this process as it comes (and the rows counted, to check the export is complete). The
  **baseline** is a child that does what a non-streaming export would: read every mention
  into a list (``list(store.export_mentions())``), then build the whole JSON Lines text in
  memory and write it. It shows what "not flat" looks like on the same data.
- **Measure.** The child's peak resident set size (``ru_maxrss`` from ``os.wait4``: exactly
  that child, nothing else). Each side runs ``--repeat`` times (3), sizes and formats
  interleaved; the table shows min and median, and the ratio of the medians (largest size
  over smallest).
- The interpreter, Typer, Rich and SQLite alone take a few tens of MB: the first row of the
  table (``mentionwatch --version``) shows that floor, so the growth above it can be read too.

Run from the repository root, in the dev venv::

    python bench/export_memory.py                  # 10,000 and 100,000 mentions, 3 runs
    python bench/export_memory.py --markdown       # the table for BENCHMARKS.md
    python bench/export_memory.py --sizes 10000 100000 300000 --repeat 5

Generating 100,000 mentions takes about 15 s, each export a few seconds; a default run takes
about three minutes (the baseline at 100,000 mentions is the slowest side).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO

import hostinfo

from mentionwatch.models import (
    Classification,
    Mention,
    ScoredMention,
    SearchResult,
    SentimentLabel,
    SourceState,
)
from mentionwatch.store import Store

FORMATS = ("jsonl", "csv", "json")
#: The flatness target: peak RSS at the largest size over peak RSS at the smallest.
TARGET_RATIO = 1.2
CHUNK = 2000
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
WORDS = [
    "acme", "app", "sync", "refund", "invoice", "billing", "login", "crash", "update", "support",
    "team", "order", "delivery", "weeks", "days", "again", "still", "never", "finally", "great",
    "love", "broken", "slow", "fast", "export", "import", "phone", "laptop", "server", "outage",
    "charged", "twice", "account", "password", "reset", "email", "reply", "waiting", "ticket",
    "feature", "release", "version", "beta", "dashboard", "report", "chart", "plan", "annual",
    "monthly", "price",
]  # fmt: skip
HITS = (("word", "broken", -1.8), ("rule", "charged twice", -2.0), ("emoji", "🙂", 0.9))

#: What a non-streaming export does: every row in a list, the whole text in memory.
BASELINE = """
import sys
from pathlib import Path
from mentionwatch.store import Store
from mentionwatch.views.export import export_record, json_text
with Store.open(Path(sys.argv[1])) as store:
    mentions = list(store.export_mentions())
    text = "".join(json_text(export_record(m), indent=None) + "\\n" for m in mentions)
sys.stdout.write(text)
"""


# --- data ---------------------------------------------------------------------------------------


def post(rng: random.Random, n: int) -> ScoredMention:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 80)))
    label = rng.choice(list(SentimentLabel))
    spam = n % 20 == 0
    mention = Mention(
        source=f"source-{n % 7}",
        kind="rss",
        native_id=f"post-{n}",
        url=f"https://news.example/{n}",
        title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))).capitalize(),
        text=f"Acme {words}.",
        created_at=NOW - timedelta(minutes=n),
        author=f"author_{rng.randint(1, 5000)}",
        matched_term="Acme",
        reach=rng.randint(0, 5000),
        thread_ref=f"thread-{n}",
    )
    verdict = Classification(
        compound={"negative": -0.6, "neutral": 0.0, "positive": 0.6}[label.value],
        label=label,
        snippet=words[:140],
        vader_compound=rng.uniform(-1, 1),
        hits=HITS[: n % 3],
        question=n % 9 == 0,
        spam=spam,
        spam_signals=("same text from 3 accounts", "link shortener") if spam else (),
    )
    return ScoredMention(mention, verdict)


def generate(path: Path, count: int, seed: int) -> None:
    """`count` mentions written through `Store.save_poll`, `CHUNK` per transaction."""
    rng = random.Random(seed)
    with Store.open(path) as store:
        for start in range(0, count, CHUNK):
            scored = [post(rng, n) for n in range(start, min(count, start + CHUNK))]
            for source in sorted({s.mention.source for s in scored}):
                polled = [s for s in scored if s.mention.source == source]
                result = SearchResult([s.mention for s in polled])
                store.save_poll(SourceState(source, "rss"), result, polled, NOW)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Side:
    name: str
    command: Callable[[Path], list[str]]
    #: Counts the rows in the output as it is read.
    count_rows: Callable[[IO[bytes]], int]
    peaks: dict[int, list[int]] = field(default_factory=dict)  # size -> peak RSS in KiB
    rows: dict[int, int] = field(default_factory=dict)


def count_lines(stream: IO[bytes]) -> int:
    return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 16), b""))


def count_json_records(stream: IO[bytes]) -> int:
    # `write_export_json` puts one record per line between "[" and "]".
    return sum(1 for line in stream if line.startswith(b"{"))


def count_csv_records(stream: IO[bytes]) -> int:
    reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8", newline=""))
    return sum(1 for _ in reader) - 1  # the header


def mentionwatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "mentionwatch", *args]


def export_side(fmt: str) -> Side:
    counter = {"jsonl": count_lines, "csv": count_csv_records, "json": count_json_records}[fmt]
    return Side(
        f"export --format {fmt}",
        lambda db: mentionwatch("export", "--db", str(db), "--format", fmt),
        counter,
    )


def run_child(argv: Sequence[str], count_rows: Callable[[IO[bytes]], int]) -> tuple[int, int]:
    """Run one child to the end; its peak RSS in KiB (Linux's unit) and the rows it wrote."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTIONWATCH_")}
    with tempfile.TemporaryDirectory() as home:
        # No user config is read: a broken one on this machine must not fail the benchmark.
        env["XDG_CONFIG_HOME"] = home
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
        assert process.stdout is not None
        rows = count_rows(process.stdout)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with status {process.returncode}")
    return int(usage.ru_maxrss), rows


# --- reporting --------------------------------------------------------------------------------


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def render(header: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def report(
    sides: Sequence[Side], floor: list[int], sizes: Sequence[int], markdown: bool
) -> tuple[str, list[str]]:
    small, large = min(sizes), max(sizes)
    header = ["side", "mentions", "rows written", "peak RSS min", "peak RSS median",
              f"ratio {large:,} / {small:,}"]  # fmt: skip
    rows = [["mentionwatch --version (floor)", "-", "-", mib(min(floor)),
             mib(statistics.median(floor)), "-"]]  # fmt: skip
    verdicts = []
    for side in sides:
        ratio = statistics.median(side.peaks[large]) / statistics.median(side.peaks[small])
        for size in sizes:
            peaks = side.peaks[size]
            rows.append(
                [
                    side.name,
                    f"{size:,}",
                    f"{side.rows[size]:,}",
                    mib(min(peaks)),
                    mib(statistics.median(peaks)),
                    f"{ratio:.2f}x" if size == large else "",
                ]
            )
        if side.name.startswith("export"):
            holds = "holds" if ratio <= TARGET_RATIO else "DOES NOT HOLD"
            verdicts.append(
                f"{side.name}: {ratio:.2f}x from {small:,} to {large:,} mentions"
                f" (target: at most {TARGET_RATIO}x): {holds}"
            )
    return render(header, rows, markdown), verdicts


def machine() -> str:
    return hostinfo.summary(f"SQLite {sqlite3.sqlite_version}")


@contextlib.contextmanager
def databases(sizes: Sequence[int], seed: int) -> Iterator[dict[int, Path]]:
    with tempfile.TemporaryDirectory(prefix="mentionwatch-export-bench-") as directory:
        paths = {}
        for size in sizes:
            began = time.perf_counter()
            paths[size] = Path(directory) / f"mentions-{size}.db"
            generate(paths[size], size, seed)
            megabytes = paths[size].stat().st_size / 1e6
            print(
                f"generated {size:,} mentions ({megabytes:.0f} MB)"
                f" in {time.perf_counter() - began:.0f} s",
                file=sys.stderr,
            )
        yield paths


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side and size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--no-baseline", action="store_true", help="skip the list baseline")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted(set(args.sizes))
    if len(sizes) < 2:
        raise SystemExit("give at least two --sizes to compare")
    print(machine(), file=sys.stderr)
    sides = [export_side(fmt) for fmt in args.formats]
    if not args.no_baseline:
        sides.append(
            Side(
                "baseline: list, then write (jsonl)",
                lambda db: [sys.executable, "-c", BASELINE, str(db)],
                count_lines,
            )
        )
    floor: list[int] = []
    with databases(sizes, args.seed) as paths:
        for run in range(args.repeat):
            floor.append(run_child(mentionwatch("--version"), count_lines)[0])
            for size in sizes:
                for side in sides:
                    peak, rows = run_child(side.command(paths[size]), side.count_rows)
                    if rows != size:
                        raise SystemExit(f"{side.name}: {rows:,} rows for {size:,} mentions")
                    side.peaks.setdefault(size, []).append(peak)
                    side.rows[size] = rows
                    print(f"run {run + 1}: {side.name}, {size:,}: {mib(peak)}", file=sys.stderr)
    table, verdicts = report(sides, floor, sizes, args.markdown)
    print(table)
    print()
    for verdict in verdicts:
        print(verdict)
    return 0 if all(v.endswith("holds") for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
