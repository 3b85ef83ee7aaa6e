"""`mentionwatch sources test NAME`: one real request, one line, a useful exit status."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import LocalServer, Route, rss_source, write_config
from mentionwatch.cli import app

FEED = (Path(__file__).parent / "fixtures" / "feeds" / "google-alerts.atom").read_bytes()


def run(config: Path, name: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["sources", "test", name, "--config", str(config)])


@pytest.fixture
def config(isolated_env: Path, http_server: LocalServer) -> Path:
    http_server.routes["/ok"] = Route(body=FEED, headers={"Content-Type": "application/atom+xml"})
    http_server.routes["/private"] = Route(status=401, body=b"no")
    http_server.routes["/forbidden"] = Route(status=403, body=b"<html>blocked</html>")
    http_server.routes["/busy"] = Route(status=429, headers={"Retry-After": "120"})
    sources = "".join(
        rss_source(name, http_server.url(f"/{name}"))
        for name in ("ok", "private", "forbidden", "busy")
    )
    return write_config(isolated_env, sources)


def test_a_working_source_says_so_and_stores_nothing(
    config: Path, isolated_env: Path, http_server: LocalServer
) -> None:
    result = run(config, "ok")
    assert result.exit_code == 0, result.output
    assert result.output == "ok: works: 3 item(s) in the latest results\n"
    assert not list(isolated_env.rglob("*.db"))


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("private", "HTTP 401 Unauthorized from http://127.0.0.1:"),
        ("private", "the credentials were rejected"),
        ("forbidden", "access is forbidden"),
        ("busy", "rate limited (the server asks to wait: Retry-After 120)"),
    ],
)
def test_a_failing_source_says_what_to_do(config: Path, name: str, advice: str) -> None:
    result = run(config, name)
    assert result.exit_code == 1
    assert advice in result.output
    assert result.output.count("\n") == 1 and result.output.startswith(f"{name}: ")


def test_an_unknown_source_is_not_found(config: Path) -> None:
    result = run(config, "nope")
    assert result.exit_code == 3
    assert "no source named nope" in result.output
