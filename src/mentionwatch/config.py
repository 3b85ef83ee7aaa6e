"""Find, read and validate the TOML config once, into frozen dataclasses.

Validation is driven by the dataclasses' own type hints: each table is checked key by key, so an
unknown key, a wrong type or a bad duration becomes one `ConfigError` that names the file, the
key path (`sources[2].interval`) and what was expected. Source kinds declare their own settings
dataclass, validated by the same code, so a plug-in source gets the same error messages for free.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import re
import sys
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from mentionwatch.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

APP_NAME = "mentionwatch"
CONFIG_ENV = "MENTIONWATCH_CONFIG"
DB_ENV = "MENTIONWATCH_DB"

T = TypeVar("T")


class FieldError(ValueError):
    """Raised by a settings dataclass's `__post_init__` to reject one key's value."""

    def __init__(self, key: str, expected: str) -> None:
        super().__init__(f"{key}: {expected}")
        self.key = key
        self.expected = expected


# --- durations --------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_DURATION_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """Parse `"90s"`, `"30m"`, `"4h"`, `"1d"`, `"2w"` or combinations like `"1h30m"`."""
    compact = text.strip().replace(" ", "")
    if not compact or _DURATION_PART.sub("", compact):
        raise ValueError(f"not a duration: {text!r}")
    seconds = sum(
        float(amount) * _DURATION_UNITS[unit.lower()]
        for amount, unit in _DURATION_PART.findall(compact)
    )
    if seconds <= 0:
        raise ValueError(f"a duration must be positive: {text!r}")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"a duration this long is not supported: {text!r}") from None


def read_secret(
    env_name: str | None, file_name: str | None, environ: Mapping[str, str]
) -> str | None:
    """A credential from the environment variable, else the file, named in the config.

    The config only ever holds the names, so it can be shared and printed safely.
    """
    if env_name and environ.get(env_name, "").strip():
        return environ[env_name].strip()
    if file_name:
        try:
            value = Path(file_name).expanduser().read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return value or None
    return None


def format_duration(delta: timedelta) -> str:
    """The inverse of `parse_duration`, for messages and `init`: `timedelta(hours=4)` -> `"4h"`."""
    seconds = delta.days * 86400 + delta.seconds
    parts = []
    for unit in ("d", "h", "m"):
        amount, seconds = divmod(seconds, _DURATION_UNITS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    # Keep a fraction ("0.5s" parses): truncating it could print "0s", which does not.
    if delta.microseconds:
        parts.append(f"{seconds}.{delta.microseconds:06d}".rstrip("0") + "s")
    elif seconds:
        parts.append(f"{seconds}s")
    return "".join(parts) or "0s"


# --- the config's shape -----------------------------------------------------------------------


@dataclass(frozen=True)
class BrandConfig:
    #: The brand's display name, used in messages and the digest.
    name: str
    #: What to search for. A term matches as a whole word or phrase, case-insensitively.
    terms: tuple[str, ...]
    #: A post that matches any of these is not about the brand (e.g. "Acme Anvils cartoon").
    exclude: tuple[str, ...] = ()
    #: The brand's own accounts: exact names or globs like "*atAcme", matched case-insensitively.
    handles: tuple[str, ...] = ()
    #: How long a negative mention may wait for an answer before it breaches the SLA.
    sla: timedelta = timedelta(hours=4)
    #: Where a customer can continue in private (an address, a link): the reply drafts'
    #: `{{ support_contact }}`.
    support_contact: str | None = None
    #: Extra accounts per source kind, from `[brand.handles]` tables (`reddit = [...]`).
    platform_handles: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict, metadata={"config_key": False}
    )

    def __post_init__(self) -> None:
        if not any(term.strip(' "') for term in self.terms):
            raise FieldError("terms", "at least one search term")

    def handles_for(self, kind: str) -> tuple[str, ...]:
        """The brand's accounts on one kind of source: the common list plus that kind's own."""
        return self.handles + self.platform_handles.get(kind, ())


@dataclass(frozen=True)
class SentimentConfig:
    #: VADER compound at or below this is negative.
    negative: float = -0.05
    #: VADER compound at or above this is positive.
    positive: float = 0.05
    #: [sentiment.lexicon]: words added to (or overriding) the domain lexicon, word -> valence
    #: on VADER's scale (about -4 .. +4).
    lexicon: Mapping[str, float] = field(default_factory=dict)
    #: [sentiment.phrases]: phrases, matched as whole words, phrase -> valence.
    phrases: Mapping[str, float] = field(default_factory=dict)
    #: Whether the inbox check (a learned model, `classify/negative_model.py`) may take a post
    #: the rules call negative out of the inbox. A team that wants every post the rules flag
    #: in front of it turns it off; the check never adds a post to the inbox.
    inbox_check: bool = True
    #: Whether the missed-complaint check (a learned model, `classify/missed_model.py`) may
    #: put a post the rules call calm in the inbox, as a complaint they missed. A team that
    #: wants the rules alone to fill the inbox turns it off; it never takes a post out.
    missed_check: bool = True

    def __post_init__(self) -> None:
        if not -1.0 <= self.negative < self.positive <= 1.0:
            raise FieldError("negative", "-1 <= negative < positive <= 1")


@dataclass(frozen=True)
class HttpConfig:
    user_agent: str = ""
    #: Per connect / read timeout.
    timeout: timedelta = timedelta(seconds=20)
    #: The whole request, however slowly the server sends its bytes.
    deadline: timedelta = timedelta(seconds=60)
    #: Largest body accepted, counted after decompression.
    max_body_bytes: int = 20_000_000
    #: Requests in flight at once, over all sources.
    concurrency: int = 50
    #: Requests in flight at once to any one host: politeness towards each server.
    per_host: int = 4
    #: Retries of a connection error, a timeout or a 5xx within one scan.
    retries: int = 2
    #: The first retry waits about this long; each next one twice as long (with jitter).
    retry_backoff: timedelta = timedelta(seconds=1)

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1024:
            raise FieldError("max_body_bytes", "at least 1024")
        if self.concurrency < 1:
            raise FieldError("concurrency", "at least 1")
        if self.per_host < 1:
            raise FieldError("per_host", "at least 1")
        if not 0 <= self.retries <= 10:
            raise FieldError("retries", "a number of retries from 0 to 10")


@dataclass(frozen=True)
class ScanConfig:
    #: Threads of open mentions re-read per scan to see whether the brand has answered,
    #: most urgent first.
    thread_checks: int = 50
    #: Pause a source after this many failed polls in a row (0: never). A paused source is
    #: kept, with its history, and polled again after `mentionwatch sources resume NAME`.
    pause_after: int = 10
    #: A source that has found nothing new for this long is flagged as silent (missed mentions
    #: are the top complaint about alert services). A source can set its own `silent_after`.
    silent_after: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        if self.thread_checks < 0:
            raise FieldError("thread_checks", "a number of threads, 0 or more")
        if self.pause_after < 0:
            raise FieldError("pause_after", "a number of failures, or 0 for never")


SMTP_SECURITY = ("starttls", "ssl", "none")
_DEFAULT_SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def is_email_address(text: str) -> bool:
    """A bare address (`digest@acme.example`) that is safe in a header: one `@`, no spaces,
    no control characters, no display name or angle brackets."""
    local, at, domain = text.partition("@")
    return bool(
        at
        and local
        and "." in domain.strip(".")
        and "@" not in domain
        and not any(ch.isspace() or not ch.isprintable() or ch in '<>(),;:"[]\\' for ch in text)
    )


@dataclass(frozen=True)
class SmtpConfig:
    """[smtp]: the server the digest is delivered through."""

    host: str
    #: Default: 587 for starttls, 465 for ssl, 25 for none.
    port: int | None = None
    #: "starttls" (upgrade a plain connection), "ssl" (TLS from the start) or "none".
    security: str = "starttls"
    #: Log in when set; the password comes from `password_env` or `password_file`.
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    #: Connecting and each command.
    timeout: timedelta = timedelta(seconds=30)
    #: Trust this CA bundle (PEM) as well as the system's: an internal relay's own CA.
    ca_file: str | None = None

    def __post_init__(self) -> None:
        if self.security not in SMTP_SECURITY:
            raise FieldError("security", f"one of {', '.join(map(repr, SMTP_SECURITY))}")
        if self.port is not None and not 1 <= self.port <= 65535:
            raise FieldError("port", "a port number from 1 to 65535")
        if self.username and not (self.password_env or self.password_file):
            raise FieldError(
                "username", "password_env or password_file next to it (never the password)"
            )

    @property
    def effective_port(self) -> int:
        return self.port or _DEFAULT_SMTP_PORTS[self.security]


@dataclass(frozen=True)
class DigestConfig:
    """[digest]: who the digest email is from and to, and its first look-back."""

    sender: str | None = field(default=None, metadata={"key": "from"})
    to: tuple[str, ...] = ()
    #: How far back the first digest looks; later ones start where the last sent one ended.
    since: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.sender is not None and not is_email_address(self.sender):
            raise FieldError("from", 'an email address like "digest@acme.example"')
        for i, address in enumerate(self.to):
            if not is_email_address(address):
                raise FieldError(f"to[{i}]", 'an email address like "support@acme.example"')


def apprise_installed() -> bool:
    """Whether the optional Apprise library can be imported (without importing it)."""
    import importlib.util

    try:
        return importlib.util.find_spec("apprise") is not None
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True)
class AlertsConfig:
    """[alerts]: notify at once, from the scan, about mentions that cannot wait for the digest."""

    #: Plain JSON webhooks: each receives one POST per alert message.
    webhooks: tuple[str, ...] = ()
    #: Apprise URLs (Slack, Discord, Teams, ntfy, email...); needs `mentionwatch[alerts]`.
    apprise: tuple[str, ...] = ()
    #: Alert an open negative mention (or question) once its priority reaches this.
    min_priority: float = 60.0
    #: Alert an open negative mention (or question) once it passes `brand.sla`.
    on_sla_breach: bool = True
    #: At most one alert message per channel this often; what waits goes out with the next.
    min_interval: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        from urllib.parse import urlsplit

        for i, url in enumerate(self.webhooks):
            parts = urlsplit(url)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise FieldError(f"webhooks[{i}]", 'an http(s) URL like "https://hooks.example/x"')
        if not 0 <= self.min_priority <= 100:
            raise FieldError("min_priority", "a priority from 0 to 100")
        if self.apprise and not apprise_installed():
            raise FieldError(
                "apprise",
                "the Apprise library, which is not installed:"
                ' pip install "mentionwatch[alerts]" (or remove [alerts] apprise)',
            )

    @property
    def enabled(self) -> bool:
        return bool(self.webhooks or self.apprise)


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    interval: timedelta
    enabled: bool
    #: The kind's own settings dataclass (`RssSettings`, ...), validated by the same rules.
    settings: Any
    #: Overrides `[scan] silent_after` for this source.
    silent_after: timedelta | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    brand: BrandConfig
    sentiment: SentimentConfig = field(default_factory=SentimentConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    scan: ScanConfig = field(default_factory=ScanConfig)
    sources: tuple[SourceConfig, ...] = ()
    database: Path | None = None
    smtp: SmtpConfig | None = None
    digest: DigestConfig = field(default_factory=DigestConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    #: [templates]: reply draft templates by name (`mentionwatch reply`), checked as strings
    #: here and compiled only by that command, so loading a config never imports Jinja.
    templates: Mapping[str, str] = field(default_factory=dict)

    def source(self, name: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)


# --- locating files ---------------------------------------------------------------------------


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / "config.toml"


def default_database_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "mentionwatch.db"


def find_config_path(explicit: Path | None, environ: Mapping[str, str]) -> Path:
    """`--config`, then `$MENTIONWATCH_CONFIG`, then the user config dir."""
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return default_config_path()


def resolve_database_path(
    explicit: Path | None, environ: Mapping[str, str], config: Config | None
) -> Path:
    """`--db`, then `$MENTIONWATCH_DB`, then the config's `database`, then the user data dir."""
    if explicit is not None:
        return explicit
    if environ.get(DB_ENV):
        return Path(environ[DB_ENV])
    if config is not None and config.database is not None:
        return config.database
    return default_database_path()


