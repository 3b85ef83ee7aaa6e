"""Reply drafts: a suggested answer to one mention, filled in from a named template.

Templates are Jinja2, rendered in its sandbox (`SandboxedEnvironment`) with `StrictUndefined`
and no globals, so a template can print the few placeholders below and use plain filters and
`{% if %}`, but cannot reach Python internals (`''.__class__`, `cycler.__init__.__globals__`);
nor can it loop, call, compute or grow a text without bound (`_refused_construct`: only the
constructs a reply needs are allowed). Such a template is refused with a `ConfigError`
naming `templates.NAME`.

Everything that comes from the post (its author, its link) is data: a plain `str`, passed
through `safe()` first, handed to Jinja as a value and never parsed as a template. A post whose
author is called `{{ 7*7 }}` gets a draft that says `{{ 7*7 }}`. The post's text and title are
not placeholders at all: a draft answers a post, it does not quote it back.

This module imports jinja2 at the top, so only `mentionwatch reply` imports it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from mentionwatch.config import BrandConfig, Config
from mentionwatch.errors import ConfigError, MentionwatchError
from mentionwatch.models import MentionStatus, SentimentLabel, StoredMention
from mentionwatch.text import is_web_url, safe, snippet

COMPLAINT = "complaint"
QUESTION = "question"
PRAISE = "praise"
GENERAL = "general"

#: What a template may print. Every value is a plain `str` ("" when unknown).
PLACEHOLDERS: Mapping[str, str] = {
    "author": "the author as you address them there (@login, u/name, @user@instance...)",
    "author_name": "the author's bare name as the platform stores it",
    "brand": "[brand] name",
    "support_contact": "[brand] support_contact (an address, a link...)",
    "link": "the post's web address",
    "source": "the name of the source that found the post",
    "kind": "the source's kind (github, reddit, mastodon, bluesky, rss...)",
}

# The defaults, used when [templates] does not name them; config.example.toml ships the same
# texts (a test keeps them equal) so a team can see and edit them. `author` is empty for a
# deleted account and `support_contact` when [brand] sets none, hence the fallbacks.
BUILTIN_TEMPLATES: Mapping[str, str] = {
    COMPLAINT: (
        "Hi {{ author or \"there\" }}, I'm sorry about this. It's not how {{ brand }} should"
        " work, and we want to put it right. {% if support_contact %}Could you reach us at"
        " {{ support_contact }} with the details and a link to this post? We'll look into it"
        " privately and get back to you.{% else %}Could you tell us a bit more about what"
        " happened (leaving out anything private)? We'll look into it.{% endif %}"
    ),
    QUESTION: (
        'Hi {{ author or "there" }}, thanks for asking. [Your answer, in a sentence or two,'
        " with a link to the docs if there is one.]{% if support_contact %} If that doesn't"
        " solve it, {{ support_contact }} reaches our support team directly.{% endif %}"
    ),
    PRAISE: (
        'Thank you, {{ author or "there" }}! Really glad {{ brand }} is working well for you.'
        " We'll pass this on to the people who built it."
    ),
    GENERAL: (
        'Hi {{ author or "there" }}, thanks for mentioning {{ brand }}. If there\'s anything we'
        " can help with, {% if support_contact %}{{ support_contact }} reaches us directly."
        "{% else %}just reply here.{% endif %}"
    ),
}

#: Which template each kind of post gets by default, and why (for `reply --list`).
DEFAULT_FOR: Mapping[str, str] = {
    COMPLAINT: "negative posts",
    QUESTION: "questions that are not negative",
    PRAISE: "positive posts",
    GENERAL: "everything else",
}


class UnknownTemplateError(MentionwatchError):
    """`--template NAME` names no template (exit status 2, a usage problem)."""


@dataclass(frozen=True, slots=True)
class LengthLimit:
    """How long a reply may be on one platform, and how the platform counts."""

    platform: str
    characters: int
    note: str = ""


# Replies longer than this are refused by the platform (or by its usual server settings).
# Hacker News, Lobsters and feeds publish no limit: no warning for them.
LENGTH_LIMITS: Mapping[str, LengthLimit] = {
    "bluesky": LengthLimit("Bluesky", 300),
    "mastodon": LengthLimit(
        "Mastodon", 500, "by default; a link counts as 23 and some servers allow more"
    ),
    "stackexchange": LengthLimit("Stack Exchange", 600, "in a comment; an answer allows 30,000"),
    "reddit": LengthLimit("Reddit", 10_000),
    "github": LengthLimit("GitHub", 65_536),
}


@dataclass(frozen=True, slots=True)
class Draft:
    """A filled-in reply to one mention, ready to copy."""

    mention_id: int
    template: str
    #: Why this template: "--template" or the default's reason ("the post is negative").
    reason: str
    text: str
    #: The draft's length as its platform counts it (see `platform_length`).
    length: int
    limit: LengthLimit | None
    #: Placeholders the template uses that are empty for this mention or config.
    empty: tuple[str, ...] = ()

    @property
    def too_long(self) -> bool:
        return self.limit is not None and self.length > self.limit.characters


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """One template as `reply --list` shows it."""

    name: str
    #: "built-in" or "config" ([templates] adds it or overrides the built-in one).
    origin: str
    #: The posts it is the default for, or "" for a template only --template picks.
    default_for: str
    source: str


# --- choosing a template ----------------------------------------------------------------------


def default_template(mention: StoredMention) -> tuple[str, str]:
    """The template a mention gets without --template, and why.

    A person's sentiment label wins over the classifier's; a negative question is a complaint
    first (the apology and the private channel matter more than the answer).
    """
    label = mention.effective_label
    if label is SentimentLabel.NEGATIVE:
        return COMPLAINT, "the post is negative"
    if mention.question:
        return QUESTION, "the post asks something"
    if label is SentimentLabel.POSITIVE:
        return PRAISE, "the post is positive"
    return GENERAL, "the post is neutral"


def available_templates(config: Config) -> dict[str, str]:
    """Every template by name: the built-in ones, overridden or added to by [templates]."""
    return {**BUILTIN_TEMPLATES, **config.templates}


def template_listing(config: Config) -> list[TemplateInfo]:
    """Every template, built-in ones first, each compiled so a broken one fails here too."""
    environment = _environment()
    listing = []
    for name, source in available_templates(config).items():
        _compile(environment, source, _where(config, name))
        listing.append(
            TemplateInfo(
                name=name,
                origin="config" if name in config.templates else "built-in",
                default_for=DEFAULT_FOR.get(name, ""),
                source=source,
            )
        )
    return listing


# --- placeholders -----------------------------------------------------------------------------

# A Mastodon post's address, https://HOST/@USER/ID: Mastodon hashtag feeds (kind rss) name
# their author only through it.
_MASTODON_POST = re.compile(r"^https?://[^/]+/@[\w.]+/\d+$")


def address_of(kind: str, author: str | None, url: str) -> str:
    """How a reply addresses the author on their platform: `@login` on GitHub, `@handle` on
    Bluesky, `u/name` on Reddit, `@user@instance` on Mastodon; the bare name elsewhere
    (Hacker News, Stack Exchange, Lobsters, feeds). "" when the platform shows no author."""
    name = safe(author, single_line=True).strip()
    if not name:
        return ""
    if kind in ("github", "bluesky"):
        return "@" + name.lstrip("@")
    if kind == "reddit":
        return "u/" + name.removeprefix("/").removeprefix("u/")
    if kind == "mastodon" or (kind == "rss" and _MASTODON_POST.match(url) and "@" in name):
        # Mastodon's `acct` is "user" for the instance's own users, "user@domain" for others;
        # the post's address is on the author's own instance either way.
        user, _, domain = name.lstrip("@").partition("@")
        if not domain and is_web_url(url):
            domain = urlsplit(url).hostname or ""
        return f"@{user}@{domain}" if domain else f"@{user}"
    return name


def placeholder_values(mention: StoredMention, brand: BrandConfig) -> dict[str, str]:
    """The placeholders' values for one mention: plain one-line strings, safe for a terminal."""
    url = mention.url if is_web_url(mention.url) else ""
    return {
        "author": address_of(mention.kind, mention.author, url),
        "author_name": safe(mention.author, single_line=True),
        "brand": safe(brand.name, single_line=True),
        "support_contact": safe(brand.support_contact, single_line=True),
        "link": safe(url, single_line=True),
        "source": safe(mention.source, single_line=True),
        "kind": safe(mention.kind, single_line=True),
    }


