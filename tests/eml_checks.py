"""An independent reading of a produced .eml: what a mail reader would see in its header block."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

MAX_LINE = 78
# What a header value must never hold once decoded (a reader showing it could be misled).
_BREAKS = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def check_eml(data: bytes) -> None:
    """Exactly one From, no Bcc, CRLF only in the header block, lines of at most 78 characters, and
    no header whose decoded value holds a line break."""
    head, sep, _ = data.partition(b"\r\n\r\n")
    assert sep, "no blank line (CRLF CRLF) ends the header block"
    assert not re.search(rb"(?<!\r)\n|\r(?!\n)", head), "bare LF or CR in the header block"
    lines = head.split(b"\r\n")
    assert all(len(line) <= MAX_LINE for line in lines), [line for line in lines if len(line) > MAX_LINE]
    names = [line.split(b":", 1)[0].strip().lower() for line in lines if line[:1] not in (b" ", b"\t")]
    assert names.count(b"from") == 1, names
    assert b"bcc" not in names and b"resent-bcc" not in names, names
    assert len(names) == len(set(names)), names
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert len(message.get_all("From")) == 1
    assert message.get_all("Bcc") is None
    assert not message.defects, message.defects
    for name, value in message.items():
        assert not _BREAKS.search(str(value)), (name, str(value))
