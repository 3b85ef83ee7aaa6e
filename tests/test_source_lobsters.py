"""The Lobsters source against a real HTTP server on 127.0.0.1.

Fixtures under tests/fixtures/lobsters are written by hand in the shapes of lobsters/lobsters'
`Story#as_json` and `Comment#as_json` (current: usernames as strings, comments with a 0-based
`depth`; `story-h5jd0s-legacy.json`: the pre-2022 shape with user objects and `indent_level`),
escaped the way Rails writes JSON (`\\u003c` for "<", `\\u0026` for "&"), with times in US
Central time like lobste.rs.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import FIXTURES, LocalServer, Route, SeenRequest, write_config
from mentionwatch.classify.handles import is_brand_handle
from mentionwatch.config import BrandConfig, HttpConfig, SourceConfig, load_config
from mentionwatch.demo.platforms import DemoRequest
from mentionwatch.demo.platforms import lobsters as demo_lobsters
from mentionwatch.demo.server import load_dataset
from mentionwatch.errors import ConfigError, SourceError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import (
    Mention,
    MentionStatus,
    Reply,
    SearchResult,
    SourceState,
    StoredMention,
)
from mentionwatch.scan import run_scan
from mentionwatch.sources.lobsters import LobstersSettings, LobstersSource, parse_time
from mentionwatch.store import Store

JSON = "application/json; charset=utf-8"
HANDLES = ("AcmeSupport", "*atAcme")
T = TypeVar("T")


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


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def fixture(name: str) -> bytes:
    return (FIXTURES / "lobsters" / name).read_bytes()


def serve(server: LocalServer, path: str, name: str) -> None:
    server.routes[path] = Route(body=fixture(name), headers={"Content-Type": JSON})


def serve_site(server: LocalServer, prefix: str = "") -> None:
    """The two newest pages and the four recorded threads."""
    serve(server, f"{prefix}/newest.json", "newest-page1.json")
    serve(server, f"{prefix}/newest/page/2.json", "newest-page2.json")
    for short_id in ("xk3vqa", "r4hn8d", "b2ty6c"):
        serve(server, f"{prefix}/s/{short_id}.json", f"story-{short_id}.json")
    serve(server, f"{prefix}/s/h5jd0s.json", "story-h5jd0s-legacy.json")


def make_source(base_url: str, brand: BrandConfig | None = None, **settings: Any) -> LobstersSource:
    config = SourceConfig(
        name="lobsters",
        kind="lobsters",
        interval=timedelta(minutes=30),
        enabled=True,
        settings=LobstersSettings(base_url=base_url, **settings),
    )
    brand = brand or BrandConfig(name="Acme", terms=("Acme",), handles=HANDLES)
    return LobstersSource(config, brand, {})


def run(action: Callable[[HttpFetcher], Awaitable[T]]) -> T:
    async def main() -> T:
        async with HttpFetcher(HttpConfig(timeout=timedelta(seconds=5))) as http:
            return await action(http)

    return asyncio.run(main())


def search(source: LobstersSource, cursor: str | None = None) -> SearchResult:
    return run(lambda http: source.search(http, SourceState("lobsters", "lobsters", cursor)))


def replies(source: LobstersSource, *refs: str) -> dict[str, list[Reply]]:
    return run(lambda http: source.replies(http, list(refs)))


def paths(server: LocalServer) -> list[str]:
    return [request.path for request in server.requests]


def assert_plain(text: str) -> None:
    """No markup or undecoded entity is left in what the inbox will show."""
    assert not re.search(r"</?[a-zA-Z]", text), text
    assert not re.search(r"&(amp|quot|gt|lt|#\d+);", text), text


# --- search -----------------------------------------------------------------------------------


def test_first_poll_reads_only_the_newest_page_and_returns_every_story(
    http_server: LocalServer,
) -> None:
    serve_site(http_server)
    source = make_source(http_server.base_url, max_pages=3)

    result = search(source)

    assert paths(http_server) == ["/newest.json"]  # polite: one page, whatever max_pages says
    assert http_server.requests[0].headers["accept"] == "application/json"
    # Every story, brand or not: the scan decides relevance.
    assert [m.native_id for m in result.mentions] == [
        "xk3vqa",
        "p9wz2m",
        "r4hn8d",
        "b2ty6c",
        "c8mf1e",
    ]
    assert (result.items_seen, result.http_status, result.retry_after_s) == (5, 200, None)
    sdk = result.mentions[0]
    assert sdk == Mention(
        source="lobsters",
        kind="lobsters",
        native_id="xk3vqa",
        url="https://lobste.rs/s/xk3vqa",
        title="Acme's router SDK 3.0 drops Python 3.9 without a deprecation notice",
        text=(
            'The changelog says "no breaking changes" & yet pip install acme-sdk now fails on'
            " 3.9 with Requires-Python >=3.10. Acme’s own docs still list 3.9 as supported."
        ),
        created_at=utc(2026, 11, 20, 8, 41, 7),  # 02:41:07-06:00
        author="mkell",
        reach=7,
        thread_ref="xk3vqa",
    )
    assert_plain(sdk.text)
    # A link story has no description; its author deleted the account (Lobsters shows the
    # placeholder "inactive-user").
    exporter = result.mentions[3]
    assert exporter.text == "Scrapes the local status API every 15s. Works on firmware >= 4.1."
    assert exporter.author is None
    assert result.mentions[1].text == ""
    # The cursor: the newest created_at seen, in UTC.
    assert result.cursor == "2026-11-20T08:41:07+00:00"


def test_a_later_poll_pages_back_until_it_reaches_the_cursor(http_server: LocalServer) -> None:
    serve_site(http_server)
    source = make_source(http_server.base_url, max_pages=3)

    result = search(source, cursor="2026-11-19T16:00:00+00:00")

    assert paths(http_server) == ["/newest.json", "/newest/page/2.json"]  # no page 3
    ids = [m.native_id for m in result.mentions]
    assert ids == ["xk3vqa", "p9wz2m", "r4hn8d", "b2ty6c", "c8mf1e", "h5jd0s"]
    assert "q1nx7v" not in ids  # older than the cursor
    postmortem = result.mentions[-1]
    assert postmortem.created_at == utc(2026, 11, 19, 17, 20)
    assert postmortem.author == "lwn_reader"
    assert result.cursor == "2026-11-20T08:41:07+00:00"


def test_a_poll_stops_at_max_pages_even_before_the_cursor(http_server: LocalServer) -> None:
    serve_site(http_server)
    source = make_source(http_server.base_url, max_pages=2)

    result = search(source, cursor="2026-01-01T00:00:00+00:00")

    assert paths(http_server) == ["/newest.json", "/newest/page/2.json"]
    assert result.items_seen == 8


def test_an_empty_page_ends_the_paging(http_server: LocalServer) -> None:
    serve(http_server, "/newest.json", "newest-page1.json")
    http_server.routes["/newest/page/2.json"] = Route(body=b"[]", headers={"Content-Type": JSON})
    source = make_source(http_server.base_url, max_pages=5)

    result = search(source, cursor="2026-01-01T00:00:00+00:00")

    assert paths(http_server) == ["/newest.json", "/newest/page/2.json"]
    assert result.items_seen == 5


def test_with_nothing_new_the_cursor_stays(http_server: LocalServer) -> None:
    serve_site(http_server)
    source = make_source(http_server.base_url, max_pages=3)

    result = search(source, cursor="2026-11-20T08:41:07+00:00")

    assert paths(http_server) == ["/newest.json"]
    # The story at the cursor's very second comes again (the store dedupes it): a story
    # posted in the same second after the last poll must not be skipped.
    assert [m.native_id for m in result.mentions] == ["xk3vqa"]
    assert result.cursor == "2026-11-20T08:41:07+00:00"


def test_a_story_pushed_onto_the_next_page_is_returned_once(http_server: LocalServer) -> None:
    page1 = json.loads(fixture("newest-page1.json"))
    serve(http_server, "/newest.json", "newest-page1.json")
    # A new story arrived between the two requests: page 2 now starts with page 1's last.
    page2 = [page1[-1], *json.loads(fixture("newest-page2.json"))]
    http_server.routes["/newest/page/2.json"] = Route(
        body=json.dumps(page2).encode(), headers={"Content-Type": JSON}
    )
    source = make_source(http_server.base_url, max_pages=2)

    result = search(source, cursor="2026-11-19T16:00:00+00:00")

    ids = [m.native_id for m in result.mentions]
    assert len(ids) == len(set(ids)) == 6


def test_tag_feeds_are_read_in_one_request(http_server: LocalServer) -> None:
    serve(http_server, "/t/python,c%2B%2B.json", "newest-page1.json")
    serve(http_server, "/t/python,c%2B%2B/page/2.json", "newest-page2.json")
    source = make_source(http_server.base_url, tags=("python", "c++"), max_pages=2)

    first = search(source)
    later = search(source, cursor="2026-11-19T16:00:00+00:00")

    assert first.items_seen == 5 and later.items_seen == 6
    assert paths(http_server) == [
        "/t/python,c%2B%2B.json",
        "/t/python,c%2B%2B.json",
        "/t/python,c%2B%2B/page/2.json",
    ]


def test_base_url_may_carry_a_path_prefix(http_server: LocalServer) -> None:
    serve_site(http_server, prefix="/mirror/lobsters")
    source = make_source(http_server.url("/mirror/lobsters/"))

    result = search(source)
    threads = replies(source, "xk3vqa")

    assert result.items_seen == 5
    assert len(threads["xk3vqa"]) == 3
    assert paths(http_server) == [
        "/mirror/lobsters/newest.json",
        "/mirror/lobsters/s/xk3vqa.json",
    ]


def test_titles_are_plain_text_and_kept_as_written(http_server: LocalServer) -> None:
    story = json.loads(fixture("newest-page1.json"))[0]
    story["title"] = "Acme's Vec<T> & Option<T> guide"
    http_server.routes["/newest.json"] = Route(
        body=json.dumps([story]).encode(), headers={"Content-Type": JSON}
    )

    (mention,) = search(make_source(http_server.base_url)).mentions

    assert mention.title == "Acme's Vec<T> & Option<T> guide"


# --- threads ----------------------------------------------------------------------------------


def test_a_thread_with_a_direct_brand_reply(http_server: LocalServer) -> None:
    serve_site(http_server)

    thread = replies(make_source(http_server.base_url), "xk3vqa")["xk3vqa"]

    assert [(r.native_id, r.author, r.depth) for r in thread] == [
        ("w2a9fz", "tnorris", 1),
        ("k7b3qe", "AcmeSupport", 1),
        ("m3c8rd", "mkell", 2),
    ]
    brand = thread[1]
    assert brand.created_at == utc(2026, 11, 20, 9, 12, 45)
    assert brand.url == (
        "https://lobste.rs/s/xk3vqa/acme_s_router_sdk_3_0_drops_python_3_9#c_k7b3qe"
    )
    assert brand.text == (
        "That’s on us: 3.0.1 restores Python 3.9 & 3.10 support and is on PyPI now."
        " The deprecation will be announced properly before 4.0."
    )
    assert [is_brand_handle(r.author, HANDLES) for r in thread] == [False, True, False]


def test_a_brand_reply_three_levels_deep_and_deleted_comments(http_server: LocalServer) -> None:
    serve_site(http_server)

    thread = replies(make_source(http_server.base_url), "r4hn8d")["r4hn8d"]

    assert [(r.native_id, r.author, r.depth) for r in thread] == [
        ("a1p0lk", "jvd", 1),
        ("f6g2hs", "tnorris", 2),
        ("s9d4ne", "maria_atAcme", 3),
        # Removed by its author, and by a moderator: no author, so neither can be an answer,
        # even though Lobsters still sends the username (here the brand's own).
        ("z0x1cv", None, 1),
        ("y8u7ti", None, 1),
    ]
    deep = thread[2]
    assert deep.created_at == utc(2026, 11, 20, 9, 10)
    assert deep.url.endswith("/s/r4hn8d/acme_cloud_api_returns_502_for_every_request#c_s9d4ne")
    assert "tokens > 4 KB tripped & it answered 502" in deep.text
    assert thread[1].text == "Yes, and it still fails. Only with Authorization."
    assert thread[3].text == "Comment removed by author"
    assert [r.author for r in thread if is_brand_handle(r.author, HANDLES)] == ["maria_atAcme"]


def test_a_thread_where_only_others_replied(http_server: LocalServer) -> None:
    serve_site(http_server)

    thread = replies(make_source(http_server.base_url), "b2ty6c")["b2ty6c"]

    assert [(r.author, r.depth) for r in thread] == [("pj", 1), (None, 2), ("acmefan", 1)]
    assert not any(is_brand_handle(r.author, HANDLES) for r in thread)
    for reply in thread:
        assert_plain(reply.text)
        assert reply.created_at is not None and reply.created_at.utcoffset() == timedelta(0)


def test_the_older_lobsters_shape_with_user_objects_and_indent_level(
    http_server: LocalServer,
) -> None:
    serve_site(http_server)
    source = make_source(http_server.base_url)

    thread = replies(source, "h5jd0s")["h5jd0s"]

    assert [(r.author, r.depth) for r in thread] == [
        ("kqr", 1),
        ("lwn_reader", 2),
        ("ops_atAcme", 3),
        ("kqr", 1),
    ]
    assert thread[2].url.endswith("/s/h5jd0s/acme_outage_postmortem_annotated#c_a7s8d9")
    legacy_story = json.loads(fixture("story-h5jd0s-legacy.json"))
    mention = source.story_to_mention(legacy_story, http_server.base_url)
    assert (mention.author, mention.reach, mention.created_at) == (
        "lwn_reader",
        22,
        utc(2026, 11, 19, 17, 20),
    )


def test_depth_falls_back_to_the_parent_chain() -> None:
    from mentionwatch.sources.lobsters import comments_to_replies

    bare = [
        {"short_id": "a", "commenting_user": "x", "parent_comment": None},
        {"short_id": "b", "commenting_user": "y", "parent_comment": "a"},
        {"short_id": "c", "commenting_user": "z", "parent_comment": "b"},
    ]

    thread = comments_to_replies(bare, "https://lobste.rs/c/")

    assert [(r.depth, r.url) for r in thread] == [
        (1, "https://lobste.rs/c/a"),
        (2, "https://lobste.rs/c/b"),
        (3, "https://lobste.rs/c/c"),
    ]


def test_replies_reads_each_thread_and_a_deleted_story_has_none(
    http_server: LocalServer,
) -> None:
    serve_site(http_server)  # /s/gone1.json is not served: a 404, as for a deleted story

    found = replies(make_source(http_server.base_url), "xk3vqa", "gone1", "b2ty6c")

    assert [len(found[ref]) for ref in ("xk3vqa", "gone1", "b2ty6c")] == [3, 0, 3]
    assert paths(http_server) == ["/s/xk3vqa.json", "/s/gone1.json", "/s/b2ty6c.json"]


def test_a_broken_thread_api_is_an_error(http_server: LocalServer) -> None:
    http_server.routes["/s/xk3vqa.json"] = Route(status=500, body=b"oops")

    with pytest.raises(SourceError, match=r"HTTP 500"):
        replies(make_source(http_server.base_url), "xk3vqa")


# --- what is not the API we expect ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "content_type", "message"),
    [
        ("/newest.json", b'[{"short_id": "xk3', JSON, "invalid JSON from"),
        (
            "/newest.json",
            b"<!DOCTYPE html><html><body>We're down for maintenance</body></html>",
            "text/html; charset=utf-8",
            "expected JSON from .* but got an HTML page",
        ),
        ("/newest.json", b'{"error": "nope"}', JSON, "expected a JSON array of stories"),
        ("/newest.json", b'[{"title": "no id"}]', JSON, "a story has no short_id"),
    ],
    ids=["invalid json", "html page", "an object", "no short_id"],
)
def test_what_is_not_a_story_list_is_a_clear_error(
    http_server: LocalServer, path: str, body: bytes, content_type: str, message: str
) -> None:
    http_server.routes[path] = Route(body=body, headers={"Content-Type": content_type})

    with pytest.raises(SourceError, match=message):
        search(make_source(http_server.base_url))


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{", JSON, "invalid JSON from"),
        (b"<html><body>Cloudflare says no</body></html>", "text/html", "got an HTML page"),
        (b"[]", JSON, "expected a story object"),
    ],
    ids=["invalid json", "html page", "a list"],
)
def test_what_is_not_a_thread_is_a_clear_error(
    http_server: LocalServer, body: bytes, content_type: str, message: str
) -> None:
    http_server.routes["/s/xk3vqa.json"] = Route(body=body, headers={"Content-Type": content_type})

    with pytest.raises(SourceError, match=message):
        replies(make_source(http_server.base_url), "xk3vqa")


# --- credentials: none ------------------------------------------------------------------------


def test_no_credentials_are_needed_or_sent(http_server: LocalServer, tmp_path: Path) -> None:
    serve_site(http_server)
    source = make_source(http_server.base_url)

    search(source)
    replies(source, "xk3vqa")

    for request in http_server.requests:
        assert "authorization" not in request.headers and "cookie" not in request.headers
        assert request.query == {}
    # And there is no key to put one in: a token setting is a config error, not ignored.
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "lobsters"\nkind = "lobsters"\nbase_url = "{http_server.base_url}"'
        '\ntoken_env = "LOBSTERS_TOKEN"\n',
    )
    with pytest.raises(ConfigError, match=r"sources\[0\]\.token_env"):
        load_config(config)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('base_url = "ftp://lobste.rs"', "base_url"),
        ("max_pages = 0", "max_pages"),
        ("max_pages = 50", "max_pages"),
        ('tags = ["rust,go"]', "tags"),
        ('tags = ["c/c++"]', "tags"),
        ('tags = "rust"', "tags"),
    ],
)
def test_bad_settings_are_config_errors(tmp_path: Path, table: str, key: str) -> None:
    config = write_config(tmp_path, f'[[sources]]\nname = "lobsters"\nkind = "lobsters"\n{table}\n')

    with pytest.raises(ConfigError, match=rf"sources\[0\]\.{key}"):
        load_config(config)


def test_defaults_are_the_real_site_and_one_page(tmp_path: Path) -> None:
    config = load_config(
        write_config(tmp_path, '[[sources]]\nname = "lobsters"\nkind = "lobsters"\n')
    )

    settings = config.sources[0].settings
    assert settings == LobstersSettings(base_url="https://lobste.rs", tags=(), max_pages=1)


# --- `mentionwatch sources test` --------------------------------------------------------------


def test_check_reports_what_came_back(http_server: LocalServer) -> None:
    serve_site(http_server)

    line = run(make_source(http_server.base_url).check)

    assert line == (
        f"works: 5 stories on {http_server.base_url}/newest.json,"
        " the newest posted 2026-11-20 08:41 UTC"
    )
    assert len(http_server.requests) == 1


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (401, {}, r"HTTP 401 Unauthorized from .*/newest\.json: Lobsters needs no login.*base_url"),
        (403, {}, r"HTTP 403 Forbidden from .*: .*\[http\] user_agent"),
        (429, {"Retry-After": "120"}, r"HTTP 429 .*rate-limiting.* retry in 120 seconds"),
        (429, {}, r"HTTP 429 .*wait a few minutes"),
        (404, {}, r"HTTP 404 Not Found from .*: is `base_url` a Lobsters site\?"),
    ],
    ids=["401", "403", "429 with Retry-After", "429", "404"],
)
def test_check_says_what_to_do(
    http_server: LocalServer, status: int, headers: dict[str, str], expected: str
) -> None:
    http_server.routes["/newest.json"] = Route(status=status, body=b"no", headers=headers)

    with pytest.raises(SourceError, match=expected) as caught:
        run(make_source(http_server.base_url).check)

    assert caught.value.http_status == status
    assert "\n" not in caught.value.message


def test_a_404_on_a_tag_feed_points_at_the_tags(http_server: LocalServer) -> None:
    source = make_source(http_server.base_url, tags=("rustt",))

    with pytest.raises(SourceError, match=r"is every name in `tags` a tag of this site\?"):
        run(source.check)


def test_a_429_during_a_scan_keeps_retry_after(http_server: LocalServer) -> None:
    http_server.routes["/newest.json"] = Route(status=429, headers={"Retry-After": "30"})

    with pytest.raises(SourceError) as caught:
        search(make_source(http_server.base_url))

    assert caught.value.retry_after == "30"


# --- times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-15T16:06:08.000-05:00", utc(2024, 3, 15, 21, 6, 8)),
        ("2012-12-22T22:15:29.000-06:00", utc(2012, 12, 23, 4, 15, 29)),
        ("2024-03-15T16:06:08Z", utc(2024, 3, 15, 16, 6, 8)),
        ("2024-03-15T16:06:08.1234567+00:00", utc(2024, 3, 15, 16, 6, 8, 123456)),
        ("2024-03-15T16:06:08", utc(2024, 3, 15, 16, 6, 8)),
        ("yesterday", None),
        (None, None),
        (1710540368, None),
    ],
)
def test_parse_time(value: object, expected: datetime | None) -> None:
    assert parse_time(value) == expected


# --- a scan end to end ------------------------------------------------------------------------


def stored_by_id(store: Store) -> dict[str, StoredMention]:
    """Every stored mention, whatever its status (ids are SQLite rowids: 1, 2, 3 ...)."""
    found = [store.mention(i) for i in range(1, store.count_mentions() + 1)]
    return {m.native_id: m for m in found if m is not None}


def lobsters_table(base_url: str, **extra: str) -> str:
    lines = [f"{key} = {value}" for key, value in extra.items()]
    return (
        '[[sources]]\nname = "lobsters"\nkind = "lobsters"\n'
        f'base_url = "{base_url}"\n' + "\n".join(lines) + "\n"
    )


def test_a_scan_stores_the_stories_that_name_the_brand(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    serve_site(http_server)
    config = load_config(write_config(tmp_path, lobsters_table(http_server.base_url)))

    report = run_scan(config, store, force=True, environ={})

    (source,) = report.sources
    assert (source.error, source.items_seen, source.relevant, source.new) == (None, 5, 3, 3)
    stored = stored_by_id(store)
    assert set(stored) == {"xk3vqa", "r4hn8d", "b2ty6c"}
    sdk = stored["xk3vqa"]
    assert (sdk.kind, sdk.source, sdk.reach, sdk.thread_ref) == (
        "lobsters",
        "lobsters",
        7,
        "xk3vqa",
    )
    assert sdk.url == "https://lobste.rs/s/xk3vqa"
    assert sdk.created_at == utc(2026, 11, 20, 8, 41, 7)
    assert (stored["r4hn8d"].reach, stored["b2ty6c"].reach) == (4, 12)
    assert stored["b2ty6c"].author is None
    state = store.source_state("lobsters", "lobsters")
    assert state.cursor == "2026-11-20T08:41:07+00:00"


def test_a_scan_marks_threads_the_brand_answered(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    serve_site(http_server)
    config = load_config(write_config(tmp_path, lobsters_table(http_server.base_url)))

    run_scan(config, store, force=True, environ={})

    found = stored_by_id(store)
    sdk, api, exporter = found["xk3vqa"], found["r4hn8d"], found["b2ty6c"]
    assert sdk.status == MentionStatus.ANSWERED
    assert sdk.answered_by == "AcmeSupport"
    assert sdk.answered_url == (
        "https://lobste.rs/s/xk3vqa/acme_s_router_sdk_3_0_drops_python_3_9#c_k7b3qe"
    )
    assert sdk.answered_at == utc(2026, 11, 20, 9, 12, 45)
    # Three levels deep, under two other people's comments.
    assert api.status == MentionStatus.ANSWERED
    assert api.answered_by == "maria_atAcme"
    assert api.answered_url is not None and api.answered_url.endswith("#c_s9d4ne")
    assert api.answered_at == utc(2026, 11, 20, 9, 10)
    # Only others replied.
    assert exporter.status == MentionStatus.OPEN
    assert exporter.answered_by is None


# --- the demo's Lobsters ----------------------------------------------------------------------

DEMO_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
DEMO_HANDLES = ("BrightloopHelp", "Brightloop", "*atBrightloop")


def demo_posts(now: datetime) -> list[dict[str, Any]]:
    """The demo's Lobsters posts as the demo hands them to the router: with their times."""
    chosen = []
    for post in load_dataset()["posts"]:  # posts.json and posts_lobsters.json
        if post.get("platform") != demo_lobsters.KIND:
            continue
        created = now - timedelta(minutes=post["minutes_ago"])
        dated = [
            {**r, "created_at": created + timedelta(minutes=r["minutes_after"])}
            for r in post.get("replies", [])
        ]
        chosen.append({**post, "created_at": created, "replies": dated})
    return chosen


