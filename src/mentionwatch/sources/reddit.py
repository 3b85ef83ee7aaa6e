"""Reddit: post search through the OAuth JSON API, and the comment trees under the posts.

Shapes from: Reddit's API docs (reddit.com/dev/api: `search`, `comments/{article}`,
`api/morechildren`, listings with `after`/`before` fullnames), the archived reddit source
(r2/controllers/oauth2.py: the `client_credentials` grant and its error payloads), PRAW and
prawcore (endpoints.py, auth.py, rate_limit.py, models/reddit/more.py, recorded cassettes of
real responses), and redditwarp's comment-tree notes ("more" stubs, "continue this thread").

Auth: an application-only OAuth token (`grant_type=client_credentials`, HTTP basic auth with
the app's client id and secret) from `auth_url`, then `Authorization: bearer TOKEN` on
`base_url`. Without credentials configured the source asks anonymously (`.json` paths on
www.reddit.com); Reddit usually answers that with a 403 "whoa there, pardner!" HTML page, which
becomes an error saying to configure an app, or to use the `rss` kind on
`https://www.reddit.com/search.rss?q=...&sort=new`, which needs no account.

Cursor: the newest `created_utc` seen, in whole seconds. Search results sorted by `new` are
paged with `after` until a post older than the cursor shows up or `max_pages` is reached. The
`before` fullname is not used: when the post it names is deleted or drops out of the search
index, Reddit returns an empty page and the source would never see anything new again. Posts
created in the cursor's own second are read again and deduplicated by the store.

Reach is the post's `score` (upvotes minus downvotes), the attention that post itself got;
`subreddit_subscribers` measures the community, not the post, and is not used.

Threads: `comments/{id}` (sorted `new`, so fresh brand replies are the least likely to be
folded away) returns the tree with `more` stubs. "load more comments" stubs are expanded with
`api/morechildren` (at most 100 ids a call) and "continue this thread" stubs (`id == "_"`)
with `comments/{id}/_/{parent}`, up to `max_more` extra requests per thread; what lies behind
the stubs left after that budget is not read (only in threads of hundreds of comments).
"""

from __future__ import annotations

import asyncio
import base64
import html
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mentionwatch import __version__
from mentionwatch.config import FieldError
from mentionwatch.errors import SourceError
from mentionwatch.http import decode_json, redact, retry_after_seconds
from mentionwatch.models import Mention, Reply, SearchResult, SourceState
from mentionwatch.sources.base import Source
from mentionwatch.text import html_to_text, is_web_url

if TYPE_CHECKING:
    from mentionwatch.http import HttpFetcher, HttpResponse

DEFAULT_BASE_URL = "https://oauth.reddit.com"
DEFAULT_AUTH_URL = "https://www.reddit.com/api/v1/access_token"
#: Where anonymous requests go when `base_url` was left at the OAuth host.
ANONYMOUS_BASE_URL = "https://www.reddit.com"
WEB_URL = "https://www.reddit.com"
APPS_URL = "https://www.reddit.com/prefs/apps"
#: Reddit's rate-limit window; the fallback wait when it gives no reset time.
RATE_WINDOW_S = 600.0
#: `api/morechildren` refuses longer `children` lists.
MORECHILDREN_BATCH = 100

_NAME = r"[A-Za-z0-9][A-Za-z0-9_]{1,20}"
_SUBREDDIT = re.compile(rf"^(?:/?r/)?({_NAME}(?:\+{_NAME})*)/?$")
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")
#: A post or comment id: base 36. Anything else never reaches a URL path.
_ID36 = re.compile(r"^[0-9a-z]{1,16}$")
_DELETED = frozenset({"[deleted]", "[removed]", ""})


