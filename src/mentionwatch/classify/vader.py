"""VADER's `polarity_scores`, re-implemented to give exactly the same numbers at a fraction of
the cost.

vaderSentiment 3.3.2's `SentimentIntensityAnalyzer.polarity_scores` is generic Python: it
lower-cases every word again in every helper, rebuilds lower-cased word lists inside its
negation and idiom checks (once per lexicon word and per look-back step), formats n-gram
strings, and rebuilds the text character by character to replace emoji. Most of a short post's
cost is that bookkeeping, not the algorithm. This module runs the same algorithm on one
tokenisation per text:

* the same lexicon (`SentimentIntensityAnalyzer().lexicon`, read from the installed package)
  and the same constants (`BOOSTER_DICT`, `NEGATE`, `SPECIAL_CASES`, `C_INCR`, `N_SCALAR`),
  imported from vaderSentiment itself;
* the same rules in the same order, with the same float operations in the same order, and its
  quirks kept on purpose: the "but" check that rescales the *first* word with an equal score
  (`list.index`), "so"/"this" one word before a lexicon word boosting it even without "never",
  an ALL-CAPS "NO" before a lexicon word scoring -0.733 instead of 0 ("NO good day"),
  lexicon keys with capitals or spaces that never match, emoji descriptions glued to the next
  word ("😀abc" reads "grinning faceabc");
* words that score 0 are not stored: they change no sum (x + 0.0 == x) and the "but" check
  only ever rescales them to 0 again.

`tests/test_vader_equivalence.py` checks compound, pos, neu and neg for exact equality with
`polarity_scores` on every labelled post, the demo posts and thousands of generated texts.
With any other vaderSentiment version installed than the one mirrored here (`MIRRORED`),
this module calls `polarity_scores` itself: slower, never different.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable
from dataclasses import dataclass

#: The vaderSentiment release whose `polarity_scores` this module reproduces.
MIRRORED = "3.3.2"
_PUNCTUATION = string.punctuation
#: VADER's normalisation constant (`normalize(score, alpha=15)`).
_ALPHA = 15


@dataclass(frozen=True, slots=True)
class _Tables:
    """VADER's lexicon and word lists, shaped for one lookup each."""

    #: word -> valence, without the booster words (VADER checks those first and scores 0).
    lexicon: dict[str, float]
    #: Every lexicon key, boosters included: "not in the lexicon" means this in VADER's checks.
    known: frozenset[str]
    boosters: dict[str, float]
    negations: frozenset[str]
    #: SPECIAL_CASES and BOOSTER_DICT's two- and three-word keys, as tuples of words.
    idioms2: dict[tuple[str, str], float]
    idioms3: dict[tuple[str, str, str], float]
    boosters2: dict[tuple[str, str], float]
    #: Every word of those keys: a window without one cannot hold an idiom.
    idiom_words: frozenset[str]
    #: emoji code point -> " " + its description (see `read`).
    emoji_table: dict[int, str]
    #: Some emoji is an ASCII character: ASCII text is not emoji-free then.
    ascii_emoji: bool
    #: Of each lexicon word that can equal a lower-cased word, one `domain.tokens_of` token:
    #: an ASCII text none of whose tokens is here holds no lexicon word with tokens.
    signatures: frozenset[str]
    #: The lexicon words without tokens (emoticons: ":)", ">:("): in ASCII text, whole
    #: whitespace-separated words. See `compound_with_tokens`.
    emoticons: frozenset[str]
    #: The installed vaderSentiment is not the release this module mirrors: its own
    #: `polarity_scores`, to defer to.
    defer: Callable[[str], dict[str, float]] | None
    c_incr: float
    n_scalar: float


_TABLES: _Tables | None = None


