"""Sentiment: VADER's compound score, a label from the config's thresholds, and a snippet.

Short texts (one or two sentences) are scored whole. Longer ones are scored sentence by
sentence, as VADER's authors advise: on long text the compound saturates towards +/-1 and the
cost grows with the square of the length. The combined score is the mean of the sentences that
carry any sentiment, so neutral filler does not dilute a complaint, and the most negative
sentence is kept as the snippet the inbox shows.

A post labelled negative and not spam, one the inbox would show, gets a second look from the
inbox check (`negative_model`, a learned model): when it reads the post as no complaint, the
post is labelled neutral (`demoted_compound`) and the model's reasons join its hits. Every
other post that is not spam, and that no frame took out of the inbox, gets the mirror look from
the missed-complaint check (`missed_model`): when it reads the post as a complaint, the post is
labelled negative (`promoted_compound`) and the model's reasons join its hits. So a post is
judged by the rules and at most one of the two models.
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from typing import Any

from mentionwatch.classify.domain import (
    DomainLayer,
    DomainResult,
    Hit,
    build_layer,
    combine,
    frame_holds,
    replace_frame,
    reports,
    reports_in,
    tokens_of,
)
from mentionwatch.classify.missed_model import PROMOTED_COMPOUND, missed_complaint
from mentionwatch.classify.missed_model import second_look as missed_second_look
from mentionwatch.classify.negative_model import HIT_KIND as MODEL_HIT
from mentionwatch.classify.negative_model import not_a_complaint, second_look
from mentionwatch.classify.vader import compound as exact_compound
from mentionwatch.classify.vader import compound_with_tokens
from mentionwatch.config import SentimentConfig
from mentionwatch.models import Classification, SentimentLabel
from mentionwatch.text import snippet as one_line
from mentionwatch.text import split_sentences

#: VADER's own convention: |compound| below this carries no sentiment.
NEUTRAL_BAND = 0.05
SNIPPET_WIDTH = 160
#: Texts up to this long are scored whole, as VADER's authors advise for a sentence or two.
SHORT_TEXT = 140
#: Texts up to this long are framed whole (a problem put right, an ad, a warning, a question
#: asked for information), as a reader takes in a tweet or a short review at a glance. A
#: longer text mixes parts, each sentence scored on its own; and the frames' patterns,
#: searched through all of it, would cost more than the rest of the classifier.
FRAMED_TEXT = 1000


@functools.cache
def analyzer() -> Any:
    """VADER's analyzer, built once per process (it loads its lexicon from disk)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_compound(text: str) -> float:
    """VADER's compound score for `text`, exactly as `polarity_scores` computes it.

    `classify/vader.py` runs VADER's algorithm on its own lexicon without the generic
    bookkeeping that makes `polarity_scores` slow; tests/test_vader_equivalence.py checks it
    against `polarity_scores` on every labelled post, the demo posts and generated texts."""
    return exact_compound(text)


def label_for(compound: float, thresholds: SentimentConfig) -> SentimentLabel:
    if compound <= thresholds.negative:
        return SentimentLabel.NEGATIVE
    if compound >= thresholds.positive:
        return SentimentLabel.POSITIVE
    return SentimentLabel.NEUTRAL


def text_to_score(title: str, text: str) -> str:
    """The text a mention is scored on: its title (when it adds anything) and its body."""
    title, text = title.strip(), text.strip()
    if not title or text.startswith(title):
        return text
    if not text:
        return title
    separator = "" if title[-1] in ".!?…" else "."
    return f"{title}{separator}\n{text}"


@functools.lru_cache(maxsize=8)
def _layer(
    words: frozenset[tuple[str, float]], phrases: frozenset[tuple[str, float]]
) -> DomainLayer:
    return build_layer(analyzer().lexicon, dict(words), dict(phrases))


_last_layer: list[tuple[SentimentConfig, DomainLayer]] = []


def domain_layer(thresholds: SentimentConfig) -> DomainLayer:
    """The domain layer for a config (its own lexicon and phrases), built once per process.

    The last config's layer is remembered by identity: a scan classifies thousands of posts
    with one config, and this lookup is on the hot path."""
    if _last_layer and _last_layer[0][0] is thresholds:
        return _last_layer[0][1]
    layer = _layer(frozenset(thresholds.lexicon.items()), frozenset(thresholds.phrases.items()))
    _last_layer[:] = [(thresholds, layer)]
    return layer


