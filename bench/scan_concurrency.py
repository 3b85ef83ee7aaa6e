"""Scan concurrency: mentionwatch's real scan against a sequential poll of the same feeds.

A local HTTP server serves N RSS feeds (default 50), each answering after a fixed delay
(default 200 ms), each with a few items naming the brand. In one run, and interleaved
repetition by repetition so that machine noise hits both sides alike, this measures:

- **scan**: `mentionwatch.scan.run_scan` with a real config whose `[[sources]]` are those feeds,
  on a fresh temporary SQLite file each time, `force=True`: fetch, parse (feedparser),
  relevance and VADER scoring, one transaction per source, the scan record. Timed around
  `run_scan` only (the database is opened, and migrated, before the clock starts).
- **sequential**: the baseline, one plain `httpx.Client` (created inside the timing, as the
  scan creates its own) fetching the same N URLs one after another, bodies read, nothing else.

The baseline does strictly less work than the scan, so the ratio sequential / scan is a
conservative measure of what concurrency buys. Targets (issue 4, issue 8): 50 sources at
200 ms each scanned in under 1 s, and at least 10 times faster than sequential.

The per-host cap. `HttpFetcher` limits requests in flight overall (`[http] concurrency`,
default 10) and per host (`[http] per_host`, default 4). Feeds all served on 127.0.0.1 would be
one host, so the default politeness alone would allow 4 requests at once. Real sources are
spread over many hosts, so the benchmark reports three scenarios, each with its own baseline:

1. ``one host``: every feed on 127.0.0.1, with `per_host` and `concurrency` raised to N.
   Measures the scan machinery itself with no cap in the way.
2. ``N hosts, defaults``: each feed on its own loopback address (127.0.0.2, 127.0.0.3, ...;
   the whole 127.0.0.0/8 is loopback on Linux) and the `[http]` section left at its defaults,
   i.e. exactly what a user gets out of the box. This is the figure the target is about.
3. ``N hosts, concurrency=C``: as 2, per-host politeness left at its default, only the
   overall cap set to C: to N when the default `concurrency` is below N (it would repeat
   scenario 2 otherwise), and to each value given with ``--concurrency C ...``. The cap turns
   a scan into ceil(N / C) waves of one delay each, so these rows show what the cap costs.

Scenarios 2 and 3 need extra loopback addresses; where they cannot be bound (macOS has only
127.0.0.1 by default) they are skipped with a note.

The server runs in a child process (this same file with ``--serve``), so its work does not
compete with the scan for this process's GIL; it is an asyncio server answering HTTP/1.1 with
keep-alive, binds loopback addresses only, and stops itself when this process closes its
stdin or after a hard lifetime, whichever comes first. Proxy variables are cleared so that
only loopback traffic is ever sent.

One untimed warm-up scan and poll come first: the first scan in a process also pays for
importing feedparser and vaderSentiment and loading VADER's lexicon. That cold figure is
printed separately; the table is of warm runs.

Run from the repository root, in the dev venv::

    python bench/scan_concurrency.py                 # 50 feeds, 200 ms, 5 repetitions
    python bench/scan_concurrency.py --markdown      # the table for BENCHMARKS.md
    python bench/scan_concurrency.py --sources 100 --delay 0.1 --repeat 9
    python bench/scan_concurrency.py --concurrency 10 25   # what the overall cap costs
    python bench/scan_concurrency.py --repeat 1 --profile  # where one scan spends its time
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import IO

import hostinfo

from mentionwatch.config import HttpConfig

BRAND = "Acme"
ITEMS_PER_FEED = 5
#: The issue's target, stated for exactly this size of scan.
TARGET_SOURCES, TARGET_DELAY_S, TARGET_SCAN_S, TARGET_RATIO = 50, 0.2, 1.0, 10.0
#: Each feed item is one of these, so scores, snippets and labels vary like real posts.
SENTENCES = (
    "I switched our whole team to {brand} last month and the onboarding was painless.",
    "{brand} support has ignored my ticket for three days. Third outage this week. Useless.",
    "Has anyone compared {brand} with the open-source alternatives for small shops?",
    "The new {brand} dashboard is gorgeous, fast and finally readable on a phone!",
    "Billing at {brand} charged us twice and nobody answers. Really disappointed.",
)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


# --- the feeds ------------------------------------------------------------------------------


def feed_xml(index: int, items: int = ITEMS_PER_FEED) -> bytes:
    """RSS 2.0 for feed `index`: `items` posts naming the brand, with GUIDs, links, dates."""
    base = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    entries = []
    for j in range(items):
        when = format_datetime(base - timedelta(minutes=17 * (index * items + j)))
        text = SENTENCES[(index + j) % len(SENTENCES)].format(brand=BRAND)
        entries.append(
            "<item>"
            f"<title>{BRAND} mention {index}-{j}</title>"
            f"<link>https://blog{index}.example/posts/{j}</link>"
            f'<guid isPermaLink="false">bench-{index}-{j}</guid>'
            f"<author>writer{j}@blog{index}.example (Writer {j})</author>"
            f"<pubDate>{when}</pubDate>"
            f"<description>&lt;p&gt;{text}&lt;/p&gt;</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Feed {index}</title><link>https://blog{index}.example/</link>"
        f"<description>bench feed {index}</description>{''.join(entries)}</channel></rss>"
    ).encode()


def loopback_address(k: int) -> str:
    """The k-th loopback address counting from 127.0.0.2 (127.0.0.1 is the shared host)."""
    n = k + 2
    return f"127.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


# --- the server (child process) -------------------------------------------------------------


async def _answer(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, bodies: list[bytes], delay: float
) -> None:
    """HTTP/1.1 with keep-alive: GET /feed/<i> answers feed i after `delay`, else 404."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines[1:] if line)
            }
            if int(headers.get("content-length") or 0):
                await reader.readexactly(int(headers["content-length"]))
            path = parts[1] if len(parts) > 1 else ""
            index = path.removeprefix("/feed/")
            await asyncio.sleep(delay)
            if path.startswith("/feed/") and index.isdigit() and int(index) < len(bodies):
                status, body = "200 OK", bodies[int(index)]
            else:
                status, body = "404 Not Found", b"not found"
            closing = headers.get("connection", "").lower() == "close"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"Connection: {'close' if closing else 'keep-alive'}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            if closing:
                return
    finally:
        writer.close()


