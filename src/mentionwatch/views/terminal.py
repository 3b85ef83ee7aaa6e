"""Rich renderings for the terminal.

Every untrusted string goes through `text.safe` and into a `rich.text.Text`, never into a
markup string, so a post containing `[bold]` or `[link=...]` is shown literally. On a terminal
the tables have borders and colour; piped (cron mail, `| less`) they are plain aligned text.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import IO, cast

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from mentionwatch.classify.negative_model import HIT_KIND as MODEL_HIT
from mentionwatch.classify.sentiment import Explanation
from mentionwatch.config import format_duration
from mentionwatch.evaluate import ClassScores, LabelEvaluation
from mentionwatch.inbox import Inbox, InboxEntry, InboxView
from mentionwatch.models import (
    Advocate,
    AlertReport,
    Classification,
    MentionChange,
    MentionNote,
    MentionStatus,
    PruneReport,
    Reply,
    RescoreReport,
    ScanReport,
    SearchHit,
    SentimentLabel,
    SourceOutcome,
    SourceReport,
    StoredMention,
)
from mentionwatch.overview import SourceOverview
from mentionwatch.stats import Stats
from mentionwatch.text import safe
from mentionwatch.text import snippet as one_line

LABEL_STYLE = {
    SentimentLabel.NEGATIVE: "red",
    SentimentLabel.NEUTRAL: "dim",
    SentimentLabel.POSITIVE: "green",
}
STATUS_STYLE = {
    MentionStatus.OPEN: "yellow",
    MentionStatus.ANSWERED: "green",
    MentionStatus.IGNORED: "dim",
    MentionStatus.OWN: "blue",
}


class _TrimmedLines(io.TextIOBase):
    """Writes lines without the trailing spaces Rich pads table cells with (piped output)."""

    def __init__(self, target: IO[str]) -> None:
        self._target = target
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._target.write(line.rstrip(" ") + "\n")
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self._target.write(self._partial)
            self._partial = ""
        self._target.flush()


def make_console(file: IO[str] | None = None, *, stderr: bool = False) -> Console:
    """A console for our output: no automatic highlighting, and wide plain text when piped."""
    console = Console(file=file, stderr=stderr, highlight=False, emoji=False)
    if not console.is_terminal:
        # Piped output is read by mail clients and scripts: one line per row, not wrapped at
        # 80 columns, no colour, no padding at line ends.
        target = file or (sys.stderr if stderr else sys.stdout)
        console = Console(
            file=cast(IO[str], _TrimmedLines(target)),
            highlight=False,
            emoji=False,
            width=320,
            no_color=True,
        )
    return console


def untrusted(value: str | None, style: str = "", width: int | None = None) -> Text:
    """Untrusted text as a literal, single-line Rich Text (markup and controls neutralised)."""
    clean = safe(value, single_line=True)
    if width is not None:
        clean = one_line(clean, width)
    return Text(clean, style=style)


def age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d{(seconds % 86400) // 3600}h"


def _table(console: Console, title: str | None = None) -> Table:
    from rich import box

    bordered = console.is_terminal
    return Table(
        title=title,
        title_justify="center" if bordered else "left",
        box=box.SIMPLE_HEAD if bordered else None,
        show_edge=False,
        header_style="bold" if bordered else "",
        pad_edge=False,
    )


def inbox_table(
    console: Console, entries: Sequence[InboxEntry], title: str, *, signals: bool = False
) -> Table:
    """The inbox. Piped, every row is one full line; on a terminal the columns fit its width.
    With `signals`, each row says why the post is spam instead of giving its link."""
    piped = not console.is_terminal
    # Below ~120 columns a link column would squeeze the snippet to nothing; `show ID` has it.
    # Spam is not answered: its signals take the link's place.
    with_link = not signals and (piped or console.width >= 120)
    # Only when someone owns one of the rows: an unused column would squeeze the snippet.
    with_assignee = any(entry.mention.assignee for entry in entries)
    table = _table(console, title)
    table.add_column("id", justify="right", no_wrap=True, min_width=2)
    table.add_column("prio", justify="right", no_wrap=True, min_width=4)
    table.add_column("age", no_wrap=True, min_width=5)
    table.add_column("source", no_wrap=True, max_width=None if piped else 14)
    table.add_column("author", no_wrap=True, max_width=None if piped else 18)
    if with_assignee:
        table.add_column("assignee", no_wrap=True, max_width=None if piped else 12)
    if piped:
        table.add_column("snippet", no_wrap=True, width=100, overflow="ellipsis")
    else:
        table.add_column("snippet", ratio=1, min_width=24)
    table.add_column("score", justify="right", no_wrap=True, min_width=5)
    if signals and piped:
        # Bounded: a full row must still fit the 320 columns of piped output. On a terminal
        # the signals go under the snippet instead.
        table.add_column("spam signals", no_wrap=True, max_width=60, overflow="ellipsis")
    if with_link:
        link_width = None if piped else (40 if console.width >= 170 else 28)
        table.add_column("link", no_wrap=True, max_width=link_width)
    for entry in entries:
        m = entry.mention
        waited = Text(age(entry.urgency.waited))
        if entry.urgency.breached:
            waited = Text(age(entry.urgency.waited) + "!", style="bold red")
        snippet = untrusted(m.snippet or m.title, width=160)
        if signals and not piped:
            snippet.append("\n" + _signals_text(m), style="yellow")
        cells: list[RenderableType] = [
            str(m.id),
            f"{entry.urgency.priority:.0f}",
            waited,
            untrusted(m.source),
            untrusted(m.author or "-"),
        ]
        if with_assignee:
            cells.append(untrusted(m.assignee or "-"))
        cells += [
            snippet,
            Text(f"{m.compound:+.2f}", style=LABEL_STYLE[m.effective_label]),
        ]
        if signals and piped:
            cells.append(Text(_signals_text(m), style="yellow"))
        if with_link:
            cells.append(untrusted(m.url) if piped else short_link(m.url, link_width or 40))
        table.add_row(*cells)
    return table


def answered_table(console: Console, mentions: Sequence[StoredMention], title: str) -> Table:
    """Mentions the brand has answered: who answered, and how fast."""
    table = _table(console, title)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("source", no_wrap=True, max_width=None if not console.is_terminal else 14)
    table.add_column("author", no_wrap=True, max_width=None if not console.is_terminal else 18)
    table.add_column(
        "snippet", ratio=1, min_width=24, no_wrap=not console.is_terminal, overflow="ellipsis"
    )
    table.add_column("answered by", no_wrap=True)
    table.add_column("after", justify="right", no_wrap=True)
    table.add_column("how", no_wrap=True)
    for m in mentions:
        after = (
            age(timedelta(seconds=m.first_response_s)) if m.first_response_s is not None else "-"
        )
        table.add_row(
            str(m.id),
            untrusted(m.source),
            untrusted(m.author or "-"),
            untrusted(m.snippet or m.title, width=100),
            untrusted(m.answered_by or "?", style="green"),
            after,
            "thread" if m.marked_by == "auto" else "by hand",
        )
    return table


def short_link(url: str, width: int = 40) -> Text:
    """The link shortened to `host/path…`, clickable (OSC 8) to the full URL where supported."""
    from rich.style import Style

    from mentionwatch.text import is_web_url

    clean = safe(url, single_line=True)
    shown = one_line(clean.split("://", 1)[-1].removeprefix("www."), width)
    if not is_web_url(clean):
        return Text(shown)
    return Text(shown, style=Style(color="cyan", link=clean))


def _signals_text(mention: StoredMention) -> str:
    if mention.spam_mark is True:
        return "marked spam by a person"
    return "; ".join(mention.spam_signals) or "-"


_VIEW_NOUN = {
    InboxView.NEGATIVE: "unanswered negative mention",
    InboxView.OPEN: "open mention",
    InboxView.QUESTIONS: "open question",
    InboxView.SPAM: "spam post",
}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def print_inbox(
    console: Console,
    inbox: Inbox,
    *,
    brand: str,
    limit: int,
    assignee: str | None = None,
    unassigned: bool = False,
) -> None:
    """The inbox table (at most `limit` rows) and a caption that counts the whole view, how
    many of it waited past the SLA, and the spam posts it leaves out. `assignee` /
    `unassigned` say whose mentions these are (`inbox --mine`, `--assignee WHO`,
    `--unassigned`)."""
    view, entries = inbox.view, inbox.entries
    what = _VIEW_NOUN[view]
    hidden = (
        f" {_plural(inbox.spam_hidden, 'spam post')} hidden: inbox --spam."
        if inbox.spam_hidden
        else ""
    )
    owner = " assigned to nobody" if unassigned else ""
    if assignee is not None:
        owner = f" assigned to {safe(assignee, single_line=True)}"
    if not entries:
        if view is InboxView.SPAM:
            console.print(Text(f"No spam posts{owner} among the open mentions.", style="green"))
        elif owner:
            console.print(Text(f"No {what}s{owner}.{hidden}", style="green"))
        else:
            console.print(Text(f"No {what}s. Nothing waits for an answer.{hidden}", style="green"))
        return
    shown = entries[:limit]
    title = f"{brand}: {what}s{owner}"
    title += " (kept out of the inbox)" if view is InboxView.SPAM else ""
    console.print(inbox_table(console, shown, title, signals=view is InboxView.SPAM))
    caption = _plural(inbox.total, what)
    if inbox.past_sla and view is not InboxView.SPAM:
        caption += f", {inbox.past_sla} past SLA (age marked !)"
    caption += "."
    if inbox.total > len(shown):
        caption += f" Showing the first {len(shown)}; use --limit for more."
    if view is InboxView.SPAM:
        caption += " Not spam? mentionwatch notspam ID puts it back."
    console.print(Text(caption + hidden, style="bold"))


def mention_detail(
    mention: StoredMention,
    explanation: Explanation,
    priority: float | None,
    breached: bool,
    now: datetime,
    replies: Sequence[tuple[Reply, bool]] = (),
    hits: Sequence[tuple[str, str, float]] = (),
    notes: Sequence[MentionNote] = (),
    history: Sequence[MentionChange] = (),
) -> RenderableType:
    """`show ID`: the post in full, its scores, why it scored so, its status and assignee,
    the team's notes and the history of its status. `hits` are the domain layer's hits
    behind the stored score."""
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="bold", no_wrap=True)
    meta.add_column()
    meta.add_row("id", str(mention.id))
    meta.add_row("source", Text.assemble(untrusted(mention.source), f" ({mention.kind})"))
    meta.add_row("author", untrusted(mention.author or "-"))
    meta.add_row(
        "posted", f"{mention.created_at:%Y-%m-%d %H:%M} UTC ({age(now - mention.created_at)} ago)"
    )
    meta.add_row("link", untrusted(mention.url, style="cyan"))
    if mention.reach is not None:
        meta.add_row("reach", str(mention.reach))
    meta.add_row("matched", untrusted(mention.matched_term or "-"))
    meta.add_row("sentiment", _sentiment_line(mention))
    meta.add_row("question", "yes: it asks something" if mention.question else "no")
    meta.add_row("spam", _spam_line(mention))
    if priority is not None:
        meta.add_row(
            "priority",
            Text(
                f"{priority:.0f}" + ("  (past SLA)" if breached else ""),
                style="bold red" if breached else "",
            ),
        )
    meta.add_row("status", _status_line(mention))
    if mention.answered_url:
        meta.add_row("answer", untrusted(mention.answered_url, style="cyan"))
    meta.add_row("assignee", untrusted(mention.assignee or "-"))

    parts: list[RenderableType] = [meta, Text("")]
    if mention.title:
        parts.append(Text(safe(mention.title, single_line=True), style="bold"))
    parts.append(Text(safe(mention.text)))
    parts.append(Text(""))
    parts.append(Text("Why it scored so:", style="bold"))
    parts.append(explanation_grid(explanation, hits, mention.spam_signals))
    parts.extend(_thread_section(mention, replies, now))
    parts.extend(_notes_section(notes))
    parts.extend(_history_section(history))
    return Group(*parts)


def _notes_section(notes: Sequence[MentionNote]) -> list[RenderableType]:
    """The team's notes, oldest first: when, who, and the note (its lines kept)."""
    if not notes:
        return []
    listing = Table.grid(padding=(0, 2))
    listing.add_column(no_wrap=True)
    listing.add_column(no_wrap=True, style="bold")
    listing.add_column()
    for note in notes:
        listing.add_row(
            f"{note.created_at:%Y-%m-%d %H:%M} UTC", untrusted(note.author), Text(safe(note.text))
        )
    return [Text(""), Text(f"Notes ({len(notes)}):", style="bold"), listing]


