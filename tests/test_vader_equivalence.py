"""Our re-implementation of VADER (`classify/vader.py`) against the real `polarity_scores`.

Exact float equality of compound, pos, neu and neg on every labelled post, every demo post and
thousands of seeded, generated texts built to hit VADER's rules and quirks: words in capitals
among lower-case ones, boosters, negations ("never so", "without doubt", "least", "kind of"),
"but", "!!!" and "??", emoji and emoticons, VADER's special-case idioms, non-ASCII text,
empty and whitespace-only text, very long text.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mentionwatch.classify import vader
from mentionwatch.classify.domain import TOKEN, tokens_of
from mentionwatch.classify.sentiment import _scored_post, analyzer, domain_layer, vader_compound
from mentionwatch.config import SentimentConfig
from mentionwatch.text import split_sentences

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DEMO = ROOT / "src" / "mentionwatch" / "demo"


def labelled_texts() -> list[str]:
    return [
        json.loads(line)["text"]
        for path in sorted(DATA.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def demo_texts() -> list[str]:
    texts = []
    for path in sorted(DEMO.glob("posts*.json")):
        for post in json.loads(path.read_text(encoding="utf-8"))["posts"]:
            texts += [post.get("title") or "", post.get("text") or ""]
            texts += [str(reply.get("text", "")) for reply in post.get("replies") or []]
    return texts


#: VADER's look-back rules and quirks: "never so", "without doubt", "least" after "at" or
#: "very", "kind of", "but", "no" before a lexicon word or "no ... or".
_SPECIAL = (  # noqa: SIM905 - 25 literals would run to 25 lines
    "never so|never this|without doubt|without a doubt|least|at least|very least|the least"
    "|kind of|sort of|kind|of|but|BUT|But|no|NO|or|nor|no or|so|this|never|without|just enough"
).split("|")
#: Greek capital sigma (final-sigma lower-casing), dotted capital I (lower-cases to two
#: characters), a ligature, zero-width characters, a combining accent after capitals, the
#: Kelvin sign (lower-cases to ASCII "k").
_FOREIGN = (  # noqa: SIM905
    "café|naïve|ΣΑΣ|σοφός|İstanbul|İİ.|straße|ﬁne|日本語|좋아요|don’t|it’s|—|…"
    "|\u200b|\u200d|é|GOOD\u0301|K\u212a"
).split("|")


def _vocabulary() -> dict[str, list[str]]:
    from vaderSentiment.vaderSentiment import (
        BOOSTER_DICT,
        NEGATE,
        SENTIMENT_LADEN_IDIOMS,
        SPECIAL_CASES,
    )

    lexicon = sorted(analyzer().lexicon)
    emoji = sorted(char for char in analyzer().emojis if len(char) == 1)
    return {
        "lexicon": lexicon,
        "common": ["good", "bad", "great", "love", "hate", "no", "kind", "doubt", "yeah", "fine"],
        "booster": sorted(BOOSTER_DICT),
        "negation": [*NEGATE, "isn't", "won't", "can't", "shouldn't", "n't", "nope"],
        "idiom": [*SPECIAL_CASES, *SENTIMENT_LADEN_IDIOMS],
        "special": list(_SPECIAL),
        "filler": ["the", "a", "my", "order", "refund", "to", "for", "is", "was", "it", "@Brand"],
        "emoji": emoji,
        "emoticon": [":)", ":(", ":-)", ":D", ":P", "<3", "</3", ":'(", ";)", "XD", "=)", ":/"],
        "foreign": list(_FOREIGN),
    }


_PUNCTUATION = ["", "", "", "", "!", "!!!", "?", "??", "????", ",", ".", "...", "!?", "'", '"']
_SEPARATORS = [" ", " ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u2003", ""]


def _cased(word: str, rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.2:
        return word.upper()
    if choice < 0.3:
        return word.capitalize()
    return word


def generated_texts(count: int, seed: int) -> Iterator[str]:
    """Seeded adversarial texts: each mixes a few kinds of VADER-relevant words."""
    rng = random.Random(seed)
    vocabulary = _vocabulary()
    kinds = list(vocabulary)
    weights = [6, 6, 4, 4, 2, 5, 5, 2, 2, 2]
    yield from ["", " ", "\t\n  ", "!!!", "??", "😀", " 😀😀 ", "😀abc", "a😀", "good 🔛"]
    for number in range(count):
        length = rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 30])
        if number % 200 == 0:
            length = rng.randint(300, 600)  # very long
        parts = []
        for _ in range(length):
            kind = rng.choices(kinds, weights)[0]
            word = _cased(rng.choice(vocabulary[kind]), rng)
            if rng.random() < 0.25:
                word = rng.choice(_PUNCTUATION) + word
            if rng.random() < 0.3:
                word += rng.choice(_PUNCTUATION)
            parts.append(word)
            parts.append(rng.choice(_SEPARATORS))
        yield "".join(parts)


def _assert_same(texts: list[str]) -> None:
    """Bit for bit: `repr` tells -0.0 from 0.0, which `==` does not."""
    reference = analyzer()
    mismatches: list[tuple[str, Any, Any]] = []
    for text in texts:
        expected = reference.polarity_scores(text)
        got = vader.polarity_scores(text)
        if repr(got) != repr(expected) or repr(vader.compound(text)) != repr(expected["compound"]):
            mismatches.append((text, expected, got))
    assert not mismatches, mismatches[:5]


def test_every_labelled_post_and_sentence_scores_exactly_as_vader() -> None:
    texts = labelled_texts()
    _assert_same(texts + [s for text in texts for s in split_sentences(text)])


def test_every_demo_post_scores_exactly_as_vader() -> None:
    texts = demo_texts()
    assert len(texts) > 100
    _assert_same(texts + [s for text in texts for s in split_sentences(text)])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_adversarial_texts_score_exactly_as_vader(seed: int) -> None:
    texts = list(generated_texts(1500, seed))
    _assert_same(texts)


def test_the_generated_texts_reach_vaders_rules() -> None:
    """The generator is only useful if it hits the rules: check that it does, by VADER's
    own reading of them (scores moved by capitals, "but", idioms, punctuation)."""
    texts = list(generated_texts(1500, 1))
    joined = "\n".join(texts)
    for needle in ("never so", "without doubt", "least", "kind of", "but", "!!!", "??", "the shit"):
        assert needle in joined.lower(), needle
    assert any(not text.isascii() for text in texts)
    assert any(len(text.split()) > 300 for text in texts)
    assert sum(analyzer().polarity_scores(text)["compound"] != 0 for text in texts) > 500


@pytest.mark.parametrize("text", ["Kind of good", "good but BAD", "no no", "NO good day", "😀🔛!"])
def test_quirks_are_kept(text: str) -> None:
    assert vader.polarity_scores(text) == analyzer().polarity_scores(text)


def test_the_classifier_uses_exactly_vaders_compound() -> None:
    """The classifier's VADER figure (`vader_compound`, and `_scored_post` that the
    classifier runs on a short post whole or on each sentence of a long one) is exactly
    `polarity_scores`'s compound."""
    thresholds = SentimentConfig()
    layer = domain_layer(thresholds)
    texts = labelled_texts() + demo_texts() + list(generated_texts(800, 4))
    for text in texts:
        for piece in [text, *split_sentences(text)]:
            expected = analyzer().polarity_scores(piece)["compound"]
            assert repr(vader_compound(piece)) == repr(expected), piece
        for parts in ([text], split_sentences(text)):
            if parts and all(part.strip() for part in parts):
                scored, *_ = _scored_post(text, parts, layer, thresholds)
                for part, (vader, _) in zip(parts, scored, strict=True):
                    expected = analyzer().polarity_scores(part)["compound"]
                    assert repr(vader) == repr(expected), part


