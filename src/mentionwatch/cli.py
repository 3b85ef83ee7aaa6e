"""The `mentionwatch` command: a thin shell over the core.

Each command parses its options, makes one call into the core, and renders the result. Domain
errors (`MentionwatchError`) become a one-line message and an exit status here, and only here.
Heavy libraries (httpx, VADER, feedparser) are imported inside the commands that need them,
so `mentionwatch --help` stays fast.
"""

# No `from __future__ import annotations` here: Typer reads every command's signature at
# each start, and string annotations cost an `eval` apiece (about 10 ms per run). Names
# imported only for type checking are quoted instead.
import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, TextIO

import typer

from mentionwatch import __version__
from mentionwatch.errors import ExitStatus, MentionwatchError, NotFoundError

if TYPE_CHECKING:  # imported for real inside the commands, so `--help` stays fast
    from rich.console import Console

    from mentionwatch.config import Config
    from mentionwatch.models import MentionFilter, SourceReport
    from mentionwatch.store import Store

app = typer.Typer(
    name="mentionwatch",
    help="Find the posts about your brand that nobody from the brand has answered yet.\n\n"
    "Example: mentionwatch scan && mentionwatch inbox",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    # A traceback (a bug, never a user error) must not print local variables: they can hold
    # tokens and passwords.
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Typer needs Optional[...] here at runtime on Python 3.10, so no `X | None` in these aliases.
ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--config",
        "-c",
        help="Config file [default: $MENTIONWATCH_CONFIG, then the user config dir].",
        dir_okay=False,
        show_default=False,
    ),
]
DbOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--db",
        help="SQLite database [default: $MENTIONWATCH_DB, the config's"
        " `database`, then the user data dir].",
        dir_okay=False,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (see README) instead.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mentionwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Find the posts about your brand that nobody from the brand has answered yet."""


@contextlib.contextmanager
def _reported_errors() -> Iterator[None]:
    """Turn a domain error into one line on stderr and its exit status; no traceback."""
    try:
        yield
    except MentionwatchError as exc:
        from mentionwatch.text import safe

        typer.echo(f"mentionwatch: {safe(exc.message)}", err=True)
        raise typer.Exit(int(exc.exit_status)) from None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _acting_user(by: str | None) -> str | None:
    """Who runs this command, for history rows and notes: `--by`, else $MENTIONWATCH_USER,
    else the OS login name; None when none of them tells."""
    import getpass

    if by is not None:
        if not by.strip():
            raise typer.BadParameter("a name cannot be blank", param_hint="--by")
        return by.strip()
    named = os.environ.get("MENTIONWATCH_USER", "").strip()
    if named:
        return named
    try:
        return getpass.getuser().strip() or None
    except (ImportError, KeyError, OSError):  # no login name (e.g. a uid without an account)
        return None


def _known_user(by: str | None, instead: str) -> str:
    """`_acting_user`, where a name is needed: a usage error (exit 2) names what to give."""
    user = _acting_user(by)
    if user is None:
        raise MentionwatchError(f"cannot tell who you are: set MENTIONWATCH_USER or {instead}")
    return user


def _load_config(path: Path | None) -> "Config":
    from mentionwatch.config import find_config_path, load_config

    return load_config(find_config_path(path, os.environ))


def _config_if_any(path: Path | None) -> "Config | None":
    """The config, or None if none exists and none was asked for (a broken one still fails)."""
    from mentionwatch.config import find_config_path

    found = find_config_path(path, os.environ)
    if path is None and not found.exists():
        return None
    return _load_config(path)


def _open_store(db: Path | None, config: "Config | None") -> "Store":
    from mentionwatch.config import resolve_database_path
    from mentionwatch.store import Store

    return Store.open(resolve_database_path(db, os.environ, config))


def _console() -> "Console":
    from mentionwatch.views.terminal import make_console

    return make_console()


@contextlib.contextmanager
def _scan_progress(console: "Console", *, enabled: bool) -> Iterator[Any]:
    """A progress bar of polled sources on a terminal; nothing at all when piped."""
    if not (enabled and console.is_terminal):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from mentionwatch.text import safe

    with Progress(
        TextColumn("Polling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def polled(report: "SourceReport", total: int) -> None:
            bar.update(
                task, total=total, advance=1, description=safe(report.name, single_line=True)
            )

        yield polled


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    from mentionwatch.config import parse_duration

    try:
        return _now() - parse_duration(value)
    except (ValueError, OverflowError):  # OverflowError: a date before year 1
        raise typer.BadParameter(
            f'expected a duration like "24h" or "7d", got {value!r}', param_hint="--since"
        ) from None


# --- commands ---------------------------------------------------------------------------------


@app.command()
def demo(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 15,
) -> None:
    """Run the whole pipeline offline on a bundled sample brand, and show its inbox.

    Serves realistic feeds for the fictional brand Brightloop from a loopback HTTP server,
    scans them with the real scan code into a temporary database (or --db), and prints the
    inbox. No network, no config needed.

    Example: mentionwatch demo
    """
    from mentionwatch.demo import run_demo
    from mentionwatch.inbox import open_inbox
    from mentionwatch.views.terminal import answered_table, print_inbox, scan_summary

    console = _console()
    with _reported_errors(), run_demo(db) as (config, store, report):
        shown = open_inbox(store, config.brand, now=_now(), limit=limit)
        print_inbox(console, shown, brand=config.brand.name, limit=limit)
        answered = store.answered_mentions(limit=limit)
        if answered:
            console.print()
            console.print(
                answered_table(
                    console,
                    answered,
                    f"Already answered by {config.brand.name} (found in the thread)",
                )
            )
        console.print()
        console.print(scan_summary(report))
        console.print(
            f"Demo database: {store.path}  (try: mentionwatch show ID --db {store.path})"
            if db
            else "Try it on your brand: mentionwatch init, then mentionwatch scan."
        )


@app.command()
def init(
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config to the user config dir (or --config).

    Example: mentionwatch init --config ./mentionwatch.toml
    """
    from importlib.resources import files

    from mentionwatch.config import find_config_path

    target = find_config_path(config, os.environ)
    if target.exists() and not force:
        typer.echo(f"mentionwatch: {target} exists; use --force to overwrite it", err=True)
        raise typer.Exit(int(ExitStatus.USAGE))
    starter = files("mentionwatch").joinpath("config.example.toml").read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(starter, encoding="utf-8")
    typer.echo(f"Wrote {target}. Edit [brand] and [[sources]], then run: mentionwatch scan")


