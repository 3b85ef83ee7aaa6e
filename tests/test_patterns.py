"""`patterns.words_needed`: the words a match of a rule's pattern must hold, read from the
pattern. The spam rules' gate skips a pattern on a post without them, so what it names must be
needed by every match: checked here on examples, and on every labelled post against every
branch of every rule."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from mentionwatch.classify.patterns import branches_of, words_needed, words_of
from mentionwatch.classify.spam import SIGNALS, _gates, rule_verdict

DATA = Path(__file__).parent / "data"


def _clauses(*clauses: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(clause.split()) for clause in clauses)


@pytest.mark.parametrize(
    ("pattern", "needed"),
    [
        (r"\bdm me\b", _clauses("dm", "me")),
        # alternatives make one clause; an optional group adds nothing needed
        (r"\bapologi[sz]e\b", _clauses("apologise apologize")),
        (r"\bwe(?:'re| are)? (?:so |very )?sorry\b", _clauses("we", "sorry")),
        (r"\bonly \d+ (?:spots|slots)\b", _clauses("only", "slots spots")),
        (r"\b(?:earn|make)\s+(?:up to )?[$£€]\s?\d", _clauses("earn make")),
        (r"\bsupport(?: team)? here\s*[.,!:]", _clauses("here", "support")),
        # "[^\w...]" holds no letter or digit: a separator before "earn"
        (r"(?:^|[^\w\s])\s*(?:earn|make)\s", _clauses("earn make")),
        # a group repeated: what one pass needs (none here), and the word after it
        (r"\b(?:\w+ ){0,3}?account\b", _clauses("account")),
        (r"\b(?:a|b){2,3} c\b", _clauses("c")),
        # a word not closed by a separator or `\b` may go on: "cracked", "applyat"
        (r"\bcrack", None),
        (r"\bapply\s*(?::|at)\s*\w", None),
        (r"xx\b", None),
        (r"\[\.\]|\[dot\]", None),  # the first branch needs no word at all
        (r"\bfree\b.", _clauses("free")),
        (r"\btext [a-z]+ to \d{3,}", _clauses("text", "to")),
        # a look-behind consumes nothing: "support" is still whole
        (r"\bsupport(?<!our support) is\b", _clauses("is", "support")),
    ],
)
def test_words_needed(pattern: str, needed: tuple[frozenset[str], ...] | None) -> None:
    found = words_needed(pattern)
    if needed is None:
        assert found is None
    else:
        assert found is not None and set(found) == set(needed)


def test_branches_of_splits_only_the_top_level() -> None:
    assert branches_of(r"\ba(?:b|c)\b|[|]d|e") == [r"\ba(?:b|c)\b", "[|]d", "e"]


@cache
def _labelled_texts() -> list[str]:
    """Every labelled post of the tuning files (never a held-out one), and long posts made of
    them (a pattern may reach across sentences)."""
    texts = [
        str(json.loads(line)["text"])
        for path in sorted(DATA.glob("triage_*.jsonl"))
        if "heldout" not in path.name
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return texts + [" ".join(texts[at : at + 40]) for at in range(0, len(texts), 40)]


def _words_of(text: str) -> set[str]:
    """A post's words as the spam rules' gate splits them."""
    return {word.decode() for word in words_of(text)}


def test_every_match_holds_the_words_its_branch_needs() -> None:
    """For each branch of each rule, on every labelled post it matches: a word of every clause."""
    texts = [(text.lower(), _words_of(text)) for text in _labelled_texts()]
    branches = [
        branch
        for signal in SIGNALS
        for rule in signal.rules
        for branch in branches_of(rule.pattern)
    ]
    assert len(branches) > 400
    checked = 0
    for branch in branches:
        needed = words_needed(branch)
        if needed is None:
            continue
        search = re.compile(branch).search
        for low, words in texts:
            if search(low):
                checked += 1
                assert all(not clause.isdisjoint(words) for clause in needed), (branch, low)
    assert checked > 1000  # the check met many matches, not none


def test_every_branch_is_read() -> None:
    """A branch whose words cannot be read is filed under the words written with its rule,
    which nothing checks: write the pattern so that its words can be read (a word closed by
    `\\b` or a separator, not one that may run on: "\\bapply\\s*at" matches "applyat")."""
    branches = [b for s in SIGNALS for r in s.rules if r.pattern for b in branches_of(r.pattern)]
    assert [branch for branch in branches if words_needed(branch) is None] == []


def test_a_branch_runs_only_on_a_post_with_its_words() -> None:
    """ "Support team here." is the voice of the brand's support; a post that says "support"
    without "here" does not reach that branch's pattern."""
    gates = _gates()
    filed = [
        gate for gate in gates.by_word.get(b"here", ()) if gate.signal.name == "speaks as support"
    ]
    assert filed and all(frozenset({b"support"}) in gate.also_needed for gate in filed)
    assert "speaks as support" in rule_verdict("Acme Support here. We are sorry!").signals
