"""The Mastodon source against a real local server answering like a Mastodon instance.

Fixtures (tests/fixtures/mastodon) follow the shapes cited in the source's docstring: Status
entities with snowflake string ids, `content` in Mastodon's HTML (h-card mentions, hashtag
links, "&#39;" and "&quot;" escapes, link text split into "invisible" spans), `spoiler_text`,
remote `url`s on the author's own server, `acct` as "user" or "user@domain", a suspended
(deleted) account, a hidden follower count (-1); v2 search results; thread contexts whose
`descendants` are a flat list linked by `in_reply_to_id`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import pytest

from conftest import FIXTURES, LocalServer, Route, SeenRequest, write_config
from mentionwatch.classify.handles import is_brand_handle
from mentionwatch.config import BrandConfig, FieldError, HttpConfig, SourceConfig, load_config
from mentionwatch.demo.platforms import DEMO_ENVIRON, DemoRequest, DemoResponse
from mentionwatch.demo.platforms import mastodon as demo_masto
from mentionwatch.errors import ConfigError, SourceError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import Mention, MentionStatus, Reply, SearchResult, SourceState
from mentionwatch.scan import run_scan
from mentionwatch.sources import source_class
from mentionwatch.sources.mastodon import (
    MastodonSettings,
    MastodonSource,
    link_param,
    newer,
    newest,
    reply_depths,
    retry_after_seconds,
)
from mentionwatch.store import Store

MASTO = FIXTURES / "mastodon"
JSON = {"Content-Type": "application/json; charset=utf-8"}
HANDLES = ("AcmeSupport", "*atAcme")
PREFIX = "/masto"  # the demo mounts each platform under a path: so do the tests
TAG = f"{PREFIX}/api/v1/timelines/tag/Acme"
SEARCH = f"{PREFIX}/api/v2/search"
TOKEN = "tok-9f8e7d6c5b4a-s3cr3t"
T = TypeVar("T")

# Status ids in the fixtures, oldest first (snowflakes: 2026-11-20 06:02 to 10:12 UTC).
S1, S2, S3 = "117647247343616003", "117647635382272010", "117647769828196369"
S4, S5, S6 = "117647953108992024", "117648065348960287", "117648229990400038"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; a developer's proxy must not sit between us and 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


def make_source(
    base_url: str,
    terms: tuple[str, ...] = ("Acme",),
    environ: Mapping[str, str] | None = None,
    **settings: Any,
) -> MastodonSource:
    config = SourceConfig(
        name="masto",
        kind="mastodon",
        interval=timedelta(minutes=30),
        enabled=True,
        settings=MastodonSettings(base_url=base_url, **settings),
    )
    brand = BrandConfig(name="Acme", terms=terms, handles=HANDLES)
    return MastodonSource(config, brand, environ or {})


def token_source(base_url: str, **settings: Any) -> MastodonSource:
    return make_source(
        base_url, environ={"MASTO_TOKEN": TOKEN}, token_env="MASTO_TOKEN", **settings
    )


def call(action: Callable[[HttpFetcher], Awaitable[T]]) -> T:
    async def run() -> T:
        async with HttpFetcher(HttpConfig()) as http:
            return await action(http)

    return asyncio.run(run())


def search(source: MastodonSource, cursor: str | None = None) -> SearchResult:
    return call(lambda http: source.search(http, SourceState("masto", "mastodon", cursor=cursor)))


def replies(source: MastodonSource, *refs: str) -> dict[str, list[Reply]]:
    return call(lambda http: source.replies(http, list(refs)))


def check(source: MastodonSource) -> str:
    return call(source.check)


def fixture(name: str) -> bytes:
    return (MASTO / name).read_bytes()


def by_id(mentions: list[Mention]) -> dict[str, Mention]:
    return {m.native_id: m for m in mentions}


def link(path: str, newest_id: str, oldest_id: str, limit: str = "40") -> str:
    """Mastodon's Link header for a timeline page (it keeps only limit, not any[])."""
    url = f"https://mastodon.social{path}"
    return (
        f'<{url}?limit={limit}&max_id={oldest_id}>; rel="next", '
        f'<{url}?limit={limit}&min_id={newest_id}>; rel="prev"'
    )


def serve_context(server: LocalServer, status_id: str, name: str) -> None:
    server.routes[f"{PREFIX}/api/v1/statuses/{status_id}/context"] = Route(
        body=fixture(name), headers=JSON
    )


def assert_plain(text: str) -> None:
    assert "<" not in text and ">" not in text, text
    assert "&amp;" not in text and "&#" not in text and "&quot;" not in text, text


# --- hashtag timelines (no token) -------------------------------------------------------------


