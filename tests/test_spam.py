"""The spam rules: for every signal a spam post that fires it and a customer post with similar
words that must stay out of spam; the two discounts; the cheap word gate (it must never change
a verdict); and the figures on the development set.

The posts here are written for these tests, in the shapes of real scams, not copied from the
labelled data, so the rules are checked on text they were not tuned on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mentionwatch.classify.duplicates import normalized_for_duplicates
from mentionwatch.classify.patterns import compile_search
from mentionwatch.classify.spam import (
    _LINK,
    NOT_SPAM,
    SIGNALS,
    SPAM_THRESHOLD,
    _hosts,
    _ungated_verdict,
    spam_verdict,
)

DEV = Path(__file__).parent / "data" / "triage_dev.jsonl"

# (signal, a spam post that fires it, a customer's post with similar words that is not spam)
CASES: list[tuple[str, str, str]] = [
    (
        "earnings claim",
        "I made £7,000 a month from my sofa, ask me how 👉 cutt.ly/richnow",
        "@Fundara I earn £2,000 a month and you still refused my overdraft",
    ),
    (
        "earn-money offer",
        "Earn £400 daily riding for Forkfleet! No experience needed, DM me 'JOB'",
        "Munchly's ad says ‘earn £500 a week as a rider’. I got £90 for 30 hours. Not impressed",
    ),
    (
        "get-rich pitch",
        "Work from home with Shopvana, easy money for everyone, link in bio 💸",
        "I work from home and my Fibrewave broadband drops every afternoon at 3pm",
    ),
    (
        "giveaway or prize",
        "🎉 Threadhaus is giving away 100 gift cards! Claim yours here 👉 threadhaus-gifts.top",
        "Thank you @Shopvana! I won the Christmas giveaway and the £50 gift card arrived today 🎉",
    ),
    (
        "call to act now",
        "FREE iPad for the first 100 customers of Cartwell, click the link in bio",
        "Click the link they sent me and it just says error 404 @Cartwell, how do I pay my bill?",
    ),
    (
        "verification bait",
        "Aerolume refunds for delayed flights: verify your booking here 👉 "
        "aerolume-refund-portal.com",
        "@Cartwell I was told to verify your account details here: cartwell.com/verify "
        "but the page is broken",
    ),
    (
        "self-promotion",
        "sub4sub! I review every Munchly meal on camera, check out my channel 🍔",
        "Watched a YouTube review of the Syncwise update and they're right, sync is broken",
    ),
    (
        "crypto pump",
        "$ZNTL token presale is live, the next 100x gem, buy before it moons 🚀🚀",
        "AirDrop stopped working after the Zentel update and the app is 100x slower",
    ),
    (
        "asks for credentials",
        "@Brightvault_Help We're sorry for the trouble. Please DM your card number and PIN so "
        "we can refund you",
        "The Ledgerly app says 'enter your verification code' and nothing ever arrives",
    ),
    (
        "asks for account details in DM",
        "@Zentel_Care Sorry to hear that! DM us your account number and date of birth so our "
        "engineers can fix it",
        "@Zentel I DM'd you my account number 3 days ago and still nothing",
    ),
    (
        "off-platform contact",
        "@Munchly_Help So sorry about that! Contact our support team on WhatsApp "
        "+44 7700 900555 for your refund",
        "@Bellabite your WhatsApp support +44 7700 900123 never answers, where is my refund??",
    ),
    (
        "speaks as support",
        "@Trenvo_Help We apologise for the delay. Please reach our agents on Telegram for "
        "compensation",
        "@Shopvana_Care sorry for the delay in replying, here are the photos of the damaged box",
    ),
    (
        "account recovery bait",
        "Lost your Vaultbox login? I can recover your hacked account in 1 hour, DM me on Telegram",
        "@NovaPlay I got hacked and lost all my gems. Please restore my account",
    ),
    (
        "cheat tool or modded app",
        "Lumen Arena coins generator, no human verification 👉 la-freecoins.xyz",
        "@Questfall the gold hack everyone is using in ranked is ruining the game",
    ),
    (
        "cracked software",
        "Driftnote Pro cracked, all features unlocked, download: driftnote-pro.top",
        "@Taskloom your pro plan is a ripoff, I'd rather use a cracked version lol",
    ),
    (
        "free in-game currency",
        "FREE 5000 Lumen Arena coins for everyone, 100% working 👉 la-coins.click",
        "@Questfall anyone got free gems after the outage compensation? I got 0",
    ),
    (
        "too good to be true",
        "Ironpeak aimbot, undetected, works on every server, link in bio",
        "Shoutout @Fundara for the £100 switching bonus, landed today, legit 100% real",
    ),
    (
        "account or currency selling",
        "WTS Questfall gold cheap, maxed level accounts, message me on whatsapp +1 415 555 0100",
        "@IronpeakGames why are you selling skins for £25 in a £70 game",
    ),
    (
        "phishing lure",
        "Vaultly customers, your card has been temporarily blocked. Unblock here now: "
        "vaultly-secure-login.info",
        "@Vaultly my card has been blocked three times this month for no reason, sort it out",
    ),
    (
        "demands action on a link",
        "Parcelfly: pay the £1.99 redelivery fee here to release your parcel: "
        "parcelfly-redelivery.top",
        "@Parcelfly the app says pay a redelivery fee but you never even tried to deliver",
    ),
    (
        "asks for personal details",
        "Pennyfold refund department: you are eligible for a refund. Reply with your full name, "
        "date of birth and sort code",
        "@Pennyfold why does the app ask for my date of birth every single time I log in?",
    ),
    (
        "investment scam",
        "Invest £250 and get £2,500 back in 7 days with the Vaultly trading programme 📈",
        "@Vaultly does the savings account pay interest monthly or yearly?",
    ),
    (
        "loan bait",
        "Struggling with your bills? Our payday loan has instant approval! Apply now",
        "@Ledgerly my loan application has been pending for 2 weeks, any update?",
    ),
    (
        "cheats and unlocks",
        "Best Shardfall cheats: aimbot, wallhack, HWID spoofer, link in bio",
        "@Shardfall half my lobby is using an aimbot, do you even have anti-cheat?",
    ),
    (
        "fake engagement for sale",
        "Get 10k Pixora followers instantly 💯 cheap prices DM",
        "Pixora removed my followers count from the profile page after the update, why?",
    ),
    (
        "sells in DMs",
        "Cheap Railora tickets 50% off any journey, payment by bank transfer only. Inbox me",
        "@Railora I sent you a DM about my refund a week ago and no reply",
    ),
    (
        "goods or accounts for sale",
        "Brightaisle gift cards for sale, bulk discount, cheapest on the market, DM for prices",
        "@Brightaisle the best prices in town but the self-checkouts never work",
    ),
    (
        "risky payment terms",
        "Covera car insurance 80% cheaper through my agency, 100% legit, bank transfer only",
        "@Covera can I pay my premium by bank transfer instead of direct debit?",
    ),
    (
        "stranger offers help",
        "Hello dear, I saw your complaint about Nexalink. I am a recovery agent, I can get all "
        "your money back, just send my fee",
        "@Nexalink I saw your post about the outage, any idea when it'll be fixed?",
    ),
    (
        "giveaway mechanics",
        "Hollins & Fry are giving away 1000 free hampers! Fill in this short survey and "
        "retweet to enter",
        "@HollinsFry I did your short survey after my shop and the discount code never arrived",
    ),
    (
        "bargain bait",
        "Threadhaus replica hoodies 90% off, wholesale prices: threadhaus-outlet.shop",
        "@BrightBasket 70% off your own brand bread and it's mouldy",
    ),
    (
        "plugs own page",
        "Follow my page for daily Shopvana discounts!! best deals at www.deals-4u.info",
        "Please follow my page for updates on our campaign against Kestrel's branch closures",
    ),
    (
        "promo code bait",
        "Use my code ZEN50 for £50 off Zentel, limited spots, referral link bit.ly/zen50",
        "Promo code didn't work at checkout @Cartwell, use code SAVE20 they said",
    ),
    (
        "adult or dating bait",
        "hot singles near Harborlight hotels are waiting for you 💋 bit.ly/meet-now",
        "@Threadhaus the 'nude' tights are see-through, not what the photo showed",
    ),
    (
        "link farm",
        "Questfall boosting: www.qf-boost.shop www.qf-rank.shop www.qfgold.shop",
        "@Hexpost photos of the damage: imgur.com/a/x1 imgur.com/a/x2 imgur.com/a/x3",
    ),
    (
        "shortened link",
        "I made $800 a day with Ledgerly trading, see how: bit.ly/ldg-rich",
        "Thanks @ParcelPilot! Tracking link bit.ly/pp-track was super handy",
    ),
    (
        "suspicious domain",
        "Claim your free Orbicell reward now: orbicell-bonus.win",
        "Anyone else getting texts from hexpost-redelivery-fee.info? @Hexpost",
    ),
    (
        "look-alike domain",
        "Kestrel customers: claim your compensation at kestrel-secure-claims.com before midnight",
        "@Hexpost what is hexpost-secure-login.info?? got a text about a parcel",
    ),
    (
        "brand name used for something else",
        "Say hello to Ledgerly, our new rescue whippet 🐾 she has already stolen a sock",
        "My whippet chewed the Ledgerly card reader and the app still charged me twice",
    ),
    (
        "maker's launch post",
        "I built a tool that exports your Syncwise notes to Markdown. Free tier, would love "
        "feedback!",
        "We built a dashboard on the Syncwise API and the API has been down all week",
    ),
    (
        "asks for upvotes or sign-ups",
        "We're on Product Hunt today with a Fibrewave speed tracker, an upvote would mean the "
        "world 🙏 link in bio",
        "Fibrewave's free tier is gone and nobody told us. Why?",
    ),
    (
        "affiliate or sponsored post",
        "Honest review of the Cartwell air fryer (affiliate links, I earn a small commission)",
        "Is the Cartwell 'deal of the day' page just affiliate spam? It was cheaper last week",
    ),
    (
        "comment spam",
        "Very informative article about Ledgerly budgeting, thanks for sharing! Visit our "
        "website for cheap loan offers",
        "Thanks for sharing this, I had the same Ledgerly sync bug last week",
    ),
    (
        "SEO services",
        "We rank your website #1 on Google in 30 days. SEO services trusted by Shopvana sellers",
        "Shopvana search is so bad that even good SEO doesn't help, my listings never show",
    ),
    (
        "disguised link",
        "Cheap Orbicell unlocks, 100% legit, order at unlockhub[.]xyz",
        "Got a text from orbicell-billing[.]com asking me to pay, is this a scam @Orbicell?",
    ),
    (
        "romance bait",
        "Hello dear, I saw your complaint about Vaultbox. You look very kind, can we be "
        "friends? 🌹",
        "Can we be friends again @Vaultbox? Fix the app and I'll stop complaining",
    ),
    (
        "send money, get more back",
        "Zentel anniversary: send 0.05 BTC to the wallet below and receive 0.1 BTC back within "
        "the hour",
        "I had to send my router back and still haven't got the £40 deposit back from Zentel",
    ),
    (
        "recovery testimonial",
        "Lost my savings to a fake Fundara app, then Agent Rowe recovered everything in 24 "
        "hours. He is legit, reach him on WhatsApp @rowe_recovers",
        "Fundara support finally unlocked my account after two weeks, they are legit just slow",
    ),
    (
        "refers to a private helper",
        "My Ledgerly wallet was emptied but Mr Daniels got it all back, text him on Telegram "
        "@daniels_funds, he is honest",
        "Tried to email her at the Fundara branch twice and nobody answers",
    ),
    (
        "support phone number",
        "@Kestrel_Care We apologise for the trouble. Call our support line +1 (866) 555-0199 "
        "for an instant refund",
        "Their ad says call 0800 123 4567 for help but nobody picks up at Kestrel",
    ),
    (
        "helpline spam",
        "Kestrel bank customer care number 24x7 toll free helpline kestrel helpline number",
        "Kindly check my account, the Kestrel helpline number on your site is dead",
    ),
    (
        "clickbait",
        "Airlines don't want you to know this Skyvia trick, click here before it's gone",
        "Skyvia doesn't want you to know their 'free' seat selection costs £30 now",
    ),
    (
        "pirated stream",
        "Watch the Lumen Arena finals free in full HD, no ads, stream link in bio",
        "Paid for the Lumen Arena pass and still can't watch the finals in HD, it buffers",
    ),
    (
        "collab bait",
        "Love your content!! Let's collab, DM us for a free promo of our protein bars",
        "The Bellabite bakery collab was a mess, half the boxes arrived empty",
    ),
    (
        "grey-market goods",
        "Forkfleet business accounts, resold, reseller pricing, PayPal only",
        "Bought a Questfall skin from a reseller, got banned, no questions asked",
    ),
    (
        "creator plug",
        "New video is up! I rated every Munchly dessert, go watch and leave a like 👉 link in bio",
        "My Munchly order is in my new video, go watch how it arrived upside down",
    ),
    (
        "no content",
        "@Syncwise @Syncwise @Syncwise @Syncwise",
        "@Syncwise @SyncwiseHelp @SyncwiseStatus sync has been down since 9am",
    ),
    (
        "keyword stuffing",
        "Kestrel bank customer care number 24x7 toll free helpline kestrel helpline number",
        "Called the helpline, then the toll-free line, then the helpline again: no answer",
    ),
    (
        "gig offer",
        "I'll design your Shopvana store banner for just $10, fast delivery, DM me for samples",
        "I'll fix your app myself for $0 if you just give me the API docs @Shopvana",
    ),
    (
        "money mule or task scam",
        "Remote job for Fundara customers: receive payments into your account and forward them, "
        "keep 10%. Easy £300 a week, DM",
        "@Fundara I can't receive payments into my account since the update, please fix it",
    ),
    (
        "remote access bait",
        "@jo_p So sorry your Plinth camera is offline. Please install our remote support tool "
        "and share the 9-digit code with us",
        "@Plinth your support asked me to install a remote support tool, is that normal?",
    ),
    (
        "spell caster",
        "My Ledgerly debts were gone in a week thanks to the money spell of a spiritual healer. "
        "Email her at oracle@spiritmail.example",
        "The Ledgerly budgeting app works like a spell, my debts are finally going down",
    ),
    (
        "chain letter",
        "From Monday Pixora will make every album public unless you repost this. I do not give "
        "Pixora permission!",
        "Is the 'repost or Pixora makes your albums public' thing real? Looks like a hoax @Pixora",
    ),
]


def test_every_signal_has_a_case() -> None:
    assert sorted(s.name for s in SIGNALS) == sorted(name for name, _, _ in CASES)


@pytest.mark.parametrize(("signal", "spam", "customer"), CASES, ids=[c[0] for c in CASES])
def test_signal_fires_on_a_spam_post(signal: str, spam: str, customer: str) -> None:
    verdict = spam_verdict(spam)
    assert signal in verdict.signals, verdict
    assert verdict.spam, verdict


@pytest.mark.parametrize(("signal", "spam", "customer"), CASES, ids=[c[0] for c in CASES])
def test_customer_post_with_similar_words_is_not_spam(
    signal: str, spam: str, customer: str
) -> None:
    verdict = spam_verdict(customer)
    assert not verdict.spam, verdict
    assert verdict.score < SPAM_THRESHOLD


# --- posts that must stay in the inbox ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # a real complaint mentioning a refund and WhatsApp
        "@Bellabite I've messaged you on WhatsApp 3 times about my refund and nobody replies",
        "Tried to contact Zentel on WhatsApp and Telegram, still waiting for my refund",
        "@Zentel your support told me to contact them on Telegram?! Is this real?",
        # a genuine thank-you for a giveaway win
        "Just won the Skyvia Air giveaway 😭 free flights to Lisbon, thank you so much!",
        "Won a free PS5 in the @NovaPlay tournament!!! thank you 🙏🎮 can't believe it",
        "@Shopvana I won the giveaway last month but never received my prize. Click the link "
        "in your DM just errors",
        # a customer sharing a tracking link
        "@Hexpost here's the tracking link https://hexpost.com/track/HX12345 it's been stuck in "
        "Leeds for 5 days",
        "@SwiftCrate tracking www.swiftcrate.co.uk/track?id=123 says delivered, it isn't",
        # warnings and reports of scams
        "Beware: fake @KestrelBank_Help accounts are asking people to DM your card number. "
        "Report them!",
        "Is kestrel-secure-login.info really you @KestrelBank? Got a text saying my account is "
        "locked",
        "@Zentel my dad got a WhatsApp from '+44 7700 900111' claiming to be you asking for his "
        "PIN, please warn people",
        "Got an email saying I've won a free iPhone from 'Orbicell', is this legit @Orbicell?",
        # secrets and money words in a customer's own voice
        "Brightvault support told me to send my account number and PIN by email?? is that normal",
        "Where do I enter your verification code @Ledgerly? the screen is blank",
        "Paid at the counter with your pin pad and got charged twice @Bellabite",
        "Fibrewave says to include your account number in the reference but the form won't take it",
        "@Fundara made £300 last week on Shopvana and you've held the payout for 10 days",
        "Fibrewave prices went to the moon 🚀🚀 and the speed went to the floor",
        "My phone screen cracked in the Hexpost box, free replacement refused",
        "Lumen Arena matchmaking is so bad I'm tempted to buy a boosted account lol",
        "Free delivery for life my a**. Munchly Plus now charges a service fee",
        "@jane_doe We're sorry to hear that! Please DM us your order number and we'll look into "
        "it.",
    ],
)
def test_customer_posts_stay_out_of_spam(text: str) -> None:
    assert not spam_verdict(text).spam, spam_verdict(text)


# --- rules added to existing signals (issue 5, second pass): each fires --------------------------

EXTENDED: list[tuple[str, str]] = [
    ("earn-money offer", "Earn ₹4000 daily reselling Zentel recharges"),
    ("earn-money offer", "Get paid to try new apps like Syncwise, $30 per test"),
    ("earn-money offer", "Part time job, $200-$400/day from your phone, Shopvana reviewers"),
    ("get-rich pitch", "Make $$$ from your sofa with this Munchly side thing"),
    ("investment scam", "Our certified recovery experts got back 90% of funds lost on Ledgerly"),
    ("investment scam", "I turned £200 into £5,000 with my Fundara trading mentor"),
    ("crypto pump", "NFT drop: Questfall Relics, mint price 0.01 ETH, whitelist open"),
    ("crypto pump", "$ZNT launches tonight, LP burned, still under 300k mcap, 50x incoming"),
    ("promo code bait", "Cartwell ref code CW20 for money off your first box"),
    ("phishing lure", "Hexpost: we could not deliver your parcel today"),
    ("demands action on a link", "Update your address within 24h: hexpost-redeliver.top"),
    ("risky payment terms", "Skyvia flight vouchers half price, pay with gift cards"),
    ("too good to be true", "Orbicell unlimited data for life, working 100%"),
    ("adult or dating bait", "Lonely? meet local girls tonight 💋"),
    ("adult or dating bait", "check my page for private pics 😉"),
    ("fake engagement for sale", "Gain 5000 real followers for your Bellabite page"),
    ("cracked software", "Driftnote Pro full version free, no virus"),
    ("giveaway or prize", "Zentel is giving every customer £50 credit, claim below"),
    ("giveaway or prize", "Free 20GB data from Orbicell for everyone today"),
    ("giveaway mechanics", "RT to win a Questfall chair, must follow and turn on notifs"),
    ("call to act now", "Shopvana flash deals, order now, today only"),
    ("call to act now", "all the Cartwell deals before anyone else 👉 link"),
    ("speaks as support", "@jo we noticed you're having trouble with Ledgerly"),
    ("sells in DMs", "Questfall gold, cheapest on the market, PayPal, DM"),
    ("goods or accounts for sale", "Selling a £50 Munchly voucher for £30"),
    ("bargain bait", "Fibrewave routers 40% cheaper this week"),
    ("asks for credentials", "DM us your booking reference, full card number and expiry date"),
    ("plugs own page", "visit our website for the best Zentel deals"),
    ("maker's launch post", "Show HN: a tiny tracker for Skyvia fares"),
    ("maker's launch post", "50% off my course on Driftnote productivity this week"),
    ("disguised link", "Zentel deals at zentel-cheap dot info"),
]


@pytest.mark.parametrize(("signal", "text"), EXTENDED, ids=[t for _, t in EXTENDED])
def test_extended_rules_fire(signal: str, text: str) -> None:
    assert signal in spam_verdict(text).signals, spam_verdict(text)


@pytest.mark.parametrize(
    "text",
    [
        "@Zentel I sent 0.5 BTC to the wrong address in your app, can you get it back?",
        "Zentel helpline: 2 hours on hold, then cut off. Kindly call me back on 07700 900123",
        "My cat knocked the Plinth camera off the shelf and now it won't turn on",
        "Got a text saying 'we could not deliver your parcel, update your address here', is "
        "that really from Hexpost?",
        "@Cartwell your 'use code SAVE10' banner doesn't work at checkout",
        "I built a spreadsheet to track how often Fibrewave drops: 14 times this week",
        "Fundara froze my account and their 'recovery team' wants my passport, is this legit?",
        "Selling my Skyvia ticket for £20 less than I paid because you moved the flight, thanks",
    ],
)
def test_customers_using_the_new_spam_words_stay_out(text: str) -> None:
    assert not spam_verdict(text).spam, spam_verdict(text)


# --- the brand's name used for something else ---------------------------------------------------

ZENTEL = ("Zentel",)


@pytest.mark.parametrize(
    "text",
    [
        "Zentel FC won 2-0 tonight, top of the league",
        "Traffic on Zentel Road again this morning",
        "'Zentel' by The Night Owls has been on repeat all week",
        "my nephew Zentel turns five today 🎂",
        "Zentel is a lovely little village in Cornwall, stopped there for lunch",
        "Named my boat Zentel. She floats, mostly",
        "Meet Zentel, our new rescue greyhound!",
    ],
)
def test_the_brands_name_used_for_something_else_is_spam(text: str) -> None:
    verdict = spam_verdict(text, ZENTEL)
    assert "brand name used for something else" in verdict.signals
    assert verdict.spam


@pytest.mark.parametrize(
    "text",
    [
        "my cat unplugged the Zentel router and now it won't reconnect",
        "@Zentel my son can't log in to his account",
        "Zentel is the worst network in town",
        "The new Zentel album feature lost half my photos",
        "got my dog Zentel insurance and the first claim was refused",
        "'Zentel Unlimited' by name, capped at 5GB in practice",
    ],
)
def test_the_brand_itself_next_to_those_words_is_not(text: str) -> None:
    assert "brand name used for something else" not in spam_verdict(text, ZENTEL).signals


def test_a_pet_named_like_another_brand_is_spam_only_without_the_terms() -> None:
    # Without terms any capitalised name fills the slot; with them it must be the brand's.
    text = "my cat Nova just knocked my coffee over"
    assert spam_verdict(text).spam
    assert not spam_verdict(text, ("NovaPlay",)).spam
    assert spam_verdict(text, ("Nova",)).spam


def test_a_street_counts_only_with_the_brands_terms() -> None:
    # "the Acme on Mill Road": without terms a street name says nothing about the brand.
    text = "Zentel Road is closed for resurfacing all weekend"
    assert not spam_verdict(text).spam
    assert spam_verdict(text, ZENTEL).spam


def test_terms_match_as_configured() -> None:
    # a phrase with any whitespace, a trailing * for any ending, quotes allowed
    assert spam_verdict("my dog Fibre   Wave is three today", ('"Fibre Wave"',)).spam
    assert spam_verdict("Zentelmobile FC lost again", ("Zentel*",)).spam
    assert not spam_verdict("Zentelmobile FC lost again", ("Zentel",)).spam


# --- the discounts ------------------------------------------------------------------------------


def test_complaint_cue_discounts_a_customer() -> None:
    # off-platform contact (2.0) minus the complaint discount (1.0): a customer, not a scam
    verdict = spam_verdict(
        "@Bellabite your WhatsApp support +44 7700 900123 never answers, where is my refund??"
    )
    assert verdict.signals == ("off-platform contact",)
    assert verdict.score == 1.0


def test_fake_support_is_not_saved_by_the_complaint_discount() -> None:
    # It names a refund that is "still waiting", like a customer, but speaks as support and asks
    # for a PIN: no complaint discount.
    verdict = spam_verdict(
        "@Kestrel_Help We're sorry your refund is still waiting. Please DM your card number and "
        "PIN so our customer service can process it"
    )
    assert verdict.spam
    assert verdict.score == 3.5  # asks for credentials 2.5 + speaks as support 1.0, no discount
    assert "asks for credentials" in verdict.signals


def test_fake_support_on_whatsapp_promising_a_refund_is_spam() -> None:
    verdict = spam_verdict(
        "@Saucebox_Care Sorry about your order! Please contact our support on WhatsApp "
        "+1 (415) 555-0100 to get your full refund today"
    )
    assert verdict.spam
    assert {"off-platform contact", "speaks as support"} <= set(verdict.signals)


def test_never_share_your_pin_is_a_warning_not_a_request() -> None:
    verdict = spam_verdict(
        "Reminder from Kestrel: we will never ask for your PIN or password. Never share your "
        "card details with anyone."
    )
    assert "asks for credentials" not in verdict.signals
    assert not verdict.spam


def test_scam_warning_discount() -> None:
    spam = spam_verdict("Get a free iPhone: orbicell-winner.claim-now.info")
    warned = spam_verdict("Beware of this scam: get a free iPhone: orbicell-winner.claim-now.info")
    assert spam.spam
    assert not warned.spam
    assert warned.signals == spam.signals


# --- the shape of a verdict ---------------------------------------------------------------------


def test_a_post_without_any_cue_is_not_spam_at_once() -> None:
    assert spam_verdict("@Munchly 2 hours. 2 HOURS. Where is the food") is NOT_SPAM


def test_signals_come_in_declared_order() -> None:
    verdict = spam_verdict(
        "🎁 Claim your FREE Hexpost prize now! you have been selected: hexpost-rewards-claim.top"
    )
    order = [s.name for s in SIGNALS]
    assert list(verdict.signals) == sorted(verdict.signals, key=order.index)
    weights = sum(s.weight for s in SIGNALS if s.name in verdict.signals)
    assert verdict.score == pytest.approx(weights)


def test_copy_paste_spam_normalises_to_one_string() -> None:
    a = normalized_for_duplicates("@Fibrewave I made $10,000 a week, ask me how https://x.co/1")
    b = normalized_for_duplicates("@Syncwise I made $9,000 a week, ask me how https://x.co/22")
    assert a == b


# --- the word gate ------------------------------------------------------------------------------


def _rows(name: str) -> list[dict[str, object]]:
    with (DEV.parent / f"{name}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _dev_rows() -> list[dict[str, object]]:
    return _rows("triage_dev")


TUNING_FILES = ("triage_dev", "triage_validation", "triage_dev2", "triage_dev3", "triage_spam_dev")


def _tuning_texts() -> list[str]:
    """Every post of the files the rules were tuned on (never the held-out ones), and long posts
    made of them: 40 posts joined, so that the rules also meet text they reach far into."""
    texts = [str(row["text"]) for name in TUNING_FILES for row in _rows(name)]
    return texts + [" ".join(texts[at : at + 40]) for at in range(0, len(texts), 40)]


def test_the_word_gate_never_changes_a_verdict() -> None:
    """The cheap gate skips rules whose words are absent; it must give what running every rule
    on every post gives, with and without the brand's terms."""
    texts = _tuning_texts()
    texts += [text for case in CASES for text in case[1:]]
    texts += [text for _, text in EXTENDED]
    texts += [text for family in FAMILIES for text in family[1:]]
    for text in texts:
        assert spam_verdict(text) == _ungated_verdict(text), text
        terms = ("Ledgerly", "Zentel")
        assert spam_verdict(text, terms) == _ungated_verdict(text, terms), text


