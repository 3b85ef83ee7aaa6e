"""Mastodon, and servers speaking its client API: full-text search with a token, public hashtag
timelines without one, and the replies under each post from its thread context.

Without a token, full-text search returns no statuses on Mastodon (the server only searches
statuses for a logged-in account), so the source reads the public hashtag timelines of the
brand's hashtags instead; with a token it searches the text. Status ids are per instance
snowflakes: strings of digits (other servers use fixed-length strings) that are compared by
length, then lexicographically, never as plain strings ("99" < "100").

Shapes from: docs.joinmastodon.org (mastodon/documentation: methods/search.md,
methods/timelines.md#tag, methods/statuses.md#context, entities/Status.md, api/rate-limits.md);
Mastodon's source: api/v1/timelines/tag_controller.rb (its Link header keeps only limit, local
and only_media, so `any[]` must be re-sent by us), models/tag_feed.rb (at most 4 tags per
timeline), services/statuses_search_service.rb (newest id first; min_id/max_id become
after:/before: dates, so results are filtered by id here too), lib/search_query_transformer.rb
(bare words are ANDed, hence one query per term), serializers/rest/account_serializer.rb
(`suspended`, and `followers_count` -1 when hidden), config/initializers/rack_attack.rb (429 with
an ISO 8601 X-RateLimit-Reset, 300 requests per 5 minutes); halcy/Mastodon.py internals.py
(min_id/max_id taken out of the Link header; an epoch X-RateLimit-Reset from GoToSocial).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from mentionwatch.config import FieldError
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher, HttpResponse, decode_json, redact
from mentionwatch.models import Mention, Reply, SearchResult, SourceState
from mentionwatch.sources.base import Source
from mentionwatch.text import html_to_text, is_web_url
from mentionwatch.times import from_unix, parse_iso8601

#: Mastodon's largest page for timelines and search.
MAX_PAGE_SIZE = 40
#: A hashtag timeline combines the tag in its path with `any[]` tags, at most 4 in all.
TAGS_PER_TIMELINE = 4
#: Thread contexts read at the same time from one instance.
THREADS_AT_ONCE = 4
#: Mastodon's API rate-limit window; the wait when a 429 names no reset time.
RATE_LIMIT_WINDOW_S = 300.0
#: Statuses a support team can see and answer in public. A token can also see followers-only
#: and direct statuses in search; those are private conversations, not mentions.
PUBLIC_VISIBILITIES = frozenset({"public", "unlisted"})

_HASHTAG = re.compile(r"^\w+$")
_NOT_HASHTAG_CHARS = re.compile(r"\W+")


@dataclass(frozen=True)
class MastodonSettings:
    #: The instance whose API is read. Its search and hashtag timelines cover the posts it
    #: knows: its own users' and those federated to it (a big instance sees most).
    base_url: str = "https://mastodon.social"
    #: Full-text search query (needs a token). Default: one search per brand term.
    query: str | None = None
    #: Hashtags (without "#") whose public timelines are read. Default, when there is no
    #: token: the brand terms, spaces removed. With a token, listed hashtags are read too.
    hashtags: tuple[str, ...] = ()
    #: An access token (scope `read:search`, or `read`), from the environment or a file.
    #: Optional: with one the source searches post text, without one it reads hashtags.
    token_env: str | None = None
    token_file: str | None = None
    #: Requests per search or hashtag group per poll, at most.
    max_pages: int = 5
    #: Statuses per request (Mastodon allows up to 40).
    page_size: int = MAX_PAGE_SIZE

    def __post_init__(self) -> None:
        if not is_web_url(self.base_url):
            raise FieldError("base_url", "the instance's http:// or https:// address")
        if self.query is not None and not self.query.strip():
            raise FieldError("query", "a non-empty search query")
        if self.query is not None and not (self.token_env or self.token_file):
            raise FieldError(
                "query",
                "a token too (token_env or token_file): Mastodon searches post text only for"
                " a logged-in account; without a token, set hashtags instead",
            )
        for tag in self.hashtags:
            if not _HASHTAG.match(tag.removeprefix("#")):
                raise FieldError("hashtags", "hashtags of letters, digits and _ (no spaces)")
        if self.max_pages < 1:
            raise FieldError("max_pages", "at least 1")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise FieldError("page_size", f"between 1 and {MAX_PAGE_SIZE}")


# --- status ids -------------------------------------------------------------------------------


def id_key(status_id: str) -> tuple[int, str]:
    """Sort key for status ids: "100" > "99". Snowflakes are digit strings of varying length;
    other servers' ids are fixed-length strings, for which this is plain string order."""
    return (len(status_id), status_id)


