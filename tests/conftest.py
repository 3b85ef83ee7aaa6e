"""Shared test peers: a real HTTP server on 127.0.0.1, config files and databases on disk."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mentionwatch.models import (
    Classification,
    Mention,
    MentionStatus,
    ScoredMention,
    SearchResult,
    SentimentLabel,
    SourceState,
)
from mentionwatch.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Route:
    """What the local server answers for one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: Answer 304 when the request's If-None-Match equals this ETag.
    etag: str | None = None


@dataclass
class SeenRequest:
    #: The path with its query string, as sent.
    path: str
    #: Header names in lower case.
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""

    @property
    def query(self) -> dict[str, list[str]]:
        from urllib.parse import parse_qs, urlsplit

        return parse_qs(urlsplit(self.path).query, keep_blank_values=True)


class LocalServer:
    """A real HTTP server on 127.0.0.1 whose routes a test sets up, recording every request.

    `routes` maps a path (with or without its query string) to a `Route`, or to a function of
    the `SeenRequest` returning one: use a function to answer by query parameters (cursors,
    ids), method (GET / POST) or headers (tokens).
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[SeenRequest], Route]] = {}
        #: Answers every path that has no route of its own (None: 404).
        self.fallback: Route | Callable[[SeenRequest], Route] | None = None
        self.requests: list[SeenRequest] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(self.rfile.read(length))

            def _answer(self, body: bytes) -> None:
                seen = SeenRequest(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.command,
                    body,
                )
                server.requests.append(seen)
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                route = route or server.fallback
                if callable(route):
                    route = route(seen)
                if route is None:
                    self.send_error(404)
                    return
                if route.etag and seen.headers.get("if-none-match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.etag:
                    self.send_header("ETag", route.etag)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        # A listen backlog of 64, not the default 5: sources read threads concurrently.
        httpd_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 64})
        self._httpd = httpd_class(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve_file(self, path: str, fixture: str, content_type: str, **kwargs: object) -> str:
        """Serve tests/fixtures/<fixture> at `path`; returns its full URL."""
        body = (FIXTURES / fixture).read_bytes()
        self.routes[path] = Route(body=body, headers={"Content-Type": content_type}, **kwargs)  # type: ignore[arg-type]
        return self.url(path)


@pytest.fixture(scope="module")
def _module_http_server() -> Iterator[LocalServer]:
    server = LocalServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def http_server(_module_http_server: LocalServer) -> LocalServer:
    """A real HTTP server on 127.0.0.1, fresh for each test: no routes, no fallback, nothing
    seen. One is started per test module: stopping one takes ~0.5 s (the poll interval of
    `serve_forever`), which per test would double the suite's run time."""
    _module_http_server.routes = {}  # new objects: a test may have put its own in
    _module_http_server.requests = []
    _module_http_server.fallback = None
    return _module_http_server


@pytest.fixture
def plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Captured CLI output is never a TTY's, whatever the developer's environment says
    (FORCE_COLOR and the like), and no proxy sits between a scan and 127.0.0.1."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


def mw(*args: object, input: str | None = None) -> Result:
    """`mentionwatch ARGS...` through Typer's CliRunner."""
    from mentionwatch.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def write_config(directory: Path, sources_toml: str = "", brand_toml: str | None = None) -> Path:
    """Write a config file for the Acme fixtures; returns its path."""
    brand = brand_toml or (
        '[brand]\nname = "Acme"\nterms = ["Acme"]\nexclude = ["Acme Anvil"]\n'
        'handles = ["AcmeSupport", "*atAcme"]\nsla = "4h"\n'
    )
    path = directory / "config.toml"
    path.write_text(brand + "\n" + sources_toml, encoding="utf-8")
    return path


