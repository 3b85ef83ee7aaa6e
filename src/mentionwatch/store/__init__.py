"""SQLite storage. All SQL lives in this package."""

from mentionwatch.store.queries import Store

__all__ = ["Store"]
