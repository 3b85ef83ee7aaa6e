"""The missed-complaint check (`classify/missed_model.py`): a learned second look at the posts
the rules call calm, wired into `classify_text`, and the weights
`scripts/train_missed_model.py` writes.

The complaints the check must put in the inbox are taken from the TUNING files (never the
held-out ones); the model was trained on them, so these tests show the wiring and what the model
learned, not how well it carries over to new writers (the script's cross-validation measures
that, and `bench/triage_quality.py` on the held-out files).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import mw
from mentionwatch.classify import missed_model, negative_model
from mentionwatch.classify.missed_model import (
    FOUND,
    PROMOTED_COMPOUND,
    WEIGHTS_FILE,
    load_model,
    missed_complaint,
    read,
    reading_if_read,
    score_feature,
    second_look,
)
from mentionwatch.classify.negative_model import (
    HIT_KIND,
    MAX_CHARS,
    NegativeModel,
    Reading,
    describe_feature,
    logit,
    model_from_json,
    probability,
)
from mentionwatch.classify.sentiment import classify_text, explain, promoted_compound
from mentionwatch.classify.verdict import assess
from mentionwatch.config import SentimentConfig
from mentionwatch.models import SentimentLabel
from mentionwatch.views.export import classification_json
from training_scripts import (
    brand_of,
    load_script,
    outputs_under_hash_seeds,
    run_script,
    tuning_line,
)

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "src" / "mentionwatch" / "classify" / WEIGHTS_FILE
DATA = ROOT / "tests" / "data"
CONFIG = SentimentConfig()

#: Complaints of the tuning files that the rules read as calm and the check puts in the inbox:
#: (file, text). Facts alone, a number against a promise, deadpan irony.
MISSED = [
    ("triage_dev16", "Dropwick delivered my parcel to number 41. I live at 14."),
    ("triage_dev7", "Speed test: 12 Mbps. Package: 900 Mbps. Hmm."),
]

#: Calm posts the check must leave out of the inbox (praise, news, a plain question).
CALM = [
    "Love the new update, works great and the team are lovely",
    "The Acme store on Main Street opens at nine on Saturdays from next week",
    "Thank you @Acme, my replacement card arrived this morning. Brilliant service.",
    "Does Acme ship to Norway yet? Thinking of ordering the winter boots",
    "Acme's new app has a dark mode now, and it looks really good on my phone",
]


# --- the shipped model ---------------------------------------------------------------------


def test_the_weights_load_once_and_are_small() -> None:
    model = load_model()
    assert load_model() is model
    assert len(model.weights) > 500
    # precision first: only a post it finds more likely a complaint than not enters the inbox
    assert 0.5 <= model.threshold_probability < 1.0
    assert probability(model.threshold) == pytest.approx(model.threshold_probability, abs=1e-5)
    assert WEIGHTS.stat().st_size < 200_000
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert model_from_json(data, WEIGHTS_FILE) == model
    assert all(abs(weight) >= data["settings"]["prune"] for weight in data["weights"].values())
    assert not any("heldout" in name for name in data["trained_on"])
    assert "missed-complaint check" in data["about"]


def test_the_weights_ship_in_the_package() -> None:
    from importlib import resources

    assert resources.files("mentionwatch.classify").joinpath(WEIGHTS_FILE).is_file()


def test_a_broken_weights_file_names_itself() -> None:
    with pytest.raises(ValueError, match=r"missed_model\.json: format 9"):
        model_from_json({"format": 9, "weights": {}}, WEIGHTS_FILE)


# --- what it does to verdicts --------------------------------------------------------------


@pytest.mark.parametrize(("name", "text"), MISSED)
def test_complaints_the_rules_miss_enter_the_inbox(name: str, text: str) -> None:
    row = tuning_line(name, text)
    assert row["label"] == "negative" and not row["spam"]
    brand = brand_of(row)
    before = assess(text, CONFIG, brand, missed_check=False)
    after = assess(text, CONFIG, brand)
    assert before.label is not SentimentLabel.NEGATIVE and not before.spam
    assert after.label is SentimentLabel.NEGATIVE and not after.spam
    assert after.compound == promoted_compound(CONFIG) == PROMOTED_COMPOUND
    # everything else is the rules' verdict, with the check's reason first among the hits
    assert after.hits[1:] == before.hits
    assert (after.vader_compound, after.snippet, after.question) == (
        before.vader_compound,
        before.snippet,
        before.question,
    )
    kind, what, valence = after.hits[0]
    assert (kind, valence) == (HIT_KIND, 0.0)
    assert what.startswith(f"{FOUND} (complaint 0.")
    assert what.split(": ", 1)[1]  # it names the features that pushed it in


@pytest.mark.parametrize("text", CALM)
def test_calm_posts_stay_out_of_the_inbox(text: str) -> None:
    verdict = assess(text, CONFIG)
    assert verdict.label is not SentimentLabel.NEGATIVE, verdict
    assert verdict == assess(text, CONFIG, missed_check=False)
    assert missed_complaint(text, verdict.compound) is None


def test_the_promoted_compound_is_negative_whatever_the_thresholds() -> None:
    for negative, positive in ((-0.05, 0.05), (0.1, 0.5), (-0.9, -0.2), (-0.3, 0.0)):
        compound = promoted_compound(SentimentConfig(negative=negative, positive=positive))
        assert compound <= negative and compound <= PROMOTED_COMPOUND
    verdict = classify_text(MISSED[0][1], SentimentConfig(negative=-0.7, positive=0.2))
    assert verdict.label is SentimentLabel.NEGATIVE and verdict.compound == -0.7


def test_the_explanation_names_the_model_either_way() -> None:
    name, text = MISSED[0]
    verdict = assess(text, CONFIG, brand_of(tuning_line(name, text)))
    explained = explain(text, verdict, CONFIG)
    assert explained.inbox_check == verdict.hits[0][1]
    assert explained.inbox_check.startswith(FOUND)
    shown = classification_json(text, verdict, explained)
    assert shown["sentiment"]["label"] == "negative"
    assert shown["explanation"][0]["kind"] == "model"
    # a calm post it read and left out: how far it was, and what pulled it away
    calm = assess(CALM[0], CONFIG)
    left = explain(CALM[0], calm, CONFIG).inbox_check
    assert "(left out of the inbox)" in left and left.startswith("complaint 0.")
    # a post too short for it, and spam: nothing
    assert explain("Love it", assess("Love it", CONFIG), CONFIG).inbox_check == ""
    spam = classify_text(CALM[0], CONFIG, spam=True, spam_signals=("x",))
    assert explain(CALM[0], spam, CONFIG).inbox_check == ""
    # turned off: nothing either
    off = SentimentConfig(missed_check=False)
    assert explain(CALM[0], classify_text(CALM[0], off), off).inbox_check == ""


def test_classify_explain_shows_the_check(isolated_env: Path) -> None:
    text = MISSED[0][1]
    result = mw("classify", "--explain", text)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("negative")
    assert "inbox check" in result.stdout and FOUND in result.stdout
    shown = json.loads(mw("classify", "--json", text).stdout)
    assert shown["sentiment"]["label"] == "negative"
    assert shown["explanation"][0]["what"].startswith(FOUND)


# --- what the model reads ------------------------------------------------------------------


def _spy(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Reading], list[Reading]]:
    """Record the posts each model weighs (reads whole, past its length limits): (the inbox
    check's readings, the missed-complaint check's)."""
    inbox: list[Reading] = []
    missed: list[Reading] = []

    def spy(into: list[Reading]) -> object:
        def weighed(model: NegativeModel, reading: Reading) -> float:
            into.append(reading)
            return logit(model, reading)

        return weighed

    monkeypatch.setattr(negative_model, "logit", spy(inbox))
    monkeypatch.setattr(missed_model, "logit", spy(missed))
    return inbox, missed


def test_it_reads_only_calm_posts_that_are_not_spam_nor_framed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, missed = _spy(monkeypatch)
    long_calm = " ".join(["The Acme store on Main Street opens at nine."] * 20)
    assert len(long_calm) > MAX_CHARS
    several_sentences = (
        "I ordered a new kettle from the Acme shop on Monday morning. It came on Wednesday in"
        " a big box. The box was blue and had a handle. The kettle is silver."
    )
    # a problem put right and praised: the rules read it negative, its frame takes it out
    put_right = (
        "Acme lost my bag on the way to Rome, but they couriered it to the hotel that same"
        " night. Class act."
    )
    posts = {
        CALM[0]: True,
        CALM[1]: True,
        several_sentences: True,  # scored sentence by sentence, then read whole
        "Love it": False,  # too short to read
        "": False,
        long_calm: False,  # longer than what the model learned from
        "Still waiting for my refund after 3 weeks": False,  # negative: the inbox check's
        put_right: False,
    }
    for text, reads in posts.items():
        missed.clear()
        classify_text(text, CONFIG)
        assert len(missed) == (1 if reads else 0), text
    framed = classify_text(put_right, CONFIG)
    assert framed.label is not SentimentLabel.NEGATIVE
    assert any(what.startswith("context:") for _, what, _ in framed.hits)
    # never a post flagged spam
    missed.clear()
    classify_text(CALM[0], CONFIG, spam=True, spam_signals=("x",))
    assert missed == []
    # never with the check off, in the call or in the config
    classify_text(CALM[0], CONFIG, missed_check=False)
    classify_text(CALM[0], SentimentConfig(missed_check=False))
    assert missed == []


def test_no_post_is_read_by_both_models(monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, missed = _spy(monkeypatch)
    texts = [json.loads(line)["text"] for line in (DATA / "triage_dev2.jsonl").open()]
    read_by_one = 0
    for text in texts:
        inbox.clear()
        missed.clear()
        classify_text(text, CONFIG)
        assert len(inbox) + len(missed) <= 1, text
        read_by_one += len(inbox) + len(missed)
    assert read_by_one > len(texts) // 2


def test_the_training_reads_exactly_the_posts_classify_text_hands_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The script picks its examples from verdicts without the check (`read_by_check`);
    `classify_text` decides on its own path. Both must agree, or the model learns from posts
    it will never see."""
    script = load_script("train_missed_model")
    _, missed = _spy(monkeypatch)
    for name in ("triage_dev2", "triage_dev16"):
        for line in (DATA / f"{name}.jsonl").open():
            row = json.loads(line)
            brand = brand_of(row)
            without = assess(row["text"], CONFIG, brand, missed_check=False)
            missed.clear()
            assess(row["text"], CONFIG, brand)
            expected = script.read_by_check(without) and (
                reading_if_read(row["text"], without.compound) is not None
            )
            assert bool(missed) == expected, row["text"]


