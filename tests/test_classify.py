"""The pure classifiers: relevance, sentiment, priority, brand handles."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_config
from mentionwatch.classify.domain import combine
from mentionwatch.classify.duplicates import as_copied_spam, copied_across_accounts, copies_in
from mentionwatch.classify.handles import is_brand_handle
from mentionwatch.classify.match import compile_matcher
from mentionwatch.classify.priority import labelled_compound, reach_factor, urgency
from mentionwatch.classify.sentiment import (
    classify_text,
    domain_layer,
    sentence_scores,
    text_to_score,
    vader_compound,
)
from mentionwatch.classify.verdict import assess
from mentionwatch.cli import app
from mentionwatch.config import BrandConfig, SentimentConfig
from mentionwatch.models import Classification, Mention, SentimentLabel
from mentionwatch.scan import relevant_and_scored

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
    # The rules alone: the mean of the sentences that carry sentiment.
    verdict = classify_text(text, THRESHOLDS, missed_check=False)
    layer = domain_layer(THRESHOLDS)
    per_sentence = [
        combine(vader, layer.assess(sentence)) for sentence, vader in sentence_scores(text)
    ]
    carrying = [s for s in per_sentence if abs(s) >= 0.05]
    assert verdict.compound == pytest.approx(sum(carrying) / len(carrying), abs=1e-4)
    assert "useless and rude" in verdict.snippet
    # That mean is mildly positive: the missed-complaint check reads the complaint in it.
    assert verdict.compound > 0
    full = classify_text(text, THRESHOLDS)
    assert full.label.value == "negative" and full.hits[0][0] == "model"
    assert full.snippet == verdict.snippet
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
    assert urgency(-1.0, timedelta(days=30), sla, reach=1_000_000).priority == 100.0
    assert urgency(-1.0, timedelta(days=30), sla).priority == 80.0  # unknown reach counts 0
    skewed = urgency(-0.5, timedelta(minutes=-10), sla)
    assert skewed.waited == timedelta(0) and not skewed.breached
    assert urgency(0.8, timedelta(0), sla).priority == 0.0


def test_reach_is_log_scaled_and_saturates() -> None:
    assert reach_factor(None) == reach_factor(0) == reach_factor(-5) == 0.0
    assert reach_factor(9) == pytest.approx(0.25)
    assert reach_factor(99) == pytest.approx(0.5)
    assert reach_factor(10_000) == reach_factor(5_000_000) == 1.0
    sla = timedelta(hours=4)
    small, big = (urgency(-0.5, timedelta(hours=1), sla, reach=r) for r in (10, 100_000))
    assert big.priority - small.priority == pytest.approx(20 * (1 - reach_factor(10)), abs=0.1)


def test_a_question_needs_an_answer_whatever_its_tone() -> None:
    sla, waited = timedelta(hours=4), timedelta(hours=1)
    neutral_question = urgency(0.0, waited, sla, question=True)
    neutral_statement = urgency(0.0, waited, sla)
    assert neutral_question.priority == pytest.approx(neutral_statement.priority + 25, abs=0.15)
    assert urgency(0.6, waited, sla, question=True).priority == neutral_question.priority
    # A complaint that asks outranks one that only vents; need is capped at 1.
    assert urgency(-0.4, waited, sla, question=True).priority > urgency(-0.4, waited, sla).priority
    assert urgency(-0.9, waited, sla, question=True).priority == urgency(-1, waited, sla).priority


def test_a_persons_label_sets_the_tone_priority_uses() -> None:
    assert labelled_compound(-0.2, None) == -0.2
    assert labelled_compound(0.3, "negative") == -0.5
    assert labelled_compound(-0.9, "negative") == -0.9
    assert labelled_compound(-0.7, "neutral") == 0.0
    assert labelled_compound(0.4, "positive") == 0.4


# --- copy-paste spam ----------------------------------------------------------------------------

COPY = "Just tried the new Acme blender smoothie recipe with my kids"


def test_the_same_text_from_three_accounts_is_found() -> None:
    posts = [
        ("ann", COPY),
        ("bob", f"@acme {COPY} https://x.example/1 #ad"),
        ("cy", COPY.upper() + " 2"),
        ("dee", "Something else entirely about Acme today"),
    ]
    assert copied_across_accounts(posts) == {0: 3, 1: 3, 2: 3}


@pytest.mark.parametrize(
    "posts",
    [
        [("ann", COPY), ("bob", COPY)],
        [("ann", COPY), ("ANN", COPY), ("Ann", COPY)],
        [(None, COPY), (None, COPY), ("ann", COPY)],
        [("ann", "Acme is down"), ("bob", "Acme is down"), ("cy", "Acme is down")],
    ],
    ids=["two accounts", "one account", "no authors", "too short"],
)
def test_copies_need_three_accounts_and_some_length(
    posts: list[tuple[str | None, str]],
) -> None:
    assert copied_across_accounts(posts) == {}


def test_a_copied_post_becomes_spam_with_one_copies_signal() -> None:
    verdict = Classification(
        -0.4,
        SentimentLabel.NEGATIVE,
        "x",
        question=True,
        spam_signals=("link farm", "same text from 3 accounts"),
    )
    copied = as_copied_spam(verdict, 5)
    assert copied.spam and not copied.question
    assert copied.spam_signals == ("link farm", "same text from 5 accounts")
    assert copies_in("same text from 5 accounts") == 5
    assert copies_in("link farm") is None


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


# --- the brand's terms reach the spam rules ------------------------------------------------------


def test_assess_uses_the_brand_terms_it_is_given() -> None:
    text = "Traffic on Acme Road again, the 42 bus is stuck behind a van"
    assert not assess(text, SentimentConfig()).spam
    verdict = assess(text, SentimentConfig(), ("Acme",))
    assert verdict.spam
    assert "brand name used for something else" in verdict.spam_signals


def test_a_scan_scores_with_the_brands_terms() -> None:
    brand = BrandConfig(name="Acme", terms=("Acme",))

    def post(native_id: str, text: str) -> Mention:
        return Mention("feed", "rss", native_id, f"https://example.org/{native_id}", "", text)

    scored = relevant_and_scored(
        [post("1", "Acme Road closed all weekend"), post("2", "My Acme order never arrived")],
        compile_matcher(brand.terms),
        brand,
        SentimentConfig(),
    )
    assert [s.verdict.spam for s in scored] == [True, False]


def test_the_classify_command_reads_the_brand_terms_from_the_config(isolated_env: Path) -> None:
    text = "Acme Road is closed for resurfacing"
    runner = CliRunner()
    bare = runner.invoke(app, ["classify", "--json", text])
    config = write_config(isolated_env)
    with_terms = runner.invoke(app, ["classify", "--json", "--config", str(config), text])
    assert bare.exit_code == 0 and with_terms.exit_code == 0, (bare.output, with_terms.output)
    assert json.loads(bare.stdout)["spam"] is False
    assert json.loads(with_terms.stdout)["spam"] is True
