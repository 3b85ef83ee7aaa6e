"""The Reddit source against a real local server answering like Reddit's OAuth API.

Fixtures (tests/fixtures/reddit) follow the shapes of real responses with `raw_json=1`:
listings of `t3` posts with `after` fullnames, comment trees with nested `replies` listings,
"load more comments" and "continue this thread" stubs, and `api/morechildren` answers.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

from conftest import FIXTURES, LocalServer, Route, SeenRequest, write_config
from mentionwatch.config import BrandConfig, HttpConfig, SourceConfig, load_config
from mentionwatch.demo.platforms import DEMO_ENVIRON, DemoRequest
from mentionwatch.demo.platforms import reddit as demo_reddit
from mentionwatch.errors import ConfigError, SourceError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import MentionStatus, Reply, SourceState
from mentionwatch.scan import run_scan
from mentionwatch.sources.reddit import RedditSettings, RedditSource
from mentionwatch.store import Store

FIX = FIXTURES / "reddit"
TOKEN_PATH = "/www/api/v1/access_token"
CLIENT_ID = "p-jcoLKBynTLew"
CLIENT_SECRET = "gko_LXELoV07ZBNUXrvWZfzE3aI"
ENV = {"REDDIT_CLIENT_ID": CLIENT_ID, "REDDIT_CLIENT_SECRET": CLIENT_SECRET}
TOKEN = json.loads((FIX / "token.json").read_text())["access_token"]
JSON = {"Content-Type": "application/json; charset=UTF-8"}
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
BLOCKED_PAGE = (
    b"<!doctype html>\n     <html>\n  <head>\n    <title>Blocked</title>\n  </head>\n  <body>\n"
    b"    <h1>whoa there, pardner!</h1>\n\n<p>Your request has been blocked due to a network"
    b" policy.</p>\n  </body>\n</html>\n"
)

T = TypeVar("T")


def utc(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, second, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; a developer's proxy must not sit between us and 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


# --- a local Reddit -------------------------------------------------------------------------


def fixture(name: str) -> bytes:
    return (FIX / name).read_bytes()


class FakeReddit:
    """The token endpoint and the OAuth API on the local server, checking credentials as
    Reddit does: HTTP basic auth on the token endpoint, the bearer token on the API."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        server.routes[TOKEN_PATH] = self._token

    def _token(self, seen: SeenRequest) -> Route:
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if (
            seen.method != "POST"
            or seen.headers.get("authorization") != f"Basic {basic}"
            or seen.headers.get("content-type") != "application/x-www-form-urlencoded"
            or seen.body != b"grant_type=client_credentials"
        ):
            return Route(b'{"message": "Unauthorized", "error": 401}', 401, dict(JSON))
        return Route(fixture("token.json"), headers=dict(JSON))

    def api(
        self,
        path: str,
        answer: bytes | Callable[[SeenRequest], bytes],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        def route(seen: SeenRequest) -> Route:
            if seen.headers.get("authorization") != f"bearer {TOKEN}":
                return Route(b'{"message": "Unauthorized", "error": 401}', 401, dict(JSON))
            body = answer(seen) if callable(answer) else answer
            return Route(body, status, {**JSON, **(headers or {})})

        self.server.routes["/oauth" + path] = route

    def api_requests(self) -> list[SeenRequest]:
        return [r for r in self.server.requests if r.path.startswith("/oauth/")]


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LocalServer]:
    server = LocalServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def http_server(shared_server: LocalServer) -> LocalServer:
    """conftest's real local server, started once for this module (stopping one takes a
    poll interval) and emptied for each test."""
    shared_server.routes.clear()
    shared_server.requests.clear()
    return shared_server


@pytest.fixture
def reddit(http_server: LocalServer) -> FakeReddit:
    return FakeReddit(http_server)