# --- rendering --------------------------------------------------------------------------------


def render_draft(mention: StoredMention, config: Config, template: str | None = None) -> Draft:
    """Fill in `template` (default: the one for the mention's kind, see `default_template`).

    Raises `UnknownTemplateError` for a name no template has, and `ConfigError` naming
    `templates.NAME` for a template that does not compile, uses an unknown placeholder, or
    tries to reach past the sandbox.
    """
    templates = available_templates(config)
    if template is None:
        name, reason = default_template(mention)
    elif template in templates:
        name, reason = template, "--template"
    else:
        raise UnknownTemplateError(
            f"no template named {safe(template, single_line=True)!r};"
            f" available: {', '.join(templates)}"
        )
    where = _where(config, name)
    compiled, used = _compile(_environment(), templates[name], where)
    values = placeholder_values(mention, config.brand)
    try:
        rendered = compiled.render(values)
    except SecurityError as exc:
        raise ConfigError(f"{where}: refused by the template sandbox: {_one_line(exc)}") from None
    except TemplateError as exc:
        raise ConfigError(f"{where}: {_one_line(exc)}") from None
    except (ArithmeticError, AssertionError, LookupError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: the template failed: {_one_line(exc)}") from None
    # The template's own text is the config author's, but it is printed too: same rule.
    text = safe(rendered).strip()
    if not text:
        raise ConfigError(f"{where}: the template renders to an empty draft for #{mention.id}")
    return Draft(
        mention_id=mention.id,
        template=name,
        reason=reason,
        text=text,
        length=platform_length(text, mention.kind),
        limit=LENGTH_LIMITS.get(mention.kind),
        empty=tuple(sorted(p for p in used if not values[p])),
    )


def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,  # plain text out, for a text box on a platform, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # No range, cycler, joiner, lipsum, namespace, dict: a reply needs only its placeholders,
    # and every global is one more object to reach past the sandbox from.
    environment.globals.clear()
    return environment


def _where(config: Config, name: str) -> str:
    if name in config.templates:
        return f"{config.path}: templates.{name}"
    return f"built-in template {name!r}"


# `{author}` or `{author.__class__}`: a Python format field, which Jinja would print literally.
_FORMAT_FIELD = re.compile(r"(?<!\{)\{\s*(" + "|".join(PLACEHOLDERS) + r")\b[^{}]*\}(?!\})")


def _compile(
    environment: SandboxedEnvironment, source: str, where: str
) -> tuple[Template, frozenset[str]]:
    """The compiled template and the placeholders it uses; a `ConfigError` for anything else."""
    try:
        tree = environment.parse(source)
    except TemplateSyntaxError as exc:
        raise ConfigError(
            f"{where}: not a valid template (line {exc.lineno}): {_one_line(exc.message)}"
        ) from None
    used = meta.find_undeclared_variables(tree)
    unknown = sorted(used - set(PLACEHOLDERS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown placeholder {', '.join(map(repr, unknown))};"
            f" available: {', '.join(PLACEHOLDERS)}"
        )
    if field := _FORMAT_FIELD.search(source):
        raise ConfigError(
            f"{where}: write a placeholder as {{{{ {field.group(1)} }}}},"
            f" not {_one_line(field.group(0))}"
        )
    if refused := _refused_construct(tree):
        raise ConfigError(
            f"{where}: {refused} not allowed in a reply template, which uses placeholders,"
            " {% if %} / {% elif %} / {% else %}, `~`, `or`, comparisons and the filters"
            f" {', '.join(sorted(_ALLOWED_FILTERS))}"
        )
    return environment.from_string(tree), frozenset(used)


# The few constructs a reply needs. Nothing here can loop, call, recurse or grow a string
# beyond the template's own length times its placeholders' ("x" * 10**9, a `for` nested in a
# `for`, a macro calling itself, `replace` chained to double a text fifty times): the sandbox
# keeps a template from Python's internals, this keeps it from the CPU and the memory.
_ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Const,
    nodes.Name,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.Filter,
    nodes.Test,
    nodes.Keyword,
)
#: Filters that only read or shorten their input.
_ALLOWED_FILTERS = frozenset(
    {"capitalize", "d", "default", "length", "lower", "striptags", "title", "trim", "truncate"}
    | {"upper", "wordcount"}
)
_ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "string", "eq", "ne", "in"})
_WHAT = {
    nodes.For: "a {% for %} loop is",
    nodes.Macro: "a {% macro %} is",
    nodes.CallBlock: "a {% call %} block is",
    nodes.Call: "a call such as x() is",
    nodes.Getattr: "an attribute such as x.y is",
    nodes.Getitem: "indexing such as x[0] is",
    nodes.BinExpr: "arithmetic such as 7*7 is",
    nodes.UnaryExpr: "arithmetic such as -x is",
    nodes.Assign: "{% set %} is",
    nodes.AssignBlock: "{% set %} is",
    nodes.FilterBlock: "a {% filter %} block is",
    nodes.Include: "{% include %} is",
    nodes.Import: "{% import %} is",
    nodes.FromImport: "{% from ... import %} is",
    nodes.Extends: "{% extends %} is",
    nodes.Block: "a {% block %} is",
}