def newer(a: str, b: str | None) -> bool:
    """Is status id `a` newer than `b` (anything is newer than no id)?"""
    return b is None or id_key(a) > id_key(b)


def newest(ids: Iterable[str | None]) -> str | None:
    present = [i for i in ids if i]
    return max(present, key=id_key) if present else None


def oldest(ids: Iterable[str | None]) -> str | None:
    present = [i for i in ids if i]
    return min(present, key=id_key) if present else None


# --- one crawl of one timeline or search ------------------------------------------------------


@dataclass
class _Crawl:
    """What one hashtag group or one search query returned in this poll."""

    statuses: list[dict[str, Any]] = field(default_factory=list)
    #: Where this stream must resume next poll, when it stopped before reaching the present
    #: (None when it needs no say in the cursor).
    resume_at: str | None = None
    must_resume: bool = False
    http_status: int | None = None

    @property
    def newest_id(self) -> str | None:
        return newest(s["id"] for s in self.statuses)


@dataclass
class _Poll:
    """Shared across the crawls of one poll: once rate limited, every crawl stops."""

    cursor: str | None
    retry_after_s: float | None = None

    @property
    def rate_limited(self) -> bool:
        return self.retry_after_s is not None


class MastodonSource(Source):
    kind = "mastodon"
    Settings = MastodonSettings
    has_threads = True

    @property
    def _settings(self) -> MastodonSettings:
        settings: MastodonSettings = self.config.settings
        return settings

    # --- search -------------------------------------------------------------------------------

    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        token = self._token()
        poll = _Poll(cursor=state.cursor)
        crawls = []
        if token:
            crawls += [await self._search_query(http, q, poll, token) for q in self.queries()]
        if not token or self._settings.hashtags:
            crawls += [
                await self._tag_timeline(http, group, poll, token)
                for group in self.hashtag_groups()
            ]
        seen: dict[str, dict[str, Any]] = {}
        for crawl in crawls:
            for status in crawl.statuses:
                seen.setdefault(status["id"], status)
        mentions = [m for m in map(self._mention, seen.values()) if m is not None]
        statuses = [c.http_status for c in crawls if c.http_status is not None]
        return SearchResult(
            mentions=mentions,
            cursor=self._next_cursor(state.cursor, crawls),
            http_status=statuses[-1] if statuses else None,
            items_seen=len(seen),
            retry_after_s=poll.retry_after_s,
        )

    def queries(self) -> list[str]:
        """The full-text searches to run. Mastodon ANDs the words of one query, so each brand
        term is its own search; a term containing another ("Acme Cloud", "Acme") adds nothing."""
        if self._settings.query:
            return [self._settings.query.strip()]
        terms = [t.strip(' "') for t in self.brand.terms if t.strip(' "')]
        kept = [
            t
            for t in terms
            if not any(o.casefold() != t.casefold() and _contains_words(t, o) for o in terms)
        ]
        return [f'"{t}"' if " " in t else t for t in _unique(kept)]

    def hashtags(self) -> list[str]:
        tags = [t.removeprefix("#") for t in self._settings.hashtags] or [
            _NOT_HASHTAG_CHARS.sub("", term) for term in self.brand.terms
        ]
        return _unique(t for t in tags if t)

    def hashtag_groups(self) -> list[list[str]]:
        tags = self.hashtags()
        return [tags[i : i + TAGS_PER_TIMELINE] for i in range(0, len(tags), TAGS_PER_TIMELINE)]

    async def _tag_timeline(
        self, http: HttpFetcher, tags: list[str], poll: _Poll, token: str | None
    ) -> _Crawl:
        """Newest page on a first poll; later, page forward from the cursor with `min_id`
        (oldest new statuses first), so a poll cut short leaves no gap: it resumes there."""
        settings = self._settings
        crawl = _Crawl()
        path = "/api/v1/timelines/tag/" + quote(tags[0], safe="")
        fixed = [("limit", str(settings.page_size))] + [("any[]", t) for t in tags[1:]]
        min_id = poll.cursor
        for _ in range(settings.max_pages):
            if poll.rate_limited:
                break
            params = fixed + ([("min_id", min_id)] if min_id else [])
            try:
                response = await self._get(http, path, params, token=token)
            except SourceError as exc:
                if _is_record_not_found(exc):
                    return crawl  # nobody has used the hashtag on this instance yet
                if exc.http_status != 429:
                    raise self._explained(exc) from None
                poll.retry_after_s = retry_after_seconds(exc.headers)
                crawl.http_status = 429
                break
            crawl.http_status = response.status_code
            page = _status_list(decode_json(response), response.url)
            crawl.statuses += [s for s in page if newer(s["id"], poll.cursor)]
            self._note_rate_limit(response, poll)
            if poll.cursor is None or len(page) < settings.page_size:
                return crawl  # first poll: the newest page only; or caught up with the present
            min_id = link_param(response.headers.get("link"), "prev", "min_id") or newest(
                s["id"] for s in page
            )
        # Stopped early (max_pages or rate limit): resume from the newest status read.
        crawl.must_resume = poll.cursor is not None
        crawl.resume_at = crawl.newest_id or poll.cursor
        return crawl

    async def _search_query(self, http: HttpFetcher, query: str, poll: _Poll, token: str) -> _Crawl:
        """Search results come newest first; page down with `offset` until the cursor."""
        settings = self._settings
        crawl = _Crawl()
        fixed = [("q", query), ("type", "statuses"), ("limit", str(settings.page_size))]
        if poll.cursor:
            fixed.append(("min_id", poll.cursor))
        offset = 0
        for _ in range(settings.max_pages):
            if poll.rate_limited:
                break
            params = fixed + ([("offset", str(offset))] if offset else [])
            try:
                response = await self._get(http, "/api/v2/search", params, token=token)
            except SourceError as exc:
                if exc.http_status != 429:
                    raise self._explained(exc) from None
                poll.retry_after_s = retry_after_seconds(exc.headers)
                crawl.http_status = 429
                break
            crawl.http_status = response.status_code
            body = decode_json(response)
            if not isinstance(body, dict):
                raise _unexpected(response.url, "a search result object")
            page = _status_list(body.get("statuses"), response.url)
            fresh = [s for s in page if newer(s["id"], poll.cursor)]
            crawl.statuses += fresh
            self._note_rate_limit(response, poll)
            if poll.cursor is None or len(page) < settings.page_size or len(fresh) < len(page):
                return crawl  # first poll, the last page, or down to the cursor
            offset += len(page)
        else:
            # max_pages: a backlog deeper than max_pages x page_size since the last poll; the
            # oldest part of it is skipped rather than re-read forever from the top.
            return crawl
        # Rate limited part way: keep the old cursor; the next poll reads it all again (the
        # store drops what it already has).
        crawl.must_resume = poll.cursor is not None
        crawl.resume_at = poll.cursor
        return crawl

    @staticmethod
    def _next_cursor(cursor: str | None, crawls: Sequence[_Crawl]) -> str | None:
        held = [c.resume_at for c in crawls if c.must_resume]
        if held:
            return oldest(held) or cursor
        return newest([cursor, *(c.newest_id for c in crawls)])

    def _note_rate_limit(self, response: HttpResponse, poll: _Poll) -> None:
        """An exhausted budget on a good response: stop here and wait for the reset."""
        if response.headers.get("x-ratelimit-remaining", "").strip() == "0":
            poll.retry_after_s = retry_after_seconds(response.headers)

    def _mention(self, status: Mapping[str, Any]) -> Mention | None:
        # Boosts never reach hashtag timelines or search; a server that sends one anyway would
        # only repeat the boosted post under another id.
        if status.get("reblog") or status.get("visibility", "public") not in PUBLIC_VISIBILITIES:
            return None
        account = status.get("account")
        return Mention(
            source=self.name,
            kind=self.kind,
            native_id=status["id"],
            url=status_url(status),
            title="",
            text=status_text(status),
            created_at=parse_time(status.get("created_at")),
            author=author_of(status),
            reach=reach_of(status, account if isinstance(account, dict) else {}),
            thread_ref=status["id"],
        )

    # --- replies ------------------------------------------------------------------------------

    async def replies(
        self, http: HttpFetcher, thread_refs: Sequence[str]
    ) -> dict[str, list[Reply]]:
        """One context request per thread (the API has no batch form), a few side by side:
        polite to one instance's rate limit. The first failure, if any, is raised once all
        have ended."""
        refs = list(dict.fromkeys(thread_refs))
        slots = asyncio.Semaphore(THREADS_AT_ONCE)

        async def read(ref: str) -> list[Reply]:
            async with slots:
                return await self.thread_replies(http, ref)

        found = await asyncio.gather(*(read(ref) for ref in refs), return_exceptions=True)
        for outcome in found:
            if isinstance(outcome, BaseException):
                raise outcome
        return {
            ref: outcome
            for ref, outcome in zip(refs, found, strict=True)
            if isinstance(outcome, list)
        }

    async def thread_replies(self, http: HttpFetcher, thread_ref: str) -> list[Reply]:
        """Every descendant of the status, with its depth worked out from `in_reply_to_id`.

        Without a token Mastodon returns at most 60 descendants, 20 levels deep; with one,
        up to 4,096 at any depth.
        """
        path = f"/api/v1/statuses/{quote(thread_ref, safe='')}/context"
        try:
            response = await self._get(http, path, [], token=self._token())
        except SourceError as exc:
            if exc.http_status in (404, 410):
                return []  # deleted, made private, or its author's account is gone
            raise self._explained(exc) from None
        body = decode_json(response)
        if not isinstance(body, dict):
            raise _unexpected(response.url, "a context object")
        descendants = _status_list(body.get("descendants"), response.url)
        depths = reply_depths(thread_ref, descendants)
        return [
            Reply(
                native_id=status["id"],
                author=author_of(status),
                created_at=parse_time(status.get("created_at")),
                url=status_url(status),
                text=status_text(status),
                depth=depths[status["id"]],
            )
            for status in descendants
        ]

    # --- check --------------------------------------------------------------------------------

    async def check(self, http: HttpFetcher) -> str:
        token = self._token()
        poll = _Poll(cursor=None)
        host = urlsplit(self._settings.base_url).netloc
        if token:
            (query, *_) = self.queries()
            crawl = await self._search_query(http, query, poll, token)
            what = f"token accepted by {host}; {len(crawl.statuses)} post(s) found for {query}"
        else:
            (group, *_) = self.hashtag_groups()
            crawl = await self._tag_timeline(http, group, poll, None)
            tags = " ".join(f"#{t}" for t in group)
            what = f"{len(crawl.statuses)} recent post(s) on {host} tagged {tags}"
        if crawl.http_status == 429:
            raise _rate_limited(poll.retry_after_s)
        return f"works: {what}"

    # --- plumbing -----------------------------------------------------------------------------

    def _token(self) -> str | None:
        settings = self._settings
        if not (settings.token_env or settings.token_file):
            return None
        token = self.secret("token", required=False)
        if token is None:
            places = [f"${settings.token_env}" if settings.token_env else "", settings.token_file]
            where = " or ".join(p for p in places if p)
            host = urlsplit(settings.base_url).netloc
            raise SourceError(
                f"missing credential: set {where} to a Mastodon access token (on {host}:"
                " Preferences > Development > New application, scope read:search), or remove"
                f" token_env/token_file from the [[sources]] entry '{self.name}' to read public"
                " hashtag timelines instead"
            )
        return token

    async def _get(
        self,
        http: HttpFetcher,
        path: str,
        params: list[tuple[str, str]],
        *,
        token: str | None,
    ) -> HttpResponse:
        # The query is encoded here: `any[]` repeats, which a mapping of params cannot hold.
        url = self._settings.base_url.rstrip("/") + path
        if params:
            url += "?" + urlencode(params)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return await http.request("GET", url, headers=headers)

    def _explained(self, exc: SourceError) -> SourceError:
        """The HTTP errors a user can act on, with what to do; others as they came."""
        settings = self._settings
        host = urlsplit(settings.base_url).netloc
        token_where = f"${settings.token_env}" if settings.token_env else "the token file"
        reason = _api_error(exc.body)
        said = f": {reason}" if reason else ""
        if exc.http_status == 401:
            if settings.token_env or settings.token_file:
                message = (
                    f"token rejected by {host} (HTTP 401{said}): create a new access token"
                    " (Preferences > Development > New application, scope read:search) and"
                    f" put it in {token_where}"
                )
            else:
                message = (
                    f"{host} requires a login for this (HTTP 401{said}): set token_env to an"
                    " access token (Preferences > Development > New application, scope read)"
                )
        elif exc.http_status == 403 and (settings.token_env or settings.token_file):
            message = (
                f"forbidden by {host} (HTTP 403{said}): the token lacks the read:search"
                " scope, or the instance refuses this client; put a token with scope"
                f" read:search in {token_where}, or try another instance as base_url"
            )
        elif exc.http_status == 403:
            message = (
                f"forbidden by {host} (HTTP 403{said}): the instance refuses anonymous"
                " clients; set token_env to an access token (Preferences > Development >"
                " New application, scope read), or try another instance as base_url"
            )
        elif exc.http_status == 429:
            return _rate_limited(retry_after_seconds(exc.headers))
        elif exc.http_status == 404:
            message = f"{exc.message}: is {settings.base_url} a Mastodon instance?"
        else:
            return exc
        return SourceError(
            message,
            http_status=exc.http_status,
            retry_after=exc.retry_after,
            headers=exc.headers,
            body=exc.body,
        )


