"""`mentionwatch search`: the FTS5 index kept in sync, the user's query made safe, filters,
ranking, and the query plan (the index first, never a scan of `mentions`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DIGEST_NOW, digest_post, store_posts
from mentionwatch import cli
from mentionwatch.models import (
    MentionFilter,
    MentionStatus,
    SearchOrder,
    SentimentLabel,
    StoredMention,
)
from mentionwatch.store import Store
from mentionwatch.store.archive import (
    EVERY_MENTION,
    SearchQueryError,
    excerpt_pieces,
    fts_query,
)

runner = CliRunner()


def fts_integrity_ok(store: Store) -> bool:
    """FTS5's own check that the index matches the `mentions` rows (raises if it does not)."""
    store.db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")
    return True


def found(store: Store, query: str, chosen: MentionFilter = EVERY_MENTION) -> list[str]:
    return [hit.mention.native_id for hit in store.search(query, chosen, limit=100)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "search.db") as opened:
        store_posts(
            opened,
            [
                digest_post("refunds", "negative", hours_ago=50, title="Acme refunds stuck",
                            text="Three weeks and still nothing back.", author="ravi"),
                digest_post("refunded", "positive", hours_ago=40, title="Acme was fine",
                            text="They refunded me within a day, and sent a refund note.",
                            author="li"),
                digest_post("charged", "negative", hours_ago=30, title="Charged twice",
                            text="Acme charged twice for November. Chargeback filed.",
                            author="maya_k"),
                digest_post("login", "negative", hours_ago=20, title="Login broken",
                            text="Cannot log in to the Acme app since this morning.",
                            author="jo"),
                digest_post("crypto", "neutral", hours_ago=10, title="",
                            text="Acme refund giveaway! DM me for free crypto", author="bot123",
                            spam=True),
            ],
            DIGEST_NOW,
        )  # fmt: skip
        store_posts(
            opened,
            [
                digest_post("forum-refund", "neutral", hours_ago=5, title="Refund policy?",
                            text="Does Acme refund annual plans?", author="quinn",
                            source="forum"),
            ],
            DIGEST_NOW,
            source="forum",
        )  # fmt: skip
        yield opened


def by_native_id(store: Store, native_id: str) -> StoredMention:
    return next(m for m in store.export_mentions() if m.native_id == native_id)


# --- the index stays in sync ----------------------------------------------------------------


def test_stemming_finds_every_form_of_a_word(store: Store) -> None:
    assert set(found(store, "refund")) == {"refunds", "refunded", "crypto", "forum-refund"}
    assert set(found(store, "refunding")) == set(found(store, "refund"))
    assert found(store, "CHARGED") == ["charged"]  # case folded
    assert fts_integrity_ok(store)


def test_a_new_mention_is_found_as_soon_as_it_is_stored(store: Store) -> None:
    assert found(store, "teapot") == []
    store_posts(
        store, [digest_post("new", "negative", hours_ago=1, text="Acme teapot leaks")], DIGEST_NOW
    )
    assert found(store, "teapot") == ["new"]
    assert fts_integrity_ok(store)


def test_a_repolled_mention_whose_text_changed_is_found_by_its_new_words_only(
    store: Store,
) -> None:
    assert found(store, "morning") == ["login"]
    edited = digest_post(
        "login", "negative", hours_ago=20, title="Login broken", author="jo",
        text="Cannot log in to the Acme app since yesterday evening.",
    )  # fmt: skip
    store_posts(store, [edited], DIGEST_NOW + timedelta(hours=1))
    assert by_native_id(store, "login").text.endswith("yesterday evening.")
    assert found(store, "morning") == []
    assert found(store, "evening") == ["login"]
    assert fts_integrity_ok(store)


def test_a_changed_author_is_searchable_under_the_new_name(store: Store) -> None:
    renamed = digest_post(
        "charged", "negative", hours_ago=30, title="Charged twice", author="maya_renamed",
        text="Acme charged twice for November. Chargeback filed.",
    )  # fmt: skip
    store_posts(store, [renamed], DIGEST_NOW + timedelta(hours=1))
    assert found(store, "maya_k") == []
    assert found(store, "maya_renamed") == ["charged"]
    assert fts_integrity_ok(store)


