"""Fast regular-expression search for the classifier's rules, and the words a match needs.

`compile_search(pattern)` answers `re.search(pattern, text) is not None`, only faster on the
patterns the rules are written in (alternatives led by `\\b` and a word). `words_needed`
reads a pattern for the whole words any match must contain, so that a rule can be skipped,
without running it, on a post that lacks them. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable


def _scan(pattern: str) -> tuple[list[str], int]:
    """The top-level alternatives of `pattern` (split on "|" outside groups and classes), and
    where its first group closes (-1 if it has none, or it is not closed)."""
    branches: list[str] = []
    depth, start, at, in_class, first_close = 0, 0, 0, False, -1
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at += 1  # the escaped character is never a delimiter
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True  # (no pattern here starts a class with a literal "]")
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0 and first_close == -1:
                first_close = at
        elif char == "|" and depth == 0:
            branches.append(pattern[start:at])
            start = at + 1
        at += 1
    return [*branches, pattern[start:]], first_close


_META = frozenset(".^$*+?{}[]()|\\")
#: Escapes that stand for the character itself ("\\$", "\\."), not a class or an assertion.
_ESCAPED_LITERALS = frozenset(".^$*+?{}[]()|\\/-#&'\"%@:!,~ ")


def _literal_char(pattern: str, at: int) -> tuple[str, int] | None:
    """The character the pattern matches literally at `at`, and where the next item starts; None
    for anything else, or a character a quantifier makes optional."""
    char, after = pattern[at], at + 1
    if char == "\\" and pattern[at + 1 : at + 2] in _ESCAPED_LITERALS:
        char, after = pattern[at + 1], at + 2
    elif char in _META:
        return None
    if pattern[after : after + 1] in ("?", "*", "{"):
        return None
    return char, after


def _literal_of(branch: str) -> str | None:
    """The text `branch` matches, if it is plain text."""
    text, at = "", 0
    while at < len(branch):
        found = _literal_char(branch, at)
        if found is None:
            return None
        text, at = text + found[0], found[1]
    return text


def _class_chars(branch: str) -> tuple[list[str], int] | None:
    """The characters of the class ("[$£€]", "\\d") `branch` opens with, and where it ends;
    None for a negated, wide or unclear class."""
    if branch.startswith("\\d"):
        return list("0123456789"), 2
    if not branch.startswith("[") or branch.startswith("[^"):
        return None
    chars: list[str] = []
    at = 1
    while at < len(branch) and branch[at] != "]":
        char = branch[at]
        if char == "\\":
            if branch[at + 1 : at + 2] == "d":
                chars.extend("0123456789")
            elif branch[at + 1 : at + 2] in _ESCAPED_LITERALS:
                chars.append(branch[at + 1])
            else:
                return None
            at += 2
        elif branch[at + 1 : at + 2] == "-" and branch[at + 2 : at + 3] not in ("", "]"):
            chars.extend(chr(code) for code in range(ord(char), ord(branch[at + 2]) + 1))
            at += 3
        else:
            chars.append(char)
            at += 1
    if at >= len(branch) or len(chars) > 16:
        return None
    return chars, at + 1


def _prefixes(branch: str) -> frozenset[str] | None:
    """Strings one of which starts every match of `branch`, or None when that is not clear:
    the plain text it opens with, through the alternatives of a group ("(?:on|in) my" opens
    with "on my" or "in my"), or those of an optional group and what follows it."""
    literal, at = "", 0
    while at < len(branch):
        found = _literal_char(branch, at)
        if found is not None:
            literal, at = literal + found[0], found[1]
            continue
        in_class = _class_chars(branch[at:]) if not literal else None
        if in_class is not None:  # a class: a group of one-character alternatives
            end = at + in_class[1] - 1
            inner = [re.escape(char) for char in in_class[0]]
        elif branch.startswith("(?:", at) and _scan(branch[at:])[1] != -1:
            end = at + _scan(branch[at:])[1]
            inner = _scan(branch[at + 3 : end])[0]
        else:
            break
        quantifier = branch[end + 1 : end + 2]
        if quantifier == "?" and not literal and branch[end + 2 : end + 3] not in ("?", "+"):
            options, rest = _any_prefixes(inner), _prefixes(branch[end + 2 :])
            return None if options is None or rest is None else options | rest
        if quantifier in ("?", "*", "{"):
            break
        words = [_literal_of(option) for option in inner]
        if quantifier != "+" and all(words):
            tails = _prefixes(branch[end + 1 :]) or frozenset(("",))
            if len(words) * len(tails) > 64:
                tails = frozenset(("",))
            return frozenset(f"{literal}{word}{tail}" for word in words for tail in tails)
        if literal:
            break
        return _any_prefixes(inner)
    return frozenset((literal,)) if literal else None


def _any_prefixes(branches: list[str]) -> frozenset[str] | None:
    found: set[str] = set()
    for branch in branches:
        prefixes = _prefixes(branch)
        if prefixes is None:
            return None
        found |= prefixes
    return frozenset(found)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what `\w` matches in a str pattern


def _at_boundary(text: str, at: int) -> bool:
    """Whether `\b` holds at `at`: a word character on one side only."""
    before = at > 0 and _is_word(text[at - 1])
    return before != (at < len(text) and _is_word(text[at]))


#: Tries at most this many places where a pattern may start, then lets `re` scan instead.
_MAX_TRIES = 64
#: Shorter texts are searched at once: looking for the opening words first costs more there.
_SHORT = 200


def compile_search(pattern: str) -> Callable[[str], bool]:
    """`re.compile(pattern).search(text) is not None`, only faster.

    Most patterns here open with `\\b` and a word ("\\bhurry\\b", "\\b(?:earn|make)\\s+..."). A
    leading `\\b` leaves `re` no literal text to scan for, so it tries the whole pattern at every
    position: 20 times slower than "hurry\\b", and on a 500-word post each rule costs tens of
    microseconds. So the words a match must start with are found with `str.find` (a fast scan),
    and the pattern, without its leading `\\b`, is tried only there (`match`), with the `\\b`
    checked by hand: the same answer as the search. The alternatives that do not open with
    `\\b` are searched apart, the same way when they open with plain text or a small class
    ("[$£€]"), as they are otherwise."""
    branches = _scan(pattern)[0]
    bounded = [branch[2:] for branch in branches if branch.startswith("\\b")]
    others = [branch for branch in branches if not branch.startswith("\\b")]
    finders = [
        _finder(group, at_boundary)
        for group, at_boundary in ((bounded, True), (others, False))
        if group
    ]
    if len(finders) == 1:
        return finders[0]
    first, second = finders
    return lambda text: first(text) or second(text)


def _finder(branches: list[str], at_boundary: bool) -> Callable[[str], bool]:
    """Whether any of `branches` matches, with a `\\b` before it when `at_boundary`."""
    compiled = re.compile("|".join(branches))
    search, match = compiled.search, compiled.match
    # A short text is searched at once, with the `\\b`s back in place: `re` checks a `\\b`
    # before trying the words, where `scan` would stop at every word that merely contains one
    # ("is" in "this") and check the boundary in Python (twice as slow on a tweet).
    whole = re.compile("|".join(rf"\b{branch}" for branch in branches)) if at_boundary else compiled
    search_whole = whole.search
    starts = _any_prefixes(branches) or frozenset()
    # Only the first 8 characters: fewer strings to look for, the same places found. And
    # "copy " adds nothing to "copy": every place it occurs, "copy" does.
    short = {opening[:8] for opening in starts}
    openings = tuple(sorted(s for s in short if not any(s != t and s.startswith(t) for t in short)))

    def scan(text: str, at: int) -> bool:
        found = search(text, at)
        while found is not None and at_boundary and not _at_boundary(text, found.start()):
            found = search(text, found.start() + 1)
        return found is not None

    def found(text: str) -> bool:
        if not openings or len(text) < _SHORT:
            return search_whole(text) is not None
        tries: list[int] = []
        for opening in openings:
            at = text.find(opening)
            while at != -1:
                if len(tries) == _MAX_TRIES:  # a common word: let `re` scan, from the first
                    return scan(text, min(a for a in map(text.find, openings) if a != -1))
                if not at_boundary or _at_boundary(text, at):
                    tries.append(at)
                at = text.find(opening, at + 1)
        return any(match(text, at) for at in tries)

    return found
