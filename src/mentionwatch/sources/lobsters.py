"""Lobsters (lobste.rs and other instances of its code): the newest stories and their threads.

Lobsters has no search API, so the source reads the newest stories (`/newest.json`, or one tag
feed `/t/TAG1,TAG2.json` when `tags` is set) and returns *every* story it sees: the scan keeps
the ones naming the brand. A story's thread is `/s/SHORT_ID.json`, whose `comments` are one flat
list in thread order, each comment knowing its own depth.

Shapes from: lobsters/lobsters on GitHub: app/models/story.rb and app/models/comment.rb
(`as_json`), app/controllers/home_controller.rb (`newest`, `single_tag`, `multi_tag` render the
page's stories as a JSON array), stories_controller.rb (`show`: the story with `comments`; a
deleted story is a 404, a merged one redirects), config/routes.rb (`/newest/page/:page`,
`/t/:tag/page/:page`), app/models/inactive_user.rb; and the recorded API responses in
msfjarvis/compose-lobsters (api/src/test/resources/hottest.json, post_details_*.json).

Two generations of the shape are handled:
- current: `submitter_user` / `commenting_user` are the username (a string), a comment has
  `depth` (0 for a top-level comment) and `parent_comment` (the parent's short id);
- older (before 2022): both users are objects with a `username`, and a comment has
  `indent_level` (1 for a top-level comment) instead of `depth`.

Authors shown as None: a comment that is deleted (`is_deleted`) or removed by a moderator
(`is_moderated`) keeps its place in the thread (so `show` can tell a reply was there) but has no
author, since its words are gone and it cannot count as the brand's answer; and content whose
author deleted their account is reassigned by Lobsters to the placeholder user `inactive-user`.
Times are ISO 8601 with the server's offset (`2024-03-15T16:06:08.000-05:00`) and become UTC.
No credentials: every endpoint used here is public.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from mentionwatch.config import FieldError
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher, HttpResponse, decode_json, redact
from mentionwatch.models import Mention, Reply, SearchResult, SourceState
from mentionwatch.sources.base import Source
from mentionwatch.text import html_to_text, is_web_url
from mentionwatch.times import parse_iso8601

DEFAULT_BASE_URL = "https://lobste.rs"
#: The placeholder account Lobsters moves a deleted account's stories and comments to.
INACTIVE_USER = "inactive-user"
# Tag names as Lobsters routes them: no "/", and "," and "." would split the URL's tag list
# and its format.
_TAG = re.compile(r"^[\w+\-]+$")
_MAX_PAGES_LIMIT = 20


@dataclass(frozen=True)
class LobstersSettings:
    #: The instance: lobste.rs, or another site running the Lobsters code.
    base_url: str = DEFAULT_BASE_URL
    #: Read these tags' feed (`/t/rust,go.json`, one request for all of them) instead of
    #: every new story (`/newest.json`).
    tags: tuple[str, ...] = ()
    #: Pages (25 stories each on lobste.rs) one poll may read to catch up with the cursor.
    #: The first poll always reads one page only.
    max_pages: int = 1

    def __post_init__(self) -> None:
        if not is_web_url(self.base_url):
            raise FieldError("base_url", "an http:// or https:// URL, like https://lobste.rs")
        for tag in self.tags:
            if not _TAG.match(tag):
                raise FieldError("tags", 'tag names like "rust" or "c++" (no , . / or spaces)')
        if not 1 <= self.max_pages <= _MAX_PAGES_LIMIT:
            raise FieldError("max_pages", f"a number of pages from 1 to {_MAX_PAGES_LIMIT}")


class LobstersSource(Source):
    kind = "lobsters"
    Settings = LobstersSettings
    has_threads = True

    @property
    def _settings(self) -> LobstersSettings:
        settings: LobstersSettings = self.config.settings
        return settings

    @property
    def _base(self) -> str:
        return self._settings.base_url.rstrip("/")

    def page_url(self, page: int) -> str:
        """The JSON listing of new stories: every story, or the configured tags' feed."""
        tags = self._settings.tags
        feed = "/t/" + ",".join(quote(tag, safe="") for tag in tags) if tags else "/newest"
        return f"{self._base}{feed}.json" if page == 1 else f"{self._base}{feed}/page/{page}.json"

    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        since = parse_cursor(state.cursor)
        # First poll: the newest page only. Later: page back until the cursor, within max_pages.
        pages = 1 if since is None else self._settings.max_pages
        mentions: dict[str, Mention] = {}
        status: int | None = None
        for page in range(1, pages + 1):
            url = self.page_url(page)
            stories, page_status = await self._fetch_page(http, url)
            status = status or page_status
            reached_cursor = not stories
            for story in stories:
                mention = self.story_to_mention(story, url)
                created = mention.created_at
                if since is not None and created is not None and created < since:
                    reached_cursor = True
                    continue
                # A story posted while we page can push one from page 1 onto page 2: keep one.
                mentions.setdefault(mention.native_id, mention)
            if reached_cursor:
                break
        found = list(mentions.values())
        return SearchResult(
            mentions=found,
            cursor=next_cursor(found, state.cursor),
            http_status=status,
            items_seen=len(found),
        )

    async def _fetch_page(self, http: HttpFetcher, url: str) -> tuple[list[Mapping[str, Any]], int]:
        response = await self._get(http, url)
        body = decode_json(response)
        if not isinstance(body, list) or not all(isinstance(s, Mapping) for s in body):
            raise SourceError(
                f"unexpected response from {redact(url)}: expected a JSON array of stories",
                http_status=response.status_code,
            )
        return body, response.status_code

    async def _get(self, http: HttpFetcher, url: str) -> HttpResponse:
        try:
            return await http.request("GET", url, headers={"Accept": "application/json"})
        except SourceError as exc:
            raise explain(exc, url, self._settings.tags) from None

    def story_to_mention(self, story: Mapping[str, Any], where: str) -> Mention:
        short_id = story.get("short_id")
        if not isinstance(short_id, str) or not short_id:
            raise SourceError(f"unexpected response from {redact(where)}: a story has no short_id")
        score = story.get("score")
        return Mention(
            source=self.name,
            kind=self.kind,
            native_id=short_id,
            url=_web_url(story, ("short_id_url", "comments_url"), f"{self._base}/s/{short_id}"),
            # Titles are plain text on Lobsters (never HTML), so they are kept as written:
            # "Vec<T> in practice" must not lose its "<T>" to an HTML parser.
            title=str(story.get("title") or "").strip(),
            text=html_to_text(str(story.get("description") or "")),
            created_at=parse_time(story.get("created_at")),
            author=username(story.get("submitter_user")),
            reach=score if isinstance(score, int) and not isinstance(score, bool) else None,
            thread_ref=short_id,
        )

    async def replies(
        self, http: HttpFetcher, thread_refs: Sequence[str]
    ) -> dict[str, list[Reply]]:
        """One thread at a time: lobste.rs is a volunteer-run site on one server, and has no
        batch endpoint, so the scan's thread checks must not arrive as a burst."""
        return {ref: await self.thread_replies(http, ref) for ref in thread_refs}

    async def thread_replies(self, http: HttpFetcher, thread_ref: str) -> list[Reply]:
        url = f"{self._base}/s/{quote(thread_ref, safe='')}.json"
        try:
            response = await http.request("GET", url, headers={"Accept": "application/json"})
        except SourceError as exc:
            if exc.http_status in (404, 410):
                return []  # the story was deleted (Lobsters answers 404 for a gone story)
            raise explain(exc, url, ()) from None
        story = decode_json(response)
        if not isinstance(story, Mapping):
            raise SourceError(f"unexpected response from {redact(url)}: expected a story object")
        comments = story.get("comments") or []
        if not isinstance(comments, list):
            raise SourceError(f"unexpected response from {redact(url)}: `comments` is not a list")
        return comments_to_replies(
            [c for c in comments if isinstance(c, Mapping)], f"{self._base}/c/"
        )

    async def check(self, http: HttpFetcher) -> str:
        url = self.page_url(1)
        stories, _ = await self._fetch_page(http, url)
        if not stories:
            return f"works: {redact(url)} answered, with no stories on its first page"
        times = [t for t in (parse_time(s.get("created_at")) for s in stories) if t is not None]
        newest = f", the newest posted {max(times):%Y-%m-%d %H:%M} UTC" if times else ""
        return f"works: {len(stories)} stories on {redact(url)}{newest}"


