"""How each platform counts a caption: one table of rules, one counter per rule."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import regex

from newsletter.run.memo import per_run

URL_WEIGHT = 23
# Bare domains count as links on X; a short list of common TLDs covers what captions contain.
_TLDS = (
    "com|org|net|edu|gov|io|co|app|dev|ai|me|ly|tv|info|biz|shop|store|blog|site|online|xyz|social|"
    "uk|us|ca|au|de|fr|es|it|nl|eu|ch|se|no|dk|fi|pl|be|at|ie|nz|in|jp|br|mx"
)
# stdlib re: these patterns need nothing from `regex`, and re runs them about three times faster.
URL = re.compile(
    r"(?<![\w@./-])(?:https?://[^\s<>\"]+|(?:[a-z0-9][a-z0-9-]*\.)+(?:" + _TLDS + r")\b(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
# What every match of URL holds: '://' or a dot before a known TLD (found fast: the dot comes first).
_DOMAIN_END = re.compile(r"\.(?:" + _TLDS + r")\b", re.IGNORECASE)
HTTP_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"…"
GRAPHEME = regex.compile(r"\X")
_EMOJI_PART = regex.compile(
    r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3\uFE0F\u200D\U0001F3FB-\U0001F3FF"
    r"\U000E0020-\U000E007F]"
)
_PICTOGRAPHIC = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}]")
# twitter-text v3: these ranges weigh 100 (one character); everything else 200 (two).
_X_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))


def urls(text: str, pattern: re.Pattern = URL) -> list[tuple[int, int]]:
    """Spans of links, with trailing punctuation left outside as the platforms do."""
    if "." not in text:  # every link has a dot; most caption lines have none
        return []
    spans = []
    for a, b in _windows(text, pattern):
        for match in pattern.finditer(text, a, b):
            start, end = match.span()
            while end > start and text[end - 1] in _TRAILING:
                end -= 1
            spans.append((start, end))
    return spans


def _windows(text: str, pattern: re.Pattern) -> list[tuple[int, int]]:
    """Where a link can be: the words (between spaces or line breaks) that hold a '://' or, for URL, a
    dot before a TLD. Every match lies inside one word (none holds white space) and has one of these,
    and a match cannot tell a word's edge from the text's, so searching only these words finds the
    same links as searching the whole text, and skips the pattern's slow try at every position."""
    if pattern is not URL and pattern is not HTTP_URL:
        return [(0, len(text))]
    hits = []
    at = text.find("://")
    while at >= 0:
        hits.append(at)
        at = text.find("://", at + 3)
    if pattern is URL:
        hits.extend(m.start() for m in _DOMAIN_END.finditer(text))
        hits.sort()
    windows: list[tuple[int, int]] = []
    for at in hits:
        if windows and at < windows[-1][1]:
            continue  # in the word already found
        start = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at)) + 1
        space, newline = text.find(" ", at), text.find("\n", at)
        end = min(space if space >= 0 else len(text), newline if newline >= 0 else len(text))
        windows.append((start, end))
    return windows


def graphemes(text: str) -> list[str]:
    return GRAPHEME.findall(text)


# Code points that are always a grapheme of their own, whatever surrounds them: Latin, Greek and
# Cyrillic letters (precomposed), general punctuation, currency signs; no combining marks, joiners,
# variation selectors, CR, Hangul jamo or emoji. Text made only of these needs no grapheme search.
_ONE_PER_CHAR = re.compile(
    "[\x00-\x0c\x0e-\u02ff\u0370-\u0482\u048a-\u052f\u2010-\u2027\u2030-\u205e\u20a0-\u20bf]*"
)


def _simple(text: str) -> bool:
    return _ONE_PER_CHAR.fullmatch(text) is not None


def is_emoji_sequence(cluster: str) -> bool:
    """More than one code point held together by emoji machinery (ZWJ, skin tone, flag, keycap, VS16)."""
    return (
        len(cluster) > 1
        and bool(_EMOJI_PART.search(cluster))
        and bool(_PICTOGRAPHIC.search(cluster) or "\u20e3" in cluster)
    )


# Everything outside the light ranges weighs 2; counted by one regex pass instead of a Python loop.
_X_HEAVY = regex.compile("[^\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")


def _x_weight(piece: str) -> int:
    if piece.isascii():
        return len(piece)
    total = len(piece) + len(_X_HEAVY.findall(piece))
    if _simple(piece):  # no emoji sequence to correct for
        return total
    for cluster in graphemes(piece):
        if len(cluster) > 1 and is_emoji_sequence(cluster):
            total -= len(cluster) + len(_X_HEAVY.findall(cluster)) - 2
    return total


def _outside(text: str, spans: list[tuple[int, int]]) -> list[str]:
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return pieces


