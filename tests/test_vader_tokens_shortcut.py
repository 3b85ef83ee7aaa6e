"""`vader.compound_with_tokens`: VADER's compound, scored 0.0 without VADER's reading when the
text's domain tokens show it holds no lexicon word. It must be `polarity_scores`'s compound,
bit for bit, whatever the text: every lexicon word in every kind of punctuation around it,
emoticons alone or glued to words, apostrophes, capitals, and text VADER rewrites (emoji)."""

from __future__ import annotations

import random

from mentionwatch.classify import vader
from mentionwatch.classify.domain import tokens_of
from mentionwatch.classify.sentiment import analyzer
from mentionwatch.text import split_sentences
from test_vader_equivalence import demo_texts, generated_texts, labelled_texts

#: What may stand around a lexicon word: whitespace, punctuation VADER strips (or keeps, when
#: two characters or fewer would remain), apostrophes that join letters, letters that make
#: another word of it, capitals.
_AROUND = [
    "{w}",
    "ok {w} ok",
    "({w}).",
    "'{w}'",
    '"{w}"!!',
    "--{w}--",
    "#{w}",
    "@{w}:",
    "{w}'s",
    "it's {w}'",
    "x{w}",
    "{w}x",
    "{w}9",
    "{W}",
    "no {w}",
    "{w}...?",
    "a\t{w}\n",
    "{w} 😀",
]


def _with_tokens(text: str) -> float:
    return vader.compound_with_tokens(text, set(tokens_of(text.lower())))


def _assert_exact(texts: list[str]) -> None:
    """Bit for bit: `repr` tells -0.0 from 0.0, which `==` does not."""
    reference = analyzer()
    wrong = []
    for text in texts:
        expected = reference.polarity_scores(text)["compound"]
        got = _with_tokens(text)
        if repr(got) != repr(expected):
            wrong.append((text, got, expected))
    assert not wrong, wrong[:5]


def test_every_lexicon_word_in_any_surroundings_is_seen() -> None:
    rng = random.Random(3)
    texts = []
    for word in sorted(analyzer().lexicon):
        for around in rng.sample(_AROUND, 4):
            texts.append(around.format(w=word, W=word.upper()))
    _assert_exact(texts)


def test_emoticons_alone_glued_and_among_words() -> None:
    # Read from the lexicon here, not from the tables the shortcut is built on.
    emoticons = sorted(w for w in analyzer().lexicon if not any(c.isalnum() for c in w))
    assert ":)" in emoticons and ">:(" in emoticons
    texts = list(emoticons)
    texts += [f"order late {e}" for e in emoticons]
    texts += [f"order late{e}" for e in emoticons]
    texts += [f"({e})" for e in emoticons]
    texts += [f"{e}." for e in emoticons]
    _assert_exact(texts)


def test_posts_and_sentences_score_as_vader() -> None:
    texts = labelled_texts() + demo_texts() + list(generated_texts(1500, 9))
    _assert_exact(texts + [s for text in texts for s in split_sentences(text)])


def test_the_shortcut_is_taken_and_skipped_where_it_should_be() -> None:
    tables = vader._load()
    plain = "The order arrived on Tuesday."
    assert set(tokens_of(plain.lower())).isdisjoint(tables.signatures)
    assert _with_tokens(plain) == 0.0
    # Non-ASCII text is read by VADER: its emoji are words ("😀" reads "grinning face").
    emoji = "The order arrived 😀"
    assert set(tokens_of(emoji.lower())).isdisjoint(tables.signatures)
    assert _with_tokens(emoji) == analyzer().polarity_scores(emoji)["compound"] != 0.0
