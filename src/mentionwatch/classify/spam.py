"""Spam and noise: money and giveaway scams, fake support, cheats, link farms, crypto pumps.

Rule-based and tuned for precision: hiding a real complaint is worse than showing a spam post,
so one weak signal never makes a post spam. Each signal has a weight; a post is spam when the
weights reach `SPAM_THRESHOLD`. Every signal that fired is kept, so a person can see why (and
correct it with `mentionwatch notspam ID`). Pure functions, no I/O.

Two discounts protect real customers:

- a *complaint cue* in the customer's own voice ("my refund", "still waiting", "never
  arrived") takes `COMPLAINT_DISCOUNT` off, unless the post speaks as the brand's support
  (apologises "for the inconvenience", asks for a PIN or a password): fake support replies
  talk about refunds too;
- a *scam warning* ("beware of fake accounts", "is this really you?", "we will never DM you")
  takes `WARNING_DISCOUNT` off: a customer reporting a phishing link or a fake support account,
  or a brand warning its customers, is not spamming.

The discounts are only looked for when they can change the verdict: not below the threshold,
nor so far above it that both together would leave the post spam. The score is the signals'
weight less the discounts found.

When the rules do not call a post spam, the learned model (`spam_model`) reads it: words,
word pairs, shapes and which signals fired. It makes the post spam when its probability
reaches the threshold chosen by cross-validation, unless the post warns about or reports a
scam; its explanation joins the signals (`model 0.93: "whatsapp", "dm me", <money>`).

Speed: most posts have no spam cue at all. A signal is a few small rules, each a pattern or a
function: a post is split into lower-case ASCII words with one `bytes.translate` and one
`split`, and a pattern runs only when the post holds the words a match of it needs. Those are
read from the pattern itself (`patterns.words_needed`), branch by branch: "\\bsupport team
here\\b" runs on a post with "support" and "here", not on every post that says "support". A
function rule runs on the words written with it, or on a link or a crowd of tags. A post with
no such word costs about a microsecond. A pattern is searched with `compile_search`, which
finds the words a match must open with by `str.find` first: a regex led by `\\b` would
otherwise be tried at every position, tens of microseconds a rule on a 500-word post.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from mentionwatch.classify.hosts import TLDS
from mentionwatch.classify.other_use import CUE_WORDS as _OTHER_USE_WORDS
from mentionwatch.classify.other_use import other_use_matcher
from mentionwatch.classify.patterns import branches_of, compile_search, words_needed, words_of
from mentionwatch.classify.spam_model import explanation, load_model, text_logit, worth_reading
from mentionwatch.classify.spam_model import features as model_features

SPAM_THRESHOLD = 2.0

#: Taken off the score when the customer names their own problem (not when posing as support).
COMPLAINT_DISCOUNT = 1.0
#: Taken off the score when the post warns about a scam or asks whether something is genuine.
WARNING_DISCOUNT = 1.5


class _Post(NamedTuple):
    """One post as the rules read it. A named tuple, as it is built for nearly every post: in
    less than half the time of a frozen dataclass."""

    text: str  # as written
    low: str  # lower-cased
    hosts: tuple[str, ...]  # the host of every link, lower-case, without "www."
    #: Whether the text uses the brand's name for something else (for the brand's terms).
    other_use: Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """One way a signal fires. `test` runs only when the post has one of `words` (lower-case
    ASCII words), and one of `and_words` when given, and one of the characters `chars` when
    given; a rule with `on_link` also runs whenever the post has a link (and one of `chars`
    when given: they hold for every gate of a rule, see `rule_verdict`). A rule written as a
    pattern (`_re`) runs on the words read from its pattern instead (see `_gates`): its
    `words` say what it is about, and would serve a branch whose words cannot be read
    (tests/test_patterns.py keeps there being none)."""

    words: frozenset[bytes]
    test: Callable[[_Post], bool]
    and_words: frozenset[bytes] = frozenset()
    chars: str = ""
    on_link: bool = False
    #: Also runs whenever the post is crowded with tags (`_crowded`): "@x @x @x", "#a #b #c".
    on_tags: bool = False
    #: The pattern `test` searches the lower-cased text for, when it is one (`_re`).
    pattern: str = ""


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    weight: float
    rules: tuple[Rule, ...]
    #: The post speaks as the brand's support: the complaint discount does not apply.
    as_support: bool = False

    def fires(self, post: _Post) -> bool:
        """Whether any rule matches, ignoring the word gate (the gate only skips rules that
        cannot match)."""
        return any(rule.test(post) for rule in self.rules)


def _words(words: str) -> frozenset[bytes]:
    return frozenset(w.encode() for w in words.split())


def _names(names: str) -> frozenset[str]:
    return frozenset(names.split())


# --- searching ----------------------------------------------------------------------------------


def _search(pattern: str) -> Callable[[_Post], bool]:
    """A test that searches the post's lower-cased text for `pattern`, compiled on its first
    use: a process that classifies a few posts compiles only the patterns they reach."""
    found: Callable[[str], bool] | None = None

    def test(post: _Post) -> bool:
        nonlocal found
        if found is None:
            found = compile_search(pattern)
        return found(post.low)

    return test


def _search_linked(pattern: str) -> Callable[[_Post], bool]:
    """`_search` on a post with a link only (where the pattern asks for one, most posts are
    spared the search)."""
    found = compile_search(pattern)

    def test(post: _Post) -> bool:
        return bool(post.hosts) and found(post.low)

    return test


_FOLLOWER_COUNT = re.compile(
    r"(?:(?<=accounts with )|(?<!with )(?<!has )(?<!have )(?<!had )(?<!over ))"
    r"\b\d+k\+? (?:real |active )?(?:followers|likes|subscribers|views)\b"
)
_ANY_FOLLOWER_COUNT = compile_search(
    r"k\+? (?:real |active )?(?:followers|likes|subscribers|views)\b"
)


def _offers_a_follower_count(post: _Post) -> bool:
    # The pattern opens with look-behinds, which leave `re` nothing to scan for: a cheaper
    # search for what must be in any match comes first.
    return _ANY_FOLLOWER_COUNT(post.low) and _FOLLOWER_COUNT.search(post.low) is not None


def _re(words: str, pattern: str, *, and_words: str = "", chars: str = "") -> Rule:
    return Rule(_words(words), _search(pattern), _words(and_words), chars, pattern=pattern)


# --- links --------------------------------------------------------------------------------------

# Bare domains ("claim-now.info", "youtube.com/@x") need a known top-level domain (`TLDS`).
_BARE_HOST = rf"\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{TLDS})\b(?![.\w-])"
_LINK = re.compile(rf"(?:https?://|\bwww\.)(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{{2,}})|({_BARE_HOST})")
# A cheap test before `_LINK`: a dot followed by two letters, or one of these words.
_DOMAINISH = re.compile(r"\.[A-Za-z]{2}")
_LINK_WORDS = _words("http https www")

_SHORTENERS = _names(
    "bit.ly tinyurl.com goo.gl cutt.ly rb.gy is.gd shorturl.at ow.ly tiny.cc bit.do s.id "
    "t.ly shorturl.com"
)  # not t.co: every tweet with a picture has one
# Cheap or free top-level domains that scams favour; a brand's own site rarely uses them.
_SUSPICIOUS_TLDS = _names(
    "xyz top win info biz click loan icu buzz rest cam bid gq tk ml cf ga work vip sbs cfd "
    "cyou monster lol pw su shop online site club fun support gift ltd help claims cash money bet"
)
# Words that look-alike scam domains glue to a brand name with hyphens.
_LURE = re.compile(
    r"free|gift|claim|reward|prize|winner|win|verify|secure|login|signin|account|support|"
    r"help|premium|deal|bonus|promo|official|cheap|offer|giveaway|voucher|refund|4u|now|"
    r"crack|hack|gold|gems|coins|cash|money|earn|pay|bill|credit|restore|unlock|device|check|"
    r"sync|wallet|drop|spin|storage|tester|remote|redeliver|delivery|parcel|track|recover|appeal|"
    r"unban|jobs|careers|ambassador|portal|alert|update|refer"
)
_OFF_PLATFORM_HOSTS = frozenset(("wa.me", "t.me", "chat.whatsapp.com", "telegram.me"))


_DOT_LETTER = re.compile(r"\.[a-z]")
_NOT_SPACE = re.compile(r"[^ \t\n\r]*")


def _hosts(low: str) -> tuple[str, ...]:
    """The host of every link. A host never spans a space and always has a dot followed by a
    letter, so `_LINK` only looks at the runs of text around such dots (on a long post, a
    search of the whole text costs a hundred times more)."""
    hosts: list[str] = []
    end = 0
    for dot in _DOT_LETTER.finditer(low):
        if dot.start() < end:
            continue  # in the run already searched
        start = max(low.rfind(" ", 0, dot.start()), low.rfind("\n", 0, dot.start()))
        start = max(start, low.rfind("\t", 0, dot.start()), low.rfind("\r", 0, dot.start())) + 1
        run = _NOT_SPACE.match(low, dot.start())
        end = run.end() if run else len(low)
        hosts.extend(a or b for a, b in _LINK.findall(low, start, end))
    return tuple(hosts)


def _link_rule(test: Callable[[tuple[str, ...]], bool]) -> Rule:
    return Rule(frozenset(), lambda post: test(post.hosts), on_link=True)


def _crowded(text: str) -> bool:
    """Enough "@", "#" or "," for the tag and list rules to be worth a look (a cheap count)."""
    return (
        text.count("@") >= 3 or text.count("#") >= 5 or text.count(",") >= 3 or text.count("|") >= 3
    )


_TAG = re.compile(r"[#@]?\w+")
_REPEATED_MENTION = re.compile(r"(@\w+)(?:\W+\1\b){2,}")


def _only_tags(post: _Post) -> bool:
    """The same account tagged three times, or a post that is mostly hashtags."""
    if _REPEATED_MENTION.search(post.low):
        return True
    if post.low.count("#") < 5:
        return False  # not enough hashtags to count the words for
    words = _TAG.findall(post.low)
    tags = sum(1 for word in words if word[0] == "#")
    return tags >= 5 and tags >= 0.7 * len(words)


#: The first word of each part of a list ("a, b, c", "a | b | c").
_OPENER = re.compile(r"[,;|•\n—–][^\w,;|•\n—–]*(\w+)")
_FIRST_OPENER = re.compile(r"[^\w,;|•\n—–]*(\w+)")
#: Words that open a list of a customer's grievances ("the app, the site, the helpline, ...").
_LIST_WORDS = _names(
    "the and but then you your our my his her its their this that these those not no all "
    "also with for from was were has have had who why how what when still"
)


def _repeated_openers(post: _Post) -> bool:
    """A list of search phrases that all start with the same word ("Acme router login, Acme
    router setup, Acme wifi reset, ..."): text written for a search engine, not a reader."""
    openers: dict[str, int] = {}
    opening = _FIRST_OPENER.match(post.low)
    for first in (opening.group(1) if opening else "", *_OPENER.findall(post.low)):
        if len(first) > 2 and first not in _LIST_WORDS:
            count = openers[first] = openers.get(first, 0) + 1
            if count >= 4:
                return True
    return False


_HELPLINE_WORDS = re.compile(r"\b(?:help ?line|care (?:number|no)|support number|toll[- ]free)\b")


def _stuffed_with_helplines(post: _Post) -> bool:
    """Helpline words four times or more (counted only when they might be: a long post)."""
    low = post.low
    if low.count("help") + low.count("care n") + low.count("support n") + low.count("toll") < 4:
        return False
    return len(_HELPLINE_WORDS.findall(low)) >= 4


def _look_alike(hosts: Iterable[str]) -> bool:
    """A hyphenated host with a lure word ("brand-secure-verify.co") or two hyphens."""
    for host in hosts:
        name = host.rsplit(".", 1)[0]
        if "-" in name and (name.count("-") >= 2 or _LURE.search(name)):
            return True
    return False


# --- asking for credentials ---------------------------------------------------------------------

_ASK_VERBS = (
    "dm pm send share provide give tell message inbox text email confirm enter include with"
)
_SECRETS = (
    "pin pins password passwords passcode passcodes login log card cvv cvc security code otp "
    "seed recovery private banking credentials"
)
_CREDENTIAL_ASK = re.compile(
    r"\b(?:dm|pm|send|share|provide|give|tell|message|inbox|text|email|confirm|enter|"
    r"include|with)(?:\s+(?:us|me|our team|the team|an agent))?"
    r"(?:\s+(?:via|in|by)\s+(?:dm|pm|private message|direct message))?\s+(?:your|ur)\s+"
    r"(?:[\w-]+,?\s+){0,4}?"
    r"(?:pins?(?! pad| machine| reader| terminal)|passwords?|passcodes?|login (?:email|details|"
    r"credentials|info)|log-?in details|(?:debit |credit )?card (?:number|details|no|info|pin)|"
    r"cvv|cvc|security (?:code|number)|(?:one[- ]time|verification|2fa|otp|sms) (?:code|"
    r"passcode|password|pin)|otp|seed phrase|recovery phrase|private key|online banking "
    r"(?:details|login|password)|banking (?:login|password)|(?:account )?credentials"
    r"|account log-?in(?=\s*[:—–(]))\b"
)
_ANY_CREDENTIAL_ASK = compile_search(_CREDENTIAL_ASK.pattern)
# Earlier in the same sentence, words of a warning ("never share your PIN"), of a report ("they
# asked me to send your card details", "the app says 'enter your verification code'") or of a
# customer's own question ("where do I enter your code?"): not a request.
_CREDENTIAL_GUARD = re.compile(
    r"\b(?:never|not|don'?t|do not|won'?t|will not|shouldn'?t|should not|no one|nobody|avoid|"
    r"asked|asks|asking|told|tells|wants?|wanted|tried|trying|says|said|saying|prompt\w*|"
    r"screen|pretend\w*|fake|scam\w*|where|how|why|i|i'm|i've|i'd)\b|[\"“‘]|(?:^|\s)'"
)


def _asks_for_credentials(post: _Post) -> bool:
    low = post.low
    if not _ANY_CREDENTIAL_ASK(low):
        return False  # the common case, found fast; then each request is read in its sentence
    for match in _CREDENTIAL_ASK.finditer(low):
        at = match.start()
        start = max(
            low.rfind(".", 0, at),
            low.rfind("!", 0, at),
            low.rfind("?", 0, at),
            low.rfind("\n", 0, at),
        )
        if not _CREDENTIAL_GUARD.search(low, start + 1, at):
            return True  # the sentence so far neither warns nor reports
    return False


# --- the signals --------------------------------------------------------------------------------

_AMOUNT = r"[$£€₹₦₱]\s?\d[\d,.]*k?\+?"
_PERIOD = (
    r"(?:(?:a|an|per|/|every|each|last|this|in a|in one)\s*(?:day|week|wk|month|hour|hr|night)\b"
    r"|daily\b|weekly\b|monthly\b|hourly\b|nightly\b)"
)
_MONEY = "$£€₹₦₱"

SIGNALS: tuple[Signal, ...] = (
    # "I made $10,000 a week", "earn £500 daily": money per period, whoever says it.
    Signal(
        "earnings claim",
        1.0,
        (
            _re(
                "earn earns earned earning make makes making made",
                rf"\b(?:earn|earns|earned|earning|make|makes|making|made)\s+"
                rf"(?:up to |over |at least |about |around |an? extra )?{_AMOUNT}\s*{_PERIOD}",
                chars=_MONEY,
            ),
            # "I've already made $1,400 from referrals"
            _re(
                "made earned making earning",
                rf"\b(?:made|earned|making|earning)\s+(?:over |more than )?{_AMOUNT}\s+(?:from|with|"
                rf"through|off|by)\s+(?:\w+\s+)?(?:referrals?|referring|invit\w+|my (?:link|code))\b"
                rf"|\b(?:i|i've|i have|ive)\s+(?:already\s+|just\s+)?(?:made|earned)\s+(?:over |more "
                rf"than )?{_AMOUNT}\s+(?:in (?:just )?(?:\d+|one|two|three|a) (?:days?|weeks?|hours?)|"
                rf"(?:just )?(?:by|from) (?:doing|using|following|sharing|posting|trading|investing))",
                chars=_MONEY,
            ),
        ),
    ),
    # The same with no subject, as an offer: "Earn $500/day", "you can make £300 a week".
    Signal(
        "earn-money offer",
        1.0,
        (
            _re(
                "earn make",
                rf"(?:^|[.!?:;\n]|[^\w\s,'’\"‘“])\s*(?:earn|make)\s+(?:up to |over |at least )?"
                rf"{_AMOUNT}\s*{_PERIOD}",
                chars=_MONEY,
            ),
            # "earn $200-$500 per day", "earn from $80 to $350 daily"
            _re(
                "earn make",
                rf"\b(?:earn|make)\s+(?:between |from )?{_AMOUNT}\s*(?:-|–|to|and)\s*{_AMOUNT}\s*"
                rf"{_PERIOD}",
                chars=_MONEY,
            ),
            _re(
                "earn make",
                rf"\b(?:you|anyone|everyone)\s+(?:can|could|will|'ll)\s+(?:easily\s+)?(?:earn|make)"
                rf"\s+(?:up to |over )?{_AMOUNT}",
                chars=_MONEY,
            ),
            # "Get paid to test apps, $25 per test"
            _re(
                "paid",
                rf"\bget paid (?:to|for)\b[^.!?\n]{{0,40}}{_AMOUNT}|{_AMOUNT}\s*(?:per\b|/|for "
                rf"(?:every|each)\b)\s*(?:\w+\s+)?(?:test|review|task|survey|post|video|click|like)\b",
                chars=_MONEY,
            ),
            # "Part time job, ₹3000-₹8000/day", "recruiting online assistants, $400/week"
            _re(
                "job jobs recruiting hiring assistant assistants",
                rf"\b(?:part[- ]time|online|remote|home|easy) (?:jobs?|work|assistants?)\b"
                rf"[^\n]{{0,60}}{_AMOUNT}(?:\s*-\s*{_AMOUNT})?\s*{_PERIOD}"
                rf"|\brecruiting\b[^\n]{{0,60}}{_AMOUNT}\s*{_PERIOD}",
                chars=_MONEY,
            ),
            # "between $80 and $350 a day", "$2,000 weekly allowance", "$2,800/month + bonuses"
            _re(
                "between allowance income bonuses bonus commission guaranteed",
                rf"\bbetween {_AMOUNT}\s*(?:and|-|to)\s*{_AMOUNT}\s*{_PERIOD}"
                rf"|{_AMOUNT}\s*{_PERIOD}\s*(?:\+\s*|plus\s+)?(?:allowance|income|bonus(?:es)?|"
                rf"commission|guaranteed)\b",
                chars=_MONEY,
            ),
        ),
    ),
    Signal(
        "get-rich pitch",
        1.0,
        (
            _re("ask", r"\bask me how\b"),
            _re("make", r"\bmake \${2,}", chars="$"),
            _re("trick", r"\bthis one (?:simple |weird |easy )?trick\b"),
            _re("experience", r"\bno experience\b"),
            _re("home", r"\b(?:work|working) from home\b|\bfrom (?:the comfort of )?your home\b"),
            _re("phone couch sofa", r"\bfrom (?:the comfort of )?your (?:phone|couch|sofa)\b"),
            _re(
                "passive freedom hustle rich",
                r"\bpassive income\b|\bfinancial freedom\b|\bside hustle\b|\bget rich\b",
            ),
            _re(
                "double guaranteed",
                r"\bdouble your (?:money|income)\b|\bguaranteed (?:returns?|profits?|income)\b",
            ),
            _re("forex binary signals", r"\bforex\b|\bbinary options\b|\b(?:trading|my) signals\b"),
            _re("hiring", r"\bhiring now\b"),
            _re(
                "money cash",
                r"\b(?:make|making|earn|earning) (?:money|cash) (?:online|fast|from)\b"
                r"|\b(?:easy|quick|fast|extra) (?:money|cash)\b",
            ),
            _re("credit", r"\bno credit checks?\b"),
            # "$300 minimum", "minimum deposit": the terms of an offer (a bank's too, so 1.0 only)
            _re(
                "minimum",
                r"[$£€]\s?\d[\d,]* minimum\b|\bminimum (?:deposit|investment)\b",
            ),
            _re(
                "students housewives moms mums parents home welcome",
                r"\b(?:students|housewives|moms|mums|stay[- ]at[- ]home (?:moms|mums|parents)) "
                r"(?:welcome|wanted|can (?:apply|join|do (?:it|this)))\b",
            ),
            _re("free", r"\bfree money\b"),
            # "DM me 'START'", "comment "MONEY"": a keyword that starts a bot conversation.
            _re(
                "dm text inbox comment message",
                r"\bdm me to (?:start|join|learn|earn)\b"
                r"|\b(?:dm|text|inbox|comment|message)(?: me| us)? ['\"‘“]\w+['\"’”]",
            ),
            _re(
                "reply type send whatsapp",
                r"\b(?:reply|type|send|whatsapp)(?: me| us)?(?: with)? ['\"‘“]\w+['\"’”]"
                r"(?: to (?:receive|get|start|join|claim))?",
            ),
            # "Text LOAN to 555-0134": a keyword to a number starts a bot's conversation.
            _re("text", r"\btext [a-z]+ to \d{3,}"),
            _re(
                "sidehustle passiveincome freemoney makemoneyonline workfromhome financialfreedom "
                "easymoney extraincome",
                r"#(?:sidehustle|passiveincome|freemoney|makemoneyonline|workfromhome|"
                r"financialfreedom|easymoney|extraincome)\b",
            ),
        ),
    ),
    # The jobs that launder: receive money or parcels and pass them on, or "complete orders" and
    # top up your own wallet. 1.5: a pay figure, a DM or a messenger on top makes it spam.
    Signal(
        "money mule or task scam",
        1.5,
        (
            _re(
                "receive accept funds money payments payment transfers deposits",
                r"\b(?:receive|accept) (?:funds|money|payments?|transfers?|deposits?) (?:into|in|to|"
                r"on|through) your (?:own |personal )?(?:bank )?account\b"
                r"|\bpayment processing (?:agents?|assistants?|jobs?)\b"
                r"|\b(?:receive|accept|process) (?:payments|transfers|funds|money) (?:for|on behalf "
                r"of) (?:our|my|the) (?:company|clients|customers|business)\b",
            ),
            # "Receive parcels at home, relabel and ship", "package handlers from home"
            _re(
                "parcels packages deliveries handler handlers inspector inspectors forwarder "
                "forwarders",
                r"\b(?:receive|accept) (?:\w+ )?(?:parcels|packages|deliveries) (?:at|to) (?:your )?"
                r"(?:home|address|house)\b"
                r"|\b(?:package|parcel) (?:handlers?|inspectors?|forwarders?)\b",
            ),
            # "rent your bank account", "use your account to receive"
            _re(
                "rent lend borrow use",
                r"\b(?:rent|lend|borrow|let (?:us|me) use) (?:us |me )?your (?:\w+ )?(?:bank )?"
                r"(?:account|card)\b",
            ),
            _re(
                "keep forward",
                r"\bforward (?:them|it|the (?:money|funds|rest|balance))\b[^.!?\n]{0,30}\bkeep "
                r"\d+ ?%",
            ),
            _re(
                "reship reships reshipped reshipping reshipper reshippers relabel relabels "
                "relabelled relabeled relabelling relabeling repack",
                r"\breship(?:s|ped|ping|pers?)?\b|\brelabel(?:s|led|ed|ling|ing)?\b"
                r"|\brepack (?:and|&) (?:ship|send)",
            ),
            _re(
                "orders tasks ratings combination top commission",
                r"\b(?:complete|do|submit) \d+ (?:\w+ )?['\"“]?(?:orders|tasks|ratings)\b"
                r"|\bcombination orders?\b|\btop[- ]up from your (?:own )?(?:wallet|account)\b"
                r"|\bcommission (?:on|for) (?:every|each) (?:order|task|rating)\b",
            ),
        ),
    ),
    Signal(
        "giveaway or prize",
        1.5,
        (
            _re(
                "iphone ipad macbook laptop ps5 playstation xbox gift giftcard giftcards voucher "
                "vouchers prize prizes reward rewards giveaway airpods tesla cash flight flights "
                "tickets trip holiday vacation console",
                r"\b(?:free|win|won|get|grab)\s+(?:a |an |your |the |my |one |1 )?(?:brand[- ]new )?"
                r"(?:[\w$£€,.]+\s+){0,4}?(?:iphone|ipad|macbook|laptop|ps5|playstation|xbox|"
                r"gift ?cards?|vouchers?|prizes?|rewards?|giveaway|airpods|tesla|cash|flights?|"
                r"tickets|trip|holiday|vacation|console)\b",
                and_words="free win won get grab",
            ),
            _re("giveaway giveaways give", r"\bgive ?aways?\b"),
            _re(
                "giving",
                r"\bgiving away\b|\b(?:is|are|we're|we are|i'm|i am) giving\s+"
                r"(?:away\s+|every (?:user|customer|subscriber)\s+|all (?:users|customers)\s+)?"
                r"(?:[$£€₹₦]\s?\d|\d|free)"
                r"|\bgiving (?:\w+ ){0,2}?(?:customers|users|members|subscribers|players|"
                r"followers|holders) (?:an? )?(?:[$£€₹₦]\s?\d|free)",
            ),
            # "get $200 free"
            _re("free", r"\bget [$£€₹₦]\s?\d[\d,]* free\b", chars=_MONEY),
            # "you are our 1,000,000th visitor", "spin the wheel to win"
            _re(
                "visitor shopper customer user wheel",
                r"(?:th|st|nd|rd)(?<=\d\w\w) (?:visitor|shopper|customer|user)\b"
                r"|\bspin (?:the|our|a) (?:prize )?wheel\b",
            ),
            # "claim 50GB extra free as a loyal customer"
            _re("loyal valued", r"\bas a (?:loyal|valued) (?:customer|user|member|subscriber)\b"),
            _re("life", r"\bfree\b[^.!?\n]{0,40}\bfor life\b"),
            _re("gb mb data", r"\bfree \d+ ?(?:gb|mb)\b"),
            _re(
                "selected chosen won",
                r"\byou(?:'ve| have)? (?:been (?:randomly )?(?:selected|chosen)|won)\b"
                r"|\bselected (?:winners?|customers?|users?)\b",
            ),
            _re(
                "congratulations lucky",
                r"\bcongratulations,? you\b|\blucky (?:winners?|customers?)\b",
            ),
            _re(
                "claim",
                r"\bclaim your (?:\w+ ){0,2}(?:prize|reward|gift|bonus|package|voucher|refund|"
                r"compensation|payout|cashback)",
            ),
            _re(
                "collect redeem",
                r"\b(?:collect|redeem) your (?:free )?(?:\w+ ){0,2}(?:prize|reward|gift|bonus|"
                r"voucher|payout|cashback|winnings)\b",
            ),
        ),
    ),
    # A call to act: on its own the stuff of ordinary adverts, it only adds up.
    Signal(
        "call to act now",
        1.0,
        (
            _re("click", r"\bclick (?:the |this |my |on the )?(?:link|here|below)\b"),
            _re("link", r"\blink in (?:my |the )?bio\b|\b(?:tap|visit|open) (?:the |this )?link\b"),
            _re("claim", r"\bclaim (?:it|now|here|yours|your|before|today|fast|\d)"),
            _re(
                "people customers users followers members subscribers",
                r"\bfirst \d[\d,]*\s+(?:people|customers|users|followers|members|subscribers)\b",
                and_words="first",
            ),
            _re(
                "midnight gone late ends runs anyone stock",
                r"\bbefore (?:midnight|it'?s (?:gone|too late)|the offer ends|time runs out|anyone "
                r"else|they'?re gone|stock runs out)\b",
                and_words="before",
            ),
            _re(
                "share",
                r"\bshare (?:this |it )?(?:with|to) (?:\d+|ten|five|all your|your) (?:\w+ )?(?:friends|"
                r"groups|contacts|chats)\b"
                r"|\bshare (?:&|and) (?:click|claim|follow|win)\b",
            ),
            _re(
                "follow share retweet rt",
                r"\b(?:like|follow),? (?:share|follow|retweet|rt)\b|\bfollow,? like\b",
            ),
            _re(
                "limited act hurry spots slots order only",
                r"\blimited (?:time|spots|offer|slots|stock)\b|\bact (?:now|fast)\b|\bhurry\b"
                r"|\bonly \d+ (?:spots|slots)\b|\border now\b"
                r"|\b(?:this week|today|this weekend|24 hours|48 hours) only\b",
            ),
            _re("dm", r"\bjust dm me\b|\bdm me (?:now|for|to|today)\b"),
            # A finger pointing at a link.
            Rule(
                frozenset(),
                _search(rf"(?:👉|⬇️|⬇|👇|→)\s*(?:https?://|www\.|{_BARE_HOST})"),
                on_link=True,
            ),
            _re("link", r"(?:👉|⬇️|⬇|👇|→)\s*(?:the )?link\b|\blink\s*(?:👇|⬇️|⬇)"),
        ),
    ),
    # "verify your account here": how phishing asks; a customer says "verify *my* account".
    Signal(
        "verification bait",
        1.0,
        (
            _re(
                "verify verification",
                r"\bverif(?:y|ication of)\s+(?:your|their|ur)\s+(?:\w+\s+)?(?:account|details|"
                r"identity|wallet|info|booking|payment|card|order|parcel|delivery|address)\b"
                r"[^.!?\n]{0,20}(?:here|now|below|link|:|👉|→|\bat\b|\bvia\b)",
            ),
        ),
    ),
    Signal(
        "self-promotion",
        2.0,
        (
            _re(
                "channel stream onlyfans tiktok youtube twitch",
                r"\b(?:check out|subscribe to|follow|visit|watch) my (?:new )?(?:channel|stream|"
                r"onlyfans|tiktok|youtube|twitch)\b",
                and_words="check subscribe follow visit watch",
            ),
            _re(
                "sub sub4sub subforsub follow follow4follow followforfollow f4f l4l s4s",
                r"\bsub ?(?:4|for) ?sub\b|\bfollow ?(?:4|for) ?follow\b|\bf4f\b|\bl4l\b|\bs4s\b",
            ),
            # "don't forget to subscribe", "sub to me, I'll sub back"
            _re(
                "subscribe sub",
                r"\b(?:don[’']?t forget to|make sure (?:to|you)|remember to|like (?:and|&)|hit|smash)"
                r" subscribe\b|\bsub to me\b|\b(?:i'?ll|i will|will) sub back\b",
            ),
        ),
    ),
    # "new video up, go watch and leave a like": a creator's plug; a fan may say it too.
    Signal(
        "creator plug",
        1.0,
        (
            _re(
                "video vlog episode mix watch like comment follow sub soundcloud twitch youtube tiktok "
                "patreon live channel vid vids videos vlogs episodes reel stream podcast subscribe",
                r"\bnew (?:video|vlog|episode|mix) (?:is )?(?:up|out|live)\b|\bgo watch\b"
                r"|\bleave a (?:like|comment|sub)\b|\bdrop a (?:like|follow|sub)\b"
                r"|\bsmash (?:that|the) like\b|\bmy (?:soundcloud|twitch|youtube|tiktok|patreon)\b"
                r"|\blive (?:now )?on twitch\b|\blive now\b[^.!?\n]{0,30}\b(?:twitch|stream)\b"
                r"|\bon my (?:youtube |tiktok |twitch )?channel\b"
                r"|\b(?:go )?check (?:out )?my (?:latest |new )?(?:video|vid|reel|stream|podcast|"
                r"tiktok|vlog)\b|\bsubscribe to my\b"
                r"|\bnew (?:vids?|videos?|vlogs?|episodes?) every\b",
            ),
        ),
    ),
    Signal(
        "crypto pump",
        2.0,
        (
            _re("presale pre", r"\bpre-?sale\b"),
            _re(
                "gem guaranteed potential coin token",
                # (the figure is checked behind the "x": "x" is something to look for)
                r"x(?<=\d\dx)\s+(?:gem|guaranteed|potential|coin|token)\b"
                r"|\b(?:gem|token|coin)\b[^.!?\n]{0,30}\b\d{2,4}x\b",
            ),
            _re(
                "moon moons pump pumps explodes",
                r"\bbuy (?:now )?before (?:it|the price) (?:moons?|pumps?|explodes)\b",
            ),
            _re("bitcoin shiba doge pepe", r"\bnext (?:bitcoin|shiba|doge|pepe)\b"),
            # "$VLTX ... moons": a ticker next to pump words.
            _re(
                "moon moons mooning pump gem presale",
                r"(?:^|\s|\()\$[a-z]{2,6}\b[^.!?\n]{0,60}\b(?:moons?|mooning|pump|presale|gem)\b",
                chars="$",
            ),
            _re(
                "airdrop",
                r"\bairdrop\b[^.!?\n]{0,40}\b(?:claim|token|wallet)\b|\bclaim\b[^.!?\n]{0,30}"
                r"\bairdrop\b|\beligible for (?:the |an |our )?(?:\$?[a-z]{2,6} )?airdrop\b"
                r"|\bairdrop\b[\s\S]{0,200}?\bunclaimed (?:tokens|coins)\b",
            ),
            # "100x incoming", "LP burned", "under 200k mcap", "get in before the listing"
            _re(
                "incoming soon easy minimum listing mcap cap lp nfa",
                r"x(?<=\d\dx) (?:incoming|soon|easy|minimum)\b|\bget in (?:before|early)\b[^.!?\n]{0,30}"
                r"\b(?:listing|launch|pump|moon)\b|\b(?:under|below) \d+k (?:mcap|market cap)\b"
                r"|\blp (?:burned|burnt|locked)\b|\bnfa\b",
            ),
            _re(
                "nft mint minting whitelist",
                r"\bnft (?:drop|collection|mint|sale|presale)\b|\bminting (?:now|is live|soon)\b"
                r"|\bmint (?:price|is live|now|for|\d)|\bwhitelist (?:is )?(?:open|spots?)\b",
            ),
        ),
    ),
    # Posing as the brand's support and asking for a secret: never a customer's words.
    Signal(
        "asks for credentials",
        2.5,
        (Rule(_words(_SECRETS), _asks_for_credentials, _words(_ASK_VERBS)),),
        as_support=True,
    ),
    # "DM us your account number": what a real agent may ask too, so it only adds up.
    Signal(
        "asks for account details in DM",
        1.0,
        (
            _re(
                "dm pm inbox message private direct",
                r"\b(?:dm|pm|inbox|message)(?: us| me)? (?:with )?(?:your|ur) (?:[\w-]+ ){0,3}?"
                r"(?:account (?:number|no)|sort code|bank details|date of birth|phone number|"
                r"mobile number|email address)\b"
                r"|\b(?:your|ur) (?:[\w-]+ ){0,3}?(?:account (?:number|no)|sort code|bank details|"
                r"date of birth)\b[^.!?\n]{0,30}\b(?:in|via|by) (?:a )?(?:dm|pm|inbox|private "
                r"message|direct message)\b",
            ),
        ),
    ),
    # Support that moves the conversation to WhatsApp or Telegram, or a number to text there.
    Signal(
        "off-platform contact",
        2.0,
        (
            _re(
                "whatsapp telegram",
                r"\b(?:contact|call|text|message|dm|reach|chat with|talk to|add|write to|ping)\s+"
                r"(?:us|me|our (?:\w+ )?(?:support|team|agents?|staff|help ?desk|customer (?:care|"
                r"service)|helpline))\b[^.!?\n]{0,40}?\b(?:on|via|at|through|in)\s+(?:our |my )?"
                r"(?:whatsapp|telegram)\b",
            ),
            _re(
                "whatsapp telegram",
                r"\bour (?:support |help )?(?:team|agents?|staff) (?:can|will) (?:call|contact|"
                r"message|text|reach) you (?:on|via) (?:whatsapp|telegram)\b",
            ),
            _re(
                "whatsapp telegram", r"\b(?:whatsapp|telegram)\b[^.!?\n]{0,30}\+?\d[\d\s()-]{7,}\d"
            ),
            _re("whatsapp telegram", r"\bjoin (?:our|my) (?:\w+ )?(?:telegram|whatsapp)\b"),
            _link_rule(lambda hosts: any(h in _OFF_PLATFORM_HOSTS for h in hosts)),
        ),
    ),
    # The voice of a support agent: customers complain, they do not apologise for the delay.
    Signal(
        "speaks as support",
        1.0,
        (
            _re(
                "sorry",
                r"\bwe(?:'re| are| r)? (?:so |very |truly |really |deeply )?sorry\b"
                r"|\bsorry (?:for|about) (?:the|any|this|your) (?:inconvenience|trouble|delay|issue|"
                r"problem|experience|order|ban|outage|disruption|wait|confusion|hassle|"
                r"frustration)\b|\bsorry to hear (?:that|about|this)\b"
                r"|\bso sorry (?:your|that your|you(?:'re| are| have))\b",
            ),
            _re(
                "apologise apologize apologies",
                r"\bwe (?:sincerely )?apologi[sz]e\b|\bapologies for (?:the|any)\b",
            ),
            _re(
                "noticed see saw",
                r"\bwe(?: have|'ve| can)? (?:noticed|see|saw) (?:that )?(?:your|you(?:'re| are| have"
                r"|'ve))\b",
            ),
            # "Emberfall Support here."
            _re("support", r"\bsupport(?: team)? here\s*[.,!:]"),
            # "for faster assistance", "fill out the form", "kindly", "we're here to help"
            _re(
                "assistance support resolution form ticket kindly help assist",
                r"\bfor (?:faster|quick|quicker|immediate|urgent|further|prompt) (?:assistance|"
                r"support|help|resolution)\b|\b(?:fill|complete) (?:out |in )?(?:the|this|our) "
                r"(?:\w+ )?(?:form|ticket)\b|\bopen a (?:support )?ticket\b"
                r"|\bkindly (?:reach|contact|dm|fill|click|visit|send|provide|share|follow)\b"
                r"|\bwe(?:'re| are) (?:here|happy|glad) to (?:help|assist)\b",
            ),
            _re(
                "contact reach message",
                r"\b(?:contact|reach|message) our (?:support|team|agents?|customer (?:care|service)|"
                r"help ?desk|helpline)\b",
            ),
            _re("support care", r"\bour (?:support|customer care|help ?desk) team\b"),
        ),
        as_support=True,
    ),
    Signal(
        "account recovery bait",
        1.5,
        (
            _re(
                "recover unlock restore retrieve",
                r"\b(?:recover|unlock|restore|retrieve) your (?:hacked |lost |stolen |locked "
                r"|suspended |banned )?(?:account|wallet|funds|crypto|money)\b",
            ),
        ),
    ),
    # "install the support tool from ... and share the 9-digit code": remote access to the
    # victim's computer, in the voice of support.
    Signal(
        "remote access bait",
        2.0,
        (
            _re(
                "install download",
                r"\b(?:install|download)\s+(?:the |our |this )?(?:\w+ )?(?:support|remote|"
                r"screen[- ]?sharing|access|help) (?:tool|app|software|client)\b"
                r"|\b(?:install|download|open|run) (?:\w+ ){0,2}?(?:anydesk|teamviewer|quick ?support|"
                r"rustdesk|ultraviewer|screenconnect)\b",
            ),
            _re(
                "access remote session",
                r"\b(?:give|grant|allow) (?:us|our (?:\w+ )?(?:team|technicians?|engineers?|agents?))"
                r" (?:remote )?access to your (?:computer|pc|device|laptop|phone|screen|mac)\b"
                r"|\bremote (?:session|access|assistance) (?:to|so|and) (?:fix|resolve|repair)\b",
            ),
            _re(
                "code digit remotely",
                r"\bshare (?:the|your|that) (?:\d+|six|eight|nine)[- ]digit code\b"
                r"|\b(?:technicians?|engineers?|agents?) can (?:fix|access|repair) (?:it|this|your "
                r"\w+) remotely\b",
            ),
        ),
        as_support=True,
    ),
    Signal(
        "cheat tool or modded app",
        2.0,
        (
            _re(
                "apk apks",
                r"\b(?:cracked|modded|hacked|premium|pro|unlocked|mod|free)\s+(?:\w+\s+)?"
                r"apks?\b|\bapk\s+(?:mod|download|free|cracked)\b",
            ),
            _re(
                "verification survey surveys",
                r"\b(?:no|without) (?:human verification|surveys?)\b|\bhuman verification\b",
            ),
            _re(
                "generator gen adder",
                r"\b(?:gems?|coins?|diamonds?|credits?|robux|v-?bucks|gold|money|points?|skins?|"
                r"followers|likes|lives|spins|tokens?)\s+(?:generator|gen|adder)s?\b",
            ),
            _re("hack hacks", r"\bhacks? (?:tool|apk|download|generator)\b"),
            _re(
                "unlimited",
                r"\bunlimited\s+(?:\w+\s+){0,2}(?:hack|cheat|mod)s?\b"
                r"|\bhacks?\b[^.!?\n]{0,20}\bunlimited\b",
            ),
            _re(
                "mod modded hack hacked cheat",
                r"\b(?:download|get|grab) the mod\b|\bmod (?:in bio|apk|menu)\b"
                r"|\b(?:modded|hacked|cheat) (?:apk|menu|client|version)\b",
            ),
            _re(
                "unban unbans unbanned",
                r"\bunban (?:services?|method|guaranteed)\b|\bget (?:your \w+ )?unbanned\b"
                r"|\bunbans\b",
            ),
        ),
    ),
    # "Premium cracked, all features unlocked": not a broken screen, which is "cracked" too.
    # 1.5: a customer may joke about "a cracked version"; a download link on top makes it spam.
    Signal(
        "cracked software",
        1.5,
        (
            _re(
                "cracked crack",
                r"\b(?:premium|pro|full version|paid|plus)\s+(?:\w+\s+)?cracked\b"
                r"|\bcracked (?:version|app|software|premium|pro|game|account)s?\b"
                r"|\bcrack (?:download|free|version)\b",
            ),
            _re(
                "virus version",
                r"\bno virus\b|\bfull version (?:free|download)\b|\bfree full version\b",
            ),
            _re(
                "unlocked",
                r"\ball (?:premium |pro )?(?:features|levels|skins|items) unlocked\b"
                r"|\b(?:premium|pro) unlocked\b",
            ),
        ),
    ),
    Signal(
        "free in-game currency",
        1.0,
        (
            _re(
                "gems coins diamonds robux vbucks bucks credits skins spins followers likes",
                r"\bfree\s+(?:[\d,.]+k?\s+)?(?:\w+\s+){0,2}?(?:gems|coins|diamonds|robux|v-?bucks|"
                r"credits|skins|spins|followers|likes)\b",
                and_words="free",
            ),
            _re(
                "gems coins diamonds robux vbucks bucks lives",
                r"\bunlimited (?:gems|coins|diamonds|robux|v-?bucks|lives)\b",
                and_words="unlimited",
            ),
        ),
    ),
    Signal(
        "too good to be true",
        1.0,
        (
            _re(
                "100",
                r"\b100% (?:working|legit|real|free|safe|guaranteed)\b|\b(?:working|legit) 100%",
                chars="%",
            ),
            _re(
                "unlimited activation lifetime",
                r"\bunlimited\b[^.!?\n]{0,30}\bfor life\b|\bactivation code sent\b",
            ),
            _re("fake scam", r"\bnot (?:a )?(?:fake|scam)\b"),
            _re("root jailbreak undetected", r"\bno (?:root|jailbreak)\b|\bundetected\b"),
        ),
    ),
    Signal(
        "account or currency selling",
        1.5,
        (
            _re(
                "selling sell wts buy buying cheap",
                r"\b(?:selling|sell|wts|buy|buying|cheap)\s+(?:\w+\s+){0,2}?(?:accounts?|accs?|gold|"
                r"coins|gems|currency|followers|likes|views|boosting|boosts?|items|skins)\b"
                r"|\bselling (?!my )(?:\w+ ){0,2}gift ?cards\b",
            ),
            # "Premium accounts, 1 year $9.99", "lifetime licence keys from $5"
            _re(
                "premium lifetime private shared",
                r"\b(?:premium|lifetime|private|shared) (?:accounts?|subscriptions?|licen[cs]e "
                r"keys?|keys)\b[^.!?\n]{0,30}[$£€₹]\s?\d",
                chars=_MONEY,
            ),
            _re(
                "maxed skins elo rank",
                r"\bmaxed (?:out )?(?:level|lvl|account)|\ball (?:the )?skins\b"
                r"|\b(?:elo|rank) boost(?:ing)?\b",
            ),
        ),
    ),
    Signal(
        "bargain bait",
        1.0,
        (
            _re("cheap", r"\bcheap\W+cheap\b"),
            # (the figures are checked behind the "%": "%" is something to look for)
            _re("cheaper cashback", r"%(?<=\d%) (?:cheaper|cashback)\b", chars="%"),
            _re(
                " ".join(str(n) for n in range(60, 101)),
                r"%(?:(?<=\b[6-9]\d%)|(?<=\b100%)) off\b",
                chars="%",
            ),
            _re("deals", r"\bbest (?:\w+ )?deals\b"),
            _re(
                "sell cheaper",
                r"\b(?:i|we) sell (?:the )?(?:exact )?same\b|\bcheaper (?:on|in|at) my\b",
            ),
            _re(
                "replica replicas wholesale lowest",
                r"\breplicas?\b|\bwholesale\b|\blowest prices?\b",
            ),
        ),
    ),
    # "follow my page": a campaigner may say it too, so it only adds up.
    Signal(
        "plugs own page",
        1.0,
        (
            _re(
                "page profile store shop website blog insta instagram",
                r"\b(?:check out|subscribe to|follow|visit) my (?:page|profile|store|shop|website|blog|"
                r"insta(?:gram)?)\b",
                and_words="check subscribe follow visit",
            ),
            _re(
                "site sites website",
                r"\bvisit (?:my|our) (?:site|website)\b|\bcheck (?:out )?our other sites\b",
            ),
            # "recipes on my page", "I also run a travel blog", "do visit"
            _re(
                "store shop etsy website site page blog channel newsletter visit",
                r"\b(?:on|in|at|from) my (?:store|shop|etsy|website|site|page)\b"
                r"|\bi (?:also )?(?:run|have|write|started) a (?:\w+ ){0,2}?(?:blog|channel|website|"
                r"newsletter)\b|\b(?:do|please|pls) visit\b",
            ),
        ),
    ),
    Signal(
        "promo code bait",
        1.0,
        (
            _re(
                "code referral promo discount",
                r"\buse (?:my )?(?:code|referral)\b|\bmy (?:promo|discount|referral) (?:code|link)\b"
                r"|\breferral link\b",
                and_words="use my referral",
            ),
            # "ref code THRD15", "promo codes 2024 working", "discount codes (updated daily)"
            _re(
                "ref code codes",
                r"\b(?:ref|referral|invite) codes?\b|\b(?:promo|discount|coupon|voucher) codes\b"
                r"|\bcodes? [a-z]*\d+[a-z\d]* for \d+% off\b",
            ),
        ),
    ),
    Signal(
        "adult or dating bait",
        2.0,
        (
            _re("xxx nudes adult onlyfans", r"\bxxx\b|\bnudes\b|\badult content\b|\bonlyfans\b"),
            _re("singles", r"\bhot singles\b|\bsingles (?:near you|in your area)\b"),
            _re("sexy naughty", r"\b(?:sexy|naughty) (?:pics|photos|videos|girls|chat)\b"),
            _re("18", r"\b18\+ (?:content|chat|videos|pics)\b"),
            _re(
                "meet lonely",
                r"\bmeet (?:lonely|local|hot|single|beautiful|sexy) (?:women|girls|singles|men|"
                r"ladies|milfs)\b|\blonely\?",
            ),
            _re(
                "private", r"\b(?:private|spicy|exclusive|naughty) (?:pics|photos|videos|content)\b"
            ),
            _re(
                "sugar pics photos videos content mutually",
                r"\bsugar (?:daddy|daddies|baby|babies|mommy|momma)\b"
                r"|\bmutually beneficial (?:arrangement|relationship)\b"
                r"|\b(?:pics|photos|videos|content) (?:are |is )?(?:too )?(?:spicy|naughty) for\b",
            ),
            _re("bio pics dm", r"\b(?:link in bio|pics|dm me)\b[^\n]{0,20}🔞", chars="🔞"),
            _re(
                "uncensored nsfw lewd",
                r"\b(?:uncensored|nsfw|lewd)\b[^.!?\n]{0,40}\b(?:link in (?:my )?bio|"
                r"my (?:profile|page|bio)|dm me|check (?:out )?my)\b"
                r"|\b(?:link in (?:my )?bio|my (?:profile|page|bio)|dm me|check (?:out )?my)\b"
                r"[^.!?\n]{0,40}\b(?:uncensored|nsfw|lewd)\b",
            ),
        ),
    ),
    # Phishing: an account "suspended", "blocked", a parcel "held", money "owed", and a link or
    # a request to act on it. The lure and the demand each add up.
    Signal(
        "phishing lure",
        1.0,
        (
            _re(
                "suspended blocked flagged locked held expire expires expired deactivated closed "
                "disabled restricted ban",
                r"\b(?:will be|has been|have been|is|are|been|temporarily) (?:permanently )?"
                r"(?:suspended|blocked|flagged|locked|held|deactivated|closed|disabled|restricted)\b"
                r"|\bpermanent ban\b|\bbefore it expires\b|\bheld at customs\b",
            ),
            _re(
                "deleted erased terminated disconnected",
                r"\b(?:will be|is being|are being) (?:permanently )?(?:deleted|erased|terminated|"
                r"disconnected)\b",
            ),
            _re(
                "deliver process delivered processed",
                r"\b(?:could not|couldn[’']?t|was unable to|were unable to|failed to) (?:deliver|process) "
                r"your (?:package|parcel|order|payment|delivery|shipment|bill|invoice|transaction)\b"
                r"|\byour (?:package|parcel|order|shipment|delivery|payment) (?:could not|couldn[’']?t"
                r"|was unable to|cannot) be (?:delivered|processed)\b",
            ),
            # The account security alert: "a new device logged into your account. If this wasn't
            # you, ...", "Dear Acme user,"
            _re(
                "wasn unusual suspicious unauthorised unauthorized unrecognised unrecognized device",
                r"\bif (?:this|it) wasn[’']?t you\b"
                r"|\b(?:unusual|suspicious|unauthori[sz]ed|unrecogni[sz]ed) (?:activity|log-?in|"
                r"sign-?in|access|transaction|payment|device)\b"
                r"|\bnew device\b[^.!?\n]{0,40}\b(?:logged|signed) in",
            ),
            _re(
                "dear", r"^\W*dear (?:valued |esteemed )?(?:\w+ )?(?:user|customer|member|client),"
            ),
            _re(
                "full run",
                r"\byour (?:storage|mailbox|cloud|icloud|inbox) (?:is|has) (?:almost |nearly )?"
                r"(?:full|run out)\b",
            ),
            _re(
                "owed eligible rebate overpayment compensation refund",
                r"\byou (?:are|were|have been) (?:owed|eligible)\b|\b(?:government|energy|tax) rebate\b"
                r"|\bclaim (?:your|the|an?) (?:overpayment|rebate|refund|compensation)\b"
                r"|\b(?:refund|compensation) (?:department|team) *:",
            ),
            # "FINAL NOTICE", "unpaid toll", "avoid suspension", "your payment was declined"
            _re(
                "final last urgent action unpaid outstanding avoid failed declined bounced pending "
                "unclaimed",
                r"\b(?:final|last|urgent) (?:notice|reminder|warning)\b|\baction required\b"
                r"|\bunpaid (?:bill|invoice|toll|balance|fee|charges?|tax)\b"
                r"|\boutstanding (?:balance|payment|fee|amount|toll)\b"
                r"|\bavoid (?:suspension|disconnection|deactivation|late fees?|cancellation|"
                r"termination|penalt\w+)\b"
                r"|\byour (?:last |recent )?(?:payment|direct debit|card) (?:has )?(?:failed|was "
                r"declined|has been declined|bounced)\b"
                r"|\b(?:pending|unclaimed) (?:refund|rebate|reward|compensation|prize|parcel|package|"
                r"delivery|payout)\b",
            ),
        ),
    ),
    Signal(
        "demands action on a link",
        1.0,
        (
            _re(
                "verify re-verify confirm unblock reschedule login log pay update reactivate "
                "register complete resync re-sync validate secure",
                r"\b(?:verify|re-verify|re-verified|confirm|unblock|reschedule|log in|login|"
                r"secure your (?:account|wallet|card)|"
                r"reactivate|update your (?:details|address|payment|billing|info\w*)|register "
                r"with your|complete (?:this|the) (?:\w+ )?form|resync|re-sync|validate your)\b"
                r"[^.!?\n]{0,40}(?:\b(?:here|now|immediately|today|within \d+|at [a-z0-9-]+\.[a-z]{2,})"
                r"\b|:\s*(?:https?://)?[a-z0-9-]+\.[a-z]{2,})"
                r"|\bpay (?:the|a|your)? ?[£$€]?\d+(?:\.\d\d)? (?:release|redelivery|customs|handling|"
                r"delivery|admin|processing|unlock) fee\b|\bpay (?:now|here|immediately)\b",
            ),
            # "Reactivate your plan at acme-renew.top": an order that ends on a link
            Rule(
                _words(
                    "verify confirm update claim pay log sign reschedule unlock restore secure "
                    "complete submit redeem collect activate renew reactivate validate sync release"
                ),
                _search_linked(
                    r"(?:^|[.!?:]\s+|\n\s*)(?:verify|confirm|update|claim|pay|log ?in(?: to)?|sign ?in"
                    r"(?: to)?|reschedule|unlock|restore|secure|complete|submit|redeem|collect|"
                    r"activate|renew|reactivate|validate|sync|release)\b[^.!?\n]{0,60}"
                    rf"(?:https?://|www\.|{_BARE_HOST})"
                ),
                on_link=False,
            ),
            # "apply now", "apply: site.co", "apply with your bank details at site.co" (not
            # "apply in store or at brand.co/jobs")
            _re(
                "apply",
                r"\bapply (?:now|here|today|immediately)\b"
                r"|\bapply with your (?:bank|card|account|banking|payment|personal) details\b"
                r"|\bapply(?: online)?(?:\s*:|\s+(?:at|on|via))\s*(?:https?://)?[a-z0-9-]+\.[a-z]{2,}",
            ),
        ),
    ),
    Signal(
        "asks for personal details",
        2.0,
        (
            _re(
                "reply send dm share provide give enter",
                r"\b(?:reply with|send (?:us |me )?|dm (?:us |me )?|share|provide|give (?:us |me )?|"
                r"enter)\b[^.!?]{0,50}\b(?:date of birth|sort code|passport number|security "
                r"questions?|mother'?s maiden name)\b",
            ),
            _re("details", r"\blog in with your [\w ]{0,20}details\b"),
        ),
    ),
    Signal(
        "investment scam",
        2.0,
        (
            _re(
                "invest investment trading programme platform mentor bot withdraw airdrop wallet "
                "recovery forensic recover turned changed back",
                r"\binvest [£$€]?\d[\d,]*\b[^.!?]{0,30}\b(?:get|receive|earn|return)\b"
                r"|\b(?:trading|investment) (?:bot|programme|program|platform|scheme|mentor)\b"
                r"|\bmy mentor\b|\bchanged my life\b|\bnow i withdraw\b"
                r"|\bturned [$£€₹]\s?\d[\d,.]*k? into [$£€₹]\s?\d"
                r"|\bairdrop is live\b|\bconnect your wallet\b"
                r"|\b(?:funds?|crypto|money|asset) recovery (?:agents?|experts?|services?|team)\b"
                r"|\b(?:certified |blockchain |crypto )?(?:recovery|forensic) (?:experts?|"
                r"specialists?|agents?|hackers?|wizards?)\b|\bwe recover (?:lost |stolen )?"
                r"(?:funds|crypto|money|coins|assets)\b|\brecovery agent\b"
                r"|\bget (?:all )?your money back\b[^.!?]{0,30}\b(?:fee|send|dm|contact)\b",
            ),
            # "daily returns", "$300 minimum", "crypto mining investment", "made 340% in one month"
            _re(
                "returns profit profits payouts roi mining made",
                r"\b(?:daily|weekly|guaranteed|fixed) (?:returns|profits?|payouts|roi)\b"
                r"|\b(?:crypto|bitcoin|btc|cloud) mining (?:investment|platform|pool|contract)s?\b"
                r"|\bmade \d[\d,]*% (?:profit |returns? )?in (?:one|a|\d+|two|three|just) "
                r"(?:\w+ )?(?:days?|weeks?|months?)\b",
            ),
            # "10% daily", "ROI of 300%", "invested $500 and got"
            _re(
                "daily weekly monthly day week month",
                r"%(?:(?<=\d%)|(?<=\d %)) (?:daily|weekly|monthly|per (?:day|week|month)|a (?:day|week|"
                r"month)|every (?:day|week|month))\b",
                chars="%",
            ),
            _re(
                "roi invest invested deposit deposited",
                r"\broi of \d|\b(?:invest|invested|deposit|deposited) (?:just |only )?"
                r"[$£€₹]\s?\d[\d,.]*k? (?:and|&) (?:got|get|received|receive|earn|earned|withdrew|"
                r"made|now)\b",
            ),
            # "I trade with expert Kathryn", "sync your wallet via our secure dapp"
            _re(
                "trade invest expert wallet dapp",
                r"\bi (?:trade|invest) (?:\w+ )?with (?:expert|mr|mrs|ms|dr|an expert|a trader|"
                r"my (?:broker|manager|mentor))\b"
                r"|\b(?:sync|connect|validate|rectify|import|link) your (?:\w+ )?wallet\b"
                r"|\bdapp\b",
            ),
            _re(
                "cyber crypto fund funds asset digital blockchain",
                r"\b(?:cyber|crypto|fund|funds|asset|digital|blockchain) recovery (?:firm|company|"
                r"lab|specialists?|team|agents?|experts?|services?)\b",
            ),
        ),
    ),
    Signal(
        "loan bait",
        2.0,
        (
            _re(
                "loan loans credit approval approve applicants borrow cash payout payouts funding",
                r"\bpayday loans?\b|\binstant approval\b|\bno credit checks?\b|\bguaranteed loans?\b"
                r"|\bbad credit (?:ok|okay|welcome|accepted|no problem|fine)\b"
                r"|\bwe approve \d+ ?%|%(?:(?<=\d%)|(?<=\d %)) (?:approval rate|of applicants approved)\b"
                r"|\beven with bad credit\b|\bbad credit\?? no problem\b|\bborrow up to [$£€₹]"
                r"|\bsame[- ]day (?:cash|loans?|payouts?|funding)\b",
            ),
        ),
    ),
    # 1.5: a player may name a cheat to complain about it; a seller's link or price adds up.
    Signal(
        "cheats and unlocks",
        1.5,
        (
            _re(
                "aimbot wallhack esp spoofer boosting boost unlock keygen root trick lifetime method "
                "generator",
                r"\baimbot\b|\bwallhack\b|\bhwid spoofer\b|\bboosting service\b|\brank up fast\b"
                r"|\bunlock any [\w ]{0,15}phones?\b|\bkeygen\b|\bno root needed\b"
                r"|\bfree data trick\b|\bfree lifetime\b|\bworking method\b|\bcode generator\b",
            ),
            _re("ban undetected", r"\bno ban\b|\bundetected since\b"),
        ),
    ),
    Signal(
        "fake engagement for sale",
        2.0,
        (
            _re(
                "followers likes subscribers views reviews review active",
                r"\b(?:buy|get|cheap|need|selling)\b[^.!?]{0,40}\b(?:followers|likes|subscribers|"
                r"views|(?:5-star |five star )?reviews)\b"
                r"|\b(?:gain|grow|promote)\b[^.!?]{0,40}\b\d[\d,k]* (?:real |active )?(?:followers|"
                r"likes|subscribers|views)\b|\breal (?:&|and) active (?:followers|users)?\b"
                r"|\bget paid [£$€]?\d+ for (?:every|each) (?:\w+ )?review\b",
            ),
            # "10k followers": not "influencers with 100k followers", a description, not an
            # offer (but "accounts with 50k followers" are goods)
            Rule(_words("followers likes subscribers views"), _offers_a_follower_count),
            # "$25 per review", "*must be 5 stars", "testers wanted ... keep the product"
            _re(
                "review reviews star stars testers reviewers keep",
                r"\bper (?:\w+ )?review\b|\bmust be (?:5|five)[- ]stars?\b"
                r"|\b(?:product )?(?:testers|reviewers) wanted\b"
                r"|\bin exchange for (?:an? |your )?(?:honest |positive |good |5[- ]star |five[- ]star )?"
                r"reviews?\b|\b(?:full refund|commission|paid|payment)\b[^.!?\n]{0,20}\bafter (?:the |your "
                r"|you )?(?:\w+ )?review\b"
                r"|\bkeep the (?:products?|items?)\b[^.!?\n]{0,20}\b(?:get|and|plus|\+)",
            ),
        ),
    ),
    Signal(
        "sells in DMs",
        1.5,
        (
            _re(
                "dm inbox whatsapp telegram prices price",
                r"\bdm (?:me |us )?for (?:the |a )?(?:prices?|price ?list|catalog(?:ue)?|menu|rates)\b"
                r"|\binbox me\b|\b(?:whatsapp|telegram) only\b"
                r"|\bwhatsapp me\b|\bdm me (?:📩|for|now)|\bprices? in (?:dm|bio)\b",
            ),
            # "..., PayPal only, DM": the offer ends in a bare "DM"
            _re("dm", r"[,.!]\s*dm(?: me| us)?\W*$"),
        ),
    ),
    Signal(
        "goods or accounts for sale",
        1.0,
        (
            _re(
                "sale buying stock cheapest price prices bulk aged accounts paying selling",
                r"\bfor sale\b|\bbuying\b[^.!?]{0,30}\b(?:logins?|accounts?)\b"
                r"|\bin stock\b|\bcheapest\b|\bbest prices?\b|\bcheap prices\b|\bbulk discount\b"
                r"|\baged [\w ]{0,20}accounts\b|\bpaying well\b"
                r"|\bselling (?:a|an|my|\d+)\b[^!?\n]{0,30}\bfor [$£€₹]\d",
            ),
        ),
    ),
    Signal(
        "risky payment terms",
        1.5,
        (
            _re(
                "transfer crypto cashapp paypal f&f friends genuine legit agent one time gift",
                r"\bbank transfer only\b|\bcrypto or cashapp\b|\bcashapp\b|\bpaypal (?:f&f|friends)"
                r"|\bpaypal (?:only|accepted)\b|\b100% (?:legit|genuine)\b|\bagent access\b"
                r"|\bone[- ]time (?:setup |activation )?(?:fee|payment)\b"
                r"|\bpay (?:with|in|using) (?:gift ?cards|itunes cards|steam cards)\b",
            ),
            # "card or crypto accepted", "Payment crypto / gift cards"
            _re(
                "crypto btc usdt",
                r"\b(?:crypto|btc|usdt) (?:accepted|only)\b|\b(?:card|paypal|cashapp|venmo|zelle)"
                r" (?:or|/) crypto\b|\bpayment:? (?:via |by |in )?(?:crypto|btc|usdt)\b"
                r"|\b(?:crypto|btc|usdt) ?(?:/|or) ?gift ?cards?\b",
            ),
        ),
    ),
    Signal(
        "stranger offers help",
        1.5,
        (
            _re("dear complaint", r"\bhello dear\b|\bi saw your complaint\b"),
            _re(
                "official support",
                r"\bofficial support\s*:|\bsupport\s*:\s*(?:your account|dm us)",
            ),
        ),
    ),
    Signal(
        "giveaway mechanics",
        1.0,
        (
            _re(
                "survey retweet rt winner winners follow",
                r"\bshort survey\b|\bretweet\b|\bwinners? (?:picked|announced|chosen)\b"
                r"|\bfollow \+ |\+ follow\b",
            ),
            _re("giving win", r"\b(?:is |are )?giving away\b|\bwin a free\b"),
            _re(
                "rt retweet like share win follow notifs notifications",
                r"\b(?:rt|retweet|like|share) (?:\+ \w+ )?to win\b|\bmust follow\b"
                r"|\bturn on (?:post )?(?:notifs|notifications)\b",
            ),
        ),
    ),
    # "my cat Acme", "Acme FC", "'Acme' by Night Lanterns": the brand's name, not the brand.
    Signal(
        "brand name used for something else",
        2.0,
        (
            Rule(
                frozenset(w.encode() for w in _OTHER_USE_WORDS),
                lambda post: post.other_use(post.text),
            ),
            # "'Acme' by Night Lanterns": "by" is everywhere, so this shape is only looked for
            # when the post has an opening quote, as it needs one
            Rule(_words("by"), lambda post: post.other_use(post.text), chars="'‘\"“"),
        ),
    ),
    # "I built a tool that ...", "Show HN": a maker's launch post, noise for the brand's team.
    Signal(
        "maker's launch post",
        1.0,
        (
            _re(
                "built made wrote created launched coded developed shipped",
                r"\b(?:i|we) (?:just |finally )?(?:built|made|wrote|created|launched|coded|"
                r"developed|shipped)\s+(?:a|an|my|our|this|the)\s+(?:[\w-]+\s+){0,3}?"
                r"(?:tool|app|extension|plugin|add-?on|bot|alternative|service|site|website|"
                r"dashboard|course|saas|cli|library|wrapper|tracker|template|newsletter)s?\b",
            ),
            _re("show", r"(?:^|\n)\s*show hn\b"),
            _re(
                "course ebook book templates template masterclass bootcamp",
                r"%(?<=\d%) off (?:my|our) (?:new )?(?:course|ebook|e-book|book|templates?|masterclass|"
                r"bootcamp)\b",
                chars="%",
            ),
        ),
    ),
    Signal(
        "asks for upvotes or sign-ups",
        1.0,
        (
            _re(
                "upvote upvotes hunt star stars waitlist feedback signups sign users tier",
                r"\bupvotes?\b|\bproduct hunt\b|\bstar (?:it|us|the repo) on github\b"
                r"|\b(?:stars on|a star on) github\b|\bgithub stars\b|\bwaitlist\b"
                r"|\bfeedback (?:is )?(?:very )?welcome\b"
                r"|\bwould (?:love|appreciate) (?:your |some |any )?(?:feedback|stars?|signups)\b"
                r"|\bfree (?:tier|for now|on the (?:chrome |app )?store)\b|\bpaid tier\b"
                r"|users already\b(?:(?<=\d users already)|(?<=\dk users already))",
            ),
        ),
    ),
    # "#ad, I get commission", "(affiliate links)": paid to mention the brand.
    Signal(
        "affiliate or sponsored post",
        2.0,
        (
            _re("ad sponsored", r"#ad\b|#sponsored\b|(?:^|\n)\s*sponsored\s*:"),
            _re(
                "affiliate commission earn",
                r"\((?:contains |has )?affiliate links?\)|\bcontains affiliate links?\b"
                r"|\b(?:i|we) (?:get|earn|make) (?:a )?(?:small )?commission\b"
                r"|\bi earn from (?:signups|sales|purchases|every|each|your)\b",
            ),
        ),
    ),
    # Blog comment spam: generic praise of "the post", then the commenter's own site.
    Signal(
        "comment spam",
        1.5,
        (
            _re(
                "post article blog read content information sharing",
                r"^\W*(?:comment:\s*)?(?:wow,?\s*)?(?:great|nice|very (?:informative|nice|good|"
                r"helpful|useful)|informative|awesome|excellent|amazing|useful|helpful)"
                r"(?: post| article| blog| read| content| information)\b"
                r"|\bthanks? (?:you )?for sharing\b",
            ),
            _re("bookmarked", r"\bbookmarked (?:your|this) (?:blog|site|website|post|page)\b"),
            _re(
                "informative insightful thoughts comment comments",
                r"^\W*(?:very |really |so |such an? )?(?:informative|insightful)\b"
                r"|\bleave your (?:thoughts|comments?)\b",
            ),
        ),
    ),
    Signal(
        "SEO services",
        2.0,
        (
            _re(
                "seo rank google backlinks backlink",
                r"\bseo (?:services?|agency|experts?|packages?)\b"
                r"|\brank (?:you|your (?:site|website|business|page)) #?1\b|\b#1 on google\b"
                r"|\bbacklinks? (?:for sale|packages?|service)\b",
            ),
        ),
    ),
    # "site[.]biz", "deals dot info": a link written so that filters miss it.
    Signal(
        "disguised link",
        1.0,
        (
            _re(
                "dot",
                r" dot (?<=[a-z0-9-] dot )(?:com|net|org|info|biz|co|io|xyz|shop|online|site)\b",
            ),
            Rule(
                _words(TLDS.replace("|", " ") + " dot"),
                _search(r"\[\.\]|\(\.\)|\[dot\]|\(dot\)"),
                chars="[(",
            ),
        ),
    ),
    Signal(
        "romance bait",
        1.0,
        (
            _re("friends", r"\b(?:can|could|shall) we be friends\b"),
            _re(
                "look",
                r"\byou look (?:very |so |really )?(?:kind|nice|beautiful|handsome|lovely|"
                r"gorgeous|cute)\b",
            ),
        ),
    ),
    # "Send 0.1 BTC and receive 0.2 BTC back": the crypto doubling scam.
    Signal(
        "send money, get more back",
        2.5,
        (
            _re(
                "send",
                r"\bsend\b[^!?\n]{0,25}?\d[^!?\n]{0,40}?\b(?:get|receive|and get)\b"
                r"[^!?\n]{0,25}?\d[^!?\n]{0,20}?\bback\b",
            ),
            _re(
                "double",
                r"\bdouble your (?:bitcoin|btc|eth|crypto|money|coins|usdt|investment)\b",
            ),
        ),
    ),
    # "he recovered all my money in 48 hours": a recovery scam's fake testimonial.
    Signal(
        "recovery testimonial",
        1.5,
        (
            _re(
                "recovered returned back restored retrieved unlocked",
                r"\b(?:he|she|they|agent \w+|@\w+) (?:\w+ and )?(?:recovered|restored|returned|got "
                r"back|retrieved|unlocked)\b"
                r"|\brecovered (?:\d+ ?% of |all (?:of )?)?my (?:lost |stolen )?(?:\w+ )?(?:funds|money|"
                r"crypto|savings|bitcoin|btc|coins|assets)\b"
                r"|\bevery (?:coin|penny|cent|satoshi)\b[^.!?\n]{0,25}\bback\b"
                r"|\b(?:helped|help) me (?:recover|get back|retrieve)\b",
            ),
            _re(
                "legit genuine honest real trustworthy reliable bless later",
                r"\b(?:he|she|they) (?:is|are) (?:\w+ )?(?:legit|genuine|honest|real|"
                r"trustworthy|reliable)\b|\bgod bless (?:him|her|them)\b|\bthank me later\b",
            ),
            # "a certified hacker", "who helped me trace and recover"
            _re(
                "hacker hackers expert specialist investigator certified licensed genuine legit "
                "reliable trusted professional recover retrieve trace helped assisted",
                r"\b(?:a|an|the) (?:certified|licensed|genuine|legit|reliable|trusted|professional) "
                r"(?:\w+ )?(?:hacker|recovery (?:expert|specialist|agent)|investigator)\b"
                r"|\b(?:who|that) (?:helped|assisted) me (?:to )?(?:recover|retrieve|trace|get back)\b",
            ),
            # "He's helped half my office", "she has helped so many people", "he never fails"
            _re(
                "helped assisted fails fail",
                r"\b(?:he|she|they)(?:'s|’s| has| have|'ve)? (?:already )?(?:helped|assisted) "
                r"(?:so many|many|half|hundreds|lots|dozens|\d+)\b"
                r"|\b(?:he|she|they) never fails?\b",
            ),
        ),
    ),
    # "Her money spell cleared my debts and my lover came back": the spell caster's testimonial.
    Signal(
        "spell caster",
        2.0,
        (
            _re(
                "spell spells caster spellcaster",
                r"\b(?:love|money|lottery|wealth|prosperity|powerful|protection|luck) spells?\b"
                r"|\bspell ?casters?\b",
            ),
            _re(
                "priestess doctor healer",
                r"\bpriestess\b|\bnative doctor\b|\bspiritual (?:healer|doctor|mother|father)\b",
            ),
            _re(
                "back ex lover",
                r"\b(?:my|her|his) (?:ex|lover|husband|wife|boyfriend|girlfriend) (?:came|come|is|was) "
                r"back\b[^.!?\n]{0,30}\b(?:knees|begging|beg)\b",
            ),
        ),
    ),
    # "reach him on Telegram @x", "email ... at protonmail": contact a stranger who "helps".
    Signal(
        "refers to a private helper",
        1.5,
        (
            _re(
                "contact reach message text email write dm",
                r"\b(?:contact|reach|message|text|email|write to|dm)\s+(?:him|her|"
                r"(?:agent|dr\.?|mr\.?|mrs\.?|ms\.?|expert|hacker)\s+\w+)\b",
            ),
            _re("protonmail", r"\bprotonmail\b"),
            # "just send her a message 👇", "hire @unban_pro", "@recovery_expert_mike"
            _re(
                "send drop", r"\b(?:send|drop) (?:him|her) a (?:message|dm|mail|text|email|line)\b"
            ),
            _re("hire", r"\bhire @\w+"),
            _re(
                "recovery recover retrieve hacker hack unban expert mentor",
                r"@(?:\w+_)?(?:recovery|recover|retrieve|hacker|hack|unban|expert|mentor)(?:_\w+)?\b",
                chars="@",
            ),
            # "Email apextrace.recovery@mailbox-secure.ltd": an address to write to, as an order
            # (not "email us at", which is how a real brand's support answers)
            _re(
                "email mail contact message write",
                r"(?:^|[.!?\n]\s*)(?:email|e-mail|mail|contact|message|write to)(?: (?:him|her|me))?"
                r"(?: (?:at|on|via))?:?\s+[\w.+-]+@[a-z0-9-]+\.",
                chars="@",
            ),
            _re(
                "telegram whatsapp signal discord kik snapchat instagram",
                r"\b(?:telegram|whatsapp|signal|discord|kik|snapchat|instagram)\s*:?\s*@\w+",
            ),
        ),
    ),
    # A phone number to call, from someone who speaks as support: the fake helpline.
    Signal(
        "support phone number",
        1.5,
        (
            _re(
                "call ring dial contact reach text phone line helpline number",
                r"\b(?:call|ring|dial|phone|text|reach|contact)\b[^.!?\n]{0,40}?"
                r"(?:\+\d|\(\d{3}\)|\b\d{3,4}[ -]\d{3}[ -]?\d{3,4}\b)",
                chars="0123456789",
            ),
        ),
    ),
    Signal(
        "helpline spam",
        1.0,
        (
            _re(
                "toll 24x7 24 helpline care kindly",
                r"\btoll[- ]free\b|\b24x7\b|\b24/7 (?:help ?line|customer care|support line)\b"
                r"|\bcustomer care (?:number|no)\b|\bhelp ?line (?:number|no)\b"
                r"|\bkindly (?:call|contact|dm|reach|message)\b",
            ),
        ),
    ),
    Signal(
        "clickbait",
        1.0,
        (
            _re("know", r"\bdon[’']?t want you to know\b"),
            _re("shock", r"\bwill shock you\b|\b(?:number|#)\s?\d+ will (?:shock|surprise|blow)"),
            _re("believe see", r"\byou (?:won[’']?t believe|need to see|have to see)\b"),
            _re("secret leak", r"\bsecret (?:promo|deal|sale|code|discount)\b|\bad leak\b"),
        ),
    ),
    # "Acme will charge everyone $9.99 unless you repost this": the hoax that asks to be spread.
    Signal(
        "chain letter",
        2.0,
        (
            _re(
                "unless repost post share copy forward paste permission",
                r"\bunless you (?:re-?post|share|copy|forward|paste)\b"
                r"|\bcopy (?:and|&|/) ?paste this\b"
                r"|\b(?:re-?post|share) this (?:before|or (?:else|your|you)|to (?:keep|stay|protect))\b"
                r"|\bif you (?:re-?post|share)(?: this)?,? your (?:account|profile|data)\b"
                r"|\bi do not give (?:\w+ ){0,2}permission\b"
                r"|\b(?:copy|share|re-?post)(?: (?:and|&|or) (?:paste|re-?post|share))? (?:this|it) "
                r"(?:to|on) your (?:wall|feed|story|profile|status|timeline)\b",
            ),
        ),
    ),
    Signal(
        "pirated stream",
        2.0,
        (
            _re(
                "watch stream streaming",
                r"\bwatch\b[^.!?\n]{0,40}\bfree\b[^.!?\n]{0,30}\b(?:full hd|hd|no ads|online|"
                r"stream(?:ing)? link|live stream)\b|\bfree streaming link\b",
            ),
        ),
    ),
    Signal(
        "collab bait",
        2.0,
        (
            _re("collab", r"\b(?:let[’']?s|love to|wanna|want to) collab\b"),
            _re("influencer agency", r"\binfluencer agency\b|\bbrand ambassadors? wanted\b"),
            # "We saw your profile and think you'd be a great Acme Brand Ambassador"
            _re(
                "profile page feed content ambassador",
                r"\bwe(?:'ve| have)? (?:just )?(?:saw|seen|came across|found|loved?) your (?:profile|"
                r"page|feed|content)\b"
                r"|\b(?:great|perfect|amazing|ideal) (?:\w+ ){0,2}(?:brand )?ambassador\b",
            ),
            # "join our ambassador program, DM to accept"
            _re(
                "ambassador ambassadors influencer influencers creator creators",
                r"\b(?:ambassador|influencer|creator) (?:program|programme|team|opportunity|role)\b"
                r"[^.!?\n]{0,60}\b(?:dm|accept|apply|join|selected|chosen)\b"
                r"|\b(?:selected|chosen|invited) (?:\w+ ){0,2}(?:as|to be|to become|to join) (?:an? "
                r"|our )?(?:\w+ )?(?:ambassadors?|influencers?|creators?)\b",
            ),
            _re("dm accept", r"\bdm (?:@[\w.]+ |us |me )?to (?:accept|claim|join|apply)\b"),
            _re(
                "love content page feed stuff",
                r"\blove your (?:content|page|feed|profile|vibe|stuff)\b[^.!?\n]{0,60}\bcollab",
            ),
        ),
    ),
    Signal(
        "grey-market goods",
        1.0,
        (
            _re(
                "reseller resold moq lifetime deal questions",
                r"\breseller (?:pricing|prices|accounts?|panel)\b|\bresold\b"
                r"|\bmoq\b|\blifetime deal\b|\bno questions asked\b",
            ),
            # "1:1 replicas", "1:1 with the real ones"
            _re("1", r"\b1:1 (?:clones?|copy|copies|replicas?|with|quality)\b", chars=":"),
            # "same factory as the originals", "ships worldwide", "no ID needed"
            _re(
                "factory worldwide id kyc paperwork registration documents mirror aaa quality",
                r"\bsame factory\b|\bfactory direct\b|\bship(?:s|ped|ping)? worldwide\b"
                r"|\bworldwide (?:shipping|delivery)\b|\bmirror quality\b|\baaa (?:grade|quality)\b"
                r"|\b(?:quality|perfect) (?:copies|replicas|fakes)\b"
                r"|\bno (?:id|kyc|paperwork|registration|documents) (?:needed|required|check)\b",
            ),
            # "50% off face value", "instant code delivery"
            _re(
                "face delivery delivered",
                r"\b(?:off|below|under) face value\b|\binstant (?:code |key )?delivery\b"
                r"|\b(?:codes?|keys?) delivered (?:instantly|immediately|in \d+ min)",
            ),
            _re(
                "max maxed rare",
                r"\bmax(?:ed)? (?:rank|level|lvl)\b|\brare skins\b",
            ),
        ),
    ),
    # Posts with nothing to read: "@x @x @x", a wall of hashtags, "test test 123", "first!!!".
    Signal(
        "no content",
        2.0,
        (
            Rule(frozenset(), _only_tags, on_tags=True),
            _re("test testing", r"^\W*(?:test(?:ing)?\W+){2,}"),
            _re("first", r"^\W*first\W*(?:@\w+\W*)?$"),
        ),
    ),
    # "Acme customer care number 24x7 toll free helpline": the words a search engine indexes.
    Signal(
        "keyword stuffing",
        1.5,
        (
            Rule(
                _words("helpline help care support toll"),
                # four times: a customer may name the helpline three times telling their story
                _stuffed_with_helplines,
            ),
            # "Acme router login, Acme router setup, Acme wifi reset, Acme admin, ..."
            Rule(frozenset(), _repeated_openers, on_tags=True),
        ),
    ),
    # "I'll design your storefront logo for $5": a freelancer's gig, not a customer.
    Signal(
        "gig offer",
        1.5,
        (
            _re(
                "design make build create write edit fix do",
                r"\bi(?:'ll| will|’ll) (?:design|make|build|create|write|edit|fix|do|set up) your\b"
                r"[^.!?\n]{0,40}\bfor (?:just |only )?[$£€₹]\s?\d",
            ),
        ),
    ),
    Signal("link farm", 1.5, (_link_rule(lambda hosts: len(hosts) >= 3),)),
    Signal(
        "shortened link", 1.0, (_link_rule(lambda hosts: any(h in _SHORTENERS for h in hosts)),)
    ),
    Signal(
        "suspicious domain",
        1.0,
        (_link_rule(lambda hosts: any(h.rsplit(".", 1)[-1] in _SUSPICIOUS_TLDS for h in hosts)),),
    ),
    # 0.8: with a suspicious top-level domain still short of spam, for a customer asking "what is
    # brand-secure-login.info?"; any scam wording on top makes it spam.
    Signal("look-alike domain", 0.8, (_link_rule(_look_alike),)),
)


class _Gate(NamedTuple):
    """A test the rules run on a post that has the word the gate is filed under, a word of
    each set of `also_needed`, and one of `chars` when given."""

    signal: Signal
    test: Callable[[_Post], bool]
    also_needed: tuple[frozenset[bytes], ...] = ()
    chars: str = ""


#: Words on many posts: a gate filed under one of them would let many posts through, so a
#: branch is filed under another word it needs when it has one (for speed only: the answer is
#: the same under any word a match needs). "free", "dm", "code", "team", "per" and "every" are
#: common in posts about offers and support, spam or not.
_COMMON_WORDS = _words(
    "a an the i me my we us our you your ur he she they it its this that these those to in on at "
    "of for by with from as and or but if so is are was were be been am have has had do does did "
    "can could will would should not no just get got up out now here there what how why when "
    "all any one more very too also about over only than then support help app time people users "
    "customer version account order day today week month back new free every per team dm code"
)


def _filed_under(needed: Sequence[frozenset[bytes]]) -> frozenset[bytes]:
    """Which of the sets of words a branch needs (one word of each) to file it under: the one
    with fewest common words, then the smallest."""
    return min(needed, key=lambda words: (len(words & _COMMON_WORDS), len(words), sorted(words)))


class _Gates(NamedTuple):
    by_word: dict[bytes, tuple[_Gate, ...]]
    on_link: tuple[_Gate, ...]
    on_tags: tuple[_Gate, ...]
    #: Every word any gate looks at, and those of a link: one set intersection with a post's
    #: words finds the gates it may pass.
    gate_words: frozenset[bytes]


@functools.cache
def _gates() -> _Gates:
    """The rules filed under the words they need, built once, on the first post (reading the
    patterns costs tens of milliseconds, which a command that classifies nothing should not pay).

    A rule written as a pattern (`_re`) is filed branch by branch: each alternative of the
    pattern under the words a match of it needs (`patterns.words_needed`), so that "\\bsupport
    team here\\b" runs on a post with both "support" and "here", not on every post with
    "support". A branch whose words cannot be read, and a rule written as a function, are
    filed under the words written with the rule."""
    by_word: dict[bytes, list[_Gate]] = {}
    on_link: list[_Gate] = []
    on_tags: list[_Gate] = []
    for signal in SIGNALS:
        for rule in signal.rules:
            if rule.on_link:
                on_link.append(_Gate(signal, rule.test, (), rule.chars))
            if rule.on_tags:
                on_tags.append(_Gate(signal, rule.test, (), rule.chars))
            for branch, needed in _branches(rule):
                test = rule.test if branch is None else _search(branch)
                if needed is None:  # the words written with the rule
                    needed = (rule.words, rule.and_words) if rule.and_words else (rule.words,)
                filed = _filed_under(needed)
                gate = _Gate(signal, test, tuple(w for w in needed if w is not filed), rule.chars)
                for word in filed:
                    by_word.setdefault(word, []).append(gate)
    gate_words = set(by_word)
    for gates in by_word.values():
        for gate in gates:
            gate_words.update(*gate.also_needed)
    return _Gates(
        {word: tuple(gates) for word, gates in by_word.items()},
        tuple(on_link),
        tuple(on_tags),
        frozenset(gate_words) | _LINK_WORDS,
    )


def _branches(rule: Rule) -> list[tuple[str | None, tuple[frozenset[bytes], ...] | None]]:
    """A pattern rule's branches with the words each needs (None: not read); a function rule
    as one branch (None) that needs the words written with it."""
    if not rule.pattern:
        return [(None, None)] if rule.words else []
    return [
        (branch, None if needed is None else tuple(_encoded(words) for words in needed))
        for branch in branches_of(rule.pattern)
        for needed in (words_needed(branch),)
    ]


def _encoded(words: frozenset[str]) -> frozenset[bytes]:
    return frozenset(word.encode() for word in words)


_ORDER = {signal.name: i for i, signal in enumerate(SIGNALS)}


# A complaint in the customer's own voice: a strong sign this is a customer, not a spammer.
_COMPLAINT_CUES = compile_search(
    r"\b(?:my (?:order|parcel|package|account(?! manager)|refund|bill|flight|booking|card|"
    r"delivery|money|payment|subscription|(?:ban )?appeal|ticket|complaint)|refund (?:me|my)"
    r"|no refund|still waiting|still no\b|never (?:arrived|received|came|got)"
    r"|support(?<!our support) (?:is|was|never|says|said|just|asked|told|keeps|kept|closed|"
    r"ignored|refused|won'?t|hasn'?t|didn'?t|doesn'?t)|customer(?<!our customer) service"
    r"|money back|charged me|no (?:reply|response|answer)|what a joke|(?:is|was) a joke|rigged"
    r"|(?:withdrawal|payment|transfer|refund|funds|deposit|parcel|order) (?:is |has been |was "
    r"|been )?stuck)\b"
)
# A warning about a scam, or a question whether something is genuine. (The "not a scam" checks
# follow the word, so that every alternative opens with `\b` and a word: see compile_search.)
_SCAM_WARNING = compile_search(
    r"\bscam(?<!not a scam)(?<!not scam)(?:s|mers?|med)?\b"
    r"|\bphishing(?<!not a phishing)(?<!not phishing)\b"
    r"|\bfraudster(?<!not a fraudster)(?<!not fraudster)s?\b"
    r"|\bimpersonat\w*|\b(?:pretending to be|claiming to be|posing as)\b|\bbeware\b"
    r"|\bwatch out for\b|\bwarn (?:people|others|everyone|your customers|customers)\b"
    r"|\b(?:i was|i've been|i got|they|you) (?:told|asked) (?:me )?to\b"
    r"|\bfake (?:accounts?|support|pages?|profiles?|sites?|websites?|texts?|emails?|links?)\b"
    r"|\bfake ['\"‘“][^'\"’”]{1,40}['\"’”]"
    r"|\bis (?:this|that|it) (?:really )?(?:you|real|legit|genuine|official|normal|safe)\b"
    r"|\b(?:told|asked) me to\b"
    r"|\b(?:got|received|getting|get|had) (?:a |an |this |these )?(?:weird |dodgy |strange "
    r"|suspicious |fake )?(?:texts?|sms|emails?|calls?|messages?|dms?|letters?|whatsapps?) "
    r"(?:from|saying|claiming|asking|about|telling)\b"
    r"|\banyone else (?:get|getting|got|had|receiv\w*) (?!the\b)"
    # the brand's own notice ("we will never DM you", "we banned 14,000 accounts"), a customer
    # fending off scammers ("please don't DM me"), a complaint about spam or malware
    r"|\b(?:will|would|do|does) never (?:ask|dm|message|contact|call|email|text|request)\b"
    r"|\b(?:don'?t|do not) (?:dm|message|contact|text) me\b"
    r"|\b(?:we|they)(?: have|'ve)? (?:banned|suspended|removed) [\d,]+ (?:\w+ )?(?:accounts|"
    r"players|users|sellers|bots)\b"
    r"|\bspam(?<!not spam)(?<!no spam)(?:mers?|bots?)?\b"
    r"|\bmalware(?<!not malware)(?<!no malware)\b"
    # a report of an impostor: "the fake Acme mods are back", "don't fall for the copycat
    # account", "(NOT the real Acme)", "a page running ads with your logo", "a data grab"
    r"|\bthe fake\b|\b(?:don'?t|do not|never) fall for\b|\bnot the real\b"
    r"|\b(?:using|with|uses|stole|copied) (?:your|their|the) (?:logo|branding)\b"
    r"|\bdata grab\b|\baccount stealers?\b"
)


@dataclass(frozen=True, slots=True)
class SpamVerdict:
    spam: bool
    score: float
    signals: tuple[str, ...]


NOT_SPAM = SpamVerdict(False, 0.0, ())


def spam_verdict(text: str, brand_terms: Sequence[str] = ()) -> SpamVerdict:
    """How spammy one post is, and why: the rules (`rule_verdict`), then, when they do not
    call it spam, the learned model (`spam_model`). `brand_terms` (the config's `[brand]
    terms`) make the "brand name used for something else" signal look for the brand's own
    name (without them it looks for any capitalised name in those shapes), and fold the
    brand's name into one token for the model."""
    return _with_model(text, brand_terms, rule_verdict(text, brand_terms))


def rule_verdict(text: str, brand_terms: Sequence[str] = ()) -> SpamVerdict:
    """The rules' verdict alone: every signal that fired, weighed and discounted."""
    gates = _gates()
    words = words_of(text)
    known = gates.gate_words.intersection(words)
    by_word = gates.by_word
    candidates = [gate for word in known if word in by_word for gate in by_word[word]]
    linked = _DOMAINISH.search(text) is not None or not _LINK_WORDS.isdisjoint(known)
    crowded = _crowded(text)
    if not candidates and not linked and not crowded:
        return NOT_SPAM  # the common case: no word, link or tag any rule looks for
    low = text.lower()
    hosts = _hosts(low) if linked else ()
    if hosts:
        candidates.extend(gates.on_link)
    if crowded:
        candidates.extend(gates.on_tags)
    fired: dict[str, Signal] = {}
    tried: set[Callable[[_Post], bool]] = set()
    # Built for the first test that runs: most candidates stop at their words.
    post: _Post | None = None
    for signal, test, also_needed, chars in candidates:
        if signal.name in fired or test in tried:
            continue
        for needed in also_needed:
            if needed.isdisjoint(known):
                break  # a word the pattern needs is missing: it cannot match
        else:
            # Tried, even when the characters are missing: every gate of a test asks for the
            # same `chars` (its rule's, see `_gates`), so no other gate of it could run on this
            # post either (a rule filed under many words, as the top-level domains are, is
            # otherwise looked at again under each of them).
            tried.add(test)
            if chars and not any(map(text.__contains__, chars)):
                continue
            if post is None:
                post = _Post(text, low, hosts, other_use_matcher(tuple(brand_terms)))
            if test(post):
                fired[signal.name] = signal
    if post is None or not fired:
        return NOT_SPAM  # what `_weigh` makes of no signal
    return _weigh(post, sorted(fired.values(), key=lambda s: _ORDER[s.name]))


def _ungated_verdict(text: str, brand_terms: Sequence[str] = ()) -> SpamVerdict:
    """The verdict with every rule run on every post: what the word gate must not change."""
    low = text.lower()
    post = _Post(text, low, _hosts(low), other_use_matcher(tuple(brand_terms)))
    rules = _weigh(post, [signal for signal in SIGNALS if signal.fires(post)])
    return _with_model(text, brand_terms, rules)


#: The signal of a post in the voice of the brand's support (see `model_may_judge`).
_SUPPORT_VOICE = "speaks as support"


def model_may_judge(rules: SpamVerdict) -> bool:
    """Whether the model may make spam of a post the rules did not: not of one in the voice
    of the brand's support. The rules tell "DM us your order number" from "DM us your PIN";
    the labelled files hold no real support reply to teach the model the difference."""
    return not rules.spam and _SUPPORT_VOICE not in rules.signals


def warns_about_a_scam(text: str) -> bool:
    """A post that warns about, reports or asks about a scam: never made spam by the model
    (a customer's words about a scam look much like the scam's)."""
    return _SCAM_WARNING(text.lower())


def _with_model(text: str, brand_terms: Sequence[str], rules: SpamVerdict) -> SpamVerdict:
    """The rules' verdict, or spam when the model may judge the post, the post is worth its
    reading, its logit reaches its threshold and the post does not warn about a scam. The
    model's explanation joins the signals."""
    if not model_may_judge(rules):
        return rules  # spam already (the model could only agree), or the rules' to judge
    model = load_model()
    if not worth_reading(model, text, rules.signals):
        return rules  # no sign of spam the model weighs: not worth its cost
    signals = rules.signals if model.uses_rules else ()
    # The features themselves only for the explanation: nearly every post stays below.
    log_odds = text_logit(model, text, signals, brand_terms)
    if log_odds < model.threshold or warns_about_a_scam(text):
        return rules
    found = model_features(text, signals, brand_terms)
    return SpamVerdict(True, rules.score, (*rules.signals, explanation(model, found, log_odds)))


def _weigh(post: _Post, fired: list[Signal]) -> SpamVerdict:
    if not fired:
        return NOT_SPAM
    score = sum(s.weight for s in fired)
    names = tuple(s.name for s in fired)
    # A discount is looked for only when it can change the verdict (the two searches are most
    # of the cost of a spam post, and of a long one): short of the threshold none can, and far
    # enough above it neither can. The score is the signals' weight less the discounts found.
    complaint = 0.0 if any(s.as_support for s in fired) else COMPLAINT_DISCOUNT
    if score < SPAM_THRESHOLD or score - complaint - WARNING_DISCOUNT >= SPAM_THRESHOLD:
        return SpamVerdict(score >= SPAM_THRESHOLD, round(score, 2), names)
    if _SCAM_WARNING(post.low):
        score -= WARNING_DISCOUNT  # "beware of fake support asking for your PIN"
    if SPAM_THRESHOLD <= score < SPAM_THRESHOLD + complaint and _COMPLAINT_CUES(post.low):
        score -= complaint  # "my refund never arrived, DM me": a customer, not a scam
    return SpamVerdict(score >= SPAM_THRESHOLD, round(score, 2), names)
