"""Alerts from the scan, against a real local webhook receiver: batched, rate-limited, never
twice, retried after a failed delivery, and safe with hostile post text."""

from __future__ import annotations

import json
import re
import sys
import types
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

import pytest

from conftest import LocalServer, Route, SeenRequest
from mentionwatch import sources
from mentionwatch.config import Config, load_config
from mentionwatch.errors import ConfigError
from mentionwatch.http import HttpFetcher
from mentionwatch.models import Mention, ScanReport, SearchResult, SourceState
from mentionwatch.scan import run_scan
from mentionwatch.sources import register_source
from mentionwatch.sources.base import Source
from mentionwatch.store import Store
from mentionwatch.views.export import scan_report_json
from mentionwatch.views.terminal import scan_summary

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
ANGRY = "Acme lost my parcel and nobody answers. Awful."
THINGS = [
    "parcel",
    "order",
    "refund",
    "invoice",
    "router",
    "account",
    "password",
    "laptop",
    "phone",
    "ticket",
    "charger",
]


def angry(i: int) -> str:
    """A different complaint per author: one text from many accounts would be spam."""
    return f"Acme lost my {THINGS[i % len(THINGS)]} and nobody answers. Awful {i}."


@dataclass(frozen=True)
class FeedSettings:
    board: str = "main"


class FeedSource(Source):
    """A source whose posts a test sets (this tests the scan's alerts, not a platform)."""

    kind = "alertfeed"
    Settings = FeedSettings
    posts: ClassVar[list[Mention]] = []

    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        return SearchResult(list(self.posts), items_seen=len(self.posts))


@pytest.fixture(autouse=True)
def feed(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FeedSource]]:
    # Registered for this test only: other tests list the available kinds.
    monkeypatch.setattr(sources, "_registered", dict(sources._registered))
    register_source(FeedSource)
    FeedSource.posts = []
    yield FeedSource


def post(
    ref: str,
    text: str = ANGRY,
    *,
    author: str = "jo",
    minutes_ago: int = 10,
    reach: int | None = 1000,
    title: str = "",
    url: str | None = None,
) -> Mention:
    return Mention(
        source="forum",
        kind="alertfeed",
        native_id=ref,
        url=url if url is not None else f"https://forum.example/{ref}",
        title=title,
        text=text,
        created_at=T0 - timedelta(minutes=minutes_ago),
        author=author,
        reach=reach,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "mw.db") as opened:
        yield opened


@dataclass
class Receiver:
    """The webhook: what it received, and what it answers."""

    server: LocalServer
    status: int = 200

    @property
    def url(self) -> str:
        return self.server.url("/hooks/T000/secret-token")

    @property
    def calls(self) -> list[SeenRequest]:
        return [r for r in self.server.requests if r.method == "POST"]

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.calls]


@pytest.fixture
def receiver(http_server: LocalServer) -> Receiver:
    hook = Receiver(http_server)

    def answer(seen: SeenRequest) -> Route:
        if seen.method != "POST":
            return Route(status=405)
        return Route(body=b"ok", status=hook.status)

    http_server.routes["/hooks/T000/secret-token"] = answer
    return hook


def config(tmp_path: Path, alerts: str) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(
        '[brand]\nname = "Acme"\nterms = ["Acme"]\nhandles = ["AcmeSupport"]\nsla = "4h"\n'
        f"[alerts]\n{alerts}\n"
        '[[sources]]\nname = "forum"\nkind = "alertfeed"\n',
        encoding="utf-8",
    )
    return load_config(path)


def hook_config(tmp_path: Path, receiver: Receiver, extra: str = "") -> Config:
    return config(tmp_path, f'webhooks = ["{receiver.url}"]\nmin_priority = 45\n{extra}')


def scan(cfg: Config, store: Store, minutes: float = 0) -> ScanReport:
    return run_scan(
        cfg, store, force=True, clock=lambda: T0 + timedelta(minutes=minutes), environ={}
    )


def ids_of(payload: dict[str, Any]) -> set[int]:
    return {m["id"] for m in payload["mentions"]}


def test_a_burst_of_negatives_is_one_batched_call_with_all_of_them(
    tmp_path: Path, store: Store, receiver: Receiver
) -> None:
    cfg = hook_config(tmp_path, receiver)
    FeedSource.posts = [
        post(f"p{i}", angry(i), author=f"user{i}", minutes_ago=10 + i) for i in range(11)
    ]

    report = scan(cfg, store)

    assert len(receiver.calls) == 1
    call = receiver.calls[0]
    assert call.headers["content-type"].startswith("application/json")
    payload = receiver.payloads()[0]
    assert payload["brand"] == "Acme"
    assert payload["count"] == 11 and len(payload["mentions"]) == 11
    stored = {m.id for m in store.open_mentions()}
    assert ids_of(payload) == stored
    first = payload["mentions"][0]
    assert set(first) == {
        "id", "source", "author", "url", "snippet", "priority", "sla_breached", "created_at",
    }  # fmt: skip
    assert first["source"] == "forum" and first["url"].startswith("https://forum.example/")
    assert first["priority"] >= 45 and first["sla_breached"] is False
    assert first["created_at"].endswith("Z")
    assert payload["text"].startswith("Acme: 11 mentions need an answer")
    assert report.alerts.alerted == 11 and report.alerts.messages == 1
    assert scan_report_json(report)["alerts"]["alerted"] == 11
    assert "Alerts: alerted 11 mentions (1 message)." in scan_summary(report).plain


