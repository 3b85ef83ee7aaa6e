"""JSON and CSV: the machine-readable contract documented in the README."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO

from mentionwatch.classify.sentiment import Explanation
from mentionwatch.config import format_duration
from mentionwatch.evaluate import ClassScores, LabelEvaluation
from mentionwatch.inbox import InboxEntry
from mentionwatch.models import (
    Advocate,
    Classification,
    MentionChange,
    MentionNote,
    MentionStatus,
    PruneReport,
    Reply,
    RescoreReport,
    ScanReport,
    SearchHit,
    SourceReport,
    StatsRow,
    StoredMention,
)
from mentionwatch.overview import SourceOverview
from mentionwatch.stats import Stats
from mentionwatch.text import is_unsafe_char, safe


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
        "sentiment": {
            "compound": mention.compound,
            "label": mention.label.value,
            "vader_compound": mention.vader_compound,
        },
        "human_label": mention.human_label.value if mention.human_label else None,
        "snippet": mention.snippet,
        "question": mention.question,
        "spam": mention.effective_spam,
        "spam_mark": mention.spam_mark,
        "spam_signals": list(mention.spam_signals),
        "status": mention.status.value,
        "status_changed_at": iso(mention.status_changed_at),
        "answered_at": iso(mention.answered_at),
        "answered_by": mention.answered_by,
        "answered_url": mention.answered_url,
        "marked_by": mention.marked_by,
        "first_response_seconds": mention.first_response_s,
        "reach": mention.reach,
        "thread_checked_at": iso(mention.thread_checked_at),
        "assignee": mention.assignee,
    }


def note_json(note: MentionNote) -> dict[str, Any]:
    return {"author": note.author, "created_at": iso(note.created_at), "text": note.text}


def change_json(change: MentionChange) -> dict[str, Any]:
    return {
        "changed_at": iso(change.changed_at),
        "changed_by": change.changed_by,
        "field": change.field,
        "from": change.old_value,
        "to": change.new_value,
        "automatic": change.automatic,
    }


def reply_json(reply: Reply, by_brand: bool) -> dict[str, Any]:
    return {
        "native_id": reply.native_id,
        "author": reply.author,
        "created_at": iso(reply.created_at),
        "url": reply.url,
        "text": reply.text,
        "depth": reply.depth,
        "by_brand": by_brand,
    }


def inbox_entry_json(entry: InboxEntry) -> dict[str, Any]:
    return {
        **mention_json(entry.mention),
        "priority": entry.urgency.priority,
        "waited_seconds": int(entry.urgency.waited.total_seconds()),
        "sla_breached": entry.urgency.breached,
    }


def hits_json(hits: Iterable[tuple[str, str, float]]) -> list[dict[str, Any]]:
    return [{"kind": kind, "what": what, "valence": valence} for kind, what, valence in hits]


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    """VADER's side of an explanation (the domain layer's hits are `explanation`)."""
    return {
        "vader_hits": [{"word": w, "valence": v} for w, v in explanation.vader_hits],
        "deciding_sentence": explanation.deciding,
        "inbox_check": explanation.inbox_check or None,
        "sentences": [
            {"sentence": s.sentence, "vader_compound": s.vader, "compound": s.compound}
            for s in explanation.sentences
        ],
    }


def classification_json(
    text: str, verdict: Classification, explanation: Explanation | None = None
) -> dict[str, Any]:
    return {
        "text": text,
        "sentiment": {
            "compound": verdict.compound,
            "label": verdict.label.value,
            "vader_compound": verdict.vader_compound,
        },
        "spam": verdict.spam,
        "spam_signals": list(verdict.spam_signals),
        "question": verdict.question,
        "explanation": hits_json(verdict.hits),
        "snippet": verdict.snippet,
        **(explanation_json(explanation) if explanation else {}),
    }


def label_scores_json(evaluation: LabelEvaluation) -> dict[str, Any]:
    def scores(s: ClassScores) -> dict[str, Any]:
        return {
            "precision": s.precision,
            "recall": s.recall,
            "f1": s.f1,
            "predicted": s.predicted,
        }

    return {
        "labels": evaluation.labels,
        "accuracy": {"mentionwatch": evaluation.accuracy, "vader": evaluation.vader_accuracy},
        "classes": [
            {
                "label": ours.label,
                "support": ours.support,
                "mentionwatch": scores(ours),
                "vader": scores(vader),
            }
            for ours, vader in zip(evaluation.ours, evaluation.vader, strict=True)
        ],
    }


def rescore_json(report: RescoreReport) -> dict[str, Any]:
    return {
        "mentions": report.mentions,
        "changed": report.changed,
        "label_changes": report.label_changes,
        "spam_changes": report.spam_changes,
        "question_changes": report.question_changes,
        "seconds": report.seconds,
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
        "moved_to": report.moved_to,
        "paused": report.paused,
        "next_check_at": iso(report.next_check_at),
    }


def scan_report_json(report: ScanReport) -> dict[str, Any]:
    return {
        "started_at": iso(report.started_at),
        "finished_at": iso(report.finished_at),
        "new": report.new,
        "updated": report.updated,
        "failed": len(report.failed),
        "sources": [source_report_json(s) for s in report.sources],
        "silent": [
            {"name": name, "seconds": int(quiet.total_seconds())} for name, quiet in report.silent
        ],
        "threads": {
            "checked": report.threads.checked,
            "answered": report.threads.answered,
            "errors": report.threads.errors,
        },
        "alerts": {
            "alerted": report.alerts.alerted,
            "messages": report.alerts.messages,
            "held": report.alerts.held,
            "errors": report.alerts.errors,
        },
    }


def source_overview_json(row: SourceOverview) -> dict[str, Any]:
    state = row.state
    return {
        "name": row.name,
        "kind": row.kind,
        "configured": row.config is not None,
        "interval": format_duration(row.config.interval) if row.config else None,
        "enabled": row.config.enabled if row.config else None,
        "last_attempt_at": iso(state.last_attempt_at),
        "last_success_at": iso(state.last_success_at),
        "last_error": state.last_error,
        "consecutive_errors": state.consecutive_errors,
        "mentions_stored": state.mentions_stored,
        "last_new_at": iso(state.last_new_at),
        "next_check_at": iso(state.next_check_at),
        "paused": state.paused_at is not None,
        "paused_at": iso(state.paused_at),
        "paused_reason": state.paused_reason,
        "moved_to": state.moved_to,
        "silent": row.silent_for is not None,
        "silent_seconds": int(row.silent_for.total_seconds()) if row.silent_for else None,
        "recent_outcomes": [outcome.value for outcome in row.history],
        "last_scan": source_report_json(row.last_scan) if row.last_scan else None,
    }


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """JSON that is safe to print: control and format characters inside strings (ESC, C1,
    U+202E...) are written as \\uXXXX escapes, which JSON parsers read back unchanged, so the
    data stays exact and a terminal never sees the raw character. Other text stays readable.
    """
    encoded = json.dumps(value, indent=indent, ensure_ascii=False)
    # json.dumps already escapes C0 controls; DEL, C1 and format characters are left raw.
    if encoded.isascii() and "\x7f" not in encoded:
        return encoded
    return "".join(_json_escape(ch) if is_unsafe_char(ch) else ch for ch in encoded)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a UTF-16 surrogate pair, as JSON requires
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def write_json(value: Any, out: TextIO) -> None:
    out.write(json_text(value))
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
    "assignee",
    "url",
    "question",
    "spam",
    "spam_signals",
    "human_label",
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
                "question": str(m.question).lower(),
                "spam": str(m.effective_spam).lower(),
                "spam_signals": _csv_safe("; ".join(m.spam_signals)),
                "human_label": m.human_label.value if m.human_label else "",
                "assignee": _csv_safe(m.assignee or ""),
            }
        )


def _csv_safe(value: str, *, single_line: bool = True) -> str:
    """Untrusted text for a CSV cell: no terminal controls, and no spreadsheet formula.
    Without `single_line`, line breaks and tabs are kept (the csv module quotes them)."""
    value = safe(value, single_line=single_line)
    # A cell starting with = + - @ is run as a formula by spreadsheets, and so is one whose
    # leading tab or carriage return a spreadsheet skips first: defuse it.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _share(count: int, of: int, percent: float | None) -> dict[str, Any]:
    return {"count": count, "of": of, "percent": None if percent is None else round(percent, 1)}


def stats_row_json(row: StatsRow) -> dict[str, Any]:
    """One group's figures (or the whole period's), each with its denominator."""
    return {
        "mentions": {
            "total": row.mentions,
            "negative": row.negative,
            "neutral": row.neutral,
            "positive": row.positive,
            "spam": row.spam,
        },
        "share_negative": _share(row.negative, row.mentions, row.share_negative),
        "negative_answered": _share(
            row.negative_answered, row.negative, row.negative_response_rate
        ),
        "questions_answered": _share(
            row.questions_answered, row.questions, row.question_response_rate
        ),
        "response_time": {
            "answered": row.answered,
            "timed": row.timed,
            "median_seconds": row.median_response_s,
            "p90_seconds": row.p90_response_s,
        },
        "answered_late": _share(row.answered_late, row.timed, row.late_rate),
        "open_past_sla": _share(row.open_past_sla, row.open_needing_answer, row.open_past_sla_rate),
    }


def stats_json(stats: Stats) -> dict[str, Any]:
    return {
        "period": {
            "start": iso(stats.start),
            "end": iso(stats.end),
            "since": format_duration(stats.since),
        },
        "sla_seconds": int(stats.sla.total_seconds()),
        "by": stats.by.value,
        "empty": stats.empty,
        **stats_row_json(stats.total),
        "groups": [{"key": row.key, **stats_row_json(row)} for row in stats.groups],
        "responders": [
            {
                "responder": row.key or None,
                "answers": row.answered,
                "median_seconds": row.median_response_s,
                "p90_seconds": row.p90_response_s,
                "answered_late": _share(row.answered_late, row.timed, row.late_rate),
            }
            for row in stats.responders
        ],
        "trend": [
            {
                "day": row.key,
                "negative": row.negative,
                "neutral": row.neutral,
                "positive": row.positive,
                "spam": row.spam,
            }
            for row in stats.trend
        ],
    }


def advocate_json(advocate: Advocate) -> dict[str, Any]:
    return {
        "author": advocate.author,
        "kind": advocate.kind,
        "posts": advocate.posts,
        "reach": advocate.reach,
        "latest": {
            "id": advocate.latest_id,
            "source": advocate.latest_source,
            "created_at": iso(advocate.latest_at),
            "snippet": advocate.latest_snippet,
            "url": advocate.latest_url,
        },
    }


# --- mentionwatch export / search / prune ---------------------------------------------------


def export_record(mention: StoredMention) -> dict[str, Any]:
    """Every field of a stored mention, flat: one row of `mentionwatch export`, the same
    fields in CSV, JSON and JSON Lines (see the README's Export section)."""
    m = mention
    return {
        "id": m.id,
        "source": m.source,
        "kind": m.kind,
        "native_id": m.native_id,
        "url": m.url,
        "author": m.author,
        "title": m.title,
        "text": m.text,
        "created_at": iso(m.created_at),
        "fetched_at": iso(m.fetched_at),
        "matched_term": m.matched_term,
        "compound": m.compound,
        "vader_compound": m.vader_compound,
        "label": m.label.value,
        "human_label": m.human_label.value if m.human_label else None,
        "effective_label": m.effective_label.value,
        "snippet": m.snippet,
        "question": m.question,
        "spam": m.effective_spam,
        "classifier_spam": m.spam,
        "spam_mark": m.spam_mark,
        "spam_signals": list(m.spam_signals),
        "explanation": hits_json(m.explanation),
        "status": m.status.value,
        "status_changed_at": iso(m.status_changed_at),
        "marked_by": m.marked_by,
        "answered_at": iso(m.answered_at),
        "answered_by": m.answered_by,
        "answered_url": m.answered_url,
        "first_response_seconds": m.first_response_s,
        "reopened_at": iso(m.reopened_at),
        "assignee": m.assignee,
        "reach": m.reach,
        "thread_ref": m.thread_ref,
        "thread_checked_at": iso(m.thread_checked_at),
    }


#: The columns of `export --format csv`, in order: the keys of `export_record`.
EXPORT_FIELDS = [
    "id", "source", "kind", "native_id", "url", "author", "title", "text", "created_at",
    "fetched_at", "matched_term", "compound", "vader_compound", "label", "human_label",
    "effective_label", "snippet", "question", "spam", "classifier_spam", "spam_mark",
    "spam_signals", "explanation", "status", "status_changed_at", "marked_by", "answered_at",
    "answered_by", "answered_url", "first_response_seconds", "reopened_at", "assignee", "reach",
    "thread_ref", "thread_checked_at",
]  # fmt: skip


def _export_cell(value: Any) -> Any:
    """One CSV cell: numbers as they are, booleans as true / false, None as an empty cell,
    lists as JSON, and every text defused (controls removed, formulas quoted)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value  # a negative score is a number, not a formula: never prefixed
    if isinstance(value, list):
        value = json_text(value, indent=None)
    return _csv_safe(str(value), single_line=False)


def write_export_csv(mentions: Iterable[StoredMention], out: TextIO) -> None:
    """A header row, then one row per mention, written as each arrives: nothing is kept."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for mention in mentions:
        writer.writerow([_export_cell(value) for value in export_record(mention).values()])


def write_export_json(mentions: Iterable[StoredMention], out: TextIO) -> None:
    """One JSON array, one mention per line, written as each arrives; `[]` when empty."""
    separator = "[\n"
    for mention in mentions:
        out.write(separator)
        out.write(json_text(export_record(mention), indent=None))
        separator = ",\n"
    out.write("[]\n" if separator == "[\n" else "\n]\n")


def write_export_jsonl(mentions: Iterable[StoredMention], out: TextIO) -> None:
    """JSON Lines: one JSON object per mention per line; nothing at all when empty."""
    for mention in mentions:
        out.write(json_text(export_record(mention), indent=None))
        out.write("\n")


def search_hit_json(hit: SearchHit) -> dict[str, Any]:
    """A mention as `inbox --json` gives it, with its relevance and the excerpt around the
    match (`excerpt_matches`: [start, end) character offsets of each match in `excerpt`)."""
    excerpt, matches = "", []
    for piece, matched in hit.excerpt:
        if matched:
            matches.append([len(excerpt), len(excerpt) + len(piece)])
        excerpt += piece
    return {
        **mention_json(hit.mention),
        "relevance": round(hit.relevance, 6) + 0.0,  # + 0.0: never -0.0
        "excerpt": excerpt,
        "excerpt_matches": matches,
    }


def prune_json(report: PruneReport, sizes: tuple[int, int] | None = None) -> dict[str, Any]:
    """What `prune` removed per status (every status, 0 included), and the database size
    before and after `--vacuum`, if it ran."""
    removed = dict(report.removed)
    return {
        "cutoff": iso(report.cutoff),
        "dry_run": report.dry_run,
        "removed": {status.value: removed.get(status, 0) for status in MentionStatus},
        "total": report.total,
        "spam": report.spam,
        "kept_open": report.kept_open,
        "kept_newest": report.kept_newest,
        "vacuum": None if sizes is None else {"bytes_before": sizes[0], "bytes_after": sizes[1]},
    }
