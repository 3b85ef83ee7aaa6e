"""A realistic mentionwatch database of any size, written through the project's own `Store`.

`generate(path, count, seed)` writes `count` mentions of the brand "Acme" into a new SQLite file
the way three years of scanning would have left them, and `cached_database(count, seed)` keeps
one under `bench/.data/` (gitignored) so that the harness (`bench/run.py`) builds the
1,000,000-mention database once, not on every run.

What "realistic" means here, and how each part is made:

- **Sources.** 31 sources of 8 kinds (Google Alerts and blog feeds, Hacker News, Reddit,
  Mastodon, Bluesky, Stack Exchange, GitHub, Lobsters), with volumes as uneven as real ones.
- **Texts.** Composed from templates and word pools (features, problems, durations, versions,
  competitors, numbers...), so that no two posts are the same text. Lengths follow each kind:
  toots and skeets of 40-300 characters, Google Alerts snippets of a few hundred, Reddit
  self-posts, Hacker News comments, Stack Exchange questions and GitHub issues up to a few
  thousand, in paragraphs. Some carry emoji and links, social posts often open with @Acme.
- **Sentiment mix.** Each post is written as a complaint (~24 %), praise (~20 %), a neutral
  mention (~34 %), a question (~14 %), spam (~6 %) or one of the brand's own posts (~2 %).
  The label stored is not that intention but the real classifier's verdict on the text
  (`classify.verdict.assess`), exactly as a scan would store it, so the mix in the database
  is whatever the classifier makes of it (printed after generation).
- **Verdicts of older posts.** Posts older than `STALE_AFTER` were "stored before the triage
  classifier existed": they keep bare VADER's verdict (`classify.sentiment.bare_vader`: no
  spam, no question, no domain layer), as a real database upgraded in place does until
  `mentionwatch rescore`. That is the realistic first rescore, which rewrites those rows.
- **Authors.** Zipf-distributed over a large pool per kind, so a few hundred people write a
  large share of the posts; the most active ones lean positive (advocates) or negative.
- **Dates.** Spread over three years, denser towards now (volume grew about 4x), relative to
  the generation time. `cached_database` regenerates a cache older than `max_age_days`, so
  `stats --since 30d` always sees a realistic last month.
- **Status.** Decided from the verdict and the age: most complaints and questions answered
  (by a brand reply found in the thread, with the replies stored, or marked by a person) or
  ignored, the recent ones mostly still open, a few old ones forgotten; neutral and positive
  posts mostly ignored or left open; spam mostly ignored. Answered mentions have an
  `answered_by` and a `first_response_s` (log-normal, median about 2.5 h). A few carry a
  person's spam mark or sentiment label.

Everything goes through `Store`: `save_poll` (one transaction per source per chunk of a few
thousand mentions, as a scan commits one per source), then `save_thread_check`, `set_status`,
`set_spam_mark` and `set_human_label` per mention, as the thread check and the team would.
Composition and classification run in worker processes (one per CPU); the main process
writes. The texts and statuses are deterministic for a given (count, seed); the dates follow
the clock, and the verdicts are those of the classifier at generation time (the cache key does
not include the classifier, as a real database keeps the verdicts it was scanned with).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import hashlib
import json
import math
import os
import random
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mentionwatch.store import Store

BENCH = Path(__file__).resolve().parent
#: Where `cached_database` keeps generated databases (gitignored).
DATA_DIR = BENCH / ".data"
#: Bump when the generator's output changes: old caches are then regenerated, not reused.
GENERATOR_VERSION = 1
BRAND = "Acme"
#: The `[brand]` section every benchmark config uses; the handles are the brand's own accounts.
BRAND_TOML = (
    f'[brand]\nname = "{BRAND}"\nterms = ["{BRAND}"]\n'
    'handles = ["AcmeSupport", "AcmeHQ", "*atAcme"]\nsla = "4h"\n'
)
YEARS = 3
#: Volume grew this much over the three years: the last month is the densest.
GROWTH = 4.0
#: Posts older than this keep bare VADER's verdict, as stored before the triage classifier.
STALE_AFTER = timedelta(days=425)
#: Mentions composed, classified and written per chunk (one `save_poll` per source in it).
CHUNK = 4000


# --- sources and their kinds ---------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How posts of one platform look: lengths (characters, log-normal), titles, threads."""

    name: str
    median_chars: int
    sigma: float
    min_chars: int
    max_chars: int
    title_share: float
    has_threads: bool


KINDS = {
    k.name: k
    for k in (
        Kind("rss", 230, 0.45, 80, 700, 1.0, False),
        Kind("hackernews", 280, 0.9, 40, 3000, 0.25, True),
        Kind("reddit", 320, 1.0, 40, 4000, 1.0, True),
        Kind("mastodon", 150, 0.55, 40, 500, 0.0, True),
        Kind("bluesky", 120, 0.5, 30, 300, 0.0, True),
        Kind("stackexchange", 700, 0.6, 150, 3000, 1.0, True),
        Kind("github", 550, 0.8, 80, 4000, 1.0, True),
        Kind("lobsters", 200, 0.7, 40, 1500, 0.5, True),
    )
}

