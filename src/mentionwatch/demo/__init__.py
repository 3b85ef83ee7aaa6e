"""`mentionwatch demo`: the real pipeline, offline, on a bundled sample brand."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mentionwatch.config import Config, parse_config
from mentionwatch.models import ScanReport
from mentionwatch.store import Store


def demo_config(
    dataset: Mapping[str, Any], sources: list[dict[str, object]], database: Path
) -> Config:
    """The config a user of the demo brand would write, pointing at the loopback server."""
    raw = {"brand": dataset["brand"], "sources": sources}
    return parse_config(raw, database.parent / "demo-config.toml")


@contextmanager
def run_demo(database: Path | None = None) -> Iterator[tuple[Config, Store, ScanReport]]:
    """Serve the demo platforms and feeds, scan them into `database` (a temporary one by
    default) with the real scan code, thread checks included."""
    from mentionwatch.demo.platforms import DEMO_ENVIRON
    from mentionwatch.demo.server import load_dataset, serve_demo
    from mentionwatch.scan import run_scan

    dataset = load_dataset()
    with tempfile.TemporaryDirectory(prefix="mentionwatch-demo-") as scratch:
        path = database or Path(scratch) / "demo.db"
        with serve_demo(dataset) as site:
            config = demo_config(dataset, site.sources, path)
            with Store.open(path) as store:
                report = run_scan(config, store, force=True, environ=DEMO_ENVIRON)
                yield config, store, report