def _history_section(history: Sequence[MentionChange]) -> list[RenderableType]:
    """Every change of status and assignee, oldest first: when, who, what, from -> to."""
    if not history:
        return []
    listing = Table.grid(padding=(0, 2))
    for _ in range(3):
        listing.add_column(no_wrap=True)
    listing.add_column()
    for change in history:
        who = untrusted(change.changed_by or "?")
        if change.automatic:
            who.append(" (thread check)", style="dim")
        listing.add_row(
            f"{change.changed_at:%Y-%m-%d %H:%M} UTC",
            who,
            change.field,
            _change_value(change.old_value) + " -> " + _change_value(change.new_value),
        )
    return [Text(""), Text("History:", style="bold"), listing]


def _change_value(value: str | None) -> Text:
    """A status or an assignee as history shows it; a missing assignee is "nobody"."""
    return Text("nobody", style="dim") if value is None else untrusted(value)


def _sentiment_line(mention: StoredMention) -> Text:
    line = Text(
        f"{mention.label.value} ({mention.compound:+.3f})", style=LABEL_STYLE[mention.label]
    )
    if mention.vader_compound is not None:
        line.append(f"; VADER alone {mention.vader_compound:+.3f}", style="dim")
    if mention.human_label is not None:
        line.append("; labelled ")
        line.append(mention.human_label.value, style=LABEL_STYLE[mention.human_label])
        line.append(" by a person (this label counts)")
    return line


