"""The .eml message: multipart/alternative, CRLF, deterministic headers, one-click unsubscribe."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from .config import Settings
from .errors import NewsletterError
from .issue import Issue
from .urls import is_merge_tag


def message(
    issue: Issue, settings: Settings, html: str, text: str, subject_prefix: str = "", to: str = ""
) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    headers = {
        "Subject": subject_prefix + issue.subject,
        "From": settings.sender,
        "To": to or "undisclosed-recipients:;",
        "Reply-To": settings.reply_to,
        "Date": format_datetime(_date(issue)),
        "Message-ID": f"<{issue.week.lower()}.{_digest(issue.subject, html)[:16]}@{settings.domain}>",
        "List-Unsubscribe": _list_unsubscribe(settings),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    for name, value in headers.items():
        if not value:
            continue
        if len(value.splitlines()) > 1 or "\r" in value or "\n" in value:
            raise NewsletterError(f"{name} header: line breaks are not allowed in '{value!r}'")
        msg[name] = value
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # The boundary is random by default; derive it from the content so builds are byte-identical.
    msg.set_boundary(f"=_nl_{_digest(text, html)[:24]}")
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=policy.SMTP)


def _date(issue: Issue) -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return issue.date


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _list_unsubscribe(settings: Settings) -> str:
    """RFC 2369/8058: the ESP replaces the merge tag per recipient; the header carries it as given."""
    url = settings.unsubscribe_url
    return f"<{url}>" if url and (is_merge_tag(url) or url.startswith("https://")) else ""
