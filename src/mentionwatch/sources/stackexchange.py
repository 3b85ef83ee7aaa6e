"""Stack Exchange questions that name the brand, and the answers and comments under them.

Search: `GET {base_url}/search/advanced?site=SITE&q=QUERY&sort=creation&order=desc
&filter=withbody`, newest first. The cursor is the newest `creation_date` seen (unix seconds),
sent back as `fromdate` (inclusive; a question seen twice is deduplicated by the store), so a
later poll pages (`page`, `has_more`) only through what is new, up to `max_pages`. Stack
Exchange's `q` matches all of its words, so each brand term that is not already covered by a
shorter one is searched on its own (one request per term and page); `query` overrides that.

Threads are read in batches of up to 100 questions per request (ids joined by ";"):
`/questions/{ids}/answers`, `/questions/{ids}/comments`, then `/answers/{ids}/comments`.
Depth: an answer and a comment on the question are 1, a comment on an answer is 2. Comments
do not nest on Stack Exchange, but a comment can be addressed to someone (`reply_to_user`);
when that person commented earlier under the same post, the comment answers that comment and
is one level deeper (so an "@reply" under an answer is depth 3).

Authors are `owner.display_name` as the site shows it (HTML entities decoded); a deleted
account (`user_type: "does_not_exist"`) is None. Reach is the question's `score` (votes): the
attention signal the site itself ranks by, and unlike the asker's `reputation` it belongs to
the post. Replies link to `{question link}/{answer_id}#{answer_id}` and
`{question link}#comment{comment_id}_{post_id}`, the site's own permalink forms, so the thread
reference is the question's web link (it carries both the site's host and the question id).

Rate limits: every response carries `quota_remaining` (300 a day per IP without a key, 10,000
with one) and sometimes `backoff` (seconds to wait before calling that method again). A backoff
stops paging and becomes `SearchResult.retry_after_s`; an exhausted quota does the same until
the next 00:00 UTC, or is a `SourceError` when a thread check still needs requests. Errors
come as `{error_id, error_name, error_message}` with HTTP 400.

Shapes from: api.stackexchange.com/docs (wrapper, throttle, error-handling, vectors,
types/shallow-user, user-types) and the method descriptions of `/questions/{ids}/comments` and
`/answers/{ids}/comments` (streamdata-gallery-organizations/stack-exchange listings);
AWegnerGitHub/stackapi stackapi.py (error fields, backoff, has_more paging, ";"-joined ids);
lucjon/Py-StackExchange models.py and an Android client's Comment.java (answer and comment
fields, `reply_to_user`); recorded `/2.2/search` responses in public test code (wrapper fields,
field order, `&#39;`/`&quot;`/`&#231;` in titles, `does_not_exist` owners); StackApps and Meta
threads for the throttle_violation messages ("too many requests from this IP", "Violation of
backoff parameter") arriving as HTTP 400.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from mentionwatch.config import FieldError
from mentionwatch.errors import SourceError
from mentionwatch.http import decode_json, redact
from mentionwatch.models import Mention, Reply, SearchResult
from mentionwatch.sources.base import Source
from mentionwatch.text import html_to_text, is_web_url

if TYPE_CHECKING:
    from mentionwatch.http import HttpFetcher, HttpResponse
    from mentionwatch.models import SourceState

DEFAULT_BASE_URL = "https://api.stackexchange.com/2.3"
#: The built-in filter that adds `body` to the default fields of questions, answers, comments.
BODY_FILTER = "withbody"
#: Vectorised methods take up to 100 ids per request.
IDS_PER_REQUEST = 100
#: Pages of answers or comments read per batch of ids (100 items a page).
MAX_REPLY_PAGES = 10
KEY_HELP = "register an app at https://stackapps.com/apps/oauth/register to get a key"

_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")
_QUESTION_ID = re.compile(r"/questions/(\d+)(?:[/?#]|$)")
_SECONDS = re.compile(r"(\d+)\s*seconds?")

_SEARCH = "/search/advanced"
_QUESTION_ANSWERS = "/questions/{ids}/answers"
_QUESTION_COMMENTS = "/questions/{ids}/comments"
_ANSWER_COMMENTS = "/answers/{ids}/comments"


@dataclass(frozen=True)
class StackExchangeSettings:
    #: The site's `api_site_parameter`: "superuser", "stackoverflow", "serverfault", "unix"...
    site: str
    #: The search text (all its words must match); by default each brand term is searched.
    query: str | None = None
    #: An app key raises the daily quota from 300 to 10,000 requests (stackapps.com).
    key_env: str | None = None
    key_file: str | None = None
    base_url: str = DEFAULT_BASE_URL
    #: Questions per search page (1-100).
    page_size: int = 50
    #: Pages read per term on a later poll; the first poll reads only the newest page.
    max_pages: int = 5

    def __post_init__(self) -> None:
        if not _SITE.fullmatch(self.site):
            raise FieldError(
                "site", 'a site\'s api_site_parameter, such as "superuser" or "stackoverflow"'
            )
        if self.query is not None and not self.query.strip():
            raise FieldError("query", "a non-empty search query")
        if not is_web_url(self.base_url):
            raise FieldError("base_url", "an http:// or https:// API address")
        if not 1 <= self.page_size <= 100:
            raise FieldError("page_size", "a number of questions from 1 to 100")
        if self.max_pages < 1:
            raise FieldError("max_pages", "at least 1")


@dataclass(frozen=True)
class _Page:
    """One response's common wrapper."""

    items: list[dict[str, Any]]
    has_more: bool
    status: int
    backoff_s: float | None = None
    quota_remaining: int | None = None
    quota_max: int | None = None