def test_first_poll_reads_the_newest_page_of_the_hashtag(http_server: LocalServer) -> None:
    http_server.routes[TAG] = Route(
        body=fixture("tag_newest.json"), headers={**JSON, "Link": link(TAG, S3, S1)}
    )
    source = make_source(http_server.url(PREFIX))

    result = search(source)

    (request,) = http_server.requests
    assert request.path.startswith(TAG + "?")
    assert request.query == {"limit": ["40"]}  # no cursor yet: just the newest page
    assert "authorization" not in request.headers
    assert (result.http_status, result.items_seen, result.cursor) == (200, 3, S3)
    assert result.retry_after_s is None
    mentions = by_id(result.mentions)
    assert list(mentions) == [S3, S2, S1]
    waiting, skates, gone = mentions[S3], mentions[S2], mentions[S1]
    # Entities decoded, the h-card mention and the hashtag link read as they look.
    assert waiting.text == (
        "Day 9 waiting on a replacement lid from Acme & two tickets, zero replies."
        " @AcmeSupport is anyone actually reading these? \"We're on it\" isn't an answer. #Acme"
    )
    assert waiting.author == "lenaparts"  # a local account: no domain
    assert waiting.url == f"https://mastodon.social/@lenaparts/{S3}"
    assert waiting.created_at == utc(2026, 11, 20, 8, 15, 3, 482000)
    assert (waiting.reach, waiting.title, waiting.thread_ref) == (214, "", S3)
    assert (waiting.source, waiting.kind) == ("masto", "mastodon")
    # A remote post: acct with its domain, the web URL on its own server, the content warning
    # first, the link's "invisible" spans joined back into the whole URL.
    assert skates.author == "rollerjess@skate.example"
    assert skates.url == "https://skate.example/@rollerjess/113541267700431118"
    assert skates.text.startswith("gear rant, long\n\nTook the new Acme Rocket Skates out")
    assert "Review: https://skate.example/blog/acme-rocket-skates-review #acme" in skates.text
    assert skates.reach == 3 + 9  # followers hidden (-1): boosts plus favourites
    # A deleted (suspended) account: no author.
    assert gone.author is None
    assert gone.text == "Cancelling my Acme subscription. Third outage this month. #acme"
    for mention in result.mentions:
        assert_plain(mention.text)


def test_later_polls_page_forward_from_the_cursor(http_server: LocalServer) -> None:
    def answer(request: SeenRequest) -> Route:
        pages = {
            S3: ("tag_after_cursor_1.json", link(TAG, S5, S4, "2")),
            S5: ("tag_after_cursor_2.json", link(TAG, S6, S6, "2")),
        }
        name, links = pages[request.query["min_id"][0]]
        return Route(body=fixture(name), headers={**JSON, "Link": links})

    http_server.routes[TAG] = answer
    source = make_source(http_server.url(PREFIX), page_size=2)

    result = search(source, cursor=S3)

    # The second request's min_id comes from the first page's rel="prev" link.
    assert [r.query.get("min_id") for r in http_server.requests] == [[S3], [S5]]
    assert [r.query["limit"] for r in http_server.requests] == [["2"], ["2"]]
    assert sorted(by_id(result.mentions)) == [S4, S5, S6]
    assert (result.cursor, result.items_seen) == (S6, 3)
    assert by_id(result.mentions)[S4].text == (
        "The Acme status page says <all systems operational> while my order page has been a"
        " spinner for an hour. #Acme"
    )
    assert by_id(result.mentions)[S6].text.startswith("Acme's new firmware bricked my hub.")


def test_a_poll_cut_short_by_max_pages_resumes_where_it_stopped(http_server: LocalServer) -> None:
    http_server.routes[TAG] = Route(
        body=fixture("tag_after_cursor_1.json"), headers={**JSON, "Link": link(TAG, S5, S4, "2")}
    )
    source = make_source(http_server.url(PREFIX), page_size=2, max_pages=1)

    result = search(source, cursor=S3)

    assert len(http_server.requests) == 1
    # Not S6, which it never read: the next poll continues from S5 with nothing skipped.
    assert result.cursor == S5


def test_no_new_posts_keeps_the_cursor(http_server: LocalServer) -> None:
    http_server.routes[TAG] = Route(body=b"[]", headers=JSON)  # and no Link header

    result = search(make_source(http_server.url(PREFIX)), cursor=S6)

    assert (result.mentions, result.cursor, result.items_seen) == ([], S6, 0)


