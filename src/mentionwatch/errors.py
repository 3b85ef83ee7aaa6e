"""The few exceptions mentionwatch raises, and the exit statuses the CLI turns them into."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit statuses. Documented in the README; scripts and cron rely on them."""

    OK = 0
    #: A scan finished, but at least one source failed; what the others found was stored.
    SOURCES_FAILED = 1
    #: Bad command-line usage or a broken config file. Nothing was changed.
    USAGE = 2
    #: The thing asked for does not exist (an unknown mention id or source name).
    NOT_FOUND = 3
    #: Another scan holds the lock on this database; try again later.
    LOCKED = 4
    #: The digest could not be delivered (connection, TLS, login, recipient refused).
    #: The watermark did not move: the next run sends the same mentions again.
    DELIVERY_FAILED = 5


class MentionwatchError(Exception):
    """A failure to report to the user in one line, without a traceback."""

    exit_status: ExitStatus = ExitStatus.USAGE

    def __init__(self, message: str, *, exit_status: ExitStatus | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_status is not None:
            self.exit_status = exit_status


class ConfigError(MentionwatchError):
    """The config file is missing, unreadable or invalid. The message names file and key."""

    exit_status = ExitStatus.USAGE


class NotFoundError(MentionwatchError):
    """An id or a name given on the command line matches nothing in the database."""

    exit_status = ExitStatus.NOT_FOUND


class ScanLockedError(MentionwatchError):
    """Another scan is running on the same database."""

    exit_status = ExitStatus.LOCKED


class DeliveryError(MentionwatchError):
    """The SMTP server could not be reached, or did not accept the message."""

    exit_status = ExitStatus.DELIVERY_FAILED


class SourceError(MentionwatchError):
    """One source failed (HTTP error, unparsable body...). Reported and skipped, never fatal."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        advised: bool = False,
        transient: bool = False,
    ) -> None:
        super().__init__(message, exit_status=ExitStatus.SOURCES_FAILED)
        self.http_status = http_status
        #: The server's Retry-After header, as sent (seconds or an HTTP date), if any.
        self.retry_after = retry_after
        #: The error response's headers (lower-case names) and the start of its body, so a
        #: source can read an API's own explanation (rate-limit headers, a JSON error).
        self.headers: Mapping[str, str] = headers or {}
        self.body = body
        #: The message already says what to do; generic advice must not be added to it.
        self.advised = advised
        #: A failure that may pass by itself (connection refused or reset, a timeout): worth
        #: retrying. HTTP errors are judged by their status instead.
        self.transient = transient
