"""`mentionwatch reply`: reply drafts from sandboxed templates, on a real SQLite file.

The post is untrusted: whatever its author name or text holds (`{{ 7*7 }}`, `{author.__class__}`,
escape sequences, U+202E, newlines) must come out literally and inert. The templates are the
team's, but a template that reaches for Python internals is still refused.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conftest import write_config
from mentionwatch.cli import app
from mentionwatch.config import load_config
from mentionwatch.drafts import (
    BUILTIN_TEMPLATES,
    PLACEHOLDERS,
    address_of,
    default_template,
    platform_length,
)
from mentionwatch.errors import ConfigError
from mentionwatch.models import (
    Classification,
    Mention,
    MentionStatus,
    ScoredMention,
    SearchResult,
    SentimentLabel,
    SourceState,
)
from mentionwatch.store import Store

PACKAGED_EXAMPLE = Path(__file__).resolve().parents[1] / "src/mentionwatch/config.example.toml"
ALL_PLACEHOLDERS = "|".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)
NOW = datetime.now(timezone.utc)

# Escape sequences and format characters a post may carry: none may reach the output.
OSC52 = "\x1b]52;c;SGVsbG8=\x07"
CSI_CLEAR = "\x1b[2J"
C1_CSI = "\x9b31m"
RLO = "\u202e"
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\x9d", RLO, "\u200b", "\r")
HOSTILE_AUTHOR = (
    f"{{author.__class__}}{{{{ 7*7 }}}}{{% for x in author %}}X{{% endfor %}}{OSC52}{RLO}"
    f"{C1_CSI}[bold]mallory[/bold]\nsecond line"
)
HOSTILE_TEXT = f"Acme is awful {{{{ 7*7 }}}} {{{{ ''.__class__.__mro__ }}}} {CSI_CLEAR}{OSC52}"

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("plain_output")


@dataclass
class Workspace:
    config: Path
    db: Path

    def reply(self, *args: str) -> Result:
        return runner.invoke(
            app, ["reply", *args, "--config", str(self.config), "--db", str(self.db)]
        )

    def add_templates(self, toml: str) -> None:
        self.config.write_text(
            self.config.read_text(encoding="utf-8") + "\n[templates]\n" + toml, encoding="utf-8"
        )


BRAND_WITH_CONTACT = (
    '[brand]\nname = "Acme"\nterms = ["Acme"]\nhandles = ["AcmeSupport"]\n'
    'support_contact = "help@acme.example"\n'
)


@pytest.fixture
def workspace(isolated_env: Path) -> Workspace:
    return Workspace(
        write_config(isolated_env, brand_toml=BRAND_WITH_CONTACT), isolated_env / "m.db"
    )


_post_numbers = itertools.count(1)


def store_mention(
    db: Path,
    *,
    kind: str = "rss",
    author: str | None = "someone",
    url: str | None = None,
    label: str = "negative",
    question: bool = False,
    text: str = "Acme broke my export",
    source: str | None = None,
) -> int:
    """Store one mention as a source of `kind` would have delivered it; returns its id."""
    native_id = f"post-{next(_post_numbers)}"
    # Distinct addresses: the store merges posts with the same canonical URL.
    url = url if url is not None else f"https://forum.example/t/{native_id}"
    mention = Mention(
        source=source or f"{kind}-source",
        kind=kind,
        native_id=native_id,
        url=url,
        title="",
        text=text,
        created_at=NOW - timedelta(hours=1),
        author=author,
        matched_term="Acme",
    )
    compound = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}[label]
    verdict = Classification(compound, SentimentLabel(label), text, question=question)
    with Store.open(db) as store:
        store.save_poll(
            SourceState(mention.source, kind),
            SearchResult([mention]),
            [ScoredMention(mention, verdict)],
            NOW,
        )
        row = store.db.execute(
            "SELECT id FROM mentions WHERE native_id = ?", (native_id,)
        ).fetchone()
    return int(row[0])


def assert_inert(output: str) -> None:
    for char in FORBIDDEN:
        assert char not in output, f"{char!r} reached the output"


def one_line_error(result: Result, config: Path, key: str) -> str:
    """The command failed as a config error: exit 2, nothing on stdout, one line naming
    the file and the key. Returns the line."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"mentionwatch: {config}: {key}: "), result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


