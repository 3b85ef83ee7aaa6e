"""The source registry: `kind` -> `Source` class.

Built-in sources register through the `mentionwatch.sources` entry-point group in
`pyproject.toml`, exactly as a third-party plug-in does in its own package. `register_source`
is the same door for code that is not an installed package (a script, a test).
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mentionwatch.sources.base import Source

ENTRY_POINT_GROUP = "mentionwatch.sources"

_registered: dict[str, type[Source]] = {}


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def register_source(cls: type[Source]) -> type[Source]:
    """Register a Source class under its `kind` (usable as a class decorator)."""
    _registered[cls.kind] = cls
    return cls


def available_kinds() -> list[str]:
    return sorted(set(_entry_points()) | set(_registered))


def source_class(kind: str) -> type[Source]:
    """The class registered for `kind`. Raises `KeyError` for an unknown kind."""
    if kind in _registered:
        return _registered[kind]
    return _load_entry_point(kind)


@functools.cache
def _load_entry_point(kind: str) -> type[Source]:
    from mentionwatch.sources.base import Source

    cls = _entry_points()[kind].load()
    if not (isinstance(cls, type) and issubclass(cls, Source)):
        raise TypeError(f"entry point {kind!r} does not name a mentionwatch Source class")
    return cls