# --- the development set ------------------------------------------------------------------------


def test_dev_set_precision_and_recall() -> None:
    rows = _dev_rows()
    flagged = [(bool(row["spam"]), spam_verdict(str(row["text"])).spam) for row in rows]
    true_pos = sum(1 for truth, guess in flagged if truth and guess)
    false_pos = [
        str(row["text"])
        for row, (truth, guess) in zip(rows, flagged, strict=True)
        if guess and not truth
    ]
    spam_posts = sum(1 for truth, _ in flagged if truth)
    assert spam_posts >= 20
    # Without the brand's terms, "my cat Nova ..." reads as a pet named like the brand (the
    # brand is NovaPlay); with them it does not (test_a_pet_named_like_another_brand...).
    # Nothing else: no customer post hidden as spam.
    assert len(false_pos) <= 1, false_pos
    for text in false_pos:
        assert spam_verdict(text).signals == ("brand name used for something else",), text
    assert true_pos / spam_posts >= 0.8


@pytest.mark.parametrize(
    ("name", "recall"),
    [
        ("triage_validation", 0.8),
        ("triage_dev2", 0.8),
        ("triage_dev3", 0.8),
        # a fresh writer's spam and look-alikes (legitimate giveaways, referral codes, job ads,
        # complaints about scams): the rules generalise less well to a new writer
        ("triage_spam_dev", 0.7),
    ],
)
def test_tuning_files_precision_and_recall(name: str, recall: float) -> None:
    """The other files the rules were tuned on (not the held-out ones): precision 0.97 or
    better (issue 5 asks 0.95; hiding a real complaint is worse than showing a spam post)."""
    rows = _rows(name)
    flagged = [(bool(row["spam"]), spam_verdict(str(row["text"])).spam) for row in rows]
    true_pos = sum(1 for truth, guess in flagged if truth and guess)
    predicted = sum(1 for _, guess in flagged if guess)
    spam_posts = sum(1 for truth, _ in flagged if truth)
    assert true_pos / predicted >= 0.97
    assert true_pos / spam_posts >= recall


