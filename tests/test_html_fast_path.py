"""`html_to_text` reads the plain markup of social posts without the HTML parser: whatever it
returns that way must be exactly what the parser would have made of the same markup."""

from __future__ import annotations

import random

import pytest

from mentionwatch.text import _parsed_text, _plain_markup_text, html_to_text

MASTODON = (
    '<p>Hey <span class="h-card" translate="no"><a href="https://mastodon.example/@acme"'
    ' class="u-url mention">@<span>acme</span></a></span> my order &amp; refund?</p>'
    '<p>Second paragraph<br>with a break<br />and <a href="https://x.example/?a=1&amp;b=2"'
    ' rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">https://'
    '</span><span class="">x.example/?a=1&amp;b=2</span></a></p>'
)

#: Markup the fast path must leave to the parser: tags it does not know, comments, single
#: quotes, a bare "<".
PARSER_ONLY = [
    "<p>a < b</p>",
    "<p class='x'>single quotes</p>",
    "<script>alert(1)</script><p>text</p>",
    "<p>x</p><!-- a comment -->",
    '<a href="x>y">q</a>',
    "< p>x</p>",
    "<article><p>in an article</p></article>",
    "<p>x<style>p{}</style>y</p>",
    "<![CDATA[x]]><p>y</p>",
]


def test_a_mastodon_status_is_read_without_the_parser_and_reads_the_same() -> None:
    fast = _plain_markup_text(MASTODON)
    assert fast is not None
    assert fast == _parsed_text(MASTODON)
    assert "@acme my order & refund?" in html_to_text(MASTODON)


@pytest.mark.parametrize("markup", PARSER_ONLY)
def test_other_markup_is_left_to_the_parser(markup: str) -> None:
    assert _plain_markup_text(markup) is None


def test_markup_left_to_the_parser_still_reads_right() -> None:
    assert html_to_text("<p>a < b</p>") == "a < b"
    assert html_to_text("<script>alert(1)</script><p>text</p>") == "text"
    assert html_to_text("<p>one</p><p>two<br/>three</p>") == "one\n\ntwo\n\nthree"


TAGS = ["p", "br", "a", "span", "b", "em", "strong", "li", "ul", "div", "pre", "blockquote"]
OTHER_TAGS = ["article", "script", "style", "title", "table", "td", "img", "h1", "section"]
ATTRIBUTES = [
    "",
    ' class="h-card"',
    ' href="https://example.com/?a=1&amp;b=2"',
    " hidden",
    " data-id=42",
    " href='single'",
    ' title="a > b"',
    ' CLASS="Upper"',
    '  rel = "nofollow"',
]
DATA = [
    "plain words",
    " spaced  out ",
    "&amp;",
    "&lt;tag&gt;",
    "&#39;quoted&#x27;",
    "AT&T",
    "&amp",
    "caf&eacute;",
    "a < b",
    "x & y",
    "émoji 😡",
    "\n",
    "&",
    ";",
    "",
]


def random_markup(rng: random.Random) -> str:
    pieces = []
    for _ in range(rng.randint(1, 12)):
        roll = rng.random()
        if roll < 0.45:
            pieces.append(rng.choice(DATA))
        elif roll < 0.85:
            tag = rng.choice(TAGS if rng.random() < 0.9 else OTHER_TAGS)
            tag = tag.upper() if rng.random() < 0.1 else tag
            closing = rng.random() < 0.4
            if closing:
                pieces.append(f"</{tag}>")
            else:
                end = rng.choice([">", ">", " />", "/>"])
                pieces.append(f"<{tag}{rng.choice(ATTRIBUTES)}{end}")
        else:
            pieces.append(rng.choice(["<!-- c -->", "<", "<>", "</>", "<p", "& ", "<br"]))
    return "".join(pieces)


def test_whatever_the_fast_path_reads_equals_the_parsers_reading() -> None:
    rng = random.Random(20261122)
    read_fast = 0
    for _ in range(20_000):
        markup = random_markup(rng)
        fast = _plain_markup_text(markup)
        if fast is None:
            continue
        read_fast += 1
        assert fast == _parsed_text(markup), markup
    assert read_fast > 3_000  # the generator does exercise the fast path
