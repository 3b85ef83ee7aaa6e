"""`mentionwatch demo`: the real pipeline, offline, on a bundled sample brand."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mentionwatch.config import Config, parse_config
from mentionwatch.models import ScanReport
from mentionwatch.store import Store


def demo_config(dataset: dict[str, object], base_url: str, database: Path) -> Config:
    """The config a user of the demo brand would write, pointing at the loopback server."""
    raw = {
        "brand": dataset["brand"],
        "sources": [
            {
                "name": feed["name"],
                "kind": "rss",
                "url": f"{base_url}/feeds/{feed['name']}.xml",
                "interval": "15m",
            }
            for feed in dataset["feeds"]  # type: ignore[attr-defined]
        ],
    }
    return parse_config(raw, database.parent / "demo-config.toml")


@contextmanager
def run_demo(database: Path | None = None) -> Iterator[tuple[Config, Store, ScanReport]]:
    """Serve the demo feeds, scan them into `database` (a temporary one by default)."""
    from mentionwatch.demo.server import load_dataset, serve_demo_feeds
    from mentionwatch.scan import run_scan

    dataset = load_dataset()
    with tempfile.TemporaryDirectory(prefix="mentionwatch-demo-") as scratch:
        path = database or Path(scratch) / "demo.db"
        with serve_demo_feeds(dataset) as base_url:
            config = demo_config(dataset, base_url, path)
            with Store.open(path) as store:
                report = run_scan(config, store, force=True)
                yield config, store, report
