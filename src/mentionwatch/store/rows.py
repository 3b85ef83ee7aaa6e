"""How a `mentions` row becomes a `StoredMention`, shared by every part of the store."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence

from mentionwatch.models import MentionStatus, SentimentLabel, StoredMention
from mentionwatch.store.db import from_db_time

#: Every column `row_to_mention` reads, in one place so a SELECT cannot miss one.
MENTION_COLUMNS = """
    id, source, kind, native_id, url, author, title, text, created_at, fetched_at, matched_term,
    compound, label, snippet, status, answered_at, answered_by, status_changed_at, reach,
    thread_ref, answered_url, marked_by, first_response_s, thread_checked_at, reopened_at,
    vader_compound, question, spam, spam_signals, spam_mark, human_label, explanation, assignee
"""
#: What the inbox reads: a person's marks win over the classifier. Written exactly as in the
#: indexes of `migrations.add_triage`, so SQLite uses them.
EFFECTIVE_SPAM = "coalesce(spam_mark, spam)"
EFFECTIVE_LABEL = "coalesce(human_label, label)"


# The JSON columns are written and compared for every mention a scan stores or a rescore
# reads, and most hold an empty list: that one is spelled out rather than encoded each time.


def hits_json(hits: Sequence[tuple[str, str, float]]) -> str:
    """`json.dumps([{"kind": k, "what": w, "valence": v} for k, w, v in hits])`, the same
    text without building the dicts (half the cost; tests/test_store_rows.py compares them):
    json's own string encoder, and `repr` for the valence as `json.dumps` writes a float."""
    if not hits:
        return "[]"
    return (
        "["
        + ", ".join([_HIT_JSON % (_quoted(k), _quoted(w), _number(v)) for k, w, v in hits])
        + "]"
    )


_HIT_JSON = '{"kind": %s, "what": %s, "valence": %s}'
_quoted = json.encoder.encode_basestring_ascii  # what `json.dumps` uses (ensure_ascii)


def _number(value: float) -> str:
    """A valence as `json.dumps` writes it (a finite float's `repr`; anything else its way)."""
    if isinstance(value, float) and math.isfinite(value):
        return float.__repr__(value)
    return json.dumps(value)


def hits_from_json(value: str | None) -> tuple[tuple[str, str, float], ...]:
    if not value:
        return ()
    return tuple((h["kind"], h["what"], float(h["valence"])) for h in json.loads(value))


def signals_json(signals: Sequence[str]) -> str:
    return json.dumps(list(signals)) if signals else "[]"


def signals_from_json(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value and value != "[]" else ()


def row_to_mention(row: sqlite3.Row) -> StoredMention:
    return StoredMention(
        id=row["id"],
        source=row["source"],
        kind=row["kind"],
        native_id=row["native_id"],
        url=row["url"],
        author=row["author"],
        title=row["title"],
        text=row["text"],
        created_at=from_db_time(row["created_at"]),  # type: ignore[arg-type]
        fetched_at=from_db_time(row["fetched_at"]),  # type: ignore[arg-type]
        matched_term=row["matched_term"],
        compound=row["compound"],
        label=SentimentLabel(row["label"]),
        snippet=row["snippet"],
        status=MentionStatus(row["status"]),
        answered_at=from_db_time(row["answered_at"]),
        answered_by=row["answered_by"],
        status_changed_at=from_db_time(row["status_changed_at"]),
        reach=row["reach"],
        thread_ref=row["thread_ref"],
        answered_url=row["answered_url"],
        marked_by=row["marked_by"],
        first_response_s=row["first_response_s"],
        thread_checked_at=from_db_time(row["thread_checked_at"]),
        reopened_at=from_db_time(row["reopened_at"]),
        vader_compound=row["vader_compound"],
        question=bool(row["question"]),
        spam=bool(row["spam"]),
        spam_signals=signals_from_json(row["spam_signals"]),
        spam_mark=None if row["spam_mark"] is None else bool(row["spam_mark"]),
        human_label=SentimentLabel(row["human_label"]) if row["human_label"] else None,
        explanation=hits_from_json(row["explanation"]),
        assignee=row["assignee"],
    )
