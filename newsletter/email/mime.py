"""The .eml message: multipart/alternative, CRLF, deterministic headers, one-click unsubscribe.

Every header value is made and folded by `headers` and stored verbatim (see _Policy): the email
package never parses, decodes or refolds a value that came from the user's input.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from newsletter.content.issue import Issue
from newsletter.content.settings import Settings
from newsletter.email import headers
from newsletter.errors import NewsletterError
from newsletter.urls import is_merge_tag

# Largest SOURCE_DATE_EPOCH a datetime can hold: 9999-12-31T23:59:59Z.
MAX_EPOCH = 253402300799


class _Verbatim(str):
    """A header value already encoded and folded by `headers`."""


class _Policy(policy.EmailPolicy):
    """SMTP policy that stores _Verbatim values as they are and never refolds a stored value."""

    def header_store_parse(self, name, value):
        if isinstance(value, _Verbatim):
            return (name, str(value))
        return super().header_store_parse(name, value)


POLICY = _Policy(linesep="\r\n", refold_source="none")


def message(
    issue: Issue,
    settings: Settings,
    html: str,
    text: str,
    subject_prefix: str = "",
    to: tuple[headers.Mailbox, ...] | str = (),
    message_id: str = "",
) -> EmailMessage:
    """The issue as a message; `message_id` (a test send's fresh one) replaces the built, stable one."""
    if isinstance(to, str):  # addresses as text: parsed as strictly as `send --to`
        try:
            to = tuple(headers.parse_mailbox_list(to)) if to.strip() else ()
        except headers.AddressError as exc:
            raise NewsletterError(f"To header: {to!r} {exc}") from None
    msg = EmailMessage(policy=POLICY)
    for name, value in _headers(issue, settings, html, subject_prefix, to, message_id).items():
        if value:
            msg[name] = _Verbatim(value)
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # The boundary is random by default; derive it from the content so builds are byte-identical.
    msg.set_boundary(f"=_nl_{_digest(text, html)[:24]}")
    return msg


def _headers(
    issue: Issue, settings: Settings, html: str, prefix: str, to: tuple[headers.Mailbox, ...], message_id: str
) -> dict[str, str]:
    subject = headers.clean(prefix + issue.subject)
    if not subject:
        raise NewsletterError(f"issue {issue.week}: the subject is empty; give the first post a title")
    sender = headers.parse_mailbox(settings.sender)
    reply_to = [headers.parse_mailbox(settings.reply_to)] if settings.reply_to else []
    digest = _digest(issue.subject, html)[:16]
    return {
        "Subject": headers.unstructured("Subject", subject),
        "From": headers.mailboxes("From", [sender]),
        "To": headers.mailboxes("To", list(to)) if to else "undisclosed-recipients:;",
        "Reply-To": headers.mailboxes("Reply-To", reply_to) if reply_to else "",
        "Date": format_datetime(_date(issue)),
        # A long domain moves the ID to a continuation line (RFC 5322 allows folding before the "<").
        "Message-ID": headers.fold(
            "Message-ID", [message_id or f"<{issue.week.lower()}.{digest}@{settings.mail_domain}>"]
        ),
        "List-Unsubscribe": _list_unsubscribe(settings),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def fresh_message_id(settings: Settings, now: dt.datetime) -> str:
    """A Message-ID for one test send: its time (UTC) and 48 random bits, on the site's mail domain.
    The built .eml keeps its stable ID; a test copy needs its own, since Gmail silently drops a second
    message whose ID it has already seen, so a repeated test of an unchanged issue would never arrive."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    # As short as the built ID plus the fold before "<": it fits wherever the built one does.
    return f"<test.{stamp}.{secrets.token_hex(6)}@{settings.mail_domain}>"


def as_bytes(msg: EmailMessage) -> bytes:
    data = msg.as_bytes(policy=POLICY)
    verify(data)
    return data


def verify(data: bytes) -> None:
    """Read the header block back as a mail reader would: one line per header, each header once, no
    bare LF, at most 78 characters a line. Anything else is a bug in this module, never the input's."""
    head = data.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    names = [line.split(b":", 1)[0].lower() for line in lines if line[:1] not in (b" ", b"\t")]
    problems = [
        *(f"header line of {len(line)} characters" for line in lines if len(line) > headers.MAX_LINE),
        *(["bare CR or LF in the header block"] if re.search(rb"\r(?!\n)|(?<!\r)\n", head) else []),
        *(f"header '{n.decode()}' appears twice" for n in set(names) if names.count(n) > 1),
        *(f"unexpected header '{n.decode()}'" for n in names if n not in _EXPECTED),
    ]
    if problems:
        raise AssertionError(f"email.eml is malformed: {'; '.join(problems)}")


_EXPECTED = {
    b"subject", b"from", b"to", b"reply-to", b"date", b"message-id", b"list-unsubscribe",
    b"list-unsubscribe-post", b"content-type", b"mime-version",
}  # fmt: skip


def source_date_epoch() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as an aware datetime; unset or empty is None, anything else must be valid."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,12}", raw) or int(raw) > MAX_EPOCH:
        raise NewsletterError(
            f"SOURCE_DATE_EPOCH: expected whole seconds since 1970 from 0 to {MAX_EPOCH}, got '{raw[:40]}'"
        )
    return dt.datetime.fromtimestamp(int(raw), dt.UTC)


def _date(issue: Issue) -> dt.datetime:
    return source_date_epoch() or issue.date


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _list_unsubscribe(settings: Settings) -> str:
    """RFC 2369/8058: the ESP replaces the merge tag per recipient; the header carries it as given.
    The URL is one token (RFC 2369 forbids whitespace inside the brackets); config keeps it short."""
    url = settings.unsubscribe_url
    if not url or not (is_merge_tag(url) or url.startswith("https://")):
        return ""
    return headers.fold("List-Unsubscribe", [f"<{url}>"])
