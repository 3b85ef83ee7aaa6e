"""The one small interface every source implements, built-in or plug-in."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from mentionwatch.errors import SourceError

if TYPE_CHECKING:
    from mentionwatch.config import BrandConfig, SourceConfig
    from mentionwatch.http import HttpFetcher
    from mentionwatch.models import Reply, SearchResult, SourceState


class Source(ABC):
    """Turns one platform's HTTP responses into `Mention`s and `Reply`s. Never writes to the
    database and never decides what a reply means: the scan does that.

    A subclass sets `kind` (the `kind` in the config) and `Settings`, a frozen dataclass of its
    own config keys; the config loader validates `[[sources]]` tables against it. Secrets are
    never in `Settings`: only the names of the environment variables or files that hold them
    (`token_env`, `token_file`), read with `self.secret(...)` when needed.
    """

    kind: ClassVar[str]
    Settings: ClassVar[type[Any]]
    #: True when `replies` can read the thread under a post (the scan then checks threads).
    has_threads: ClassVar[bool] = False

    def __init__(
        self, config: SourceConfig, brand: BrandConfig, environ: Mapping[str, str]
    ) -> None:
        self.config = config
        self.brand = brand
        self.environ = environ
        #: Every secret this source has read, so `scrub` can keep them out of any message.
        self._secrets: set[str] = set()

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def settings(self) -> Any:
        return self.config.settings

    @abstractmethod
    async def search(self, http: HttpFetcher, state: SourceState) -> SearchResult:
        """Fetch what is new since `state` (its cursor and cache validators)."""

    async def replies(
        self, http: HttpFetcher, thread_refs: Sequence[str]
    ) -> dict[str, list[Reply]]:
        """Every reply, at any depth, under each thread. Batch where the API allows.

        The default reads the threads side by side with `thread_replies` (the HttpFetcher
        bounds how many requests are in flight). A thread that cannot be read (deleted,
        private) maps to an empty list; a failure of the source as a whole is raised.
        """
        results = await asyncio.gather(
            *(self.thread_replies(http, ref) for ref in thread_refs), return_exceptions=True
        )
        found: dict[str, list[Reply]] = {}
        for ref, result in zip(thread_refs, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            found[ref] = result
        return found

    async def thread_replies(self, http: HttpFetcher, thread_ref: str) -> list[Reply]:
        raise NotImplementedError(f"the {self.kind} source has no threads")

    async def check(self, http: HttpFetcher) -> str:
        """One real request, for `mentionwatch sources test`: a one-line description of what
        came back, or a `SourceError` saying what to do."""
        from mentionwatch.models import SourceState

        result = await self.search(http, SourceState(self.name, self.kind))
        return f"works: {result.items_seen} item(s) in the latest results"

    def scrub(self, text: str) -> str:
        """`text` with every secret this source read masked, as written and as a URL would
        encode it: a server may echo a request, key and all, into its error message."""
        from urllib.parse import quote, quote_plus

        for secret in self._secrets:
            for form in {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}:
                text = text.replace(form, "***")
        return text

    def secret(self, key: str, *, required: bool = True) -> str | None:
        """Read the secret named by the settings' `<key>_env` / `<key>_file`, never logged."""
        from mentionwatch.config import read_secret

        env_name = getattr(self.settings, f"{key}_env", None)
        file_name = getattr(self.settings, f"{key}_file", None)
        value = read_secret(env_name, file_name, self.environ)
        if value:
            self._secrets.add(value)
        if value is None and required:
            where = f"${env_name}" if env_name else (file_name or f"{key}_env")
            raise SourceError(
                f"missing credential: set {where} (see the [[sources]] entry '{self.name}'"
                f" in the config for where to get it)"
            )
        return value
