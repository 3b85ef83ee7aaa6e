"""Is an author one of the brand's own accounts?

`brand.handles` holds exact names and glob patterns ("AcmeSupport", "*atAcme"), matched
case-insensitively against the author's bare handle: the "@" of "@AcmeSupport" and Reddit's
"u/" are not part of it. A Mastodon author "user@domain" matches a pattern naming the full
address, or, when the pattern has no "@", the local part alone. Likewise a Bluesky author on
the shared host "user.bsky.social" matches a pattern without a "." by its first label; a
Bluesky handle on its own domain ("support.acme.com") must be listed as such (a glob like
"*.acme.com" works).
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase


def bare_handle(author: str) -> str:
    handle = author.strip().casefold()
    for prefix in ("/u/", "u/", "@"):
        if handle.startswith(prefix):
            handle = handle[len(prefix) :]
    return handle


#: Hosts where anyone can register a handle as a sub-name: only the part before is the user's.
SHARED_HANDLE_HOSTS = (".bsky.social",)


def is_brand_handle(author: str | None, patterns: Sequence[str]) -> bool:
    if not author or not patterns:
        return False
    handle = bare_handle(author)
    local = handle.split("@", 1)[0]
    for host in SHARED_HANDLE_HOSTS:
        if local.endswith(host):
            local = local[: -len(host)]
    for pattern in patterns:
        wanted = bare_handle(pattern)
        candidate = handle if ("@" in wanted or "." in wanted) else local
        if fnmatchcase(candidate, wanted):
            return True
    return False