def _scored_post(
    text: str, parts: list[str], layer: DomainLayer, thresholds: SentimentConfig
) -> tuple[list[tuple[float, DomainResult]], list[float], tuple[Hit, ...], float]:
    """Each part's VADER compound and domain finding, as `classify_text` scores a post in
    parts (`[text]`: whole), each part's compound, the hits of how the post was read (its
    frame, or a complaint among praise; none for most posts) and the post's compound."""
    lower = text.lower()
    lowers = [lower] if len(parts) == 1 else [part.lower() for part in parts]
    token_sets = [set(tokens_of(part)) for part in lowers]
    # A report is one voice from start to end: "X announced ... The airline says ...". The
    # post's tokens are its parts' together: no token spans what `split_sentences` drops
    # (whitespace, and closing quotes after a full stop), so the post is read only once.
    reported = None if len(parts) == 1 else reports_in(lower, token_sets)
    scored = [
        (
            compound_with_tokens(part, part_tokens),
            layer.assess(part, part_lower, part_tokens, reported),
        )
        for part, part_lower, part_tokens in zip(parts, lowers, token_sets, strict=True)
    ]
    scores = [combine(vader, found) for vader, found in scored]
    compound = _compound_of(scores)
    reading: tuple[Hit, ...] = ()
    if (
        compound > thresholds.negative
        # Only in a post read whole for a frame, so that a problem put right and praised
        # leaves the inbox again; past that length one grumble does not decide a review.
        and len(text) <= FRAMED_TEXT
        and _complaint_among_praise(scored, scores, thresholds)
    ):
        compound, reading = min(scores), (COMPLAINT_AMONG_PRAISE,)
    if compound <= thresholds.negative:
        tokens = token_sets[0] if len(token_sets) == 1 else set().union(*token_sets)
        framing = _in_frame(text, lower, tokens, layer, scored)
        if framing is not None:
            in_frame, frame_hits = framing
            in_frame_scores = [combine(vader, found) for vader, found in in_frame]
            return in_frame, in_frame_scores, frame_hits, _compound_of(in_frame_scores)
    return scored, scores, reading, compound


#: Why a post of several sentences reads as its most negative one (`_complaint_among_praise`).
#: No valence of its own, as a frame's hit: it changes how the post counts, not its words.
COMPLAINT_AMONG_PRAISE = Hit(
    "rule", "a complaint among praise: the post reads as its most negative sentence", 0.0
)


def _complaint_among_praise(
    scored: list[tuple[float, DomainResult]], scores: list[float], thresholds: SentimentConfig
) -> bool:
    """A post of several sentences with a complaint a rule recognises in one of them, in the
    writer's own voice, that still reads neutral or positive on average: "the staff were
    lovely, the food was great ... the refund still isn't showing. Thank you." The team must
    answer the complaint; the praise around it does not close it. Such a post (if short
    enough to be read whole for a frame: see `_scored_post`) reads as its most negative
    sentence, then as every negative post does: a problem put right and praised (a frame) or
    a calm post (the inbox check, up to its 600 characters) leaves the inbox again."""
    return (
        len(scores) > 1
        and min(scores) <= thresholds.negative
        and any(found.complains and not found.for_others for _, found in scored)
    )


def _in_frame(
    text: str,
    lower: str,
    tokens: set[str],
    layer: DomainLayer,
    scored: list[tuple[float, DomainResult]],
) -> tuple[list[tuple[float, DomainResult]], tuple[Hit, ...]] | None:
    """A post labelled negative (its text, lower-cased, its tokens, and its parts' scores)
    read in its frame, and the frame's hits; None when no frame applies.

    A problem put right, an ad, a warning for others, a question asked for information
    (`DomainLayer.frame_of`) change how a post's negative readings count: they can only
    take a post out of the inbox, so only a post labelled negative is framed (the others
    pay nothing for them), and only one short enough to read whole (`FRAMED_TEXT`). A frame
    that yields (`frame_holds`) yields for the whole post: a warning that ends "and you
    still haven't replied" is a complaint throughout."""
    if len(text) > FRAMED_TEXT or tokens.isdisjoint(layer.frame_triggers):
        return None  # most posts: no frame's word in them
    frame, frame_hits = layer.frame_of(lower, tokens)
    if not frame:
        return None
    in_frame = [(vader, replace_frame(found, frame)) for vader, found in scored]
    if not all(frame_holds(found) for _, found in in_frame):
        return None
    return in_frame, frame_hits


