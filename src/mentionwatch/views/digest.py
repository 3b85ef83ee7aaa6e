"""The digest as an email: a stdlib `EmailMessage`, multipart/alternative, with a plain-text
part for terminal mail clients and an HTML part from Jinja2 templates (autoescape on).

Post text is hostile until proven otherwise. It never reaches a header (the subject carries
only the brand name and counts, and even those pass `header_text`); in the body every title,
author and snippet goes through `safe(..., single_line=True)`, so CR/LF cannot start a line of
its own; the HTML is escaped by Jinja2's autoescape; and only http(s) links become links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from mentionwatch.models import SentimentLabel
from mentionwatch.text import is_web_url, safe, snippet

if TYPE_CHECKING:
    from mentionwatch.digest import Digest, TrendDay
    from mentionwatch.inbox import InboxEntry
    from mentionwatch.models import StoredMention

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
#: Height in pixels of the tallest bar of the HTML trend chart.
BAR_HEIGHT = 60
_ENCODED_WORD_START = re.compile(r"=\?")


def header_text(text: str) -> str:
    """Text safe in a header: one line, no control characters, and no `=?` that a mail
    reader (or Python's own email package) would decode as an RFC 2047 encoded word; a
    zero-width space keeps the text looking the same while making it plain text."""
    return _ENCODED_WORD_START.sub("=\u200b?", safe(text, single_line=True))


def age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d{(seconds % 86400) // 3600}h"


@dataclass(frozen=True, slots=True)
class Row:
    """One mention as both parts show it: every string already made safe."""

    id: int
    priority: float
    age: str
    breached: bool
    source: str
    author: str
    title: str
    snippet: str
    reach: str
    #: The link if it is http(s), else None (shown as `link_text`, never as a link).
    link: str | None
    link_text: str


def row(mention: StoredMention, *, priority: float = 0.0, waited: str = "") -> Row:
    title = snippet(safe(mention.title, single_line=True), 100)
    text = snippet(safe(mention.snippet or mention.text, single_line=True), 200)
    url = safe(mention.url, single_line=True)
    return Row(
        id=mention.id,
        priority=priority,
        age=waited,
        breached=False,
        source=safe(mention.source, single_line=True),
        author=safe(mention.author, single_line=True) or "unknown author",
        title=title,
        snippet="" if text == title else text,
        reach=f"{mention.reach:,}" if mention.reach is not None else "",
        link=url if is_web_url(url) else None,
        link_text=url,
    )


def entry_row(entry: InboxEntry) -> Row:
    base = row(entry.mention, priority=entry.urgency.priority, waited=age(entry.urgency.waited))
    return replace(base, breached=entry.urgency.breached)


@dataclass(frozen=True, slots=True)
class DigestPage:
    """Everything both parts render, computed once."""

    subject: str
    brand: str
    headline: str
    generated: str
    period: str
    sla: str
    breaches: list[Row]
    negatives: list[Row]
    negatives_more: int
    questions: list[Row]
    questions_more: int
    new_total: int
    new_by_sentiment: list[tuple[str, int]]
    new_by_source: list[tuple[str, int]]
    new_spam: int
    answered: list[tuple[Row, str, str]]
    problems: list[tuple[str, str, str]]
    trend: list[TrendDay]
    trend_max: int


def page(digest: Digest, limit: int = 15) -> DigestPage:
    from mentionwatch.config import format_duration

    breaches = [entry_row(e) for e in digest.breaches]
    late = {r.id for r in breaches}
    negatives = [entry_row(e) for e in digest.negatives if e.mention.id not in late]
    questions = [entry_row(e) for e in digest.questions if e.mention.id not in late]
    start = _utc(digest.period_start)
    period = f"since the last digest ({start})" if digest.since_last_digest else f"since {start}"
    return DigestPage(
        subject=header_text(digest.subject),
        brand=safe(digest.brand, single_line=True),
        headline=digest.headline,
        generated=_utc(digest.generated_at),
        period=period,
        sla=format_duration(digest.sla),
        breaches=breaches[:limit],
        negatives=negatives[:limit],
        negatives_more=max(0, len(negatives) - limit),
        questions=questions[:limit],
        questions_more=max(0, len(questions) - limit),
        new_total=digest.new_total,
        new_by_sentiment=[(label.value, digest.new_by_sentiment[label]) for label in _LABELS],
        new_by_source=[(safe(s, single_line=True), n) for s, n in digest.new_by_source],
        new_spam=digest.new_spam,
        answered=[
            (
                row(m),
                safe(m.answered_by, single_line=True) or "someone",
                age(timedelta(seconds=m.first_response_s or 0)),
            )
            for m in digest.answered[:limit]
        ],
        problems=[
            (safe(p.name, single_line=True), p.state, safe(p.detail, single_line=True))
            for p in digest.problems
        ],
        trend=digest.trend,
        trend_max=max((d.total for d in digest.trend), default=0),
    )


_LABELS = (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# --- the plain-text part ------------------------------------------------------------------


def sparkline(values: list[int], top: int) -> str:
    """One block character per value, scaled to `top`; a dot for zero."""
    if top <= 0:
        return "·" * len(values)
    steps = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[round(v / top * steps)] if v else "·" for v in values)


def render_text(digest: Digest) -> str:
    shown = page(digest)
    lines = [shown.subject, f"Generated {shown.generated}; new mentions {shown.period}.", ""]

    def section(title: str, rows: list[Row], more: int) -> None:
        lines.append(f"{title} ({len(rows) + more})")
        lines.append("-" * len(lines[-1]))
        if not rows:
            lines.append("  none")
        for item in rows:
            lines.extend(_text_row(item))
        if more:
            lines.append(f"  ... and {more} more: mentionwatch inbox")
        lines.append("")

    section(f"PAST SLA ({shown.sla})", shown.breaches, 0)
    section("UNANSWERED NEGATIVE", shown.negatives, shown.negatives_more)
    section("OPEN QUESTIONS", shown.questions, shown.questions_more)
    lines.append(f"NEW MENTIONS ({shown.new_total})")
    lines.append("-" * len(lines[-1]))
    lines.append("  " + ", ".join(f"{n} {label}" for label, n in shown.new_by_sentiment))
    if shown.new_by_source:
        lines.append("  by source: " + ", ".join(f"{s} {n}" for s, n in shown.new_by_source))
    lines.append(f"  spam kept out: {shown.new_spam}")
    lines.append("")
    lines.append(f"ANSWERED ({len(shown.answered)})")
    lines.append("-" * len(lines[-1]))
    for item, by, took in shown.answered:
        lines.append(f"  #{item.id} {item.title or item.snippet}")
        lines.append(f"      answered by {by} in {took}")
    if not shown.answered:
        lines.append("  none")
    lines.append("")
    if shown.problems:
        lines.append(f"SOURCES NEEDING ATTENTION ({len(shown.problems)})")
        lines.append("-" * len(lines[-1]))
        lines.extend(f"  {name}: {state}: {detail}" for name, state, detail in shown.problems)
        lines.append("")
    lines.append(f"SENTIMENT, LAST {len(shown.trend)} DAYS")
    lines.append("-" * len(lines[-1]))
    days = " ".join(d.day.strftime("%a")[:2] for d in shown.trend)
    lines.append(f"  {'':9}{days}")
    for label in _LABELS:
        counts = [getattr(d, label.value) for d in shown.trend]
        spark = sparkline(counts, shown.trend_max)
        lines.append(f"  {label.value:9}{'  '.join(spark)}   {sum(counts)}")
    lines.append("")
    lines.append("-- ")
    lines.append(f"mentionwatch for {shown.brand}: mentionwatch inbox, mentionwatch show ID")
    return "\n".join(lines) + "\n"


def _text_row(item: Row) -> list[str]:
    late = " (past SLA)" if item.breached else ""
    reach = f", reach {item.reach}" if item.reach else ""
    out = [
        f"  #{item.id}  priority {item.priority:g}, waiting {item.age}{late}",
        f"      {item.source}, {item.author}{reach}",
    ]
    if item.title:
        out.append(f"      {item.title}")
    if item.snippet:
        out.append(f"      \u201c{item.snippet}\u201d")
    if item.link:
        out.append(f"      {item.link}")
    elif item.link_text:
        out.append(f"      (not a web link: {item.link_text})")
    return out


# --- the HTML part ------------------------------------------------------------------------


def render_html(digest: Digest) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("mentionwatch", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    shown = page(digest)
    bars = [
        {
            "label": d.day.strftime("%a %d"),
            "total": d.total,
            "segments": [
                (label.value, getattr(d, label.value), _bar(getattr(d, label.value), shown))
                for label in _LABELS
            ],
        }
        for d in shown.trend
    ]
    return env.get_template("digest.html").render(page=shown, bars=bars, bar_height=BAR_HEIGHT)


def _bar(count: int, shown: DigestPage) -> int:
    if not count or not shown.trend_max:
        return 0
    return max(2, round(count / shown.trend_max * BAR_HEIGHT))


# --- the message --------------------------------------------------------------------------


def digest_message(
    digest: Digest, *, sender: str, recipients: list[str], now: datetime
) -> EmailMessage:
    """The whole email. `sender` and `recipients` are validated addresses (config or CLI)."""
    message = EmailMessage()
    message["Subject"] = page(digest).subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("digest", domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_text(digest))
    message.add_alternative(render_html(digest), subtype="html")
    return message
