"""Plain caption text: Markdown stripped, sentences split safely, cuts at word boundaries, hashtags."""

from __future__ import annotations

import bisect
import functools
import html
import math
import re
from collections.abc import Callable, Iterable, Iterator

import regex

from newsletter.run.memo import per_run
from newsletter.social.counting import HTTP_URL, urls

ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "prof", "st", "vs", "etc", "e.g", "i.e", "approx", "no", "fig",
}  # fmt: skip
_TRIM = " \t\n,;:—–-(\"'“‘"
ELLIPSIS = "…"
# A sentence ends at . ! ? … (or Arabic ؟) before a space and a capital, a digit or a letter of a script
# without case (Arabic, Hebrew, CJK); at an emoji before a capital; at 。！？ with or without a space
# (Japanese and Chinese use none).
_SENTENCE_END = regex.compile(
    r"(?<=[.!?…؟][\"”’)»]?)\s+(?=[\"“‘(«「『]?[\p{Lu}\p{Lt}\p{Lo}\p{N}])"
    r"|(?<=[\p{Extended_Pictographic}\p{Regional_Indicator}][\uFE0F\U0001F3FB-\U0001F3FF]*)\s+(?=[\p{Lu}\p{Lt}])"
    r"|(?<=[。！？])\s*(?=[^\s」』）])"
)
# Where a sentence end can start: every alternative above opens right after one of these characters,
# none of them a space, so no match of the pattern can hold one (the matches are spaces only) and a match
# at each such place is exactly what `finditer` finds. Trying the pattern only there is about 10x faster
# than letting `finditer` try its three lookbehinds at every character (~0.7 µs each with `regex`).
_SENTENCE_AFTER = regex.compile(
    r"[.!?…؟\"”’)»\p{Extended_Pictographic}\p{Regional_Indicator}\uFE0F\U0001F3FB-\U0001F3FF](?=\s)|[。！？]"
)
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_CJK_END = "。！？」』）"
# A hashtag as the platforms link it: letters, digits, underscore; '-' and punctuation end it.
_HASHTAG = regex.compile(r"(?<![\p{L}\p{N}_#&/])#([\p{L}\p{M}\p{N}_]+)")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
# Words a sentence taken out of its paragraph may start with and that then point at nothing.
_CONNECTIVES = {"and", "but", "so", "or", "yet", "then", "also"}
ENDED = ".:?!…：。？！"  # what a line that ends a sentence or introduces what follows ends in
_SCAN = 200
_BLANKS = re.compile(r"\n{3,}")


def plain(text: str) -> str:
    """Markdown stripped, entities unescaped exactly once, whitespace folded. Front matter is text:
    a title like '<b>&' is shown as typed, never parsed as HTML."""
    # Each step runs only on a text holding what it needs (most titles and sentences hold none).
    if "](" in text:
        text = _links(text, image=True)
        text = _links(text, image=False)
    if "*" in text or "_" in text:
        text = _STRONG.sub(r"\2", text)
        text = _emphasis(text)
    if "`" in text:
        text = _CODE.sub(r"\1", text)
    return " ".join(html.unescape(text).split())


# Linear time over any text (a post is up to 1 MiB): a regex whose match from one position scans to a
# closer far away runs once per opener, which is quadratic when openers have no closer ('[a](' * N, '*a '
# * N), and cubic with two quantifiers sharing characters (the old link pattern). These keep the old
# patterns' results (tests/test_linear_text.py compares them) with each scan reused: the first ']' after a
# '[' is the first ']' after every '[' before it, so one forward pointer per character serves all openers.
# '**…**' and '`…`' stay regexes: a failed '**' scan means no '**' follows on that line, so no later
# opener scans it again; a code span's scan stops at the next backtick.
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
_CODE = re.compile(r"`([^`]+)`")