def test_a_second_scan_sends_nothing_new(tmp_path: Path, store: Store, receiver: Receiver) -> None:
    cfg = hook_config(tmp_path, receiver)
    FeedSource.posts = [post("a"), post("b", author="kim")]
    scan(cfg, store)
    assert len(receiver.calls) == 1

    report = scan(cfg, store, minutes=30)  # past the rate limit: nothing held, just nothing new

    assert len(receiver.calls) == 1
    assert report.alerts.alerted == 0 and report.alerts.held == 0
    assert "Alerts" not in scan_summary(report).plain


def test_the_rate_limit_holds_a_second_burst_until_the_interval_passes(
    tmp_path: Path, store: Store, receiver: Receiver
) -> None:
    cfg = hook_config(tmp_path, receiver, 'min_interval = "15m"')
    FeedSource.posts = [post("a"), post("b", author="kim")]
    scan(cfg, store)
    first = ids_of(receiver.payloads()[0])

    FeedSource.posts += [
        post(f"later{i}", angry(i + 3), author=f"late{i}", minutes_ago=-4) for i in range(3)
    ]
    held = scan(cfg, store, minutes=5)
    assert len(receiver.calls) == 1
    assert held.alerts.held == 3 and held.alerts.alerted == 0
    assert "3 held back" in scan_summary(held).plain
    assert scan(cfg, store, minutes=14).alerts.held == 3
    assert len(receiver.calls) == 1

    released = scan(cfg, store, minutes=16)

    assert len(receiver.calls) == 2
    second = receiver.payloads()[1]
    assert second["count"] == 3 and not ids_of(second) & first
    assert released.alerts.alerted == 3 and released.alerts.held == 0


def test_a_failed_delivery_is_retried_with_the_same_mentions_by_the_next_scan(
    tmp_path: Path, store: Store, receiver: Receiver
) -> None:
    cfg = hook_config(tmp_path, receiver)
    FeedSource.posts = [post("a"), post("b", author="kim")]
    receiver.status = 500

    failed = scan(cfg, store)

    assert failed.new == 2 and len(store.open_mentions()) == 2  # stored all the same
    attempts = len(receiver.calls)
    assert attempts >= 1
    assert failed.alerts.alerted == 0
    host = receiver.server.base_url
    assert failed.alerts.errors == [f"webhook 1: HTTP 500 Internal Server Error from {host}"]
    line = [x for x in scan_summary(failed).plain.splitlines() if x.startswith("Alerts")]
    assert len(line) == 1 and "retried by the next scan" in line[0]
    assert "secret-token" not in scan_summary(failed).plain

    receiver.status = 200
    retried = scan(cfg, store, minutes=1)  # a failure does not start the rate limit

    assert len(receiver.calls) == attempts + 1
    assert ids_of(receiver.payloads()[-1]) == {m.id for m in store.open_mentions()}
    assert retried.alerts.alerted == 2 and retried.alerts.errors == []
    scan(cfg, store, minutes=30)
    assert len(receiver.calls) == attempts + 1


def test_an_unreachable_webhook_never_fails_the_scan(tmp_path: Path, store: Store) -> None:
    from conftest import free_port

    cfg = config(tmp_path, f'webhooks = ["http://127.0.0.1:{free_port()}/hook"]')
    FeedSource.posts = [post("a", minutes_ago=300)]

    report = scan(cfg, store)

    assert report.new == 1 and report.alerts.errors[0].startswith("webhook 1: cannot reach")
    assert store.db.execute("SELECT count(*) FROM scan_runs").fetchone()[0] == 1


def test_an_sla_breach_alerts_once(tmp_path: Path, store: Store, receiver: Receiver) -> None:
    cfg = config(tmp_path, f'webhooks = ["{receiver.url}"]\nmin_priority = 100\n')
    FeedSource.posts = [post("slow", minutes_ago=200)]

    scan(cfg, store)  # 200 minutes: within the 4h SLA, and below the priority threshold
    assert receiver.calls == []

    breached = scan(cfg, store, minutes=60)  # 260 minutes

    assert len(receiver.calls) == 1
    (mention,) = receiver.payloads()[0]["mentions"]
    assert mention["sla_breached"] is True
    assert "(1 past SLA)" in receiver.payloads()[0]["text"]
    assert breached.alerts.alerted == 1
    scan(cfg, store, minutes=120)
    scan(cfg, store, minutes=600)
    assert len(receiver.calls) == 1