@dataclass
class _Limits:
    """What the API said about waiting, over the requests of one search or thread check."""

    #: Methods (path templates) the API asked us not to call again yet, with how long.
    backoff: dict[str, float] = field(default_factory=dict)
    quota_remaining: int | None = None
    quota_max: int | None = None

    @property
    def out_of_quota(self) -> bool:
        return self.quota_remaining == 0

    def wait_s(self) -> float | None:
        waits = list(self.backoff.values())
        if self.out_of_quota:
            waits.append(seconds_until_quota_reset())
        return max(waits) if waits else None


class StackExchangeSource(Source):
    kind = "stackexchange"
    Settings = StackExchangeSettings
    has_threads = True

    # --- search -------------------------------------------------------------------------------

    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        settings: StackExchangeSettings = self.settings
        since = parse_cursor(state.cursor)
        pages = 1 if since is None else settings.max_pages
        limits = _Limits()
        found: dict[int, dict[str, Any]] = {}
        status: int | None = None
        complete = True
        for query in self.queries():
            for number in range(1, pages + 1):
                if limits.out_of_quota or _SEARCH in limits.backoff:
                    complete = False  # unread pages stay unread until the next poll
                    break
                params = {
                    "q": query,
                    "sort": "creation",
                    "order": "desc",
                    "pagesize": str(settings.page_size),
                    "page": str(number),
                }
                if since is not None:
                    params["fromdate"] = str(since)
                page = await self._get(http, _SEARCH, params, limits)
                status = page.status
                for item in page.items:
                    question_id = item.get("question_id")
                    if isinstance(question_id, int):
                        found.setdefault(question_id, item)
                if not page.has_more:
                    break
        newest = max((_int(q.get("creation_date")) or 0 for q in found.values()), default=0)
        # Stopped early by a backoff or the quota: read the gap again next time, never skip it.
        cursor = since if since is not None and not complete else max(newest, since or 0)
        mentions = [
            m for m in (self.question_to_mention(q) for q in found.values()) if m is not None
        ]
        mentions.sort(key=lambda m: m.created_at or datetime.min.replace(tzinfo=timezone.utc))
        return SearchResult(
            mentions=mentions,
            cursor=str(cursor) if cursor else state.cursor,
            http_status=status,
            items_seen=len(found),
            retry_after_s=limits.wait_s(),
        )

    def queries(self) -> list[str]:
        """The search texts: the `query` setting, or each brand term a shorter one does not
        already cover (Stack Exchange matches all words of `q`, and has no OR)."""
        if self.settings.query:
            return [self.settings.query.strip()]
        return minimal_terms(self.brand.terms)

    def question_to_mention(self, question: dict[str, Any]) -> Mention | None:
        link = question.get("link")
        question_id = question.get("question_id")
        if not isinstance(link, str) or not is_web_url(link) or not isinstance(question_id, int):
            return None
        return Mention(
            source=self.name,
            kind=self.kind,
            native_id=str(question_id),
            url=link,
            title=html_to_text(str(question.get("title") or "")),
            text=html_to_text(str(question.get("body") or "")),
            created_at=_time(question.get("creation_date")),
            author=author_of(question.get("owner")),
            reach=_int(question.get("score")),
            thread_ref=link,
        )

    # --- threads ------------------------------------------------------------------------------

    async def replies(
        self, http: HttpFetcher, thread_refs: Sequence[str]
    ) -> dict[str, list[Reply]]:
        links: dict[int, str] = {}
        for ref in thread_refs:
            question_id = question_id_of(ref)
            if question_id is not None:
                links.setdefault(question_id, ref)
        limits = _Limits()
        question_ids = sorted(links)
        answers = await self._collect(http, _QUESTION_ANSWERS, question_ids, limits)
        comments = await self._collect(http, _QUESTION_COMMENTS, question_ids, limits)
        answer_ids = sorted({a["answer_id"] for a in answers if _int(a.get("answer_id"))})
        comments += await self._collect(http, _ANSWER_COMMENTS, answer_ids, limits)
        threads = build_threads(links, answers, comments)
        result: dict[str, list[Reply]] = {}
        for ref in thread_refs:
            question_id = question_id_of(ref)
            result[ref] = threads.get(question_id, []) if question_id is not None else []
        return result

    async def _collect(
        self, http: HttpFetcher, method: str, ids: Sequence[int], limits: _Limits
    ) -> list[dict[str, Any]]:
        """Every item of a vectorised method, 100 ids per request, every page."""
        items: list[dict[str, Any]] = []
        for chunk in _chunks(ids, IDS_PER_REQUEST):
            path = method.format(ids=";".join(str(i) for i in chunk))
            for number in range(1, MAX_REPLY_PAGES + 1):
                self._ensure_allowed(method, limits)
                params = {
                    "sort": "creation",
                    "order": "asc",
                    "pagesize": "100",
                    "page": str(number),
                }
                page = await self._get(http, method, params, limits, path=path)
                items.extend(page.items)
                if not page.has_more:
                    break
        return items

    def _ensure_allowed(self, method: str, limits: _Limits) -> None:
        if limits.out_of_quota:
            raise quota_error(limits.quota_max, self._key_hint())
        if method in limits.backoff:
            seconds = limits.backoff[method]
            raise SourceError(
                f"Stack Exchange asked mentionwatch to wait {seconds:g}s before calling"
                f" {method.format(ids='{ids}')} again; the thread check will resume next scan",
                retry_after=f"{seconds:g}",
            )

    # --- `mentionwatch sources test` ----------------------------------------------------------

    async def check(self, http: HttpFetcher) -> str:
        settings: StackExchangeSettings = self.settings
        limits = _Limits()
        query = self.queries()[0]
        params = {"q": query, "sort": "creation", "order": "desc", "pagesize": "10", "page": "1"}
        page = await self._get(http, _SEARCH, params, limits)
        if limits.out_of_quota:
            raise quota_error(page.quota_max, self._key_hint())
        quota = f"{page.quota_remaining}/{page.quota_max}" if page.quota_max else "unknown"
        keyed = "with an app key" if self.key() else "no app key: set key_env for 10,000 a day"
        line = (
            f"works: {len(page.items)} question(s) in the latest results for {query!r}"
            f" on {settings.site}; quota {quota} requests left today ({keyed})"
        )
        if page.backoff_s:
            line += f"; asked to back off {page.backoff_s:g}s"
        return line

    # --- one request --------------------------------------------------------------------------

    def key(self) -> str | None:
        """The app key. Optional, but once `key_env`/`key_file` is configured it must be set."""
        configured = bool(self.settings.key_env or self.settings.key_file)
        return self.secret("key", required=configured)

    def _key_hint(self) -> str | None:
        if self.key():
            return None
        return f"an app key raises it from 300 to 10,000 a day: set key_env ({KEY_HELP})"

    async def _get(
        self,
        http: HttpFetcher,
        method: str,
        params: dict[str, str],
        limits: _Limits,
        *,
        path: str | None = None,
    ) -> _Page:
        settings: StackExchangeSettings = self.settings
        url = settings.base_url.rstrip("/") + (path or method)
        key = self.key()
        query = {**params, "site": settings.site, "filter": BODY_FILTER}
        if key:
            query["key"] = key  # the API takes it only as a parameter; redact() drops queries
        try:
            response = await http.request(
                "GET", url, params=query, headers={"Accept": "application/json"}
            )
        except SourceError as exc:
            raise self.explain(exc, key) from None
        page = parse_page(response, key)
        if page.backoff_s:
            limits.backoff[method] = max(page.backoff_s, limits.backoff.get(method, 0.0))
        if page.quota_remaining is not None:
            limits.quota_remaining = page.quota_remaining
            limits.quota_max = page.quota_max
        return page

    def explain(self, exc: SourceError, key: str | None) -> SourceError:
        """Say what to do about an HTTP error, in Stack Exchange's terms."""
        # Stack Exchange explains every error in the body: {error_id, error_name, error_message}.
        try:
            payload = json.loads(exc.body) if exc.body else None
        except ValueError:
            payload = None
        if isinstance(payload, dict) and "error_id" in payload:
            return api_error(payload, key, exc.http_status, self._key_setting())
        status = exc.http_status
        where = self._key_setting()
        if status == 400:
            hint = (
                f"check site = {self.settings.site!r} (the api_site_parameter from"
                " https://api.stackexchange.com/docs/sites)"
            )
            if where:
                hint += f" and the app key in {where}"
            message = (
                f"{exc.message}: Stack Exchange rejected the request; {hint}; the daily quota"
                " may also be used up (Stack Exchange reports that as HTTP 400 too)"
            )
        elif status in (401, 402, 403):
            message = f"{exc.message}: Stack Exchange refused the request; " + (
                f"check the app key in {where} ({KEY_HELP})"
                if where
                else "this IP address may be blocked for a while (more than 30 requests"
                " a second gets an address banned); try again later"
            )
        elif status in (429, 502, 503):
            wait = f"retry after {exc.retry_after}s" if exc.retry_after else "retry later"
            message = f"{exc.message}: Stack Exchange is throttling requests; {wait}"
        else:
            return exc
        return SourceError(
            _scrub(message, key), http_status=exc.http_status, retry_after=exc.retry_after
        )

    def _key_setting(self) -> str | None:
        if self.settings.key_env:
            return f"${self.settings.key_env}"
        if self.settings.key_file:
            return str(self.settings.key_file)
        return None