# --- issue 5, third pass: spam families from a fresh writer ---------------------------------------
#
# Each rule added for a family of spam, with a post of that family (written here, not taken from
# the labelled files) that it must catch, and a customer's post with the same words that must
# stay in the inbox.

FAMILIES: list[tuple[str, str, str]] = [
    (
        "grey-market goods",
        "Solvane watches, mirror quality copies, 1:1 with the real ones, worldwide delivery. "
        "WhatsApp only",
        "@Solvane the strap on my watch broke after a week, is the quality this bad on all of "
        "them?",
    ),
    (
        "grey-market goods",
        "Copperkettle gift cards 40% below face value, codes delivered instantly, PayPal F&F only",
        "@Copperkettle my gift card code was delivered but says it is already used",
    ),
    (
        "phishing lure",
        "Voltra Energy: your last payment failed. To avoid disconnection, update your billing "
        "info today at voltra-billing.online",
        "@Voltra my direct debit failed again and you charged me a late fee, sort it out",
    ),
    (
        "phishing lure",
        "Coinvault alert: unusual sign-in detected. If this wasn't you, verify your identity "
        "immediately at coinvault-secure.net",
        "Got a text saying 'unusual sign-in detected, verify here', is that really Coinvault?",
    ),
    (
        "demands action on a link",
        "Hexpost: your parcel could not be delivered. Reschedule your delivery: "
        "hexpost-redeliver.info",
        "@Hexpost the driver says my parcel could not be delivered but I was home all day",
    ),
    (
        "giveaway or prize",
        "@dana_k We apologise for the outage. We are giving all affected customers a £50 voucher, "
        "claim it here: netquay-rewards.top",
        "@Netquay you promised affected customers a £50 credit for the outage, where is it?",
    ),
    (
        "giveaway or prize",
        "You are our 1,000,000th visitor! Spin the wheel to win a Dapplewood sofa: "
        "dapplewood-spin.win",
        "Spent an hour on the Dapplewood site, the sofa page just spins, I can't pay",
    ),
    (
        "speaks as support",
        "@mike_t We see you're having trouble with your Coinwharf withdrawal. Please validate your "
        "wallet through our secure portal: coinwharf-validate.app",
        "@Coinwharf I see your app is having trouble again, my withdrawal is stuck",
    ),
    (
        "asks for credentials",
        "Hi @kirra, Emberfall Support here. Ban appeals are now handled by our ticket bot, open a "
        "ticket with your account login: discord.gg/emberfall-appeals",
        "@Emberfall my account login keeps failing after the update, I can't open a ticket either",
    ),
    (
        "investment scam",
        "Paid off my car in 3 months with crypto mining investment, $300 minimum, daily returns. "
        "Message Mr. Alvarez",
        "@Vaultey the minimum deposit for the ISA is £500? Your site said £100",
    ),
    (
        "investment scam",
        "Thanks to my coach I now earn 8% daily on my Coinvault balance. I trade with expert Mike, "
        "message him on Instagram @coach_fx_mike",
        "@Coinvault savings rate dropped to 3% a year, I'm moving my money elsewhere",
    ),
    (
        "recovery testimonial",
        "Big thanks to @cyber_retrieve_team, they traced and recovered my stolen Coinwharf "
        "bitcoin in 3 days. Contact them and thank me later",
        "Coinwharf support finally recovered my account after two weeks, thank you",
    ),
    (
        "refers to a private helper",
        "Lost money to a fake trading site? A certified fund recovery specialist got it all back. "
        "Email recoverypro@cyberfix-mail.example",
        "@Fundara I emailed complaints@fundara.example twice about my missing transfer, no answer",
    ),
    (
        "loan bait",
        "Turned down by Fundara? Bad credit OK, we approve 98% of applicants. Text LOAN to 55501",
        "Fundara turned down my loan because of bad credit from 2019. Seriously?",
    ),
    (
        "adult or dating bait",
        "Sugar daddy here 💰 looking for a sweet girl to spoil, $1,500 weekly allowance. Text me",
        "Lumora Pay froze my account for a week and my rent is due, this is no allowance",
    ),
    (
        "self-promotion",
        "I review every Munchly menu item on my channel, 200+ videos so far! Don't forget to "
        "subscribe 🙏",
        "Subscribed to Munchly Plus and the delivery fee still shows up on every order",
    ),
    (
        "plugs own page",
        "Why pay Mossmark prices? I sell the same candles, half the price on my Etsy, link in bio",
        "Mossmark candles are nice but I make my own now, cheaper",
    ),
    (
        "comment spam",
        "Very informative! I also run a travel blog with honest Jetmarrow reviews, do visit and "
        "leave your thoughts: tomtravels.blog",
        "Very informative thread about the Jetmarrow lounge closures, thanks to everyone posting",
    ),
    (
        "keyword stuffing",
        "Coinwharf login, Coinwharf sign in, Coinwharf app download, Coinwharf password reset, "
        "full guide: coinguide.info",
        "Coinwharf app crashed, Coinwharf website down, Coinwharf helpline busy. What now?",
    ),
    (
        "fake engagement for sale",
        "Glowra testers wanted 💄 we send free products, you post a review, keep the product and "
        "get $30. Apply: glowra-testers.example.co",
        "Loving the Glowra serum, left a 5-star review because it genuinely works",
    ),
    (
        "collab bait",
        "Hi babe! We saw your profile and think you'd be a great Luxeline brand ambassador 💕 50% "
        "off + commission. DM @luxeline.team to accept!",
        "Joined the Luxeline ambassador scheme last year and they still owe me my commission",
    ),
    (
        "cheat tool or modded app",
        "Questrune hack unlimited gems 💎 tested today, download the mod in bio",
        "@Questrune someone in my clan got banned for a mod they didn't even install",
    ),
    (
        "risky payment terms",
        "Cheap Pixelharbor Premium accounts, 1 year $9.99, warranty included. Payment crypto / "
        "gift cards",
        "@Pixelharbor why does Premium cost $9.99 a month now? It was $4.99 a year ago",
    ),
    (
        "earnings claim",
        "Open a Brambank account with my code and get $100 free! I've earned over $2,000 from "
        "referrals, it's free money #sidehustle",
        "@Brambank my friend used my code and neither of us got the $100 referral bonus",
    ),
    (
        "money mule or task scam",
        "Earn between $80 and $350 a day: complete 40 product orders daily, commission on every "
        "order. Reply 'YES' to receive the link",
        "@Kindlecart I placed 3 orders today and every one of them got cancelled",
    ),
]