# --- which template -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "question", "human_label", "expected"),
    [
        ("negative", False, None, "complaint"),
        # A negative question is a complaint first: the apology matters more than the answer.
        ("negative", True, None, "complaint"),
        ("neutral", True, None, "question"),
        ("positive", True, None, "question"),
        ("positive", False, None, "praise"),
        ("neutral", False, None, "general"),
        # A person's label wins over the classifier's, both ways.
        ("negative", False, "positive", "praise"),
        ("positive", False, "negative", "complaint"),
        ("negative", True, "neutral", "question"),
    ],
)
def test_the_default_template_follows_the_effective_label_then_the_question(
    workspace: Workspace, label: str, question: bool, human_label: str | None, expected: str
) -> None:
    mention_id = store_mention(workspace.db, label=label, question=question)
    with Store.open(workspace.db) as store:
        if human_label:
            store.set_human_label(mention_id, SentimentLabel(human_label))
        mention = store.mention(mention_id)
    assert mention is not None
    assert default_template(mention)[0] == expected

    result = workspace.reply(str(mention_id), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["template"] == expected


def test_the_built_in_drafts_say_what_each_kind_needs(workspace: Workspace) -> None:
    complaint = workspace.reply(str(store_mention(workspace.db, author="maya")))
    question = workspace.reply(
        str(store_mention(workspace.db, author="quinn", label="neutral", question=True))
    )
    praise = workspace.reply(str(store_mention(workspace.db, author="li", label="positive")))

    assert complaint.exit_code == question.exit_code == praise.exit_code == 0
    assert complaint.stdout.startswith("Hi maya, I'm sorry about this.")
    # The way to continue in private.
    assert "reach us at help@acme.example" in complaint.stdout
    assert question.stdout.startswith("Hi quinn, thanks for asking. [Your answer")
    assert praise.stdout.startswith("Thank you, li! Really glad Acme is working well")
    for result in (complaint, question, praise):
        # Plain text, one paragraph, one trailing newline, nothing else on stdout or stderr.
        assert result.stdout.count("\n") == 1 and result.stdout.endswith(".\n")
        assert result.stderr == ""


def test_template_picks_any_template_and_config_templates_override_or_add(
    workspace: Workspace,
) -> None:
    workspace.add_templates(
        'praise = "Cheers {{ author }}!"\n'
        'outage = """\nSorry {{ author }}, {{ brand }} is down.\nUpdates: https://status.acme.example\n"""\n'
    )
    positive = store_mention(workspace.db, author="li", label="positive")
    negative = store_mention(workspace.db, author="maya")

    assert workspace.reply(str(positive)).stdout == "Cheers li!\n"
    outage = workspace.reply(str(negative), "--template", "outage")
    # The template's own line breaks are kept; the TOML string's first and last are not.
    assert outage.stdout == "Sorry maya, Acme is down.\nUpdates: https://status.acme.example\n"
    # Any built-in name works with -t, whatever the post's kind.
    assert workspace.reply(str(negative), "-t", "praise").stdout == "Cheers maya!\n"
    assert workspace.reply(str(negative), "-t", "general").stdout.startswith(
        "Hi maya, thanks for mentioning Acme."
    )


def test_an_unknown_template_name_lists_the_available_ones(workspace: Workspace) -> None:
    workspace.add_templates('outage = "Down, sorry."\n')
    result = workspace.reply(str(store_mention(workspace.db)), "--template", "outgae")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "mentionwatch: no template named 'outgae';"
        " available: complaint, question, praise, general, outage\n"
    )


def test_an_unknown_id_exits_3(workspace: Workspace) -> None:
    store_mention(workspace.db)
    result = workspace.reply("999")

    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == "mentionwatch: no mention with id 999\n"


def test_without_an_id_or_list_it_is_a_usage_error(workspace: Workspace) -> None:
    result = workspace.reply()
    assert result.exit_code == 2
    assert "give the mention's ID, or --list" in result.stderr