# --- the shape of stories and comments ---------------------------------------------------------


def comments_to_replies(comments: list[Mapping[str, Any]], comment_base: str) -> list[Reply]:
    """The flat comment list of `/s/ID.json` as replies, in the order Lobsters sends them."""
    depth_of: dict[str, int] = {}
    replies = []
    for comment in comments:
        short_id = str(comment.get("short_id") or "")
        if not short_id:
            continue
        depth = _depth(comment, depth_of)
        depth_of[short_id] = depth
        gone = bool(comment.get("is_deleted") or comment.get("is_moderated"))
        replies.append(
            Reply(
                native_id=short_id,
                author=None if gone else username(comment.get("commenting_user")),
                created_at=parse_time(comment.get("created_at")),
                url=_web_url(comment, ("url", "short_id_url"), comment_base + short_id),
                text=html_to_text(str(comment.get("comment") or "")),
                depth=depth,
            )
        )
    return replies


def _depth(comment: Mapping[str, Any], depth_of: Mapping[str, int]) -> int:
    """1 for a direct reply to the story. Current Lobsters counts `depth` from 0, older
    versions `indent_level` from 1; failing both, one more than the parent comment."""
    depth = comment.get("depth")
    if isinstance(depth, int) and not isinstance(depth, bool):
        return max(1, depth + 1)
    indent = comment.get("indent_level")
    if isinstance(indent, int) and not isinstance(indent, bool):
        return max(1, indent)
    parent = comment.get("parent_comment")
    if isinstance(parent, str) and parent in depth_of:
        return depth_of[parent] + 1
    return 1


