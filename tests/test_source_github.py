"""The GitHub source against a real local server speaking the REST API's shapes.

GitHub has no nested issue comments: every comment, quoted or not, is a direct reply (depth 1).
The only deeper level GitHub has is a reply in a pull request's review-comment thread
(`in_reply_to_id`, depth 2; GitHub rejects replies to replies), so the "nested reply" cases here
are review-thread replies at depth 2, the deepest a brand reply can be on GitHub.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import FIXTURES, LocalServer, Route, SeenRequest, write_config
from mentionwatch.config import BrandConfig, ConfigError, HttpConfig, SourceConfig, load_config
from mentionwatch.demo.platforms import DemoRequest, DemoResponse
from mentionwatch.demo.platforms import github as demo_github
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import MentionStatus, Reply, SearchResult, SourceState
from mentionwatch.scan import run_scan
from mentionwatch.sources import source_class
from mentionwatch.sources.github import GitHubSettings, GitHubSource, markdown_to_text, terms_query
from mentionwatch.store import Store

GITHUB = FIXTURES / "github"
JSON = "application/json; charset=utf-8"
TOKEN = "ghp_T0pSecretDoNotLeak1234567890abcdef"
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; a developer's proxy must not sit between us and 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def fixture(name: str) -> bytes:
    return (GITHUB / name).read_bytes()


def json_route(name: str, **headers: str) -> Route:
    return Route(body=fixture(name), headers={"Content-Type": JSON, **headers})


def source(
    base_url: str, environ: Mapping[str, str] | None = None, **settings: Any
) -> GitHubSource:
    config = SourceConfig(
        name="gh",
        kind="github",
        interval=timedelta(minutes=30),
        enabled=True,
        settings=GitHubSettings(base_url=base_url, **settings),
    )
    brand = BrandConfig(name="Acme", terms=("Acme",), handles=("AcmeSupport", "*atAcme"))
    return GitHubSource(config, brand, environ or {})


def run(call: Callable[[HttpFetcher], Coroutine[Any, Any, T]]) -> T:
    async def go() -> T:
        async with HttpFetcher(HttpConfig()) as http:
            return await call(http)

    return asyncio.run(go())


def search(gh: GitHubSource, cursor: str | None = None) -> SearchResult:
    return run(lambda http: gh.search(http, SourceState("gh", "github", cursor=cursor)))


def replies(gh: GitHubSource, *refs: str) -> dict[str, list[Reply]]:
    return run(lambda http: gh.replies(http, list(refs)))


def by_page(pages: dict[str, Route]) -> Callable[[SeenRequest], Route]:
    """Answer by the `page` query parameter, like GitHub's paginated endpoints."""

    def answer(request: SeenRequest) -> Route:
        return pages.get(request.query.get("page", ["1"])[0], Route(status=404))

    return answer


def serve_threads(server: LocalServer, prefix: str = "") -> None:
    base = f"{prefix}/repos/desertworks/hass-acme"
    link = f'<{server.url(base)}/issues/88/comments?per_page=100&page=2>; rel="next", '
    link += f'<{server.url(base)}/issues/88/comments?per_page=100&page=2>; rel="last"'
    server.routes[f"{base}/issues/88/comments"] = by_page(
        {
            "1": json_route("comments-88-page1.json", Link=link),
            "2": json_route("comments-88-page2.json"),
        }
    )
    server.routes[f"{base}/issues/90/comments"] = json_route("comments-90.json")
    server.routes[f"{base}/pulls/90/comments"] = json_route("review-comments-90.json")
    server.routes[f"{base}/pulls/90/reviews"] = json_route("reviews-90.json")
    server.routes[f"{prefix}/repos/tinkerers/parts-bin/issues/12/comments"] = json_route(
        "comments-12.json"
    )