@dataclass(frozen=True)
class RedditSettings:
    #: The OAuth API host (tests and the demo point it at 127.0.0.1).
    base_url: str = DEFAULT_BASE_URL
    #: The token endpoint.
    auth_url: str = DEFAULT_AUTH_URL
    #: Reddit search syntax; by default the brand's terms joined with OR.
    query: str | None = None
    #: Search one subreddit (or "a+b" several) instead of all of Reddit.
    subreddit: str | None = None
    #: The app's client id and secret (https://www.reddit.com/prefs/apps, a "script" app).
    client_id_env: str | None = None
    client_id_file: str | None = None
    client_secret_env: str | None = None
    client_secret_file: str | None = None
    #: Reddit asks for "<platform>:<app id>:<version> (by /u/<your username>)".
    user_agent: str | None = None
    #: Posts per search page (Reddit's maximum is 100).
    page_size: int = 100
    #: Search pages read per poll at most, when catching up.
    max_pages: int = 5
    #: Extra requests per thread to expand "more comments" stubs.
    max_more: int = 10

    def __post_init__(self) -> None:
        if not is_web_url(self.base_url):
            raise FieldError("base_url", "an http:// or https:// URL")
        if not is_web_url(self.auth_url):
            raise FieldError("auth_url", "an http:// or https:// URL")
        if self.subreddit is not None and not _SUBREDDIT.match(self.subreddit):
            raise FieldError(
                "subreddit", 'a subreddit name like "broadband", or several: "broadband+ukbike"'
            )
        if not 1 <= self.page_size <= 100:
            raise FieldError("page_size", "a number of posts from 1 to 100")
        if self.max_pages < 1:
            raise FieldError("max_pages", "at least 1")
        if self.max_more < 0:
            raise FieldError("max_more", "a number of requests, 0 or more")
        has_id = bool(self.client_id_env or self.client_id_file)
        has_secret = bool(self.client_secret_env or self.client_secret_file)
        if has_id and not has_secret:
            raise FieldError("client_secret_env", "set too: Reddit needs the app's secret")
        if has_secret and not has_id:
            raise FieldError("client_id_env", "set too: Reddit needs the app's id")

    @property
    def authenticated(self) -> bool:
        return bool(self.client_id_env or self.client_id_file)

    @property
    def subreddit_name(self) -> str | None:
        match = _SUBREDDIT.match(self.subreddit or "")
        return match.group(1) if match else None


