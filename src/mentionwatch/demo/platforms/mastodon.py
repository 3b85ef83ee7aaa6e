"""The demo's Mastodon instance: hashtag timelines, full-text search and thread contexts, in the
shapes Mastodon's client API returns (see mentionwatch.sources.mastodon for the references).

Statuses get Mastodon's HTML (paragraphs, hashtag links, h-card mentions, `&#39;` escapes) and
replies get snowflake ids made from their time, so ids sort as they do on a real server. Search
answers only a request with the demo token, as Mastodon searches post text only for a logged-in
account.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote, urlencode

from mentionwatch.demo.platforms import DEMO_ENVIRON, DemoRequest, DemoResponse, Router

KIND = "mastodon"
#: The instance the demo server stands in for: accounts without "@domain" live here.
INSTANCE = "mastodon.social"
TOKEN_ENV = "DEMO_MASTODON_TOKEN"
RATE_LIMIT = 300

_TAG_PATH = re.compile(r"^/api/v1/timelines/tag/([^/]+)$")
_CONTEXT_PATH = re.compile(r"^/api/v1/statuses/([^/]+)/context$")
_HASHTAG = re.compile(r"(?<![\w/&])#(\w+)")
_MENTION = re.compile(r"(?<![\w/])@(\w+)(?:@([\w.-]+\.\w+))?")
_QUERY_PART = re.compile(r'"([^"]+)"|(\S+)')


def source_table(base_url: str) -> dict[str, object]:
    return {
        "name": "mastodon",
        "kind": KIND,
        "base_url": base_url,
        "token_env": TOKEN_ENV,
        "interval": "15m",
    }


def router(posts: list[dict[str, Any]], now: datetime) -> Router:
    return _DemoInstance(posts, now).handle


def _escape(text: str) -> str:
    """Rails' html_escape, which Mastodon's formatter uses: ' becomes &#39;."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _host_of(acct: str) -> str:
    return acct.partition("@")[2] or INSTANCE


def _profile_url(acct: str) -> str:
    return f"https://{_host_of(acct)}/@{acct.partition('@')[0]}"


def _status_html(text: str) -> str:
    """Plain demo text as Mastodon renders it: paragraphs, links for #tags and @mentions."""

    def tag_link(match: re.Match[str]) -> str:
        tag = match.group(1)
        return (
            f'<a href="https://{INSTANCE}/tags/{tag.lower()}" class="mention hashtag"'
            f' rel="tag">#<span>{tag}</span></a>'
        )

    def mention_link(match: re.Match[str]) -> str:
        user, domain = match.group(1), match.group(2)
        url = _profile_url(f"{user}@{domain}" if domain else user)
        return (
            f'<span class="h-card" translate="no"><a href="{url}" class="u-url mention">'
            f"@<span>{user}</span></a></span>"
        )

    paragraphs = []
    for part in text.split("\n\n"):
        if not part.strip():
            continue
        html = _escape(part.strip()).replace("\n", "<br />")
        html = _MENTION.sub(mention_link, _HASHTAG.sub(tag_link, html))
        paragraphs.append(f"<p>{html}</p>")
    return "".join(paragraphs)


def _time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _snowflake(moment: datetime, sequence: int) -> str:
    """Mastodon's id: milliseconds since the epoch, shifted 16 bits, plus a sequence."""
    return str((int(moment.timestamp() * 1000) << 16) + sequence % 65536)


def _id_key(status_id: str) -> tuple[int, str]:
    return (len(status_id), status_id)


def _digits(seed: str, length: int = 18) -> str:
    return str(int(hashlib.sha1(seed.encode()).hexdigest(), 16))[:length]