def _load() -> _Tables:
    """Build the tables once per process, on first use (vaderSentiment is a heavy import)."""
    global _TABLES
    from importlib.metadata import version

    from vaderSentiment.vaderSentiment import (
        BOOSTER_DICT,
        C_INCR,
        N_SCALAR,
        NEGATE,
        SPECIAL_CASES,
    )

    from mentionwatch.classify.domain import tokens_of
    from mentionwatch.classify.sentiment import analyzer

    vader = analyzer()
    installed = version("vaderSentiment")
    lexicon: dict[str, float] = vader.lexicon
    idioms2: dict[tuple[str, str], float] = {}
    idioms3: dict[tuple[str, str, str], float] = {}
    for key, valence in SPECIAL_CASES.items():
        parts = key.split(" ")
        if len(parts) == 2:
            idioms2[parts[0], parts[1]] = valence
        elif len(parts) == 3:
            idioms3[parts[0], parts[1], parts[2]] = valence
        # A one-word key ("badass") never equals VADER's n-gram strings: it never applies.
    boosters2: dict[tuple[str, str], float] = {}
    for key, scalar in BOOSTER_DICT.items():
        parts = key.split(" ")
        if len(parts) == 2:
            boosters2[parts[0], parts[1]] = scalar
    words = {w for key in [*idioms2, *idioms3, *boosters2] for w in key}
    # Only single characters are replaced: `polarity_scores` looks the text up char by char.
    emoji_table = {ord(char): " " + text for char, text in vader.emojis.items() if len(char) == 1}
    scoring = {w: v for w, v in lexicon.items() if w not in BOOSTER_DICT}
    signatures: set[str] = set()
    emoticons: set[str] = set()
    for word in scoring:
        if word != word.lower() or " " in word:
            continue  # never equals a word of a text: words are lower-cased and split
        tokens = tokens_of(word)
        if tokens:
            # Any token would do; the longest is the least common in posts ("short-sighted"
            # gives "sighted", not "short").
            signatures.add(max(tokens, key=len))
        else:
            emoticons.add(word)
    _TABLES = _Tables(
        lexicon=scoring,
        known=frozenset(lexicon),
        boosters=dict(BOOSTER_DICT),
        negations=frozenset(NEGATE),
        idioms2=idioms2,
        idioms3=idioms3,
        boosters2=boosters2,
        idiom_words=frozenset(words),
        signatures=frozenset(signatures),
        emoticons=frozenset(emoticons),
        emoji_table=emoji_table,
        ascii_emoji=any(chr(code).isascii() for code in emoji_table),
        defer=None if installed == MIRRORED else vader.polarity_scores,
        c_incr=C_INCR,
        n_scalar=N_SCALAR,
    )
    return _TABLES


def words_of(text: str) -> list[str]:
    """VADER's words (`SentiText.words_and_emoticons`): split on whitespace, surrounding
    punctuation stripped unless two characters or fewer would remain (":)" stays)."""
    punctuation = _PUNCTUATION
    return [
        stripped if len(stripped := token.strip(punctuation)) > 2 else token
        for token in text.split()
    ]


#: The positions and scores (not 0) of a text's scored words, in text order, and its number
#: of words: what `score_valence` sums and counts.
Scored = tuple[list[int], list[float], int]


def read(text: str) -> tuple[Scored, str]:
    """VADER's reading of `text`, and the (emoji-free) text its punctuation is counted on.

    `polarity_scores` first replaces each emoji by its description, with a space before it
    unless the previous character is a plain space or the text starts there, none after it
    ("😀abc" reads "grinning faceabc"), then strips the text. All it does next depends only
    on the text's whitespace-split words and its counts of "!" and "?", so always inserting
    the space (which only lands after whitespace or at the start where VADER leaves it out)
    and not stripping give the same words and counts, with one `str.translate`.
    """
    return _read(text, _TABLES or _load())


def _read(text: str, tables: _Tables) -> tuple[Scored, str]:
    if tables.ascii_emoji or not text.isascii():
        text = text.translate(tables.emoji_table)
    return _scores(words_of(text), tables), text


def compound(text: str) -> float:
    """`polarity_scores(text)["compound"]`, exactly."""
    tables = _TABLES or _load()
    if tables.defer is not None:
        return float(tables.defer(text)["compound"])
    (_, values, _), text = _read(text, tables)
    if not values:
        return 0.0
    sum_s = float(sum(values))
    if sum_s > 0:
        sum_s += _emphasis(text)
    elif sum_s < 0:
        sum_s -= _emphasis(text)
    return round(_normalize(sum_s), 4)


def compound_with_tokens(text: str, tokens: set[str]) -> float:
    """`compound(text)`, exactly, given the text's tokens (`set(domain.tokens_of(text.lower()))`,
    which the domain layer reads anyway): about half the sentences of a post hold no lexicon
    word, and their tokens tell so for a fifth of the cost of VADER's reading (then 0.0).

    Why the tokens tell, in ASCII text (which VADER does not rewrite: no emoji): a lexicon
    word is one of VADER's words (a whitespace-separated word, lower-cased, the punctuation
    around it stripped unless two characters or fewer would remain). Around it in the text is
    whitespace or that punctuation, which never joins its letters into a longer token (an
    apostrophe joins only the letters after it, and after the word comes no letter before the
    whitespace). So each of its tokens is a token of the text: without the word's signature
    token (`_Tables.signatures`), the text has not got the word. A lexicon word without
    tokens (an emoticon: in ASCII, all punctuation) is never what stripping leaves of a
    word, which starts and ends with no punctuation: it is a whole whitespace-separated word
    of the text as written (`_Tables.emoticons`)."""
    tables = _TABLES or _load()
    if (
        text.isascii()
        and not tables.ascii_emoji
        and tables.defer is None
        and tokens.isdisjoint(tables.signatures)
        and tables.emoticons.isdisjoint(text.split())
    ):
        return 0.0
    return compound(text)


