"""text.py: HTML to text, safe() for the terminal, sentence splitting, links."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from mentionwatch.text import canonical_url, html_to_text, is_web_url, safe, split_sentences

HOSTILE = (
    "Acme \x1b]52;c;SGVsbG8=\x07clipboard \x1b[2Jclear \x1b]8;;http://evil.example\x1b\\link"
    "\x1b]8;;\x1b\\ \u202ereversed\u202c \x9b31m c1 zero\u200bwidth \x00nul\r\x7fdel"
)


def test_safe_removes_every_control_and_format_character() -> None:
    cleaned = safe(HOSTILE)
    for char in cleaned:
        assert char in "\n\t" or (ord(char) >= 0x20 and not 0x7F <= ord(char) <= 0x9F)
    assert "\u202e" not in cleaned and "\u200b" not in cleaned and "\u202c" not in cleaned
    # The printable payload stays readable: nothing a person wrote is lost but the controls.
    assert "clipboard" in cleaned and "reversed" in cleaned and "zerowidth" in cleaned


def test_safe_keeps_ordinary_unicode_and_emoji() -> None:
    text = "Café ☕ — ça marche? 😡 日本語"
    assert safe(text) == text


def test_safe_single_line_folds_newlines_and_tabs() -> None:
    assert safe("one\ntwo\tthree\r\n four", single_line=True) == "one two three four"


def test_safe_of_nothing_is_empty() -> None:
    assert safe(None) == "" and safe("") == ""


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>My <b>Acme</b> order never arrived</p>", "My Acme order never arrived"),
        ("Q&amp;A with &lt;Acme&gt;", "Q&A with <Acme>"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("line<br>break", "line\nbreak"),
        ("<script>alert(1)</script><style>p{}</style>visible", "visible"),
        ("a&nbsp;b", "a b"),
        ("", ""),
    ],
)
def test_html_to_text(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


def test_split_sentences() -> None:
    text = "The app crashed again. Lost everything! Why?\nStill waiting… Nobody replies."
    assert split_sentences(text) == [
        "The app crashed again.",
        "Lost everything!",
        "Why?",
        "Still waiting…",
        "Nobody replies.",
    ]


def test_canonical_url_ignores_scheme_case_tracking_and_fragment() -> None:
    a = canonical_url("http://WWW.Example.com/post?id=7&utm_source=x&fbclid=y#comments")
    b = canonical_url("https://www.example.com/post?id=7")
    assert a == b == "https://www.example.com/post?id=7"


@pytest.mark.parametrize(
    ("url", "web"),
    [
        ("https://example.com", True),
        ("HTTP://example.com", True),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("", False),
        (None, False),
    ],
)
def test_is_web_url(url: str | None, web: bool) -> None:
    assert is_web_url(url) is web


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("bad\x1b[31mred\x1b[0m", "badred"),
        ("copy \x1b]52;c;SGVsbG8=\x07me", "copy me"),
        ("osc8 \x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ here", "osc8 click here"),
        ("c1 csi \x9b2Jgone", "c1 csi gone"),
        ("reset \x1bcnow", "reset now"),
        ("dangling escape at the end \x1b", "dangling escape at the end "),
    ],
)
def test_safe_drops_whole_escape_sequences_not_just_their_controls(
    hostile: str, expected: str
) -> None:
    assert safe(hostile) == expected


def test_the_fast_path_of_canonical_url_agrees_with_urlsplit() -> None:
    import random

    from mentionwatch.text import _canonical_url_slowly, canonical_url

    urls = [
        "https://x.example/1",
        "https://x.example",
        "https://X.example/a",
        "https://x.example:8443/a",
        "https://user@x.example/a",
        "https://x.example/a?utm_source=z&b=1",
        "https://x.example/a#frag",
        "https://x.example/a b",
        "https://x.example/a\tb",
        " https://x.example/a",
        "http://x.example/a",
        "https://x.example/@user/123",
        "https://x.example/a:b/c%20d~e",
        "https://[::1]/a",
        "https://x.example/ü",
    ]
    rng = random.Random(7)
    alphabet = "ab:/.?#@%-_~[] \t" + "Xé"
    urls += [
        "https://" + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        for _ in range(3000)
    ]

    def outcome(canonicalise: Callable[[str], str], url: str) -> str:
        try:
            return canonicalise(url)
        except ValueError as exc:  # urlsplit refuses a malformed IPv6 host either way
            return f"ValueError: {exc}"

    for url in urls:
        assert outcome(canonical_url, url) == outcome(_canonical_url_slowly, url), url


def _safe_by_definition(text: str, single_line: bool = False) -> str:
    """What `safe` must return, spelled out: escape sequences out, then every character
    `is_unsafe_char` calls unsafe, one by one (the fast path must agree with it)."""
    from mentionwatch.text import _ESCAPE_SEQUENCE, is_unsafe_char

    if not text:
        return ""
    text = "".join(ch for ch in _ESCAPE_SEQUENCE.sub("", text) if not is_unsafe_char(ch))
    return " ".join(text.split()) if single_line else text


def test_safe_agrees_with_its_definition_on_any_mix_of_characters() -> None:
    rng = random.Random(20261122)
    pool = [
        *"abc XYZ 019 .,;:!?'\"[]{}<>/\\|~`@#$%^&*()-_=+",
        "\n", "\t", "\r", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\x9c", "\x9d",
        "\u00ad", "\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\U000e0041",
        "é", "ß", "ø", "中", "文", "😡", "👍🏽", "\u0301", "\u2028", "\u00a0", "ﬁ",
        "\x1b[31m", "\x1b]52;c;SGVsbG8=\x07", "\x9b2J", "\x1b\\", "\x1bP+q\x1b\\",
    ]  # fmt: skip
    for _ in range(5_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
        for single_line in (False, True):
            assert safe(text, single_line=single_line) == _safe_by_definition(text, single_line), (
                repr(text)
            )
