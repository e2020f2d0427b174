"""Colour arithmetic for the email and the site: WCAG 2.x contrast, a readable label for the accent
colour, and the brand palette (every colour the templates use, each checked against its background in
light and dark mode and moved just far enough to pass when it does not)."""

from __future__ import annotations

from dataclasses import dataclass

WHITE = "#ffffff"
BLACK = "#000000"
# Near-black rather than #000: some dark-mode clients invert pure black text, and the suite forbids it.
DARK = "#1a1a1a"
AA = 4.5  # WCAG 2.x AA for normal text; the button label is 16 px bold, which is not "large" text
NON_TEXT = 3.0  # WCAG 2.x 1.4.11, graphics a reader needs to see (the quote bar)

# The surfaces the templates draw on. Light: a white card; dark: a near-black card, both tinted a little
# towards the accent so that the page, not only its links, belongs to the brand.
LIGHT_TEXT = "#2d2a26"
DARK_TEXT = "#f1ede9"
_LIGHT_GREY = "#6b6b6b"  # the muted text (dates, footer) before it takes on the accent's hue
_DARK_GREY = "#bdbdbd"
_DARK_PAGE = "#141414"
_DARK_CARD = "#222222"


def rgb(hex_color: str) -> tuple[int, int, int]:
    """#rgb or #rrggbb (already validated by config) as three 0-255 channels."""
    digits = hex_color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def hex_of(channels: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in channels)


def luminance(hex_color: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb(hex_color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, two: str) -> float:
    light, dark = sorted((luminance(one), luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def label_on(background: str) -> str:
    """White when it reaches AA on the background, else near-black when that does; else the better one
    (the palette darkens such a middle-grey button until white reads, see `palette`)."""
    if contrast(WHITE, background) >= AA:
        return WHITE
    return DARK if contrast(DARK, background) >= contrast(WHITE, background) else WHITE


def readable(background: str) -> bool:
    return contrast(label_on(background), background) >= AA


def mix(one: str, two: str, amount: float) -> str:
    """`amount` of `two` mixed into `one`, channel by channel in sRGB (0: one, 1: two). Mixing with
    black or white keeps the hue, which is what a reader recognises as the brand."""
    a, b = rgb(one), rgb(two)
    red, green, blue = (round(x + (y - x) * amount) for x, y in zip(a, b, strict=True))
    return hex_of((red, green, blue))


def reaching(color: str, background: str, ratio: float) -> str:
    """`color` itself when it reaches `ratio` on `background`; else the least mix of it with black (on a
    light background) or white (on a dark one) that does, found by bisection on the rounded colour."""
    if contrast(color, background) >= ratio:
        return normal(color)
    target = BLACK if contrast(BLACK, background) >= contrast(WHITE, background) else WHITE
    low, high = 0.0, 1.0
    for _ in range(24):
        middle = (low + high) / 2
        if contrast(mix(color, target, middle), background) >= ratio:
            high = middle
        else:
            low = middle
    return mix(color, target, high)


def normal(color: str) -> str:
    """#abc and #AABBCC as #aabbcc: one spelling, so templates and messages compare like with like."""
    return hex_of(rgb(color))


@dataclass(frozen=True)
class Adjusted:
    """A colour the palette had to move: where it is used, in which mode, from what to what."""

    key: str  # the setting it came from: accent_color or accent_color_dark
    uses: str  # "links and headings", "the quote bar", "the button"
    mode: str  # "light" | "dark"
    background: str
    original: str
    before: float
    adjusted: str
    after: float
    needed: float


@dataclass(frozen=True)
class Palette:
    """Every colour of the email, the web copy and the archive page. `link` colours links, the
    masthead and section headings; `bar` the quote bar; `button` and `button_text` the call to action;
    `muted` dates, the footer and quotes; `line` dividers and table rules; `wash` code blocks. The
    `_dark` twins are for prefers-color-scheme: dark."""

    accent: str
    button: str
    button_text: str
    link: str
    bar: str
    muted: str
    text: str
    page: str
    card: str
    line: str
    wash: str
    link_dark: str
    bar_dark: str
    muted_dark: str
    text_dark: str
    page_dark: str
    card_dark: str
    line_dark: str
    wash_dark: str


def palette(accent: str, accent_dark: str = "") -> tuple[Palette, tuple[Adjusted, ...]]:
    """The palette of an accent colour, and every colour the user gave that had to be moved to pass.
    Dark mode takes `accent_dark` when given, else the accent lightened until it reads there (no single
    colour reaches 4.5:1 on both a white and a near-black card, so that is the design, not a fix)."""
    accent = normal(accent)
    card, card_dark = WHITE, mix(_DARK_CARD, accent, 0.08)
    moved: list[Adjusted] = []

    def check(key: str, color: str, background: str, mode: str, uses: str, ratio: float) -> str:
        made = reaching(color, background, ratio)
        if made != normal(color):
            moved.append(Adjusted(key, uses, mode, background, normal(color), contrast(color, background),
                                  made, contrast(made, background), ratio))  # fmt: skip
        return made

    link = check("accent_color", accent, card, "light", "links and headings", AA)
    bar = check("accent_color", accent, card, "light", "the quote bar", NON_TEXT)
    button = accent if readable(accent) else reaching(accent, WHITE, AA)
    if button != accent:  # a middle tone: neither label reads, so the button darkens until white does
        moved.append(Adjusted("accent_color", "the button", "light", button, accent,
                              max(contrast(WHITE, accent), contrast(DARK, accent)), button,
                              contrast(WHITE, button), AA))  # fmt: skip
    if accent_dark:
        link_dark = check("accent_color_dark", accent_dark, card_dark, "dark", "links and headings", AA)
        bar_dark = check("accent_color_dark", accent_dark, card_dark, "dark", "the quote bar", NON_TEXT)
    else:
        link_dark = reaching(accent, card_dark, AA)
        bar_dark = reaching(accent, card_dark, NON_TEXT)
    # The tints follow the readable shade: a pale accent's own tints would vanish on white.
    made = Palette(
        accent=accent,
        button=button,
        button_text=label_on(button),
        link=link,
        bar=bar,
        muted=reaching(mix(_LIGHT_GREY, link, 0.25), card, AA),
        text=LIGHT_TEXT,
        page=mix(WHITE, link, 0.08),
        card=card,
        line=mix(WHITE, link, 0.2),
        wash=mix(WHITE, link, 0.05),
        link_dark=link_dark,
        bar_dark=bar_dark,
        muted_dark=reaching(mix(_DARK_GREY, link_dark, 0.25), card_dark, AA),
        text_dark=DARK_TEXT,
        page_dark=mix(_DARK_PAGE, accent, 0.06),
        card_dark=card_dark,
        line_dark=mix(card_dark, link_dark, 0.3),
        wash_dark=mix(_DARK_PAGE, accent, 0.06),
    )
    return made, tuple(moved)