def _refused_construct(tree: nodes.Template) -> str | None:
    """What in a parsed template goes beyond `_ALLOWED_NODES` (a phrase for the error)."""
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Filter) and node.name not in _ALLOWED_FILTERS:
            return f"the filter |{node.name} is"
        if isinstance(node, nodes.Test) and node.name not in _ALLOWED_TESTS:
            return f"the test `is {node.name}` is"
        if not isinstance(node, _ALLOWED_NODES):
            kind = next((what for cls, what in _WHAT.items() if isinstance(node, cls)), None)
            return kind or f"{type(node).__name__} is"
    return None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


# --- length as each platform counts it --------------------------------------------------------

_URL = re.compile(r"https?://\S+")
# "@user@example.social" counts as "@user" on Mastodon; an email address is not a mention.
_REMOTE_MENTION = re.compile(r"(?<![\w@/])(@\w+(?:[.-]\w+)*)@[\w-]+(?:\.[\w-]+)+")
_MASTODON_URL_LENGTH = 23
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)


def platform_length(text: str, kind: str) -> int:
    """The length of `text` as the platform of `kind` counts it against its limit.

    Mastodon counts every link as 23 characters and a remote mention by its user part; Bluesky
    counts graphemes (approximated here: combining marks, emoji modifiers and the second flag
    letter do not count). Everything else counts characters.
    """
    if kind == "mastodon":
        text = _URL.sub("x" * _MASTODON_URL_LENGTH, text)
        return len(_REMOTE_MENTION.sub(r"\1", text))
    if kind == "bluesky":
        return _graphemes(text)
    return len(text)


