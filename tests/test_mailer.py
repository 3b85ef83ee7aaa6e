"""Delivering the digest to a real SMTP server (aiosmtpd on 127.0.0.1): plain and STARTTLS,
refusals, and the watermark that moves only when the server accepted the message."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import (
    DIGEST_CONFIG,
    DIGEST_NOW,
    SmtpServer,
    digest_post,
    fill_digest_data,
    free_port,
    running_smtp,
    self_signed_certificate,
    store_posts,
)
from mentionwatch.cli import app
from mentionwatch.config import SmtpConfig, load_config, parse_config, tomllib
from mentionwatch.digest import build_digest, send_digest
from mentionwatch.errors import DeliveryError, ExitStatus
from mentionwatch.mailer import send
from mentionwatch.store import Store


def setup(tmp_path: Path, smtp_toml: str) -> tuple[Path, Path]:
    config = tmp_path / "config.toml"
    config.write_text(DIGEST_CONFIG + "\n[smtp]\n" + smtp_toml, encoding="utf-8")
    db = tmp_path / "mw.db"
    with Store.open(db) as store:
        fill_digest_data(store)
    return config, db


def deliver(config: Path, db: Path, recipients: list[str] | None = None) -> list[str]:
    """One digest at the data set's fixed time, sent as `digest --send` sends it."""
    loaded = load_config(config)
    with Store.open(db) as store:
        digest = build_digest(store, loaded, now=DIGEST_NOW)
        return send_digest(
            store,
            loaded,
            digest,
            recipients=recipients or list(loaded.digest.to),
            environ={"SMTP_PASSWORD": "s3cret-pw"},
            now=DIGEST_NOW,
        )


def run_digest(config: Path, db: Path, *extra: str) -> tuple[int, str]:
    """`mentionwatch digest --send` on the real clock (so with --since: the data is fixed)."""
    result = CliRunner().invoke(
        app,
        ["digest", "--config", str(config), "--db", str(db), "--send", "--since", "3650d",
         *extra],
        env={"SMTP_PASSWORD": "s3cret-pw"},
    )  # fmt: skip
    return result.exit_code, result.output


def received(server: SmtpServer, index: int = -1) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(server.messages[index])
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()  # type: ignore[attr-defined]


def test_plain_smtp_delivers_both_parts_and_advances_the_watermark(tmp_path: Path) -> None:
    with running_smtp() as server:
        config, db = setup(
            tmp_path, f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
        )
        assert deliver(config, db) == []
        assert len(server.messages) == 1
        assert server.envelopes == [("digest@acme.example", ["support@acme.example"])]
        message = received(server)
        assert message.get_content_type() == "multipart/alternative"
        assert message["Subject"] == (
            "Acme digest: 3 unanswered negative mentions, 2 past SLA, 1 open question; 5 new"
        )
        assert message["From"] == "digest@acme.example"
        assert message["To"] == "support@acme.example"
        assert message["Message-ID"] and message["Date"]
        text, html = parts(message)
        assert "PAST SLA (4h) (2)" in text and "NEW MENTIONS (5)" in text
        assert "spam kept out: 1" in text and "Acme lost my order" in text
        assert "3 unanswered negative mentions, 2 past SLA" in html
        assert 'href="https://alerts.example/late"' in html

        # A successful send is never repeated: the next digest has nothing new.
        assert deliver(config, db) == []
        text, _ = parts(received(server))
        assert "NEW MENTIONS (0)" in text and "spam kept out: 0" in text
    with Store.open(db) as store:
        last = store.last_digest()
        assert last is not None and last[1] == 8


