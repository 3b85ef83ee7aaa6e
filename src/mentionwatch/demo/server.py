"""A loopback HTTP server that serves the bundled demo posts as real-shaped feeds.

Each feed is rendered in the structure its real counterpart uses (Google Alerts Atom with its
redirect links and <b> highlights, Reddit's search Atom, Mastodon's hashtag RSS, plain RSS 2.0),
with post times relative to now, so the demo exercises the same parsing as production.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from types import ModuleType
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape, quoteattr

from mentionwatch.demo.platforms import DemoRequest, Router
from mentionwatch.text import html_to_text

#: Source kinds whose demo posts are served by a platform-shaped API (demo/platforms/KIND.py)
#: rather than as a feed, so the demo exercises those sources and their thread checks.
PLATFORM_KINDS = (
    "hackernews",
    "reddit",
    "mastodon",
    "bluesky",
    "stackexchange",
    "github",
    "lobsters",
)


def load_dataset() -> dict[str, Any]:
    """demo/posts.json, plus the extra posts of each platform (demo/posts_KIND.json)."""
    folder = files("mentionwatch.demo")
    data: dict[str, Any] = json.loads(folder.joinpath("posts.json").read_text(encoding="utf-8"))
    for kind in PLATFORM_KINDS:
        extra = folder.joinpath(f"posts_{kind}.json")
        if extra.is_file():
            more = json.loads(extra.read_text(encoding="utf-8"))
            data["posts"].extend(more["posts"] if isinstance(more, dict) else more)
    return data


def platform_modules() -> dict[str, ModuleType]:
    """The demo API of every platform that has one, by kind."""
    found = {}
    for kind in PLATFORM_KINDS:
        name = f"mentionwatch.demo.platforms.{kind}"
        if importlib.util.find_spec(name) is not None:
            found[kind] = importlib.import_module(name)
    return found


def _dated(post: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A demo post with absolute times: its own, and each reply's."""
    created = now - timedelta(minutes=post["minutes_ago"])
    replies = [
        {**reply, "created_at": created + timedelta(minutes=reply["minutes_after"])}
        for reply in post.get("replies") or []
    ]
    return {**post, "created_at": created, "replies": replies}


def _atom_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _html_paragraphs(text: str) -> str:
    """Plain demo text as the HTML a platform would serve (text with markup kept as is)."""
    if "<" in text:
        return text
    return "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n") if part.strip())


def _highlight(html: str, term: str) -> str:
    """Google Alerts wraps each occurrence of the alert's term in <b>...</b>."""
    return re.sub(rf"(?<!\w)({re.escape(term)})(?!\w)", r"<b>\1</b>", html, flags=re.IGNORECASE)


def _google_redirect(url: str, post_id: str) -> str:
    digest = hashlib.sha1(post_id.encode()).hexdigest()
    return (
        f"https://www.google.com/url?rct=j&sa=t&url={quote(url, safe=':/')}&ct=ga"
        f"&cd=CAIy{digest[:20]}&usg=AOvVaw{digest[20:34]}"
    )


def render_google_alerts(
    feed: Mapping[str, Any], posts: list[dict[str, Any]], now: datetime, term: str
) -> str:
    entries = []
    for post in posts:
        when = _atom_time(post["created_at"])
        numeric = int(hashlib.sha1(post["id"].encode()).hexdigest()[:15], 16)
        # Google shows a plain-text excerpt of the page, with the term in bold.
        excerpt = html_to_text(post["text"])
        title = _highlight(escape(post["title"] or excerpt[:90]), term)
        content = _highlight(escape(excerpt[:260]), term) + "&nbsp;..."
        entries.append(
            f"<entry>\n<id>tag:google.com,2013:googlealerts/feed:{numeric}</id>\n"
            f'<title type="html">{escape(title)}</title>\n'
            f"<link href={quoteattr(_google_redirect(post['link'], post['id']))}></link>\n"
            f"<published>{when}</published>\n<updated>{when}</updated>\n"
            f'<content type="html">{escape(content)}</content>\n'
            f"<author><name></name></author>\n</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing">\n'
        "<id>tag:google.com,2005:reader/user/04817362950184726311/state/com.google/alerts/"
        "13560928174402987615</id>\n"
        f"<title>{escape(feed['title'])}</title>\n"
        f"<updated>{_atom_time(now)}</updated>\n" + "\n".join(entries) + "\n</feed>\n"
    )


def render_reddit_atom(feed: Mapping[str, Any], posts: list[dict[str, Any]], now: datetime) -> str:
    entries = []
    for post in posts:
        author = post["author"].removeprefix("u/")
        subreddit = urlsplit(post["link"]).path.split("/")[2] if "/r/" in post["link"] else "all"
        body = (
            f'<!-- SC_OFF --><div class="md">{_html_paragraphs(post["text"])}</div>'
            f"<!-- SC_ON --> &#32; submitted by &#32; "
            f'<a href="https://www.reddit.com/user/{author}"> /u/{author} </a> &#32; to &#32; '
            f'<a href="https://www.reddit.com/r/{subreddit}/"> r/{subreddit} </a> <br/> '
            f'<span><a href="{post["link"]}">[link]</a></span> &#32; '
            f'<span><a href="{post["link"]}">[comments]</a></span>'
        )
        when = post["created_at"].strftime("%Y-%m-%dT%H:%M:%S+00:00")
        entries.append(
            f"<entry>\n<author>\n<name>/u/{escape(author)}</name>\n"
            f"<uri>https://www.reddit.com/user/{escape(author)}</uri>\n</author>\n"
            f'<category term="{escape(subreddit)}" label="r/{escape(subreddit)}"/>\n'
            f'<content type="html">{escape(body)}</content>\n'
            f"<id>{escape(post['id'])}</id>\n<link href={quoteattr(post['link'])} />\n"
            f"<updated>{when}</updated>\n<published>{when}</published>\n"
            f"<title>{escape(post['title'])}</title>\n</entry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">\n'
        f"<updated>{now.strftime('%Y-%m-%dT%H:%M:%S+00:00')}</updated>\n"
        "<id>/search.rss?q=brightloop&amp;sort=new</id>\n"
        f"<title>{escape(feed['title'])}</title>\n" + "\n".join(entries) + "\n</feed>\n"
    )


