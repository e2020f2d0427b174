"""Colour arithmetic for the email: WCAG 2.x contrast, and a readable label for the accent colour."""

from __future__ import annotations

WHITE = "#ffffff"
# Near-black rather than #000: some dark-mode clients invert pure black text, and the suite forbids it.
DARK = "#1a1a1a"
AA = 4.5  # WCAG 2.x AA for normal text; the button label is 16 px bold, which is not "large" text


def rgb(hex_color: str) -> tuple[int, int, int]:
    """#rgb or #rrggbb (already validated by config) as three 0-255 channels."""
    digits = hex_color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


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
    (config refuses such a middle-grey accent colour, see `readable`)."""
    if contrast(WHITE, background) >= AA:
        return WHITE
    return DARK if contrast(DARK, background) >= contrast(WHITE, background) else WHITE


def readable(background: str) -> bool:
    return contrast(label_on(background), background) >= AA
