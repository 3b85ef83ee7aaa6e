"""A learned spam model next to the spam rules: logistic regression over words and shapes.

The hand rules in `spam.py` fit the phrasing of the writers they were tuned on; this model is
meant to carry over to new writers. Its features are the kind that transfer:

- the words and adjacent word pairs of the post: lower-case ASCII letters, apostrophes
  dropped ("don't" and "dont" are one word), with links, e-mail addresses, @handles, phone
  numbers and amounts of money each folded into one shape token (`<url>`, `<email>`,
  `<handle>`, `<phone>`, `<money>`), and every other number into its count of digits ("2024"
  and "1999" are the same word); emoji are words too. Names do not carry over from one
  writer to the next: the training leaves out words only ever written capitalised, and the
  brand's own name (folded into `<brand>` when its terms are known) with the pairs around it,
  so that they weigh nothing;
- a few shapes of the whole post (several links, many emoji, shouting in capitals, a wall of
  hashtags or tags, a list on many lines, several amounts of money);
- optionally, which rule signals fired (`rule:<name>`, even below the rules' threshold); the
  shipped model does not use them (`uses_rules`): in cross-validation they made it lean on
  the very signals the rules already weigh, and flag the look-alikes the rules spare.

Word and pair features count `1 / sqrt(n)` each in a post of `n` of them, so that a long post
does not add up many small weights into a verdict; shapes and rules count 1.

`spam.spam_verdict` asks the model only about a post the rules do not call spam, that is not
in the voice of the brand's support, and that is worth its reading (`worth_reading`: at most
`MAX_CHARS` characters, with a sign of spam); it calls it spam when the logit reaches the
threshold chosen by cross-validation, unless the post warns about a scam.

Speed: a post is folded only where a cheap test says a shape may be there ("@", a dot before
two letters, a currency sign, nine digits), then split into words with one `bytes.translate`
and one `split`, as the rules' word gate does: a few microseconds a post.

Inference is pure Python: the weights (`spam_model.json`, written by
`scripts/train_spam_model.py`, shipped next to this module) are read once, on first use. The
decision compares the logit (the bias plus the weights) with the threshold's logit as written
in the file, never a probability, so no platform's `exp` can tip a verdict; features are summed
in the order of the text (never of a set), so the hash seed cannot change a sum. Pure
functions apart from that one read.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import NamedTuple

from mentionwatch.classify.hosts import TLDS

WEIGHTS_FILE = "spam_model.json"
#: How many of its strongest spam words make a post worth the model's reading (`worth_reading`).
CUE_WORDS = 100
#: The longest post the model reads: the labelled posts it learned from are all shorter than
#: 500 characters. A blog post, or an issue with its template, code and links, is not what it
#: knows: the rules alone judge those.
MAX_CHARS = 600
#: The format `load_model` reads; the training script writes the same number.
FORMAT = 1

# --- features ------------------------------------------------------------------------------------

# Shapes, folded before the split into words. Each placeholder is one lower-case word that no
# post writes, so the split keeps it whole; `describe_feature` shows it as "<url>".
_PLACEHOLDERS = {
    b"zzurlzz": "<url>",
    b"zzemailzz": "<email>",
    b"zzhandlezz": "<handle>",
    b"zzphonezz": "<phone>",
    b"zzmoneyzz": "<money>",
    b"zzbrandzz": "<brand>",
}


@functools.cache
def _url() -> re.Pattern[str]:
    """A link with a scheme or "www.", or a bare host that ends in a known top-level domain
    (not "resp.status" in a snippet of code): the rules' list (`hosts.TLDS`)."""
    return re.compile(
        rf"\b(?:https?://|www\.)\S+"
        rf"|(?<![\w@.-])(?:[a-z0-9-]+\.)+(?:{TLDS})(?![\w-])(?!\.\w)(?:/\S*)?",
        re.IGNORECASE,
    )


