"""`newsletter send`: a test copy of the issue by SMTP (STARTTLS when offered), or a dry run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import mimetypes
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from newsletter.content.issue import Issue, Selection
from newsletter.content.settings import MAX_UNSUBSCRIBE, Settings
from newsletter.email import headers, links, mime
from newsletter.errors import WARNING, NewsletterError, Problem
from newsletter.run.context import SEND, Run
from newsletter.run.plan import plan
from newsletter.urls import LOOPBACK, is_merge_tag, split

PASSWORD_VARIABLE = "NEWSLETTER_SMTP_PASSWORD"


# A test copy carries its pictures: many mail servers refuse a message over 10 MB (Exchange's default),
# Gmail one over 25 MB, and base64 makes each picture a third bigger.
MAX_TEST_BYTES = 10_000_000
MAX_RECIPIENTS = 50  # a test copy goes to a few people; a long list is a mistake (or a mailing)
# Where a merge tag used as a link points in a test copy (no ESP fills it in): a page on the site's host
# named for the tag, https://viaskincare.com/merge-tag-placeholder/UNSUB for *|UNSUB|*.
PLACEHOLDER_PATH = "/merge-tag-placeholder/"


@dataclass(frozen=True)
class Sent:
    message: bytes
    to: tuple[str, ...]  # every recipient's address, in the order given
    server: str  # "" for a dry run
    encrypted: bool
    warnings: tuple[Problem, ...]
    week: str = ""  # the issue sent
    subject: str = ""  # its subject, without the "[TEST] " the copy carries


class Malformed(NewsletterError):
    """A --to value that is no address list: the command line's usage error (exit 2)."""


def recipients(values: tuple[str, ...] | str) -> tuple[headers.Mailbox, ...]:
    """Every --to value, each a comma-separated list; each address parsed strictly, duplicates once.
    A value that does not parse is Malformed; a list longer than MAX_RECIPIENTS is well-formed but
    refused (exit 1)."""
    found: dict[str, headers.Mailbox] = {}
    for value in (values,) if isinstance(values, str) else values:
        try:
            boxes = headers.parse_mailbox_list(value)
        except headers.AddressError as exc:
            raise Malformed(
                f"--to: expected an email address (or several, comma-separated), got {value!r}: {exc}"
            ) from None
        for box in boxes:
            found.setdefault(box.address.lower(), box)
    if not found:
        raise Malformed("--to: give at least one address")
    if len(found) > MAX_RECIPIENTS:
        raise NewsletterError(f"--to: {len(found)} addresses; a test copy goes to at most {MAX_RECIPIENTS}")
    return tuple(found.values())


def test_message(
    settings: Settings, now: dt.datetime, to: tuple[headers.Mailbox, ...], week: str | None
) -> tuple[EmailMessage, tuple[Problem, ...], Issue]:
    """The issue's message as built (only the email: no captions, cards or web copy), addressed to the
    testers, subject prefixed [TEST], with a Message-ID of its own and placeholder links for merge tags
    (see `for_test`)."""
    tested = for_test(settings)
    made = plan(Run(tested, now, SEND, bytecode=True), Selection(week=week))
    outputs = made.issues[0]
    html, text = _link_placeholders(tested, outputs.html, outputs.text)
    html, related = embedded_images(html, outputs.issue.week, outputs.files, settings)
    message_id = mime.fresh_message_id(settings, now)
    message = mime.message(outputs.issue, tested, html, text, "[TEST] ", to, message_id)
    return with_related(message, related), made.warnings, outputs.issue


def placeholder(settings: Settings, tag: str) -> str:
    """The placeholder URL of a merge tag, named for it: *|UNSUB|* -> .../merge-tag-placeholder/UNSUB."""
    return _placeholders_at(settings) + (re.sub(r"[^A-Za-z0-9_.-]+", "-", tag).strip("-") or "tag")


def _placeholders_at(settings: Settings) -> str:
    """On the site's host (https, as List-Unsubscribe wants; the host alone, not the site's path, keeps
    the header on one line), in the ASCII form mail needs."""
    host = settings.domain if settings.mail_domain.startswith("[") else settings.mail_domain
    parts = split(settings.site_url)
    port = f":{parts.port}" if parts and parts.port else ""
    return f"https://{host}{port}{PLACEHOLDER_PATH}"


