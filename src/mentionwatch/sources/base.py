"""The one small interface every source implements, built-in or plug-in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from mentionwatch.config import BrandConfig, SourceConfig
    from mentionwatch.http import HttpFetcher
    from mentionwatch.models import SearchResult, SourceState


class Source(ABC):
    """Turns one platform's HTTP responses into `Mention`s. Never writes to the database.

    A subclass sets `kind` (the `kind` in the config) and `Settings`, a frozen dataclass of its
    own config keys; the config loader validates `[[sources]]` tables against it.
    """

    kind: ClassVar[str]
    Settings: ClassVar[type[Any]]

    def __init__(self, config: SourceConfig, brand: BrandConfig) -> None:
        self.config = config
        self.brand = brand

    @property
    def name(self) -> str:
        return self.config.name

    @abstractmethod
    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        """Fetch what is new since `state` (its cursor and cache validators)."""