def test_the_reading_buckets_the_calm_score() -> None:
    assert score_feature(0.0) == b"compound:calm"
    assert score_feature(-0.04) == b"compound:calm"
    assert score_feature(0.3) == b"compound:positive"
    assert score_feature(0.9) == b"compound:very-positive"
    reading = read("@Acme is the store open on Sunday?", 0.0)
    assert reading.other == [
        b"compound:calm",
        b"shape:asks",
        b"shape:ends-asking",
        b"shape:handle",
    ]
    assert describe_feature(b"compound:very-positive") == "<very positive score>"


def test_the_words_vader_scores_negative_may_weigh() -> None:
    """Unlike the inbox check: in a post that still reads calm, "wrong" or "missing" beside
    praise is often the complaint."""
    model = load_model()
    left_out = load_script("train_negative_model").vader_negative_words()
    assert any(not left_out.isdisjoint(f if isinstance(f, tuple) else (f,)) for f in model.weights)


def test_a_post_of_a_few_words_is_left_to_the_rules() -> None:
    assert missed_complaint("parcel at number 41", 0.0) is None
    assert second_look("parcel at number 41", 0.0) == ""


_LOGITS = """
import json, sys
from mentionwatch.classify.missed_model import load_model, read
from mentionwatch.classify.negative_model import logit
from mentionwatch.classify.verdict import assess
from mentionwatch.config import SentimentConfig
texts = json.loads(sys.stdin.read())
model = load_model()
for text in texts:
    reading = read(text, assess(text, SentimentConfig(), missed_check=False).compound)
    print(repr(logit(model, reading)), assess(text, SentimentConfig()))
"""


