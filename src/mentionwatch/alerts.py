"""Alerts: tell the team at once, from the scan, about mentions that cannot wait for the digest.

After a scan has stored its mentions and checked threads, every open mention that needs an
answer (negative, or a question), is not spam and was never alerted goes into ONE message per
channel when its priority reached `[alerts] min_priority` or (with `on_sla_breach`) it passed
`brand.sla`: a spike of fifty posts is one message, not fifty.

A channel is a plain JSON webhook (one POST) or an Apprise URL (a short plain-text summary;
Apprise is optional and imported only when configured). Each channel has its own record of
what it accepted and when (the database knows a channel by a hash of its URL, never the URL:
those carry tokens), so:

* nothing is alerted twice: a mention is marked alerted once every channel accepted it;
* a channel that failed is retried by the next scan with the same mentions, the others are not
  told again;
* a channel gets at most one message per `min_interval`; what waits goes out with the next one.

Delivery never fails the scan: its storage is committed before alerts run, and any error is
one line in the scan report. Post text is untrusted: every string taken from a post is passed
through `safe` (no control or format characters) before it reaches a payload.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from mentionwatch.config import AlertsConfig, Config
from mentionwatch.errors import SourceError
from mentionwatch.http import HttpFetcher, redact
from mentionwatch.inbox import InboxEntry, rank
from mentionwatch.models import AlertReport
from mentionwatch.store import Store
from mentionwatch.text import is_web_url, safe, snippet

#: Mentions listed in one message; the count (and the "more" line) still covers them all, so
#: turning alerts on over a large backlog sends one readable message, not a wall.
MAX_LISTED = 50
#: Mentions named in the plain-text summary (chat messages should stay short).
MAX_IN_TEXT = 10


@dataclass(frozen=True)
class Channel:
    """One place an alert goes: a webhook or an Apprise URL."""

    kind: str  # "webhook" | "apprise"
    url: str
    #: For people: "webhook 1", "apprise 2" (the URL itself may hold a token).
    label: str

    @property
    def key(self) -> str:
        """How the database knows the channel: a hash of its URL, never the URL."""
        digest = hashlib.sha256(self.url.encode("utf-8")).hexdigest()[:16]
        return f"{self.kind}:{digest}"


def channels(settings: AlertsConfig) -> list[Channel]:
    return [
        Channel("webhook", url, f"webhook {i}") for i, url in enumerate(settings.webhooks, 1)
    ] + [Channel("apprise", url, f"apprise {i}") for i, url in enumerate(settings.apprise, 1)]


def due_for_alert(candidates: Sequence[InboxEntry], settings: AlertsConfig) -> list[InboxEntry]:
    """The ranked candidates that call for an alert now. Pure."""
    return [
        entry
        for entry in candidates
        if entry.urgency.priority >= settings.min_priority
        or (settings.on_sla_breach and entry.urgency.breached)
    ]


# --- the messages -----------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(text: str | None, width: int = 200) -> str:
    return snippet(safe(text, single_line=True), width)


def mention_payload(entry: InboxEntry) -> dict[str, Any]:
    mention = entry.mention
    return {
        "id": mention.id,
        "source": _line(mention.source, 80),
        "author": _line(mention.author, 80) or None,
        # Only http(s) links: a post can carry javascript: or data: ones.
        "url": safe(mention.url, single_line=True) if is_web_url(mention.url) else None,
        "snippet": _line(mention.snippet or mention.title or mention.text),
        "priority": entry.urgency.priority,
        "sla_breached": entry.urgency.breached,
        "created_at": _iso(mention.created_at),
    }


def headline(brand: str, entries: Sequence[InboxEntry]) -> str:
    count = len(entries)
    late = sum(1 for e in entries if e.urgency.breached)
    line = f"{brand}: {count} mention{'s' if count != 1 else ''} need{'s' if count == 1 else ''}"
    line += " an answer"
    if late:
        line += f" ({late} past SLA)"
    return line


def summary_text(brand: str, entries: Sequence[InboxEntry]) -> str:
    """The short plain-text message (Apprise, and the webhook payload's `text`)."""
    lines = [headline(brand, entries)]
    for entry in entries[:MAX_IN_TEXT]:
        m = mention_payload(entry)
        late = ", past SLA" if m["sla_breached"] else ""
        who = f"{m['author']} on {m['source']}" if m["author"] else m["source"]
        lines.append(f"- [{m['priority']:.0f}{late}] {who}: {m['snippet']}")
        if m["url"]:
            lines.append(f"  {m['url']}")
    if len(entries) > MAX_IN_TEXT:
        lines.append(f"...and {len(entries) - MAX_IN_TEXT} more: mentionwatch inbox")
    return "\n".join(lines)


def webhook_payload(brand: str, entries: Sequence[InboxEntry]) -> dict[str, Any]:
    return {
        "brand": safe(brand, single_line=True),
        "count": len(entries),
        "mentions": [mention_payload(e) for e in entries[:MAX_LISTED]],
        "text": summary_text(safe(brand, single_line=True), entries),
    }


# --- delivery ---------------------------------------------------------------------------------


class DeliveryError(Exception):
    pass


async def _post_webhook(http: HttpFetcher, channel: Channel, payload: dict[str, Any]) -> None:
    try:
        await http.request(
            "POST", channel.url, json=payload, headers={"Content-Type": "application/json"}
        )
    except SourceError as exc:
        # The fetcher names the URL without its query; a webhook's path can be its secret too
        # (Slack's is), so only the host is shown.
        parts = urlsplit(channel.url)
        host = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        raise DeliveryError(exc.message.replace(redact(channel.url), host)) from None


async def _notify_apprise(channel: Channel, title: str, body: str) -> None:
    apprise: Any = importlib.import_module("apprise")  # optional: only when configured
    notifier = apprise.Apprise()
    if not notifier.add(channel.url):
        raise DeliveryError("not a URL Apprise understands")
    if not await asyncio.to_thread(notifier.notify, body=body, title=title):
        raise DeliveryError("Apprise could not deliver the message")


async def _deliver(
    config: Config, store: Store, now: datetime, due: list[InboxEntry]
) -> AlertReport:
    settings = config.alerts
    brand = config.brand.name
    sent: dict[str, set[int]] = {}
    messages, held, errors = 0, 0, []
    async with HttpFetcher(config.http) as http:
        for channel in channels(settings):
            done = store.alert_delivered(channel.key)
            pending = [e for e in due if e.mention.id not in done]
            sent[channel.key] = done
            if not pending:
                continue
            last = store.last_alert_at(channel.key)
            if last is not None and now < last + settings.min_interval:
                held = max(held, len(pending))
                continue
            try:
                if channel.kind == "webhook":
                    await _post_webhook(http.session(), channel, webhook_payload(brand, pending))
                else:
                    await _notify_apprise(
                        channel,
                        headline(safe(brand, single_line=True), pending),
                        summary_text(safe(brand, single_line=True), pending),
                    )
            except DeliveryError as exc:
                errors.append(f"{channel.label}: {safe(str(exc), single_line=True)}")
                continue
            except Exception as exc:  # a broken notifier must not lose the scan
                errors.append(f"{channel.label}: unexpected {type(exc).__name__}")
                continue
            ids = [e.mention.id for e in pending]
            store.record_alert(channel.key, ids, now)
            sent[channel.key] = done | set(ids)
            messages += 1
    complete = [e.mention.id for e in due if all(e.mention.id in ids for ids in sent.values())]
    if complete:
        store.mark_alerted(complete, now)
    return AlertReport(alerted=len(complete), messages=messages, held=held, errors=errors)


def send_alerts(config: Config, store: Store, now: datetime) -> AlertReport:
    """Alert what needs it (see the module's docstring). Never raises: a failure is a line in
    the report, and its mentions are retried by the next scan."""
    if not config.alerts.enabled:
        return AlertReport()
    try:
        due = due_for_alert(rank(store.alert_candidates(), config.brand, now), config.alerts)
        if not due:
            return AlertReport()
        return asyncio.run(_deliver(config, store, now, due))
    except Exception as exc:  # the scan's findings are stored; alerts must not undo that
        line = f"alerts: unexpected {type(exc).__name__}: {exc}"
        return AlertReport(errors=[safe(line, single_line=True)])
