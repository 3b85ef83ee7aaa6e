"""RSS 0.9x/1.0/2.0 and Atom feeds, Google Alerts included, parsed by feedparser.

feedparser is always handed a byte stream of the body httpx fetched, never a URL or raw bytes:
given a string or bytes it may treat them as a path or URL and read a local file or the network
on its own, outside our deadline, size cap and politeness.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from mentionwatch.config import FieldError
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import Mention, SearchResult, SourceState
from mentionwatch.sources.base import Source
from mentionwatch.text import canonical_url, html_to_text, is_web_url


@dataclass(frozen=True)
class RssSettings:
    #: The feed's address (a Google Alerts "deliver to RSS feed" URL works as is).
    url: str

    def __post_init__(self) -> None:
        if not is_web_url(self.url):
            raise FieldError("url", "an http:// or https:// feed URL")


class RssSource(Source):
    kind = "rss"
    Settings = RssSettings

    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        settings: RssSettings = self.config.settings
        response = await http.get(settings.url, etag=state.etag, last_modified=state.last_modified)
        if response.not_modified:
            return SearchResult(
                mentions=[],
                etag=state.etag,
                last_modified=state.last_modified,
                not_modified=True,
                http_status=304,
            )
        mentions = parse_feed(
            response.content,
            source=self.name,
            base_url=response.url,
            content_type=response.headers.get("content-type", ""),
        )
        return SearchResult(
            mentions=mentions,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            http_status=response.status_code,
            items_seen=len(mentions),
        )


#: An XML entity declaration. Real feeds never declare entities; a billion-laughs or an
#: external-entity (XXE) attack does. Only the document's prolog can hold one.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_PROLOG_BYTES = 65_536
#: Where feedparser ends the prolog: the first tag that does not begin with "<?" or "<!".
_ROOT_ELEMENT = re.compile(rb"<\w")


def _declares_entities(body: bytes, content_type: str) -> bool:
    """Whether the prolog declares entities, judged on the bytes feedparser itself reads:
    after its own decoding to UTF-8 (UTF-16 or EBCDIC hides `<!ENTITY` from a look at the raw
    bytes) and up to the root element however far that is (a long comment first pushes the
    declarations past any fixed window, and feedparser's loose parser expands the ones it
    keeps, a quadratic blowup)."""
    from feedparser.encodings import convert_to_utf8

    headers = {"content-type": content_type} if content_type else {}
    # Decode only as much as it takes to reach the root element: decoding a whole 15 MB
    # feed the way feedparser does peaked at 180 MB. The prefix doubles until the root is
    # found (or the body ends), and its length stays a multiple of 4 so that UTF-16 and
    # UTF-32 are never cut inside a character.
    size = _PROLOG_BYTES
    while True:
        prefix = body[:size]
        decoded = convert_to_utf8(headers, prefix, {})
        root = _ROOT_ELEMENT.search(decoded)
        if size >= len(body) or (root is not None and root.start() < len(decoded) // 2):
            break
        size *= 2
    for data in (body, decoded):
        root = _ROOT_ELEMENT.search(data)
        end = max(_PROLOG_BYTES, root.start() if root else len(data))
        if _ENTITY_DECLARATION.search(data[:end]):
            return True
    return False


def parse_feed(body: bytes, *, source: str, base_url: str, content_type: str = "") -> list[Mention]:
    """Parse a feed body into mentions (not yet filtered for relevance)."""
    import feedparser

    if _declares_entities(body, content_type):
        raise SourceError(
            "refused: the feed declares XML entities (as a billion-laughs or external-entity"
            " attack does); nothing was expanded or read"
        )

    # No content-location: feedparser would resolve every <id> against it too, turning Reddit's
    # GUID "t3_abc" into "https://host/path/t3_abc", an id that changes with the feed's URL.
    # Links are resolved against base_url below instead.
    headers = {"content-type": content_type} if content_type else {}
    mentions: list[Mention] = []
    for part in _feed_parts(body):
        parsed = feedparser.parse(io.BytesIO(part), response_headers=headers)
        # Without a version feedparser found no feed at all (an HTML error page, an XML
        # error document, an empty body), whether or not it also flagged it as malformed.
        if not parsed.entries and not parsed.get("version"):
            reason = parsed.get("bozo_exception") or "unrecognised content"
            raise SourceError(f"not an RSS or Atom feed: {reason}")
        atom = str(parsed.get("version", "")).startswith("atom")
        mentions.extend(_entry_to_mention(e, source, base_url, atom) for e in parsed.entries)
        del parsed  # feedparser's own structures are many times the part's size
    return _separate_shared_guids(mentions)


#: Feeds larger than this are parsed in parts of about this size (see `_feed_parts`).
PART_BYTES = 500_000
_ITEM_OPEN = re.compile(rb"<(?:item|entry)[\s>/]")
_ITEM_CLOSE = re.compile(rb"</(?:item|entry)\s*>")
_NEXT_IS_ITEM = re.compile(rb"\s*<(?:item|entry)[\s>/]")


def _feed_parts(body: bytes) -> list[bytes]:
    """A large feed as several small feeds: the same prolog and channel, and the items in
    runs of about `PART_BYTES`, each cut right after an item that the next one follows.

    feedparser holds a parsed feed at many times its size (about 25x for a 1 MB part); parsed
    part by part, and each part's structures dropped once its items are read, a scan's peak
    memory stays near the body's own size. A feed whose items cannot be found this way (other
    encodings than ASCII-compatible ones, prefixed tags) is parsed whole, as before."""
    if len(body) <= PART_BYTES:
        return [body]
    first = _ITEM_OPEN.search(body)
    closes = list(_ITEM_CLOSE.finditer(body, first.start())) if first else []
    if first is None or not closes:
        return [body]
    head, tail = body[: first.start()], body[closes[-1].end() :]
    parts: list[bytes] = []
    start = first.start()
    for close in closes[:-1]:
        if close.end() - start >= PART_BYTES and _NEXT_IS_ITEM.match(body, close.end()):
            parts.append(head + body[start : close.end()] + tail)
            start = close.end()
    parts.append(head + body[start : closes[-1].end()] + tail)
    return parts


def _separate_shared_guids(mentions: list[Mention]) -> list[Mention]:
    """Some feeds reuse one GUID for different items (a template's constant, a CMS bug). Items
    that share a GUID but point to different links are different posts: keep them apart by
    adding the link to their id, rather than letting the last one overwrite the others."""
    links_by_id: dict[str, set[str]] = {}
    for mention in mentions:
        links_by_id.setdefault(mention.native_id, set()).add(canonical_url(mention.url))
    shared = {native_id for native_id, links in links_by_id.items() if len(links) > 1}
    if not shared:
        return mentions
    return [
        replace(m, native_id=f"{m.native_id}#{_short_hash(canonical_url(m.url))}")
        if m.native_id in shared
        else m
        for m in mentions
    ]


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _entry_to_mention(entry: Any, source: str, base_url: str, atom: bool) -> Mention:
    link = unwrap_redirect(urljoin(base_url, entry.get("link", ""))) if entry.get("link") else ""
    title = html_to_text(entry.get("title", ""))
    text = html_to_text(_entry_body(entry, atom))
    return Mention(
        source=source,
        kind=RssSource.kind,
        native_id=_native_id(entry, link, title, text),
        url=link,
        title=title,
        text=text,
        created_at=_entry_time(entry),
        author=_entry_author(entry, link),
    )


# Reddit's feeds put the post between these markers, then "submitted by ... [link] [comments]".
_REDDIT_BODY_END = "<!-- SC_ON -->"
# Link posts have no markers, only the trailer, which Reddit opens with a literal "&#32;".
_REDDIT_TRAILER = re.compile(r"&#32;\s*submitted by\s*&#32;")
# A Mastodon status URL: https://HOST/@USER/ID. Its hashtag feeds name no author, the URL does.
_MASTODON_STATUS = re.compile(r"^https?://([^/]+)/@([\w.]+)/\d+$")


def _entry_body(entry: Any, atom: bool) -> str:
    # Atom <content> (or RSS content:encoded) is the full text; <summary>/<description> a teaser.
    contents = entry.get("content", [])
    if not atom:
        # RSS content:encoded is always HTML; a plain-text "content" is an item's
        # media:description (image alt text, e.g. Mastodon's) that feedparser filed there.
        contents = [c for c in contents if c.get("type") != "text/plain"]
    body = next((str(c["value"]) for c in contents if c.get("value")), "")
    body = body or str(entry.get("summary", ""))
    body = body.split(_REDDIT_BODY_END, 1)[0]
    return _REDDIT_TRAILER.split(body, 1)[0]


def _entry_author(entry: Any, link: str) -> str | None:
    author = html_to_text(entry.get("author", "") or "").removeprefix("/")
    if not author and (status := _MASTODON_STATUS.match(link)):
        host, user = status.groups()
        author = f"{user}@{host}"
    return author or None


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            # feedparser normalises dates to UTC struct_time.
            return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    return None


def _native_id(entry: Any, link: str, title: str, text: str) -> str:
    """Miniflux's chain: the feed's GUID, else the link (in its canonical form, so http/https
    and tracking-parameter variants are one post), else a hash of title and content."""
    guid = str(entry.get("id", "") or "").strip()
    if guid:
        return guid
    if link:
        return canonical_url(link)
    digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return f"sha256:{digest}"


_REDIRECT_HOSTS = ("google.com", "www.google.com")


def unwrap_redirect(url: str) -> str:
    """Google Alerts wraps every link as `https://www.google.com/url?...&url=REAL`: unwrap it."""
    parts = urlsplit(url)
    if parts.hostname in _REDIRECT_HOSTS and parts.path == "/url":
        query = parse_qs(parts.query)
        for key in ("url", "q"):
            target = query.get(key, [""])[0]
            if is_web_url(target):
                return target
    return url
