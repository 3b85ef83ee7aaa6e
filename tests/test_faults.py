"""Scans against servers that misbehave on purpose: hostile feeds, bombs, drips, dropped
connections, rate limits, retries, failures that pause a source, redirects, gone sources,
broken APIs and sources that fall silent.

Every case runs a real scan (a real HTTP server on 127.0.0.1, a config file, a SQLite file)
with a well-behaved feed beside the broken source, and checks both what happened to the broken
one and that the good one was still stored. Servers that must break HTTP itself (drip a byte
at a time, hang, cut a body short) are raw sockets, also on 127.0.0.1 and bounded in time.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

from conftest import LocalServer, Route, rss_source, write_config
from mentionwatch.config import Config, HttpConfig, load_config
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher, rate_limit_wait, retry_after_seconds
from mentionwatch.models import OpenFilter, ScanReport, SourceOutcome, SourceReport
from mentionwatch.overview import source_overview
from mentionwatch.scan import MAX_SERVER_WAIT, run_scan
from mentionwatch.store import Store

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
RSS = "application/rss+xml"
JSON = "application/json; charset=utf-8"
#: Generous bounds that only prove "did not hang" (the real times are a fraction of these).
NO_HANG_S = 10.0


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; a developer's proxy must not sit between us and 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data" / "mentionwatch.db") as opened:
        yield opened


# --- feeds, config, scans ---------------------------------------------------------------------


def rss_feed(*items: tuple[str, str]) -> bytes:
    """An RSS 2.0 body from (guid, title) pairs; every title should name the brand."""
    rendered = "".join(
        f"<item><title>{title}</title><link>https://blog.example/{guid}</link>"
        f'<guid isPermaLink="false">{guid}</guid>'
        "<pubDate>Thu, 19 Nov 2026 12:00:00 +0000</pubDate>"
        f"<description>{title}, says a reader.</description></item>"
        for guid, title in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        "<title>Inline</title><link>https://blog.example/</link><description>d</description>"
        f"{rendered}</channel></rss>"
    ).encode()


GOOD_FEED = rss_feed(("g1", "Acme fixed my kettle"), ("g2", "Acme support was quick"))


def feed_route(body: bytes = GOOD_FEED, **headers: str) -> Route:
    return Route(body=body, headers={"Content-Type": RSS, **headers})


def make_config(
    directory: Path,
    server: LocalServer,
    sources_toml: str,
    *,
    http: str = "",
    scan: str = "",
) -> Config:
    """A config with the broken source(s) given and a working feed, "good", beside them."""
    directory.mkdir(parents=True, exist_ok=True)
    server.routes["/good"] = feed_route()
    tables = (f"[http]\n{http}\n" if http else "") + (f"[scan]\n{scan}\n" if scan else "")
    return load_config(
        write_config(directory, tables + sources_toml + rss_source("good", server.url("/good")))
    )


def scan(config: Config, store: Store, at: datetime = T0, *, force: bool = True) -> ScanReport:
    return run_scan(config, store, force=force, clock=lambda: at, environ={})


def by_name(report: ScanReport) -> dict[str, SourceReport]:
    return {source.name: source for source in report.sources}


def assert_good_stored(report: ScanReport, store: Store, *, new: int = 2) -> None:
    """The working source of the same scan was polled and its mentions are in the database."""
    good = by_name(report)["good"]
    assert (good.outcome, good.error, good.new) == (SourceOutcome.OK, None, new)
    titles = {m.title for m in store.open_mentions(OpenFilter(sources=("good",)))}
    assert titles == {"Acme fixed my kettle", "Acme support was quick"}


def requests_to(server: LocalServer, path: str) -> int:
    return sum(1 for r in server.requests if r.path.split("?")[0] == path)


def failed(report: ScanReport, name: str) -> SourceReport:
    source = by_name(report)[name]
    assert source.outcome is SourceOutcome.ERROR
    assert source.error
    return source


# --- a raw TCP peer, for faults below HTTP ----------------------------------------------------


def response_head(content_length: int) -> bytes:
    return (
        "HTTP/1.1 200 OK\r\n"
        f"Content-Type: {RSS}\r\n"
        f"Content-Length: {content_length}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()


class RawServer:
    """A TCP server on 127.0.0.1 that reads each request's head, then lets `handler` answer
    however badly it likes. `stopped` is set at teardown: handlers wait on it, never sleep."""

    def __init__(self, handler: Callable[[socket.socket, threading.Event], None]) -> None:
        self.handler = handler
        self.connections = 0
        self.stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def url(self, path: str) -> str:
        return self.base_url + path

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            worker = threading.Thread(target=self._answer, args=(conn,), daemon=True)
            self._threads.append(worker)
            worker.start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                self.handler(conn, self.stopped)
            except OSError:
                pass  # the client hung up: what a deadline or a retry does

    def stop(self) -> None:
        self.stopped.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)


@pytest.fixture
def raw_server() -> Iterator[
    Callable[[Callable[[socket.socket, threading.Event], None]], RawServer]
]:
    started: list[RawServer] = []

    def start(handler: Callable[[socket.socket, threading.Event], None]) -> RawServer:
        server = RawServer(handler)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# --- hostile feeds ----------------------------------------------------------------------------


def laughs_doctype() -> str:
    entities = '<!ENTITY lol "lol">\n<!ENTITY lol1 "' + "&lol;" * 10 + '">\n'
    entities += "".join(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">\n' for i in range(2, 10))
    return f"<!DOCTYPE rss [\n{entities}]>\n"


def hostile_feed(
    doctype: str, reference: str, *, before: str = "", encoding: str = "utf-8"
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n{before}{doctype}'
        '<rss version="2.0"><channel><title>t</title><link>https://evil.example/</link>'
        f"<item><title>Acme {reference}</title><guid>evil-1</guid>"
        f"<description>Acme {reference * 2000}</description></item>"
        "</channel></rss>"
    ).encode(encoding)


#: A comment longer than any fixed "look at the first N KB" window.
LONG_COMMENT = "<!-- " + "padding " * 10_000 + "-->\n"
#: Not exponential but quadratic: 50 KB, referenced 2,000 times, is 100 MB of text.
BIG_ENTITY = '<!DOCTYPE rss [\n<!ENTITY big "' + "x" * 50_000 + '">\n]>\n'


def external_entity(system_id: str, *, parameter: bool = False) -> str:
    if parameter:
        return f'<!DOCTYPE rss [\n<!ENTITY % ext SYSTEM "{system_id}">\n%ext;\n]>\n'
    return f'<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "{system_id}">\n]>\n'


#: (a function of the secret file and the secret URL giving the feed, what expanding it shows)
HOSTILE_FEEDS = [
    pytest.param(
        lambda secret, url: hostile_feed(laughs_doctype(), "&lol9;"),
        "lol",
        id="billion-laughs",
    ),
    pytest.param(
        lambda secret, url: hostile_feed(laughs_doctype(), "&lol9;", before=LONG_COMMENT),
        "lol",
        id="billion-laughs-after-a-long-comment",
    ),
    pytest.param(
        lambda secret, url: hostile_feed(BIG_ENTITY, "&big;", before=LONG_COMMENT),
        "xxxx",
        id="quadratic-blowup-after-a-long-comment",
    ),
    pytest.param(
        lambda secret, url: hostile_feed(BIG_ENTITY, "&big;", encoding="utf-16"),
        "xxxx",
        id="quadratic-blowup-in-utf-16",
    ),
    pytest.param(
        lambda secret, url: hostile_feed(BIG_ENTITY, "&big;", encoding="cp037"),
        "xxxx",
        id="quadratic-blowup-in-ebcdic",
    ),
    pytest.param(
        lambda secret, url: hostile_feed(external_entity(secret.as_uri()), "&xxe;"),
        "secret-token",
        id="external-entity-file",
    ),
    pytest.param(
        lambda secret, url: hostile_feed(external_entity(url), "&xxe;"),
        "secret-token",
        id="external-entity-http",
    ),
    pytest.param(
        lambda secret, url: hostile_feed(external_entity(url, parameter=True), ""),
        "secret-token",
        id="external-parameter-entity",
    ),
]


@pytest.mark.parametrize(("make_body", "expands_to"), HOSTILE_FEEDS)
def test_entity_feeds_are_refused_fast_with_nothing_expanded_or_read(
    tmp_path: Path,
    http_server: LocalServer,
    store: Store,
    make_body: Callable[[Path, str], bytes],
    expands_to: str,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Acme secret-token-7781\n", encoding="utf-8")
    http_server.routes["/secret"] = Route(body=b"Acme secret-token-7781")
    http_server.routes["/evil"] = feed_route(make_body(secret, http_server.url("/secret")))
    config = make_config(tmp_path, http_server, rss_source("evil", http_server.url("/evil")))

    began = time.perf_counter()
    report = scan(config, store)

    assert time.perf_counter() - began < NO_HANG_S
    evil = failed(report, "evil")
    assert evil.error is not None and "declares XML entities" in evil.error
    assert "nothing was expanded or read" in evil.error
    assert store.source_state("evil", "rss").last_error == evil.error
    assert store.open_mentions(OpenFilter(sources=("evil",))) == []
    for mention in store.open_mentions():
        assert expands_to not in mention.title + mention.text
        assert "secret-token" not in mention.title + mention.text
    assert requests_to(http_server, "/secret") == 0  # no external entity was fetched
    assert requests_to(http_server, "/evil") == 1  # a refusal is not worth a retry
    assert_good_stored(report, store)


@pytest.mark.parametrize("points_at", ["/etc/passwd", "local-feed", "file-url"])
def test_a_body_that_names_a_local_file_is_not_read(
    tmp_path: Path, http_server: LocalServer, store: Store, points_at: str
) -> None:
    # A readable local feed: if feedparser were handed these bytes as a "path or URL", it
    # would parse this file and the scan would store its post.
    local = tmp_path / "local-feed.xml"
    local.write_bytes(rss_feed(("leak", "Acme LOCAL-FILE-LEAK")))
    body = {
        "/etc/passwd": b"/etc/passwd",
        "local-feed": str(local).encode(),
        "file-url": local.as_uri().encode(),
    }[points_at]
    http_server.routes["/path"] = feed_route(body)
    config = make_config(tmp_path, http_server, rss_source("path", http_server.url("/path")))

    report = scan(config, store)

    path = failed(report, "path")
    assert path.error is not None and path.error.startswith("not an RSS or Atom feed")
    assert store.source_state("path", "rss").last_error == path.error
    assert store.open_mentions(OpenFilter(sources=("path",))) == []
    for mention in store.open_mentions():
        text = mention.title + mention.text
        assert "root:" not in text and "/bin/" not in text and "LOCAL-FILE-LEAK" not in text
    assert_good_stored(report, store)


# --- hard limits ------------------------------------------------------------------------------


def gzip_bomb(inflated: int) -> bytes:
    """A gzip body of zeros that inflates to `inflated` bytes, built in steps of 1 MB."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    step = b"\0" * 1_000_000
    parts = [squeeze.compress(step) for _ in range(inflated // len(step))]
    return b"".join(parts) + squeeze.flush()


def test_a_gzip_bomb_stops_at_the_cap_with_memory_near_the_cap(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    cap = 2_000_000
    bomb = gzip_bomb(200_000_000)
    assert len(bomb) < 250_000  # a small body ...
    http_server.routes["/bomb"] = feed_route(bomb, **{"Content-Encoding": "gzip"})
    config = make_config(
        tmp_path,
        http_server,
        rss_source("bomb", http_server.url("/bomb")),
        http=f"max_body_bytes = {cap:_}",
    )

    # What a scan imports on first use (httpx, feedparser, VADER's lexicon) is loaded before
    # measuring, so the peak is the scan's own memory, whichever test runs first.
    with Store.open(tmp_path / "warm-up.db") as warm_up:
        scan(make_config(tmp_path / "warm-up", http_server, ""), warm_up)

    tracemalloc.start()
    try:
        report = scan(config, store)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    bomb_report = failed(report, "bomb")
    assert bomb_report.error == (
        f"response from {http_server.url('/bomb')} is larger than 2,000,000 bytes"
        " (after decompression); raise [http] max_body_bytes if it is genuine"
    )
    assert peak < 4 * cap, f"peak {peak:,} bytes while reading a body capped at {cap:,}"
    assert requests_to(http_server, "/bomb") == 1  # too big is not worth a retry
    assert store.source_state("bomb", "rss").consecutive_errors == 1
    assert_good_stored(report, store)


def drip(conn: socket.socket, stopped: threading.Event) -> None:
    """Headers at once, then one byte of the body every half second."""
    conn.sendall(response_head(len(GOOD_FEED)))
    for byte in GOOD_FEED[:40]:  # at most 20 s, should the client never hang up
        conn.sendall(bytes([byte]))
        if stopped.wait(0.5):
            return


def hang(conn: socket.socket, stopped: threading.Event) -> None:
    """Accept the request, never answer."""
    stopped.wait(20)


@pytest.mark.parametrize("handler", [drip, hang], ids=["one-byte-every-half-second", "silent"])
def test_a_slow_server_is_cut_off_by_the_deadline(
    tmp_path: Path,
    http_server: LocalServer,
    store: Store,
    raw_server: Callable[..., RawServer],
    handler: Callable[[socket.socket, threading.Event], None],
) -> None:
    slow = raw_server(handler)
    config = make_config(
        tmp_path,
        http_server,
        rss_source("slow", slow.url("/feed")),
        http='deadline = "1s"\nretries = 1',
    )

    began = time.perf_counter()
    report = scan(config, store)

    assert time.perf_counter() - began < NO_HANG_S
    assert failed(report, "slow").error == (
        f"no complete response from {slow.url('/feed')} within 1s"
    )
    assert slow.connections == 2  # the deadline is transient: retried once, cut off again
    state = store.source_state("slow", "rss")
    assert state.consecutive_errors == 1 and state.last_error == by_name(report)["slow"].error
    assert store.open_mentions(OpenFilter(sources=("slow",))) == []
    assert_good_stored(report, store)


def test_a_connection_dropped_mid_body_is_an_error_and_retried(
    tmp_path: Path, http_server: LocalServer, store: Store, raw_server: Callable[..., RawServer]
) -> None:
    def cut_short(conn: socket.socket, stopped: threading.Event) -> None:
        conn.sendall(response_head(5000) + GOOD_FEED[:100])  # then close: 4,900 bytes missing

    dropped = raw_server(cut_short)
    config = make_config(
        tmp_path, http_server, rss_source("dropped", dropped.url("/feed")), http="retries = 2"
    )

    report = scan(config, store)

    error = failed(report, "dropped").error or ""
    assert error.startswith(f"cannot reach {dropped.url('/feed')}: ")
    assert "peer closed connection without sending complete message body" in error
    assert dropped.connections == 3
    assert store.open_mentions(OpenFilter(sources=("dropped",))) == []
    assert store.source_state("dropped", "rss").consecutive_errors == 1
    assert_good_stored(report, store)


# --- rate limits and Retry-After --------------------------------------------------------------


def http_date_in(seconds: float) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    ("retry_after", "wait", "slack"),
    [
        (lambda: "3600", timedelta(hours=1), timedelta(0)),
        (lambda: http_date_in(7200), timedelta(hours=2), timedelta(minutes=2)),
        (lambda: "soon, maybe", timedelta(minutes=30), timedelta(0)),  # ignored: the interval
        (lambda: "99999999999999", MAX_SERVER_WAIT, timedelta(0)),  # must not crash the scan
    ],
    ids=["seconds", "http-date", "garbage", "absurd"],
)
def test_429_retry_after_sets_and_persists_the_next_check(
    tmp_path: Path,
    http_server: LocalServer,
    store: Store,
    retry_after: Callable[[], str],
    wait: timedelta,
    slack: timedelta,
) -> None:
    header = retry_after()
    http_server.routes["/limited"] = Route(status=429, headers={"Retry-After": header})
    config = make_config(tmp_path, http_server, rss_source("limited", http_server.url("/limited")))

    report = scan(config, store)

    limited = failed(report, "limited")
    assert limited.http_status == 429
    assert requests_to(http_server, "/limited") == 1  # a long wait is not retried in the run
    stored = store.source_state("limited", "rss").next_check_at
    assert stored is not None and limited.next_check_at == stored
    assert abs(stored - (T0 + wait)) <= slack
    assert_good_stored(report, store)

    # The next cron run (no --all), 45 minutes on: past the interval, not past the wait.
    polled = [s.name for s in scan(config, store, T0 + timedelta(minutes=45), force=False).sources]
    if wait <= timedelta(minutes=45):  # the garbage header was ignored: due again
        assert polled == ["limited", "good"]
        return
    assert polled == ["good"]
    # Once the wait is over, it is polled again.
    polled = [s.name for s in scan(config, store, T0 + wait + slack, force=False).sources]
    assert "limited" in polled


def test_429_asking_for_a_short_wait_is_retried_within_the_scan(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    answers = iter([Route(status=429, headers={"Retry-After": "2"}), feed_route()])
    http_server.routes["/busy"] = lambda request: next(answers)
    config = make_config(tmp_path, http_server, rss_source("busy", http_server.url("/busy")))

    report = scan(config, store)

    busy = by_name(report)["busy"]
    assert (busy.outcome, busy.new) == (SourceOutcome.OK, 2)
    assert requests_to(http_server, "/busy") == 2
    assert busy.next_check_at == T0 + timedelta(minutes=30)
    assert_good_stored(report, store)


@pytest.mark.parametrize(
    ("headers", "wait", "slack"),
    [
        (
            lambda: {
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(time.time()) + 7200),
            },
            timedelta(hours=2),
            timedelta(minutes=2),  # an epoch: measured against the real clock
        ),
        (
            lambda: {"RateLimit-Remaining": "0", "RateLimit-Reset": "120"},
            timedelta(minutes=2),
            timedelta(0),
        ),
        (
            lambda: {"X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "300"},
            timedelta(minutes=5),
            timedelta(0),
        ),
        (  # not exhausted: the interval
            lambda: {"X-Ratelimit-Remaining": "12.0", "X-Ratelimit-Reset": "300"},
            timedelta(minutes=1),
            timedelta(0),
        ),
    ],
    ids=["x-ratelimit-epoch", "ietf-ratelimit-delta", "reddit-float", "not-exhausted"],
)
def test_exhausted_rate_limit_headers_on_a_200_push_the_next_check_out(
    tmp_path: Path,
    http_server: LocalServer,
    store: Store,
    headers: Callable[[], dict[str, str]],
    wait: timedelta,
    slack: timedelta,
) -> None:
    http_server.routes["/api"] = feed_route(rss_feed(("r1", "Acme on the front page")), **headers())
    config = make_config(
        tmp_path, http_server, rss_source("limited", http_server.url("/api"), interval="1m")
    )

    report = scan(config, store)

    limited = by_name(report)["limited"]
    assert (limited.outcome, limited.new) == (SourceOutcome.OK, 1)  # the answer is kept
    assert limited.next_check_at is not None
    assert abs(limited.next_check_at - (T0 + wait)) <= slack
    assert store.source_state("limited", "rss").next_check_at == limited.next_check_at
    assert_good_stored(report, store)

    # The next cron run (no --all) once the interval has passed polls it only if not limited.
    polled = [s.name for s in scan(config, store, T0 + timedelta(minutes=1), force=False).sources]
    assert ("limited" in polled) is (wait == timedelta(minutes=1))


# --- retries ----------------------------------------------------------------------------------


def test_503_three_times_then_200_is_stored_in_one_scan(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    answers = iter([Route(status=503, body=b"busy")] * 3 + [feed_route()])
    http_server.routes["/flaky"] = lambda request: next(answers)
    config = make_config(
        tmp_path, http_server, rss_source("flaky", http_server.url("/flaky")), http="retries = 3"
    )

    report = scan(config, store)

    flaky = by_name(report)["flaky"]
    assert (flaky.outcome, flaky.http_status, flaky.new) == (SourceOutcome.OK, 200, 2)
    assert requests_to(http_server, "/flaky") == 4
    assert len(store.open_mentions(OpenFilter(sources=("flaky",)))) == 2
    state = store.source_state("flaky", "rss")
    assert (state.consecutive_errors, state.last_error) == (0, None)
    assert_good_stored(report, store)


def test_a_503_that_says_when_to_come_back_is_not_retried_now(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    http_server.routes["/maintenance"] = Route(status=503, headers={"Retry-After": "3600"})
    config = make_config(
        tmp_path,
        http_server,
        rss_source("maintenance", http_server.url("/maintenance")),
        http="retries = 3",
    )

    report = scan(config, store)

    maintenance = failed(report, "maintenance")
    assert maintenance.http_status == 503
    assert requests_to(http_server, "/maintenance") == 1
    assert maintenance.next_check_at == T0 + timedelta(hours=1)
    assert_good_stored(report, store)


@pytest.mark.parametrize("status", [404, 401, 403, 400])
def test_a_4xx_other_than_429_is_not_retried(
    tmp_path: Path, http_server: LocalServer, store: Store, status: int
) -> None:
    http_server.routes["/missing"] = Route(status=status, body=b"nope")
    config = make_config(
        tmp_path,
        http_server,
        rss_source("missing", http_server.url("/missing")),
        http="retries = 3",
    )

    report = scan(config, store)

    missing = failed(report, "missing")
    assert missing.http_status == status
    assert (missing.error or "").startswith(f"HTTP {status} ")
    assert requests_to(http_server, "/missing") == 1
    state = store.source_state("missing", "rss")
    assert (state.consecutive_errors, state.paused_at) == (1, None)
    assert_good_stored(report, store)


def test_500_forever_pauses_the_source_until_it_is_resumed(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    http_server.routes["/down"] = Route(status=500, body=b"Internal Server Error")
    config = make_config(
        tmp_path,
        http_server,
        rss_source("down", http_server.url("/down")),
        http="retries = 2",
        scan="pause_after = 3",
    )

    for run in range(1, 4):
        report = scan(config, store, T0 + timedelta(hours=run - 1))
        down = failed(report, "down")
        assert down.http_status == 500
        assert requests_to(http_server, "/down") == 3 * run  # each scan: 1 try + 2 retries
        state = store.source_state("down", "rss")
        assert state.consecutive_errors == run
        if run < 3:
            assert (down.paused, state.paused_at) == (None, None)
        assert_good_stored(report, store, new=2 if run == 1 else 0)
    assert down.paused == "paused after 3 failures in a row"
    state = store.source_state("down", "rss")
    assert state.paused_at == T0 + timedelta(hours=2)
    assert state.paused_reason == down.paused
    (row,) = [
        r for r in source_overview(store, config, T0 + timedelta(hours=2)) if r.name == "down"
    ]
    assert row.state.paused_at is not None and row.silent_for is None

    # Paused: never polled, not even with --all, however much later; the good source still is.
    report = scan(config, store, T0 + timedelta(days=2))
    assert [s.name for s in report.sources] == ["good"]
    assert requests_to(http_server, "/down") == 9
    assert store.count_mentions() == 2

    # Resumed (and fixed): polled again, its errors forgotten.
    assert store.resume_source("down", T0 + timedelta(days=2))
    state = store.source_state("down", "rss")
    assert (state.paused_at, state.paused_reason, state.consecutive_errors) == (None, None, 0)
    http_server.routes["/down"] = feed_route(rss_feed(("d1", "Acme is back")))
    report = scan(config, store, T0 + timedelta(days=2, hours=1))
    back = by_name(report)["down"]
    assert (back.outcome, back.new) == (SourceOutcome.OK, 1)
    assert requests_to(http_server, "/down") == 10
    assert store.source_state("down", "rss").consecutive_errors == 0


def test_a_resumed_source_is_due_at_the_next_scan(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    http_server.routes["/gone"] = Route(status=410)
    config = make_config(tmp_path, http_server, rss_source("gone", http_server.url("/gone")))
    assert failed(scan(config, store), "gone").paused

    assert store.resume_source("gone", T0)
    http_server.routes["/gone"] = feed_route(rss_feed(("b1", "Acme is back")))
    report = scan(config, store, T0 + timedelta(minutes=5), force=False)  # the next cron run

    assert "gone" in by_name(report)


# --- redirects and gone sources ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "permanent"), [(301, True), (308, True), (302, False), (307, False)]
)
def test_a_redirect_is_followed_and_a_permanent_one_reported(
    tmp_path: Path, http_server: LocalServer, store: Store, status: int, permanent: bool
) -> None:
    http_server.routes["/old-feed"] = Route(status=status, headers={"Location": "/new-feed"})
    http_server.routes["/new-feed"] = feed_route(rss_feed(("m1", "Acme moved house")))
    config = make_config(tmp_path, http_server, rss_source("moved", http_server.url("/old-feed")))

    report = scan(config, store)

    moved = by_name(report)["moved"]
    assert (moved.outcome, moved.new) == (SourceOutcome.OK, 1)
    [mention] = store.open_mentions(OpenFilter(sources=("moved",)))
    assert mention.title == "Acme moved house"
    expected = http_server.url("/new-feed") if permanent else None
    assert moved.moved_to == expected
    assert store.source_state("moved", "rss").moved_to == expected
    assert_good_stored(report, store)


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml", "gopher://127.0.0.1:70/1"],
)
def test_a_redirect_to_a_non_web_scheme_is_refused(
    tmp_path: Path, http_server: LocalServer, store: Store, location: str
) -> None:
    http_server.routes["/sneaky"] = Route(status=302, headers={"Location": location})
    config = make_config(tmp_path, http_server, rss_source("sneaky", http_server.url("/sneaky")))

    report = scan(config, store)

    scheme = location.split(":")[0]
    assert failed(report, "sneaky").error == (
        f"{http_server.url('/sneaky')} redirects to a non-web address ({scheme}:); not followed"
    )
    assert requests_to(http_server, "/sneaky") == 1
    assert store.open_mentions(OpenFilter(sources=("sneaky",))) == []
    assert_good_stored(report, store)


def test_a_redirect_loop_ends_in_an_error(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    http_server.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    config = make_config(tmp_path, http_server, rss_source("loop", http_server.url("/loop")))

    report = scan(config, store)

    assert (failed(report, "loop").error or "").startswith("too many redirects")
    assert requests_to(http_server, "/loop") == 6
    assert_good_stored(report, store)


def test_410_gone_pauses_the_source_at_once(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    http_server.routes["/gone"] = Route(status=410, body=b"Gone")
    config = make_config(
        tmp_path, http_server, rss_source("gone", http_server.url("/gone")), http="retries = 3"
    )

    report = scan(config, store)

    gone = failed(report, "gone")
    assert gone.http_status == 410
    assert gone.paused is not None and "410" in gone.paused
    state = store.source_state("gone", "rss")
    assert (state.consecutive_errors, state.paused_at) == (1, T0)
    assert state.paused_reason == gone.paused
    assert requests_to(http_server, "/gone") == 1
    assert_good_stored(report, store)

    later = scan(config, store, T0 + timedelta(days=1))
    assert [s.name for s in later.sources] == ["good"]
    assert requests_to(http_server, "/gone") == 1


# --- API sources answering nonsense -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'{"hits": [{"objectID": "1", "title": "Acme', JSON, "invalid JSON from {url}: "),
        (b"", JSON, "invalid JSON from {url}: "),
        (
            b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html; charset=utf-8",
            "expected JSON from {url} but got an HTML page (an error, login or block page?)",
        ),
        (
            b"\n  <html><head><title>Just a moment...</title></head></html>",
            JSON,
            "expected JSON from {url} but got an HTML page (an error, login or block page?)",
        ),
    ],
    ids=["truncated-json", "empty-body", "html-error-page", "html-labelled-as-json"],
)
def test_an_api_answering_nonsense_is_a_clear_source_error(
    tmp_path: Path,
    http_server: LocalServer,
    store: Store,
    body: bytes,
    content_type: str,
    message: str,
) -> None:
    http_server.routes["/search_by_date"] = Route(body=body, headers={"Content-Type": content_type})
    config = make_config(
        tmp_path,
        http_server,
        f'[[sources]]\nname = "hn"\nkind = "hackernews"\nbase_url = "{http_server.base_url}"\n\n',
    )

    report = scan(config, store)

    hn = failed(report, "hn")
    url = http_server.url("/search_by_date")  # redacted: no query string
    assert (hn.error or "").startswith(message.format(url=url))
    assert "query=" not in (hn.error or "") and "tags=" not in (hn.error or "")
    assert hn.http_status == 200
    assert requests_to(http_server, "/search_by_date") == 1
    assert store.source_state("hn", "hackernews").last_error == hn.error
    assert store.open_mentions(OpenFilter(sources=("hn",))) == []
    assert_good_stored(report, store)


# --- silence ----------------------------------------------------------------------------------


def test_a_source_with_nothing_new_for_too_long_is_flagged_silent(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    quiet = rss_feed(("q1", "Acme in the local paper"))
    http_server.routes["/quiet"] = feed_route(quiet)
    http_server.routes["/patient"] = feed_route(quiet)
    http_server.routes["/busy"] = feed_route(rss_feed(("b1", "Acme day one")))
    config = make_config(
        tmp_path,
        http_server,
        rss_source("quiet", http_server.url("/quiet"))
        + rss_source("patient", http_server.url("/patient"))
        + 'silent_after = "30d"\n\n'
        + rss_source("busy", http_server.url("/busy")),
    )

    first = scan(config, store)
    assert {s.name: s.new for s in first.sources} == {
        "quiet": 1,
        "patient": 1,
        "busy": 1,
        "good": 2,
    }
    assert first.silent == []

    # Six days on, the same items: not yet silent (the default is 7 days).
    http_server.routes["/busy"] = feed_route(
        rss_feed(("b1", "Acme day one"), ("b2", "Acme day six"))
    )
    assert scan(config, store, T0 + timedelta(days=6)).silent == []

    # Eight days on: "quiet" and "good" found nothing new since T0; "busy" did on day 6.
    at = T0 + timedelta(days=8)
    report = scan(config, store, at)
    assert all(s.outcome is SourceOutcome.OK for s in report.sources)
    assert dict(report.silent) == {"quiet": timedelta(days=8), "good": timedelta(days=8)}
    flagged = {row.name: row.silent_for for row in source_overview(store, config, at)}
    assert flagged == {
        "quiet": timedelta(days=8),
        "patient": None,  # its own silent_after = "30d" overrides the default
        "busy": None,
        "good": timedelta(days=8),
    }
    assert len(store.open_mentions(OpenFilter(sources=("good",)))) == 2

    # Past its own 30 days, "patient" is flagged too.
    late = {
        row.name: row.silent_for for row in source_overview(store, config, T0 + timedelta(days=31))
    }
    assert late["patient"] == timedelta(days=31)


def test_scan_silent_after_sets_the_default_and_a_failing_source_is_not_silent(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    http_server.routes["/never"] = Route(status=500)
    config = make_config(
        tmp_path,
        http_server,
        rss_source("never", http_server.url("/never")),
        scan='silent_after = "2d"',
        http="retries = 0",
    )
    assert_good_stored(scan(config, store), store)

    report = scan(config, store, T0 + timedelta(days=3))

    # "never" has never worked: it is failing, which is reported as such, not as silence.
    assert dict(report.silent) == {"good": timedelta(days=3)}
    assert failed(report, "never").http_status == 500


# --- what servers say about waiting, unit by unit ---------------------------------------------

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 30 ", 30.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("Fri, 20 Nov 2026 09:01:30 GMT", 90.0),
        ("Fri, 20 Nov 2026 10:00:00 +0100", 0.0),  # 09:00 UTC: now
        ("Fri, 20 Nov 2026 08:00:00 GMT", 0.0),  # in the past: no wait, never negative
        ("Friday, 20-Nov-26 09:02:00 GMT", 120.0),  # RFC 850, still allowed by RFC 9110
        ("Fri Nov 20 09:03:00 2026", 180.0),  # asctime, no zone: UTC
        ("soon", None),
        ("-5", None),
        ("1e3", None),
        ("", None),
        ("120 seconds", None),
        (None, None),
    ],
)
def test_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_retry_after_seconds_defaults_to_the_real_clock() -> None:
    wait = retry_after_seconds(http_date_in(600))
    assert wait is not None and 540 <= wait <= 600


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({}, None),
        ({"retry-after": "30"}, 30.0),
        ({"retry-after": "garbage"}, None),
        # GitHub / Bluesky: an epoch timestamp.
        (
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW.timestamp()) + 900)},
            900.0,
        ),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW.timestamp()) - 60)}, 0.0),
        (
            {"x-ratelimit-remaining": "4", "x-ratelimit-reset": str(int(NOW.timestamp()) + 900)},
            None,
        ),
        # Reddit: a float remaining and a delay in seconds.
        ({"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "300"}, 300.0),
        ({"x-ratelimit-remaining": "0.6", "x-ratelimit-reset": "300"}, 300.0),  # < 1 request left
        ({"x-ratelimit-remaining": "1.0", "x-ratelimit-reset": "300"}, None),
        # The IETF fields: a delay.
        ({"ratelimit-remaining": "0", "ratelimit-reset": "120"}, 120.0),
        # Mastodon: an ISO 8601 reset time.
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2026-11-20T09:05:00.000Z"}, 300.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2026-11-20T10:05:00+01:00"}, 300.0),
        # The combined field, in both spellings of the drafts.
        ({"ratelimit": "limit=100, remaining=0, reset=30"}, 30.0),
        ({"ratelimit": '"default";r=0;t=45'}, 45.0),
        ({"ratelimit": '"default";r=7;t=45'}, None),
        # Half a header, or nonsense, is ignored rather than trusted.
        ({"x-ratelimit-remaining": "0"}, None),
        ({"x-ratelimit-reset": "300"}, None),
        ({"x-ratelimit-remaining": "none", "x-ratelimit-reset": "300"}, None),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "tomorrow"}, None),
        # Several at once: the longest wins.
        (
            {"retry-after": "60", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "600"},
            600.0,
        ),
        ({"retry-after": "900", "ratelimit-remaining": "0", "ratelimit-reset": "60"}, 900.0),
    ],
)
def test_rate_limit_wait(headers: dict[str, str], seconds: float | None) -> None:
    assert rate_limit_wait(headers, NOW) == seconds


