"""Drawing cards with Pillow: text wrapped and sized to fit its box, never clipped, in the colour of
the two (light or dark) that contrasts most with the accent. Imported only when a build writes cards.

Fonts: Source Serif Pro and Source Sans Pro (SIL Open Font License), installed from PyPI as the
font-source-serif-pro and font-source-sans-pro packages: nothing is downloaded at build time."""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import font_source_sans_pro
import font_source_serif_pro
from PIL import Image, ImageDraw, ImageFont

from newsletter.social.cards import SIZES, Card

LIGHT, DARK, BLACK = "#ffffff", "#1f1b16", "#000000"
MIN_CONTRAST = 4.5  # WCAG AA for normal text
FONTS = {
    "title": (font_source_serif_pro, "SourceSerifPro-Semibold.ttf"),
    "quote": (font_source_serif_pro, "SourceSerifPro-It.ttf"),
    "body": (font_source_sans_pro, "SourceSansPro-Regular.ttf"),
    "strong": (font_source_sans_pro, "SourceSansPro-Semibold.ttf"),
}
LARGEST = {"title": 0.09, "quote": 0.085, "benefits": 0.07}  # base size cap, share of the width
LINE = 1.22  # line height as a multiple of the font size
MIN_PX = 16  # below this a phone shows smudges; text that needs less is cut (see _fit)


@dataclass(frozen=True)
class Para:
    role: str  # a key of FONTS
    scale: float  # size relative to the card's base size
    text: str
    bullet: bool = False
    gap: float = 0.6  # space before, in lines of this paragraph


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    if len(color) == 3:
        color = "".join(c * 2 for c in color)
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def ink(background: str) -> str:
    """Light or dark text, whichever contrasts more; pure black when even that is under 4.5:1
    (every colour reaches 4.5:1 against white or black)."""
    best = max((LIGHT, DARK), key=lambda c: contrast(rgb(c), rgb(background)))
    return best if contrast(rgb(best), rgb(background)) >= MIN_CONTRAST else BLACK


@lru_cache(maxsize=256)
def font(role: str, px: int) -> ImageFont.FreeTypeFont:
    package, name = FONTS[role]
    return ImageFont.truetype(str(Path(package.font_directory) / name), px)


@lru_cache(maxsize=4096)
def _has_glyph(role: str, char: str) -> bool:
    """A character the font lacks draws as its .notdef box: compare with a code point no font has."""
    face = font(role, 40)
    missing = face.getmask("\U0010fffd")
    mask = face.getmask(char)
    return not (mask.size == missing.size and bytes(mask) == bytes(missing))


@lru_cache(maxsize=1024)  # every layout step of a card asks again for the same paragraph
def drawable(role: str, text: str) -> str:
    """`text` without the characters the font has no glyph for, so no empty box (tofu) is drawn."""
    kept = "".join(c for c in text if c.isspace() or _has_glyph(role, c))
    return " ".join(kept.split())


def paragraphs(card: Card, size: str) -> list[Para]:
    wide = size == "link"
    if card.kind == "benefits":
        head = [Para("title", 1.0, card.heading, gap=0)]
        if card.lead:
            head.append(Para("body", 0.72, card.lead, gap=0.9))
        return head + [
            Para("body", 0.78, i, bullet=True, gap=0.5 if n else 1.1) for n, i in enumerate(card.items)
        ]
    if card.kind == "quote":
        out = [Para("quote", 1.0, f"“{card.quote}”", gap=0)]
        if card.byline and card.byline != f"— {card.site}":  # the studio's name is at the foot already
            out.append(Para("strong", 0.5, card.byline, gap=1.2))
        return out
    out = [Para("title", 1.0, card.heading, gap=0)]
    if card.byline:
        out.append(Para("strong", 0.42 if wide else 0.38, card.byline, gap=1.0))
    return out


@dataclass(frozen=True)
class Line:
    role: str
    px: int
    text: str
    x: int
    y: int


REF_PX = 100  # words are measured once at this size; other sizes scale (then the result is checked)


# No line of a card holds this many characters; FreeType's 26.6 fixed point overflows (negative widths)
# near 600,000 characters at REF_PX, so a longer word would "fit" and be drawn kilometres wide.
_MEASURABLE = 10_000


@lru_cache(maxsize=1024)
def _ref_width(role: str, text: str) -> float:
    return font(role, REF_PX).getlength(text) if len(text) <= _MEASURABLE else math.inf


@lru_cache(maxsize=1024)
def _words(role: str, text: str) -> tuple[tuple[str, ...], tuple[float, ...], float]:
    """A paragraph's words and their widths at REF_PX, measured once for every size tried."""
    words = tuple(text.split())
    return words, tuple(_ref_width(role, w) for w in words), _ref_width(role, " ")