# --- loading ----------------------------------------------------------------------------------


def load_config(path: Path) -> Config:
    """Read and validate one config file. Every problem is a `ConfigError` naming file and key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no config file here. Run `mentionwatch init` to write a starter config,"
            " or pass --config."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, path)


def parse_config(raw: Mapping[str, Any], path: Path) -> Config:
    reader = _TableReader(path)
    known = {
        "brand",
        "sentiment",
        "http",
        "scan",
        "sources",
        "database",
        "smtp",
        "digest",
        "alerts",
        "templates",
    }
    reader.reject_unknown(raw, known, "")
    if "brand" not in raw:
        raise ConfigError(
            f"{path}: [brand]: missing; expected a table with at least name and terms"
        )
    database = None
    if "database" in raw:
        value = raw["database"]
        if not isinstance(value, str) or not value.strip():
            reader.fail("database", "a file path (string)", value)
        database = (path.parent / Path(value).expanduser()).resolve()
    sources_raw = raw.get("sources", [])
    if not isinstance(sources_raw, list):
        reader.fail("sources", "an array of tables ([[sources]])", sources_raw)
    sources = tuple(reader.source(item, f"sources[{i}]") for i, item in enumerate(sources_raw))
    seen: set[str] = set()
    for i, source in enumerate(sources):
        if source.name in seen:
            reader.fail(f"sources[{i}].name", "a name no other source uses", source.name)
        seen.add(source.name)
    return Config(
        path=path,
        brand=reader.brand(raw["brand"]),
        sentiment=reader.build(SentimentConfig, raw.get("sentiment", {}), "sentiment"),
        http=reader.build(HttpConfig, raw.get("http", {}), "http"),
        scan=reader.build(ScanConfig, raw.get("scan", {}), "scan"),
        sources=sources,
        database=database,
        smtp=reader.build(SmtpConfig, raw["smtp"], "smtp") if "smtp" in raw else None,
        digest=reader.build(DigestConfig, raw.get("digest", {}), "digest"),
        alerts=reader.build(AlertsConfig, raw.get("alerts", {}), "alerts"),
        templates=reader.templates(raw.get("templates", {})),
    )


def _describe(value: object) -> str:
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"{type(value).__name__} {value!r}"


class _TableReader:
    """Builds dataclasses from TOML tables, turning every mismatch into a precise ConfigError."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key_path: str, expected: str, got: object = dataclasses.MISSING) -> Any:
        where = f"{self.path}: {key_path}"
        if got is dataclasses.MISSING:
            raise ConfigError(f"{where}: expected {expected}")
        raise ConfigError(f"{where}: expected {expected}, got {_describe(got)}")

    def reject_unknown(self, table: Mapping[str, Any], known: set[str], prefix: str) -> None:
        for key in table:
            if key not in known:
                name = f"{prefix}.{key}" if prefix else key
                # The value is not echoed: a misplaced `password = "..."` must not be printed.
                self.fail(f"{name}: unknown key", f"one of {', '.join(sorted(known))}")

    def build(self, cls: type[T], table: object, key_path: str, skip: Sequence[str] = ()) -> T:
        if not isinstance(table, Mapping):
            return self.fail(key_path, "a table", table)  # type: ignore[no-any-return]
        hints = get_type_hints(cls)
        # A field's key in the file is its name, or `metadata["key"]` where the file's key is a
        # Python keyword (`[digest] from`).
        fields = {
            f.metadata.get("key", f.name): f
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.metadata.get("config_key", True)  # derived fields are not keys in the file
        }
        self.reject_unknown(
            {k: v for k, v in table.items() if k not in skip}, set(fields), key_path
        )
        values: dict[str, Any] = {}
        for key, spec in fields.items():
            hint = hints[spec.name]
            if key in table:
                values[spec.name] = self.convert(table[key], hint, f"{key_path}.{key}")
            elif (
                spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
            ):
                self.fail(f"{key_path}.{key}", f"a value ({_expected(hint)}); it is required")
        try:
            return cls(**values)
        except FieldError as exc:
            return self.fail(f"{key_path}.{exc.key}", exc.expected)  # type: ignore[no-any-return]

    def convert(self, value: object, hint: Any, key_path: str) -> Any:
        origin = get_origin(hint)
        if origin in (Union, types.UnionType):
            options = [a for a in get_args(hint) if a is not type(None)]
            return self.convert(value, options[0], key_path)
        if origin in (tuple, list):
            if not isinstance(value, list):
                return self.fail(key_path, _expected(hint), value)
            item_hint = get_args(hint)[0]
            items = [self.convert(v, item_hint, f"{key_path}[{i}]") for i, v in enumerate(value)]
            return tuple(items) if origin is tuple else items
        if origin in (dict, Mapping, collections.abc.Mapping):
            if not isinstance(value, Mapping):
                return self.fail(key_path, _expected(hint), value)
            value_hint = get_args(hint)[1]
            return {
                str(k): self.convert(v, value_hint, f"{key_path}.{k}") for k, v in value.items()
            }
        if hint is timedelta:
            if not isinstance(value, str):
                return self.fail(key_path, _expected(hint), value)
            try:
                return parse_duration(value)
            except ValueError:
                return self.fail(key_path, _expected(hint), value)
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if hint in (str, int, float, bool):
            # bool is a subclass of int: `enabled = 1` or `interval = true` must still fail.
            if type(value) is not hint:
                return self.fail(key_path, _expected(hint), value)
            if hint is str and not value:
                return self.fail(key_path, "a non-empty string", value)
            return value
        raise TypeError(f"unsupported config type {hint!r} at {key_path}")  # a bug in a dataclass

    def templates(self, table: object) -> dict[str, str]:
        """[templates]: name -> template text; a name is typed after `reply --template`."""
        templates: dict[str, str] = self.convert(table, Mapping[str, str], "templates")
        for name in templates:
            if not _TEMPLATE_NAME.fullmatch(name):
                self.fail(f"templates.{name}", "a name of letters, digits, - and _")
        return templates

    def brand(self, table: object) -> BrandConfig:
        """[brand]; `handles` is a list, or a table of lists: `all` and one per source kind."""
        if not isinstance(table, Mapping) or not isinstance(table.get("handles"), Mapping):
            return self.build(BrandConfig, table, "brand")
        per_kind = {
            kind: self.convert(value, tuple[str, ...], f"brand.handles.{kind}")
            for kind, value in table["handles"].items()
        }
        common = per_kind.pop("all", ())
        brand = self.build(BrandConfig, {**table, "handles": list(common)}, "brand")
        return dataclasses.replace(brand, platform_handles=per_kind)

    def source(self, table: object, key_path: str) -> SourceConfig:
        from mentionwatch.sources import available_kinds, source_class

        if not isinstance(table, Mapping):
            return self.fail(key_path, "a table", table)  # type: ignore[no-any-return]
        common = self.build(
            _CommonSourceKeys,
            table,
            key_path,
            skip=[k for k in table if k not in _COMMON_SOURCE_KEYS],
        )
        try:
            cls = source_class(common.kind)
        except KeyError:
            return self.fail(  # type: ignore[no-any-return]
                f"{key_path}.kind", f"one of {', '.join(available_kinds())}", common.kind
            )
        # Checked here, not by `build`, so the message lists the common keys too, not only the
        # kind's own (`intervall` must not be told "one of the known keys (url)").
        known = _COMMON_SOURCE_KEYS | {f.name for f in dataclasses.fields(cls.Settings)}
        self.reject_unknown(table, set(known), key_path)
        specific = {k: v for k, v in table.items() if k not in _COMMON_SOURCE_KEYS}
        settings = self.build(cls.Settings, specific, key_path)
        return SourceConfig(
            name=common.name,
            kind=common.kind,
            interval=common.interval,
            enabled=common.enabled,
            settings=settings,
            silent_after=common.silent_after,
        )


@dataclass(frozen=True)
class _CommonSourceKeys:
    name: str
    kind: str
    interval: timedelta = timedelta(minutes=30)
    enabled: bool = True
    silent_after: timedelta | None = None


_COMMON_SOURCE_KEYS = frozenset(f.name for f in dataclasses.fields(_CommonSourceKeys))
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _expected(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return _expected(next(a for a in get_args(hint) if a is not type(None)))
    if origin in (tuple, list):
        return f"an array of {_expected(get_args(hint)[0])}s"
    if origin in (dict, Mapping, collections.abc.Mapping):
        return f"a table of {_expected(get_args(hint)[1])}s"
    return {
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean (true or false)",
        timedelta: 'a duration like "30m", "4h" or "1d"',
    }.get(hint, str(hint))
