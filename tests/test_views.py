"""Views: JSON that is safe to print, and plain piped output."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

from mentionwatch.models import ScanReport, SourceOutcome, SourceReport
from mentionwatch.views.export import json_text
from mentionwatch.views.terminal import make_console, scan_table


def test_json_escapes_control_and_format_characters_but_keeps_the_data_exact() -> None:
    value = {"title": "a\x1b[2Jb \x9b31m \u202eevil\u202c \U000e0041 café 😡"}
    printed = json_text(value)
    for raw in ("\x1b", "\x9b", "\u202e", "\u202c", "\U000e0041"):
        assert raw not in printed
    assert "\\u009b" in printed and "\\u202e" in printed and "\\udb40\\udc41" in printed
    assert "café 😡" in printed  # ordinary text stays readable
    assert json.loads(printed) == value


def test_piped_output_has_no_trailing_padding_and_no_colour() -> None:
    out = io.StringIO()
    console = make_console(out)
    now = datetime(2026, 11, 20, tzinfo=timezone.utc)
    report = ScanReport(
        now,
        now,
        [
            SourceReport("alerts", "rss", SourceOutcome.OK, 200, 3, 2, 2, 0),
            SourceReport("a-much-longer-source-name", "rss", SourceOutcome.ERROR, error="HTTP 500"),
        ],
    )
    console.print(scan_table(console, report))
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert all(line == line.rstrip() for line in lines)
    assert lines[0] == "Scan"  # the title is not centred across a wide page
    assert "\x1b" not in out.getvalue()


def test_eval_table_shows_a_dash_where_a_score_has_no_denominator() -> None:
    from mentionwatch.evaluate import LabelEvaluation, class_scores
    from mentionwatch.views.terminal import eval_table

    pairs = [("negative", "positive")]
    scores = [class_scores(pairs, label) for label in ("negative", "neutral", "positive")]
    out = io.StringIO()
    console = make_console(out)
    console.print(eval_table(console, LabelEvaluation(1, scores, scores, 0.0, 0.0)))
    rows = {line.split()[0]: line.split()[1:] for line in out.getvalue().splitlines()[2:]}
    assert rows["neutral"] == ["0", "-", "-", "-", "-", "-", "-"]
    assert rows["negative"][:3] == ["1", "-", "0.000"]  # nothing predicted negative
    assert rows["positive"][:3] == ["0", "0.000", "-"]  # nothing labelled positive