def _spam_line(mention: StoredMention) -> Text:
    if mention.spam_mark is not None:
        verdict = "spam" if mention.spam_mark else "not spam"
        line = Text(f"{'yes' if mention.spam_mark else 'no'}: marked {verdict} by a person")
        line.append(f" (the classifier said {'spam' if mention.spam else 'not spam'})")
        return line
    if mention.spam:
        return Text("yes: kept out of the inbox (mentionwatch notspam ID)", style="yellow")
    return Text("no")


def explanation_grid(
    explanation: Explanation,
    hits: Sequence[tuple[str, str, float]],
    spam_signals: Sequence[str] = (),
) -> Table:
    """VADER's lexicon hits, the domain layer's hits, the deciding sentence, the sentences'
    scores, the inbox check's reading and the spam signals: everything that moved the
    verdict."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    vader = Text()
    for number, (word, valence) in enumerate(explanation.vader_hits):
        if number:
            vader.append(", ")
        vader.append_text(untrusted(word))
        vader.append(f" {valence:+.1f}", style="red" if valence < 0 else "green")
    grid.add_row("VADER's lexicon", vader if explanation.vader_hits else Text("no word it knows"))
    # The inbox check's hit has its own row: it is no reading of the words.
    checked = [what for kind, what, _ in hits if kind == MODEL_HIT]
    hits = [hit for hit in hits if hit[0] != MODEL_HIT]
    domain = Text()
    for number, (kind, what, valence) in enumerate(hits):
        if number:
            domain.append("\n")
        domain.append(f"{kind}: ", style="dim")
        domain.append_text(untrusted(what))
        domain.append(f" {valence:+.1f}", style="red" if valence < 0 else "green")
    grid.add_row("domain layer", domain if hits else Text("no rule fired"))
    grid.add_row("deciding sentence", untrusted(explanation.deciding, width=200))
    scores = Table.grid(padding=(0, 2))
    scores.add_column(justify="right", no_wrap=True)
    scores.add_column(justify="right", no_wrap=True)
    scores.add_column()
    for sentence in sorted(explanation.sentences, key=lambda s: s.compound)[:8]:
        scores.add_row(
            Text(f"{sentence.vader:+.3f}", style="dim"),
            Text(f"{sentence.compound:+.3f}", style=_score_style(sentence.compound)),
            untrusted(sentence.sentence, width=160),
        )
    grid.add_row("per sentence", Text("VADER, with the domain layer; most negative first"))
    grid.add_row("", scores)
    # The hit that took the post out of the inbox when it was scored, or what the check makes
    # of it now.
    inbox_check = checked[0] if checked else explanation.inbox_check
    if inbox_check:
        grid.add_row("inbox check", untrusted(inbox_check))
    if spam_signals:
        grid.add_row("spam signals", untrusted("; ".join(spam_signals), style="yellow"))
    return grid


def _score_style(score: float) -> str:
    return "red" if score <= -0.05 else "green" if score >= 0.05 else "dim"


def _status_line(mention: StoredMention) -> Text:
    status = Text(mention.status.value, style=STATUS_STYLE[mention.status])
    if mention.status is MentionStatus.ANSWERED:
        status.append(f" by {safe(mention.answered_by or '?', single_line=True)}")
        if mention.answered_at:
            status.append(f" at {mention.answered_at:%Y-%m-%d %H:%M} UTC")
        if mention.first_response_s is not None:
            status.append(f", {age(timedelta(seconds=mention.first_response_s))} after the post")
        how = {"auto": "found in the thread", "manual": "marked by hand"}.get(
            mention.marked_by or ""
        )
        if how:
            status.append(f" ({how})")
    elif mention.status is MentionStatus.OWN:
        status.append(" (written by one of brand.handles; never in the inbox)")
    elif mention.status_changed_at:
        status.append(f" since {mention.status_changed_at:%Y-%m-%d %H:%M} UTC")
    return status


def _thread_section(
    mention: StoredMention, replies: Sequence[tuple[Reply, bool]], now: datetime
) -> list[RenderableType]:
    """What the thread check saw, so a person can trust (or overrule) an automatic mark."""
    if mention.thread_checked_at is None:
        if mention.thread_ref is None:
            return []
        return [Text(""), Text("Thread: not checked yet (the next scan will).", style="dim")]
    checked = f"checked {age(now - mention.thread_checked_at)} ago"
    header = Text(f"Thread ({checked}): ", style="bold")
    if not replies:
        return [Text(""), header + Text("no replies.")]
    brand = sum(1 for _, by_brand in replies if by_brand)
    header.append(f"{len(replies)} repl{'y' if len(replies) == 1 else 'ies'}, {brand} by the brand")
    listing = Table.grid(padding=(0, 2))
    for _ in range(4):
        listing.add_column(no_wrap=True)
    listing.add_column()
    for reply, by_brand in replies:
        when = f"{reply.created_at:%Y-%m-%d %H:%M}" if reply.created_at else "?"
        indent = "  " * max(0, reply.depth - 1)
        listing.add_row(
            when,
            Text(
                indent + safe(reply.author or "[deleted]", single_line=True),
                style="bold green" if by_brand else "",
            ),
            Text("brand" if by_brand else "", style="green"),
            untrusted(reply.text, width=70),
            short_link(reply.url),
        )
    return [Text(""), header, listing]


def classification_line(text: str, verdict: Classification) -> Text:
    line = Text()
    line.append(f"{verdict.label.value:<8}", style=LABEL_STYLE[verdict.label])
    line.append(f" {verdict.compound:+.3f}  ")
    if verdict.spam:
        line.append("[spam] ", style="yellow")
    if verdict.question:
        line.append("[question] ", style="cyan")
    line.append_text(untrusted(text, width=120))
    return line


def classification_explained(
    text: str, verdict: Classification, explanation: Explanation
) -> RenderableType:
    """`classify --explain`: the verdict, then everything that moved it."""
    return Group(
        classification_line(text, verdict),
        explanation_grid(explanation, verdict.hits, verdict.spam_signals),
        Text(""),
    )


def eval_table(console: Console, evaluation: LabelEvaluation) -> Table:
    """Per class: the current classifier and bare VADER against the human labels."""
    table = _table(console, f"The classifier against {_plural(evaluation.labels, 'human label')}")
    for column, justify in [
        ("class", "left"),
        ("labels", "right"),
        ("precision", "right"),
        ("recall", "right"),
        ("F1", "right"),
        ("VADER precision", "right"),
        ("VADER recall", "right"),
        ("VADER F1", "right"),
    ]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for ours, vader in zip(evaluation.ours, evaluation.vader, strict=True):
        table.add_row(ours.label, str(ours.support), *_scores(ours), *_scores(vader))
    return table


def _scores(scores: ClassScores) -> tuple[str, str, str]:
    """Precision, recall and F1; "-" where the denominator is zero (nothing predicted, or
    nothing labelled in that class), rather than a misleading 0.000."""

    def shown(value: float, denominator: int) -> str:
        return f"{value:.3f}" if denominator else "-"

    return (
        shown(scores.precision, scores.predicted),
        shown(scores.recall, scores.support),
        shown(scores.f1, scores.support + scores.predicted),
    )


def rescore_summary(report: RescoreReport) -> Text:
    rate = report.mentions / report.seconds if report.seconds else 0.0
    return Text(
        f"Rescored {_plural(report.mentions, 'mention')} in {report.seconds:.1f}s"
        f" ({rate:,.0f}/s): {report.label_changes} changed label,"
        f" {report.spam_changes} changed spam verdict,"
        f" {report.question_changes} changed question flag."
        " Status, answers and a person's marks are untouched.",
        style="bold",
    )


def scan_table(console: Console, report: ScanReport) -> Table:
    table = _table(console, "Scan")
    for column, justify in [
        ("source", "left"),
        ("kind", "left"),
        ("result", "left"),
        ("http", "right"),
        ("seen", "right"),
        ("relevant", "right"),
        ("new", "right"),
        ("updated", "right"),
        ("time", "right"),
        ("error", "left"),
    ]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for s in report.sources:
        table.add_row(
            untrusted(s.name),
            s.kind,
            _outcome(s),
            str(s.http_status or "-"),
            str(s.items_seen),
            str(s.relevant),
            str(s.new),
            str(s.updated),
            f"{s.duration_s:.2f}s",
            untrusted(s.error or "", style="red"),
        )
    return table


def _outcome(report: SourceReport) -> Text:
    style = {
        SourceOutcome.OK: "green",
        SourceOutcome.NOT_MODIFIED: "dim",
        SourceOutcome.ERROR: "bold red",
    }[report.outcome]
    return Text(report.outcome.value.replace("_", " "), style=style)


def alerts_summary(alerts: AlertReport) -> str:
    """The scan's alerts in one line ("" when there was nothing to alert)."""
    parts = []
    if alerts.alerted or alerts.messages:
        parts.append(
            f"alerted {alerts.alerted} mention{'s' if alerts.alerted != 1 else ''}"
            f" ({alerts.messages} message{'s' if alerts.messages != 1 else ''})"
        )
    if alerts.held:
        parts.append(f"{alerts.held} held back by [alerts] min_interval until the next message")
    if alerts.errors:
        errors = "; ".join(safe(e, single_line=True) for e in alerts.errors)
        parts.append(f"alert delivery failed ({errors}); retried by the next scan")
    return ("Alerts: " + ", ".join(parts) + ".") if parts else ""