class _Mounted(dict):  # type: ignore[type-arg]
    """LocalServer routes that hand every path under `prefix` to a demo router."""

    def __init__(self, prefix: str, router: demo_lobsters.Router) -> None:
        super().__init__()
        self.prefix = prefix
        self.router = router

    def get(self, path: str, default: object = None) -> Callable[[SeenRequest], Route | None]:
        def answer(seen: SeenRequest) -> Route | None:
            parts = urlsplit(seen.path)
            if not parts.path.startswith(self.prefix + "/"):
                return None
            response = self.router(
                DemoRequest(
                    method=seen.method,
                    path=parts.path[len(self.prefix) :],
                    query=parse_qs(parts.query),
                    headers=seen.headers,
                    body=seen.body,
                )
            )
            if response is None:
                return None
            headers = {"Content-Type": response.content_type, **response.headers}
            return Route(body=response.body, status=response.status, headers=headers)

        return answer


@pytest.fixture
def demo_site(http_server: LocalServer) -> str:
    router = demo_lobsters.router(demo_posts(DEMO_NOW), DEMO_NOW)
    http_server.routes = _Mounted("/lobsters", router)
    return http_server.url("/lobsters")


def test_the_demo_router_serves_what_the_source_reads(demo_site: str) -> None:
    brand = BrandConfig(name="Brightloop", terms=("Brightloop",), handles=DEMO_HANDLES)
    source = make_source(demo_site, brand)

    result = search(source)
    mentions = {m.native_id: m for m in result.mentions}
    threads = replies(source, *mentions)

    assert result.items_seen == len(demo_posts(DEMO_NOW)) + 3  # and three off-topic stories
    assert list(mentions)[:2] == ["m4tq7z", "v7mq2e"]  # newest first
    ipv6 = mentions["v7mq2e"]
    assert ipv6.title == "Brightloop Hub firmware 4.2 silently breaks DHCPv6 prefix delegation"
    assert ipv6.created_at == DEMO_NOW - timedelta(minutes=95)
    assert (ipv6.author, ipv6.reach) == ("sgr", 14)
    assert ipv6.text.startswith("Updated my Brightloop Hub to 4.2.0 last night")
    assert "\n\nThere is no way to roll back" in ipv6.text

    def brand_replies(ref: str) -> list[Reply]:
        return [r for r in threads[ref] if is_brand_handle(r.author, DEMO_HANDLES)]

    (kofi,) = brand_replies("v7mq2e")
    assert (kofi.author, kofi.depth) == ("dev_kofi_atBrightloop", 3)
    assert kofi.created_at == ipv6.created_at + timedelta(minutes=41)  # type: ignore[operator]
    assert kofi.url.startswith("https://lobste.rs/s/v7mq2e/brightloop_hub_firmware_4_2_")
    assert 'the WAN profile is "dual-stack"' in kofi.text
    assert "Advanced > WAN > IP mode to dual-stack" in kofi.text
    assert brand_replies("t3nd8w") == []  # the complaint nobody from the brand answered
    assert [r.author for r in brand_replies("q2wz6j")] == ["BrightloopHelp"]
    assert threads["q2wz6j"][0].author is None  # a removed comment
    assert threads["m4tq7z"] == []


