"""No duplicates, no losses: feed items are one mention each however a feed misbehaves.

Each case is served by a real local HTTP server and scanned twice into a real SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import LocalServer, Route, rss_source, write_config
from mentionwatch.config import load_config
from mentionwatch.scan import run_scan
from mentionwatch.store import Store

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
RSS = {"Content-Type": "application/rss+xml"}


def feed(*items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def item(title: str, link: str | None = None, guid: str | None = None, body: str = "") -> str:
    parts = [f"<title>{title}</title>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    parts.append(f"<description>{body or title}</description>")
    return "<item>" + "".join(parts) + "</item>"


@pytest.fixture
def setup(
    isolated_env: Path, http_server: LocalServer
) -> Iterator[tuple[LocalServer, Store, object]]:
    config = load_config(write_config(isolated_env, rss_source("blog", http_server.url("/f"))))
    with Store.open(isolated_env / "mw.db") as store:
        yield http_server, store, config


def scan_serving(setup: tuple[LocalServer, Store, object], body: bytes, minutes: int = 0):  # type: ignore[no-untyped-def]
    server, store, config = setup
    server.routes["/f"] = Route(body, headers=RSS)
    return run_scan(
        config,
        store,
        force=True,
        environ={},  # type: ignore[arg-type]
        clock=lambda: T0 + timedelta(minutes=minutes),
    )


def rows(store: Store) -> list[tuple[str, str, str]]:
    return [
        (r["native_id"], r["title"], r["url"])
        for r in store.db.execute("SELECT native_id, title, url FROM mentions ORDER BY id")
    ]


def test_republished_items_with_changed_guids_are_not_duplicated(setup) -> None:  # type: ignore[no-untyped-def]
    store = setup[1]
    first = scan_serving(
        setup,
        feed(
            item("Acme lost my parcel", "https://blog.example/1", guid="v1-1"),
            item("Acme support is slow", "https://blog.example/2", guid="v1-2"),
        ),
    )
    assert first.new == 2
    # The CMS was migrated: every GUID changed, the posts (links and titles) did not.
    again = scan_serving(
        setup,
        feed(
            item("Acme lost my parcel", "https://blog.example/1", guid="v2-1"),
            item(
                "Acme support is slow",
                "https://blog.example/2",
                guid="v2-2",
                body="Acme support is slow. Edit: still waiting.",
            ),
        ),
        minutes=60,
    )
    assert (again.new, again.updated) == (0, 1)
    assert store.count_mentions() == 2
    assert [r[0] for r in rows(store)] == ["v1-1", "v1-2"]  # stored once, under the first id


def test_the_same_guid_for_two_links_is_two_mentions(setup) -> None:  # type: ignore[no-untyped-def]
    store = setup[1]
    body = feed(
        item("Acme outage in Leeds", "https://news.example/leeds", guid="same"),
        item("Acme outage in York", "https://news.example/york", guid="same"),
    )
    assert scan_serving(setup, body).new == 2
    assert scan_serving(setup, body, minutes=60).new == 0
    assert {r[1] for r in rows(store)} == {"Acme outage in Leeds", "Acme outage in York"}
    assert store.count_mentions() == 2


def test_a_feed_without_guids_is_keyed_by_link_whatever_the_scheme_or_tracking(setup) -> None:  # type: ignore[no-untyped-def]
    store = setup[1]
    assert (
        scan_serving(
            setup,
            feed(
                item("Acme broke my router", "http://forum.example/t/9?utm_source=rss"),
                item("Acme billing mess", "https://forum.example/t/10"),
            ),
        ).new
        == 2
    )
    later = scan_serving(
        setup,
        feed(
            item("Acme broke my router", "https://forum.example/t/9"),
            item("Acme billing mess", "https://FORUM.example/t/10?fbclid=abc#comments"),
        ),
        minutes=60,
    )
    assert later.new == 0
    assert store.count_mentions() == 2


def test_items_with_neither_guid_nor_link_are_keyed_by_their_content(setup) -> None:  # type: ignore[no-untyped-def]
    store = setup[1]
    body = feed(item("Acme is down again"), item("Acme refund still missing"))
    assert scan_serving(setup, body).new == 2
    assert scan_serving(setup, body, minutes=60).new == 0
    assert store.count_mentions() == 2


def test_different_posts_that_share_a_link_are_kept_apart(setup) -> None:  # type: ignore[no-untyped-def]
    store = setup[1]
    # A badly made feed whose every item links to the home page: different titles, different
    # GUIDs, different posts. Nothing may be merged away.
    body = feed(
        item("Acme outage update 1", "https://status.example/", guid="a"),
        item("Acme outage update 2", "https://status.example/", guid="b"),
    )
    assert scan_serving(setup, body).new == 2
    assert store.count_mentions() == 2
