"""The spam model's and the handles' shortcuts give exactly the answers of what they stand for.

Each shortcut skips work where a cheap test proves it cannot change the result: these tests
hold the cheap tests to that on texts built to trip them (other cases, non-ASCII look-alikes of
ASCII letters, overlapping names).
"""

from __future__ import annotations

import json
import random
import re
import sys
from fnmatch import fnmatchcase
from itertools import chain
from pathlib import Path

import pytest

from mentionwatch.classify import spam, spam_model
from mentionwatch.classify.handles import SHARED_HANDLE_HOSTS, bare_handle, is_brand_handle

#: Every character (but the surrogates, which no text holds).
_EVERY_CHARACTER = "".join(
    chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF
)


def test_casefold_writes_what_ignorecase_matches_with_a_currency_word_letter() -> None:
    """`_may_name_money` looks for the currency words in the case-folded text: each character
    `re.IGNORECASE` matches with one of their letters must fold to that very letter ("ſ" to
    "s", the Kelvin sign to "k")."""
    for letter in set("".join(spam_model._MONEY_WORDS)):
        for char in re.findall(letter, _EVERY_CHARACTER, re.IGNORECASE):
            assert char.casefold() == letter, (letter, char)


def test_every_currency_word_of_the_pattern_holds_a_looked_for_word() -> None:
    named = re.search(r"\(\?:([a-z|]+)\)", spam_model._MONEY_NAMED)
    assert named is not None
    for word in named.group(1).split("|"):
        assert any(looked_for in word for looked_for in spam_model._MONEY_WORDS), word


_MONEY_PIECES = [
    "$5", "$ 5", "£1,000", "€2.50", "₹100", "¥3", "5", "12", "1.5", "3,000", " ", "  ", "\n",
    "usd", "USD", "Usd", "uſd", "usdt", "USDC", "btc", "eth", "eur", "euros", "gbp", "dollars",
    "pounds", "bucks", "BUCKS", "bucK", "k", "m", "bn", "K", "x", "é", "_", "٣", ".", ",", "!",
]  # fmt: skip


def test_money_without_a_currency_word_is_folded_as_the_whole_pattern_would() -> None:
    rng = random.Random(11)
    checked = 0
    for _ in range(30_000):
        text = "".join(rng.choice(_MONEY_PIECES) for _ in range(rng.randint(1, 10)))
        named = spam_model._MONEY.sub(" zzmoneyzz ", text)
        if not spam_model._may_name_money(text):
            checked += 1
            assert spam_model._MONEY_SIGNED_ONLY.sub(" zzmoneyzz ", text) == named, text
        elif re.search(rf"\b{spam_model._MONEY_NAMED}", text, re.IGNORECASE):
            assert spam_model._may_name_money(text)
    assert checked > 1000


def test_the_cheap_currency_and_emoji_tests_agree_with_the_patterns() -> None:
    rng = random.Random(12)
    pieces = [*_MONEY_PIECES, "🎉", "☕", "⬆", "😀", "’", "#", "a", "A"]
    for _ in range(30_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert spam_model._has_currency(text) == bool(spam_model.CURRENCY.search(text)), text
        assert spam_model._has_emoji(text) == bool(spam_model.EMOJI.search(text)), text


@pytest.mark.parametrize(
    "terms",
    [("Asus",), ("Kiwi", "Kiwi Cloud"), ("İnci",), ("ıspark",), ("zz*", "z"), ("a.b", "b-c")],
)
def test_the_brand_name_is_folded_as_the_pattern_would_in_any_script(
    terms: tuple[str, ...],
) -> None:
    """`_BrandName.sub` tries the pattern only where a term's first word is: also where
    `re.IGNORECASE` matches it with a non-ASCII letter ("ſ" for "s", the Kelvin sign for "k",
    dotted and dotless i), and where openings overlap ("zzz")."""
    brand = spam_model._brand_name(terms)
    assert brand is not None
    rng = random.Random(13)
    pieces = ["Asus", "aſus", "AſUS", "Kiwi", "Kiwi", "kiwi", "İnci", "inci", "ınci", "ıspark"]
    pieces += ["Ispark", "zz", "z", "Z", "a.b", "b-c", "Cloud", " ", "\n", "@", "#", ".", "-"]
    pieces += ["x", "é", "'s", "_", "ǅ"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        assert brand.sub(" zzbrandzz ", text) == brand.pattern.sub(" zzbrandzz ", text), text


def _is_brand_handle_as_written(author: str | None, patterns: list[str]) -> bool:
    """`is_brand_handle` as it was written before its patterns were compiled once."""
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


def test_compiled_handle_patterns_match_as_fnmatch_does() -> None:
    rng = random.Random(14)
    pieces = ["acme", "Acme", "ACME", "support", "@", "u/", "/u/", ".", "bsky.social", "*", "?"]
    pieces += ["[a-c]", "[!a]", "x", " ", "at", "ß", "SS", "social", "K"]
    for _ in range(5_000):
        patterns = [
            "".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
            for _ in range(rng.randint(0, 3))
        ]
        for _ in range(5):
            author = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))
            expected = _is_brand_handle_as_written(author, patterns)
            assert is_brand_handle(author, patterns) == expected, (author, patterns)
            assert is_brand_handle(author, tuple(patterns)) == expected, (author, patterns)