class RedditSource(Source):
    kind = "reddit"
    Settings = RedditSettings
    has_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Held for this poll only; never in a message, a repr or the database.
        self._access_token: str | None = None
        # Threads are read side by side: one token request for all of them, and one
        # api/morechildren request at a time (Reddit refuses concurrent ones).
        self._token_lock = asyncio.Lock()
        self._more_lock = asyncio.Lock()
        #: Set when a response said the rate-limit window is used up: seconds to wait.
        self._wait_s: float | None = None
        self._remaining: float | None = None

    # --- search ---------------------------------------------------------------------------

    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        settings: RedditSettings = self.settings
        since = _parse_cursor(state.cursor)
        mentions: list[Mention] = []
        newest: float | None = None
        after: str | None = None
        reached_cursor = since is None
        for _ in range(1 if since is None else settings.max_pages):
            listing = await self._search_page(http, after)
            posts = _children(listing, "t3")
            for post in posts:
                created = _created(post)
                if since is not None and created < since:
                    reached_cursor = True
                    break
                mentions.append(self._mention(post))
                newest = created if newest is None else max(newest, created)
            after = _str(_listing_data(listing).get("after"))
            if reached_cursor or not after or not posts or self._wait_s is not None:
                break
        cursor = state.cursor
        # Stopped by the rate limit before reaching the cursor: keep the old one, so the next
        # poll reads the gap too (the store deduplicates what it sees twice). Stopped by
        # max_pages: move on, or a flood would be re-read forever.
        if newest is not None and (reached_cursor or self._wait_s is None):
            cursor = str(int(max(newest, since or 0.0)))
        return SearchResult(
            mentions=mentions,
            cursor=cursor,
            http_status=200,
            items_seen=len(mentions),
            retry_after_s=self._wait_s,
        )

    async def _search_page(self, http: HttpFetcher, after: str | None) -> Any:
        settings: RedditSettings = self.settings
        params = {
            "q": self.query(),
            "sort": "new",
            "type": "link",
            "limit": str(settings.page_size),
            "raw_json": "1",
        }
        subreddit = settings.subreddit_name
        if subreddit:
            path = f"/r/{subreddit}/search"
            params["restrict_sr"] = "1"
        else:
            path = "/search"
        if after:
            params["after"] = after
        listing = await self._get_json(http, path, params)
        _listing_data(listing, what="search results")
        return listing

    def query(self) -> str:
        settings: RedditSettings = self.settings
        if settings.query:
            return settings.query
        terms = [term.strip().strip('"').strip() for term in self.brand.terms]
        quoted = [f'"{term}"' if " " in term else term for term in terms if term]
        return " OR ".join(quoted)

    def _mention(self, post: Mapping[str, Any]) -> Mention:
        fullname = _str(post.get("name")) or f"t3_{_str(post.get('id'))}"
        return Mention(
            source=self.name,
            kind=self.kind,
            native_id=fullname,
            url=_web_url(post.get("permalink")) or _str(post.get("url")),
            title=_str(post.get("title")).strip(),
            text=_body_text(post.get("selftext_html"), post.get("selftext")),
            created_at=_time(post.get("created_utc")),
            author=_author(post.get("author")),
            reach=_int(post.get("score")),
            thread_ref=fullname,
        )

    # --- threads --------------------------------------------------------------------------

    async def thread_replies(self, http: HttpFetcher, thread_ref: str) -> list[Reply]:
        article = thread_ref.removeprefix("t3_")
        if not _ID36.match(article):
            raise SourceError(f"not a Reddit post id: {thread_ref[:40]!r}")
        link_id = f"t3_{article}"
        try:
            tree = await self._get_json(
                http, f"/comments/{article}", {"sort": "new", "limit": "500", "raw_json": "1"}
            )
        except SourceError as exc:
            if self._thread_is_gone(exc):
                return []
            raise
        if not isinstance(tree, list) or len(tree) != 2:
            raise SourceError(
                f"unexpected thread from {redact(self._url(f'/comments/{article}'))}:"
                " expected the post and its comments (two listings)"
            )
        walk = _TreeWalk(link_id)
        walk.add_listing(tree[1])
        budget = self.settings.max_more
        while walk.pending and budget > 0 and self._wait_s is None:
            stub = walk.pending.popleft()
            budget -= 1
            try:
                if stub.children:
                    await self._expand_more(http, walk, stub)
                else:
                    await self._continue_thread(http, walk, article, stub)
            except SourceError as exc:
                if self._thread_is_gone(exc):
                    break
                raise
        return walk.replies

    async def _expand_more(self, http: HttpFetcher, walk: _TreeWalk, stub: _MoreStub) -> None:
        batch, rest = stub.children[:MORECHILDREN_BATCH], stub.children[MORECHILDREN_BATCH:]
        if rest:
            walk.pending.appendleft(_MoreStub(stub.parent_id, rest))
        params = {
            "link_id": walk.link_id,
            "children": ",".join(batch),
            "api_type": "json",
            "sort": "new",
            "raw_json": "1",
        }
        async with self._more_lock:
            payload = await self._get_json(http, "/api/morechildren", params)
        body = payload.get("json") if isinstance(payload, dict) else None
        if not isinstance(body, dict):
            raise SourceError(
                f"unexpected answer from {redact(self._url('/api/morechildren'))}: no 'json' object"
            )
        errors = body.get("errors") or []
        if errors:
            codes = ", ".join(
                str(e[0]) for e in errors if isinstance(e, list) and e and isinstance(e[0], str)
            )
            raise SourceError(f"Reddit refused to expand a comment thread: {codes or 'error'}")
        things = (body.get("data") or {}).get("things") or []
        walk.add_things(things if isinstance(things, list) else [])

    async def _continue_thread(
        self, http: HttpFetcher, walk: _TreeWalk, article: str, stub: _MoreStub
    ) -> None:
        parent = stub.parent_id.removeprefix("t1_")
        if not _ID36.match(parent):
            return
        tree = await self._get_json(
            http,
            f"/comments/{article}/_/{parent}",
            {"sort": "new", "limit": "500", "raw_json": "1"},
        )
        if isinstance(tree, list) and len(tree) == 2:
            walk.add_listing(tree[1])

    def _thread_is_gone(self, exc: SourceError) -> bool:
        # 404: no such post (or a banned subreddit). With a working token a 403 means a
        # private or quarantined subreddit; anonymously it is Reddit's block page.
        if exc.http_status == 404:
            return True
        return exc.http_status == 403 and self.settings.authenticated

    # --- `mentionwatch sources test` -------------------------------------------------------

    async def check(self, http: HttpFetcher) -> str:
        listing = await self._search_page(http, None)
        posts = _children(listing, "t3")
        where = f"r/{self.settings.subreddit_name}" if self.settings.subreddit_name else "Reddit"
        how = "OAuth app-only" if self.settings.authenticated else "anonymous"
        line = f"works: {len(posts)} post(s) in the latest {where} results for {self.query()!r}"
        detail = how
        if self._remaining is not None:
            detail += f", {self._remaining:g} requests left in this rate-limit window"
        return f"{line} ({detail})"

    # --- HTTP -----------------------------------------------------------------------------

    def _api_base(self) -> str:
        settings: RedditSettings = self.settings
        if not settings.authenticated and settings.base_url.rstrip("/") == DEFAULT_BASE_URL:
            return ANONYMOUS_BASE_URL
        return settings.base_url.rstrip("/")

    def _url(self, path: str) -> str:
        # www.reddit.com serves HTML unless the path ends in .json; the OAuth host needs no
        # suffix (the paths PRAW uses).
        suffix = "" if self.settings.authenticated else ".json"
        return self._api_base() + path + suffix

    def _user_agent(self, http: HttpFetcher) -> str:
        configured = self.settings.user_agent or http.settings.user_agent
        return configured or f"python:mentionwatch:v{__version__} (brand-mention monitor)"

    async def _get_json(self, http: HttpFetcher, path: str, params: Mapping[str, str]) -> Any:
        url = self._url(path)
        token = await self._token(http)
        for attempt in (1, 2):
            headers = {"User-Agent": self._user_agent(http), "Accept": "application/json"}
            if token:
                headers["Authorization"] = f"bearer {token}"
            try:
                response = await http.get(url, params=params, headers=headers)
            except SourceError as exc:
                if exc.http_status == 401 and token and attempt == 1:
                    # Expired since it was issued (they last a day): one fresh token, one retry.
                    token = await self._token(http, stale=token)
                    continue
                raise self._explain(exc, token_step=False) from None
            self._note_rate_limit(response)
            return self._decode(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _decode(self, response: HttpResponse) -> Any:
        try:
            return decode_json(response)
        except SourceError as exc:
            if self.settings.authenticated:
                raise
            advice = f"{exc.message}; {self._anonymous_advice()}"
            raise SourceError(advice, http_status=exc.http_status, advised=True) from None

    async def _token(self, http: HttpFetcher, stale: str | None = None) -> str | None:
        async with self._token_lock:
            if self._access_token and self._access_token != stale:
                return self._access_token
            self._access_token = await self._new_token(http)
            return self._access_token

    async def _new_token(self, http: HttpFetcher) -> str | None:
        credentials = self._credentials()
        if credentials is None:
            return None
        client_id, client_secret = credentials
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
        settings: RedditSettings = self.settings
        try:
            # RFC 6749 section 4.4: the grant type in a form-encoded body, the client's id
            # and secret in HTTP basic auth.
            response = await http.request(
                "POST",
                settings.auth_url,
                form={"grant_type": "client_credentials"},
                headers={
                    "Authorization": f"Basic {basic}",
                    "User-Agent": self._user_agent(http),
                    "Accept": "application/json",
                },
            )
        except SourceError as exc:
            raise self._explain(exc, token_step=True) from None
        payload = decode_json(response)
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            error = payload.get("error") if isinstance(payload, dict) else None
            code = f" ({error})" if isinstance(error, str) and _ERROR_CODE.match(error) else ""
            raise SourceError(
                f"Reddit issued no access token{code} from {redact(settings.auth_url)}: check that"
                f" {self._credential_names()} belong to a 'script' or 'web' app at {APPS_URL}"
            )
        return token

    def _credentials(self) -> tuple[str, str] | None:
        settings: RedditSettings = self.settings
        if not settings.authenticated:
            return None
        client_id = self.secret("client_id", required=False)
        if client_id is None:
            raise SourceError(
                f"missing credential: set {self._where('client_id')} to your Reddit app's client"
                f" id (the string under the app's name at {APPS_URL}; create a 'script' app there)"
            )
        client_secret = self.secret("client_secret", required=False)
        if client_secret is None:
            raise SourceError(
                f"missing credential: set {self._where('client_secret')} to your Reddit app's"
                f" secret (shown as 'secret' on the app at {APPS_URL})"
            )
        return client_id, client_secret

    def _where(self, key: str) -> str:
        env_name = getattr(self.settings, f"{key}_env", None)
        file_name = getattr(self.settings, f"{key}_file", None)
        if env_name and file_name:
            return f"${env_name} (or fill {file_name})"
        return f"${env_name}" if env_name else str(file_name)

    def _credential_names(self) -> str:
        return f"{self._where('client_id')} and {self._where('client_secret')}"

    def _anonymous_advice(self) -> str:
        example = "https://www.reddit.com/search.rss?q=YOUR+BRAND&sort=new"
        return (
            "Reddit blocks anonymous JSON clients: set client_id_env and client_secret_env for a"
            f" Reddit app (create a 'script' app at {APPS_URL}), or use kind = \"rss\" with"
            f' url = "{example}", which needs no account'
        )

    def _explain(self, exc: SourceError, *, token_step: bool) -> SourceError:
        """The HTTP error, with what to do about it."""
        status = exc.http_status
        authenticated = self.settings.authenticated
        if status in (401, 403) and not authenticated:
            advice = (
                f"Reddit refused an anonymous request (HTTP {status}): {self._anonymous_advice()}"
            )
        elif status == 401 and token_step:
            advice = (
                "Reddit rejected the app credentials (HTTP 401) from"
                f" {redact(self.settings.auth_url)}: check {self._credential_names()}"
                f" against the app at {APPS_URL}"
            )
        elif status == 401:
            advice = (
                "Reddit rejected the access token (HTTP 401): check that the app at"
                f" {APPS_URL} still exists and that {self._credential_names()} are current"
            )
        elif status == 403:
            advice = (
                f"{exc.message}: Reddit refused access (HTTP 403). The subreddit may be private,"
                " quarantined or banned, or Reddit blocked this client: set user_agent to"
                ' something descriptive like "python:acme-monitor:1.0 (by /u/YOUR_NAME)"'
            )
        elif status == 429:
            wait = retry_after_seconds(exc.retry_after) or self._wait_s
            when = f"in {wait:g}s" if wait else "when the 10-minute window resets"
            advice = f"Reddit's rate limit is used up (HTTP 429): try again {when}"
        else:
            return exc
        return SourceError(advice, http_status=status, retry_after=exc.retry_after, advised=True)

    def _note_rate_limit(self, response: HttpResponse) -> None:
        headers = {k.lower(): v for k, v in response.headers.items()}
        remaining = _float(headers.get("x-ratelimit-remaining"))
        if remaining is None:
            return
        self._remaining = remaining
        if remaining < 1:
            reset = _float(headers.get("x-ratelimit-reset"))
            self._wait_s = max(reset, 1.0) if reset is not None else RATE_WINDOW_S


# --- the comment tree -------------------------------------------------------------------------


@dataclass(frozen=True)
class _MoreStub:
    parent_id: str
    #: Comment ids to fetch with api/morechildren; empty for "continue this thread".
    children: list[str]


class _TreeWalk:
    """Flattens comment trees, morechildren answers and continued threads into replies.

    Depth is counted from the parent chain, not the API's `depth` field: that field restarts
    at 0 in a continued thread.
    """

    def __init__(self, link_id: str) -> None:
        self.link_id = link_id
        self.replies: list[Reply] = []
        self.pending: deque[_MoreStub] = deque()
        self._depths: dict[str, int] = {link_id: 0}

    def add_listing(self, listing: Any) -> None:
        children = _listing_data(listing).get("children") if isinstance(listing, dict) else None
        for thing in children if isinstance(children, list) else []:
            self._add(thing)

    def add_things(self, things: list[Any]) -> None:
        # A flat list in tree order, each comment's `replies` empty: parents come first.
        for thing in things:
            self._add(thing)

    def _add(self, thing: Any) -> None:
        if not isinstance(thing, dict) or not isinstance(thing.get("data"), dict):
            return
        data = thing["data"]
        if thing.get("kind") == "more":
            children = [str(c) for c in data.get("children") or [] if c]
            parent = _str(data.get("parent_id"))
            if children or parent.startswith("t1_"):
                self.pending.append(_MoreStub(parent, children))
            return
        if thing.get("kind") != "t1":
            return
        fullname = _str(data.get("name")) or f"t1_{_str(data.get('id'))}"
        if fullname not in self._depths:
            parent_depth = self._depths.get(_str(data.get("parent_id")))
            if parent_depth is None:
                parent_depth = _int(data.get("depth")) or 0
            self._depths[fullname] = parent_depth + 1
            self.replies.append(self._reply(data, fullname, self._depths[fullname]))
        if isinstance(data.get("replies"), dict):
            self.add_listing(data["replies"])

    def _reply(self, data: Mapping[str, Any], fullname: str, depth: int) -> Reply:
        url = _web_url(data.get("permalink"))
        if not url:
            article = self.link_id.removeprefix("t3_")
            url = f"{WEB_URL}/comments/{article}/_/{fullname.removeprefix('t1_')}/"
        return Reply(
            native_id=fullname,
            author=_author(data.get("author")),
            created_at=_time(data.get("created_utc")),
            url=url,
            text=_body_text(data.get("body_html"), data.get("body")),
            depth=depth,
        )


# --- small readers ----------------------------------------------------------------------------


def _listing_data(listing: Any, what: str = "") -> dict[str, Any]:
    data = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("children"), list):
        if what:
            raise SourceError(f"unexpected {what} from Reddit: not a listing")
        return {}
    return data