class _DemoInstance:
    def __init__(self, posts: Sequence[Mapping[str, Any]], now: datetime) -> None:
        self.now = now
        self.statuses: dict[str, dict[str, Any]] = {}
        self.children: dict[str, list[str]] = {}
        self.top_level: list[str] = []
        sequence = 0
        for post in posts:
            status = self._status(
                str(post["id"]),
                post["created_at"],
                post["author"],
                post["text"],
                url=post.get("link"),
                followers=post.get("reach"),
            )
            self._add(status)
            self.top_level.append(status["id"])
            last_at_depth: dict[int, dict[str, Any]] = {0: status}
            for reply in post.get("replies", []):
                depth = max(1, int(reply.get("depth", 1)))
                # A reply N levels down hangs under the latest reply one level up; missing
                # levels get a short follow-up by the original poster.
                for level in range(1, depth):
                    if level not in last_at_depth:
                        sequence += 1
                        filler = self._reply(
                            last_at_depth[level - 1],
                            post["author"],
                            "Any update on this?",
                            reply["created_at"] - timedelta(minutes=depth - level),
                            sequence,
                        )
                        last_at_depth[level] = filler
                sequence += 1
                answer = self._reply(
                    last_at_depth[depth - 1],
                    reply["author"],
                    reply["text"],
                    reply["created_at"],
                    sequence,
                )
                last_at_depth = {k: v for k, v in last_at_depth.items() if k < depth}
                last_at_depth[depth] = answer

    # --- building statuses --------------------------------------------------------------------

    def _account(self, acct: str, followers: int | None) -> dict[str, Any]:
        username = acct.partition("@")[0]
        seed = int(_digits(acct, 6))
        return {
            "id": _digits(f"account:{acct}"),
            "username": username,
            "acct": acct,
            "display_name": username.replace("_", " ").title(),
            "locked": False,
            "bot": False,
            "discoverable": True,
            "group": False,
            "created_at": "2022-11-08T00:00:00.000Z",
            "note": "",
            "url": _profile_url(acct),
            "avatar": f"https://{INSTANCE}/avatars/original/missing.png",
            "avatar_static": f"https://{INSTANCE}/avatars/original/missing.png",
            "header": f"https://{INSTANCE}/headers/original/missing.png",
            "header_static": f"https://{INSTANCE}/headers/original/missing.png",
            "followers_count": followers if followers is not None else 20 + seed % 900,
            "following_count": 40 + seed % 300,
            "statuses_count": 100 + seed % 5000,
            "last_status_at": self.now.date().isoformat(),
            "emojis": [],
            "fields": [],
        }

    def _status(
        self,
        status_id: str,
        created_at: datetime,
        acct: str,
        text: str,
        *,
        url: str | None = None,
        followers: int | None = None,
        parent: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        host, username = _host_of(acct), acct.partition("@")[0]
        tags = list(dict.fromkeys(t.lower() for t in _HASHTAG.findall(text)))
        return {
            "id": status_id,
            "created_at": _time(created_at),
            "in_reply_to_id": parent["id"] if parent else None,
            "in_reply_to_account_id": parent["account"]["id"] if parent else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"https://{host}/users/{username}/statuses/{status_id}",
            "url": url or f"https://{host}/@{username}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "content": _status_html(text),
            "reblog": None,
            "account": self._account(acct, followers),
            "media_attachments": [],
            "mentions": [],
            "tags": [{"name": t, "url": f"https://{INSTANCE}/tags/{t}"} for t in tags],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    def _reply(
        self,
        parent: dict[str, Any],
        acct: str,
        text: str,
        created_at: datetime,
        sequence: int,
    ) -> dict[str, Any]:
        status = self._status(
            _snowflake(created_at, sequence), created_at, acct, text, parent=parent
        )
        parent["replies_count"] += 1
        self._add(status)
        return status

    def _add(self, status: dict[str, Any]) -> None:
        self.statuses[status["id"]] = status
        if status["in_reply_to_id"]:
            self.children.setdefault(status["in_reply_to_id"], []).append(status["id"])

    # --- answering requests -------------------------------------------------------------------

    def handle(self, request: DemoRequest) -> DemoResponse | None:
        if request.method != "GET":
            return None
        if match := _TAG_PATH.match(request.path):
            return self._tag_timeline(unquote(match.group(1)), request.query)
        if request.path == "/api/v2/search":
            return self._search(request)
        if match := _CONTEXT_PATH.match(request.path):
            return self._context(unquote(match.group(1)))
        return None

    def _json(
        self, status: int, data: object, headers: Mapping[str, str] | None = None
    ) -> DemoResponse:
        reset = self.now + timedelta(minutes=5)
        return DemoResponse(
            status,
            json.dumps(data, ensure_ascii=False).encode("utf-8"),
            headers={
                "X-RateLimit-Limit": str(RATE_LIMIT),
                "X-RateLimit-Remaining": str(RATE_LIMIT - 1),
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                **(headers or {}),
            },
        )

    def _not_found(self) -> DemoResponse:
        return self._json(404, {"error": "Record not found"})

    @staticmethod
    def _paginate(ids: list[str], query: Mapping[str, list[str]], limit: int) -> list[str]:
        """Mastodon's id pagination: newest first below max_id; with min_id, the `limit`
        statuses immediately above it (still served newest first)."""

        def param(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values and values[0] else None

        ordered = sorted(ids, key=_id_key, reverse=True)
        if max_id := param("max_id"):
            ordered = [i for i in ordered if _id_key(i) < _id_key(max_id)]
        if since_id := param("since_id"):
            ordered = [i for i in ordered if _id_key(i) > _id_key(since_id)]
        if min_id := param("min_id"):
            ordered = [i for i in ordered if _id_key(i) > _id_key(min_id)]
            return ordered[-limit:]
        return ordered[:limit]

    def _tag_timeline(self, tag: str, query: Mapping[str, list[str]]) -> DemoResponse:
        wanted = {t.casefold() for t in [tag, *query.get("any[]", [])][:4]}
        tagged = [
            i
            for i, s in self.statuses.items()
            if wanted & {t["name"].casefold() for t in s["tags"]}
        ]
        page = self._paginate(tagged, query, _limit(query))
        headers = {}
        if page:
            # Like Mastodon, the links keep only limit (and local / only_media), not any[].
            path = f"https://{INSTANCE}/api/v1/timelines/tag/{tag}"
            kept = [("limit", v) for v in query.get("limit", [])]
            headers["Link"] = (
                f'<{path}?{urlencode([*kept, ("max_id", page[-1])])}>; rel="next", '
                f'<{path}?{urlencode([*kept, ("min_id", page[0])])}>; rel="prev"'
            )
        return self._json(200, [self.statuses[i] for i in page], headers)

    def _search(self, request: DemoRequest) -> DemoResponse:
        empty: dict[str, list[object]] = {"accounts": [], "statuses": [], "hashtags": []}
        authorization = request.headers.get("authorization")
        if authorization is None:
            return self._json(200, empty)  # no full-text search for anonymous clients
        if authorization != f"Bearer {DEMO_ENVIRON[TOKEN_ENV]}":
            return self._json(401, {"error": "The access token is invalid"})
        query = request.query
        if query.get("type", ["statuses"])[0] != "statuses":
            return self._json(200, empty)
        terms = [
            (phrase or word).casefold()
            for phrase, word in _QUERY_PART.findall(query.get("q", [""])[0])
        ]
        found = [
            i
            for i, status in self.statuses.items()
            if terms and all(_has_words(_plain(status["content"]), term) for term in terms)
        ]
        # Newest first; min_id / max_id bound the results, offset pages through them.
        ordered = self._paginate(found, {**query, "min_id": []}, len(found))
        if min_id := query.get("min_id", [""])[0]:
            ordered = [i for i in ordered if _id_key(i) > _id_key(min_id)]
        offset_text = query.get("offset", ["0"])[0]
        offset = int(offset_text) if offset_text.isdigit() else 0
        page = ordered[offset : offset + _limit(query)]
        return self._json(200, {**empty, "statuses": [self.statuses[i] for i in page]})

    def _context(self, status_id: str) -> DemoResponse:
        if status_id not in self.statuses:
            return self._not_found()
        ancestors: list[dict[str, Any]] = []
        parent = self.statuses[status_id]["in_reply_to_id"]
        while parent:
            ancestors.insert(0, self.statuses[parent])
            parent = self.statuses[parent]["in_reply_to_id"]
        descendants: list[dict[str, Any]] = []
        stack = list(reversed(self.children.get(status_id, [])))
        while stack:  # depth first, as Mastodon orders a thread
            current = stack.pop()
            descendants.append(self.statuses[current])
            stack.extend(reversed(self.children.get(current, [])))
        return self._json(200, {"ancestors": ancestors, "descendants": descendants})


def _limit(query: Mapping[str, list[str]]) -> int:
    text = query.get("limit", ["20"])[0]
    return min(int(text), 40) if text.isdigit() and int(text) > 0 else 20


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&#39;", "'").replace("&amp;", "&")


def _has_words(text: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE) is not None
