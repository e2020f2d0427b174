"""Drawing cards with Pillow: text wrapped and sized to fit its box, never clipped, in the colour of
the two (light or dark) that contrasts most with the accent. Imported only when a build writes cards.

Fonts: Source Serif Pro and Source Sans Pro (SIL Open Font License), installed from PyPI as the
font-source-serif-pro and font-source-sans-pro packages, then per character run the fallbacks of
`fonts` (CJK, Arabic, Hebrew...). Text is laid out by Pillow's raqm layout (HarfBuzz shaping, FriBiDi
ordering inside a run); `lines` places the runs of a line and says where lines may break."""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, replace

from PIL import Image, ImageDraw, ImageFont, features

from newsletter.colors import AA, BLACK, WHITE, contrast, rgb
from newsletter.run.memo import entry, per_run
from newsletter.social import cards as C
from newsletter.social import lines as L
from newsletter.social.cards import SIZES, Card
from newsletter.social.fonts import PLAIN, PRIMARY, Face, Fonts, primary

LIGHT, DARK = WHITE, "#1f1b16"  # the cards' dark ink is warmer than the email's
MIN_CONTRAST = AA  # WCAG AA for normal text
FONTS = PRIMARY
# Base size cap, as a share of the width: a short title on a tall card grows until it fills the width
# (its height is rarely the limit there); the link card is wide and short, so height limits it first.
LARGEST = {"title": 0.09, "quote": 0.085, "benefits": 0.07}
LARGEST_TALL = {"title": 0.135, "quote": 0.105, "benefits": 0.09}
LINE = 1.22  # line height as a multiple of the font size
MIN_PX = 16  # below this a phone shows smudges; text that needs less is cut (see _fit)
# Shaping (Arabic joining, Hebrew marks) and right-to-left order need raqm; without it Pillow's basic
# layout draws the glyphs unjoined, in stored order.
LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


@dataclass(frozen=True)
class Para:
    role: str  # a key of FONTS
    scale: float  # size relative to the card's base size
    text: str
    bullet: bool = False
    gap: float = 0.6  # space before, in lines of this paragraph
    marker: str = "•"  # what a bullet paragraph's first line starts with ("3." in a numbered list)
    hang: str = "•"  # the widest marker of its list: every item's text starts at the same x

    @property
    def rtl(self) -> bool:
        return L.is_rtl(self.text)


def ink(background: str) -> str:
    """Light or dark text, whichever contrasts more; pure black when even that is under 4.5:1
    (every colour reaches 4.5:1 against white or black)."""
    best = max((LIGHT, DARK), key=lambda c: contrast(c, background))
    return best if contrast(best, background) >= MIN_CONTRAST else BLACK


def font(role: str, px: int) -> ImageFont.FreeTypeFont:
    return face_font(primary(role), px)