def _rss_channel(title: str, items: list[str], now: datetime, extra_ns: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"{extra_ns}>\n<channel>\n'
        f"<title>{escape(title)}</title>\n<link>https://example.invalid/</link>\n"
        f"<description>{escape(title)}</description>\n"
        f"<lastBuildDate>{format_datetime(now)}</lastBuildDate>\n"
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def render_mastodon_rss(feed: Mapping[str, Any], posts: list[dict[str, Any]], now: datetime) -> str:
    items = [
        f'<item>\n<guid isPermaLink="true">{escape(post["link"])}</guid>\n'
        f"<link>{escape(post['link'])}</link>\n"
        f"<pubDate>{format_datetime(post['created_at'])}</pubDate>\n"
        f"<description>{escape(_html_paragraphs(post['text']))}</description>\n</item>"
        for post in posts
    ]
    return _rss_channel(feed["title"], items, now)


def render_rss(feed: Mapping[str, Any], posts: list[dict[str, Any]], now: datetime) -> str:
    items = []
    for post in posts:
        creator = (
            f"<dc:creator>{escape(post['author'])}</dc:creator>\n" if post.get("author") else ""
        )
        items.append(
            f"<item>\n<title>{escape(post['title'] or post['text'][:80])}</title>\n"
            f"<link>{escape(post['link'])}</link>\n"
            f'<guid isPermaLink="false">{escape(post["id"])}</guid>\n{creator}'
            f"<pubDate>{format_datetime(post['created_at'])}</pubDate>\n"
            f"<description>{escape(_html_paragraphs(post['text']))}</description>\n</item>"
        )
    return _rss_channel(feed["title"], items, now, ' xmlns:dc="http://purl.org/dc/elements/1.1/"')


def feed_posts(dataset: Mapping[str, Any], feed: str, served_by_api: Sequence[str]) -> list[Any]:
    """The posts a feed carries: those not served by their platform's own API."""
    return [
        post
        for post in dataset["posts"]
        if post.get("feed") == feed and post.get("platform") not in served_by_api
    ]


def render_feeds(
    dataset: Mapping[str, Any], now: datetime, served_by_api: Sequence[str] = ()
) -> dict[str, bytes]:
    """Every demo feed, as `/feeds/NAME.xml` -> body."""
    term = dataset["brand"]["terms"][0]
    rendered: dict[str, bytes] = {}
    for feed in dataset["feeds"]:
        posts = sorted(
            (_dated(post, now) for post in feed_posts(dataset, feed["name"], served_by_api)),
            key=lambda post: post["created_at"],
            reverse=True,
        )
        fmt = feed["format"]
        if fmt == "google-alerts":
            body = render_google_alerts(feed, posts, now, term)
        elif fmt == "reddit-atom":
            body = render_reddit_atom(feed, posts, now)
        elif fmt == "mastodon-rss":
            body = render_mastodon_rss(feed, posts, now)
        else:
            body = render_rss(feed, posts, now)
        rendered[f"/feeds/{feed['name']}.xml"] = body.encode("utf-8")
    return rendered


class _DemoHandler(BaseHTTPRequestHandler):
    feeds: ClassVar[dict[str, bytes]] = {}
    platforms: ClassVar[dict[str, Router]] = {}

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _answer(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        if parts.path.startswith("/feeds/"):
            self._feed(parts.path)
            return
        kind, _, below = parts.path.lstrip("/").partition("/")
        route = self.platforms.get(kind)
        request = DemoRequest(
            method=self.command,
            path="/" + below,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        response = route(request) if route else None
        if response is None:
            self.send_error(404)
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def _feed(self, path: str) -> None:
        body = self.feeds.get(path)
        if body is None:
            self.send_error(404)
            return
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        content_type = "application/atom+xml" if b"<feed" in body[:300] else "application/rss+xml"
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo prints its own summary; request logs would only be noise


@dataclass(frozen=True)
class DemoSite:
    """The running demo server: where it is, and the [[sources]] tables that read it."""

    base_url: str
    sources: list[dict[str, object]]


@contextmanager
def serve_demo(dataset: Mapping[str, Any], now: datetime | None = None) -> Iterator[DemoSite]:
    """Serve the demo's feeds and platform APIs on 127.0.0.1 (a free port)."""
    now = now or datetime.now(timezone.utc)
    modules = platform_modules()
    routers = {
        kind: module.router(
            [_dated(p, now) for p in dataset["posts"] if p.get("platform") == kind], now
        )
        for kind, module in modules.items()
    }
    handler = type(
        "DemoHandler",
        (_DemoHandler,),
        {"feeds": render_feeds(dataset, now, list(modules)), "platforms": routers},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-server", daemon=True
    )
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    sources: list[dict[str, object]] = [
        {
            "name": feed["name"],
            "kind": "rss",
            "url": f"{base_url}/feeds/{feed['name']}.xml",
            "interval": "15m",
        }
        for feed in dataset["feeds"]
        if feed_posts(dataset, feed["name"], list(modules))
    ]
    sources += [module.source_table(f"{base_url}/{kind}") for kind, module in modules.items()]
    try:
        yield DemoSite(base_url, sources)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
