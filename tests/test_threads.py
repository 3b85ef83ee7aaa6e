"""The scan's thread check: finding the brand's replies, and never overruling a person."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar

import pytest

from mentionwatch.config import Config, load_config
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import (
    Mention,
    MentionStatus,
    Reply,
    SearchResult,
    SourceState,
)
from mentionwatch.scan import first_brand_reply, run_scan
from mentionwatch.sources import register_source
from mentionwatch.sources.base import Source
from mentionwatch.store import Store

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class ScriptedSettings:
    board: str = "main"


class ScriptedSource(Source):
    """A threaded source whose posts and replies a test scripts (no platform to imitate:
    this tests the scan's decisions, the real sources have their own HTTP tests)."""

    kind = "scripted"
    Settings = ScriptedSettings
    has_threads = True
    posts: ClassVar[list[Mention]] = []
    threads: ClassVar[dict[str, list[Reply]]] = {}
    asked: ClassVar[list[str]] = []
    broken: ClassVar[bool] = False

    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        mine = [m for m in self.posts if m.source == self.name]
        return SearchResult(mine, items_seen=len(mine))

    async def replies(
        self, http: HttpFetcher, thread_refs: Sequence[str]
    ) -> dict[str, list[Reply]]:
        if self.broken:
            raise SourceError("HTTP 503 Service Unavailable from https://scripted.example/t")
        type(self).asked.extend(thread_refs)
        return {ref: self.threads.get(ref, []) for ref in thread_refs}


@pytest.fixture(autouse=True)
def scripted() -> Iterator[type[ScriptedSource]]:
    register_source(ScriptedSource)
    ScriptedSource.posts, ScriptedSource.threads = [], {}
    ScriptedSource.asked, ScriptedSource.broken = [], False
    yield ScriptedSource


def post(
    ref: str,
    text: str = "Acme lost my parcel and nobody answers. Awful.",
    author: str = "jo",
    source: str = "forum",
    minutes_ago: int = 120,
) -> Mention:
    return Mention(
        source=source,
        kind="scripted",
        native_id=ref,
        url=f"https://s.example/{ref}",
        title="",
        text=text,
        created_at=T0 - timedelta(minutes=minutes_ago),
        author=author,
        reach=10,
        thread_ref=ref,
    )


def reply(ref: str, author: str | None, minutes_after_t0: int, depth: int = 1) -> Reply:
    return Reply(
        native_id=f"{ref}-{author}-{depth}",
        author=author,
        created_at=T0 + timedelta(minutes=minutes_after_t0),
        url=f"https://s.example/{ref}#{author}",
        text=f"reply by {author}",
        depth=depth,
    )


def config(tmp_path: Path, extra: str = "") -> Config:
    path = tmp_path / "config.toml"
    path.write_text(
        '[brand]\nname = "Acme"\nterms = ["Acme"]\nsla = "4h"\n'
        '[brand.handles]\nall = ["AcmeSupport", "*atAcme"]\nscripted = ["acme_mods"]\n'
        + extra
        + '[[sources]]\nname = "forum"\nkind = "scripted"\n'
        '[[sources]]\nname = "board"\nkind = "scripted"\n',
        encoding="utf-8",
    )
    return load_config(path)


def scan(cfg: Config, store: Store, minutes: int = 0):  # type: ignore[no-untyped-def]
    return run_scan(
        cfg, store, force=True, clock=lambda: T0 + timedelta(minutes=minutes), environ={}
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "mw.db") as opened:
        yield opened


def by_ref(store: Store, ref: str):  # type: ignore[no-untyped-def]
    row = store.db.execute("SELECT id FROM mentions WHERE native_id = ?", (ref,)).fetchone()
    mention = store.mention(row[0])
    assert mention is not None
    return mention


def test_a_brand_reply_marks_the_mention_answered_with_its_time_and_link(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [post("p1")]
    scripted.threads = {"p1": [reply("p1", "bystander", 5), reply("p1", "AcmeSupport", 30)]}
    report = scan(config(tmp_path), store, minutes=60)
    m = by_ref(store, "p1")
    assert m.status is MentionStatus.ANSWERED and m.marked_by == "auto"
    assert m.answered_by == "AcmeSupport"
    assert m.answered_url == "https://s.example/p1#AcmeSupport"
    assert m.answered_at == T0 + timedelta(minutes=30)
    # Posted two hours before T0, answered 30 minutes after it.
    assert m.first_response_s == 150 * 60
    assert report.threads.checked == 1 and report.threads.answered == 1
    seen = store.replies(m.id)
    assert [(r.author, by_brand) for r, by_brand in seen] == [
        ("bystander", False),
        ("AcmeSupport", True),
    ]


def test_a_reply_nested_three_levels_deep_by_a_glob_handle_counts(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [post("p1")]
    scripted.threads = {
        "p1": [
            reply("p1", "a", 1),
            reply("p1", "b", 2, depth=2),
            reply("p1", "MayaATACME", 3, depth=3),
        ]
    }
    scan(config(tmp_path), store)
    m = by_ref(store, "p1")
    assert m.status is MentionStatus.ANSWERED and m.answered_by == "MayaATACME"


def test_a_thread_where_only_others_replied_stays_open(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [post("p1")]
    scripted.threads = {
        "p1": [reply("p1", "me_too", 5), reply("p1", None, 6), reply("p1", "AcmeSupportFan", 7)]
    }
    scan(config(tmp_path), store)
    m = by_ref(store, "p1")
    assert m.status is MentionStatus.OPEN and m.thread_checked_at == T0
    assert len(store.replies(m.id)) == 3


def test_platform_handles_count_only_on_their_own_kind(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [post("p1")]
    scripted.threads = {"p1": [reply("p1", "acme_mods", 5)]}
    scan(config(tmp_path), store)
    assert by_ref(store, "p1").status is MentionStatus.ANSWERED


def test_the_earliest_brand_reply_is_the_first_response(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [post("p1")]
    scripted.threads = {"p1": [reply("p1", "JoAtAcme", 50), reply("p1", "AcmeSupport", 20)]}
    scan(config(tmp_path), store)
    assert by_ref(store, "p1").answered_by == "AcmeSupport"


def test_manual_marks_win_over_the_thread_check(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [post("ignored"), post("answered")]
    cfg = config(tmp_path)
    scan(cfg, store)
    store.set_status(by_ref(store, "ignored").id, MentionStatus.IGNORED, by=None, at=T0)
    store.set_status(by_ref(store, "answered").id, MentionStatus.ANSWERED, by="maya", at=T0)
    scripted.threads = {ref: [reply(ref, "AcmeSupport", 10)] for ref in ("ignored", "answered")}
    scripted.asked.clear()
    scan(cfg, store, minutes=30)
    assert scripted.asked == []  # only open mentions are checked
    assert by_ref(store, "ignored").status is MentionStatus.IGNORED
    manual = by_ref(store, "answered")
    assert manual.answered_by == "maya" and manual.marked_by == "manual"


def test_reopen_clears_the_mark_and_only_a_newer_brand_reply_answers_again(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [post("p1")]
    scripted.threads = {"p1": [reply("p1", "AcmeSupport", 10)]}
    cfg = config(tmp_path)
    scan(cfg, store, minutes=20)
    m = by_ref(store, "p1")
    assert m.status is MentionStatus.ANSWERED
    reopened = store.set_status(m.id, MentionStatus.OPEN, by=None, at=T0 + timedelta(minutes=60))
    assert reopened is not None and reopened.answered_by is None and reopened.marked_by is None
    scan(cfg, store, minutes=90)
    assert by_ref(store, "p1").status is MentionStatus.OPEN  # the old reply was not enough
    scripted.threads["p1"].append(reply("p1", "AcmeSupport", 120))
    scan(cfg, store, minutes=150)
    again = by_ref(store, "p1")
    assert again.status is MentionStatus.ANSWERED
    assert again.answered_at == T0 + timedelta(minutes=120)


def test_the_brands_own_posts_are_never_checked(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [post("mine", author="AcmeSupport"), post("theirs")]
    scan(config(tmp_path), store)
    assert by_ref(store, "mine").status is MentionStatus.OWN
    assert scripted.asked == ["theirs"]


def test_the_budget_checks_the_most_urgent_threads_first(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [
        post("calm", text="Acme, when does the new plan start?", minutes_ago=10),
        post("furious", text="Acme is terrible, awful, useless. I hate it.", minutes_ago=600),
        post("angry", text="Acme support is bad and rude.", minutes_ago=30),
    ]
    report = scan(config(tmp_path, "[scan]\nthread_checks = 2\n"), store)
    assert scripted.asked == ["furious", "angry"]
    assert report.threads.checked == 2


def test_a_source_whose_threads_fail_is_reported_and_keeps_its_mentions(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [post("p1"), post("p2", source="board")]
    scripted.broken = True
    report = scan(config(tmp_path), store)
    assert store.count_mentions() == 2
    assert report.threads.checked == 0 and len(report.threads.errors) == 2
    assert "HTTP 503" in report.threads.errors[0]
    assert by_ref(store, "p1").status is MentionStatus.OPEN


def test_first_brand_reply_ignores_undated_replies_after_a_reopen() -> None:
    undated = Reply("r1", "AcmeSupport", None, "https://s.example/r1")
    assert first_brand_reply([(undated, True)]) == undated
    assert first_brand_reply([(undated, True)], after=T0) is None
    assert first_brand_reply([(undated, False)]) is None


def test_a_post_by_a_platform_handle_is_the_brands_own(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    scripted.posts = [post("mod-post", author="ACME_MODS")]
    scan(config(tmp_path), store)
    assert by_ref(store, "mod-post").status is MentionStatus.OWN


@pytest.mark.parametrize("minutes", [1, 41, 59, 97, 1439])
def test_time_to_first_response_is_exact_to_the_second(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource], minutes: int
) -> None:
    scripted.posts = [post("p1", minutes_ago=0)]
    scripted.threads = {"p1": [reply("p1", "AcmeSupport", minutes)]}
    scan(config(tmp_path), store)
    assert by_ref(store, "p1").first_response_s == minutes * 60


def test_a_source_that_asked_us_to_back_off_is_not_asked_for_threads_either(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    cfg = config(tmp_path)
    scripted.posts = [post("p1")]
    scan(cfg, store)
    assert scripted.asked == ["p1"]

    original = ScriptedSource.search

    async def rate_limited(self: ScriptedSource, http: HttpFetcher, state: SourceState):  # type: ignore[no-untyped-def]
        return SearchResult([], items_seen=0, retry_after_s=6 * 3600)

    scripted.asked.clear()
    ScriptedSource.search = rate_limited  # type: ignore[method-assign]
    try:
        scan(cfg, store, minutes=10)
    finally:
        ScriptedSource.search = original  # type: ignore[method-assign]
    assert scripted.asked == []


def test_threads_are_read_when_their_source_is_polled_not_on_every_scan(
    tmp_path: Path, store: Store, scripted: type[ScriptedSource]
) -> None:
    cfg = config(tmp_path)
    scripted.posts = [post("p1")]
    run_scan(cfg, store, clock=lambda: T0, environ={})
    assert scripted.asked == ["p1"]
    scripted.asked.clear()
    # Ten minutes later neither source is due (interval 30m): no thread traffic either.
    run_scan(cfg, store, clock=lambda: T0 + timedelta(minutes=10), environ={})
    assert scripted.asked == []
    run_scan(cfg, store, clock=lambda: T0 + timedelta(minutes=31), environ={})
    assert scripted.asked == ["p1"]