def make_source(
    server: LocalServer,
    environ: dict[str, str] | None = None,
    **settings: Any,
) -> RedditSource:
    values: dict[str, Any] = {
        "base_url": server.url("/oauth"),
        "auth_url": server.url(TOKEN_PATH),
        "client_id_env": "REDDIT_CLIENT_ID",
        "client_secret_env": "REDDIT_CLIENT_SECRET",
        **settings,
    }
    config = SourceConfig(
        name="reddit",
        kind="reddit",
        interval=timedelta(minutes=30),
        enabled=True,
        settings=RedditSettings(**values),
    )
    brand = BrandConfig(
        name="Acme", terms=("Acme", '"Acme Hub"'), handles=("AcmeSupport", "*atAcme")
    )
    return RedditSource(config, brand, ENV if environ is None else environ)


def run(action: Callable[[HttpFetcher], Awaitable[T]]) -> T:
    async def go() -> T:
        async with HttpFetcher(HttpConfig()) as http:
            return await action(http)

    return asyncio.run(go())


def state(cursor: str | None = None) -> SourceState:
    return SourceState("reddit", "reddit", cursor=cursor)


def by_id(replies: list[Reply]) -> dict[str, Reply]:
    return {reply.native_id: reply for reply in replies}


# --- search -----------------------------------------------------------------------------------