def test_hashtags_come_from_the_brand_terms_four_to_a_timeline(http_server: LocalServer) -> None:
    for tag in ("Acme", "RoadRunner"):
        http_server.routes[f"{PREFIX}/api/v1/timelines/tag/{tag}"] = Route(body=b"[]", headers=JSON)
    terms = ("Acme", "Acme Cloud", "#AcmeCare", "Acme-Labs", "acme", "Road Runner")
    source = make_source(http_server.url(PREFIX), terms=terms)

    search(source)

    assert source.hashtags() == ["Acme", "AcmeCloud", "AcmeCare", "AcmeLabs", "RoadRunner"]
    first, second = http_server.requests
    assert first.path.split("?")[0].endswith("/tag/Acme")
    assert first.query["any[]"] == ["AcmeCloud", "AcmeCare", "AcmeLabs"]
    assert second.path.split("?")[0].endswith("/tag/RoadRunner")
    assert "any[]" not in second.query


def test_an_unknown_hashtag_is_no_posts_but_a_404_page_is_an_error(
    http_server: LocalServer,
) -> None:
    http_server.routes[TAG] = Route(status=404, body=b'{"error":"Record not found"}', headers=JSON)
    assert search(make_source(http_server.url(PREFIX))).mentions == []

    http_server.routes[TAG] = Route(
        status=404, body=b"<!DOCTYPE html><html><body>Not Found</body></html>"
    )
    with pytest.raises(SourceError, match=r"is http://127\.0\.0\.1:\d+/masto a Mastodon"):
        search(make_source(http_server.url(PREFIX)))


def test_private_posts_and_boosts_are_not_mentions(http_server: LocalServer) -> None:
    statuses = json.loads(fixture("tag_newest.json"))
    statuses[0]["visibility"] = "private"
    statuses[1] = {**statuses[1], "id": "117647635382272099", "reblog": dict(statuses[2])}
    http_server.routes[TAG] = Route(body=json.dumps(statuses).encode(), headers=JSON)

    result = search(make_source(http_server.url(PREFIX)))

    assert [m.native_id for m in result.mentions] == [S1]
    assert result.items_seen == 3


# --- full-text search (token) -----------------------------------------------------------------


def test_with_a_token_the_source_searches_post_text(http_server: LocalServer) -> None:
    http_server.routes[SEARCH] = Route(body=fixture("search_newest.json"), headers=JSON)

    result = search(token_source(http_server.url(PREFIX)))

    (request,) = http_server.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.query == {"q": ["Acme"], "type": ["statuses"], "limit": ["40"]}
    assert [m.native_id for m in result.mentions] == [S3, S2, S1]
    assert (result.cursor, result.items_seen, result.http_status) == (S3, 3, 200)
    assert by_id(result.mentions)[S2].author == "rollerjess@skate.example"


def test_a_later_search_pages_with_offset_down_to_the_cursor(http_server: LocalServer) -> None:
    pages = {"0": "search_after_cursor_1.json", "2": "search_after_cursor_2.json"}
    http_server.routes[SEARCH] = lambda request: Route(
        body=fixture(pages[request.query.get("offset", ["0"])[0]]), headers=JSON
    )

    result = search(token_source(http_server.url(PREFIX), page_size=2), cursor=S3)

    assert [r.query.get("offset") for r in http_server.requests] == [None, ["2"]]
    assert all(r.query["min_id"] == [S3] for r in http_server.requests)
    # The server's min_id is a date filter: the cursor's own status came back and is dropped.
    assert sorted(by_id(result.mentions)) == [S4, S5, S6]
    assert result.cursor == S6


def test_each_brand_term_is_its_own_search(http_server: LocalServer) -> None:
    source = token_source(http_server.url(PREFIX))
    source.brand = BrandConfig(
        name="Acme", terms=("Acme", "Acme Cloud", "Road Runner", "ACME"), handles=HANDLES
    )
    # Mastodon ANDs a query's words: "Acme Cloud" is found by "Acme" already.
    assert source.queries() == ["Acme", '"Road Runner"']
    assert token_source(http_server.url(PREFIX), query="acme -anvil").queries() == ["acme -anvil"]


def test_with_a_token_listed_hashtags_are_read_as_well(http_server: LocalServer) -> None:
    http_server.routes[SEARCH] = Route(body=fixture("search_after_cursor_1.json"), headers=JSON)
    http_server.routes[TAG] = Route(body=fixture("tag_newest.json"), headers=JSON)

    result = search(token_source(http_server.url(PREFIX), hashtags=("#Acme",)))

    assert sorted(by_id(result.mentions)) == [S1, S2, S3, S5, S6]
    assert result.cursor == S6
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in http_server.requests)


# --- threads ----------------------------------------------------------------------------------


