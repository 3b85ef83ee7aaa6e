"""Frames: how a whole post reads, beyond its words (issue 5, negative precision).

A problem the brand put right, a for-sale ad, a warning about impostors, a third-party status
report and a question asked for information hold complaint words but are not complaints. A
frame rule recognises each; it shows in the explanation as a rule named "context: ..." worth
0, and changes how the post's negative readings count. Frames are looked for only in a post
that would otherwise be labelled negative. Sentences written for these tests, not taken from
the labelled data.
"""

from __future__ import annotations

import pytest

from mentionwatch.classify.domain import (
    FRAMES,
    PUT_RIGHT,
    DomainResult,
    Hit,
    _compile_rules,
    combine,
    replace_frame,
)
from mentionwatch.classify.negative_model import MAX_CHARS as INBOX_CHECK_CHARS
from mentionwatch.classify.sentiment import (
    FRAMED_TEXT,
    classify_text,
    domain_layer,
    explain,
)
from mentionwatch.config import SentimentConfig
from mentionwatch.models import Classification, SentimentLabel

CONFIG = SentimentConfig()


def verdict(text: str) -> Classification:
    return classify_text(text, CONFIG)


def frames_of(result: Classification) -> list[str]:
    """The frame rules that fired, by name."""
    return [what.split(":")[1].strip() for kind, what, _ in result.hits if "context:" in what]


def fired(result: Classification, rule: str) -> bool:
    return any(what.startswith(rule + ":") for _, what, _ in result.hits)


# --- a problem put right ---------------------------------------------------------------------

# Each of these reads negative without its frame (the problem's words outweigh the praise).
PUT_RIGHT_STORIES = [
    "Acme lost my suitcase but couriered it to the hotel that evening. Class act.",
    "Card stolen abroad, Acme froze it and a new card arrived two days later. Impressed.",
    "Acme lost my parcel, but the claim was approved in a day and they refunded it. Painless.",
    "Acme double charged me, spotted it and reversed it before I noticed. Rare these days.",
    # Praise in everyday words: a thank-you, a customer kept.
    "Acme lost my parcel, support found it and delivered it next day. Sorted, cheers!",
    "Wrong size delivered, Acme swapped it next day. Will order again.",
    "Acme cancelled my flight but rebooked me the same morning. Handled well, respect.",
    # Longer than two sentences: the problem and its fix are sentences apart.
    "Acme broke my screen during a repair. The manager rang me, apologised and replaced "
    "the whole phone. Rare to see.",
]

# A review updated after the fix: its new rating is the praise.
UPDATED_REVIEWS = [
    "Update: Acme refunded the missing items and sent a voucher. 4/5 now.",
    "Acme lost my parcel, then refunded it in full. 5/5",
    "EDIT: the app crashed on every launch, fixed in 1.2.1. Back to recommended.",
]


# Stories told in several sentences: the problem first, the fix and a warm word at the end.
LONG_PUT_RIGHT_STORIES = [
    "Acme delivered my meal kit to the wrong address and it sat in the sun for hours. I "
    "messaged support expecting a fight. Within 20 minutes they'd refunded the box and added "
    "a credit. Not bad at all, honestly.",
    "My Acme card got declined twice on Saturday and the app locked me out. I was furious. "
    "On Monday an agent reversed the block and sent a new card overnight. Annoying weekend, "
    "but honestly they handled it really well.",
    "Acme sent the wrong size jacket twice. The third time I called, the rep checked the "
    "shelf herself and shipped the right one next day as a replacement. Happy customer in "
    "the end.",
    "Acme's bank feed disconnected on the 28th and two months of transactions failed to "
    "import. I was furious and support was useless at first. Then they found the connector "
    "bug and it was fixed by Friday. Good outcome after a rough start.",
    # The fix in everyday words, and the praise: "perfect now", "nice lad", "within 20 minutes".
    "Acme remade my lenses for the third time at no charge, and the optician stayed late to "
    "check the fit. They're perfect now.",
    "Acme delivered my parcel to the wrong house, but when I rang, the driver went back and "
    "brought it round within the hour. Nice lad.",
    "Our Acme order came with the wrong pizza. They sent the right one within 20 minutes and "
    "the kids were thrilled.",
]


