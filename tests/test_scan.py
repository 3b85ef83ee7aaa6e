"""A scan end to end: a real HTTP server on 127.0.0.1, real feeds, a real SQLite file."""

from __future__ import annotations

import socket
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import LocalServer, Route, rss_source, write_config
from mentionwatch.config import load_config
from mentionwatch.models import (
    MentionStatus,
    OpenFilter,
    ScanReport,
    SentimentLabel,
    SourceOutcome,
    SourceReport,
    StoredMention,
)
from mentionwatch.scan import run_scan
from mentionwatch.store import Store

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
ATOM = "application/atom+xml"
RSS = "application/rss+xml"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; a developer's proxy must not sit between us and 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data" / "mentionwatch.db") as opened:
        yield opened


def scan(
    config_path: Path,
    store: Store,
    *,
    at: datetime = T0,
    force: bool = True,
    only: Sequence[str] = (),
) -> ScanReport:
    return run_scan(load_config(config_path), store, force=force, only=only, clock=lambda: at)


def by_name(report: ScanReport) -> dict[str, SourceReport]:
    return {source.name: source for source in report.sources}


def all_mentions(store: Store) -> list[StoredMention]:
    """Every stored mention, whatever its status (ids are SQLite rowids: 1, 2, 3 ...)."""
    found = [store.mention(i) for i in range(1, store.count_mentions() + 1)]
    assert all(m is not None for m in found)
    return [m for m in found if m is not None]


def rss_feed(*items: tuple[str, str, str, str]) -> bytes:
    """An RSS 2.0 body from (guid, title, author, html description) tuples."""
    rendered = "".join(
        f"<item><title>{title}</title><link>https://blog.example/{guid}</link>"
        f'<guid isPermaLink="false">{guid}</guid>'
        + (f"<dc:creator>{author}</dc:creator>" if author else "")
        + "<pubDate>Thu, 19 Nov 2026 12:00:00 +0000</pubDate>"
        f"<description><![CDATA[{description}]]></description></item>"
        for guid, title, author, description in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>Inline</title><link>https://blog.example/</link><description>d</description>"
        f"{rendered}</channel></rss>"
    ).encode()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


# --- what a scan stores -----------------------------------------------------------------------