def test_sla_breaches_do_not_alert_when_turned_off(
    tmp_path: Path, store: Store, receiver: Receiver
) -> None:
    cfg = config(
        tmp_path, f'webhooks = ["{receiver.url}"]\nmin_priority = 100\non_sla_breach = false\n'
    )
    FeedSource.posts = [post("slow", minutes_ago=300)]
    scan(cfg, store)
    assert receiver.calls == []


def test_spam_the_brands_own_posts_and_calm_posts_never_alert(
    tmp_path: Path, store: Store, receiver: Receiver
) -> None:
    cfg = hook_config(tmp_path, receiver)
    copied = "Acme refund scam: everyone lost money, do not trust Acme, awful awful awful"
    FeedSource.posts = [
        *(post(f"spam{i}", copied, author=f"bot{i}") for i in range(3)),
        post("own", author="AcmeSupport"),
        post("calm", "Acme released version 2 today.", author="news", minutes_ago=300),
        post("happy", "Acme is great, love it", author="fan", minutes_ago=300),
        post("real", author="maya"),
    ]

    scan(cfg, store)
    scan(cfg, store, minutes=20)

    assert len(receiver.calls) == 1
    (only,) = receiver.payloads()[0]["mentions"]
    assert only["author"] == "maya"


def test_hostile_text_is_sanitised_in_the_json(
    tmp_path: Path, store: Store, receiver: Receiver
) -> None:
    cfg = hook_config(tmp_path, receiver)
    hostile = (
        "Acme \x1b]52;c;SGVsbG8=\x07lost my \x1b[2Jparcel\u202e and nobody answers.\r\n"
        "Injected: header\x00 Awful."
    )
    FeedSource.posts = [
        post(
            "evil",
            hostile,
            author="mallory\r\nX-Evil: 1\x1b[31m",
            url="javascript:alert(1)",
            minutes_ago=300,
        )
    ]

    scan(cfg, store)

    payload = receiver.payloads()[0]
    (mention,) = payload["mentions"]
    for value in (mention["author"], mention["snippet"], mention["source"]):
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value), value
    assert mention["author"] == "mallory X-Evil: 1"
    assert "]52;" not in mention["snippet"] and "[2J" not in mention["snippet"]
    assert mention["url"] is None
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in payload["text"] if ch != "\n")
    assert "javascript:" not in payload["text"]
    assert all(line.startswith(("Acme:", "- ", "  ")) for line in payload["text"].splitlines())


# --- Apprise (optional) -----------------------------------------------------------------------


def test_apprise_configured_but_not_installed_is_a_clear_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mentionwatch.config.apprise_installed", lambda: False)
    with pytest.raises(ConfigError) as raised:
        config(tmp_path, 'apprise = ["slack://TokenA/TokenB/TokenC"]')
    message = str(raised.value)
    assert "alerts.apprise" in message and 'pip install "mentionwatch[alerts]"' in message
    assert "TokenA" not in message


@pytest.mark.parametrize(
    ("alerts", "expected"),
    [
        ('webhooks = ["ftp://hooks.example/x"]', "alerts.webhooks[0]: expected an http(s) URL"),
        ("min_priority = 120", "alerts.min_priority: expected a priority from 0 to 100"),
        ('min_interval = "soon"', "alerts.min_interval: expected a duration"),
        ('on_sla_breach = "yes"', "alerts.on_sla_breach: expected boolean"),
        ('webhook = ["https://x.example"]', "alerts.webhook: unknown key"),
    ],
)
def test_alerts_config_mistakes_name_the_key(tmp_path: Path, alerts: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(expected)):
        config(tmp_path, alerts)


def test_apprise_gets_one_short_plain_text_summary(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, str]] = []

    class FakeApprise:
        def add(self, url: str) -> bool:
            return url.startswith("ntfy://")

        def notify(self, *, body: str, title: str) -> bool:
            sent.append({"title": title, "body": body})
            return True

    monkeypatch.setitem(sys.modules, "apprise", types.SimpleNamespace(Apprise=FakeApprise))
    monkeypatch.setattr("mentionwatch.config.apprise_installed", lambda: True)
    cfg = config(tmp_path, 'apprise = ["ntfy://acme-alerts"]\nmin_priority = 45\n')
    FeedSource.posts = [post(f"p{i}", angry(i), author=f"user{i}\x1b[2J") for i in range(3)]

    report = scan(cfg, store)
    scan(cfg, store, minutes=30)

    assert len(sent) == 1 and report.alerts.alerted == 3
    assert sent[0]["title"] == "Acme: 3 mentions need an answer"
    body = sent[0]["body"]
    assert body.count("\n- [") == 3 and "\x1b" not in body and "[2J" not in body
    assert "https://forum.example/p0" in body