def _wrap(text: str, role: str, px: int, width: float) -> list[str] | None:
    """Greedy word wrap on estimated widths (a word's width at REF_PX, scaled); None when one word
    alone is wider than the box (the size must shrink)."""
    scale = px / REF_PX
    words, widths, space = _words(role, text)
    space *= scale
    lines: list[str] = []
    start, used = 0, 0.0
    for n, ref in enumerate(widths):
        size = ref * scale
        if size > width:
            return None
        if n > start and used + space + size > width:
            lines.append(" ".join(words[start:n]))
            start, used = n, 0.0
        used += (space if n > start else 0) + size
    if start < len(words):
        lines.append(" ".join(words[start:]))
    return lines


def _balanced(text: str, role: str, px: int, width: float) -> list[str] | None:
    """Greedy wrap, then the narrowest width that keeps the same number of lines: 'Facial Massage
    and / Tissue / Regeneration' becomes 'Facial Massage / and Tissue / Regeneration', no orphan."""
    lines = _wrap(text, role, px, width)
    if not lines or len(lines) == 1:
        return lines
    low, high = width / len(lines), width
    while high - low > 2:
        middle = (low + high) / 2
        trial = _wrap(text, role, px, middle)
        if trial is not None and len(trial) == len(lines):
            high = middle
        else:
            low = middle
    return _wrap(text, role, px, high)


@lru_cache(maxsize=256)
def _indent(role: str, px: int) -> int:
    return round(font(role, px).getlength("•  "))


def _layout(paras: list[Para], base: int, width: int, balance: bool = True) -> tuple[list[Line], int] | None:
    """Every line placed from y = 0 at this base size; None if a word does not fit the width. Without
    `balance` the lines are greedy: the same number of them (so the same height), found ~10× faster."""
    lines, y = [], 0
    for para in paras:
        px = max(MIN_PX, round(base * para.scale))
        indent = _indent(para.role, px) if para.bullet else 0
        wrap = _balanced if balance else _wrap
        wrapped = wrap(drawable(para.role, para.text), para.role, px, width - indent)
        if wrapped is None:
            return None
        y += round(para.gap * px * LINE) if lines else 0
        for n, line in enumerate(wrapped):
            if para.bullet and n == 0:
                lines.append(Line(para.role, px, "•", 0, y))
            lines.append(Line(para.role, px, line, indent, y))
            y += round(px * LINE)
    return lines, y


def _height(paras: list[Para], base: int, width: int) -> int | None:
    laid = _layout(paras, base, width, balance=False)
    return None if laid is None else laid[1]


def _measured(lines: list[Line], width: int) -> bool:
    """The estimate checked: every line, measured whole at its real size, fits the width."""
    return all(line.x + font(line.role, line.px).getlength(line.text) <= width for line in lines)


def _fit(paras: list[Para], width: int, height: int, largest: int) -> tuple[list[Line], int]:
    """The largest base size at which every word fits the width and all lines fit the height: a
    binary search on estimated widths and greedy lines (balancing keeps the number of lines, so the
    height), then the balanced lines' real widths checked (a size smaller if they miss).
    Text that cannot fit even at the smallest size loses its last paragraphs."""
    low, high, best = MIN_PX, largest, 0
    while low <= high:
        middle = (low + high) // 2
        used = _height(paras, middle, width)
        if used is not None and used <= height:
            best, low = middle, middle + 1
        else:
            high = middle - 1
    for base in range(best, MIN_PX - 1, -1) if best else ():
        laid = _layout(paras, base, width)
        if laid is not None and laid[1] <= height and _measured(laid[0], width):
            return laid
    return _fit(paras[:-1], width, height, largest) if len(paras) > 1 else ([], 0)


def _glyphs(role: str, px: int, text: str) -> tuple[Image.core.ImagingCore, tuple[int, int]]:
    """A line's coverage bitmap and its offset from the pen, exactly as ImageDraw.text renders it
    (Pillow rasterises every glyph twice per call): short texts, which recur on every card (the
    site's name at the foot, the bullets), are kept; a long line seldom recurs and is large."""
    return (_short if len(text) <= SHORT else _render)(role, px, text)


SHORT = 24  # characters


def _render(role: str, px: int, text: str) -> tuple[Image.core.ImagingCore, tuple[int, int]]:
    return font(role, px).getmask2(text, "L", anchor="la", ink=255, start=(0.0, 0.0))


_short = lru_cache(maxsize=256)(_render)  # a few KB each


class _Canvas:
    """The card's coverage mask, one column wider than the card: column 0 stays 0, PNG's filter byte
    ('none') of every row, so the mask's bytes are the PNG's raw rows as they are. It records which
    rows were drawn on, so the encoder never scans the pixels for ink."""

    def __init__(self, width: int, height: int) -> None:
        self.image = Image.new("L", (width + 1, height), 0)
        self.draw = ImageDraw.Draw(self.image)
        self.height = height
        self.rows: list[tuple[int, int]] = []  # [top, bottom) of everything drawn

    def text(self, x: int, y: int, role: str, px: int, text: str) -> None:
        mask, (dx, dy) = _glyphs(role, px, text)
        if x + dx < 0:  # ink left of the card is clipped, never written into the filter bytes
            mask, dx = mask.crop((-(x + dx), 0, *mask.size)), -x
        if mask.size[0] > 0 and mask.size[1] > 0:
            self.draw.draw.draw_bitmap((x + 1 + dx, y + dy), mask, 255)
            self.rows.append((y + dy, y + dy + mask.size[1]))

    def rule(self, x0: int, x1: int, y: int, thickness: int) -> None:
        self.draw.line([(x0 + 1, y), (x1 + 1, y)], fill=255, width=thickness)
        self.rows.append((y - thickness, y + thickness + 1))  # wider than drawn: blank rows cost little

    def bands(self) -> list[tuple[int, int]]:
        """The drawn rows as sorted, merged [top, bottom) runs inside the card."""
        out: list[list[int]] = []
        for top, bottom in sorted(self.rows):
            top, bottom = max(0, top), min(self.height, bottom)
            if top >= bottom:
                continue
            if out and top <= out[-1][1]:
                out[-1][1] = max(out[-1][1], bottom)
            else:
                out.append([top, bottom])
        return [(top, bottom) for top, bottom in out]