#: (name, kind, relative volume): 31 sources, as uneven as real ones.
SOURCES: tuple[tuple[str, str, float], ...] = (
    ("google-alerts-acme", "rss", 8),
    ("google-alerts-acme-cloud", "rss", 3),
    ("techpress-feed", "rss", 1),
    ("devweekly-feed", "rss", 1),
    ("saas-reviews-feed", "rss", 1),
    ("status-watchers-blog", "rss", 0.5),
    ("acme-community-forum", "rss", 3),
    ("news-aggregator", "rss", 1),
    ("hn-acme", "hackernews", 6),
    ("hn-acme-cloud", "hackernews", 2),
    ("reddit-acme", "reddit", 10),
    ("reddit-r-saas", "reddit", 3),
    ("reddit-r-sysadmin", "reddit", 3),
    ("reddit-r-selfhosted", "reddit", 2),
    ("reddit-r-productivity", "reddit", 2),
    ("mastodon-social-acme", "mastodon", 10),
    ("fosstodon-acme", "mastodon", 4),
    ("hachyderm-acme", "mastodon", 3),
    ("mstdn-acme", "mastodon", 2),
    ("infosec-exchange-acme", "mastodon", 1),
    ("bluesky-acme", "bluesky", 12),
    ("bluesky-acmesupport", "bluesky", 4),
    ("bluesky-acme-cloud", "bluesky", 2),
    ("stackoverflow-acme", "stackexchange", 4),
    ("serverfault-acme", "stackexchange", 1),
    ("superuser-acme", "stackexchange", 1),
    ("github-acme-sdk", "github", 3),
    ("github-acme-cli", "github", 2),
    ("github-search-acme", "github", 1),
    ("lobsters-acme", "lobsters", 1),
    ("lobsters-acme-cloud", "lobsters", 0.5),
)

#: What each post is written as (the classifier then judges it), with its share.
INTENTS = (
    ("negative", 0.24),
    ("positive", 0.20),
    ("neutral", 0.34),
    ("question", 0.14),
    ("spam", 0.06),
    ("own", 0.02),
)
TEAM = ("maya", "jonas", "priya", "tom", "lea", "sam", "noor")
BRAND_HANDLES = ("AcmeSupport", "AcmeHQ", "jane_atAcme", "dev_atAcme")


def sources_toml(urls: dict[str, str] | None = None) -> str:
    """`[[sources]]` for every generated source (URLs are never fetched unless given)."""
    blocks = []
    for name, kind, _ in SOURCES:
        url = (urls or {}).get(name, f"https://feeds.example/{name}.xml")
        settings = {
            "rss": f'url = "{url}"\n',
            "hackernews": 'query = "Acme"\n',
            "reddit": 'query = "Acme"\n',
            "mastodon": 'base_url = "https://mastodon.example"\nhashtags = ["acme"]\n',
            "bluesky": 'query = "Acme"\n',
            "stackexchange": 'site = "stackoverflow"\nquery = "acme"\n',
            "github": 'query = "acme"\n',
            "lobsters": 'tags = ["acme"]\n',
        }[kind]
        enabled = "" if kind == "rss" else "enabled = false\n"
        blocks.append(f'[[sources]]\nname = "{name}"\nkind = "{kind}"\n{settings}{enabled}')
    return "\n".join(blocks)


# --- word pools and templates ----------------------------------------------------------------

FEATURES = (
    "dashboard", "billing page", "mobile app", "API", "sync", "CSV export", "search",
    "SSO login", "invoice emails", "webhooks", "notifications", "calendar integration",
    "desktop client", "CLI", "Android app", "iOS app", "offline mode", "backups",
    "analytics view", "new editor", "dark mode", "2FA flow", "onboarding", "admin console",
    "audit log", "CSV import", "Slack integration", "Zapier integration", "status page",
    "file uploads", "team permissions", "reporting module", "REST API", "GraphQL API",
    "browser extension", "password reset", "usage limits", "free tier", "search filters",
)  # fmt: skip
PROBLEMS = (
    "keeps crashing", "won't load", "logs me out every hour", "times out",
    "throws a 502", "is painfully slow", "lost half my data", "charged me twice",
    "shows a blank screen", "drains my battery", "silently fails", "broke after the update",
    "freezes on save", "duplicates every entry", "won't sync", "rejects my card",
    "sends no emails", "corrupted my export", "spins forever", "returns 500s",
    "deleted my settings", "stopped working", "is down again", "ignores my filters",
)  # fmt: skip
CITIES = (
    "Berlin", "Lisbon", "Austin", "Toronto", "Singapore", "Nairobi", "Melbourne", "Dublin",
    "Warsaw", "Osaka", "Bogotá", "Oslo", "Leeds", "Lyon", "Pune",
)  # fmt: skip
SITUATIONS = (
    "the token expires", "paginating past 10k rows", "uploading large files", "using SSO",
    "calling from a worker",
)  # fmt: skip
SLOTS: dict[str, tuple[str, ...]] = {
    "feature": FEATURES,
    "feature2": FEATURES,
    "problem": PROBLEMS,
    "plan": ("Starter", "Pro", "Business", "Enterprise", "Teams", "Education", "Nonprofit"),
    "role": ("support engineer", "designer", "SRE", "product manager", "data analyst"),
    "city": CITIES,
    "team": ("support", "marketing", "platform", "finance", "design", "ops", "sales", "data"),
    "competitor": ("Zentrix", "Notable", "Brightdesk", "Cloudlane", "Taskloom", "Vaultbox"),
    "event": ("KubeCon", "SaaStr", "FOSDEM", "Web Summit", "PyCon", "re:Invent"),
    "quarter": ("Q1", "Q2", "Q3", "Q4"),
    "tech": ("Postgres", "Kubernetes", "Rust", "Go services", "a Rails monolith", "Django"),
    "thing": ("projects", "invoices", "contacts", "notes", "boards", "attachments", "logs"),
    "audience": ("students", "nonprofits", "open-source projects", "startups", "teachers"),
    "os": ("macOS 14", "Windows 11", "Ubuntu 24.04", "Android 14", "iOS 17", "Fedora 40"),
    "idp": ("Okta", "Azure AD", "Google Workspace", "Keycloak", "JumpCloud"),
    "month": ("January", "March", "April", "June", "August", "September", "November"),
    "category": ("project management", "helpdesk", "CRM", "note-taking", "monitoring"),
    "action": ("paginate results", "rotate API keys", "bulk delete", "filter by tag"),
    "situation": SITUATIONS,
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "period": ("week", "month", "quarter", "sprint"),
    "unit": ("hours", "days", "minutes", "weeks"),
    "emoji": ("😡", "🙃", "🤡", "💀", "👏", "🎉", "❤️", "🔥", "😤", "🙏", "👍", "😭", "✨"),
}
#: How a post names the brand: {brand} anywhere, {brands} where a possessive fits.
BRAND_FORMS = (BRAND, BRAND, BRAND, f"@{BRAND}", BRAND.lower(), f"#{BRAND}")
POSSESSIVES = (f"{BRAND}'s", f"{BRAND}'s", f"{BRAND.lower()}'s", f"@{BRAND}'s")