_LINKISH = re.compile(r"\.[A-Za-z]{2}")  # every link has one: "x.com", "https://bit.ly/x"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HAS_EMAIL = re.compile(r"@[\w-]+\.[A-Za-z]")
#: A hashtag, not a heading ("### Steps") nor an HTML entity ("&#39;").
_HASHTAG = re.compile(r"(?<![\w#&])#[^\W\d_]\w*")
_HANDLE = re.compile(r"@\w+")
CURRENCY = re.compile(r"[$£€₹₦₱¥]\s?\d")
#: An amount of money: a currency sign before the number, or a currency word after it.
_MONEY_SIGNED = r"[$£€₹₦₱¥]\s?\d[\d,.]*(?:\s?(?:k|m|bn)\b)?"
_MONEY_NAMED = r"\d[\d,.]*\s?(?:usd|gbp|eur|usdt|usdc|btc|eth|dollars|pounds|euros|bucks)\b"
_MONEY = re.compile(rf"{_MONEY_SIGNED}|\b{_MONEY_NAMED}", re.IGNORECASE)
#: `_MONEY` without its named amounts, for a text that names no currency (`_may_name_money`).
#: It opens with a currency sign, which `re` skips to; `_MONEY`'s `\b\d` leaves it nothing to
#: skip to, so `re` tries it at every position (five times slower on a tweet).
_MONEY_SIGNED_ONLY = re.compile(_MONEY_SIGNED, re.IGNORECASE)
#: The currency words of `_MONEY_NAMED`, as `str.casefold` writes them ("usd" is in "usdt").
_MONEY_WORDS = ("usd", "gbp", "eur", "btc", "eth", "dollars", "pounds", "bucks")


def _may_name_money(text: str) -> bool:
    """Whether `_MONEY_NAMED` may match: whether the text holds one of its currency words, in
    any case. `str.casefold` writes each character `re.IGNORECASE` matches with a letter of
    them as that letter (the long "ſ" as "s", the Kelvin sign as "k": tests/test_spam_speed.py
    checks every character), so a text it finds none in has no match."""
    folded = text.casefold()
    return any(word in folded for word in _MONEY_WORDS)


_PHONE = re.compile(
    r"(?:(?:\+\d{1,3}|\b1)[\s.-]?)?(?:\(\d{3,4}\)|\b\d{3,5})[\s.-]?\d{3}[\s.-]?\d{3,4}(?!\d)"
)
#: What every `_PHONE` match holds (its last two groups of digits). `_PHONE` opens with an
#: optional group, so `re` tries it at every position of the text; this opens with a digit,
#: which `re` skips to: most posts with nine digits (dates, order numbers) have no such run.
#: (A lone `\d` first, not `\d{3}`: `re` skips to a class that opens a pattern, not to a
#: repeat of one, and would try `\d{3}` at every position.)
_PHONE_CORE = re.compile(r"\d\d{2}[\s.-]?\d{3}")
#: Where a `_PHONE` match may start: its optional "+" or "1", else its "(" or first digit; a
#: digit only after no word character, as both "\b1" and "\b\d{3,5}" need. (The class
#: first, the look-behind after it: `re` skips to the class.)
_PHONE_OPENING = re.compile(r"[+(\d](?<!\w\d)")
_DIGITS = b"0123456789"
EMOJI = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")
#: The first byte of a character outside the Basic Multilingual Plane (most emoji), in UTF-8.
_ASTRAL_LEADS = bytes(range(0xF0, 0xF5))
_ASCII_UPPER = bytes(range(65, 91))
_ASCII_LOWER = bytes(range(97, 123))
# ASCII letters lower-cased, every digit "0" (a number becomes its count of digits), anything
# else (punctuation, non-ASCII, the bytes of an emoji) a space; apostrophes are deleted.
WORD_TABLE = bytes(
    c + 32 if 65 <= c <= 90 else 48 if 48 <= c <= 57 else c if 97 <= c <= 122 else 32
    for c in range(256)
)


def _has_currency(text: str) -> bool:
    """`CURRENCY.search(text)`, not run on an ASCII text without a "$": every other currency
    sign is outside ASCII (`str.isascii` costs nothing, the search a microsecond a tweet)."""
    return ("$" in text or not text.isascii()) and CURRENCY.search(text) is not None


def _has_emoji(text: str) -> bool:
    """`EMOJI.search(text)`, not run on an ASCII text (no emoji is in ASCII)."""
    return not text.isascii() and EMOJI.search(text) is not None


@dataclass(frozen=True, slots=True)
class _BrandName:
    """The brand's name as a pattern, and a faster way to replace it."""

    pattern: re.Pattern[str]
    #: The first word of each term, with the pattern's flags: every match of `pattern` starts
    #: where this matches.
    openings: re.Pattern[str]

    def sub(self, replacement: str, text: str) -> str:
        """`pattern.sub(replacement, text)`. The pattern opens with a look-behind, which leaves
        `re` nothing to skip to: it would try the whole pattern at every position. So the
        openings are looked for first, and the pattern tried only where one is
        (`_sub_at_openings`)."""
        return _sub_at_openings(self.pattern, self.openings, replacement, text)