def scan_summary(report: ScanReport) -> Text:
    seconds = (report.finished_at - report.started_at).total_seconds()
    polled = len(report.sources)
    line = (
        f"Scanned {polled} source{'s' if polled != 1 else ''} in {seconds:.1f}s:"
        f" {report.new} new, {report.updated} updated"
    )
    threads = report.threads
    if threads.checked or threads.errors:
        line += (
            f"; checked {threads.checked} thread{'s' if threads.checked != 1 else ''},"
            f" {threads.answered} newly answered by the brand"
        )
    if threads.errors:
        line += f" ({len(threads.errors)} thread error{'s' if len(threads.errors) != 1 else ''}:"
        line += " " + "; ".join(safe(e, single_line=True) for e in threads.errors) + ")"
    if report.failed:
        names = ", ".join(safe(s.name, single_line=True) for s in report.failed)
        summary = Text(f"{line}, {len(report.failed)} failed ({names}).", style="bold red")
    else:
        summary = Text(line + ".", style="bold")
    for source in report.sources:
        name = safe(source.name, single_line=True)
        if source.paused:
            summary.append(
                f"\n{name}: {safe(source.paused, single_line=True)};"
                f" resume it with: mentionwatch sources resume {name}",
                style="bold red",
            )
        if source.moved_to:
            summary.append(f"\n{name}: permanently moved to ", style="yellow")
            summary.append(safe(source.moved_to, single_line=True), style="yellow")
            summary.append("; update its address in the config", style="yellow")
    alert_line = alerts_summary(report.alerts)
    if alert_line:
        summary.append("\n" + alert_line, style="bold red" if report.alerts.errors else "")
    for name, quiet in report.silent:
        summary.append(
            f"\n{safe(name, single_line=True)}: SILENT, nothing new for {age(quiet)}"
            " (is the query still right? is the feed still updated?)",
            style="bold yellow",
        )
    return summary