#: First sentences: the brand named, the intent clear.
OPENING: dict[str, tuple[str, ...]] = {
    "negative": (
        "{brand} {feature} {problem}.", "{brands} {feature} {problem} for {n} {unit}.",
        "{brand} support has ignored my ticket #{ticket} for {n} days.",
        "{brands} {feature} {problem} again.", "third outage this {period}, {brand}.",
        "{brand} charged us twice for the {plan} plan and nobody answers.",
        "why does the {brand} {feature} {problem} every single {day}",
        "{brand} just lost {n} hours of my work. the {feature} {problem}.",
        "great job {brand}, the {feature} {problem} right before my demo {emoji}",
        "cancelling {brand} {plan}. paying for it and the {feature} {problem}.",
    ),
    "positive": (
        "loving the new {feature} in {brand}!", "{brands} {feature} is fantastic.",
        "{brand} support fixed my issue in {n} minutes. thank you!",
        "switched our {team} team to {brand} and the migration was painless.",
        "really impressed with the {brands} {feature}.", "great job on the {feature}, {brand}!",
        "the new {brand} {feature} saves me hours every week {emoji}",
        "finally a {category} tool that just works: {brand}.",
        "{brand} {version} is excellent, the {feature} is so fast now.",
        "shoutout to the {brand} team, brilliant support on a {day}.",
    ),
    "neutral": (
        "{brand} announced a {plan} plan today.", "{brand} is hiring {role}s in {city}.",
        "we moved our {team} team to {brand} last quarter.",
        "{brand} {version} release notes are out.",
        "comparing {brand} and {competitor} for our {team} team.",
        "{brand} will be at {event} next week.",
        "{brand} published its {quarter} transparency report.",
        "{brand} changed the default {feature} settings in {version}.",
        "reading the {brand} docs on the {feature}.",
        "our {team} team uses {brand} and {competitor} side by side.",
        "{brand} now has a data centre in {city}.",
        "the {brand} {feature} runs on {tech} under the hood.",
    ),
    "question": (
        "does {brand} support {feature}?", "how do I export my {thing} from {brand}?",
        "is there a way to get the {brand} {feature} working with {competitor}?",
        "anyone know if {brand} offers a discount for {audience}?",
        "when is {brand} adding the {feature} to the {plan} plan?",
        "can I move my {thing} from {competitor} to {brand} without losing history?",
        "what's the best way to set up the {brand} {feature} for a team of {n}?",
        "has anyone tried the {brand} {feature} on {os}?",
        "how long does {brand} keep deleted {thing}?",
        "is the {brand} {feature} included in the {plan} plan?",
    ),
    "spam": (
        "🚀 {brand} airdrop is LIVE! Claim your free tokens now: {spamurl}",
        "{brand} customers! 🎁 Claim your FREE reward, you have been selected: {spamurl}",
        "I made ${money} a week working from home with {brand}, ask me how 👉 {spamurl}",
        "Buy cheap {brand} premium accounts, lifetime access, DM me on telegram @{spamhandle}",
        "{brand} support helpline 24/7 call +1-8{digits} for instant refunds",
        "Get {n}k followers fast, better than {brand} ads!!! {spamurl}",
        "free {brand} gift card giveaway 🎉 just DM me, {brand} sponsored (not fake) {spamurl}",
        "URGENT: your {brand} account will be suspended, verify your password here {spamurl}",
    ),
    "own": (
        "We just shipped the {feature} for everyone on the {plan} plan. Details: {ownurl}",
        "Heads up: scheduled maintenance of the {feature} on {day} at {hour}:00 UTC. {ownurl}",
        "Thanks for all the feedback on {version}! The {feature} fix is rolling out now.",
        "{brand} {version} is out: a faster {feature} and a new {feature2}. {ownurl}",
    ),
}  # fmt: skip
#: Further sentences of a longer post: more detail in the same voice.
FOLLOW_UP: dict[str, tuple[str, ...]] = {
    "negative": (
        "Third time this {period}.", "Support keeps sending the same canned reply.",
        "Ticket #{ticket} still open after {n} days.",
        "We pay for {n2} seats on the {plan} plan and this is what we get.",
        "Already lost a client demo because of it.",
        "Tried reinstalling, clearing the cache, another browser. Nothing.",
        "Error: request to /api/v2/{thing} failed after {n2} ms (code {code}).",
        "Steps to reproduce: open the {feature}, click export, wait.",
        "Expected: the file downloads. Actual: a spinner for {n} seconds, then nothing.",
        "Version {version} on {os}.", "Edit: still broken on {version}.",
        "Looking at {competitor} now.", "Nobody from the team has replied in {n} days.",
        "The {feature2} is slow too.", "Really disappointed.", "Unacceptable for a paid plan.",
        "So frustrating.", "I'm done.",
    ),
    "positive": (
        "Setup took {n} minutes.", "We moved {n2} {thing} over without a hitch.",
        "Our {team} team is happier already.", "Support answered within {n} minutes.",
        "Worth every cent of the {plan} plan.", "Recommended to anyone stuck on {competitor}.",
        "Kudos to the team.", "The {feature2} alone saves us hours.",
        "Been a customer since {year} and it keeps getting better.",
        "We run it for {n2} users across {n} workspaces.", "Version {version} on {os}.",
    ),
    "neutral": (
        "We are a team of {n} people running {tech}.",
        "Our setup: {n} workspaces, SSO through {idp}, roughly {n2} users.",
        "For context, we migrated from {competitor} in {month}.",
        "The {plan} plan costs ${n} per seat.", "The release notes list {n} changes.",
        "It runs on {tech}.", "The docs cover the {feature2} in some detail.",
        "Pricing starts at ${n} a month.", "The announcement mentions {city}.",
        "Version {version} on {os}.",
    ),
    "question": (
        "Thanks in advance!", "I couldn't find it in the docs.",
        "We're on the {plan} plan with {n2} seats.", "Version {version} on {os}.",
        "Tried the {feature2} settings but saw nothing obvious.",
        "Our setup: {n} workspaces, SSO through {idp}.",
        "For context, we migrated from {competitor} in {month}.",
    ),
    "spam": (
        "Limited time only!!!", "100% legit, {n}k happy users.", "DM now 👉 {spamurl}",
        "Don't miss out 🚀🚀", "Only {n} spots left.",
    ),
    "own": (
        "Thanks to everyone who reported it.", "Docs: {ownurl}",
        "Rolling out over the next {n} hours.", "Questions? Reply here or write to support.",
    ),
}  # fmt: skip
TITLES = {
    "negative": (
        "{brand} {feature} {problem}", "Anyone else having issues with the {brand} {feature}?",
        "{brand} outage hits customers in {city}", "Why we left {brand} for {competitor}",
        "{brand} {feature} {problem} since {version}", "PSA: {brand} {plan} price going up again",
    ),
    "positive": (
        "{brand} {version} review: the {feature} is excellent",
        "Switched from {competitor} to {brand}, great decision",
        "How {brand} saved our {team} team hours every week",
        "{brand} raises ${money}M to expand the {feature}",
    ),
    "neutral": (
        "{brand} vs {competitor}: which {category} tool in {year}?",
        "{brand} {version} released", "{brand} announces {plan} plan",
        "Notes from moving our {team} team to {brand}",
    ),
    "question": (
        "How to {action} with the {brand} {feature}?",
        "{brand} API returns {code} when {situation}",
        "Is the {brand} {feature} worth it for a team of {n}?",
        "Does {brand} support {feature}?",
    ),
    "spam": ("{brand} FREE giveaway", "Claim your {brand} reward", "{brand} premium cheap"),
    "own": ("{brand} {version} is out", "What's new in {brand}: {feature}"),
}  # fmt: skip
HASHTAGS = ("#saas", "#devops", "#productivity", "#support", "#outage", "#remotework", "#tech")
OPENERS = ("ugh, ", "lol ", "ok so ", "honestly ", "PSA: ", "hey ", "")
_SLOT = re.compile(r"\{(\w+)\}")


