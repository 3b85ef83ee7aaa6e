"""The digest: what it counts, its watermark, and golden files for both parts of the email."""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DIGEST_CONFIG, DIGEST_NOW, FIXTURES, digest_post, fill_digest_data, store_posts
from mentionwatch.cli import app
from mentionwatch.config import Config, parse_config
from mentionwatch.digest import build_digest, mark_sent
from mentionwatch.models import SentimentLabel
from mentionwatch.store import Store
from mentionwatch.views.digest import digest_message, header_text, render_html, render_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GOLDEN = FIXTURES / "digest"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return parse_config(tomllib.loads(DIGEST_CONFIG), tmp_path / "config.toml")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "digest.db") as opened:
        fill_digest_data(opened)
        yield opened  # type: ignore[misc]


def test_the_digest_counts_what_needs_the_team_most_urgent_first(
    store: Store, config: Config
) -> None:
    digest = build_digest(store, config, now=DIGEST_NOW)
    assert digest.headline == "3 unanswered negative mentions, 2 past SLA, 1 open question"
    assert digest.subject == f"Acme digest: {digest.headline}; 5 new"
    assert [e.mention.native_id for e in digest.breaches] == ["late", "old-1"]
    assert [e.mention.native_id for e in digest.negatives] == ["late", "old-1", "fresh"]
    assert [e.mention.native_id for e in digest.questions] == ["ask"]
    # New: fetched within [digest] since (24h) before the first digest; spam counted apart.
    assert digest.new_by_sentiment == {
        SentimentLabel.NEGATIVE: 3,
        SentimentLabel.NEUTRAL: 1,
        SentimentLabel.POSITIVE: 1,
    }
    assert digest.new_by_source == [("alerts", 5)]
    assert digest.new_spam == 1
    assert [(m.native_id, m.answered_by, m.first_response_s) for m in digest.answered] == [
        ("answered", "AcmeSupport", 3600)
    ]
    assert [(p.name, p.state) for p in digest.problems] == [("forum", "failing")]
    assert [d.total for d in digest.trend] == [0, 0, 0, 0, 2, 1, 4]
    assert digest.trend[-1].day == DIGEST_NOW.date()


def test_new_mentions_start_after_the_last_digest_sent(store: Store, config: Config) -> None:
    first = build_digest(store, config, now=DIGEST_NOW)
    mark_sent(store, first, ["support@acme.example"], DIGEST_NOW)
    later = DIGEST_NOW + timedelta(hours=1)
    again = build_digest(store, config, now=later)
    assert again.new_total == 0 and again.new_spam == 0 and again.since_last_digest
    store_posts(store, [digest_post("next", "negative", hours_ago=-0.5, text="Acme down")], later)
    after = build_digest(store, config, now=later)
    assert after.new_by_sentiment[SentimentLabel.NEGATIVE] == 1
    assert after.period_start == DIGEST_NOW
    # An explicit look-back ignores the watermark for that one digest.
    assert (
        build_digest(store, config, now=later, since=timedelta(days=7)).new_total == 8
    )  # 9 stored, 1 spam


def test_an_unsent_digest_leaves_the_watermark_where_it_was(store: Store, config: Config) -> None:
    build_digest(store, config, now=DIGEST_NOW)
    assert store.last_digest() is None
    assert build_digest(store, config, now=DIGEST_NOW).new_total == 5


@pytest.mark.parametrize("part", ["txt", "html"])
def test_golden_files(store: Store, config: Config, part: str) -> None:
    digest = build_digest(store, config, now=DIGEST_NOW)
    rendered = render_text(digest) if part == "txt" else render_html(digest)
    golden = GOLDEN / f"digest.{part}"
    if os.environ.get("MENTIONWATCH_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_the_html_part_is_self_contained_and_links_only_to_the_web(
    store: Store, config: Config
) -> None:
    html = render_html(build_digest(store, config, now=DIGEST_NOW))
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "<link" not in html.lower() and "@import" not in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
    assert "javascript:alert(1)" in html  # shown as text, never as a link