@pytest.mark.parametrize(
    ("signal", "spam", "customer"), FAMILIES, ids=[f[1][:40] for f in FAMILIES]
)
def test_family_rule_catches_its_spam(signal: str, spam: str, customer: str) -> None:
    verdict = spam_verdict(spam)
    assert signal in verdict.signals, verdict
    assert verdict.spam, verdict


@pytest.mark.parametrize(
    ("signal", "spam", "customer"), FAMILIES, ids=[f[2][:40] for f in FAMILIES]
)
def test_family_look_alike_stays_out_of_spam(signal: str, spam: str, customer: str) -> None:
    assert not spam_verdict(customer).spam, spam_verdict(customer)


# --- the brand's name used for something else: more shapes -------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Storm Zentel brought down power lines across the north last night",
        "Zentel Elementary PTA bake sale on Friday, bring nut-free treats",
        "Zentel High's football team won the county final 21-7",
        "The fishing vessel Zentel was towed back to harbour, all crew safe",
        "DJ Zentel on the decks at the Warehouse this Saturday",
        "Zentel by R.J. Keane is book 2 in the trilogy and I loved it",
        "Detective Inspector Ana Zentel said the inquiry is ongoing",
        "Zentel turned 4 today 🐶 she had a pup cup and zero manners",
        "Happy birthday Zentel! my baby girl is 5 today 💕",
        "Zentel bypass closed again after the landslip",
        "Mount Zentel is covered in snow this morning",
    ],
)
def test_more_shapes_of_the_brands_name_used_for_something_else(text: str) -> None:
    verdict = spam_verdict(text, ZENTEL)
    assert "brand name used for something else" in verdict.signals
    assert verdict.spam


