"""The missed-complaint check: a learned second look at the posts the rules call calm.

VADER and the domain layer miss complaints that carry no complaint word: the facts alone
("Dropwick delivered my parcel to number 41. I live at 14."), a number against a promise
("Speed test: 12 Mbps. Package: 900 Mbps. Hmm."), deadpan irony ("It has very kindly removed
all of my recipes. I am told this is called an improvement."), a fee asked about ("the oat milk
surcharge is 70p now??"). The rules cannot list every way to say it; on the labelled files such
posts are most of the complaints the rules miss. This model is the inbox check's mirror
(`negative_model`): it reads ONLY a post the rules do not call negative (no frame took it out
either, and the inbox check never read it), that is not spam, and answers how likely the post
is a complaint. When the logit reaches the threshold chosen by cross-validation,
`classify_text` labels the post negative, with `PROMOTED_COMPOUND`, and says why in its hits
(`explanation`).

Features are the inbox check's (`negative_model.read_with`: words, adjacent word pairs, emoji,
the shapes of the post), with the classifier's compound in buckets of the calm side (neutral,
positive, very positive: praise in strong words is more often real praise). Unlike the inbox
check it keeps the words VADER scores negative: in a post that still reads calm they were
outweighed, and "wrong", "missing" or "broken" beside praise is often the complaint. It reads
the same posts by length: 6 words to 600 characters (`negative_model.reads`).

Favour precision: a post put in the inbox costs a person a look, so the threshold is chosen,
by writer-held-out cross-validation, to keep the posts it adds complaints at least
`scripts/train_missed_model.py`'s bar of the time (see that script).

The two checks never read the same post: the inbox check reads what the rules call negative,
this one the rest; so a post is judged by the rules and at most one model. Pure, apart from
reading the weights (`missed_model.json`, written by `scripts/train_missed_model.py`) once.
"""

from __future__ import annotations

import functools
import math

from mentionwatch.classify.negative_model import (
    MAX_CHARS,
    NegativeModel,
    Reading,
    contributions,
    describe_feature,
    load_packaged,
    logit,
    read_with,
    reads,
)
from mentionwatch.classify.spam_model import probability

WEIGHTS_FILE = "missed_model.json"
#: The compound of a post the check puts in the inbox: fairly negative, as a post a person
#: labels negative counts in the priority (`priority.labelled_compound`), and never above the
#: negative threshold (`promoted_compound`).
PROMOTED_COMPOUND = -0.5
#: What a promoted post is, in its hit (the hit's kind is the inbox check's, "model").
FOUND = "a complaint the rules missed"

#: The classifier's compound for a post it calls calm, in three buckets.
_CALM, _POSITIVE, _VERY_POSITIVE = (
    b"compound:calm",
    b"compound:positive",
    b"compound:very-positive",
)


def score_feature(compound: float) -> bytes:
    """The bucket of a calm post's compound: below 0.05 (neutral with the default thresholds),
    below 0.5, or above."""
    return _CALM if compound < 0.05 else _POSITIVE if compound < 0.5 else _VERY_POSITIVE


def read(text: str, compound: float) -> Reading:
    """The model's features of one post the rules call calm, with the classifier's compound."""
    return read_with(text, score_feature(compound))


def reading_if_read(text: str, compound: float) -> Reading | None:
    """The model's reading of a post it reads (`negative_model.reads`), else None. A long post
    is not even split into words."""
    if len(text) > MAX_CHARS:
        return None
    reading = read(text, compound)
    return reading if reads(text, reading) else None


@functools.cache
def load_model() -> NegativeModel:
    """The shipped model, read once from the package's `missed_model.json`."""
    return load_packaged(WEIGHTS_FILE)


def _shown(log_odds: float, model: NegativeModel) -> tuple[str, str]:
    """The post's probability and the threshold's, as printed; never "0.60 >= 0.60" for a post
    just below (a third digit, rounded down, tells them apart)."""
    shown, limit = f"{probability(log_odds):.2f}", f"{model.threshold_probability:.2f}"
    if shown == limit and log_odds < model.threshold:
        shown = f"{math.floor(probability(log_odds) * 1000) / 1000:.3f}"
    return shown, limit


def _named(model: NegativeModel, reading: Reading, sign: int, top: int) -> str:
    """The features that pushed the logit most in the direction of `sign` (+1 towards a
    complaint), ties in the order of the text."""
    pushing = [(f, a) for f, a in contributions(model, reading).items() if a * sign > 0]
    ranked = sorted(pushing, key=lambda pair: -pair[1] * sign)[:top]
    return ", ".join(describe_feature(f) for f, _ in ranked)


def judgement(model: NegativeModel, reading: Reading, log_odds: float, top: int = 3) -> str:
    """The model's view of a post it read, either way: `a complaint the rules missed
    (complaint 0.83 >= 0.60): "number", "i live", <neutral score>` naming what pushed towards a
    complaint, or `complaint 0.12 (left out of the inbox): ...` naming what pushed away."""
    shown, limit = _shown(log_odds, model)
    if log_odds >= model.threshold:
        head, named = f"{FOUND} (complaint {shown} >= {limit})", _named(model, reading, 1, top)
    else:
        head = f"complaint {shown} < {limit} (left out of the inbox)"
        named = _named(model, reading, -1, top)
    return f"{head}: {named}" if named else head


def missed_complaint(text: str, compound: float) -> str | None:
    """The model's explanation when a post the rules call calm (with this compound), not spam,
    is by its reading a complaint; None when it is not, or is too long or too short to read."""
    reading = reading_if_read(text, compound)
    if reading is None:
        return None
    model = load_model()
    log_odds = logit(model, reading)
    if log_odds < model.threshold:
        return None
    return judgement(model, reading, log_odds)


def second_look(text: str, compound: float) -> str:
    """What the model makes of a post the rules call calm, either way (`judgement`), for an
    explanation; "" when the post is too long or too short for it to read."""
    reading = reading_if_read(text, compound)
    if reading is None:
        return ""
    model = load_model()
    return judgement(model, reading, logit(model, reading))