@app.command()
def scan(
    config: ConfigOption = None,
    db: DbOption = None,
    every: Annotated[bool, typer.Option("--all", help="Poll every source, due or not.")] = False,
    source: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--source", "-s", help="Poll only this source (repeatable)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Poll the sources that are due, store new mentions, print a summary.

    Exit status 1 if a source failed (the others were still stored).

    Example: mentionwatch scan --all
    """
    from mentionwatch.config import resolve_database_path
    from mentionwatch.scan import run_scan, scan_lock
    from mentionwatch.views.export import scan_report_json, write_json
    from mentionwatch.views.terminal import scan_summary, scan_table

    with _reported_errors():
        loaded = _load_config(config)
        unknown = [name for name in source or [] if loaded.source(name) is None]
        if unknown:
            raise NotFoundError(f"no source named {', '.join(unknown)} in {loaded.path}")
        database = resolve_database_path(db, os.environ, loaded)
        console = _console()
        with (
            scan_lock(database),
            _open_store(database, loaded) as store,
            _scan_progress(console, enabled=not as_json) as on_polled,
        ):
            report = run_scan(loaded, store, force=every, only=source or [], on_polled=on_polled)
    if as_json:
        write_json(scan_report_json(report), sys.stdout)
    else:
        if report.sources:
            console.print(scan_table(console, report))
            console.print(scan_summary(report))
        else:
            console.print("No source is due. Use --all to poll them anyway.")
    if report.failed:
        raise typer.Exit(int(ExitStatus.SOURCES_FAILED))


@app.command()
def inbox(
    config: ConfigOption = None,
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="Show at most this many.", min=1)] = 50,
    source: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--source", "-s", help="Only this source (repeatable)."),
    ] = None,
    since: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help='Only posts newer than this, e.g. "24h", "7d".'),
    ] = None,
    every_open: Annotated[
        bool, typer.Option("--all", help="Every open mention, not only negative ones.")
    ] = False,
    questions: Annotated[
        bool, typer.Option("--questions", help="Open questions, whatever their sentiment.")
    ] = False,
    spam: Annotated[
        bool, typer.Option("--spam", help="The spam kept out of the inbox, with its signals.")
    ] = False,
    mine: Annotated[
        bool,
        typer.Option(
            "--mine", help="Only those assigned to you ($MENTIONWATCH_USER, else your login)."
        ),
    ] = False,
    assignee: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--assignee", metavar="WHO", help="Only those assigned to WHO (any case)."),
    ] = None,
    unassigned: Annotated[
        bool, typer.Option("--unassigned", help="Only those nobody is assigned.")
    ] = False,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead.")] = False,
) -> None:
    """The negative mentions nobody has answered yet, most urgent first. Never spam.

    Priority (0-100) weighs how negative a post is (or whether it asks something), how long
    it has waited against brand.sla, and the author's reach; "!" marks an SLA breach.
    --questions lists open questions of any sentiment; --spam lists what was kept out.
    --mine, --assignee WHO and --unassigned narrow any of these to one owner (or none).

    Example: mentionwatch inbox --mine --since 7d --limit 20
    """
    from mentionwatch.inbox import InboxView, open_inbox
    from mentionwatch.views.export import inbox_entry_json, write_inbox_csv, write_json
    from mentionwatch.views.terminal import print_inbox

    if every_open + questions + spam > 1:
        raise typer.BadParameter(
            "choose one of --all, --questions and --spam", param_hint="--all/--questions/--spam"
        )
    if mine + (assignee is not None) + unassigned > 1:
        raise typer.BadParameter(
            "choose one of --mine, --assignee and --unassigned",
            param_hint="--mine/--assignee/--unassigned",
        )
    if assignee is not None and not assignee.strip():
        raise typer.BadParameter("a name cannot be blank", param_hint="--assignee")
    view = (
        InboxView.OPEN
        if every_open
        else InboxView.QUESTIONS
        if questions
        else InboxView.SPAM
        if spam
        else InboxView.NEGATIVE
    )
    newer_than = _since(since)
    with _reported_errors():
        owner = _known_user(None, "use --assignee NAME") if mine else assignee
        owner = owner.strip() if owner else None
        loaded = _load_config(config)
        unknown = [name for name in source or [] if loaded.source(name) is None]
        if unknown:
            raise NotFoundError(f"no source named {', '.join(unknown)} in {loaded.path}")
        with _open_store(db, loaded) as store:
            found = open_inbox(
                store,
                loaded.brand,
                view,
                now=_now(),
                sources=source or [],
                since=newer_than,
                assignee=owner,
                unassigned=unassigned,
                limit=limit,
            )
    if as_json:
        write_json([inbox_entry_json(e) for e in found.entries], sys.stdout)
    elif as_csv:
        write_inbox_csv(found.entries, sys.stdout)
    else:
        print_inbox(
            _console(),
            found,
            brand=loaded.brand.name,
            limit=limit,
            assignee=owner,
            unassigned=unassigned,
        )


@app.command()
def show(
    mention_id: Annotated[int, typer.Argument(metavar="ID", help="The mention's id.")],
    config: ConfigOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """One mention in full: text, scores, why it scored so (VADER's words, the domain rules
    that fired, the deciding sentence, spam signals, question), status, assignee, the team's
    notes and the history of its status and assignee.

    Example: mentionwatch show 42
    """
    from mentionwatch.config import BrandConfig, SentimentConfig
    from mentionwatch.inbox import mention_urgency
    from mentionwatch.models import MentionStatus
    from mentionwatch.triage import explain_mention
    from mentionwatch.views.export import (
        change_json,
        explanation_json,
        hits_json,
        mention_json,
        note_json,
        reply_json,
        write_json,
    )
    from mentionwatch.views.terminal import mention_detail

    with _reported_errors():
        loaded = _config_if_any(config)
        with _open_store(db, loaded) as store:
            mention = store.mention(mention_id)
            if mention is None:
                raise NotFoundError(f"no mention with id {mention_id}")
            replies = store.replies(mention_id)
            notes, history = store.notes(mention_id), store.history(mention_id)
    now = _now()
    sla = loaded.brand.sla if loaded else BrandConfig.sla
    thresholds = loaded.sentiment if loaded else SentimentConfig()
    urgent = mention_urgency(mention, sla, now)
    is_open = mention.status is MentionStatus.OPEN
    hits, explanation = explain_mention(mention, thresholds, loaded.brand.terms if loaded else ())
    if as_json:
        write_json(
            {
                **mention_json(mention),
                "priority": urgent.priority if is_open else None,
                "waited_seconds": int(urgent.waited.total_seconds()),
                "sla_breached": urgent.breached and is_open,
                "explanation": hits_json(hits),
                **explanation_json(explanation),
                "replies": [reply_json(reply, by_brand) for reply, by_brand in replies],
                "notes": [note_json(note) for note in notes],
                "history": [change_json(change) for change in history],
            },
            sys.stdout,
        )
        return
    _console().print(
        mention_detail(
            mention,
            explanation,
            urgent.priority if is_open else None,
            urgent.breached and is_open,
            now,
            replies,
            hits,
            notes,
            history,
        )
    )


@app.command()
def reply(
    mention_id: Annotated[
        Optional[int],  # noqa: UP045
        typer.Argument(metavar="ID", help="The mention to answer.", show_default=False),
    ] = None,
    template: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--template",
            "-t",
            help="Use this template [default: by the post's kind: complaint, question,"
            " praise or general].",
            show_default=False,
        ),
    ] = None,
    list_templates: Annotated[
        bool, typer.Option("--list", help="List the templates instead, and what each is for.")
    ] = False,
    config: ConfigOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print a suggested reply to a mention, filled in from a template: "complaint" for a
    negative post, "question" for a question, "praise" for a positive one, else "general".

    Templates are [templates] in the config (built-in ones otherwise), with the placeholders
    author, author_name, brand, support_contact, link, source and kind. The draft is plain
    text on stdout; a warning on stderr says when it is too long for the platform.

    Example: mentionwatch reply 42 --template question
    """
    from mentionwatch.drafts import (
        draft_json,
        draft_notes,
        render_draft,
        template_list_json,
        template_list_text,
        template_listing,
    )
    from mentionwatch.views.export import write_json

    if list_templates:
        with _reported_errors():
            listing = template_listing(_load_config(config))
        if as_json:
            write_json(template_list_json(listing), sys.stdout)
        else:
            typer.echo(template_list_text(listing))
        return
    if mention_id is None:
        raise typer.BadParameter("give the mention's ID, or --list", param_hint="ID")
    with _reported_errors():
        loaded = _load_config(config)
        with _open_store(db, loaded) as store:
            mention = store.mention(mention_id)
        if mention is None:
            raise NotFoundError(f"no mention with id {mention_id}")
        draft = render_draft(mention, loaded, template)
    for line in draft_notes(draft, mention, loaded.path):
        typer.echo(f"mentionwatch: {line}", err=True)
    if as_json:
        write_json(draft_json(draft), sys.stdout)
    else:
        typer.echo(draft.text)


def _mark(
    mention_id: int, status: str, by: str | None, config: Path | None, db: Path | None
) -> None:
    from mentionwatch.models import MentionStatus
    from mentionwatch.text import safe

    actor = _acting_user(by)
    with _reported_errors():
        with _open_store(db, _config_if_any(config)) as store:
            updated = store.set_status(mention_id, MentionStatus(status), by=actor, at=_now())
        if updated is None:
            raise NotFoundError(f"no mention with id {mention_id}")
    # Only an answer names its person: who answered is part of the mark, not a byline.
    who = f" by {safe(actor, single_line=True)}" if actor and status == "answered" else ""
    typer.echo(f"#{mention_id} is now {status}{who}.")


ById = Annotated[int, typer.Argument(metavar="ID", help="The mention's id.")]
ByOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--by",
        help="Who you are, for the history [default: $MENTIONWATCH_USER, else your login name].",
        show_default=False,
    ),
]


