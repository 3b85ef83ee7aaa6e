"""The demo's Bluesky: a PDS that logs in with an app password and proxies search and threads,
in the shapes the real XRPC API returns (see mentionwatch.sources.bluesky for the references).

`com.atproto.server.createSession` accepts only the demo handle and app password and hands out
a JWT-shaped token with an `exp` two hours ahead; `app.bsky.feed.searchPosts` answers only a
request that carries one (Bluesky refuses search without a login), pages with an offset
`cursor` as Bluesky's search does, and honours `since`; `app.bsky.feed.getPostThread` nests
replies as `threadViewPost`s up to `depth`, and answers an unknown URI with 400 `NotFound`.

Handles are domain names, as on Bluesky: a demo author without a dot ("BrightloopHelp") is
served as `brightloophelp.bsky.social`. Replies get DIDs derived from their handle and record
keys in the TID format made from their time, so keys sort as they do on the network.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from mentionwatch.demo.platforms import DEMO_ENVIRON, DemoRequest, DemoResponse, Router

KIND = "bluesky"
HANDLE_ENV = "DEMO_BLUESKY_HANDLE"
APP_PASSWORD_ENV = "DEMO_BLUESKY_APP_PASSWORD"
RATE_LIMIT = 3000
THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"

_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_TID = "234567abcdefghijklmnopqrstuvwxyz"
_MENTION = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9.-]*\.[a-z]{2,})", re.IGNORECASE)
_TAG = re.compile(r"(?<![\w&#])#(\w+)")
_QUERY_PART = re.compile(r'"([^"]+)"|(\S+)')


def source_table(base_url: str) -> dict[str, object]:
    return {
        "name": "bluesky",
        "kind": KIND,
        "base_url": base_url.rstrip("/") + "/xrpc",
        "identifier_env": HANDLE_ENV,
        "app_password_env": APP_PASSWORD_ENV,
        "interval": "15m",
    }


def router(posts: list[dict[str, Any]], now: datetime) -> Router:
    return _DemoPds(posts, now).handle


# --- identifiers ------------------------------------------------------------------------------


def bsky_handle(name: str) -> str:
    """A demo author as a Bluesky handle: always a (lower-case) domain name."""
    handle = name.strip().lstrip("@").lower()
    return handle if "." in handle else f"{handle}.bsky.social"


def _base32(data: bytes, alphabet: str = _B32) -> str:
    number, bits = int.from_bytes(data, "big"), len(data) * 8
    return "".join(alphabet[(number >> shift) & 31] for shift in range(bits - 5, -1, -5))


def did_for(handle: str) -> str:
    return "did:plc:" + _base32(hashlib.sha256(handle.encode()).digest())[:24]


def tid(moment: datetime, clock_id: int) -> str:
    """A record key in atproto's TID format: microseconds and a clock id, base32-sortable."""
    micros = int(moment.timestamp() * 1_000_000)
    value = (micros << 10) | (clock_id & 1023)
    return "".join(_TID[(value >> shift) & 31] for shift in range(60, -1, -5))


def cid_for(uri: str) -> str:
    return "bafyrei" + _base32(hashlib.sha256(uri.encode()).digest())[:52]


