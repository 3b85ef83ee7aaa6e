"""The issue 8 harness: every performance pair, side by side, in one run.

Each pair puts something mentionwatch does next to a baseline, runs the two interleaved (run 1
of one side, run 1 of the other, run 2 of the first...; the order alternates), and reports the
min and median of each side and the ratio of the medians against the issue's target:

====================  ==========================================  =============================
pair                  mentionwatch                                baseline
====================  ==========================================  =============================
startup --version     ``mentionwatch --version``                  ``python -c "import typer"``
startup --help        ``mentionwatch --help``                     ``python -c "import typer"``
inbox                 ``mentionwatch inbox --limit 50``, 1M       the same on an empty database
stats                 ``mentionwatch stats --since 30d``, 1M      the same on an empty database
ingest                50,000 short posts as a scan takes them:    ``polarity_scores`` over the
                      normalize, classify (``PollScorer``, its    same texts
                      worker pool), ``Store.save_poll`` into a
                      fresh database
rescore               ``mentionwatch rescore`` of a copy of the   ``polarity_scores`` over the
                      1M database                                 same 1M texts
scan                  ``run_scan``: 50 feeds answering in 200 ms  one ``httpx.Client`` polling
                      (``bench/scan_concurrency.py``)             them one after another
memory                peak RSS of ``mentionwatch scan`` of one    the feed's size
                      15 MB feed from a local server
database size         bytes of a VACUUMed database per stored     the posts' text bytes
                      short post (the ingest pair's database)
====================  ==========================================  =============================

The 1M database comes from ``bench/generate.py`` (realistic mentions written through the
project's own ``Store``), cached under ``bench/.data/`` and reused while it is younger than a
week. CLI commands run as child processes of the installed console script (``mentionwatch``
next to ``sys.executable``), the way a user or cron runs them, with ``--config`` and ``--db``
naming files in a temporary directory and HOME / XDG directories pointing there too; output
goes to a file (not a terminal), ``COLUMNS=100``. Their wall time is measured around the child,
their peak memory and CPU time come from ``os.wait4`` for that one child.

Run from the repository root, in the dev venv::

    python bench/run.py                  # every pair, 5 runs each (about 25 min; 6-11 min
                                         # more the first time, to generate the 1M database)
    python bench/run.py --quick          # small sizes, 2 runs: a smoke test of the harness
    python bench/run.py --only inbox stats --runs 9
    python bench/run.py --write          # also rewrite the generated section of BENCHMARKS.md
    python bench/run.py --only inbox --profile   # cProfile of the mentionwatch side, once
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import generate
import hostinfo
from generate import BRAND_TOML

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
BEGIN = "<!-- bench/run.py:begin -->"
END = "<!-- bench/run.py:end -->"
PAIRS = ("version", "help", "inbox", "stats", "ingest", "rescore", "scan", "memory", "dbsize")
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
MB = 1_000_000


@dataclass(frozen=True)
class Sizes:
    """How big each pair's workload is: the issue's sizes, or small ones for `--quick`."""

    mentions: int = 1_000_000
    ingest_posts: int = 50_000
    #: Posts stored per `save_poll` in the ingest pair (a source's poll).
    ingest_batch: int = 100
    feed_bytes: int = 15 * MB
    scan_sources: int = 50
    scan_delay_s: float = 0.2


QUICK = Sizes(
    mentions=20_000,
    ingest_posts=5_000,
    feed_bytes=int(1.5 * MB),
    scan_sources=10,
    scan_delay_s=0.05,
)


# --- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    """One finished child process: wall time, its own peak RSS and CPU time, its output."""

    seconds: float
    peak_rss_bytes: int
    cpu_seconds: float
    returncode: int
    stdout: str
    stderr: str


def run_child(command: Sequence[str], env: dict[str, str]) -> Child:
    """Run `command` to completion; timed around the child only. Output goes to temporary
    files (a pipe could fill and stall the child); `os.wait4` reports the CPU time of this one
    child (RUSAGE_CHILDREN would sum all children so far). Its `peak_rss_bytes` is not the
    child's own: see `run_child_peak_rss`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(
            list(command), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Child(
            seconds=seconds,
            peak_rss_bytes=usage.ru_maxrss * 1024,  # kilobytes on Linux
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            returncode=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


#: Forks and runs argv[2:], then writes that child's own peak RSS (kilobytes) to argv[1].
#: `ru_maxrss` survives exec: a child forked straight from this process would report at least
#: this process's own RSS (all of the 1M mentions' texts, at times). Forked from this small
#: launcher instead, its figure starts from the launcher's ~10 MB, below any real peak.
PEAK_RSS_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child_peak_rss(command: Sequence[str], env: dict[str, str], scratch: Path) -> Child:
    """`run_child`, with the peak RSS of the command alone (see `PEAK_RSS_LAUNCHER`); the
    wall time includes the launcher's start (a few ms)."""
    report = scratch / "peak-rss.txt"
    launched = [sys.executable, "-I", "-S", "-c", PEAK_RSS_LAUNCHER, str(report), *command]
    child = run_child(launched, env)
    peak = int(report.read_text()) * 1024 if report.exists() else 0
    return Child(
        child.seconds, peak, child.cpu_seconds, child.returncode, child.stdout, child.stderr
    )


def checked(child: Child, what: str, ok: Sequence[int] = (0,)) -> Child:
    if child.returncode not in ok:
        raise RuntimeError(
            f"{what} exited with {child.returncode}:\n{child.stderr.strip()[-2000:]}"
        )
    return child


def interleave(
    sides: Sequence[Callable[[], float]], runs: int, log: Callable[[str], None], label: str
) -> list[list[float]]:
    """Run each side `runs` times, alternating the order run by run, so that a noisy moment
    (another job, a page-cache flush) hits both sides rather than one."""
    figures: list[list[float]] = [[] for _ in sides]
    for run in range(runs):
        order = list(range(len(sides)))
        if run % 2:
            order.reverse()
        for i in order:
            figures[i].append(sides[i]())
        shown = ", ".join(f"{f[-1]:.4g}" for f in figures)
        log(f"  {label}: run {run + 1}/{runs}: {shown}")
    return figures


@dataclass
class Pair:
    """One row of the table: the two sides' figures and how the ratio is judged."""

    key: str
    name: str
    ours_label: str
    baseline_label: str
    #: "time" (seconds), "bytes" (memory) or "size" (bytes per post).
    unit: str
    #: "at most": ours / baseline <= target; "at least": baseline / ours >= target (a speed-up
    #: or a relative throughput, from times); "under": ours / baseline < target; "report": no
    #: ratio target, `check` decides.
    rule: str
    target: float
    baseline: list[float]
    ours: list[float]
    notes: list[str] = field(default_factory=list)
    #: For "report" pairs: whether the stated condition holds, and what it is.
    check: bool | None = None
    target_text: str = ""

    @property
    def ratio(self) -> float:
        base, ours = statistics.median(self.baseline), statistics.median(self.ours)
        return base / ours if self.rule == "at least" else ours / base

    @property
    def passed(self) -> bool:
        if self.rule == "at most":
            return self.ratio <= self.target
        if self.rule == "at least":
            return self.ratio >= self.target
        if self.rule == "under":
            return self.ratio < self.target
        return bool(self.check)

    @property
    def target_label(self) -> str:
        if self.target_text:
            return self.target_text
        symbol = {"at most": "<=", "at least": ">=", "under": "<"}[self.rule]
        meaning = {
            "time": "ours/base" if self.rule == "at most" else "base/ours",
            "bytes": "peak/size",
            "size": "db/text",
        }[self.unit]
        return f"{meaning} {symbol} {self.target:g}x"


def _show(value: float, unit: str) -> str:
    if unit == "time":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "bytes":
        return f"{value / MB:.1f} MB"
    return f"{value:,.0f} B"


# --- the environment of every child ------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    """A temporary directory with a config file, an empty database and the child env."""

    root: Path
    config: Path
    empty_db: Path
    env: dict[str, str]
    cli: tuple[str, ...]


def mentionwatch_command() -> tuple[str, ...]:
    """The installed console script next to this interpreter (what users and cron run); the
    module form only when there is no script (an environment without the entry point)."""
    script = Path(sys.executable).with_name("mentionwatch")
    if script.exists():
        return (str(script),)
    return (sys.executable, "-m", "mentionwatch")


def make_workspace(root: Path) -> Workspace:
    from mentionwatch.store import Store

    unwanted = {*PROXY_VARIABLES, "PYTHONDONTWRITEBYTECODE"}
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MENTIONWATCH_") and name not in unwanted
    }
    env.update(
        HOME=str(root / "home"),
        XDG_CONFIG_HOME=str(root / "xdg-config"),
        XDG_DATA_HOME=str(root / "xdg-data"),
        COLUMNS="100",
        NO_PROXY="*",
        # Byte-code is cached, as in any installation, but here, not next to the sources:
        # with PYTHONDONTWRITEBYTECODE (set in some dev shells) every CLI start would compile
        # mentionwatch from source, tens of ms that no installed copy pays. The warm-up runs
        # fill this cache.
        PYTHONPYCACHEPREFIX=str(root / "pycache"),
    )
    config = root / "config.toml"
    config.write_text(BRAND_TOML + "\n" + generate.sources_toml(), encoding="utf-8")
    empty = root / "empty.db"
    Store.open(empty).close()  # created and migrated, as a first `mentionwatch` run leaves it
    return Workspace(root, config, empty, env, mentionwatch_command())


