"""Fast regular-expression search for the classifier's rules, and the words a match needs.

`compile_search(pattern)` answers `re.search(pattern, text) is not None`, only faster on the
patterns the rules are written in (alternatives led by `\\b` and a word). `words_needed`
reads a pattern for the whole words any match must contain, so that a rule can be skipped,
without running it, on a post that lacks them. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator


def _delimiters(pattern: str, at: int = 0) -> Iterator[tuple[int, str, int]]:
    """Each "(", ")" and "|" of `pattern` from `at` that is not escaped nor in a class, with
    its place and the depth of groups it is at (a "(" and its ")" at the same depth)."""
    depth, in_class = 0, False
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at += 1  # the escaped character is never a delimiter
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True  # (no pattern here starts a class with a literal "]")
        elif char == "(":
            yield at, char, depth
            depth += 1
        elif char == ")":
            depth -= 1
            yield at, char, depth
        elif char == "|":
            yield at, char, depth
        at += 1


def branches_of(pattern: str) -> list[str]:
    """The top-level alternatives of `pattern` (split on "|" outside groups and classes)."""
    bars = [at for at, char, depth in _delimiters(pattern) if char == "|" and depth == 0]
    starts, ends = [0, *(at + 1 for at in bars)], [*bars, len(pattern)]
    return [pattern[start:end] for start, end in zip(starts, ends, strict=True)]


def _closing(pattern: str, at: int) -> int:
    """Where the group opening at `at` closes (-1: it does not)."""
    closes = (end for end, char, depth in _delimiters(pattern, at) if char == ")" and depth == 0)
    return next(closes, -1)


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
    literal, at = "", 2 if branch.startswith("\\b") else 0  # a `\\b` consumes nothing
    while at < len(branch):
        found = _literal_char(branch, at)
        if found is not None:
            literal, at = literal + found[0], found[1]
            continue
        in_class = _class_chars(branch[at:]) if not literal else None
        if in_class is not None:  # a class: a group of one-character alternatives
            end = at + in_class[1] - 1
            inner = [re.escape(char) for char in in_class[0]]
        elif branch.startswith("(?:", at) and (end := _closing(branch, at)) != -1:
            inner = branches_of(branch[at + 3 : end])
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


def one_of(strings: Iterable[str]) -> str:
    """A regular expression that matches where one of `strings` (none empty) starts, factored
    by character like a trie ("can (?:i|we|you)"): `re` tries the strings of an alternation one
    by one at each place, so "can i|can we|can you" costs three times "can (?:i|we|you)". A
    string that another starts with is left out: where the longer one is, so is the shorter."""
    by_first: dict[str, list[str]] = {}
    for string in strings:
        if not string:
            return ""  # this string is everywhere: the others add nothing
        by_first.setdefault(string[0], []).append(string[1:])
    branches = [re.escape(char) + one_of(rest) for char, rest in sorted(by_first.items())]
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


#: What opens an alternative without consuming anything: `\\b`s and look-behinds.
_ZERO_WIDTH_OPENING = re.compile(r"^(?:\\b|\(\?<[=!](?:[^()\\]|\\.)*\))+")
#: A `^` alternative of a group ("(?:^|[.!?]\\s+)"): without `re.MULTILINE`, it matches only
#: at the start of the text.
_START_ALTERNATIVE = re.compile(r"(?<=\(\?:)\^\||(?<=\|)\^\||\|\^(?=\))")


def opening_finder(pattern: str) -> re.Pattern[str] | None:
    """A regular expression (`one_of`) that finds each place but the start of the text where a
    match of `pattern` may start: where one of the strings every match starts with occurs
    (the alternatives that match only at the start of the text, "^", are left out: the
    caller tries the start apart). None when those strings are not clear (the pattern may
    start with ".", "\\w" ...)."""
    if re.compile(pattern).flags & re.MULTILINE:
        return None  # "^" matches after each newline too
    branches = [
        _ZERO_WIDTH_OPENING.sub("", branch)
        for branch in branches_of(_START_ALTERNATIVE.sub("", pattern))
        if not branch.startswith("^")
    ]
    starts = _any_prefixes(branches)
    if not starts:
        return None
    return re.compile(one_of({opening[:8] for opening in starts}))


def compile_search(pattern: str) -> Callable[[str], bool]:
    """`re.compile(pattern).search(text) is not None`, only faster.

    Most patterns here open with `\\b` and a word ("\\bhurry\\b", "\\b(?:earn|make)\\s+..."). A
    leading `\\b` leaves `re` no literal text to scan for, so it tries the whole pattern at every
    position: 20 times slower than "hurry\\b", and on a 500-word post each rule costs tens of
    microseconds. So the words a match must start with are found first, by one regular
    expression of them all (`one_of`), which `re` scans for as fast as for plain text, and the
    pattern, without its leading `\\b`, is tried only there (`match`), with the `\\b` checked by
    hand: the same answer as the search. The alternatives that do not open with `\\b` are
    searched apart, the same way when they open with plain text or a small class ("[$£€]"), as
    they are otherwise."""
    branches = branches_of(pattern)
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
    starts = _any_prefixes(branches)
    if not starts:
        # No words every match starts with: `re` searches, with the `\\b`s back in place.
        whole = (
            re.compile("|".join(rf"\b{branch}" for branch in branches)) if at_boundary else compiled
        )
        return lambda text: whole.search(text) is not None
    # Only the first 8 characters: a shorter expression, the same places found.
    find_opening = re.compile(one_of({opening[:8] for opening in starts})).search

    def scan(text: str, at: int) -> bool:
        found = search(text, at)
        while found is not None and at_boundary and not _at_boundary(text, found.start()):
            found = search(text, found.start() + 1)
        return found is not None

    def found(text: str) -> bool:
        at = 0
        for _ in range(_MAX_TRIES):
            opening = find_opening(text, at)
            if opening is None:
                return False
            at = opening.start()
            if (not at_boundary or _at_boundary(text, at)) and match(text, at):
                return True
            at += 1
        return scan(text, at)  # a common word: let `re` scan the rest

    return found


# --- the words a match needs ---------------------------------------------------------------------
#
# A post's words, for the rules' gates, are its runs of ASCII letters and digits, lower-cased
# (`words_of`): every other character separates them. `words_needed` reads a pattern for the
# whole words of that kind a match contains: a run of literal letters and digits with a
# separator or a `\b` on both sides ("\bdm me\b" needs "dm" and "me"; "\bcrack" needs nothing
# whole, as it matches "cracked"), and alternatives ("\b(?:earn|make) \$" needs "earn" or
# "make"). It is conservative: what it cannot read (".", "\w+", a negated class) ends the word
# in progress unread, so what it names is always needed, though it may miss some. A gate built
# on it only skips a pattern that cannot match. (It reads the lower-cased text's words from the
# text as written: the few characters that lower-case to ASCII from outside it, the Kelvin
# sign "K" for one, are not read as letters.)
#
# What is needed is kept as clauses, each a set of words one of which is needed ("earn" or
# "make"; "iphone" or "ipad"), all clauses at once. While the pattern is read, each possible
# word in progress ("ear" of "earn", "ma" of "make") keeps its own clauses; at a separator, the
# readings join: what either needs ("earn" or "make").

# Lower-case ASCII letters and digits stay, everything else (punctuation, "£", emoji) is a space.
_WORD_TABLE = bytes(
    c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256)
)


def words_of(text: str) -> list[bytes]:
    """A post's words, as `words_needed` counts them: its runs of ASCII letters and digits,
    lower-cased (one `bytes.translate` and one `split`: a microsecond on a tweet)."""
    return text.encode("utf-8", "replace").translate(_WORD_TABLE).split()


#: A pattern item's kind: matches separators only, some letters or digits, or anything.
_SEPARATOR, _ALNUM, _ANY, _BOUNDARY, _ZERO_WIDTH, _GROUP = range(6)
#: More words in progress than this are forgotten (each digit of "\d" makes ten).
_MAX_RUNS = 64
#: At most this many clauses are kept (the shortest: the most telling), for the gate's speed.
_MAX_CLAUSES = 12
#: A class of more letters or digits than this is read as "some letter or digit".
_MAX_CLASS = 16

_Item = tuple[int, object]  # (kind, the characters or the group's alternatives)
#: Sets of words, one of each needed; no set at all: nothing known to be needed.
Clauses = frozenset[frozenset[str]]
#: The readings of a pattern so far: each word in progress (None: unknown, "": none yet, at
#: a separator) with what a match reaching it needs.
_Readings = dict["str | None", Clauses]

_NOTHING: Clauses = frozenset()


def words_needed(pattern: str) -> tuple[frozenset[str], ...] | None:
    """The words a match of `pattern` holds (lower-case ASCII letters and digits, whole, as a
    post's words are split): clauses, each a set of words one of which every match holds, the
    shortest first. None when no word is known to be needed."""
    readings = _read_group({None: _NOTHING}, branches_of(pattern))
    needed = _either(*readings.values())
    if not needed:
        return None
    return tuple(sorted(needed, key=lambda clause: (len(clause), sorted(clause))))


def _either(*options: Clauses) -> Clauses:
    """What is needed when any one of `options` may hold: a clause of each, joined."""
    needed = options[0]
    for other in options[1:]:
        if not needed or not other:
            return _NOTHING
        if other != needed:
            needed = _simplest(frozenset(a | b for a in needed for b in other))
    return needed


def _simplest(clauses: Clauses) -> Clauses:
    """Without the clauses another implies (a wider set of the same words), at most
    `_MAX_CLAUSES` of them. Dropping a clause only asks less of a match."""
    if len(clauses) <= 1:
        return clauses
    kept = [c for c in clauses if not any(other < c for other in clauses)]
    kept.sort(key=lambda clause: (len(clause), sorted(clause)))
    return frozenset(kept[:_MAX_CLAUSES])


def _add(readings: _Readings, run: str | None, needed: Clauses) -> None:
    readings[run] = _either(readings[run], needed) if run in readings else needed


def _read_group(readings: _Readings, alternatives: list[str]) -> _Readings:
    found: _Readings = {}
    for alternative in alternatives:
        for run, needed in _read_sequence(readings, alternative).items():
            _add(found, run, needed)
    return _fewer_runs(found)


def _read_sequence(readings: _Readings, sequence: str) -> _Readings:
    at = 0
    while at < len(sequence):
        item, at = _item_at(sequence, at)
        low, high, at = _quantifier_at(sequence, at)
        readings = _read_repeated(readings, item, low, high)
    return readings


def _read_repeated(readings: _Readings, item: _Item, low: int, high: int | None) -> _Readings:
    if high == 0:
        return readings
    once = _read_item(readings, item)
    if high != 1 and item[0] != _SEPARATOR:
        # Repeated: what the first time needs is needed; the word in progress after the last
        # time is known only when the item always ends on a separator.
        ends_apart = set(_read_item({None: _NOTHING}, item)) == {""}
        if not ends_apart:
            once = {None: _either(*once.values())}
    if low > 0:
        return once
    both = dict(readings)
    for run, needed in once.items():
        _add(both, run, needed)
    return both


def _read_item(readings: _Readings, item: _Item) -> _Readings:
    kind, value = item
    if kind == _GROUP:
        assert isinstance(value, list)
        return _read_group(readings, value)
    if kind == _ZERO_WIDTH:
        return readings
    if kind == _ANY:
        return {None: _either(*readings.values())}
    found: _Readings = {}
    if kind == _ALNUM:
        assert isinstance(value, str)
        for run, needed in readings.items():
            for char in value if run is not None else "?":
                _add(found, None if run is None else run + char, needed)
        return _fewer_runs(found)
    # A separator, or a boundary (`\b`, "^", "$"): the word in progress ends, whole, and the
    # next one starts whole. (Before a letter, `\b` means a separator or the start precedes it;
    # after one, a separator or the end follows it.)
    for run, needed in readings.items():
        _add(found, "", _with_word(needed, run) if run else needed)
    return found


def _with_word(needed: Clauses, word: str) -> Clauses:
    """`needed` and `word`: a clause that `word` is in asks nothing more."""
    return frozenset([frozenset([word]), *(clause for clause in needed if word not in clause)])


def _fewer_runs(readings: _Readings) -> _Readings:
    """At most `_MAX_RUNS` words in progress: beyond, they are forgotten (read as unknown)."""
    if len(readings) <= _MAX_RUNS:
        return readings
    fewer: _Readings = {}
    for run, needed in readings.items():
        _add(fewer, run if run == "" else None, needed)
    return fewer


def _item_at(sequence: str, at: int) -> tuple[_Item, int]:
    """The item of the pattern at `at`, and where the next starts."""
    char = sequence[at]
    if char == "(":
        close = _closing(sequence, at)
        if close == -1:
            return (_ANY, None), len(sequence)  # not closed: read nothing more
        inner = sequence[at + 1 : close]
        if inner.startswith(("?=", "?!", "?<=", "?<!")):
            return (_ZERO_WIDTH, None), close + 1
        if inner.startswith("?:"):
            return (_GROUP, branches_of(inner[2:])), close + 1
        if inner.startswith("?"):
            return (_ANY, None), close + 1  # a named group, flags: not read
        return (_GROUP, branches_of(inner)), close + 1
    if char == "[":
        return _class_at(sequence, at)
    if char == "\\":
        return _escape(sequence[at + 1 : at + 2]), at + 2
    if char == ".":
        return (_ANY, None), at + 1
    if char in "^$":
        return (_BOUNDARY, None), at + 1
    return _one_char(char.lower()), at + 1


def _one_char(char: str) -> _Item:
    if char.isascii() and char.isalnum():
        return (_ALNUM, char)
    return (_SEPARATOR, None)


_DIGITS = "0123456789"
_BOUNDS = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _escape(char: str) -> _Item:
    if len(char) != 1:
        return (_ANY, None)
    if char in "bAZ":
        return (_BOUNDARY, None)
    if char == "B":
        return (_ZERO_WIDTH, None)
    if char == "d":
        return (_ALNUM, _DIGITS)
    if char in "sWntrfv":
        return (_SEPARATOR, None)
    if char in _ESCAPED_LITERALS:
        return _one_char(char)
    return (_ANY, None)  # \w, \S, \D, a back-reference, a code point


def _class_at(sequence: str, at: int) -> tuple[_Item, int]:
    """A character class: separators only, a few letters or digits, or anything."""
    end, chars, known, words_excluded = at + 1, "", True, False
    negated = sequence.startswith("[^", at)
    if negated:
        end += 1
    while end < len(sequence) and sequence[end] != "]":
        char = sequence[end]
        if char == "\\":
            words_excluded |= negated and sequence[end + 1 : end + 2] == "w"
            kind, value = _escape(sequence[end + 1 : end + 2])
            if kind == _ALNUM:
                chars += str(value)
            elif kind != _SEPARATOR:
                known = False
            end += 2
        elif sequence[end + 1 : end + 2] == "-" and sequence[end + 2 : end + 3] not in ("", "]"):
            chars += "".join(chr(code) for code in range(ord(char), ord(sequence[end + 2]) + 1))
            end += 3
        else:
            chars += char
            end += 1
    if end >= len(sequence):
        return (_ANY, None), len(sequence)
    if words_excluded:
        return (_SEPARATOR, None), end + 1  # "[^\\w...]": no letter nor digit
    if negated or not known:
        return (_ANY, None), end + 1
    alnum = "".join(sorted({c.lower() for c in chars if c.isascii() and c.isalnum()}))
    if not alnum:
        return (_SEPARATOR, None), end + 1
    if len(alnum) < len(set(chars)) or len(alnum) > _MAX_CLASS:
        return (_ANY, None), end + 1  # letters and separators, or too many letters
    return (_ALNUM, alnum), end + 1


def _quantifier_at(sequence: str, at: int) -> tuple[int, int | None, int]:
    """The repetition after an item (at least, at most: None for no limit), and where the next
    item starts."""
    char = sequence[at : at + 1]
    if char == "?":
        low, high, at = 0, 1, at + 1
    elif char == "*":
        low, high, at = 0, None, at + 1
    elif char == "+":
        low, high, at = 1, None, at + 1
    elif char == "{" and (bounds := _BOUNDS.match(sequence, at)) is not None:
        low = int(bounds[1] or 0)
        high = int(bounds[3]) if bounds[3] else None if bounds[2] else low
        at = bounds.end()
    else:
        return 1, 1, at
    if sequence[at : at + 1] in ("?", "+"):
        at += 1  # lazy or possessive: the same repetitions
    return low, high, at
