"""Shared test peers: a real HTTP server on 127.0.0.1, config files and databases on disk."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

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


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    server = LocalServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


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
