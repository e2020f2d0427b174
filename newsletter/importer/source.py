"""A SOURCE as the command line names it: a URL (fetched) or a file (read), what kind of thing it is
(a page, a feed, copied text; or something that cannot be imported) and its text."""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from newsletter.importer import fetch

MAX_FILE_BYTES = fetch.MAX_BYTES
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")
_MAGIC = {
    b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
    b"%PDF": "a PDF document", b"PK\x03\x04": "a ZIP archive (a .docx?)", b"\x1f\x8b": "a gzip archive",
    b"RIFF": "a RIFF file (WebP, WAV...)", b"\x7fELF": "a program", b"\xd0\xcf\x11\xe0": "an Office document",
}  # fmt: skip
_FEED = re.compile(
    rb"^(?:\s|<\?xml[^>]*\?>|<!--.*?-->|<\?xml-stylesheet[^>]*\?>)*<(?:rss|feed|rdf:rdf)\b", re.I | re.S
)
_HTML = re.compile(rb"<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<article[\s>]|<div[\s>]|<p[\s>]", re.I)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I
)  # <meta charset=...> and <meta http-equiv=Content-Type content="...; charset=...">
# What browsers do with these labels (WHATWG Encoding): Latin-1 and ASCII pages are read as windows-1252.
_LABELS = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
}


class SourceError(ValueError):
    """The source cannot be imported; the message says why, for the report line naming the source
    (and the line of a file, when one line is at fault)."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.message, self.line = message, line


@dataclass(frozen=True)
class Loaded:
    name: str  # as the user typed it
    url: str  # the address the bytes came from (after redirects), "" for a file
    folder: Path | None  # a file's folder: a saved page's images sit beside it
    data: bytes
    content_type: str = ""
    charset: str = ""  # from the HTTP header
    headers: tuple[tuple[str, str], ...] = ()


def is_url(name: str) -> bool:
    return bool(_SCHEME.match(name))


def load(name: str, allowed: fetch.HostRule = fetch.any_host) -> Loaded:
    if is_url(name):
        answer = fetch.get(name, allowed, accept="text/html, application/xhtml+xml, application/rss+xml, "
                           "application/atom+xml, application/xml;q=0.9, text/plain;q=0.8, */*;q=0.5")  # fmt: skip
        headers = tuple(answer.headers.items())
        return Loaded(name, answer.url, None, answer.body, answer.content_type, answer.charset, headers)
    path = Path(name).expanduser()
    return Loaded(name, "", path.resolve().parent, read_file(path))


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file only (a FIFO or device would block or never end), at most `limit` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise SourceError(f"cannot be read: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise SourceError("is not a regular file (a folder, pipe or device)")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limit:
            raise SourceError(f"is {info.st_size:,} bytes; the limit is {limit:,}")
        return handle.read(limit + 1)[:limit]


def kind_of(loaded: Loaded) -> str:
    """'feed', 'page' or 'text'; SourceError for what none of them is."""
    data = loaded.data
    if not data.strip():
        raise SourceError("is empty: nothing to import")
    head = data[:4096]
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16:
        for magic, what in _MAGIC.items():
            if head.startswith(magic):
                raise SourceError(f"is {what}, not a web page, a feed or text")
        if b"\0" in head:
            raise SourceError("is binary (it holds NUL bytes), not a web page, a feed or text")
    sample = head.decode("utf-16") if utf16 else head
    sample = sample.encode("utf-8", "replace") if isinstance(sample, str) else sample
    sample = sample.removeprefix(codecs.BOM_UTF8)
    content_type = loaded.content_type
    if _FEED.match(sample) or content_type in ("application/rss+xml", "application/atom+xml"):
        return "feed"
    if content_type in ("text/html", "application/xhtml+xml") or (
        sample.lstrip().startswith(b"<") and _HTML.search(sample)
    ):
        return "page"
    if content_type.startswith(("image/", "video/", "audio/", "application/pdf", "application/zip")):
        raise SourceError(f"is {content_type}, not a web page, a feed or text")
    return "text"


def page_text(loaded: Loaded) -> str:
    """A page decoded as a browser would: the HTTP charset, else a BOM, else <meta charset>, else UTF-8.
    Bytes that are not valid in that encoding are an error, never a page of mojibake."""
    data = loaded.data
    declared, where = loaded.charset, "the server's Content-Type header"
    if not declared:
        for bom, name in (
            (codecs.BOM_UTF8, "utf-8"),
            (codecs.BOM_UTF16_LE, "utf-16"),
            (codecs.BOM_UTF16_BE, "utf-16"),
        ):
            if data.startswith(bom):
                declared, where = name, "its byte order mark"
                break
    if not declared and (match := _META_CHARSET.search(data[:4096])):
        declared, where = match.group(1).decode("ascii").lower(), "its <meta charset>"
    if not declared:
        return _decode(data, "utf-8", "declares no charset and is not UTF-8",
                       'add <meta charset="..."> naming its encoding, or save it as UTF-8')  # fmt: skip
    codec = _LABELS.get(declared.lower(), declared)
    try:
        codecs.lookup(codec)
    except LookupError:
        raise SourceError(
            f"{where} names the charset '{declared}', which is unknown; save it as UTF-8"
        ) from None
    return _decode(
        data, codec, f"is not valid {declared} (as {where} says)", "save it in the encoding it declares"
    )


def plain_text(loaded: Loaded) -> str:
    """Copied text: UTF-8 (a BOM dropped) or UTF-16 with its BOM; line ends made LF."""
    data = loaded.data
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data, "utf-16", "is not valid UTF-16", "save it as UTF-8")
    else:
        text = _decode(data.removeprefix(codecs.BOM_UTF8), "utf-8", "is not UTF-8", "save it as UTF-8")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, codec: str, problem: str, fix: str) -> str:
    try:
        return data.decode(codec).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"{problem}: byte 0x{data[exc.start]:02x} at offset {exc.start}; {fix}", line
        ) from None