@pytest.mark.parametrize(
    "text",
    [
        "The storm knocked out my Zentel broadband for two days",
        "Zentel high prices again, £45 a month for 30Mb",
        "My daughter turned 16 today and Zentel still won't let me add her to my plan",
        "Happy birthday to me, Zentel cut my internet off",
        "Zentel turns 10 today and the app is still this slow",
        "Councillor Jones says Zentel must fix the mast on the estate",
        "The Zentel ship date for the new router slipped again",
    ],
)
def test_the_brand_next_to_the_new_shape_words_is_not(text: str) -> None:
    assert "brand name used for something else" not in spam_verdict(text, ZENTEL).signals


# --- speed without changing a verdict ----------------------------------------------------------


def test_fast_search_finds_what_re_search_finds() -> None:
    """`compile_search` drops leading `\\b`s and looks for opening words with `str.find`; it must
    answer exactly as `re.search` for every rule's pattern, on short and long texts."""
    texts = [text.lower() for text in _tuning_texts()]
    texts += [text.lower() for family in FAMILIES for text in family[1:]]
    patterns = [rule.pattern for signal in SIGNALS for rule in signal.rules if rule.pattern]
    assert len(patterns) > 150
    for pattern in patterns:
        fast, slow = compile_search(pattern), re.compile(pattern)
        for text in texts:
            assert fast(text) == (slow.search(text) is not None), (pattern, text)


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        (r"\bfree\s+gift", "carefree free gift", True),  # a match inside a word, then a real one
        (r"\bfree\s+gift", "carefree gift", False),
        (r"\b(?:on|in) my (?:shop|store)\b", "sold in my shop", True),
        (r"\b(?:on|in) my (?:shop|store)\b", "within my shop", False),
        (r"\b#ad\b|\bsponsored\b", "great stuff #ad", False),  # "\b" before "#" needs a word
        (r"\b#ad\b|\bsponsored\b", "great stuff x#ad", True),
        (r"[$£€]\s?\d+ minimum\b", "a $300 minimum", True),
        (r"%(?<=\d%) off\b", "50% off today", True),
        (r"%(?<=\d%) off\b", "lots% off", False),
    ],
)
def test_fast_search_edge_cases(pattern: str, text: str, found: bool) -> None:
    assert compile_search(pattern)(text) is found
    assert (re.search(pattern, text) is not None) is found
    long_text = "filler words here. " * 200 + text + " and more filler. " * 200
    assert compile_search(pattern)(long_text) is found


