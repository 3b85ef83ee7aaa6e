"""Platform-shaped APIs for the demo, one module per source kind.

Each module serves the demo posts of its platform (`post["platform"] == KIND`) the way the real
API does, so `mentionwatch demo` exercises the real source code, thread checks included. A module
provides:

    KIND: str                      # the source kind, e.g. "hackernews"
    def source_table(base_url: str) -> dict[str, object]
        # the [[sources]] entry of the demo config; `base_url` is where this module is mounted
        # (e.g. "http://127.0.0.1:PORT/hackernews"); credentials only as *_env names found in
        # DEMO_ENVIRON below
    def router(posts: list[dict], now: datetime) -> Router
        # posts: this platform's demo posts; each has "created_at" (aware datetime) and its
        # "replies" each have "created_at" too (see demo/posts.json for the other fields)

A `Router` receives one request relative to the mount point and answers it, or returns None for
a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoRequest:
    method: str
    #: The path below the platform's mount point, starting with "/".
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""


@dataclass(frozen=True)
class DemoResponse:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


Router = Callable[[DemoRequest], DemoResponse | None]

#: Fake credentials the demo config's *_env keys point at (the demo passes these to the scan
#: as its environment; nothing is read from or written to the real environment).
DEMO_ENVIRON: Mapping[str, str] = {
    "DEMO_BLUESKY_HANDLE": "brightloop-demo.bsky.social",
    "DEMO_BLUESKY_APP_PASSWORD": "demo-app-password",
    "DEMO_REDDIT_CLIENT_ID": "demo-client-id",
    "DEMO_REDDIT_CLIENT_SECRET": "demo-client-secret",
    "DEMO_MASTODON_TOKEN": "demo-mastodon-token",
    "DEMO_GITHUB_TOKEN": "demo-github-token",
}
