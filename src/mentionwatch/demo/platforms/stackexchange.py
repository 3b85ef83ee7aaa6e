"""The demo's Stack Exchange: API 2.3 (`/search/advanced`, `/questions/{ids}/answers`,
`/questions/{ids}/comments`, `/answers/{ids}/comments`) for one site, Super User, in the shape
`mentionwatch.sources.stackexchange` reads from the real one.

Demo posts are questions. Their replies become answers and comments the way the dataset nests
them: a depth-1 reply is an answer (or, with `"se_type": "comment"`, a comment on the question);
a deeper reply is a comment on that answer, addressed (`reply_to_user`) to the comment it
answers, as "@name" comments are on the real site. When the data skips a level a short filler
comment is made up in between; a reply with `"deleted": true` is by a deleted account
(`user_type: "does_not_exist"`). Titles and names are HTML-escaped as the API escapes them
(`&#39;`, `&quot;`, `&#225;`), every response carries the quota fields, and a wrong `site` is a
`bad_parameter` error with HTTP 400, like the real API's.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from mentionwatch.demo.platforms import DemoRequest, DemoResponse, Router

KIND = "stackexchange"
SITE = "superuser"
SITE_URL = "https://superuser.com"
QUOTA_MAX = 300

Item = dict[str, Any]

_VECTOR = re.compile(r"/(questions|answers)/([0-9;]+)/(answers|comments)")


def source_table(base_url: str) -> dict[str, object]:
    return {
        "name": "superuser",
        "kind": KIND,
        "site": SITE,
        "base_url": base_url,
        "interval": "15m",
    }


def router(posts: list[dict[str, Any]], now: datetime) -> Router:
    site = _build_site(posts)
    quota = {"remaining": QUOTA_MAX}

    def answer(request: DemoRequest) -> DemoResponse | None:
        if request.method != "GET":
            return None
        path = unquote(request.path)
        query = {name: values[0] for name, values in request.query.items() if values}
        vector = _VECTOR.fullmatch(path)
        if path != "/search/advanced" and (
            vector is None or vector.group(1, 3) == ("answers",) * 2
        ):
            return None
        error = _check_site(query.get("site"))
        if error is not None:
            return error
        quota["remaining"] = max(1, quota["remaining"] - 1)  # the demo never runs dry
        if vector is None:
            items = site.search(query)
        else:
            owner, ids, wanted = vector.groups()
            items = site.children(owner, {int(i) for i in ids.split(";") if i}, wanted)
            newest_first = query.get("order", "desc") == "desc"
            items.sort(key=lambda i: i["creation_date"], reverse=newest_first)
        return _page(items, query, quota["remaining"])

    return answer


# --- the site's content -----------------------------------------------------------------------


@dataclass
class _Site:
    questions: list[Item] = field(default_factory=list)
    answers: list[Item] = field(default_factory=list)
    comments: list[Item] = field(default_factory=list)

    def search(self, query: Mapping[str, str]) -> list[Item]:
        words = re.findall(r"\w+", query.get("q", "").casefold())
        since = _int(query.get("fromdate"), 0)
        until = _int(query.get("todate"), 2**62)
        found = [
            q for q in self.questions if since <= q["creation_date"] <= until and _matches(q, words)
        ]
        found.sort(key=lambda q: q["creation_date"], reverse=query.get("order", "desc") == "desc")
        return found

    def children(self, owner: str, ids: set[int], wanted: str) -> list[Item]:
        if wanted == "answers":
            return [a for a in self.answers if a["question_id"] in ids]
        post_type = "question" if owner == "questions" else "answer"
        return [c for c in self.comments if c["post_id"] in ids and c["_post_type"] == post_type]


def _build_site(posts: list[dict[str, Any]]) -> _Site:
    site = _Site()
    taken = {int(post["id"]) for post in posts}
    comment_ids = iter(range(2_911_000, 3_000_000))

    def new_post_id(after: int) -> int:
        candidate = after + 1
        while candidate in taken:
            candidate += 1
        taken.add(candidate)
        return candidate

    for post in sorted(posts, key=lambda p: p["created_at"]):
        question_id = int(post["id"])
        question = _question(post, question_id)
        site.questions.append(question)
        last_id = question_id
        # chain[d] is the latest node at depth d: (kind, item); chain[0] is the question.
        chain: list[tuple[str, Item]] = [("question", question)]
        for reply in post.get("replies") or []:
            depth = max(1, int(reply.get("depth", 1)))
            del chain[depth:]
            while len(chain) < depth:  # the data skipped a level: someone commented between
                filler = {
                    "author": "hwguy",
                    "text": "Seeing exactly the same here.",
                    "created_at": reply["created_at"] - timedelta(minutes=1),
                }
                chain.append(_comment(site, filler, chain, question, next(comment_ids)))
            if len(chain) == 1 and reply.get("se_type") != "comment":
                last_id = new_post_id(last_id)
                node = ("answer", _answer(reply, last_id, question_id))
                site.answers.append(node[1])
            else:
                node = _comment(site, reply, chain, question, next(comment_ids))
            chain.append(node)
        replies = [a for a in site.answers if a["question_id"] == question_id]
        question["answer_count"] = len(replies)
        question["is_answered"] = any(a["score"] > 0 for a in replies)
        latest = [question["creation_date"]] + [r["creation_date"] for r in replies]
        question["last_activity_date"] = max(latest)
    return site


def _question(post: Mapping[str, Any], question_id: int) -> Item:
    created = int(post["created_at"].timestamp())
    slug = "-".join(re.findall(r"[a-z0-9]+", post["title"].lower()))[:80].strip("-")
    score = int(post.get("reach", 1))
    return {
        "tags": list(post.get("tags") or ["networking", "router"]),
        "owner": _owner(post["author"], bool(post.get("deleted"))),
        "is_answered": False,
        "view_count": 18 + 37 * max(score, 0),
        "answer_count": 0,
        "score": score,
        "last_activity_date": created,
        "creation_date": created,
        "question_id": question_id,
        "content_license": "CC BY-SA 4.0",
        "link": post.get("link") or f"{SITE_URL}/questions/{question_id}/{slug}",
        "title": se_escape(post["title"]),
        "body": paragraphs(post["text"]),
    }


def _answer(reply: Mapping[str, Any], answer_id: int, question_id: int) -> Item:
    created = int(reply["created_at"].timestamp())
    return {
        "owner": _owner(reply["author"], bool(reply.get("deleted"))),
        "is_accepted": False,
        "score": int(reply.get("score", 1)),
        "last_activity_date": created,
        "creation_date": created,
        "answer_id": answer_id,
        "question_id": question_id,
        "content_license": "CC BY-SA 4.0",
        "body": paragraphs(reply["text"]),
    }


def _comment(
    site: _Site,
    reply: Mapping[str, Any],
    chain: list[tuple[str, Item]],
    question: Item,
    comment_id: int,
) -> tuple[str, Item]:
    """A comment under the chain's answer (or the question), addressed to the comment it
    replies to."""
    on_answer = len(chain) > 1 and chain[1][0] == "answer"
    post = chain[1][1] if on_answer else question
    parent_kind, parent = chain[-1]
    comment: Item = {"owner": _owner(reply["author"], bool(reply.get("deleted")))}
    if parent_kind == "comment":
        comment["reply_to_user"] = parent["owner"]
    created = int(reply["created_at"].timestamp())
    comment.update(
        {
            "edited": False,
            "score": 0,
            "creation_date": created,
            "post_id": post["answer_id"] if on_answer else post["question_id"],
            "comment_id": comment_id,
            "content_license": "CC BY-SA 4.0",
            "body": se_escape(reply["text"], keep_unicode=True),
            "_post_type": "answer" if on_answer else "question",
        }
    )
    site.comments.append(comment)
    return ("comment", comment)


def _owner(name: str, deleted: bool) -> Item:
    if deleted:
        return {"user_type": "does_not_exist", "display_name": se_escape(name)}
    digest = int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:12], 16)
    user_id = 1_000_000 + digest % 900_000
    slug = "-".join(re.findall(r"[a-z0-9]+", name.lower())) or "user"
    return {
        "account_id": 2_000_000 + digest % 9_000_000,
        "reputation": 1 + digest % 4000,
        "user_id": user_id,
        "user_type": "registered",
        "profile_image": f"https://www.gravatar.com/avatar/{digest:032x}?s=256&d=identicon&r=PG",
        "display_name": se_escape(name),
        "link": f"{SITE_URL}/users/{user_id}/{slug}",
    }


# --- the API's text and wrapper ---------------------------------------------------------------


def se_escape(text: str, *, keep_unicode: bool = False) -> str:
    """Text as the API's safe filters encode it: `&#39;`, `&quot;`, and (in titles and names)
    every non-ASCII character as a numeric entity."""
    escaped = html.escape(text, quote=True).replace("&#x27;", "&#39;")
    if keep_unicode:
        return escaped
    return "".join(ch if ord(ch) < 128 else f"&#{ord(ch)};" for ch in escaped)


def paragraphs(text: str) -> str:
    """Plain demo text as the HTML body the site renders from Markdown."""
    parts = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{se_escape(p, keep_unicode=True)}</p>\n\n" for p in parts)


def _matches(question: Mapping[str, Any], words: list[str]) -> bool:
    text = html.unescape(re.sub(r"<[^>]+>", " ", f"{question['title']} {question['body']}"))
    found = set(re.findall(r"\w+", text.casefold()))
    return all(word in found for word in words)


def _page(items: list[Item], query: Mapping[str, str], remaining: int) -> DemoResponse:
    size = max(1, min(100, _int(query.get("pagesize"), 30)))
    number = max(1, _int(query.get("page"), 1))
    with_body = query.get("filter") == "withbody"
    chunk = [
        {k: v for k, v in item.items() if not k.startswith("_") and (with_body or k != "body")}
        for item in items[(number - 1) * size : number * size]
    ]
    return _json(
        {
            "items": chunk,
            "has_more": len(items) > number * size,
            "quota_max": QUOTA_MAX,
            "quota_remaining": remaining,
        }
    )


def _check_site(site: str | None) -> DemoResponse | None:
    if site == SITE:
        return None
    message = "site is required" if not site else f"No site found for name `{site}`"
    error = {"error_id": 400, "error_message": message, "error_name": "bad_parameter"}
    return DemoResponse(400, json.dumps(error).encode("utf-8"))


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _json(body: object) -> DemoResponse:
    return DemoResponse(200, json.dumps(body, ensure_ascii=False).encode("utf-8"))