def test_hostile_post_text_is_plain_text_in_both_parts(tmp_path: Path, config: Config) -> None:
    title = "Acme <script>alert(1)</script>\r\nBcc: victim@evil.example =?utf-8?q?=0D=0AX-Evil:_1?="
    author = 'mallory"><img src=x onerror=alert(1)>\nX-Injected: yes'
    with Store.open(tmp_path / "hostile.db") as store:
        store_posts(
            store,
            [digest_post("evil", "negative", hours_ago=1, title=title, text="Acme is bad",
                         author=author)],
            DIGEST_NOW,
        )  # fmt: skip
        digest = build_digest(store, config, now=DIGEST_NOW)
    text, html = render_text(digest), render_html(digest)
    assert "\nBcc:" not in text and "\nX-Injected" not in text
    assert "Bcc: victim@evil.example =?utf-8?q?=0D=0AX-Evil:_1?=" in text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x" in html


def test_header_text_defuses_encoded_words_and_line_breaks() -> None:
    assert header_text("a\r\nBcc: x") == "a Bcc: x"
    assert "=?" not in header_text("=?utf-8?q?=0D=0ABcc:_x?=")


def test_the_cli_prints_each_format_without_sending(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "config.toml"
    path.write_text(DIGEST_CONFIG, encoding="utf-8")
    db = tmp_path / "cli.db"
    with Store.open(db) as store:
        fill_digest_data(store)
    runner = CliRunner()
    base = ["digest", "--config", str(path), "--db", str(db), "--since", "30d"]
    text = runner.invoke(app, base)
    assert text.exit_code == 0, text.output
    assert "UNANSWERED NEGATIVE" in text.output and "Acme digest:" in text.output
    html = runner.invoke(app, [*base, "--format", "html"])
    assert html.exit_code == 0 and html.output.startswith("<!DOCTYPE html>")
    eml = runner.invoke(app, [*base, "--format", "eml", "--to", "lead@acme.example"])
    assert eml.exit_code == 0 and "To: lead@acme.example" in eml.output
    assert "multipart/alternative" in eml.output
    bad = runner.invoke(app, [*base, "--to", "not an address"])
    assert bad.exit_code == 2
    with Store.open(db) as store:
        assert store.last_digest() is None  # printing never moves the watermark


def test_send_without_smtp_config_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(DIGEST_CONFIG, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["digest", "--config", str(path), "--db", str(tmp_path / "x.db"), "--send"]
    )
    assert result.exit_code == 2
    assert "[smtp]: needed to send the digest" in result.output


def test_the_message_is_multipart_alternative_with_counts_in_the_subject(
    store: Store, config: Config
) -> None:
    digest = build_digest(store, config, now=DIGEST_NOW)
    message = digest_message(
        digest, sender="digest@acme.example", recipients=["a@acme.example"], now=DIGEST_NOW
    )
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == digest.subject


# --- the demo data: the digest a new user sees first ------------------------------------------

DEMO_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def _demo_digest(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The bundled demo scanned at a fixed time, one source at a time (so mention ids, which
    the digest shows, do not depend on which server answered first)."""
    from dataclasses import replace

    from mentionwatch.config import HttpConfig
    from mentionwatch.demo import demo_config
    from mentionwatch.demo.platforms import DEMO_ENVIRON
    from mentionwatch.demo.server import load_dataset, serve_demo
    from mentionwatch.scan import run_scan

    dataset = load_dataset()
    database = tmp_path / "demo.db"
    with serve_demo(dataset, now=DEMO_NOW) as site, Store.open(database) as store:
        config = demo_config(dataset, site.sources, database)
        config = replace(config, http=HttpConfig(concurrency=1, per_host=1))
        run_scan(config, store, force=True, clock=lambda: DEMO_NOW, environ=DEMO_ENVIRON)
        digest_config = parse_config(
            {
                "brand": dataset["brand"],
                "digest": {"from": "mw@brightloop.example", "to": ["lead@brightloop.example"]},
            },
            tmp_path / "config.toml",
        )
        return build_digest(store, digest_config, now=DEMO_NOW + timedelta(minutes=5))


@pytest.mark.parametrize("part", ["txt", "html"])
def test_golden_files_of_the_demo_data(tmp_path: Path, part: str) -> None:
    digest = _demo_digest(tmp_path)
    rendered = render_text(digest) if part == "txt" else render_html(digest)
    golden = GOLDEN / f"demo.{part}"
    if os.environ.get("MENTIONWATCH_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")