# --- the backoff itself -----------------------------------------------------------------------


def record_retry_waits(url: str, settings: HttpConfig, runs: int = 1) -> list[list[float]]:
    """The waits between attempts of `runs` failing GETs, recorded instead of slept."""
    recorded: list[list[float]] = []

    async def attempt() -> None:
        waits: list[float] = []

        async def fake_sleep(seconds: float) -> None:
            waits.append(seconds)

        async with HttpFetcher(settings, sleep=fake_sleep) as http:
            with pytest.raises(SourceError):
                await http.get(url)
        recorded.append(waits)

    for _ in range(runs):
        asyncio.run(attempt())
    return recorded


@pytest.mark.real_backoff
def test_retry_backoff_grows_exponentially_with_jitter(http_server: LocalServer) -> None:
    http_server.routes["/down"] = Route(status=503)
    settings = HttpConfig(retries=4, retry_backoff=timedelta(seconds=1))

    runs = record_retry_waits(http_server.url("/down"), settings, runs=3)

    assert requests_to(http_server, "/down") == 3 * 5
    for waits in runs:
        assert len(waits) == 4
        for attempt, wait in enumerate(waits):
            # base * 2^attempt, times a jitter factor between 0.5 and 1.5
            assert 0.5 * 2**attempt <= wait <= 1.5 * 2**attempt, (attempt, waits)
    factors = [wait / 2**attempt for waits in runs for attempt, wait in enumerate(waits)]
    assert len(set(factors)) == len(factors)  # jittered: no two the same
    # Exponential, not linear: the last wait's range lies wholly above the first's.
    assert all(waits[3] > waits[0] for waits in runs)


@pytest.mark.real_backoff
@pytest.mark.parametrize(("status", "asked"), [(429, "2"), (503, "3")])
def test_a_short_retry_after_is_the_wait_exactly(
    http_server: LocalServer, status: int, asked: str
) -> None:
    http_server.routes["/busy"] = Route(status=status, headers={"Retry-After": asked})

    (waits,) = record_retry_waits(http_server.url("/busy"), HttpConfig(retries=2))

    assert waits == [float(asked), float(asked)]
    assert Counter(r.path for r in http_server.requests) == {"/busy": 3}


@pytest.mark.real_backoff
def test_requests_that_must_not_be_retried_never_sleep(http_server: LocalServer) -> None:
    http_server.routes["/missing"] = Route(status=404)
    http_server.routes["/limited"] = Route(status=429, headers={"Retry-After": "3600"})
    http_server.routes["/maintenance"] = Route(status=503, headers={"Retry-After": "600"})
    settings = HttpConfig(retries=3)

    for path in ("/missing", "/limited", "/maintenance"):
        assert record_retry_waits(http_server.url(path), settings) == [[]]

    assert Counter(r.path for r in http_server.requests) == {
        "/missing": 1,
        "/limited": 1,
        "/maintenance": 1,
    }