async def _serve(sources: int, delay: float, lifetime: float, many_hosts: bool) -> None:
    bodies = [feed_xml(i) for i in range(sources)]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _answer(reader, writer, bodies, delay)

    servers = []
    shared = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=max(128, 2 * sources))
    servers.append(shared)
    one_host = [
        f"http://127.0.0.1:{shared.sockets[0].getsockname()[1]}/feed/{i}" for i in range(sources)
    ]
    many: list[str] = []
    note = ""
    if many_hosts:
        try:
            for i in range(sources):
                host = loopback_address(i)
                server = await asyncio.start_server(handle, host, 0, backlog=16)
                servers.append(server)
                many.append(f"http://{host}:{server.sockets[0].getsockname()[1]}/feed/{i}")
        except OSError as exc:
            many, note = [], f"cannot bind extra loopback addresses ({exc})"
    sys.stdout.write(json.dumps({"one_host": one_host, "many_hosts": many, "note": note}) + "\n")
    sys.stdout.flush()

    # Stop when the parent closes our stdin (or dies), or after `lifetime` in any case.
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stdin.read(), timeout=lifetime)
    for server in servers:
        server.close()


@dataclass(frozen=True)
class FeedServer:
    process: subprocess.Popen[bytes]
    one_host: list[str]
    many_hosts: list[str]
    note: str


