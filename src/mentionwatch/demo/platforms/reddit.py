"""The demo's Reddit: the OAuth token endpoint and the JSON API the `reddit` source reads.

Mounted at one prefix, it serves both hosts under different paths: `/www/api/v1/access_token`
(www.reddit.com) and `/oauth/...` (oauth.reddit.com): `search` and `r/SUB/search` sorted new
with `after` paging, `comments/ID` trees, and `api/morechildren`. Like Reddit, a thread shows
only its first few top-level comments and folds the rest into a "more" stub, so the demo
exercises the source's stub expansion too. Shapes as in `mentionwatch.sources.reddit`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from mentionwatch.demo.platforms import DEMO_ENVIRON, DemoRequest, DemoResponse, Router

KIND = "reddit"

_TOKEN = "demo-reddit-bearer-0c5d1e"
#: Top-level comments shown in a thread before the rest is folded into a "more" stub.
_SHOWN_TOP_LEVEL = 3
_RATE_HEADERS = {
    "x-ratelimit-used": "3",
    "x-ratelimit-remaining": "597.0",
    "x-ratelimit-reset": "412",
}
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_UNAUTHORIZED = {"message": "Unauthorized", "error": 401}


def source_table(base_url: str) -> dict[str, object]:
    return {
        "name": "reddit",
        "kind": KIND,
        "interval": "15m",
        "base_url": f"{base_url}/oauth",
        "auth_url": f"{base_url}/www/api/v1/access_token",
        "client_id_env": "DEMO_REDDIT_CLIENT_ID",
        "client_secret_env": "DEMO_REDDIT_CLIENT_SECRET",
        "user_agent": "python:mentionwatch-demo:v1 (by /u/brightloop_demo)",
    }


def router(posts: list[dict[str, Any]], now: datetime) -> Router:
    return _DemoReddit(posts, now).answer


@dataclass
class _Comment:
    data: dict[str, Any]
    children: list[_Comment] = field(default_factory=list)


class _DemoReddit:
    def __init__(self, posts: list[dict[str, Any]], now: datetime) -> None:
        self.links: list[dict[str, Any]] = []
        self.threads: dict[str, list[_Comment]] = {}
        self.comments: dict[str, _Comment] = {}
        self.searchable: dict[str, str] = {}
        for post in posts:
            link = self._link(post, now)
            self.links.append(link)
            self.searchable[link["name"]] = f"{post.get('title', '')} {post.get('text', '')}"
            self.threads[link["id"]] = self._thread(link, post)
        self.links.sort(key=lambda link: link["created_utc"], reverse=True)

    # --- building the data --------------------------------------------------------------------

    @staticmethod
    def _link(post: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        id36 = str(post["id"]).removeprefix("t3_")
        path = urlsplit(str(post.get("link", ""))).path
        parts = path.strip("/").split("/")
        subreddit = parts[1] if len(parts) > 1 and parts[0] == "r" else "Brightloop"
        permalink = path if path.startswith("/r/") else f"/r/{subreddit}/comments/{id36}/"
        created = _moment(post.get("created_at"), now - timedelta(minutes=post["minutes_ago"]))
        text = str(post.get("text", ""))
        return {
            "subreddit": subreddit,
            "selftext": text,
            "title": post.get("title", ""),
            "subreddit_name_prefixed": f"r/{subreddit}",
            "name": f"t3_{id36}",
            "ups": post.get("reach", 1),
            "score": post.get("reach", 1),
            "edited": False,
            "is_self": True,
            "domain": f"self.{subreddit}",
            "selftext_html": f"<!-- SC_OFF -->{_markdown_html(text)}<!-- SC_ON -->",
            "over_18": False,
            "id": id36,
            "author": post.get("author") or "[deleted]",
            "num_comments": len(post.get("replies") or []),
            "permalink": permalink,
            "url": f"https://www.reddit.com{permalink}",
            "created_utc": created.timestamp(),
            "stickied": False,
            "distinguished": None,
        }

    def _thread(self, link: dict[str, Any], post: Mapping[str, Any]) -> list[_Comment]:
        """The post's replies as a tree: a reply with "depth": N goes under the reply before it
        (intermediate replies are made up when a depth skips a level)."""
        top: list[_Comment] = []
        chain: list[_Comment] = []
        start = datetime.fromtimestamp(link["created_utc"], tz=timezone.utc)
        for index, reply in enumerate(post.get("replies") or []):
            depth = max(1, int(reply.get("depth", 1)))
            when = _moment(
                reply.get("created_at"), start + timedelta(minutes=reply["minutes_after"])
            )
            while len(chain) < depth - 1:
                filler = self._comment(
                    link, chain, f"{index}-{len(chain)}", "+1, same here", None, when
                )
                self._attach(top, chain, filler)
            del chain[depth - 1 :]
            node = self._comment(link, chain, str(index), reply["text"], reply.get("author"), when)
            self._attach(top, chain, node)
        return top

    def _comment(
        self,
        link: Mapping[str, Any],
        chain: list[_Comment],
        salt: str,
        text: str,
        author: str | None,
        when: datetime,
    ) -> _Comment:
        id36 = _id36(f"{link['id']}/{salt}")
        parent = chain[-1].data["name"] if chain else link["name"]
        data = {
            "subreddit": link["subreddit"],
            "author": author or "[deleted]",
            "created_utc": when.timestamp(),
            "parent_id": parent,
            "score": 1,
            "body": text if author else "[deleted]",
            "is_submitter": author == link["author"],
            "body_html": _markdown_html(text if author else "[deleted]"),
            "permalink": f"{link['permalink']}{id36}/",
            "name": f"t1_{id36}",
            "link_id": link["name"],
            "replies": "",
            "id": id36,
            "distinguished": None,
            "depth": len(chain),
            "subreddit_name_prefixed": link["subreddit_name_prefixed"],
        }
        node = _Comment(data)
        self.comments[id36] = node
        return node

    @staticmethod
    def _attach(top: list[_Comment], chain: list[_Comment], node: _Comment) -> None:
        (chain[-1].children if chain else top).append(node)
        chain.append(node)

    # --- answering ----------------------------------------------------------------------------

    def answer(self, request: DemoRequest) -> DemoResponse | None:
        if request.path == "/www/api/v1/access_token" and request.method == "POST":
            return self._token(request)
        if not request.path.startswith("/oauth/"):
            return None
        if request.headers.get("authorization", "").lower() != f"bearer {_TOKEN}":
            return _json(_UNAUTHORIZED, status=401)
        path = request.path.removeprefix("/oauth").rstrip("/")
        if path == "/search" or re.fullmatch(r"/r/\w+(\+\w+)*/search", path):
            return self._search(request, path)
        if match := re.fullmatch(r"/comments/(\w+)", path):
            return self._tree(match.group(1))
        if path == "/api/morechildren":
            return self._more(request)
        return None

    @staticmethod
    def _token(request: DemoRequest) -> DemoResponse:
        expected = "{}:{}".format(
            DEMO_ENVIRON["DEMO_REDDIT_CLIENT_ID"], DEMO_ENVIRON["DEMO_REDDIT_CLIENT_SECRET"]
        )
        basic = "Basic " + base64.b64encode(expected.encode()).decode("ascii")
        grant = request.body.decode(errors="replace")
        if request.headers.get("authorization") != basic or "client_credentials" not in grant:
            return _json(_UNAUTHORIZED, status=401)
        return _json(
            {"access_token": _TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"},
            rate_limited=False,
        )

    def _search(self, request: DemoRequest, path: str) -> DemoResponse:
        query = request.query.get("q", [""])[0]
        terms = [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', query)]
        terms = [t.casefold() for t in terms if t.upper() not in ("OR", "AND", "NOT")]
        subreddits = None
        if path.startswith("/r/"):
            subreddits = {s.casefold() for s in path.split("/")[2].split("+")}
        found = [
            link
            for link in self.links
            if any(t in self.searchable[link["name"]].casefold() for t in terms)
            and (subreddits is None or link["subreddit"].casefold() in subreddits)
        ]
        after = request.query.get("after", [""])[0]
        names = [link["name"] for link in found]
        start = names.index(after) + 1 if after in names else 0
        limit = int(request.query.get("limit", ["25"])[0] or 25)
        page = found[start : start + limit]
        more = start + limit < len(found)
        listing = _listing([{"kind": "t3", "data": link} for link in page], dist=len(page))
        listing["data"]["after"] = page[-1]["name"] if page and more else None
        listing["data"]["facets"] = {}
        return _json(listing)

    def _tree(self, id36: str) -> DemoResponse | None:
        link = next((link for link in self.links if link["id"] == id36), None)
        if link is None:
            return _json({"message": "Not Found", "error": 404}, status=404)
        top = self.threads[id36]
        shown = [_render(node) for node in top[:_SHOWN_TOP_LEVEL]]
        hidden = top[_SHOWN_TOP_LEVEL:]
        if hidden:
            ids = [node.data["id"] for node in hidden]
            count = sum(1 + _descendants(node) for node in hidden)
            shown.append(
                {
                    "kind": "more",
                    "data": {
                        "count": count,
                        "name": f"t1_{ids[0]}",
                        "id": ids[0],
                        "parent_id": link["name"],
                        "depth": 0,
                        "children": ids,
                    },
                }
            )
        post = _listing([{"kind": "t3", "data": {**link, "num_duplicates": 0}}], dist=1)
        return _json([post, _listing(shown, dist=None)])

    def _more(self, request: DemoRequest) -> DemoResponse:
        link_id = request.query.get("link_id", [""])[0]
        if link_id.removeprefix("t3_") not in self.threads:
            # Reddit answers an unknown or missing link_id with 403.
            return _json({"message": "Forbidden", "error": 403}, status=403)
        wanted = [c for c in request.query.get("children", [""])[0].split(",") if c]
        things: list[dict[str, Any]] = []
        for id36 in wanted:
            node = self.comments.get(id36)
            if node is not None and node.data["link_id"] == link_id:
                things.extend(_flatten(node))
        return _json({"json": {"errors": [], "data": {"things": things}}})


# --- rendering -----------------------------------------------------------------------------------


def _render(node: _Comment) -> dict[str, Any]:
    data = dict(node.data)
    if node.children:
        data["replies"] = _listing([_render(child) for child in node.children], dist=None)
    return {"kind": "t1", "data": data}


def _flatten(node: _Comment) -> list[dict[str, Any]]:
    """morechildren's answer: comments in tree order, each with empty `replies`."""
    flat = [{"kind": "t1", "data": dict(node.data)}]
    for child in node.children:
        flat.extend(_flatten(child))
    return flat


def _descendants(node: _Comment) -> int:
    return sum(1 + _descendants(child) for child in node.children)


def _listing(children: list[dict[str, Any]], *, dist: int | None) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {
            "after": None,
            "dist": dist,
            "modhash": "",
            "geo_filter": "",
            "children": children,
            "before": None,
        },
    }


def _markdown_html(text: str) -> str:
    """What Reddit renders plain markdown paragraphs as (raw_json=1: real HTML)."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    inner = "\n\n".join(f"<p>{_escape(p)}</p>" for p in paragraphs)
    return f'<div class="md">{inner}\n</div>'


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _id36(seed: str) -> str:
    number = int(hashlib.sha1(seed.encode()).hexdigest()[:12], 16)
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
    return ("l" + digits)[:7]


def _moment(value: Any, fallback: datetime) -> datetime:
    return value if isinstance(value, datetime) else fallback


def _json(payload: Any, *, status: int = 200, rate_limited: bool = True) -> DemoResponse:
    body = json.dumps(payload).encode()
    return DemoResponse(status, body, headers=_RATE_HEADERS if rate_limited else {})