@lru_cache(maxsize=32)  # a card asked for again (an issue rendered twice in a process): ~50 KB each
def png(card: Card, size: str, accent: str) -> bytes:
    """The card as PNG bytes. Drawn as a coverage mask (0 = background, 255 = ink) and stored with
    a palette of the 256 blends between the two colours: the same pixels as an RGB drawing, in a
    third of the data, which PNG compresses several times faster."""
    width, height = SIZES[size]
    color = ink(accent)
    canvas = _Canvas(width, height)
    margin = round(min(width, height) * 0.09)
    footer_px = max(MIN_PX, round(min(width, height) * 0.035))
    footer_y = height - margin - footer_px
    rule_y = footer_y - round(footer_px * 1.4)
    canvas.rule(margin, margin + round(width * 0.12), rule_y, max(2, footer_px // 8))
    canvas.text(margin, footer_y, "strong", footer_px, drawable("strong", card.site.upper()))
    box_w, box_h = width - 2 * margin, rule_y - margin - round(footer_px * 1.6)
    largest = round(width * LARGEST[card.kind])
    lines, used = _fit(paragraphs(card.fitted(size), size), box_w, box_h, largest)
    top = margin + (box_h - used) // 2  # the text block centred in its box
    for line in lines:
        canvas.text(margin + line.x, top + line.y, line.role, line.px, line.text)
    return _encode(canvas, _palette(accent, color))


@lru_cache(maxsize=16)
def _palette(accent: str, color: str) -> bytes:
    return bytes(_blends(rgb(accent), rgb(color)))


def _blends(background: tuple[int, int, int], text: tuple[int, int, int]) -> list[int]:
    return [round(b + (t - b) * i / 255) for i in range(256) for b, t in zip(background, text, strict=True)]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=1024)  # a few hundred bytes each
def _blank_rows(width: int, rows: int) -> bytes:
    """Blank rows (filter byte 0, then zeros), deflated once: a raw deflate piece ending on a byte
    boundary with a full flush, so it can stand anywhere in the stream."""
    packer = zlib.compressobj(1, zlib.DEFLATED, -15, 9)
    return packer.compress(bytes((width + 1) * rows)) + packer.flush(zlib.Z_FULL_FLUSH)


def _adler_zeros(check: int, count: int) -> int:
    """Adler-32 continued over `count` zero bytes, without the bytes: the low sum stays, the high
    sum grows by the low sum once per byte."""
    return (((check >> 16) + count * (check & 0xFFFF)) % 65521) << 16 | (check & 0xFFFF)


def _encode(canvas: _Canvas, palette: bytes) -> bytes:
    """The coverage mask as an 8-bit palette PNG (index = coverage, palette = the 256 blends).

    Written here rather than by Pillow because most of a card is empty rows: runs of them are deflated
    once per process and spliced into the stream (a full flush ends each piece on a byte boundary with
    no reference back), and only the bands of rows something was drawn on are read out of the mask and
    deflated, in one pass each (the mask's extra column 0 is the rows' filter byte). The result is a
    standard PNG with the same pixels, and the same card always gives the same bytes (no timestamps,
    no text chunks)."""
    image = canvas.image
    width, height = image.width - 1, image.height
    stride = width + 1
    packer = zlib.compressobj(1, zlib.DEFLATED, -15, 9)
    pieces: list[bytes] = []
    check, y = 1, 0
    for top, bottom in [*canvas.bands(), (height, height)]:
        if top > y:
            pieces.append(_blank_rows(width, top - y))
            check = _adler_zeros(check, stride * (top - y))
        if bottom > top:
            rows = image.crop((0, top, stride, bottom)).tobytes()
            pieces.append(packer.compress(rows) + packer.flush(zlib.Z_FULL_FLUSH))
            check = zlib.adler32(rows, check)
        y = bottom
    # zlib header (deflate, 32 KB window, fastest), the pieces, an empty final block, the Adler-32.
    stream = b"\x78\x01" + b"".join(pieces) + b"\x03\x00" + struct.pack(">I", check)
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"PLTE", palette)
        + _chunk(b"IDAT", stream)
        + _chunk(b"IEND", b"")
    )