def rss_source(name: str, url: str, interval: str = "30m") -> str:
    return f'[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{url}"\ninterval = "{interval}"\n\n'


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No config or database from the developer's own machine leaks into a test."""
    monkeypatch.delenv("MENTIONWATCH_CONFIG", raising=False)
    monkeypatch.delenv("MENTIONWATCH_DB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.fixture(autouse=True)
def quick_retry_backoff(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries wait a hundredth of the real backoff in tests (same exponential shape, same
    jitter), so a failing server costs milliseconds. A test about the backoff itself opts out
    with `@pytest.mark.real_backoff`."""
    if request.node.get_closest_marker("real_backoff"):
        return
    from mentionwatch.http import HttpFetcher

    real = HttpFetcher._backoff

    def scaled(self: HttpFetcher, attempt: int, error: object) -> float:
        return real(self, attempt, error) / 100  # type: ignore[arg-type]

    monkeypatch.setattr(HttpFetcher, "_backoff", scaled)


# --- a real SMTP server (aiosmtpd) on 127.0.0.1 ------------------------------------------------


@dataclass
class SmtpServer:
    """A local aiosmtpd server that keeps every message it accepted (raw bytes)."""

    port: int
    messages: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    #: Recipients answered 550 at RCPT TO.
    reject: set[str] = field(default_factory=set)
    #: (user, password) logins accepted; None: AUTH is not offered.
    logins: list[tuple[str, str]] = field(default_factory=list)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (openssl), as (certificate, key)."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a throwaway certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@contextlib.contextmanager
def running_smtp(
    *, tls: tuple[Path, Path] | None = None, logins: Sequence[tuple[str, str]] = ()
) -> Iterator[SmtpServer]:
    """Start aiosmtpd; with `tls` it offers (and requires) STARTTLS with that certificate."""
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    server = SmtpServer(port=free_port(), logins=list(logins))

    class Handler:
        async def handle_RCPT(self, srv, session, envelope, address, options):  # type: ignore[no-untyped-def]
            if address in server.reject:
                return "550 5.1.1 no such mailbox here"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, srv, session, envelope):  # type: ignore[no-untyped-def]
            server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            server.messages.append(envelope.original_content)
            return "250 Message accepted for delivery"

    def authenticate(srv, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = (
            isinstance(auth_data, LoginPassword)
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            in server.logins
        )
        return AuthResult(success=ok, handled=False)

    options: dict[str, object] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        options.update(tls_context=context, require_starttls=True)
    if logins:
        options.update(authenticator=authenticate, auth_require_tls=tls is not None)
    controller = Controller(Handler(), hostname="127.0.0.1", port=server.port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# --- a fixed data set for the digest -----------------------------------------------------------

DIGEST_NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
DIGEST_CONFIG = """
[brand]
name = "Acme"
terms = ["Acme"]
handles = ["AcmeSupport"]
sla = "4h"

[digest]
from = "digest@acme.example"
to = ["support@acme.example"]

[[sources]]
name = "alerts"
kind = "rss"
url = "https://alerts.example/feed.xml"

[[sources]]
name = "forum"
kind = "rss"
url = "https://forum.example/feed.xml"
"""


def digest_post(
    native_id: str,
    label: str,
    *,
    hours_ago: float,
    title: str = "",
    text: str = "",
    author: str | None = "someone",
    reach: int | None = None,
    url: str | None = None,
    question: bool = False,
    spam: bool = False,
    source: str = "alerts",
) -> ScoredMention:
    compound = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}[label]
    mention = Mention(
        source=source,
        kind="rss",
        native_id=native_id,
        url=url if url is not None else f"https://{source}.example/{native_id}",
        title=title,
        text=text,
        created_at=DIGEST_NOW - timedelta(hours=hours_ago),
        author=author,
        reach=reach,
    )
    verdict = Classification(compound, SentimentLabel(label), text, question=question, spam=spam)
    return ScoredMention(mention, verdict)


def store_posts(
    store: Store, posts: Sequence[ScoredMention], fetched_at: datetime, source: str = "alerts"
) -> None:
    store.save_poll(
        SourceState(source, "rss"), SearchResult([p.mention for p in posts]), posts, fetched_at
    )


def fill_digest_data(store: Store) -> None:
    """Three days of Acme mentions, fetched an hour before `DIGEST_NOW` (and one older)."""
    store_posts(
        store,
        [
            digest_post("old-1", "negative", hours_ago=50, title="Acme billing twice",
                        text="Charged twice for November, nobody answers.", author="ravi"),
            digest_post("old-2", "positive", hours_ago=49, title="Acme sync is great",
                        text="Sync finally works on my phone.", author="li"),
        ],
        DIGEST_NOW - timedelta(hours=48),
    )  # fmt: skip
    store_posts(
        store,
        [
            digest_post("late", "negative", hours_ago=10, title="Acme lost my order",
                        text="My order never arrived and support is silent.",
                        author="maya_k", reach=1200),
            digest_post("fresh", "negative", hours_ago=1, title="",
                        text="The Acme app crashed again during checkout.",
                        author="dev_ops_dan", url="javascript:alert(1)"),
            digest_post("ask", "neutral", hours_ago=2, title="Export from Acme?",
                        text="How do I export my data from Acme?", author="quinn",
                        question=True, reach=15),
            digest_post("praise", "positive", hours_ago=3, title="",
                        text="Acme support sorted my refund in minutes, thank you!",
                        author="sam"),
            digest_post("scam", "neutral", hours_ago=4, title="",
                        text="Acme giveaway! DM me for free crypto", author="bot123",
                        spam=True),
            digest_post("answered", "negative", hours_ago=5, title="Acme login broken",
                        text="Cannot log in to Acme since this morning.", author="jo"),
        ],
        DIGEST_NOW - timedelta(hours=1),
    )  # fmt: skip
    answered = next(m for m in store.open_mentions() if m.native_id == "answered")
    store.set_status(
        answered.id, MentionStatus.ANSWERED, by="AcmeSupport", at=DIGEST_NOW - timedelta(hours=4)
    )
    store_posts(store, [], DIGEST_NOW - timedelta(days=9), source="forum")
    for hours in (3, 2):
        store.record_failure(
            "forum", "rss", "HTTP 500 from forum.example", DIGEST_NOW - timedelta(hours=hours)
        )