@app.command()
def answer(
    mention_id: ById,
    by: Annotated[str, typer.Option("--by", help="Who answered (a name or handle).")],
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Mark a mention as answered. Manual marks survive every re-scan.

    Example: mentionwatch answer 42 --by maya
    """
    _mark(mention_id, "answered", by, config, db)


@app.command()
def ignore(
    mention_id: ById, by: ByOption = None, config: ConfigOption = None, db: DbOption = None
) -> None:
    """Mark a mention as needing no answer; it leaves the inbox.

    Example: mentionwatch ignore 42
    """
    _mark(mention_id, "ignored", by, config, db)


@app.command()
def reopen(
    mention_id: ById, by: ByOption = None, config: ConfigOption = None, db: DbOption = None
) -> None:
    """Put an answered or ignored mention back in the inbox.

    Example: mentionwatch reopen 42
    """
    _mark(mention_id, "open", by, config, db)


@app.command()
def assign(
    mention_id: ById,
    who: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(metavar="WHO", help="Who owns it [default: you].", show_default=False),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Assign it to nobody.")] = False,
    by: ByOption = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Give a mention to a team member; `inbox --mine` and `inbox --assignee WHO` list
    theirs. Without WHO, to yourself ($MENTIONWATCH_USER, else your login name); --clear
    assigns it to nobody. Names match in any case. `show ID` keeps every change.

    Example: mentionwatch assign 42 maya
    """
    from mentionwatch.text import safe

    if clear and who is not None:
        raise typer.BadParameter("give WHO or --clear, not both", param_hint="--clear")
    if who is not None and not who.strip():
        raise typer.BadParameter("a name cannot be blank", param_hint="WHO")
    actor = _acting_user(by)
    with _reported_errors():
        owner = None if clear else (who.strip() if who else _known_user(by, "give WHO"))
        with _open_store(db, _config_if_any(config)) as store:
            done = store.assign(mention_id, owner, by=actor, at=_now())
        if done is None:
            raise NotFoundError(f"no mention with id {mention_id}")
    mention, changed = done
    now = "is now" if changed else "was already"
    if mention.assignee is None:
        typer.echo(f"#{mention_id} {now} assigned to nobody.")
    else:
        typer.echo(f"#{mention_id} {now} assigned to {safe(mention.assignee, single_line=True)}.")


@app.command()
def note(
    mention_id: ById,
    text: Annotated[str, typer.Argument(metavar="TEXT", help='The note; "-" reads stdin.')],
    by: ByOption = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Write a note on a mention for the team ("refund issued, waiting for them"). `show ID`
    lists the notes with who wrote them and when.

    Example: mentionwatch note 42 "Refund issued; waiting for their reply"
    """
    from mentionwatch.models import MAX_NOTE_LENGTH
    from mentionwatch.text import safe

    body = (sys.stdin.read(MAX_NOTE_LENGTH + 1) if text == "-" else text).strip()
    if not body:
        raise typer.BadParameter("the note is empty", param_hint="TEXT")
    if len(body) > MAX_NOTE_LENGTH:
        raise typer.BadParameter(
            f"the note is longer than {MAX_NOTE_LENGTH:,} characters; keep it to what the team"
            " needs to know (a link to the rest)",
            param_hint="TEXT",
        )
    with _reported_errors():
        author = _known_user(by, "use --by NAME")
        with _open_store(db, _config_if_any(config)) as store:
            if store.add_note(mention_id, author=author, text=body, at=_now()) is None:
                raise NotFoundError(f"no mention with id {mention_id}")
    typer.echo(f"Noted on #{mention_id} by {safe(author, single_line=True)}.")


@app.command("spam")
def mark_spam(mention_id: ById, config: ConfigOption = None, db: DbOption = None) -> None:
    """Mark a mention as spam: it leaves the inbox (listed by inbox --spam). No re-scan
    changes a person's mark; notspam ID undoes it.

    Example: mentionwatch spam 42
    """
    _mark_spam(mention_id, True, config, db)


@app.command("notspam")
def mark_not_spam(mention_id: ById, config: ConfigOption = None, db: DbOption = None) -> None:
    """Mark a mention as not spam, whatever the classifier said: it is back in the inbox.

    Example: mentionwatch notspam 42
    """
    _mark_spam(mention_id, False, config, db)


def _mark_spam(mention_id: int, spam: bool, config: Path | None, db: Path | None) -> None:
    with _reported_errors():
        with _open_store(db, _config_if_any(config)) as store:
            updated = store.set_spam_mark(mention_id, spam)
        if updated is None:
            raise NotFoundError(f"no mention with id {mention_id}")
    if spam:
        typer.echo(f"#{mention_id} is now marked spam: out of the inbox (inbox --spam lists it).")
    else:
        typer.echo(f"#{mention_id} is now marked not spam.")


LABEL_CHOICES = ("negative", "neutral", "positive")


@app.command("label")
def label_mention(
    mention_id: ById,
    sentiment: Annotated[
        str, typer.Argument(metavar="negative|neutral|positive", help="The right sentiment.")
    ],
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Give a mention its right sentiment. The label overrides the classifier for this
    mention (the inbox uses it), and `mentionwatch eval` measures the classifier against
    every label given.

    Example: mentionwatch label 42 negative
    """
    from mentionwatch.models import SentimentLabel

    if sentiment.lower() not in LABEL_CHOICES:
        raise typer.BadParameter(
            f"expected one of {', '.join(LABEL_CHOICES)}, got {sentiment!r}",
            param_hint="negative|neutral|positive",
        )
    label = SentimentLabel(sentiment.lower())
    with _reported_errors():
        with _open_store(db, _config_if_any(config)) as store:
            updated = store.set_human_label(mention_id, label)
        if updated is None:
            raise NotFoundError(f"no mention with id {mention_id}")
    typer.echo(
        f"#{mention_id} is now labelled {label.value} (the classifier said {updated.label.value})."
    )


@app.command("eval")
def evaluate(
    config: ConfigOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """How well the current classifier agrees with your labels: precision, recall and F1 per
    class (negative, neutral, positive), next to bare VADER's, over every mention labelled
    with `mentionwatch label`. Re-classifies each one with the current config.

    Example: mentionwatch eval --json
    """
    from mentionwatch.config import SentimentConfig
    from mentionwatch.triage import evaluate_human_labels
    from mentionwatch.views.export import label_scores_json, write_json
    from mentionwatch.views.terminal import eval_table

    with _reported_errors():
        loaded = _config_if_any(config)
        with _open_store(db, loaded) as store:
            result = evaluate_human_labels(store, loaded.sentiment if loaded else SentimentConfig())
    if as_json:
        write_json(label_scores_json(result), sys.stdout)
        return
    if result.labels == 0:
        typer.echo(
            "No mention has a human label yet, so there is nothing to measure."
            " Label some first: mentionwatch label ID negative|neutral|positive"
        )
        return
    console = _console()
    console.print(eval_table(console, result))
    console.print(
        f"Accuracy: {result.accuracy:.3f} (bare VADER {result.vader_accuracy:.3f})."
        " The human label is the truth; precision = right / predicted, recall = right / labelled."
    )


@app.command()
def rescore(
    config: ConfigOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-classify every stored mention with the current config, after a change to
    [sentiment] (thresholds, lexicon, phrases). Prints how many changed label. Never touches
    a mention's status or a person's marks (answered, ignored, spam, label).

    Example: mentionwatch rescore
    """
    from mentionwatch.config import SentimentConfig
    from mentionwatch.triage import rescore as rescore_all
    from mentionwatch.views.export import rescore_json, write_json
    from mentionwatch.views.terminal import rescore_summary

    with _reported_errors():
        loaded = _config_if_any(config)
        with _open_store(db, loaded) as store:
            report = rescore_all(
                store,
                loaded.sentiment if loaded else SentimentConfig(),
                brand_terms=loaded.brand.terms if loaded else (),
            )
    if as_json:
        write_json(rescore_json(report), sys.stdout)
    else:
        _console().print(rescore_summary(report))


sources_app = typer.Typer(no_args_is_help=False, rich_markup_mode=None)
app.add_typer(sources_app, name="sources")


@sources_app.callback(invoke_without_command=True)
def sources(
    ctx: typer.Context,
    config: ConfigOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Each source: when it was last polled, what it stored, and its errors.

    `mentionwatch sources test NAME` makes one real request to a source instead.

    Example: mentionwatch sources
    """
    if ctx.invoked_subcommand is not None:
        return
    from mentionwatch.overview import source_overview
    from mentionwatch.views.export import source_overview_json, write_json
    from mentionwatch.views.terminal import sources_table

    with _reported_errors():
        loaded = _config_if_any(config)
        with _open_store(db, loaded) as store:
            rows = source_overview(store, loaded, _now())
    if as_json:
        write_json([source_overview_json(row) for row in rows], sys.stdout)
    else:
        console = _console()
        console.print(sources_table(console, rows, _now()))


@sources_app.command("resume")
def sources_resume(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The source's name.")],
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Un-pause a source (paused after failing too often, or gone), so the next scan polls it.

    Example: mentionwatch sources resume google-alerts
    """
    from mentionwatch.text import safe

    with _reported_errors():
        loaded = _config_if_any(config)
        with _open_store(db, loaded) as store:
            if not store.resume_source(name, _now()):
                raise NotFoundError(f"no source named {name} has been polled yet")
    typer.echo(f"{safe(name, single_line=True)} resumed: the next scan polls it.")


@sources_app.command("test")
def sources_test(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The source's name in the config.")],
    config: ConfigOption = None,
) -> None:
    """Make one real request to a source and say, in one line, whether it works.

    Nothing is stored. Exit status 1 if the source does not work.

    Example: mentionwatch sources test hn
    """
    from mentionwatch.scan import check_source
    from mentionwatch.text import safe

    with _reported_errors():
        loaded = _load_config(config)
        source = loaded.source(name)
        if source is None:
            raise NotFoundError(f"no source named {name} in {loaded.path}")
        works, line = check_source(loaded, source, os.environ)
    typer.echo(f"{safe(name, single_line=True)}: {safe(line, single_line=True)}")
    if not works:
        raise typer.Exit(int(ExitStatus.SOURCES_FAILED))


@app.command()
def classify(
    text: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(help='Text to score; omit it (or give "-") to read lines from stdin.'),
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Show why: VADER's words, the domain rules that fired, the deciding sentence.",
        ),
    ] = False,
) -> None:
    """Score text without storing it, with the config's [sentiment]: sentiment, spam and
    question, one verdict per line of input.

    Example: echo "My order never arrived" | mentionwatch classify --json
    """
    from mentionwatch.classify.sentiment import explain as explain_text
    from mentionwatch.classify.verdict import assess
    from mentionwatch.config import SentimentConfig
    from mentionwatch.views.export import classification_json, json_text
    from mentionwatch.views.terminal import classification_explained, classification_line

    with _reported_errors():
        loaded = _config_if_any(config)
    thresholds = loaded.sentiment if loaded else SentimentConfig()
    brand_terms = loaded.brand.terms if loaded else ()
    if text is None and sys.stdin.isatty():
        raise typer.BadParameter(
            "give the text to score, or pipe posts on stdin, one per line", param_hint="TEXT"
        )
    lines = [text] if text not in (None, "-") else (line.rstrip("\n") for line in sys.stdin)
    console = None if as_json else _console()
    for line in lines:
        if line is None or not line.strip():
            continue
        verdict = assess(line, thresholds, brand_terms)
        why = explain_text(line, verdict, thresholds) if explain else None
        if console is None:
            typer.echo(json_text(classification_json(line, verdict, why), indent=None))
        elif why is not None:
            console.print(classification_explained(line, verdict, why))
        else:
            console.print(classification_line(line, verdict))


class StatsByChoice(str, Enum):
    SOURCE = "source"
    RESPONDER = "responder"
    DAY = "day"


def _look_back(value: str, option: str) -> Any:
    from mentionwatch.config import parse_duration

    try:
        return parse_duration(value)
    except (ValueError, OverflowError):
        raise typer.BadParameter(
            f'expected a duration like "24h" or "30d", got {value!r}', param_hint=option
        ) from None


@app.command()
def stats(
    config: ConfigOption = None,
    db: DbOption = None,
    since: Annotated[
        str, typer.Option(help='The period: mentions posted this far back, e.g. "7d".')
    ] = "30d",
    by: Annotated[
        StatsByChoice, typer.Option("--by", help="Break the figures down by this.")
    ] = StatsByChoice.SOURCE,
    as_json: JsonOption = False,
) -> None:
    """How well the team responds: mentions by sentiment and source, share negative,
    response rates for negative mentions and questions, median and 90th-percentile time to
    first response, SLA breaches, answers per responder and a per-day sentiment trend.

    Every figure is computed over the mentions posted in the period (spam counted apart) and
    says what it is out of.

    Example: mentionwatch stats --since 7d --by responder
    """
    from mentionwatch.config import BrandConfig
    from mentionwatch.stats import StatsBy, build_stats
    from mentionwatch.views.export import stats_json, write_json
    from mentionwatch.views.terminal import stats_report

    period = _look_back(since, "--since")
    with _reported_errors():
        loaded = _config_if_any(config)
        with _open_store(db, loaded) as store:
            figures = build_stats(
                store,
                sla=loaded.brand.sla if loaded else BrandConfig.sla,
                now=_now(),
                since=period,
                by=StatsBy(by.value),
            )
    if as_json:
        write_json(stats_json(figures), sys.stdout)
        return
    console = _console()
    console.print(stats_report(console, figures))


@app.command()
def advocates(
    config: ConfigOption = None,
    db: DbOption = None,
    since: Annotated[
        str, typer.Option(help='Positive posts from this far back, e.g. "30d".')
    ] = "90d",
    min_posts: Annotated[
        int, typer.Option("--min-posts", help="Positive posts an author needs.", min=1)
    ] = 2,
    limit: Annotated[int, typer.Option(help="Show at most this many.", min=1)] = 50,
    as_json: JsonOption = False,
) -> None:
    """Authors who repeatedly post positively about the brand (never its own accounts, never
    spam), with their reach and latest post, so the team can thank them. Most posts first,
    then most reach.

    Example: mentionwatch advocates --since 30d --min-posts 3
    """
    from mentionwatch.config import format_duration
    from mentionwatch.stats import find_advocates
    from mentionwatch.views.export import advocate_json, write_json
    from mentionwatch.views.terminal import advocates_table

    period = _look_back(since, "--since")
    with _reported_errors():
        loaded = _config_if_any(config)
        with _open_store(db, loaded) as store:
            found = find_advocates(
                store,
                loaded.brand if loaded else None,
                now=_now(),
                since=period,
                min_posts=min_posts,
                limit=limit,
            )
    if as_json:
        write_json([advocate_json(a) for a in found], sys.stdout)
        return
    window = format_duration(period)
    if not found:
        typer.echo(f"No author posted positively at least {min_posts} times in the last {window}.")
        return
    console = _console()
    console.print(
        advocates_table(
            console, found, f"Posted positively at least {min_posts} times in the last {window}"
        )
    )


# --- search, export and retention ---------------------------------------------------------


class SentimentChoice(str, Enum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class StatusChoice(str, Enum):
    OPEN = "open"
    ANSWERED = "answered"
    IGNORED = "ignored"
    OWN = "own"


class SearchSortChoice(str, Enum):
    RELEVANCE = "relevance"
    NEWEST = "newest"


class ExportFormat(str, Enum):
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"


SourcesFilter = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--source", "-s", help="Only this source (repeatable)."),
]
SentimentFilter = Annotated[
    Optional[list[SentimentChoice]],  # noqa: UP045
    typer.Option("--sentiment", help="Only this sentiment, a person's label first (repeatable)."),
]
StatusFilter = Annotated[
    Optional[list[StatusChoice]],  # noqa: UP045
    typer.Option("--status", help="Only this status (repeatable)."),
]
SinceFilter = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help='Only posts newer than this, e.g. "7d".'),
]
UntilFilter = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help='Only posts older than this, e.g. "30d".'),
]
SpamFilter = Annotated[
    Optional[bool],  # noqa: UP045
    typer.Option(
        "--spam/--no-spam", help="Only spam, or no spam [default: both].", show_default=False
    ),
]


def _mention_filter(
    source: list[str] | None,
    sentiment: list[SentimentChoice] | None,
    status: list[StatusChoice] | None,
    since: str | None,
    until: str | None,
    spam: bool | None,
) -> "MentionFilter":
    from mentionwatch.models import MentionFilter, MentionStatus, SentimentLabel

    now = _now()
    return MentionFilter(
        sources=tuple(dict.fromkeys(source or [])),
        labels=tuple(SentimentLabel(choice.value) for choice in dict.fromkeys(sentiment or [])),
        statuses=tuple(MentionStatus(choice.value) for choice in dict.fromkeys(status or [])),
        since=None if since is None else now - _look_back(since, "--since"),
        until=None if until is None else now - _look_back(until, "--until"),
        spam=spam,
    )


def _check_sources(store: "Store", loaded: "Config | None", names: tuple[str, ...]) -> None:
    """Exit status 3 for a source neither configured nor ever polled into this database."""
    configured = {s.name for s in loaded.sources} if loaded else set()
    unknown = store.unknown_sources([name for name in names if name not in configured])
    if unknown:
        raise NotFoundError(f"no source named {', '.join(unknown)} in the config or the database")


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or `path` written whole or not at all: the rows go to a temporary file next
    to it, renamed over it once complete, so an interrupted export leaves no half file."""
    if path is None:
        yield sys.stdout
        return
    import tempfile

    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as a shell redirection would create it
        with open(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


@app.command()
def search(
    query: Annotated[
        str,
        typer.Argument(
            metavar="QUERY",
            help='Words (all must match), "a phrase", A OR B, -word to exclude, prefix*.',
        ),
    ],
    config: ConfigOption = None,
    db: DbOption = None,
    source: SourcesFilter = None,
    sentiment: SentimentFilter = None,
    status: StatusFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    spam: SpamFilter = None,
    sort: Annotated[
        SearchSortChoice, typer.Option("--sort", help="Most relevant or newest first.")
    ] = SearchSortChoice.RELEVANCE,
    limit: Annotated[int, typer.Option(help="Show at most this many.", min=1)] = 20,
    as_json: JsonOption = False,
) -> None:
    """Full-text search over every stored mention (title, text and author), answered and
    ignored ones too. Words are stemmed: "refund" also finds "refunds" and "refunded".
    A title match weighs more than a body match.

    Example: mentionwatch search '"charged twice" refund* -test' --since 30d
    """
    from mentionwatch.models import SearchOrder
    from mentionwatch.views.export import search_hit_json, write_json
    from mentionwatch.views.terminal import search_table

    chosen = _mention_filter(source, sentiment, status, since, until, spam)
    with _reported_errors():
        loaded = _config_if_any(config)
        with _open_store(db, loaded) as store:
            _check_sources(store, loaded, chosen.sources)
            hits = store.search(query, chosen, order=SearchOrder(sort.value), limit=limit)
    if as_json:
        write_json([search_hit_json(hit) for hit in hits], sys.stdout)
        return
    console = _console()
    console.print(search_table(console, hits, query))


@app.command()
def export(
    output_format: Annotated[
        ExportFormat, typer.Option("--format", help="csv, one JSON array, or JSON Lines.")
    ] = ExportFormat.JSONL,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output", "-o", help="Write to this file [default: stdout].", dir_okay=False
        ),
    ] = None,
    query: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--query", "-q", help="Only mentions matching this search (see search)."),
    ] = None,
    config: ConfigOption = None,
    db: DbOption = None,
    source: SourcesFilter = None,
    sentiment: SentimentFilter = None,
    status: StatusFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    spam: SpamFilter = None,
) -> None:
    """Every matching mention with all its fields, oldest id first, for spreadsheets and
    scripts. Streams: a million mentions take no more memory than a hundred. Times are
    ISO 8601 UTC; CSV cells a spreadsheet would run as a formula start with '.

    Example: mentionwatch export --format csv --since 90d --output mentions.csv
    """
    from mentionwatch.views.export import (
        write_export_csv,
        write_export_json,
        write_export_jsonl,
    )

    writer = {
        ExportFormat.CSV: write_export_csv,
        ExportFormat.JSON: write_export_json,
        ExportFormat.JSONL: write_export_jsonl,
    }[output_format]
    chosen = _mention_filter(source, sentiment, status, since, until, spam)
    with _reported_errors():
        loaded = _config_if_any(config)
        with _open_store(db, loaded) as store:
            _check_sources(store, loaded, chosen.sources)
            mentions = store.export_mentions(chosen, query=query)
            try:
                with contextlib.closing(mentions), _output(output) as out:
                    writer(mentions, out)
                    out.flush()
            except BrokenPipeError:
                # The reader stopped early (`| head`): not an error. Point stdout at
                # /dev/null so Python's own flush at exit does not complain again.
                with contextlib.suppress(OSError, ValueError):
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except OSError as exc:
                raise MentionwatchError(f"cannot write {output}: {exc.strerror}") from None


@app.command()
def prune(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than", help='Remove mentions posted longer ago than this, e.g. "365d".'
        ),
    ],
    config: ConfigOption = None,
    db: DbOption = None,
    include_open: Annotated[
        bool, typer.Option("--include-open", help="Remove open mentions too.")
    ] = False,
    include_spam: Annotated[
        bool, typer.Option("--include-spam", help="Remove open spam too (not other open ones).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be removed.")
    ] = False,
    vacuum: Annotated[
        bool,
        typer.Option(
            "--vacuum",
            help="Then VACUUM: give the freed space back to the disk (needs free space about"
            " the database's size, and blocks scans while it runs).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove old mentions: answered, ignored and the brand's own ones posted before the
    cutoff, with their replies, notes and history. Open mentions (spam included) are kept
    unless asked: nobody has dealt with them yet. Prints what was removed per status.

    Example: mentionwatch prune --older-than 365d --dry-run
    """
    from mentionwatch.views.export import prune_json, write_json
    from mentionwatch.views.terminal import prune_summary

    cutoff = _now() - _look_back(older_than, "--older-than")
    sizes = None
    with _reported_errors():
        loaded = _config_if_any(config)
        with _open_store(db, loaded) as store:
            report = store.prune(
                cutoff, include_open=include_open, include_spam=include_spam, dry_run=dry_run
            )
            if vacuum and not dry_run:
                sizes = store.vacuum()
    if as_json:
        write_json(prune_json(report, sizes), sys.stdout)
    else:
        _console().print(prune_summary(report, sizes))


class DigestFormat(str, Enum):
    TEXT = "text"
    HTML = "html"
    EML = "eml"


@app.command()
def digest(
    config: ConfigOption = None,
    db: DbOption = None,
    since: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help='New mentions from this far back, e.g. "24h", instead of since the last'
            " digest sent [default: since the last digest sent, else [digest] since].",
            show_default=False,
        ),
    ] = None,
    to: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--to", help="Recipient (repeatable) [default: [digest] to]."),
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Deliver it through [smtp] instead of printing it.")
    ] = False,
    output: Annotated[
        DigestFormat, typer.Option("--format", help="What to print without --send.")
    ] = DigestFormat.TEXT,
) -> None:
    """The daily digest: unanswered negatives, SLA breaches, open questions, what is new since
    the last digest, answers, spam, failing sources and the sentiment trend.

    Without --send it is printed; with --send it is emailed through [smtp], and only once the
    server accepted it does the next digest start after it. Exit status 5 if delivery failed.

    Example: mentionwatch digest --send
    """
    from mentionwatch.config import is_email_address, parse_duration
    from mentionwatch.digest import build_digest, send_digest
    from mentionwatch.errors import ConfigError, DeliveryError
    from mentionwatch.views.digest import digest_message, render_html, render_text

    look_back = None
    if since is not None:
        try:
            look_back = parse_duration(since)
        except ValueError:
            raise typer.BadParameter(
                f'expected a duration like "24h" or "7d", got {since!r}', param_hint="--since"
            ) from None
    for address in to or []:
        if not is_email_address(address):
            raise typer.BadParameter(f"not an email address: {address!r}", param_hint="--to")
    with _reported_errors():
        loaded = _load_config(config)
        recipients = list(to or loaded.digest.to)
        sender = loaded.digest.sender
        if send and (loaded.smtp is None or sender is None or not recipients):
            missing = "[smtp]" if loaded.smtp is None else "[digest] from"
            if loaded.smtp is not None and sender is not None:
                missing = "[digest] to (or --to)"
            raise ConfigError(f"{loaded.path}: {missing}: needed to send the digest")
        with _open_store(db, loaded) as store:
            now = _now()
            built = build_digest(store, loaded, now=now, since=look_back)
            if not send:
                if output is DigestFormat.TEXT:
                    typer.echo(render_text(built), nl=False)
                elif output is DigestFormat.HTML:
                    typer.echo(render_html(built), nl=False)
                else:
                    message = digest_message(
                        built,
                        sender=sender or "mentionwatch@localhost.invalid",
                        recipients=recipients or ["undisclosed-recipients@localhost.invalid"],
                        now=now,
                    )
                    typer.echo(message.as_string(), nl=False)
                return
            refused = send_digest(
                store, loaded, built, recipients=recipients, environ=os.environ, now=now
            )
        accepted = ", ".join(r for r in recipients if r not in refused)
        typer.echo(f"Sent the {loaded.brand.name} digest to {accepted}: {built.headline}")
        if refused:
            raise DeliveryError(f"the server refused {', '.join(refused)}; the others got it")


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
