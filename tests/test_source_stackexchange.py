"""The Stack Exchange source against a real local server serving the API's own shapes."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest

from conftest import FIXTURES, LocalServer, Route, SeenRequest, write_config
from mentionwatch.classify.handles import is_brand_handle
from mentionwatch.config import (
    BrandConfig,
    FieldError,
    HttpConfig,
    SourceConfig,
    load_config,
    parse_config,
)
from mentionwatch.demo.platforms import DEMO_ENVIRON, DemoRequest, DemoResponse
from mentionwatch.demo.platforms import stackexchange as demo
from mentionwatch.demo.server import load_dataset
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import MentionStatus, Reply, SearchResult, SourceState
from mentionwatch.scan import run_scan
from mentionwatch.sources import source_class
from mentionwatch.sources.stackexchange import (
    StackExchangeSettings,
    StackExchangeSource,
    api_error,
    minimal_terms,
    question_id_of,
    seconds_until_quota_reset,
)
from mentionwatch.store import Store

SE = FIXTURES / "stackexchange"
JSON = "application/json; charset=utf-8"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
HANDLES = ("AcmeSupport", "*atAcme")
KEY = "s3cr3t-app-key-((value))"

Q1 = "https://superuser.com/questions/1841001/acme-hub-2-wont-keep-bridge-mode-after-a-reboot"
Q2 = "https://superuser.com/questions/1840990/acme-router-firmware-4-2-broke-ipv6-anyone-else"
Q3 = "https://superuser.com/questions/1840975/how-do-i-export-call-logs-from-the-acme-voip-app"
Q4 = "https://superuser.com/questions/1840950/acme-support-closed-my-ticket-without-reading-it"

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; a developer's proxy must not sit between us and 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SE / name).read_text(encoding="utf-8"))
    return data


def body(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def api(data: dict[str, Any], status: int = 200, **headers: str) -> Route:
    return Route(body=body(data), status=status, headers={"Content-Type": JSON, **headers})


def wrapper(items: list[dict[str, Any]], has_more: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "items": items,
        "has_more": has_more,
        "quota_max": 10000,
        "quota_remaining": 9000,
        **extra,
    }


def make_source(
    server: LocalServer,
    environ: dict[str, str] | None = None,
    terms: tuple[str, ...] = ("Acme",),
    **settings: Any,
) -> StackExchangeSource:
    config = SourceConfig(
        name="superuser",
        kind="stackexchange",
        interval=timedelta(minutes=30),
        enabled=True,
        settings=StackExchangeSettings(
            **{"site": "superuser", "base_url": server.url("/se"), **settings}
        ),
    )
    brand = BrandConfig(name="Acme", terms=terms, handles=HANDLES)
    return StackExchangeSource(config, brand, environ or {})


def run(work: Callable[[HttpFetcher], Awaitable[T]]) -> T:
    async def main() -> T:
        async with HttpFetcher(HttpConfig()) as http:
            return await work(http)

    return asyncio.run(main())


def search(source: StackExchangeSource, cursor: str | None = None) -> SearchResult:
    state = SourceState("superuser", "stackexchange", cursor=cursor)
    return run(lambda http: source.search(http, state))


def replies(source: StackExchangeSource, refs: list[str]) -> dict[str, list[Reply]]:
    return run(lambda http: source.replies(http, refs))


def by_page(*pages: dict[str, Any]) -> Callable[[SeenRequest], Route]:
    def answer(seen: SeenRequest) -> Route:
        number = int(seen.query.get("page", ["1"])[0])
        return api(pages[number - 1]) if number <= len(pages) else api(wrapper([]))

    return answer


def single(seen: SeenRequest, name: str) -> str:
    (value,) = seen.query[name]
    return value


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


NEWEST = fixture("search-newest.json")
OLDER = fixture("search-older.json")
Q1_CREATED = NEWEST["items"][0]["creation_date"]


# --- search -----------------------------------------------------------------------------------


def test_first_poll_reads_the_newest_page_only(http_server: LocalServer) -> None:
    # The real API always answers gzip-compressed.
    http_server.routes["/se/search/advanced"] = Route(
        body=gzip.compress(body(NEWEST)),
        headers={"Content-Type": JSON, "Content-Encoding": "gzip"},
    )

    result = search(make_source(http_server))

    (request,) = http_server.requests  # has_more is true, but a first poll reads one page
    assert "gzip" in request.headers.get("accept-encoding", "")
    assert {k: v for k, v in request.query.items()} == {
        "q": ["Acme"],
        "sort": ["creation"],
        "order": ["desc"],
        "pagesize": ["50"],
        "page": ["1"],
        "site": ["superuser"],
        "filter": ["withbody"],
    }
    assert (result.http_status, result.items_seen, result.retry_after_s) == (200, 3, None)
    assert result.cursor == str(Q1_CREATED)
    export, ipv6, hub = result.mentions  # oldest first
    assert hub.native_id == "1841001"
    assert hub.kind == "stackexchange" and hub.source == "superuser"
    assert hub.url == Q1 and hub.thread_ref == Q1
    assert hub.title == 'Acme Hub 2 won\'t keep "bridge mode" after a reboot'
    assert hub.text.startswith(
        "Every time the Acme Hub 2 reboots it drops out of bridge mode & my own router"
    )
    assert "WAN address: 192.168.1.2 <- should be public" in hub.text
    assert "I've set it up again" in hub.text
    assert hub.author == "Tomás R."  # "Tom&#225;s R." decoded
    assert hub.reach == 3  # the question's score
    assert hub.created_at == utc(Q1_CREATED) == T0 - timedelta(hours=2)
    assert ipv6.title == "Acme router firmware 4.2 broke IPv6 — anyone else?"
    assert ipv6.author is None  # user_type "does_not_exist"
    assert ipv6.reach == 0
    assert export.author == "quietbuyer"
    for mention in result.mentions:
        for text in (mention.title, mention.text):
            assert "&#" not in text and "&amp;" not in text and "&quot;" not in text
            assert "<p>" not in text and "<code>" not in text


def test_a_later_poll_pages_from_the_cursor(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = by_page(NEWEST, OLDER)
    since = T0 - timedelta(days=3)

    result = search(make_source(http_server), cursor=str(int(since.timestamp())))

    assert [single(r, "page") for r in http_server.requests] == ["1", "2"]
    assert {single(r, "fromdate") for r in http_server.requests} == {str(int(since.timestamp()))}
    assert [m.native_id for m in result.mentions] == [
        "1840901",
        "1840950",
        "1840975",
        "1840990",
        "1841001",
    ]
    assert result.items_seen == 5
    assert result.cursor == str(Q1_CREATED)
    ticket = result.mentions[1]
    assert ticket.reach == -1
    assert ticket.text.endswith('closed as "resolved" ten minutes later. Terrible.')


def test_paging_stops_at_max_pages(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = by_page(NEWEST, OLDER)

    result = search(make_source(http_server, max_pages=1), cursor="1795000000")

    assert len(http_server.requests) == 1
    assert result.cursor == str(Q1_CREATED)  # bounded: what max_pages left unread is skipped


def test_backoff_stops_paging_and_keeps_the_cursor(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = by_page({**NEWEST, "backoff": 10}, OLDER)

    result = search(make_source(http_server), cursor="1795000000")

    assert len(http_server.requests) == 1  # the method may not be called again for 10 s
    assert result.retry_after_s == 10
    assert len(result.mentions) == 3
    assert result.cursor == "1795000000"  # the unread pages are read next time


def test_backoff_on_the_last_page_still_advances_the_cursor(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = api({**OLDER, "backoff": 4})

    result = search(make_source(http_server), cursor="1795000000")

    assert result.retry_after_s == 4
    assert result.cursor == str(OLDER["items"][0]["creation_date"])


def test_an_exhausted_quota_waits_for_the_daily_reset(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = by_page({**NEWEST, "quota_remaining": 0}, OLDER)

    result = search(make_source(http_server), cursor="1795000000")

    assert len(http_server.requests) == 1
    assert result.retry_after_s is not None and 0 < result.retry_after_s <= 86400
    assert result.cursor == "1795000000"
    assert seconds_until_quota_reset(datetime(2026, 11, 20, 23, 0, tzinfo=timezone.utc)) == 3600


def test_each_brand_term_not_covered_by_a_shorter_one_is_searched(
    http_server: LocalServer,
) -> None:
    def answer(seen: SeenRequest) -> Route:
        return api(NEWEST if single(seen, "q") == "Acme" else wrapper(NEWEST["items"][:1]))

    http_server.routes["/se/search/advanced"] = answer
    source = make_source(http_server, terms=("Acme", '"Acme Hub"', "Road Runner", "acme"))

    result = search(source)

    assert [single(r, "q") for r in http_server.requests] == ["Acme", "Road Runner"]
    assert result.items_seen == 3  # the question both searches found is counted once
    assert minimal_terms(["Acme Hub", "Acme", "Hub Acme Pro"]) == ["Acme"]
    assert minimal_terms(['"Acme Anvil"', "Road Runner"]) == ["Acme Anvil", "Road Runner"]


def test_the_query_setting_replaces_the_brand_terms(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = api(NEWEST)

    search(make_source(http_server, query="acme router"))

    assert [single(r, "q") for r in http_server.requests] == ["acme router"]


# --- threads ----------------------------------------------------------------------------------


ANSWERS = fixture("answers.json")
QUESTION_COMMENTS = fixture("question-comments.json")
ANSWER_COMMENTS = fixture("answer-comments.json")
ALL_QUESTIONS = (1840901, 1840950, 1840975, 1840990, 1841001)


def serve_threads(server: LocalServer, question_ids: tuple[int, ...] = ALL_QUESTIONS) -> None:
    """The three thread methods for exactly these question ids, as the real API batches them."""

    def only(data: dict[str, Any], key: str, ids: set[int]) -> dict[str, Any]:
        return {**data, "items": [item for item in data["items"] if item[key] in ids]}

    ids = ";".join(str(i) for i in sorted(question_ids))
    answers = only(ANSWERS, "question_id", set(question_ids))
    server.routes[f"/se/questions/{ids}/answers"] = api(answers)
    comments = only(QUESTION_COMMENTS, "post_id", set(question_ids))
    server.routes[f"/se/questions/{ids}/comments"] = api(comments)
    answer_ids = sorted(a["answer_id"] for a in answers["items"])
    path = f"/se/answers/{';'.join(str(i) for i in answer_ids)}/comments"
    server.routes[path] = api(only(ANSWER_COMMENTS, "post_id", set(answer_ids)))


def test_threads_are_read_in_three_batched_requests(http_server: LocalServer) -> None:
    serve_threads(http_server, (1840950, 1840975, 1840990, 1841001, 1999999))
    gone = "https://superuser.com/questions/1999999/a-deleted-question"

    found = replies(make_source(http_server), [Q1, Q2, Q3, Q4, gone])

    assert [r.path.split("?")[0] for r in http_server.requests] == [
        "/se/questions/1840950;1840975;1840990;1841001;1999999/answers",
        "/se/questions/1840950;1840975;1840990;1841001;1999999/comments",
        "/se/answers/1840962;1841005;1841020/comments",
    ]
    for request in http_server.requests:
        assert request.query == {
            "sort": ["creation"],
            "order": ["asc"],
            "pagesize": ["100"],
            "page": ["1"],
            "site": ["superuser"],
            "filter": ["withbody"],
        }
    assert set(found) == {Q1, Q2, Q3, Q4, gone}
    assert found[Q3] == [] and found[gone] == []


def test_a_brand_answer_is_found_with_its_author_time_url_and_depth(
    http_server: LocalServer,
) -> None:
    serve_threads(http_server, (1840950,))

    thread = replies(make_source(http_server), [Q4])[Q4]

    gone, jo = thread
    assert jo == Reply(
        native_id="answer:1840962",
        author="JoAtAcme",
        created_at=T0 - timedelta(hours=20) + timedelta(seconds=3000),
        url=f"{Q4}/1840962#1840962",
        text=(
            "Hi Lena, Jo from Acme support here – sorry, that ticket should not have been"
            " closed. I've reopened it and an engineer will call you tomorrow morning."
        ),
        depth=1,
    )
    assert is_brand_handle(jo.author, HANDLES)
    # A comment on the question by a deleted account.
    assert gone.author is None
    assert gone.depth == 1
    assert gone.url == f"{Q4}#comment2911950_1840950"


def test_a_brand_reply_three_levels_deep_is_found(http_server: LocalServer) -> None:
    serve_threads(http_server, (1841001,))

    thread = replies(make_source(http_server), [Q1])[Q1]

    assert [(r.native_id, r.author, r.depth) for r in thread] == [
        ("comment:2912001", "hwguy", 1),  # on the question
        ("answer:1841020", "netgear_nerd", 1),
        ("comment:2912040", "Tomás R.", 2),  # on the answer
        ("comment:2912055", "AcmeSupport", 3),  # "@Tomás": a reply to the comment above
    ]
    brand = thread[-1]
    assert is_brand_handle(brand.author, HANDLES)
    assert brand.url == f"{Q1}#comment2912055_1841020"
    assert brand.created_at == utc(Q1_CREATED + 1800 + 1800)
    assert brand.text == (
        "@Tomás that's a known bug in Hub firmware 7.1 – 7.1.3 fixes it and is rolling out"
        " this week. You can force the update under Settings > Updates."
    )
    assert thread[1].text.startswith("The Hub 2 has no true bridge mode.")
    assert "Settings > Advanced > DMZ" in thread[1].text


def test_a_thread_only_others_replied_to_has_no_brand_reply(http_server: LocalServer) -> None:
    serve_threads(http_server, (1840990,))

    thread = replies(make_source(http_server), [Q2])[Q2]

    assert [(r.author, r.depth) for r in thread] == [("v6fan", 1), ("dual_stack_dan", 2)]
    assert not any(is_brand_handle(r.author, HANDLES) for r in thread)
    assert thread[1].text == "Confirmed on mine too, this workaround helps."


def test_more_than_100_threads_are_split_into_batches_and_pages(
    http_server: LocalServer,
) -> None:
    refs = [f"https://superuser.com/questions/{n}/q" for n in range(1000, 1150)]
    page_one = wrapper(
        [
            {
                "owner": {"user_type": "registered", "user_id": 7, "display_name": "a"},
                "creation_date": 1795000000,
                "answer_id": 5000,
                "question_id": 1000,
                "body": "<p>one</p>",
            }
        ],
        has_more=True,
    )

    def answers(seen: SeenRequest) -> Route:
        if ";1000;" in f";{seen.path.split('/')[3]};" and single(seen, "page") == "1":
            return api(page_one)
        return api(wrapper([]))

    for chunk in (range(1000, 1100), range(1100, 1150)):
        ids = ";".join(str(n) for n in chunk)
        http_server.routes[f"/se/questions/{ids}/answers"] = answers
        http_server.routes[f"/se/questions/{ids}/comments"] = api(wrapper([]))
    http_server.routes["/se/answers/5000/comments"] = api(wrapper([]))

    found = replies(make_source(http_server), refs)

    paths = [r.path.split("?")[0] for r in http_server.requests]
    assert [len(p.split("/")[3].split(";")) for p in paths if p.endswith("/answers")] == [
        100,
        100,  # page 2 of the first batch
        50,
    ]
    assert paths[-1] == "/se/answers/5000/comments"
    assert [r.native_id for r in found[refs[0]]] == ["answer:5000"]
    assert sum(len(v) for v in found.values()) == 1


def test_a_thread_check_that_runs_out_of_quota_says_when_it_resets(
    http_server: LocalServer,
) -> None:
    serve_threads(http_server, (1840990, 1841001))
    http_server.routes["/se/questions/1840990;1841001/answers"] = api(
        {**ANSWERS, "quota_remaining": 0}
    )

    with pytest.raises(SourceError, match=r"quota used up \(0 of 10000 requests left\); it res"):
        replies(make_source(http_server), [Q1, Q2])

    assert len(http_server.requests) == 1
    assert seconds_until_quota_reset() > 0


def test_a_thread_check_obeys_a_backoff_before_the_next_page(http_server: LocalServer) -> None:
    http_server.routes["/se/questions/1841001/answers"] = api(
        {**ANSWERS, "has_more": True, "backoff": 5}
    )

    with pytest.raises(SourceError, match=r"asked mentionwatch to wait 5s") as caught:
        replies(make_source(http_server), [Q1])

    assert caught.value.retry_after == "5"
    assert len(http_server.requests) == 1


def test_question_ids_come_from_the_thread_reference() -> None:
    assert question_id_of(Q1) == 1841001
    assert question_id_of("https://superuser.com/questions/42") == 42
    assert question_id_of("https://superuser.com/users/42/x") is None


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route(body=b'{"items": [', headers={"Content-Type": JSON}), "invalid JSON from"),
        (
            Route(
                body=b"<!DOCTYPE html><html><body>Cloudflare: checking your browser</body></html>",
                headers={"Content-Type": "text/html"},
            ),
            "expected JSON from .* but got an HTML page",
        ),
        (Route(body=b'{"quota_max": 300}', headers={"Content-Type": JSON}), "no 'items' list"),
    ],
    ids=["invalid json", "html page", "no items"],
)
def test_a_broken_response_is_a_clear_error(
    http_server: LocalServer, route: Route, message: str
) -> None:
    http_server.routes["/se/search/advanced"] = route

    with pytest.raises(SourceError, match=message):
        search(make_source(http_server))


def test_a_400_without_an_explanation_says_what_to_check(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = Route(status=400, body=b"Bad Request")
    environ = {"SE_KEY": KEY}

    with pytest.raises(SourceError) as caught:
        search(make_source(http_server, environ, key_env="SE_KEY", site="superusr"))

    error = caught.value
    assert error.http_status == 400
    assert "check site = 'superusr'" in error.message
    assert "$SE_KEY" in error.message
    assert KEY not in error.message and KEY not in str(error)
    assert error.message.startswith(f"HTTP 400 Bad Request from {http_server.url('/se')}")


def test_the_api_error_message_of_a_400_is_shown(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = api(fixture("error-bad-site.json"), status=400)

    with pytest.raises(SourceError) as caught:
        search(make_source(http_server, site="superusr"))

    assert caught.value.message == (
        "Stack Exchange API error 400 bad_parameter: No site found for name `superusr`;"
        " check the source's site and query settings"
    )
    assert caught.value.http_status == 400


def test_a_throttle_violation_says_when_to_retry(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = api(fixture("error-throttle.json"), status=400)

    with pytest.raises(SourceError) as caught:
        search(make_source(http_server))

    assert caught.value.message == (
        "Stack Exchange API error 502 throttle_violation: too many requests from this IP,"
        " more requests available in 7380 seconds; more requests in 2h03m"
    )
    assert caught.value.retry_after == "7380"


def test_api_errors_name_the_fix() -> None:
    bad = api_error(fixture("error-bad-site.json"), http_status=400)
    assert bad.message == (
        "Stack Exchange API error 400 bad_parameter: No site found for name `superusr`;"
        " check the source's site and query settings"
    )
    key = api_error(
        {"error_id": 400, "error_name": "bad_parameter", "error_message": f"key {KEY} is invalid"},
        key=KEY,
        key_setting="$SE_KEY",
    )
    assert "check the app key in $SE_KEY" in key.message
    assert KEY not in key.message
    backoff = api_error(
        {
            "error_id": 502,
            "error_name": "throttle_violation",
            "error_message": "Violation of backoff parameter",
        }
    )
    assert backoff.message.endswith("Violation of backoff parameter; wait and retry")


# --- credentials ------------------------------------------------------------------------------


def test_a_configured_key_that_is_missing_names_the_env_var(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = api(NEWEST)

    with pytest.raises(SourceError, match=r"missing credential: set \$SE_KEY"):
        search(make_source(http_server, {}, key_env="SE_KEY"))

    assert http_server.requests == []


def test_the_key_is_sent_as_a_parameter_and_never_shown(http_server: LocalServer) -> None:
    serve_threads(http_server, (1840950, 1840975, 1840990, 1841001, 1999999))
    http_server.routes["/se/search/advanced"] = by_page(NEWEST, OLDER)
    source = make_source(http_server, {"SE_KEY": f"  {KEY}\n"}, key_env="SE_KEY")

    search(source, cursor="1795000000")
    replies(source, [Q1, Q2, Q3, Q4, "https://superuser.com/questions/1999999/x"])

    assert len(http_server.requests) == 5
    for request in http_server.requests:
        assert request.query["key"] == [KEY]
        assert KEY not in json.dumps(request.headers)
    http_server.routes["/se/search/advanced"] = Route(status=401, body=b"{}")
    with pytest.raises(SourceError) as caught:
        search(source)
    assert KEY not in caught.value.message
    assert "?" not in caught.value.message  # the URL is shown without its query


def test_the_key_can_come_from_a_file(http_server: LocalServer, tmp_path: Path) -> None:
    http_server.routes["/se/search/advanced"] = api(NEWEST)
    key_file = tmp_path / "se-key"
    key_file.write_text(KEY + "\n", encoding="utf-8")

    search(make_source(http_server, key_file=str(key_file)))

    assert single(http_server.requests[0], "key") == KEY


# --- `mentionwatch sources test` --------------------------------------------------------------


def check(source: StackExchangeSource) -> str:
    return run(source.check)


def test_check_reports_the_results_and_the_quota(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = api(NEWEST)

    line = check(make_source(http_server))

    assert line == (
        "works: 3 question(s) in the latest results for 'Acme' on superuser; quota 9987/10000"
        " requests left today (no app key: set key_env for 10,000 a day)"
    )
    assert single(http_server.requests[0], "pagesize") == "10"


@pytest.mark.parametrize(
    ("status", "headers", "environ", "settings", "expected"),
    [
        (
            401,
            {},
            {"SE_KEY": KEY},
            {"key_env": "SE_KEY"},
            r"HTTP 401 Unauthorized from .*: Stack Exchange refused the request; check the app"
            r" key in \$SE_KEY \(register an app at https://stackapps.com/apps/oauth/register",
        ),
        (
            403,
            {},
            {},
            {},
            r"HTTP 403 Forbidden from .*: Stack Exchange refused the request; this IP address"
            r" may be blocked for a while .* try again later",
        ),
        (
            429,
            {"Retry-After": "120"},
            {},
            {},
            r"HTTP 429 Too Many Requests from .*: Stack Exchange is throttling requests;"
            r" retry after 120s",
        ),
    ],
    ids=["401", "403", "429"],
)
def test_check_says_what_to_do_when_refused(
    http_server: LocalServer,
    status: int,
    headers: dict[str, str],
    environ: dict[str, str],
    settings: dict[str, str],
    expected: str,
) -> None:
    http_server.routes["/se/search/advanced"] = Route(status=status, body=b"", headers=headers)

    with pytest.raises(SourceError, match=expected) as caught:
        check(make_source(http_server, environ, **settings))

    assert caught.value.http_status == status
    assert KEY not in caught.value.message


def test_check_with_an_exhausted_quota_says_when_it_resets(http_server: LocalServer) -> None:
    http_server.routes["/se/search/advanced"] = api(
        {**NEWEST, "quota_max": 300, "quota_remaining": 0}
    )

    with pytest.raises(SourceError) as caught:
        check(make_source(http_server))

    assert re.fullmatch(
        r"Stack Exchange daily quota used up \(0 of 300 requests left\); it resets at 00:00 UTC,"
        r" in (\d+h\d\dm|\d+m|\d+s); an app key raises it from 300 to 10,000 a day: set key_env"
        r" \(register an app at https://stackapps.com/apps/oauth/register to get a key\)",
        caught.value.message,
    )
    assert caught.value.retry_after is not None and int(caught.value.retry_after) > 0


def test_check_with_a_missing_key_names_the_env_var(http_server: LocalServer) -> None:
    with pytest.raises(SourceError, match=r"missing credential: set \$SE_KEY"):
        check(make_source(http_server, {}, key_env="SE_KEY"))


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"site": "super user"}, "site"),
        ({"site": "https://superuser.com"}, "site"),
        ({"site": "superuser", "base_url": "ftp://api.example"}, "base_url"),
        ({"site": "superuser", "page_size": 0}, "page_size"),
        ({"site": "superuser", "page_size": 101}, "page_size"),
        ({"site": "superuser", "max_pages": 0}, "max_pages"),
        ({"site": "superuser", "query": "  "}, "query"),
    ],
)
def test_settings_are_validated(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(FieldError) as caught:
        StackExchangeSettings(**settings)
    assert caught.value.key == key


def test_the_kind_is_registered() -> None:
    assert source_class("stackexchange") is StackExchangeSource
    assert StackExchangeSource.has_threads
    assert StackExchangeSettings(site="superuser").base_url == "https://api.stackexchange.com/2.3"


# --- a whole scan -----------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data" / "mentionwatch.db") as opened:
        yield opened


def scan_config(tmp_path: Path, server: LocalServer) -> Path:
    return write_config(
        tmp_path,
        "[[sources]]\n"
        'name = "superuser"\n'
        'kind = "stackexchange"\n'
        'site = "superuser"\n'
        f'base_url = "{server.url("/se")}"\n'
        'key_env = "SE_KEY"\n'
        'interval = "30m"\n',
    )


def serve_scan(server: LocalServer) -> None:
    server.routes["/se/search/advanced"] = api(wrapper(NEWEST["items"] + OLDER["items"]))
    serve_threads(server)


def test_a_scan_stores_the_questions_with_their_reach(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    serve_scan(http_server)

    report = run_scan(
        load_config(scan_config(tmp_path, http_server)),
        store,
        force=True,
        clock=lambda: T0,
        environ={"SE_KEY": KEY},
    )

    (source,) = report.sources
    assert source.error is None, source.error
    assert (source.items_seen, source.relevant, source.new) == (5, 5, 5)
    stored = {m.native_id: m for m in (store.mention(i) for i in range(1, 6)) if m}
    assert stored["1841001"].reach == 3
    assert stored["1840950"].reach == -1
    assert stored["1841001"].url == Q1
    assert stored["1840990"].author is None
    assert store.source_state("superuser", "stackexchange").cursor == str(Q1_CREATED)


def test_a_scan_marks_the_threads_the_brand_answered(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    serve_scan(http_server)

    run_scan(
        load_config(scan_config(tmp_path, http_server)),
        store,
        force=True,
        clock=lambda: T0,
        environ={"SE_KEY": KEY},
    )

    stored = {m.native_id: m for m in (store.mention(i) for i in range(1, 6)) if m}
    nested, direct = stored["1841001"], stored["1840950"]
    assert nested.status is MentionStatus.ANSWERED
    assert nested.answered_by == "AcmeSupport"  # three levels deep
    assert nested.answered_url == f"{Q1}#comment2912055_1841020"
    assert nested.answered_at == utc(Q1_CREATED + 3600)
    assert direct.status is MentionStatus.ANSWERED
    assert direct.answered_by == "JoAtAcme"
    assert direct.answered_url == f"{Q4}/1840962#1840962"
    assert direct.answered_at == T0 - timedelta(hours=20) + timedelta(seconds=3000)
    # Only others replied, or nobody did: still open.
    assert stored["1840990"].status is MentionStatus.OPEN
    assert stored["1840975"].status is MentionStatus.OPEN
    assert {m.native_id for m in store.open_mentions()} == {"1840990", "1840975", "1840901"}


# --- the demo's Stack Exchange ----------------------------------------------------------------


class _DemoRoutes(dict[str, Any]):
    """Routes every path under /stackexchange to the demo router, as the demo server does."""

    def __init__(self, route: Callable[[DemoRequest], DemoResponse | None]) -> None:
        super().__init__()
        self.route = route

    def get(self, key: str, default: Any = None) -> Any:
        def answer(seen: SeenRequest) -> Route:
            path = seen.path.split("?")[0].removeprefix("/stackexchange")
            response = self.route(DemoRequest("GET", path, seen.query, seen.headers))
            if response is None:
                return Route(status=404, body=b"not found")
            headers = {"Content-Type": response.content_type, **response.headers}
            return Route(body=response.body, status=response.status, headers=headers)

        return answer if key.startswith("/stackexchange/") else default


def demo_posts(now: datetime) -> list[dict[str, Any]]:
    posts = []
    for post in load_dataset()["posts"]:
        if post.get("platform") != "stackexchange":
            continue
        created = now - timedelta(minutes=post["minutes_ago"])
        replies = [
            {**r, "created_at": created + timedelta(minutes=r["minutes_after"])}
            for r in post.get("replies") or []
        ]
        posts.append({**post, "created_at": created, "replies": replies})
    return posts


def test_the_demo_api_serves_the_demo_posts_to_the_real_source(
    http_server: LocalServer, tmp_path: Path, store: Store
) -> None:
    posts = demo_posts(T0)
    assert len(posts) >= 4
    http_server.routes = _DemoRoutes(demo.router(posts, T0))
    dataset = load_dataset()
    config = parse_config(
        {
            "brand": dataset["brand"],
            "sources": [demo.source_table(http_server.url("/stackexchange"))],
        },
        tmp_path / "demo-config.toml",
    )

    report = run_scan(config, store, force=True, clock=lambda: T0, environ=DEMO_ENVIRON)

    (source,) = report.sources
    assert source.error is None, source.error
    assert source.new == len(posts)
    assert single(http_server.requests[0], "q") == "Brightloop"  # "Brightloop Hub" is covered
    stored = {m.native_id: m for m in (store.mention(i) for i in range(1, len(posts) + 1)) if m}
    assert set(stored) == {post["id"] for post in posts}
    nested = stored["1841377"]
    assert nested.title == "Brightloop Hub 2 drops all Wi-Fi clients every night around 2am"
    assert nested.author == "Priya K."
    assert nested.reach == 7
    assert nested.status is MentionStatus.ANSWERED
    assert nested.answered_by == "BrightloopHelp"
    assert nested.answered_at == T0 - timedelta(minutes=420 - 150)
    assert nested.answered_url is not None
    assert nested.answered_url.startswith(f"{nested.url}#comment")
    seen = {
        reply.native_id.split(":")[0] + str(reply.depth) for reply, _ in store.replies(nested.id)
    }
    assert seen == {"answer1", "comment2", "comment3"}
    upload = stored["1841250"]
    assert upload.status is MentionStatus.ANSWERED
    assert upload.answered_url is not None and upload.answered_url.startswith(f"{upload.url}/")
    deleted = [reply for reply, _ in store.replies(upload.id) if reply.author is None]
    assert [r.depth for r in deleted] == [1]  # a comment by a deleted account
    # A complaint only other users replied to, and questions nobody from the brand answered.
    for native_id in ("1841602", "1839214", "1840077"):
        assert stored[native_id].status is MentionStatus.OPEN, native_id


def test_the_demo_api_answers_like_the_real_one(http_server: LocalServer) -> None:
    route = demo.router(demo_posts(T0), T0)

    def get(path: str, **query: str) -> tuple[int, dict[str, Any]]:
        response = route(DemoRequest("GET", path, {k: [v] for k, v in query.items()}, {}))
        assert response is not None
        return response.status, json.loads(response.body)

    status, error = get("/search/advanced", site="superusr", q="Brightloop")
    assert (status, error["error_name"]) == (400, "bad_parameter")
    assert error["error_message"] == "No site found for name `superusr`"
    status, page = get("/search/advanced", site="superuser", q="Brightloop", pagesize="2")
    assert status == 200 and page["has_more"] is True and len(page["items"]) == 2
    assert "body" not in page["items"][0]  # the default filter has no bodies
    assert page["quota_max"] == 300 and page["quota_remaining"] < 300
    _, page = get("/search/advanced", site="superuser", q="wipes port", filter="withbody")
    (question,) = page["items"]
    assert question["title"] == (
        "Brightloop router wipes my port forwarding rules after every firmware update"
    )
    assert question["body"].startswith("<p>Third time this month")
    assert "It&#39;s ridiculous that there&#39;s no export" in question["body"]
    assert route(DemoRequest("GET", "/answers/1/answers", {}, {})) is None
    assert route(DemoRequest("POST", "/search/advanced", {}, {})) is None