def test_hosts_are_found_as_a_whole_text_search_finds_them() -> None:
    for text in _tuning_texts():
        low = text.lower()
        assert _hosts(low) == tuple(a or b for a, b in _LINK.findall(low)), text


def test_a_score_short_of_spam_is_not_discounted() -> None:
    # Below the threshold a discount cannot change the verdict, so it is not looked for: the
    # score is the signals' weight. At the threshold and above, the discounts apply.
    below = spam_verdict("@Fundara beware, your app says 'click the link' and nothing happens")
    assert below.signals == ("call to act now",)
    assert below.score == 1.0
    assert not below.spam


def test_a_score_far_above_the_threshold_is_not_discounted() -> None:
    # 5.5, in the voice of support (no complaint discount): even less the warning discount
    # (1.5) it stays spam, so the searches for the discounts are spared.
    text = (
        "Beware of delays! Kestrel Support here. Please DM your card number and PIN, or message "
        "our team on WhatsApp +44 7700 900123 for an instant refund"
    )
    verdict = spam_verdict(text)
    assert verdict.spam
    assert verdict.signals == ("asks for credentials", "off-platform contact", "speaks as support")
    assert verdict.score == 5.5
    # Just above the threshold, the warning discount is looked for and applies.
    near = spam_verdict("Beware of this scam: get a free iPhone: orbicell-winner.claim-now.info")
    assert not near.spam
    assert near.score < SPAM_THRESHOLD


def test_the_question_check_answers_as_its_patterns_do() -> None:
    """question.py searches its asking phrases fast and reads "a '?' after three words of a
    sentence" without the backtracking pattern; both must answer as the patterns do."""
    from mentionwatch.classify import question

    texts = [*_tuning_texts(), "?", "a b?", "a b c?", "one two. three?", "x\ny z w?", "hi. ?"]
    for text in texts:
        assert question._asks_in_a_sentence(text) == bool(
            question._QUESTION_SENTENCE.search(text)
        ), text
        assert question._asks_with_a_phrase(text.lower()) == bool(
            question._ASKING_PHRASE.search(text)
        ), text
