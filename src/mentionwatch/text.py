"""Plain text from untrusted HTML, sentence splitting, and `safe()` for the terminal.

Every post is untrusted: it may carry HTML, terminal escape sequences (an OSC 52 sequence can
write the clipboard, CSI 2J clears the screen), bidirectional overrides that make text read
backwards (U+202E), or Rich markup. Sources turn HTML into text with `html_to_text`; views pass
every untrusted string through `safe` before it reaches a terminal, and print it without markup.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Tags after which a reader expects a line break; everything else is inline.
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
# Tags whose content is never text a person wrote for the post.
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


_TAG_HINT = re.compile(r"<[a-zA-Z/!]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


#: A tag of the plain markup social platforms send (Mastodon's `<p>`, `<br>`, `<a href=...>`,
#: `<span class=...>`...): a known inline or line-breaking element with double-quoted or bare
#: attributes. Markup made only of these is read without the HTML parser.
_PLAIN_TAG = re.compile(
    r"<(/?)(p|br|a|span|b|i|em|strong|code|u|s|del|ins|small|sup|sub|mark|abbr|cite|q|li|ul|ol"
    r"|div|blockquote|pre)"
    r"""((?:\s+[a-z][a-z0-9_:.-]*(?:\s*=\s*(?:"[^"<>]*"|[^\s"'=<>`]+))?)*\s*/?)>""",
    re.IGNORECASE,
)

_UNQUOTED_THEN_SLASH = re.compile(r"=\s*[^\s\"'=<>`]+/$")


def _plain_markup_text(markup: str) -> str | None:
    """What `_TextExtractor` makes of markup whose every tag matches `_PLAIN_TAG`, about five
    times faster (a scan reads most of its posts this way); None for any other markup."""
    parts: list[str] = []
    position = 0
    for tag in _PLAIN_TAG.finditer(markup):
        data = markup[position : tag.start()]
        if "<" in data:
            return None  # a tag (or a "<") of another kind: the parser decides
        parts.append(html.unescape(data) if "&" in data else data)
        if tag.group(2).lower() in _BLOCK_TAGS:
            attributes = tag.group(3)
            if _UNQUOTED_THEN_SLASH.search(attributes):
                return None  # `<p id=x/>`: is the "/" the value's or the tag's? The parser's.
            # `<br/>` is a start tag and an end tag to the parser: a line break for each.
            closed = not tag.group(1) and attributes.endswith("/")
            parts.append("\n\n" if closed else "\n")
        position = tag.end()
    rest = markup[position:]
    if "<" in rest:
        return None
    parts.append(html.unescape(rest) if "&" in rest else rest)
    return "".join(parts)


def html_to_text(markup: str) -> str:
    """Turn an HTML fragment (or plain text with entities) into readable plain text."""
    if not markup:
        return ""
    if _TAG_HINT.search(markup):
        plain = _plain_markup_text(markup)
        text = plain if plain is not None else _parsed_text(markup)
    else:
        text = html.unescape(markup)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _parsed_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def is_unsafe_char(char: str) -> bool:
    """A control or format character other than newline and tab."""
    if char in "\n\t":
        return False
    category = unicodedata.category(char)
    # Cc: C0 and C1 controls (ESC, CSI, OSC...); Cf: format characters (bidi overrides,
    # zero-width joiners), which can disguise what a line really says.
    return category in ("Cc", "Cf")


#: A character other than printable ASCII, newline and tab: the ones `safe` must judge.
_NOT_PLAIN = re.compile(r"[^\x20-\x7e\n\t]")


@functools.lru_cache(maxsize=4096)
def _kept_char(char: str) -> str:
    return "" if is_unsafe_char(char) else char


def _kept(found: re.Match[str]) -> str:
    return _kept_char(found.group())


# Whole terminal escape sequences, so that removing their control characters does not leave
# debris such as "]52;c;SGVsbG8=" or "[31m" in the text: OSC/DCS/APC/PM strings (ESC or C1
# introducer, up to BEL or ST), CSI sequences, and the two-character ESC sequences.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b[\]P_^X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -~]?"
)


def safe(text: str | None, *, single_line: bool = False) -> str:
    """Remove terminal escape sequences and every C0/C1 control and Unicode format (Cf)
    character from untrusted text.

    With `single_line`, newlines and tabs become spaces too (table cells, email headers).
    """
    if not text:
        return ""
    if _NOT_PLAIN.search(text):
        text = _ESCAPE_SEQUENCE.sub("", text)
        # Only the characters outside printable ASCII are looked at one by one (in a table or
        # an export of thousands of rows, `safe` is most of the cost).
        text = _NOT_PLAIN.sub(_kept, text)
    if single_line:
        text = " ".join(text.split())
    return text


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences: cheap and good enough for scoring posts sentence by sentence."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def snippet(text: str, width: int = 140) -> str:
    """One line of at most `width` characters, cut at a word boundary with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    cut = line[: width - 1].rsplit(" ", 1)[0]
    return (cut or line[: width - 1]) + "…"


# Query parameters that only track a click and never change what a link points to.
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|ref_src)$")


#: A link that is canonical already: https, a lower-case host with no port or user, and no
#: query or fragment (most links a scan sees). `urlsplit` costs more than the rest of storing.
_ALREADY_CANONICAL = re.compile(r"https://[a-z0-9.-]+(/[\x21\x22\x24-\x3e\x40-\x7e]*)?")


def canonical_url(url: str) -> str:
    """A stable link for deduplication: https, lower-case host, no tracking or fragment."""
    plain = _ALREADY_CANONICAL.fullmatch(url)
    if plain is not None:
        return url if plain.group(1) else f"{url}/"
    return _canonical_url_slowly(url)


def _canonical_url_slowly(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        return url.strip()
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING_PARAMS.match(k)
        ]
    )
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    return urlunsplit(("https", host, parts.path or "/", query, ""))


def is_web_url(url: str | None) -> bool:
    """True for http(s) links only: a post can carry javascript: or data: links."""
    return bool(url) and urlsplit(url or "").scheme.lower() in ("http", "https")