_HISTORY_MARK = {SourceOutcome.OK: "✓", SourceOutcome.NOT_MODIFIED: "=", SourceOutcome.ERROR: "✗"}


def source_health(row: SourceOverview, now: datetime) -> Text:
    """One word (and its reason) for what needs a person's attention about a source."""
    state = row.state
    if row.config is not None and not row.config.enabled:
        return Text("disabled", style="dim")
    if state.paused_at is not None:
        return Text(
            f"PAUSED: {safe(state.paused_reason or '', single_line=True)}"
            f" (mentionwatch sources resume {safe(row.name, single_line=True)})",
            style="bold red",
        )
    parts = Text()
    if state.consecutive_errors:
        parts.append(f"failing ({state.consecutive_errors} in a row)", style="red")
    elif state.last_attempt_at is None:
        parts.append("never polled", style="dim")
    else:
        parts.append("ok", style="green")
    if row.silent_for is not None:
        parts.append(f"; SILENT: nothing new for {age(row.silent_for)}", style="bold yellow")
    if state.moved_to:
        parts.append("; MOVED to ", style="yellow")
        parts.append_text(untrusted(state.moved_to, style="yellow"))
        parts.append(" (update the config)", style="yellow")
    if (
        state.next_check_at
        and state.last_attempt_at
        and (row.config and state.next_check_at > state.last_attempt_at + row.config.interval)
    ):
        parts.append(
            f"; waiting until {state.next_check_at:%H:%M} UTC as the server asked", style="yellow"
        )
    return parts