def test_status_changes_do_not_disturb_the_index(store: Store) -> None:
    login = by_native_id(store, "login")
    store.set_status(login.id, MentionStatus.ANSWERED, by="AcmeSupport", at=DIGEST_NOW)
    assert found(store, "login") == ["login"]  # answered mentions are searched too
    assert fts_integrity_ok(store)


# --- the query language ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "fts"),
    [
        ("refund", '"refund"'),
        ("refund late", '"refund" AND "late"'),
        ('"charged twice" acme', '"charged twice" AND "acme"'),
        ("refund OR chargeback late", '("refund" OR "chargeback") AND "late"'),
        ("acme -crypto", '("acme") NOT ("crypto")'),
        ("acme NOT crypto -bot", '("acme") NOT ("crypto" OR "bot")'),
        ("refund*", '"refund"*'),
        ('"charged tw"*', '"charged tw"*'),
        ("col:value", '"col:value"'),
        ("NEAR(a b)", '"NEAR(a" AND "b)"'),
        ('say "hi', '"say" AND "hi"'),
        ('a"b', '"a" AND "b"'),
        ("OR refund AND", '"refund"'),
        ("refund OR", '"refund"'),
        ("or and not", '"or" AND "and" AND "not"'),  # lower case: plain words
    ],
)
def test_queries_become_quoted_fts5(query: str, fts: str) -> None:
    assert fts_query(query) == fts


@pytest.mark.parametrize("query", ["", "   ", '"', '""', "*", "-", "AND OR", "NOT", "- * ( )"])
def test_a_query_with_no_word_is_a_usage_error(query: str) -> None:
    with pytest.raises(SearchQueryError, match="no word to look for"):
        fts_query(query)


def test_a_query_that_only_excludes_is_a_usage_error() -> None:
    with pytest.raises(SearchQueryError, match="only excludes"):
        fts_query("-crypto NOT spam")