# --- the pairs ----------------------------------------------------------------------------


def startup_pair(
    ws: Workspace, flag: str, target: float, runs: int, log: Callable[[str], None]
) -> Pair:
    ours_command = [*ws.cli, flag]
    base_command = [sys.executable, "-c", "import typer"]

    def ours() -> float:
        return checked(run_child(ours_command, ws.env), f"mentionwatch {flag}").seconds

    def baseline() -> float:
        return checked(run_child(base_command, ws.env), "import typer").seconds

    ours(), baseline()  # warm-up: the page cache, not the interpreter
    base, mine = interleave([baseline, ours], runs, log, f"startup {flag}")
    return Pair(
        key=flag.strip("-"),
        name=f"startup `{flag}`",
        ours_label=f"`mentionwatch {flag}`",
        baseline_label='`python -c "import typer"`',
        unit="time",
        rule="at most",
        target=target,
        baseline=base,
        ours=mine,
    )


def database_pair(
    ws: Workspace,
    key: str,
    arguments: Sequence[str],
    big: Path,
    mentions: int,
    target: float,
    runs: int,
    log: Callable[[str], None],
) -> Pair:
    """A read command on the big database against the same on an empty one."""
    outputs: dict[Path, str] = {}

    def side(db: Path) -> Callable[[], float]:
        def run() -> float:
            command = [*ws.cli, *arguments, "--config", str(ws.config), "--db", str(db)]
            child = checked(run_child(command, ws.env), " ".join(arguments))
            outputs[db] = child.stdout
            return child.seconds

        return run

    side(big)(), side(ws.empty_db)()  # warm-up: the page cache
    base, mine = interleave([side(ws.empty_db), side(big)], runs, log, key)
    lines = outputs[big].count("\n")
    pair = Pair(
        key=key,
        name=f"`{' '.join(arguments)}`",
        ours_label=f"{mentions:,} mentions",
        baseline_label="empty database",
        unit="time",
        rule="at most",
        target=target,
        baseline=base,
        ours=mine,
    )
    pair.notes.append(f"its output on the big database: {lines} lines")
    return pair


