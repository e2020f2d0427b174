"""Where a card's lines may break, and in what order a line's runs are drawn (no Pillow here).

Breaks: between words, and in Japanese and Chinese between the phrases BudouX finds (as Chrome's
`word-break: auto-phrase` does), never before a dash or closing punctuation, never after a number
("5 mistakes" stays together) or opening punctuation.

Order: a line's runs of different fonts are placed by the Unicode bidirectional algorithm's rules for
levels (paragraph direction from its first strong letter, numbers and neutrals resolved from their
neighbours, then runs reversed from the highest level down); inside a run Pillow's raqm layout shapes
and orders the characters itself."""

from __future__ import annotations

import functools
import unicodedata

import regex

# A line never starts with these: dashes, closing punctuation, CJK small kana and marks (kinsoku).
NO_START = frozenset(
    ".,:;!?…‼⁇⁈⁉)]}»›’”、。，．：；！？）］｝〕〉》」』】〙〗〟ー・゠々〻ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
)
NO_END = frozenset("([{«‹‘“（［｛〔〈《「『【〘〖〝")  # and never ends with these
_NUMBER = regex.compile(r"[#№$€£¥+−-]?\p{N}[\p{N}.,:/%×\-–]*")
_PHRASED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}]")


def units(text: str) -> tuple[tuple[str, str], ...]:
    """The pieces a line break may fall between, each with the glue that joins it to the one before
    (' ' or '' between CJK phrases): joined back they are `text` with its spaces normalised."""
    pieces: list[list[str]] = []
    for word in text.split():
        for n, phrase in enumerate(_phrases(word)):
            pieces.append([" " if n == 0 else "", phrase])
    out: list[list[str]] = []
    for glue, piece in pieces:
        if out and (_cannot_start(piece) or _cannot_break_after(out[-1][1])):
            out[-1][1] += glue + piece
        else:
            out.append([glue, piece])
    if len(out) > 1 and all(unicodedata.category(c) == "Pd" for c in out[0][1]):
        out[1:2] = [["", out[0][1] + out[1][0] + out[1][1]]]  # a leading dash goes with the first word
        del out[0]
    if out:
        out[0][0] = ""
    return tuple((glue, piece) for glue, piece in out)


def _cannot_start(piece: str) -> bool:
    return piece[0] in NO_START or unicodedata.category(piece[0]) == "Pd"


def _cannot_break_after(piece: str) -> bool:
    """After a number ('5' goes with the word it counts) or opening punctuation."""
    return bool(_NUMBER.fullmatch(piece.rsplit(" ", 1)[-1])) or piece[-1] in NO_END


def _phrases(word: str) -> list[str]:
    if not _PHRASED.search(word):
        return [word]
    parser = _japanese() if _KANA.search(word) else _chinese()
    return parser.parse(word) or [word]


# BudouX's shipped models, loaded once per process: the package's own data, no text of the user's.
@functools.cache
def _japanese():
    import budoux

    return budoux.load_default_japanese_parser()


@functools.cache
def _chinese():
    import budoux

    return budoux.load_default_simplified_chinese_parser()


def joined(pieces) -> str:
    return "".join(glue + piece for glue, piece in pieces).strip()


# Bidirectional classes (UAX #9) as this module uses them.
_RTL = frozenset(("R", "AL"))
_NUMBERS = frozenset(("EN", "AN"))


def is_rtl(text: str) -> bool:
    """The paragraph's direction: that of its first strong letter (UAX #9 P2, P3); left to right if none."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return False
        if kind in _RTL:
            return True
    return False


def _kind(text: str) -> str:
    """A run's class: R or L (its first strong letter), N (a number), or '' (neutral)."""
    number = False
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "L"
        if kind in _RTL:
            return "R"
        number = number or kind in _NUMBERS
    return "N" if number else ""


def levels(runs: list[str], rtl: bool) -> list[int]:
    """Each run's embedding level: even is drawn left to right, odd right to left (UAX #9 W2, W7,
    N1, N2, I1, I2 applied to whole runs)."""
    base = "R" if rtl else "L"
    kinds = [_kind(r) for r in runs]
    strong = base
    for n, kind in enumerate(kinds):  # a number after a left-to-right letter is left to right (W7)
        if kind == "N" and strong == "L":
            kinds[n] = "L"
        elif kind in ("L", "R"):
            strong = kind
    sides = [k if k != "N" else "R" for k in kinds]  # numbers count as right to left for neutrals (N1)
    for n, kind in enumerate(kinds):
        if not kind:
            before = next((s for s in reversed(sides[:n]) if s), base)
            after = next((s for s in sides[n + 1 :] if s), base)
            kinds[n] = before if before == after else base
    low = 1 if rtl else 0
    return [low + {"L": low % 2, "R": 1 - low % 2, "N": 2 - low % 2}[k] for k in kinds]


def visual(runs: list[str], rtl: bool) -> list[tuple[int, bool]]:
    """(index of the run, drawn right to left) in the order the runs are placed from the left (L2)."""
    found = levels(runs, rtl)
    order = list(range(len(runs)))
    for level in range(max(found, default=0), 0, -1):
        n = 0
        while n < len(order):
            if found[order[n]] >= level:
                end = n
                while end < len(order) and found[order[end]] >= level:
                    end += 1
                order[n:end] = reversed(order[n:end])
                n = end
            else:
                n += 1
    return [(n, found[n] % 2 == 1) for n in order]
