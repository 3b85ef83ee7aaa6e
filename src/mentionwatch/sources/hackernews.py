"""Hacker News, through Algolia's HN Search API: stories and comments naming the brand, and the
replies under them.

Search is `GET /search_by_date` (newest first) with `tags=(story,comment)`; the cursor is the
newest `created_at_i` (Unix seconds) seen so far, sent back as `numericFilters=created_at_i>N`,
and pages are walked with `page` until `nbPages` or `max_pages`. A thread is `GET /items/:id`,
whose `children` nest replies to any depth; for a comment mention the thread is the comment's
own subtree (the replies to that comment). No credentials: the API is public, limited to
10,000 requests an hour per IP address.

Reach is a story's `points`. Comments get none (`reach = None`): Hacker News shows nobody a
comment's score, and borrowing the story's points would rank a one-line aside in a busy thread
above a complaint that started its own.

Shapes from: the API page of algolia/hn-search (app/assets/templates/api.html.haml: the
search envelope `hits`/`page`/`nbPages`/`hitsPerPage`, the `(story,poll)` OR syntax, the
`created_at_i>X` filter), its Item model (the indexed `comment_text`, `story_text`,
`story_id`, `story_title`, `parent_id`, `created_at_i`, `_tags` such as `author_X` and
`story_N`) and ItemSerializer (items: `id`, `created_at`, `created_at_i`, `type`, `author`,
`title`, `url`, `text`, `points`, `parent_id`, `story_id`, `children`, `options`); client
typings that read the live API (`author: string | null`, `text: string | null`,
`points: number | null` on comments; `objectID` a string in hits, `id` a number in items);
HackerNews/API's README for the HTML of `text` ("para<p>para") and plain-text titles.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from mentionwatch.config import FieldError
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher, redact, retry_after_seconds
from mentionwatch.models import Mention, Reply, SearchResult, SourceState
from mentionwatch.sources.base import Source
from mentionwatch.text import html_to_text, is_web_url
from mentionwatch.times import parse_iso8601

DEFAULT_BASE_URL = "https://hn.algolia.com/api/v1"
WEB_ITEM_URL = "https://news.ycombinator.com/item?id={id}"
#: The API caps hitsPerPage at 1,000.
MAX_HITS_PER_PAGE = 1000


@dataclass(frozen=True)
class HackerNewsSettings:
    #: Where Algolia's HN Search API lives (tests and the demo point it at 127.0.0.1).
    base_url: str = DEFAULT_BASE_URL
    #: Search this instead of the brand's terms (one Algolia query: all its words must match).
    query: str | None = None
    #: Which items to search: Algolia tags, ORed inside parentheses.
    tags: str = "(story,comment)"
    hits_per_page: int = 50
    #: How many pages one poll may read when many posts arrived since the last one.
    max_pages: int = 5
    #: Each poll re-reads this much time before the cursor, for posts Algolia indexed late
    #: (the store recognises the ones it already has).
    overlap: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if not is_web_url(self.base_url):
            raise FieldError("base_url", f"an http:// or https:// URL (default {DEFAULT_BASE_URL})")
        if self.query is not None and not self.query.strip():
            raise FieldError("query", "a non-empty search query, or no `query` key at all")
        if not self.tags.strip():
            raise FieldError("tags", 'Algolia tags such as "(story,comment)" or "story"')
        if not 1 <= self.hits_per_page <= MAX_HITS_PER_PAGE:
            raise FieldError("hits_per_page", f"a number from 1 to {MAX_HITS_PER_PAGE}")
        if not 1 <= self.max_pages <= 100:
            raise FieldError("max_pages", "a number of pages from 1 to 100")
        if self.overlap > timedelta(days=1):
            raise FieldError("overlap", 'a duration of at most "1d"')


class HackerNewsSource(Source):
    kind = "hackernews"
    Settings = HackerNewsSettings
    has_threads = True

    @property
    def hn(self) -> HackerNewsSettings:
        settings: HackerNewsSettings = self.config.settings
        return settings

    def endpoint(self, path: str) -> str:
        # Never urljoin: the demo mounts the API under a path prefix.
        return self.hn.base_url.rstrip("/") + path

    def search_queries(self) -> list[str]:
        """The Algolia queries one poll runs: the `query` setting, else one per brand term.

        Algolia matches every word of a query, so a term whose words include all the words of
        another term ("Acme Hub" beside "Acme") finds nothing new and is left out.
        """
        if self.hn.query:
            return [self.hn.query.strip()]
        terms = [t.strip().strip('"').strip() for t in self.brand.terms]
        word_sets: dict[frozenset[str], str] = {}
        for text in terms:
            words = frozenset(re.findall(r"\w+", text.casefold()))
            if words and words not in word_sets:
                word_sets[words] = text
        queries = [
            text
            for words, text in word_sets.items()
            if not any(other < words for other in word_sets)
        ]
        return queries or [t for t in terms if t][:1]  # no word characters at all

    # --- search -------------------------------------------------------------------------------

    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        since = parse_cursor(state.cursor)
        hits: dict[str, Mapping[str, Any]] = {}
        retry_after: float | None = None
        complete = True
        for query in self.search_queries():
            try:
                await self._read_pages(http, query, since, hits)
            except SourceError as exc:
                if exc.http_status != 429 or not hits:
                    raise explain(exc) from None
                # Rate-limited part-way: keep what came back, and the old cursor, so the next
                # poll reads the rest again (the store recognises what it already has).
                retry_after = retry_after_seconds(exc.retry_after)
                complete = False
                break
        newest = max((epoch_of(hit) or 0 for hit in hits.values()), default=0)
        cursor = str(newest) if complete and newest > (since or 0) else state.cursor
        return SearchResult(
            mentions=[self.hit_to_mention(hit) for hit in hits.values()],
            cursor=cursor,
            http_status=200,  # every page read was a 2xx; anything else raised
            items_seen=len(hits),
            retry_after_s=retry_after,
        )

    async def _read_pages(
        self,
        http: HttpFetcher,
        query: str,
        since: int | None,
        into: dict[str, Mapping[str, Any]],
    ) -> None:
        """Read one query's pages into `into` (by objectID).

        The first poll reads the newest page only; later ones every page newer than the cursor
        (less the overlap), up to `max_pages`. When even that is not enough, the older posts of
        the gap are skipped: the cursor still moves to the newest, so a burst cannot stall
        the source for good.
        """
        params = {"query": query, "tags": self.hn.tags, "hitsPerPage": str(self.hn.hits_per_page)}
        if since is not None:
            floor = max(0, since - int(self.hn.overlap.total_seconds()))
            params["numericFilters"] = f"created_at_i>{floor}"
        last_page = 0 if since is None else self.hn.max_pages - 1
        page = 0
        while True:
            body = await http.get_json(
                self.endpoint("/search_by_date"), params={**params, "page": str(page)}
            )
            if not isinstance(body, Mapping) or not isinstance(body.get("hits"), list):
                raise SourceError(
                    f"unexpected answer from {redact(self.endpoint('/search_by_date'))}:"
                    " no `hits` list (is base_url the HN Search API?)"
                )
            for hit in body["hits"]:
                if isinstance(hit, Mapping) and str(hit.get("objectID") or "").isdigit():
                    into.setdefault(str(hit["objectID"]), hit)
            pages = body.get("nbPages")
            page += 1
            if not body["hits"] or page > last_page or not isinstance(pages, int) or page >= pages:
                return

    def hit_to_mention(self, hit: Mapping[str, Any]) -> Mention:
        item_id = str(hit["objectID"])
        if is_comment(hit):
            title, body, reach = "", text_field(hit, "comment_text"), None
        else:
            # Titles are plain text on HN (only `text` is HTML): "&amp;" in one is literal.
            title = " ".join(text_field(hit, "title").split())
            body = text_field(hit, "story_text")
            points = hit.get("points")
            reach = points if isinstance(points, int) and not isinstance(points, bool) else None
        return Mention(
            source=self.name,
            kind=self.kind,
            native_id=item_id,
            url=item_url(item_id),
            title=title,
            text=hn_text(body),
            created_at=time_of(hit),
            author=author_of(hit),
            reach=reach,
            thread_ref=item_id,
        )

    # --- threads ------------------------------------------------------------------------------

    async def thread_replies(self, http: HttpFetcher, thread_ref: str) -> list[Reply]:
        if not thread_ref.isdigit():
            return []
        try:
            item = await http.get_json(self.endpoint(f"/items/{thread_ref}"))
        except SourceError as exc:
            if exc.http_status == 404:  # deleted for good, or never existed
                return []
            raise explain(exc) from None
        if not isinstance(item, Mapping):
            raise SourceError(
                f"unexpected answer from {redact(self.endpoint(f'/items/{thread_ref}'))}:"
                " not an item"
            )
        return list(flatten_children(item))

    # --- `mentionwatch sources test` ----------------------------------------------------------

    async def check(self, http: HttpFetcher) -> str:
        query = self.search_queries()[0]
        try:
            body = await http.get_json(
                self.endpoint("/search_by_date"),
                params={"query": query, "tags": self.hn.tags, "hitsPerPage": "1", "page": "0"},
            )
        except SourceError as exc:
            explained = explain(exc)
            if explained is exc:
                raise
            # Already says what to do; without the status, `sources test` adds no generic
            # advice ("check the token") that does not apply to a source with no token.
            raise SourceError(explained.message, retry_after=exc.retry_after) from None
        if not isinstance(body, Mapping) or not isinstance(body.get("hits"), list):
            raise SourceError(
                f"{redact(self.endpoint('/search_by_date'))} answered, but not like HN Search"
                f" (no `hits` list): check base_url (default {DEFAULT_BASE_URL})"
            )
        total = body.get("nbHits")
        count = f"{total:,}" if isinstance(total, int) else "some"
        newest = ""
        if body["hits"] and isinstance(body["hits"][0], Mapping):
            when = time_of(body["hits"][0])
            newest = f", the newest from {when:%Y-%m-%d %H:%M} UTC" if when else ""
        return f"works: Hacker News search finds {count} post(s) for {query!r}{newest}"


# --- turning API items into values ------------------------------------------------------------


def item_url(item_id: object) -> str:
    return WEB_ITEM_URL.format(id=item_id)


def hn_text(markup: str) -> str:
    """Plain text from HN's HTML, where a bare `<p>` starts each paragraph after the first:
    closing each one first keeps the paragraphs apart as blank-line-separated blocks."""
    return html_to_text(markup.replace("<p>", "</p><p>"))


def is_comment(hit: Mapping[str, Any]) -> bool:
    tags = hit.get("_tags")
    if isinstance(tags, list) and tags:
        return "comment" in tags
    return hit.get("comment_text") is not None


def text_field(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def author_of(item: Mapping[str, Any]) -> str | None:
    """The HN username, exactly as the site shows it; None for a deleted item."""
    author = item.get("author")
    return (author.strip() or None) if isinstance(author, str) else None


def epoch_of(item: Mapping[str, Any]) -> int | None:
    value = item.get("created_at_i")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    when = _parse_iso(item.get("created_at"))
    return int(when.timestamp()) if when else None


def time_of(item: Mapping[str, Any]) -> datetime | None:
    seconds = epoch_of(item)
    return datetime.fromtimestamp(seconds, tz=timezone.utc) if seconds is not None else None


_parse_iso = parse_iso8601


def flatten_children(item: Mapping[str, Any]) -> Iterator[Reply]:
    """Every reply under `item`, at any depth, in thread order (depth 1 = a direct reply).

    An explicit stack rather than recursion: a long back-and-forth can nest hundreds deep.
    A deleted reply (no author, no text) is still a node, and the replies under it count.
    """
    stack: list[tuple[Any, int]] = [(child, 1) for child in _children(item)][::-1]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, Mapping) or node.get("id") is None:
            continue
        yield Reply(
            native_id=str(node["id"]),
            author=author_of(node),
            created_at=time_of(node),
            url=item_url(node["id"]),
            text=hn_text(text_field(node, "text")),
            depth=depth,
        )
        stack.extend((child, depth + 1) for child in reversed(_children(node)))


def _children(item: Mapping[str, Any]) -> list[Any]:
    children = item.get("children")
    return children if isinstance(children, list) else []


def parse_cursor(cursor: str | None) -> int | None:
    """The newest `created_at_i` seen; anything else (a cursor from another source kind, say)
    starts over like a first poll."""
    if cursor and cursor.strip().isdigit():
        return int(cursor.strip())
    return None


def _api_message(exc: SourceError) -> str:
    """Algolia explains its errors as JSON (`{"message": ..., "status": ...}`)."""
    try:
        data = json.loads(exc.body)
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return (
        f' (the API says: "{" ".join(message.split())[:200]}")' if isinstance(message, str) else ""
    )


def explain(exc: SourceError) -> SourceError:
    """The HTTP error with what a user can do about it; the URL stays redacted."""
    status = exc.http_status
    said = _api_message(exc)
    if status == 401:
        advice = (
            "HN Search needs no credentials, so something between us and it asked for them;"
            f" check base_url (default {DEFAULT_BASE_URL}) and any proxy"
        )
    elif status == 403:
        advice = (
            "HN Search refused this address: it blocks IP addresses that go over 10,000 requests"
            " an hour. Poll less often (a longer `interval`), and if the block stays, write to"
            " support@algolia.com (see https://hn.algolia.com/api)"
        )
    elif status == 429:
        wait = retry_after_seconds(exc.retry_after)
        when = f"retry in {wait:g}s" if wait is not None else "retry in an hour"
        advice = (
            f"rate-limited by HN Search (10,000 requests an hour per IP address): {when},"
            " and consider a longer `interval` or fewer `max_pages`"
        )
    else:
        return exc
    return SourceError(
        f"{exc.message}{said}: {advice}",
        http_status=status,
        retry_after=exc.retry_after,
        headers=exc.headers,
        body=exc.body,
    )
