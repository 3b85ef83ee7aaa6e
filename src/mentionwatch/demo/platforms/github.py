"""The demo's GitHub: the REST endpoints the github source reads, in GitHub's shapes.

Serves `GET /search/issues` (the quoted terms of `q` and its `created:>=`, `sort=created`,
`order`, `per_page`, `page`), `/repos/O/R/issues/N/comments`, `/repos/O/R/pulls/N/comments`,
`/repos/O/R/pulls/N/reviews` and `/rate_limit`. A post's `link` (github.com/O/R/issues/N or
.../pull/N) says where it lives.

GitHub has no nested issue comments, so a demo reply with `"depth": 2` or more is rendered the
closest way GitHub has: on a pull request, as a reply in a review-comment thread started by the
reply before it (or by a synthetic reviewer when there is none), with `in_reply_to_id` pointing
at the thread's first comment, as GitHub does for every reply; on an issue, as a comment quoting
the reply before it. A reply author "ghost" is a deleted account.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from mentionwatch.demo.platforms import DemoRequest, DemoResponse, Router

KIND = "github"
TOKEN_ENV = "DEMO_GITHUB_TOKEN"

_API = "https://api.github.com"
_WEB = "https://github.com"
_LINK = re.compile(r"^/([\w.-]+)/([\w.-]+)/(issues|pull)/([0-9]+)")
_PATH = re.compile(r"^/repos/([\w.-]+)/([\w.-]+)/(issues|pulls)/([0-9]+)/(comments|reviews)$")
_CREATED = re.compile(r"created:>=(\S+)")
_QUOTED = re.compile(r'"([^"]+)"')
_SEARCH_LIMIT = 30
#: Starts a review thread when a nested reply has no reply before it.
_REVIEWER = "repo-maintainer"


def source_table(base_url: str) -> dict[str, object]:
    return {
        "name": "github",
        "kind": KIND,
        "base_url": base_url,
        "token_env": TOKEN_ENV,
        "interval": "15m",
    }


def router(posts: list[dict[str, Any]], now: datetime) -> Router:
    site = _Site(posts, now)

    def route(request: DemoRequest) -> DemoResponse | None:
        if request.method != "GET":
            return None
        token = request.headers.get("authorization")
        if token is not None and token != "Bearer demo-github-token":
            return _json(
                {
                    "message": "Bad credentials",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "401",
                },
                status=401,
            )
        if request.path == "/search/issues":
            return site.search(request.query)
        if request.path == "/rate_limit":
            return _json(site.rate_limit())
        match = _PATH.match(request.path)
        if not match:
            return None
        owner, repo, section, number, listing = match.groups()
        thread = site.threads.get((owner.lower(), repo.lower(), int(number)))
        if thread is None or (section == "pulls" and not thread.pull):
            return _json({"message": "Not Found", "status": "404"}, status=404)
        if request.query.get("page", ["1"])[0] != "1":
            return _json([])  # every demo thread fits on one page
        if section == "issues":
            return _json(thread.issue_comments)
        return _json(thread.review_comments if listing == "comments" else thread.reviews)

    return route


# --- rendering ----------------------------------------------------------------------------------


def _number(text: str, size: int = 9) -> int:
    digest = int(hashlib.sha1(text.encode()).hexdigest()[:12], 16)
    return int(digest % 10**size + 10**size)


def _time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(login: str) -> dict[str, Any]:
    uid = 10137 if login == "ghost" else _number("user:" + login, 7)
    bot = login.endswith("[bot]")
    return {
        "login": login,
        "id": uid,
        "node_id": f"U_kgDO{uid}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": f"{_API}/users/{login}",
        "html_url": f"{_WEB}/apps/{login.removesuffix('[bot]')}" if bot else f"{_WEB}/{login}",
        "type": "Bot" if bot else "User",
        "user_view_type": "public",
        "site_admin": False,
    }


def _reactions(url: str, total: int) -> dict[str, Any]:
    counts = dict.fromkeys(("-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0)
    return {"url": url + "/reactions", "total_count": total, "+1": total, **counts}


class _Thread:
    """One demo post as a GitHub issue or pull request, with its comments."""

    def __init__(self, post: Mapping[str, Any], now: datetime) -> None:
        link = _LINK.match(urlsplit(str(post["link"])).path)
        if not link:
            raise ValueError(f"demo github post {post['id']} has no github.com issue link")
        self.owner, self.repo, kind, number = link.groups()
        self.number = int(number)
        self.pull = kind == "pull"
        self.created = _created(post, now)
        self.issue_comments: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self._render_replies(post, now)
        self.item = self._item(post)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.owner.lower(), self.repo.lower(), self.number)

    @property
    def web(self) -> str:
        return f"{_WEB}/{self.owner}/{self.repo}/{'pull' if self.pull else 'issues'}/{self.number}"

    @property
    def api(self) -> str:
        return f"{_API}/repos/{self.owner}/{self.repo}"

    def _render_replies(self, post: Mapping[str, Any], now: datetime) -> None:
        replies = list(post.get("replies") or [])
        root: dict[str, Any] | None = None  # the open review thread's first comment
        for index, reply in enumerate(replies):
            when = _reply_time(reply, self.created, now)
            author, text = str(reply["author"]), str(reply["text"])
            depth = int(reply.get("depth", 1))
            nested_next = index + 1 < len(replies) and int(replies[index + 1].get("depth", 1)) > 1
            seed = f"{post['id']}:{index}"
            if depth > 1 and self.pull:
                if root is None:
                    started = when - timedelta(minutes=1)
                    root = self._review_comment(seed + ":root", _REVIEWER, "Why this?", started)
                self._review_comment(seed, author, text, when, reply_to=root["id"])
            elif depth > 1:
                quoted = str(replies[index - 1]["text"]).split("\n")[0] if index else ""
                body = f"> {quoted}\n\n{text}" if quoted else text
                self.issue_comments.append(self._issue_comment(seed, author, body, when))
            elif self.pull and nested_next:
                root = self._review_comment(seed, author, text, when)
            else:
                root = None
                self.issue_comments.append(self._issue_comment(seed, author, text, when))

    def _issue_comment(self, seed: str, author: str, body: str, when: datetime) -> dict[str, Any]:
        cid = _number("comment:" + seed)
        url = f"{self.api}/issues/comments/{cid}"
        return {
            "url": url,
            "html_url": f"{self.web}#issuecomment-{cid}",
            "issue_url": f"{self.api}/issues/{self.number}",
            "id": cid,
            "node_id": f"IC_kwDOK{cid}",
            "user": _user(author),
            "created_at": _time(when),
            "updated_at": _time(when),
            "author_association": "NONE",
            "body": body,
            "reactions": _reactions(url, 0),
            "performed_via_github_app": None,
        }

    def _review_comment(
        self, seed: str, author: str, body: str, when: datetime, reply_to: int | None = None
    ) -> dict[str, Any]:
        cid, review_id = _number("review-comment:" + seed), _number("review:" + seed)
        url = f"{self.api}/pulls/comments/{cid}"
        web = f"{self.web}#discussion_r{cid}"
        pull_url = f"{self.api}/pulls/{self.number}"
        comment: dict[str, Any] = {
            "url": url,
            "pull_request_review_id": review_id,
            "id": cid,
            "node_id": f"PRRC_kwDOK{cid}",
            "diff_hunk": "@@ -12,6 +12,9 @@ async def _request(self, method, path):",
            "path": "custom_components/brightloop/api.py",
            "commit_id": hashlib.sha1(seed.encode()).hexdigest(),
            "original_commit_id": hashlib.sha1(seed.encode()).hexdigest(),
            "user": _user(author),
            "body": body,
            "created_at": _time(when),
            "updated_at": _time(when),
            "html_url": web,
            "pull_request_url": pull_url,
            "author_association": "NONE",
            "_links": {
                "self": {"href": url},
                "html": {"href": web},
                "pull_request": {"href": pull_url},
            },
            "reactions": _reactions(url, 0),
            "line": 15,
            "side": "RIGHT",
            "subject_type": "line",
        }
        if reply_to is not None:
            comment["in_reply_to_id"] = reply_to
        self.review_comments.append(comment)
        # Every review comment belongs to a review; a lone one is an empty "commented" review.
        self.reviews.append(
            {
                "id": review_id,
                "node_id": f"PRR_kwDOK{review_id}",
                "user": _user(author),
                "body": "",
                "state": "COMMENTED",
                "html_url": f"{self.web}#pullrequestreview-{review_id}",
                "pull_request_url": pull_url,
                "author_association": "NONE",
                "_links": {
                    "html": {"href": f"{self.web}#pullrequestreview-{review_id}"},
                    "pull_request": {"href": pull_url},
                },
                "submitted_at": _time(when),
                "commit_id": comment["commit_id"],
            }
        )
        return comment

    def _item(self, post: Mapping[str, Any]) -> dict[str, Any]:
        issue_api = f"{self.api}/issues/{self.number}"
        iid = int(post["id"]) if str(post["id"]).isdigit() else _number("issue:" + post["id"])
        comments = len(self.issue_comments)
        item: dict[str, Any] = {
            "url": issue_api,
            "repository_url": self.api,
            "labels_url": issue_api + "/labels{/name}",
            "comments_url": issue_api + "/comments",
            "events_url": issue_api + "/events",
            "html_url": self.web,
            "id": iid,
            "node_id": f"{'PR' if self.pull else 'I'}_kwDOK{iid}",
            "number": self.number,
            "title": post.get("title") or "",
            "user": _user(str(post["author"])),
            "labels": [],
            "state": "open",
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": comments,
            "created_at": _time(self.created),
            "updated_at": _time(self.created),
            "closed_at": None,
            "author_association": "NONE",
            "active_lock_reason": None,
            "body": post.get("text") or "",
            # The source's reach is reactions + comments: make it the post's reach.
            "reactions": _reactions(issue_api, max(0, int(post.get("reach") or 0) - comments)),
            "timeline_url": issue_api + "/timeline",
            "performed_via_github_app": None,
            "state_reason": None,
            "score": 1.0,
        }
        if self.pull:
            item["draft"] = False
            item["pull_request"] = {
                "url": f"{self.api}/pulls/{self.number}",
                "html_url": self.web,
                "diff_url": self.web + ".diff",
                "patch_url": self.web + ".patch",
                "merged_at": None,
            }
        return item


class _Site:
    def __init__(self, posts: Sequence[Mapping[str, Any]], now: datetime) -> None:
        self.now = now
        threads = [_Thread(post, now) for post in posts]
        self.threads = {thread.key: thread for thread in threads}

    def search(self, query: Mapping[str, list[str]]) -> DemoResponse:
        q = query.get("q", [""])[0]
        terms = [t.casefold() for t in _QUOTED.findall(q)]
        since = _CREATED.search(q)
        floor = _parse(since.group(1)) if since else None
        found = [
            t.item
            for t in self.threads.values()
            if (floor is None or t.created >= floor)
            and (
                not terms
                or any(term in f"{t.item['title']}\n{t.item['body']}".casefold() for term in terms)
            )
        ]
        found.sort(key=lambda item: item["created_at"], reverse=query.get("order") != ["asc"])
        per_page = min(100, int(query.get("per_page", ["30"])[0]))
        page = int(query.get("page", ["1"])[0])
        chosen = found[(page - 1) * per_page : page * per_page]
        body = {"total_count": len(found), "incomplete_results": False, "items": chosen}
        reset = int((self.now + timedelta(minutes=1)).timestamp())
        return _json(
            body,
            headers={
                "X-RateLimit-Limit": str(_SEARCH_LIMIT),
                "X-RateLimit-Remaining": str(_SEARCH_LIMIT - 1),
                "X-RateLimit-Reset": str(reset),
                "X-RateLimit-Resource": "search",
            },
        )

    def rate_limit(self) -> dict[str, Any]:
        reset = int((self.now + timedelta(hours=1)).timestamp())
        core = {"limit": 5000, "used": 1, "remaining": 4999, "reset": reset, "resource": "core"}
        search = {"limit": 30, "used": 1, "remaining": 29, "reset": reset, "resource": "search"}
        return {"resources": {"core": core, "search": search}, "rate": core}


def _created(post: Mapping[str, Any], now: datetime) -> datetime:
    value = post.get("created_at")
    if isinstance(value, datetime):
        return value
    return now - timedelta(minutes=float(post.get("minutes_ago", 0)))


def _reply_time(reply: Mapping[str, Any], posted: datetime, now: datetime) -> datetime:
    value = reply.get("created_at")
    if isinstance(value, datetime):
        return value
    return min(now, posted + timedelta(minutes=float(reply.get("minutes_after", 0))))


def _parse(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> DemoResponse:
    return DemoResponse(
        status=status,
        body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
        headers=dict(headers or {}),
    )