HOSTILE = [
    '"',
    '"refund',
    "refund\"'",
    "*refund",
    "refund**",
    "NEAR(refund charged, 2)",
    "NEAR(",
    "AND OR",
    "refund AND OR NOT",
    "title:refund",
    "{title text}: refund",
    "^refund",
    "refund + charged",
    "'; DROP TABLE mentions; --",
    '" OR 1=1 --',
    "refund) OR (1",
    "mentions_fts MATCH 'x'",
    "rank:bm25",
    "\x00refund\x1b[2J",
    "\u202erefund",
    "refund " * 200,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_crash_the_store(store: Store, query: str) -> None:
    try:
        hits = store.search(query, limit=100)
    except SearchQueryError:
        return
    assert all(isinstance(hit.mention, StoredMention) for hit in hits)
    assert store.count_mentions() == 6  # and nothing was dropped
    assert fts_integrity_ok(store)


def test_operators_on_stored_posts(store: Store) -> None:
    assert found(store, '"charged twice"') == ["charged"]
    assert found(store, '"twice charged"') == []
    assert set(found(store, "login OR chargeback")) == {"login", "charged"}
    assert set(found(store, "refund -crypto")) == {"refunds", "refunded", "forum-refund"}
    assert set(found(store, "refund NOT crypto NOT annual")) == {"refunds", "refunded"}
    assert found(store, "charge*") == ["charged"]  # "charged", "chargeback"
    assert found(store, "maya_k") == ["charged"]  # the author is indexed
    assert found(store, "title:refund") == []  # never a column filter: the words "title refund"


def test_a_title_match_ranks_above_a_body_match(store: Store) -> None:
    # "refunds": in the title; "refunded": twice in the body, no more words than the other.
    hits = store.search("refund", MentionFilter(sources=("alerts",), spam=False))
    assert [hit.mention.native_id for hit in hits] == ["refunds", "refunded"]
    assert hits[0].relevance > hits[1].relevance > 0


def test_newest_first(store: Store) -> None:
    hits = store.search("refund", order=SearchOrder.NEWEST)
    assert [h.mention.native_id for h in hits] == ["forum-refund", "crypto", "refunded", "refunds"]


def test_the_limit(store: Store) -> None:
    assert len(store.search("acme", limit=2)) == 2


def test_the_excerpt_marks_each_match(store: Store) -> None:
    (hit,) = store.search('"charged twice"')
    assert hit.excerpt == (("Charged twice", True),)  # the title: the best column
    (hit,) = store.search("chargeback")
    assert hit.excerpt == (
        ("Acme charged twice for November. ", False),
        ("Chargeback", True),
        (" filed.", False),
    )


def test_excerpt_pieces() -> None:
    assert excerpt_pieces("a \x02b\x03 c \x02d\x03") == (
        ("a ", False),
        ("b", True),
        (" c ", False),
        ("d", True),
    )
    assert excerpt_pieces("") == ()


# --- filters --------------------------------------------------------------------------------


def test_filters(store: Store) -> None:
    refund = {"refunds", "refunded", "crypto", "forum-refund"}
    assert set(found(store, "refund", MentionFilter(sources=("forum",)))) == {"forum-refund"}
    assert set(found(store, "refund", MentionFilter(sources=("alerts", "forum")))) == refund
    assert set(found(store, "refund", MentionFilter(spam=True))) == {"crypto"}
    assert "crypto" not in found(store, "refund", MentionFilter(spam=False))
    negative = MentionFilter(labels=(SentimentLabel.NEGATIVE,))
    assert found(store, "refund", negative) == ["refunds"]
    since = MentionFilter(since=DIGEST_NOW - timedelta(hours=12))
    assert set(found(store, "refund", since)) == {"crypto", "forum-refund"}
    until = MentionFilter(until=DIGEST_NOW - timedelta(hours=45))
    assert found(store, "refund", until) == ["refunds"]
    refunded = by_native_id(store, "refunded")
    store.set_status(refunded.id, MentionStatus.IGNORED, by=None, at=DIGEST_NOW)
    ignored = MentionFilter(statuses=(MentionStatus.IGNORED,))
    assert found(store, "refund", ignored) == ["refunded"]
    open_or_ignored = MentionFilter(statuses=(MentionStatus.OPEN, MentionStatus.IGNORED))
    assert set(found(store, "refund", open_or_ignored)) == refund


def test_a_persons_marks_win_in_the_filters(store: Store) -> None:
    crypto, refunded = by_native_id(store, "crypto"), by_native_id(store, "refunded")
    store.set_spam_mark(crypto.id, False)
    store.set_human_label(refunded.id, SentimentLabel.NEGATIVE)
    assert "crypto" not in found(store, "refund", MentionFilter(spam=True))
    negative = MentionFilter(labels=(SentimentLabel.NEGATIVE,))
    assert set(found(store, "refund", negative)) == {"refunds", "refunded"}


# --- the query plan ---------------------------------------------------------------------------


@pytest.mark.parametrize("order", list(SearchOrder))
def test_search_reads_the_index_first_and_never_scans_mentions(
    store: Store, order: SearchOrder
) -> None:
    every_filter = MentionFilter(
        sources=("alerts", "forum"),
        labels=(SentimentLabel.NEGATIVE,),
        statuses=(MentionStatus.OPEN,),
        since=DIGEST_NOW - timedelta(days=30),
        until=DIGEST_NOW,
        spam=False,
    )
    for chosen in (MentionFilter(), every_filter):
        sql, params = store.search_sql(chosen, order)
        plan = [
            row[3]
            for row in store.db.execute("EXPLAIN QUERY PLAN " + sql, [fts_query("x"), *params])
        ]
        assert plan[0].startswith("SCAN mentions_fts VIRTUAL TABLE"), plan
        assert "SEARCH m USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
        assert not any(step.startswith("SCAN m") and "mentions_fts" not in step for step in plan)


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def workspace(store: Store, monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> list[str]:
    monkeypatch.setattr(cli, "_now", lambda: DIGEST_NOW)
    return ["--db", str(store.path)]


def test_search_prints_a_table(workspace: list[str]) -> None:
    result = runner.invoke(cli.app, ["search", "refund", "--source", "alerts", *workspace])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "3 mentions matching refund"
    header = ["id", "posted", "source", "sentiment", "status", "author", "excerpt"]
    assert lines[1].split() == header
    assert "open spam" in result.stdout  # the crypto giveaway
    assert "Acme refunds stuck" in result.stdout


def test_search_json(workspace: list[str]) -> None:
    result = runner.invoke(cli.app, ["search", "chargeback", "--json", *workspace])
    assert result.exit_code == 0, result.output
    (hit,) = json.loads(result.stdout)
    assert hit["native_id"] == "charged" and hit["status"] == "open"
    assert hit["relevance"] > 0
    start, end = hit["excerpt_matches"][0]
    assert hit["excerpt"][start:end] == "Chargeback"


def test_search_filters_on_the_command_line(workspace: list[str]) -> None:
    def ids(*options: str) -> set[str]:
        result = runner.invoke(cli.app, ["search", "refund", "--json", *options, *workspace])
        assert result.exit_code == 0, result.output
        return {hit["native_id"] for hit in json.loads(result.stdout)}

    assert ids("--no-spam", "--sentiment", "negative", "--sentiment", "positive") == {
        "refunds",
        "refunded",
    }
    assert ids("--spam") == {"crypto"}
    assert ids("--since", "12h") == {"crypto", "forum-refund"}
    assert ids("--until", "45h") == {"refunds"}
    assert ids("--status", "answered") == set()
    assert ids("-s", "forum", "--sort", "newest", "--limit", "1") == {"forum-refund"}


def test_hostile_post_text_is_printed_literally(store: Store, workspace: list[str]) -> None:
    store_posts(
        store,
        [
            digest_post("evil", "negative", hours_ago=1, author="mal\x1b[2Jory",
                        title="[bold red]Acme[/] teapot",
                        text="\x1b]52;c;SGVsbG8=\x07Acme teapot \u202e[link=https://x.example]"
                             "click[/link] \x9b31m"),
        ],
        DIGEST_NOW,
    )  # fmt: skip
    for query, shown in (
        ("teapot", "[bold red]Acme[/] teapot"),  # the title's excerpt
        ("click", "Acme teapot [link=https://x.example]click[/link]\n"),  # the text
    ):
        result = runner.invoke(cli.app, ["search", query, *workspace])
        assert result.exit_code == 0, result.output
        assert shown in result.stdout
        assert "malory" in result.stdout
        for bad in ("\x1b", "\x07", "\u202e", "\x9b", "\x02", "\x03", "SGVsbG8"):
            assert bad not in result.stdout


@pytest.mark.parametrize("query", HOSTILE[:-1])
def test_hostile_queries_on_the_command_line_exit_0_or_2(workspace: list[str], query: str) -> None:
    result = runner.invoke(cli.app, ["search", query.replace("\x00", ""), *workspace])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert len(result.output.strip().splitlines()) == 1
        assert "\x1b" not in result.output


def test_a_query_with_nothing_to_look_for_is_one_line_exit_2(workspace: list[str]) -> None:
    result = runner.invoke(cli.app, ["search", '" * "', *workspace])
    assert result.exit_code == 2
    assert result.output == "mentionwatch: the query '\" * \"' has no word to look for\n"


def test_an_unknown_source_is_not_found(workspace: list[str]) -> None:
    result = runner.invoke(cli.app, ["search", "refund", "-s", "alerts", "-s", "nope", *workspace])
    assert result.exit_code == 3
    assert "no source named nope" in result.output


def test_a_configured_source_never_polled_is_known(workspace: list[str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[brand]\nname = "Acme"\nterms = ["Acme"]\n\n[[sources]]\nname = "later"\nkind = "rss"\n'
        'url = "https://later.example/feed.xml"\n',
        encoding="utf-8",
    )
    result = runner.invoke(
        cli.app, ["search", "refund", "-s", "later", "--config", str(config), *workspace]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("0 mentions matching refund")


def test_a_bad_duration_is_a_usage_error(workspace: list[str]) -> None:
    result = runner.invoke(cli.app, ["search", "refund", "--since", "soon", *workspace])
    assert result.exit_code == 2
    assert "--since" in result.output
