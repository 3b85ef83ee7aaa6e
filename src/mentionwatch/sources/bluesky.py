"""Bluesky: posts naming the brand, through a logged-in session, and the replies under them.

Login is `com.atproto.server.createSession` (POST `{identifier, password}`) with the handle from
`identifier_env` and an *app password* from `app_password_env` (or the `_file` variants); its
`accessJwt` goes out as `Authorization: Bearer`. Every call goes to `base_url`, the account's
PDS or the `https://bsky.social/xrpc` entryway, which proxies `app.bsky.*` reads to the Bluesky
AppView. Post search needs that session: Bluesky turned off unauthenticated `searchPosts` in
January 2025 (public.api.bsky.app answers 403; bluesky-social/atproto#3423, #3891), so a
login is required. `getPostThread` needs none on the public AppView: by default threads are
read through `base_url` with the same session (one host, and tests and the demo stay local),
and `thread_base_url = "https://public.api.bsky.app/xrpc"` reads them there anonymously, which
saves the login a thread check would otherwise cost (the scan checks threads on every run).

Logins are scarce (createSession: 30 per 5 minutes and 300 a day per account, and the
bsky.social entryway has been seen to count 100 a day, bsky-docs#183), so a session is kept in
memory for the life of the process, shared by the scan's search and its thread check, and
renewed only when the token's own `exp` is near or the server rejects it (HTTP 401, or 400
`ExpiredToken` / `InvalidToken`): then the source logs in again, once. Nothing is written to
disk, so each `mentionwatch scan` that reaches Bluesky logs in once: scans every 30 minutes
make 48 logins a day. The scan re-reads open threads on every run, due or not, so frequent
scans log in each time unless `thread_base_url` reads threads from the public AppView.

Search is `app.bsky.feed.searchPosts` with `sort=latest`, one query per brand term (a term
whose words include another term's is left out, it finds nothing new) unless `query` is set;
the response's `cursor` pages further back. Our own scan cursor is the newest `sortAt` seen:
the earlier of the record's `createdAt` and the AppView's `indexedAt` (bsky-docs
"Timestamps"), which the lexicon says `since` filters on. Later polls send it back, less
`overlap`, as `since` (posts indexed late still turn up; the store recognises the ones it has)
and read every page up to `max_pages`; the first poll reads the newest page only.

A thread is `app.bsky.feed.getPostThread` (`uri`, `depth`, `parentHeight=0`): `thread.replies`
nest to any depth, and any node may be an `app.bsky.feed.defs#notFoundPost` (deleted) or
`#blockedPost`, which are skipped with whatever hung under them. A missing root is HTTP 400
`NotFound`, or a `notFoundPost` / `blockedPost` thread: no replies.

Values: `native_id` and `thread_ref` are the post's `at://` URI; the web URL is
`https://bsky.app/profile/HANDLE/post/RKEY` (RKEY the URI's last segment; the author's DID
stands in for a handle that no longer verifies, `handle.invalid`, and such an author is None).
The author is `author.handle`, exactly as Bluesky shows it (a domain name such as
`acme.bsky.social` or `help.acme.com`: list those in `brand.handles.bluesky`). Text is the
record's `text`, plain text as typed (nothing HTML-decoded). Created is `sortAt`. Reach is
`author.followersCount` when the view carries it, else `likeCount + repostCount` (search
results carry the basic profile view, without follower counts).

Shapes from: the atproto lexicons (app.bsky.feed.searchPosts: `q`, `sort`, `since`, `limit`
1-100, `cursor`, output `cursor`/`hitsTotal`/`posts`; app.bsky.feed.getPostThread: `depth`
default 6 max 1000, `parentHeight`, error `NotFound`; app.bsky.feed.defs: postView `uri`,
`cid`, `author`, `record`, `replyCount`, `repostCount`, `likeCount`, `quoteCount`, `indexedAt`,
threadViewPost `post`/`parent`/`replies`, notFoundPost `uri`/`notFound`, blockedPost
`uri`/`blocked`/`author.did`; com.atproto.server.createSession: `identifier`, `password` ->
`accessJwt`, `refreshJwt`, `handle`, `did`, `active`, `status`); the PDS and AppView auth
verifiers (`InvalidRequestError('Token has expired', 'ExpiredToken')` -> 400 on the PDS,
`AuthRequiredError` -> 401 on the AppView) and xrpc-server's rate limiter (`RateLimit-Reset`
in epoch seconds); recorded postViews in SwiftBluesky's tests; the Python SDK
(MarshalX/atproto SessionMethodsMixin: renew from the JWT's `exp`); medialab's Bluesky API
notes (ExpiredToken as HTTP 400 after about 2 hours, `since` works on `sortAt`); the
bsky-docs pages "Rate Limits", "API Hosts and Auth" and "Timestamps".
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, overload

from mentionwatch.config import FieldError
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher, HttpResponse, decode_json, redact
from mentionwatch.models import Mention, Reply, SearchResult, SourceState
from mentionwatch.sources.base import Source
from mentionwatch.text import is_web_url
from mentionwatch.times import parse_iso8601

DEFAULT_BASE_URL = "https://bsky.social/xrpc"
WEB_POST_URL = "https://bsky.app/profile/{actor}/post/{rkey}"
APP_PASSWORDS_URL = "https://bsky.app/settings/app-passwords"
#: What the AppView shows for a handle that no longer verifies (@atproto/syntax).
INVALID_HANDLE = "handle.invalid"
THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
CREATE_SESSION = "com.atproto.server.createSession"
SEARCH_POSTS = "app.bsky.feed.searchPosts"
GET_POST_THREAD = "app.bsky.feed.getPostThread"
#: Renew a session this long before its token says it expires (tokens live about 2 hours).
RENEW_BEFORE_S = 300.0


@dataclass(frozen=True)
class BlueskySettings:
    #: Environment variable (or file) holding the handle to log in with, e.g. acme.bsky.social.
    identifier_env: str | None = "BLUESKY_HANDLE"
    identifier_file: str | None = None
    #: Environment variable (or file) holding an app password of that account (Settings >
    #: Privacy and security > App passwords), never the account's own password.
    app_password_env: str | None = "BLUESKY_APP_PASSWORD"
    app_password_file: str | None = None
    #: The PDS or entryway to log in at; it also proxies the app.bsky.* reads.
    base_url: str = DEFAULT_BASE_URL
    #: Search this instead of the brand's terms (Bluesky's query syntax: words, "phrases").
    query: str | None = None
    #: Posts per search page (the API allows 1 to 100).
    page_size: int = 50
    #: How many pages one poll may read when many posts arrived since the last one.
    max_pages: int = 5
    #: Each poll re-reads this much time before the cursor, for posts indexed late.
    overlap: timedelta = timedelta(minutes=10)
    #: How many levels of replies a thread check reads (the API allows up to 1000).
    thread_depth: int = 100
    #: Read threads here without logging in (https://public.api.bsky.app/xrpc, the public
    #: AppView); by default they are read through base_url with the session.
    thread_base_url: str | None = None

    def __post_init__(self) -> None:
        if not is_web_url(self.base_url):
            raise FieldError("base_url", f"an http:// or https:// URL (default {DEFAULT_BASE_URL})")
        if self.thread_base_url is not None and not is_web_url(self.thread_base_url):
            raise FieldError("thread_base_url", "an http:// or https:// URL")
        if not (self.identifier_env or self.identifier_file):
            raise FieldError("identifier_env", "the name of a variable holding a Bluesky handle")
        if not (self.app_password_env or self.app_password_file):
            raise FieldError("app_password_env", "the name of a variable holding an app password")
        if self.query is not None and not self.query.strip():
            raise FieldError("query", "a non-empty search query, or no `query` key at all")
        if not 1 <= self.page_size <= 100:
            raise FieldError("page_size", "a number of posts from 1 to 100")
        if not 1 <= self.max_pages <= 100:
            raise FieldError("max_pages", "a number of pages from 1 to 100")
        if self.overlap > timedelta(days=1):
            raise FieldError("overlap", 'a duration of at most "1d"')
        if not 1 <= self.thread_depth <= 1000:
            raise FieldError("thread_depth", "a number of levels from 1 to 1000")


class ExplainedError(SourceError):
    """A `SourceError` that already says what to do: never explained twice on its way up."""


@dataclass
class _Session:
    """A logged-in session. The token never appears in a repr, a message or the database."""

    access_jwt: str = field(repr=False)
    handle: str
    #: Unix time from the token's own `exp` claim; None when it carries none.
    expires_at: float | None

    def near_expiry(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at - RENEW_BEFORE_S


#: Sessions by (base_url, identifier, digest of the password), for this process only: the
#: scan's search and its thread check are separate `Source` objects, and logins are scarce.
_SESSIONS: dict[tuple[str, str, str], _Session] = {}


def forget_sessions() -> None:
    """Drop every session kept in memory (the next request logs in again)."""
    _SESSIONS.clear()


class BlueskySource(Source):
    kind = "bluesky"
    Settings = BlueskySettings
    has_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._login_lock = asyncio.Lock()
        #: True once this source has logged in again after a rejected token: never twice.
        self._renewed_after_rejection = False

    @property
    def bsky(self) -> BlueskySettings:
        settings: BlueskySettings = self.config.settings
        return settings

    def endpoint(self, nsid: str) -> str:
        # Never urljoin: the demo mounts the API under a path prefix.
        return f"{self.bsky.base_url.rstrip('/')}/{nsid}"

    def search_queries(self) -> list[str]:
        """The searches one poll runs: the `query` setting, else one per brand term.

        Bluesky search matches every word of a query, so a term whose words include all the
        words of another term ("Acme Hub" beside "Acme") finds nothing new and is left out.
        A term of several words is searched as a phrase.
        """
        if self.bsky.query:
            return [self.bsky.query.strip()]
        word_sets: dict[frozenset[str], str] = {}
        for term in self.brand.terms:
            text = " ".join(term.strip().strip('"').split())
            words = frozenset(re.findall(r"\w+", text.casefold()))
            if words and words not in word_sets:
                word_sets[words] = f'"{text}"' if " " in text else text
        queries = [
            text
            for words, text in word_sets.items()
            if not any(other < words for other in word_sets)
        ]
        return queries or [" ".join(term.split()) for term in self.brand.terms if term.strip()]

    # --- search -------------------------------------------------------------------------------

    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        since = parse_cursor(state.cursor)
        posts: dict[str, Mapping[str, Any]] = {}
        wait: float | None = None
        limited = False
        for query in self.search_queries():
            try:
                wait = max_wait(wait, await self._read_pages(http, query, since, posts))
            except SourceError as exc:
                if exc.http_status != 429 or not posts:
                    raise self.explain(exc, SEARCH_POSTS) from None
                # Rate-limited part-way: keep what came back, and the old cursor, so the next
                # poll reads the rest again.
                wait, limited = max_wait(wait, rate_limit_wait(exc.headers, exc.retry_after)), True
                break
        mentions = [self.post_to_mention(post) for post in posts.values()]
        newest = max((t for t in (sort_at(post) for post in posts.values()) if t), default=None)
        cursor = state.cursor
        if not limited and newest is not None and (since is None or newest > since):
            cursor = format_time(newest)
        return SearchResult(
            mentions=mentions,
            cursor=cursor,
            http_status=200,
            items_seen=len(posts),
            retry_after_s=wait,
        )

    async def _read_pages(
        self,
        http: HttpFetcher,
        query: str,
        since: datetime | None,
        into: dict[str, Mapping[str, Any]],
    ) -> float | None:
        """Read one query's pages into `into` (by URI); returns how long the API asked us to
        wait, if it did."""
        params = {"q": query, "sort": "latest", "limit": str(self.bsky.page_size)}
        floor = None if since is None else since - self.bsky.overlap
        if floor is not None:
            params["since"] = format_time(floor)
        pages = 1 if since is None else self.bsky.max_pages
        wait: float | None = None
        for _ in range(pages):
            response = await self._get(http, SEARCH_POSTS, params)
            wait = rate_limit_wait(response.headers)
            page, cursor = self._search_page(decode_json(response))
            for post in page:
                when = sort_at(post)
                if floor is None or when is None or when >= floor:
                    into.setdefault(str(post["uri"]), post)
            oldest = min((t for t in (sort_at(p) for p in page) if t), default=None)
            # A server that ignores `since` is caught by the dates themselves.
            if not page or not cursor or (floor is not None and oldest and oldest < floor):
                break
            params["cursor"] = cursor
        return wait

    def _search_page(self, body: Any) -> tuple[list[Mapping[str, Any]], str | None]:
        """The post views of one search page, and the cursor to the next one, if any."""
        if not isinstance(body, Mapping) or not isinstance(body.get("posts"), list):
            raise SourceError(
                f"unexpected answer from {redact(self.endpoint(SEARCH_POSTS))}: no `posts` list"
                f" (is base_url a Bluesky PDS? default {DEFAULT_BASE_URL})"
            )
        cursor = body.get("cursor")
        posts = [post for post in body["posts"] if is_post_view(post)]
        return posts, cursor if isinstance(cursor, str) and cursor else None

    def post_to_mention(self, post: Mapping[str, Any]) -> Mention:
        uri = str(post["uri"])
        return Mention(
            source=self.name,
            kind=self.kind,
            native_id=uri,
            url=web_url(post),
            title="",
            text=text_of(post),
            created_at=sort_at(post),
            author=handle_of(post),
            reach=reach_of(post),
            thread_ref=uri,
        )

    # --- threads ------------------------------------------------------------------------------

    async def thread_replies(self, http: HttpFetcher, thread_ref: str) -> list[Reply]:
        if not thread_ref.startswith("at://"):
            return []
        params = {"uri": thread_ref, "depth": str(self.bsky.thread_depth), "parentHeight": "0"}
        public = self.bsky.thread_base_url
        url = (
            f"{public.rstrip('/')}/{GET_POST_THREAD}" if public else self.endpoint(GET_POST_THREAD)
        )
        try:
            if public:  # the public AppView: no session, no login
                response = await http.request(
                    "GET", url, params=params, headers={"Accept": "application/json"}
                )
            else:
                response = await self._get(http, GET_POST_THREAD, params)
        except SourceError as exc:
            if exc.http_status == 400 and xrpc_error(exc)[0] == "NotFound":
                return []  # deleted, or its author's account is gone
            raise self.explain(exc, GET_POST_THREAD) from None
        body = decode_json(response)
        if not isinstance(body, Mapping) or not isinstance(body.get("thread"), Mapping):
            raise SourceError(f"unexpected answer from {redact(url)}: no `thread`")
        return list(flatten_replies(body["thread"]))

    # --- `mentionwatch sources test` ----------------------------------------------------------

    async def check(self, http: HttpFetcher) -> str:
        session = await self._session(http, renew=True)
        query = self.search_queries()[0]
        params = {"q": query, "sort": "latest", "limit": "1"}
        try:
            response = await self._get(http, SEARCH_POSTS, params)
        except SourceError as exc:
            raise self.explain(exc, SEARCH_POSTS) from None
        page, _ = self._search_page(decode_json(response))
        newest = sort_at(page[0]) if page else None
        found = (
            f"the newest post for {query!r} is from {newest:%Y-%m-%d %H:%M} UTC"
            if newest
            else f"no posts found for {query!r} yet"
        )
        return f"works: logged in to Bluesky as {session.handle}; {found}"

    # --- sessions -----------------------------------------------------------------------------

    async def _get(self, http: HttpFetcher, nsid: str, params: Mapping[str, str]) -> HttpResponse:
        """An authenticated GET; a rejected token means one new login and one retry."""
        session = await self._session(http)
        try:
            return await http.request(
                "GET", self.endpoint(nsid), params=params, headers=_auth_headers(session)
            )
        except SourceError as exc:
            if not token_rejected(exc):
                raise
            rejection = exc
        renewed = await self._session(http, rejected=session)
        if renewed is None:
            raise rejection
        return await http.request(
            "GET", self.endpoint(nsid), params=params, headers=_auth_headers(renewed)
        )

    @overload
    async def _session(self, http: HttpFetcher, *, renew: bool = False) -> _Session: ...

    @overload
    async def _session(self, http: HttpFetcher, *, rejected: _Session) -> _Session | None: ...

    async def _session(
        self, http: HttpFetcher, *, renew: bool = False, rejected: _Session | None = None
    ) -> _Session | None:
        """The session to use: the one kept in memory while its token is fresh, else a new
        login. After the server `rejected` a token: the session another request has already
        renewed, else one new login per source object, else None (give up)."""
        identifier, password = self._credentials()
        digest = hashlib.sha256(f"{identifier}\0{password}".encode()).hexdigest()
        key = (self.bsky.base_url.rstrip("/"), identifier.casefold(), digest)
        async with self._login_lock:
            current = _SESSIONS.get(key)
            if rejected is not None:
                if current is not None and current is not rejected:
                    return current
                if self._renewed_after_rejection:
                    return None
                self._renewed_after_rejection = True
            elif current is not None and not renew and not current.near_expiry(time.time()):
                return current
            _SESSIONS.pop(key, None)
            session = await self._create_session(http, identifier, password)
            _SESSIONS[key] = session
            return session

    def _credentials(self) -> tuple[str, str]:
        identifier = (self.secret("identifier", required=False) or "").strip().lstrip("@")
        if not identifier:
            raise SourceError(
                f"missing credential: set {self._where('identifier')} to the Bluesky handle to"
                f" log in with (e.g. acme.bsky.social), for the source '{self.name}'"
            )
        password = self.secret("app_password", required=False)
        if not password:
            raise SourceError(
                f"missing credential: set {self._where('app_password')} to an app password of"
                f" {identifier} (create one at {APP_PASSWORDS_URL}; never the account's own"
                f" password), for the source '{self.name}'"
            )
        return identifier, password

    def _where(self, key: str) -> str:
        env_name = getattr(self.bsky, f"{key}_env", None)
        file_name = getattr(self.bsky, f"{key}_file", None)
        places = [f"${env_name}" if env_name else "", f"the file {file_name}" if file_name else ""]
        return " or ".join(p for p in places if p)

    async def _create_session(self, http: HttpFetcher, identifier: str, password: str) -> _Session:
        url = self.endpoint(CREATE_SESSION)
        try:
            body = await http.post_json(url, {"identifier": identifier, "password": password})
        except SourceError as exc:
            raise self.explain(exc, CREATE_SESSION, secrets=(password,)) from None
        token = body.get("accessJwt") if isinstance(body, Mapping) else None
        if not isinstance(token, str) or not token:
            raise SourceError(
                f"{redact(url)} answered without an accessJwt: is base_url a Bluesky PDS"
                f" (default {DEFAULT_BASE_URL})?"
            )
        handle = body.get("handle")
        handle = handle if isinstance(handle, str) and handle else identifier
        status = body.get("status")
        if body.get("active") is False or status in ("takendown", "suspended", "deactivated"):
            raise SourceError(
                f"the Bluesky account {handle} is {status or 'not active'}: it cannot search;"
                " log in with an active account"
            )
        return _Session(access_jwt=token, handle=handle, expires_at=jwt_expiry(token))

    # --- errors -------------------------------------------------------------------------------

    def explain(self, exc: SourceError, nsid: str, *, secrets: Sequence[str] = ()) -> SourceError:
        """The HTTP error with Bluesky's own explanation and what a user can do about it."""
        if isinstance(exc, ExplainedError):
            return exc
        name, said = xrpc_error(exc)
        for secret in secrets:
            said = said.replace(secret, "***") if secret else said
        status = exc.http_status
        detail = f' ({name}: "{said}")' if name and said else f" ({name})" if name else ""
        identifier, password = self._where("identifier"), self._where("app_password")
        advice = ""
        if nsid == CREATE_SESSION and status in (400, 401):
            if name == "AuthFactorTokenRequired":
                advice = (
                    f"that is the account's own password, which asks for an email code: set"
                    f" {password} to an app password instead ({APP_PASSWORDS_URL})"
                )
            elif name == "AccountTakedown":
                advice = "the account has been taken down; log in with another account"
            else:
                advice = (
                    f"Bluesky refused the login: check {identifier} (a handle such as"
                    f" acme.bsky.social) and {password} (an app password from"
                    f" {APP_PASSWORDS_URL}; a deleted app password stops working)"
                )
        elif token_rejected(exc):
            advice = (
                "Bluesky rejected the session token even after logging in again; if this"
                f" lasts, create a new app password for {password}"
            )
        elif status == 403:
            advice = (
                "Bluesky refused the request: post search needs a logged-in session sent"
                f" through your PDS, so keep base_url at {DEFAULT_BASE_URL} or your own PDS"
                " (public.api.bsky.app and api.bsky.app refuse search without a login)"
            )
        elif status == 429:
            seconds = rate_limit_wait(exc.headers, exc.retry_after)
            when = f"retry in {seconds:.0f}s" if seconds is not None else "retry later"
            if nsid == CREATE_SESSION:
                advice = (
                    f"too many logins: {when}. Bluesky allows 30 logins per 5 minutes and 300"
                    " a day per account (bsky.social may count 100), and every scan logs in"
                    " once: keep `interval` at 30m or more"
                )
            else:
                advice = (
                    f"rate-limited by Bluesky (3,000 requests per 5 minutes per IP): {when};"
                    " a longer `interval` or fewer `max_pages` helps"
                )
        if not advice and not detail:
            return exc
        message = f"{exc.message}{detail}" + (f": {advice}" if advice else "")
        return ExplainedError(
            message,
            http_status=status,
            retry_after=exc.retry_after,
            headers=exc.headers,
            body=exc.body,
        )


