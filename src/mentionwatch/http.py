"""The one HTTP client every source uses: identity, timeouts, a deadline, a size cap, retries,
politeness per host, and reading what servers say about their rate limits.

httpx's timeouts apply to each network operation, so a server that drips one byte every few
seconds could hold a request forever; every request therefore also has an overall deadline.
Bodies are decompressed here, in bounded steps, so the size cap counts bytes *after*
decompression and a small gzip bomb stops at the cap with memory near the cap (httpx's own
decoder would inflate a whole network chunk at once).
"""

from __future__ import annotations

import asyncio
import copy
import json as json_module
import random
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
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
#: A 429 whose Retry-After is at most this many seconds is retried within the run.
SHORT_RETRY_AFTER_S = 5.0

DEFAULT_USER_AGENT = f"mentionwatch/{__version__} (brand-mention monitor)"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status_code: int
    #: The final URL, after redirects.
    url: str
    headers: Mapping[str, str]
    content: bytes
    #: Where a permanent redirect (301/308) pointed: the address to put in the config.
    moved_to: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304


class HttpFetcher:
    """An `httpx.AsyncClient` with mentionwatch's policies. Use as an async context manager.

    `session()` gives each source its own view of the one client: the same connections and
    limits, but its own record of redirects and rate-limit waits, which the scan reads after
    the source's poll to schedule its next one.
    """

    def __init__(self, settings: HttpConfig, *, sleep: Any = None) -> None:
        import httpx

        self.settings = settings
        seconds = settings.timeout.total_seconds()
        self._client = httpx.AsyncClient(
            headers={
                "User-Agent": settings.user_agent or DEFAULT_USER_AGENT,
                # Only what `_Inflater` can decode in bounded steps.
                "Accept-Encoding": "gzip, deflate",
            },
            timeout=httpx.Timeout(seconds, connect=min(seconds, 10.0)),
            follow_redirects=False,  # followed by hand: only to http(s), and reported
            limits=httpx.Limits(max_connections=settings.concurrency),
        )
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._sleep = sleep or asyncio.sleep
        #: The longest wait a server asked of this session (Retry-After, exhausted limits).
        self.wait_s: float | None = None
        #: The first permanent redirect this session followed: (from, to).
        self.moved: tuple[str, str] | None = None

    def session(self) -> HttpFetcher:
        """A view sharing this client and its limits, with its own waits and redirects."""
        view = copy.copy(self)
        view.wait_s = None
        view.moved = None
        return view

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

        Connection errors, timeouts and 5xx are retried `[http] retries` times with
        exponential backoff and jitter, unless a Retry-After asks for more than a short wait;
        a 429 only when it asks for a short wait; other 4xx never. `json` sends a JSON body;
        `form` an application/x-www-form-urlencoded one (OAuth token endpoints), so nothing
        that matters travels in the URL.
        """
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            try:
                return await self._attempt(method, url, params, dict(headers or {}), json, form)
            except SourceError as exc:
                if attempt + 1 >= attempts or not self._worth_retrying(exc):
                    raise
                await self._sleep(self._backoff(attempt, exc))
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _worth_retrying(error: SourceError) -> bool:
        status = error.http_status
        if status is None:
            return error.transient
        wait = retry_after_seconds(error.retry_after)
        if wait is not None and wait > SHORT_RETRY_AFTER_S:
            # A 503 (or 429) that says when to come back: the next scan, not seconds from now.
            return False
        if status == 429:
            return wait is not None
        return status >= 500

    def _backoff(self, attempt: int, error: SourceError) -> float:
        asked = retry_after_seconds(error.retry_after)
        if asked is not None and asked <= SHORT_RETRY_AFTER_S:
            return asked
        base = self.settings.retry_backoff.total_seconds() * (2.0**attempt)
        return base * random.uniform(0.5, 1.5)  # jitter: retries from many clients spread out

    async def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        headers: dict[str, str],
        json: Mapping[str, Any] | None,
        form: Mapping[str, str] | None,
    ) -> HttpResponse:
        deadline = self.settings.deadline.total_seconds()
        host = (urlsplit(url).hostname or "").lower()
        host_slots = self._host_slots.setdefault(host, asyncio.Semaphore(self.settings.per_host))
        async with host_slots, self._slots:
            try:
                return await asyncio.wait_for(
                    self._follow(method, url, params, headers, json, form), timeout=deadline
                )
            except asyncio.TimeoutError:
                raise SourceError(
                    f"no complete response from {redact(url)} within {deadline:g}s",
                    transient=True,
                ) from None

    async def _follow(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        headers: dict[str, str],
        json: Mapping[str, Any] | None,
        form: Mapping[str, str] | None,
    ) -> HttpResponse:
        """Send, following redirects by hand: only to http(s), at most 5, permanent ones
        remembered so the user can be told the new address."""
        moved_to: str | None = None
        for _ in range(6):
            response, location = await self._send(method, url, params, headers, json, form)
            if location is None:
                if moved_to is not None:
                    response = HttpResponse(
                        response.status_code,
                        response.url,
                        response.headers,
                        response.content,
                        moved_to,
                    )
                return response
            target = _resolve(response.url, location)
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                raise SourceError(
                    f"{redact(response.url)} redirects to a non-web address"
                    f" ({urlsplit(target).scheme}:); not followed"
                )
            if response.status_code in (301, 308) and moved_to is None and method == "GET":
                moved_to = target
                if self.moved is None:
                    self.moved = (url, target)
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, json, form = "GET", None, None
            url, params = target, None
        raise SourceError(f"too many redirects from {redact(url)}")

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        headers: dict[str, str],
        json: Mapping[str, Any] | None,
        form: Mapping[str, str] | None,
    ) -> tuple[HttpResponse, str | None]:
        import httpx

        shown = redact(url)
        try:
            async with self._client.stream(
                method, url, params=params, headers=headers, json=json, data=form
            ) as resp:
                final = str(resp.url)
                resp_headers = {k.lower(): v for k, v in resp.headers.items()}
                self._note_wait(resp_headers)
                if resp.status_code in (301, 302, 303, 307, 308) and "location" in resp_headers:
                    return HttpResponse(resp.status_code, final, resp_headers, b""), resp_headers[
                        "location"
                    ]
                if resp.status_code == 304:
                    return HttpResponse(304, final, resp_headers, b""), None
                if resp.status_code >= 400 or resp.status_code < 200:
                    raise SourceError(
                        f"HTTP {resp.status_code} {resp.reason_phrase} from {redact(final)}",
                        http_status=resp.status_code,
                        retry_after=resp_headers.get("retry-after"),
                        headers=resp_headers,
                        body=await _read_body(resp, ERROR_BODY_BYTES, truncate=True),
                    )
                body = await _read_body(resp, self.settings.max_body_bytes)
                return HttpResponse(resp.status_code, final, resp_headers, body), None
        except httpx.TimeoutException:
            raise SourceError(f"timed out waiting for {shown}", transient=True) from None
        except httpx.TransportError as exc:
            # Connection refused or reset, DNS failure, a body cut off mid-way.
            reason = str(exc) or type(exc).__name__
            raise SourceError(f"cannot reach {shown}: {reason}", transient=True) from None

    def _note_wait(self, headers: Mapping[str, str]) -> None:
        wait = rate_limit_wait(headers, datetime.now(timezone.utc))
        if wait is not None and (self.wait_s is None or wait > self.wait_s):
            self.wait_s = wait


def _resolve(base: str, location: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, location)


class _Inflater:
    """Decodes a gzip or deflate body in steps that never produce more than asked for."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._decoder: Any = None

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode `data`, producing at most `limit` (>= 1; zlib reads 0 as "no limit") bytes;
        the rest waits in the decoder."""
        if self.encoding not in ("gzip", "x-gzip", "deflate"):
            return data
        if self._decoder is None:
            if self.encoding == "deflate" and data[:1] and (data[0] & 0x0F) != 8:
                self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate
            else:
                self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib
        try:
            return bytes(self._decoder.decompress(data, limit))
        except zlib.error as exc:
            raise SourceError(f"cannot decode the {self.encoding} response: {exc}") from None

    def pending(self, limit: int) -> bytes:
        """More output from input already fed (a bomb's tail), at most `limit` (>= 1) bytes."""
        if self._decoder is None or not self._decoder.unconsumed_tail:
            return b""
        return self.feed(self._decoder.unconsumed_tail, limit)


async def _read_body(response: httpx.Response, cap: int, *, truncate: bool = False) -> bytes:
    """The body, decompressed, at most `cap` bytes; over that a `SourceError` (or, with
    `truncate`, the first `cap` bytes). Memory stays near `cap` whatever the ratio."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    inflater = _Inflater(encoding)
    body = bytearray()
    async for chunk in response.aiter_raw():
        piece = inflater.feed(chunk, cap + 1 - len(body))
        while True:
            body += piece
            if len(body) > cap:
                if truncate:
                    return bytes(body[:cap])
                raise SourceError(
                    f"response from {redact(str(response.url))} is larger than {cap:,} bytes"
                    " (after decompression); raise [http] max_body_bytes if it is genuine",
                    http_status=response.status_code,
                )
            piece = inflater.pending(cap + 1 - len(body))
            if not piece:
                break
    return bytes(body)


# --- what servers say about waiting -----------------------------------------------------------


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header, in seconds from now: delta-seconds or an HTTP date. None for a
    missing or malformed value (it is then ignored, never trusted)."""
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _reset_seconds(value: str, now: datetime) -> float | None:
    """A rate-limit reset: epoch seconds (GitHub, Bluesky), seconds from now (Reddit, the
    IETF RateLimit fields) or an ISO 8601 time (Mastodon)."""
    from mentionwatch.times import parse_iso8601

    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        moment = parse_iso8601(text)
        return max(0.0, (moment - now).total_seconds()) if moment else None
    if number > 1_000_000_000:  # an epoch timestamp, not a delay
        return max(0.0, number - now.timestamp())
    return max(0.0, number)


def rate_limit_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds a response asks us to wait before the next request, or None.

    Reads Retry-After, and an exhausted limit in the common spellings: `X-RateLimit-Remaining`
    with `X-RateLimit-Reset` (GitHub, Mastodon; Reddit's remaining is a float), the IETF
    `RateLimit-Remaining` / `RateLimit-Reset`, and the combined `RateLimit: ...;r=0;t=30`.
    `headers` must have lower-case names.
    """
    waits: list[float] = []
    asked = retry_after_seconds(headers.get("retry-after"), now)
    if asked is not None:
        waits.append(asked)
    for prefix in ("x-ratelimit-", "ratelimit-"):
        remaining, reset = headers.get(prefix + "remaining"), headers.get(prefix + "reset")
        if remaining is None or reset is None:
            continue
        try:
            exhausted = float(remaining) < 1
        except ValueError:
            continue
        if exhausted and (seconds := _reset_seconds(reset, now)) is not None:
            waits.append(seconds)
    combined = headers.get("ratelimit")
    if combined:
        fields = dict(re.findall(r"\b(r|t|remaining|reset)=(\d+(?:\.\d+)?)", combined))
        remaining = fields.get("r") or fields.get("remaining")
        reset = fields.get("t") or fields.get("reset")
        if remaining is not None and reset is not None and float(remaining) < 1:
            waits.append(float(reset))
    return max(waits) if waits else None


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