def test_a_thread_with_a_brand_reply(http_server: LocalServer) -> None:
    serve_context(http_server, S3, "context_answered.json")

    (thread,) = replies(make_source(http_server.url(PREFIX)), S3).values()

    assert [(r.author, r.depth) for r in thread] == [("samwise", 1), ("AcmeSupport", 1)]
    brand = thread[1]
    assert brand.native_id == "117647896053678092"
    assert brand.created_at == utc(2026, 11, 20, 8, 47, 9, 530000)
    assert brand.url == "https://mastodon.social/@AcmeSupport/117647896053678092"
    assert brand.text == (
        "@lenaparts Hi Lena, sorry about the wait & the silence. Your replacement lid ships"
        " today; I've sent the tracking number by DM. ^Mia"
    )
    assert is_brand_handle(brand.author, HANDLES)
    assert "authorization" not in http_server.requests[0].headers


def test_a_brand_reply_three_levels_deep(http_server: LocalServer) -> None:
    serve_context(http_server, S4, "context_nested.json")

    (thread,) = replies(make_source(http_server.url(PREFIX)), S4).values()

    assert [(r.author, r.depth) for r in thread] == [
        ("kit@social.coop", 1),
        ("priya@hachyderm.io", 2),
        ("jo_atAcme@acme.example", 3),
    ]
    deep = thread[2]
    # A remote brand account: "*atAcme" matches the user part of "user@domain".
    assert is_brand_handle(deep.author, HANDLES)
    assert deep.url == "https://acme.example/@jo_atAcme/117648049766400023"
    assert deep.created_at == utc(2026, 11, 20, 9, 26, 15)
    assert deep.text.endswith("orders placed since then are safe.")


def test_a_thread_where_only_others_replied(http_server: LocalServer) -> None:
    serve_context(http_server, S6, "context_others.json")

    (thread,) = replies(make_source(http_server.url(PREFIX)), S6).values()

    assert [(r.author, r.depth) for r in thread] == [
        ("marco_b", 1),
        (None, 1),  # since suspended: the author is gone
        ("tom_o@fosstodon.org", 2),
    ]
    assert not any(is_brand_handle(r.author, HANDLES) for r in thread)
    for reply in thread:
        assert_plain(reply.text)


def test_threads_are_read_one_context_each_and_a_missing_one_is_empty(
    http_server: LocalServer,
) -> None:
    serve_context(http_server, S3, "context_answered.json")
    serve_context(http_server, S4, "context_nested.json")
    gone = f"{PREFIX}/api/v1/statuses/1/context"
    http_server.routes[gone] = Route(status=404, body=b'{"error":"Record not found"}', headers=JSON)

    threads = replies(token_source(http_server.url(PREFIX)), S3, S4, "1")

    assert {ref: len(found) for ref, found in threads.items()} == {S3: 2, S4: 3, "1": 0}
    # With a token, contexts are read with it (deeper threads, more replies).
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in http_server.requests)


def test_depths_come_from_the_reply_chain() -> None:
    flat = [
        {"id": "10", "in_reply_to_id": "1"},
        {"id": "12", "in_reply_to_id": "11"},  # its parent was deleted
        {"id": "13", "in_reply_to_id": "12"},
        {"id": "9", "in_reply_to_id": "10"},  # ids are not in thread order
        {"id": "20", "in_reply_to_id": "21"},  # a cycle never hangs
        {"id": "21", "in_reply_to_id": "20"},
    ]
    depths = reply_depths("1", flat)
    assert (depths["10"], depths["9"], depths["12"], depths["13"]) == (1, 2, 2, 3)
    assert depths["20"] >= 2 and depths["21"] >= 2


# --- ids, links, rate-limit headers -----------------------------------------------------------


def test_ids_compare_as_numbers_not_strings() -> None:
    assert newer("100", "99") and not newer("99", "100")
    assert newer("117647769828196369", "99999999999999999")
    assert newest(["99", "100", None, "98"]) == "100"
    assert newer("1", None)


def test_link_header_parameters() -> None:
    header = link("/api/v1/timelines/tag/acme", "115", "110")
    assert link_param(header, "prev", "min_id") == "115"
    assert link_param(header, "next", "max_id") == "110"
    assert link_param(None, "prev", "min_id") is None
    assert link_param('<https://x.example/a?b=1>; rel="prev"', "prev", "min_id") is None


@pytest.mark.parametrize(
    ("reset", "expected"),
    [
        ("2026-11-20T09:05:00.000000Z", 300.0),  # Mastodon: ISO 8601, 6 fraction digits
        ("2026-11-20 09:02:00 UTC", 120.0),  # Mastodon before 2.8
        (str(int(utc(2026, 11, 20, 9, 1).timestamp())), 60.0),  # GoToSocial: epoch seconds
        ("", 300.0),  # none: a whole window
    ],
)
def test_retry_after_from_the_reset_header(reset: str, expected: float) -> None:
    headers = {"x-ratelimit-reset": reset, "date": "Fri, 20 Nov 2026 09:00:00 GMT"}
    assert retry_after_seconds(headers) == pytest.approx(expected)