def demoted_compound(thresholds: SentimentConfig) -> float:
    """The compound of a post the inbox check reads as no complaint: the middle of the
    neutral band (0.0 with the default thresholds, the score an ad's frame gives). The model
    says "not a complaint", not "praise", and it is no reading of the words: the exact value
    must only label the post neutral, whatever the thresholds."""
    return round((thresholds.negative + thresholds.positive) / 2, 4)


def _inbox_check(
    text: str, compound: float, hits: tuple[Hit, ...], thresholds: SentimentConfig
) -> tuple[float, tuple[Hit, ...]]:
    """The compound and hits of a post labelled negative and not spam after the inbox check
    (`negative_model`): when it reads the post as no complaint, neutral, with its reasons
    first among the hits (as a frame's are); else as they were."""
    reasons = not_a_complaint(text, compound)
    if reasons is None:
        return compound, hits
    # No valence of its own, as a frame's hit: it changes how the post counts, not its words.
    return demoted_compound(thresholds), (Hit(MODEL_HIT, reasons, 0.0), *hits)


def promoted_compound(thresholds: SentimentConfig) -> float:
    """The compound of a post the missed-complaint check reads as a complaint: fairly negative
    (`missed_model.PROMOTED_COMPOUND`), or the negative threshold when that is lower, so that
    the post is labelled negative whatever the thresholds."""
    return min(PROMOTED_COMPOUND, thresholds.negative)


def _missed_check(
    text: str, compound: float, hits: tuple[Hit, ...], thresholds: SentimentConfig
) -> tuple[float, tuple[Hit, ...]]:
    """The compound and hits of a post the rules call calm (no frame took it out of the
    inbox) and not spam, after the missed-complaint check (`missed_model`): when it reads the
    post as a complaint, negative, with its reasons first among the hits; else as they were."""
    reasons = missed_complaint(text, compound)
    if reasons is None:
        return compound, hits
    # No valence of its own, as the inbox check's hit: it changes how the post counts.
    return promoted_compound(thresholds), (Hit(MODEL_HIT, reasons, 0.0), *hits)


def _compound_of(scores: list[float]) -> float:
    """A post's compound from its parts' (one part: its own)."""
    return scores[0] if len(scores) == 1 else _mean_of_carrying(scores)


