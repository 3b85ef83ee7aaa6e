"""The inbox check (`classify/negative_model.py`): a learned second look at the posts the rules
call negative, wired into `classify_text`, and the weights `scripts/train_negative_model.py`
writes.

The calm posts that the check must take out of the inbox are taken from the TUNING files
(never the held-out ones); the model was trained on them, so these tests show the wiring and
what the model learned, not how well it carries over to new writers (the script's
cross-validation measures that).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import mw
from mentionwatch.classify import negative_model
from mentionwatch.classify.negative_model import (
    HIT_KIND,
    MAX_CHARS,
    MIN_WORDS,
    Reading,
    describe_feature,
    feature_key,
    feature_name,
    load_model,
    logit,
    model_from_json,
    not_a_complaint,
    probability,
    read,
    second_look,
)
from mentionwatch.classify.sentiment import classify_text, demoted_compound, explain
from mentionwatch.classify.verdict import assess
from mentionwatch.config import SentimentConfig
from mentionwatch.models import SentimentLabel
from mentionwatch.views.export import classification_json, explanation_json
from training_scripts import (
    brand_of,
    load_script,
    outputs_under_hash_seeds,
    run_script,
    tuning_line,
)

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "src" / "mentionwatch" / "classify" / "negative_model.json"
DATA = ROOT / "tests" / "data"
CONFIG = SentimentConfig()

#: Complaints the check must leave in the inbox.
COMPLAINTS = [
    "Still waiting for my refund after 3 weeks",
    "@brand your app crashed again",
    "My order never arrived",
    "Thanks for nothing",
    "Been on hold for 45 minutes. Thanks a lot",
    "@Zentel charged me twice this month and nobody answers my emails",
    "Acme lost my parcel and support just closes the ticket. Useless.",
    # plain complaints that no domain rule reads: VADER alone puts them in the inbox
    "Acme support is terrible and rude",
    "I hate the new Acme update",
    "Worst airline ever",
    "Acme lied to me about the contract",
    # complaints with a link (the calm posts of the tuning files often hold one)
    "Acme is awful https://acme.com/x Broken and terrible.",
    "Still no refund from Acme www.acme.com/help is useless",
]

#: Neutral and positive posts of the tuning files that the rules call negative and the check
#: takes out of the inbox: (file, text).
CALM = [
    (
        "triage_dev4",
        "Can't believe how fast the new Corrabeam fibre is. Downloaded a 90GB game before my tea"
        " went cold.",
    ),
    (
        "triage_dev4",
        "Is there a machine-readable status page for Cobaltdesk? Want our monitoring to alert us"
        " when it has an outage.",
    ),
    (
        "triage_dev3",
        "What's the cabin allowance on Skyrook's Basic fare? The site lists both 'personal item'"
        " and 'cabin bag' and I can't tell which applies.",
    ),
    (
        "triage_spam_dev2",
        "Is hexfall-rewards.org legit? It wants my login to 'verify' the Season 4 airdrop."
        " sounds fishy tbh",
    ),
    (
        "triage_spam_dev",
        'Got this text: "Parcelwing: your parcel is held, pay £1.45 at'
        ' parcelwing-redeliver.co.uk". I AM expecting a parcel. Real or fake?',
    ),
    (
        "triage_spam_dev2",
        "Solvane installed our heat pump in one day and the engineers cleaned up better than we"
        " do. Bill is down about 30% this winter.",
    ),
]


# --- the shipped model ---------------------------------------------------------------------


def test_the_weights_load_once_and_are_small() -> None:
    model = load_model()
    assert load_model() is model  # read once
    assert len(model.weights) > 500
    assert 0.0 < model.threshold_probability <= 0.5  # only posts it doubts are complaints
    assert probability(model.threshold) == pytest.approx(model.threshold_probability, abs=1e-5)
    assert WEIGHTS.stat().st_size < 200_000
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert model_from_json(data) == model
    assert all(abs(weight) >= data["settings"]["prune"] for weight in data["weights"].values())
    assert not any("heldout" in name for name in data["trained_on"])


def test_the_weights_ship_in_the_package() -> None:
    from importlib import resources

    shipped = resources.files("mentionwatch.classify").joinpath(negative_model.WEIGHTS_FILE)
    assert shipped.is_file()


@pytest.mark.parametrize("text", COMPLAINTS)
def test_clear_complaints_stay_in_the_inbox(text: str) -> None:
    verdict = assess(text, CONFIG)
    assert verdict.label is SentimentLabel.NEGATIVE and not verdict.spam, verdict
    assert all(kind != HIT_KIND for kind, _, _ in verdict.hits)
    # kept as the rules had it, to the last hit
    assert verdict == assess(text, CONFIG, inbox_check=False)
    assert classify_text(text, CONFIG) == classify_text(text, CONFIG, inbox_check=False)


@pytest.mark.parametrize(("name", "text"), CALM)
def test_calm_posts_the_rules_call_negative_leave_the_inbox(name: str, text: str) -> None:
    row = tuning_line(name, text)
    assert row["label"] in ("neutral", "positive")
    brand = brand_of(row)
    before = assess(text, CONFIG, brand, inbox_check=False)
    after = assess(text, CONFIG, brand)
    assert before.label is SentimentLabel.NEGATIVE and not before.spam
    assert after.label is SentimentLabel.NEUTRAL
    assert after.compound == demoted_compound(CONFIG) == 0.0
    # Everything else is the rules' verdict, with the check's reason first among the hits.
    assert after.hits[1:] == before.hits
    assert (after.vader_compound, after.snippet, after.spam, after.question) == (
        before.vader_compound,
        before.snippet,
        before.spam,
        before.question,
    )
    kind, what, valence = after.hits[0]
    assert (kind, valence) == (HIT_KIND, 0.0)
    assert what.startswith("not a complaint (complaint 0.")
    assert what.split(": ", 1)[1]  # it names the features that pulled it out


def test_a_demoted_posts_explanation_names_the_model() -> None:
    name, text = CALM[3]
    verdict = assess(text, CONFIG, brand_of(tuning_line(name, text)))
    explained = explain(text, verdict, CONFIG)
    assert explained.inbox_check == verdict.hits[0][1]
    assert explained.inbox_check.startswith("not a complaint (complaint 0.")
    assert '"legit"' in explained.inbox_check
    shown = classification_json(text, verdict, explained)
    assert shown["sentiment"]["label"] == "neutral"
    assert shown["explanation"][0]["kind"] == "model"
    assert shown["inbox_check"] == explained.inbox_check
    # a complaint kept: the check says how sure it is
    kept = explain(COMPLAINTS[0], assess(COMPLAINTS[0], CONFIG), CONFIG)
    assert kept.inbox_check.startswith("complaint 0.")
    assert "(kept in the inbox)" in kept.inbox_check
    # a post the check never read
    assert explain("Love it", assess("Love it", CONFIG), CONFIG).inbox_check == ""
    assert (
        explanation_json(explain("Love it", assess("Love it", CONFIG), CONFIG))["inbox_check"]
        is None
    )


def test_classify_explain_shows_the_inbox_check(isolated_env: Path) -> None:
    text = CALM[0][1]
    result = mw("classify", "--explain", text)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("neutral")
    assert "inbox check" in result.stdout
    assert "not a complaint (complaint 0." in result.stdout
    shown = json.loads(mw("classify", "--json", text).stdout)
    assert shown["sentiment"]["label"] == "neutral"
    assert shown["explanation"][0]["kind"] == "model"
    assert shown["explanation"][0]["what"].startswith("not a complaint")


def test_the_demoted_compound_is_neutral_whatever_the_thresholds() -> None:
    for negative, positive in ((-0.05, 0.05), (0.1, 0.5), (-0.9, -0.2), (-0.3, 0.0)):
        config = SentimentConfig(negative=negative, positive=positive)
        compound = demoted_compound(config)
        assert negative < compound < positive
    config = SentimentConfig(negative=0.1, positive=0.5)
    verdict = classify_text(CALM[0][1], config)
    assert verdict.label is SentimentLabel.NEUTRAL and verdict.compound == 0.3


# --- what the model reads ------------------------------------------------------------------


def test_the_model_reads_only_posts_labelled_negative_and_not_spam(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_texts: list[str] = []
    real_read = negative_model.read

    def spy(text: str, compound: float) -> Reading:
        read_texts.append(text)
        return real_read(text, compound)

    monkeypatch.setattr(negative_model, "read", spy)
    long_complaint = " ".join(["My order never arrived and nobody answers."] * 20)
    assert len(long_complaint) > MAX_CHARS
    several_sentences = (
        "I ordered a new kettle from the shop on Monday morning. It never arrived at my flat."
        " Support ignored three of my emails about it. Never again, honestly."
    )
    posts = {
        "Love the new update, works great": False,  # positive
        "The store opens at nine": False,  # neutral
        "": False,
        COMPLAINTS[2]: True,
        CALM[0][1]: True,
        long_complaint: False,  # longer than what the model learned from
        several_sentences: True,  # scored sentence by sentence, then read whole
    }
    for text, reads in posts.items():
        read_texts.clear()
        classify_text(text, CONFIG)
        assert read_texts == ([text] if reads else []), text
        without = classify_text(text, CONFIG, inbox_check=False)
        assert (without.label is SentimentLabel.NEGATIVE) == (reads or text == long_complaint)
    # never a post flagged spam, whatever its label
    read_texts.clear()
    spam = classify_text(COMPLAINTS[2], CONFIG, spam=True, spam_signals=("x",))
    assert spam.label is SentimentLabel.NEGATIVE and read_texts == []
    # never with the check off
    read_texts.clear()
    assert classify_text(CALM[0][1], CONFIG, inbox_check=False).label is SentimentLabel.NEGATIVE
    assert read_texts == []


def test_the_reading_is_deterministic() -> None:
    text = "@Acme is this giveaway legit?? 😭 $20 at acme-prizes.com!! don't click"
    first = read(text, -0.7)
    assert first == read(text, -0.7)
    # words keep the order of the text (pairs are neighbours); numbers count their digits
    assert first.words[:5] == [b"acme", b"is", b"this", b"giveaway", b"legit"]
    assert b"00" in first.words and b"dont" in first.words
    assert first.emoji == ["😭".encode()]
    assert (b"is", b"this") in list(first.pairs())
    assert first.other == [
        b"compound:strong",
        b"shape:asks",
        b"shape:handle",
        b"shape:money",
        b"shape:exclaims>=2",
    ]
    assert read("Awful", -0.5).other == [b"compound:medium"]
    assert read("Is it down?", -0.1).other == [
        b"compound:mild",
        b"shape:asks",
        b"shape:ends-asking",
    ]
    assert read("don’t", -0.1).words == [b"dont"]


def test_the_words_vader_scores_negative_weigh_nothing() -> None:
    """What made the post negative is the rules' business: the model must not learn that
    "hate" means an ad ("the trick the banks HATE") and take "I hate the new update" out."""
    model = load_model()
    left_out = load_script("train_negative_model").vader_negative_words()
    assert {b"hate", b"terrible", b"scam", b"worst", b"rude"} <= left_out
    for feature in model.weights:
        words = feature if isinstance(feature, tuple) else (feature,)
        assert left_out.isdisjoint(words), feature


def test_the_runtime_logit_is_the_one_the_training_weighs() -> None:
    """`logit` looks pairs up as tuples and sums in three runs; the training reads the same
    features as `Reading.text` and `other` ("a b" for a pair): both must add up the same."""
    model = load_model()
    by_name = {feature_name(f): w for f, w in model.weights.items()}
    for text in [text for _, text in CALM] + COMPLAINTS:
        reading = read(text, assess(text, CONFIG, inbox_check=False).compound)
        terms = reading.text
        assert len(terms) == 2 * len(reading.words) - 1 + len(reading.emoji)
        scale = 1.0 / len(terms) ** 0.5
        expected = model.bias + sum(by_name.get(f, 0.0) * scale for f in terms)
        expected += sum(by_name.get(f, 0.0) for f in reading.other)
        assert logit(model, reading) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("name", "key", "shown"),
    [
        (b"legit", b"legit", '"legit"'),
        (b"is hiring", (b"is", b"hiring"), '"is hiring"'),
        (b"0 months", (b"0", b"months"), '"<number> months"'),
        (b"shape:asks", b"shape:asks", "<asks>"),
        (b"compound:mild", b"compound:mild", "<barely negative>"),
        ("😭".encode(), "😭".encode(), '"😭"'),
    ],
)
def test_features_are_named_and_shown(
    name: bytes, key: bytes | tuple[bytes, bytes], shown: str
) -> None:
    assert feature_key(name) == key
    assert feature_name(key) == name
    assert describe_feature(key) == shown


_LOGITS = """
import json, sys
from mentionwatch.classify.negative_model import load_model, logit, read
from mentionwatch.classify.verdict import assess
from mentionwatch.config import SentimentConfig
texts = json.loads(sys.stdin.read())
model = load_model()
for text in texts:
    reading = read(text, assess(text, SentimentConfig(), inbox_check=False).compound)
    print(repr(logit(model, reading)), assess(text, SentimentConfig()))
