"""Priority: which open mention to answer first.

    priority = 100 * (0.6 * negativity + 0.4 * sla_pressure)

* `negativity` is `-compound`, clipped to 0..1: a furious post outranks a grumble.
* `sla_pressure` is how much of `brand.sla` the post has waited, saturating at twice the SLA
  (`waited / (2 * sla)`, clipped to 0..1): a complaint ignored for a day outranks a fresh one
  of the same tone, and one past its SLA is flagged as a breach.

The score runs from 0 to 100 and is shown in the inbox so the order is never a mystery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

NEGATIVITY_WEIGHT = 0.6
SLA_WEIGHT = 0.4


@dataclass(frozen=True, slots=True)
class Urgency:
    priority: float
    waited: timedelta
    breached: bool


def urgency(compound: float, waited: timedelta, sla: timedelta) -> Urgency:
    negativity = min(1.0, max(0.0, -compound))
    waited = max(waited, timedelta(0))
    sla_pressure = min(1.0, waited / (2 * sla)) if sla > timedelta(0) else 1.0
    score = 100 * (NEGATIVITY_WEIGHT * negativity + SLA_WEIGHT * sla_pressure)
    return Urgency(priority=round(score, 1), waited=waited, breached=waited > sla)