def test_google_alerts_scan_stores_scored_mentions(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    url = http_server.serve_file("/alerts", "feeds/google-alerts.atom", ATOM)
    config = write_config(tmp_path, rss_source("alerts", url))

    report = scan(config, store)

    (alerts,) = report.sources
    assert alerts.outcome is SourceOutcome.OK
    assert (alerts.http_status, alerts.items_seen, alerts.relevant, alerts.new) == (200, 3, 3, 3)
    assert alerts.error is None and not report.failed
    stored = store.open_mentions()
    assert len(stored) == 3
    assert [m.created_at for m in stored] == sorted(m.created_at for m in stored)  # oldest first
    for mention in stored:
        assert mention.source == "alerts" and mention.kind == "rss"
        assert mention.matched_term == "Acme"
        assert mention.status is MentionStatus.OPEN
        assert -1.0 <= mention.compound <= 1.0
        assert mention.snippet
        assert mention.fetched_at == T0
        assert "google.com" not in mention.url
        if mention.label is SentimentLabel.NEGATIVE:
            assert mention.compound < 0
        if mention.label is SentimentLabel.POSITIVE:
            assert mention.compound > 0
    (negative,) = store.open_mentions(OpenFilter(labels=(SentimentLabel.NEGATIVE,)))
    assert negative.title == "Readers say Acme refunds are stuck for weeks - Riverside Ledger"
    assert negative.url == (
        "https://www.riversideledger.example/business/2026/11/20/acme-refund-delays/"
    )
    assert negative.created_at == datetime(2026, 11, 20, 8, 15, tzinfo=timezone.utc)
    (positive,) = store.open_mentions(OpenFilter(labels=(SentimentLabel.POSITIVE,)))
    assert positive.title.startswith("Review: Acme Rocket Skates")
    assert store.mention(negative.id) == negative
    state = store.source_state("alerts", "rss")
    assert state.last_success_at == T0 and state.consecutive_errors == 0


def test_posts_that_do_not_name_the_brand_or_match_an_exclusion_are_not_stored(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    blog = http_server.serve_file("/blog", "feeds/rss2-plain.xml", RSS)
    http_server.routes["/cartoons"] = Route(
        body=rss_feed(
            ("c1", "Classic Acme Anvil gags, ranked", "", "<p>The Acme Anvil falls again.</p>"),
            ("c2", "Acme support sorted my order", "", "<p>Quick and friendly.</p>"),
        ),
        headers={"Content-Type": RSS},
    )
    config = write_config(
        tmp_path, rss_source("blog", blog) + rss_source("cartoons", http_server.url("/cartoons"))
    )

    report = by_name(scan(config, store))

    assert (report["blog"].items_seen, report["blog"].relevant, report["blog"].new) == (3, 2, 2)
    assert (report["cartoons"].items_seen, report["cartoons"].relevant) == (2, 1)
    titles = {m.title for m in all_mentions(store)}
    assert titles == {
        "Six months with the Acme enamelled Dutch oven",
        "A warranty claim that went nowhere",  # names the brand as "ACME"
        "Acme support sorted my order",
    }


# --- conditional GET --------------------------------------------------------------------------


def test_second_scan_revalidates_with_the_etag_and_304_changes_nothing(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    url = http_server.serve_file("/alerts", "feeds/google-alerts.atom", ATOM, etag='"v1"')
    config = write_config(tmp_path, rss_source("alerts", url))

    first = scan(config, store)
    assert first.sources[0].new == 3
    assert store.source_state("alerts", "rss").etag == '"v1"'
    before = store.open_mentions()

    second = scan(config, store, at=T0 + timedelta(hours=1))

    assert [r.headers.get("if-none-match") for r in http_server.requests] == [None, '"v1"']
    (alerts,) = second.sources
    assert alerts.outcome is SourceOutcome.NOT_MODIFIED
    assert (alerts.http_status, alerts.new, alerts.updated, alerts.error) == (304, 0, 0, None)
    assert store.open_mentions() == before
    state = store.source_state("alerts", "rss")
    assert state.etag == '"v1"'  # kept for the next revalidation
    assert state.last_success_at == T0 + timedelta(hours=1)
    assert state.consecutive_errors == 0


# --- re-scans ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mark", [MentionStatus.ANSWERED, MentionStatus.IGNORED])
def test_an_edited_post_is_updated_in_place_and_keeps_its_manual_mark(
    tmp_path: Path, http_server: LocalServer, store: Store, mark: MentionStatus
) -> None:
    unchanged = ("p2", "Acme opens a new depot", "Sam", "<p>Acme opened a depot in Leeds.</p>")
    http_server.routes["/feed"] = Route(
        body=rss_feed(
            ("p1", "Acme lost my parcel", "Jo", "<p>Acme lost my parcel. Terrible service.</p>"),
            unchanged,
        ),
        headers={"Content-Type": RSS},
    )
    config = write_config(tmp_path, rss_source("blog", http_server.url("/feed")))
    assert scan(config, store).sources[0].new == 2
    (complaint,) = store.open_mentions(OpenFilter(labels=(SentimentLabel.NEGATIVE,)))
    marked_at = T0 + timedelta(minutes=5)
    store.set_status(complaint.id, mark, by="maya", at=marked_at)

    # The author edits the post: same GUID, new title and text (and now a happy one).
    http_server.routes["/feed"] = Route(
        body=rss_feed(
            (
                "p1",
                "Acme found my parcel",
                "Jo",
                "<p>Update: Acme found the parcel and delivered it today. Great support!</p>",
            ),
            unchanged,
        ),
        headers={"Content-Type": RSS},
    )
    (blog,) = scan(config, store, at=T0 + timedelta(hours=1)).sources

    assert (blog.outcome, blog.items_seen, blog.new, blog.updated) == (SourceOutcome.OK, 2, 0, 1)
    assert store.count_mentions() == 2
    edited = store.mention(complaint.id)
    assert edited is not None
    assert edited.text.startswith("Update: Acme found the parcel")
    assert edited.label is SentimentLabel.POSITIVE  # re-scored with the new text
    assert edited.compound > 0
    assert edited.status is mark
    assert edited.status_changed_at == marked_at
    if mark is MentionStatus.ANSWERED:
        assert (edited.answered_by, edited.answered_at) == ("maya", marked_at)
    assert complaint.id not in {m.id for m in store.open_mentions()}


def test_an_unchanged_feed_served_again_updates_nothing(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    url = http_server.serve_file("/rdf", "feeds/rss1-rdf.xml", "application/rdf+xml")
    config = write_config(tmp_path, rss_source("rdf", url))

    assert scan(config, store).sources[0].new == 2
    (again,) = scan(config, store, at=T0 + timedelta(hours=1)).sources

    assert (again.outcome, again.items_seen, again.new, again.updated) == (
        SourceOutcome.OK,
        2,
        0,
        0,
    )
    assert store.count_mentions() == 2


# --- one broken source never stops the others -------------------------------------------------


def test_failing_sources_are_isolated_and_keep_what_they_stored(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    good = http_server.serve_file("/alerts", "feeds/google-alerts.atom", ATOM)
    html = http_server.serve_file("/workshop", "feeds/rss1-rdf.xml", "application/rdf+xml")
    down = http_server.serve_file("/kitchen", "feeds/rss2-plain.xml", RSS)
    gone = closed_port_url()
    config = write_config(
        tmp_path,
        rss_source("alerts", good)
        + rss_source("workshop", html)
        + rss_source("kitchen", down)
        + rss_source("gone", gone),
    )
    # First the workshop and kitchen feeds work, and their mentions are stored.
    first = by_name(scan(config, store, only=("workshop", "kitchen", "gone")))
    assert (first["workshop"].new, first["kitchen"].new) == (2, 2)
    assert first["gone"].outcome is SourceOutcome.ERROR
    # Then one serves an nginx error page as 200, the other answers 500.
    http_server.serve_file("/workshop", "feeds/malformed.xml", "text/html")
    http_server.routes["/kitchen"] = Route(status=500, body=b"Internal Server Error")

    report = scan(config, store, at=T0 + timedelta(hours=1))

    outcomes = by_name(report)
    assert [s.name for s in report.sources] == ["alerts", "workshop", "kitchen", "gone"]
    assert outcomes["alerts"].outcome is SourceOutcome.OK
    assert outcomes["alerts"].new == 3
    assert len(store.open_mentions(OpenFilter(sources=("alerts",)))) == 3
    assert {s.name for s in report.failed} == {"workshop", "kitchen", "gone"}
    assert "not an RSS or Atom feed" in (outcomes["workshop"].error or "")
    assert outcomes["kitchen"].http_status == 500
    assert outcomes["kitchen"].error == f"HTTP 500 Internal Server Error from {down}"
    assert (outcomes["gone"].error or "").startswith(f"cannot reach {gone}: ")
    for name, errors in (("workshop", 1), ("kitchen", 1), ("gone", 2)):
        state = store.source_state(name, "rss")
        assert outcomes[name].new == 0
        assert state.consecutive_errors == errors, name
        assert state.last_error == outcomes[name].error
        assert state.last_attempt_at == T0 + timedelta(hours=1)
    assert store.source_state("workshop", "rss").last_success_at == T0
    # What the failing sources found before is still there.
    assert len(store.open_mentions(OpenFilter(sources=("workshop",)))) == 2
    assert len(store.open_mentions(OpenFilter(sources=("kitchen",)))) == 2
    assert store.count_mentions() == 7
    # The scan history records the failure as the most recent outcome of that source.
    last = store.last_source_reports()["kitchen"]
    assert last.outcome is SourceOutcome.ERROR and last.kind == "rss"

    # A source that recovers is back to zero errors.
    http_server.serve_file("/kitchen", "feeds/rss2-plain.xml", RSS)
    recovered = by_name(scan(config, store, at=T0 + timedelta(hours=2), only=("kitchen",)))
    assert recovered["kitchen"].outcome is SourceOutcome.OK
    assert store.source_state("kitchen", "rss").consecutive_errors == 0
    assert store.source_state("kitchen", "rss").last_error is None


def test_polls_stored_together_still_stand_alone_when_one_cannot_be_stored(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    """Polls that finish together are stored in one commit; a poll that cannot be stored
    (here SQLite refuses one of its rows) is rolled back alone, the polls stored before it
    are kept, and the scan stops with the error as it always did."""
    names = [f"feed{number}" for number in range(6)]
    for number, name in enumerate(names):
        guid = "refused" if name == "feed5" else f"post-{number}"
        body = rss_feed((guid, f"Acme post {number}", "", "My Acme order never arrived"))

        def answer(seen: object, body: bytes = body, slow: bool = name == "feed5") -> Route:
            if slow:
                time.sleep(0.3)  # finishes after the others: they are stored first
            return Route(body=body, headers={"Content-Type": RSS})

        http_server.routes[f"/{name}"] = answer
    config = write_config(
        tmp_path, "".join(rss_source(name, http_server.url(f"/{name}")) for name in names)
    )
    store.db.execute(
        "CREATE TRIGGER refuse AFTER INSERT ON mentions WHEN new.native_id = 'refused'"
        " BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )

    with pytest.raises(sqlite3.IntegrityError, match="disk says no"):
        scan(config, store)

    assert not store.db.in_transaction
    assert sorted(m.source for m in all_mentions(store)) == names[:5]
    assert store.source_state("feed0", "rss").last_success_at == T0
    assert store.source_state("feed5", "rss").last_success_at is None


def test_a_group_of_polls_keeps_those_stored_before_the_one_that_fails(
    tmp_path: Path, store: Store
) -> None:
    """The same, without depending on which polls finish together: three polls given to the
    scan's storing step at once, the second of which SQLite refuses."""
    from mentionwatch.models import Classification, Mention, ScoredMention, SearchResult
    from mentionwatch.scan import _Polled, _Scan

    config = load_config(
        write_config(tmp_path, "".join(rss_source(n, f"http://127.0.0.1:9/{n}") for n in "abc"))
    )
    store.db.execute(
        "CREATE TRIGGER refuse AFTER INSERT ON mentions WHEN new.source = 'b'"
        " BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )

    def polled(name: str) -> _Polled:
        mention = Mention(name, "rss", "1", f"https://blog.example/{name}", "Acme", "Acme post")
        verdict = Classification(0.0, SentimentLabel.NEUTRAL, "Acme post")
        source = next(s for s in config.sources if s.name == name)
        return _Polled(
            source,
            store.source_state(name, "rss"),
            SearchResult(mentions=[mention], items_seen=1),
            [ScoredMention(mention, verdict)],
            None,
            0.1,
        )

    scan_step = _Scan(config, store, lambda: T0, {}, lambda report, total: None)
    stored, failure = scan_step._store_polls([polled("a"), polled("b"), polled("c")])

    assert [report.name for report in stored] == ["a"]
    assert isinstance(failure, sqlite3.IntegrityError)
    assert not store.db.in_transaction
    assert [m.source for m in all_mentions(store)] == ["a"]
    assert store.source_state("b", "rss").last_success_at is None


def test_many_polls_finishing_together_are_all_stored(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    names = [f"feed{number}" for number in range(12)]
    for number, name in enumerate(names):
        body = rss_feed(
            (f"a-{number}", f"Acme post {number}", "", "My Acme order never arrived"),
            (f"b-{number}", f"Acme news {number}", "", "Acme opens a new store"),
        )
        http_server.routes[f"/{name}"] = Route(body=body, headers={"Content-Type": RSS})
    config = write_config(
        tmp_path, "".join(rss_source(name, http_server.url(f"/{name}")) for name in names)
    )

    report = scan(config, store)

    assert [source.name for source in report.sources] == names  # config order
    assert all(source.new == 2 for source in report.sources)
    assert store.count_mentions() == 24
    assert not store.db.in_transaction
    assert all(store.source_state(name, "rss").last_success_at == T0 for name in names)


# --- the brand's own posts --------------------------------------------------------------------


def test_posts_by_the_brands_own_accounts_are_stored_as_own_not_in_the_inbox(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    http_server.routes["/feed"] = Route(
        body=rss_feed(
            ("o1", "Re: Acme refund", "acmesupport", "<p>Sorry, Acme will refund you today.</p>"),
            ("o2", "Acme update", "Maya at Acme", "<p>Acme news from our team.</p>"),
            ("o3", "Acme depot tour", "JoATACME", "<p>Come see the new Acme depot.</p>"),
            ("c1", "Acme broke my kettle", "AcmeSupportFan", "<p>Awful. Acme broke it.</p>"),
            ("c2", "Acme is slow", "lena", "<p>Acme support is terribly slow.</p>"),
        ),
        headers={"Content-Type": RSS},
    )
    config = write_config(tmp_path, rss_source("blog", http_server.url("/feed")))

    report = scan(config, store)

    assert report.sources[0].new == 5  # the brand's own posts are stored too
    status = {m.author: m.status for m in all_mentions(store)}
    assert status == {
        "acmesupport": MentionStatus.OWN,  # "AcmeSupport", any case
        "Maya at Acme": MentionStatus.OPEN,  # a display name, not a handle
        "JoATACME": MentionStatus.OWN,  # "*atAcme", any case
        "AcmeSupportFan": MentionStatus.OPEN,  # an exact handle is not a prefix
        "lena": MentionStatus.OPEN,
    }
    inbox = {m.author for m in store.open_mentions()}
    assert inbox == {"Maya at Acme", "AcmeSupportFan", "lena"}


def test_the_brands_mastodon_account_is_recognised_from_the_status_url(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>#acme</title>'
        b"<item><guid>https://mastodon.social/@AcmeSupport/117647769600009999</guid>"
        b"<link>https://mastodon.social/@AcmeSupport/117647769600009999</link>"
        b"<pubDate>Fri, 20 Nov 2026 08:30:00 +0000</pubDate>"
        b"<description>&lt;p&gt;Sorry about the lid! Acme is sending a new one.&lt;/p&gt;"
        b"</description></item></channel></rss>"
    )
    http_server.routes["/tags/acme.rss"] = Route(body=body, headers={"Content-Type": RSS})
    url = http_server.serve_file("/mastodon", "feeds/mastodon-tag.rss", RSS)
    config = write_config(
        tmp_path,
        rss_source("masto", url) + rss_source("brand", http_server.url("/tags/acme.rss")),
    )

    scan(config, store)

    (own,) = [m for m in all_mentions(store) if m.source == "brand"]
    assert own.author == "AcmeSupport@mastodon.social"
    assert own.status is MentionStatus.OWN
    assert {m.author for m in store.open_mentions()} == {
        "lenaparts@mastodon.social",
        "rollerjess@skate.example",
        "pmarsh@town.example",
    }


# --- scheduling -------------------------------------------------------------------------------


def test_a_source_is_polled_again_only_once_its_interval_has_passed(
    tmp_path: Path, http_server: LocalServer, store: Store
) -> None:
    fast = http_server.serve_file("/fast", "feeds/rss1-rdf.xml", "application/rdf+xml")
    slow = http_server.serve_file("/slow", "feeds/atom-generic.atom", ATOM)
    config = write_config(
        tmp_path, rss_source("fast", fast, interval="30m") + rss_source("slow", slow, interval="2h")
    )

    def polled(at: datetime, force: bool = False) -> list[str]:
        return [s.name for s in scan(config, store, at=at, force=force).sources]

    assert polled(T0) == ["fast", "slow"]  # never polled before: due
    assert polled(T0 + timedelta(seconds=1)) == []
    assert polled(T0 + timedelta(minutes=29, seconds=59)) == []
    assert polled(T0 + timedelta(minutes=30)) == ["fast"]
    assert polled(T0 + timedelta(minutes=31)) == []
    assert polled(T0 + timedelta(hours=2)) == ["fast", "slow"]
    # Due sources are polled concurrently, so count requests rather than rely on their order.
    assert Counter(r.path for r in http_server.requests) == {"/fast": 3, "/slow": 2}
    # --all polls everything now, whatever is due.
    assert polled(T0 + timedelta(hours=2, minutes=1), force=True) == ["fast", "slow"]
    assert store.source_state("fast", "rss").last_attempt_at == T0 + timedelta(hours=2, minutes=1)