@contextlib.contextmanager
def feed_server(sources: int, delay: float, lifetime: float) -> Iterator[FeedServer]:
    """Start the server child; yields its feed URLs; stops it (by closing its stdin)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--serve"]
    command += ["--sources", str(sources), "--delay", str(delay), "--lifetime", str(lifetime)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the feed server did not start (see its error above)")
        urls = json.loads(line)
        yield FeedServer(process, urls["one_host"], urls["many_hosts"], urls["note"])
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    stdin: IO[bytes] | None = process.stdin
    if stdin is not None:
        with contextlib.suppress(OSError):
            stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the two sides --------------------------------------------------------------------------


def write_config(directory: Path, urls: Sequence[str], http: dict[str, int]) -> Path:
    """A real config file: the brand, an `[http]` section (empty: the defaults), the feeds."""
    lines = [f'[brand]\nname = "{BRAND}"\nterms = ["{BRAND}"]\nhandles = ["AcmeSupport"]\n']
    lines.append("[http]\n" + "".join(f"{key} = {value}\n" for key, value in http.items()))
    for i, url in enumerate(urls):
        lines.append(f'[[sources]]\nname = "feed-{i:03d}"\nkind = "rss"\nurl = "{url}"\n')
    path = directory / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def time_scan(urls: Sequence[str], http: dict[str, int]) -> float:
    """Seconds for one `run_scan(force=True)` over `urls`, on a fresh database."""
    from mentionwatch.config import load_config
    from mentionwatch.models import SourceOutcome
    from mentionwatch.scan import run_scan
    from mentionwatch.store import Store

    with tempfile.TemporaryDirectory(prefix="mw-bench-") as tmp:
        config = load_config(write_config(Path(tmp), urls, http))
        with Store.open(Path(tmp) / "mentionwatch.db") as store:
            began = time.perf_counter()
            report = run_scan(config, store, force=True)
            elapsed = time.perf_counter() - began
    failed = [s for s in report.sources if s.outcome is not SourceOutcome.OK]
    stored = sum(s.new for s in report.sources)
    if failed or stored != len(urls) * ITEMS_PER_FEED:
        detail = failed[0].error if failed else f"{stored} mentions stored"
        raise RuntimeError(f"the scan did not store every feed: {detail}")
    return elapsed


def time_sequential(urls: Sequence[str]) -> float:
    """Seconds to GET every URL one after another with one plain `httpx.Client`."""
    import httpx

    began = time.perf_counter()
    with httpx.Client(trust_env=False, timeout=30) as client:
        for url in urls:
            response = client.get(url)
            response.raise_for_status()
            if not response.content:
                raise RuntimeError(f"empty body from {url}")
    return time.perf_counter() - began


# --- measuring and reporting ----------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    urls: list[str]
    #: The `[http]` keys written to the config; empty means the defaults.
    http: dict[str, int]


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    scan_s: list[float]
    sequential_s: list[float]

    @property
    def ratio(self) -> float:
        """Median over median: how many times faster the scan is than the sequential poll."""
        return statistics.median(self.sequential_s) / statistics.median(self.scan_s)

    @property
    def ratio_of_mins(self) -> float:
        return min(self.sequential_s) / min(self.scan_s)


def measure(scenario: Scenario, repeat: int, log: Callable[[str], None]) -> Result:
    scans: list[float] = []
    polls: list[float] = []
    for i in range(repeat):
        # Interleaved, so a noisy moment hits both sides instead of one.
        scans.append(time_scan(scenario.urls, scenario.http))
        polls.append(time_sequential(scenario.urls))
        log(
            f"  {scenario.name}: run {i + 1}/{repeat}: scan {scans[-1]:.3f} s,"
            f" sequential {polls[-1]:.3f} s"
        )
    return Result(scenario, scans, polls)


def profile_scan(scenario: Scenario) -> str:
    """One scan under cProfile: the mentionwatch functions by cumulative time, then every
    function by its own time (feedparser, VADER, httpx, sqlite3 show up there)."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        time_scan(scenario.urls, scenario.http)
    finally:
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"--- profile of one scan, {scenario.name}: mentionwatch, by cumulative time\n")
    stats.sort_stats("cumulative").print_stats("mentionwatch", 20)
    out.write("--- every function, by own time\n")
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


def verdict(result: Result, sources: int, delay: float) -> str:
    """Whether the issue's targets hold; they are stated for 50 sources at 200 ms only."""
    if (sources, delay) != (TARGET_SOURCES, TARGET_DELAY_S):
        return f"n/a (targets are for {TARGET_SOURCES} sources at {TARGET_DELAY_S * 1000:g} ms)"
    fast = statistics.median(result.scan_s) < TARGET_SCAN_S
    ratio = result.ratio >= TARGET_RATIO
    return (
        f"{'yes' if fast else 'NO'} (< {TARGET_SCAN_S:g} s),"
        f" {'yes' if ratio else 'NO'} (>= {TARGET_RATIO:g}x)"
    )


