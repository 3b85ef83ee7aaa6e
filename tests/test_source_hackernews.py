"""The Hacker News source against a real local server answering like Algolia's HN Search API.

Fixtures (tests/fixtures/hackernews) follow the shapes cited in the source's docstring: search
hits with `objectID` strings, `_tags`, HTML-escaped `comment_text`/`story_text` ("&#x27;",
"&#x2F;", a bare "<p>" between paragraphs), `created_at_i`; items with nested `children`, and
a deleted comment as a node with `author` and `text` null whose replies remain.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest

from conftest import FIXTURES, LocalServer, Route, SeenRequest, write_config
from mentionwatch.classify.handles import is_brand_handle
from mentionwatch.config import BrandConfig, HttpConfig, SourceConfig, load_config
from mentionwatch.demo.platforms import DemoRequest, DemoResponse
from mentionwatch.demo.platforms import hackernews as demo_hn
from mentionwatch.demo.server import load_dataset
from mentionwatch.errors import ConfigError, SourceError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import Mention, MentionStatus, Reply, SearchResult, SourceState
from mentionwatch.scan import run_scan
from mentionwatch.sources import source_class
from mentionwatch.sources.hackernews import (
    HackerNewsSettings,
    HackerNewsSource,
    flatten_children,
)
from mentionwatch.store import Store

HN = FIXTURES / "hackernews"
JSON = {"Content-Type": "application/json; charset=utf-8"}
HANDLES = ("AcmeSupport", "*atAcme")
T = TypeVar("T")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


FIRST_POLL_NEWEST = utc(2026, 11, 20, 8, 50, 12)  # lena_k's comment, newest in search_page0


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; a developer's proxy must not sit between us and 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


def make_source(
    base_url: str, terms: tuple[str, ...] = ("Acme",), **settings: Any
) -> HackerNewsSource:
    config = SourceConfig(
        name="hn",
        kind="hackernews",
        interval=timedelta(minutes=30),
        enabled=True,
        settings=HackerNewsSettings(base_url=base_url, **settings),
    )
    brand = BrandConfig(name="Acme", terms=terms, handles=HANDLES)
    return HackerNewsSource(config, brand, {})


def call(action: Callable[[HttpFetcher], Awaitable[T]]) -> T:
    async def run() -> T:
        async with HttpFetcher(HttpConfig()) as http:
            return await action(http)

    return asyncio.run(run())


def search(source: HackerNewsSource, cursor: str | None = None) -> SearchResult:
    return call(lambda http: source.search(http, SourceState("hn", "hackernews", cursor=cursor)))


def replies(source: HackerNewsSource, *refs: str) -> dict[str, list[Reply]]:
    return call(lambda http: source.replies(http, list(refs)))


def fixture(name: str) -> bytes:
    return (HN / name).read_bytes()


def serve_search(server: LocalServer, pages: Mapping[int, str], prefix: str = "/hn") -> None:
    """`search_by_date` answering each `page` with a fixture."""

    def answer(request: SeenRequest) -> Route:
        page = int(request.query.get("page", ["0"])[0])
        if page not in pages:
            return Route(status=400, body=b'{"message":"no such page","status":400}')
        return Route(body=fixture(pages[page]), headers=JSON)

    server.routes[f"{prefix}/search_by_date"] = answer


def serve_items(server: LocalServer, prefix: str = "/hn") -> None:
    for path in HN.glob("item_*.json"):
        item_id = path.stem.removeprefix("item_")
        server.routes[f"{prefix}/items/{item_id}"] = Route(body=path.read_bytes(), headers=JSON)


def assert_plain(text: str) -> None:
    """No markup or undecoded entity is left in what the inbox will show."""
    assert "<" not in text and ">" not in text, text
    for entity in ("&amp;", "&#x27;", "&#x2F;", "&quot;", "&gt;"):
        assert entity not in text, text


def by_id(mentions: list[Mention]) -> dict[str, Mention]:
    return {m.native_id: m for m in mentions}


# --- search -----------------------------------------------------------------------------------


def test_first_poll_reads_the_newest_page_of_stories_and_comments(
    http_server: LocalServer,
) -> None:
    serve_search(http_server, {0: "search_page0.json"})
    source = make_source(http_server.url("/hn"))

    result = search(source)

    (request,) = http_server.requests  # the newest page only, though nbPages is 2
    assert request.path.startswith("/hn/search_by_date?")
    assert request.query == {
        "query": ["Acme"],
        "tags": ["(story,comment)"],
        "hitsPerPage": ["50"],
        "page": ["0"],
    }
    assert (result.http_status, result.items_seen, result.retry_after_s) == (200, 3, None)
    assert result.cursor == str(epoch(FIRST_POLL_NEWEST))
    mentions = by_id(result.mentions)
    assert list(mentions) == ["46001234", "46001200", "46000950"]  # newest first, as served

    comment = mentions["46001234"]
    assert comment.source == "hn" and comment.kind == "hackernews"
    assert comment.url == "https://news.ycombinator.com/item?id=46001234"
    assert comment.title == ""  # HN comments have none; the story's title is not theirs
    assert comment.text == (
        'Acme\'s support closed my ticket as "resolved" without reading it.\n\n'
        "Third time this month, and still no refund: https://status.example/ticket/8812"
    )
    assert comment.author == "lena_k"
    assert comment.created_at == FIRST_POLL_NEWEST
    assert comment.reach is None  # HN shows nobody a comment's points
    assert comment.thread_ref == "46001234"  # its own subtree

    ask = mentions["46001200"]
    assert ask.title == "Ask HN: Is Acme support always this slow?"
    assert ask.text == (
        "My Acme kettle arrived with a cracked lid. Two weeks, three emails, no answer & the"
        " chat bot just links the FAQ.\n\nHas anyone found a way to reach a human at Acme?"
    )
    assert (ask.author, ask.reach, ask.thread_ref) == ("pmarsh", 42, "46001200")
    assert ask.created_at == utc(2026, 11, 20, 8, 41, 5)

    link = mentions["46000950"]
    assert link.title == "Acme Rocket Skates teardown: what's inside the $300 boot"
    assert link.text == ""  # a link story has no text of its own
    assert (link.reach, link.url) == (128, "https://news.ycombinator.com/item?id=46000950")
    for mention in mentions.values():
        assert_plain(mention.title)
        assert_plain(mention.text)
        assert mention.created_at is not None and mention.created_at.tzinfo is timezone.utc


def test_a_later_poll_pages_through_everything_since_the_cursor(http_server: LocalServer) -> None:
    serve_search(http_server, {0: "search_since_page0.json", 1: "search_since_page1.json"})
    source = make_source(http_server.url("/hn"))
    cursor = str(epoch(FIRST_POLL_NEWEST))

    result = search(source, cursor)

    assert [r.query["page"] for r in http_server.requests] == [["0"], ["1"]]
    # Five minutes before the cursor too, for posts Algolia indexed late.
    floor = epoch(FIRST_POLL_NEWEST) - 300
    for request in http_server.requests:
        assert request.query["numericFilters"] == [f"created_at_i>{floor}"]
        assert request.query["tags"] == ["(story,comment)"]
    mentions = by_id(result.mentions)
    assert list(mentions) == ["46002100", "46002050", "46001234"]
    assert result.items_seen == 3
    assert result.cursor == str(epoch(utc(2026, 11, 20, 9, 48, 30)))
    own = mentions["46002050"]
    assert own.author == "AcmeSupport"  # exactly as HN shows it; the scan decides it is ours
    assert own.text.endswith("reply to your ticket with a photo and we'll ship one the same day.")
    assert mentions["46002100"].reach == 12


def test_max_pages_bounds_one_poll(http_server: LocalServer) -> None:
    serve_search(http_server, {0: "search_since_page0.json", 1: "search_since_page1.json"})
    source = make_source(http_server.url("/hn"), max_pages=1, hits_per_page=2)

    result = search(source, str(epoch(FIRST_POLL_NEWEST)))

    assert len(http_server.requests) == 1
    assert http_server.requests[0].query["hitsPerPage"] == ["2"]
    assert [m.native_id for m in result.mentions] == ["46002100", "46002050"]


def test_nothing_new_keeps_the_cursor(http_server: LocalServer) -> None:
    empty = {"hits": [], "hitsPerPage": 50, "nbHits": 0, "nbPages": 0, "page": 0, "query": "Acme"}
    http_server.routes["/hn/search_by_date"] = Route(body=json.dumps(empty).encode(), headers=JSON)

    result = search(make_source(http_server.url("/hn")), "1795164612")

    assert (result.mentions, result.items_seen, result.cursor) == ([], 0, "1795164612")
    assert len(http_server.requests) == 1


def test_an_unreadable_cursor_starts_over_like_a_first_poll(http_server: LocalServer) -> None:
    serve_search(http_server, {0: "search_page0.json"})

    result = search(make_source(http_server.url("/hn")), "t3_abc")

    assert "numericFilters" not in http_server.requests[0].query
    assert result.cursor == str(epoch(FIRST_POLL_NEWEST))


def test_one_query_per_distinct_brand_term_and_hits_counted_once(
    http_server: LocalServer,
) -> None:
    serve_search(http_server, {0: "search_page0.json"})
    source = make_source(http_server.url("/hn"), terms=("Acme", '"acme hub"', "Roadrunner Inc"))

    # Algolia matches every word: "Acme Hub" finds nothing that "Acme" does not.
    assert source.search_queries() == ["Acme", "Roadrunner Inc"]
    result = search(source)

    assert [r.query["query"] for r in http_server.requests] == [["Acme"], ["Roadrunner Inc"]]
    assert result.items_seen == 3  # the same fixture answered both: each post counted once
    custom = make_source(http_server.url("/hn"), query="acme kettle", tags="story")
    assert custom.search_queries() == ["acme kettle"]


def test_an_api_mounted_under_a_path_prefix(http_server: LocalServer) -> None:
    serve_search(http_server, {0: "search_page0.json"}, prefix="/mount/hackernews/api/v1")

    result = search(make_source(http_server.url("/mount/hackernews/api/v1/")))

    assert result.items_seen == 3


# --- threads ----------------------------------------------------------------------------------


def test_a_brand_reply_nested_three_levels_deep_under_a_deleted_comment(
    http_server: LocalServer,
) -> None:
    serve_items(http_server)

    (thread,) = replies(make_source(http_server.url("/hn")), "46001200").values()

    assert [(r.native_id, r.author, r.depth) for r in thread] == [
        ("46001250", "tpw", 1),
        ("46001260", None, 2),  # deleted: HN keeps the node, without author or text
        ("46001270", "AcmeSupport", 3),
        ("46001255", "bitwiseowl", 1),
        ("46002050", "AcmeSupport", 1),
    ]
    deleted, nested = thread[1], thread[2]
    assert deleted.text == "" and deleted.created_at == utc(2026, 11, 20, 8, 47, 2)
    assert nested.url == "https://news.ycombinator.com/item?id=46001270"
    assert nested.created_at == utc(2026, 11, 20, 9, 12, 44)
    assert nested.text == (
        "Hi, Maya from Acme support here. I've found your ticket and a replacement lid ships"
        " today.\n\nSorry it took a Hacker News thread."
    )
    assert thread[3].text == 'Try "@AcmeSupport" on Mastodon, they answer there.'
    assert [r.author for r in thread if is_brand_handle(r.author, HANDLES)] == [
        "AcmeSupport",
        "AcmeSupport",
    ]
    for reply in thread:
        assert_plain(reply.text)


def test_a_deleted_node_in_the_older_short_form_still_leads_to_its_replies() -> None:
    # hn-search's ItemSerializer once rendered a deleted or dead item as only its id and
    # children; the replies under it must still be found.
    item = {
        "id": 1,
        "children": [
            {
                "id": 2,
                "children": [
                    {
                        "author": "AcmeSupport",
                        "children": [],
                        "created_at_i": epoch(utc(2026, 11, 20, 9, 0)),
                        "id": 3,
                        "text": "Fixed &amp; shipped.",
                    }
                ],
            }
        ],
    }

    assert [
        (r.native_id, r.author, r.created_at, r.text, r.depth) for r in flatten_children(item)
    ] == [
        ("2", None, None, "", 1),
        ("3", "AcmeSupport", utc(2026, 11, 20, 9, 0), "Fixed & shipped.", 2),
    ]


def test_a_comment_mentions_thread_is_its_own_subtree(http_server: LocalServer) -> None:
    serve_items(http_server)

    (thread,) = replies(make_source(http_server.url("/hn")), "46001234").values()

    assert [(r.author, r.depth) for r in thread] == [("jo_atacme", 1), ("lena_k", 2)]
    answer = thread[0]
    assert is_brand_handle(answer.author, HANDLES)  # "*atAcme"
    assert answer.url == "https://news.ycombinator.com/item?id=46001240"
    assert answer.created_at == utc(2026, 11, 20, 9, 5)
    assert answer.text == "Jo at Acme here: I've reopened it and the refund went out this morning."


def test_a_thread_where_only_others_replied(http_server: LocalServer) -> None:
    serve_items(http_server)

    (thread,) = replies(make_source(http_server.url("/hn")), "46000950").values()

    assert [(r.author, r.depth) for r in thread] == [
        ("AcmeSupportFan", 1),
        ("skatepark_dad", 2),
        ("rollerjess", 1),
    ]
    assert not any(is_brand_handle(r.author, HANDLES) for r in thread)
    assert thread[1].text == "Mine lasted a week >:("


def test_many_threads_at_once_and_a_missing_one_is_empty(http_server: LocalServer) -> None:
    serve_items(http_server)

    found = replies(make_source(http_server.url("/hn")), "46001234", "46000950", "46009999", "x")

    assert {ref: len(thread) for ref, thread in found.items()} == {
        "46001234": 2,
        "46000950": 3,
        "46009999": 0,  # 404: deleted for good, or never there
        "x": 0,  # not an HN id: nothing to ask for
    }
    assert sorted(r.path for r in http_server.requests) == [
        "/hn/items/46000950",
        "/hn/items/46001234",
        "/hn/items/46009999",
    ]


def test_a_broken_items_api_fails_the_thread_check(http_server: LocalServer) -> None:
    http_server.routes["/hn/items/46001234"] = Route(status=502, body=b"Bad Gateway")

    with pytest.raises(SourceError, match=r"^HTTP 502 Bad Gateway from http://127\.0\.0\.1:"):
        replies(make_source(http_server.url("/hn")), "46001234")


# --- what is not the API's JSON ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'{"hits": [', "application/json", "invalid JSON from http://127.0.0.1:"),
        (
            b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html",
            "but got an HTML page",
        ),
        (b'{"error": "Not Found"}', "application/json", "no `hits` list"),
    ],
    ids=["invalid json", "html page", "json without hits"],
)
def test_what_is_not_a_search_answer_is_a_clear_error(
    http_server: LocalServer, body: bytes, content_type: str, message: str
) -> None:
    http_server.routes["/hn/search_by_date"] = Route(
        body=body, headers={"Content-Type": content_type}
    )
    http_server.routes["/hn/items/1"] = Route(body=body, headers={"Content-Type": content_type})
    source = make_source(http_server.url("/hn"))

    with pytest.raises(SourceError, match=re.escape(message)):
        search(source)
    if message != "no `hits` list":
        with pytest.raises(SourceError, match=re.escape(message)):
            replies(source, "1")


# --- rate limits and `sources test` -----------------------------------------------------------


@pytest.mark.parametrize(("retry_after", "wait"), [("90", 90.0), (None, None)])
def test_rate_limited_part_way_keeps_the_first_pages_and_the_old_cursor(
    http_server: LocalServer, retry_after: str | None, wait: float | None
) -> None:
    def answer(request: SeenRequest) -> Route:
        if request.query["page"] == ["0"]:
            return Route(body=fixture("search_since_page0.json"), headers=JSON)
        return Route(
            status=429,
            headers={**JSON, **({"Retry-After": retry_after} if retry_after else {})},
            body=b'{"message":"Too many requests","status":429}',
        )

    http_server.routes["/hn/search_by_date"] = answer
    cursor = str(epoch(FIRST_POLL_NEWEST))

    result = search(make_source(http_server.url("/hn")), cursor)

    assert [m.native_id for m in result.mentions] == ["46002100", "46002050"]
    # The next poll reads the rest again; the store recognises what it already has.
    assert (result.cursor, result.retry_after_s) == (cursor, wait)


def test_rate_limited_on_the_first_page_fails_with_what_to_do(http_server: LocalServer) -> None:
    http_server.routes["/hn/search_by_date"] = Route(
        status=429,
        headers={"Retry-After": "120", **JSON},
        body=b'{"message":"Too many requests","status":429}',
    )

    with pytest.raises(SourceError) as caught:
        search(make_source(http_server.url("/hn")))

    assert caught.value.http_status == 429 and caught.value.retry_after == "120"
    assert caught.value.message.startswith("HTTP 429 Too Many Requests from http://127.0.0.1:")
    assert '(the API says: "Too many requests")' in caught.value.message
    assert "retry in 120s" in caught.value.message


def check(source: HackerNewsSource) -> str:
    return call(source.check)


def test_check_makes_one_request_and_says_it_works(http_server: LocalServer) -> None:
    serve_search(http_server, {0: "search_page0.json"})

    line = check(make_source(http_server.url("/hn")))

    assert (
        line == "works: Hacker News search finds 5 post(s) for 'Acme', the newest from"
        " 2026-11-20 08:50 UTC"
    )
    (request,) = http_server.requests
    assert request.query["hitsPerPage"] == ["1"]
    # The API is public: nothing that looks like a credential is ever sent.
    assert not {"authorization", "cookie", "x-algolia-api-key"} & set(request.headers)


@pytest.mark.parametrize(
    ("status", "headers", "advice"),
    [
        (401, {}, "HN Search needs no credentials"),
        (401, {}, "check base_url (default https://hn.algolia.com/api/v1)"),
        (403, {}, "blocks IP addresses that go over 10,000 requests an hour"),
        (403, {}, "support@algolia.com"),
        (429, {"Retry-After": "120"}, "rate-limited by HN Search"),
        (429, {"Retry-After": "120"}, "retry in 120s"),
        (429, {}, "retry in an hour"),
    ],
)
def test_check_says_what_to_do(
    http_server: LocalServer, status: int, headers: dict[str, str], advice: str
) -> None:
    http_server.routes["/hn/search_by_date"] = Route(status=status, headers=headers, body=b"{}")

    with pytest.raises(SourceError) as caught:
        check(make_source(http_server.url("/hn")))

    message = caught.value.message
    assert advice in message
    assert message.startswith(f"HTTP {status} ")
    assert "\n" not in message and "?" not in message  # one line; no query string shown


def test_check_on_a_server_that_is_not_hn_search(http_server: LocalServer) -> None:
    http_server.routes["/hn/search_by_date"] = Route(body=b'{"ok": true}', headers=JSON)

    with pytest.raises(SourceError, match="check base_url"):
        check(make_source(http_server.url("/hn")))


# --- settings ---------------------------------------------------------------------------------


def test_the_source_is_registered_and_has_threads() -> None:
    assert source_class("hackernews") is HackerNewsSource
    assert HackerNewsSource.has_threads
    assert HackerNewsSettings().base_url == "https://hn.algolia.com/api/v1"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('base_url = "ftp://hn.example"', "sources[0].base_url: expected an http:// or https://"),
        ("hits_per_page = 0", "sources[0].hits_per_page: expected a number from 1 to 1000"),
        ("max_pages = 0", "sources[0].max_pages: expected a number of pages from 1 to 100"),
        ('query = "  "', "sources[0].query: expected a non-empty search query"),
        ('overlap = "2d"', 'sources[0].overlap: expected a duration of at most "1d"'),
        ('token_env = "HN_TOKEN"', "sources[0].token_env: unknown key: expected one of"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, line: str, expected: str) -> None:
    path = write_config(tmp_path, f'[[sources]]\nname = "hn"\nkind = "hackernews"\n{line}\n')

    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_config(path)


# --- a whole scan -----------------------------------------------------------------------------


def hn_table(base_url: str) -> str:
    return f'[[sources]]\nname = "hn"\nkind = "hackernews"\nbase_url = "{base_url}"\n\n'


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data" / "mentionwatch.db") as opened:
        yield opened


SCAN_1 = utc(2026, 11, 20, 9, 30)
SCAN_2 = utc(2026, 11, 20, 10, 0)


def test_scans_store_mentions_with_reach_and_the_brands_own(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    serve_items(http_server)
    serve_search(http_server, {0: "search_page0.json"})
    config = load_config(write_config(tmp_path, hn_table(http_server.url("/hn"))))

    first = run_scan(config, store, force=True, clock=lambda: SCAN_1, environ={})

    (hn,) = first.sources
    assert (hn.name, hn.error, hn.http_status, hn.items_seen, hn.new) == ("hn", None, 200, 3, 3)
    stored = {m.native_id: m for m in (store.mention(i) for i in (1, 2, 3)) if m}
    assert {k: m.reach for k, m in stored.items()} == {
        "46001234": None,
        "46001200": 42,
        "46000950": 128,
    }
    assert stored["46001234"].url == "https://news.ycombinator.com/item?id=46001234"
    assert all(m.thread_ref == m.native_id for m in stored.values())
    assert store.source_state("hn", "hackernews").cursor == str(epoch(FIRST_POLL_NEWEST))

    # A later scan reads every page since the cursor; the overlap's repeat is not new.
    serve_search(http_server, {0: "search_since_page0.json", 1: "search_since_page1.json"})
    (later,) = run_scan(config, store, force=True, clock=lambda: SCAN_2, environ={}).sources

    assert (later.items_seen, later.relevant, later.new, later.updated) == (3, 3, 2, 0)
    assert store.count_mentions() == 5
    own = next(
        m for m in (store.mention(i) for i in range(1, 6)) if m and m.native_id == "46002050"
    )
    assert own.status is MentionStatus.OWN  # written by "AcmeSupport": ours, not the inbox's
    assert own.reach is None
    assert store.source_state("hn", "hackernews").cursor == str(epoch(utc(2026, 11, 20, 9, 48, 30)))


def test_a_scan_marks_the_threads_the_brand_answered(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    serve_items(http_server)
    serve_search(http_server, {0: "search_page0.json"})
    config = load_config(write_config(tmp_path, hn_table(http_server.url("/hn"))))

    run_scan(config, store, force=True, clock=lambda: SCAN_1, environ={})

    stored = {m.native_id: m for m in (store.mention(i) for i in (1, 2, 3)) if m}
    comment, ask, teardown = stored["46001234"], stored["46001200"], stored["46000950"]
    # A direct reply by "jo_atacme" ("*atAcme") under the comment.
    assert comment.status is MentionStatus.ANSWERED
    assert comment.answered_by == "jo_atacme"
    assert comment.answered_url == "https://news.ycombinator.com/item?id=46001240"
    assert comment.answered_at == utc(2026, 11, 20, 9, 5)
    # Three levels down, under a deleted comment, and earlier than the brand's direct reply.
    assert ask.status is MentionStatus.ANSWERED
    assert ask.answered_by == "AcmeSupport"
    assert ask.answered_url == "https://news.ycombinator.com/item?id=46001270"
    assert ask.answered_at == utc(2026, 11, 20, 9, 12, 44)
    # Only others replied ("AcmeSupportFan" is not "AcmeSupport").
    assert teardown.status is MentionStatus.OPEN
    assert teardown.answered_by is None
    assert [(r.author, by_brand) for r, by_brand in store.replies(teardown.id)] == [
        ("AcmeSupportFan", False),
        ("skatepark_dad", False),
        ("rollerjess", False),
    ]
    assert (None, False) in [(r.author, b) for r, b in store.replies(ask.id)]  # the deleted one
    assert {m.native_id for m in store.open_mentions()} == {"46000950"}


# --- the demo's fake API ----------------------------------------------------------------------


def demo_posts(now: datetime) -> list[dict[str, Any]]:
    """The demo's Hacker News posts (posts.json and posts_hackernews.json, as the demo loads
    them), with times made absolute as the demo server does."""
    mine = []
    for post in load_dataset()["posts"]:
        if post["platform"] != demo_hn.KIND:
            continue
        created = now - timedelta(minutes=post["minutes_ago"])
        replies = [
            {**r, "created_at": created + timedelta(minutes=r["minutes_after"])}
            for r in post.get("replies", [])
        ]
        mine.append({**post, "created_at": created, "replies": replies})
    return mine


class DemoRoutes(dict):  # type: ignore[type-arg]
    """Routes for LocalServer that hand every request under a prefix to a demo router."""

    def __init__(self, prefix: str, router: Callable[[DemoRequest], DemoResponse | None]) -> None:
        super().__init__()
        self.prefix, self.router = prefix, router

    def get(self, path: str, default: object = None) -> object:
        if not path.startswith(self.prefix + "/"):
            return default
        return self.answer

    def answer(self, request: SeenRequest) -> Route | None:
        path = request.path.split("?")[0].removeprefix(self.prefix)
        demo = DemoRequest(request.method, path, request.query, request.headers, request.body)
        response = self.router(demo)
        if response is None:
            return None
        return Route(
            status=response.status,
            body=response.body,
            headers={"Content-Type": response.content_type, **response.headers},
        )


DEMO_NOW = utc(2026, 11, 20, 12, 0)
DEMO_BRAND = (
    '[brand]\nname = "Brightloop"\nterms = ["Brightloop", "Brightloop Hub"]\n'
    'handles = ["BrightloopHelp", "Brightloop", "*atBrightloop"]\n'
)


@pytest.fixture
def demo_server(http_server: LocalServer) -> str:
    http_server.routes = DemoRoutes("/hackernews", demo_hn.router(demo_posts(DEMO_NOW), DEMO_NOW))
    return http_server.url("/hackernews")


def test_the_demo_api_serves_its_posts_the_way_the_source_reads_them(demo_server: str) -> None:
    table = demo_hn.source_table(demo_server)
    assert (table["kind"], table["base_url"]) == ("hackernews", demo_server)
    source = make_source(demo_server, terms=("Brightloop", "Brightloop Hub"))

    result = search(source)
    mentions = by_id(result.mentions)
    threads = replies(source, *mentions)

    assert len(mentions) == len(demo_posts(DEMO_NOW)) >= 4
    cgnat, hub, fee = mentions["40118237"], mentions["40131562"], mentions["40130871"]
    assert cgnat.title == "Brightloop quietly moved residential customers behind CGNAT"
    assert (cgnat.reach, cgnat.author) == (214, "mkr_ops")
    assert cgnat.created_at == DEMO_NOW - timedelta(minutes=1120)
    assert (fee.title, fee.reach) == ("", None)  # a comment
    assert "£180 early termination fee" in fee.text
    assert hub.text.endswith("It is literally doing that by itself, every night.")
    assert "\n\n" in hub.text and '"try turning it off and on again"' in hub.text
    assert result.cursor == str(epoch(max(m.created_at for m in mentions.values() if m.created_at)))

    handles = ("BrightloopHelp", "Brightloop", "*atBrightloop")
    brand = {
        ref: [(r.author, r.depth) for r in thread if is_brand_handle(r.author, handles)]
        for ref, thread in threads.items()
    }
    assert brand["40118237"] == [("eli_atbrightloop", 1)]
    assert brand["40131562"] == [("BrightloopHelp", 3)]
    assert brand["40130871"] == []  # the complaint nobody from the brand answered
    ids = [r.native_id for thread in threads.values() for r in thread] + list(mentions)
    assert len(ids) == len(set(ids))  # invented reply ids never collide

    # A later poll finds nothing new: only the newest post again, re-read by the overlap.
    again = search(source, result.cursor)
    assert ([m.native_id for m in again.mentions], again.cursor) == (["40130871"], result.cursor)
    # An unknown item is a 404, which is no thread at all.
    assert replies(source, "1") == {"1": []}


def test_the_demo_scan_answers_and_leaves_open_what_it_should(
    tmp_path: Path, demo_server: str, store: Store
) -> None:
    config = load_config(write_config(tmp_path, hn_table(demo_server), DEMO_BRAND))

    (hn,) = run_scan(config, store, force=True, clock=lambda: DEMO_NOW, environ={}).sources

    assert hn.error is None and hn.new == len(demo_posts(DEMO_NOW))
    stored = {m.native_id: m for m in (store.mention(i) for i in range(1, hn.new + 1)) if m}
    assert stored["40118237"].answered_by == "eli_atbrightloop"
    assert stored["40131562"].answered_by == "BrightloopHelp"
    assert stored["40131562"].status is MentionStatus.ANSWERED
    assert stored["40130871"].status is MentionStatus.OPEN
    assert stored["40127733"].status is MentionStatus.OPEN