def test_the_same_text_gets_the_same_verdict_whatever_the_hash_seed() -> None:
    texts = [text for _, text in MISSED] + CALM
    texts += [json.loads(line)["text"] for line in (DATA / "triage_dev7.jsonl").open()][:120]
    outputs = outputs_under_hash_seeds(_LOGITS, texts)
    assert len(outputs) == 1
    assert len(next(iter(outputs)).splitlines()) == len(texts)


# --- the config ----------------------------------------------------------------------------


def test_the_switch_is_read_from_the_config_file(tmp_path: Path) -> None:
    text = MISSED[0][1]
    config = tmp_path / "config.toml"
    brand = '[brand]\nname = "Dropwick"\nterms = ["Dropwick"]\n'
    config.write_text(brand, encoding="utf-8")
    result = mw("classify", "--json", "--config", str(config), input=text + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sentiment"]["label"] == "negative"
    config.write_text(brand + "[sentiment]\nmissed_check = false\n", encoding="utf-8")
    result = mw("classify", "--json", "--config", str(config), input=text + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sentiment"]["label"] != "negative"
    config.write_text(brand + '[sentiment]\nmissed_check = "no"\n', encoding="utf-8")
    result = mw("classify", "--json", "--config", str(config), input="x\n")
    assert result.exit_code == 2
    assert "sentiment.missed_check" in result.output


# --- the training script ---------------------------------------------------------------------


def _fixture(tmp_path: Path) -> list[Path]:
    """Three tiny "writers": facts-only complaints about wrong deliveries and plain store news,
    all of which the rules read as calm."""
    complaints = [
        "the courier delivered my parcel to number 41 and i live at 14",
        "parcel delivered to number 8 again and i live at 18",
        "my parcel went to number 3 and i live at 33 now what",
        "the parcel was left at number 12, i live at 21",
    ]
    news = [
        "the store on main street opens at nine on saturday",
        "the new store opens at nine from next week on main street",
        "our local store now opens at nine every saturday morning",
        "main street store opens at nine this saturday for the sale",
    ]
    paths = []
    for writer in ("a", "b", "c"):
        path = tmp_path / f"writer_{writer}.jsonl"
        rows = [{"text": t, "label": "negative", "spam": False} for t in complaints]
        rows += [{"text": t, "label": "neutral", "spam": False} for t in news]
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        paths.append(path)
    return paths


def test_a_tiny_training_run_is_reproducible_and_learns_the_obvious(tmp_path: Path) -> None:
    data = [str(path) for path in _fixture(tmp_path)]
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    for out, seed in ((first, "1"), (second, "99")):
        done = run_script(
            "train_missed_model",
            "--data",
            *data,
            "--out",
            str(out),
            "--threshold",
            "0.5",
            seed=seed,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "leave-one-writer-out" in done.stdout
    assert first.read_bytes() == second.read_bytes()
    model = model_from_json(json.loads(first.read_text(encoding="utf-8")), WEIGHTS_FILE)
    assert model.weights[b"live"] > 0 and model.weights[b"store"] < 0
    complaint = read("the courier left my parcel at number 41 and i live at 14", 0.0)
    news = read("the store on main street opens at nine on sunday", 0.0)
    assert logit(model, complaint) > model.threshold > logit(model, news)
    check = run_script(
        "train_missed_model", "--check", "--no-cv", "--data", *data, "--out", str(first)
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_script_refuses_held_out_files(tmp_path: Path) -> None:
    done = run_script(
        "train_missed_model",
        "--data",
        str(DATA / "triage_heldout.jsonl"),
        "--out",
        str(tmp_path / "x.json"),
    )
    assert done.returncode != 0
    assert not (tmp_path / "x.json").exists()
    assert "heldout" in done.stdout + done.stderr


def test_the_shipped_weights_are_what_the_script_writes() -> None:
    """Retrain on the tuning files (without the cross-validation) and compare byte for byte:
    the shipped file is neither edited by hand nor stale after a change to the data, the rules
    or the inbox check."""
    shipped = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    script = load_script("train_missed_model")
    assert [DATA / name for name in shipped["trained_on"]] == list(script.TUNING_FILES)
    for name, digest in shipped["trained_on"].items():
        assert script.sha256(DATA / name)[:16] == digest, f"{name} changed: retrain"
    done = run_script("train_missed_model", "--check", "--no-cv")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the same as a retrain" in done.stdout
