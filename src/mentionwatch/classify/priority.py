"""Priority: which open mention to answer first. Pure.

    priority = 100 * (0.5 * need + 0.3 * sla_pressure + 0.2 * reach)

* `need` is how much the post calls for an answer: its negativity (`-compound`, clipped to
  0..1), plus 0.5 when it is a question, capped at 1. A furious post outranks a grumble; a
  neutral question ("@acme how do I export my data?") still needs an answer and scores like a
  fairly negative post, so `inbox --questions` ranks questions sensibly, and a complaint that
  asks something outranks one that only vents.
* `sla_pressure` is how much of `brand.sla` the post has waited, saturating at twice the SLA
  (`waited / (2 * sla)`, clipped to 0..1): a complaint ignored for a day outranks a fresh one
  of the same tone, and one past its SLA is flagged as a breach.
* `reach` is the author's audience or the post's attention (followers, points, score),
  log-scaled and saturating: `log10(1 + reach) / 4`, clipped to 0..1, so 10 is 0.26, 100 is
  0.5, 1,000 is 0.75 and 10,000 or more is 1. Unknown reach (feeds) counts as 0. The log keeps
  one celebrity from drowning every other complaint.

A person's label (`mentionwatch label ID ...`) overrides the classifier here too: a post
labelled negative counts as at least compound -0.5, one labelled neutral or positive as 0
(see `labelled_compound`).

The score runs from 0 to 100 and is shown in the inbox so the order is never a mystery.

Once a post has waited twice the SLA its score no longer changes with time, so the store keeps
that saturated score as a column (`inbox_rank`, computed in SQL by `saturated_rank_sql`, the
same arithmetic in the same order) and the inbox reads the most urgent old posts from an
index instead of scoring every open one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

NEED_WEIGHT = 0.5
SLA_WEIGHT = 0.3
REACH_WEIGHT = 0.2
#: What being a question adds to a post's need for an answer.
QUESTION_NEED = 0.5
#: Reach at which the reach term saturates (log-scaled up to here).
REACH_SATURATION = 10_000


#: Waiting longer than this many SLAs adds nothing more to a post's priority.
SLA_SATURATION = 2


@dataclass(frozen=True, slots=True)
class Urgency:
    #: The score shown, rounded to 0.1.
    priority: float
    waited: timedelta
    breached: bool
    #: The unrounded score: what the inbox sorts by (ties then go to the oldest post).
    score: float = 0.0


def saturated_after(sla: timedelta) -> timedelta:
    """From this wait on, a post's priority no longer grows (see `SLA_SATURATION`)."""
    return max(sla, timedelta(0)) * SLA_SATURATION


def saturated_rank_sql(compound: str, human_label: str, question: str, reach_score: str) -> str:
    """The unrounded score of a post that waited at least `saturated_after(sla)`, as an SQL
    expression over the given columns (`reach_score` holds `reach_factor(reach)`).

    It repeats `urgency` operation for operation, so SQLite's doubles equal Python's and the
    inbox can merge rows ranked by either."""
    labelled = (
        f"(CASE WHEN {human_label} IS NULL THEN {compound}"
        f" WHEN {human_label} = 'negative' THEN min({compound}, -0.5)"
        f" ELSE max({compound}, 0.0) END)"
    )
    negativity = f"min(1.0, max(0.0, -{labelled}))"
    need = f"min(1.0, {negativity} + (CASE WHEN {question} THEN {QUESTION_NEED!r} ELSE 0.0 END))"
    return (
        f"(100 * ({NEED_WEIGHT!r} * {need} + {SLA_WEIGHT!r} * 1.0"
        f" + {REACH_WEIGHT!r} * {reach_score}))"
    )


def reach_factor(reach: int | None) -> float:
    """0..1: log-scaled, saturating at `REACH_SATURATION`; unknown or negative reach is 0."""
    if reach is None or reach <= 0:
        return 0.0
    return min(1.0, math.log10(1 + reach) / math.log10(REACH_SATURATION))


def labelled_compound(compound: float, human_label: str | None) -> float:
    """The compound priority uses, once a person has labelled the post."""
    if human_label is None:
        return compound
    if human_label == "negative":
        return min(compound, -0.5)
    return max(compound, 0.0)


def urgency(
    compound: float,
    waited: timedelta,
    sla: timedelta,
    *,
    reach: int | None = None,
    question: bool = False,
) -> Urgency:
    negativity = min(1.0, max(0.0, -compound))
    need = min(1.0, negativity + (QUESTION_NEED if question else 0.0))
    waited = max(waited, timedelta(0))
    saturation = saturated_after(sla)
    sla_pressure = min(1.0, waited / saturation) if saturation > timedelta(0) else 1.0
    score = 100 * (
        NEED_WEIGHT * need + SLA_WEIGHT * sla_pressure + REACH_WEIGHT * reach_factor(reach)
    )
    return Urgency(priority=round(score, 1), waited=waited, breached=waited > sla, score=score)