# --- placeholders, per platform -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "author", "url", "addressed"),
    [
        ("github", "octocat", "https://github.com/acme/sdk/issues/7", "@octocat"),
        (
            "bluesky",
            "maya.bsky.social",
            "https://bsky.app/profile/maya.bsky.social/post/3k",
            "@maya.bsky.social",
        ),
        (
            "reddit",
            "throwaway_42",
            "https://www.reddit.com/r/acme/comments/abc/x/",
            "u/throwaway_42",
        ),
        # Mastodon's acct is "user" on the instance itself: the post's host is the instance.
        ("mastodon", "li", "https://mastodon.social/@li/1123", "@li@mastodon.social"),
        ("mastodon", "li@fosstodon.org", "https://fosstodon.org/@li/99", "@li@fosstodon.org"),
        # A Mastodon hashtag feed (kind rss) names the author only as user@host, from the URL.
        ("rss", "li@hachyderm.io", "https://hachyderm.io/@li/42", "@li@hachyderm.io"),
        # Reddit's search feed already says u/name.
        (
            "rss",
            "u/throwaway_42",
            "https://www.reddit.com/r/acme/comments/abc/x/",
            "u/throwaway_42",
        ),
        ("hackernews", "pg", "https://news.ycombinator.com/item?id=1", "pg"),
        ("stackexchange", "Jon Skeet", "https://superuser.com/q/1", "Jon Skeet"),
        ("lobsters", "jcs", "https://lobste.rs/s/abc", "jcs"),
        ("rss", "Riverside Ledger", "https://www.riversideledger.example/a", "Riverside Ledger"),
    ],
)
def test_each_placeholder_on_each_platform(
    workspace: Workspace, kind: str, author: str, url: str, addressed: str
) -> None:
    workspace.add_templates(f'all = "{ALL_PLACEHOLDERS}"\n')
    mention_id = store_mention(workspace.db, kind=kind, author=author, url=url, source="src-1")

    result = workspace.reply(str(mention_id), "--template", "all")

    assert result.exit_code == 0, result.output
    assert result.stdout == (f"{addressed}|{author}|Acme|help@acme.example|{url}|src-1|{kind}\n")
    assert address_of(kind, author, url) == addressed


def test_unknown_values_are_empty_and_said_so(isolated_env: Path) -> None:
    """A deleted author, a javascript: link and no support_contact: empty, never "None"."""
    config = write_config(isolated_env)  # no support_contact
    db = isolated_env / "m.db"
    mention_id = store_mention(db, kind="hackernews", author=None, url="javascript:alert(1)")
    workspace = Workspace(config, db)
    workspace.add_templates(f'all = "{ALL_PLACEHOLDERS}"\n')

    listed = workspace.reply(str(mention_id), "-t", "all")
    assert listed.stdout == "||Acme|||hackernews-source|hackernews\n"

    complaint = workspace.reply(str(mention_id))
    assert complaint.exit_code == 0
    # The built-in complaint still reads well: no name, no contact, no private details asked.
    assert complaint.stdout.startswith("Hi there, I'm sorry about this.")
    assert "leaving out anything private" in complaint.stdout
    assert complaint.stderr.splitlines() == [
        f"mentionwatch: note: [brand] support_contact is not set in {config}, so the draft"
        " offers no private channel",
        "mentionwatch: note: the post shows no author (a feed item, or a deleted account),"
        " so the draft greets no one by name",
    ]


# --- hostile posts ------------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["complaint", "question", "praise", "general", "all"])
@pytest.mark.parametrize("kind", ["github", "reddit", "mastodon", "hackernews"])
def test_hostile_author_and_text_are_printed_literally_and_inert(
    workspace: Workspace, template: str, kind: str
) -> None:
    workspace.add_templates(f'all = "{ALL_PLACEHOLDERS}"\n')
    mention_id = store_mention(
        workspace.db,
        kind=kind,
        author=HOSTILE_AUTHOR,
        url=f"https://mastodon.social/@x/1?{CSI_CLEAR}{{{{7*7}}}}",
        text=HOSTILE_TEXT,
    )

    result = workspace.reply(str(mention_id), "--template", template)

    assert result.exit_code == 0, result.output
    assert_inert(result.output)
    # Nothing from the post was evaluated...
    assert "49" not in result.stdout
    assert "<class" not in result.stdout and "XXXX" not in result.stdout
    # ...everything was kept as text, on one line (the author's newline is a space)...
    assert (
        "{author.__class__}{{ 7*7 }}{% for x in author %}X{% endfor %}"
        "[bold]mallory[/bold] second line"
    ) in result.stdout
    assert result.stdout.count("\n") == 1
    # ...and the post's text is no placeholder at all.
    assert "awful" not in result.stdout


