"""The one HTTP client every source uses: identity, timeouts, a deadline and a size cap.

httpx's timeouts apply to each network operation, so a server that drips one byte every few
seconds could hold a request forever; `HttpFetcher.get` therefore also enforces an overall
deadline. The size cap counts bytes *after* decompression, so a small gzip body cannot inflate
into gigabytes in memory.
"""

from __future__ import annotations

import asyncio
import json as json_module
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from mentionwatch import __version__
from mentionwatch.config import HttpConfig
from mentionwatch.errors import SourceError

if TYPE_CHECKING:
    import httpx

#: How much of an error response's body is kept for the source to read.
ERROR_BODY_BYTES = 16_384

DEFAULT_USER_AGENT = f"mentionwatch/{__version__} (brand-mention monitor)"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status_code: int
    #: The final URL, after redirects.
    url: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304


class HttpFetcher:
    """An `httpx.AsyncClient` with mentionwatch's policies. Use as an async context manager."""

    def __init__(self, settings: HttpConfig) -> None:
        import httpx

        self.settings = settings
        seconds = settings.timeout.total_seconds()
        self._client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent or DEFAULT_USER_AGENT},
            timeout=httpx.Timeout(seconds, connect=min(seconds, 10.0)),
            follow_redirects=True,
            max_redirects=5,
            limits=httpx.Limits(max_connections=settings.concurrency),
        )
        self._slots = asyncio.Semaphore(settings.concurrency)

    async def __aenter__(self) -> HttpFetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> HttpResponse:
        """GET `url`. Returns 2xx and 304 responses; raises `SourceError` for anything else."""
        request_headers = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        return await self.request("GET", url, params=params, headers=request_headers)

    async def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET a JSON API. An HTML error page or invalid JSON is a clear `SourceError`."""
        merged = {"Accept": "application/json", **(headers or {})}
        return decode_json(await self.request("GET", url, params=params, headers=merged))

    async def post_json(
        self,
        url: str,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        merged = {"Accept": "application/json", **(headers or {})}
        return decode_json(await self.request("POST", url, json=payload, headers=merged))

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """One request under the deadline and the size cap. 2xx and 304 return; else raises.

        `json` sends a JSON body; `form` an application/x-www-form-urlencoded one (OAuth token
        endpoints), so nothing that matters travels in the URL.
        """
        deadline = self.settings.deadline.total_seconds()
        async with self._slots:
            try:
                return await asyncio.wait_for(
                    self._send(method, url, params, dict(headers or {}), json, form),
                    timeout=deadline,
                )
            except asyncio.TimeoutError:
                raise SourceError(
                    f"no complete response from {redact(url)} within {deadline:g}s"
                ) from None

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        headers: dict[str, str],
        json: Mapping[str, Any] | None,
        form: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        import httpx

        shown = redact(url)
        try:
            async with self._client.stream(
                method, url, params=params, headers=headers, json=json, data=form
            ) as resp:
                if resp.status_code == 304:
                    return HttpResponse(304, str(resp.url), dict(resp.headers), b"")
                if resp.status_code >= 400 or resp.status_code < 200:
                    where = redact(str(resp.url))
                    raise SourceError(
                        f"HTTP {resp.status_code} {resp.reason_phrase} from {where}",
                        http_status=resp.status_code,
                        retry_after=resp.headers.get("retry-after"),
                        headers=dict(resp.headers),
                        body=await self._read_error_body(resp),
                    )
                body = await self._read_capped(resp)
                return HttpResponse(resp.status_code, str(resp.url), dict(resp.headers), body)
        except httpx.TooManyRedirects:
            raise SourceError(f"too many redirects from {shown}") from None
        except httpx.TimeoutException:
            raise SourceError(f"timed out waiting for {shown}") from None
        except httpx.DecodingError as exc:
            raise SourceError(f"cannot decode the response from {shown}: {exc}") from None
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise SourceError(f"cannot reach {shown}: {reason}") from None

    @staticmethod
    async def _read_error_body(response: httpx.Response) -> bytes:
        """The start of an error response: APIs explain themselves there (a JSON error)."""
        body = bytearray()
        try:
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= ERROR_BODY_BYTES:
                    break
        except Exception:  # the error status is what matters; its body is a bonus
            pass
        return bytes(body[:ERROR_BODY_BYTES])

    async def _read_capped(self, response: httpx.Response) -> bytes:
        cap = self.settings.max_body_bytes
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > cap:
                raise SourceError(
                    f"response from {redact(str(response.url))} is larger than {cap:,} bytes"
                    " (after decompression); raise [http] max_body_bytes if it is genuine",
                    http_status=response.status_code,
                )
        return bytes(body)


def redact(url: str) -> str:
    """The URL without its query string or user info: those can carry API keys and tokens,
    and error messages end up in terminals, logs and the database."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def decode_json(response: HttpResponse) -> Any:
    """The body as JSON, or a `SourceError` that says what came back instead."""
    content_type = response.headers.get("content-type", "")
    head = response.content[:512].lstrip().lower()
    if "html" in content_type or head.startswith((b"<!doctype", b"<html")):
        raise SourceError(
            f"expected JSON from {redact(response.url)} but got an HTML page"
            " (an error, login or block page?)",
            http_status=response.status_code,
        )
    try:
        return json_module.loads(response.content)
    except ValueError as exc:
        raise SourceError(
            f"invalid JSON from {redact(response.url)}: {exc}", http_status=response.status_code
        ) from None
