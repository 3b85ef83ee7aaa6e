"""A large feed is parsed in parts (to bound memory); the mentions must be exactly those of
parsing it whole, for RSS 2.0, RSS 1.0 (RDF) and Atom."""

from __future__ import annotations

import pytest

from mentionwatch.sources import rss

ITEMS = 400


def rss2(count: int) -> bytes:
    items = "".join(
        f"<item><title>Acme post {i} &amp; more</title><link>https://blog.example/{i}</link>"
        f"<guid>g{i}</guid><pubDate>Mon, 0{1 + i % 9} Nov 2026 10:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>Still waiting for my <b>Acme</b> refund, day {i}."
        f" An &lt;item&gt; in text</p>]]></description></item>\n"
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Blog</title><link>https://blog.example/</link>{items}</channel></rss>"
    ).encode()


def atom(count: int) -> bytes:
    entries = "".join(
        f"<entry><title>Acme entry {i}</title><id>tag:blog.example,2026:{i}</id>"
        f'<link href="https://blog.example/e/{i}"/>'
        f"<updated>2026-11-0{1 + i % 9}T10:00:00Z</updated>"
        f'<author><name>writer{i % 7}</name></author><content type="html">'
        f"&lt;p&gt;Acme app crashed again ({i})&lt;/p&gt;</content></entry>\n"
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Blog</title><id>tag:blog.example,2026:feed</id>{entries}</feed>"
    ).encode()


def rdf(count: int) -> bytes:
    seq = "".join(f'<rdf:li resource="https://blog.example/r/{i}"/>' for i in range(count))
    items = "".join(
        f'<item rdf:about="https://blog.example/r/{i}"><title>Acme item {i}</title>'
        f"<link>https://blog.example/r/{i}</link><description>Acme outage {i}</description>"
        f"</item>\n"
        for i in range(count)
    )
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://blog.example/">'
        f"<title>Blog</title><link>https://blog.example/</link><items><rdf:Seq>{seq}"
        f"</rdf:Seq></items></channel>{items}</rdf:RDF>"
    ).encode()


@pytest.mark.parametrize("feed", [rss2, atom, rdf], ids=["rss2", "atom", "rdf"])
def test_a_feed_parsed_in_parts_gives_what_parsing_it_whole_gives(
    feed: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = feed(ITEMS)  # type: ignore[operator]
    whole = rss.parse_feed(body, source="blog", base_url="https://blog.example/")
    monkeypatch.setattr(rss, "PART_BYTES", 5_000)
    assert len(rss._feed_parts(body)) > 10
    parted = rss.parse_feed(body, source="blog", base_url="https://blog.example/")
    assert len(whole) == ITEMS
    assert parted == whole


def test_a_feed_whose_items_cannot_be_found_is_parsed_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rss, "PART_BYTES", 100)
    utf16 = rss2(20).decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    assert rss._feed_parts(utf16) == [utf16]
    assert len(rss.parse_feed(utf16, source="blog", base_url="https://blog.example/")) == 20