# A caption is measured by its rule's fit test, then again for its length, and several platforms share
# a counter: each text is counted once. Below that, each line is counted once: a line break (LF) always
# ends a grapheme (only CR LF is one), weighs 1 everywhere, is a starter NFC never composes across, and
# no link holds one, so a text's count is its lines' counts plus one per line break. Fitting a thread
# tries many posts made of the same lines (heading, list items, "i/N", the closing link): each such
# line is counted once, not once per try.
def _per_line(count_line: Callable[[str], int]) -> Callable[[str], int]:
    line_count = per_run(4096)(count_line)  # an issue's lines, in the run's memo

    @per_run(1024)  # the captions of an issue, tried and shown
    def count(text: str) -> int:
        if "\n" not in text or "\r" in text:
            return line_count(text)
        lines = text.split("\n")
        if "://" in text and any("://" in line and "." not in line for line in lines):
            return line_count(text)  # `urls` looks for links only in a text with a dot: the whole's
        return len(lines) - 1 + sum(map(line_count, lines))

    # Named as the counter it stands for; `__wrapped__` is that counter, on whole texts (tests compare).
    return functools.update_wrapper(count, count_line)


@_per_line
def count_x(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    spans = urls(text)
    return URL_WEIGHT * len(spans) + sum(_x_weight(piece) for piece in _outside(text, spans))


@_per_line
def count_graphemes(text: str) -> int:
    if _simple(text):  # one grapheme per character; skips the grapheme search
        return len(text)
    return len(graphemes(text))


@_per_line
def count_mastodon(text: str) -> int:
    spans = urls(text, HTTP_URL)
    return URL_WEIGHT * len(spans) + sum(count_graphemes(p) for p in _outside(text, spans))


@_per_line
def count_threads(text: str) -> int:
    """Characters, except that an emoji costs its UTF-8 length (🚀 = 4, ✨ = 3)."""
    if not _PICTOGRAPHIC.search(text) and "\u20e3" not in text:  # no emoji: plain characters
        return len(text)
    return sum(
        len(c.encode("utf-8")) if _PICTOGRAPHIC.search(c) or is_emoji_sequence(c) else len(c)
        for c in graphemes(text)
    )


@per_run(1024)
def count_utf16(text: str) -> int:
    """Web composers count JavaScript string length: UTF-16 code units, never fewer than characters."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Rule:
    platform: str
    limit: int
    count: Callable[[str], int]
    fold: int = 0  # where the platform hides the rest behind "see more"; 0 = never
    max_hashtags: int = 3
    max_links: int = 0  # 0 = no cap
    byte_limit: int = 0
    bullet: str = "•"
    link: str = "inline"  # inline | bio (not clickable) | column (goes in the export's link column)
    utm: bool = False  # tag links only where it costs nothing or the platform shows the link
    threads: bool = False
    label: str = ""

    def measure(self, text: str) -> int:
        return self.count(text)

    def fits(self, text: str) -> bool:
        if self.count(text) > self.limit:
            return False
        if self.byte_limit and len(text.encode("utf-8")) > self.byte_limit:
            return False
        return not self.max_links or len(urls(text)) <= self.max_links

    def over(self, text: str) -> str:
        """Why `text` does not fit, as a message says it ('312 of 280', '3,104 bytes of 3,000', '6 links
        of 5'); '' when it fits."""
        if (counted := self.count(text)) > self.limit:
            return f"{counted:,} of {self.limit:,}"
        if self.byte_limit and (size := len(text.encode("utf-8"))) > self.byte_limit:
            return f"{size:,} bytes of {self.byte_limit:,}"
        if self.max_links and (links := len(urls(text))) > self.max_links:
            return f"{links} links of {self.max_links}"
        return ""


def rules(mastodon_limit: int = 500) -> dict[str, Rule]:
    table = [
        Rule("x", 280, count_x, max_hashtags=2, bullet="-", utm=True, threads=True, label="X"),
        Rule("bluesky", 300, count_graphemes, byte_limit=3000, threads=True, label="Bluesky"),
        Rule("threads", 500, count_threads, max_hashtags=1, max_links=5, threads=True, label="Threads"),
        Rule("mastodon", mastodon_limit, count_mastodon, max_hashtags=4, utm=True, threads=True,
             label="Mastodon"),
        Rule("linkedin", 3000, count_utf16, fold=210, max_hashtags=5, label="LinkedIn"),
        Rule("instagram", 2200, count_utf16, fold=125, max_hashtags=5, link="bio", label="Instagram"),
        Rule("facebook", 63206, count_utf16, fold=477, max_hashtags=2, utm=True, label="Facebook"),
        Rule("pinterest", 500, count_utf16, max_hashtags=0, link="column", label="Pinterest"),
    ]  # fmt: skip
    return {rule.platform: rule for rule in table}


PINTEREST_TITLE_LIMIT = 100
