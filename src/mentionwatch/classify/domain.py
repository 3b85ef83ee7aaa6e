"""The domain layer: the customer-service complaints VADER misses, and why a post scored so.

VADER scores "My order never arrived" and "Still waiting for my refund after 3 weeks" 0.0 and
"Been on hold for 45 minutes. Thanks a lot" as positive. This layer adds, on VADER's own scale
(valences of about -4..+4, summed before VADER's normalisation), what a support team knows:

* words VADER's lexicon lacks (inflected forms included: "crash" is in it, "crashed" is not),
* phrase rules (waiting durations, "still no reply", "never arrived", "cancel my ...",
  "switching to ...", "charged twice", "can't log in", "third time this week" ...),
* sarcasm cues around praise ("thanks for nothing", "great, another ...", 🙃, the
  upside-down smile), which turn VADER's praise into the complaint it is,
* negative emoji VADER lacks,
* frames: how a whole post reads ("lost my bag, they couriered it to the hotel that night,
  class act" is a problem put right; an ad, a warning about impostors, a third-party status
  report, a question asked for information), looked for only in a post labelled negative.

Speed matters (the whole classifier may cost at most 1.3 times bare VADER per short post), so
the work is gated by tokens: a post's words are looked up in a dict, and only the rules whose
trigger words occur in the post run their regular expression.

Everything here is pure: no I/O after the packaged lexicon is read once.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, NamedTuple

from mentionwatch.classify.patterns import opening_finder, words_needed

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: VADER's normalisation constant: compound = x / sqrt(x² + ALPHA).
ALPHA = 15.0
#: The largest raw sum the inverse normalisation returns (compound ±1 would be infinite).
_MAX_RAW = 30.0

#: A domain valence this strong overrules VADER's reading of the opposite sign.
STRONG = 1.5
#: Words in scare quotes: 'express' delivery, the "included" roaming, 'on request'.
SCARE_QUOTES_VALENCE = -0.8
SCARE_QUOTES_HIT = "words in scare quotes"
#: A short phrase in quotes: 'express', "fixed" price, 'out for delivery'. Quoting the
#: brand's own words back at it is how customers say they were not delivered.
_SCARE_QUOTES = re.compile(r"(?:^|[\s(])['‘\"“](?:[^'’\"”\s]+\s?){1,5}['’\"”](?=[\s.,!?:;)]|$)")


#: A quote right after one of these words is a name or a keyword, not the brand's own words
#: quoted back at it: a text from "Acme Billing", a page called "Acme Deals", comment "WIN".
_NAMING_WORDS = frozenset({"from", "called", "named", "comment", "dm", "type"})


def _scare_quoted(text: str) -> bool:
    """Some words of `text` are in scare quotes (`_SCARE_QUOTES`), not after a naming word
    and not an error message quoted word for word (`_quotes_verbatim`)."""
    for found in _SCARE_QUOTES.finditer(text):
        before = text[max(0, found.start() - 12) : found.start() + 1].split()
        if before and before[-1].lower().strip("(:,") in _NAMING_WORDS:
            continue
        if not _quotes_verbatim(found.group(0).strip(" \t\n(").strip("'‘’\"“”")):
            return True
    return False


def _quotes_verbatim(quoted: str) -> bool:
    """Whether quoted words are an error message copied word for word ('Error 503: Bad
    gateway', 'rate limit exceeded (HTTP 429)'): a technical post quotes what the screen
    said. Scare quotes pick out the brand's promises and everyday words ('express', "24 hour
    wear", 'out for delivery')."""
    return ":" in quoted or not _ERROR_WORDS.isdisjoint(tokens_of(quoted.lower()))


#: Words of a quoted error message.
_ERROR_WORDS = frozenset({"error", "exception", "http", "errno", "err"})


def _may_quote(lower: str) -> bool:
    """A cheap look for an opening quote (an apostrophe inside a word does not count)."""
    return (
        " '" in lower
        or ' "' in lower
        or "‘" in lower
        or "“" in lower
        or lower.startswith(("'", '"'))
    )


TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
#: Every byte that is not a token character ([a-z0-9] and the apostrophe) becomes a space.
_TOKEN_BYTES = bytes(
    byte if chr(byte) in "abcdefghijklmnopqrstuvwxyz0123456789'" else 32 for byte in range(256)
)


def tokens_of(lower: str) -> list[str]:
    """`TOKEN.findall(lower)`, in the same order, about three times faster.

    Bytes outside [a-z0-9'] (UTF-8 bytes of non-ASCII characters included) become spaces,
    in C, so a split yields the runs of token characters; no token spans one of those
    bytes, so only a run holding an apostrophe needs the regular expression ("it's", but
    "'quoted'" is "quoted"). The curly apostrophe is a token character outside ASCII: a
    text holding one takes the regular expression whole."""
    if "’" in lower:
        return TOKEN.findall(lower)
    runs = lower.encode("utf-8", "surrogatepass").translate(_TOKEN_BYTES).decode("ascii").split()
    if "'" not in lower:
        return runs
    return [token for run in runs for token in ((run,) if "'" not in run else TOKEN.findall(run))]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    valence: float
    #: Any of these words in a post makes the rule worth trying.
    triggers: frozenset[str]
    #: A sarcasm cue: the praise VADER saw in the post is turned against it.
    sarcasm: bool = False
    #: Further word groups that must each occur too (a rule about waiting needs a waiting
    #: word *and* a duration): cheap set checks that spare most regular expression searches.
    also: tuple[frozenset[str], ...] = ()
    #: One of these characters must occur too ("%" for a price rise): a cheap check first.
    chars: str = ""
    #: When this also matches, the rule does not fire ("doesn't feel like a rip-off").
    unless: re.Pattern[str] | None = None
    #: A plain question: VADER's reading of its words ("accidental damage", "cancel") is
    #: damped when nothing in the post complains.
    dampen: bool = False
    #: The pattern lost its leading `\b` (which stops `re` from jumping to a literal prefix
    #: and makes a search up to ten times slower); `search` checks the boundary instead.
    boundary: bool = False
    #: What a report or a warning states ("is down", "502 errors", "a scam"): there it is
    #: the news, no complaint of the writer's own.
    stated: bool = False
    #: `also`, and after it word groups every match of the pattern holds, read from the
    #: pattern itself (`_needed_words`): the word groups to check on a text without an
    #: apostrophe (see `DomainLayer.assess`).
    needed: tuple[frozenset[str], ...] = ()
    #: Finds the places where a match may start (`patterns.opening_finder`), None if unknown.
    opening: re.Pattern[str] | None = None
    #: Some alternative of the pattern matches only at the start of the text ("^"), where
    #: `opening` does not look.
    anchored: bool = False

    def search(self, lower: str) -> re.Match[str] | None:
        if self.opening is not None:
            return self._search_at_openings(lower, self.opening)
        found = self.pattern.search(lower)
        if not self.boundary:
            return found
        while found is not None and found.start() > 0 and _is_word_char(lower[found.start() - 1]):
            found = self.pattern.search(lower, found.start() + 1)
        return found

    def _search_at_openings(self, lower: str, opening: re.Pattern[str]) -> re.Match[str] | None:
        """`search`, trying the pattern only where one of its openings is (`re` finds those
        fast; it would try the whole pattern at every place of the text, its alternatives
        opening with no common text). Every match starts at an opening, and the openings are
        tried in order: the first that matches, with the boundary, is the match `search`
        finds."""
        find_opening, match = opening.search, self.pattern.match
        at = 0
        if self.anchored:
            # The opening finder leaves out the start of the text ("^"): tried first, here.
            found = match(lower)
            if found is not None:
                return found
            at = 1
        while (place := find_opening(lower, at)) is not None:
            at = place.start()
            if not (self.boundary and at > 0 and _is_word_char(lower[at - 1])):
                found = match(lower, at)
                if found is not None:
                    return found
            at += 1
        return None

    def fires(
        self, lower: str, tokens: set[str], *, words_checked: bool = False
    ) -> re.Match[str] | None:
        """The rule's match in a post (lower-cased, with its tokens), if the rule fires:
        the cheap word and character checks first (the word groups may have been checked by
        the caller already), then the pattern, then `unless`."""
        if not words_checked:
            for group in self.also:
                if tokens.isdisjoint(group):
                    return None
        if self.chars:
            for char in self.chars:
                if char in lower:
                    break
            else:
                return None
        found = self.search(lower)
        if found is not None and self.unless is not None and self.unless.search(lower):
            return None
        return found


@dataclass(frozen=True, slots=True)
class FrameRule:
    """A rule that says how a whole post reads (`frame`, one of `FRAMES`), not what it feels:
    its `rule` (pattern, trigger words, `also`, `chars`, `unless`) and the further checks a
    frame needs. Frames are looked for only in a post that reads negative (`frame_of`)."""

    rule: Rule
    frame: str
    #: This must match too (a problem put right needs the fix *and* the praise).
    requires: re.Pattern[str] | None = None
    #: None of these words may occur (a third-party report has no "I", "my" or "your"): the
    #: cheapest `unless`, checked before any pattern.
    without: frozenset[str] = frozenset()
    #: One of these strings must occur too ("is that", "one of yours"): a check in C, far
    #: cheaper than the pattern on a long post whose trigger word is common ("you").
    contains: tuple[str, ...] = ()

    def fires(self, lower: str, tokens: set[str]) -> re.Match[str] | None:
        """The frame's match in a post (lower-cased, with its tokens), if it fires: the
        word and string checks first, then the rule, then `requires`."""
        rule = self.rule
        if rule.also and any(map(tokens.isdisjoint, rule.also)):
            return None
        if self.without and not tokens.isdisjoint(self.without):
            return None
        if self.contains:
            for part in self.contains:
                if part in lower:
                    break
            else:
                return None
        found = rule.fires(lower, tokens, words_checked=True)
        if found is None or (self.requires is not None and self.requires.search(lower) is None):
            return None
        return found


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _top_level_alternatives(pattern: str) -> list[str]:
    """Split a regular expression at its top-level `|` (outside groups and classes)."""
    parts, depth, in_class, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _without_leading_boundary(pattern: str) -> tuple[str, bool]:
    """The pattern with the `\b` that opens every top-level alternative removed, if each has
    one (then the caller checks the boundary); otherwise the pattern as it is."""
    alternatives = _top_level_alternatives(pattern)
    if not all(alt.startswith("\\b") for alt in alternatives):
        return pattern, False
    return "|".join(alt[2:] for alt in alternatives), True


class Hit(NamedTuple):
    """One thing that moved the score: a word, a rule or an emoji, with its valence."""

    kind: str  # "word", "rule", "emoji", "sarcasm"
    what: str
    valence: float


# How a whole post reads, beyond its words: a frame rule (`frame = ...` in the lexicon) finds
# it, once per post, and `combine` applies it to every sentence of the post.
#: Neither complaint nor praise, whatever its words: a for-sale ad ("1 dead pixel, 40 EUR").
NOT_A_COMPLAINT = "not a complaint"
#: A past problem the brand put right, told with praise ("lost my bag, couriered it to the
#: hotel the same night. Class act"): its problem words are not a complaint.
PUT_RIGHT = "put right"
#: Told for others: a warning about impostors, asking whether a message is a scam. Read as
#: a report: its negative readings are dropped unless something complains.
FOR_OTHERS = "for others"
#: A question asked for information ("what's the usual refund timeline?", "if my train is
#: late, is it automatic?"): its problem words are damped unless something complains.
ASKS = "informational question"
#: Which frame wins when several fire: the one that says most about the post.
FRAMES = (NOT_A_COMPLAINT, PUT_RIGHT, FOR_OTHERS, ASKS)


def frame_holds(found: DomainResult) -> bool:
    """Whether a text's frame holds, given what else the text holds. A problem put right
    yields to sarcasm ("Amazing, they marked my ticket resolved without a reply"); a warning
    for others and an informational question yield to a complaint ("is that really you?" is
    asked for others; "... and you still haven't replied" complains). An ad always holds."""
    if found.frame == PUT_RIGHT:
        return not any(hit.kind == "sarcasm" and hit.what != SCARE_QUOTES_HIT for hit in found.hits)
    return found.frame == NOT_A_COMPLAINT or not found.complaint


class DomainResult(NamedTuple):
    """What the domain layer sees in one text. A named tuple rather than a frozen dataclass:
    one is built for most posts, and a frozen dataclass sets each field through
    `object.__setattr__`, several times slower."""

    valence: float = 0.0
    sarcasm: bool = False
    hits: tuple[Hit, ...] = ()
    #: The text is a plain question: its negative readings are damped unless it complains.
    dampen: bool = False
    #: The text reports news in the third person ("X announces ...", "Q3 results: ..."): its
    #: negative readings are dropped unless it complains.
    reported: bool = False
    #: A complaint rule or a sarcasm cue fired. Words in quotes do not count (a question
    #: quotes the site's terms to ask about them).
    complains: bool = False
    #: A complaint rule a report states ("X is down in the north-east") fired: a complaint
    #: everywhere but in a report or a warning.
    states: bool = False
    #: How the whole post reads (one of `FRAMES`), or "".
    frame: str = ""

    @property
    def for_others(self) -> bool:
        """A report, or a warning for others: its negative readings are dropped."""
        return self.reported or self.frame == FOR_OTHERS

    @property
    def complaint(self) -> bool:
        """Something complains: no damping for questions, reports or warnings."""
        return self.complains or (self.states and not self.for_others)


_NOTHING = DomainResult()
#: A plain question with nothing else in it.
_QUESTION = DomainResult(dampen=True)
#: News with nothing else in it.
_REPORT = DomainResult(reported=True)
#: A plain question's negative readings count this much ("does it cover accidental damage?").
QUESTION_DAMPING = 0.05
#: A rule this negative is a complaint: a question or a report holding it is not damped.
COMPLAINT_RULE = 1.0
#: The voice of a report: an announcement, results, a status bot, a third-party monitor.
_REPORTING = re.compile(
    r"^\s*\[[^\]\n]{0,20}(?:bot|status|news|monitor|tracker|isitdown|announcement|alert|press)"
    r"[^\]\n]{0,10}\]|\b(?:announce[sd]?|announcing|confirms|confirmed|reports|reported|"
    r"according to|in a statement|results|quarterly|q[1-4]|year[- ]on[- ]year|regulator|filing|"
    r"press release|(?:planned|scheduled) (?:maintenance|(?:\w+ )?(?:outage|interruption|works|"
    r"shutdown|disruption|downtime))|maintenance window|status update|"
    r"third[- ]party monitor|outage tracker|public tracker|round-?up|patch notes|release notes|"
    r"changelog|(?:is |are )?rolling out|now available|will (?:close|shut down|retire|"
    r"discontinue|introduce|launch|replace|roll out|raise|cut|end))\b"
)
#: A report holds one of these words (`_REPORTING` runs only then).
_REPORTING_WORDS = frozenset(
    {
        *("announce", "announced", "announces", "announcing", "confirms", "confirmed"),
        *("reports", "reported", "according", "statement", "results", "quarterly"),
        *("q1", "q2", "q3", "q4", "year", "regulator", "filing", "press", "maintenance"),
        *("planned", "scheduled"),
        *("status", "third", "monitor", "tracker", "roundup", "round", "patch", "release"),
        *("changelog", "will", "statusbot", "isitdown", "news", "bot", "alert", "rolling"),
        "available",
    }
)
#: A report's header: "Status: ...", "Travel update: ...", "ISP monitor: ...", "Local radio:
#: ...", looked for only in a text with a colon and one of `_HEADER_WORDS`.
_HEADER = re.compile(
    r"\s*(?:[\w-]+ ){0,2}(?:update|status|monitor|radio|news|trending|alert|bulletin|breaking)\s*:"
)
_HEADER_WORDS = frozenset(
    {"update", "status", "monitor", "radio", "news", "trending", "alert", "bulletin", "breaking"}
)
#: Someone speaking for themselves, or to the brand: not a report, whatever its words.
_OWN_VOICE = frozenset(
    {
        *("i", "i'm", "im", "i've", "ive", "i'd", "i'll", "me", "my", "mine", "myself"),
        *("we", "we're", "we've", "our", "ours", "us", "your", "ur"),
    }
)


def to_raw(compound: float) -> float:
    """Invert VADER's normalisation: the raw valence sum behind a compound score."""
    if compound >= 1.0 or compound <= -1.0:
        return math.copysign(_MAX_RAW, compound)
    return compound * math.sqrt(ALPHA / (1.0 - compound * compound))


def normalize(raw: float) -> float:
    """VADER's normalisation of a raw valence sum into -1..1."""
    return raw / math.sqrt(raw * raw + ALPHA)


def combine(vader_compound: float, domain: DomainResult) -> float:
    """The post's compound: VADER's raw sum with the domain layer's valence added.

    A text read in its post's frame is scored by `_combine_in_frame`. A plain question's
    negative VADER reading is damped when nothing in it complains ("does your insurance
    cover accidental damage?"). Sarcasm turns VADER's positive part negative. A strong
    complaint (worth `STRONG` or more)
    makes VADER's praise suspect: it is dropped rather than allowed to cancel the complaint out
    ("Been on hold for 45 minutes. Thanks a lot"). Strong praise the domain layer recognises
    likewise drops VADER's negative reading of it ("never misses")."""
    if domain.frame:
        return _combine_in_frame(vader_compound, domain)
    if (domain.dampen or domain.reported) and not domain.complaint:
        # "does your insurance cover accidental damage?" asks, "X will close 23 branches"
        # reports: neither complains, whatever VADER reads in their words.
        factor = 0.0 if domain.reported else QUESTION_DAMPING
        return _damped(vader_compound, domain.valence, factor)
    if not domain.hits:
        return vader_compound
    raw = to_raw(vader_compound)
    if raw > 0 and domain.sarcasm:
        raw = -raw - 1.0
    elif raw > 0 and domain.valence <= -STRONG:
        raw = 0.0
    elif raw < 0 and domain.valence >= STRONG:
        # VADER's negation bugs: "never misses", "not one delay all week" are praise.
        raw = 0.0
    return round(normalize(raw + domain.valence), 4)


def _combine_in_frame(vader_compound: float, domain: DomainResult) -> float:
    """`combine` for a text read in its post's frame (see `FRAMES`): an ad scores 0 (neither
    complaint nor praise); a problem put right keeps its positive readings only (`valence`
    is then its praise alone); a warning for others drops its negative readings, and an
    informational question damps them, unless something complains."""
    if domain.frame == NOT_A_COMPLAINT:
        return 0.0
    if domain.frame == PUT_RIGHT:
        # "They lost my bag" happened and was put right: only the praise counts.
        return round(normalize(max(to_raw(vader_compound), 0.0) + domain.valence), 4)
    if domain.complaint:
        # "Is that really you? And why has nobody replied in a week?" complains.
        return combine(vader_compound, replace_frame(domain, ""))
    factor = 0.0 if domain.for_others else QUESTION_DAMPING
    return _damped(vader_compound, domain.valence, factor)


def _damped(vader_compound: float, valence: float, factor: float) -> float:
    """VADER's and the domain layer's negative readings, damped by `factor`."""
    raw = to_raw(vader_compound)
    if raw < 0:
        raw *= factor
    if valence < 0:
        valence *= factor
    return round(normalize(raw + valence), 4)


def _stronger_frame(current: str, found: str) -> str:
    """Of two frames found in one post, the one that says most (see `FRAMES`)."""
    if not current:
        return found
    return current if FRAMES.index(current) <= FRAMES.index(found) else found


def replace_frame(found: DomainResult, frame: str) -> DomainResult:
    """A text's finding, read in its post's frame (one of `FRAMES`, or "" for none). A
    problem put right counts its praise alone, with `assess`'s diminishing returns: the
    problem was fixed."""
    valence = found.valence
    if frame == PUT_RIGHT:
        praise = [hit.valence for hit in found.hits if hit.valence > 0]
        valence = round(sum(praise) * ((3 / len(praise)) ** 0.5 if len(praise) > 3 else 1.0), 3)
    # Spelt out rather than `dataclasses.replace`, which is several times slower.
    return DomainResult(
        valence,
        found.sarcasm,
        found.hits,
        found.dampen,
        found.reported,
        found.complains,
        found.states,
        frame,
    )


@dataclass(frozen=True)
class DomainLayer:
    words: Mapping[str, float]
    rules_by_trigger: Mapping[str, tuple[Rule, ...]]
    emoji: Mapping[str, float]
    rules: tuple[Rule, ...] = field(default=())
    #: Every word that matters, with its hit (None if it is only a trigger) and the rules it
    #: triggers: one lookup per post instead of one per table.
    index: Mapping[str, tuple[Hit | None, tuple[Rule, ...]]] = field(default_factory=dict)
    #: Rules that recognise a plain question: tried only on a text ending with "?".
    question_rules: tuple[Rule, ...] = ()
    #: The frame rules by trigger word (`frame_of`).
    frames_by_trigger: Mapping[str, tuple[FrameRule, ...]] = field(default_factory=dict)
    #: Every frame rule's trigger words, for one set intersection per post framed.
    frame_triggers: frozenset[str] = frozenset()

    def frame_of(self, lower: str, tokens: set[str]) -> tuple[str, tuple[Hit, ...]]:
        """How a whole post (lower-cased, with its tokens) reads: its frame (one of `FRAMES`,
        or "") and the hits of the frame rules that fired. A frame may span sentences ("Lost
        my bag. They couriered it to the hotel that night. Class act.")."""
        keys = tokens.intersection(self.frame_triggers)
        if not keys:
            return "", ()
        candidates: Iterable[FrameRule]
        if len(keys) == 1:  # the usual case: no merging, no sorting
            candidates = self.frames_by_trigger[keys.pop()]
        else:
            merged: dict[int, FrameRule] = {}  # by identity: one hung on two words runs once
            for key in sorted(keys):
                for frame_rule in self.frames_by_trigger[key]:
                    merged[id(frame_rule)] = frame_rule
            candidates = merged.values()
        frame, hits = "", []
        for frame_rule in candidates:
            found = frame_rule.fires(lower, tokens)
            if found is not None:
                # No valence of its own: the frame changes how the others count (`combine`).
                hits.append(Hit("rule", f"{frame_rule.rule.name}: {found.group(0)!r}", 0.0))
                frame = _stronger_frame(frame, frame_rule.frame)
        return frame, tuple(hits)

    def assess(
        self,
        text: str,
        lower: str | None = None,
        tokens: set[str] | None = None,
        reported: bool | None = None,
    ) -> DomainResult:
        """What the domain layer sees in one text (already a sentence or a short post).

        `lower` and `tokens` may be passed in when the caller has them already, and
        `reported` when the caller knows whether the whole post reads as a report."""
        if lower is None:
            lower = text.lower()
        if tokens is None:
            tokens = set(tokens_of(lower))
        # One set intersection, in C: most posts hit no word and no trigger at all.
        keys = self.index.keys() & tokens
        ascii_only = lower.isascii()
        quoted = _may_quote(lower) and _scare_quoted(text)
        asks = lower.rstrip().endswith("?") and any(
            rule.search(lower) for rule in self.question_rules
        )
        if reported is None:
            reported = reports(lower, tokens)
        if not keys and ascii_only and not quoted:
            return _QUESTION if asks else _REPORT if reported else _NOTHING
        hits: list[Hit] = []
        rules: dict[int, Rule] = {}  # by identity: a rule hung on two of the words runs once
        index = self.index
        # A match's needed words (`Rule.needed`) are whole runs of letters and digits in the
        # text; without an apostrophe, those runs are exactly its tokens, so a rule whose
        # needed words are missing from the tokens cannot match.
        plain = "'" not in lower and "’" not in lower
        # In sorted order, not the set's: the hits (and the float sum of their valences) must
        # not depend on the process's hash seed, or a rescore rewrites unchanged verdicts.
        for key in sorted(keys) if len(keys) > 1 else keys:
            word, key_rules = index[key]
            if word is not None:
                hits.append(word)
            for rule in key_rules:
                # The word groups first, here: most rules a post triggers stop at them.
                for group in rule.needed if plain else rule.also:
                    if tokens.isdisjoint(group):
                        break
                else:
                    rules[id(rule)] = rule
        sarcasm = complains = states = False
        for rule in rules.values():
            found = rule.fires(lower, tokens, words_checked=True)
            if found is not None:
                kind = "sarcasm" if rule.sarcasm else "rule"
                hits.append(Hit(kind, f"{rule.name}: {found.group(0)!r}", rule.valence))
                sarcasm = sarcasm or rule.sarcasm
                if (rule.sarcasm and rule.valence < 0) or rule.valence <= -COMPLAINT_RULE:
                    if rule.stated:
                        states = True
                    else:
                        complains = True
        if quoted:
            # Quoting the brand's words back at it ('express', "included", 'on request') is
            # how customers complain; it also turns praise in the same post around.
            hits.append(Hit("sarcasm", SCARE_QUOTES_HIT, SCARE_QUOTES_VALENCE))
            sarcasm = True
        if not ascii_only:
            for char in sorted(self.emoji.keys() & set(lower)):
                hits.extend([Hit("emoji", char, self.emoji[char])] * lower.count(char))
            if "🙃" in lower:
                # The upside-down smile is irony: in the labelled posts it marks a complaint
                # thirty times for every once it does not. Beside a complaint it is one more;
                # alone it turns the post's praise around ("thanks for the reminder 🙃").
                if any(h.valence < 0 for h in hits):
                    complains = True
                    hits.append(Hit("sarcasm", "🙃 beside a complaint", -0.5))
                else:
                    hits.append(Hit("sarcasm", "🙃 (irony)", -0.5))
                sarcasm = True
        if not hits:
            return _QUESTION if asks else _REPORT if reported else _NOTHING
        # Repeats add up, with diminishing returns: three 😡 are angrier than one, not triple.
        total = sum(hit.valence for hit in hits)
        if len(hits) > 3:
            total *= (3 / len(hits)) ** 0.5
        return DomainResult(
            round(total, 3), sarcasm, tuple(hits), asks, reported, complains, states
        )


def reports(lower: str, tokens: set[str]) -> bool:
    """Whether a text (lower-cased, with its tokens) reads as a third-person report: an
    announcement, results, a status bot, a monitor, a status or travel update; never someone
    speaking for themselves. (`reports_in` for one part, spelt out: every post asks.)"""
    if ":" in lower and not tokens.isdisjoint(_HEADER_WORDS) and _HEADER.match(lower):
        return tokens.isdisjoint(_OWN_VOICE)
    if tokens.isdisjoint(_REPORTING_WORDS):
        return False
    return tokens.isdisjoint(_OWN_VOICE) and _REPORTING.search(lower) is not None


def reports_in(lower: str, token_sets: Sequence[set[str]]) -> bool:
    """`reports` for a text read in parts (a post's sentences, each with its tokens): the
    parts' tokens together are the text's, looked through without building their union."""
    if ":" in lower and not all(map(_HEADER_WORDS.isdisjoint, token_sets)) and _HEADER.match(lower):
        return all(map(_OWN_VOICE.isdisjoint, token_sets))
    if all(map(_REPORTING_WORDS.isdisjoint, token_sets)):
        return False
    return all(map(_OWN_VOICE.isdisjoint, token_sets)) and _REPORTING.search(lower) is not None


def _compile_rules(
    rules: Iterable[Mapping[str, Any]], source: str
) -> tuple[list[Rule], list[FrameRule]]:
    """The rules and the frame rules, each `[[rules.variants]]` entry compiled as a rule of
    its own: one rule (its name, frame, `requires`, `unless`, word groups) may have several
    patterns, each gated by its own trigger words, so that no common word runs a pattern it
    does not begin. A variant needs the rule's word groups (`also`) and its own."""
    specs = [
        (number, {**spec, **variant, "also": [*spec.get("also", ()), *variant.get("also", ())]})
        for number, spec in enumerate(rules)
        for variant in spec.get("variants") or [{}]
    ]
    compiled, frames = [], []
    for number, spec in specs:
        name = str(spec.get("name") or f"{source}[{number}]")
        pattern = str(spec["pattern"])
        triggers = spec.get("triggers") or TOKEN.findall(pattern.lower())[:1]
        # Posts are lower-cased before matching, so no IGNORECASE (it slows `re` down too).
        fast, boundary = _without_leading_boundary(pattern)
        also = tuple(
            frozenset(str(word).lower() for word in group) for group in spec.get("also", [])
        )
        rule = Rule(
            name=name,
            pattern=re.compile(fast),
            # A frame has no valence of its own: it changes how the others count.
            valence=0.0 if spec.get("frame") else float(spec.get("valence", -2.0)),
            triggers=frozenset(str(t).lower() for t in triggers),
            sarcasm=bool(spec.get("sarcasm", False)),
            also=also,
            boundary=boundary,
            unless=re.compile(str(spec["unless"])) if spec.get("unless") else None,
            dampen=bool(spec.get("dampen", False)),
            chars=str(spec.get("chars", "")),
            stated=bool(spec.get("stated", False)),
            needed=_needed_words(pattern, also),
            opening=opening_finder(fast),
            anchored="^" in fast,
        )
        if not spec.get("frame"):
            compiled.append(rule)
            continue
        frames.append(
            FrameRule(
                rule,
                frame=_frame_of_spec(spec, name),
                requires=re.compile(str(spec["requires"])) if spec.get("requires") else None,
                without=frozenset(str(word).lower() for word in spec.get("without", ())),
                contains=tuple(str(part).lower() for part in spec.get("contains", ())),
            )
        )
    return compiled, frames


#: `patterns.words_needed`, read once per pattern in a process that builds several layers.
_words_needed = functools.cache(words_needed)
#: At most this many of the word groups `patterns.words_needed` reads are checked per rule:
#: the shortest, the most telling; the others would cost more than the searches they spare.
_NEEDED_GROUPS = 3


def _needed_words(pattern: str, also: tuple[frozenset[str], ...]) -> tuple[frozenset[str], ...]:
    """`also`, then the word groups (`patterns.words_needed`) every match of `pattern` holds
    that `also` does not imply already (a group holding all the words of one of `also`)."""
    extra = [
        group
        for group in _words_needed(pattern) or ()
        if not any(implying <= group for implying in also)
    ]
    return also + tuple(extra[:_NEEDED_GROUPS])


def _frame_of_spec(spec: Mapping[str, Any], name: str) -> str:
    frame = str(spec.get("frame", ""))
    if frame and frame not in FRAMES:
        raise ValueError(f"rule {name!r}: frame {frame!r} is not one of {FRAMES}")
    return frame


@functools.cache
def packaged_lexicon() -> dict[str, object]:
    text = files("mentionwatch.classify").joinpath("domain_lexicon.toml").read_text("utf-8")
    data: dict[str, object] = tomllib.loads(text)
    return data


def build_layer(
    vader_words: Mapping[str, float] | None = None,
    extra_words: Mapping[str, float] | None = None,
    extra_phrases: Mapping[str, float] | None = None,
) -> DomainLayer:
    """The packaged lexicon and rules, plus the user's `[sentiment.lexicon]` words and
    `[sentiment.phrases]` (a phrase -> valence). Packaged words VADER already knows are
    left to VADER, so nothing is counted twice; a user's word always counts."""
    data = packaged_lexicon()
    words: dict[str, float] = {}
    for group in data["words"].values():  # type: ignore[attr-defined]
        for word, valence in group.items():
            if vader_words is None or word not in vader_words:
                words[word] = float(valence)
    words.update({w.lower(): float(v) for w, v in (extra_words or {}).items()})
    rules, frame_rules = _compile_rules(data["rules"], "rules")  # type: ignore[arg-type]
    for phrase, valence in (extra_phrases or {}).items():
        body = r"\s+".join(re.escape(part) for part in phrase.lower().split())
        rules.append(
            Rule(
                name=f"phrase {phrase!r}",
                pattern=re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE),
                valence=float(valence),
                triggers=frozenset(TOKEN.findall(phrase.lower())[:1]),
            )
        )
    question_rules = tuple(rule for rule in rules if rule.dampen)
    rules = [rule for rule in rules if not rule.dampen]
    by_trigger: dict[str, list[Rule]] = {}
    for rule in rules:
        for trigger in rule.triggers:
            by_trigger.setdefault(trigger, []).append(rule)
    frames_by_trigger: dict[str, list[FrameRule]] = {}
    for frame_rule in frame_rules:
        for trigger in frame_rule.rule.triggers:
            frames_by_trigger.setdefault(trigger, []).append(frame_rule)
    emoji = {char: float(v) for char, v in data["emoji"].items()}  # type: ignore[attr-defined]
    index = {
        token: (
            Hit("word", token, words[token]) if token in words else None,
            tuple(by_trigger.get(token, ())),
        )
        for token in set(words) | set(by_trigger)
    }
    return DomainLayer(
        words=words,
        rules_by_trigger={t: tuple(r) for t, r in by_trigger.items()},
        emoji=emoji,
        rules=tuple(rules),
        index=index,
        question_rules=question_rules,
        frames_by_trigger={t: tuple(r) for t, r in frames_by_trigger.items()},
        frame_triggers=frozenset(frames_by_trigger),
    )