def _graphemes(text: str) -> int:
    count = 0
    open_flag = False
    for char in text:
        code = ord(char)
        if unicodedata.category(char).startswith("M") or code in _EMOJI_MODIFIERS:
            continue
        if code in _REGIONAL_INDICATORS:
            open_flag = not open_flag
            if not open_flag:  # the second letter of a flag
                continue
        else:
            open_flag = False
        count += 1
    return count


# --- what the command says besides the draft --------------------------------------------------


def draft_notes(draft: Draft, mention: StoredMention, config_path: Path) -> list[str]:
    """Warnings and notes for stderr: a draft too long for its platform, a placeholder left
    empty, a mention that is already answered."""
    notes = []
    if draft.too_long and draft.limit is not None:
        extra = f" ({draft.limit.note})" if draft.limit.note else ""
        notes.append(
            f"warning: this draft is {draft.length} characters; {draft.limit.platform} allows"
            f" {draft.limit.characters}{extra}. Shorten it before posting."
        )
    if "support_contact" in draft.empty:
        notes.append(
            f"note: [brand] support_contact is not set in {config_path}, so the draft offers"
            " no private channel"
        )
    if "author" in draft.empty:
        notes.append(
            "note: the post shows no author (a feed item, or a deleted account),"
            " so the draft greets no one by name"
        )
    if mention.status is MentionStatus.ANSWERED:
        by = f" by {safe(mention.answered_by, single_line=True)}" if mention.answered_by else ""
        notes.append(f"note: #{mention.id} is already answered{by}")
    elif mention.status is MentionStatus.IGNORED:
        notes.append(f"note: #{mention.id} is marked as needing no answer (ignored)")
    return notes


def draft_json(draft: Draft) -> dict[str, Any]:
    """`reply --json`: the draft and what it was made from."""
    return {
        "id": draft.mention_id,
        "template": draft.template,
        "reason": draft.reason,
        "draft": draft.text,
        "length": draft.length,
        "limit": draft.limit.characters if draft.limit else None,
        "too_long": draft.too_long,
        "empty_placeholders": list(draft.empty),
    }


def template_list_json(listing: list[TemplateInfo]) -> list[dict[str, str | None]]:
    """`reply --list --json`."""
    return [
        {
            "name": info.name,
            "origin": info.origin,
            "default_for": info.default_for or None,
            "template": info.source,
        }
        for info in listing
    ]


def template_list_text(listing: list[TemplateInfo], width: int = 100) -> str:
    """`reply --list`: one line per template, its origin, what it is the default for, and
    the start of its text."""
    name_width = max(len(info.name) for info in listing)
    lines = []
    for info in listing:
        used_for = f"default for {info.default_for}" if info.default_for else "only by --template"
        name = safe(info.name, single_line=True)
        lines.append(f"{name:<{name_width}}  {info.origin:<8}  {used_for}")
        lines.append("    " + snippet(safe(info.source, single_line=True), width - 4))
    return "\n".join(lines)