def _iso(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _parse_iso(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            when = datetime.fromisoformat(value.strip() + "T00:00:00+00:00")  # a bare date
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _b64(data: Mapping[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _json(status: int, data: Any, headers: Mapping[str, str] | None = None) -> DemoResponse:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return DemoResponse(status, body, headers=dict(headers or {}))


def _error(status: int, name: str, message: str) -> DemoResponse:
    return _json(status, {"error": name, "message": message})


# --- the demo's posts as Bluesky views --------------------------------------------------------


@dataclass
class _Node:
    view: dict[str, Any]
    created_at: datetime
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return str(self.view["uri"])


def _facets(text: str) -> list[dict[str, Any]]:
    """Mentions and hashtags as richtext facets, indexed in UTF-8 bytes as Bluesky does."""
    facets = []
    for pattern, feature in (
        (_MENTION, lambda m: {"$type": "app.bsky.richtext.facet#mention", "did": did_for(m)}),
        (_TAG, lambda m: {"$type": "app.bsky.richtext.facet#tag", "tag": m}),
    ):
        for match in pattern.finditer(text):
            start = len(text[: match.start()].encode())
            end = start + len(match.group(0).encode())
            facets.append(
                {
                    "features": [feature(match.group(1).lower().rstrip("."))],
                    "index": {"byteStart": start, "byteEnd": end},
                }
            )
    return sorted(facets, key=lambda f: f["index"]["byteStart"])


def _author_view(handle: str, did: str) -> dict[str, Any]:
    return {
        "did": did,
        "handle": handle,
        "displayName": handle.split(".", 1)[0],
        "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/{cid_for(did)[:59]}@jpeg",
        "associated": {"chat": {"allowIncoming": "following"}},
        "viewer": {"muted": False, "blockedBy": False},
        "labels": [],
        "createdAt": "2023-09-14T10:21:07.512Z",
    }


def _post_view(
    uri: str,
    handle: str,
    text: str,
    created: datetime,
    likes: int,
    reposts: int,
    reply_to: tuple[_Node, _Node] | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "createdAt": _iso(created),
        "langs": ["en"],
        "text": text,
    }
    facets = _facets(text)
    if facets:
        record["facets"] = facets
    if reply_to:
        root, parent = reply_to
        record["reply"] = {
            "parent": {"cid": parent.view["cid"], "uri": parent.uri},
            "root": {"cid": root.view["cid"], "uri": root.uri},
        }
    did = uri.removeprefix("at://").split("/", 1)[0]
    return {
        "uri": uri,
        "cid": cid_for(uri),
        "author": _author_view(handle, did),
        "record": record,
        "replyCount": 0,
        "repostCount": reposts,
        "likeCount": likes,
        "quoteCount": 0,
        "indexedAt": _iso(created + timedelta(milliseconds=437)),
        "viewer": {"threadMuted": False, "embeddingDisabled": False},
        "labels": [],
    }


class _DemoPds:
    def __init__(self, posts: list[dict[str, Any]], now: datetime) -> None:
        self.now = now
        self.roots: list[_Node] = []
        self.by_uri: dict[str, _Node] = {}
        self.tokens: set[str] = set()
        self.logins = itertools.count(1)
        self.requests = itertools.count(1)
        for post in posts:
            self._add_post(post)
        self.roots.sort(key=lambda node: node.created_at, reverse=True)

    def _add_post(self, post: Mapping[str, Any]) -> None:
        reach = int(post.get("reach") or 0)
        created: datetime = post["created_at"]
        # The demo's reach is what the source reads back: likes plus reposts.
        view = _post_view(
            post["id"],
            bsky_handle(post["author"]),
            post["text"],
            created,
            reach - reach // 4,
            reach // 4,
        )
        root = _Node(view, created)
        self.roots.append(root)
        self.by_uri[root.uri] = root
        path: list[_Node] = []  # path[i]: the latest reply at depth i + 1
        for number, reply in enumerate(post.get("replies") or []):
            depth = max(1, int(reply.get("depth") or 1))
            when: datetime = reply["created_at"]
            while len(path) < depth - 1:  # a reply deeper than any before it: fill the gap
                filler_at = when - timedelta(minutes=depth - 1 - len(path))
                filler = self._reply(
                    root,
                    path[-1] if path else root,
                    post["author"],
                    "Any update on this?",
                    filler_at,
                    number * 8 + len(path),
                )
                path.append(filler)
            parent = path[depth - 2] if depth > 1 else root
            node = self._reply(root, parent, reply["author"], reply["text"], when, number * 8 + 7)
            path = [*path[: depth - 1], node]

    def _reply(
        self, root: _Node, parent: _Node, author: str, text: str, when: datetime, clock: int
    ) -> _Node:
        handle = bsky_handle(author)
        uri = f"at://{did_for(handle)}/app.bsky.feed.post/{tid(when, clock)}"
        likes = int(hashlib.sha256(uri.encode()).hexdigest(), 16) % 4
        node = _Node(_post_view(uri, handle, text, when, likes, 0, (root, parent)), when, parent)
        parent.children.append(node)
        parent.view["replyCount"] = len(parent.children)
        self.by_uri[uri] = node
        return node

    # --- requests -----------------------------------------------------------------------------

    def handle(self, request: DemoRequest) -> DemoResponse | None:
        method = request.path.removeprefix("/xrpc/")
        if method == "com.atproto.server.createSession" and request.method == "POST":
            return self.create_session(request)
        if request.method != "GET":
            return None
        if method == "app.bsky.feed.searchPosts":
            return self.search_posts(request)
        if method == "app.bsky.feed.getPostThread":
            return self.get_post_thread(request)
        return None

    def create_session(self, request: DemoRequest) -> DemoResponse:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return _error(400, "InvalidRequest", "Request body is not valid JSON")
        if not isinstance(body, dict) or not body.get("identifier") or not body.get("password"):
            return _error(400, "InvalidRequest", 'Input must have the property "identifier"')
        handle = DEMO_ENVIRON[HANDLE_ENV]
        if (
            str(body["identifier"]).lstrip("@").lower() != handle
            or body["password"] != DEMO_ENVIRON[APP_PASSWORD_ENV]
        ):
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        did, issued = did_for(handle), int(time.time())
        number = next(self.logins)
        access = ".".join(
            [
                _b64({"typ": "at+jwt", "alg": "ES256K"}),
                _b64(
                    {
                        "scope": "com.atproto.appPass",
                        "sub": did,
                        "iat": issued,
                        "exp": issued + 7200,
                        "aud": "did:web:demo.host.bsky.network",
                    }
                ),
                _base32(hashlib.sha256(f"access{number}{issued}".encode()).digest()),
            ]
        )
        refresh = ".".join(
            [
                _b64({"typ": "refresh+jwt", "alg": "ES256K"}),
                _b64(
                    {
                        "scope": "com.atproto.refresh",
                        "sub": did,
                        "iat": issued,
                        "exp": issued + 90 * 86400,
                        "jti": f"demo{number}",
                    }
                ),
                _base32(hashlib.sha256(f"refresh{number}{issued}".encode()).digest()),
            ]
        )
        self.tokens.add(access)
        return _json(
            200,
            {
                "did": did,
                "handle": handle,
                "email": "social@brightloop.example",
                "emailConfirmed": True,
                "emailAuthFactor": False,
                "accessJwt": access,
                "refreshJwt": refresh,
                "active": True,
            },
        )

    def _rate_headers(self) -> dict[str, str]:
        used = next(self.requests)
        reset = int(self.now.timestamp()) + 300
        return {
            "RateLimit-Limit": str(RATE_LIMIT),
            "RateLimit-Remaining": str(max(0, RATE_LIMIT - used)),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{RATE_LIMIT};w=300",
        }

    def search_posts(self, request: DemoRequest) -> DemoResponse:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return _error(401, "AuthMissing", "Authentication Required")
        if auth.removeprefix("Bearer ") not in self.tokens:
            return _error(400, "InvalidToken", "Token could not be verified")
        query = (request.query.get("q") or [""])[0]
        if not query.strip():
            return _error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        try:
            limit = int((request.query.get("limit") or ["25"])[0])
            offset = int((request.query.get("cursor") or ["0"])[0])
        except ValueError:
            return _error(400, "InvalidRequest", "Error: limit and cursor must be integers")
        if not 1 <= limit <= 100:
            return _error(400, "InvalidRequest", "Error: limit must be between 1 and 100")
        since = _parse_iso((request.query.get("since") or [""])[0])
        until = _parse_iso((request.query.get("until") or [""])[0])
        matches = [
            node
            for node in self.by_uri.values()
            if _matches(query, node.view["record"]["text"])
            and (since is None or _sort_at(node) >= since)
            and (until is None or _sort_at(node) < until)
        ]
        if (request.query.get("sort") or ["latest"])[0] == "top":
            matches.sort(key=lambda node: node.view["likeCount"], reverse=True)
        else:
            matches.sort(key=_sort_at, reverse=True)
        page = matches[offset : offset + limit]
        body: dict[str, Any] = {"posts": [node.view for node in page], "hitsTotal": len(matches)}
        if offset + limit < len(matches):
            body["cursor"] = str(offset + limit)
        return _json(200, body, self._rate_headers())

    def get_post_thread(self, request: DemoRequest) -> DemoResponse:
        uri = (request.query.get("uri") or [""])[0]
        if not uri:
            return _error(400, "InvalidRequest", 'Error: Params must have the property "uri"')
        try:
            depth = int((request.query.get("depth") or ["6"])[0])
            height = int((request.query.get("parentHeight") or ["80"])[0])
        except ValueError:
            return _error(400, "InvalidRequest", "Error: depth must be an integer")
        node = self.by_uri.get(uri)
        if node is None:
            return _error(400, "NotFound", f"Post not found: {uri}")
        thread = _thread_view(node, depth)
        parent, view = node.parent, thread
        while parent is not None and height > 0:
            view["parent"] = {"$type": THREAD_VIEW, "post": parent.view}
            view, parent, height = view["parent"], parent.parent, height - 1
        return _json(200, {"thread": thread}, self._rate_headers())


def _sort_at(node: _Node) -> datetime:
    indexed = _parse_iso(node.view["indexedAt"]) or node.created_at
    return min(node.created_at, indexed)


def _matches(query: str, text: str) -> bool:
    """Every word and "phrase" of the query, as whole words, in any case."""
    folded = text.casefold()
    for phrase, word in _QUERY_PART.findall(query):
        wanted = (phrase or word).strip().casefold()
        if wanted and not re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", folded):
            return False
    return True


def _thread_view(node: _Node, depth: int) -> dict[str, Any]:
    view: dict[str, Any] = {"$type": THREAD_VIEW, "post": node.view}
    if depth > 0:
        view["replies"] = [_thread_view(child, depth - 1) for child in node.children]
    return view