@pytest.mark.parametrize("text", PUT_RIGHT_STORIES + LONG_PUT_RIGHT_STORIES + UPDATED_REVIEWS)
def test_a_problem_put_right_and_praised_is_not_a_complaint(text: str) -> None:
    result = verdict(text)
    assert "a problem put right" in frames_of(result), result.hits
    assert result.label is not SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        # No praise: the fix may be late, partial or grudging.
        "Acme lost my suitcase and couriered it to the wrong hotel",
        # Still open, however it is praised.
        "Brilliant, Acme replaced the router and it's still not working",
        "Acme's router keeps dropping out, they replaced it twice. Impressed, not.",
        # Put right only after weeks of chasing.
        "Acme refunded me after six weeks of emails and not a word of apology. Brilliant.",
        # Closed unanswered is no fix; praise around it is sarcasm.
        "Amazing, Acme marked my ticket as resolved without replying",
        # A fix only promised, and asked for again, is no fix.
        "Acme's 5G is really good. But the roaming pack was charged twice; they said it "
        "will be reversed in the next bill. Next bill came with the same double charge.",
        "Acme swapped my router last week, really good of them. The new one drops the "
        "connection every evening. Please fix this.",
        # A fix awaited, whatever rating the writer promises for it.
        "2 stars. The Acme app crashes since the update. Will go back to 5 stars when it's fixed.",
        "Acme replaced the first lamp, very good. The second one is broken too and the "
        "portal still says 'replacement pending'.",
    ],
)
def test_a_fix_that_is_late_partial_or_unpraised_is_still_a_complaint(text: str) -> None:
    result = verdict(text)
    assert "a problem put right" not in frames_of(result), result.hits
    assert result.label is SentimentLabel.NEGATIVE


def test_a_problem_put_right_counts_its_praise_alone() -> None:
    found = DomainResult(
        valence=-1.0,
        hits=(Hit("rule", "lost my ...: 'lost my bag'", -2.5), Hit("rule", "praise", 1.5)),
    )
    framed = replace_frame(found, PUT_RIGHT)
    assert framed.valence == 1.5
    # VADER's negative reading ("lost") is dropped too; its positive one is kept.
    assert combine(-0.6, framed) == combine(0.0, framed) > 0
    assert combine(0.5, framed) > combine(0.0, framed)


# --- a for-sale ad ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Selling my Acme router, one dead port, 35 EUR",
        "Selling my Acme console, the disc drive is broken, £60",
        "Acme drill, battery won't charge anymore, £15 ono",
        "Selling unworn Acme boots, wrong size for me, £40",
    ],
)
def test_a_for_sale_ad_is_neither_complaint_nor_praise(text: str) -> None:
    result = verdict(text)
    assert "a for-sale ad" in frames_of(result), result.hits
    assert result.label is SentimentLabel.NEUTRAL
    assert result.compound == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "I paid £40 for the pair and the left Acme earbud died in a week",
        "Acme is selling my details to marketers and still charging me £5 a month",
    ],
)
def test_a_complaint_about_a_purchase_is_no_ad(text: str) -> None:
    result = verdict(text)
    assert "a for-sale ad" not in frames_of(result), result.hits
    assert result.label is SentimentLabel.NEGATIVE


# --- a warning for others: impostors, scam checks, third-party status reports ---------------