def _auth_headers(session: _Session) -> dict[str, str]:
    return {"Authorization": f"Bearer {session.access_jwt}"}


# --- errors and sessions ----------------------------------------------------------------------


def xrpc_error(exc: SourceError) -> tuple[str, str]:
    """XRPC errors are JSON: `{"error": "ExpiredToken", "message": "Token has expired"}`."""
    try:
        data = json.loads(exc.body)
    except ValueError:
        return "", ""
    if not isinstance(data, Mapping):
        return "", ""
    name, message = data.get("error"), data.get("message")
    name = name if isinstance(name, str) and re.fullmatch(r"\w{1,60}", name) else ""
    message = " ".join(message.split())[:200] if isinstance(message, str) else ""
    return name, message


def token_rejected(exc: SourceError) -> bool:
    """The session is no good: 401 (the AppView's verdict), or the PDS's 400 ExpiredToken."""
    if exc.http_status == 401:
        return True
    return exc.http_status == 400 and xrpc_error(exc)[0] in ("ExpiredToken", "InvalidToken")


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, read without verifying it (only to know when to renew)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    exp = payload.get("exp") if isinstance(payload, Mapping) else None
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        return float(exp)
    return None


def rate_limit_wait(headers: Mapping[str, str], retry_after: str | None = None) -> float | None:
    """Seconds to wait, from Retry-After or an exhausted `RateLimit-Remaining` with its
    `RateLimit-Reset` (Unix seconds); None when the API asked for nothing."""
    if retry_after and retry_after.strip().isdigit():
        return float(retry_after.strip())
    lower = {k.lower(): v for k, v in headers.items()}
    remaining, reset = lower.get("ratelimit-remaining", ""), lower.get("ratelimit-reset", "")
    if remaining.strip() == "0" and reset.strip().isdigit():
        return max(0.0, float(reset.strip()) - time.time())
    return None


