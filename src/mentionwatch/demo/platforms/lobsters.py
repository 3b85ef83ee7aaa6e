"""The demo's Lobsters: `/newest.json`, tag feeds and `/s/ID.json` threads, shaped like lobste.rs.

Stories and comments carry the fields the current Lobsters `as_json` renders (see the shapes
cited in `mentionwatch.sources.lobsters`): usernames as strings, comments as one flat list in
thread order with a 0-based `depth` and the parent's short id, times in US Central time with an
offset, and `<`, `>`, `&` escaped as `\\u003c`... the way Rails writes JSON. A few stories that
do not name the brand are mixed in, as on the real site, so the scan's relevance filter has
something to drop.

Demo post fields used beyond the common ones: a reply's `depth` (1 = a direct reply; a deeper
reply hangs under the previous reply one level up, and missing levels are filled in) and
`deleted` (shown as Lobsters shows a comment its author removed); a post's optional `tags`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

from mentionwatch.demo.platforms import DemoRequest, DemoResponse, Router

KIND = "lobsters"
SITE = "https://lobste.rs"
#: Stories per page, as on lobste.rs (StoriesPaginator::STORIES_PER_PAGE).
PER_PAGE = 25
# lobste.rs reports times in US Central time; the demo uses standard time throughout.
_CENTRAL = timezone(timedelta(hours=-6))
_DEFAULT_TAGS = ("networking",)

# Ordinary front-page traffic that never names the brand.
_FILLERS: tuple[Mapping[str, Any], ...] = (
    {
        "id": "m4tq7z",
        "author": "cel",
        "title": "A visual guide to SSH port forwarding",
        "url": "https://tunnels.example/ssh-port-forwarding",
        "minutes_ago": 61,
        "reach": 17,
        "tags": ["networking", "security"],
    },
    {
        "id": "w8ns3k",
        "author": "forthright",
        "title": "Writing a tiny Forth in 400 lines of Rust",
        "url": "https://forthright.example/tiny-forth",
        "minutes_ago": 730,
        "reach": 28,
        "tags": ["rust", "plt"],
    },
    {
        "id": "z2re5d",
        "author": "nixbuild",
        "title": "Why we moved our CI to Nix, and what it cost us",
        "url": "https://ci-notes.example/ci-on-nix",
        "minutes_ago": 2210,
        "reach": 35,
        "tags": ["devops", "nix"],
    },
)


def source_table(base_url: str) -> dict[str, object]:
    return {"name": "lobsters", "kind": KIND, "base_url": base_url, "interval": "15m"}


def router(posts: list[dict[str, Any]], now: datetime) -> Router:
    stories = [_story(post) for post in posts]
    stories += [
        _story({**filler, "created_at": now - timedelta(minutes=filler["minutes_ago"])})
        for filler in _FILLERS
    ]
    stories.sort(key=lambda s: s["_at"], reverse=True)
    by_id = {story["short_id"]: story for story in stories}

    def route(request: DemoRequest) -> DemoResponse | None:
        if request.method != "GET":
            return None
        if match := re.fullmatch(r"/newest(?:/page/(\d+))?\.json", request.path):
            return _page(stories, match.group(1))
        if match := re.fullmatch(r"/t/([^/.]+)(?:/page/(\d+))?\.json", request.path):
            wanted = set(match.group(1).split(","))
            tagged = [s for s in stories if wanted & set(s["tags"])]
            return _page(tagged, match.group(2))
        if match := re.fullmatch(r"/s/([a-z0-9]+)(?:/[^/.]*)?\.json", request.path):
            story = by_id.get(match.group(1))
            if story is None:
                return _not_found()
            return _json({**_public(story), "comments": story["_comments"]})
        return None

    return route


def _page(stories: Sequence[Mapping[str, Any]], page: str | None) -> DemoResponse:
    number = int(page or 1)
    start = (number - 1) * PER_PAGE
    return _json([_public(s) for s in stories[start : start + PER_PAGE]])


def _public(story: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in story.items() if not k.startswith("_")}


def _json(payload: object) -> DemoResponse:
    # Rails' JSON encoder escapes these three inside strings; clients must cope.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return DemoResponse(200, text.encode("utf-8"))


def _not_found() -> DemoResponse:
    body = b"<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>"
    return DemoResponse(404, body, content_type="text/html; charset=utf-8")


def _time(moment: datetime) -> str:
    return moment.astimezone(_CENTRAL).isoformat(timespec="milliseconds")


def _slug(title: str) -> str:
    """Story.title_as_url: lower case, runs of other characters as one "_"."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_-]", "_", title.lower())).strip("_")