"""


def test_the_same_text_gets_the_same_verdict_whatever_the_hash_seed() -> None:
    texts = [text for _, text in CALM] + COMPLAINTS
    texts += [json.loads(line)["text"] for line in (DATA / "triage_dev2.jsonl").open()][:120]
    outputs = outputs_under_hash_seeds(_LOGITS, texts)
    assert len(outputs) == 1
    assert len(next(iter(outputs)).splitlines()) == len(texts)


# --- the training script ---------------------------------------------------------------------


def _fixture(tmp_path: Path) -> list[Path]:
    """Three tiny "writers": complaints about orders and refunds, and "is it legit?" checks,
    all of which the rules call negative."""
    complaints = [
        "my order never arrived and support ignored me",
        "still waiting for my refund, support ignored me again",
        "the app crashed again and support ignored me",
        "my parcel never arrived, still waiting for a refund",
    ]
    checks = [
        "is this giveaway legit or a scam?",
        "legit or scam? got a weird giveaway text",
        "is the giveaway legit? looks like a scam",
        "anyone know if this giveaway is legit or a scam",
    ]
    paths = []
    for writer in ("a", "b", "c"):
        path = tmp_path / f"writer_{writer}.jsonl"
        rows = [{"text": t, "label": "negative", "spam": False} for t in complaints]
        rows += [{"text": t, "label": "neutral", "spam": False} for t in checks]
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        paths.append(path)
    return paths


def test_a_tiny_training_run_is_reproducible_and_learns_the_obvious(tmp_path: Path) -> None:
    data = [str(path) for path in _fixture(tmp_path)]
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    done = run_script(
        "train_negative_model", "--data", *data, "--out", str(first), "--threshold", "0.5", seed="1"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "leave-one-writer-out" in done.stdout
    done = run_script(
        "train_negative_model",
        "--data",
        *data,
        "--out",
        str(second),
        "--threshold",
        "0.5",
        seed="99",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert first.read_bytes() == second.read_bytes()
    model = model_from_json(json.loads(first.read_text(encoding="utf-8")))
    assert model.weights[b"legit"] < 0 and model.weights[b"giveaway"] < 0
    assert model.weights[b"support"] > 0 and model.weights[(b"never", b"arrived")] > 0
    # words VADER scores negative are left out, as are the pairs that hold one
    assert b"scam" not in model.weights and b"ignored" not in model.weights
    assert (b"a", b"scam") not in model.weights
    check = read("is this giveaway legit?", -0.3)
    complaint = read("my order never arrived", -0.5)
    assert logit(model, complaint) > model.threshold > logit(model, check)
    assert (
        run_script(
            "train_negative_model", "--check", "--no-cv", "--data", *data, "--out", str(first)
        ).returncode
        == 0
    )


def test_the_shipped_weights_are_what_the_script_writes() -> None:
    """Retrain on the tuning files (without the cross-validation) and compare byte for byte:
    the shipped file is neither edited by hand nor stale after a change to the data or to
    the classifier it corrects."""
    shipped = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    script = load_script("train_negative_model")
    assert [DATA / name for name in shipped["trained_on"]] == list(script.TUNING_FILES)
    for name, digest in shipped["trained_on"].items():
        assert script.sha256(DATA / name)[:16] == digest, f"{name} changed: retrain"
    done = run_script("train_negative_model", "--check", "--no-cv")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the same as a retrain" in done.stdout


@pytest.mark.parametrize(
    "text", ["hidden fees everywhere", "Acme app crashed again", "fees fees fees"]
)
def test_a_post_of_a_few_words_is_left_to_the_rules(text: str) -> None:
    """In a post of fewer than `MIN_WORDS` words one word would decide: the model does not
    read it (nor explain it)."""
    assert len(text.split()) < MIN_WORDS
    assert not_a_complaint(text, -0.6) is None
    assert second_look(text, -0.6) == ""


def test_the_config_can_turn_the_check_off() -> None:
    """`[sentiment] inbox_check = false`: every post the rules call negative stays in the
    inbox, and the explanation says nothing of the check."""
    text = CALM[0][1]
    assert classify_text(text, CONFIG).label is SentimentLabel.NEUTRAL
    off = SentimentConfig(inbox_check=False)
    verdict = classify_text(text, off)
    assert verdict.label is SentimentLabel.NEGATIVE
    assert all(kind != HIT_KIND for kind, _, _ in verdict.hits)
    assert explain(text, verdict, off).inbox_check == ""
    assert assess(text, off).label is SentimentLabel.NEGATIVE


def test_the_switch_is_read_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    brand = '[brand]\nname = "Crestvault"\nterms = ["Crestvault"]\n'
    config.write_text(brand + "[sentiment]\ninbox_check = false\n", encoding="utf-8")
    result = mw("classify", "--json", "--config", str(config), input=CALM[0][1] + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sentiment"]["label"] == "negative"
    config.write_text(brand + '[sentiment]\ninbox_check = "no"\n', encoding="utf-8")
    result = mw("classify", "--json", "--config", str(config), input="x\n")
    assert result.exit_code == 2
    assert "sentiment.inbox_check" in result.output
