"""The source registry: `kind` -> `Source` class.

Built-in sources register through the `mentionwatch.sources` entry-point group in
`pyproject.toml`, exactly as a third-party plug-in would in its own package.
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mentionwatch.sources.base import Source

ENTRY_POINT_GROUP = "mentionwatch.sources"


@functools.cache
def _entry_points() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_kinds() -> list[str]:
    return sorted(_entry_points())


@functools.cache
def source_class(kind: str) -> type[Source]:
    """The class registered for `kind`. Raises `KeyError` for an unknown kind."""
    from mentionwatch.sources.base import Source

    entry_point = _entry_points()[kind]
    cls = entry_point.load()  # type: ignore[attr-defined]
    if not (isinstance(cls, type) and issubclass(cls, Source)):
        raise TypeError(f"entry point {kind!r} does not name a mentionwatch Source class")
    return cls
