"""SMTP delivery, nothing else: connect (STARTTLS, implicit TLS or plain), log in when a
username is set, send, and turn every failure into one `DeliveryError` line.

The password is never part of a message: errors name the server, the user and what the
server said, not the credentials.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

from mentionwatch.config import SmtpConfig, read_secret
from mentionwatch.errors import DeliveryError


def tls_context(smtp: SmtpConfig) -> ssl.SSLContext:
    """Certificates and host names are always verified; `ca_file` adds a CA to trust."""
    return ssl.create_default_context(cafile=smtp.ca_file)


def send(
    message: EmailMessage, smtp: SmtpConfig, environ: Mapping[str, str]
) -> dict[str, tuple[int, bytes]]:
    """Deliver `message` to its To addresses. Returns the recipients the server refused when
    it accepted the message for others; raises `DeliveryError` when nothing was accepted."""
    where = f"{smtp.host}:{smtp.effective_port}"
    password = None
    if smtp.username:
        password = read_secret(smtp.password_env, smtp.password_file, environ)
        if password is None:
            named = smtp.password_env or smtp.password_file
            raise DeliveryError(f"SMTP password for {smtp.username} not found in {named}")
    timeout = smtp.timeout.total_seconds()
    try:
        client: smtplib.SMTP
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.effective_port, timeout=timeout, context=tls_context(smtp)
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.effective_port, timeout=timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=tls_context(smtp))
            if smtp.username and password is not None:
                client.login(smtp.username, password)
            return client.send_message(message)
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError(
            f"{where} does not offer STARTTLS; check [smtp] port and security"
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"{where} refused the login of {smtp.username}: {_said(exc.smtp_code, exc.smtp_error)}"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        refused = "; ".join(
            f"{address} ({_said(code, text)})" for address, (code, text) in exc.recipients.items()
        )
        raise DeliveryError(f"{where} refused every recipient: {refused}") from None
    except smtplib.SMTPSenderRefused as exc:
        raise DeliveryError(
            f"{where} refused the sender {exc.sender}: {_said(exc.smtp_code, exc.smtp_error)}"
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"{where} refused the message: {_said(exc.smtp_code, exc.smtp_error)}"
        ) from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"TLS with {where} failed: {exc.reason or exc}") from None
    except ConnectionRefusedError:
        raise DeliveryError(f"cannot connect to {where}: connection refused") from None
    except TimeoutError:
        raise DeliveryError(f"{where} did not answer within {timeout:g}s") from None
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP with {where} failed: {exc}") from None
    except OSError as exc:
        raise DeliveryError(f"cannot connect to {where}: {exc.strerror or exc}") from None


def _said(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(said.split())}"
