"""The Bluesky source against a real local XRPC server answering in Bluesky's own shapes."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, LocalServer, Route, SeenRequest, write_config
from mentionwatch.classify.handles import is_brand_handle
from mentionwatch.config import BrandConfig, HttpConfig, SourceConfig, load_config
from mentionwatch.demo.platforms import DEMO_ENVIRON, DemoRequest, DemoResponse
from mentionwatch.demo.platforms import bluesky as demo_bsky
from mentionwatch.errors import ConfigError, SourceError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import Mention, MentionStatus, Reply, SearchResult, SourceState
from mentionwatch.scan import run_scan
from mentionwatch.sources import source_class
from mentionwatch.sources.bluesky import BlueskySettings, BlueskySource, forget_sessions
from mentionwatch.store import Store

BSKY = FIXTURES / "bluesky"
HANDLE = "acme-monitor.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"  # an app password's shape
ENV = {"TEST_BSKY_HANDLE": HANDLE, "TEST_BSKY_APP_PASSWORD": PASSWORD}
SESSION = json.loads((BSKY / "session.json").read_text(encoding="utf-8"))
TOKEN = SESSION["accessJwt"]
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)

LENA = "at://did:plc:k3vq7nhzd2ylrx4c6u5gjwoa/app.bsky.feed.post/3mbvd3qkzcs2x"
JESS = "at://did:plc:b7m2xqwe5tkf3yh6n4ru7zpd/app.bsky.feed.post/3mbvcx7hnmk2d"
GONE = "at://did:plc:r4o2hyslnkxw7qz5a3cjtv6e/app.bsky.feed.post/3mbvcsw2fzc2o"
PAT = "at://did:plc:w6dtq5vmh3lx2pe7ky4ogznr/app.bsky.feed.post/3mbvbonrbjs2k"
OMAR = "at://did:plc:f2nk6ybq4wzc7xr3hvu5ldmt/app.bsky.feed.post/3mbvb5dgwdk2l"
THREADS = {LENA: "thread-answered.json", GONE: "thread-nested.json", PAT: "thread-others.json"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def make_jwt(exp: float | None, marker: str = "x") -> str:
    def part(data: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims: dict[str, Any] = {"scope": "com.atproto.appPass", "sub": "did:plc:test", "jti": marker}
    if exp is not None:
        claims["exp"] = int(exp)
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2lnbmF0dXJl{marker}"


def xrpc_error(status: int, name: str, message: str, **headers: str) -> Route:
    body = json.dumps({"error": name, "message": message}).encode()
    return Route(status=status, body=body, headers={"Content-Type": "application/json", **headers})


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # httpx honours proxy variables; a developer's proxy must not sit between us and 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    forget_sessions()  # a session kept from another test would skip the login under test
    yield
    forget_sessions()


class FakeBluesky:
    """createSession, searchPosts and getPostThread on the local server, from the fixtures.

    `tokens` are handed out by successive logins (the last one repeats); `rejected` tokens are
    answered with `rejection` (the PDS's 400 ExpiredToken unless a test says otherwise).
    """

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.tokens = [TOKEN]
        self.logins = 0
        self.rejected: set[str] = set()
        self.rejection = xrpc_error(400, "ExpiredToken", "Token has expired")
        self.pages: dict[str | None, str | bytes] = {
            None: "search-page-1.json",
            "3": "search-page-2.json",
        }
        self.search_override: Route | None = None
        self.thread_override: Route | None = None
        self.threads = dict(THREADS)
        server.routes["/xrpc/com.atproto.server.createSession"] = self.create_session
        server.routes["/xrpc/app.bsky.feed.searchPosts"] = self.search
        server.routes["/xrpc/app.bsky.feed.getPostThread"] = self.thread

    @property
    def base_url(self) -> str:
        return self.server.url("/xrpc")

    def create_session(self, seen: SeenRequest) -> Route:
        if seen.method != "POST":
            return xrpc_error(405, "InvalidRequest", "Method Not Allowed")
        body = json.loads(seen.body)
        if body != {"identifier": HANDLE, "password": PASSWORD}:
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        token = self.tokens[min(self.logins, len(self.tokens) - 1)]
        self.logins += 1
        return json_route({**SESSION, "accessJwt": token})

    def rejects(self, seen: SeenRequest) -> Route | None:
        auth = seen.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return xrpc_error(401, "AuthMissing", "Authentication Required")
        token = auth.removeprefix("Bearer ")
        if token not in self.tokens:
            return xrpc_error(400, "InvalidToken", "Token could not be verified")
        return self.rejection if token in self.rejected else None

    def search(self, seen: SeenRequest) -> Route:
        refused = self.rejects(seen)
        if refused is not None:
            return refused
        if self.search_override is not None:
            return self.search_override
        page = self.pages[seen.query.get("cursor", [None])[0]]
        return json_route(page if isinstance(page, bytes) else (BSKY / page).read_bytes())

    def thread(self, seen: SeenRequest) -> Route:
        refused = self.rejects(seen)
        if refused is not None:
            return refused
        if self.thread_override is not None:
            return self.thread_override
        uri = seen.query["uri"][0]
        if uri not in self.threads:
            return xrpc_error(400, "NotFound", f"Post not found: {uri}")
        return json_route((BSKY / self.threads[uri]).read_bytes())

    def calls(self, method: str) -> list[SeenRequest]:
        return [r for r in self.server.requests if r.path.split("?")[0] == f"/xrpc/{method}"]


def json_route(data: Any, **headers: str) -> Route:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return Route(body=body, headers={"Content-Type": "application/json", **headers})


@pytest.fixture
def bsky(http_server: LocalServer) -> FakeBluesky:
    return FakeBluesky(http_server)


ACME = BrandConfig(name="Acme", terms=("Acme",), handles=("AcmeSupport", "*atAcme"))


def make_source(
    base_url: str,
    environ: Mapping[str, str] = ENV,
    brand: BrandConfig = ACME,
    **settings: Any,
) -> BlueskySource:
    values: dict[str, Any] = {
        "base_url": base_url,
        "identifier_env": "TEST_BSKY_HANDLE",
        "app_password_env": "TEST_BSKY_APP_PASSWORD",
        **settings,
    }
    config = SourceConfig("bsky", "bluesky", timedelta(minutes=30), True, BlueskySettings(**values))
    return BlueskySource(config, brand, environ)


class _SharedFetcher:
    """One event loop and one HttpFetcher for the whole file: building an HttpFetcher (its TLS
    context) costs more than most of these tests, and the servers change port per test."""

    loop: asyncio.AbstractEventLoop | None = None
    http: HttpFetcher | None = None

    def run(self, call: Callable[[HttpFetcher], Any]) -> Any:
        if self.loop is None:
            self.loop = asyncio.new_event_loop()
            self.http = self.loop.run_until_complete(self._open())
        assert self.http is not None
        return self.loop.run_until_complete(call(self.http))

    @staticmethod
    async def _open() -> HttpFetcher:
        return HttpFetcher(HttpConfig())

    def close(self) -> None:
        if self.loop is not None and self.http is not None:
            self.loop.run_until_complete(self.http.__aexit__(None, None, None))
            self.loop.close()
        self.loop = self.http = None


_FETCHER = _SharedFetcher()


@pytest.fixture(scope="module", autouse=True)
def _shared_fetcher() -> Iterator[None]:
    yield
    _FETCHER.close()


def fetch(call: Callable[[HttpFetcher], Any]) -> Any:
    return _FETCHER.run(call)


def search(source: BlueskySource, cursor: str | None = None) -> SearchResult:
    result: SearchResult = fetch(
        lambda http: source.search(http, SourceState("bsky", "bluesky", cursor))
    )
    return result


def replies(source: BlueskySource, *refs: str) -> dict[str, list[Reply]]:
    found: dict[str, list[Reply]] = fetch(lambda http: source.replies(http, list(refs)))
    return found


def by_id(mentions: list[Mention]) -> dict[str, Mention]:
    return {m.native_id: m for m in mentions}


def failure(call: Callable[[], Any]) -> SourceError:
    with pytest.raises(SourceError) as caught:
        call()
    return caught.value


# --- search -----------------------------------------------------------------------------------


def test_first_poll_logs_in_and_reads_the_newest_page(bsky: FakeBluesky) -> None:
    result = search(make_source(bsky.base_url))

    (login,) = bsky.calls("com.atproto.server.createSession")
    assert login.method == "POST"
    assert json.loads(login.body) == {"identifier": HANDLE, "password": PASSWORD}
    (page,) = bsky.calls("app.bsky.feed.searchPosts")  # the newest page only
    assert page.query == {"q": ["Acme"], "sort": ["latest"], "limit": ["50"]}
    assert page.headers["authorization"] == f"Bearer {TOKEN}"

    assert (result.http_status, result.items_seen, result.retry_after_s) == (200, 3, None)
    assert result.cursor == "2026-11-20T08:41:12.504Z"  # the newest sortAt seen
    mentions = by_id(result.mentions)
    assert list(mentions) == [LENA, JESS, GONE]
    lena = mentions[LENA]
    assert lena == Mention(
        source="bsky",
        kind="bluesky",
        native_id=LENA,
        url="https://bsky.app/profile/lena-parts.bsky.social/post/3mbvd3qkzcs2x",
        title="",
        text=(
            'Acme support closed my ticket as "resolved" without a reply. Kettle arrived with a'
            " cracked lid, 10 days ago. @acmesupport.bsky.social is anyone there?"
        ),
        created_at=utc(2026, 11, 20, 8, 41, 12, 504000),
        author="lena-parts.bsky.social",
        reach=15,  # likeCount 12 + repostCount 3: search views carry no follower counts
        thread_ref=LENA,
    )
    assert mentions[JESS].author == "rollerjess.com"  # a custom-domain handle, as shown
    assert mentions[JESS].reach == 35


def test_text_stays_exactly_as_typed(bsky: FakeBluesky) -> None:
    jess = by_id(search(make_source(bsky.base_url)).mentions)[JESS]

    # Bluesky text is plain: the JSON escapes (\u2014) are decoded, nothing else is. An
    # ampersand, "<3" and a literally typed "&amp;" survive; nothing is stripped as markup.
    assert jess.text == (
        'Acme & Co\'s new skates: 9/10 <3 \u2014 the "Q&A" on their site says 5 < 6 & AT&T'
        " works too &amp; that's literal"
    )
    assert jess.title == ""


def test_an_author_whose_handle_no_longer_verifies_has_no_author(bsky: FakeBluesky) -> None:
    gone = by_id(search(make_source(bsky.base_url)).mentions)[GONE]

    assert gone.author is None  # "handle.invalid" names nobody
    assert gone.url == (
        "https://bsky.app/profile/did:plc:r4o2hyslnkxw7qz5a3cjtv6e/post/3mbvcsw2fzc2o"
    )
    assert gone.reach == 2


def test_a_later_poll_pages_back_with_the_cursor_since_the_last_one(bsky: FakeBluesky) -> None:
    result = search(make_source(bsky.base_url), "2026-11-20T07:50:00.000Z")

    first, second = bsky.calls("app.bsky.feed.searchPosts")
    # `since` is the cursor less the overlap (10 minutes), for posts indexed late.
    assert first.query == {
        "q": ["Acme"],
        "sort": ["latest"],
        "limit": ["50"],
        "since": ["2026-11-20T07:40:00.000Z"],
    }
    assert second.query == {**first.query, "cursor": ["3"]}
    assert list(by_id(result.mentions)) == [LENA, JESS, GONE, PAT, OMAR]
    assert result.items_seen == 5
    assert result.cursor == "2026-11-20T08:41:12.504Z"
    omar = by_id(result.mentions)[OMAR]
    # Its client's clock ran 3 minutes fast: sortAt is the earlier indexedAt.
    assert omar.created_at == utc(2026, 11, 20, 7, 46, 59, 375000)
    assert len(bsky.calls("com.atproto.server.createSession")) == 1  # one login for both pages


def test_posts_older_than_the_cursor_end_the_poll(bsky: FakeBluesky) -> None:
    # A server that ignores `since`: the dates themselves stop the paging.
    result = search(make_source(bsky.base_url), "2026-11-20T08:35:00.000Z")

    assert len(bsky.calls("app.bsky.feed.searchPosts")) == 1
    assert list(by_id(result.mentions)) == [LENA, JESS]  # 08:22 is before 08:25
    assert result.cursor == "2026-11-20T08:41:12.504Z"


def test_max_pages_bounds_one_poll(bsky: FakeBluesky) -> None:
    bsky.pages = {None: "search-page-1.json", "3": "search-page-1.json"}  # a cursor each time

    search(make_source(bsky.base_url, max_pages=2), "2026-11-20T07:00:00.000Z")

    assert len(bsky.calls("app.bsky.feed.searchPosts")) == 2


def test_nothing_new_keeps_the_cursor_and_a_foreign_cursor_starts_over(bsky: FakeBluesky) -> None:
    bsky.search_override = json_route({"posts": []})
    source = make_source(bsky.base_url)

    assert search(source, "2026-11-20T09:00:00.000Z").cursor == "2026-11-20T09:00:00.000Z"
    assert search(source, "not-a-time").cursor == "not-a-time"
    assert "since" not in bsky.calls("app.bsky.feed.searchPosts")[-1].query


def test_one_search_per_distinct_brand_term(bsky: FakeBluesky) -> None:
    brand = BrandConfig("Acme", ("Acme", "Acme Hub", "road  runner", '"Road Runner"'))
    source = make_source(bsky.base_url, brand=brand)
    assert source.search_queries() == ["Acme", '"road runner"']
    assert make_source(bsky.base_url, query="acme lang:en").search_queries() == ["acme lang:en"]

    result = search(source)

    assert [c.query["q"] for c in bsky.calls("app.bsky.feed.searchPosts")] == [
        ["Acme"],
        ['"road runner"'],
    ]
    assert result.items_seen == 3  # the same posts twice count once


def test_an_api_mounted_under_a_path_prefix(http_server: LocalServer) -> None:
    http_server.routes["/bsky/xrpc/com.atproto.server.createSession"] = json_route(SESSION)
    http_server.routes["/bsky/xrpc/app.bsky.feed.searchPosts"] = json_route({"posts": []})

    search(make_source(http_server.url("/bsky/xrpc/")))

    assert [r.path.split("?")[0] for r in http_server.requests] == [
        "/bsky/xrpc/com.atproto.server.createSession",
        "/bsky/xrpc/app.bsky.feed.searchPosts",
    ]


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (Route(body=b'{"posts": [', headers={"Content-Type": "application/json"}), "invalid JSON"),
        (
            Route(
                body=b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
                headers={"Content-Type": "text/html"},
            ),
            "got an HTML page",
        ),
        (json_route({"feed": []}), "no `posts` list"),
    ],
)
def test_what_is_not_a_search_answer_is_a_clear_error(
    bsky: FakeBluesky, route: Route, expected: str
) -> None:
    bsky.search_override = route

    error = failure(lambda: search(make_source(bsky.base_url)))

    assert expected in error.message
    assert "app.bsky.feed.searchPosts" in error.message


def test_an_exhausted_rate_limit_asks_the_scan_to_wait(bsky: FakeBluesky) -> None:
    reset = int(time.time()) + 120
    page = (BSKY / "search-page-1.json").read_bytes()
    bsky.search_override = json_route(
        page, **{"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}
    )

    result = search(make_source(bsky.base_url))

    assert result.retry_after_s is not None and 100 < result.retry_after_s <= 120
    assert result.items_seen == 3


def test_rate_limited_part_way_keeps_the_first_page_and_the_old_cursor(bsky: FakeBluesky) -> None:
    limited = xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", **{"Retry-After": "60"})

    def pages(seen: SeenRequest) -> Route:
        refused = bsky.rejects(seen)
        if seen.query.get("cursor"):
            return limited
        return refused or json_route((BSKY / "search-page-1.json").read_bytes())

    bsky.server.routes["/xrpc/app.bsky.feed.searchPosts"] = pages

    result = search(make_source(bsky.base_url), "2026-11-20T07:50:00.000Z")

    assert result.items_seen == 3
    assert result.cursor == "2026-11-20T07:50:00.000Z"  # the next poll reads it all again
    assert result.retry_after_s == 60


# --- threads ----------------------------------------------------------------------------------


def test_a_thread_with_a_brand_reply(bsky: FakeBluesky) -> None:
    found = replies(make_source(bsky.base_url), LENA)

    (call,) = bsky.calls("app.bsky.feed.getPostThread")
    assert call.query == {"uri": [LENA], "depth": ["100"], "parentHeight": ["0"]}
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    # The deleted (notFoundPost) and blocked (blockedPost) replies are skipped, not fatal.
    support, thanks = found[LENA]
    assert support == Reply(
        native_id="at://did:plc:a4cmesuppqrtz7q2w5k3x6yb/app.bsky.feed.post/3mbvdfpj4as2h",
        author="acmesupport.bsky.social",
        created_at=utc(2026, 11, 20, 8, 55, 40, 120000),
        url="https://bsky.app/profile/acmesupport.bsky.social/post/3mbvdfpj4as2h",
        text=(
            "Hi Lena, sorry about this. That ticket should never have been closed. We've"
            " reopened it and a replacement lid ships today; DM us your order number?"
        ),
        depth=1,
    )
    assert (thanks.author, thanks.depth, thanks.text) == (
        "lena-parts.bsky.social",
        2,
        "Thank you, DM sent!",
    )


def test_a_brand_reply_nested_three_levels_deep(bsky: FakeBluesky) -> None:
    found = replies(make_source(bsky.base_url), GONE)

    assert [(r.author, r.depth) for r in found[GONE]] == [
        ("samwise.bsky.social", 1),
        (None, 2),  # the poster, whose handle no longer verifies
        ("help.acme.com", 3),
    ]
    brand = found[GONE][2]
    assert brand.url == "https://bsky.app/profile/help.acme.com/post/3mbvd2u6ezk2b"
    assert brand.created_at == utc(2026, 11, 20, 8, 52, 17, 880000)
    assert brand.text.startswith("Sorry to both of you.")


def test_a_thread_where_only_others_replied(bsky: FakeBluesky) -> None:
    found = replies(make_source(bsky.base_url), PAT)

    assert [(r.author, r.depth) for r in found[PAT]] == [("samwise.bsky.social", 1), (None, 2)]
    patterns = (*ACME.handles_for("bluesky"), "acmesupport.bsky.social", "*.acme.com")
    assert not any(is_brand_handle(r.author, patterns) for r in found[PAT])


def test_many_threads_share_one_login_and_a_missing_one_is_empty(bsky: FakeBluesky) -> None:
    missing = "at://did:plc:f2nk6ybq4wzc7xr3hvu5ldmt/app.bsky.feed.post/3mbvdeleted2"

    found = replies(make_source(bsky.base_url), LENA, GONE, PAT, missing, "not-a-uri")

    assert [len(found[ref]) for ref in (LENA, GONE, PAT, missing, "not-a-uri")] == [2, 3, 2, 0, 0]
    assert len(bsky.calls("app.bsky.feed.getPostThread")) == 4  # "not-a-uri" is never sent
    assert bsky.logins == 1


def test_threads_from_the_public_appview_need_no_login(
    bsky: FakeBluesky, http_server: LocalServer
) -> None:
    def public(seen: SeenRequest) -> Route:
        uri = seen.query["uri"][0]
        if uri not in THREADS:
            return xrpc_error(400, "NotFound", f"Post not found: {uri}")
        return json_route((BSKY / THREADS[uri]).read_bytes())

    http_server.routes["/public/xrpc/app.bsky.feed.getPostThread"] = public
    source = make_source(bsky.base_url, thread_base_url=http_server.url("/public/xrpc"))

    found = replies(source, LENA, GONE, OMAR)

    assert [len(found[ref]) for ref in (LENA, GONE, OMAR)] == [2, 3, 0]
    assert bsky.logins == 0
    assert all("authorization" not in r.headers for r in http_server.requests)
    assert replies(
        make_source(bsky.base_url, environ={}, thread_base_url=http_server.url("/public/xrpc")),
        LENA,
    )[LENA]  # no credentials needed either


@pytest.mark.parametrize(
    "thread",
    [
        {"$type": "app.bsky.feed.defs#notFoundPost", "uri": LENA, "notFound": True},
        {
            "$type": "app.bsky.feed.defs#blockedPost",
            "uri": LENA,
            "blocked": True,
            "author": {"did": "did:plc:k3vq7nhzd2ylrx4c6u5gjwoa", "viewer": {"blockedBy": True}},
        },
    ],
)
def test_a_deleted_or_blocked_root_has_no_replies(bsky: FakeBluesky, thread: object) -> None:
    bsky.thread_override = json_route({"thread": thread})

    assert replies(make_source(bsky.base_url), LENA) == {LENA: []}


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (Route(status=500, body=b"Internal Server Error"), "HTTP 500"),
        (xrpc_error(502, "UpstreamFailure", "Upstream Failure"), 'UpstreamFailure: "Upstream'),
        (json_route({"posts": []}), "no `thread`"),
        (Route(body=b"<html><body>maintenance</body></html>"), "got an HTML page"),
    ],
)
def test_a_broken_thread_api_fails_the_thread_check(
    bsky: FakeBluesky, route: Route, expected: str
) -> None:
    bsky.thread_override = route

    error = failure(lambda: replies(make_source(bsky.base_url), LENA, PAT))

    assert expected in error.message


# --- sessions and credentials -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "$TEST_BSKY_HANDLE"),
        ({"TEST_BSKY_HANDLE": HANDLE}, "$TEST_BSKY_APP_PASSWORD"),
        ({"TEST_BSKY_HANDLE": " ", "TEST_BSKY_APP_PASSWORD": PASSWORD}, "$TEST_BSKY_HANDLE"),
    ],
)
def test_missing_credentials_name_the_variable(
    bsky: FakeBluesky, environ: dict[str, str], named: str
) -> None:
    source = make_source(bsky.base_url, environ=environ)

    for call in (lambda: search(source), lambda: replies(source, LENA), lambda: check(source)):
        error = failure(call)
        assert error.message.startswith(f"missing credential: set {named} ")
        assert PASSWORD not in error.message
    assert (
        "bsky.app/settings/app-passwords"
        in failure(
            lambda: search(make_source(bsky.base_url, environ={"TEST_BSKY_HANDLE": HANDLE}))
        ).message
    )
    assert bsky.server.requests == []


def test_credentials_from_files(bsky: FakeBluesky, tmp_path: Path) -> None:
    (tmp_path / "handle").write_text(f"@{HANDLE}\n", encoding="utf-8")
    (tmp_path / "password").write_text(f"{PASSWORD}\n", encoding="utf-8")
    source = make_source(
        bsky.base_url,
        environ={},
        identifier_file=str(tmp_path / "handle"),
        app_password_file=str(tmp_path / "password"),
    )

    assert search(source).items_seen == 3
    assert json.loads(bsky.calls("com.atproto.server.createSession")[0].body) == {
        "identifier": HANDLE,  # the "@" of "@handle" is not part of it
        "password": PASSWORD,
    }


def test_the_app_password_goes_only_into_the_login_and_the_token_only_into_headers(
    bsky: FakeBluesky,
) -> None:
    source = make_source(bsky.base_url)
    search(source)
    replies(source, LENA, GONE)

    assert len(bsky.server.requests) == 4
    for seen in bsky.server.requests:
        logging_in = seen.path == "/xrpc/com.atproto.server.createSession"
        assert (PASSWORD.encode() in seen.body) is logging_in
        assert PASSWORD not in seen.path and TOKEN not in seen.path
        assert TOKEN.encode() not in seen.body
        assert not any(PASSWORD in value for value in seen.headers.values())
        token_headers = [name for name, value in seen.headers.items() if TOKEN in value]
        assert token_headers == ([] if logging_in else ["authorization"])
    assert PASSWORD not in repr(source) and PASSWORD not in repr(source.settings)
    assert TOKEN not in repr(source.__dict__)


def test_a_refused_login_says_what_to_do_and_never_shows_the_password(bsky: FakeBluesky) -> None:
    environ = {**ENV, "TEST_BSKY_APP_PASSWORD": "wxyz-wxyz-wxyz-wxyz"}

    error = failure(lambda: search(make_source(bsky.base_url, environ=environ)))

    assert error.http_status == 401
    assert error.message == (
        f"HTTP 401 Unauthorized from {bsky.base_url}/com.atproto.server.createSession"
        ' (AuthenticationRequired: "Invalid identifier or password"): Bluesky refused the login:'
        " check $TEST_BSKY_HANDLE (a handle such as acme.bsky.social) and"
        " $TEST_BSKY_APP_PASSWORD (an app password from https://bsky.app/settings/app-passwords;"
        " a deleted app password stops working)"
    )
    again = failure(lambda: replies(make_source(bsky.base_url, environ=environ), LENA))
    assert again.message == error.message  # the thread check explains it the same way
    assert "wxyz-wxyz-wxyz-wxyz" not in error.message and PASSWORD not in error.message
    assert bsky.calls("app.bsky.feed.searchPosts") == []


def test_a_main_password_with_email_codes_is_told_to_use_an_app_password(
    http_server: LocalServer,
) -> None:
    http_server.routes["/xrpc/com.atproto.server.createSession"] = xrpc_error(
        401, "AuthFactorTokenRequired", "A sign in code has been sent to your email address"
    )

    error = failure(lambda: search(make_source(http_server.url("/xrpc"))))

    assert "set $TEST_BSKY_APP_PASSWORD to an app password instead" in error.message


@pytest.mark.parametrize(
    "rejection",
    [
        xrpc_error(400, "ExpiredToken", "Token has expired"),  # the PDS
        xrpc_error(401, "ExpiredToken", "Token has expired"),  # the AppView
    ],
)
def test_an_expired_token_means_one_new_login(bsky: FakeBluesky, rejection: Route) -> None:
    fresh = make_jwt(time.time() + 7200, "fresh")
    bsky.tokens, bsky.rejected, bsky.rejection = [TOKEN, fresh], {TOKEN}, rejection
    source = make_source(bsky.base_url)

    assert search(source).items_seen == 3
    assert replies(source, LENA)[LENA]  # the renewed session is kept for the thread check

    assert bsky.logins == 2
    searches = bsky.calls("app.bsky.feed.searchPosts")
    assert [s.headers["authorization"] for s in searches] == [f"Bearer {TOKEN}", f"Bearer {fresh}"]
    (thread,) = bsky.calls("app.bsky.feed.getPostThread")
    assert thread.headers["authorization"] == f"Bearer {fresh}"


def test_a_token_rejected_again_after_a_new_login_fails_without_looping(
    bsky: FakeBluesky,
) -> None:
    fresh = make_jwt(time.time() + 7200, "fresh")
    bsky.tokens, bsky.rejected = [TOKEN, fresh], {TOKEN, fresh}
    source = make_source(bsky.base_url)

    error = failure(lambda: search(source))
    later = failure(lambda: replies(source, LENA, GONE, PAT))

    assert bsky.logins == 2  # one new login per source, never more
    assert error.http_status == 400
    assert '(ExpiredToken: "Token has expired")' in error.message
    assert "rejected the session token even after logging in again" in error.message
    assert "rejected the session token" in later.message
    assert fresh not in error.message and TOKEN not in error.message


def test_a_session_is_reused_until_its_token_is_about_to_expire(bsky: FakeBluesky) -> None:
    soon = make_jwt(time.time() + 60, "soon")  # expires in a minute: renew before using it
    later = make_jwt(time.time() + 7200, "later")
    bsky.tokens = [later]
    search(make_source(bsky.base_url))
    replies(make_source(bsky.base_url), LENA)  # another Source object, as in a scan
    assert bsky.logins == 1

    forget_sessions()
    bsky.tokens, bsky.logins = [soon, later], 0
    source = make_source(bsky.base_url)
    search(source)
    replies(source, LENA)

    assert bsky.logins == 2
    (thread,) = bsky.calls("app.bsky.feed.getPostThread")[-1:]
    assert thread.headers["authorization"] == f"Bearer {later}"


def test_another_account_or_server_gets_its_own_session(bsky: FakeBluesky) -> None:
    search(make_source(bsky.base_url))
    other = {**ENV, "TEST_BSKY_HANDLE": "someone-else.bsky.social"}
    failure(lambda: search(make_source(bsky.base_url, environ=other)))

    assert len(bsky.calls("com.atproto.server.createSession")) == 2


def test_an_inactive_account_is_a_clear_error(http_server: LocalServer) -> None:
    http_server.routes["/xrpc/com.atproto.server.createSession"] = json_route(
        {**SESSION, "active": False, "status": "deactivated"}
    )

    error = failure(lambda: search(make_source(http_server.url("/xrpc"))))

    assert error.message.startswith("the Bluesky account acme-monitor.bsky.social is deactivated")


# --- `mentionwatch sources test` --------------------------------------------------------------


def check(source: BlueskySource) -> str:
    answer: str = fetch(source.check)
    return answer


def test_check_logs_in_and_searches_once(bsky: FakeBluesky) -> None:
    answer = check(make_source(bsky.base_url))

    assert answer == (
        "works: logged in to Bluesky as acme-monitor.bsky.social; the newest post for 'Acme'"
        " is from 2026-11-20 08:41 UTC"
    )
    (page,) = bsky.calls("app.bsky.feed.searchPosts")
    assert page.query == {"q": ["Acme"], "sort": ["latest"], "limit": ["1"]}


@pytest.mark.parametrize(
    ("method", "route", "expected"),
    [
        (
            "com.atproto.server.createSession",
            xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password"),
            "Bluesky refused the login: check $TEST_BSKY_HANDLE (a handle such as"
            " acme.bsky.social) and $TEST_BSKY_APP_PASSWORD (an app password from"
            " https://bsky.app/settings/app-passwords",
        ),
        (
            "app.bsky.feed.searchPosts",
            Route(status=403, body=b"Forbidden"),
            "HTTP 403 Forbidden from {base}/app.bsky.feed.searchPosts: Bluesky refused the"
            " request: post search needs a logged-in session sent through your PDS, so keep"
            " base_url at https://bsky.social/xrpc",
        ),
        (
            "app.bsky.feed.searchPosts",
            xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", **{"Retry-After": "90"}),
            "HTTP 429 Too Many Requests from {base}/app.bsky.feed.searchPosts (RateLimitExceeded:"
            ' "Rate Limit Exceeded"): rate-limited by Bluesky (3,000 requests per 5 minutes per'
            " IP): retry in 90s",
        ),
    ],
)
def test_check_says_what_to_do(
    http_server: LocalServer, method: str, route: Route, expected: str
) -> None:
    base = http_server.url("/xrpc")
    http_server.routes["/xrpc/com.atproto.server.createSession"] = json_route(SESSION)
    http_server.routes["/xrpc/app.bsky.feed.searchPosts"] = json_route({"posts": []})
    http_server.routes[f"/xrpc/{method}"] = route

    error = failure(lambda: check(make_source(base)))

    assert expected.format(base=base) in error.message
    assert PASSWORD not in error.message and TOKEN not in error.message


def test_check_says_when_logins_may_resume(http_server: LocalServer) -> None:
    reset = int(time.time()) + 3600
    http_server.routes["/xrpc/com.atproto.server.createSession"] = xrpc_error(
        429,
        "RateLimitExceeded",
        "Rate Limit Exceeded",
        **{"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)},
    )

    error = failure(lambda: check(make_source(http_server.url("/xrpc"))))

    assert error.http_status == 429
    seconds = int(error.message.split("too many logins: retry in ", 1)[1].split("s.", 1)[0])
    assert 3590 <= seconds <= 3600
    assert "Bluesky allows 30 logins per 5 minutes and 300 a day per account" in error.message
    assert "keep `interval` at 30m or more" in error.message


def test_check_with_nothing_found_yet(http_server: LocalServer) -> None:
    http_server.routes["/xrpc/com.atproto.server.createSession"] = json_route(SESSION)
    http_server.routes["/xrpc/app.bsky.feed.searchPosts"] = json_route({"posts": []})

    assert check(make_source(http_server.url("/xrpc"))).endswith("no posts found for 'Acme' yet")


# --- registration and settings ----------------------------------------------------------------


def test_the_source_is_registered_and_has_threads() -> None:
    assert source_class("bluesky") is BlueskySource
    assert BlueskySource.has_threads
    defaults = BlueskySettings()
    assert defaults.base_url == "https://bsky.social/xrpc"
    assert (defaults.identifier_env, defaults.app_password_env) == (
        "BLUESKY_HANDLE",
        "BLUESKY_APP_PASSWORD",
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('base_url = "bsky.social/xrpc"', "sources[0].base_url: expected an http:// or https://"),
        ("page_size = 101", "sources[0].page_size: expected a number of posts from 1 to 100"),
        ("max_pages = 0", "sources[0].max_pages: expected a number of pages from 1 to 100"),
        ("thread_depth = 0", "sources[0].thread_depth: expected a number of levels from 1"),
        ('overlap = "2d"', 'sources[0].overlap: expected a duration of at most "1d"'),
        ('query = "  "', "sources[0].query: expected a non-empty search query"),
        ('thread_base_url = "public.api.bsky.app"', "sources[0].thread_base_url: expected an"),
        ('app_password = "x"', "sources[0].app_password: unknown key: expected one of"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, line: str, expected: str) -> None:
    table = f'[[sources]]\nname = "bsky"\nkind = "bluesky"\n{line}\n'

    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, table))

    assert expected in caught.value.message


# --- a whole scan -----------------------------------------------------------------------------

BRAND = (
    '[brand]\nname = "Acme"\nterms = ["Acme"]\nexclude = ["Acme Anvil"]\nsla = "4h"\n'
    "[brand.handles]\n"
    'all = ["AcmeSupport", "*atAcme"]\n'
    # Bluesky handles are domain names: the brand lists its own accounts for this kind.
    'bluesky = ["acmesupport.bsky.social", "*.acme.com"]\n'
)


def bsky_table(base_url: str) -> str:
    return (
        f'[[sources]]\nname = "bsky"\nkind = "bluesky"\nbase_url = "{base_url}"\n'
        'identifier_env = "TEST_BSKY_HANDLE"\napp_password_env = "TEST_BSKY_APP_PASSWORD"\n'
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data" / "mentionwatch.db") as opened:
        yield opened


def test_scans_store_mentions_with_reach_and_mark_what_the_brand_answered(
    tmp_path: Path, bsky: FakeBluesky, store: Store
) -> None:
    config = load_config(write_config(tmp_path, bsky_table(bsky.base_url), BRAND))
    # The first scan finds one early post; the second everything since (less the overlap).
    older = json.loads((BSKY / "search-page-2.json").read_bytes())["posts"][1:]
    bsky.pages[None] = json.dumps({"posts": older}).encode()
    first = run_scan(config, store, force=True, clock=lambda: T0, environ=ENV)
    bsky.pages[None] = "search-page-1.json"
    second = run_scan(config, store, force=True, clock=lambda: T0 + timedelta(hours=1), environ=ENV)

    (one,), (two,) = first.sources, second.sources
    assert (one.error, one.items_seen, one.new) == (None, 1, 1)
    assert (two.error, two.items_seen, two.new) == (None, 5, 4)
    since = [c.query.get("since") for c in bsky.calls("app.bsky.feed.searchPosts")]
    assert since == [None, ["2026-11-20T07:36:59.375Z"], ["2026-11-20T07:36:59.375Z"]]
    assert store.source_state("bsky", "bluesky").cursor == "2026-11-20T08:41:12.504Z"
    assert bsky.logins == 1  # one process: both scans and their thread checks share a session
    mentions = {m.native_id: m for m in (store.mention(i) for i in range(1, 6)) if m}
    assert {uri: m.reach for uri, m in mentions.items()} == {
        LENA: 15,
        JESS: 35,
        GONE: 2,
        PAT: 5,
        OMAR: 1,
    }
    lena, gone, pat = mentions[LENA], mentions[GONE], mentions[PAT]
    assert lena.status is MentionStatus.ANSWERED
    assert lena.answered_by == "acmesupport.bsky.social"
    assert (
        lena.answered_url == "https://bsky.app/profile/acmesupport.bsky.social/post/3mbvdfpj4as2h"
    )
    assert lena.answered_at == utc(2026, 11, 20, 8, 55, 40)  # the store keeps seconds
    assert (gone.status, gone.answered_by) == (MentionStatus.ANSWERED, "help.acme.com")  # depth 3
    assert gone.author is None
    assert pat.status is MentionStatus.OPEN  # only others replied
    assert mentions[OMAR].status is MentionStatus.OPEN
    assert {m.native_id for m in store.open_mentions()} == {JESS, PAT, OMAR}

    # Neither the app password nor the session token is stored anywhere.
    store.close()
    for path in (tmp_path / "data").iterdir():
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and TOKEN.encode() not in data, path.name


def test_a_failing_login_is_recorded_without_the_password(
    tmp_path: Path, bsky: FakeBluesky, store: Store
) -> None:
    config = load_config(write_config(tmp_path, bsky_table(bsky.base_url), BRAND))
    environ = {**ENV, "TEST_BSKY_APP_PASSWORD": "wxyz-wxyz-wxyz-wxyz"}

    (report,) = run_scan(config, store, force=True, clock=lambda: T0, environ=environ).sources

    assert report.http_status == 401 and "Bluesky refused the login" in (report.error or "")
    state = store.source_state("bsky", "bluesky")
    assert state.last_error == report.error and "wxyz-wxyz-wxyz-wxyz" not in state.last_error
    store.close()
    for path in (tmp_path / "data").iterdir():
        assert b"wxyz-wxyz-wxyz-wxyz" not in path.read_bytes(), path.name


# --- the demo's Bluesky -----------------------------------------------------------------------


def demo_posts(now: datetime) -> list[dict[str, Any]]:
    from mentionwatch.demo.server import _dated, load_dataset

    return [_dated(p, now) for p in load_dataset()["posts"] if p.get("platform") == "bluesky"]


class DemoRoutes(dict):  # type: ignore[type-arg]
    """Routes for LocalServer that hand every request under a prefix to a demo router."""

    def __init__(self, prefix: str, router: Callable[[DemoRequest], DemoResponse | None]) -> None:
        super().__init__()
        self.prefix, self.router = prefix, router

    def get(self, path: str, default: object = None) -> object:
        return self.answer if path.startswith(self.prefix + "/") else default

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


DEMO_NOW = datetime.now(timezone.utc).replace(microsecond=0)
DEMO_BRAND = (
    '[brand]\nname = "Brightloop"\nterms = ["Brightloop", "Brightloop Hub"]\n'
    'exclude = ["Brightloop Cycling Club", "Brightloop (band)", "reunion tour"]\n'
    "[brand.handles]\n"
    'all = ["BrightloopHelp", "Brightloop", "*atBrightloop"]\n'
    'bluesky = ["brightloophelp.bsky.social", "brightloop.bsky.social"]\n'
)


@pytest.fixture
def demo_url(http_server: LocalServer) -> str:
    router = demo_bsky.router(demo_posts(DEMO_NOW), DEMO_NOW)
    http_server.routes = DemoRoutes("/bluesky", router)
    return http_server.url("/bluesky")


def demo_table(base_url: str) -> str:
    table = demo_bsky.source_table(base_url)
    return "[[sources]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items())


def test_the_demo_api_serves_its_posts_the_way_the_source_reads_them(demo_url: str) -> None:
    table = demo_bsky.source_table(demo_url)
    assert (table["kind"], table["base_url"]) == ("bluesky", demo_url + "/xrpc")
    brand = BrandConfig("Brightloop", ("Brightloop", "Brightloop Hub"))
    source = make_source(
        str(table["base_url"]),
        environ=DEMO_ENVIRON,
        brand=brand,
        identifier_env=table["identifier_env"],
        app_password_env=table["app_password_env"],
    )

    result = search(source)
    posts = demo_posts(DEMO_NOW)
    assert len(result.mentions) == len(posts) >= 4
    mentions = by_id(result.mentions)
    becky = mentions["at://did:plc:r7mb2kqa5yxn4e6wq3tdlzpc/app.bsky.feed.post/3kqfbw4hzs22k"]
    assert becky.url == "https://bsky.app/profile/beckyinleeds.bsky.social/post/3kqfbw4hzs22k"
    assert (becky.author, becky.reach) == ("beckyinleeds.bsky.social", 402)
    assert becky.created_at == DEMO_NOW - timedelta(minutes=38)
    assert becky.text.endswith("'all systems operational' 🙃 @brightloophelp.bsky.social")
    assert result.cursor == max(m.created_at for m in result.mentions if m.created_at).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )

    threads = replies(source, *mentions)
    patterns = ("BrightloopHelp", "Brightloop", "*atBrightloop", "brightloophelp.bsky.social")
    brand_replies = {
        ref.rsplit("/", 1)[-1]: [
            (r.author, r.depth) for r in found if is_brand_handle(r.author, patterns)
        ]
        for ref, found in threads.items()
    }
    assert brand_replies["3kqfbw4hzs22k"] == [("brightloophelp.bsky.social", 1)]
    assert brand_replies["3kqf4uz3dbs2n"] == [("brightloophelp.bsky.social", 3)]
    for unanswered in ("3kqf6ah5pcs2j", "3kqf2xnv7ld2s", "3kqe5mbdr4k2x", "3kqe7rr2s6k2c"):
        assert brand_replies[unanswered] == []
    ids = [r.native_id for found in threads.values() for r in found] + list(mentions)
    assert len(ids) == len(set(ids))  # invented reply ids never collide

    # A later poll re-reads only what the overlap covers; an unknown post is a 400 NotFound.
    again = search(source, result.cursor)
    assert [m.native_id for m in again.mentions] == [becky.native_id]
    assert again.cursor == result.cursor
    gone = "at://did:plc:m2vhz6qk4xbt7ewu3nrj5dyo/app.bsky.feed.post/3kqgone000000"
    assert replies(source, gone) == {gone: []}


def test_the_demo_refuses_search_without_a_session_and_a_wrong_password(demo_url: str) -> None:
    router = demo_bsky.router(demo_posts(DEMO_NOW), DEMO_NOW)
    anonymous = router(
        DemoRequest("GET", "/xrpc/app.bsky.feed.searchPosts", {"q": ["Brightloop"]}, {})
    )
    wrong = router(
        DemoRequest(
            "POST",
            "/xrpc/com.atproto.server.createSession",
            {},
            {},
            json.dumps({"identifier": "brightloop-demo.bsky.social", "password": "no"}).encode(),
        )
    )

    assert anonymous is not None and anonymous.status == 401
    assert wrong is not None and wrong.status == 401
    assert json.loads(wrong.body)["error"] == "AuthenticationRequired"


def test_the_demo_scan_answers_and_leaves_open_what_it_should(
    tmp_path: Path, demo_url: str, store: Store
) -> None:
    config = load_config(write_config(tmp_path, demo_table(demo_url), DEMO_BRAND))

    (report,) = run_scan(
        config, store, force=True, clock=lambda: DEMO_NOW, environ=DEMO_ENVIRON
    ).sources

    assert report.error is None and report.new == len(demo_posts(DEMO_NOW))
    stored = {
        m.native_id.rsplit("/", 1)[-1]: m
        for m in (store.mention(i) for i in range(1, report.new + 1))
        if m
    }
    assert stored["3kqfbw4hzs22k"].answered_by == "brightloophelp.bsky.social"
    assert stored["3kqf4uz3dbs2n"].status is MentionStatus.ANSWERED  # nested 3 deep
    assert stored["3kqf6ah5pcs2j"].status is MentionStatus.OPEN  # nobody from the brand
    assert stored["3kqe5mbdr4k2x"].status is MentionStatus.OPEN  # only others replied