def reset_in(seconds: int) -> str:
    """X-RateLimit-Reset as Mastodon writes it, `seconds` from now (the local server adds its
    own Date header, so the reset is measured against the real clock)."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rate_limited(seconds: int = 120) -> Route:
    """Mastodon's 429 (rack-attack's throttled_responder): no Retry-After header."""
    return Route(
        status=429,
        body=b'{"error":"Too many requests"}',
        headers={
            **JSON,
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset_in(seconds),
        },
    )


def test_a_429_on_the_first_request_asks_the_scan_to_wait(http_server: LocalServer) -> None:
    http_server.routes[TAG] = rate_limited()

    result = search(make_source(http_server.url(PREFIX)), cursor=S3)

    assert (result.mentions, result.http_status, result.cursor) == ([], 429, S3)
    assert result.retry_after_s == pytest.approx(120, abs=5)


def test_a_429_part_way_keeps_what_was_read_and_resumes_after_it(
    http_server: LocalServer,
) -> None:
    def answer(request: SeenRequest) -> Route:
        if request.query["min_id"] == [S3]:
            return Route(body=fixture("tag_after_cursor_1.json"), headers=JSON)
        return rate_limited()

    http_server.routes[TAG] = answer

    result = search(make_source(http_server.url(PREFIX), page_size=2), cursor=S3)

    assert sorted(by_id(result.mentions)) == [S4, S5]
    assert result.cursor == S5  # the next poll goes on from here: nothing skipped
    assert result.retry_after_s == pytest.approx(120, abs=5)


def test_a_429_part_way_through_a_search_keeps_the_old_cursor(http_server: LocalServer) -> None:
    def answer(request: SeenRequest) -> Route:
        if "offset" not in request.query:
            return Route(body=fixture("search_after_cursor_1.json"), headers=JSON)
        return rate_limited()

    http_server.routes[SEARCH] = answer

    result = search(token_source(http_server.url(PREFIX), page_size=2), cursor=S3)

    # Newest first: what lies between S3 and S5 is unread, so the cursor must not move past it.
    assert sorted(by_id(result.mentions)) == [S5, S6]
    assert result.cursor == S3
    assert result.retry_after_s == pytest.approx(120, abs=5)


def test_an_exhausted_budget_stops_paging_until_the_reset(http_server: LocalServer) -> None:
    headers = {
        **JSON,
        "Link": link(TAG, S5, S4, "2"),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset_in(240),
    }
    http_server.routes[TAG] = Route(body=fixture("tag_after_cursor_1.json"), headers=headers)

    result = search(make_source(http_server.url(PREFIX), page_size=2), cursor=S3)

    assert len(http_server.requests) == 1
    assert (result.cursor, result.retry_after_s) == (S5, pytest.approx(240, abs=5))


# --- broken answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'[{"id": "1",', "application/json", "invalid JSON"),
        (b"<!DOCTYPE html><html><title>We're sorry</title></html>", "text/html", "HTML page"),
        (b'{"error": "nope"}', "application/json", "expected a list of statuses"),
    ],
    ids=["invalid json", "html page", "wrong shape"],
)
def test_broken_answers_are_clear_errors(
    http_server: LocalServer, body: bytes, content_type: str, message: str
) -> None:
    broken = Route(body=body, headers={"Content-Type": content_type})
    http_server.routes[TAG] = broken
    http_server.routes[f"{PREFIX}/api/v1/statuses/{S3}/context"] = broken
    source = make_source(http_server.url(PREFIX))

    with pytest.raises(SourceError, match=message):
        search(source)
    if message != "expected a list of statuses":
        with pytest.raises(SourceError, match=message):
            replies(source, S3)


def test_a_broken_thread_server_is_an_error_not_an_empty_thread(http_server: LocalServer) -> None:
    http_server.routes[f"{PREFIX}/api/v1/statuses/{S3}/context"] = Route(
        status=503, body=b"<html>Service Unavailable</html>"
    )
    with pytest.raises(SourceError, match="HTTP 503"):
        replies(make_source(http_server.url(PREFIX)), S3)


# --- credentials and check() ------------------------------------------------------------------


def test_a_configured_but_missing_token_names_the_variable(http_server: LocalServer) -> None:
    source = make_source(http_server.url(PREFIX), token_env="MASTO_TOKEN")

    with pytest.raises(SourceError, match=r"\$MASTO_TOKEN") as caught:
        search(source)

    assert "Preferences > Development" in caught.value.message
    assert http_server.requests == []  # it did not quietly fall back to something else


def test_the_token_file_works_too(http_server: LocalServer, tmp_path: Path) -> None:
    secret = tmp_path / "masto-token"
    secret.write_text(TOKEN + "\n", encoding="utf-8")
    http_server.routes[SEARCH] = Route(body=fixture("search_newest.json"), headers=JSON)

    search(make_source(http_server.url(PREFIX), token_file=str(secret)))

    assert http_server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, b'{"error":"The access token is invalid"}', "token rejected"),
        (403, b'{"error":"This action is outside the authorized scopes"}', "read:search"),
        (429, b'{"error":"Too many requests"}', r"resets in 1[12]\ds"),
    ],
)
def test_check_says_what_to_do(
    http_server: LocalServer, status: int, body: bytes, expected: str
) -> None:
    route = rate_limited() if status == 429 else Route(status=status, body=body, headers=JSON)
    http_server.routes[SEARCH] = route

    with pytest.raises(SourceError, match=expected) as caught:
        check(token_source(http_server.url(PREFIX)))

    assert caught.value.http_status == status
    assert TOKEN not in caught.value.message
    assert TOKEN not in repr(caught.value) and TOKEN not in str(caught.value)
    if status == 429:
        assert 110 <= int(caught.value.retry_after or 0) <= 122  # Date has whole seconds


def test_check_works_with_and_without_a_token(http_server: LocalServer) -> None:
    http_server.routes[SEARCH] = Route(body=fixture("search_newest.json"), headers=JSON)
    http_server.routes[TAG] = Route(body=fixture("tag_newest.json"), headers=JSON)

    with_token = check(token_source(http_server.url(PREFIX)))
    without = check(make_source(http_server.url(PREFIX)))

    assert with_token == "works: token accepted by 127.0.0.1:{}; 3 post(s) found for Acme".format(
        http_server.base_url.rsplit(":", 1)[1]
    )
    assert without.startswith("works: 3 recent post(s) on 127.0.0.1:")
    assert without.endswith("tagged #Acme")
    assert len(http_server.requests) == 2  # one request each


def test_the_token_only_ever_travels_in_the_authorization_header(
    http_server: LocalServer,
) -> None:
    http_server.routes[SEARCH] = Route(status=401, body=b'{"error":"The access token is invalid"}')
    source = token_source(http_server.url(PREFIX))

    with pytest.raises(SourceError) as caught:
        search(source)

    assert TOKEN not in caught.value.message
    assert TOKEN not in repr(source.settings)
    for request in http_server.requests:
        assert TOKEN not in request.path
        assert TOKEN not in request.body.decode()
        assert [k for k, v in request.headers.items() if TOKEN in v] == ["authorization"]


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"base_url": "mastodon.social"}, "base_url"),
        ({"base_url": "ftp://mastodon.social"}, "base_url"),
        ({"query": "acme"}, "query"),  # full-text search needs a token
        ({"hashtags": ("acme support",)}, "hashtags"),
        ({"page_size": 41}, "page_size"),
        ({"max_pages": 0}, "max_pages"),
    ],
)
def test_settings_are_validated(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(FieldError) as caught:
        MastodonSettings(**settings)
    assert caught.value.key == key


def test_the_config_table_loads_with_defaults(tmp_path: Path) -> None:
    table = '[[sources]]\nname = "fedi"\nkind = "mastodon"\n'
    config = load_config(write_config(tmp_path, table))
    settings = config.sources[0].settings
    assert source_class("mastodon") is MastodonSource
    assert settings == MastodonSettings()
    assert settings.base_url == "https://mastodon.social"
    bad = '[[sources]]\nname = "fedi"\nkind = "mastodon"\nquery = "acme"\n'
    with pytest.raises(ConfigError, match=r"sources\[0\]\.query: expected a token too"):
        load_config(write_config(tmp_path, bad))


# --- a whole scan -----------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data" / "mentionwatch.db") as opened:
        yield opened


SCAN_AT = utc(2026, 11, 20, 11, 0)


def masto_table(base_url: str, token_env: str | None = "ACME_MASTODON_TOKEN") -> str:
    token = f'token_env = "{token_env}"\n' if token_env else ""
    return f'[[sources]]\nname = "fedi"\nkind = "mastodon"\nbase_url = "{base_url}"\n{token}\n'


def serve_instance(server: LocalServer) -> None:
    statuses = [
        *json.loads(fixture("tag_newest.json")),
        *json.loads(fixture("tag_after_cursor_1.json")),
        *json.loads(fixture("tag_after_cursor_2.json")),
    ]
    statuses.sort(key=lambda s: (len(s["id"]), s["id"]), reverse=True)
    server.routes[SEARCH] = Route(
        body=json.dumps({"accounts": [], "statuses": statuses, "hashtags": []}).encode(),
        headers=JSON,
    )
    serve_context(server, S3, "context_answered.json")
    serve_context(server, S4, "context_nested.json")
    serve_context(server, S6, "context_others.json")
    for quiet in (S1, S2, S5):
        server.routes[f"{PREFIX}/api/v1/statuses/{quiet}/context"] = Route(
            body=b'{"ancestors":[],"descendants":[]}', headers=JSON
        )


def scan_instance(tmp_path: Path, http_server: LocalServer, store: Store) -> dict[str, Any]:
    serve_instance(http_server)
    config = load_config(write_config(tmp_path, masto_table(http_server.url(PREFIX))))
    report = run_scan(
        config,
        store,
        force=True,
        clock=lambda: SCAN_AT,
        environ={"ACME_MASTODON_TOKEN": TOKEN},
    )
    stored = [store.mention(i) for i in range(1, store.count_mentions() + 1)]
    return {"report": report, "stored": {m.native_id: m for m in stored if m}}


def test_a_scan_stores_the_mastodon_mentions(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    scanned = scan_instance(tmp_path, http_server, store)

    (fedi,) = scanned["report"].sources
    assert fedi.error is None
    assert (fedi.http_status, fedi.items_seen, fedi.relevant, fedi.new) == (200, 6, 6, 6)
    stored = scanned["stored"]
    assert set(stored) == {S1, S2, S3, S4, S5, S6}
    waiting = stored[S3]
    assert (waiting.kind, waiting.source, waiting.author) == ("mastodon", "fedi", "lenaparts")
    assert (waiting.reach, waiting.thread_ref) == (214, S3)
    assert waiting.url == f"https://mastodon.social/@lenaparts/{S3}"
    assert stored[S2].reach == 12
    assert stored[S1].author is None
    assert store.source_state("fedi", "mastodon").cursor == S6
    search_request = next(r for r in http_server.requests if r.path.startswith(SEARCH))
    assert search_request.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_scan_marks_what_the_brand_answered_in_the_thread(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    stored = scan_instance(tmp_path, http_server, store)["stored"]

    answered, nested, others = stored[S3], stored[S4], stored[S6]
    assert answered.status is MentionStatus.ANSWERED
    assert answered.answered_by == "AcmeSupport"
    assert answered.answered_url == "https://mastodon.social/@AcmeSupport/117647896053678092"
    assert answered.answered_at == utc(2026, 11, 20, 8, 47, 9)  # stored to the second
    assert nested.status is MentionStatus.ANSWERED
    assert nested.answered_by == "jo_atAcme@acme.example"
    assert nested.answered_url == "https://acme.example/@jo_atAcme/117648049766400023"
    assert nested.answered_at == utc(2026, 11, 20, 9, 26, 15)
    assert others.status is MentionStatus.OPEN
    assert others.answered_by is None
    assert [(r.author, brand) for r, brand in store.replies(others.id)] == [
        ("marco_b", False),
        (None, False),
        ("tom_o@fosstodon.org", False),
    ]


# --- the demo's fake API ----------------------------------------------------------------------


def demo_posts(now: datetime) -> list[dict[str, Any]]:
    """The demo's Mastodon posts, with times made absolute as the demo server does."""
    demo = files("mentionwatch.demo")
    posts = json.loads(demo.joinpath("posts.json").read_text(encoding="utf-8"))["posts"]
    extra = demo.joinpath("posts_mastodon.json").read_text(encoding="utf-8")
    posts += json.loads(extra)["posts"]
    mine = []
    for post in posts:
        if post["platform"] != demo_masto.KIND:
            continue
        created = now - timedelta(minutes=post["minutes_ago"])
        thread = [
            {**r, "created_at": created + timedelta(minutes=r["minutes_after"])}
            for r in post.get("replies", [])
        ]
        mine.append({**post, "created_at": created, "replies": thread})
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
DEMO_HANDLES = ("BrightloopHelp", "Brightloop", "*atBrightloop")
DEMO_BRAND = (
    '[brand]\nname = "Brightloop"\nterms = ["Brightloop", "Brightloop Hub"]\n'
    'handles = ["BrightloopHelp", "Brightloop", "*atBrightloop"]\n'
)