# --- turning statuses into text ---------------------------------------------------------------


def status_text(status: Mapping[str, Any]) -> str:
    """The post as plain text, its content warning (plain text already) first."""
    spoiler = str(status.get("spoiler_text") or "").strip()
    body = html_to_text(str(status.get("content") or ""))
    return "\n\n".join(part for part in (spoiler, body) if part)


def status_url(status: Mapping[str, Any]) -> str:
    """The post's web page; a remote post's `url` is on its own server. Falls back to `uri`."""
    for key in ("url", "uri"):
        value = status.get(key)
        if isinstance(value, str) and is_web_url(value):
            return value
    return ""


def author_of(status: Mapping[str, Any]) -> str | None:
    """`acct`: "user" on the instance itself, "user@domain" for others, as Mastodon shows it.

    Mastodon deletes a deleted account's statuses with it, and marks deleted and suspended
    accounts `suspended`; such an author, or a missing account, is None.
    """
    account = status.get("account")
    if not isinstance(account, dict) or account.get("suspended"):
        return None
    acct = account.get("acct")
    return acct if isinstance(acct, str) and acct else None


def reach_of(status: Mapping[str, Any], account: Mapping[str, Any]) -> int | None:
    """The author's followers; when the author hides the count (Mastodon sends -1), the
    post's own boosts plus favourites."""
    followers = account.get("followers_count")
    if isinstance(followers, int) and not isinstance(followers, bool) and followers >= 0:
        return followers
    counts = [status.get("reblogs_count"), status.get("favourites_count")]
    numbers = [c for c in counts if isinstance(c, int) and not isinstance(c, bool)]
    return sum(numbers) if numbers else None