def _fill(template: str, rng: random.Random) -> str:
    """Fill every {slot} of a template: words from the pools, numbers drawn fresh."""

    def value(match: re.Match[str]) -> str:
        slot = match.group(1)
        pool = SLOTS.get(slot)
        if pool is not None:
            return rng.choice(pool)
        return _NUMBERS[slot](rng)

    return _SLOT.sub(value, template)


_NUMBERS: dict[str, Callable[[random.Random], str]] = {
    "brand": lambda rng: rng.choice(BRAND_FORMS),
    "brands": lambda rng: rng.choice(POSSESSIVES),
    "n": lambda rng: str(rng.randint(2, 60)),
    "n2": lambda rng: str(rng.randint(100, 9000)),
    "money": lambda rng: f"{rng.randint(2, 90) * 100:,}",
    "version": lambda rng: f"v{rng.randint(1, 6)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}",
    "year": lambda rng: str(rng.randint(2015, 2025)),
    "ticket": lambda rng: str(rng.randint(10_000, 999_999)),
    "code": lambda rng: rng.choice(("401", "403", "429", "500", "502", "504")),
    "hour": lambda rng: str(rng.randint(0, 23)),
    "digits": lambda rng: str(rng.randint(100_000_000, 999_999_999)),
    "spamhandle": lambda rng: f"acme_deals{rng.randint(1, 999)}",
    "spamurl": lambda rng: (
        f"https://{rng.choice(('acme-rewards', 'free-acme', 'acmegift'))}{rng.randint(1, 99)}"
        f".{rng.choice(('top', 'xyz', 'click'))}/{rng.randint(1000, 99999)}"
    ),
    "ownurl": lambda rng: f"https://acme.example/blog/{rng.randint(100, 9999)}",
}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text


