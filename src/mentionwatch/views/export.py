"""JSON and CSV: the machine-readable contract documented in the README."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TextIO

from mentionwatch.inbox import InboxEntry
from mentionwatch.models import (
    Classification,
    ScanReport,
    SourceReport,
    SourceState,
    StoredMention,
)


def iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def mention_json(mention: StoredMention) -> dict[str, Any]:
    return {
        "id": mention.id,
        "source": mention.source,
        "kind": mention.kind,
        "native_id": mention.native_id,
        "url": mention.url,
        "author": mention.author,
        "title": mention.title,
        "text": mention.text,
        "created_at": iso(mention.created_at),
        "fetched_at": iso(mention.fetched_at),
        "matched_term": mention.matched_term,
        "sentiment": {"compound": mention.compound, "label": mention.label.value},
        "snippet": mention.snippet,
        "status": mention.status.value,
        "status_changed_at": iso(mention.status_changed_at),
        "answered_at": iso(mention.answered_at),
        "answered_by": mention.answered_by,
    }


def inbox_entry_json(entry: InboxEntry) -> dict[str, Any]:
    return {
        **mention_json(entry.mention),
        "priority": entry.urgency.priority,
        "waited_seconds": int(entry.urgency.waited.total_seconds()),
        "sla_breached": entry.urgency.breached,
    }


def classification_json(text: str, verdict: Classification) -> dict[str, Any]:
    return {
        "text": text,
        "sentiment": {"compound": verdict.compound, "label": verdict.label.value},
        "snippet": verdict.snippet,
    }


def source_report_json(report: SourceReport) -> dict[str, Any]:
    return {
        "name": report.name,
        "kind": report.kind,
        "outcome": report.outcome.value,
        "http_status": report.http_status,
        "items_seen": report.items_seen,
        "relevant": report.relevant,
        "new": report.new,
        "updated": report.updated,
        "error": report.error,
        "duration_s": report.duration_s,
    }


def scan_report_json(report: ScanReport) -> dict[str, Any]:
    return {
        "started_at": iso(report.started_at),
        "finished_at": iso(report.finished_at),
        "new": report.new,
        "updated": report.updated,
        "failed": len(report.failed),
        "sources": [source_report_json(s) for s in report.sources],
    }


def source_state_json(
    state: SourceState, configured: Mapping[str, Any] | None, last: SourceReport | None
) -> dict[str, Any]:
    return {
        "name": state.name,
        "kind": state.kind,
        "configured": configured is not None,
        **(configured or {}),
        "last_attempt_at": iso(state.last_attempt_at),
        "last_success_at": iso(state.last_success_at),
        "last_error": state.last_error,
        "consecutive_errors": state.consecutive_errors,
        "mentions_stored": state.mentions_stored,
        "last_scan": source_report_json(last) if last else None,
    }


def write_json(value: Any, out: TextIO) -> None:
    json.dump(value, out, indent=2, ensure_ascii=False)
    out.write("\n")


INBOX_CSV_FIELDS = [
    "id",
    "priority",
    "sla_breached",
    "waited_seconds",
    "created_at",
    "source",
    "kind",
    "author",
    "title",
    "snippet",
    "compound",
    "label",
    "status",
    "url",
]


def write_inbox_csv(entries: Iterable[InboxEntry], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=INBOX_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        m = entry.mention
        writer.writerow(
            {
                "id": m.id,
                "priority": entry.urgency.priority,
                "sla_breached": str(entry.urgency.breached).lower(),
                "waited_seconds": int(entry.urgency.waited.total_seconds()),
                "created_at": iso(m.created_at),
                "source": m.source,
                "kind": m.kind,
                "author": _csv_safe(m.author or ""),
                "title": _csv_safe(m.title),
                "snippet": _csv_safe(m.snippet),
                "compound": m.compound,
                "label": m.label.value,
                "status": m.status.value,
                "url": _csv_safe(m.url),
            }
        )


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheets: defuse it.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
