"""`classify_text` learns whether a long post reads as a report from the union of its
sentences' tokens instead of tokenising the whole post again: that union must be exactly the
post's own tokens, whatever the post's punctuation, quotes, apostrophes and line breaks."""

from __future__ import annotations

import random

from mentionwatch.classify.domain import tokens_of
from mentionwatch.text import split_sentences

#: Pieces that stress what `split_sentences` drops (whitespace, closing quotes and brackets
#: after a full stop) and what `tokens_of` treats specially (straight and curly apostrophes).
# fmt: off
PIECES = [
    "Acme", "said", "it's", "don't", "o'clock", "rock'n'roll", "x", "42", "3.5", "e.g.", "U.S.",
    "'fine'", '"quoted"', "‘curly’", "it’s", "(aside)", "[note]", "…", ".", "!", "?", "?!", "'",
    '"', ")", "]", "’", ",", ";", ":", "-", "—", "#tag", "@handle", "https://acme.example/a.b",
    "😀", "naïve", "İstanbul", "ǅ", "\n", "\n\n", " ", "  ", "\t",
]
# fmt: on


def _random_post(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 40)):
        parts.append(rng.choice(PIECES))
        parts.append(rng.choice(["", " ", " ", " ", "\n"]))
    return "".join(parts)


def test_a_post_s_tokens_are_the_union_of_its_sentences_tokens() -> None:
    rng = random.Random(11)
    posts = [_random_post(rng) for _ in range(20_000)]
    posts += [
        "He said 'it was fine.' Then it broke.",
        'Order late. "Processing" again?! (Third time.) Never again…',
        "It’s down.’ Again.\n\nWhy?",
    ]
    for post in posts:
        sentences = split_sentences(post)
        union: set[str] = set()
        for sentence in sentences:
            union.update(tokens_of(sentence.lower()))
        assert union == set(tokens_of(post.lower())), post