def username(user: object) -> str | None:
    """The author's username: a string in current Lobsters, an object in older versions.
    None when there is none, or it is the placeholder for a deleted account."""
    if isinstance(user, Mapping):
        user = user.get("username")
    if not isinstance(user, str) or not user.strip() or user.strip() == INACTIVE_USER:
        return None
    return user.strip()


def _web_url(item: Mapping[str, Any], keys: tuple[str, ...], fallback: str) -> str:
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and is_web_url(value):
            return value
    return fallback


_FRACTION = re.compile(r"\.(\d+)")


parse_time = parse_iso8601  # "2024-03-15T16:06:08.000-05:00" as aware UTC


def parse_cursor(cursor: str | None) -> datetime | None:
    return parse_time(cursor) if cursor else None


def next_cursor(mentions: list[Mention], previous: str | None) -> str | None:
    """The newest `created_at` seen, in UTC; the previous cursor if nothing newer came."""
    times = [m.created_at for m in mentions if m.created_at is not None]
    before = parse_cursor(previous)
    if before is not None:
        times.append(before)
    return max(times).isoformat() if times else previous


def explain(exc: SourceError, url: str, tags: tuple[str, ...]) -> SourceError:
    """The HTTP error with what to do about it, for the scan's report and `sources test`."""
    status = exc.http_status
    shown = redact(url)
    if status == 429:
        after = (exc.retry_after or "").strip()
        advice = (
            f"retry in {after} seconds"
            if after.isdigit()
            else f"retry after {after}"
            if after
            else "wait a few minutes before retrying"
        )
        message = (
            f"HTTP 429 Too Many Requests from {shown}: Lobsters is rate-limiting this client;"
            f" {advice}, and poll less often (a longer `interval`, a smaller `max_pages`)"
        )
    elif status == 401:
        message = (
            f"HTTP 401 Unauthorized from {shown}: Lobsters needs no login, so `base_url`"
            " probably points at a private instance or a proxy that wants credentials;"
            " check `base_url`"
        )
    elif status == 403:
        message = (
            f"HTTP 403 Forbidden from {shown}: the site refused this client (a blocked network"
            " or User-Agent?); set [http] user_agent to one that names you and a contact,"
            " and check `base_url`"
        )
    elif status == 404 and tags:
        message = (
            f"HTTP 404 Not Found from {shown}: is every name in `tags` a tag of this site?"
            f" (see {shown.split('/t/', 1)[0]}/tags)"
        )
    elif status == 404:
        message = f"HTTP 404 Not Found from {shown}: is `base_url` a Lobsters site?"
    else:
        return exc
    return SourceError(
        message,
        http_status=status,
        retry_after=exc.retry_after,
        headers=exc.headers,
        body=exc.body,
    )