# --- the spam model's logit without its features -------------------------------------------------

_DATA = Path(__file__).resolve().parent / "data"


def _labelled_texts() -> list[str]:
    return [
        json.loads(line)["text"]
        for path in sorted(_DATA.glob("triage_*.jsonl"))
        for line in path.open(encoding="utf-8")
    ]


@pytest.mark.parametrize("terms", [(), ("Acme",), ("Zentel", "Zentel Cloud")])
def test_text_logit_is_the_logit_of_the_features_to_the_last_bit(terms: tuple[str, ...]) -> None:
    """`text_logit` deduplicates words, emoji and pairs apart and looks pairs up as tuples:
    the very float `logit(features(...))` gives, on every labelled post and on posts built to
    repeat words and pairs, with emoji, links, handles, money and the brand's name."""
    model = spam_model.load_model()
    rng = random.Random(15)
    pieces = ["dm me", "free", "Acme", "Zentel Cloud", "🎉", "☕", "$50", "@x", "bit.ly/x", "!!!"]
    pieces += ["dm", "me", "now", "0800 123 4567", "#win", "’s", "ZZURLZZ", "\n", " ", ". "]
    texts = _labelled_texts()
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(3_000)]
    for text in texts:
        for signals in ((), ("sells in DMs", "link farm")):
            expected = spam_model.logit(model, spam_model.features(text, signals, terms))
            assert spam_model.text_logit(model, text, signals, terms) == expected, text


def test_the_phone_number_is_folded_as_the_pattern_would() -> None:
    """The phone pattern is tried only where a match may start (a "+", a "(", a digit after no
    word character): on any text it must give exactly `_PHONE.sub`'s result."""
    rng = random.Random(16)
    pieces = ["+44", "+1", "1", "(020)", "(0161)", "020", "555", "0123", "12345", "4567", "+"]
    pieces += ["-", ".", " ", "  ", "x", "ext", ":", "/", "(", "\u0663\u0664\u0665", "2024-05-01"]
    pieces += ["_", "é", "a1", "+x"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        expected = spam_model._PHONE.sub(" zzphonezz ", text)
        found = spam_model._sub_at_openings(
            spam_model._PHONE, spam_model._PHONE_OPENING, " zzphonezz ", text
        )
        assert found == expected, text


def test_every_gate_of_a_rule_asks_for_the_same_characters() -> None:
    """`rule_verdict` counts a test as tried when its gate's characters are missing: that is
    exact only while all the gates of one test ask for the same characters."""
    gates = spam._gates()
    chars_of: dict[object, set[str]] = {}
    for gate in (*gates.on_link, *gates.on_tags, *chain.from_iterable(gates.by_word.values())):
        chars_of.setdefault(gate.test, set()).add(gate.chars)
    assert all(len(chars) == 1 for chars in chars_of.values())