def http_label(http: dict[str, int]) -> str:
    if not http:
        defaults = HttpConfig()
        return f"defaults (concurrency {defaults.concurrency}, per_host {defaults.per_host})"
    return ", ".join(f"{k} {v}" for k, v in http.items())


def table(results: Sequence[Result], sources: int, delay: float, markdown: bool) -> str:
    header = (
        "scenario",
        "[http]",
        "scan min",
        "scan median",
        "sequential min",
        "sequential median",
        "ratio (medians)",
        "ratio (mins)",
        "target holds",
    )
    rows = [
        (
            r.scenario.name,
            http_label(r.scenario.http),
            f"{min(r.scan_s):.3f} s",
            f"{statistics.median(r.scan_s):.3f} s",
            f"{min(r.sequential_s):.3f} s",
            f"{statistics.median(r.sequential_s):.3f} s",
            f"{r.ratio:.1f}x",
            f"{r.ratio_of_mins:.1f}x",
            verdict(r, sources, delay),
        )
        for r in results
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(col)) for col in column) for column in zip(header, *rows, strict=True)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    )


def machine() -> str:
    return hostinfo.summary()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="mentionwatch's scan against a sequential poll of the same local feeds."
    )
    parser.add_argument("--sources", type=int, default=TARGET_SOURCES, help="feeds (default 50)")
    parser.add_argument(
        "--delay", type=float, default=TARGET_DELAY_S, help="seconds each answer takes (0.2)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each side (5)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument(
        "--one-host-only", action="store_true", help="skip the many-loopback-hosts scenarios"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[],
        metavar="C",
        help="extra many-hosts scenarios with `[http] concurrency = C` (per_host left default),"
        " e.g. --concurrency 10 25 to see how the overall cap shapes the scan",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run one scan of the last scenario under cProfile and print where it spends"
        " its time (to stderr; cProfile slows Python code, so read shares, not seconds)",
    )
    # Internal: this file is also the feed server's child process.
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lifetime", type=float, default=600.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if (
        args.sources < 1
        or args.repeat < 1
        or args.delay < 0
        or min(args.concurrency, default=1) < 1
    ):
        parser.error("--sources, --repeat and --concurrency must be at least 1, --delay at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        asyncio.run(_serve(args.sources, args.delay, args.lifetime, many_hosts=True))
        return 0
    for name in (*PROXY_VARIABLES, "all_proxy"):
        os.environ.pop(name, None)  # nothing may sit between us and the loopback server

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    n, delay = args.sources, args.delay
    # Generous: the child stops as soon as we close its stdin; this bounds it if we hang.
    most_scenarios = 3 + len(args.concurrency)
    lifetime = 120 + 2 * most_scenarios * (args.repeat + 1) * (1.5 * n * delay + 5)
    with feed_server(n, delay, lifetime) as server:
        scenarios = [Scenario("one host", server.one_host, {"concurrency": n, "per_host": n})]
        if server.many_hosts and not args.one_host_only:
            scenarios.append(Scenario(f"{n} hosts, defaults", server.many_hosts, {}))
            extra = sorted(set(args.concurrency) | ({n} if HttpConfig().concurrency < n else set()))
            scenarios += [
                Scenario(f"{n} hosts, concurrency={c}", server.many_hosts, {"concurrency": c})
                for c in extra
            ]
        elif server.note:
            log(f"note: many-hosts scenarios skipped: {server.note}")

        log(f"machine: {machine()}")
        log(f"{n} feeds x {ITEMS_PER_FEED} items, {delay * 1000:g} ms each, {args.repeat} runs")
        cold = time_scan(scenarios[0].urls, scenarios[0].http)
        time_sequential(scenarios[0].urls)
        log(f"cold first scan in this process (imports, VADER lexicon): {cold:.3f} s")
        results = [measure(s, args.repeat, log) for s in scenarios]
        if args.profile:
            log(profile_scan(scenarios[-1]))

    print(table(results, n, delay, args.markdown))
    for r in results:
        checked = verdict(r, n, delay)
        if checked.startswith("n/a"):
            status = "not checked"
        else:
            status = "DOES NOT HOLD" if "NO" in checked else "holds"
        print(f"target {status}: {r.scenario.name}: {checked}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