# --- the wrapper and errors -------------------------------------------------------------------


def parse_page(response: HttpResponse, key: str | None = None) -> _Page:
    """The common wrapper of one response: items, paging, backoff, quota; API errors raise."""
    payload = decode_json(response)
    where = redact(response.url)
    if not isinstance(payload, dict):
        raise SourceError(f"unexpected response from {where}: not a JSON object")
    if "error_id" in payload:
        raise api_error(payload, key, response.status_code)
    items = payload.get("items")
    if not isinstance(items, list):
        raise SourceError(f"unexpected response from {where}: no 'items' list")
    backoff = payload.get("backoff")
    return _Page(
        items=[item for item in items if isinstance(item, dict)],
        has_more=payload.get("has_more") is True,
        status=response.status_code,
        backoff_s=float(backoff) if isinstance(backoff, (int, float)) and backoff > 0 else None,
        quota_remaining=_int(payload.get("quota_remaining")),
        quota_max=_int(payload.get("quota_max")),
    )


def api_error(
    payload: dict[str, Any],
    key: str | None = None,
    http_status: int | None = None,
    key_setting: str | None = None,
) -> SourceError:
    """A `SourceError` from the wrapper's `error_id`, `error_name` and `error_message`."""
    error_id = _int(payload.get("error_id"))
    name = str(payload.get("error_name") or "error")
    text = html.unescape(str(payload.get("error_message") or "")).strip()
    message = f"Stack Exchange API error {error_id} {name}: {text or 'no message'}"
    retry_after = None
    if name == "throttle_violation":
        seconds = _SECONDS.search(text)
        retry_after = seconds.group(1) if seconds else None
        message += "; " + (
            f"more requests in {_duration(int(retry_after))}" if retry_after else "wait and retry"
        )
    elif error_id in (401, 402, 403, 405, 406) or (error_id == 400 and "key" in text.lower()):
        message += f"; check the app key{' in ' + key_setting if key_setting else ''} ({KEY_HELP})"
    elif error_id == 400:
        message += "; check the source's site and query settings"
    elif error_id in (500, 503):
        message += "; Stack Exchange is having trouble, try again later"
    return SourceError(_scrub(message, key), http_status=http_status, retry_after=retry_after)