def test_hostile_values_stay_data_in_json(workspace: Workspace) -> None:
    mention_id = store_mention(workspace.db, kind="github", author=HOSTILE_AUTHOR)
    result = workspace.reply(str(mention_id), "--json")

    assert result.exit_code == 0
    assert_inert(result.stdout)
    draft = json.loads(result.stdout)
    assert draft["draft"].startswith(
        "Hi @{author.__class__}{{ 7*7 }}{% for x in author %}X{% endfor %}[bold]mallory[/bold]"
        " second line, I'm sorry"
    )
    assert draft["template"] == "complaint" and draft["reason"] == "the post is negative"


# --- hostile and broken templates ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{{ ''.__class__.__mro__ }}", "an attribute such as x.y is not allowed"),
        ("{{ author.__class__.__mro__[1].__subclasses__() }}", "is not allowed in a reply"),
        ("{{ author|attr('__class__') }}", "the filter |attr is not allowed"),
        (
            "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
            "a {% for %} loop is not allowed",
        ),
        ("{{ brand.format_map.__self__ }}", "an attribute such as x.y is not allowed"),
        # No globals at all: not cycler, lipsum, range, config, self.
        ("{{ cycler.__init__.__globals__ }}", "unknown placeholder 'cycler'"),
        ("{{ lipsum.__globals__['os'] }}", "unknown placeholder 'lipsum'"),
        ("{{ range(10) }}", "unknown placeholder 'range'"),
        ("{{ config.items() }}", "unknown placeholder 'config'"),
        # Nothing that loops, calls, computes or grows a text: no template can hang `reply`.
        ("{{ author * 1000000000 }}", "arithmetic such as 7*7 is not allowed"),
        ("{{ 10 ** 10 ** 10 }}", "arithmetic such as 7*7 is not allowed"),
        (
            "{% for a in author %}{% for b in author %}{{ b }}{% endfor %}{% endfor %}",
            "a {% for %} loop is not allowed",
        ),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "a {% macro %} is not allowed"),
        (
            "{{ author|replace('a', 'aa')|replace('a', 'aa')|replace('a', 'aa') }}",
            "the filter |replace is not allowed",
        ),
        ("{{ author|center(1000000000) }}", "the filter |center is not allowed"),
        ("{% set x = author %}{{ x }}", "{% set %} is not allowed"),
        ("{{ author.upper() }}", "not allowed in a reply template"),
        ("{{ author is callable }}", "the test `is callable` is not allowed"),
    ],
)
def test_a_template_reaching_past_the_sandbox_or_burning_cpu_is_refused(
    workspace: Workspace, template: str, says: str
) -> None:
    workspace.add_templates(f'evil = "{template}"\n')
    mention_id = store_mention(workspace.db)

    result = workspace.reply(str(mention_id), "--template", "evil")

    message = one_line_error(result, workspace.config, "templates.evil")
    assert says in message
    if "not allowed" in says:
        assert "filters capitalize, d, default" in message  # and says what is
    assert "<class" not in result.output and "<function" not in result.output


def test_what_a_reply_template_may_use_renders(workspace: Workspace) -> None:
    workspace.add_templates(
        "fancy = \"{% if author == '' %}Hi there{% elif author is defined %}Hi "
        "{{ author|default('you')|upper|truncate(40) ~ '!' }}{% else %}x{% endif %} "
        '{{ brand|lower if support_contact else brand|title }} {{ link|length > 0 }}"\n'
    )
    mention_id = store_mention(workspace.db)
    result = workspace.reply(str(mention_id), "--template", "fancy")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Hi SOMEONE! acme True\n"


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("Hi {{ author ", "not a valid template (line 1): unexpected end of template"),
        ("Hi\\n{% if author %}{{ author }}", "not a valid template (line 2)"),
        ("{{ author }", "not a valid template (line 1)"),
        ("{% endfor %}", "not a valid template (line 1)"),
        ("Hi {{ athor }}", "unknown placeholder 'athor'; available: author, author_name, brand,"),
        # A Python format field would be printed as is: refused with the right spelling.
        ("Hi {author}, sorry", "write a placeholder as {{ author }}, not {author}"),
        ("Hi {author.__class__}", "write a placeholder as {{ author }}, not {author.__class__}"),
        ("{{ 1 / 0 }}", "arithmetic such as 7*7 is not allowed"),
        ("{{ author|truncate(-1) }}", "the template failed:"),
        ("{% if false %}never{% endif %}", "renders to an empty draft for #1"),
    ],
)  # fmt: skip
def test_a_broken_template_names_its_key_in_one_line(
    workspace: Workspace, template: str, says: str
) -> None:
    workspace.add_templates(f'broken = "{template}"\n')
    assert store_mention(workspace.db) == 1

    result = workspace.reply("1", "--template", "broken")

    assert says in one_line_error(result, workspace.config, "templates.broken")


