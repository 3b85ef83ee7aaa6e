"""The pure classifiers: relevance, sentiment, priority, brand handles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mentionwatch.classify.domain import combine
from mentionwatch.classify.handles import is_brand_handle
from mentionwatch.classify.match import compile_matcher
from mentionwatch.classify.priority import urgency
from mentionwatch.classify.sentiment import (
    classify_text,
    domain_layer,
    sentence_scores,
    text_to_score,
    vader_compound,
)
from mentionwatch.config import SentimentConfig
from mentionwatch.models import SentimentLabel

# --- relevance ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I love Acme",
        "@acme why is this broken",
        "#ACME down again",
        "Acme's support is great",
        "ordered from acme.",
    ],
)
def test_term_matches_whole_word_case_insensitively(text: str) -> None:
    assert compile_matcher(["Acme"]).match(text) == "Acme"


@pytest.mark.parametrize("text", ["Acmeville fair", "the acmes", "pacme", "nothing here"])
def test_term_does_not_match_inside_other_words(text: str) -> None:
    assert compile_matcher(["Acme"]).match(text) is None


def test_phrase_terms_match_across_whitespace_and_quotes_are_optional() -> None:
    matcher = compile_matcher(['"Acme Cloud"'])
    assert matcher.match("the Acme   cloud is down") == "Acme Cloud"
    assert matcher.match("acme\ncloud outage") == "Acme Cloud"
    assert matcher.match("Acme's cloud") is None


def test_trailing_star_matches_any_word_ending() -> None:
    matcher = compile_matcher(["Acme*"])
    assert matcher.match("AcmeCloud is down") == "Acme*"
    assert matcher.match("Pacme") is None


def test_exclude_terms_make_a_post_irrelevant() -> None:
    matcher = compile_matcher(["Acme"], exclude=["Acme Anvil", "Wile E. Coyote"])
    assert matcher.match("Acme support never replied") == "Acme"
    assert matcher.match("the Acme anvil falls on Wile E. Coyote") is None
    assert matcher.match("Title about Acme", "body mentions an acme anvil") is None


def test_the_first_matching_term_is_reported() -> None:
    matcher = compile_matcher(["Acme", "Roadrunner Express"])
    assert matcher.match("shipping via roadrunner express was late") == "Roadrunner Express"


def test_blank_terms_are_ignored() -> None:
    assert compile_matcher(["", '""', "  "]).match("Acme") is None


# --- sentiment ---------------------------------------------------------------------------------

THRESHOLDS = SentimentConfig()


def test_short_text_gets_vader_compound_and_label() -> None:
    verdict = classify_text("Acme support is terrible and rude", THRESHOLDS)
    assert verdict.compound == pytest.approx(vader_compound("Acme support is terrible and rude"))
    assert verdict.label is SentimentLabel.NEGATIVE
    assert classify_text("I love my new Acme skates", THRESHOLDS).label is SentimentLabel.POSITIVE
    assert classify_text("Acme opened a new office", THRESHOLDS).label is SentimentLabel.NEUTRAL


def test_thresholds_come_from_the_config() -> None:
    strict = SentimentConfig(negative=-0.9, positive=0.9)
    assert classify_text("Acme support is bad", strict).label is SentimentLabel.NEUTRAL


def test_long_text_is_scored_sentence_by_sentence_and_keeps_the_worst_sentence() -> None:
    text = (
        "I have been an Acme customer for six years. The installer was friendly. "
        "The app is nice to look at. But the router has been dropping out every night and "
        "support is useless and rude. I moved house in March. The weather was fine."
    )
    verdict = classify_text(text, THRESHOLDS)
    layer = domain_layer(THRESHOLDS)
    per_sentence = [
        combine(vader, layer.assess(sentence)) for sentence, vader in sentence_scores(text)
    ]
    carrying = [s for s in per_sentence if abs(s) >= 0.05]
    assert verdict.compound == pytest.approx(sum(carrying) / len(carrying), abs=1e-4)
    assert "useless and rude" in verdict.snippet
    # Whole-text VADER would report a very different (saturated) figure; we do not use it.
    assert len(per_sentence) == 6


def test_snippet_carries_context_before_a_terse_sentence() -> None:
    text = "Third outage this week at Acme. Can't work. Useless."
    assert classify_text(text, THRESHOLDS).snippet == text


def test_snippet_is_centred_on_the_worst_sentence_and_fits_the_width() -> None:
    filler = "This sentence is only here to take up a great deal of room in the post. "
    text = filler * 4 + "Support is useless. " + filler * 4
    snippet = classify_text(text, THRESHOLDS).snippet
    assert "Support is useless." in snippet
    assert len(snippet) <= 160


def test_empty_text_is_neutral() -> None:
    verdict = classify_text("", THRESHOLDS)
    assert verdict.compound == 0.0 and verdict.label is SentimentLabel.NEUTRAL


def test_text_to_score_joins_title_and_body_once() -> None:
    assert text_to_score("Acme is down", "Acme is down since 7am") == "Acme is down since 7am"
    assert text_to_score("Acme is down", "Since 7am.") == "Acme is down.\nSince 7am."
    assert text_to_score("", "body") == "body"
    assert text_to_score("title only", "") == "title only"


# --- priority ----------------------------------------------------------------------------------


def test_priority_grows_with_negativity_and_waiting() -> None:
    sla = timedelta(hours=4)
    fresh_angry = urgency(-0.9, timedelta(minutes=5), sla)
    old_angry = urgency(-0.9, timedelta(hours=10), sla)
    fresh_mild = urgency(-0.1, timedelta(minutes=5), sla)
    assert old_angry.priority > fresh_angry.priority > fresh_mild.priority
    assert old_angry.breached and not fresh_angry.breached
    assert 0 <= fresh_mild.priority <= 100 and old_angry.priority <= 100


def test_priority_saturates_at_twice_the_sla_and_ignores_clock_skew() -> None:
    sla = timedelta(hours=4)
    assert urgency(-1.0, timedelta(days=30), sla).priority == 100.0
    skewed = urgency(-0.5, timedelta(minutes=-10), sla)
    assert skewed.waited == timedelta(0) and not skewed.breached
    assert urgency(0.8, timedelta(0), sla).priority == 0.0


# --- brand handles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("author", "own"),
    [
        ("AcmeSupport", True),
        ("acmesupport", True),
        ("@AcmeSupport", True),
        ("u/AcmeSupport", True),
        ("/u/AcmeSupport", True),
        ("AcmeSupport@mastodon.social", True),
        ("MayaAtAcme", True),
        ("dev_kofi_atacme", True),
        ("NotAcmeSupport", False),
        ("acme_fan", False),
        ("", False),
        (None, False),
    ],
)
def test_brand_handles_match_exact_names_and_globs_case_insensitively(
    author: str | None, own: bool
) -> None:
    assert is_brand_handle(author, ["AcmeSupport", "*atAcme"]) is own


def test_a_handle_with_a_domain_must_match_the_whole_address() -> None:
    patterns = ["AcmeSupport@acme.social"]
    assert is_brand_handle("acmesupport@acme.social", patterns)
    assert not is_brand_handle("AcmeSupport@evil.example", patterns)


@pytest.mark.parametrize(
    ("author", "own"),
    [
        ("acmesupport.bsky.social", True),
        ("MayaAtAcme.bsky.social", True),
        ("acmesupport.evil.example", False),
        ("support.acme.com", True),
        ("support.acme.com.evil.example", False),
    ],
)
def test_bluesky_handles_on_the_shared_host_match_by_their_first_label(
    author: str, own: bool
) -> None:
    assert is_brand_handle(author, ["AcmeSupport", "*atAcme", "*.acme.com"]) is own
