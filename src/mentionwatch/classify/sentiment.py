"""Sentiment: VADER's compound score, a label from the config's thresholds, and a snippet.

Short texts (one or two sentences) are scored whole. Longer ones are scored sentence by
sentence, as VADER's authors advise: on long text the compound saturates towards +/-1 and the
cost grows with the square of the length. The combined score is the mean of the sentences that
carry any sentiment, so neutral filler does not dilute a complaint, and the most negative
sentence is kept as the snippet the inbox shows.
"""

from __future__ import annotations

import functools
from typing import Any

from mentionwatch.classify.domain import DomainLayer, DomainResult, build_layer, combine
from mentionwatch.config import SentimentConfig
from mentionwatch.models import Classification, SentimentLabel
from mentionwatch.text import snippet as one_line
from mentionwatch.text import split_sentences

#: VADER's own convention: |compound| below this carries no sentiment.
NEUTRAL_BAND = 0.05
SNIPPET_WIDTH = 160
#: Texts up to this long are scored whole, as VADER's authors advise for a sentence or two.
SHORT_TEXT = 140


@functools.cache
def analyzer() -> Any:
    """VADER's analyzer, built once per process (it loads its lexicon from disk)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_compound(text: str) -> float:
    return float(analyzer().polarity_scores(text)["compound"])


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


def _hits(result: DomainResult) -> tuple[tuple[str, str, float], ...]:
    return tuple((hit.kind, hit.what, hit.valence) for hit in result.hits)


def classify_text(text: str, thresholds: SentimentConfig) -> Classification:
    """VADER plus the domain layer: the compound, its label, the deciding snippet, what fired."""
    layer = domain_layer(thresholds)
    # A short post is one or two sentences: scored whole without splitting it first.
    sentences = [text] if len(text) <= SHORT_TEXT else split_sentences(text)
    if len(sentences) <= 2:
        vader = vader_compound(text) if text.strip() else 0.0
        found = layer.assess(text)
        compound = combine(vader, found)
        shown = (
            text
            if len(text) <= SNIPPET_WIDTH and "\n" not in text
            else one_line(text, SNIPPET_WIDTH)
        )
        return Classification(compound, label_for(compound, thresholds), shown, vader, _hits(found))
    vaders = [vader_compound(sentence) for sentence in sentences]
    founds = [layer.assess(sentence) for sentence in sentences]
    scores = [combine(v, f) for v, f in zip(vaders, founds, strict=True)]
    compound = _mean_of_carrying(scores)
    worst = min(range(len(scores)), key=scores.__getitem__)
    focus = worst if scores[worst] < 0 else 0
    hits = tuple(hit for found in founds for hit in _hits(found))
    return Classification(
        compound,
        label_for(compound, thresholds),
        _snippet_around(sentences, focus),
        _mean_of_carrying(vaders),
        hits,
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