@pytest.mark.parametrize(
    "text",
    [
        "Warning: texts claiming to be from Acme about a parcel fee are phishing.",
        "Got an email from 'Acme Billing' saying my account is locked. Is this legit?",
        "Beware fake Acme giveaway pages on Instagram, it's a scam to get card details.",
        "Someone rang my dad saying they're from the Acme fraud team. Was that really you?",
        # Asking whether a message is a scam accuses nobody ("rip-off" does not fire).
        "Got a text from Acme saying my parcel is held until I pay a 2 euro fee. You or a scam?",
        # The impostor's name quoted after the brand's; the scam's own words; the brand's rule.
        "There's a fake Acme Air 'refund' page going round asking for passport photos.",
        "Warning: fake @acme 'work from home' job offers on Telegram. Acme doesn't hire so.",
        "Please be aware there's a phone scam using Acme's name. Just hang up.",
        "Reminder: Acme will never ask you to move money to a 'safe account'.",
    ],
)
def test_a_warning_about_impostors_is_not_a_complaint(text: str) -> None:
    result = verdict(text)
    assert "a warning about impostors" in frames_of(result), result.hits
    assert result.label is not SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        # The writer's own loss, and the brand blamed for it.
        "Someone pretending to be Acme took £300 from my account and Acme won't refund me.",
        # A warning that asks the brand to act.
        "Fake Acme support accounts are everywhere. Please verify your real one, it's awful",
        # A complaint rule in the warning: the frame yields to it.
        "Got a fake Acme text, reported it to support, still no reply after 9 days",
        # Calling the brand a scam is an accusation, not a check.
        "Acme charged me twice and won't refund it. Total scam.",
    ],
)
def test_a_warning_that_complains_is_still_a_complaint(text: str) -> None:
    # The frame yields: the rules label it negative. (The inbox check, trained on the labelled
    # files, then reads the second post as a warning and hides it: its own tests are in
    # tests/test_negative_model.py.)
    result = classify_text(text, CONFIG, inbox_check=False)
    assert "a warning about impostors" not in frames_of(result), result.hits
    assert result.label is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "Acme appears to be down for a lot of people in Leeds right now",
        "Acme payments back online after a two-hour outage, per the official status page",
        "Status: Acme EU region degraded, errors on checkout, investigating",
        "Travel update: Acme Rail services delayed due to a signal failure at Crewe",
        # Headlines: recalls, lawsuits, fines, strikes, what a company says it will do.
        "Acme recalls a batch of kettles over a fault in the lid hinge",
        "Acme fined over misleading broadband speed adverts, regulator rules",
        "Acme drivers vote to strike over pay cuts, union says",
        "Acme says it will close its Leeds depot next spring, with job losses expected",
        # Release notes and post-mortems: what broke, and the fix.
        "Acme Editor 4.2.1 released. Fixed: crash when closing a tab with unsaved changes",
        "Acme hotfix 2.0.3 is live: restores controller input and fixes a fatal error on launch",
        # A bot's or a status feed's line.
        "✈️ FlightBot: AC231 (Acme Air) London → Faro DELAYED, new departure 15:40, gate TBC.",
        "[Acme flight JM902 status] CANCELLED. Passengers, please see the app for rebooking.",
        "Acme outage map: 3 active incidents. Largest: Oxley (approx. 800 premises).",
        # More headlines: shares, closures, suspensions, what a council says.
        "Acme shares fall 11% after a four-hour outage took down file sync across Europe.",
        "Acme to close 14 stores with up to 600 jobs at risk after administrators are appointed.",
        "Acme suspended in Carrow pending a licensing review after safety complaints.",
        "Acme rural rollout delayed by up to a year after contractor dispute, council says.",
    ],
)
def test_a_third_party_status_report_is_not_a_complaint(text: str) -> None:
    assert verdict(text).label is not SentimentLabel.NEGATIVE


def test_a_report_states_an_outage_rule_without_complaining() -> None:
    # "is down" fires, but in a report it is the news, not the writer's complaint.
    result = verdict("Acme is down for some users, according to DownDetector")
    assert fired(result, "is down")
    assert result.label is SentimentLabel.NEUTRAL


@pytest.mark.parametrize(
    "text",
    [
        "Acme appears to be down again and my whole team can't work",
        "Status: I have been on hold with Acme for 50 minutes",
        # A status quoted in a quiet complaint is no headline's "pending a review".
        'Acme withdrawal requested 02/05, status "pending review" as of 09/05. Ticket 771204.',
    ],
)
def test_an_outage_in_ones_own_voice_is_a_complaint(text: str) -> None:
    assert verdict(text).label is SentimentLabel.NEGATIVE


# --- a question asked for information ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "If my Acme parcel is late, is the delivery fee refunded automatically?",
        "How long do Acme refunds usually take? Asking before I order a sofa.",
        "Is Acme affected by the bank outage today? Want to know before I pay my staff.",
        "Does Acme pay compensation for delays caused by strikes? Asking before I book.",
    ],
)
def test_a_question_asked_for_information_is_not_a_complaint(text: str) -> None:
    result = verdict(text)
    assert "an informational question" in frames_of(result), result.hits
    assert result.label is not SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "If my parcel is late again, do I get anything back? Third time this month.",
        "How long do Acme refunds usually take? I've been waiting for 5 weeks.",
    ],
)
def test_a_question_that_complains_is_still_a_complaint(text: str) -> None:
    assert verdict(text).label is SentimentLabel.NEGATIVE


# Quiet, factual complaints (the third pass of rules): no angry word, the facts say it.
QUIET_COMPLAINTS = [
    ("@acme 57 mins on hold. same 20 sec song loop.", "minutes on hold"),
    ("Acme call centre wait today: 1h 52m.", "minutes on hold"),
    ("Ordered the 2nd. Today is the 17th. #acme", "sent on Monday, it's Friday"),
    ("Acme. Transfer sent Monday. It's Friday.", "sent on Monday, it's Friday"),
    ("Acme gym: 4 of 6 treadmills broken every weekend.", "out of order"),
    ("Half the Acme self checkouts out of order again", "out of order"),
    ("Acme jeans fell apart after the second wash. £65.", "fell apart"),
    ("Box half the size of last month, same price. Not renewing, Acme.", "not renewing"),
    ("Acme took two membership payments this month, 12th and 13th.", "two payments taken"),
    (
        "Acme booking said free cancellation, then charged me 120 euro.",
        "said free, charged anyway",
    ),
    ("Acme closed our account with 2 months notice and won't say why.", "won't say why"),
    ("Acme cup discount gone without any notice.", "won't say why"),
    ("Acme put the price up and the portion's got smaller.", "smaller for the same price"),
    (
        "My mum's parcel thrown over the fence again. Sort your drivers out, Acme.",
        "sort it out",
    ),
    ("Acme patch 1.4 broke controller support on PC.", "an update broke it"),
    ("Acme's helpline plays music and hangs up after 20 min. Tried 4 times.", "hangs up on me"),
    ("Bought the Acme season pass, the skins never appeared.", "never showed up"),
    ("The withdrawal never shows up in my Acme history.", "never showed up"),
    ("@acme bought 2000 crystals, received 0. transaction GV-7781", "numbers that don't add up"),
    ("Acme order 20931: 3 items on the invoice, 2 in the box", "numbers that don't add up"),
    ("@acme bill this month 54.99. contract says 39.99.", "numbers that don't add up"),
    # A complaint written as a letter.
    (
        "Dear Acme, the refund of £79 for return VR-3390 has not yet been issued.",
        "a formal complaint",
    ),
    (
        "Madam, I wish to report that my Acme order 88213 was missing two items.",
        "a formal complaint",
    ),
    (
        "Dear @acme, my withdrawal shows as pending since 1 November. Please investigate.",
        "a formal complaint",
    ),
]

# What those rules must leave alone.
QUIET_SPARED = [
    # The writer hung up on a scammer; advice to hang up.
    ("Got a call from the 'Acme fraud team' asking for my PIN. I hung up.", "hangs up on me"),
    ("Fake Acme prize calls going round again. Just hang up.", "hangs up on me"),
    # A bank's notice, a shrinking team, a smaller bill, a fix that broke nothing.
    (
        "Acme says some customers may see duplicate transactions today; they will be"
        " reversed automatically.",
        "two payments taken",
    ),
    ("Cancelled my Acme plan because our team shrank.", "smaller for the same price"),
    ("My Acme bill got smaller after the switch", "smaller for the same price"),
    ("The Acme 2.1 update never broke anything for me", "an update broke it"),
    ("It's Friday! Acme pizza night", "sent on Monday, it's Friday"),
    ("The Acme plan says 5G is included, is that right?", "numbers that don't add up"),
]