def _sub_at_openings(
    pattern: re.Pattern[str], openings: re.Pattern[str], replacement: str, text: str
) -> str:
    """`pattern.sub(replacement, text)`, for a pattern every match of which starts where
    `openings` matches (and never matches the empty string): the pattern is tried only at the
    openings, leftmost first, from the end of the last match, as `re.sub` would. (After each
    opening, the next is looked for from the following character, not from its end: openings
    may overlap, as "zz" does twice in "zzz", and the pattern may match only at the second.)"""
    parts: list[str] = []
    end = 0
    opening = openings.search(text)
    while opening is not None:
        at = opening.start()
        if at >= end and (found := pattern.match(text, at)) is not None:
            parts += (text[end:at], replacement)
            end = found.end()
        opening = openings.search(text, at + 1)
    return "".join((*parts, text[end:])) if parts else text


@functools.lru_cache(maxsize=16)
def _brand_name(terms: tuple[str, ...]) -> _BrandName | None:
    """The brand's terms as whole words ("Acme", "Acme Cloud", "Acme*"), not a handle, a
    hashtag or part of a link."""
    names = []
    openings = []
    for term in terms:
        words = term.strip().strip('"').strip().rstrip("*").split()
        if words:
            ending = r"\w*" if term.strip().endswith("*") else r"(?!\w)"
            names.append(r"\s+".join(map(re.escape, words)) + ending)
            openings.append(re.escape(words[0]))
    if not names:
        return None
    pattern = re.compile(rf"(?<![\w@#./-])(?:{'|'.join(names)})(?![.-]\w)", re.IGNORECASE)
    return _BrandName(pattern, re.compile("|".join(openings), re.IGNORECASE))


def _fold(text: str, brand_terms: tuple[str, ...]) -> str:
    """The text with links, addresses, handles, phone numbers, money and the brand's name
    replaced by placeholders, each looked for only when a cheap test says it may be there."""
    if _LINKISH.search(text):
        text = _url().sub(" zzurlzz ", text)
    if "@" in text:
        if _HAS_EMAIL.search(text):
            text = _EMAIL.sub(" zzemailzz ", text)
        text = _HANDLE.sub(" zzhandlezz ", text)
    if _has_currency(text):
        money = _MONEY if _may_name_money(text) else _MONEY_SIGNED_ONLY
        text = money.sub(" zzmoneyzz ", text)
    raw = text.encode("utf-8", "replace")
    if len(raw) - len(raw.translate(None, _DIGITS)) >= 9 and _PHONE_CORE.search(text):
        # `_PHONE` opens with an optional group: `re` would try it at every position.
        text = _sub_at_openings(_PHONE, _PHONE_OPENING, " zzphonezz ", text)
    brand = _brand_name(brand_terms) if brand_terms else None
    if brand is not None:
        text = brand.sub(" zzbrandzz ", text)
    return text


@dataclass(frozen=True, slots=True)
class Features:
    """A post's features, each listed once, in the order of the text: words, emoji and word
    pairs (each counting `1 / sqrt(n)` for `n` of them), and shapes and rules (each 1)."""

    text: tuple[bytes, ...]
    other: tuple[bytes, ...]


class _Reading(NamedTuple):
    """What `features` and `text_logit` read of a post: its words in the order of the text
    (repeats kept), its emoji (repeats kept) and its shapes and rules."""

    words: list[bytes]
    emoji: list[bytes]
    other: list[bytes]


def _read(text: str, rule_signals: Sequence[str], brand_terms: Sequence[str]) -> _Reading:
    """The words, emoji and other features of one post, before deduplication."""
    if "’" in text:
        text = text.replace("’", "'")
    folded = _fold(text, tuple(brand_terms))
    raw = folded.encode("utf-8", "replace")
    words = raw.translate(WORD_TABLE, b"'").split()
    astral = len(raw) - len(raw.translate(None, _ASTRAL_LEADS))
    # (an emoji inside the Basic Multilingual Plane, "☕", starts with the byte E2 in UTF-8)
    emoji = [e.encode() for e in EMOJI.findall(folded)] if astral or b"\xe2" in raw else []
    other = _shapes(text, raw, words, astral)
    other += [b"rule:" + name.encode() for name in rule_signals]
    return _Reading(words, emoji, other)


def features(
    text: str, rule_signals: Sequence[str] = (), brand_terms: Sequence[str] = ()
) -> Features:
    """The model's features of one post. `rule_signals` are the names of the rule signals
    that fired (whatever their score); `brand_terms` fold the brand's name into `<brand>`."""
    words, emoji, other = _read(text, rule_signals, brand_terms)
    pairs = map(b" ".join, itertools.pairwise(words))
    return Features(tuple(dict.fromkeys((*words, *emoji, *pairs))), tuple(other))


