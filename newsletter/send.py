"""`newsletter send`: a test copy of the issue by SMTP (STARTTLS when offered), or a dry run."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from . import mime
from .config import Settings
from .errors import NewsletterError, Problem
from .issue import Selection
from .pipeline import plan
from .urls import LOOPBACK

PASSWORD_VARIABLE = "NEWSLETTER_SMTP_PASSWORD"


@dataclass(frozen=True)
class Sent:
    message: bytes
    to: str
    server: str  # "" for a dry run
    encrypted: bool
    warnings: tuple[Problem, ...]


def test_message(settings: Settings, to: str, week: str | None) -> tuple[EmailMessage, tuple[Problem, ...]]:
    """The issue's message as built, addressed to one tester, subject prefixed [TEST]."""
    if "@" not in parseaddr(to)[1] or "\n" in to or "\r" in to:
        raise NewsletterError(f"--to: expected an email address, got '{to}'")
    made = plan(settings, Selection(week=week))
    outputs = made.rendered[0]
    return mime.message(outputs.issue, settings, outputs.html, outputs.text, "[TEST] ", to), made.warnings


def send(settings: Settings, to: str, week: str | None = None, dry_run: bool = False) -> Sent:
    message, warnings = test_message(settings, to, week)
    if dry_run:
        return Sent(mime.as_bytes(message), to, "", False, warnings)
    server = f"{settings.smtp_host}:{settings.smtp_port}"
    encrypted = _deliver(settings, message, to, server)
    return Sent(mime.as_bytes(message), to, server, encrypted, warnings)


def _deliver(settings: Settings, message: EmailMessage, to: str, server: str) -> bool:
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            smtp.ehlo(settings.domain)
            encrypted = _starttls(smtp, settings)
            _login(smtp, settings, encrypted, server)
            smtp.send_message(message, from_addr=parseaddr(settings.sender)[1], to_addrs=[to])
            return encrypted
    except smtplib.SMTPAuthenticationError as exc:
        raise NewsletterError(
            f"smtp {server}: authentication failed ({exc.smtp_code}); check smtp_user in setup.cfg and "
            f"{PASSWORD_VARIABLE}"
        ) from None
    except smtplib.SMTPRecipientsRefused:
        raise NewsletterError(f"smtp {server}: the server refused the recipient '{to}'") from None
    except smtplib.SMTPException as exc:
        raise NewsletterError(f"smtp {server}: {exc}") from None
    except ConnectionRefusedError:
        raise NewsletterError(
            f"smtp {server}: connection refused; is the server running? check smtp_host and smtp_port"
        ) from None
    except OSError as exc:
        raise NewsletterError(f"smtp {server}: cannot connect: {exc.strerror or exc}") from None


def _starttls(smtp: smtplib.SMTP, settings: Settings) -> bool:
    if not (settings.smtp_starttls and smtp.has_extn("starttls")):
        return False
    smtp.starttls(context=ssl.create_default_context())
    smtp.ehlo(settings.domain)
    return True


def _login(smtp: smtplib.SMTP, settings: Settings, encrypted: bool, server: str) -> None:
    if not settings.smtp_user:
        return
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        raise NewsletterError(
            f"smtp {server}: smtp_user is set but {PASSWORD_VARIABLE} is not; export it first"
        )
    if not encrypted and settings.smtp_host not in LOOPBACK:
        raise NewsletterError(
            f"smtp {server}: the server offers no STARTTLS; refusing to send the password unencrypted"
        )
    smtp.login(settings.smtp_user, password)