def _html(text: str) -> str:
    """Plain demo text as the HTML Lobsters' Markdown renderer would make of it."""
    return "".join(
        f"<p>{escape(part.strip())}</p>\n" for part in text.split("\n\n") if part.strip()
    )


def _story(post: Mapping[str, Any]) -> dict[str, Any]:
    short_id = str(post["id"])
    created: datetime = post["created_at"]
    link = str(post.get("link") or "")
    comments_url = link if link.startswith(f"{SITE}/s/") else f"{SITE}/s/{short_id}/"
    if comments_url.endswith("/"):
        comments_url += _slug(post["title"])
    comments = _comments(short_id, comments_url, post.get("replies") or [], created)
    text = str(post.get("text") or "")
    return {
        "short_id": short_id,
        "short_id_url": f"{SITE}/s/{short_id}",
        "created_at": _time(created),
        "title": post["title"],
        "url": str(post.get("url") or ""),
        "score": int(post.get("reach") or 1),
        "flags": 0,
        "comment_count": sum(1 for c in comments if not c["is_deleted"]),
        "description": _html(text),
        "description_plain": text,
        "comments_url": comments_url,
        "submitter_user": post["author"],
        "user_is_author": False,
        "tags": sorted(post.get("tags") or _DEFAULT_TAGS),
        "_at": created,
        "_comments": comments,
    }


def _comments(
    story_id: str, comments_url: str, replies: Sequence[Mapping[str, Any]], posted: datetime
) -> list[dict[str, Any]]:
    """Flat, in thread order; `chain[i]` is the short id of the latest comment at depth i+1."""
    out: list[dict[str, Any]] = []
    chain: list[str] = []
    for reply in replies:
        at: datetime = reply.get("created_at") or posted + timedelta(
            minutes=int(reply.get("minutes_after") or 0)
        )
        depth = max(1, int(reply.get("depth") or 1))
        while len(chain) < depth - 1:  # a level the demo data skipped: fill it in
            filler = {"author": "lurker", "text": "Seeing the same thing here."}
            out.append(_comment(story_id, comments_url, len(out), filler, at, chain))
            chain.append(out[-1]["short_id"])
        del chain[depth - 1 :]
        out.append(_comment(story_id, comments_url, len(out), reply, at, chain))
        chain.append(out[-1]["short_id"])
    return out


def _comment(
    story_id: str,
    comments_url: str,
    index: int,
    reply: Mapping[str, Any],
    at: datetime,
    ancestors: Sequence[str],
) -> dict[str, Any]:
    short_id = hashlib.sha1(f"{story_id}/{index}".encode()).hexdigest()[:6]
    deleted = bool(reply.get("deleted"))
    text = "Comment removed by author" if deleted else str(reply.get("text") or "")
    return {
        "short_id": short_id,
        "short_id_url": f"{SITE}/c/{short_id}",
        "created_at": _time(at),
        "last_edited_at": _time(at),
        "is_deleted": deleted,
        "is_moderated": False,
        "score": 1,
        "flags": 0,
        "parent_comment": ancestors[-1] if ancestors else None,
        "comment": f"<em>{text}</em>" if deleted else _html(text),
        "comment_plain": text,
        "url": f"{comments_url}#c_{short_id}",
        "depth": len(ancestors),
        "commenting_user": reply["author"],
    }