@pytest.fixture
def demo_server(http_server: LocalServer) -> str:
    router = demo_masto.router(demo_posts(DEMO_NOW), DEMO_NOW)
    http_server.routes = DemoRoutes("/mastodon", router)
    return http_server.url("/mastodon")


def demo_source(base_url: str, **settings: Any) -> MastodonSource:
    table = demo_masto.source_table(base_url)
    source = make_source(
        base_url,
        terms=("Brightloop", "Brightloop Hub"),
        environ=DEMO_ENVIRON,
        token_env=str(table["token_env"]),
        **settings,
    )
    source.brand = BrandConfig(
        name="Brightloop", terms=("Brightloop", "Brightloop Hub"), handles=DEMO_HANDLES
    )
    return source


def test_the_demo_api_serves_its_posts_the_way_the_source_reads_them(demo_server: str) -> None:
    table = demo_masto.source_table(demo_server)
    assert (table["kind"], table["base_url"]) == ("mastodon", demo_server)
    assert table["token_env"] in DEMO_ENVIRON
    source = demo_source(demo_server)
    posts = {p["id"]: p for p in demo_posts(DEMO_NOW)}

    async def poll_twice(http: HttpFetcher) -> tuple[SearchResult, Any, SearchResult]:
        first = await source.search(http, SourceState("masto", "mastodon"))
        threads = await source.replies(http, [*posts, "1"])
        again = await source.search(http, SourceState("masto", "mastodon", cursor=first.cursor))
        return first, threads, again

    result, threads, again = call(poll_twice)
    mentions = by_id(result.mentions)

    assert set(posts) <= set(mentions) and len(posts) >= 4
    hold = mentions["112300651877023419"]
    assert hold.author == "dani@mstdn.social"
    assert hold.url == "https://mstdn.social/@dani/112300651877023419"
    assert hold.created_at == DEMO_NOW - timedelta(minutes=12)
    assert hold.reach == 96
    assert hold.text == posts["112300651877023419"]["text"]  # HTML and entities round-trip
    assert mentions["112294871390228475"].author == "Brightloop"  # the brand's own post

    brand = {
        ref: [(r.author, r.depth) for r in thread if is_brand_handle(r.author, DEMO_HANDLES)]
        for ref, thread in threads.items()
    }
    assert brand["112300278416530921"] == [("BrightloopHelp", 1)]
    assert brand["112299545731064208"] == [("ravi_atBrightloop@brightloop.example", 3)]
    assert brand["112300022917735844"] == []  # the complaint nobody from the brand answered
    assert [r.author for r in threads["112294871390228475"]] == ["grumpy_in_goole@mastodon.social"]
    ids = [r.native_id for thread in threads.values() for r in thread] + list(mentions)
    assert len(ids) == len(set(ids))

    # A later poll with the cursor finds nothing new; an unknown status has no thread.
    assert (again.mentions, again.cursor) == ([], result.cursor)
    assert threads["1"] == []