def for_test(settings: Settings) -> Settings:
    """A test copy reaches the inbox without passing the ESP, so nothing fills in *|UNSUB|*: as in a
    Mailchimp test send, the footer link and List-Unsubscribe get a working URL, here a placeholder.
    On a long host name the tag's name is left out so the header still fits one line (a host too long
    even for that keeps the merge tag)."""
    tag = settings.unsubscribe_url
    if not is_merge_tag(tag):
        return settings
    fitting = [
        url
        for url in (placeholder(settings, tag), _placeholders_at(settings).rstrip("/"))
        if len(url) <= MAX_UNSUBSCRIBE
    ]
    return dataclasses.replace(settings, unsubscribe_url=fitting[0]) if fitting else settings


def _link_placeholders(settings: Settings, html: str, text: str) -> tuple[str, str]:
    """Merge tags a post uses as links (`[Update your profile](*|UPDATE_PROFILE|*)`) get placeholders
    too, in the HTML and the text part; merge tags in prose stay as written. A placeholder carries no
    utm_ parameters (the footer's got them as a link to the site), as the merge tag it stands for."""
    tags: set[str] = set()
    stem = _placeholders_at(settings).rstrip("/")

    def swap(url: str) -> str:
        if is_merge_tag(url):
            tags.add(url)
            return placeholder(settings, url)
        return url.split("?", 1)[0] if url.startswith(stem) else url

    html = links.rewrite(html, swap)
    for tag in sorted(tags, key=len, reverse=True):
        text = text.replace(f"({tag})", f"({placeholder(settings, tag)})")
    return html, text


Related = tuple[tuple[str, str, bytes], ...]  # (Content-ID without brackets, content type, bytes)


def embedded_images(html: str, week: str, files, settings: Settings) -> tuple[str, Related]:
    """The test copy shows the issue's local images before the archive is published: each one's
    archive URL in the HTML becomes `cid:NAME@domain`, and the picture travels in the message."""
    base = f"{settings.archive_url}/{week}/images/"
    related = []
    for path, data in sorted(files.items()):
        if not path.startswith("images/") or base + path[len("images/") :] not in html:
            continue
        name = path[len("images/") :]
        cid = f"{name}@{settings.mail_domain}"
        html = html.replace(base + name, f"cid:{cid}")
        related.append((cid, mimetypes.guess_type(name)[0] or "application/octet-stream", data))
    return html, tuple(related)


def with_related(message: EmailMessage, related: Related) -> EmailMessage:
    """The HTML part as multipart/related: the HTML first, then each picture with its Content-ID."""
    if not related:
        return message
    part = message.get_body(("html",))
    assert part is not None
    for cid, content_type, data in related:
        maintype, subtype = content_type.split("/", 1)
        part.add_related(
            data, maintype, subtype, cid=f"<{cid}>", disposition="inline", filename=cid.split("@")[0]
        )
    part.set_boundary(f"=_nl_related_{hashlib.sha256(b''.join(d for _, _, d in related)).hexdigest()[:20]}")
    return message


def send(
    settings: Settings,
    to: tuple[str, ...] | str,
    now: dt.datetime,
    week: str | None = None,
    dry_run: bool = False,
) -> Sent:
    boxes = recipients(to)
    addresses = tuple(box.address for box in boxes)
    message, warnings, issue = test_message(settings, now, boxes, week)
    # The built .eml keeps its deterministic date; a test copy is dated now, so it sorts at the top of
    # the inbox instead of days down, under the newest post's date.
    message.replace_header("Date", format_datetime(now.replace(microsecond=0)))
    data = mime.as_bytes(message)
    warnings += _size_warning(data)
    if dry_run:
        return Sent(data, addresses, "", False, warnings, issue.week, issue.subject)
    server = f"{settings.smtp_host}:{settings.smtp_port}"
    encrypted = _deliver(settings, data, addresses, server)
    return Sent(data, addresses, server, encrypted, warnings, issue.week, issue.subject)


SHOWN_HEADERS = ("From", "Reply-To", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe",
                 "List-Unsubscribe-Post")  # fmt: skip


