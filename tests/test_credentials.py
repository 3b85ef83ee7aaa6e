"""Credentials never appear in output, error messages or the database, whatever a server does.

Every source that takes a secret is pointed at a hostile local server that echoes each request
(its path, query and headers, the secret included) back in its error bodies, with 401, 403, 429
and 500 statuses. The scan, `sources`, `sources test` and the database must not show any of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import LocalServer, Route, SeenRequest, write_config
from mentionwatch.cli import app

SECRETS = {
    "MW_TEST_GITHUB_TOKEN": "ghp_SECRETgithubTOKEN0001",
    "MW_TEST_MASTODON_TOKEN": "SECRETmastodonTOKEN0002",
    "MW_TEST_BSKY_HANDLE": "monitor.bsky.social",
    "MW_TEST_BSKY_PASSWORD": "SECRET-bsky-pass-0003",
    "MW_TEST_REDDIT_ID": "SECRETredditID0004",
    "MW_TEST_REDDIT_SECRET": "SECRETredditSECRET0005",
    "MW_TEST_SE_KEY": "SECRETstackKEY0006((",
}
SECRET_VALUES = [v for k, v in SECRETS.items() if k != "MW_TEST_BSKY_HANDLE"]


def sources_toml(base: str) -> str:
    return f"""
[[sources]]
name = "gh"
kind = "github"
base_url = "{base}/github"
token_env = "MW_TEST_GITHUB_TOKEN"

[[sources]]
name = "masto"
kind = "mastodon"
base_url = "{base}/mastodon"
token_env = "MW_TEST_MASTODON_TOKEN"

[[sources]]
name = "sky"
kind = "bluesky"
base_url = "{base}/bluesky"
identifier_env = "MW_TEST_BSKY_HANDLE"
app_password_env = "MW_TEST_BSKY_PASSWORD"

[[sources]]
name = "rd"
kind = "reddit"
base_url = "{base}/reddit"
auth_url = "{base}/reddit-auth"
client_id_env = "MW_TEST_REDDIT_ID"
client_secret_env = "MW_TEST_REDDIT_SECRET"

[[sources]]
name = "se"
kind = "stackexchange"
site = "superuser"
base_url = "{base}/se"
key_env = "MW_TEST_SE_KEY"
"""


def echo_everything(status: int):  # type: ignore[no-untyped-def]
    """A server that answers every request with `status` and the request itself echoed."""

    def answer(seen: SeenRequest) -> Route:
        echoed = {
            "error": "echo",
            "error_id": status,
            "error_name": "echo",
            "error_message": f"you sent {seen.path} with {seen.headers} and {seen.body!r}",
            "message": f"you sent {seen.path} with {seen.headers}",
        }
        return Route(
            json.dumps(echoed).encode(),
            status=status,
            headers={"Content-Type": "application/json", "Retry-After": "30"},
        )

    return answer


def assert_no_secret(text: str) -> None:
    for secret in SECRET_VALUES:
        assert secret not in text
        assert secret.replace("(", "%28") not in text  # nor URL-encoded


@pytest.mark.parametrize("status", [401, 403, 429, 500])
def test_no_secret_in_output_or_database(
    isolated_env: Path,
    http_server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    http_server.fallback = echo_everything(status)
    config = write_config(isolated_env, sources_toml(http_server.base_url))
    database = isolated_env / "mw.db"
    runner = CliRunner()
    common = ["--config", str(config), "--db", str(database)]

    outputs = [
        runner.invoke(app, ["scan", "--all", "--json", *common]),
        runner.invoke(app, ["scan", "--all", *common]),
        runner.invoke(app, ["sources", "--json", *common]),
        runner.invoke(app, ["sources", *common]),
    ]
    outputs += [
        runner.invoke(app, ["sources", "test", name, "--config", str(config)])
        for name in ("gh", "masto", "sky", "rd", "se")
    ]
    assert outputs[0].exit_code == 1  # every source failed, and said so
    assert len(http_server.requests) >= 5  # the secrets were really sent to the server
    for result in outputs:
        assert_no_secret(result.stdout + result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
    stored = b"".join(p.read_bytes() for p in isolated_env.glob("mw.db*"))
    for secret in SECRET_VALUES:
        assert secret.encode() not in stored