def ingest_pair(
    ws: Workspace, sizes: Sizes, seed: int, runs: int, log: Callable[[str], None]
) -> tuple[Pair, Path]:
    """50,000 short posts: bare VADER against normalize, classify and store, the way a scan
    does them (`ingest_polls`). Returns the pair and the database the last run wrote (the
    database-size pair measures it)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from mentionwatch.classify.match import compile_matcher
    from mentionwatch.config import load_config
    from mentionwatch.models import Mention, ScoredMention, SearchResult
    from mentionwatch.scan import PollScorer
    from mentionwatch.store import Store
    from mentionwatch.text import html_to_text

    config = load_config(ws.config)
    now = datetime.now(timezone.utc)
    posts = generate.short_posts(sizes.ingest_posts, seed, now)
    texts = [post.text for post in posts]
    analyzer = SentimentIntensityAnalyzer()  # its lexicon is loaded once, outside the timing
    matcher = compile_matcher(config.brand.terms, config.brand.exclude)
    source_names = [f"mastodon-{i:02d}" for i in range(10)]
    stored_db = ws.root / "ingest-last.db"

    def bare_vader(sample: Sequence[str] = texts) -> float:
        began = time.perf_counter()
        for text in sample:
            analyzer.polarity_scores(text)
        return time.perf_counter() - began

    cpu_seconds: dict[str, list[float]] = {"this process": [], "workers": []}

    def children_cpu() -> float:
        """CPU seconds of the finished worker processes (the pool is shut down, and its
        workers waited for, at the end of each run)."""
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return used.ru_utime + used.ru_stime

    def ingest(sample: Sequence[generate.RawPost] = posts) -> float:
        path = ws.root / "ingest.db"
        for leftover in ws.root.glob("ingest.db*"):
            leftover.unlink()
        with Store.open(path) as store:  # created and migrated before the clock starts
            began, cpu, workers_cpu = time.perf_counter(), time.process_time(), children_cpu()
            new = asyncio.run(ingest_polls(sample, store))
            seconds = time.perf_counter() - began
            cpu_seconds["this process"].append(time.process_time() - cpu)
            cpu_seconds["workers"].append(children_cpu() - workers_cpu)
        if new != len(sample):
            raise RuntimeError(f"ingest stored {new} of {len(sample)} posts")
        return seconds

    async def ingest_polls(sample: Sequence[generate.RawPost], store: Store) -> int:
        """What `scan` does with its polls (`_Scan.poll_all`): each poll normalizes its
        posts, has them scored by the scan's `PollScorer` (in this process for the first
        `POOL_AFTER` posts, then by a worker pool) and is stored in its own transaction as
        soon as it is scored (the polls that finished meanwhile in one commit), while the
        others are being scored."""

        async def poll(start: int) -> tuple[str, list[Mention], list[ScoredMention]]:
            batch = sample[start : start + sizes.ingest_batch]
            name = source_names[(start // sizes.ingest_batch) % len(source_names)]
            mentions = [
                Mention(
                    source=name,
                    kind="mastodon",
                    native_id=post.native_id,
                    url=post.url,
                    title="",
                    text=html_to_text(post.html),
                    created_at=datetime.fromtimestamp(int(post.created_ts), timezone.utc),
                    author=post.author,
                    thread_ref=post.native_id,
                )
                for post in batch
            ]
            return name, mentions, await scorer.score(mentions)

        scorer = PollScorer(matcher, config.brand, config.sentiment)
        new = 0
        try:
            pending = {
                asyncio.create_task(poll(start))
                for start in range(0, len(sample), sizes.ingest_batch)
            }
            while pending:
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                # As `_Scan.poll_all`: the polls that finished meanwhile share one commit.
                with store.transaction():
                    for task in finished:
                        name, mentions, scored = task.result()
                        added, _ = store.save_poll(
                            store.source_state(name, "mastodon"),
                            SearchResult(mentions=mentions, items_seen=len(mentions)),
                            scored,
                            now,
                        )
                        new += added
        finally:
            scorer.close()
        return new

    # Warm-up: VADER's and the domain layer's lazy builds, regexes, SQLite's first pages.
    bare_vader(texts[:1000])
    ingest(posts[:1000])
    base, mine = interleave([bare_vader, ingest], runs, log, "ingest")
    for suffix in ("", "-wal", "-shm"):
        source = ws.root / f"ingest.db{suffix}"
        if source.exists():
            shutil.move(source, f"{stored_db}{suffix}")
    pair = Pair(
        key="ingest",
        name=f"ingest {len(posts):,} short posts",
        ours_label="normalize, classify, `save_poll`",
        baseline_label="bare `polarity_scores` loop",
        unit="time",
        rule="at least",
        target=0.8,
        baseline=base,
        ours=mine,
    )
    mean = sum(len(t) for t in texts) / len(texts)
    pair.notes.append(
        f"{len(posts):,} distinct Mastodon/Bluesky-style posts (mean {mean:.0f} characters,"
        f" as HTML for our side), {sizes.ingest_batch} per `save_poll` over"
        f" {len(source_names)} sources; per post: bare VADER"
        f" {statistics.median(base) / len(posts) * 1e6:.0f} µs, ours"
        f" {statistics.median(mine) / len(posts) * 1e6:.0f} µs (medians)"
    )
    runs_timed = slice(-len(mine), None)  # not the warm-up run
    per_post = {
        name: statistics.median(spent[runs_timed]) / len(posts) * 1e6
        for name, spent in cpu_seconds.items()
    }
    cpus = os.cpu_count() or 1
    # However well the work overlaps, the CPUs give at most `cpus` CPU-seconds a second:
    # the best ratio this much CPU per post allows, against bare VADER on one core.
    bound = statistics.median(base) / len(posts) * 1e6 * cpus / sum(per_post.values())
    pair.notes.append(
        "CPU per post (medians): "
        + ", ".join(f"{name} {micros:.0f} µs" for name, micros in per_post.items())
        + f"; {cpus} CPUs: with every CPU busy all the time, this CPU per post would allow"
        f" at most {bound:.2f}x"
    )
    return pair, stored_db


def rescore_pair(
    ws: Workspace, big: Path, mentions: int, runs: int, log: Callable[[str], None]
) -> Pair:
    """`mentionwatch rescore` of a fresh copy of the big database against bare VADER over the
    same texts (what rescore scores: title and text combined, as `text_to_score` does)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from mentionwatch.classify.sentiment import text_to_score

    connection = sqlite3.connect(f"file:{big}?mode=ro", uri=True)
    try:
        texts = [
            text_to_score(title, text)
            for title, text in connection.execute("SELECT title, text FROM mentions ORDER BY id")
        ]
    finally:
        connection.close()
    analyzer = SentimentIntensityAnalyzer()
    copy = ws.root / "rescore.db"
    reports: list[dict[str, float]] = []
    cores: list[float] = []

    def bare_vader() -> float:
        began = time.perf_counter()
        for text in texts:
            analyzer.polarity_scores(text)
        return time.perf_counter() - began

    def rescore() -> float:
        for leftover in ws.root.glob("rescore.db*"):
            leftover.unlink()
        shutil.copyfile(big, copy)  # a fresh copy each run, outside the timing
        command = [*ws.cli, "rescore", "--json", "--config", str(ws.config), "--db", str(copy)]
        child = checked(run_child(command, ws.env), "mentionwatch rescore")
        reports.append(json.loads(child.stdout))
        cores.append(child.cpu_seconds / child.seconds)
        return child.seconds

    base, mine = interleave([bare_vader, rescore], runs, log, "rescore")
    for leftover in ws.root.glob("rescore.db*"):
        leftover.unlink()
    pair = Pair(
        key="rescore",
        name=f"`mentionwatch rescore`, {mentions:,} mentions",
        ours_label="`mentionwatch rescore` (a fresh copy each run)",
        baseline_label="bare `polarity_scores` loop, same texts",
        unit="time",
        rule="at least",
        target=1.5,
        baseline=base,
        ours=mine,
    )
    last = reports[-1]
    pair.notes.append(
        f"rescore re-classified {int(last['mentions']):,} mentions and rewrote"
        f" {int(last['changed']):,} (label changed on {int(last['label_changes']):,});"
        f" CPU time / wall time of the rescore process: median {statistics.median(cores):.2f}"
        " (1.00 = one core busy; 2.00 = both)"
    )
    return pair