def _shapes(text: str, raw: bytes, words: list[bytes], astral: int) -> list[bytes]:
    """A few yes/no shapes of the whole post (`raw`: the folded text, in UTF-8)."""
    shapes = []
    links = words.count(b"zzurlzz")
    if links >= 2:
        shapes.append(b"shape:links>=2")
        if links >= 3:
            shapes.append(b"shape:links>=3")
    if astral >= 3:
        shapes.append(b"shape:emoji>=3")
    upper = len(raw) - len(raw.translate(None, _ASCII_UPPER))
    if upper >= 4:
        letters = upper + len(raw) - len(raw.translate(None, _ASCII_LOWER))
        if letters >= 12 and upper >= 0.3 * letters:
            shapes.append(b"shape:caps")
    if text.count("!") >= 3:
        shapes.append(b"shape:exclaims>=3")
    if text.count("#") >= 3 and len(_HASHTAG.findall(text)) >= 3:
        shapes.append(b"shape:hashtags>=3")
    if words.count(b"zzhandlezz") >= 3:
        shapes.append(b"shape:handles>=3")
    if text.count("\n") >= 3:
        shapes.append(b"shape:lines>=4")
    if words.count(b"zzmoneyzz") >= 2:
        shapes.append(b"shape:money>=2")
    return shapes


_ZEROS = itertools.repeat(0.0)

# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpamModel:
    bias: float
    weights: Mapping[bytes, float]
    #: Spam when the logit reaches this (the logit of the chosen probability, as written).
    threshold: float
    #: Whether the model reads which rule signals fired (`rule:<name>`).
    uses_rules: bool
    #: Its strongest spam words (`cue_words`): one of the signs `worth_reading` looks for.
    cues: frozenset[bytes] = frozenset()
    #: The weights of the pairs of words, keyed by the tuple of the two ("dm me" by
    #: (b"dm", b"me")), for `text_logit`; derived from `weights`.
    pair_weights: Mapping[tuple[bytes, bytes], float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pairs = {}
        for feature, weight in self.weights.items():
            if b" " in feature and b":" not in feature:
                first, second = feature.split(b" ", 1)
                pairs[(first, second)] = weight
        object.__setattr__(self, "pair_weights", pairs)


def cue_words(weights: Mapping[bytes, float], count: int = CUE_WORDS) -> frozenset[bytes]:
    """The `count` single words with the largest positive weights (ties by the word)."""
    words = [
        (weight, feature)
        for feature, weight in weights.items()
        if weight > 0 and feature.isalpha() and feature not in _PLACEHOLDERS
    ]
    return frozenset(
        word for _, word in sorted(words, key=lambda pair: (-pair[0], pair[1]))[:count]
    )


def worth_reading(model: SpamModel, text: str, rule_signals: Sequence[str] = ()) -> bool:
    """Whether the model reads the post: one of at most `MAX_CHARS` characters that shows a
    sign of spam the model weighs: a rule signal, an emoji, a link, a hashtag, an amount of
    money, an e-mail address, or one of the model's strongest spam words. In the
    cross-validation the model never made spam of another post, and most complaints show none,
    so its cost is spared on them (a microsecond to look, against ten to read)."""
    if len(text) > MAX_CHARS:
        return False
    if rule_signals or "#" in text or _LINKISH.search(text) or _has_currency(text):
        return True
    if _has_emoji(text) or ("@" in text and _HAS_EMAIL.search(text)):
        return True
    if "’" in text:
        text = text.replace("’", "'")
    words = text.encode("utf-8", "replace").translate(WORD_TABLE, b"'").split()
    return not model.cues.isdisjoint(words)


def logit(model: SpamModel, found: Features) -> float:
    """The model's log-odds that the post is spam."""
    get = model.weights.get
    # `sum` adds in the order of the text: the same float on every run
    total = sum(map(get, found.text, _ZEROS)) if found.text else 0.0
    if found.text:
        total /= math.sqrt(len(found.text))
    return model.bias + total + sum(map(get, found.other, _ZEROS))


def text_logit(
    model: SpamModel, text: str, rule_signals: Sequence[str] = (), brand_terms: Sequence[str] = ()
) -> float:
    """`logit(model, features(text, rule_signals, brand_terms))`, the very same float, for
    less: the model reads half the posts the rules do not call spam, and needs the features
    themselves only to explain a verdict of spam. `features` joins every pair of words into a
    new string and deduplicates all of them in one tuple; here a pair stays the tuple of its
    two words, looked up in `SpamModel.pair_weights`.

    Why the sum is the same: a word, an emoji and a pair are never equal (a word is ASCII
    letters and digits, an emoji's bytes are not ASCII, a pair holds a space), so
    deduplicating each list apart and chaining them lists the features of `features`, in its
    order; one `sum` then adds the same weights in the same order."""
    words, emoji, other = _read(text, rule_signals, brand_terms)
    unique_words = dict.fromkeys(words)
    unique_emoji = dict.fromkeys(emoji)
    unique_pairs = dict.fromkeys(itertools.pairwise(words))
    get, get_pair = model.weights.get, model.pair_weights.get
    count = len(unique_words) + len(unique_emoji) + len(unique_pairs)
    total = 0.0
    if count:
        addends = itertools.chain(
            map(get, unique_words, _ZEROS),
            map(get, unique_emoji, _ZEROS),
            map(get_pair, unique_pairs, _ZEROS),
        )
        total = sum(addends) / math.sqrt(count)
    return model.bias + total + sum(map(get, other, _ZEROS))


def probability(log_odds: float) -> float:
    """The probability for a logit (shown to people; decisions compare logits)."""
    if log_odds >= 0:
        return 1.0 / (1.0 + math.exp(-log_odds))
    odds = math.exp(log_odds)
    return odds / (1.0 + odds)


def contributions(model: SpamModel, found: Features) -> dict[bytes, float]:
    """What each known feature adds to the logit (a repeated word adds each time), in the
    order of the text."""
    weights = model.weights
    scale = 1.0 / math.sqrt(len(found.text)) if found.text else 1.0
    added: dict[bytes, float] = {}
    for feature in found.text:
        if feature in weights:
            added[feature] = added.get(feature, 0.0) + weights[feature] * scale
    for feature in found.other:
        if feature in weights:
            added[feature] = added.get(feature, 0.0) + weights[feature]
    return added


def _word(word: bytes) -> str:
    if word in _PLACEHOLDERS:
        return _PLACEHOLDERS[word]
    text = word.decode("utf-8", "replace")
    return "<number>" if text.strip("0") == "" else text


def describe_feature(feature: bytes) -> str:
    """A feature as a person reads it: words and pairs quoted ("whatsapp", "dm me"), a shape
    in angle brackets (<money>, <links>=3>), a rule by its name."""
    if feature.startswith(b"rule:"):
        return f"rule {feature[5:].decode()}"
    if feature.startswith(b"shape:"):
        return f"<{feature[6:].decode()}>"
    if feature in _PLACEHOLDERS:
        return _PLACEHOLDERS[feature]
    return '"' + " ".join(map(_word, feature.split(b" "))) + '"'


def explanation(model: SpamModel, found: Features, log_odds: float, top: int = 3) -> str:
    """`model 0.93: "whatsapp", "dm me", <money>`: the probability and the features that
    pushed the post towards spam most (ties in the order of the text)."""
    pushing = [(f, added) for f, added in contributions(model, found).items() if added > 0]
    ranked = sorted(pushing, key=lambda pair: -pair[1])[:top]
    named = ", ".join(describe_feature(f) for f, _ in ranked)
    head = f"model {probability(log_odds):.2f}"
    return f"{head}: {named}" if named else head


def model_from_json(data: Mapping[str, object]) -> SpamModel:
    """A model from the weights file's contents."""
    if data.get("format") != FORMAT:
        raise ValueError(f"{WEIGHTS_FILE}: format {data.get('format')!r}, expected {FORMAT}")
    weights = data["weights"]
    if not isinstance(weights, dict):
        raise ValueError(f"{WEIGHTS_FILE}: weights must be an object")
    return SpamModel(
        bias=float(str(data["bias"])),
        weights={str(k).encode(): float(v) for k, v in weights.items()},
        # the logit as written, not computed here: no platform's `log` can move it
        threshold=float(str(data["threshold_logit"])),
        uses_rules=bool(data.get("uses_rules", False)),
        cues=cue_words({str(k).encode(): float(v) for k, v in weights.items()}),
    )


@functools.cache
def load_model() -> SpamModel:
    """The shipped model, read once from the package's `spam_model.json`."""
    raw = resources.files("mentionwatch.classify").joinpath(WEIGHTS_FILE).read_text("utf-8")
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError(f"{WEIGHTS_FILE}: not an object")
    return model_from_json(data)