def max_wait(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


# --- turning API views into values ------------------------------------------------------------


def is_post_view(post: Any) -> bool:
    return (
        isinstance(post, Mapping)
        and isinstance(post.get("uri"), str)
        and post["uri"].startswith("at://")
        and isinstance(post.get("author"), Mapping)
    )


def _author(post: Mapping[str, Any]) -> Mapping[str, Any]:
    author = post.get("author")
    return author if isinstance(author, Mapping) else {}


def _record(post: Mapping[str, Any]) -> Mapping[str, Any]:
    record = post.get("record")
    return record if isinstance(record, Mapping) else {}


def handle_of(post: Mapping[str, Any]) -> str | None:
    """The author's handle as Bluesky shows it; None when it no longer verifies."""
    handle = _author(post).get("handle")
    if not isinstance(handle, str) or not handle.strip() or handle.strip() == INVALID_HANDLE:
        return None
    return handle.strip()


def web_url(post: Mapping[str, Any]) -> str:
    """https://bsky.app/profile/HANDLE/post/RKEY; the DID stands in for an invalid handle."""
    uri = str(post["uri"])
    did, _, rest = uri.removeprefix("at://").partition("/")
    rkey = rest.rsplit("/", 1)[-1]
    author_did = _author(post).get("did")
    actor = handle_of(post) or (author_did if isinstance(author_did, str) and author_did else did)
    return WEB_POST_URL.format(actor=actor, rkey=rkey)


def text_of(post: Mapping[str, Any]) -> str:
    """The post's text as typed: Bluesky text is plain (links and mentions are facets)."""
    text = _record(post).get("text")
    return text.strip() if isinstance(text, str) else ""


def _count(view: Mapping[str, Any], key: str) -> int | None:
    value = view.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def reach_of(post: Mapping[str, Any]) -> int | None:
    followers = _count(_author(post), "followersCount")
    if followers is not None:
        return followers
    likes, reposts = _count(post, "likeCount"), _count(post, "repostCount")
    if likes is None and reposts is None:
        return None
    return (likes or 0) + (reposts or 0)


parse_time = parse_iso8601  # atproto's timestamps, any number of fractional digits


def sort_at(post: Mapping[str, Any]) -> datetime | None:
    """The earlier of `createdAt` (what the client claims) and `indexedAt` (when the AppView
    first saw it): Bluesky's own `sortAt`, which search sorts and filters by."""
    times = [
        t
        for t in (parse_time(_record(post).get("createdAt")), parse_time(post.get("indexedAt")))
        if t is not None
    ]
    return min(times) if times else None


def format_time(moment: datetime) -> str:
    """An atproto datetime: UTC, milliseconds, "Z"."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_cursor(cursor: str | None) -> datetime | None:
    """The newest `sortAt` seen; anything else (a cursor from another kind) starts over."""
    return parse_time(cursor)


def is_thread_view(node: Any) -> bool:
    """A readable post in a thread; `notFoundPost`, `blockedPost` and unknown kinds are not."""
    if not isinstance(node, Mapping) or not is_post_view(node.get("post")):
        return False
    kind = node.get("$type")
    return kind is None or kind == THREAD_VIEW


def flatten_replies(thread: Mapping[str, Any]) -> Iterator[Reply]:
    """Every readable reply under `thread`, at any depth, in thread order (1 = a direct
    reply). An explicit stack rather than recursion: back-and-forths nest hundreds deep."""
    if not is_thread_view(thread):
        return
    stack: list[tuple[Any, int]] = [(node, 1) for node in reversed(_replies(thread))]
    while stack:
        node, depth = stack.pop()
        if not is_thread_view(node):
            continue  # deleted (notFoundPost) or blocked: nothing readable hangs under it
        post = node["post"]
        yield Reply(
            native_id=str(post["uri"]),
            author=handle_of(post),
            created_at=sort_at(post),
            url=web_url(post),
            text=text_of(post),
            depth=depth,
        )
        stack.extend((child, depth + 1) for child in reversed(_replies(node)))


def _replies(node: Mapping[str, Any]) -> list[Any]:
    replies = node.get("replies")
    return replies if isinstance(replies, list) else []