def scan_pair(sizes: Sizes, runs: int, log: Callable[[str], None]) -> Pair:
    """`bench/scan_concurrency.py`'s two sides: the real `run_scan` against a sequential poll,
    each feed on its own loopback address with the default `[http]` settings."""
    import scan_concurrency as sc

    n, delay = sizes.scan_sources, sizes.scan_delay_s
    lifetime = 120 + 4 * (runs + 1) * (1.5 * n * delay + 5)
    with sc.feed_server(n, delay, lifetime) as server:
        if server.many_hosts:
            urls, http, where = server.many_hosts, {}, f"{n} loopback hosts, default [http]"
        else:
            urls, http = server.one_host, {"concurrency": n, "per_host": n}
            where = f"one host ({server.note}), concurrency and per_host raised to {n}"
        sc.time_scan(urls, http), sc.time_sequential(urls)  # warm-up: imports, VADER lexicon
        base, mine = interleave(
            [lambda: sc.time_sequential(urls), lambda: sc.time_scan(urls, http)], runs, log, "scan"
        )
    pair = Pair(
        key="scan",
        name=f"scan of {n} sources at {delay * 1000:g} ms",
        ours_label="`run_scan` (bench/scan_concurrency.py)",
        baseline_label="sequential `httpx.Client` poll",
        unit="time",
        rule="at least",
        target=10.0,
        baseline=base,
        ours=mine,
    )
    pair.notes.append(
        f"{where}; the scan's median is {statistics.median(mine):.3f} s"
        f" (issue 4 also asks for under 1 s)"
    )
    return pair


