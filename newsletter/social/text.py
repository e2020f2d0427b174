"""Plain caption text: Markdown stripped, sentences split safely, cuts at word boundaries, hashtags."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

import regex

from newsletter.social.counting import HTTP_URL, urls

ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "prof", "st", "vs", "etc", "e.g", "i.e", "approx", "no", "fig",
}  # fmt: skip
_TRIM = " \t\n,;:—–-(\"'“‘"
ELLIPSIS = "…"
_SENTENCE_END = regex.compile(r"(?<=[.!?…][\"”’)]?)\s+(?=[\"“‘(]?[\p{Lu}\p{N}])")
# A hashtag as the platforms link it: letters, digits, underscore; '-' and punctuation end it.
_HASHTAG = regex.compile(r"(?<![\p{L}\p{N}_#&/])#([\p{L}\p{M}\p{N}_]+)")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
# Words a sentence taken out of its paragraph may start with and that then point at nothing.
_CONNECTIVES = {"and", "but", "so", "or", "yet", "then", "also"}
_SCAN = 200
_BLANKS = re.compile(r"\n{3,}")


def plain(text: str) -> str:
    """Markdown stripped, entities unescaped exactly once, whitespace folded. Front matter is text:
    a title like '<b>&' is shown as typed, never parsed as HTML."""
    # Each pattern runs only on a text holding what it needs (most titles and sentences hold none).
    if "](" in text:
        text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
        text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)", r"\1", text)
    if "*" in text or "_" in text:
        text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
        text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    if "`" in text:
        text = re.sub(r"`([^`]+)`", r"\1", text)
    return " ".join(html.unescape(text).split())


def normalize(raw: str) -> str:
    """Template output as a caption: no trailing spaces, at most one blank line in a row."""
    joined = "\n".join([line.rstrip() for line in raw.strip().split("\n")])
    # The regex runs only when there is something to fold (most captions have no triple newline).
    return _BLANKS.sub("\n\n", joined).strip() if "\n\n\n" in joined else joined.strip()


def sentences(text: str) -> list[str]:
    """Split at . ! ? followed by a capital; URLs (no spaces) and abbreviations never end a sentence."""
    spans = [m.span() for m in HTTP_URL.finditer(text)] if "://" in text else []
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start()]
        last = before.rsplit(" ", 1)[-1].rstrip(".").lower()
        if last in ABBREVIATIONS or any(a <= match.start() < b for a, b in spans):
            continue
        out.append(before.strip())
        start = match.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


@lru_cache(maxsize=4096)  # an issue's sentences; bounded so a worker's memory stays flat
def words_of(text: str) -> tuple[str, ...]:
    """Lowercased words; cached: threads ask about the same sentences for every platform."""
    return tuple(w.lower() for w in _WORD.findall(text))


@lru_cache(maxsize=4096)
def key(sentence: str) -> str:
    """What two sentences share when they say the same thing: their words, lowercased, without a
    leading 'and'/'but' (the summary often drops the 'But' its article sentence starts with)."""
    found = words_of(sentence)
    while len(found) > 3 and found[0] in _CONNECTIVES:
        found = found[1:]
    return " ".join(found)


class Seen:
    """Sentences already said in one caption or thread: exact repeats, and a sentence of five words
    or more inside another (the summary is often an article sentence with its first word dropped)."""

    def __init__(self, said: Iterable[str] = ()):
        self.keys: list[str] = []
        self.exact: set[str] = set()
        for sentence in said:
            self.add(sentence)

    def add(self, sentence: str) -> None:
        k = key(sentence)
        if k:
            self.exact.add(k)
            if k.count(" ") >= 4:
                self.keys.append(f" {k} ")

    def __contains__(self, sentence: str) -> bool:
        k = key(sentence)
        if not k or k in self.exact:
            return True
        if k.count(" ") < 4:
            return False
        padded = f" {k} "
        # Containment is a scan: beyond a few hundred sentences (a summary of thousands) only exact
        # repeats are looked for, which keeps a 20,000-word text linear.
        recent = self.keys[:_SCAN]
        return any(padded in other or other in padded for other in recent)

    def fresh(self, text: str) -> str:
        """`text` without the sentences already said (or said earlier in `text`); remembers the rest."""
        kept = []
        for sentence in sentences(text):
            if sentence not in self:
                kept.append(sentence)
                self.add(sentence)
        return " ".join(kept)


def cut(text: str, words: int) -> str:
    """The first `words` words with an ellipsis: never inside a word, URL, hashtag or grapheme."""
    return _cut(text.split(" "), words)


def _cut(parts: list[str], words: int) -> str:
    kept = parts[:words]
    return " ".join(kept).rstrip(_TRIM + ".!?") + ELLIPSIS if kept else ""


def word_count(text: str) -> int:
    return len(text.split(" "))


def longest(count: int, fits: Callable[[int], bool]) -> int:
    """The largest n in 1..count with fits(n), for a `fits` that holds up to some n and fails after;
    0 when even 1 fails. Binary search: log2(count) probes instead of one per word or item."""
    low, high, best = 1, count, 0
    while low <= high:
        middle = (low + high) // 2
        if fits(middle):
            best, low = middle, middle + 1
        else:
            high = middle - 1
    return best


def cut_to_fit(text: str, fits: Callable[[str], bool], force: bool = False) -> str | None:
    """The most words of `text` (cut with an ellipsis) for which fits(...) holds; None if not even one.
    `force`: always end with the ellipsis (the text goes on somewhere the reader will not see)."""
    if fits(text) and not force:
        return text
    parts = text.split(" ")
    n = longest(len(parts) - (not force), lambda k: fits(_cut(parts, k)))
    return _cut(parts, n) if n else None


def split_to_fit(text: str, fits: Callable[[str], bool]) -> list[str]:
    """`text` in pieces that each fit: at sentence ends first, then between words, never inside a URL
    (a URL has no spaces). A single word too long for a post is the one thing cut, with an ellipsis."""
    pieces: list[str] = []
    current = ""
    for sentence in sentences(text):
        joined = f"{current} {sentence}".strip()
        if fits(joined):
            current = joined
            continue
        if current:
            pieces.append(current)
        current = ""
        words = sentence.split(" ")
        while words:
            n = longest(len(words), lambda k, w=words: fits(" ".join(w[:k])))
            if n == 0:  # one word longer than a post: cut it, it cannot be split at a space
                pieces.append(cut_to_fit(words[0], fits) or ELLIPSIS)
                words = words[1:]
                continue
            chunk, words = " ".join(words[:n]), words[n:]
            if words:
                pieces.append(chunk)
            else:
                current = chunk
    if current:
        pieces.append(current)
    return pieces


def hashtag(tag: str) -> str:
    """'facial massage' or 'facial-massage' → '#FacialMassage'; digits-only tags are not tags."""
    words = [w for w in regex.split(r"[^\p{L}\p{N}_]+", tag) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return f"#{name}" if name and not name.isdigit() else ""


def hashtags_in(text: str) -> tuple[str, ...]:
    """The hashtags a reader sees as tags in `text`, in order, once each (a '#' inside a link is not)."""
    links = urls(text)
    found: dict[str, str] = {}
    for match in _HASHTAG.finditer(text):
        name = match.group(1)
        inside = any(a <= match.start() < b for a, b in links)
        if not inside and not name.isdigit() and name.lower() not in found:
            found[name.lower()] = f"#{name}"
    return tuple(found.values())
