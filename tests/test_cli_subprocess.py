"""The installed `mentionwatch` script in real processes: what cron and a terminal really see."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import LocalServer, rss_source, write_config
from mentionwatch import __version__

SCRIPT = Path(sys.executable).parent / "mentionwatch"
COMPLAINT = "Dozens of readers told the Ledger"
ANSI_ESCAPE = re.compile(r"\x1b[\[\]]")
SGR = re.compile(r"\x1b\[([0-9;]*)m")
# Modules a plain `import mentionwatch.cli` (and so `mentionwatch --help`) must not pay for.
HEAVY_MODULES = ["httpx", "vaderSentiment", "feedparser", "jinja2", "rich.table", "rich.console"]


def script() -> str:
    found = str(SCRIPT) if SCRIPT.exists() else shutil.which("mentionwatch")
    assert found, "the `mentionwatch` console script is not installed (pip install -e .)"
    return found


@pytest.fixture
def env(isolated_env: Path) -> dict[str, str]:
    """The child's environment: isolated dirs, and no colour forcing from the developer's shell."""
    child = dict(os.environ)
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "COLUMNS"):
        child.pop(name, None)
    child["PYTHONIOENCODING"] = "utf-8"
    return child


@pytest.fixture
def configured(env: dict[str, str], isolated_env: Path, http_server: LocalServer) -> dict[str, str]:
    """`env` plus a config (one Google Alerts feed on the local server) and a database."""
    url = http_server.serve_file("/alerts.atom", "feeds/google-alerts.atom", "application/atom+xml")
    env["MENTIONWATCH_CONFIG"] = str(write_config(isolated_env, rss_source("alerts", url)))
    env["MENTIONWATCH_DB"] = str(isolated_env / "data" / "mentions.db")
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [script(), *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def run_in_terminal(env: dict[str, str], *args: str, timeout: float = 60) -> str:
    """Run the script with a pseudo-terminal as stdin, stdout and stderr; returns what it wrote."""
    import pty

    master, slave = pty.openpty()
    terminal_env = {**env, "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "40"}
    process = subprocess.Popen(
        [script(), *args], stdin=slave, stdout=slave, stderr=slave, env=terminal_env
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                process.kill()
                raise TimeoutError(f"mentionwatch {' '.join(args)} did not finish")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child has exited and closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert process.wait(timeout) == 0, b"".join(chunks)
    finally:
        os.close(master)
    return b"".join(chunks).decode("utf-8")


def colour_codes(output: str) -> list[str]:
    """SGR parameters that set a colour (not bold, dim or reset)."""
    colours = []
    for params in SGR.findall(output):
        for param in filter(None, params.split(";")):
            if 30 <= int(param) <= 49 or 90 <= int(param) <= 107:
                colours.append(param)
    return colours


def test_version(env: dict[str, str]) -> None:
    result = run(env, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"mentionwatch {__version__}\n"


def test_scan_then_inbox_in_real_processes(configured: dict[str, str]) -> None:
    scan = run(configured, "scan")
    assert scan.returncode == 0, scan.stderr
    assert "3 new" in scan.stdout

    inbox = run(configured, "inbox")
    assert inbox.returncode == 0, inbox.stderr
    assert COMPLAINT in inbox.stdout

    as_json = run(configured, "inbox", "--json")
    assert as_json.returncode == 0, as_json.stderr
    (entry,) = json.loads(as_json.stdout)
    assert entry["text"].startswith(COMPLAINT)
    assert entry["sentiment"]["label"] == "negative"

    sources = run(configured, "sources")
    # Piped (cron mail, `| less`): plain text, whatever the command.
    for result in (scan, inbox, as_json, sources):
        assert not ANSI_ESCAPE.search(result.stdout + result.stderr), result.args
    assert Path(configured["MENTIONWATCH_DB"]).exists()


def test_a_broken_config_in_a_real_process(env: dict[str, str], isolated_env: Path) -> None:
    config = write_config(isolated_env, brand_toml='[brand]\nname = "Acme"\n')
    env["MENTIONWATCH_CONFIG"] = str(config)
    result = run(env, "inbox")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"mentionwatch: {config}: brand.terms: expected a value (an array of strings);"
        " it is required\n"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_colour_on_a_terminal_and_no_color_honoured(configured: dict[str, str]) -> None:
    assert run(configured, "scan").returncode == 0

    coloured = run_in_terminal(configured, "classify", "I hate how slow Acme is")
    assert "negative" in coloured
    assert colour_codes(coloured), "a terminal should get colour, or this test proves nothing"

    configured["NO_COLOR"] = "1"
    seen = {}
    for args in (["classify", "I hate how slow Acme is"], ["inbox"], ["sources"]):
        seen[args[0]] = plain = run_in_terminal(configured, *args)
        assert colour_codes(plain) == [], args
    assert "negative" in seen["classify"]
    assert COMPLAINT in seen["inbox"]
    assert "alerts" in seen["sources"]


@pytest.mark.parametrize(
    "code",
    [
        "import mentionwatch.cli",
        # `mentionwatch --help` itself: Typer's help must not pull in the heavy modules either.
        "import sys\n"
        "sys.argv = ['mentionwatch', '--help']\n"
        "from mentionwatch.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n",
    ],
    ids=["import", "help"],
)
def test_the_cli_does_not_import_heavy_modules_up_front(env: dict[str, str], code: str) -> None:
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []
