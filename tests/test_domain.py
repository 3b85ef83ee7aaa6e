"""The domain layer: the complaints VADER misses, the praise it misreads, and why."""

from __future__ import annotations

import pytest

from mentionwatch.classify.domain import combine, normalize, to_raw
from mentionwatch.classify.sentiment import classify_text, domain_layer, vader_compound
from mentionwatch.config import SentimentConfig
from mentionwatch.models import SentimentLabel

CONFIG = SentimentConfig()


def label(text: str, config: SentimentConfig = CONFIG) -> SentimentLabel:
    return classify_text(text, config).label


# Every sentence the issue quotes: VADER gives 0.0, or calls it positive.
ISSUE_COMPLAINTS = [
    "Never going back again",
    "Still waiting for my refund after 3 weeks",
    "@brand your app crashed again",
    "My order never arrived",
    "Can't log in since the update",
    "The app keeps logging me out",
    "@brand 😡😡😡",
    "I want my money back",
    "Been on hold for 45 minutes. Thanks a lot @brand",
    "Great, another update that breaks everything. Thanks!",
    "Thanks for nothing",
]


@pytest.mark.parametrize("text", ISSUE_COMPLAINTS)
def test_the_issues_complaints_are_negative_though_vader_misses_them(text: str) -> None:
    assert vader_compound(text) >= 0.0  # the gap this layer exists for
    assert label(text) is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not the worst airline", SentimentLabel.POSITIVE),  # VADER's negation, kept right
        ("never liked their app", SentimentLabel.NEGATIVE),
        ("can't complain", SentimentLabel.POSITIVE),
        ("no problems at all", SentimentLabel.POSITIVE),
        ("Bellabite never misses, best pizza in town", SentimentLabel.POSITIVE),
        ("Not one delay all week on the trains, who are you", SentimentLabel.POSITIVE),
        ("Got my refund within two days, great service", SentimentLabel.POSITIVE),
        ("Skyvia Air adds a new route to Lisbon", SentimentLabel.NEUTRAL),
    ],
)
def test_negations_and_praise_vader_misreads(text: str, expected: SentimentLabel) -> None:
    assert label(text) is expected


#: The rule a polite request for the brand to act fires (domain_lexicon.toml).
ASKS_TO_ACT = "asks the brand to put it right"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("waited on the phone for 50 minutes", "waiting for a long time"),
        ("It's been 3 weeks and still nothing", "a duration and still"),
        ("still no reply from anyone", "still no"),
        ("my parcel never arrived", "never arrived"),
        ("not a single reply to my emails", "nobody answers"),
        ("completely ghosted by support", "ignored"),
        ("please cancel my subscription", "cancel my ..."),
        ("switching to another bank next month", "switching to a competitor"),
        ("never ordering from them again", "never again"),
        ("third time this week the app logs me out", "nth time"),
        ("the app crashed again!", "again and again"),
        ("the app keeps crashing", "keeps failing"),
        ("where's my refund", "money back"),
        ("can't log in to my account", "can't do something"),
        ("the checkout is not working", "not working"),
        ("the app is down", "is down"),
        ("I was charged twice for one order", "charged twice"),
        ("they lost my luggage", "lost my ..."),
        ("wrong order again", "wrong order"),
        ("hidden fees everywhere", "hidden fees"),
        ("total rip-off", "rip-off"),
        ("pay to win garbage", "pay to win"),
        ("what a joke", "what a joke"),
        ("where is my parcel", "where is my ..."),
        ("why is there a charge on my account", "why ... (a complaint asked as a question)"),
        ("how is it possible my seat was sold twice", "how is it possible"),
        ("what is the point of paying for this", "what is the point"),
        ("tracking has said in transit since Friday", "stuck since"),
        ("promised a callback. Nothing.", "nothing happened"),
        ("out for delivery for 4 days straight", "for days straight"),
        ("only took 6 weeks to change my address", "only took ages"),
        ("the engineer was a no-show", "no-show"),
        ("took a day off work for nothing", "for nothing"),
        ("I want to leave, give me my PAC code", "want to leave"),
        ("paying for 900Mb and getting 38", "paying for X, getting Y"),
        ("a charge I didn't authorise", "did not authorise"),
        ("found a hair in my noodles", "something in my food"),
        ("transferred 5 times and then cut off", "passed around"),
        ("none of the skins unlocked", "none of it worked"),
        ("they moved my flight again", "changed my booking"),
        ("thanks for the quick reply, but the replacement is the wrong colour", "thanks, but"),
        ("appreciate the reply, the charge is still there though", "thanks, but"),
        ("Thanks for replying so fast! Unfortunately the label is wrong", "thanks, but"),
        ("support chat closed while I was typing. Card still blocked.", "still no"),
        ("the app update and now my 340 points are gone", "gone"),
        ("booked a king, given a twin", "booked one thing, given another"),
        ("the tour coach never showed at the pickup point", "never arrived"),
        ("Reported @Acme to the FCA after 3 weeks of charges", "taken to a regulator"),
        ("Lodged a complaint with the Energy Ombudsman", "taken to a regulator"),
        ("Living my best life 💛 where's my €500 deposit, returned the car", "where is my ..."),
        ("I returned it a month ago. Where is my £89?", "where is my ..."),
        ("@Acme kindly assist, my recharge of 299 is not showing", ASKS_TO_ACT),
        ("ref AC-2231, please reverse the transfer. thank you", ASKS_TO_ACT),
        ("Dear Acme, I would appreciate a call back today, please.", ASKS_TO_ACT),
        ("hi @Acme, grateful if you could check my order, thanks", ASKS_TO_ACT),
        ("acme wallet topup ₹500 deducted but balance still 0", "paid, not received"),
        ("returned the kettle 3 weeks ago, refund not yet received", "paid, not received"),
    ],
)
def test_each_complaint_rule_fires_and_is_explained(text: str, rule: str) -> None:
    verdict = classify_text(text, CONFIG)
    fired = [what for kind, what, _ in verdict.hits if kind in ("rule", "sarcasm")]
    assert any(what.startswith(rule + ":") for what in fired), fired
    assert verdict.label is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for nothing",
        "yeah right, fixed",
        "Great, another outage",
        "Love how you charged me twice",
        "oh brilliant, 'scheduled maintenance' on a Monday morning",
        "wow @Parcelly, 9 days for 'express'",
        "best bank ever, only took 6 weeks to change my address",
        "Lovely, the app crashed mid-payment 🙃",
        # The upside-down smile alone is irony enough.
        "@acme thanks for the daily reminder to go outside 🙃",
        "Shoutout to the Acme driver, hope my neighbour enjoys the new headphones 🙃",
        # Stock phrases of irony, with no complaint word.
        "the new @acme update really makes you appreciate the old one",
        "can't wait to pay $25 for a hat @acme 🤩",
        "big fan of how @acme turns a 2 minute build into a lunch break",
        "Acme: pay £10 for a sword, another £5 to hold it. Truly innovative.",
        "Loving the new Acme pricing. Said no one, ever.",
        # English's stock irony ("sarcasm: ironic idioms").
        "thanks @acme for teaching me patience, 3 hours for a pizza",
        "Who needs working wifi anyway, right @acme?",
        "Acme cancelled my train again. Keeps life exciting!",
        "Highly recommend Acme if you enjoy being on hold",
        "Acme: 'next-day delivery'. Narrator: it was not next day.",
        "Acme parcel still 'in transit' after 3 weeks. Progress is a wonderful thing.",
        "the new Acme menu moved the settings again. love a good treasure hunt",
        "Acme broadband down all weekend. Thanks for the free digital detox!",
    ],
)
def test_sarcasm_turns_praise_into_the_complaint_it_is(text: str) -> None:
    verdict = classify_text(text, CONFIG)
    assert any(kind == "sarcasm" for kind, _, _ in verdict.hits)
    assert verdict.label is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "so glad acme redesigned the app, removed the one feature I actually used",
        "Acme takes 5 days to refund but two seconds to charge",
    ],
)
def test_a_change_that_took_away_what_the_writer_relied_on(text: str) -> None:
    verdict = classify_text(text, CONFIG)
    fired = [what for kind, what, _ in verdict.hits if kind in ("rule", "sarcasm")]
    assert any(what.startswith("the one thing that worked:") for what in fired), fired
    assert verdict.label is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "Acme 2.4 segfaults on startup",
        "Acme client CTD after the intro video",
        "acme agent leaks file handles until the host falls over",
        "the new Acme build stutters in every cutscene",
        "Acme API returning 503 since noon",
        "the Acme export endpoint gives a 404 for every file",
    ],
)
def test_terse_technical_failures_are_complaints(text: str) -> None:
    assert label(text) is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        # A count is no status code: "giving 500 points", "returns 400 metres".
        "Acme is giving 500 bonus points to every new member",
        "Acme's new trail shoes: returns accepted within 400 days",
    ],
)
def test_numbers_that_are_no_status_code_are_no_error(text: str) -> None:
    assert label(text) is not SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "the new Acme raid is nuts",
        "this Acme patch is sick",
        "the Acme soundtrack slaps",
        "Acme's new single is an absolute banger",
        "the Acme soundtrack goes so hard",
    ],
)
def test_players_praise_in_their_own_words(text: str) -> None:
    assert label(text) is SentimentLabel.POSITIVE


def test_slaps_a_fee_on_is_no_praise() -> None:
    assert label("Acme slaps a £5 fee on every withdrawal now") is not SentimentLabel.POSITIVE


@pytest.mark.parametrize(
    "text", ["my Acme bread goes hard in a day", "Acme's sourdough goes hard overnight"]
)
def test_food_that_goes_hard_is_no_praise(text: str) -> None:
    assert label(text) is not SentimentLabel.POSITIVE


@pytest.mark.parametrize(
    "text",
    [
        # thanks, and a fix after the "but"
        "Thanks Acme, took a while but it's sorted.",
        "Thanks Acme! Not cheap but worth it.",
        # "never made" that is no order never made
        "I've never made a complaint before",
        # the writer clears the brand of someone else's problem
        "Power cut on our block took out the internet too. Not an Acme problem, just the street.",
        "The delay was my own bank's fraud check, not Acme's fault.",
        # a company's announcement; a travel diary
        "Acme switching to compostable cups across all UK shops from January.",
        "Day 3 plan: Acme rail to Inverness 10:12, then the bus to Skye",
    ],
)
def test_calm_posts_near_the_complaint_rules_stay_out_of_the_inbox(text: str) -> None:
    assert label(text) is not SentimentLabel.NEGATIVE


def test_switching_away_from_next_month_is_a_complaint_still() -> None:
    text = "I'm switching to Vantel from next month, done with Acme"
    assert label(text) is SentimentLabel.NEGATIVE


def test_clearing_the_brand_and_then_complaining_is_a_complaint() -> None:
    text = "The riders are lovely, not their fault at all. But the app keeps crashing."
    assert label(text) is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    ["Acme matchmaking 🗑️🗑️", "@acme ranked servers tonight 🤡🤡"],
)
def test_the_bin_and_the_clown_are_complaints(text: str) -> None:
    assert label(text) is SentimentLabel.NEGATIVE


def test_the_loudly_crying_face_is_no_complaint_of_its_own() -> None:
    # Praise as often as grief in the labelled posts: only VADER's own reading counts.
    verdict = classify_text("Acme pastries are so good 😭", CONFIG)
    assert not any(kind == "emoji" for kind, _, _ in verdict.hits)
    assert verdict.label is SentimentLabel.POSITIVE


@pytest.mark.parametrize(
    "text",
    ["Love how easy the new app is", "Thanks so much for the quick refund!", "Great, thanks!"],
)
def test_genuine_thanks_is_not_sarcasm(text: str) -> None:
    assert label(text) is SentimentLabel.POSITIVE


@pytest.mark.parametrize(("emoji", "text"), [("😡", "@brand 😡"), ("🤬", "🤬🤬 @brand")])
def test_negative_emoji_vader_lacks(emoji: str, text: str) -> None:
    verdict = classify_text(text, CONFIG)
    assert ("emoji", emoji) in {(kind, what) for kind, what, _ in verdict.hits}
    assert verdict.label is SentimentLabel.NEGATIVE


def test_inflected_forms_vader_lacks_are_in_the_lexicon() -> None:
    assert vader_compound("the app crashed") == 0.0
    assert label("the app crashed") is SentimentLabel.NEGATIVE
    for word in ("crashed", "crashing", "refund", "outage", "overcharged", "undelivered"):
        assert word in domain_layer(CONFIG).words


def test_words_vader_knows_are_left_to_vader() -> None:
    # "useless" is in VADER's lexicon: counting it again would double its weight.
    assert "useless" not in domain_layer(CONFIG).words


def test_user_lexicon_and_phrases_extend_and_override() -> None:
    custom = SentimentConfig(lexicon={"zorped": -2.5}, phrases={"back order": -2.0})
    assert label("my order got zorped", CONFIG) is SentimentLabel.NEUTRAL
    assert label("my order got zorped", custom) is SentimentLabel.NEGATIVE
    assert label("the item is on back order", custom) is SentimentLabel.NEGATIVE
    assert label("the item is on back order", CONFIG) is not SentimentLabel.NEGATIVE


def test_combine_is_vaders_normalisation_of_the_summed_valences() -> None:
    for compound in (-0.9, -0.3, 0.0, 0.4, 0.95):
        assert normalize(to_raw(compound)) == pytest.approx(compound, abs=1e-9)
    layer = domain_layer(CONFIG)
    found = layer.assess("my order never arrived")
    assert combine(0.0, found) == pytest.approx(normalize(found.valence), abs=1e-4)


def test_the_explanation_names_every_hit_with_its_valence() -> None:
    verdict = classify_text("Still waiting for my refund after 3 weeks", CONFIG)
    kinds = {kind for kind, _, _ in verdict.hits}
    assert {"word", "rule"} <= kinds
    assert all(isinstance(valence, float) for _, _, valence in verdict.hits)
    assert verdict.vader_compound == 0.0 and verdict.compound < -0.5


def test_skipping_vader_when_no_lexicon_word_occurs_changes_nothing() -> None:
    """The VADER figure the classifier scores a part with (`_scored_post`) must be exactly
    VADER's compound, on every labelled post and on every sentence of them (emoticons,
    hyphens, caps, boosters, idioms included)."""
    import json
    from pathlib import Path

    from mentionwatch.classify.sentiment import _scored_post
    from mentionwatch.text import split_sentences

    data = Path(__file__).parent / "data"
    texts = [
        json.loads(line)["text"]
        for name in ("triage_dev.jsonl", "triage_heldout.jsonl")
        for line in (data / name).read_text(encoding="utf-8").splitlines()
    ]
    texts += [":) nothing else", "so :( today", "well-known issue", "NOT GREAT", "kind of"]
    layer = domain_layer(CONFIG)
    for text in texts:
        for piece in [text, *split_sentences(text)]:
            scored, *_ = _scored_post(piece, [piece], layer, CONFIG)
            assert scored[0][0] == vader_compound(piece), piece


def test_the_vader_fast_path_is_exactly_polarity_scores() -> None:
    import json
    from pathlib import Path

    from mentionwatch.classify.sentiment import analyzer
    from mentionwatch.text import split_sentences

    data = Path(__file__).parent / "data"
    texts = [
        json.loads(line)["text"]
        for name in ("triage_dev.jsonl", "triage_heldout.jsonl")
        for line in (data / name).read_text(encoding="utf-8").splitlines()
    ]
    texts += ["  spaced out  ", "kind of bad", "NOT good!!!", "good, but awful", ":) fine", ""]
    for text in texts:
        for piece in [text, *split_sentences(text)]:
            expected = analyzer().polarity_scores(piece)["compound"]
            assert vader_compound(piece) == expected, piece


# --- rules added for writers the first rules were not tuned on (issue 5, second pass) ---------
# Sentences written for these tests, not taken from the labelled data.

NEW_COMPLAINTS = [
    ("my return has been pending for three weeks", "open for months"),
    ("Day 9 and still no sign of the replacement card", "day N of waiting"),
    ("on hold 50 mins and counting", "hours and counting"),
    ("I rang four times and nobody called back", "nobody got back"),
    ("Three emails later, not a single reply from Fundara", "not a word"),
    ("Filed the claim in March and heard nothing since", "heard nothing"),
    ("The agent just shrugged and said it was policy", "fobbed off"),
    ("The shop told me to contact the courier, who sent me back", "told to contact someone else"),
    ("They offered me a voucher for a £300 mistake", "offered a token"),
    ("Taking my money elsewhere after this", "going elsewhere"),
    ("We are comparing other providers before renewal", "trying other providers"),
    ("Honestly I'm done.", "i'm done"),
    ("Fix the billing by Friday or I'm cancelling", "an ultimatum"),
    ("Checkout keeps returning 503 errors", "errors"),
    ("Sign in, enter the code, back to the login screen.", "stuck in a loop"),
    ("The sync wiped all my notes from last year", "data lost"),
    ("The new firmware breaks every smart plug in the house", "it broke"),
    ("Had to roll back to 2.3 to get anything done", "rolled back"),
    ("Nothing loads since the latest update", "since the update"),
    ("You now need an account just to change the thermostat", "forced on customers"),
    ("The app phones home every five minutes", "phones home"),
    ("The courier threw my parcel over the fence", "mishandled"),
    ("The vase arrived in three pieces", "arrived in pieces"),
    ("They left my shopping outside overnight", "left out in the rain"),
    ("Ordered the blue one, they sent green", "ordered one thing, got another"),
    ("My vegetarian box came with chicken", "wrong for my diet"),
    ("Line rental went up from £18 to £24 overnight", "price went up from X to Y"),
    ("My subscription price has gone up again", "the price went up"),
    ("The app said £45, then £62 at checkout", "billed one amount, told another"),
    ("We were charged for 40 seats while only 12 people use it", "billed for what was not used"),
    ("Now they want me to pay monthly to see my own footage", "paying for what is mine"),
    ("Third outage in a row this month", "nth in a row"),
    ("The ATM swallowed my card on a Sunday", "machine kept my card"),
    ("Kindly look into the double debit on my account", "kindly resolve"),
    ("Paying for fibre and getting 2 Mbps", "speed far below"),
    ("Your website says 24 months, the contract says 12. Which is it?", "contradictions"),
    (
        "Support told me it shipped. The tracking says it never left",
        "told one thing, shown another",
    ),
    ("They quietly cut the free delivery threshold", "quietly made worse"),
    ("My points balance went to zero overnight", "balance gone"),
    ("The export stripped out every table", "stripped out"),
    ("Cancelling feels like a second job", "feels like a chore"),
    ("I used to recommend this bank to everyone", "used to be good"),
    ("Changing my review to 1 star", "star rating down"),
    ("Bug report: exports fail on files over 2GB", "bug report"),
    ("The new pricing is messing up our budget", "messing up"),
    ("I just want the delivery fee back", "want the fee back"),
    ("The app says my booking doesn't exist", "does not exist"),
    ("Is anyone actually reading these tickets?", "is anyone there"),
    ("The wifi drops every evening around 8", "fails every night"),
    ("They fined me for parking even though I'd already paid", "already sent it"),
    ("Delivery window 9-10. It's 13:20.", "past the slot"),
    ("@Munchly 3 hours. Three.", "a bare duration"),
    ("Would I fly with them again? Never.", "a closing never"),
    ("Is the portal down for anyone else?", "is down"),
    ("found a hair in my toastie", "something in my food"),
    ("took the payment twice for one coffee", "charged twice"),
]


@pytest.mark.parametrize(("text", "rule"), NEW_COMPLAINTS, ids=[r for _, r in NEW_COMPLAINTS])
def test_each_new_complaint_rule_fires(text: str, rule: str) -> None:
    verdict = classify_text(text, CONFIG)
    fired = [what for kind, what, _ in verdict.hits if kind in ("rule", "sarcasm")]
    assert any(what.startswith(rule + ":") for what in fired), fired
    assert verdict.label is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("That new fee is certainly a choice", "sarcasm: a bold choice"),
        ("Great seats, provided you don't have knees", "sarcasm: provided you don't"),
        ("Nice redesign, would love it even more if search worked", "sarcasm: would love it"),
        ("10/10 would queue for three hours again", "sarcasm: 10/10 would"),
        ("My bag is enjoying a lovely holiday in Rome while I'm in Oslo", "sarcasm: my luggage"),
        ("Thanks for losing my wedding suit, really great", "sarcasm: thanks for the damage"),
        ("Delivered my sofa in only 11 weeks, amazing", "sarcasm: in only weeks"),
        ("Oh amazing, the app logged me out again", "sarcasm: oh great"),
    ],
)
def test_new_sarcasm_cues_turn_praise_around(text: str, rule: str) -> None:
    verdict = classify_text(text, CONFIG)
    sarcasm = [what for kind, what, _ in verdict.hits if kind == "sarcasm"]
    assert any(what.startswith(rule) for what in sarcasm), verdict.hits
    assert verdict.label is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("The new offline mode is a killer feature", "praise: slang"),
        ("Their new search is fire", "praise: it is fire"),
        ("Not cheap, but worth it", "praise: worth it"),
        ("Card cancelled and replaced in 10 minutes", "praise: sorted quickly"),
        ("Everything sorted and money back in minutes", "praise: money back in minutes"),
        ("The devs actually listened to us", "praise: they listened"),
        ("Lovely stay, we will definitely be back", "praise: will be back"),
        ("Tried the new burger. Killer.", "praise: a one-word verdict"),
        ("Filed my taxes with @Acme this year, no stress at all", "praise: no trouble"),
        ("acme transfer landed in seconds, no wahala", "praise: no trouble"),
        ("The Acme parcel locker is so handy, no more missed deliveries", "praise: no trouble"),
        ("Hard to find anything wrong with the new Acme app", "praise: no trouble"),
    ],
)
def test_new_praise_rules_override_vaders_misreading(text: str, rule: str) -> None:
    verdict = classify_text(text, CONFIG)
    fired = [what for kind, what, _ in verdict.hits if kind == "rule"]
    assert any(what.startswith(rule + ":") for what in fired), verdict.hits
    assert verdict.label is SentimentLabel.POSITIVE


@pytest.mark.parametrize(
    "text",
    [
        "Zentel announced it will close 40 stores next year",
        "[StatusBot] Payments API: elevated error rates, investigating",
        "Regulator fines Kestrel £2m over billing errors, according to a statement",
        "Skyvia Q2 results: revenue down 4%, losses narrowed",
        "Acme Water: planned water interruption in Northside, Wednesday 8am to 6pm",
    ],
)
def test_reports_are_not_complaints(text: str) -> None:
    assert label(text) is SentimentLabel.NEUTRAL


def test_a_report_in_ones_own_voice_is_still_a_complaint() -> None:
    assert label("Zentel announced it will close my branch and I'm furious") is (
        SentimentLabel.NEGATIVE
    )


def test_a_long_report_is_one_voice() -> None:
    text = (
        "Skyvia announced this morning that it will close its Leeds base in March. "
        "About 200 jobs are affected. The airline blamed rising costs and weak demand. "
        "Unions said they were disappointed and will meet the company next week."
    )
    assert label(text) is SentimentLabel.NEUTRAL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Does the warranty cover accidental damage?", SentimentLabel.NEUTRAL),
        ("Can I get a refund if the flight is cancelled?", SentimentLabel.NEUTRAL),
        ("Why does the app keep crashing?", SentimentLabel.NEGATIVE),
    ],
)
def test_a_plain_question_is_damped_unless_it_complains(
    text: str, expected: SentimentLabel
) -> None:
    assert label(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "My 'priority' ticket is on its third agent",
        # A promise quoted back, numbers and all.
        'Acme "24 hour wear" lipstick lasted till my first coffee',
        "Acme 'express' delivery took nine days",
    ],
)
def test_words_in_scare_quotes_are_a_complaint(text: str) -> None:
    verdict = classify_text(text, CONFIG)
    assert ("sarcasm", "words in scare quotes") in {(k, w) for k, w, _ in verdict.hits}
    assert verdict.label is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        'Got a text from "Acme Rewards" about a free phone',
        "There is a page called 'Acme Deals Official' on Instagram",
        'Comment "WIN" below to enter the Acme draw',
        # An error message quoted word for word.
        "Seeing 'Error 503: Feed provider unavailable' on Acme today",
        "The 'rate limit exceeded (HTTP 429)' errors come from the API, not Acme",
    ],
)
def test_a_name_or_keyword_in_quotes_is_no_scare_quote(text: str) -> None:
    verdict = classify_text(text, CONFIG)
    assert ("sarcasm", "words in scare quotes") not in {(k, w) for k, w, _ in verdict.hits}


def test_a_question_quoting_the_sites_words_is_not_a_complaint() -> None:
    assert label("Is the 'cabin bag' on the basic fare the same as a 'personal item'?") is (
        SentimentLabel.NEUTRAL
    )