class _Next:
    """text.find(char, at) for `at` that never decreases: each character is looked at once in all."""

    def __init__(self, text: str, char: str):
        self.text, self.char, self.found = text, char, -2

    def __call__(self, at: int) -> int:
        if self.found < at and self.found != -1:
            self.found = self.text.find(self.char, at)
        return self.found


def _links(text: str, image: bool) -> str:
    r"""'![alt](src)' → 'alt' (image) or '[text](href …)' → 'text': what r'!\[([^\]]*)\]\([^)]*\)' and
    r'\[([^\]]+)\]\(([^)\s]+)[^)]*\)' replace, found with forward pointers."""
    opener = "![" if image else "["
    close, paren = _Next(text, "]"), _Next(text, ")")
    out, done, at = [], 0, text.find(opener)
    while at >= 0:
        start = at + len(opener)
        end = close(start)
        if end < 0:
            break  # no ']' from here on: no later opener can match either
        href = end + 2
        stop = paren(href) if text.startswith("(", end + 1) else -1
        if stop >= 0 and (image or (end > start and stop > href and not text[href].isspace())):
            out += [text[done:at], text[start:end]]
            done = stop + 1
            at = text.find(opener, done)
        else:
            at = text.find(opener, at + 1)
    return "".join([*out, text[done:]]) if out else text


def _emphasis(text: str) -> str:
    r"""'*word*' / '_word_' → 'word', as r'(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])' replaces: an
    opener takes the first closer of its character on its line."""
    closers = {c: iter(_closers(text, c)) for c in "*_"}
    pending = {c: next(closers[c], -1) for c in "*_"}
    newline = _Next(text, "\n")
    out, done = [], 0
    for at in _openers(text):
        if at < done:
            continue  # inside the emphasis just replaced
        char = text[at]
        while 0 <= pending[char] < at + 2:
            pending[char] = next(closers[char], -1)
        end, line_end = pending[char], newline(at + 1)
        if end >= 0 and (line_end < 0 or end < line_end):
            out += [text[done:at], text[at + 1 : end]]
            done = end + 1
    return "".join([*out, text[done:]]) if out else text


# One character each, with fixed lookarounds: linear. What the old pattern asked of its two ends.
_OPENER = re.compile(r"(?<![\w*])[*_](?=\S)")
_CLOSER = {c: re.compile(rf"(?<=\S){re.escape(c)}(?![\w*])") for c in "*_"}


def _openers(text: str) -> Iterator[int]:
    return (match.start() for match in _OPENER.finditer(text))


def _closers(text: str, char: str) -> Iterator[int]:
    return (match.start() for match in _CLOSER[char].finditer(text))


def normalize(raw: str) -> str:
    """Template output as a caption: no trailing spaces, at most one blank line in a row."""
    joined = "\n".join([line.rstrip() for line in raw.strip().split("\n")])
    # The regex runs only when there is something to fold (most captions have no triple newline).
    return _BLANKS.sub("\n\n", joined).strip() if "\n\n\n" in joined else joined.strip()


def sentences(text: str) -> list[str]:
    """Split at . ! ? followed by a capital; URLs (no spaces) and abbreviations never end a sentence."""
    return list(_sentences(text))


@per_run(8192)  # a thread's tries ask for the same texts' sentences thousands of times
def _sentences(text: str) -> tuple[str, ...]:
    spans = [m.span() for m in HTTP_URL.finditer(text)] if "://" in text else []
    out, start = [], 0
    for end, after in sentence_ends(text):
        # The word before the match, found without copying the text since the last cut (abbreviations
        # skipped one after another would copy it again each time: quadratic).
        last = text[max(text.rfind(" ", start, end) + 1, start) : end].rstrip(".").lower()
        if last in ABBREVIATIONS or inside(spans, end):
            continue
        out.append(text[start:end].strip())
        start = after
    out.append(text[start:].strip())
    # A piece with no word in it (an emoji opening a line: "🧊 Roll the…") belongs to what follows.
    merged: list[str] = []
    for piece in (s for s in out if s):
        if merged and not _WORD.search(merged[-1]):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return tuple(merged)


