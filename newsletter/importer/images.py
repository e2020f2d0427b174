"""--download-images: the article's images saved beside the post (`posts/<post>/NAME.png`) and referred
to by that relative path. Only real pictures are kept (PNG, JPEG, GIF, WebP by their first bytes; SVG
can carry scripts and stays remote); from the article's own host or a public address, never from a
private one another host's page points at; a saved page's images only from its own folder."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsletter.importer import fetch
from newsletter.importer.records import Image
from newsletter.importer.source import SourceError, is_url, read_file

_TYPES = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg", b"GIF87a": ".gif", b"GIF89a": ".gif"}


@dataclass(frozen=True)
class Saved:
    src: str  # as the Markdown had it
    name: str  # the file, relative to the post's folder: "<post stem>/label.png"
    data: bytes


def collect(
    images: tuple[Image, ...], page_url: str, folder: Path | None, stem: str
) -> tuple[list[Saved], list[str]]:
    """(the images to save, what went wrong with the others). Nothing is written here."""
    saved: list[Saved] = []
    problems: list[str] = []
    names: set[str] = set()
    for image in dict.fromkeys(images):
        try:
            data = _get(image.src, page_url, folder)
        except (fetch.FetchError, SourceError) as exc:
            problems.append(f"image {image.src} stays remote: {getattr(exc, 'message', str(exc))}")
            continue
        name = _name(image.src, _suffix(data), names)
        saved.append(Saved(image.src, f"{stem}/{name}", data))
    return saved, problems


def relink(markdown: str, saved: list[Saved]) -> str:
    for image in saved:
        markdown = markdown.replace(f"]({image.src})", f"]({image.name})").replace(
            f"]({image.src} ", f"]({image.name} "
        )
    return markdown


def _get(src: str, page_url: str, folder: Path | None) -> bytes:
    if is_url(src):
        data = fetch.get(src, _image_rule(page_url), fetch.MAX_IMAGE_BYTES, accept="image/*").body
    elif folder is not None:  # a saved page: its images sit in its folder (page_files/...)
        path = (folder / unquote(src.split("?")[0].split("#")[0])).resolve()
        if not path.is_relative_to(folder):
            raise SourceError("it is outside the page's folder")
        data = read_file(path, fetch.MAX_IMAGE_BYTES)
    else:
        raise SourceError("it is a relative path and the page has no address")
    if not _suffix(data):
        raise SourceError("it is not a PNG, JPEG, GIF or WebP picture")
    return data


def _image_rule(page_url: str) -> fetch.HostRule:
    own = (urlsplit(page_url).hostname or "").lower()

    def rule(url: str) -> str:
        host = (urlsplit(url).hostname or "").lower()
        if host == own or _public(host):
            return ""
        return f"{host} is a private address and not the article's host"

    return rule


def _public(host: str) -> bool:
    """Every address the host resolves to is public: a page cannot make the importer read a service
    of this machine or its network (169.254.169.254, 127.0.0.1:8080) into a post."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    return bool(addresses) and all(a.is_global for a in addresses)


def _suffix(data: bytes) -> str:
    for magic, suffix in _TYPES.items():
        if data.startswith(magic):
            return suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return ""


def _name(src: str, suffix: str, taken: set[str]) -> str:
    """The picture's own file name, made safe; a number added when two share one."""
    stem = Path(unquote(urlsplit(src).path)).stem.lower()
    stem = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:60] or "image"
    name, number = f"{stem}{suffix}", 1
    while name in taken:
        number += 1
        name = f"{stem}-{number}{suffix}"
    taken.add(name)
    return name