def test_the_fast_tokeniser_is_exactly_the_token_pattern() -> None:
    """`tokens_of` (bytes translated in C) gives `TOKEN.findall`'s tokens in the same order:
    the order decides the order of the explanation's hits."""
    rng = random.Random(5)
    alphabet = "abz09'’ éΣ\ud800.,-_\u00a0😀"
    texts = labelled_texts() + demo_texts() + list(generated_texts(500, 6))
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(5000)]
    texts += ["rock'n'roll 45's 'quoted' it's ''' a'b'c", "don’t it's", "'", "’"]
    for text in texts:
        lower = text.lower()
        assert tokens_of(lower) == TOKEN.findall(lower), text


def test_the_installed_vader_is_the_release_mirrored() -> None:
    """Another vaderSentiment release may score differently: `vader` then defers to its
    `polarity_scores` (correct, slow). This fails so that the copy gets checked and updated."""
    from importlib.metadata import version

    assert version("vaderSentiment") == vader.MIRRORED
    assert vader._load().defer is None


def test_with_another_release_installed_its_own_scores_are_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dataclasses

    asked: list[str] = []

    def installed_polarity_scores(text: str) -> dict[str, float]:
        asked.append(text)
        return dict(analyzer().polarity_scores(text))

    tables = dataclasses.replace(vader._load(), defer=installed_polarity_scores)
    monkeypatch.setattr(vader, "_TABLES", tables)
    assert vader.compound("NO good day") == -0.4835
    assert vader.polarity_scores("good")["pos"] == 1.0
    assert asked == ["NO good day", "good"]