def sources_table(console: Console, rows: Sequence[SourceOverview], now: datetime) -> Table:
    table = _table(console, "Sources")
    for column in [
        "source",
        "kind",
        "interval",
        "last poll",
        "last success",
        "last new",
        "stored",
        "recent polls",
        "state",
        "last error",
    ]:
        table.add_column(column)
    for row in rows:
        state = row.state
        interval = format_duration(row.config.interval) if row.config else "(not in config)"
        table.add_row(
            untrusted(row.name),
            row.kind,
            interval,
            _ago(state.last_attempt_at, now),
            _ago(state.last_success_at, now),
            _ago(state.last_new_at, now),
            str(state.mentions_stored),
            "".join(_HISTORY_MARK[o] for o in row.history) or "-",
            source_health(row, now),
            untrusted(state.last_error or "", style="red", width=80),
        )
    return table


def _ago(moment: datetime | None, now: datetime) -> str:
    return f"{age(now - moment)} ago" if moment else "-"


# --- stats and advocates ------------------------------------------------------------------


def _of(count: int, of: int, noun: str, verb: str, percent: float | None) -> str:
    """ "7 of 12 negative mentions answered (58%)"; "no negative mentions" when `of` is 0.
    `noun` is singular; a "|" marks where its plural "s" goes when not at the end."""
    head, _, tail = noun.partition("|")
    if not of or percent is None:
        return f"no {head}s{tail}"
    return f"{count} of {of} {head if of == 1 else head + 's'}{tail} {verb} ({percent:.0f}%)"