def _children(listing: Any, kind: str) -> list[dict[str, Any]]:
    return [
        child["data"]
        for child in _listing_data(listing).get("children", [])
        if isinstance(child, dict)
        and child.get("kind") == kind
        and isinstance(child.get("data"), dict)
    ]


def _created(post: Mapping[str, Any]) -> float:
    return _float(post.get("created_utc")) or 0.0


def _parse_cursor(cursor: str | None) -> float | None:
    return _float(cursor) if cursor else None


def _body_text(markup: Any, fallback: Any) -> str:
    """`selftext_html`/`body_html` as plain text. With raw_json=1 they are HTML; without it
    Reddit HTML-escapes them once more (`&lt;div class="md"&gt;`), so unescape that first."""
    source = _str(markup)
    if source and "<" not in source and "&lt;" in source:
        source = html.unescape(source)
    if source:
        return html_to_text(source)
    text = _str(fallback)
    return "" if text in _DELETED else html_to_text(text)


def _author(value: Any) -> str | None:
    name = _str(value).strip()
    return None if name in _DELETED else name


def _web_url(permalink: Any) -> str:
    path = _str(permalink)
    return WEB_URL + path if path.startswith("/") else ""


def _time(value: Any) -> datetime | None:
    seconds = _float(value)
    return datetime.fromtimestamp(seconds, tz=timezone.utc) if seconds is not None else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
