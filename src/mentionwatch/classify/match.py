"""Relevance: does a post name the brand, and not in a sense that makes it irrelevant?

A term matches case-insensitively as a whole word or phrase: "Acme" matches "@acme" and
"Acme's", not "Acmefied". Surrounding double quotes are allowed ("\\"Acme Cloud\\"") and mean
the same; whitespace inside a phrase matches any run of whitespace. A trailing `*` matches any
word ending ("Acme*" matches "AcmeCloud").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


def _clean(term: str) -> str:
    return term.strip().strip('"').strip()


def _term_pattern(term: str) -> str:
    prefix_only = term.endswith("*")
    words = term.rstrip("*").split()
    body = r"\s+".join(re.escape(word) for word in words)
    tail = r"\w*" if prefix_only else r"(?!\w)"
    return rf"(?<!\w){body}{tail}"


def _compile(terms: Sequence[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    groups = "|".join(f"(?P<t{i}>{_term_pattern(t)})" for i, t in enumerate(terms))
    return re.compile(groups, re.IGNORECASE)


@dataclass(frozen=True)
class TermMatcher:
    terms: tuple[str, ...]
    exclude: tuple[str, ...]
    _include: re.Pattern[str] | None
    _exclude: re.Pattern[str] | None

    def match(self, *texts: str) -> str | None:
        """The brand term the texts match (as configured), or None if irrelevant."""
        if self._include is None:
            return None
        joined = "\n".join(texts)
        found = self._include.search(joined)
        if found is None:
            return None
        if self._exclude is not None and self._exclude.search(joined):
            return None
        return self.terms[int((found.lastgroup or "t0")[1:])]


def compile_matcher(terms: Sequence[str], exclude: Sequence[str] = ()) -> TermMatcher:
    """Compile include and exclude terms once; blank terms are ignored."""
    usable = tuple(t for t in map(_clean, terms) if t.rstrip("*"))
    excluded = tuple(t for t in map(_clean, exclude) if t.rstrip("*"))
    return TermMatcher(usable, excluded, _compile(usable), _compile(excluded))