def test_the_demo_hashtag_timeline_without_a_token(demo_server: str) -> None:
    source = make_source(demo_server, terms=("Brightloop",), page_size=5)

    first = search(source)
    assert len(first.mentions) == 5  # the newest page
    # Page forward from an old cursor: every tagged post, oldest pages first, via the Link.
    oldest_id = min((m.native_id for m in first.mentions), key=lambda i: (len(i), i))
    later = search(make_source(demo_server, terms=("Brightloop",), page_size=5), "1")
    assert len(later.mentions) == len(demo_posts(DEMO_NOW))
    assert later.cursor == newest(m.native_id for m in later.mentions)
    assert oldest_id in by_id(later.mentions)


def test_the_demo_search_needs_the_token(demo_server: str) -> None:
    source = make_source(demo_server, environ={"T": "wrong"}, token_env="T")
    with pytest.raises(SourceError, match="token rejected"):
        search(source)


def test_the_demo_scan_answers_and_leaves_open_what_it_should(
    tmp_path: Path, demo_server: str, store: Store
) -> None:
    table = demo_masto.source_table(demo_server)
    toml = (
        f'[[sources]]\nname = "{table["name"]}"\nkind = "mastodon"\n'
        f'base_url = "{demo_server}"\ntoken_env = "{table["token_env"]}"\n'
    )
    config = load_config(write_config(tmp_path, toml, DEMO_BRAND))

    (masto,) = run_scan(
        config, store, force=True, clock=lambda: DEMO_NOW, environ=DEMO_ENVIRON
    ).sources

    assert masto.error is None
    stored = {m.native_id: m for m in (store.mention(i) for i in range(1, masto.new + 1)) if m}
    assert stored["112300278416530921"].answered_by == "BrightloopHelp"
    assert stored["112299545731064208"].answered_by == "ravi_atBrightloop@brightloop.example"
    assert stored["112300022917735844"].status is MentionStatus.OPEN
    assert stored["112294871390228475"].status is MentionStatus.OWN


def test_without_a_token_a_refusal_says_to_add_one(http_server: LocalServer) -> None:
    http_server.routes[TAG] = Route(
        status=401, body=b'{"error":"This API requires an authenticated user"}', headers=JSON
    )
    with pytest.raises(SourceError, match=r"requires a login .* set token_env") as caught:
        check(make_source(http_server.url(PREFIX)))
    assert "This API requires an authenticated user" in caught.value.message

    http_server.routes[TAG] = Route(status=403, body=b'{"error":"Forbidden"}', headers=JSON)
    with pytest.raises(SourceError, match="refuses anonymous clients"):
        search(make_source(http_server.url(PREFIX)))