def reply_depths(root_id: str, descendants: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Depth of each descendant below `root_id` (1 = a direct reply), from the flat list.

    A reply whose parent is missing (deleted, or hidden from us) is at least two levels down.
    """
    parents = {str(s["id"]): s.get("in_reply_to_id") for s in descendants}
    depths: dict[str, int] = {}

    def depth(status_id: str, seen: frozenset[str]) -> int:
        if status_id in depths:
            return depths[status_id]
        parent = parents.get(status_id)
        if parent == root_id:
            result = 1
        elif isinstance(parent, str) and parent in parents and parent not in seen:
            result = depth(parent, seen | {status_id}) + 1
        else:
            result = 2
        depths[status_id] = result
        return result

    for status_id in parents:
        depth(status_id, frozenset())
    return depths


def parse_time(value: object) -> datetime | None:
    """Mastodon's `2019-11-26T20:50:15.866Z`, or the "2019-12-08 08:00:00 UTC" that older
    versions sent in X-RateLimit-Reset, as an aware UTC datetime."""
    if isinstance(value, str) and value.strip().endswith(" UTC"):
        value = value.strip()[: -len(" UTC")] + "Z"
    return parse_iso8601(value)


# --- rate limits, links and errors ------------------------------------------------------------


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float:
    """Seconds until X-RateLimit-Reset (an ISO time on Mastodon, epoch seconds on GoToSocial),
    measured against the server's own Date when it sent one; else a whole window."""
    reset_text = (headers.get("x-ratelimit-reset") or "").strip()
    numeric = re.fullmatch(r"\d+(\.\d+)?", reset_text)
    reset = from_unix(reset_text) if numeric else parse_time(reset_text)
    if reset is None:
        retry = (headers.get("retry-after") or "").strip()
        return float(retry) if retry.isdigit() else RATE_LIMIT_WINDOW_S
    reference = now or _server_time(headers) or datetime.now(timezone.utc)
    return max(1.0, (reset - reference).total_seconds())


def _server_time(headers: Mapping[str, str]) -> datetime | None:
    try:
        moment = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else None


def _rate_limited(retry_after_s: float | None) -> SourceError:
    wait = retry_after_s if retry_after_s is not None else RATE_LIMIT_WINDOW_S
    return SourceError(
        "HTTP 429 Too Many Requests: Mastodon allows 300 API requests per 5 minutes;"
        f" the limit resets in {wait:.0f}s",
        http_status=429,
        retry_after=f"{wait:.0f}",
    )


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def link_param(header: str | None, rel: str, name: str) -> str | None:
    """One query parameter of the Link header's `rel` target (`min_id` of rel="prev")."""
    for target, attributes in _LINK.findall(header or ""):
        rels = re.findall(r'rel\s*=\s*"?([^";]+)"?', attributes)
        if any(rel in r.split() for r in rels):
            values = parse_qs(urlsplit(target).query).get(name)
            return values[0] if values else None
    return None


def _unique(words: Iterable[str]) -> list[str]:
    """Each word once, ignoring case; the first spelling wins."""
    seen: dict[str, str] = {}
    for word in words:
        seen.setdefault(word.casefold(), word)
    return list(seen.values())


def _contains_words(text: str, part: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text, re.IGNORECASE) is not None


def _status_list(value: object, url: str) -> list[dict[str, Any]]:
    """The statuses of a page; items without an id (never sent by Mastodon) are dropped."""
    if not isinstance(value, list):
        raise _unexpected(url, "a list of statuses")
    return [s for s in value if isinstance(s, dict) and isinstance(s.get("id"), str) and s["id"]]


def _unexpected(url: str, expected: str) -> SourceError:
    return SourceError(f"unexpected response from {redact(url)}: expected {expected}")


def _api_error(body: bytes) -> str | None:
    """Mastodon explains errors as {"error": "..."}."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return str(error)[:200] if error else None


def _is_record_not_found(exc: SourceError) -> bool:
    """Mastodon's JSON 404 for an unknown hashtag, not a 404 page from a server that is not
    Mastodon at all (that one stays an error)."""
    return exc.http_status == 404 and _api_error(exc.body) is not None