def summary(data: bytes) -> str:
    """A dry run as a person reads it: the headers decoded, the parts with their sizes (pictures named),
    and the text part as the reader gets it; `--raw` prints the wire form instead."""
    from email import message_from_bytes, policy

    message = message_from_bytes(data, policy=policy.default)
    lines = [f"Dry run, nothing sent: the test message is {_size(len(data))} as sent.", ""]
    lines += [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name] is not None]
    lines += ["", "Parts:"]
    for part, depth in _parts(message):
        kind = part.get_content_type()
        if part.is_multipart():
            lines.append(f"{'  ' * depth}- {kind}")
            continue
        payload = part.get_payload(decode=True) or b""
        name = part.get_filename() or ""
        where = f" {name}" if name else ""
        cid = f", Content-ID {part['Content-ID']}" if part["Content-ID"] else ""
        lines.append(f"{'  ' * depth}- {kind}{where}: {_size(len(payload))}{cid}")
    text = message.get_body(("plain",))
    body = text.get_content().replace("\r\n", "\n") if text is not None else ""
    lines += ["", "Text part:", "", body.rstrip("\n"), "", "(--raw prints the message as sent)"]
    return "\n".join(lines) + "\n"


def _parts(message, depth: int = 0):
    yield message, depth
    if message.is_multipart():
        for part in message.iter_parts():
            yield from _parts(part, depth + 1)


def _size(count: int) -> str:
    return f"{count:,} bytes" if count < 1024 else f"{count / 1024:.1f} KB"


def _size_warning(data: bytes) -> tuple[Problem, ...]:
    """A test copy too big for the servers on its way: said before it is refused (or clipped)."""
    if len(data) <= MAX_TEST_BYTES:
        return ()
    return (
        Problem(
            "send",
            0,
            f"the test message is {len(data) / 1e6:.1f} MB with its pictures (over {MAX_TEST_BYTES / 1e6:g} MB): "
            "many mail servers refuse messages over 10 MB and Gmail over 25 MB; make the pictures smaller or "
            "use fewer of them",
            WARNING,
            "image",
        ),
    )


def _deliver(settings: Settings, data: bytes, to: tuple[str, ...], server: str) -> bool:
    """Sends the verified bytes themselves (not a re-serialisation); every recipient gets it or the
    command fails naming the ones the server refused."""
    sender = headers.parse_mailbox(settings.sender).address
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            smtp.ehlo(settings.mail_domain)
            encrypted = _starttls(smtp, settings)
            _login(smtp, settings, encrypted, server)
            refused = smtp.sendmail(sender, list(to), data)
    except smtplib.SMTPAuthenticationError as exc:
        raise NewsletterError(
            f"smtp {server}: authentication failed ({exc.smtp_code}); check smtp_user in setup.cfg and "
            f"{PASSWORD_VARIABLE}"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise NewsletterError(
            f"smtp {server}: the server refused {_refusals(exc.recipients)}; nothing was sent"
        ) from None
    except smtplib.SMTPException as exc:
        raise NewsletterError(f"smtp {server}: {exc}") from None
    except ConnectionRefusedError:
        raise NewsletterError(
            f"smtp {server}: connection refused; is the server running? check smtp_host and smtp_port"
        ) from None
    except OSError as exc:
        raise NewsletterError(f"smtp {server}: cannot connect: {exc.strerror or exc}") from None
    if refused:
        delivered = ", ".join(a for a in to if a not in refused)
        raise NewsletterError(
            f"smtp {server}: the server refused {_refusals(refused)}; sent only to {delivered}"
        )
    return encrypted


def _refusals(refused: dict) -> str:
    return ", ".join(
        f"'{address}' ({code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply})"
        for address, (code, reply) in sorted(refused.items())
    )


def _starttls(smtp: smtplib.SMTP, settings: Settings) -> bool:
    """`smtp_starttls = true` is a requirement, not a wish: a server that does not offer STARTTLS
    (or a connection that strips it from the EHLO answer) gets nothing rather than the plain text."""
    if not settings.smtp_starttls:
        return False
    if not smtp.has_extn("starttls"):
        raise NewsletterError(
            f"smtp {settings.smtp_host}:{settings.smtp_port}: the server does not offer STARTTLS and "
            "smtp_starttls = true in setup.cfg, so nothing was sent; use the server's submission port "
            "(587) or its TLS settings, or set smtp_starttls = false for a local test server that has none"
        )
    smtp.starttls(context=ssl.create_default_context())
    smtp.ehlo(settings.mail_domain)
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
