"""A loopback HTTP server that serves the bundled demo posts as real-shaped feeds.

Each feed is rendered in the structure its real counterpart uses (Google Alerts Atom with its
redirect links and <b> highlights, Reddit's search Atom, Mastodon's hashtag RSS, plain RSS 2.0),
with post times relative to now, so the demo exercises the same parsing as production.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape, quoteattr

from mentionwatch.text import html_to_text


def load_dataset() -> dict[str, Any]:
    raw = files("mentionwatch.demo").joinpath("posts.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


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


def render_feeds(dataset: Mapping[str, Any], now: datetime) -> dict[str, bytes]:
    """Every demo feed, as `/feeds/NAME.xml` -> body."""
    term = dataset["brand"]["terms"][0]
    rendered: dict[str, bytes] = {}
    for feed in dataset["feeds"]:
        posts = sorted(
            (
                {**post, "created_at": now - timedelta(minutes=post["minutes_ago"])}
                for post in dataset["posts"]
                if post["feed"] == feed["name"]
            ),
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


class _FeedHandler(BaseHTTPRequestHandler):
    feeds: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.feeds.get(self.path.split("?")[0])
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


@contextmanager
def serve_demo_feeds(dataset: Mapping[str, Any], now: datetime | None = None) -> Iterator[str]:
    """Serve the demo feeds on 127.0.0.1 (a free port); yields the base URL."""
    handler = type(
        "DemoFeedHandler",
        (_FeedHandler,),
        {"feeds": render_feeds(dataset, now or datetime.now(timezone.utc))},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="demo-feeds", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