# --- complaint rules that misread a policy question or a refund received --------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Do you refund the deposit if I cancel a week before?", "want to leave"),
        ("Is this normal? Don't want to end up without my old number", "want to leave"),
        ("Is oat milk at no extra charge in every branch?", "hidden fees"),
        ("Got my money back in my account the same day", "money back"),
        ("Acme staff will never ask for your password", "did not authorise"),
        ("Any update on the new dark mode, Acme?", "chasing an open case"),
        # Loyalty told, and a how-to's context: no complaint.
        ("Been a customer since 2019 and it keeps getting better", "stuck since"),
        (
            "How do I export my logs from Acme? I couldn't find it in the docs.",
            "can't do something",
        ),
        # Something else moved, not the writer's business.
        (
            "Acme depot closed for refurb, collections moved to the car park",
            "switching to a competitor",
        ),
        ("It's been 3 years with Acme and not one problem", "chasing an open case"),
        *QUIET_SPARED,
    ],
)
def test_complaint_rules_spare_what_is_no_complaint(text: str, rule: str) -> None:
    assert not fired(verdict(text), rule)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Refund the delivery charge please, the food was cold", "want to leave"),
        ("Surprise extra charges on every single bill", "hidden fees"),
        ("I want my money back", "money back"),
        ("I never asked for this upgrade", "did not authorise"),
        ("2 stars. The app logs me out every day.", "a low rating"),
        ("1/5, the delivery came a week late", "a low rating"),
        # A polite chase is a complaint still open.
        ("Hi Acme, gentle follow-up on case 4471, the router still drops.", "chasing an open case"),
        ("Hello Acme, any update on my refund? Thank you so much!", "chasing an open case"),
        ("Third email about this, Acme. Kind regards.", "chasing an open case"),
        ("Acme promised a callback. It's been 6 days.", "chasing an open case"),
        ("Complained to Acme about the double charge. Silence.", "chasing an open case"),
        ("Finally moved to Zippex after the third outage this month", "switching to a competitor"),
        (
            "Ten years with Acme and we've moved to Zippex, thanks for nothing",
            "switching to a competitor",
        ),
        *QUIET_COMPLAINTS,
    ],
)
def test_complaint_rules_still_catch_the_complaint(text: str, rule: str) -> None:
    result = verdict(text)
    assert fired(result, rule), result.hits
    assert result.label is SentimentLabel.NEGATIVE


def test_praise_in_gamer_slang() -> None:
    result = verdict("Sick update, the new maps are unreal")
    assert fired(result, "praise: it is fire")
    assert result.label is SentimentLabel.POSITIVE


@pytest.mark.parametrize(
    "text",
    [
        "Acme's new running shoes are brutally comfortable",
        "ngl the new Acme skins are sick",
        "Acme returns are stupidly convenient, drop it at any locker",
        # Praise told as a threat or a crime.
        "I would die for the @acme team",
        "Acme's new mesh boosters are no joke, full signal in the garden now.",
        "Acme's cinnamon buns are criminal. Dangerous to live this close.",
        "Acme croissants are a crime against my diet",
        "@acme never had a dropped call since switching. wild",
        "@acme speeds since the upgrade are stupid fast",
    ],
)
def test_praise_in_slang_with_a_negative_word(text: str) -> None:
    result = verdict(text)
    rules = ("praise: slang", "praise: it is fire", "praise: hyperbole")
    assert any(fired(result, rule) for rule in rules), result.hits
    assert result.label is SentimentLabel.POSITIVE


@pytest.mark.parametrize(
    "text",
    [
        # A headline's words in a customer's own voice are a complaint still.
        "Acme said it would call me back in 24 hours. That was three days ago, still nothing.",
        "My Acme kettle was recalled and I still have no refund",
        "Acme hotfix 2.0.3 is live and my saves are still corrupted",
    ],
)
def test_a_complaint_in_headline_words_is_still_a_complaint(text: str) -> None:
    assert verdict(text).label is SentimentLabel.NEGATIVE


