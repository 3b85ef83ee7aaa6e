"""GitHub issues and pull requests that name the brand, and the replies under them.

Search: `GET /search/issues?q=TERMS in:title,body [repo:..] [org:..] created:>=CURSOR` sorted by
creation date. The first poll reads the newest page only (`order=desc`). Later polls read
*oldest first* (`order=asc`) from the cursor, so that stopping at `max_pages` (or at an exhausted
rate limit) never leaves a gap: the next poll carries on where this one stopped. The cursor is the
newest `created_at` seen; the query asks from `cursor - lookback`, because the search index lags
a little behind new issues. Items at or after the cursor come back again: the store dedupes
them by id.

Threads: an issue's comments (`/repos/O/R/issues/N/comments`, flat: GitHub has no nested issue
comments, a quoted reply is still a direct reply, depth 1). For a pull request also its review
comments (`/pulls/N/comments`: a top-level review comment is depth 1, a reply in its thread, found
through `in_reply_to_id`, depth 2; GitHub does not allow replies to replies, so 2 is the deepest
level GitHub has) and its submitted reviews (`/pulls/N/reviews`, depth 1). Pages follow the
`Link` header's `rel="next"`; the page number is taken from it but the URL is always rebuilt on
`base_url`, so the token is never sent to a host the Link header names.

Authors are `user.login` exactly as GitHub shows it. A deleted account is `user: null` in the API
and `ghost` on the web: both become None. Issues opened by bots (`user.type == "Bot"`: Dependabot,
Renovate, release bots) are skipped unless `include_bots = true`; replies by bots are kept (the
scan decides, by handle, whose reply counts).

Reach: the item's `reactions.total_count` plus its `comments` count, both in the search result,
so no extra request per item (a repository's stars would cost one request per repository).

Bodies are Markdown, kept as Markdown: only inline HTML (comments of issue templates, `<details>`,
`<br>`) is removed and HTML entities are decoded; code spans and fenced code blocks are left
exactly as written, so `Vec<u8>` stays `Vec<u8>`.

Rate limits: search allows 10 requests a minute without a token and 30 with one; everything else
60 an hour without a token and 5,000 with one. An exhausted limit arrives as a 2xx with
`x-ratelimit-remaining: 0` (then `retry_after_s` tells the scan when to poll again) or as a 403 or
429, with `retry-after` (secondary limits) or `x-ratelimit-reset` (primary limits). `HttpFetcher`
only passes `retry-after` on, so without it the reset time is read from `GET /rate_limit`, which
does not count against any limit.

Shapes from: docs.github.com REST reference, as published in github/docs
src/rest/data/fpt-2022-11-28/search.json ("Search issues and pull requests": example and schema,
`user` nullable, `pull_request` present only on pull requests, `reactions`), the examples
`issue-comment-items` and `review-comment-items` (`in_reply_to_id`) of github/rest-api-description,
"Create a reply for a review comment" ("Replies to replies are not supported"), "Rate limits for
the REST API" and "Troubleshooting the REST API" (403/429, `x-ratelimit-remaining: 0`,
`x-ratelimit-reset` in epoch seconds, `retry-after`), "Understanding the search syntax"
(`created:>=YYYY-MM-DDTHH:MM:SSZ`, quoted phrases, at most five AND/OR/NOT operators), "Using
pagination in the REST API" (`Link: <...?page=2>; rel="next"`); deleted authors from
giscus/giscus#391 and databricks/spark-pr-dashboard#68 (`user: null` in the API, `ghost` on the
web); rate-limit headers as sent, from KnpLabs/php-github-api#1072.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mentionwatch.config import FieldError
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher, HttpResponse, decode_json, redact, retry_after_seconds
from mentionwatch.models import Mention, Reply, SearchResult, SourceState
from mentionwatch.sources.base import Source
from mentionwatch.text import html_to_text, is_web_url
from mentionwatch.times import parse_iso8601

API_VERSION = "2022-11-28"
#: GitHub's search returns at most this many results for any query, whatever the paging.
SEARCH_RESULT_CAP = 1000
#: "You can't have more than five AND, OR, or NOT operators" in one search query.
MAX_SEARCH_OPERATORS = 5
#: Pages of 100 comments read per thread at most (2,000 comments): a bound, not a real limit.
MAX_THREAD_PAGES = 20
TOKEN_HELP = (
    "a GitHub personal access token from https://github.com/settings/tokens"
    " (a fine-grained token with read-only access to public repositories is enough)"
)

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_ORG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_THREAD_REF = re.compile(r"^([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)/(issues|pull)/([0-9]+)$")
_NEXT_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')
#: The login GitHub shows for a deleted account.
_DELETED_LOGIN = "ghost"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class GitHubSettings:
    #: The REST API root; GitHub Enterprise Server: "https://HOST/api/v3".
    base_url: str = "https://api.github.com"
    #: Search terms replacing the brand's (GitHub search syntax); `repos`, `orgs` and the
    #: cursor's `created:` are still added.
    query: str | None = None
    #: Only these repositories ("owner/name"); with `orgs`, either matches.
    repos: tuple[str, ...] = ()
    #: Only repositories of these users or organisations.
    orgs: tuple[str, ...] = ()
    #: The environment variable (or file) holding a token. Optional, but without one search
    #: allows 10 requests a minute and threads 60 requests an hour.
    token_env: str | None = None
    token_file: str | None = None
    #: Results per search page (at most 100) and pages per poll.
    per_page: int = 50
    max_pages: int = 3
    #: Keep issues and pull requests opened by bot accounts (Dependabot, Renovate...).
    include_bots: bool = False
    #: Read pull requests' review comments and reviews too (two more requests per PR thread).
    review_comments: bool = True
    #: How far before the cursor each poll looks again: GitHub's search index lags a little.
    lookback: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if not is_web_url(self.base_url):
            raise FieldError("base_url", "an http:// or https:// API address")
        if self.query is not None and not self.query.strip():
            raise FieldError("query", "a non-empty GitHub search query")
        for repo in self.repos:
            if not _REPO.match(repo):
                raise FieldError("repos", f'repositories as "owner/name", not {repo!r}')
        for org in self.orgs:
            if not _ORG.match(org):
                raise FieldError("orgs", f"GitHub user or organisation names, not {org!r}")
        if not 1 <= self.per_page <= 100:
            raise FieldError("per_page", "a number from 1 to 100")
        if self.max_pages < 1:
            raise FieldError("max_pages", "at least 1")
        if self.per_page * self.max_pages > SEARCH_RESULT_CAP:
            raise FieldError(
                "max_pages",
                f"at most {SEARCH_RESULT_CAP // self.per_page} with per_page = {self.per_page}"
                f" (GitHub returns only the first {SEARCH_RESULT_CAP} results of a search)",
            )


class _ThreadGone(Exception):
    """The issue, or its repository, is gone or no longer visible: an empty thread."""


class GitHubSource(Source):
    kind = "github"
    Settings = GitHubSettings
    has_threads = True

    # --- search ------------------------------------------------------------------------------

    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        settings: GitHubSettings = self.settings
        headers = self._headers()
        since = parse_time(state.cursor) if state.cursor else None
        params = {
            "q": self.search_query(since),
            "sort": "created",
            # Newest first on the first poll (only the latest page matters); oldest first after
            # that, so a poll cut short resumes where it stopped instead of leaving a gap.
            "order": "desc" if since is None else "asc",
            "per_page": str(settings.per_page),
        }
        pages = 1 if since is None else settings.max_pages
        items: dict[str, dict[str, Any]] = {}
        status: int | None = None
        retry_after_s: float | None = None
        for page in range(1, pages + 1):
            response = await self._get(
                http, "/search/issues", {**params, "page": str(page)}, headers, "search"
            )
            status = response.status_code
            page_items = search_items(decode_json(response))
            for item in page_items:
                if isinstance(item, dict) and item.get("id") is not None:
                    items.setdefault(str(item["id"]), item)
            retry_after_s = exhausted_limit_wait(response.headers)
            if retry_after_s is not None or len(page_items) < settings.per_page:
                break
        mentions = [
            self.mention(item)
            for item in items.values()
            if settings.include_bots or not is_bot(item.get("user"))
        ]
        return SearchResult(
            mentions=mentions,
            cursor=next_cursor(items.values(), since),
            http_status=status,
            items_seen=len(items),
            retry_after_s=retry_after_s,
        )

    def search_query(self, since: datetime | None) -> str:
        """The `q` parameter: the terms, the scope, and the cursor's `created:>=`."""
        settings: GitHubSettings = self.settings
        if settings.query is not None:
            parts = [settings.query.strip()]
        else:
            parts = [terms_query(self.brand.terms), "in:title,body"]
        parts += [f"repo:{repo}" for repo in settings.repos]
        parts += [f"org:{org}" for org in settings.orgs]
        if since is not None:
            parts.append(f"created:>={format_time(since - settings.lookback)}")
        return " ".join(parts)

    def mention(self, item: Mapping[str, Any]) -> Mention:
        reactions = item.get("reactions")
        reacted = reactions.get("total_count") if isinstance(reactions, dict) else None
        reach = _count(reacted) + _count(item.get("comments"))
        url = str(item.get("html_url") or "")
        return Mention(
            source=self.name,
            kind=self.kind,
            native_id=str(item["id"]),
            url=url if is_web_url(url) else "",
            # Titles are plain text on GitHub, shown exactly as typed.
            title=str(item.get("title") or "").strip(),
            text=markdown_to_text(str(item.get("body") or "")),
            created_at=parse_time(item.get("created_at")),
            author=login(item.get("user")),
            reach=reach,
            thread_ref=thread_ref(item),
        )

    # --- threads -----------------------------------------------------------------------------

    async def thread_replies(self, http: HttpFetcher, thread_ref: str) -> list[Reply]:
        settings: GitHubSettings = self.settings
        match = _THREAD_REF.match(thread_ref)
        if not match or {".", ".."} & set(match.groups()[:2]):
            raise SourceError(f"not a GitHub thread reference: {thread_ref!r}")
        owner, repo, kind, number = match.groups()
        headers = self._headers()
        base = f"/repos/{owner}/{repo}"
        try:
            comments = await self._pages(http, f"{base}/issues/{number}/comments", headers)
            replies = [r for r in map(issue_comment_reply, comments) if r]
            if kind == "pull" and settings.review_comments:
                review_comments = await self._pages(
                    http, f"{base}/pulls/{number}/comments", headers
                )
                replies += review_comment_replies(review_comments)
                reviews = await self._pages(http, f"{base}/pulls/{number}/reviews", headers)
                replies += [r for r in map(review_reply, reviews) if r]
        except _ThreadGone:
            return []
        far_future = datetime.max.replace(tzinfo=timezone.utc)
        return sorted(replies, key=lambda r: r.created_at or far_future)

    async def _pages(
        self, http: HttpFetcher, path: str, headers: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list endpoint, following `Link: rel="next"`."""
        found: list[dict[str, Any]] = []
        page = 1
        for _ in range(MAX_THREAD_PAGES):
            params = {"per_page": "100", "page": str(page)}
            try:
                response = await self._get(http, path, params, headers, "core")
            except SourceError as exc:
                if exc.http_status in (404, 410):
                    raise _ThreadGone from None
                raise
            body = decode_json(response)
            if not isinstance(body, list):
                raise SourceError(
                    f"unexpected answer from {redact(response.url)}: expected a JSON list"
                )
            found += [entry for entry in body if isinstance(entry, dict)]
            following = next_page(response.headers.get("link", ""), page)
            if following is None:
                break
            page = following
        return found

    # --- check -------------------------------------------------------------------------------

    async def check(self, http: HttpFetcher) -> str:
        headers = self._headers()
        query = self.search_query(None)
        params = {"q": query, "sort": "created", "order": "desc", "per_page": "1"}
        response = await self._get(http, "/search/issues", params, headers, "search")
        body = decode_json(response)
        search_items(body)
        total = _count(body.get("total_count"))
        remaining = response.headers.get("x-ratelimit-remaining", "?")
        limit = response.headers.get("x-ratelimit-limit", "?")
        who = (
            "with a token"
            if "Authorization" in headers
            else "without a token (set token_env for 30 searches a minute)"
        )
        return (
            f"works: {total:,} issue(s) and pull request(s) match {query!r};"
            f" {remaining}/{limit} searches left this minute, {who}"
        )

    # --- HTTP --------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        settings: GitHubSettings = self.settings
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        wanted = settings.token_env or settings.token_file
        token = self.secret("token", required=False)
        if token is None and wanted:
            where = f"${settings.token_env}" if settings.token_env else settings.token_file
            raise SourceError(
                f"missing credential: set {where} to {TOKEN_HELP}, or remove token_env and"
                f" token_file from the [[sources]] entry '{self.name}' to search without a"
                " token (10 searches a minute)"
            )
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _url(self, path: str) -> str:
        settings: GitHubSettings = self.settings
        return settings.base_url.rstrip("/") + path

    async def _get(
        self,
        http: HttpFetcher,
        path: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        resource: str,
    ) -> HttpResponse:
        try:
            return await http.get(self._url(path), params=params, headers=headers)
        except SourceError as exc:
            raise await self._explain(http, exc, path, headers, resource) from None

    async def _explain(
        self,
        http: HttpFetcher,
        exc: SourceError,
        path: str,
        headers: Mapping[str, str],
        resource: str,
    ) -> SourceError:
        """What an HTTP error from GitHub means, and what to do about it."""
        status = exc.http_status
        settings: GitHubSettings = self.settings
        where = redact(self._url(path))
        if status == 401 and "Authorization" not in headers:
            return SourceError(
                f"GitHub asks for a token (HTTP 401 from {where}): set token_env on this"
                f" source to the name of an environment variable holding {TOKEN_HELP}",
                http_status=401,
                advised=True,
            )
        if status == 401:
            holder = f"${settings.token_env}" if settings.token_env else settings.token_file
            return SourceError(
                f"GitHub rejected the token in {holder} (HTTP 401 Bad credentials): it is wrong,"
                f" expired or revoked; replace it with {TOKEN_HELP}",
                http_status=401,
                advised=True,
            )
        if status in (403, 429):
            wait = retry_after_seconds(exc.retry_after)
            if wait is None:
                wait = await self._rate_limit_wait(http, headers, resource)
            if wait is not None:
                hint = (
                    "" if "Authorization" in headers else "; a token (token_env) raises the limit"
                )
                return SourceError(
                    f"GitHub rate limit reached (HTTP {status} from {where}): {retry_when(wait)}"
                    + hint,
                    http_status=status,
                    advised=True,
                    retry_after=str(round(wait)),
                )
            if status == 429:
                return SourceError(
                    f"GitHub rate limit reached (HTTP 429 from {where}): wait a minute, then retry",
                    http_status=429,
                    advised=True,
                )
            return SourceError(
                f"GitHub refused access (HTTP 403 Forbidden from {where}): the token may lack"
                " access to these repositories, or need SSO authorisation for the organisation"
                " (https://github.com/settings/tokens)",
                http_status=403,
                advised=True,
            )
        if status == 422:
            return SourceError(
                f"GitHub rejected the search (HTTP 422 from {where}): check this source's"
                " query, repos and orgs (a repository or organisation that does not exist, or"
                " that the token cannot see, fails the whole search)",
                http_status=422,
                advised=True,
            )
        return exc

    async def _rate_limit_wait(
        self, http: HttpFetcher, headers: Mapping[str, str], resource: str
    ) -> float | None:
        """Seconds until the exhausted limit resets, from `/rate_limit` (free to call); None
        when that limit is not exhausted (then a 403 is about access, not about the rate)."""
        try:
            body = await http.get_json(self._url("/rate_limit"), headers=headers)
        except SourceError:
            return None
        resources = body.get("resources") if isinstance(body, dict) else None
        limit = resources.get(resource) if isinstance(resources, dict) else None
        if not isinstance(limit, dict) or limit.get("remaining") != 0:
            return None
        reset = limit.get("reset")
        if not isinstance(reset, (int, float)) or isinstance(reset, bool):
            return None
        return max(0.0, float(reset) - time.time())


# --- pure helpers ---------------------------------------------------------------------------


def terms_query(terms: Sequence[str]) -> str:
    """`("Acme" OR "Road Runner")` from the brand's terms, minus phrases that contain another
    term (they match nothing more; the scan checks relevance again)."""
    cleaned: list[str] = []
    for term in terms:
        plain = term.replace('"', " ").strip()
        plain = " ".join(plain.split())
        if plain and plain.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(plain)
    kept = [
        term
        for term in cleaned
        if not any(
            len(other) < len(term)
            and re.search(rf"(?<!\w){re.escape(other)}(?!\w)", term, re.IGNORECASE)
            for other in cleaned
        )
    ]
    if len(kept) > MAX_SEARCH_OPERATORS + 1:
        raise SourceError(
            f"brand.terms has {len(kept)} distinct terms, but a GitHub search allows at most"
            f" {MAX_SEARCH_OPERATORS} OR operators: set `query` on this source instead"
        )
    joined = " OR ".join(f'"{term}"' for term in kept)
    # Parentheses keep the qualifiers that follow (repo:, created:) applying to every term.
    return f"({joined})" if len(kept) > 1 else joined


def search_items(body: Any) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise SourceError("unexpected answer from GitHub search: no list of items")
    items: list[Any] = body["items"]
    return items


def next_cursor(items: Any, since: datetime | None) -> str | None:
    """The newest `created_at` seen (never older than the previous cursor)."""
    moments = [parse_time(item.get("created_at")) for item in items]
    known = [m for m in moments if m is not None]
    if since is not None:
        known.append(since)
    return format_time(max(known)) if known else None


def thread_ref(item: Mapping[str, Any]) -> str | None:
    """`owner/repo/issues/N` or `owner/repo/pull/N`, from the API's `repository_url`."""
    path = urlsplit(str(item.get("repository_url") or "")).path.rstrip("/").split("/")
    number = item.get("number")
    if len(path) < 2 or not isinstance(number, int) or isinstance(number, bool):
        return None
    kind = "pull" if item.get("pull_request") else "issues"
    ref = f"{path[-2]}/{path[-1]}/{kind}/{number}"
    return ref if _THREAD_REF.match(ref) else None


def issue_comment_reply(comment: Mapping[str, Any]) -> Reply | None:
    if comment.get("id") is None:
        return None
    return Reply(
        native_id=f"issuecomment-{comment['id']}",
        author=login(comment.get("user")),
        created_at=parse_time(comment.get("created_at")),
        url=_web_url(comment.get("html_url")),
        text=markdown_to_text(str(comment.get("body") or "")),
        depth=1,
    )


def review_comment_replies(comments: Sequence[Mapping[str, Any]]) -> list[Reply]:
    """Review comments, with their depth from the `in_reply_to_id` chain (GitHub attaches every
    reply to the thread's first comment, so this is 1 or 2)."""
    by_id = {c["id"]: c for c in comments if c.get("id") is not None}

    def depth(comment: Mapping[str, Any]) -> int:
        level, seen = 1, set()
        parent = comment.get("in_reply_to_id")
        while parent is not None and parent not in seen:
            seen.add(parent)
            level += 1
            if parent not in by_id:  # the comment replied to was deleted
                break
            parent = by_id[parent].get("in_reply_to_id")
        return level

    return [
        Reply(
            native_id=f"discussion_r{comment['id']}",
            author=login(comment.get("user")),
            created_at=parse_time(comment.get("created_at")),
            url=_web_url(comment.get("html_url")),
            text=markdown_to_text(str(comment.get("body") or "")),
            depth=depth(comment),
        )
        for comment in by_id.values()
    ]


def review_reply(review: Mapping[str, Any]) -> Reply | None:
    """A submitted review. A pending one is a draft nobody else sees; a "commented" review with
    no text only wraps review comments, which are replies of their own."""
    state = str(review.get("state") or "")
    body = str(review.get("body") or "")
    if review.get("id") is None or state == "PENDING" or (state == "COMMENTED" and not body):
        return None
    return Reply(
        native_id=f"pullrequestreview-{review['id']}",
        author=login(review.get("user")),
        created_at=parse_time(review.get("submitted_at")),
        url=_web_url(review.get("html_url")),
        text=markdown_to_text(body),
        depth=1,
    )


def login(user: Any) -> str | None:
    """The author as GitHub names them; None for a deleted account (null, or `ghost`)."""
    if not isinstance(user, dict):
        return None
    name = str(user.get("login") or "").strip()
    return None if not name or name.casefold() == _DELETED_LOGIN else name


def is_bot(user: Any) -> bool:
    return isinstance(user, dict) and user.get("type") == "Bot"


def next_page(link_header: str, page: int) -> int | None:
    """The page number `Link: <...>; rel="next"` points at, or None on the last page."""
    for part in link_header.split(","):
        match = _NEXT_LINK.search(part)
        if match:
            numbers = parse_qs(urlsplit(match.group(1)).query).get("page", [])
            following = int(numbers[0]) if numbers and numbers[0].isdigit() else page + 1
            return following if following > page else None
    return None


def exhausted_limit_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait when this response used the last request of the limit, else None."""
    if headers.get("x-ratelimit-remaining", "").strip() != "0":
        return None
    reset = headers.get("x-ratelimit-reset", "").strip()
    if not reset.isdigit():
        return 60.0  # GitHub's own advice when it does not say: wait at least a minute
    return max(0.0, int(reset) - (time.time() if now is None else now))


def retry_when(seconds: float) -> str:
    at = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    wait = f"{max(1, round(seconds))} s" if seconds < 90 else f"{round(seconds / 60)} min"
    return f"retry after {at:%H:%M} UTC (in {wait})"


parse_time = parse_iso8601  # GitHub's "2026-11-20T08:15:00Z" as aware UTC


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(_TIME_FORMAT)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _web_url(value: Any) -> str:
    url = str(value or "")
    return url if is_web_url(url) else ""


# --- Markdown ---------------------------------------------------------------------------------

_FENCED_CODE = re.compile(
    r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)", re.S | re.M
)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>", re.IGNORECASE)
_HOLD_START, _HOLD_END = "\ue000", "\ue001"
_HELD = re.compile(f"{_HOLD_START}([0-9]+){_HOLD_END}")


def markdown_to_text(markdown: str) -> str:
    """A GitHub Markdown body as plain text: inline HTML removed and entities decoded, the
    Markdown itself (and every code span and code block, byte for byte) kept."""
    held: list[str] = []

    def hold(match: re.Match[str]) -> str:
        held.append(match.group(0))
        return f"{_HOLD_START}{len(held) - 1}{_HOLD_END}"

    text = markdown.replace("\r\n", "\n").replace(_HOLD_START, "").replace(_HOLD_END, "")
    text = _FENCED_CODE.sub(hold, text)
    text = _CODE_SPAN.sub(hold, text)
    text = _AUTOLINK.sub(r"\1", text)  # <https://...> is a link, not a tag
    text = html_to_text(text)
    return _HELD.sub(lambda m: held[int(m.group(1))].strip("\n"), text)