def test_a_broken_default_template_fails_only_when_used_and_list_checks_them_all(
    workspace: Workspace,
) -> None:
    workspace.add_templates('praise = "Thanks {{ auther }}"\n')
    negative = store_mention(workspace.db)
    positive = store_mention(workspace.db, label="positive")

    assert workspace.reply(str(negative)).exit_code == 0
    one_line_error(workspace.reply(str(positive)), workspace.config, "templates.praise")
    one_line_error(workspace.reply("--list"), workspace.config, "templates.praise")


@pytest.mark.parametrize(
    ("toml", "key", "expected"),
    [
        ('[templates]\nx = 3\n', "templates.x", "expected string, got int 3"),
        ('[templates]\nx = ""\n', "templates.x", "expected a non-empty string"),
        ('[templates.x]\ntext = "hi"\n', "templates.x", "expected string, got a table"),
        ('templates = "hi"\n', "templates", "expected a table of strings, got str 'hi'"),
        ('[templates]\n"two words" = "hi"\n', "templates.two words", "expected a name of letters"),
        ("[brand.extra]\n", "brand.extra: unknown key", "expected one of"),
    ],
)  # fmt: skip
def test_the_templates_table_is_validated_at_load(
    tmp_path: Path, toml: str, key: str, expected: str
) -> None:
    path = tmp_path / "config.toml"
    brand = '[brand]\nname = "Acme"\nterms = ["Acme"]\n'
    # A root-level key must come before any table.
    path.write_text(
        (toml + brand) if toml.startswith("templates =") else (brand + toml), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.message.startswith(f"{path}: {key}: ")
    assert expected in caught.value.message


def test_support_contact_must_be_a_non_empty_string(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[brand]\nname = "Acme"\nterms = ["Acme"]\nsupport_contact = 7\n')
    with pytest.raises(ConfigError, match=r"brand\.support_contact: expected string, got int 7"):
        load_config(path)
    path.write_text('[brand]\nname = "A"\nterms = ["A"]\nsupport_contact = "x@a.example"\n')
    assert load_config(path).brand.support_contact == "x@a.example"


def test_loading_a_config_does_not_import_jinja() -> None:
    """Startup time: only `reply` (and the digest) pay for Jinja."""
    code = (
        "import sys\nfrom pathlib import Path\nfrom mentionwatch.config import load_config\n"
        f"load_config(Path({str(PACKAGED_EXAMPLE)!r}))\nprint('jinja2' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"


# --- length -------------------------------------------------------------------------------------


def test_a_draft_too_long_for_the_platform_is_printed_with_a_warning(
    workspace: Workspace,
) -> None:
    workspace.add_templates(f'long = "{{{{ author }}}} {"sorry " * 50}"\n')
    bluesky = store_mention(workspace.db, kind="bluesky", author="maya.bsky.social")
    hackernews = store_mention(workspace.db, kind="hackernews", author="pg")

    result = workspace.reply(str(bluesky), "-t", "long")

    assert result.exit_code == 0
    assert result.stdout == "@maya.bsky.social " + ("sorry " * 50).strip() + "\n"
    assert result.stderr == (
        "mentionwatch: warning: this draft is 317 characters; Bluesky allows 300."
        " Shorten it before posting.\n"
    )
    as_json = json.loads(workspace.reply(str(bluesky), "-t", "long", "--json").stdout)
    assert (as_json["length"], as_json["limit"], as_json["too_long"]) == (317, 300, True)
    # Hacker News publishes no limit: no warning.
    quiet = workspace.reply(str(hackernews), "-t", "long")
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_mastodon_counts_links_as_23_characters(workspace: Workspace) -> None:
    long_link = "https://mastodon.social/@li/" + "1" * 200
    workspace.add_templates(f'linked = "{"x" * 470} {{{{ link }}}}"\n')
    short = store_mention(workspace.db, kind="mastodon", author="li", url=long_link)

    result = workspace.reply(str(short), "-t", "linked", "--json")

    assert result.stderr == ""
    draft = json.loads(result.stdout)
    assert len(draft["draft"]) == 470 + 1 + len(long_link)
    assert (draft["length"], draft["too_long"]) == (470 + 1 + 23, False)


@pytest.mark.parametrize(
    ("text", "kind", "length"),
    [
        ("see https://example.com/" + "a" * 100, "mastodon", 4 + 23),
        ("hi @li@mastodon.social!", "mastodon", len("hi @li!")),
        # An email address is not a mention.
        ("mail help@acme.example", "mastodon", len("mail help@acme.example")),
        ("see https://example.com/" + "a" * 100, "github", 4 + 20 + 100),
        # Bluesky counts graphemes: a combining accent, a skin tone and a flag's second letter
        # add nothing.
        ("cafe\u0301 \U0001f44d\U0001f3fd \U0001f1eb\U0001f1f7", "bluesky", len("café x x")),
        ("cafe\u0301", "reddit", 5),
    ],
)
def test_platform_length(text: str, kind: str, length: int) -> None:
    assert platform_length(text, kind) == length


# --- the example config, listing, notes -----------------------------------------------------------


def test_the_example_config_ships_the_built_in_texts() -> None:
    assert dict(load_config(PACKAGED_EXAMPLE).templates) == dict(BUILTIN_TEMPLATES)


@pytest.mark.parametrize("with_contact", [False, True])
@pytest.mark.parametrize(
    ("kind", "label", "question", "template"),
    [
        ("bluesky", "negative", False, "complaint"),
        ("mastodon", "neutral", True, "question"),
        ("github", "positive", False, "praise"),
        ("hackernews", "neutral", False, "general"),
        ("stackexchange", "negative", True, "complaint"),
        ("reddit", "positive", False, "praise"),
        ("lobsters", "neutral", True, "question"),
        ("rss", "neutral", False, "general"),
    ],
)
def test_the_example_configs_templates_render_for_every_kind(
    tmp_path: Path,
    with_contact: bool,
    kind: str,
    label: str,
    question: bool,
    template: str,
) -> None:
    config = tmp_path / "config.toml"
    text = PACKAGED_EXAMPLE.read_text(encoding="utf-8")
    if with_contact:
        text = text.replace('# support_contact = "', 'support_contact = "', 1)
    config.write_text(text, encoding="utf-8")
    workspace = Workspace(config, tmp_path / "m.db")
    mention_id = store_mention(
        workspace.db,
        kind=kind,
        author="a-rather-long-handle.bsky.social",
        label=label,
        question=question,
        url="https://mastodon.social/@x/1",
    )

    result = workspace.reply(str(mention_id), "--json")

    assert result.exit_code == 0, result.output
    draft = json.loads(result.stdout)
    assert draft["template"] == template
    assert "a-rather-long-handle.bsky.social" in draft["draft"]
    assert "{" not in draft["draft"] and "}" not in draft["draft"]
    assert ("support@acme.example" in draft["draft"]) is (with_contact and template != "praise")
    # Even Bluesky's 300 fit, with a long handle and the contact.
    assert not draft["too_long"]
    assert "warning" not in result.stderr


def test_list_shows_every_template_its_origin_and_use(workspace: Workspace) -> None:
    workspace.add_templates('outage = "Sorry {{ author }}, we are down."\npraise = "Ta!"\n')

    result = workspace.reply("--list")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0::2] == [
        "complaint  built-in  default for negative posts",
        "question   built-in  default for questions that are not negative",
        "praise     config    default for positive posts",
        "general    built-in  default for everything else",
        "outage     config    only by --template",
    ]
    assert lines[5] == "    Ta!"
    assert all(len(line) <= 100 for line in lines)

    listed = json.loads(workspace.reply("--list", "--json").stdout)
    assert listed[-1] == {
        "name": "outage",
        "origin": "config",
        "default_for": None,
        "template": "Sorry {{ author }}, we are down.",
    }


def test_a_draft_for_an_answered_mention_says_so(workspace: Workspace) -> None:
    mention_id = store_mention(workspace.db)
    with Store.open(workspace.db) as store:
        store.set_status(mention_id, MentionStatus.ANSWERED, by=f"leo{OSC52}", at=NOW)

    result = workspace.reply(str(mention_id))

    assert result.exit_code == 0
    assert result.stdout.startswith("Hi someone, I'm sorry")
    assert result.stderr == f"mentionwatch: note: #{mention_id} is already answered by leo\n"


def test_reply_needs_a_config(isolated_env: Path) -> None:
    result = runner.invoke(app, ["reply", "1", "--db", str(isolated_env / "m.db")])
    assert result.exit_code == 2
    assert "no config file here" in result.stderr