def polarity_scores(text: str) -> dict[str, float]:
    """`polarity_scores(text)`, exactly: neg, neu, pos and compound (`score_valence`)."""
    tables = _TABLES or _load()
    if tables.defer is not None:
        return dict(tables.defer(text))
    (_, values, word_count), text = _read(text, tables)
    if not word_count:
        return {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}
    emphasis = _emphasis(text)
    sum_s = float(sum(values))
    if sum_s > 0:
        sum_s += emphasis
    elif sum_s < 0:
        sum_s -= emphasis
    pos_sum = 0.0
    neg_sum = 0.0
    for valence in values:
        if valence > 0:
            pos_sum += float(valence) + 1
        if valence < 0:
            neg_sum += float(valence) - 1
    neu_count = word_count - len(values)
    if pos_sum > math.fabs(neg_sum):
        pos_sum += emphasis
    elif pos_sum < math.fabs(neg_sum):
        neg_sum -= emphasis
    total = pos_sum + math.fabs(neg_sum) + neu_count
    return {
        "neg": round(math.fabs(neg_sum / total), 3),
        "neu": round(math.fabs(neu_count / total), 3),
        "pos": round(math.fabs(pos_sum / total), 3),
        "compound": round(_normalize(sum_s), 4),
    }


def _emphasis(text: str) -> float:
    """`_punctuation_emphasis`: the same counts and the same float operations."""
    ep_count = text.count("!")
    if ep_count > 4:
        ep_count = 4
    qm_count = text.count("?")
    qm_amplifier: float = 0
    if qm_count > 1:
        qm_amplifier = qm_count * 0.18 if qm_count <= 3 else 0.96
    return ep_count * 0.292 + qm_amplifier


def _normalize(score: float) -> float:
    """`normalize(score, alpha=15)`."""
    norm_score = score / math.sqrt((score * score) + _ALPHA)
    if norm_score < -1.0:
        return -1.0
    if norm_score > 1.0:
        return 1.0
    return norm_score


def _scores(words: list[str], tables: _Tables) -> Scored:
    """`polarity_scores`'s word loop (`sentiment_valence` for each word) and `_but_check`."""
    positions: list[int] = []
    values: list[float] = []
    if not words:
        return positions, values, 0
    lexicon = tables.lexicon
    # Joined then split: one `lower()` call instead of one per word (no character lower-cases
    # to whitespace, and a space stops Unicode's final-sigma context as a word's end does).
    lowered = " ".join(words).lower().split(" ")
    if lexicon.keys().isdisjoint(lowered):
        return positions, values, len(words)  # every word scores 0: most sentences
    known = tables.known
    last = len(words) - 1
    for i, word in enumerate(lowered):
        valence = lexicon.get(word)
        if valence is None:
            continue
        if word == "kind" and i < last and lowered[i + 1] == "of":
            continue  # "kind of" is a dampener, not the lexicon's "kind"
        original = valence
        if word == "no" and i != last and lowered[i + 1] in known:
            valence = 0.0  # this "no" negates the next lexicon word instead of scoring
        if i > 0 and (
            lowered[i - 1] == "no"
            or (i > 1 and lowered[i - 2] == "no")
            or (i > 2 and lowered[i - 3] == "no" and lowered[i - 1] in ("or", "nor"))
        ):
            valence = original * tables.n_scalar
        if words[i].isupper() and _cap_differential(words):
            valence = valence + tables.c_incr if valence > 0 else valence - tables.c_incr
        if i > 0:
            valence = _look_back(valence, i, words, lowered, tables)
        if valence != 0:
            positions.append(i)
            values.append(valence)
    if values and "but" in lowered:
        _but_check(positions, values, lowered.index("but"))
    return positions, values, len(words)


def _cap_differential(words: list[str]) -> bool:
    """`allcap_differential`: some, but not all, words are in capitals."""
    allcap_words = sum(1 for word in words if word.isupper())
    return 0 < len(words) - allcap_words < len(words)


