"""The demo's Hacker News: Algolia's HN Search API (`/search_by_date`, `/items/:id`), in the
shape `mentionwatch.sources.hackernews` reads from the real one.

Demo posts are stories (an Ask HN-style text post) unless they say `"hn_type": "comment"`, in
which case `story_id` and `story_title` name the story they were left on. Replies nest as the
dataset says: a reply with `"depth": N` sits under the previous reply, with a short filler reply
made up in between when the data skips a level; a reply with `"deleted": true` keeps its place
without author or text, as HN shows it. Item ids for replies are invented after the post's own
id, never colliding with another post's.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from mentionwatch.demo.platforms import DemoRequest, DemoResponse, Router

KIND = "hackernews"

Item = dict[str, Any]


def source_table(base_url: str) -> dict[str, object]:
    return {"name": "hacker-news", "kind": KIND, "base_url": base_url, "interval": "15m"}


def router(posts: list[dict[str, Any]], now: datetime) -> Router:
    items = _build_items(posts)
    hits = [_hit(items[int(post["id"])], post) for post in posts]
    hits.sort(key=lambda hit: int(hit["created_at_i"]), reverse=True)

    def answer(request: DemoRequest) -> DemoResponse | None:
        if request.method != "GET":
            return None
        if request.path == "/search_by_date":
            return _json(_search(hits, request.query))
        found = re.fullmatch(r"/items/(\d+)", request.path)
        if found and int(found.group(1)) in items:
            return _json(items[int(found.group(1))])
        return None

    return answer


# --- items ------------------------------------------------------------------------------------


def hn_html(text: str) -> str:
    """Plain demo text as HN stores it: entities like &#x27; and &#x2F;, paragraphs joined
    by a bare <p>."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "<p>".join(html.escape(p, quote=True).replace("/", "&#x2F;") for p in paragraphs)


def _node(
    item_id: int,
    author: str | None,
    text: str,
    when: datetime,
    parent_id: int | None,
    story_id: int,
    item_type: str = "comment",
) -> Item:
    return {
        "author": author,
        "children": [],
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "created_at_i": int(when.timestamp()),
        "id": item_id,
        "options": [],
        "parent_id": parent_id,
        "points": None,
        "story_id": story_id,
        "text": hn_html(text) if text else None,
        "title": None,
        "type": item_type,
        "url": None,
    }


def _build_items(posts: Iterable[Mapping[str, Any]]) -> dict[int, Item]:
    """Every post and reply as an `items/:id` node, by id; each node holds its children."""
    posts = list(posts)
    taken = {int(post["id"]) for post in posts}
    items: dict[int, Item] = {}

    def new_id(after: int) -> int:
        candidate = after + 1
        while candidate in taken:
            candidate += 1
        taken.add(candidate)
        return candidate

    for post in posts:
        post_id = int(post["id"])
        author, text, when = post["author"], post["text"], post["created_at"]
        if post.get("hn_type") == "comment":
            story_id = int(post["story_id"])
            root = _node(post_id, author, text, when, story_id, story_id)
        else:
            root = _node(post_id, author, text, when, None, post_id, "story")
            root.update(title=post["title"], points=post.get("reach", 1))
        items[post_id] = root
        last_id = post_id
        chain: list[Item] = [root]  # chain[d] is the latest node at depth d
        for reply in post.get("replies", []):
            depth = max(1, int(reply.get("depth", 1)))
            del chain[depth:]
            while len(chain) < depth:  # the data skipped a level: someone replied in between
                last_id = new_id(last_id)
                filler = _node(
                    last_id,
                    "hn_lurker",
                    "Seeing the same thing here.",
                    reply["created_at"] - timedelta(minutes=1),
                    chain[-1]["id"],
                    root["story_id"],
                )
                chain[-1]["children"].append(filler)
                items[last_id] = filler
                chain.append(filler)
            last_id = new_id(last_id)
            deleted = bool(reply.get("deleted"))  # HN keeps the node, without author or text
            node = _node(
                last_id,
                None if deleted else reply["author"],
                "" if deleted else reply["text"],
                reply["created_at"],
                chain[-1]["id"],
                root["story_id"],
            )
            chain[-1]["children"].append(node)
            items[last_id] = node
            chain.append(node)
    return items


