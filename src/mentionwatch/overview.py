"""Source health for `mentionwatch sources`: config, stored state and the last scan, joined."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mentionwatch.config import Config, SourceConfig
from mentionwatch.models import SourceOutcome, SourceReport, SourceState
from mentionwatch.store import Store


def silent_for(
    state: SourceState, config: SourceConfig | None, default: timedelta, now: datetime
) -> timedelta | None:
    """How long a working source has found nothing new, if that is longer than expected
    (its `silent_after`, else `[scan] silent_after`); None when it is not silent. A source
    that never worked is failing, not silent; a paused or disabled one is not expected to
    find anything."""
    if config is None or not config.enabled or state.paused_at is not None:
        return None
    since = state.last_new_at or state.first_success_at
    if since is None:
        return None
    quiet = now - since
    return quiet if quiet > (config.silent_after or default) else None


@dataclass(frozen=True, slots=True)
class SourceOverview:
    name: str
    kind: str
    #: None for a source that was polled once but is no longer in the config.
    config: SourceConfig | None
    state: SourceState
    last_scan: SourceReport | None
    #: Set when the source has found nothing new for longer than expected.
    silent_for: timedelta | None = None
    #: The outcomes of its last polls, oldest first.
    history: list[SourceOutcome] = field(default_factory=list)


def source_overview(store: Store, config: Config | None, now: datetime) -> list[SourceOverview]:
    """Configured sources in config order, then sources known only to the database."""
    states = {state.name: state for state in store.source_states()}
    last = store.last_source_reports()
    history = store.recent_outcomes()
    configured = list(config.sources) if config else []
    default = config.scan.silent_after if config else timedelta(days=7)

    def row(name: str, kind: str, source: SourceConfig | None) -> SourceOverview:
        state = states.get(name) or SourceState(name, kind)
        return SourceOverview(
            name,
            kind,
            source,
            state,
            last.get(name),
            silent_for(state, source, default, now),
            history.get(name, []),
        )

    named = {source.name for source in configured}
    return [row(s.name, s.kind, s) for s in configured] + [
        row(name, state.kind, None) for name, state in sorted(states.items()) if name not in named
    ]
