"""Copy-paste spam: the same text posted by many accounts in one poll.

One account repeating itself is a customer who is annoyed; the same words from three or more
different accounts at once is a campaign (a scam, a bot ring, a giveaway chain). Texts are
compared after `normalized_for_duplicates` (mentions, links, hashtags and numbers folded), and
only texts of some length count: "@acme down?" from three people is an outage, not spam.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from mentionwatch.models import Classification

_FOLDED_FOR_DUPLICATES = re.compile(r"https?://\S+|@\w+|#\w+|\d+")
_WORDS_FOR_DUPLICATES = re.compile(r"\w+")


def normalized_for_duplicates(text: str) -> str:
    """The text with mentions, links and numbers folded: copy-paste spam posted by many
    accounts normalises to the same string."""
    folded = _FOLDED_FOR_DUPLICATES.sub(" ", text.lower())
    return " ".join(_WORDS_FOR_DUPLICATES.findall(folded))


#: This many distinct accounts posting the same text make it spam.
MIN_ACCOUNTS = 3
#: Normalized texts shorter than this are too generic to call copies.
MIN_LENGTH = 20

_COPIES_SIGNAL = re.compile(r"^same text from (\d+) accounts$")


def copies_signal(accounts: int) -> str:
    return f"same text from {accounts} accounts"


def copies_in(signal: str) -> int | None:
    """The number of accounts in a "same text from N accounts" signal; None for others."""
    found = _COPIES_SIGNAL.match(signal)
    return int(found.group(1)) if found else None


def copied_across_accounts(posts: Sequence[tuple[str | None, str]]) -> dict[int, int]:
    """For (author, text) posts: index -> how many distinct accounts posted that same text,
    for every post whose text came from at least `MIN_ACCOUNTS` accounts. Posts without an
    author never make a group (nothing says they are different accounts)."""
    return copied_by_key(
        [(author, normalized_for_duplicates(text) if author else "") for author, text in posts]
    )


def copied_by_key(posts: Sequence[tuple[str | None, str]]) -> dict[int, int]:
    """`copied_across_accounts` for (author, normalized text) posts: a scan normalizes each
    post's text in the worker process that judges it."""
    groups: dict[str, list[int]] = {}
    authors: dict[str, set[str]] = {}
    for index, (author, key) in enumerate(posts):
        if not author or len(key) < MIN_LENGTH:
            continue
        groups.setdefault(key, []).append(index)
        authors.setdefault(key, set()).add(author.casefold())
    return {
        index: len(authors[key])
        for key, members in groups.items()
        if len(authors[key]) >= MIN_ACCOUNTS
        for index in members
    }


def as_copied_spam(verdict: Classification, accounts: int) -> Classification:
    """The verdict of a post found copied across `accounts` accounts: spam, not a question."""
    signal = copies_signal(accounts)
    kept = tuple(s for s in verdict.spam_signals if copies_in(s) is None)
    return replace(verdict, spam=True, question=False, spam_signals=(*kept, signal))