def _seconds(value: float | None) -> str:
    return "-" if value is None else age(timedelta(seconds=value))


def _period_text(stats: Stats) -> str:
    return (
        f"{stats.start:%Y-%m-%d %H:%M} to {stats.end:%Y-%m-%d %H:%M} UTC"
        f" (last {format_duration(stats.since)})"
    )


def stats_report(console: Console, stats: Stats) -> RenderableType:
    """The period's figures, each with its denominator, then the --by table, the responders
    and the per-day sentiment trend."""
    from mentionwatch.views.digest import sparkline

    total = stats.total
    sla = format_duration(stats.sla)
    lines: list[RenderableType] = [Text(f"Mentions posted {_period_text(stats)}.", style="bold")]
    if stats.empty:
        lines.append(Text("No mentions were posted in this period: nothing to measure."))
        return Group(*lines)
    lines.append(
        Text(
            f"{_plural(total.mentions, 'mention')}: {total.negative} negative,"
            f" {total.neutral} neutral, {total.positive} positive"
            f" ({total.spam} spam counted apart, in no other figure)."
        )
    )
    share = _of(total.negative, total.mentions, "mention", "negative", total.share_negative)
    lines.append(Text(f"Share negative: {share}."))
    lines.append(
        Text(
            "Response rate: "
            + _of(
                total.negative_answered,
                total.negative,
                "negative mention",
                "answered",
                total.negative_response_rate,
            )
            + "; "
            + _of(
                total.questions_answered,
                total.questions,
                "question",
                "answered",
                total.question_response_rate,
            )
            + "."
        )
    )
    if total.timed:
        lines.append(
            Text(
                f"Time to first response: median {_seconds(total.median_response_s)},"
                f" 90th percentile {_seconds(total.p90_response_s)}"
                f" (over {total.timed} answered mention{'' if total.timed == 1 else 's'})."
            )
        )
    else:
        lines.append(Text("Time to first response: no mention posted in the period was answered."))
    lines.append(
        Text(
            f"SLA ({sla}): "
            + _of(
                total.answered_late,
                total.timed,
                "answered mention",
                f"answered later than {sla}",
                total.late_rate,
            )
            + "; "
            + _of(
                total.open_past_sla,
                total.open_needing_answer,
                "open mention| needing an answer",
                f"waiting longer than {sla}",
                total.open_past_sla_rate,
            )
            + "."
        )
    )
    lines.append(Text(""))
    lines.append(_stats_groups_table(console, stats))
    if stats.by.value != "responder":
        lines.append(Text(""))
        lines.append(_responders_table(console, stats))
    lines.append(Text(""))
    counts = {label: [getattr(day, label.value) for day in stats.trend] for label in SentimentLabel}
    top = max((max(values, default=0) for values in counts.values()), default=0)
    first, last = stats.trend[0].key, stats.trend[-1].key
    lines.append(Text(f"Sentiment per day, {first} to {last} (spam excluded):"))
    for label, values in counts.items():
        line = Text(f"  {label.value:9}")
        line.append(sparkline(values, top), style=LABEL_STYLE[label])
        line.append(f"  {sum(values)}")
        lines.append(line)
    return Group(*lines)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _stats_groups_table(console: Console, stats: Stats) -> RenderableType:
    by = stats.by.value
    if by == "responder":
        return _responders_table(console, stats)
    table = _table(console, f"By {by}")
    table.add_column(by)
    for name in ("mentions", "neg", "neu", "pos", "spam", "neg %", "neg answered",
                 "questions answered", "median", "p90", "late", "open past SLA"):  # fmt: skip
        table.add_column(name, justify="right")
    for row in stats.groups:
        table.add_row(
            untrusted(row.key),
            str(row.mentions),
            str(row.negative),
            str(row.neutral),
            str(row.positive),
            str(row.spam),
            _percent(row.share_negative),
            f"{row.negative_answered}/{row.negative} {_percent(row.negative_response_rate)}",
            f"{row.questions_answered}/{row.questions} {_percent(row.question_response_rate)}",
            _seconds(row.median_response_s),
            _seconds(row.p90_response_s),
            f"{row.answered_late}/{row.timed}",
            f"{row.open_past_sla}/{row.open_needing_answer}",
        )
    return table


def _responders_table(console: Console, stats: Stats) -> RenderableType:
    if not stats.responders:
        return Text("Answers per responder: no mention posted in the period was answered.")
    table = _table(console, "Answers per responder")
    table.add_column("responder")
    for name in ("answers", "median", "p90", "late"):
        table.add_column(name, justify="right")
    for row in stats.responders:
        table.add_row(
            untrusted(row.key or "(not recorded)"),
            str(row.answered),
            _seconds(row.median_response_s),
            _seconds(row.p90_response_s),
            f"{row.answered_late}/{row.timed}",
        )
    return table


