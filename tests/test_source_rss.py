"""The RSS/Atom source: every feed shape we rely on turns into clean, plain-text mentions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from conftest import FIXTURES
from mentionwatch.errors import SourceError
from mentionwatch.models import Mention
from mentionwatch.sources.rss import parse_feed, unwrap_redirect

FEEDS = FIXTURES / "feeds"
BASE = "http://127.0.0.1:8080/feed"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def parse_fixture(name: str, base_url: str = BASE) -> list[Mention]:
    return parse_feed((FEEDS / name).read_bytes(), source="test", base_url=base_url)


def rss(items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>Inline</title><link>https://blog.example/</link><description>d</description>"
        f"{items}</channel></rss>"
    ).encode()


def assert_plain(mention: Mention) -> None:
    """No markup or undecoded entity is left in what the inbox will show."""
    for text in (mention.title, mention.text):
        assert "<" not in text and ">" not in text, text
        assert "&amp;" not in text and "&#" not in text and "&nbsp;" not in text, text
        assert "\xa0" not in text, text


def assert_utc(moment: datetime | None, expected: datetime) -> None:
    assert moment is not None
    assert moment.utcoffset() == timedelta(0)
    assert moment == expected


# --- each format ------------------------------------------------------------------------------


def test_rss2_wordpress_feed() -> None:
    mentions = parse_fixture("rss2-plain.xml")

    assert [m.title for m in mentions] == [
        "Six months with the Acme enamelled Dutch oven",
        "A warranty claim that went nowhere",
        "Weeknight sourdough: a simpler schedule",
    ]
    oven = mentions[0]
    for mention in mentions:
        assert_plain(mention)
        assert mention.kind == "rss"
        assert mention.source == "test"
    # content:encoded (the full post) wins over the description teaser.
    assert oven.text.startswith("I bought the Acme 5.5 litre Dutch oven in May, mostly for bread.")
    assert "It’s not cheap" in oven.text  # &#8217; decoded
    assert "Acme’s product page lists a lifetime warranty" in oven.text  # link text kept
    assert "[…]" not in oven.text
    assert oven.author == "Maya Ortiz"
    assert_utc(oven.created_at, utc(2026, 11, 20, 7, 30))
    assert oven.native_id == "https://kitchenbench.example/?p=2417"  # isPermaLink="false" GUID
    assert oven.url == (
        "https://kitchenbench.example/2026/11/20/six-months-with-the-acme-enamelled-dutch-oven/"
    )
    assert "250 °C" in mentions[2].text  # &nbsp;&deg;
    assert "500 g bread flour" in mentions[2].text  # list items become lines
    assert mentions[2].author == "Sam Whitlock"
    assert_utc(mentions[1].created_at, utc(2026, 11, 18, 11, 20, 31))


def test_rss1_rdf_feed() -> None:
    toaster, parts = parse_fixture("rss1-rdf.xml")

    assert toaster.title == "Fixing an Acme toaster with a 5 cent fuse"
    assert toaster.text.startswith("Saturday’s most common repair was the Acme two-slot toaster.")
    assert "crimp connector" in toaster.text  # content:encoded, not the shorter description
    assert toaster.author == "Jonas Berg"
    assert_utc(toaster.created_at, utc(2026, 11, 20, 9, 2, 40))
    url = "https://tinkerworks.example/2026/11/20/fixing-an-acme-toaster-with-a-5-cent-fuse/"
    assert toaster.url == url
    assert toaster.native_id == url
    assert parts.author == "Priya Nair"
    assert_utc(parts.created_at, utc(2026, 11, 17, 15, 48, 9))
    assert_plain(toaster)
    assert_plain(parts)


def test_atom_feed() -> None:
    qa, warehouse = parse_fixture("atom-generic.atom")

    assert qa.title == "Acme Q&A: why the returns portal keeps timing out"
    # The html <content> wins over the shorter text <summary>.
    assert qa.text == (
        "We asked Acme why its returns portal has been failing for a week. A spokesperson"
        ' blamed a database migration and said fixes are rolling out "this week".'
    )
    assert qa.author == "Dana Reyes"
    assert qa.native_id == "tag:fieldnotes.example,2026-11-20:/2026/11/acme-qa-returns-portal"
    assert qa.url == "https://fieldnotes.example/2026/11/acme-qa-returns-portal"
    assert_utc(qa.created_at, utc(2026, 11, 20, 10, 5))

    # Only an xhtml <summary>: its text is the body. published, not updated, is the date.
    assert warehouse.title == "Inside a regional warehouse"
    assert warehouse.text == (
        "A morning on the floor of the Acme warehouse outside Leeds, where 2,000 parcels an hour"
        " leave on a single conveyor."
    )
    assert warehouse.author == "Tom Okafor"
    assert_utc(warehouse.created_at, utc(2026, 11, 18, 8, 30))
    assert_plain(qa)
    assert_plain(warehouse)


def test_dates_with_an_offset_are_converted_to_utc() -> None:
    body = rss(
        "<item><title>Acme</title><link>https://blog.example/1</link>"
        "<pubDate>Fri, 20 Nov 2026 10:15:00 +0200</pubDate></item>"
        "<item><title>Acme again</title><link>https://blog.example/2</link></item>"
    )
    dated, undated = parse_feed(body, source="test", base_url=BASE)

    assert_utc(dated.created_at, utc(2026, 11, 20, 8, 15))
    assert undated.created_at is None  # the scan then uses the fetch time


# --- Google Alerts ----------------------------------------------------------------------------


def test_google_alerts_links_are_unwrapped_and_markup_dropped() -> None:
    complaint, neutral, review = parse_fixture("google-alerts.atom")

    assert [m.url for m in (complaint, neutral, review)] == [
        "https://www.riversideledger.example/business/2026/11/20/acme-refund-delays/",
        "https://logisticsweekly.example/news/acme-rotterdam-distribution-centre",
        "https://gearpatrolweekly.example/reviews/acme-rocket-skates-review/",
    ]
    assert complaint.title == "Readers say Acme refunds are stuck for weeks - Riverside Ledger"
    assert neutral.title == "Acme opens distribution centre near the port of Rotterdam"
    assert review.title == (
        "Review: Acme Rocket Skates are the best we've tested this year - Gear Patrol Weekly"
    )
    assert complaint.text.startswith("Dozens of readers told the Ledger that their Acme orders")
    # "&nbsp;..." becomes an ordinary space before the ellipsis.
    assert complaint.text.endswith("the Acme support line hung up twice ...")
    assert "Acme's two-year warranty ..." in review.text
    for mention in (complaint, neutral, review):
        assert "google.com" not in mention.url
        assert "<b>" not in mention.title and "<b>" not in mention.text
        assert_plain(mention)
        assert mention.author is None  # Google Alerts sends an empty <author><name/>
    assert complaint.native_id == "tag:google.com,2013:googlealerts/feed:9183640572219384406"
    assert_utc(complaint.created_at, utc(2026, 11, 20, 8, 15))
    assert_utc(review.created_at, utc(2026, 11, 19, 16, 3, 55))


@pytest.mark.parametrize(
    ("wrapped", "expected"),
    [
        (
            "https://www.google.com/url?rct=j&sa=t&url=https://news.example/a/b&ct=ga&usg=AOvVaw1",
            "https://news.example/a/b",
        ),
        (
            "https://www.google.com/url?q=https://news.example/a&sa=U&ved=0ah",
            "https://news.example/a",
        ),
        ("http://google.com/url?url=http://news.example/plain", "http://news.example/plain"),
        # A percent-encoded target keeps its own query string.
        (
            "https://www.google.com/url?url=https%3A%2F%2Fnews.example%2Fp%3Fid%3D7%26lang%3Den",
            "https://news.example/p?id=7&lang=en",
        ),
    ],
)
def test_unwrap_redirect_finds_the_real_article(wrapped: str, expected: str) -> None:
    assert unwrap_redirect(wrapped) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example/url?url=https://elsewhere.example/",  # not Google
        "https://www.google.com/search?q=https://news.example/a",  # Google, but not a redirect
        "https://www.google.com/url?url=javascript:alert(document.cookie)",  # not a web link
        "https://www.google.com/url?q=data:text/html,hi",
        "https://www.google.com/url?sa=t",  # no target at all
    ],
)
def test_unwrap_redirect_leaves_other_urls_alone(url: str) -> None:
    assert unwrap_redirect(url) == url


# --- Reddit and Mastodon ----------------------------------------------------------------------


def test_reddit_search_feed() -> None:
    self_post, link_post, question = parse_fixture("reddit-search.atom")

    assert self_post.title == "Acme closed my support ticket without reading it"
    assert self_post.text == (
        "Ordered a kettle from Acme, it arrived with a cracked lid. Opened a ticket, attached"
        ' photos, and 10 minutes later it was closed as "resolved" with a link to the FAQ. Tagged'
        " u/AcmeSupport here too because email clearly isn't working.\n\n"
        "Anyone else had this happen with Acme lately?"
    )
    assert link_post.title == "Acme's new Rocket Skates get a 9/10 in first review"
    for mention in (self_post, link_post, question):
        # Reddit's "submitted by /u/x to r/y [link] [comments]" trailer is not the post.
        assert "submitted by" not in mention.text
        assert "[link]" not in mention.text and "[comments]" not in mention.text
        assert_plain(mention)
    assert [m.author for m in (self_post, link_post, question)] == [
        "u/dented_kettle_77",
        "u/skatepark_dad",
        "u/quietbuyer",
    ]
    assert [m.native_id for m in (self_post, link_post, question)] == [
        "t3_1xq4t2v",
        "t3_1xq1k8d",
        "t3_1xpy0f3",
    ]
    assert self_post.url == (
        "https://www.reddit.com/r/mildlyinfuriating/comments/1xq4t2v/"
        "acme_closed_my_support_ticket_without_reading_it/"
    )
    assert_utc(self_post.created_at, utc(2026, 11, 20, 7, 58, 31))


def test_reddit_ids_do_not_depend_on_the_feed_url() -> None:
    # A relative GUID must not be resolved against the feed URL: moving the feed to another
    # address would otherwise make every post look new.
    first = parse_fixture("reddit-search.atom", "https://www.reddit.com/search.rss?q=acme")
    second = parse_fixture("reddit-search.atom", "https://old.reddit.com/r/all/search.rss?q=acme")
    assert [m.native_id for m in first] == [m.native_id for m in second]


def test_mastodon_tag_feed() -> None:
    waiting, skates, news = parse_fixture("mastodon-tag.rss")

    # Hashtag feeds name no author; the status URL does.
    assert [m.author for m in (waiting, skates, news)] == [
        "lenaparts@mastodon.social",
        "rollerjess@skate.example",
        "pmarsh@town.example",
    ]
    assert waiting.text == (
        "Day 9 waiting on a replacement lid from #Acme. Two tickets, zero replies."
        " @AcmeSupport is anyone actually reading these?"
    )
    # The post itself, not the image's alt text (media:description).
    assert skates.text.startswith("Took the new Acme Rocket Skates out on the harbour path")
    assert "wooden pier" not in skates.text
    # A content warning stays, as the first paragraph.
    assert news.text.startswith("local news, long\n\nThe planning board approved the Acme")
    for mention in (waiting, skates, news):
        assert mention.title == ""  # Mastodon items have no <title>
        assert mention.native_id == mention.url
        assert_plain(mention)
    assert waiting.url == "https://mastodon.social/@lenaparts/117647769600003018"
    assert_utc(waiting.created_at, utc(2026, 11, 20, 8, 15))
    assert_utc(news.created_at, utc(2026, 11, 19, 16, 3, 55))


# --- what is not a feed, or barely one --------------------------------------------------------


def test_an_html_error_page_is_not_a_feed() -> None:
    body = (FEEDS / "malformed.xml").read_bytes()
    with pytest.raises(SourceError, match=r"^not an RSS or Atom feed: \S"):
        parse_feed(body, source="test", base_url=BASE, content_type="text/html")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", ""),
        (b"", "application/rss+xml"),
        (b'<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>', "application/xml"),
        (b'{"error": "rate limited"}', "application/json"),
    ],
    ids=["empty body", "empty body, feed type", "xml error document", "json"],
)
def test_other_non_feeds_are_errors_not_empty_feeds(body: bytes, content_type: str) -> None:
    # Reporting these as "no mentions" would hide a broken feed for good.
    with pytest.raises(SourceError, match="not an RSS or Atom feed"):
        parse_feed(body, source="test", base_url=BASE, content_type=content_type)


@pytest.mark.parametrize(
    "body",
    [
        rss(""),
        b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>Nothing yet</title><id>urn:x</id><updated>2026-11-20T00:00:00Z</updated></feed>",
    ],
    ids=["rss", "atom"],
)
def test_an_empty_feed_has_no_mentions(body: bytes) -> None:
    assert parse_feed(body, source="test", base_url=BASE) == []


# --- identity ---------------------------------------------------------------------------------


def test_ids_fall_back_from_guid_to_link_to_a_content_hash() -> None:
    body = rss(
        "<item><title>With guid</title><link>https://blog.example/a</link>"
        '<guid isPermaLink="false">blog-42</guid></item>'
        "<item><title>Acme, no guid</title><link>/posts/b</link></item>"
        "<item><title>Acme, nothing</title><description>Only text about Acme.</description></item>"
        "<item><title>Acme, nothing</title><description>Other text about Acme.</description></item>"
    )
    with_guid, with_link, bare, other = parse_feed(body, source="test", base_url=BASE)
    again = parse_feed(body, source="test", base_url="https://elsewhere.example/rss")

    assert with_guid.native_id == "blog-42"
    # A relative link is resolved against the feed's URL; its canonical form is the id, so
    # http/https and tracking-parameter variants of the link are one post.
    assert with_link.url == "http://127.0.0.1:8080/posts/b"
    assert with_link.native_id == "https://127.0.0.1:8080/posts/b"
    assert bare.url == ""
    assert bare.native_id.startswith("sha256:")
    assert again[2].native_id == bare.native_id  # the same post, the same id, every time
    assert other.native_id.startswith("sha256:")
    assert other.native_id != bare.native_id