def test_starttls_with_login_against_a_throwaway_certificate(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    with running_smtp(tls=(cert, key), logins=[("digest", "s3cret-pw")]) as server:
        config, db = setup(
            tmp_path,
            f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "starttls"\n'
            f'username = "digest"\npassword_env = "SMTP_PASSWORD"\nca_file = "{cert}"\n',
        )
        assert deliver(config, db) == []
        text, _ = parts(received(server))
        assert "UNANSWERED NEGATIVE (1)" in text
        status, output = run_digest(config, db)  # and through the command
        assert status == 0, output
        assert output.startswith("Sent the Acme digest to support@acme.example: ")


def test_starttls_refuses_a_certificate_it_does_not_trust(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    with running_smtp(tls=(cert, key)) as server:
        smtp = SmtpConfig(host="127.0.0.1", port=server.port, security="starttls")
        with pytest.raises(DeliveryError, match=r"TLS with 127\.0\.0\.1:\d+ failed"):
            send(_tiny_message(), smtp, {})
        assert server.messages == []


def test_a_wrong_password_is_one_line_without_the_password(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    with running_smtp(tls=(cert, key), logins=[("digest", "other")]) as server:
        config, db = setup(
            tmp_path,
            f'host = "127.0.0.1"\nport = {server.port}\nusername = "digest"\n'
            f'password_env = "SMTP_PASSWORD"\nca_file = "{cert}"\n',
        )
        status, output = run_digest(config, db)
    assert status == ExitStatus.DELIVERY_FAILED
    assert "refused the login of digest" in output and "s3cret-pw" not in output
    assert len(output.strip().splitlines()) == 1


def test_a_refused_connection_leaves_the_watermark_and_the_next_run_sends_it_all(
    tmp_path: Path,
) -> None:
    port = free_port()  # nothing listens here
    config, db = setup(tmp_path, f'host = "127.0.0.1"\nport = {port}\nsecurity = "none"\n')
    status, output = run_digest(config, db)
    assert status == ExitStatus.DELIVERY_FAILED == 5
    assert output.strip() == f"mentionwatch: cannot connect to 127.0.0.1:{port}: connection refused"
    with Store.open(db) as store:
        assert store.last_digest() is None
    with pytest.raises(DeliveryError):
        deliver(config, db)
    with running_smtp() as server:
        config.write_text(
            config.read_text().replace(f"port = {port}", f"port = {server.port}"), encoding="utf-8"
        )
        assert deliver(config, db) == []
        text, _ = parts(received(server))
    assert "NEW MENTIONS (5)" in text and "spam kept out: 1" in text


def test_a_rejected_recipient_leaves_the_watermark_and_the_next_run_sends_the_same(
    tmp_path: Path,
) -> None:
    with running_smtp() as server:
        server.reject.add("support@acme.example")
        config, db = setup(
            tmp_path, f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
        )
        status, output = run_digest(config, db)
        assert status == ExitStatus.DELIVERY_FAILED
        assert "refused every recipient: support@acme.example (550 5.1.1 no such mailbox" in output
        with pytest.raises(DeliveryError, match="refused every recipient"):
            deliver(config, db)
        assert server.messages == []
        with Store.open(db) as store:
            assert store.last_digest() is None
            store_posts(
                store,
                [digest_post("meanwhile", "negative", hours_ago=0.5, text="Acme down again")],
                DIGEST_NOW,
            )
        server.reject.clear()
        assert deliver(config, db) == []
        text, _ = parts(received(server))
    # Nothing lost: the same five, plus the one that arrived in between.
    assert "NEW MENTIONS (6)" in text and "spam kept out: 1" in text


def test_a_partly_refused_send_still_advances_the_watermark(tmp_path: Path) -> None:
    with running_smtp() as server:
        server.reject.add("gone@acme.example")
        config, db = setup(
            tmp_path, f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
        )
        status, output = run_digest(
            config, db, "--to", "lead@acme.example", "--to", "gone@acme.example"
        )
        assert status == ExitStatus.DELIVERY_FAILED
        assert "refused gone@acme.example" in output
        assert server.envelopes == [("digest@acme.example", ["lead@acme.example"])]
    with Store.open(db) as store:
        assert store.last_digest() is not None  # lead@ has it: never sent to them again


def test_hostile_title_and_author_add_no_header(tmp_path: Path) -> None:
    title = "Acme\r\nBcc: victim@evil.example\r\n\r\n=?utf-8?q?=0D=0AX-Evil:_1?= Subject: x"
    author = "mallory\r\nX-Injected: yes =?utf-8?b?DQpCY2M6IGV2aWxAZXZpbC5leGFtcGxl?="
    with running_smtp() as server:
        config, db = setup(
            tmp_path, f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
        )
        with Store.open(db) as store:
            store_posts(
                store,
                [digest_post("evil", "negative", hours_ago=0.2, title=title, text="Acme is bad",
                             author=author, reach=5)],
                DIGEST_NOW,
            )  # fmt: skip
        status, output = run_digest(config, db, "--since", "3650d")
        assert status == 0, output
        assert server.envelopes[0][1] == ["support@acme.example"]
        message = received(server)
    assert sorted(message.keys()) == sorted(
        ["Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted", "MIME-Version",
         "Content-Type"]
    )  # fmt: skip
    assert "evil" not in str(message["Subject"]).lower()
    text, html = parts(message)
    assert "Acme Bcc: victim@evil.example =?utf-8?q?=0D=0AX-Evil:_1?= Subject: x" in text
    assert "mallory X-Injected: yes =?utf-8?b?DQpCY2M6IGV2aWxAZXZpbC5leGFtcGxl?=" in text
    assert not any(line.startswith(("Bcc:", "X-Injected", "X-Evil")) for line in text.splitlines())
    assert "mallory X-Injected: yes" in html


def test_a_hostile_brand_name_cannot_forge_a_header_through_the_subject(tmp_path: Path) -> None:
    from mentionwatch.views.digest import digest_message

    raw = tomllib.loads(DIGEST_CONFIG)
    raw["brand"]["name"] = "Acme =?utf-8?q?=0D=0ABcc:_victim@evil.example?="
    config = parse_config(raw, tmp_path / "config.toml")
    with Store.open(tmp_path / "b.db") as store:
        digest = build_digest(store, config, now=DIGEST_NOW)
    message = digest_message(
        digest, sender="digest@acme.example", recipients=["a@acme.example"], now=DIGEST_NOW
    )
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes(policy=policy.SMTP))
    assert "Bcc" not in parsed
    assert str(parsed["Subject"]).startswith("Acme =\u200b?utf-8?q?=0D=0ABcc:_victim@")


def _tiny_message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "digest@acme.example"
    message["To"] = "a@acme.example"
    message["Subject"] = "test"
    message.set_content("hello")
    return message