def compose(kind: Kind, intent: str, rng: random.Random) -> tuple[str, str]:
    """(title, text) of one post of this kind and intent, of a length typical for the kind."""
    target = int(rng.lognormvariate(math.log(kind.median_chars), kind.sigma))
    target = max(kind.min_chars, min(kind.max_chars, target))
    title = ""
    if rng.random() < kind.title_share:
        # Titles name the brand plainly: no @ or # there.
        title = _fill(rng.choice(TITLES[intent]), rng).replace("@", "").replace("#", "")
    social = kind.name in ("mastodon", "bluesky")
    first = _fill(rng.choice(OPENING[intent]), rng)
    # Social posts are often lower case and addressed to the brand; the rest are written out.
    if social and intent not in ("own", "spam"):
        first = rng.choice(OPENERS) + first
        if rng.random() < 0.3 and f"@{BRAND}" not in first:
            first = f"@{BRAND} {first}"
    else:
        first = _capitalised(first)
    parts = [first]
    length = len(first) + len(title)
    sentences = 0
    # Each follow-up template at most once per round, so a post does not repeat itself.
    templates: list[str] = []
    while length < target:
        if not templates:
            templates = rng.sample(FOLLOW_UP[intent], len(FOLLOW_UP[intent]))
        sentence = _fill(templates.pop(), rng)
        sentences += 1
        # Long posts come in paragraphs of 3-5 sentences.
        parts.append(("\n\n" if sentences % rng.randint(3, 5) == 0 else " ") + sentence)
        length += len(sentence) + 1
    text = "".join(parts)
    if social:
        if rng.random() < 0.2:
            text += " " + rng.choice(SLOTS["emoji"])
        if rng.random() < 0.2:
            text += " " + " ".join(rng.sample(HASHTAGS, rng.randint(1, 2)))
    if len(text) > kind.max_chars:
        text = text[: kind.max_chars].rsplit(" ", 1)[0]
    return title, text


# --- authors, dates, identities --------------------------------------------------------------

_SYLLABLES = (
    "ka", "lo", "mi", "ren", "tas", "vo", "zel", "an", "bri", "cor", "da", "el", "fen", "gra",
    "hal", "is", "jo", "kip", "lu", "mar", "nel", "or", "pia", "quin", "ros", "sa", "tor",
)  # fmt: skip
AUTHORS_PER_KIND = 60_000
ZIPF_S = 1.07


def author_name(kind: str, rank: int) -> str:
    """The handle of the author at this rank on this platform, in the platform's format."""
    digest = hashlib.blake2b(f"{kind}:{rank}".encode(), digest_size=8).digest()
    name = "".join(_SYLLABLES[b % len(_SYLLABLES)] for b in digest[:3]) + str(digest[3] % 100)
    if kind == "mastodon":
        return f"{name}@{('mastodon.social', 'fosstodon.org', 'hachyderm.io')[digest[4] % 3]}"
    if kind == "bluesky":
        return f"{name}.bsky.social"
    if kind == "rss":
        return f"{name.capitalize()} {_SYLLABLES[digest[5] % len(_SYLLABLES)].capitalize()}son"
    return name


_zipf_cumulative: list[float] = []


def author_rank(rng: random.Random) -> int:
    """A rank drawn from a Zipf distribution: rank 0 posts most, the tail posts once."""
    if not _zipf_cumulative:
        total = 0.0
        for rank in range(1, AUTHORS_PER_KIND + 1):
            total += rank**-ZIPF_S
            _zipf_cumulative.append(total)
    return bisect.bisect_left(_zipf_cumulative, rng.random() * _zipf_cumulative[-1])


def intent_for(rank: int, rng: random.Random) -> str:
    """What the post is written as; the most active authors lean one way (advocates and
    serial complainers), the rest follow the overall mix."""
    if rank < 3000 and rank % 10 == 3 and rng.random() < 0.6:
        return "positive"
    if rank < 3000 and rank % 10 == 7 and rng.random() < 0.5:
        return "negative"
    roll = rng.random()
    for intent, share in INTENTS:
        roll -= share
        if roll < 0:
            return intent
    return "neutral"


def post_ages(count: int, rng: random.Random) -> list[float]:
    """Ages in seconds, oldest first: three years, volume growing `GROWTH` times."""
    span = YEARS * 365 * 86400
    tau = span / math.log(GROWTH)
    mass = 1 - math.exp(-span / tau)
    ages = [-tau * math.log(1 - rng.random() * mass) for _ in range(count)]
    ages.sort(reverse=True)
    return ages


def identity(kind: str, source: str, index: int, author: str) -> tuple[str, str, str | None]:
    """(native id, URL, thread reference) of post `index`, in the platform's own format."""
    user = author.split("@")[0].split(".")[0]
    if kind == "rss":
        host = f"{source}.news.example"
        return f"tag:{host},2024:{index}", f"https://{host}/posts/{index}-acme", None
    if kind == "hackernews":
        item = 30_000_000 + index
        return str(item), f"https://news.ycombinator.com/item?id={item}", str(item)
    if kind == "reddit":
        ident = f"t3_{index:x}"
        return ident, f"https://www.reddit.com/r/{source}/comments/{index:x}/acme/", ident
    if kind == "mastodon":
        status = 110_000_000_000 + index
        return str(status), f"https://mastodon.example/@{user}/{status}", str(status)
    if kind == "bluesky":
        uri = f"at://did:plc:{user}/app.bsky.feed.post/{index:x}"
        return uri, f"https://bsky.app/profile/{author}/post/{index:x}", uri
    if kind == "stackexchange":
        return str(index), f"https://stackoverflow.com/questions/{index}/acme", str(index)
    if kind == "github":
        ref = f"acme/{source}#{index}"
        return ref, f"https://github.com/acme/{source}/issues/{index}", ref
    return f"ls{index:x}", f"https://lobste.rs/s/ls{index:x}/acme", f"ls{index:x}"


# --- composing and classifying a chunk (worker processes) ----------------------------------

#: A verdict as plain values (cheap to send between processes): compound, label, snippet,
#: vader_compound, hits, question, spam, spam_signals.
VerdictValues = tuple[float, str, str, float, tuple[tuple[str, str, float], ...], bool, bool,
                      tuple[str, ...]]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Post:
    """One generated post with its verdict, ready to store."""

    index: int
    source: int
    native_id: str
    url: str
    author: str
    title: str
    text: str
    created_ts: float
    reach: int | None
    thread_ref: str | None
    intent: str
    own: bool
    #: Stored before the triage classifier: its verdict is bare VADER's.
    stale: bool
    verdict: VerdictValues