def feed_body(size: int, seed: int) -> tuple[bytes, int]:
    """An RSS 2.0 feed of at least `size` bytes: blog-style posts (HTML descriptions of a few
    hundred words) naming the brand. Returns the body and its number of items."""
    import random
    from email.utils import format_datetime
    from html import escape

    rng = random.Random(f"{seed}:feed")
    kind = generate.KINDS["reddit"]
    now = datetime.now(timezone.utc).timestamp()
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Acme mentions</title><link>https://news.example/</link>"
        "<description>everything that names Acme</description>"
    )
    parts, length, items = [head], len(head), 0
    while length < size:
        title, text = generate.compose(kind, rng.choice(("negative", "positive", "neutral")), rng)
        html = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))
        when = format_datetime(datetime.fromtimestamp(now - items * 60, timezone.utc))
        item = (
            f"<item><title>{escape(title or 'Acme')}</title>"
            f"<link>https://news.example/posts/{items}</link>"
            f'<guid isPermaLink="false">feed-{items}</guid><pubDate>{when}</pubDate>'
            f"<author>writer{items % 500}@news.example (Writer {items % 500})</author>"
            f"<description>{escape(html)}</description></item>"
        )
        parts.append(item)
        length += len(item.encode())
        items += 1
    parts.append("</channel></rss>")
    return "".join(parts).encode(), items


@contextlib.contextmanager
def serving(bodies: dict[str, bytes]) -> Iterator[str]:
    """A loopback HTTP server in a thread serving `bodies` by path; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def memory_pair(
    ws: Workspace, sizes: Sizes, seed: int, runs: int, log: Callable[[str], None]
) -> Pair:
    """Peak RSS of `mentionwatch scan` reading one big feed, against the feed's size."""
    big, items = feed_body(sizes.feed_bytes, seed)
    small, _ = feed_body(1, seed)
    peaks: dict[str, list[float]] = {"big": [], "small": []}
    times: list[float] = []

    with serving({"/big.xml": big, "/small.xml": small}) as base_url:

        def scan(which: str) -> float:
            directory = ws.root / f"memory-{which}"
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir()
            config = directory / "config.toml"
            source = f'[[sources]]\nname = "{which}-feed"\nkind = "rss"\n'
            source += f'url = "{base_url}/{which}.xml"\n'
            config.write_text(BRAND_TOML + "\n" + source, encoding="utf-8")
            command = [*ws.cli, "scan", "--all", "--json", "--config", str(config)]
            command += ["--db", str(directory / "mentionwatch.db")]
            child = checked(
                run_child_peak_rss(command, ws.env, directory), f"mentionwatch scan ({which} feed)"
            )
            report = json.loads(child.stdout)
            if report["failed"]:
                raise RuntimeError(f"the scan of the {which} feed failed: {report['sources']}")
            peaks[which].append(child.peak_rss_bytes)
            if which == "big":
                times.append(child.seconds)
                if report["new"] != items:
                    log(f"  note: the scan stored {report['new']} of {items} items")
            return float(child.peak_rss_bytes)

        # The one-item scan runs in turn with the big one: the floor, for the notes.
        _, mine = interleave([lambda: scan("small"), lambda: scan("big")], runs, log, "memory")
    pair = Pair(
        key="memory",
        name=f"peak memory, scan of a {len(big) / MB:.1f} MB feed",
        ours_label="peak RSS of `mentionwatch scan`",
        baseline_label="the feed's size",
        unit="bytes",
        rule="under",
        target=10.0,
        baseline=[float(len(big))] * len(mine),
        ours=mine,
    )
    pair.notes.append(
        f"{items:,} items of blog-style HTML; the same scan of a one-item feed peaks at"
        f" {statistics.median(peaks['small']) / MB:.1f} MB (the interpreter and its imports);"
        f" the big scan took {statistics.median(times):.1f} s (median)"
    )
    return pair


