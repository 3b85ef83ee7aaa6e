"""Source health for `mentionwatch sources`: config, stored state and the last scan, joined."""

from __future__ import annotations

from dataclasses import dataclass

from mentionwatch.config import Config, SourceConfig
from mentionwatch.models import SourceReport, SourceState
from mentionwatch.store import Store


@dataclass(frozen=True, slots=True)
class SourceOverview:
    name: str
    kind: str
    #: None for a source that was polled once but is no longer in the config.
    config: SourceConfig | None
    state: SourceState
    last_scan: SourceReport | None


def source_overview(store: Store, config: Config | None) -> list[SourceOverview]:
    """Configured sources in config order, then sources known only to the database."""
    states = {state.name: state for state in store.source_states()}
    last = store.last_source_reports()
    configured = list(config.sources) if config else []
    rows = [
        SourceOverview(
            source.name,
            source.kind,
            source,
            states.get(source.name) or SourceState(source.name, source.kind),
            last.get(source.name),
        )
        for source in configured
    ]
    named = {source.name for source in configured}
    rows += [
        SourceOverview(name, state.kind, None, state, last.get(name))
        for name, state in sorted(states.items())
        if name not in named
    ]
    return rows