def verdict_values(title: str, text: str, stale: bool) -> VerdictValues:
    """The verdict a scan stores for this post (bare VADER's for a post stored before the
    triage classifier: see `STALE_AFTER`)."""
    from mentionwatch.classify.sentiment import bare_vader, text_to_score
    from mentionwatch.classify.verdict import assess
    from mentionwatch.config import SentimentConfig

    scored = text_to_score(title, text)
    verdict = bare_vader(scored, SentimentConfig()) if stale else assess(scored, SentimentConfig())
    return (
        verdict.compound,
        verdict.label.value,
        verdict.snippet,
        verdict.vader_compound,
        verdict.hits,
        verdict.question,
        verdict.spam,
        verdict.spam_signals,
    )


def compose_chunk(
    seed: int, first: int, created: Sequence[float], stale_before: float
) -> list[Post]:
    """Posts `first` .. `first + len(created) - 1`, composed and classified. Deterministic for
    (seed, first): a worker needs nothing but its arguments."""
    rng = random.Random(f"{seed}:{first}")
    weights = [weight for _, _, weight in SOURCES]
    posts = []
    for offset, created_ts in enumerate(created):
        index = first + offset
        source = rng.choices(range(len(SOURCES)), weights)[0]
        name, kind_name, _ = SOURCES[source]
        kind = KINDS[kind_name]
        rank = author_rank(rng)
        intent = intent_for(rank, rng)
        own = intent == "own"
        author = author_name(kind_name, rank)
        if own:
            handle = rng.choice(BRAND_HANDLES)
            on_platform = {
                "mastodon": f"{handle}@mastodon.social",
                "bluesky": f"{handle}.bsky.social",
            }
            author = on_platform.get(kind_name, handle)
        title, text = compose(kind, intent, rng)
        native_id, url, thread_ref = identity(kind_name, name, index, author)
        reach = int(rng.lognormvariate(math.log(40), 1.6)) if kind_name != "rss" else None
        posts.append(
            Post(
                index,
                source,
                native_id,
                url,
                author,
                title,
                text,
                created_ts,
                reach,
                thread_ref if kind.has_threads else None,
                intent,
                own,
                created_ts < stale_before,
                verdict_values(title, text, created_ts < stale_before),
            )
        )
    return posts


# --- status: what the team and the thread check did -----------------------------------------


@dataclass(frozen=True, slots=True)
class StatusPlan:
    #: "open", "answer_thread", "answer_manual", "ignore" or "checked_open".
    action: str
    delay_s: float = 0.0
    by: str | None = None
    other_replies: int = 0


def response_delay(rng: random.Random, age_s: float) -> float:
    """Seconds to the first response: log-normal, median about 2.5 h, never after now."""
    delay = rng.lognormvariate(math.log(9000), 1.2)
    return max(60.0, min(delay, age_s - 60))


def plan_status(post: Post, age_s: float, rng: random.Random) -> StatusPlan:
    """What happened to a post, from its verdict and its age."""
    _, label, _, _, _, question, spam, _ = post.verdict
    threads = post.thread_ref is not None
    team = TEAM[min(int(rng.paretovariate(1.3)) - 1, len(TEAM) - 1)]
    if spam:
        if age_s > 2 * 86400 and rng.random() < 0.6:
            return StatusPlan("ignore", response_delay(rng, age_s), team)
        return StatusPlan("open")
    if label == "negative" or question:
        p_open = (
            0.8 if age_s < 6 * 3600 else 0.35 if age_s < 2 * 86400 else 0.12
            if age_s < 14 * 86400 else 0.015
        )  # fmt: skip
        p_answered = 0.78
    elif age_s < 7 * 86400:
        p_open, p_answered = 0.85, 0.35
    else:
        p_open, p_answered = 0.25, 0.15
    if rng.random() < p_open:
        if threads and rng.random() < 0.25:
            return StatusPlan("checked_open", other_replies=rng.randint(1, 3))
        return StatusPlan("open")
    delay = response_delay(rng, age_s)
    if rng.random() < p_answered:
        if threads and rng.random() < 0.65:
            handle = BRAND_HANDLES[min(int(rng.paretovariate(1.5)) - 1, len(BRAND_HANDLES) - 1)]
            return StatusPlan("answer_thread", delay, handle, rng.randint(0, 3))
        return StatusPlan("answer_manual", delay, team)
    return StatusPlan("ignore", delay, team)


REPLY_TEXTS = (
    "Same here.", "+1, seeing this too", "Have you tried turning the sync off and on?",
    "Works fine for me on the Pro plan.", "Following.", "This happened to us last month.",
)  # fmt: skip


# --- writing through the Store ---------------------------------------------------------------


@dataclass
class GenerationReport:
    """What `generate` wrote, and how long each part took."""

    count: int
    seed: int
    schema_version: int
    generator_version: int
    anchor: str
    seconds: float = 0.0
    #: Seconds spent in the main process writing through `Store` (polls, then marks).
    write_seconds: float = 0.0
    vacuum_seconds: float = 0.0
    workers: int = 0
    #: Posts whose composed text repeated an earlier one and was varied (then re-classified).
    collisions: int = 0
    intents: dict[str, int] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    spam: int = 0
    questions: int = 0
    stale_verdicts: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    replies: int = 0
    text_bytes: int = 0
    short_posts: int = 0
    file_bytes: int = 0


def schema_version() -> int:
    from mentionwatch.store.migrations import MIGRATIONS

    return len(MIGRATIONS)


