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

import functools
import re
from collections.abc import Callable, Sequence
from fnmatch import translate


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
    for matches, whole in _compiled(tuple(patterns)):
        if matches(handle if whole else local) is not None:
            return True
    return False


#: A pattern's test (`re.Pattern.match`), and whether it is matched against the whole handle.
_Compiled = tuple[Callable[[str], re.Match[str] | None], bool]


@functools.lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[_Compiled, ...]:
    """Each pattern as `fnmatch.fnmatchcase` matches it (its bare handle, translated to a
    regular expression), and whether it is matched against the whole handle (it names an
    address or a host) or the local part: read once for a brand's patterns, not on each post."""
    bare = map(bare_handle, patterns)
    return tuple(
        (re.compile(translate(wanted)).match, "@" in wanted or "." in wanted) for wanted in bare
    )
