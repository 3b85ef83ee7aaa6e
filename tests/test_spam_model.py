"""The learned spam model next to the rules: its weights load, it catches spam the rules miss
and leaves customers alone, it explains itself by its features, it answers the same whatever
the hash seed, and the shipped weights are exactly what `scripts/train_spam_model.py` writes.

The sentences here are written for these tests (not taken from the labelled files), in the
shapes of real spam and of the real posts that look like it.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from mentionwatch.classify import spam_model
from mentionwatch.classify.spam import rule_verdict, spam_verdict
from mentionwatch.classify.spam_model import (
    Features,
    describe_feature,
    explanation,
    features,
    load_model,
    logit,
    model_from_json,
    probability,
)
from training_scripts import load_script, outputs_under_hash_seeds, run_script

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "src" / "mentionwatch" / "classify" / "spam_model.json"
DATA = ROOT / "tests" / "data"

#: Spam the rules let through and the model catches.
MODEL_CATCHES = [
    "Girls in your area want to meet tonight 💋 no signup, tap my profile",
    "Get paid $35 for every 5-minute survey, spots filling fast, comment YES and I'll send the "
    "link",
    "Crypto signals group 📈 90% win rate, free for the first 50 members, join through my bio",
    "Best Zentel tips + hidden tricks in my new ebook, only $4.99, link in bio 📚",
]

#: Posts with some of the same words that stay out of spam.
CUSTOMERS = [
    "@zentel my router has dropped the connection four times today, when will this be fixed?",
    "Zentel charged me twice for the same month and support keeps closing my ticket",
    "Loving the new Zentel app update, the dark mode looks great",
    "Zentel is hiring support engineers in Leeds, apply on our careers page",
    "Our spring sale starts today: 20% off all plans, see the pricing page for details",
    "Is this text from Zentel real? It says my account is locked and asks me to click a link",
    "Beware: someone is posting fake Zentel giveaways asking for your card details",
    # the brand's support asking for a DM: the rules judge the voice of support, not the model
    "@jane_doe We're sorry to hear that! Please DM us your order number and we'll look into it.",
    "Hi Sam, sorry about the wait. Could you DM us your booking reference so we can check?",
]

_MODEL_SIGNAL = re.compile(r'^model (0\.\d\d|1\.00): (?:"[^"]+"|<[^>]+>|rule [^,]+)(?:, |$)')


def test_the_weights_load_once_and_are_small() -> None:
    model = load_model()
    assert load_model() is model  # read once
    assert len(model.weights) > 1000
    assert 0.5 < probability(model.threshold) < 1.0
    assert WEIGHTS.stat().st_size < 400_000
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert model_from_json(data) == model
    assert all(abs(weight) >= data["settings"]["prune"] for weight in data["weights"].values())


def test_the_weights_ship_in_the_package() -> None:
    # importlib.resources finds the file next to the module, as it will in a wheel
    from importlib import resources

    shipped = resources.files("mentionwatch.classify").joinpath(spam_model.WEIGHTS_FILE)
    assert shipped.is_file()


@pytest.mark.parametrize("text", MODEL_CATCHES)
def test_the_model_catches_spam_the_rules_miss(text: str) -> None:
    assert not rule_verdict(text).spam
    verdict = spam_verdict(text)
    assert verdict.spam, verdict
    assert _MODEL_SIGNAL.match(verdict.signals[-1]), verdict.signals


@pytest.mark.parametrize("text", CUSTOMERS)
def test_customers_stay_out_of_spam(text: str) -> None:
    verdict = spam_verdict(text)
    assert not verdict.spam, verdict
    assert not any(signal.startswith("model ") for signal in verdict.signals)


def test_a_rule_verdict_of_spam_is_kept_as_it_is() -> None:
    text = "Selling Zentel premium accounts, lifetime access, cheap, DM for price 💯"
    assert spam_verdict(text) == rule_verdict(text)


def test_the_explanation_names_the_features_that_pushed_most() -> None:
    text = MODEL_CATCHES[1]
    model = load_model()
    found = features(text)
    log_odds = logit(model, found)
    said = explanation(model, found, log_odds)
    assert said.startswith(f"model {probability(log_odds):.2f}: ")
    named = said.split(": ", 1)[1].split(", ")
    assert len(named) == 3
    # each one is a feature of the post with a positive weight, the largest first
    weights = {describe_feature(f): model.weights.get(f, 0.0) for f in found.text}
    assert all(weights[name] > 0 for name in named)
    assert weights[named[0]] >= weights[named[-1]]


@pytest.mark.parametrize(
    ("feature", "shown"),
    [
        (b"whatsapp", '"whatsapp"'),
        (b"dm me", '"dm me"'),
        (b"zzmoneyzz", "<money>"),
        (b"call zzphonezz", '"call <phone>"'),
        (b"00 off", '"<number> off"'),
        (b"shape:links>=3", "<links>=3>"),
        (b"rule:off-platform contact", "rule off-platform contact"),
    ],
)
def test_features_read_as_a_person_would(feature: bytes, shown: str) -> None:
    assert describe_feature(feature) == shown


def test_shapes_are_folded_into_tokens() -> None:
    found = features(
        "Pay $40 to @helpdesk at claim-now.info or mail x.y@proton.me, call +1 (800) 555-0199 "
        "in 2024",
        brand_terms=("Zentel",),
    )
    words = set(found.text)
    assert {b"zzmoneyzz", b"zzhandlezz", b"zzurlzz", b"zzemailzz", b"zzphonezz", b"0000"} <= words
    assert not any(b"proton" in w or b"claim" in w or b"800" in w for w in words)
    assert features("Zentel is down", brand_terms=("Zentel",)).text[0] == b"zzbrandzz"


def test_a_long_post_does_not_add_up_into_spam() -> None:
    # Forty ordinary sentences: many small weights, each counted 1/sqrt(n).
    post = " ".join(CUSTOMERS[:4] * 10)
    assert not spam_verdict(post).spam


_VERDICTS = """
import json, sys
from mentionwatch.classify.spam import spam_verdict
from mentionwatch.classify.spam_model import features, load_model, logit
texts = json.loads(sys.stdin.read())
model = load_model()
for text in texts:
    print(repr(logit(model, features(text))), spam_verdict(text))