def advocates_table(console: Console, advocates: Sequence[Advocate], title: str) -> Table:
    table = _table(console, title)
    table.add_column("author")
    table.add_column("kind")
    table.add_column("posts", justify="right")
    table.add_column("reach", justify="right")
    table.add_column("latest", justify="right")
    table.add_column("id", justify="right")
    table.add_column("latest post")
    table.add_column("link")
    for advocate in advocates:
        table.add_row(
            untrusted(advocate.author),
            untrusted(advocate.kind),
            str(advocate.posts),
            "-" if advocate.reach is None else str(advocate.reach),
            f"{advocate.latest_at:%Y-%m-%d}",
            str(advocate.latest_id),
            untrusted(advocate.latest_snippet, width=60),
            short_link(advocate.latest_url),
        )
    return table


# --- search and prune -------------------------------------------------------------------------


def _spaced(piece: str) -> str:
    """Untrusted text on one line, keeping one space at either end where it had any: the
    pieces of an excerpt are joined, and their edges are word boundaries."""
    clean = safe(piece)
    words = " ".join(clean.split())
    if not words:
        return " " if clean else ""
    return (" " if clean[0].isspace() else "") + words + (" " if clean[-1].isspace() else "")


def search_excerpt(hit: SearchHit) -> Text:
    """The words around a search match, the matched ones highlighted. Each piece is literal
    text (controls removed), never Rich markup."""
    excerpt = Text()
    for piece, matched in hit.excerpt:
        excerpt.append(_spaced(piece), style="bold yellow" if matched else "")
    if not excerpt.plain.strip():
        return untrusted(hit.mention.snippet or hit.mention.title, width=160)
    excerpt.rstrip()
    leading = len(excerpt.plain) - len(excerpt.plain.lstrip())
    return excerpt[leading:]


def search_table(console: Console, hits: Sequence[SearchHit], query: str) -> Table | Text:
    """Search results: when, where, sentiment and status of each match, and its excerpt
    (just the count when nothing matched: an empty table's header says nothing)."""
    piped = not console.is_terminal
    count = f"{len(hits)} mention{'' if len(hits) == 1 else 's'}"
    title = Text(f"{count} matching {safe(query, single_line=True)}")
    if not hits:
        return title
    table = _table(console)
    table.title = title
    table.add_column("id", justify="right", no_wrap=True, min_width=2)
    table.add_column("posted", no_wrap=True)
    table.add_column("source", no_wrap=True, max_width=None if piped else 12)
    table.add_column("sentiment", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("author", no_wrap=True, max_width=None if piped else 14)
    if piped:
        table.add_column("excerpt", no_wrap=True)
    else:
        table.add_column("excerpt", ratio=1, min_width=24)
    for hit in hits:
        m = hit.mention
        status = Text(m.status.value, style=STATUS_STYLE[m.status])
        if m.effective_spam:
            status.append(" spam", style="yellow")
        table.add_row(
            str(m.id),
            f"{m.created_at:%Y-%m-%d}",
            untrusted(m.source),
            Text(m.effective_label.value, style=LABEL_STYLE[m.effective_label]),
            status,
            untrusted(m.author or "-"),
            search_excerpt(hit),
        )
    return table


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024:
            return f"{count} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def prune_summary(report: PruneReport, sizes: tuple[int, int] | None = None) -> Text:
    """What prune removed (or would remove) per status, what it kept, and VACUUM's effect."""
    cutoff = f"{report.cutoff:%Y-%m-%d %H:%M} UTC"
    if report.total == 0:
        lines = [f"No mention posted before {cutoff} to remove."]
    else:
        verb = "Would remove" if report.dry_run else "Removed"
        parts = ", ".join(f"{count} {status.value}" for status, count in report.removed)
        spam = f" ({report.spam} of them spam)" if report.spam else ""
        lines = [
            f"{verb} {_plural(report.total, 'mention')} posted before {cutoff}: {parts}{spam}."
        ]
    if report.kept_open:
        lines.append(
            f"Kept {_plural(report.kept_open, 'open mention')} older than that"
            " (--include-open removes them too)."
        )
    if report.kept_newest is not None:
        lines.append(
            f"Kept #{report.kept_newest}, the most recently stored mention, so that its id is"
            " never given to another."
        )
    if sizes is not None:
        lines.append(f"VACUUM: the database went from {_size(sizes[0])} to {_size(sizes[1])}.")
    elif report.total and not report.dry_run:
        lines.append(
            "The database file keeps its size until a VACUUM reuses the space:"
            " mentionwatch prune --vacuum (see the README)."
        )
    return Text("\n".join(lines))
