"""The inbox check: a learned second look at the posts the rules call negative.

VADER and the domain layer (`sentiment.classify_text`) find nearly every complaint, but on
writers nobody here has read they also put neutral and positive posts in the inbox: praise
VADER misreads ("doesn't make me want to cry"), news headlines, product comparisons, "is
this legit?" checks, third-party status reports, ads. The hand rules (the frames) take out
the kinds of such posts their authors wrote them for; this model is meant to carry over to new
writers. It reads ONLY a post that `classify_text` labels negative and that is not spam (one
the inbox would show), and answers how likely that post is a complaint. When the logit falls
below the threshold chosen by cross-validation, `classify_text` labels the post neutral and
says why in its hits (`explanation`).

Features, the kind that transfer:

- the post's words and adjacent word pairs: lower-case ASCII letters, apostrophes dropped
  ("don't" and "dont" are one word), every number its count of digits ("2024" is "0000"), as
  the spam model reads them; and its emoji. Repeats count again. The training leaves out
  names (words only ever written capitalised), whatever fewer than three of its files hold,
  and the words VADER's lexicon scores negative, with the pairs that hold one: they are what
  made the post negative, and what the model would learn of them from a few hundred posts
  is VADER's odd misreading ("the trick the banks HATE"), not a rule that carries over ("I
  hate the new update" is a complaint);
- a few shapes: the post asks (`?` anywhere, or at its end), holds an @handle, an amount of
  money, several exclamation marks;
- the classifier's compound in three buckets (barely, fairly, very negative): a post barely
  below the line is more often no complaint.

Not features, though tried: which kinds of domain hit fired, which rules fired by name, and
VADER's own compound. The rules were written on the very files the model learns from, so there
a complaint nearly always fires one and a post only VADER made negative is usually a misreading;
a new writer's plain complaint ("Acme support is terrible and rude") fires none, and the model
took it out of the inbox. In the cross-validation they added nothing. Nor whether the post
holds a link: in the inbox of the tuning files 22 of the 25 posts with one are no complaint
(ads, "is this link legit?"), and the model learnt to take out any post with a link; but on
forums and issue trackers complaints link their screenshots and order pages.

Word, emoji and pair features count `1 / sqrt(n)` each in a post of `n` of them, the others
1, as in the spam model (`scripts/logistic.py` trains both).

Speed: the model costs nothing on a post that is not labelled negative (most posts), nor on a
post longer than `MAX_CHARS` (the labelled posts it learned from are all shorter than 500
characters: the rules alone judge a long post). On the others it splits the text into words
with one `bytes.translate` and one `split`, as the spam rules' word gate does, and looks the
words and pairs up in one dict (a pair is looked up as a tuple of two words, never joined
into a new string): about 7 µs a post on its own, 10-12 µs inside `classify_text`, where
VADER's work between two posts pushes the weights out of the CPU's caches.

Inference is pure Python: the weights (`negative_model.json`, written by
`scripts/train_negative_model.py`, shipped next to this module) are read once, on first use.
The decision compares the logit with the threshold's logit as written in the file, never a
probability, so no platform's `exp` can tip a verdict; features are summed in the order of the
text (never of a set), so the hash seed cannot change a sum. Pure functions apart from that
one read.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

from mentionwatch.classify import spam_model
from mentionwatch.classify.spam_model import probability

WEIGHTS_FILE = "negative_model.json"
#: The format `load_model` reads; the training script writes the same number.
FORMAT = 1
#: The longest post the model reads: the labelled posts it learned from are all shorter than
#: 500 characters. A longer post (a blog post, a thread's opening with its template) is not
#: what it knows: the rules alone judge it.
MAX_CHARS = 600
#: The fewest words a post must have for the model to read it. In a post of a few words each
#: counts for a sentence (a word's weight is divided by the square root of their number), so one
#: word the model met in calm posts would decide: "hidden fees everywhere" was taken out of
#: the inbox on "fees" (seen in headlines about fees). The rules alone judge such a post.
MIN_WORDS = 6
#: The hit's kind in a verdict's hits (the domain layer's are "word", "rule", "sarcasm",
#: "emoji").
HIT_KIND = "model"
#: What a demoted post is, in its hit.
NOT_A_COMPLAINT = "not a complaint"

# --- features ------------------------------------------------------------------------------------

# Words, emoji and amounts of money are read as the spam model reads them: one word is one
# word to both models.
_WORD_TABLE = spam_model.WORD_TABLE
_EMOJI = spam_model.EMOJI
_MONEY = spam_model.CURRENCY

#: The classifier's compound (at most the negative threshold, or the model would not read it).
_MILD, _MEDIUM, _STRONG = b"compound:mild", b"compound:medium", b"compound:strong"
#: Shapes of the whole post.
_ASKS, _ENDS_ASKING = b"shape:asks", b"shape:ends-asking"
_HANDLE, _MONEYED = b"shape:handle", b"shape:money"
_EXCLAIMS = b"shape:exclaims>=2"

#: A feature as the model looks it up: a word, an emoji or another feature (bytes), or a pair
#: of adjacent words (a tuple of the two).
Feature = bytes | tuple[bytes, bytes]


class Reading(NamedTuple):
    """What the model reads of a post: its words and its emoji in the order of the text
    (repeats kept; the pairs are the words' neighbours), and its other features, each once.
    A named tuple: one is built for every post the model reads."""

    words: list[bytes]
    emoji: list[bytes]
    other: list[bytes]

    def pairs(self) -> Iterator[tuple[bytes, bytes]]:
        return itertools.pairwise(self.words)

    @property
    def text(self) -> tuple[bytes, ...]:
        """The word, emoji and pair features as the training writes them ("a b" for a pair),
        in the order `logit` adds them."""
        return (*self.words, *self.emoji, *(b" ".join(pair) for pair in self.pairs()))


def read(text: str, compound: float) -> Reading:
    """The model's features of one post labelled negative: its text and the classifier's
    compound for it."""
    return read_with(text, _MILD if compound > -0.3 else _MEDIUM if compound > -0.6 else _STRONG)


def read_with(text: str, score: bytes) -> Reading:
    """A post's words, emoji and shapes, with `score` (the classifier's compound in one of a
    model's buckets) first among its other features. The missed-complaint check
    (`missed_model`) reads posts this way too, with buckets of its own."""
    if "’" in text:
        text = text.replace("’", "'")
    words = text.encode("utf-8", "replace").translate(_WORD_TABLE, b"'").split()
    ascii_only = text.isascii()
    emoji = [] if ascii_only else [e.encode() for e in _EMOJI.findall(text)]
    other = [score]
    if "?" in text:
        other.append(_ASKS)
        if text.rstrip().endswith("?"):
            other.append(_ENDS_ASKING)
    if "@" in text:
        other.append(_HANDLE)
    # In ASCII text only "$" can open an amount: a check in C spares most posts the search.
    if ("$" in text or not ascii_only) and _MONEY.search(text):
        other.append(_MONEYED)
    if text.count("!") >= 2:
        other.append(_EXCLAIMS)
    return Reading(words, emoji, other)


_ZEROS = itertools.repeat(0.0)

# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NegativeModel:
    bias: float
    #: Positive weights push towards a complaint, negative ones away from it; a pair of words
    #: is keyed by the tuple of the two.
    weights: Mapping[Feature, float]
    #: Not a complaint when the logit falls below this (the logit of the chosen probability,
    #: as written in the file).
    threshold: float
    #: The chosen probability, as written: shown to people next to the post's.
    threshold_probability: float


def logit(model: NegativeModel, reading: Reading) -> float:
    """The model's log-odds that the post is a complaint."""
    get = model.weights.get
    words, emoji = reading.words, reading.emoji
    # `sum` adds in the order of the text (words, emoji, pairs, as `Reading.text` lists them):
    # the same float on every run
    total = sum(map(get, words, _ZEROS)) if words else 0.0
    if emoji:
        total += sum(map(get, emoji, _ZEROS))
    if words:
        total += sum(map(get, reading.pairs(), _ZEROS))
    count = len(words) + len(emoji) + max(len(words) - 1, 0)
    if count:
        total /= math.sqrt(count)
    return model.bias + total + sum(map(get, reading.other, _ZEROS))


def contributions(model: NegativeModel, reading: Reading) -> dict[Feature, float]:
    """What each known feature adds to the logit (a repeated word adds each time), in the
    order of the text."""
    weights = model.weights
    words: list[Feature] = [*reading.words, *reading.emoji, *reading.pairs()]
    scale = 1.0 / math.sqrt(len(words)) if words else 1.0
    added: dict[Feature, float] = {}
    for feature in words:
        if feature in weights:
            added[feature] = added.get(feature, 0.0) + weights[feature] * scale
    for other in reading.other:
        if other in weights:
            added[other] = added.get(other, 0.0) + weights[other]
    return added


def feature_key(raw: bytes) -> Feature:
    """A feature as the weights file names it ("legit", "is hiring", "shape:asks") as the
    model looks it up: a pair of words as the tuple of the two. Words hold neither a space
    nor a colon, other features always a colon."""
    if b":" in raw or b" " not in raw:
        return raw
    first, second = raw.split(b" ")
    return (first, second)


def feature_name(feature: Feature) -> bytes:
    """A feature as the weights file names it (the inverse of `feature_key`)."""
    return feature if isinstance(feature, bytes) else b" ".join(feature)


_SHOWN = {
    _MILD: "<barely negative>",
    _MEDIUM: "<fairly negative>",
    _STRONG: "<very negative>",
    _ASKS: "<asks>",
    _ENDS_ASKING: "<ends with a question>",
    _HANDLE: "<@handle>",
    _MONEYED: "<money>",
    _EXCLAIMS: "<exclaims>",
    # The missed-complaint check's buckets (`missed_model`): posts the rules call calm.
    b"compound:calm": "<neutral score>",
    b"compound:positive": "<positive score>",
    b"compound:very-positive": "<very positive score>",
}


def describe_feature(feature: Feature) -> str:
    """A feature as a person reads it: words and pairs quoted ("legit", "is this"), a shape or
    the score in angle brackets (<asks>, <barely negative>)."""
    if isinstance(feature, tuple):
        return spam_model.describe_feature(b" ".join(feature))
    if feature in _SHOWN:
        return _SHOWN[feature]
    return spam_model.describe_feature(feature)


def explanation(model: NegativeModel, reading: Reading, log_odds: float, top: int = 3) -> str:
    """`not a complaint (complaint 0.18 < 0.30): "legit", "is this", <asks>`: the post's
    probability of being a complaint, the threshold it fell below, and the features that
    pushed it away from a complaint most (ties in the order of the text)."""
    pulling = [(f, added) for f, added in contributions(model, reading).items() if added < 0]
    ranked = sorted(pulling, key=lambda pair: pair[1])[:top]
    named = ", ".join(describe_feature(f) for f, _ in ranked)
    shown = f"{probability(log_odds):.2f}"
    limit = f"{model.threshold_probability:.2f}"
    if shown == limit:
        # "0.30 < 0.30" would read as a mistake: a third digit, rounded down, tells them apart
        shown = f"{math.floor(probability(log_odds) * 1000) / 1000:.3f}"
    head = f"{NOT_A_COMPLAINT} (complaint {shown} < {limit})"
    return f"{head}: {named}" if named else head


def judgement(model: NegativeModel, reading: Reading, log_odds: float, top: int = 3) -> str:
    """The model's view of a post it read, for `classify --explain` and `show`, whichever way
    it went: `complaint 0.91 (kept in the inbox): "refund", "still waiting", ...` naming the
    features that pushed towards a complaint, or the `explanation` of a demotion."""
    if log_odds < model.threshold:
        return explanation(model, reading, log_odds, top)
    pushing = [(f, added) for f, added in contributions(model, reading).items() if added > 0]
    ranked = sorted(pushing, key=lambda pair: -pair[1])[:top]
    named = ", ".join(describe_feature(f) for f, _ in ranked)
    head = f"complaint {probability(log_odds):.2f} (kept in the inbox)"
    return f"{head}: {named}" if named else head


def reads(text: str, reading: Reading) -> bool:
    """Whether the model reads a post at all: one of at most `MAX_CHARS` characters and at
    least `MIN_WORDS` words (`classify_text`, its explanation and the training script ask
    this one question)."""
    return len(text) <= MAX_CHARS and len(reading.words) >= MIN_WORDS


def _reading_if_read(text: str, compound: float) -> Reading | None:
    """The model's reading of a post it reads (`reads`), else None. A long post is not even
    split into words."""
    if len(text) > MAX_CHARS:
        return None
    reading = read(text, compound)
    return reading if reads(text, reading) else None


def second_look(text: str, compound: float) -> str:
    """What the model makes of a post labelled negative (with this compound) and not spam,
    either way (`judgement`), for an explanation; "" when the post is too long or too short
    for it to read."""
    reading = _reading_if_read(text, compound)
    if reading is None:
        return ""
    model = load_model()
    return judgement(model, reading, logit(model, reading))


def not_a_complaint(text: str, compound: float) -> str | None:
    """The model's explanation when a post labelled negative (with this compound) and not
    spam is, by its reading, not a complaint; None when it stays in the inbox, or is too long
    or too short to read."""
    reading = _reading_if_read(text, compound)
    if reading is None:
        return None
    model = load_model()
    log_odds = logit(model, reading)
    if log_odds >= model.threshold:
        return None
    return explanation(model, reading, log_odds)


def model_from_json(data: Mapping[str, object], name: str = WEIGHTS_FILE) -> NegativeModel:
    """A model from the weights file's contents (`name`: the file, for errors). The
    missed-complaint check's file (`missed_model`) has the same shape."""
    if data.get("format") != FORMAT:
        raise ValueError(f"{name}: format {data.get('format')!r}, expected {FORMAT}")
    weights = data["weights"]
    if not isinstance(weights, dict):
        raise ValueError(f"{name}: weights must be an object")
    return NegativeModel(
        bias=float(str(data["bias"])),
        weights={feature_key(str(k).encode()): float(v) for k, v in weights.items()},
        # the logit as written, not computed here: no platform's `log` can move it
        threshold=float(str(data["threshold_logit"])),
        threshold_probability=float(str(data["threshold"])),
    )


@functools.cache
def load_model() -> NegativeModel:
    """The shipped model, read once from the package's `negative_model.json`."""
    return load_packaged(WEIGHTS_FILE)


def load_packaged(name: str) -> NegativeModel:
    """A model shipped next to this module, read from its weights file `name`."""
    raw = resources.files("mentionwatch.classify").joinpath(name).read_text("utf-8")
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: not an object")
    return model_from_json(data, name)