def database_size_pair(stored: Path, big: Path | None) -> Pair:
    """Bytes per stored short post after VACUUM, against the posts' text bytes; what takes
    the space; whether any raw payload is stored twice."""
    compact = stored.with_name("ingest-vacuumed.db")
    connection = sqlite3.connect(stored)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute(f"VACUUM INTO '{compact}'")
        rows = connection.execute("SELECT count(*) FROM mentions").fetchone()[0]
        text_bytes = connection.execute(
            "SELECT sum(length(CAST(title AS BLOB)) + length(CAST(text AS BLOB))) FROM mentions"
        ).fetchone()[0]
        columns = [row[1] for row in connection.execute("PRAGMA table_info(mentions)")]
    finally:
        connection.close()
    per_post = compact.stat().st_size / rows
    text_per_post = text_bytes / rows
    raw = [c for c in columns if any(w in c for w in ("raw", "payload", "json", "body", "html"))]
    pair = Pair(
        key="dbsize",
        name="database size per stored short post",
        ours_label="VACUUMed database bytes / posts",
        baseline_label="title + text bytes (UTF-8) / posts",
        unit="size",
        rule="report",
        target=0.0,
        baseline=[text_per_post],
        ours=[per_post],
        check=not raw,
        target_text="report; no raw payload",
    )
    pair.notes.append(
        f"{rows:,} posts (the ingest pair's database), {compact.stat().st_size / MB:.1f} MB"
        " after VACUUM. "
        + (
            f"Columns that may hold a raw payload: {', '.join(raw)}."
            if raw
            else "No column holds a raw payload (no raw/payload/json/body/html column in"
            " `mentions`)."
        )
    )
    pair.notes.append("where the bytes go: " + space_breakdown(compact))
    if big is not None:
        pair.notes.append(f"the generated {big.stat().st_size / MB:,.0f} MB database: "
                          + space_breakdown(big))  # fmt: skip
    compact.unlink()
    return pair