def generate(
    path: Path,
    count: int,
    seed: int,
    *,
    now: datetime | None = None,
    workers: int | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> GenerationReport:
    """Write `count` realistic mentions into a new database at `path` (which must not exist)
    through the project's own `Store`; VACUUM it at the end. Returns what was written."""
    from mentionwatch.store import Store

    if path.exists():
        raise FileExistsError(f"{path} exists: generate writes a new database only")
    began = time.perf_counter()
    anchor = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    report = GenerationReport(count, seed, schema_version(), GENERATOR_VERSION, anchor.isoformat())
    rng = random.Random(seed)
    now_ts = anchor.timestamp()
    created = [now_ts - age for age in post_ages(count, rng)]
    stale_before = now_ts - STALE_AFTER.total_seconds()
    workers = workers or os.cpu_count() or 1
    report.workers = workers
    seen: set[bytes] = set()
    status_rng = random.Random(f"{seed}:status")
    with Store.open(path) as store, ProcessPoolExecutor(max_workers=workers) as pool:
        # A file being generated needs no durability (a crash leaves a `.partial` file that is
        # never used), and per-commit syncs would make the many small transactions of the
        # status updates dominate the generation time.
        store.db.execute("PRAGMA synchronous = OFF")
        for posts in _chunks(pool, seed, created, stale_before, workers):
            started = time.perf_counter()
            posts = [_distinct(post, seen, report) for post in posts]
            _write_chunk(store, posts, anchor, status_rng, report)
            report.write_seconds += time.perf_counter() - started
            done = posts[-1].index + 1
            if done % 100_000 < CHUNK or done == count:
                elapsed = time.perf_counter() - began
                log(f"  generated {done:,} of {count:,} mentions ({elapsed:.0f} s)")
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    try:
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    report.vacuum_seconds = time.perf_counter() - started
    report.file_bytes = path.stat().st_size
    report.seconds = time.perf_counter() - began
    return report


def _chunks(
    pool: ProcessPoolExecutor, seed: int, created: list[float], stale_before: float, workers: int
) -> Iterator[list[Post]]:
    """Composed, classified chunks in order, with a few in flight ahead of the writer."""
    starts = list(range(0, len(created), CHUNK))
    pending: list[Future[list[Post]]] = []
    ahead = workers + 2
    for i, first in enumerate(starts):
        pending.append(
            pool.submit(compose_chunk, seed, first, created[first : first + CHUNK], stale_before)
        )
        if i + 1 >= ahead:
            yield pending.pop(0).result()
    while pending:
        yield pending.pop(0).result()


def _distinct(post: Post, seen: set[bytes], report: GenerationReport) -> Post:
    """The post, its text varied (and re-classified) if the same title and text came before."""
    from dataclasses import replace

    rng = random.Random(post.index)
    text = post.text
    while True:
        key = hashlib.blake2b(f"{post.title}\0{text}".encode(), digest_size=12).digest()
        if key not in seen:
            seen.add(key)
            break
        text = f"{text} {rng.choice(SLOTS['emoji'] + HASHTAGS)}"
    if text is post.text:
        return post
    report.collisions += 1
    return replace(post, text=text, verdict=verdict_values(post.title, text, post.stale))


def _write_chunk(
    store: Store, posts: list[Post], anchor: datetime, rng: random.Random, report: GenerationReport
) -> None:
    """One `save_poll` per source in this chunk, then what the team and thread check did."""
    from mentionwatch.models import (
        Classification,
        Mention,
        ScoredMention,
        SearchResult,
        SentimentLabel,
    )

    by_source: dict[int, list[Post]] = {}
    for post in posts:
        by_source.setdefault(post.source, []).append(post)
    for source, group in by_source.items():
        name, kind, _ = SOURCES[source]
        scored = []
        for post in group:
            compound, label, snippet, vader, hits, question, spam, signals = post.verdict
            mention = Mention(
                source=name,
                kind=kind,
                native_id=post.native_id,
                url=post.url,
                title=post.title,
                text=post.text,
                created_at=datetime.fromtimestamp(int(post.created_ts), timezone.utc),
                author=post.author,
                matched_term=BRAND,
                reach=post.reach,
                thread_ref=post.thread_ref,
            )
            verdict = Classification(
                compound, SentimentLabel(label), snippet, vader, hits, question, spam, signals
            )
            scored.append(ScoredMention(mention, verdict, post.own))
        fetched = min(anchor.timestamp(), group[-1].created_ts + rng.uniform(60, 1800))
        first_id = store.last_mention_id() + 1
        new, _ = store.save_poll(
            store.source_state(name, kind),
            SearchResult(mentions=[s.mention for s in scored], items_seen=len(scored)),
            scored,
            datetime.fromtimestamp(fetched, timezone.utc),
        )
        if new != len(group):
            raise RuntimeError(f"{name}: stored {new} of {len(group)} new mentions (duplicates?)")
        for mention_id, post in enumerate(group, start=first_id):
            _record(post, mention_id, store, anchor, rng, report)
            report.text_bytes += len(post.title.encode()) + len(post.text.encode())
            report.short_posts += len(post.text) <= 280 and not post.title
            report.intents[post.intent] = report.intents.get(post.intent, 0) + 1
            report.labels[post.verdict[1]] = report.labels.get(post.verdict[1], 0) + 1
            report.spam += post.verdict[6]
            report.questions += post.verdict[5]
            report.stale_verdicts += post.stale


def _record(
    post: Post,
    mention_id: int,
    store: Store,
    anchor: datetime,
    rng: random.Random,
    report: GenerationReport,
) -> None:
    """Apply what happened to one stored post: answered, ignored, thread checked, marks."""
    from mentionwatch.models import MentionStatus, Reply, SentimentLabel

    created = datetime.fromtimestamp(int(post.created_ts), timezone.utc)
    if post.own:
        report.statuses["own"] = report.statuses.get("own", 0) + 1
        return
    plan = plan_status(post, anchor.timestamp() - post.created_ts, rng)
    at = created + timedelta(seconds=int(plan.delay_s))
    if plan.action in ("answer_thread", "checked_open"):
        replies = [
            (
                Reply(
                    native_id=f"{post.native_id}/r{k}",
                    author=author_name(SOURCES[post.source][1], rng.randint(100, 50_000)),
                    created_at=created + timedelta(seconds=rng.randint(60, 86400)),
                    url=f"{post.url}#r{k}",
                    text=rng.choice(REPLY_TEXTS),
                    depth=rng.choice((1, 1, 2)),
                ),
                False,
            )
            for k in range(plan.other_replies)
        ]
        answer = None
        if plan.action == "answer_thread":
            answer = Reply(
                native_id=f"{post.native_id}/brand",
                author=plan.by,
                created_at=at,
                url=f"{post.url}#brand",
                text="Sorry about this! We're on it, please DM us your account email.",
            )
            replies.append((answer, True))
        checked = min(anchor, at + timedelta(minutes=rng.randint(1, 120)))
        store.save_thread_check(mention_id, replies, answer, checked)
        report.replies += len(replies)
    elif plan.action == "answer_manual":
        store.set_status(mention_id, MentionStatus.ANSWERED, by=plan.by, at=at)
    elif plan.action == "ignore":
        store.set_status(mention_id, MentionStatus.IGNORED, by=plan.by, at=at)
    status = {"answer_thread": "answered", "answer_manual": "answered", "ignore": "ignored"}
    final = status.get(plan.action, "open")
    report.statuses[final] = report.statuses.get(final, 0) + 1
    # A person's marks: a few labels (the team teaching the classifier), a few spam calls.
    if rng.random() < 0.003:
        intended = {"negative": "negative", "positive": "positive"}.get(post.intent, "neutral")
        store.set_human_label(mention_id, SentimentLabel(intended))
    if rng.random() < 0.04 and (post.intent == "spam") != post.verdict[6]:
        store.set_spam_mark(mention_id, post.intent == "spam")


# --- the cache ---------------------------------------------------------------------------


def cache_name(count: int, seed: int) -> str:
    """The file name of a cached database: keyed by count, seed, schema and generator."""
    return f"mentions-{count}-seed{seed}-schema{schema_version()}-gen{GENERATOR_VERSION}.db"


def cached_database(
    count: int,
    seed: int,
    *,
    directory: Path = DATA_DIR,
    max_age_days: float = 7.0,
    log: Callable[[str], None] = lambda message: None,
) -> tuple[Path, GenerationReport, bool]:
    """A generated database of `count` mentions: the cached one when it exists and is younger
    than `max_age_days` (its dates are relative to when it was made), else a new one (written
    under a temporary name and renamed, so an interrupted run caches nothing). Returns its
    path, its generation report and whether it was reused."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / cache_name(count, seed)
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        report = GenerationReport(**json.loads(meta.read_text(encoding="utf-8")))
        age = datetime.now(timezone.utc) - datetime.fromisoformat(report.anchor)
        if age <= timedelta(days=max_age_days):
            return path, report, True
        log(f"cached database is {age.days} days old (dates are relative): regenerating")
    for old in directory.glob(f"mentions-{count}-seed{seed}-*"):
        old.unlink()
    partial = directory / f"{path.name}.partial"
    for leftover in directory.glob(f"{partial.name}*"):
        leftover.unlink()
    log(f"generating {count:,} mentions (seed {seed}) into {path} ...")
    report = generate(partial, count, seed, log=log)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{partial}{suffix}").unlink()
    partial.rename(path)
    meta.write_text(json.dumps(asdict(report), indent=1), encoding="utf-8")
    return path, report, False


# --- short posts for the ingest benchmark ------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawPost:
    """A short social post as a platform's API delivers it: HTML, an id, an author."""

    native_id: str
    url: str
    author: str
    html: str
    #: The same post as plain text (what the baseline scores).
    text: str
    created_ts: float


def short_posts(count: int, seed: int, now: datetime) -> list[RawPost]:
    """`count` distinct short posts (toots and skeets of 30-500 characters, the social mix of
    intents), each as the HTML a Mastodon-like API returns and as plain text."""
    from html import escape

    rng = random.Random(f"{seed}:short")
    seen: set[str] = set()
    posts: list[RawPost] = []
    span = 30 * 86400
    while len(posts) < count:
        kind = KINDS[rng.choice(("mastodon", "mastodon", "bluesky"))]
        rank = author_rank(rng)
        intent = intent_for(rank, rng)
        _, text = compose(kind, "neutral" if intent == "own" else intent, rng)
        if text in seen:
            continue
        seen.add(text)
        index = len(posts)
        author = author_name("mastodon", rank)
        paragraphs = "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n"))
        html = paragraphs.replace(
            f"@{BRAND}",
            f'<span class="h-card"><a href="https://mastodon.example/@{BRAND}"'
            f' class="u-url mention">@<span>{BRAND}</span></a></span>',
        )
        posts.append(
            RawPost(
                native_id=str(120_000_000_000 + index),
                url=f"https://mastodon.example/@{author.split('@')[0]}/{120_000_000_000 + index}",
                author=author,
                html=html,
                text=text,
                created_ts=now.timestamp() - rng.random() * span,
            )
        )
    return posts


# --- command line ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate (or reuse the cached) realistic mentionwatch database."
    )
    parser.add_argument("--count", type=int, default=1_000_000, help="mentions (1,000,000)")
    parser.add_argument("--seed", type=int, default=8, help="random seed (8)")
    parser.add_argument("--out", type=Path, help="write here instead of the cache")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.out:
        report = generate(args.out, args.count, args.seed, log=log)
    else:
        where, report, reused = cached_database(args.count, args.seed, log=log)
        log(f"{'reused' if reused else 'wrote'} {where}")
    print(json.dumps(asdict(report), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