def quota_error(quota_max: int | None, hint: str | None) -> SourceError:
    wait = seconds_until_quota_reset()
    allowance = f"0 of {quota_max} requests left" if quota_max else "no requests left"
    return SourceError(
        f"Stack Exchange daily quota used up ({allowance}); it resets at 00:00 UTC, in"
        f" {_duration(wait)}" + (f"; {hint}" if hint else ""),
        retry_after=str(int(wait)),
    )


def seconds_until_quota_reset(now: datetime | None = None) -> float:
    """Stack Exchange's quotas are daily: wait until the next 00:00 UTC."""
    moment = now or datetime.now(timezone.utc)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - moment).total_seconds())


def _scrub(message: str, key: str | None) -> str:
    """An app key never reaches a message, even if an error echoes a parameter back."""
    return message.replace(key, "***") if key else message


def _duration(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m" if minutes else f"{int(seconds)}s"


# --- turning items into replies ---------------------------------------------------------------


def build_threads(
    links: dict[int, str], answers: Iterable[dict[str, Any]], comments: Iterable[dict[str, Any]]
) -> dict[int, list[Reply]]:
    """Every answer and comment, flat, per question id, oldest first. Pure."""
    threads: dict[int, list[Reply]] = {question_id: [] for question_id in links}
    # post id -> (question id, the depth of comments on that post, the post's link)
    posts: dict[int, tuple[int, int, str]] = {qid: (qid, 1, link) for qid, link in links.items()}
    for answer in answers:
        answer_id, question_id = answer.get("answer_id"), answer.get("question_id")
        if not isinstance(answer_id, int) or question_id not in links:
            continue
        link = _own_link(answer) or f"{_bare(links[question_id])}/{answer_id}#{answer_id}"
        threads[question_id].append(
            Reply(
                native_id=f"answer:{answer_id}",
                author=author_of(answer.get("owner")),
                created_at=_time(answer.get("creation_date")),
                url=link,
                text=html_to_text(str(answer.get("body") or "")),
                depth=1,
            )
        )
        posts[answer_id] = (question_id, 2, links[question_id])
    by_post: dict[int, list[dict[str, Any]]] = {}
    for comment in comments:
        post_id = comment.get("post_id")
        if isinstance(post_id, int) and post_id in posts:
            by_post.setdefault(post_id, []).append(comment)
    for post_id, post_comments in by_post.items():
        question_id, depth, question_link = posts[post_id]
        threads[question_id].extend(_comment_replies(post_id, depth, question_link, post_comments))
    for replies in threads.values():
        replies.sort(key=_reply_order)
    return threads


def _comment_replies(
    post_id: int, depth: int, question_link: str, comments: list[dict[str, Any]]
) -> Iterator[Reply]:
    """Comments on one post, in order; an @reply to an earlier commenter is one level deeper."""
    commenters: set[str] = set()  # who has commented on this post so far
    comments = sorted(comments, key=lambda c: (_int(c.get("creation_date")) or 0, _cid(c)))
    for comment in comments:
        comment_id = _cid(comment)
        if comment_id < 0:
            continue
        addressed = _user_key(comment.get("reply_to_user"))
        level = depth + 1 if addressed is not None and addressed in commenters else depth
        writer = _user_key(comment.get("owner"))
        if writer is not None:
            commenters.add(writer)
        yield Reply(
            native_id=f"comment:{comment_id}",
            author=author_of(comment.get("owner")),
            created_at=_time(comment.get("creation_date")),
            url=_own_link(comment) or f"{_bare(question_link)}#comment{comment_id}_{post_id}",
            text=html_to_text(str(comment.get("body") or "")),
            depth=level,
        )


def _reply_order(reply: Reply) -> tuple[datetime, str]:
    return (reply.created_at or datetime.min.replace(tzinfo=timezone.utc), reply.native_id)


def author_of(owner: object) -> str | None:
    """The name the site shows, or None for a deleted (or never existing) account."""
    if not isinstance(owner, dict) or owner.get("user_type") == "does_not_exist":
        return None
    name = owner.get("display_name")
    if not isinstance(name, str):
        return None
    return html.unescape(name).strip() or None


def _user_key(user: object) -> str | None:
    if not isinstance(user, dict) or user.get("user_type") == "does_not_exist":
        return None
    if isinstance(user.get("user_id"), int):
        return f"id:{user['user_id']}"
    name = user.get("display_name")
    return f"name:{html.unescape(name).casefold()}" if isinstance(name, str) else None


def _own_link(item: dict[str, Any]) -> str | None:
    link = item.get("link")  # only present when a custom filter asks for it
    return link if isinstance(link, str) and is_web_url(link) else None


def _bare(link: str) -> str:
    return link.split("#", 1)[0].split("?", 1)[0].rstrip("/")


def _cid(comment: dict[str, Any]) -> int:
    value = comment.get("comment_id")
    return value if isinstance(value, int) else -1


# --- small helpers ----------------------------------------------------------------------------


def question_id_of(thread_ref: str) -> int | None:
    """The question id in a thread reference (the question's web link)."""
    match = _QUESTION_ID.search(thread_ref)
    return int(match.group(1)) if match else None


def parse_cursor(cursor: str | None) -> int | None:
    if cursor is None or not cursor.strip().isdigit():
        return None
    return int(cursor.strip())


def minimal_terms(terms: Iterable[str]) -> list[str]:
    """Each term whose words do not include all words of a shorter term, in order."""
    cleaned: list[str] = []
    for term in terms:
        text = " ".join(term.strip(' "').split())
        if text and text.casefold() not in (t.casefold() for t in cleaned):
            cleaned.append(text)
    words = {t: set(t.casefold().split()) for t in cleaned}
    return [t for t in cleaned if not any(o != t and words[o] < words[t] for o in cleaned)]


def _chunks(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: object) -> datetime | None:
    seconds = _int(value)
    return datetime.fromtimestamp(seconds, tz=timezone.utc) if seconds is not None else None
