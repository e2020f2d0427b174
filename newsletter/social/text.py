"""Plain caption text: Markdown stripped, sentences split safely, cuts at word boundaries."""

from __future__ import annotations

import html
import re

import regex

from .counting import HTTP_URL

ABBREVIATIONS = {
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "st",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "approx",
    "no",
    "fig",
}
_TRIM = " \t\n,;:—–-(\"'“‘"
ELLIPSIS = "…"


def plain(text: str) -> str:
    """Markdown stripped, entities unescaped exactly once, whitespace folded. Front matter is text:
    a title like '<b>&' is shown as typed, never parsed as HTML."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return " ".join(html.unescape(text).split())


def sentences(text: str) -> list[str]:
    """Split at . ! ? followed by a capital; URLs (no spaces) and abbreviations never end a sentence."""
    out, start = [], 0
    for match in regex.finditer(r"(?<=[.!?…][\"”’)]?)\s+(?=[\"“‘(]?[\p{Lu}\p{N}])", text):
        before = text[start : match.start()]
        last = before.rsplit(" ", 1)[-1].rstrip(".").lower()
        if last in ABBREVIATIONS or _inside_url(text, match.start()):
            continue
        out.append(before.strip())
        start = match.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def _inside_url(text: str, position: int) -> bool:
    return any(m.start() <= position < m.end() for m in HTTP_URL.finditer(text))


def cut(text: str, words: int) -> str:
    """The first `words` words with an ellipsis: never inside a word, URL, hashtag or grapheme."""
    kept = text.split(" ")[:words]
    return " ".join(kept).rstrip(_TRIM + ".!?") + ELLIPSIS if kept else ""


def word_count(text: str) -> int:
    return len(text.split(" "))


def hashtag(tag: str) -> str:
    """'facial massage' or 'facial-massage' → '#FacialMassage'; digits-only tags are not tags."""
    words = [w for w in regex.split(r"[^\p{L}\p{N}_]+", tag) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return f"#{name}" if name and not name.isdigit() else ""


def normalize(raw: str) -> str:
    """Template output as a caption: no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in raw.strip().split("\n")]
    return "\n".join(lines).replace("\n\n\n", "\n\n").strip()