def sentence_ends(text: str) -> Iterator[tuple[int, int]]:
    """The spans `_SENTENCE_END.finditer(text)` gives, found by trying it only where one can start."""
    match = _SENTENCE_END.match
    for place in _SENTENCE_AFTER.finditer(text):
        if found := match(text, place.end()):
            yield found.span()


def is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


def join(sentences: Iterable[str]) -> str:
    """Sentences as one paragraph: a space between them, none after a CJK full stop."""
    out = ""
    for sentence in sentences:
        out = f"{out}{sentence}" if not out or out[-1] in _CJK_END else f"{out} {sentence}"
    return out


def words_in(text: str) -> int:
    """How many words a reader sees: runs of letters or digits, and in Japanese or Chinese (written
    without spaces) one word per two characters."""
    words = _WORD.findall(text)
    if not _CJK.search(text):  # one word per run: no need to look into each (a regex call a word)
        return len(words)
    total = 0
    for word in words:
        cjk = len(_CJK.findall(word))
        total += (cjk + 1) // 2 + (len(word) > cjk)
    return total


_OPENING = {'"': "‘", "'": "‘"}
_CLOSING = {'"': "’", "”": "’", "'": "’"}


def nested(text: str) -> str:
    """Text set inside curly double quotes: its own double quotes become curly single ones (an
    opening one after a space, a bracket or the start), apostrophes curly (’)."""
    if not any(c in text for c in "\"'“”"):
        return text
    out = []
    for at, char in enumerate(text):
        if char not in _CLOSING and char != "“":
            out.append(char)
            continue
        if char in "“”":  # already curly: only the level changes
            out.append("‘" if char == "“" else "’")
            continue
        before = text[at - 1] if at else " "
        after = text[at + 1] if at + 1 < len(text) else " "
        opens = (before.isspace() or before in "([{—–-‘“") and not after.isspace()
        out.append(_OPENING[char] if opens else _CLOSING[char])
    return "".join(out)


def unquoted(text: str) -> str:
    """Without the quotation marks around the whole of it ("…", “…”, «…», 「…」)."""
    pairs = {'"': '"', "“": "”", "«": "»", "「": "」", "„": "“", "'": "'", "‘": "’"}
    text = text.strip()
    while len(text) > 2 and pairs.get(text[0]) == text[-1] and _balanced(text[1:-1], text[0], text[-1]):
        text = text[1:-1].strip()
    return text


def _balanced(inner: str, opening: str, closing: str) -> bool:
    """Whether the marks inside pair up among themselves ('"a "b" c"': the outer two go together)."""
    if opening == "'" and "'" in inner:
        return False  # apostrophes: no telling
    depth = 0
    for at, char in enumerate(inner):
        if opening == closing == char:  # a straight mark opens after a space, else closes
            depth += 1 if at == 0 or inner[at - 1].isspace() or inner[at - 1] in "([" else -1
        else:
            depth += (char == opening) - (char == closing)
        if depth < 0:
            return False
    return depth == 0


@per_run(4096)  # an issue's sentences, in the run's memo
def words_of(text: str) -> tuple[str, ...]:
    """Lowercased words; cached: threads ask about the same sentences for every platform."""
    return tuple(w.lower() for w in _WORD.findall(text))


