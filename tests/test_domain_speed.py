"""The domain layer's shortcuts give exactly the answers of what they stand for.

A rule is skipped on a text without an apostrophe that lacks words every match of its pattern
holds (`Rule.needed`), and searched only where one of its openings is (`Rule.opening`): on
every labelled post, and on texts built to trip them, each rule must find what its own
pattern finds.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from mentionwatch.classify.domain import Rule, build_layer, tokens_of
from mentionwatch.classify.patterns import one_of

DATA = Path(__file__).parent / "data"


@cache
def _rules() -> tuple[Rule, ...]:
    layer = build_layer()
    frame_rules = [frame.rule for frames in layer.frames_by_trigger.values() for frame in frames]
    every = {id(rule): rule for rule in [*layer.rules, *layer.question_rules, *frame_rules]}
    return tuple(every.values())


@cache
def _texts() -> tuple[str, ...]:
    texts = [
        json.loads(line)["text"].lower()
        for path in sorted(DATA.glob("triage_*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
    ]
    # Several posts in one: matches late in a long text, after openings that do not match.
    texts += [" ".join(texts[start : start + 12]) for start in range(0, len(texts), 12)]
    return tuple(texts)


def _plain_search(rule: Rule, lower: str) -> re.Match[str] | None:
    """What `Rule.search` stands for: the pattern searched, its boundary checked."""
    found = rule.pattern.search(lower)
    while rule.boundary and found is not None and found.start() > 0:
        before = lower[found.start() - 1]
        if not (before.isalnum() or before == "_"):
            break
        found = rule.pattern.search(lower, found.start() + 1)
    return found


def _span(found: re.Match[str] | None) -> tuple[int, int] | None:
    return None if found is None else found.span()


def test_most_rules_have_openings_and_needed_words() -> None:
    rules = _rules()
    assert sum(rule.opening is not None for rule in rules) > 0.8 * len(rules)
    assert sum(len(rule.needed) > len(rule.also) for rule in rules) > 0.8 * len(rules)


def test_searching_at_the_openings_finds_what_the_pattern_finds() -> None:
    for rule in _rules():
        for lower in _texts():
            assert _span(rule.search(lower)) == _span(_plain_search(rule, lower)), (
                rule.name,
                lower,
            )


def test_a_rule_matches_only_a_text_with_its_needed_words() -> None:
    for rule in _rules():
        for lower in _texts():
            if "'" in lower or "’" in lower or _plain_search(rule, lower) is None:
                continue
            tokens = set(tokens_of(lower))
            # (`also`, which `needed` begins with, is the rule's own gate, not read from it.)
            read = rule.needed[len(rule.also) :]
            assert all(not tokens.isdisjoint(group) for group in read), (rule.name, lower)


@pytest.mark.parametrize(
    ("strings", "text"),
    [
        (["can i", "can we", "could"], "we can we? i could, can i"),
        (["copy", "copy "], "a copy of copy"),
        (["a.b", "a+"], "a.b axb a+ a"),
        (["no", "nobody", "no one"], "nobody knows no one"),
    ],
)
def test_one_of_finds_where_one_of_the_strings_starts(strings: list[str], text: str) -> None:
    pattern = re.compile(one_of(strings))
    found = [at for at in range(len(text)) if pattern.match(text, at)]
    assert found == [at for at in range(len(text)) if text.startswith(tuple(strings), at)]