"""


def test_the_same_text_gets_the_same_verdict_whatever_the_hash_seed() -> None:
    texts = [*MODEL_CATCHES, *CUSTOMERS]
    texts += [json.loads(line)["text"] for line in (DATA / "triage_spam_dev2.jsonl").open()][:150]
    outputs = outputs_under_hash_seeds(_VERDICTS, texts)
    assert len(outputs) == 1
    assert len(next(iter(outputs)).splitlines()) == len(texts)


# --- the training script ----------------------------------------------------------------------


def _fixture(tmp_path: Path) -> list[Path]:
    """Two tiny "writers": spam about DMs and giveaways, customers about outages."""
    spam = [
        "dm me for the free giveaway link",
        "free giveaway, dm me now",
        "dm me to claim your free prize",
        "claim the free prize, dm me",
    ]
    customers = [
        "the app is down again and support is slow",
        "my order is late again, support please help",
        "support closed my ticket, the app is still down",
        "why is the app down again",
    ]
    paths = []
    for writer in ("a", "b"):
        path = tmp_path / f"writer_{writer}.jsonl"
        rows = [{"text": t, "spam": True} for t in spam] + [
            {"text": t, "spam": False} for t in customers
        ]
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        paths.append(path)
    return paths


def test_a_tiny_training_run_is_reproducible_and_learns_the_obvious(tmp_path: Path) -> None:
    data = [str(path) for path in _fixture(tmp_path)]
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert (
        run_script(
            "train_spam_model", "--no-cv", "--data", *data, "--out", str(first), seed="1"
        ).returncode
        == 0
    )
    assert (
        run_script(
            "train_spam_model", "--no-cv", "--data", *data, "--out", str(second), seed="99"
        ).returncode
        == 0
    )
    assert first.read_bytes() == second.read_bytes()
    model = model_from_json(json.loads(first.read_text(encoding="utf-8")))
    assert model.weights[b"dm"] > 0 and model.weights[b"dm me"] > 0
    assert model.weights[b"down"] < 0 and model.weights[b"support"] < 0
    spammy = logit(model, features("dm me for a free prize"))
    calm = logit(model, features("the app is down, support please"))
    assert spammy > model.threshold > calm


def test_exp_is_exact_enough_and_the_same_everywhere() -> None:
    load_script("train_spam_model")
    import logistic  # the training scripts' shared code, on sys.path since `load_script`

    for x in (-30.0, -2.5, -0.1, 0.0, 0.7, 3.3, 20.0):
        assert logistic.exp(x) == pytest.approx(2.718281828459045**x, rel=1e-14)


def test_the_shipped_weights_are_what_the_script_writes() -> None:
    """Retrain on the tuning files (without the cross-validation) and compare byte for byte:
    the shipped file is neither edited by hand nor stale after a change to the data."""
    shipped = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    for name, digest in shipped["trained_on"].items():
        assert "heldout" not in name
        assert load_script("train_spam_model").sha256(DATA / name)[:16] == digest, (
            f"{name} changed: retrain"
        )
    done = run_script("train_spam_model", "--check", "--no-cv")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the same as a retrain" in done.stdout


def test_features_are_plain_tuples_of_bytes() -> None:
    found = features("DM me 💰 now!!!", rule_signals=("sells in DMs",))
    assert isinstance(found, Features)
    assert found.text[:2] == (b"dm", b"me")
    assert "💰".encode() in found.text
    assert b"rule:sells in DMs" in found.other


def test_the_phone_pre_check_never_hides_a_phone_number() -> None:
    """`_fold` tries the phone pattern only where `_PHONE_CORE` finds its last two groups of
    digits: on any text where the pattern matches, the pre-check must find something too."""
    rng = random.Random(7)
    pieces = ["+44", "+1", "1", "(020)", "(0161)", "020", "555", "0123", "12345", "4567"]
    pieces += ["-", ".", " ", "  ", "x", "ext", ":", "/", "", "\u0663\u0664\u0665", "2024-05-01"]
    texts = [
        "call +44 20 7946 0958 now",
        "(555) 123-4567",
        "1.800.555.0199",
        "order 12345678 placed 2024-05-01",
    ]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 9))) for _ in range(20_000)]
    phones = [text for text in texts if spam_model._PHONE.search(text)]
    assert len(phones) > 1000  # the generator does write phone numbers
    for text in texts:
        assert (spam_model._PHONE.search(text) is None) or spam_model._PHONE_CORE.search(text)


@pytest.mark.parametrize(
    "terms",
    [
        ("Zentel",),
        ("Zentel", "Zentel Cloud"),
        ("Zen*", "ZT"),
        ('"Zentel Cloud"', "cloud"),
        ("Zoë",),
    ],
)
def test_the_brand_name_is_folded_as_the_pattern_would(terms: tuple[str, ...]) -> None:
    """`_BrandName.sub` finds the names' first words with a search of its own and tries the
    pattern only there: on any text it must give exactly `pattern.sub`'s result."""
    brand = spam_model._brand_name(terms)
    assert brand is not None
    rng = random.Random(3)
    pieces = ["Zentel", "zentel", "ZENTEL", "Zen", "zenith", "ZT", "zt", "Cloud", "cloud", "Zoë"]
    pieces += ["@Zentel", "#zentel", "zentel.com", "x.zentel", "-zentel", "zentel-", "_zt", "ǅ"]
    pieces += [" ", "  ", "\n", ".", ",", "'s", "s", "é", "ZentelZentel", "Zentel.", "ztzt"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        assert brand.sub(" zzbrandzz ", text) == brand.pattern.sub(" zzbrandzz ", text), text