# --- when frames are looked for, and how they explain themselves ------------------------------


def test_a_post_that_is_not_negative_is_not_framed() -> None:
    # An ad's words, but nothing negative to lift: no frame is looked for, none is shown.
    result = verdict("Selling my Acme speaker, works great, £30 ono")
    assert result.label is SentimentLabel.POSITIVE
    assert frames_of(result) == []


def test_a_long_post_is_not_framed() -> None:
    story = "Acme lost my suitcase but couriered it to the hotel that evening. Class act. "
    filler = "The weather on the trip was grey and the food was fine. " * 20
    text = story + filler
    assert len(text) > FRAMED_TEXT
    assert frames_of(verdict(text)) == []


def test_the_explanation_shows_each_sentence_read_in_the_frame() -> None:
    text = PUT_RIGHT_STORIES[-1]
    result = verdict(text)
    explanation = explain(text, result, CONFIG)
    # The sentence that tells of the problem no longer counts against the post.
    first = explanation.sentences[0]
    assert first.sentence == "Acme broke my screen during a repair."
    assert first.vader < 0 and first.compound == 0.0


def test_every_frame_rule_names_a_known_frame() -> None:
    layer = domain_layer(CONFIG)
    frames = {rule.frame for rules in layer.frames_by_trigger.values() for rule in rules}
    assert frames == set(FRAMES)
    with pytest.raises(ValueError, match="not one of"):
        _compile_rules([{"name": "x", "pattern": "x", "frame": "maybe"}], "test")


# --- a complaint among praise -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hello Acme, I'd be grateful if someone could look at my transfer. It was sent on 2 May."
        " It still isn't showing. Thank you so much, you are all lovely.",
        "Love Acme, been a customer for years and the app is great. My card was declined three"
        " times this week and nobody can tell me why. Anyway, keep up the good work!",
    ],
)
def test_a_complaint_among_praise_reads_as_its_most_negative_sentence(text: str) -> None:
    result = verdict(text)
    assert result.hits[0].what.startswith("a complaint among praise"), result.hits
    assert result.label is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        # No complaint rule: a grumble among praise averages out as before.
        "The app is slow some mornings. Otherwise it is brilliant. Great support team too.",
        # A problem put right and praised: the frame takes it out of the inbox again.
        "Acme lost my suitcase on the way out. They couriered it to the hotel the same night."
        " No idea how they did it, but class act.",
    ],
)
def test_praise_that_wins_keeps_the_post_out_of_the_inbox(text: str) -> None:
    assert verdict(text).label is not SentimentLabel.NEGATIVE


def test_a_review_with_one_open_problem_reads_as_that_problem() -> None:
    # Up to the length a frame reads whole: the open problem still needs an answer.
    text = " ".join(
        ["Acme has been wonderful for our team, truly great support and a lovely app."] * 8
        + ["The export still isn't working for CSV files."]
    )
    assert INBOX_CHECK_CHARS < len(text) <= FRAMED_TEXT
    result = verdict(text)
    assert result.hits[0].what.startswith("a complaint among praise"), result.hits
    assert result.label is SentimentLabel.NEGATIVE


def test_a_long_post_is_not_read_as_its_most_negative_sentence() -> None:
    # Longer than a frame reads: a problem put right could not be seen, so one grumble in a
    # long review does not decide it.
    text = " ".join(
        ["Acme has been wonderful for our team, truly great support and a lovely app."] * 14
        + ["The export still isn't working for CSV files."]
    )
    assert len(text) > FRAMED_TEXT
    result = verdict(text)
    assert not result.hits[0].what.startswith("a complaint among praise"), result.hits
    assert result.label is SentimentLabel.POSITIVE


@pytest.mark.parametrize(
    "text",
    [
        "This Acme outage is no joke, three days without internet",
        "Never had a late Acme delivery until this week",
    ],
)
def test_hyperbole_rule_spares_the_complaints_in_its_words(text: str) -> None:
    assert not fired(verdict(text), "praise: hyperbole")