def _descendants(item: Item) -> int:
    return sum(1 + _descendants(child) for child in item["children"])


# --- search -----------------------------------------------------------------------------------


def _hit(item: Item, post: Mapping[str, Any]) -> Item:
    author = item["author"]
    iso = item["created_at"]
    common = {
        "_highlightResult": {"author": {"matchLevel": "none", "matchedWords": [], "value": author}},
        "_tags": [item["type"], f"author_{author}", f"story_{item['story_id']}"],
        "author": author,
        "created_at": iso,
        "created_at_i": item["created_at_i"],
        "objectID": str(item["id"]),
        "story_id": item["story_id"],
        "updated_at": iso.replace(".000Z", "Z"),
    }
    if item["type"] == "comment":
        return {
            **common,
            "comment_text": item["text"],
            "parent_id": item["parent_id"],
            "story_title": post.get("story_title", ""),
        }
    return {
        **common,
        "children": [child["id"] for child in item["children"]],
        "num_comments": _descendants(item),
        "points": item["points"],
        "story_text": item["text"],
        "title": item["title"],
    }


def _search(hits: list[Item], query: Mapping[str, list[str]]) -> Item:
    def first(name: str, default: str = "") -> str:
        return (query.get(name) or [default])[0]

    words = re.findall(r"\w+", first("query").casefold())
    tag_test = _tag_filter(first("tags"))
    numeric_test = _numeric_filter(first("numericFilters"))
    per_page = max(1, min(1000, _int(first("hitsPerPage"), 20)))
    page = max(0, _int(first("page"), 0))
    matching = [hit for hit in hits if _matches(hit, words) and tag_test(hit) and numeric_test(hit)]
    return {
        "exhaustive": {"nbHits": True, "typo": True},
        "exhaustiveNbHits": True,
        "exhaustiveTypo": True,
        "hits": matching[page * per_page : (page + 1) * per_page],
        "hitsPerPage": per_page,
        "nbHits": len(matching),
        "nbPages": math.ceil(len(matching) / per_page),
        "page": page,
        "params": "&".join(f"{k}={v[0]}" for k, v in query.items() if v),
        "processingTimeMS": 1,
        "query": first("query"),
        "serverTimeMS": 1,
    }


def _matches(hit: Mapping[str, Any], words: list[str]) -> bool:
    searchable = " ".join(
        str(hit.get(key) or "") for key in ("title", "story_text", "comment_text", "author")
    )
    found = set(re.findall(r"\w+", html.unescape(searchable).casefold()))
    return all(word in found for word in words)


def _tag_filter(tags: str) -> Callable[[Mapping[str, Any]], bool]:
    """Algolia tags: comma-separated terms are ANDed, a parenthesised group is ORed."""
    groups = [
        {tag.strip() for tag in group.strip("()").split(",") if tag.strip()}
        for group in re.findall(r"\([^)]*\)|[^,()]+", tags)
        if group.strip("() ")
    ]
    return lambda hit: all(group & set(hit["_tags"]) for group in groups)


_CONDITION = re.compile(r"^\s*(\w+)\s*(>=|<=|!=|>|<|=)\s*(-?\d+)\s*$")
_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _numeric_filter(filters: str) -> Callable[[Mapping[str, Any]], bool]:
    conditions = [m.groups() for m in map(_CONDITION.match, filters.split(",")) if m]

    def test(hit: Mapping[str, Any]) -> bool:
        for field, op, value in conditions:
            actual = hit.get(field)
            if not isinstance(actual, int) or not _OPERATORS[op](actual, int(value)):
                return False
        return True

    return test


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def _json(body: object) -> DemoResponse:
    return DemoResponse(200, json.dumps(body, ensure_ascii=False).encode("utf-8"))