@per_run(256)
def face_font(face: Face, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(face.path, px, index=face.index, layout_engine=LAYOUT)


def drawable(role: str, text: str, fonts: Fonts = PLAIN) -> str:
    """`text` without the characters no font has, so no empty box (tofu) is drawn."""
    return fonts.keep(role, text)[0]


def paragraphs(card: Card, size: str) -> list[Para]:
    wide = size == "link"
    if card.kind == "benefits":
        head = [Para("title", 1.0, card.heading, gap=0)]
        # wrapped as one paragraph, a lead's lines ran on ("rollers It brings:")
        head += [Para("body", 0.72, line, gap=0.3 if n else 0.9) for n, line in enumerate(card.lead_lines)]
        markers = [C.marker(card, n) for n in range(len(card.items))]
        hang = max(markers, key=len)
        listed = [
            Para("body", 0.78, i, bullet=True, gap=0.5 if n else 1.1, marker=markers[n], hang=hang)
            for n, i in enumerate(card.items)
        ]
        more = [Para("body", 0.6, C.more_line(card.more), gap=0.9)] if card.more else []
        return head + listed + more
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
    rtl: bool = False  # a line of a right-to-left paragraph: its runs are ordered and aligned from the right


REF_PX = 100  # words are measured once at this size; other sizes scale (then the result is checked)


# No line of a card holds this many characters; FreeType's 26.6 fixed point overflows (negative widths)
# near 600,000 characters at REF_PX, so a longer word would "fit" and be drawn kilometres wide.
_MEASURABLE = 10_000


@per_run(4096)
def _length(fonts: Fonts, role: str, px: int, text: str) -> float:
    """The advance width of `text`: the sum of its runs', each in its own font."""
    if len(text) > _MEASURABLE:
        return math.inf
    return sum(face_font(face, px).getlength(run) for face, run in fonts.runs(role, text))


@per_run(1024)
def _words(
    fonts: Fonts, role: str, text: str
) -> tuple[tuple[str, ...], tuple[float, ...], tuple[bool, ...], float]:
    """A paragraph's breakable pieces (see lines.units), their widths at REF_PX and whether a space
    joins each to the one before, measured once for every size tried."""
    units = L.units(text)
    pieces = tuple(piece for _, piece in units)
    return (pieces, tuple(_length(fonts, role, REF_PX, p) for p in pieces), tuple(g == " " for g, _ in units),
            _length(fonts, role, REF_PX, " "))  # fmt: skip


def _wrap(text: str, role: str, px: int, width: float, fonts: Fonts = PLAIN) -> list[str] | None:
    """Greedy wrap on estimated widths (a piece's width at REF_PX, scaled); None when one piece
    alone is wider than the box (the size must shrink)."""
    scale = px / REF_PX
    pieces, widths, spaced, space = _words(fonts, role, text)
    space *= scale
    lines: list[str] = []
    start, used = 0, 0.0
    for n, ref in enumerate(widths):
        size = ref * scale
        if size > width:
            return None
        gap = space if spaced[n] else 0.0
        if n > start and used + gap + size > width:
            lines.append(_joined(pieces, spaced, start, n))
            start, used = n, 0.0
        used += (gap if n > start else 0) + size
    if start < len(pieces):
        lines.append(_joined(pieces, spaced, start, len(pieces)))
    return lines


def _joined(pieces: tuple[str, ...], spaced: tuple[bool, ...], start: int, end: int) -> str:
    if all(spaced[start + 1 : end]):  # words (the common case), not CJK phrases
        return " ".join(pieces[start:end])
    return pieces[start] + "".join((" " if spaced[n] else "") + pieces[n] for n in range(start + 1, end))


def _balanced(text: str, role: str, px: int, width: float, fonts: Fonts = PLAIN) -> list[str] | None:
    """Greedy wrap, then the narrowest width that keeps the same number of lines: 'Facial Massage
    and / Tissue / Regeneration' becomes 'Facial Massage / and Tissue / Regeneration', no orphan."""
    lines = _wrap(text, role, px, width, fonts)
    if not lines or len(lines) == 1:
        return lines
    low, high = width / len(lines), width
    while high - low > 2:
        middle = (low + high) / 2
        trial = _wrap(text, role, px, middle, fonts)
        if trial is not None and len(trial) == len(lines):
            high = middle
        else:
            low = middle
    return _wrap(text, role, px, high, fonts)


@per_run(256)
def _indent(role: str, px: int, hang: str = "•") -> int:
    return round(font(role, px).getlength(f"{hang}  "))


def _layout(
    paras: list[Para], base: int, width: int, balance: bool = True, fonts: Fonts = PLAIN
) -> tuple[list[Line], int] | None:
    """Every line placed from y = 0 at this base size; None if a word does not fit the width. Without
    `balance` the lines are greedy: the same number of them (so the same height), found ~10× faster.
    A right-to-left paragraph's lines get their x when the size is settled (see _aligned)."""
    lines: list[Line] = []
    y = 0
    for para in paras:
        px = max(MIN_PX, round(base * para.scale))
        indent = _indent(para.role, px, para.hang) if para.bullet else 0
        wrap = _balanced if balance else _wrap
        wrapped = wrap(para.text, para.role, px, width - indent, fonts)
        if wrapped is None:
            return None
        rtl = para.rtl
        y += round(para.gap * px * LINE) if lines else 0
        for n, line in enumerate(wrapped):
            if para.bullet and n == 0:
                lines.append(Line(para.role, px, para.marker, 0, y, rtl))
            lines.append(Line(para.role, px, line, indent, y, rtl))
            y += round(px * LINE)
    return lines, y


def _height(paras: list[Para], base: int, width: int, fonts: Fonts = PLAIN) -> int | None:
    laid = _layout(paras, base, width, balance=False, fonts=fonts)
    return None if laid is None else laid[1]


def _measured(lines: list[Line], width: int, fonts: Fonts = PLAIN) -> bool:
    """The estimate checked: every line, measured whole at its real size, fits the width."""
    return all(line.x + _length(fonts, line.role, line.px, line.text) <= width for line in lines)


def _aligned(lines: list[Line], width: int, fonts: Fonts) -> list[Line]:
    """Right-to-left lines set flush right, their bullets on the right (mirrored x)."""
    return [
        Line(ln.role, ln.px, ln.text, width - ln.x - round(_length(fonts, ln.role, ln.px, ln.text)), ln.y, True)
        if ln.rtl else ln
        for ln in lines
    ]  # fmt: skip


def _fit(
    paras: list[Para], width: int, height: int, largest: int, fonts: Fonts = PLAIN
) -> tuple[list[Line], int]:
    """The largest base size at which every word fits the width and all lines fit the height: a
    binary search on estimated widths and greedy lines (balancing keeps the number of lines, so the
    height), then the balanced lines' real widths checked (a size smaller if they miss).
    Text that cannot fit even at the smallest size loses its last paragraphs."""
    low, high, best = MIN_PX, largest, 0
    while low <= high:
        middle = (low + high) // 2
        used = _height(paras, middle, width, fonts)
        if used is not None and used <= height:
            best, low = middle, middle + 1
        else:
            high = middle - 1
    for base in range(best, MIN_PX - 1, -1) if best else ():
        laid = _layout(paras, base, width, fonts=fonts)
        if laid is not None and laid[1] <= height and _measured(laid[0], width, fonts):
            return _aligned(laid[0], width, fonts), laid[1]
    return _fit(paras[:-1], width, height, largest, fonts) if len(paras) > 1 else ([], 0)


def _glyphs(
    face: Face, px: int, text: str, direction: str = "", anchor: str = "la"
) -> tuple[Image.core.ImagingCore, tuple[int, int]]:
    """A run's coverage bitmap and its offset from the pen, exactly as ImageDraw.text renders it
    (Pillow rasterises every glyph twice per call): short texts, which recur on every card (the
    site's name at the foot, the bullets), are kept; a long line seldom recurs and is large."""
    return (_short if len(text) <= SHORT else _render)(face, px, text, direction, anchor)


SHORT = 24  # characters


def _render(
    face: Face, px: int, text: str, direction: str = "", anchor: str = "la"
) -> tuple[Image.core.ImagingCore, tuple[int, int]]:
    return face_font(face, px).getmask2(
        text, "L", direction=direction or None, anchor=anchor, ink=255, start=(0.0, 0.0)
    )


_short = per_run(256)(_render)  # a few KB each


def placed(
    fonts: Fonts, role: str, px: int, text: str, rtl: bool = False
) -> list[tuple[Face, str, str, float]]:
    """A line's runs left to right: (face, text, direction, x from the line's start). One run of the
    primary face, left to right, is the common case and is drawn as before (anchor at the top left)."""
    runs = fonts.runs(role, text)
    if not rtl and len(runs) == 1 and runs[0][0] == primary(role) and not L.is_rtl(text):
        return [(runs[0][0], runs[0][1], "", 0.0)]
    pieces = [(face, part) for face, run in runs for part in _spaces_apart(run)]
    out, x = [], 0.0
    for n, backwards in L.visual([run for _, run in pieces], rtl):
        face, run = pieces[n]
        direction = "rtl" if backwards else "ltr"
        out.append((face, run, direction, x))
        x += face_font(face, px).getlength(run, direction=direction)
    return out


def _spaces_apart(run: str) -> list[str]:
    """A run's leading and trailing spaces as runs of their own: a space between a number and an
    Arabic word takes its direction from both sides, not from the number (UAX #9 N1)."""
    core = run.strip(" ")
    if not core or core == run:
        return [run]
    start = run.index(core)
    return [part for part in (run[:start], core, run[start + len(core) :]) if part]


class _Canvas:
    """The card's coverage mask, one column wider than the card: column 0 stays 0, PNG's filter byte
    ('none') of every row, so the mask's bytes are the PNG's raw rows as they are. It records which
    rows were drawn on, so the encoder never scans the pixels for ink."""

    def __init__(self, width: int, height: int, fonts: Fonts = PLAIN) -> None:
        self.image = Image.new("L", (width + 1, height), 0)
        self.draw = ImageDraw.Draw(self.image)
        self.height = height
        self.fonts = fonts
        self.rows: list[tuple[int, int]] = []  # [top, bottom) of everything drawn

    def text(self, x: int, y: int, role: str, px: int, text: str, rtl: bool = False) -> None:
        runs = placed(self.fonts, role, px, text, rtl)
        if len(runs) == 1 and not runs[0][2]:  # one primary run: top-left anchor, as ever
            self._run(x, y, runs[0][0], px, runs[0][1], "", "la")
            return
        baseline = y + font(role, px).getmetrics()[0]  # every font of the line on the primary's baseline
        for face, run, direction, dx in runs:
            self._run(x + round(dx), baseline, face, px, run, direction, "ls")

    def _run(self, x: int, y: int, face: Face, px: int, text: str, direction: str, anchor: str) -> None:
        mask, (dx, dy) = _glyphs(face, px, text, direction, anchor)
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


@per_run(32)  # a card asked for again in a run (the preview's, across saves): ~50 KB each
@entry  # outside a run: the card's own memo (__wrapped__ draws afresh, under the active memo)
def png(card: Card, size: str, accent: str) -> bytes:
    """The card as PNG bytes. Drawn as a coverage mask (0 = background, 255 = ink) and stored with
    a palette of the 256 blends between the two colours: the same pixels as an RGB drawing, in a
    third of the data, which PNG compresses several times faster."""
    width, height = SIZES[size]
    canvas = _Canvas(width, height, card.fonts)
    for line in layout(card, size):
        canvas.text(line.x, line.y, line.role, line.px, line.text, line.rtl)
    canvas.rule(*_rule(size))
    return _encode(canvas, _palette(accent, ink(accent)))


def _rule(size: str) -> tuple[int, int, int, int]:
    width, height = SIZES[size]
    side, margin, footer_px = side_margin(size), _margin(size), _footer_px(size)
    rule_y = height - margin - footer_px - round(footer_px * 1.4)
    return side, side + round(width * 0.12), rule_y, max(2, footer_px // 8)


def _margin(size: str) -> int:
    """Above and below the text: 9% of the card's shorter side."""
    return round(min(SIZES[size]) * 0.09)


def side_margin(size: str) -> int:
    """Left and right: the same on the link card; 6% of the width on a tall card, whose text is
    limited by its width (so it reaches about 88% of the width, not 82%)."""
    width, height = SIZES[size]
    return round(width * 0.06) if height > width else _margin(size)


def _footer_px(size: str) -> int:
    return max(MIN_PX, round(min(SIZES[size]) * 0.035))


@entry
def layout(card: Card, size: str) -> list[Line]:
    """Every line of the card at its place on the card: the text block centred in its box, then the
    site's name at the foot (right-aligned for a right-to-left name)."""
    width, height = SIZES[size]
    side, margin, footer_px = side_margin(size), _margin(size), _footer_px(size)
    footer_y = height - margin - footer_px
    rule_y = _rule(size)[2]
    box_w, box_h = width - 2 * side, rule_y - margin - round(footer_px * 1.6)
    tall = height > width
    largest = round(width * (LARGEST_TALL if tall else LARGEST)[card.kind])
    lines, used = _fit(paragraphs(card.fitted(size), size), box_w, box_h, largest, card.fonts)
    top = margin + (box_h - used) // 2
    out = [Line(ln.role, ln.px, ln.text, side + ln.x, top + ln.y, ln.rtl) for ln in lines]
    site = card.site.upper()
    foot = Line("strong", footer_px, site, side, footer_y, L.is_rtl(site))
    return out + (_aligned([replace(foot, x=side)], width, card.fonts) if foot.rtl else [foot])


def drawn_text(card: Card, size: str) -> list[str]:
    """What the card shows, line by line from the top (the site's name last): for tests and for
    checking that the alt text says the same."""
    return [line.text for line in layout(card, size)]


@per_run(16)
def _palette(accent: str, color: str) -> bytes:
    return bytes(_blends(rgb(accent), rgb(color)))


def _blends(background: tuple[int, int, int], text: tuple[int, int, int]) -> list[int]:
    return [round(b + (t - b) * i / 255) for i in range(256) for b, t in zip(background, text, strict=True)]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@per_run(1024)  # a few hundred bytes each
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
