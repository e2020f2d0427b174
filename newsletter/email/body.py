"""An article's sanitised HTML made ready for the email: image sizes, scrolling tables, text direction.

Outlook for Windows sizes an image by its width/height attributes alone (it ignores CSS); every other
client follows the inline style, which never shows an image wider than the column or than its own pixels.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping

COLUMN = 536  # px: the 600 px container less 2 x 32 px padding
_IMG = re.compile(r"<img\b[^>]*>")
_SIZE_ATTR = re.compile(r'\s(width|height|style)="([^"]*)"')
_SRC = re.compile(r'\ssrc="([^"]*)"')
# Right-to-left text (Hebrew, Arabic and neighbours).
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_BLOCKS = re.compile(r"<(p|h[1-6]|li|blockquote|th|td)(?=[\s>])")
_LISTS = re.compile(r"<(ul|ol)(?=[\s>])")


def prepare(fragment: str, title: str, local: Mapping[str, tuple[str, int, int]] | None = None) -> str:
    """The article body as the email shows it; `local` maps a local image's reference to its URL and
    size in pixels (email.images)."""
    if _RTL.search(title + fragment):
        fragment = _auto_direction(fragment)
    return _scroll_tables(_size_images(local_images(fragment, local or {})))


def local_images(fragment: str, local: Mapping[str, tuple[str, int, int]]) -> str:
    """Local images point at their copy in the issue folder, with the picture's width (or the one the
    author gave with {width=N}) and the height its shape gives: image_size then fits them to the column."""

    def one(match: re.Match) -> str:
        tag = match.group(0)
        src = _SRC.search(tag)
        hit = local.get(html.unescape(src.group(1))) if src else None
        if src is None or hit is None:
            return tag
        url, width, height = hit
        given = dict(_SIZE_ATTR.findall(tag)).get("width", "")
        shown = int(given) if given.isdigit() and int(given) > 0 else width
        tag = _SIZE_ATTR.sub("", tag).replace(src.group(0), f' src="{html.escape(url, quote=True)}"', 1)
        return f'<img width="{shown}" height="{round(height * shown / width)}"{tag[4:]}'

    return _IMG.sub(one, fragment) if local else fragment


def image_size(width: int, height: int) -> str:
    """Attributes for an image of known size (at most the column, height scaled along) or of unknown
    size (Outlook gets the column width, as MJML gives it; other clients its own size, within the column)."""
    if not width:
        return f'width="{COLUMN}" style="width:auto;max-width:100%;height:auto;"'
    shown = min(width, COLUMN)
    tall = f' height="{round(height * shown / width)}"' if height else ""
    return f'width="{shown}"{tall} style="width:{shown}px;max-width:100%;height:auto;"'


def _size_images(fragment: str) -> str:
    """Article images sized from their Markdown attributes (`{width=300 height=200}`), see image_size."""

    def size(match: re.Match) -> str:
        given = dict(_SIZE_ATTR.findall(match.group(0)))
        width = int(given["width"]) if given.get("width", "").isdigit() else 0
        height = int(given["height"]) if width and given.get("height", "").isdigit() else 0
        tag = _SIZE_ATTR.sub("", match.group(0))
        return f"<img {image_size(width, height)}{tag[4:]}"

    return _IMG.sub(size, fragment)


def _scroll_tables(fragment: str) -> str:
    """A data table wider than a phone scrolls inside its own box instead of widening the page."""
    return fragment.replace("<table>", '<div class="table-scroll"><table>').replace(
        "</table>", "</table></div>"
    )


def reads_right_to_left(text: str) -> bool:
    """The first strong letter decides, as the Unicode bidi algorithm (and dir="auto") does."""
    strong = (unicodedata.bidirectional(c) for c in text)
    return next((b for b in strong if b in ("L", "R", "AL")), "L") != "L"


def _auto_direction(fragment: str) -> str:
    """In an article with right-to-left text each block takes its direction from its own first letter
    (dir="auto"), and lists get padding on both sides so their bullets fit on either side."""
    fragment = _LISTS.sub(r'<\1 style="padding:0 24px;"', fragment)
    return _BLOCKS.sub(r'<\1 dir="auto"', fragment)