def test_first_poll_reads_only_the_newest_page(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    reddit.api("/search", fixture("search_page1.json"))
    source = make_source(http_server)

    result = run(lambda http: source.search(http, state()))

    kettle, skates, norway = result.mentions
    assert (result.items_seen, result.http_status, result.retry_after_s) == (3, 200, None)
    assert kettle.native_id == "t3_1gq8k2a"
    assert kettle.thread_ref == "t3_1gq8k2a"
    assert (kettle.source, kettle.kind) == ("reddit", "reddit")
    assert kettle.url == (
        "https://www.reddit.com/r/Kettles/comments/1gq8k2a/acme_kettle_lid_cracked_support_closed_my/"
    )
    assert kettle.title == "Acme kettle lid cracked & support closed my ticket in 10 minutes"
    assert kettle.author == "kettle_woes"
    assert kettle.reach == 57  # the post's score
    assert kettle.created_at == utc(8, 40)
    assert norway.created_at == utc(7, 55, 30)
    # A link post whose author deleted their account.
    assert skates.author is None
    assert skates.text == ""
    assert skates.url.startswith("https://www.reddit.com/r/rollerblading/comments/1gq7z9c/")
    # The cursor is the newest created_utc, in whole seconds.
    assert result.cursor == str(int(utc(8, 40).timestamp()))
    (search,) = reddit.api_requests()  # `after` was offered, but a first poll reads one page
    assert search.query == {
        "q": ['Acme OR "Acme Hub"'],
        "sort": ["new"],
        "type": ["link"],
        "limit": ["100"],
        "raw_json": ["1"],
    }
    assert search.headers["authorization"] == f"bearer {TOKEN}"
    assert search.headers["user-agent"].startswith("python:mentionwatch:v")


def test_post_html_is_decoded_to_plain_text(http_server: LocalServer, reddit: FakeReddit) -> None:
    reddit.api("/search", fixture("search_page1.json"))

    kettle = run(lambda http: make_source(http_server).search(http, state())).mentions[0]

    assert kettle.text == (
        "Ordered the Acme 1.7L kettle, lid arrived cracked. Opened a ticket with photos & it was"
        ' closed as "resolved" with a FAQ link. Isn\'t that great?\n\n'
        "Support page says 2–3 days > still waiting."
    )


def test_html_escaped_bodies_without_raw_json_are_decoded_too(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    # Without raw_json=1 Reddit escapes *_html once more: "&lt;div class=\"md\"&gt;...".
    page = json.loads(fixture("search_page1.json"))
    post = page["data"]["children"][0]["data"]
    post["selftext_html"] = html.escape(post["selftext_html"], quote=False)
    assert post["selftext_html"].startswith("&lt;!-- SC_OFF --&gt;&lt;div")
    reddit.api("/search", json.dumps(page).encode())

    kettle = run(lambda http: make_source(http_server).search(http, state())).mentions[0]

    assert kettle.text.startswith("Ordered the Acme 1.7L kettle")
    assert 'closed as "resolved"' in kettle.text and "Isn't" in kettle.text
    assert "<" not in kettle.text and "&amp;" not in kettle.text and "&#39;" not in kettle.text


def test_later_polls_page_with_after_until_they_reach_the_cursor(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    def pages(seen: SeenRequest) -> bytes:
        after = seen.query.get("after", [None])[0]
        return fixture({None: "search_page1.json", "t3_1gq6w1b": "search_page2.json"}[after])

    reddit.api("/search", pages)
    cursor = str(int(utc(2, 0).timestamp()))  # between the two posts on page two

    result = run(lambda http: make_source(http_server).search(http, state(cursor)))

    assert [m.native_id for m in result.mentions] == [
        "t3_1gq8k2a",
        "t3_1gq7z9c",
        "t3_1gq6w1b",
        "t3_1gq5r4d",  # page two, newer than the cursor
    ]  # t3_1gq1a0e (01:05) is older than the cursor: paging stops there
    assert result.cursor == str(int(utc(8, 40).timestamp()))
    first, second = reddit.api_requests()
    assert "after" not in first.query
    assert second.query["after"] == ["t3_1gq6w1b"]


def test_paging_stops_at_max_pages(http_server: LocalServer, reddit: FakeReddit) -> None:
    reddit.api("/search", fixture("search_page1.json"))  # always offers another page
    source = make_source(http_server, max_pages=2)

    result = run(lambda http: source.search(http, state("1000")))

    assert len(reddit.api_requests()) == 2
    assert result.cursor == str(int(utc(8, 40).timestamp()))


def test_nothing_new_keeps_the_cursor(http_server: LocalServer, reddit: FakeReddit) -> None:
    reddit.api("/search", fixture("search_page1.json"))
    cursor = str(int(utc(9, 0).timestamp()))

    result = run(lambda http: make_source(http_server).search(http, state(cursor)))

    assert result.mentions == []
    assert result.cursor == cursor
    assert len(reddit.api_requests()) == 1


def test_subreddit_search_and_query_override(http_server: LocalServer, reddit: FakeReddit) -> None:
    reddit.api("/r/Kettles/search", fixture("search_page1.json"))
    source = make_source(http_server, subreddit="r/Kettles", query="acme self:yes", page_size=25)

    run(lambda http: source.search(http, state()))

    (search,) = reddit.api_requests()
    assert search.path.startswith("/oauth/r/Kettles/search?")
    assert search.query["restrict_sr"] == ["1"]
    assert search.query["q"] == ["acme self:yes"]
    assert search.query["limit"] == ["25"]


def test_an_exhausted_rate_limit_asks_the_scan_to_wait(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    limits = {"X-Ratelimit-Used": "600", "X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "212"}
    reddit.api("/search", fixture("search_page1.json"), headers=limits)
    cursor = "1000"

    result = run(lambda http: make_source(http_server).search(http, state(cursor)))

    assert result.retry_after_s == 212.0
    assert len(reddit.api_requests()) == 1  # no second page with the window used up
    assert len(result.mentions) == 3
    # The cursor was not reached: keep it, so the next poll reads the gap as well.
    assert result.cursor == cursor


def test_remaining_requests_above_one_are_no_reason_to_wait(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    limits = {"X-Ratelimit-Remaining": "1.0", "X-Ratelimit-Reset": "212"}
    reddit.api("/search", fixture("search_page1.json"), headers=limits)

    result = run(lambda http: make_source(http_server).search(http, state()))

    assert result.retry_after_s is None


# --- threads ----------------------------------------------------------------------------------


def serve_threads(reddit: FakeReddit) -> None:
    reddit.api("/comments/1gq8k2a", fixture("comments_kettle.json"))
    reddit.api("/api/morechildren", fixture("morechildren_kettle.json"))
    reddit.api("/comments/1gq6w1b", fixture("comments_norway.json"))
    reddit.api("/comments/1gq6w1b/_/lq2i6tt", fixture("comments_norway_continued.json"))
    reddit.api("/comments/1gq5r4d", fixture("comments_refund.json"))
    reddit.api("/comments/1gq7z9c", fixture("comments_skates.json"))


def test_a_direct_brand_reply(http_server: LocalServer, reddit: FakeReddit) -> None:
    serve_threads(reddit)

    (reply,) = run(lambda http: make_source(http_server).thread_replies(http, "t3_1gq5r4d"))

    assert reply == Reply(
        native_id="t1_lq2a1bc",
        author="AcmeSupport",
        created_at=utc(6, 45),
        url="https://www.reddit.com/r/BuyItForLife/comments/1gq5r4d/acme_refund_took_three_weeks/lq2a1bc/",
        text="Sorry it took that long. Refunds should take 5 working days; we're fixing it.",
        depth=1,
    )
    (request,) = reddit.api_requests()
    assert request.path.startswith("/oauth/comments/1gq5r4d?")
    assert request.query["raw_json"] == ["1"]


def test_a_brand_reply_three_levels_deep_and_the_more_stub(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    serve_threads(reddit)

    replies = run(lambda http: make_source(http_server).thread_replies(http, "t3_1gq8k2a"))

    found = by_id(replies)
    assert [r.native_id for r in replies] == [
        "t1_lq2l0ab",
        "t1_lq2n4cd",
        "t1_lq2p8rt",
        "t1_lq2m1xy",
        "t1_lq2q9zz",  # behind the "load more comments" stub
        "t1_lq2r0aa",
        "t1_lq2r7bb",
    ]
    sam = found["t1_lq2p8rt"]
    assert (sam.author, sam.depth, sam.created_at) == ("SamAtAcme", 3, utc(9, 31))
    assert sam.url == (
        "https://www.reddit.com/r/Kettles/comments/1gq8k2a/"
        "acme_kettle_lid_cracked_support_closed_my/lq2p8rt/"
    )
    assert sam.text.startswith("Hi, Sam from Acme here & I'm sorry: I've reopened the ticket")
    assert found["t1_lq2m1xy"].author is None  # "[deleted]"
    assert found["t1_lq2m1xy"].depth == 1
    assert [found[i].depth for i in ("t1_lq2q9zz", "t1_lq2r0aa", "t1_lq2r7bb")] == [1, 1, 2]
    assert found["t1_lq2q9zz"].text == "Mine's been 'in progress' for 12 days."
    (more,) = [r for r in reddit.api_requests() if "morechildren" in r.path]
    assert more.query["link_id"] == ["t3_1gq8k2a"]
    assert more.query["children"] == ["lq2q9zz,lq2r0aa"]
    assert more.query["api_type"] == ["json"]


def test_only_others_replied_and_a_continued_thread_keeps_its_depth(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    serve_threads(reddit)

    replies = run(lambda http: make_source(http_server).thread_replies(http, "1gq6w1b"))

    assert [(r.author, r.depth) for r in replies] == [
        ("bergen_bytes", 1),
        ("fjord_fan", 2),
        # From comments/1gq6w1b/_/lq2i6tt, where Reddit restarts `depth` at 0.
        ("oslo_orders", 3),
    ]
    assert any(
        r.path.startswith("/oauth/comments/1gq6w1b/_/lq2i6tt?") for r in reddit.api_requests()
    )


def test_more_stubs_beyond_the_budget_are_skipped(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    serve_threads(reddit)

    replies = run(lambda http: make_source(http_server, max_more=0).thread_replies(http, "1gq8k2a"))

    assert len(replies) == 4
    assert not [r for r in reddit.api_requests() if "morechildren" in r.path]


def test_replies_for_several_threads(http_server: LocalServer, reddit: FakeReddit) -> None:
    serve_threads(reddit)
    refs = ["t3_1gq5r4d", "t3_1gq7z9c", "t3_gone99"]

    found = run(lambda http: make_source(http_server).replies(http, refs))

    assert [r.author for r in found["t3_1gq5r4d"]] == ["AcmeSupport"]
    assert found["t3_1gq7z9c"] == []  # no comments yet
    assert found["t3_gone99"] == []  # 404: deleted or never existed


def test_a_thread_ref_that_is_no_post_id_never_reaches_a_url(http_server: LocalServer) -> None:
    with pytest.raises(SourceError, match="not a Reddit post id"):
        run(lambda http: make_source(http_server).thread_replies(http, "t3_../../api/v1/me"))

    assert http_server.requests == []


def test_a_broken_thread_api_raises(http_server: LocalServer, reddit: FakeReddit) -> None:
    reddit.api("/comments/1gq5r4d", b"upstream connect error", status=503)

    with pytest.raises(SourceError, match="HTTP 503"):
        run(lambda http: make_source(http_server).thread_replies(http, "t3_1gq5r4d"))


def test_a_morechildren_error_is_reported(http_server: LocalServer, reddit: FakeReddit) -> None:
    serve_threads(reddit)
    reddit.api("/api/morechildren", b'{"json": {"errors": [["TOO_MUCH", "too many", "children"]]}}')

    with pytest.raises(SourceError, match="TOO_MUCH"):
        run(lambda http: make_source(http_server).thread_replies(http, "t3_1gq8k2a"))


# --- what is not a usable answer ----------------------------------------------------------------


def test_invalid_json_is_a_source_error(http_server: LocalServer, reddit: FakeReddit) -> None:
    reddit.api("/search", b'{"kind": "Listing", "data": {"children": [')

    with pytest.raises(SourceError, match=r"invalid JSON from http://127\.0\.0\.1:"):
        run(lambda http: make_source(http_server).search(http, state()))


def test_an_html_page_where_json_was_expected(http_server: LocalServer, reddit: FakeReddit) -> None:
    http_server.routes["/oauth/search"] = Route(
        b"<!DOCTYPE html><html><body>reddit is down</body></html>",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )

    with pytest.raises(SourceError, match=r"expected JSON .* but got an HTML page"):
        run(lambda http: make_source(http_server).search(http, state()))


def test_a_listing_of_something_else_is_an_error(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    reddit.api("/search", b'{"message": "Bad Request", "error": 400}')

    with pytest.raises(SourceError, match="not a listing"):
        run(lambda http: make_source(http_server).search(http, state()))


def test_the_anonymous_block_page_says_what_to_do(http_server: LocalServer) -> None:
    http_server.routes["/search.json"] = Route(
        BLOCKED_PAGE, 403, {"Content-Type": "text/html; charset=utf-8"}
    )
    source = make_source(
        http_server, base_url=http_server.base_url, client_id_env=None, client_secret_env=None
    )

    with pytest.raises(SourceError) as caught:
        run(lambda http: source.search(http, state()))

    message = caught.value.message
    assert caught.value.http_status == 403
    assert message.startswith("Reddit refused an anonymous request (HTTP 403)")
    assert "client_id_env and client_secret_env" in message
    assert "https://www.reddit.com/prefs/apps" in message
    assert 'kind = "rss"' in message and "search.rss?q=" in message
    (request,) = http_server.requests
    assert request.path.startswith("/search.json?")  # www.reddit.com needs the .json suffix
    assert "authorization" not in request.headers


def test_an_anonymous_block_page_served_as_200_says_what_to_do(http_server: LocalServer) -> None:
    http_server.routes["/search.json"] = Route(BLOCKED_PAGE, 200, {"Content-Type": "text/html"})
    source = make_source(
        http_server, base_url=http_server.base_url, client_id_env=None, client_secret_env=None
    )

    with pytest.raises(SourceError, match=r"got an HTML page.*Reddit blocks anonymous JSON"):
        run(lambda http: source.search(http, state()))


# --- credentials ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, "$REDDIT_CLIENT_ID"),
        ({"REDDIT_CLIENT_ID": CLIENT_ID}, "$REDDIT_CLIENT_SECRET"),
    ],
)
def test_missing_credentials_name_the_variable(
    http_server: LocalServer, environ: dict[str, str], missing: str
) -> None:
    source = make_source(http_server, environ=environ)

    with pytest.raises(SourceError, match=rf"^missing credential: set \{missing} ") as caught:
        run(lambda http: source.search(http, state()))

    assert "https://www.reddit.com/prefs/apps" in caught.value.message
    assert http_server.requests == []
    assert CLIENT_ID not in caught.value.message


def test_credentials_from_files(
    http_server: LocalServer, reddit: FakeReddit, tmp_path: Path
) -> None:
    (tmp_path / "id").write_text(CLIENT_ID + "\n")
    (tmp_path / "secret").write_text(CLIENT_SECRET + "\n")
    reddit.api("/search", fixture("search_page1.json"))
    source = make_source(
        http_server,
        environ={},
        client_id_env=None,
        client_secret_env=None,
        client_id_file=str(tmp_path / "id"),
        client_secret_file=str(tmp_path / "secret"),
    )

    assert len(run(lambda http: source.search(http, state())).mentions) == 3


def test_credentials_appear_only_in_the_authorization_headers(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    reddit.api("/search", fixture("search_page1.json"))
    serve_threads(reddit)
    source = make_source(http_server)

    async def everything(http: HttpFetcher) -> None:
        await source.search(http, state())
        await source.replies(http, ["t3_1gq8k2a", "t3_1gq6w1b"])

    run(everything)

    assert len(http_server.requests) == 6
    assert [r.path for r in http_server.requests].count(TOKEN_PATH) == 1
    for request in http_server.requests:
        others = {k: v for k, v in request.headers.items() if k != "authorization"}
        for secret in (CLIENT_ID, CLIENT_SECRET, TOKEN):
            assert secret not in request.path
            assert secret.encode() not in request.body
            assert secret not in json.dumps(others)
    for secret in (CLIENT_ID, CLIENT_SECRET, TOKEN):
        assert secret not in repr(source) and secret not in repr(source.settings)


def test_rejected_app_credentials(http_server: LocalServer, reddit: FakeReddit) -> None:
    source = make_source(http_server, environ={**ENV, "REDDIT_CLIENT_SECRET": "wrong-secret-42"})

    with pytest.raises(SourceError) as caught:
        run(lambda http: source.search(http, state()))

    message = caught.value.message
    assert caught.value.http_status == 401
    assert message.startswith("Reddit rejected the app credentials (HTTP 401)")
    assert "$REDDIT_CLIENT_ID and $REDDIT_CLIENT_SECRET" in message
    assert "wrong-secret-42" not in message and CLIENT_ID not in message


def test_a_token_endpoint_that_issues_no_token(http_server: LocalServer) -> None:
    http_server.routes[TOKEN_PATH] = Route(b'{"error": "unsupported_grant_type"}', headers=JSON)

    with pytest.raises(SourceError, match=r"issued no access token \(unsupported_grant_type\)"):
        run(lambda http: make_source(http_server).search(http, state()))


def test_an_expired_token_is_fetched_again_once(
    http_server: LocalServer, reddit: FakeReddit
) -> None:
    reddit.api("/comments/1gq5r4d", fixture("comments_refund.json"))
    source = make_source(http_server)
    source._access_token = "expired-token"  # as if fetched an hour ago

    replies = run(lambda http: source.thread_replies(http, "t3_1gq5r4d"))

    assert [r.author for r in replies] == ["AcmeSupport"]
    assert [r.path.split("?")[0] for r in http_server.requests] == [
        "/oauth/comments/1gq5r4d",
        TOKEN_PATH,
        "/oauth/comments/1gq5r4d",
    ]


# --- `mentionwatch sources test` --------------------------------------------------------------


def test_check_works(http_server: LocalServer, reddit: FakeReddit) -> None:
    limits = {"X-Ratelimit-Remaining": "598.0", "X-Ratelimit-Used": "2", "X-Ratelimit-Reset": "340"}
    reddit.api("/search", fixture("search_page1.json"), headers=limits)

    line = run(lambda http: make_source(http_server).check(http))

    assert line == (
        "works: 3 post(s) in the latest Reddit results for 'Acme OR \"Acme Hub\"'"
        " (OAuth app-only, 598 requests left in this rate-limit window)"
    )


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (
            401,
            {},
            r"^Reddit rejected the access token \(HTTP 401\): check that the app at https://www\.reddit\.com/prefs/apps",
        ),
        (403, {}, r"Reddit refused access \(HTTP 403\)\. The subreddit may be private.*user_agent"),
        (
            429,
            {"Retry-After": "37"},
            r"^Reddit's rate limit is used up \(HTTP 429\): try again in 37s$",
        ),
        (429, {}, r"try again when the 10-minute window resets$"),
    ],
)
def test_check_explains_http_errors(
    http_server: LocalServer,
    reddit: FakeReddit,
    status: int,
    headers: dict[str, str],
    expected: str,
) -> None:
    reddit.api(
        "/search", b'{"message": "Error", "error": %d}' % status, status=status, headers=headers
    )

    with pytest.raises(SourceError, match=expected) as caught:
        run(lambda http: make_source(http_server).check(http))

    assert caught.value.http_status == status
    assert TOKEN not in caught.value.message


# --- config -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('base_url = "ftp://reddit.example"', r"sources\[0\]\.base_url: expected an http"),
        ('subreddit = "no spaces please"', r"sources\[0\]\.subreddit: expected a subreddit name"),
        (
            'client_id_env = "REDDIT_CLIENT_ID"',
            r"sources\[0\]\.client_secret_env: expected set too",
        ),
        ("page_size = 500", r"sources\[0\]\.page_size: expected a number of posts from 1 to 100"),
        ("max_pages = 0", r"sources\[0\]\.max_pages: expected at least 1"),
    ],
)
def test_settings_are_validated(tmp_path: Path, table: str, expected: str) -> None:
    path = write_config(tmp_path, f'[[sources]]\nname = "r"\nkind = "reddit"\n{table}\n')

    with pytest.raises(ConfigError, match=expected):
        load_config(path)


def test_defaults_point_at_reddit(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        '[[sources]]\nname = "r"\nkind = "reddit"\nsubreddit = "r/broadband+HomeNetworking"\n',
    )

    settings = load_config(path).sources[0].settings

    assert settings.base_url == "https://oauth.reddit.com"
    assert settings.auth_url == "https://www.reddit.com/api/v1/access_token"
    assert settings.subreddit_name == "broadband+HomeNetworking"
    assert not settings.authenticated


# --- a whole scan ----------------------------------------------------------------------------


def reddit_table(server: LocalServer) -> str:
    return (
        '[[sources]]\nname = "reddit"\nkind = "reddit"\n'
        f'base_url = "{server.url("/oauth")}"\n'
        f'auth_url = "{server.url(TOKEN_PATH)}"\n'
        'client_id_env = "REDDIT_CLIENT_ID"\nclient_secret_env = "REDDIT_CLIENT_SECRET"\n'
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data" / "mentionwatch.db") as opened:
        yield opened


def test_scan_stores_mentions_and_finds_the_brands_answer(
    tmp_path: Path, http_server: LocalServer, reddit: FakeReddit, store: Store
) -> None:
    reddit.api("/search", fixture("search_page1.json"))
    serve_threads(reddit)
    config = load_config(write_config(tmp_path, reddit_table(http_server)))

    report = run_scan(config, store, force=True, environ=ENV, clock=lambda: T0)

    (polled,) = report.sources
    assert polled.error is None
    assert (polled.items_seen, polled.relevant, polled.new) == (3, 3, 3)
    mentions = {m.native_id: m for m in (store.mention(i) for i in (1, 2, 3)) if m}
    kettle, skates, norway = (mentions[f"t3_{i}"] for i in ("1gq8k2a", "1gq7z9c", "1gq6w1b"))
    assert (kettle.reach, skates.reach, norway.reach) == (57, 12, 3)
    assert kettle.thread_ref == "t3_1gq8k2a"
    assert skates.author is None
    assert store.source_state("reddit", "reddit").cursor == str(int(utc(8, 40).timestamp()))
    # SamAtAcme ("*atAcme") answered three levels deep.
    assert kettle.status is MentionStatus.ANSWERED
    assert kettle.answered_by == "SamAtAcme"
    assert kettle.answered_at == utc(9, 31)
    assert kettle.answered_url == (
        "https://www.reddit.com/r/Kettles/comments/1gq8k2a/"
        "acme_kettle_lid_cracked_support_closed_my/lq2p8rt/"
    )
    # Only other people replied: still waiting for the brand.
    assert norway.status is MentionStatus.OPEN
    assert skates.status is MentionStatus.OPEN
    assert {m.native_id for m in store.open_mentions()} == {"t3_1gq7z9c", "t3_1gq6w1b"}


# --- the demo's Reddit ------------------------------------------------------------------------


def demo_posts(now: datetime) -> list[dict[str, Any]]:
    posts: list[dict[str, Any]] = []
    for name in ("posts.json", "posts_reddit.json"):
        data = json.loads(files("mentionwatch.demo").joinpath(name).read_text(encoding="utf-8"))
        posts += [p for p in data["posts"] if p["platform"] == "reddit"]
    for post in posts:
        post["created_at"] = now - timedelta(minutes=post["minutes_ago"])
        for reply in post.get("replies", []):
            reply["created_at"] = post["created_at"] + timedelta(minutes=reply["minutes_after"])
    return posts


def test_the_demo_router_serves_what_the_source_reads(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    now = T0
    posts = demo_posts(now)
    answer = demo_reddit.router(posts, now)

    def delegate(seen: SeenRequest) -> Route:
        response = answer(
            DemoRequest(
                seen.method,
                urlsplit(seen.path).path.removeprefix("/demo"),
                seen.query,
                seen.headers,
                seen.body,
            )
        )
        if response is None:
            return Route(b"not found", 404)
        headers = {"Content-Type": response.content_type, **response.headers}
        return Route(response.body, response.status, headers)

    ids = [p["id"].removeprefix("t3_") for p in posts]
    for path in (
        TOKEN_PATH,
        "/oauth/search",
        "/oauth/api/morechildren",
        *(f"/oauth/comments/{i}" for i in ids),
    ):
        http_server.routes["/demo" + path] = delegate
    table = demo_reddit.source_table(http_server.url("/demo"))
    brand = (
        '[brand]\nname = "Brightloop"\nterms = ["Brightloop", "Brightloop Hub"]\n'
        'handles = ["BrightloopHelp", "Brightloop", "*atBrightloop"]\n'
    )
    sources = "[[sources]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items())
    config = load_config(write_config(tmp_path, sources, brand_toml=brand))

    report = run_scan(config, store, force=True, environ=dict(DEMO_ENVIRON), clock=lambda: now)

    assert report.sources[0].error is None
    stored = {
        m.native_id: m
        for m in (store.mention(i) for i in range(1, store.count_mentions() + 1))
        if m
    }
    assert len(stored) == len(posts)
    double = stored["t3_1c9a0fm"]  # answered directly by BrightloopHelp in posts.json
    assert (double.status, double.answered_by) == (MentionStatus.ANSWERED, "BrightloopHelp")
    assert double.reach == 64
    hub = stored["t3_1cc0h7q"]  # answered three levels deep
    assert (hub.status, hub.answered_by) == (MentionStatus.ANSWERED, "TomAtBrightloop")
    assert hub.answered_url and hub.answered_url.startswith(
        "https://www.reddit.com/r/HomeNetworking/comments/1cc0h7q/"
    )
    bill = stored["t3_1cbz2mm"]  # the brand's answer is the 4th top-level reply: a "more" stub
    assert (bill.status, bill.answered_by) == (MentionStatus.ANSWERED, "BrightloopHelp")
    assert stored["t3_1ca7w3e"].status is MentionStatus.OPEN  # only other people replied
    assert any("morechildren" in r.path for r in http_server.requests)


def test_the_demo_router_rejects_wrong_credentials() -> None:
    answer = demo_reddit.router(demo_posts(T0), T0)

    token = answer(
        DemoRequest(
            "POST",
            TOKEN_PATH,
            {},
            {"authorization": "Basic d3Jvbmc6d3Jvbmc="},
            b"grant_type=client_credentials",
        )
    )
    search = answer(DemoRequest("GET", "/oauth/search", {"q": ["Brightloop"]}, {}))
    unknown = answer(DemoRequest("GET", "/oauth/nowhere", {}, {"authorization": "bearer x"}))

    assert token is not None and token.status == 401
    assert search is not None and search.status == 401
    assert unknown is not None and unknown.status == 401