def _look_back(valence: float, i: int, words: list[str], lowered: list[str], t: _Tables) -> float:
    """The three words before a lexicon word (`sentiment_valence`'s loop over `start_i`):
    boosters, negations and idioms, then `_least_check`. Each step runs only when that word
    is not a lexicon word, as in VADER."""
    known = t.known
    before = lowered[i - 1]
    if before not in known:  # start_i == 0
        if before in t.boosters:
            valence = valence + _scalar(before, words[i - 1], valence, words, t)
        if before in t.negations or "n't" in before:
            valence = valence * t.n_scalar
    if i > 1 and lowered[i - 2] not in known:  # start_i == 1
        before = lowered[i - 2]
        if before in t.boosters:
            scalar = _scalar(before, words[i - 2], valence, words, t)
            if scalar != 0:
                scalar = scalar * 0.95
            valence = valence + scalar
        if before == "never" and (lowered[i - 1] == "so" or lowered[i - 1] == "this"):
            valence = valence * 1.25
        elif before == "without" and lowered[i - 1] == "doubt":
            pass
        elif before in t.negations or "n't" in before:
            valence = valence * t.n_scalar
    if i > 2 and lowered[i - 3] not in known:  # start_i == 2
        before = lowered[i - 3]
        if before in t.boosters:
            scalar = _scalar(before, words[i - 3], valence, words, t)
            if scalar != 0:
                scalar = scalar * 0.9
            valence = valence + scalar
        one, two = lowered[i - 1], lowered[i - 2]
        # VADER's precedence: "so"/"this" just before the word boosts it without "never".
        if (before == "never" and (two == "so" or two == "this")) or (one == "so" or one == "this"):
            valence = valence * 1.25
        elif before == "without" and (two == "doubt" or one == "doubt"):
            pass
        elif before in t.negations or "n't" in before:
            valence = valence * t.n_scalar
        idiom_words = t.idiom_words
        if (
            one in idiom_words
            or (two in idiom_words and before in idiom_words)
            or (
                i < len(lowered) - 1 and lowered[i] in idiom_words and lowered[i + 1] in idiom_words
            )
        ):  # otherwise no n-gram `_special_idioms_check` tries can match
            valence = _special_idioms_check(valence, lowered, i, t)
    # `_least_check` ("least" is not a lexicon word, so its lexicon test always passes).
    if i > 1 and lowered[i - 1] == "least":
        if lowered[i - 2] != "at" and lowered[i - 2] != "very":
            valence = valence * t.n_scalar
    elif i > 0 and lowered[i - 1] == "least":
        valence = valence * t.n_scalar
    return valence


def _scalar(before: str, original: str, valence: float, words: list[str], t: _Tables) -> float:
    """`scalar_inc_dec` for a booster word before a lexicon word."""
    scalar = t.boosters[before]
    if valence < 0:
        scalar *= -1
    if original.isupper() and _cap_differential(words):
        scalar = scalar + t.c_incr if valence > 0 else scalar - t.c_incr
    return scalar


def _special_idioms_check(valence: float, lowered: list[str], i: int, t: _Tables) -> float:
    """`_special_idioms_check`: VADER's n-gram strings compared as tuples of words (words
    never contain spaces, so "a b" == "c d" exactly when a == c and b == d)."""
    three, two, one, zero = lowered[i - 3], lowered[i - 2], lowered[i - 1], lowered[i]
    following = len(lowered) - 1 - i
    idioms2, idioms3 = t.idioms2, t.idioms3
    for found in (
        idioms2.get((one, zero)),
        idioms3.get((two, one, zero)),
        idioms2.get((two, one)),
        idioms3.get((three, two, one)),
        idioms2.get((three, two)),
    ):
        if found is not None:
            valence = found
            break
    if following > 0:
        found = idioms2.get((zero, lowered[i + 1]))
        if found is not None:
            valence = found
    if following > 1:
        found = idioms3.get((zero, lowered[i + 1], lowered[i + 2]))
        if found is not None:
            valence = found
    # VADER also tries the three-word n-gram: BOOSTER_DICT has no three-word key.
    for n_gram in ((three, two), (two, one)):
        scalar = t.boosters2.get(n_gram)
        if scalar is not None:
            valence = valence + scalar
    return valence


def _but_check(positions: list[int], values: list[float], but_at: int) -> None:
    """`_but_check`, quirk included: each score rescales the *first* word with an equal score
    (`sentiments.index`), not always itself. VADER walks the list it modifies, by position;
    so does this. Zero scores are left out: they only ever rescale to zero."""
    for k in range(len(values)):
        valence = values[k]
        si = values.index(valence)
        if positions[si] < but_at:
            values[si] = valence * 0.5
        elif positions[si] > but_at:
            values[si] = valence * 1.5