@per_run(4096)
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
        self._joined: str | None = None  # the first _SCAN keys as one text (made again after an add)
        self.last = ""  # a thread's last sentence so far: the next post may go on from it
        for sentence in said:
            self.add(sentence)

    def add(self, sentence: str) -> None:
        k = key(sentence)
        if k:
            self.exact.add(k)
            if k.count(" ") >= 4 and len(self.keys) < _SCAN:
                self.keys.append(f" {k} ")
                self._joined = None

    def __contains__(self, sentence: str) -> bool:
        k = key(sentence)
        if not k or k in self.exact:
            return True
        if k.count(" ") < 4:
            return False
        padded = f" {k} "
        # Containment is a scan: beyond a few hundred sentences (a summary of thousands) only exact
        # repeats are looked for, which keeps a 20,000-word text linear.
        # Keys hold only words and spaces, so the sentence is inside one of them exactly when it is
        # inside them joined by NULs: one search in C instead of a Python loop over every key.
        if self._joined is None:
            self._joined = "\0".join(self.keys)
        return padded in self._joined or any(map(padded.__contains__, self.keys))

    def says_any(self, text: str) -> bool:
        """Whether any sentence of `text` (a heading or a list item may hold several) was said."""
        return text in self or any(s in self for s in sentences(text) if key(s))

    def add_all(self, text: str) -> None:
        for sentence in {text, *sentences(text)}:
            self.add(sentence)

    def said_exactly(self, text: str) -> bool:
        """Whether `text`, or a sentence of it (of two words or more), was said as it is (not only
        inside another sentence)."""
        return key(text) in self.exact or any(
            key(s) in self.exact for s in sentences(text) if len(words_of(s)) > 1
        )

    def fresh(self, text: str) -> str:
        """`text` without the sentences already said (or said earlier in `text`); remembers the rest."""
        kept = []
        for sentence in sentences(text):
            if sentence not in self:
                kept.append(sentence)
                self.add(sentence)
        return join(kept)


def cut(text: str, words: int) -> str:
    """The first `words` words with an ellipsis: never inside a word, URL, hashtag or grapheme."""
    return _cut(text.split(" "), words)


def _cut(parts: list[str], words: int) -> str:
    kept = parts[:words]
    return " ".join(kept).rstrip(_TRIM + ".!?") + ELLIPSIS if kept else ""


def word_count(text: str) -> int:
    return len(text.split(" "))


def inside(spans: list[tuple[int, int]], at: int) -> bool:
    """Whether `at` lies in one of `spans` (sorted, not overlapping): a bisection, not a scan per
    position (a text of thousands of links and sentence ends would be quadratic)."""
    index = bisect.bisect_right(spans, (at, math.inf)) - 1
    return index >= 0 and at < spans[index][1]


def longest(count: int, fits: Callable[[int], bool]) -> int:
    """The largest n in 1..count with fits(n), for a `fits` that holds up to some n and fails after;
    0 when even 1 fails. Galloping, then binary search: probes 1, 2, 4, … until one fails, then bisects
    below it, about 2·log2(n) probes. A probe costs about its k (k words joined and counted), so the
    search costs the answer's length, not `count`'s: cutting a 100,000-word text to one post is cheap."""
    best, step = 0, 1
    while step <= count and fits(step):
        best, step = step, step * 2
    low, high = best + 1, min(step - 1, count)
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


def cut_sentences(text: str, fits: Callable[[str], bool]) -> str | None:
    """The most leading whole sentences of `text` that fit, else its first sentence cut at a word
    with an ellipsis; None if not even one word fits."""
    if fits(text):
        return text
    said = sentences(text)
    n = longest(len(said), lambda k: fits(join(said[:k])))
    if n:
        return join(said[:n])
    return cut_to_fit(said[0], fits, force=True) if said else None


def _words_fit(fits: Callable[[str], bool], words: list[str], at: int, count: int) -> bool:
    return fits(" ".join(words[at : at + count]))


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
        words, at = sentence.split(" "), 0  # an index, not words[n:]: a slice per piece is quadratic
        while at < len(words):
            n = longest(len(words) - at, functools.partial(_words_fit, fits, words, at))
            if n == 0:  # one word longer than a post: cut it, it cannot be split at a space
                pieces.append(cut_to_fit(words[at], fits) or ELLIPSIS)
                at += 1
                continue
            chunk, at = " ".join(words[at : at + n]), at + n
            if at < len(words):
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
        if not inside(links, match.start()) and not name.isdigit() and name.lower() not in found:
            found[name.lower()] = f"#{name}"
    return tuple(found.values())
