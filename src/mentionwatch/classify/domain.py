"""The domain layer: the customer-service complaints VADER misses, and why a post scored so.

VADER scores "My order never arrived" and "Still waiting for my refund after 3 weeks" 0.0 and
"Been on hold for 45 minutes. Thanks a lot" as positive. This layer adds, on VADER's own scale
(valences of about -4..+4, summed before VADER's normalisation), what a support team knows:

* words VADER's lexicon lacks (inflected forms included: "crash" is in it, "crashed" is not),
* phrase rules (waiting durations, "still no reply", "never arrived", "cancel my ...",
  "switching to ...", "charged twice", "can't log in", "third time this week" ...),
* sarcasm cues around praise ("thanks for nothing", "great, another ...", 🙃 with a complaint),
  which turn VADER's praise into the complaint it is,
* negative emoji VADER lacks.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, NamedTuple

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

    def search(self, lower: str) -> re.Match[str] | None:
        found = self.pattern.search(lower)
        if not self.boundary:
            return found
        while found is not None and found.start() > 0 and _is_word_char(lower[found.start() - 1]):
            found = self.pattern.search(lower, found.start() + 1)
        return found

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


@dataclass(frozen=True, slots=True)
class DomainResult:
    valence: float = 0.0
    sarcasm: bool = False
    hits: tuple[Hit, ...] = ()
    #: The text is a plain question: its negative readings are damped unless it complains.
    dampen: bool = False
    #: The text reports news in the third person ("X announces ...", "Q3 results: ..."): its
    #: negative readings are dropped unless it complains.
    reported: bool = False

    @property
    def complains(self) -> bool:
        """A complaint rule or a sarcasm cue fired: no damping for questions or news. Words
        in quotes do not count: a question quotes the site's terms to ask about them."""
        return any(
            (hit.kind == "sarcasm" and hit.valence < 0 and hit.what != SCARE_QUOTES_HIT)
            or (hit.kind == "rule" and hit.valence <= -COMPLAINT_RULE)
            for hit in self.hits
        )


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
    r"press release|(?:planned|scheduled) maintenance|maintenance window|status update|"
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
        *("status", "third", "monitor", "tracker", "roundup", "round", "patch", "release"),
        *("changelog", "will", "statusbot", "isitdown", "news", "bot", "alert", "rolling"),
        "available",
    }
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

    A plain question's negative VADER reading is damped when nothing in it complains
    ("does your insurance cover accidental damage?"). Sarcasm turns VADER's positive part
    negative. A strong complaint (worth `STRONG` or more)
    makes VADER's praise suspect: it is dropped rather than allowed to cancel the complaint out
    ("Been on hold for 45 minutes. Thanks a lot"). Strong praise the domain layer recognises
    likewise drops VADER's negative reading of it ("never misses")."""
    if (domain.dampen or domain.reported) and not domain.complains:
        # "does your insurance cover accidental damage?" asks, "X will close 23 branches"
        # reports: neither complains, whatever VADER reads in their words.
        factor = 0.0 if domain.reported else QUESTION_DAMPING
        raw, valence = to_raw(vader_compound), domain.valence
        if raw < 0:
            raw *= factor
        if valence < 0:
            valence *= factor
        return round(normalize(raw + valence), 4)
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
        quoted = _may_quote(lower) and bool(_SCARE_QUOTES.search(text))
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
        # In sorted order, not the set's: the hits (and the float sum of their valences) must
        # not depend on the process's hash seed, or a rescore rewrites unchanged verdicts.
        for key in sorted(keys):
            word, key_rules = index[key]
            if word is not None:
                hits.append(word)
            for rule in key_rules:
                # The word groups first, here: most rules a post triggers stop at them.
                if not rule.also or not any(map(tokens.isdisjoint, rule.also)):
                    rules[id(rule)] = rule
        sarcasm = False
        for rule in rules.values():
            found = rule.fires(lower, tokens, words_checked=True)
            if found is not None:
                kind = "sarcasm" if rule.sarcasm else "rule"
                hits.append(Hit(kind, f"{rule.name}: {found.group(0)!r}", rule.valence))
                sarcasm = sarcasm or rule.sarcasm
        if quoted:
            # Quoting the brand's words back at it ('express', "included", 'on request') is
            # how customers complain; it also turns praise in the same post around.
            hits.append(Hit("sarcasm", SCARE_QUOTES_HIT, SCARE_QUOTES_VALENCE))
            sarcasm = True
        if not ascii_only:
            for char in sorted(self.emoji.keys() & set(lower)):
                hits.extend([Hit("emoji", char, self.emoji[char])] * lower.count(char))
            if "🙃" in lower and any(h.valence < 0 for h in hits):
                sarcasm = True
                hits.append(Hit("sarcasm", "🙃 beside a complaint", -0.5))
        if not hits:
            return _QUESTION if asks else _REPORT if reported else _NOTHING
        # Repeats add up, with diminishing returns: three 😡 are angrier than one, not triple.
        total = sum(h.valence for h in hits)
        if len(hits) > 3:
            total *= (3 / len(hits)) ** 0.5
        return DomainResult(round(total, 3), sarcasm, tuple(hits), asks, reported)


def reports(lower: str, tokens: set[str]) -> bool:
    """Whether a text (lower-cased, with its tokens) reads as a third-person report: an
    announcement, results, a status bot, a monitor; never someone speaking for themselves."""
    if tokens.isdisjoint(_REPORTING_WORDS):
        return False
    return tokens.isdisjoint(_OWN_VOICE) and _REPORTING.search(lower) is not None


def _compile_rules(rules: Iterable[Mapping[str, Any]], source: str) -> list[Rule]:
    compiled = []
    for number, spec in enumerate(rules):
        name = str(spec.get("name") or f"{source}[{number}]")
        pattern = str(spec["pattern"])
        triggers = spec.get("triggers") or TOKEN.findall(pattern.lower())[:1]
        # Posts are lower-cased before matching, so no IGNORECASE (it slows `re` down too).
        fast, boundary = _without_leading_boundary(pattern)
        compiled.append(
            Rule(
                name=name,
                pattern=re.compile(fast),
                valence=float(spec.get("valence", -2.0)),
                triggers=frozenset(str(t).lower() for t in triggers),
                sarcasm=bool(spec.get("sarcasm", False)),
                also=tuple(
                    frozenset(str(word).lower() for word in group) for group in spec.get("also", [])
                ),
                boundary=boundary,
                unless=re.compile(str(spec["unless"])) if spec.get("unless") else None,
                dampen=bool(spec.get("dampen", False)),
                chars=str(spec.get("chars", "")),
            )
        )
    return compiled


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
    rules = _compile_rules(data["rules"], "rules")  # type: ignore[arg-type]
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
    )