def space_breakdown(path: Path) -> str:
    """Share of the file per table and index (SQLite's `dbstat`), and the mentions columns
    that copy other data (snippet, canonical_url)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        total = path.stat().st_size
        try:
            by_table = connection.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ).fetchall()
        except sqlite3.OperationalError:
            return "dbstat is not available in this SQLite build"
        groups: dict[str, int] = {}
        for name, size in by_table:
            group = (
                "mentions_fts (full-text index)"
                if name.startswith("mentions_fts")
                else "mentions indexes"
                if name.startswith(("mentions_", "sqlite_autoindex_mentions"))
                else name
            )
            groups[group] = groups.get(group, 0) + size
        shown = [(n, s) for n, s in sorted(groups.items(), key=lambda g: -g[1]) if s >= total / 100]
        columns = connection.execute(
            "SELECT sum(length(CAST(text AS BLOB))), sum(length(CAST(title AS BLOB))),"
            " sum(length(CAST(snippet AS BLOB))), sum(length(CAST(url AS BLOB))),"
            " sum(length(CAST(canonical_url AS BLOB))), sum(length(CAST(explanation AS BLOB))),"
            " sum(length(CAST(spam_signals AS BLOB))), count(*) FROM mentions"
        ).fetchone()
    finally:
        connection.close()
    rows = columns[-1] or 1
    names = ("text", "title", "snippet", "url", "canonical_url", "explanation", "spam_signals")
    per_column = ", ".join(
        f"{name} {(value or 0) / rows:.0f}" for name, value in zip(names, columns, strict=False)
    )
    return (
        ", ".join(f"{name} {100 * size / total:.0f} %" for name, size in shown)
        + f"; bytes per mention by column: {per_column}"
    )


# --- profiling (--profile) ----------------------------------------------------------------


def profile(ws: Workspace, key: str, big: Path, log: Callable[[str], None]) -> None:
    """Where the mentionwatch side of a pair spends its time, printed to stderr."""
    if key in ("version", "help"):
        command = [sys.executable, "-X", "importtime", "-m", "mentionwatch", f"--{key}"]
        child = run_child(command, ws.env)
        rows = []
        for line in child.stderr.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[1].strip().isdigit():
                rows.append((int(parts[1]), parts[2].rstrip()))
        rows.sort(reverse=True)
        log(f"--- python -X importtime, mentionwatch --{key}: largest cumulative imports (µs)")
        for micros, name in rows[:25]:
            log(f"{micros:>10}  {name}")
        return
    arguments = {
        "inbox": ["inbox", "--limit", "50"],
        "stats": ["stats", "--since", "30d"],
        "rescore": ["rescore"],
    }.get(key)
    if arguments is None:
        log(f"--profile supports version, help, inbox, stats and rescore, not {key}")
        return
    db = big
    if key == "rescore":
        db = ws.root / "profile-rescore.db"
        shutil.copyfile(big, db)
    output = ws.root / f"{key}.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(output), "-m", "mentionwatch"]
    command += [*arguments, "--config", str(ws.config), "--db", str(db)]
    checked(run_child(command, ws.env), f"profile of {key}")
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(str(output), stream=out)
    out.write(f"--- cProfile of mentionwatch {' '.join(arguments)} on {big.name}\n")
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    log(out.getvalue())


# --- the report -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    from importlib.metadata import version

    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": hostinfo.cpu_model(),
        "cores": f"{os.cpu_count()} cores ({usable} usable by this process)",
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "libraries": ", ".join(
            f"{name} {version(name)}"
            for name in ("mentionwatch", "typer", "rich", "vaderSentiment", "feedparser", "httpx")
        ),
    }


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def render_table(pairs: Sequence[Pair], markdown: bool, quick: bool) -> str:
    """The results table: Markdown for BENCHMARKS.md, or plain columns that fit a terminal of
    100 columns (pairs by their `--only` name; the notes below it describe each side)."""
    verdicts = [("PASS" if p.passed else "FAIL") + ("*" if quick else "") for p in pairs]
    figures = [
        (
            str(len(p.ours)),
            _show(min(p.baseline), p.unit),
            _show(statistics.median(p.baseline), p.unit),
            _show(min(p.ours), p.unit),
            _show(statistics.median(p.ours), p.unit),
            f"{p.ratio:.2f}x",
            p.target_label,
        )
        for p in pairs
    ]
    footnote = "\n* quick sizes: the targets are stated for the full sizes" if quick else ""
    if markdown:
        header = ("pair", "runs", "baseline", "baseline min", "baseline median", "ours min",
                  "ours median", "ratio (medians)", "target", "result")  # fmt: skip
        rows = [
            (p.name, figure[0], p.baseline_label, *figure[1:], verdict)
            for p, figure, verdict in zip(pairs, figures, verdicts, strict=True)
        ]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines) + footnote
    plain = [("pair", "runs", "base min", "base med", "ours min", "ours med", "ratio", "target",
              "result")]  # fmt: skip
    plain += [
        (p.key, *figure, verdict)
        for p, figure, verdict in zip(pairs, figures, verdicts, strict=True)
    ]
    widths = [max(len(row[i]) for row in plain) for i in range(len(plain[0]))]
    return (
        "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in plain
        )
        + footnote
    )


@dataclass
class Run:
    """Everything one harness run found, for the terminal and for BENCHMARKS.md."""

    started: datetime
    command: str
    sizes: Sizes
    runs: int
    heavy_runs: int
    quick: bool
    machine: dict[str, str]
    load_before: str
    load_after: str = ""
    pairs: list[Pair] = field(default_factory=list)
    generation: str = ""
    phases: list[tuple[str, float]] = field(default_factory=list)


def markdown_section(run: Run) -> str:
    m = run.machine
    total = sum(seconds for _, seconds in run.phases)
    bullets = [
        f"- **Machine:** {m['cpu']}; {m['cores']}; {m['memory']} RAM; {m['os']};"
        f" Python {m['python']}; SQLite {m['sqlite']}; {m['libraries']}. Load average"
        f" {run.load_before} before the run, {run.load_after} after (the machine is shared).",
        f"- **Date:** {run.started:%Y-%m-%d %H:%M} UTC; the run took {total / 60:.0f} minutes.",
        f"- **Command** (repository root, dev venv): `{run.command}`",
        f"- **Data:** {run.generation}",
        f"- **Runs:** {run.runs} per pair, interleaved with the baseline, the order alternating"
        f" run by run; the startup pairs {4 * run.runs} (they are short and noisy), rescore"
        f" {run.heavy_runs} (a run takes minutes). One untimed warm-up of each side first,"
        " except for rescore.",
    ]
    lines = [
        BEGIN,
        "## Issue 8: every pair in one run (`bench/run.py`)",
        "",
        _wrapped(
            "*Generated by `python bench/run.py --write`, between the two markers; the notes"
            " after the end marker are written by hand.*"
        ),
        "",
        *(_wrapped(bullet) for bullet in bullets),
        "",
        render_table(run.pairs, markdown=True, quick=run.quick),
        "",
        _wrapped(
            "Ratios are of the medians. *ours/base*: how many times longer mentionwatch takes;"
            " *base/ours*: mentionwatch's throughput (or speed-up) relative to the baseline;"
            " *peak/size*: peak memory over the feed's size; *db/text*: database bytes over"
            " text bytes, per post."
        ),
        "",
    ]
    for pair in run.pairs:
        notes = " ".join(_sentence(note) for note in pair.notes)
        lines.append(
            _wrapped(f"- **{pair.name}**: {pair.ours_label} against {pair.baseline_label}. {notes}")
        )
    parts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in run.phases)
    lines += ["", _wrapped(f"Time each part took: {parts}."), END]
    return "\n".join(lines)


def _sentence(note: str) -> str:
    note = note[:1].upper() + note[1:]
    return note if note.endswith(".") else note + "."


def _wrapped(paragraph: str) -> str:
    """Prose wrapped at 100 columns like the rest of BENCHMARKS.md (bullets indented)."""
    import textwrap

    indent = "  " if paragraph.startswith("- ") else ""
    return textwrap.fill(
        paragraph,
        width=100,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def write_benchmarks(section: str, path: Path = BENCHMARKS) -> None:
    """Replace the generated section between the markers; the first time, insert it before
    the first `## ` heading, keeping every other section as it was."""
    text = path.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        at = text.find("\n## ")
        at = len(text) if at < 0 else at + 1
        text = text[:at] + section + "\n\n" + text[at:]
    path.write_text(text, encoding="utf-8")


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Every issue 8 pair side by side, in one run, with PASS/FAIL per target."
    )
    parser.add_argument("--runs", type=int, default=5, help="runs of each side per pair (5)")
    parser.add_argument(
        "--rescore-runs", type=int, default=3, help="runs of the rescore pair (3; minutes each)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 runs: a smoke test")
    parser.add_argument("--only", nargs="+", choices=PAIRS, metavar="PAIR", help=" ".join(PAIRS))
    parser.add_argument("--seed", type=int, default=8, help="seed of all generated data (8)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument(
        "--write", action="store_true", help="rewrite the generated section of BENCHMARKS.md"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile the mentionwatch side of the --only pairs (importtime for startup,"
        " cProfile for inbox, stats, rescore), to stderr",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.rescore_runs < 1:
        parser.error("--runs and --rescore-runs must be at least 1")
    if args.write and (args.quick or args.only):
        parser.error("--write records a full run: not with --quick or --only")
    if args.profile and not args.only:
        parser.error("--profile needs --only PAIR (profiling every pair takes long)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for name in (*PROXY_VARIABLES, "all_proxy"):
        os.environ.pop(name, None)  # only loopback traffic, never through a proxy
    sizes = QUICK if args.quick else Sizes()
    runs = 2 if args.quick else args.runs
    heavy_runs = 1 if args.quick else args.rescore_runs
    chosen = set(args.only or PAIRS)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    command = "python bench/run.py" + (" " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "")
    run = Run(
        started=datetime.now(timezone.utc),
        command=command,
        sizes=sizes,
        runs=runs,
        heavy_runs=heavy_runs,
        quick=args.quick,
        machine=machine(),
        load_before=load(),
    )
    log(f"machine: {run.machine}")
    log(f"load average: {run.load_before}")

    @contextlib.contextmanager
    def phase(name: str) -> Iterator[None]:
        began = time.perf_counter()
        log(f"{name} ...")
        yield
        run.phases.append((name, time.perf_counter() - began))
        log(f"{name}: {run.phases[-1][1]:.0f} s")

    big: Path | None = None
    if chosen & {"inbox", "stats", "rescore", "dbsize"}:
        with phase("database"):
            big, report, reused = generate.cached_database(sizes.mentions, args.seed, log=log)
        mix = ", ".join(f"{k} {100 * v / report.count:.0f} %" for k, v in report.labels.items())
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(report.statuses.items()))
        run.generation = (
            f"{report.count:,} mentions from `bench/generate.py` (seed {report.seed}, dates up"
            f" to {report.anchor[:16]} UTC), {report.file_bytes / MB:,.0f} MB; generated in"
            f" {report.seconds / 60:.1f} min ({'reused from the cache' if reused else 'this run'}"
            f"). Labels {mix}; spam {report.spam:,}, questions {report.questions:,};"
            f" statuses {statuses}; {report.replies:,} replies;"
            f" {report.stale_verdicts:,} with a pre-triage (bare VADER) verdict;"
            f" mean title + text {report.text_bytes / report.count:.0f} bytes."
        )
        log(run.generation)

    with tempfile.TemporaryDirectory(prefix="mw-bench-") as tmp:
        ws = make_workspace(Path(tmp))
        log(f"mentionwatch command: {' '.join(ws.cli)}")
        stored: Path | None = None
        steps: list[tuple[str, Callable[[], Pair]]] = [
            ("version", lambda: startup_pair(ws, "--version", 1.5, 4 * runs, log)),
            ("help", lambda: startup_pair(ws, "--help", 2.0, 4 * runs, log)),
        ]
        if big is not None:
            db = big
            steps += [
                (
                    "inbox",
                    lambda: database_pair(
                        ws, "inbox", ["inbox", "--limit", "50"], db, sizes.mentions, 1.2, runs, log
                    ),
                ),
                (
                    "stats",
                    lambda: database_pair(
                        ws, "stats", ["stats", "--since", "30d"], db, sizes.mentions, 3.0, runs, log
                    ),
                ),
            ]
        for key, step in steps:
            if key in chosen:
                with phase(key):
                    run.pairs.append(step())
        if chosen & {"ingest", "dbsize"}:
            with phase("ingest"):
                pair, stored = ingest_pair(ws, sizes, args.seed, runs, log)
            if "ingest" in chosen:
                run.pairs.append(pair)
        if "rescore" in chosen and big is not None:
            with phase("rescore"):
                run.pairs.append(rescore_pair(ws, big, sizes.mentions, heavy_runs, log))
        if "scan" in chosen:
            with phase("scan"):
                run.pairs.append(scan_pair(sizes, runs, log))
        if "memory" in chosen:
            with phase("memory"):
                run.pairs.append(memory_pair(ws, sizes, args.seed, runs, log))
        if "dbsize" in chosen and stored is not None:
            with phase("dbsize"):
                run.pairs.append(database_size_pair(stored, big))
        if args.profile and big is not None:
            for key in sorted(chosen):
                profile(ws, key, big, log)
    run.load_after = load()

    print(render_table(run.pairs, markdown=args.markdown, quick=args.quick))
    print()
    for pair in run.pairs:
        print(f"{pair.name}: {pair.ours_label} against {pair.baseline_label}")
        for note in pair.notes:
            print(f"  {note}")
    print()
    print("time per part: " + ", ".join(f"{n} {s:.0f} s" for n, s in run.phases))
    print(f"load average: {run.load_before} before, {run.load_after} after")
    if args.write:
        write_benchmarks(markdown_section(run))
        print(f"wrote the generated section of {BENCHMARKS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