def assert_plain(text: str) -> None:
    for entity in ("&amp;", "&quot;", "&#39;", "&mdash;", "&nbsp;", "&ldquo;", "<!--", "<details"):
        assert entity not in text, text
    assert "\xa0" not in text


# --- search -----------------------------------------------------------------------------------


def test_first_poll_reads_the_newest_page(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = json_route("search-newest.json")

    result = search(source(http_server.base_url))

    (request,) = http_server.requests
    assert request.query == {
        "q": ['"Acme" in:title,body'],
        "sort": ["created"],
        "order": ["desc"],
        "per_page": ["50"],
        "page": ["1"],
    }
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert "authorization" not in request.headers  # no token configured: anonymous
    # Dependabot's PR is seen but skipped: bots are not customers.
    assert (result.http_status, result.items_seen, len(result.mentions)) == (200, 4, 3)
    assert result.cursor == "2026-11-20T08:15:00Z"
    assert result.retry_after_s is None
    issue, pull, orphan = result.mentions
    assert issue.native_id == "2231948610"
    assert (issue.source, issue.kind) == ("gh", "github")
    assert issue.url == "https://github.com/desertworks/hass-acme/issues/88"
    assert issue.title == "Acme Hub entities unavailable since firmware 4.2: 401 on token refresh"
    assert issue.author == "jmarsh-dev"
    assert issue.created_at == utc(2026, 11, 20, 8, 15)
    assert issue.reach == 5 + 3  # reactions + comments
    assert issue.thread_ref == "desertworks/hass-acme/issues/88"
    assert pull.url == "https://github.com/desertworks/hass-acme/pull/90"
    assert pull.thread_ref == "desertworks/hass-acme/pull/90"
    assert (pull.author, pull.reach) == ("lena-k", 2)
    assert orphan.author is None  # a deleted account: `user: null`
    assert orphan.thread_ref == "tinkerers/parts-bin/issues/12"
    for mention in result.mentions:
        assert_plain(mention.text)
        assert mention.created_at is not None and mention.created_at.tzinfo is not None


def test_markdown_bodies_become_plain_text_and_keep_their_code(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = json_route("search-newest.json")

    issue = search(source(http_server.base_url)).mentions[0]

    assert issue.text.startswith("### Describe the bug\n\nSince the Acme Hub firmware 4.2 update")
    assert "Before opening an issue" not in issue.text  # the issue template's HTML comment
    assert 'Re-auth fails too & the log says "token expired"' in issue.text
    assert "Acme support's only answer so far: “reinstall the app”. Terrible." in issue.text
    # Code spans and blocks are kept byte for byte; an autolink keeps its address.
    assert (
        "`AcmeClient.refresh(token: Vec<u8>)` — see https://status.acme.example/incidents/4411"
        in (issue.text)
    )
    assert (
        '```python\nif resp.status != 200 and "<html>" in body:\n    raise AuthError(body)\n```'
        in (issue.text)
    )
    assert "Integration 0.9.2, HA 2026.11.1" in issue.text  # <details> content stays


def test_bots_can_be_kept(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = json_route("search-newest.json")

    result = search(source(http_server.base_url, include_bots=True))

    assert [m.author for m in result.mentions][-1] == "dependabot[bot]"


def test_later_polls_page_oldest_first_from_the_cursor(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = by_page(
        {"1": json_route("search-since-page1.json"), "2": json_route("search-since-page2.json")}
    )
    gh = source(
        http_server.base_url,
        {"GH_TOKEN": TOKEN},
        token_env="GH_TOKEN",
        per_page=2,
        repos=("desertworks/hass-acme",),
        orgs=("homelab",),
    )

    result = search(gh, cursor="2026-11-20T08:15:00Z")

    # Page 2 held fewer than per_page items: it was the last, no third request.
    assert [r.query["page"] for r in http_server.requests] == [["1"], ["2"]]
    first = http_server.requests[0]
    assert first.query["q"] == [
        '"Acme" in:title,body repo:desertworks/hass-acme org:homelab'
        " created:>=2026-11-20T08:05:00Z"  # the cursor minus the 10 minute lookback
    ]
    assert (first.query["order"], first.query["per_page"]) == (["asc"], ["2"])
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in http_server.requests)
    assert [m.native_id for m in result.mentions] == ["2232000101", "2232000202", "2232000303"]
    assert result.items_seen == 3
    assert result.cursor == "2026-11-20T09:02:10Z"
    assert result.mentions[1].reach == 4


def test_paging_stops_at_max_pages_and_the_cursor_resumes_there(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = json_route("search-since-page1.json")  # always full

    result = search(source(http_server.base_url, per_page=2, max_pages=2), "2026-11-20T08:00:00Z")

    assert len(http_server.requests) == 2
    # Oldest first, so nothing between the cursor and the newest item seen was skipped.
    assert result.cursor == "2026-11-20T08:31:45Z"
    assert len(result.mentions) == 2  # the same ids twice are one mention each


def test_an_empty_search_keeps_the_cursor(http_server: LocalServer) -> None:
    body = json.dumps({"total_count": 0, "incomplete_results": False, "items": []}).encode()
    http_server.routes["/search/issues"] = Route(body=body, headers={"Content-Type": JSON})

    assert search(source(http_server.base_url)).cursor is None
    assert search(source(http_server.base_url), "2026-11-20T08:00:00Z").cursor == (
        "2026-11-20T08:00:00Z"
    )


def test_an_exhausted_search_limit_stops_paging_and_asks_to_wait(http_server: LocalServer) -> None:
    reset = int(time.time()) + 120
    http_server.routes["/search/issues"] = json_route(
        "search-since-page1.json",
        **{
            "X-RateLimit-Limit": "30",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(reset),
        },
    )

    result = search(source(http_server.base_url, per_page=2), "2026-11-20T08:00:00Z")

    assert len(http_server.requests) == 1
    assert result.retry_after_s is not None and 100 < result.retry_after_s <= 120
    assert len(result.mentions) == 2 and result.cursor == "2026-11-20T08:31:45Z"


def test_a_configured_query_replaces_the_brand_terms(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = json_route("search-newest.json")

    search(source(http_server.base_url, query="acme-hub is:issue", orgs=("desertworks",)))

    assert http_server.requests[0].query["q"] == ["acme-hub is:issue org:desertworks"]


def test_the_query_is_built_from_the_brand_terms() -> None:
    assert terms_query(["Acme"]) == '"Acme"'
    # A phrase containing another term matches nothing more; duplicates go too.
    assert terms_query(["Acme", "Acme Hub", "acme", "Road Runner"]) == ('("Acme" OR "Road Runner")')
    assert terms_query(['"Acme Rockets"']) == '"Acme Rockets"'
    with pytest.raises(SourceError, match="at most 5 OR operators: set `query`"):
        terms_query([f"brand{i}" for i in range(7)])


# --- threads ----------------------------------------------------------------------------------


def test_an_issue_thread_with_a_brand_reply_on_the_second_page(http_server: LocalServer) -> None:
    serve_threads(http_server)

    found = replies(source(http_server.base_url), "desertworks/hass-acme/issues/88")

    thread = found["desertworks/hass-acme/issues/88"]
    assert [r.author for r in thread] == ["ninefold", None, "AcmeSupport"]  # ghost -> None
    brand = thread[2]
    assert brand.native_id == "issuecomment-1820003"
    assert brand.url == "https://github.com/desertworks/hass-acme/issues/88#issuecomment-1820003"
    assert brand.created_at == utc(2026, 11, 20, 11, 45)
    assert brand.depth == 1  # a quoted reply is still a direct reply: GitHub has no nesting
    assert brand.text.startswith('> Re-auth fails too & the log says "token expired"\n\nSorry')
    assert "0.9.3 has the fix — please update" in brand.text
    comment_requests = [r for r in http_server.requests if "/comments" in r.path]
    assert [r.query["page"] for r in comment_requests] == [["1"], ["2"]]
    assert all(r.query["per_page"] == ["100"] for r in comment_requests)


def test_a_brand_reply_nested_in_a_review_thread(http_server: LocalServer) -> None:
    serve_threads(http_server)

    (thread,) = replies(source(http_server.base_url), "desertworks/hass-acme/pull/90").values()

    assert [(r.native_id, r.author, r.depth) for r in thread] == [
        ("issuecomment-1820101", "pat-ops", 1),
        ("discussion_r1400101", "reviewer-sam", 1),  # a review comment starts a thread
        ("discussion_r1400102", "lena-k", 2),
        ("discussion_r1400103", "jo-atAcme", 2),  # the deepest level GitHub has
        ("pullrequestreview-2200004", "reviewer-sam", 1),  # the empty "commented" one is skipped
    ]
    jo = thread[3]
    assert jo.url == "https://github.com/desertworks/hass-acme/pull/90#discussion_r1400103"
    assert jo.created_at == utc(2026, 11, 20, 10, 5)
    assert jo.text.startswith("Jo from Acme's platform team")


def test_review_comments_can_be_left_out(http_server: LocalServer) -> None:
    serve_threads(http_server)

    (thread,) = replies(
        source(http_server.base_url, review_comments=False), "desertworks/hass-acme/pull/90"
    ).values()

    assert [r.author for r in thread] == ["pat-ops"]
    assert not any("/pulls/" in r.path for r in http_server.requests)


def test_a_thread_where_only_others_replied(http_server: LocalServer) -> None:
    serve_threads(http_server)

    (thread,) = replies(source(http_server.base_url), "tinkerers/parts-bin/issues/12").values()

    assert [(r.author, r.depth) for r in thread] == [("grawity-fan", 1), ("pdvries", 1)]


@pytest.mark.parametrize("status", [404, 410])
def test_a_deleted_or_hidden_thread_is_empty(http_server: LocalServer, status: int) -> None:
    serve_threads(http_server)
    gone = "/repos/desertworks/hass-acme/issues/5/comments"
    http_server.routes[gone] = Route(status=status, body=b'{"message": "Not Found"}')

    found = replies(
        source(http_server.base_url),
        "desertworks/hass-acme/issues/5",
        "tinkerers/parts-bin/issues/12",
    )

    assert found["desertworks/hass-acme/issues/5"] == []
    assert len(found["tinkerers/parts-bin/issues/12"]) == 2


def test_a_broken_thread_api_is_an_error(http_server: LocalServer) -> None:
    http_server.routes["/repos/desertworks/hass-acme/issues/88/comments"] = Route(status=502)

    with pytest.raises(SourceError, match="HTTP 502"):
        replies(source(http_server.base_url), "desertworks/hass-acme/issues/88")


@pytest.mark.parametrize("ref", ["../../etc/passwd", "../../issues/1", "a/b/c/issues/1", "a/b/7"])
def test_a_bad_thread_reference_is_an_error(http_server: LocalServer, ref: str) -> None:
    with pytest.raises(SourceError, match="not a GitHub thread reference"):
        replies(source(http_server.base_url), ref)
    assert http_server.requests == []


# --- broken answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'{"total_count": 3, "items": [', JSON, "invalid JSON from"),
        (
            b"<!DOCTYPE html><html><body><h1>Unicorn!</h1>No server is available</body></html>",
            "text/html; charset=utf-8",
            "but got an HTML page",
        ),
        (b'{"message": "hello"}', JSON, "no list of items"),
    ],
    ids=["invalid json", "html error page", "not a search result"],
)
def test_a_broken_search_answer_is_a_clear_error(
    http_server: LocalServer, body: bytes, content_type: str, message: str
) -> None:
    http_server.routes["/search/issues"] = Route(body=body, headers={"Content-Type": content_type})

    with pytest.raises(SourceError, match=message):
        search(source(http_server.base_url))


def test_an_html_page_instead_of_comments_is_a_clear_error(http_server: LocalServer) -> None:
    http_server.routes["/repos/desertworks/hass-acme/issues/88/comments"] = Route(
        body=b"<html><body>Whoa there!</body></html>", headers={"Content-Type": "text/html"}
    )

    with pytest.raises(SourceError, match="but got an HTML page"):
        replies(source(http_server.base_url), "desertworks/hass-acme/issues/88")


# --- credentials ------------------------------------------------------------------------------


def test_a_missing_token_names_the_environment_variable(http_server: LocalServer) -> None:
    gh = source(http_server.base_url, {}, token_env="GITHUB_TOKEN")

    with pytest.raises(SourceError, match=r"missing credential: set \$GITHUB_TOKEN") as error:
        search(gh)
    assert "https://github.com/settings/tokens" in error.value.message
    assert http_server.requests == []  # nothing is sent anonymously by surprise


def test_a_token_file_is_read(http_server: LocalServer, tmp_path: Path) -> None:
    http_server.routes["/search/issues"] = json_route("search-newest.json")
    (tmp_path / "token").write_text(TOKEN + "\n", encoding="utf-8")

    search(source(http_server.base_url, token_file=str(tmp_path / "token")))

    assert http_server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("status", [401, 403, 422, 500])
def test_the_token_never_appears_in_errors_or_urls(http_server: LocalServer, status: int) -> None:
    http_server.routes["/search/issues"] = Route(status=status, body=b'{"message": "no"}')
    http_server.routes["/repos/desertworks/hass-acme/issues/88/comments"] = Route(status=status)
    gh = source(http_server.base_url, {"GH_TOKEN": TOKEN}, token_env="GH_TOKEN")

    async def both(http: HttpFetcher) -> list[BaseException]:
        calls = (
            gh.search(http, SourceState("gh", "github")),
            gh.replies(http, ["desertworks/hass-acme/issues/88"]),
        )
        found = await asyncio.gather(*calls, return_exceptions=True)
        return [e for e in found if isinstance(e, BaseException)]

    errors = run(both)
    assert len(errors) == 2 and all(isinstance(e, SourceError) for e in errors)

    for error in errors:
        assert isinstance(error, SourceError)
        assert TOKEN not in str(error) and TOKEN not in repr(error)
        assert TOKEN not in (error.retry_after or "")
    for request in http_server.requests:
        assert TOKEN not in request.path
        assert TOKEN not in json.dumps(
            {k: v for k, v in request.headers.items() if k != "authorization"}
        )
    assert TOKEN not in repr(gh.settings)


# --- check: `mentionwatch sources test` -------------------------------------------------------


def check(gh: GitHubSource) -> str:
    return run(gh.check)


def rate_limit_body(remaining: int, reset: int) -> bytes:
    limit = {"limit": 30, "used": 30 - remaining, "remaining": remaining, "reset": reset}
    core = {"limit": 5000, "used": 1, "remaining": 4999, "reset": reset, "resource": "core"}
    return json.dumps(
        {"resources": {"core": core, "search": {**limit, "resource": "search"}}, "rate": core}
    ).encode()


def test_check_says_what_works(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = json_route(
        "search-newest.json", **{"X-RateLimit-Limit": "30", "X-RateLimit-Remaining": "29"}
    )

    line = check(source(http_server.base_url, {"GH_TOKEN": TOKEN}, token_env="GH_TOKEN"))

    assert line.startswith("works: 4 issue(s) and pull request(s) match")
    assert "29/30 searches left this minute, with a token" in line
    assert http_server.requests[0].query["per_page"] == ["1"]
    assert "without a token" in check(source(http_server.base_url))


def test_check_401_says_the_token_was_rejected(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = Route(
        status=401, body=b'{"message": "Bad credentials", "status": "401"}'
    )

    with pytest.raises(SourceError) as error:
        check(source(http_server.base_url, {"GH_TOKEN": TOKEN}, token_env="GH_TOKEN"))

    assert error.value.http_status == 401
    assert error.value.message.startswith("GitHub rejected the token in $GH_TOKEN (HTTP 401")
    assert "https://github.com/settings/tokens" in error.value.message


def test_check_403_from_an_exhausted_limit_says_when_to_retry(http_server: LocalServer) -> None:
    reset = int(time.time()) + 300
    http_server.routes["/search/issues"] = Route(
        status=403,
        body=b'{"message": "API rate limit exceeded for 203.0.113.7."}',
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
    )
    http_server.routes["/rate_limit"] = Route(
        body=rate_limit_body(0, reset), headers={"Content-Type": JSON}
    )

    with pytest.raises(SourceError) as error:
        check(source(http_server.base_url))

    message = error.value.message
    expected = datetime.fromtimestamp(reset, timezone.utc).strftime("%H:%M")
    assert message.startswith("GitHub rate limit reached (HTTP 403 from http://127.0.0.1:")
    assert f"retry after {expected} UTC (in 5 min)" in message
    assert "a token (token_env) raises the limit" in message
    assert error.value.retry_after is not None and 280 <= int(error.value.retry_after) <= 300


def test_check_403_without_a_rate_limit_is_about_access(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = Route(status=403, body=b'{"message": "Forbidden"}')
    http_server.routes["/rate_limit"] = Route(
        body=rate_limit_body(25, int(time.time()) + 40), headers={"Content-Type": JSON}
    )

    with pytest.raises(SourceError, match=r"GitHub refused access \(HTTP 403 Forbidden") as error:
        check(source(http_server.base_url, {"GH_TOKEN": TOKEN}, token_env="GH_TOKEN"))
    assert "SSO" in error.value.message


def test_check_429_with_retry_after_says_when_to_retry(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = Route(
        status=429,
        body=b'{"message": "You have exceeded a secondary rate limit."}',
        headers={"Retry-After": "30"},
    )

    with pytest.raises(SourceError, match=r"rate limit reached \(HTTP 429 .*\(in 30 s\)") as error:
        check(source(http_server.base_url, {"GH_TOKEN": TOKEN}, token_env="GH_TOKEN"))

    assert error.value.retry_after == "30"
    assert not any(r.path == "/rate_limit" for r in http_server.requests)  # retry-after sufficed


def test_check_422_points_at_the_query(http_server: LocalServer) -> None:
    http_server.routes["/search/issues"] = Route(
        status=422, body=b'{"message": "Validation Failed"}'
    )

    with pytest.raises(SourceError, match="check this source's query, repos and orgs"):
        check(source(http_server.base_url, repos=("nobody/nothing",)))


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('base_url = "ftp://api.github.com"', "base_url: expected an http"),
        ('repos = ["just-a-name"]', 'repositories as "owner/name"'),
        ('orgs = ["-bad-"]', "GitHub user or organisation names"),
        ("per_page = 101", "per_page: expected a number from 1 to 100"),
        ("max_pages = 0", "max_pages: expected at least 1"),
        ("per_page = 100\nmax_pages = 11", "max_pages: expected at most 10 with per_page = 100"),
        ('lookback = "soon"', "lookback: expected a duration"),
        ('token = "ghp_inline"', "token: unknown key: expected one of"),
    ],
)
def test_bad_settings_are_config_errors(tmp_path: Path, table: str, message: str) -> None:
    path = write_config(tmp_path, f'[[sources]]\nname = "gh"\nkind = "github"\n{table}\n')

    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_the_kind_is_registered() -> None:
    assert source_class("github") is GitHubSource
    assert GitHubSource.has_threads


def test_markdown_to_text_leaves_plain_markdown_alone() -> None:
    assert (
        markdown_to_text("**Acme** broke `a < b` and a\u00a0b") == "**Acme** broke `a < b` and a b"
    )
    assert markdown_to_text("x \ue0000\ue001 y") == "x 0 y"  # placeholders cannot be forged


# --- a whole scan -----------------------------------------------------------------------------


def test_scan_stores_github_mentions_and_sees_brand_replies(
    tmp_path: Path, http_server: LocalServer
) -> None:
    prefix = "/gh-api"  # mounted below a path, as the demo does
    http_server.routes[f"{prefix}/search/issues"] = json_route("search-newest.json")
    serve_threads(http_server, prefix)
    config_path = write_config(
        tmp_path,
        f'[[sources]]\nname = "github"\nkind = "github"\nbase_url = "{http_server.url(prefix)}/"\n'
        'token_env = "GH_TOKEN"\n',
    )
    config = load_config(config_path)

    with Store.open(tmp_path / "mentionwatch.db") as store:
        report = run_scan(config, store, force=True, environ={"GH_TOKEN": TOKEN})
        (polled,) = report.sources
        assert polled.error is None, polled.error
        assert (polled.items_seen, polled.new) == (4, 3)
        stored = {m.native_id: m for i in range(1, 4) if (m := store.mention(i))}
        issue, pull, orphan = (stored[k] for k in ("2231948610", "2231877001", "2230114455"))
        assert (issue.reach, pull.reach, orphan.reach) == (8, 2, 2)
        assert issue.thread_ref == "desertworks/hass-acme/issues/88"
        assert orphan.author is None
        assert store.source_state("github", "github").cursor == "2026-11-20T08:15:00Z"
        assert all(
            r.headers.get("authorization") == f"Bearer {TOKEN}" for r in http_server.requests
        )

        # The thread check: a brand reply (on page 2 of the comments) answers the issue, a
        # brand reply deep in a review thread answers the PR, others' replies do not.
        assert issue.status is MentionStatus.ANSWERED
        assert issue.answered_by == "AcmeSupport"
        assert issue.answered_url == (
            "https://github.com/desertworks/hass-acme/issues/88#issuecomment-1820003"
        )
        assert issue.answered_at == utc(2026, 11, 20, 11, 45)
        assert pull.status is MentionStatus.ANSWERED
        assert pull.answered_by == "jo-atAcme"
        assert pull.answered_url == (
            "https://github.com/desertworks/hass-acme/pull/90#discussion_r1400103"
        )
        assert orphan.status is MentionStatus.OPEN
        assert [r.author for r, _ in store.replies(orphan.id)] == ["grawity-fan", "pdvries"]


# --- the demo's fake GitHub -------------------------------------------------------------------


def demo_paths(posts: list[dict[str, Any]]) -> list[str]:
    """Every path the demo router answers for these posts (the local server routes by path)."""
    paths = ["/search/issues", "/rate_limit"]
    for post in posts:
        owner, repo, kind, number = urlsplit(post["link"]).path.strip("/").split("/")
        paths.append(f"/repos/{owner}/{repo}/issues/{number}/comments")
        if kind == "pull":
            paths += [
                f"/repos/{owner}/{repo}/pulls/{number}/{end}" for end in ("comments", "reviews")
            ]
    return paths


@pytest.fixture
def demo_server(http_server: LocalServer) -> Iterator[tuple[LocalServer, str]]:
    """The demo router mounted at /github on the local server, as the demo mounts it."""
    from mentionwatch.demo.server import load_dataset

    now = datetime.now(timezone.utc)
    # posts.json plus posts_github.json
    posts = [p for p in load_dataset()["posts"] if p.get("platform") == demo_github.KIND]
    # The demo hands each platform its posts with times relative to now.
    timed = [
        {
            **post,
            "created_at": now - timedelta(minutes=post["minutes_ago"]),
            "replies": [
                {
                    **reply,
                    "created_at": now
                    - timedelta(minutes=post["minutes_ago"] - reply["minutes_after"]),
                }
                for reply in post.get("replies", [])
            ],
        }
        for post in posts
    ]
    router = demo_github.router(timed, now)
    prefix = "/github"

    def answer(request: SeenRequest) -> Route:
        parts = urlsplit(request.path)
        demo = DemoRequest(
            method=request.method,
            path=parts.path.removeprefix(prefix) or "/",
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=request.headers,
            body=request.body,
        )
        response: DemoResponse | None = router(demo)
        if response is None:
            return Route(status=404)
        return Route(
            body=response.body,
            status=response.status,
            headers={"Content-Type": response.content_type, **response.headers},
        )

    for path in demo_paths(posts):
        http_server.routes[prefix + path] = answer
    yield http_server, http_server.url(prefix)


def demo_source(base_url: str, environ: Mapping[str, str]) -> GitHubSource:
    table = demo_github.source_table(base_url)
    assert table["kind"] == "github" and table["base_url"] == base_url
    settings = {k: v for k, v in table.items() if k not in ("name", "kind", "interval")}
    config = SourceConfig(
        "github", "github", timedelta(minutes=15), True, GitHubSettings(**settings)
    )
    brand = BrandConfig(
        name="Brightloop",
        terms=("Brightloop", "Brightloop Hub"),
        handles=("BrightloopHelp", "Brightloop", "*atBrightloop"),
    )
    return GitHubSource(config, brand, environ)


def test_the_demo_router_serves_what_the_source_reads(
    demo_server: tuple[LocalServer, str],
) -> None:
    from mentionwatch.classify.handles import is_brand_handle
    from mentionwatch.demo.platforms import DEMO_ENVIRON

    server, base_url = demo_server
    gh = demo_source(base_url, DEMO_ENVIRON)

    result = search(gh)

    assert result.items_seen == len(result.mentions) == 5
    assert all(r.headers["authorization"] == "Bearer demo-github-token" for r in server.requests)
    by_ref = {m.thread_ref: m for m in result.mentions}
    assert all(m.url.startswith("https://github.com/") and m.created_at for m in result.mentions)
    kofi = by_ref["brightloop-community/hass-brightloop/issues/141"]
    assert (kofi.native_id, kofi.author, kofi.reach) == ("2231948610", "jmarsh-dev", 14)
    threads = replies(gh, *by_ref)
    handles = gh.brand.handles
    answered = {
        ref
        for ref, found in threads.items()
        if any(is_brand_handle(r.author, handles) for r in found)
    }
    assert answered == {
        "brightloop-community/hass-brightloop/issues/141",
        "brightloop-community/hass-brightloop/pull/143",
    }
    assert [r.author for r in threads["brightloop-community/hass-brightloop/issues/141"]] == [
        "ninefold",
        "dev_kofi_atBrightloop",
    ]
    pull = threads["brightloop-community/hass-brightloop/pull/143"]
    assert [(r.author, r.depth) for r in pull] == [
        ("jmarsh-dev", 1),
        ("pdvries", 1),
        ("mei-atBrightloop", 2),
    ]
    assert [r.author for r in threads["brightloop/brightloop-python/issues/412"]] == [
        "quietbuyer",
        None,  # "ghost": a deleted account
    ]

    # A later poll asks from the cursor: nothing newer than what was seen.
    again = search(gh, result.cursor)
    assert {m.native_id for m in again.mentions} <= {m.native_id for m in result.mentions}
    assert "created:>=" in server.requests[-1].query["q"][0]
    # A wrong token is refused the way GitHub refuses it.
    with pytest.raises(SourceError, match="HTTP 401"):
        search(demo_source(base_url, {**DEMO_ENVIRON, "DEMO_GITHUB_TOKEN": "nope"}))