def test_the_demo_router_pages_tags_and_404s(demo_site: str, http_server: LocalServer) -> None:
    source = make_source(demo_site, tags=("hardware",), max_pages=3)

    tagged = search(source)
    later = search(source, cursor="2000-01-01T00:00:00+00:00")
    missing = replies(source, "nosuch")

    assert {m.native_id for m in tagged.mentions} == {"v7mq2e", "q2wz6j"}
    assert later.items_seen == 2
    assert "/lobsters/t/hardware/page/2.json" in paths(http_server)
    assert missing == {"nosuch": []}


def test_the_demo_fills_in_skipped_reply_levels() -> None:
    posted = DEMO_NOW - timedelta(hours=1)
    post = {
        "id": "abc123",
        "author": "op",
        "title": "Brightloop question",
        "text": "Hello",
        "link": "",
        "reach": 1,
        "created_at": posted,
        "replies": [
            {"author": "BrightloopHelp", "text": "Hi", "depth": 3, "created_at": posted},
        ],
    }
    route = demo_lobsters.router([post], DEMO_NOW)

    response = route(DemoRequest("GET", "/s/abc123.json", {}, {}))

    assert response is not None and response.status == 200
    assert b"<" not in response.body  # escaped as Rails does
    comments = json.loads(response.body)["comments"]
    assert [(c["depth"], c["commenting_user"]) for c in comments] == [
        (0, "lurker"),
        (1, "lurker"),
        (2, "BrightloopHelp"),
    ]
    assert comments[2]["parent_comment"] == comments[1]["short_id"]
    assert route(DemoRequest("POST", "/newest.json", {}, {})) is None
    assert route(DemoRequest("GET", "/nothing", {}, {})) is None


def test_the_demo_scan_finds_the_brand_answer_three_levels_deep(
    tmp_path: Path, demo_site: str, store: Store
) -> None:
    brand = (
        '[brand]\nname = "Brightloop"\nterms = ["Brightloop", "Brightloop Hub"]\n'
        'handles = ["BrightloopHelp", "Brightloop", "*atBrightloop"]\n'
    )
    table = demo_lobsters.source_table(demo_site)
    sources = "".join(f"{key} = {json.dumps(value)}\n" for key, value in table.items())
    config = load_config(write_config(tmp_path, "[[sources]]\n" + sources, brand_toml=brand))

    run_scan(config, store, force=True, environ={})

    by_id = stored_by_id(store)
    assert set(by_id) == {"k3xq9a", "v7mq2e", "t3nd8w", "h8kc4r", "q2wz6j"}
    assert by_id["v7mq2e"].status == MentionStatus.ANSWERED
    assert by_id["v7mq2e"].answered_by == "dev_kofi_atBrightloop"
    assert by_id["t3nd8w"].status == MentionStatus.OPEN
    assert by_id["q2wz6j"].answered_by == "BrightloopHelp"