def classify_text(
    text: str,
    thresholds: SentimentConfig,
    *,
    question: bool = False,
    spam: bool = False,
    spam_signals: tuple[str, ...] = (),
    inbox_check: bool = True,
    missed_check: bool = True,
) -> Classification:
    """VADER plus the domain layer: the compound, its label, the deciding snippet, what fired.

    `question`, `spam` and `spam_signals` are copied into the verdict as given: the full
    verdict (`verdict.assess`) is then built once instead of copied with them. A post labelled
    negative and not `spam` is read by the inbox check (`negative_model`), unless
    `inbox_check` is false (its training reads the classifier without it) or the config turns
    it off (`[sentiment] inbox_check = false`). Any other post not `spam`, unless a frame
    took it out of the inbox, is read by the missed-complaint check (`missed_model`), unless
    `missed_check` is false (its training) or the config turns it off (`[sentiment]
    missed_check = false`)."""
    layer = domain_layer(thresholds)
    inbox_check = inbox_check and thresholds.inbox_check
    missed_check = missed_check and thresholds.missed_check and not spam
    # A short post is one or two sentences: scored whole without splitting it first.
    sentences = [text] if len(text) <= SHORT_TEXT else split_sentences(text)
    if len(sentences) <= 2:
        vader, compound = 0.0, 0.0
        hits: tuple[Hit, ...] = ()
        if text.strip():
            # `_scored_post(text, [text], layer, thresholds)`, unrolled: the hot path.
            lower = text.lower()
            tokens = set(tokens_of(lower))
            vader, found = compound_with_tokens(text, tokens), layer.assess(text, lower, tokens)
            compound, hits = combine(vader, found), found.hits
            if compound > thresholds.negative:
                # The rules call the post calm: the missed-complaint check may disagree.
                if missed_check:
                    compound, hits = _missed_check(text, compound, hits, thresholds)
            else:
                # `_in_frame` checks the words too: here they spare most posts the call.
                if not tokens.isdisjoint(layer.frame_triggers):
                    framing = _in_frame(text, lower, tokens, layer, [(vader, found)])
                    if framing is not None:
                        ((_, found),), frame_hits = framing
                        compound, hits = combine(vader, found), frame_hits + found.hits
                # The inbox check reads only what the inbox would show: a framed post that
                # left the inbox is decided (the rules read it whole).
                if compound <= thresholds.negative and inbox_check and not spam:
                    compound, hits = _inbox_check(text, compound, hits, thresholds)
        shown = (
            text
            if len(text) <= SNIPPET_WIDTH and "\n" not in text
            else one_line(text, SNIPPET_WIDTH)
        )
        return Classification(
            compound,
            label_for(compound, thresholds),
            shown,
            vader,
            hits,
            question=question,
            spam=spam,
            spam_signals=spam_signals,
        )
    scored, scores, frame_hits, compound = _scored_post(text, sentences, layer, thresholds)
    worst = min(range(len(scores)), key=scores.__getitem__)
    focus = worst if scores[worst] < 0 else 0
    hits = frame_hits + tuple(hit for _, found in scored for hit in found.hits)
    if compound <= thresholds.negative:
        if inbox_check and not spam:
            compound, hits = _inbox_check(text, compound, hits, thresholds)
    elif missed_check and not frame_hits:
        # Calm by the rules, and no frame took it out of the inbox (`_scored_post` returns a
        # frame's hits, or a complaint among praise, only for a post it read negative).
        compound, hits = _missed_check(text, compound, hits, thresholds)
    return Classification(
        compound,
        label_for(compound, thresholds),
        _snippet_around(sentences, focus),
        _mean_of_carrying([vader for vader, _ in scored]),
        hits,
        question=question,
        spam=spam,
        spam_signals=spam_signals,
    )


def _mean_of_carrying(scores: list[float]) -> float:
    carrying = [score for score in scores if abs(score) >= NEUTRAL_BAND]
    return round(sum(carrying) / len(carrying), 4) if carrying else 0.0


def bare_vader(text: str, thresholds: SentimentConfig) -> Classification:
    """VADER alone, combined sentence by sentence the same way: the baseline for `eval`."""
    sentences = split_sentences(text)
    if len(sentences) <= 2:
        compound = vader_compound(text) if text.strip() else 0.0
    else:
        compound = _mean_of_carrying([vader_compound(s) for s in sentences])
    return Classification(compound, label_for(compound, thresholds), "", compound)


def _snippet_around(sentences: list[str], focus: int, width: int = SNIPPET_WIDTH) -> str:
    """The deciding sentence, with the sentences before (then after) it while they fit.

    "Useless." alone says little; "Third outage this week. Useless." says why.
    """
    start, end = focus, focus + 1
    length = len(sentences[focus])
    while start > 0 and length + 1 + len(sentences[start - 1]) <= width:
        start -= 1
        length += 1 + len(sentences[start])
    while end < len(sentences) and length + 1 + len(sentences[end]) <= width:
        length += 1 + len(sentences[end])
        end += 1
    return one_line(" ".join(sentences[start:end]), width)


def sentence_scores(text: str) -> list[tuple[str, float]]:
    """Each sentence with its own VADER compound: the raw material of an explanation."""
    return [(sentence, vader_compound(sentence)) for sentence in split_sentences(text)]


