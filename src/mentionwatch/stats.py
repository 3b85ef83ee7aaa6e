"""`mentionwatch stats` and `mentionwatch advocates` as values. No SQL here: every figure is
computed by the store's named queries (`Store.period_stats`, `Store.advocates`); this module
only chooses the period and fills the days of the trend that had no mention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from mentionwatch.classify.handles import is_brand_handle
from mentionwatch.config import BrandConfig
from mentionwatch.models import Advocate, StatsRow
from mentionwatch.store import Store


class StatsBy(str, Enum):
    SOURCE = "source"
    RESPONDER = "responder"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Stats:
    start: datetime
    end: datetime
    since: timedelta
    sla: timedelta
    by: StatsBy
    #: The whole period (`key` "").
    total: StatsRow
    #: One row per source, responder (only those with answers) or day, as `by` asks.
    groups: list[StatsRow]
    #: Answers per responder ("" when nobody is recorded), most answers first.
    responders: list[StatsRow]
    #: One row per UTC day of the period, oldest first, days without a mention included.
    trend: list[StatsRow]

    @property
    def empty(self) -> bool:
        return self.total.mentions == 0 and self.total.spam == 0


def build_stats(
    store: Store, *, sla: timedelta, now: datetime, since: timedelta, by: StatsBy
) -> Stats:
    """The figures of the mentions posted in the `since` before `now`, against `sla`."""
    start = now - since
    sla_s = int(sla.total_seconds())
    figures = store.period_stats(
        start, now, sla_s=sla_s, groupings=list(dict.fromkeys((None, "day", "responder", by.value)))
    )
    total = figures[None]
    days = {row.key: row for row in figures["day"]}
    responders = figures["responder"]
    groups = figures[by.value]
    trend = []
    day = start.date()
    while day <= now.date():
        trend.append(days.get(day.isoformat(), StatsRow(key=day.isoformat())))
        day += timedelta(days=1)
    return Stats(
        start=start,
        end=now,
        since=since,
        sla=sla,
        by=by,
        total=total[0] if total else StatsRow(),
        groups=groups,
        responders=responders,
        trend=trend,
    )


def find_advocates(
    store: Store,
    brand: BrandConfig | None,
    *,
    now: datetime,
    since: timedelta,
    min_posts: int,
    limit: int | None = None,
) -> list[Advocate]:
    """Authors who repeatedly posted positively since `now - since`, most valuable first.

    Posts stored as the brand's own are excluded by the store; an author matching
    `brand.handles` now (a handle added after their posts were stored) is dropped here too."""
    found = store.advocates(now - since, min_posts=min_posts)
    if brand is not None:
        found = [a for a in found if not is_brand_handle(a.author, brand.handles_for(a.kind))]
    return found[:limit] if limit is not None else found
