"""The config contract: what a valid file becomes, and what every mistake in one is told."""

from __future__ import annotations

import dataclasses
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from mentionwatch.config import (
    BrandConfig,
    Config,
    HttpConfig,
    SentimentConfig,
    default_config_path,
    default_database_path,
    find_config_path,
    format_duration,
    load_config,
    parse_duration,
    resolve_database_path,
)
from mentionwatch.errors import ConfigError, ExitStatus
from mentionwatch.sources.rss import RssSettings

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config.example.toml"
PACKAGED_EXAMPLE = REPO / "src" / "mentionwatch" / "config.example.toml"

BRAND = '[brand]\nname = "Acme"\nterms = ["Acme"]\n'
SOURCE = '[[sources]]\nname = "feed"\nkind = "rss"\nurl = "https://acme.example/feed.xml"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str) -> str:
    """Load `text` as a config that must fail; returns the error message."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.exit_status is ExitStatus.USAGE
    message = caught.value.message
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    return message


# --- a valid config ---------------------------------------------------------------------------


def test_the_shipped_example_loads_into_typed_objects() -> None:
    config = load_config(EXAMPLE)

    assert isinstance(config, Config)
    assert config.path == EXAMPLE
    assert config.brand == BrandConfig(
        name="Acme",
        terms=("Acme", "Acme Cloud"),
        exclude=("Acme Anvil", "Wile E. Coyote"),
        handles=("AcmeSupport", "Acme", "*atAcme"),
        sla=timedelta(hours=4),
    )
    assert config.sentiment == SentimentConfig(negative=-0.05, positive=0.05)
    assert config.http == HttpConfig(
        user_agent="",
        timeout=timedelta(seconds=20),
        deadline=timedelta(seconds=60),
        max_body_bytes=20_000_000,
        concurrency=50,
        per_host=4,
        retries=2,
        retry_backoff=timedelta(seconds=1),
    )
    assert config.database is None
    assert isinstance(config.sources, tuple)
    assert [s.name for s in config.sources] == [
        "google-alerts",
        "reddit-search",
        "hacker-news",
        "reddit",
        "mastodon",
        "bluesky",
        "superuser",
        "github",
        "lobsters",
    ]
    # The example shows every kind mentionwatch ships.
    assert {s.kind for s in config.sources} == {
        "rss",
        "hackernews",
        "reddit",
        "mastodon",
        "bluesky",
        "stackexchange",
        "github",
        "lobsters",
    }
    assert config.sources[0].interval == timedelta(hours=1)
    # The two that need credentials are there, but off until the user sets them.
    assert [s.name for s in config.sources if not s.enabled] == ["reddit", "bluesky"]
    assert config.sources[1].settings == RssSettings(
        url="https://www.reddit.com/search.rss?q=acme&sort=new"
    )
    assert config.source("mastodon") is config.sources[4]
    assert config.source("nope") is None


def test_the_example_at_the_repo_root_is_the_one_init_writes() -> None:
    assert EXAMPLE.read_bytes() == PACKAGED_EXAMPLE.read_bytes()


def test_a_minimal_config_gets_every_default(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BRAND + SOURCE))

    assert config.brand.exclude == ()
    assert config.brand.handles == ()
    assert config.brand.sla == timedelta(hours=4)
    assert config.sentiment == SentimentConfig()
    assert config.http == HttpConfig()
    assert config.database is None
    (source,) = config.sources
    assert source.interval == timedelta(minutes=30)
    assert source.enabled is True
    assert source.settings.url == "https://acme.example/feed.xml"


def test_config_objects_are_frozen(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BRAND + SOURCE))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.brand.name = "Other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.sources[0].enabled = False  # type: ignore[misc]


def test_integers_are_accepted_where_a_number_is_expected(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BRAND + "[sentiment]\nnegative = -1\npositive = 1\n"))
    assert config.sentiment == SentimentConfig(negative=-1.0, positive=1.0)
    assert isinstance(config.sentiment.negative, float)


def test_a_disabled_source_with_its_own_interval(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BRAND + SOURCE + 'interval = "1h30m"\nenabled = false\n'))
    assert config.sources[0].interval == timedelta(hours=1, minutes=30)
    assert config.sources[0].enabled is False


# --- every mistake names the file, the key path and what was expected --------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'colour = "red"\n' + BRAND,
            "colour: unknown key: expected one of alerts, brand, database, digest, http, scan,"
            " sentiment, smtp, sources, templates",
            id="unknown top-level key",
        ),
        pytest.param(
            BRAND + 'slaa = "4h"\n',
            "brand.slaa: unknown key: expected one of exclude, handles, name, sla,"
            " support_contact, terms",
            id="unknown key in brand",
        ),
        pytest.param(
            BRAND + SOURCE + '[[sources]]\nname = "b"\nkind = "rss"\nurll = "https://b.example"\n',
            "sources[1].urll: unknown key:"
            " expected one of enabled, interval, kind, name, silent_after, url",
            id="unknown key in a source",
        ),
        pytest.param(
            BRAND + SOURCE + 'intervall = "1h"\n',
            "sources[0].intervall: unknown key:"
            " expected one of enabled, interval, kind, name, silent_after, url",
            id="misspelt common source key",
        ),
        pytest.param(
            '[brand]\nname = "Acme"\nterms = "Acme"\n',
            "brand.terms: expected an array of strings, got str 'Acme'",
            id="terms is a string",
        ),
        pytest.param(
            '[brand]\nname = "Acme"\nterms = ["Acme", 7]\n',
            "brand.terms[1]: expected string, got int 7",
            id="a term is a number",
        ),
        pytest.param(
            BRAND + SOURCE + "interval = 30\n",
            'sources[0].interval: expected a duration like "30m", "4h" or "1d", got int 30',
            id="interval is a number",
        ),
        pytest.param(
            BRAND + SOURCE + "enabled = 1\n",
            "sources[0].enabled: expected boolean (true or false), got int 1",
            id="enabled is 1",
        ),
        pytest.param(
            BRAND + 'sla = "4 fortnights"\n',
            'brand.sla: expected a duration like "30m", "4h" or "1d", got str \'4 fortnights\'',
            id="bad duration",
        ),
        pytest.param(
            BRAND + '[http]\ntimeout = "0s"\n',
            'http.timeout: expected a duration like "30m", "4h" or "1d", got str \'0s\'',
            id="zero duration",
        ),
        pytest.param(
            BRAND + "[sentiment]\nnegative = 0.5\npositive = 0.1\n",
            "sentiment.negative: expected -1 <= negative < positive <= 1",
            id="thresholds out of order",
        ),
        pytest.param(
            BRAND + "[http]\nconcurrency = 0\n",
            "http.concurrency: expected at least 1",
            id="no concurrency",
        ),
        pytest.param(
            SOURCE,
            "[brand]: missing; expected a table with at least name and terms",
            id="missing brand",
        ),
        pytest.param(
            'brand = "Acme"\n',
            "brand: expected a table, got str 'Acme'",
            id="brand is not a table",
        ),
        pytest.param(
            '[brand]\nname = "Acme"\n',
            "brand.terms: expected a value (an array of strings); it is required",
            id="missing terms",
        ),
        pytest.param(
            '[brand]\nname = "Acme"\nterms = []\n',
            "brand.terms: expected at least one search term",
            id="empty terms",
        ),
        pytest.param(
            '[brand]\nname = "Acme"\nterms = ["  "]\n',
            "brand.terms: expected at least one search term",
            id="blank terms",
        ),
        pytest.param(
            '[brand]\nname = ""\nterms = ["Acme"]\n',
            "brand.name: expected a non-empty string, got str ''",
            id="empty brand name",
        ),
        pytest.param(
            BRAND + '[[sources]]\nname = "x"\nkind = "twitter"\n',
            "sources[0].kind: expected one of bluesky, github, hackernews, lobsters, mastodon,"
            " reddit, rss, stackexchange, got str 'twitter'",
            id="unknown kind",
        ),
        pytest.param(
            BRAND + '[[sources]]\nkind = "rss"\nurl = "https://acme.example/"\n',
            "sources[0].name: expected a value (string); it is required",
            id="source without a name",
        ),
        pytest.param(
            BRAND + '[[sources]]\nname = "x"\nkind = "rss"\n',
            "sources[0].url: expected a value (string); it is required",
            id="rss without url",
        ),
        pytest.param(
            BRAND + '[[sources]]\nname = "x"\nkind = "rss"\nurl = "ftp://acme.example/feed"\n',
            "sources[0].url: expected an http:// or https:// feed URL",
            id="rss url not http",
        ),
        pytest.param(
            BRAND + '[[sources]]\nname = "x"\nkind = "rss"\nurl = "file:///etc/passwd"\n',
            "sources[0].url: expected an http:// or https:// feed URL",
            id="rss url is a file",
        ),
        pytest.param(
            BRAND + SOURCE + SOURCE,
            "sources[1].name: expected a name no other source uses, got str 'feed'",
            id="duplicate source names",
        ),
        pytest.param(
            BRAND + '[sources]\nname = "x"\n',
            "sources: expected an array of tables ([[sources]]), got a table",
            id="sources is a table",
        ),
        pytest.param(
            "sources = [3]\n" + BRAND,
            "sources[0]: expected a table, got int 3",
            id="a source is not a table",
        ),
        pytest.param(
            "database = 3\n" + BRAND,
            "database: expected a file path (string), got int 3",
            id="database is a number",
        ),
    ],
)
def test_a_mistake_names_file_key_and_expectation(tmp_path: Path, text: str, expected: str) -> None:
    message = config_error(tmp_path, text)
    assert message == f"{tmp_path / 'config.toml'}: {expected}"


def test_an_unknown_kind_lists_the_known_kinds(tmp_path: Path) -> None:
    message = config_error(tmp_path, BRAND + '[[sources]]\nname = "x"\nkind = "twitter"\n')
    assert "rss" in message.split("expected one of ", 1)[1]


def test_invalid_toml_syntax(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[brand\nname = "Acme"\n')
    assert "not valid TOML" in message
    assert "line 1" in message


def test_a_missing_file_suggests_init(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.message.startswith(f"{path}: no config file here")
    assert "mentionwatch init" in caught.value.message


def test_a_config_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[brand]\nname = "Acm\xe9"\nterms = ["Acme"]\n')
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(path)


# --- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2w", timedelta(weeks=2)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("4H", timedelta(hours=4)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("0.5s", timedelta(milliseconds=500)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["90s", "30m", "4h", "1d", "1h30m", "2w", "1d1s", "0.5s"])
def test_format_duration_round_trips(text: str) -> None:
    assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=90), "1m30s"),
        (timedelta(minutes=30), "30m"),
        (timedelta(hours=4), "4h"),
        (timedelta(days=1), "1d"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(weeks=2), "14d"),
        (timedelta(days=1, seconds=1), "1d1s"),
        (timedelta(milliseconds=1500), "1.5s"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


@pytest.mark.parametrize(
    "text", ["", " ", "0s", "0h0m", "-1h", "4 fortnights", "h", "1", "1x", "4h later", "1e5s"]
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_an_absurdly_long_duration_is_a_value_error_not_an_overflow(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        parse_duration("99999999999w")
    message = config_error(tmp_path, BRAND + 'sla = "99999999999w"\n')
    assert "brand.sla: expected a duration" in message


# --- where the config and the database are ----------------------------------------------------


def test_config_discovery_order(isolated_env: Path) -> None:
    explicit = isolated_env / "explicit.toml"
    from_env = isolated_env / "env.toml"
    environ = {"MENTIONWATCH_CONFIG": str(from_env)}

    assert find_config_path(explicit, environ) == explicit
    assert find_config_path(None, environ) == from_env
    assert find_config_path(None, {}) == default_config_path()
    assert find_config_path(None, {"MENTIONWATCH_CONFIG": ""}) == default_config_path()


@pytest.mark.skipif(sys.platform != "linux", reason="XDG directories are a Linux convention")
def test_default_paths_follow_xdg(isolated_env: Path) -> None:
    assert default_config_path() == isolated_env / "xdg-config" / "mentionwatch" / "config.toml"
    assert default_database_path() == isolated_env / "xdg-data" / "mentionwatch" / "mentionwatch.db"


def test_database_discovery_order(tmp_path: Path, isolated_env: Path) -> None:
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    config = load_config(write(config_dir, 'database = "data/watch.db"\n' + BRAND))
    without = load_config(write(tmp_path, BRAND))
    explicit = tmp_path / "explicit.db"
    environ = {"MENTIONWATCH_DB": str(tmp_path / "env.db")}

    # The config's `database` is relative to the config file, not to the working directory.
    assert config.database == (config_dir / "data" / "watch.db").resolve()
    assert resolve_database_path(explicit, environ, config) == explicit
    assert resolve_database_path(None, environ, config) == tmp_path / "env.db"
    assert resolve_database_path(None, {}, config) == config.database
    assert resolve_database_path(None, {"MENTIONWATCH_DB": ""}, config) == config.database
    assert resolve_database_path(None, {}, without) == default_database_path()
    assert resolve_database_path(None, {}, None) == default_database_path()


def test_database_path_expands_the_home_directory(tmp_path: Path, isolated_env: Path) -> None:
    config = load_config(write(tmp_path, 'database = "~/mw/watch.db"\n' + BRAND))
    assert config.database == (isolated_env / "home" / "mw" / "watch.db").resolve()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[smtp]\nport = 25\n', "smtp.host: expected a value (string); it is required"),
        ('[smtp]\nhost = "m"\nsecurity = "tls"\n',
         "smtp.security: expected one of 'starttls', 'ssl', 'none'"),
        ('[smtp]\nhost = "m"\nport = 70000\n', "smtp.port: expected a port number from 1 to 65535"),
        ('[smtp]\nhost = "m"\nusername = "u"\n',
         "smtp.username: expected password_env or password_file next to it (never the password)"),
        ('[smtp]\nhost = "m"\npassword = "hunter2"\n', "smtp.password: unknown key: expected"
         " one of ca_file, host, password_env, password_file, port, security, timeout, username"),
        ('[digest]\nfrom = "not an address"\n',
         'digest.from: expected an email address like "digest@acme.example"'),
        ('[digest]\nto = ["a@b.example", "x\\r\\nBcc: y@z.example"]\n',
         'digest.to[1]: expected an email address like "support@acme.example"'),
        ('[digest]\nsince = "soon"\n',
         'digest.since: expected a duration like "30m", "4h" or "1d", got str \'soon\''),
    ],
)  # fmt: skip
def test_smtp_and_digest_mistakes_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    message = config_error(tmp_path, BRAND + text)
    assert message == f"{tmp_path / 'config.toml'}: {expected}"
    assert "hunter2" not in message


def test_smtp_and_digest_load_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        BRAND + '[smtp]\nhost = "mail.acme.example"\nsecurity = "ssl"\n'
        '[digest]\nfrom = "d@acme.example"\nto = ["s@acme.example"]\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.smtp is not None and config.smtp.effective_port == 465
    assert config.smtp.timeout.total_seconds() == 30
    assert config.digest.sender == "d@acme.example" and config.digest.since.total_seconds() == 86400