def vader_lexicon_hits(text: str) -> tuple[tuple[str, float], ...]:
    """The words (and emoticons, and emoji through their descriptions) of `text` that VADER's
    lexicon knows, with their valences, in order of first appearance. Tokens are cut as
    VADER cuts them: split on whitespace, punctuation stripped unless that leaves two
    characters or fewer (so ":)" stays an emoticon)."""
    vader = analyzer()
    lexicon, emojis = vader.lexicon, vader.emojis
    found: dict[str, float] = {}
    for token in text.split():
        stripped = token.strip(string.punctuation)
        word = (token if len(stripped) <= 2 else stripped).lower()
        if word in lexicon:
            found.setdefault(word, float(lexicon[word]))
        for char in token:
            description = emojis.get(char)
            if description is None:
                continue
            for part in description.split():
                if part.lower() in lexicon:
                    found.setdefault(f"{char} ({part.lower()})", float(lexicon[part.lower()]))
    return tuple(found.items())


@dataclass(frozen=True, slots=True)
class SentenceScore:
    sentence: str
    #: Bare VADER's compound for the sentence.
    vader: float
    #: VADER plus the domain layer: what the classifier used.
    compound: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a text scored as it did, for `classify --explain` and `show`."""

    #: VADER's lexicon hits: (word, valence).
    vader_hits: tuple[tuple[str, float], ...]
    #: Each sentence with bare VADER's and the classifier's score, in text order.
    sentences: tuple[SentenceScore, ...]
    #: The sentence that decided the verdict: the most negative one of a negative post, the
    #: most positive one of a positive post, else the one that carries the most sentiment.
    deciding: str
    #: What the inbox check (`negative_model`) made of a post the rules call negative: why it
    #: took the post out of the inbox, or how sure it is of the complaint it kept; or what the
    #: missed-complaint check (`missed_model`) made of a post the rules call calm: why it put
    #: the post in the inbox, or how far it was from doing so. "" when neither read the post
    #: (spam, taken out by a frame, too short or too long, or the check turned off).
    inbox_check: str = ""


def _frame_of_post(text: str, layer: DomainLayer, thresholds: SentimentConfig) -> str:
    """The frame `classify_text` reads `text` in ("" when none)."""
    sentences = [text] if len(text) <= SHORT_TEXT else split_sentences(text)
    parts = sentences if len(sentences) > 2 else [text]
    return _scored_post(text, parts, layer, thresholds)[0][0][1].frame


def explain(text: str, verdict: Classification, thresholds: SentimentConfig) -> Explanation:
    """What moved the score of `text` (whose verdict is `verdict`). Pure."""
    layer = domain_layer(thresholds)
    parts = split_sentences(text) or [text]
    # Scored as `classify_text` scores them: a long post as one report or not, and every
    # sentence in the frame `classify_text` found for the whole post.
    lower = text.lower()
    reported = reports(lower, set(tokens_of(lower))) if len(parts) > 2 else None
    frame = _frame_of_post(text, layer, thresholds) if text.strip() else ""
    sentences = []
    for sentence in parts:
        vader = vader_compound(sentence) if sentence.strip() else 0.0
        found = layer.assess(sentence, reported=reported)
        if frame:
            found = replace_frame(found, frame)
        sentences.append(SentenceScore(sentence, vader, combine(vader, found)))
    if verdict.label is SentimentLabel.NEGATIVE:
        deciding = min(sentences, key=lambda s: s.compound)
    elif verdict.label is SentimentLabel.POSITIVE:
        deciding = max(sentences, key=lambda s: s.compound)
    else:
        deciding = max(sentences, key=lambda s: abs(s.compound))
    return Explanation(
        vader_lexicon_hits(text),
        tuple(sentences),
        deciding.sentence,
        _inbox_check_of(text, verdict, thresholds),
    )


def _inbox_check_of(text: str, verdict: Classification, thresholds: SentimentConfig) -> str:
    """What the inbox check or the missed-complaint check made of a post (see
    `Explanation.inbox_check`). A post one of them moved carries the reason among its hits;
    one they left is read again, as `classify_text` read it (the verdict holds the compound
    it was given)."""
    for kind, what, _ in verdict.hits:
        if kind == MODEL_HIT:
            return what
    if verdict.spam:
        return ""
    if verdict.label is SentimentLabel.NEGATIVE:
        return second_look(text, verdict.compound) if thresholds.inbox_check else ""
    if not thresholds.missed_check or any(
        what.startswith("context:") for _, what, _ in verdict.hits
    ):
        return ""  # a frame took the post out of the inbox: the rules decided
    return missed_second_look(text, verdict.compound)
