"""The plain-text part, rendered from the Markdown tree (never from the email HTML), wrapped at 78."""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable

WIDTH = 78
MIN_WIDTH = 20  # deep quotes and lists still wrap (markup.MAX_NESTING keeps nesting far below this)
UNDERLINE = {"h1": "=", "h2": "-"}
LinkFn = Callable[[str], str]


def render(tree: ET.Element, link: LinkFn = lambda url: url, width: int = WIDTH) -> str:
    """Blocks separated by blank lines; `link` lets the caller make URLs absolute and tagged."""
    blocks = [b for el in tree if (b := _block(el, link, width))]
    return "\n\n".join(blocks).strip("\n") + "\n"


def wrap(text: str, width: int = WIDTH, first: str = "", rest: str = "") -> str:
    """Wrap at word boundaries; a URL longer than the line stays whole rather than break."""
    lines = []
    width = max(width, len(first) + MIN_WIDTH, len(rest) + MIN_WIDTH)
    for paragraph in text.split("\n"):
        lines.extend(
            textwrap.wrap(
                paragraph,
                width=width,
                initial_indent=first if not lines else rest,
                subsequent_indent=rest,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [first.rstrip() if not lines else ""]
        )
    return "\n".join(lines)


def inline(element: ET.Element, link: LinkFn) -> str:
    """Inline content as text: links become 'text (url)', images their alt text, breaks newlines."""
    parts = [element.text or ""]
    for child in element:
        parts.append(_inline_child(child, link))
        parts.append(child.tail or "")
    return "".join(parts)


def _inline_child(child: ET.Element, link: LinkFn) -> str:
    if child.tag == "a":
        label = inline(child, link).strip()
        href = link(child.get("href", ""))
        return label if not href or href in (label, f"mailto:{label}") else f"{label} ({href})"
    if child.tag == "img":
        alt = child.get("alt", "").strip()
        return f"[{alt}]" if alt else ""
    if child.tag == "br":
        return "\n"
    if child.tag == "code":
        return f"`{inline(child, link)}`"
    return inline(child, link)


def _clean(text: str) -> str:
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _block(el: ET.Element, link: LinkFn, width: int, indent: str = "") -> str:
    tag = el.tag
    if tag in UNDERLINE:
        title = _clean(inline(el, link)).replace("\n", " ")
        return f"{title}\n{UNDERLINE[tag] * min(len(title), width)}"
    if re.fullmatch(r"h[3-6]", tag):
        return wrap(_clean(inline(el, link)).upper(), width)
    if tag in ("ul", "ol"):
        return _list(el, link, width, indent)
    if tag == "blockquote":
        inner = "\n\n".join(b for c in el if (b := _block(c, link, width - 2)))
        return "\n".join(f"> {line}".rstrip() for line in inner.split("\n"))
    if tag == "pre":
        return "\n".join("    " + line for line in "".join(el.itertext()).rstrip("\n").split("\n"))
    if tag == "hr":
        return "-" * 20
    if tag == "table":
        return _table(el, link)
    return wrap(_clean(inline(el, link)), width)


def _list(el: ET.Element, link: LinkFn, width: int, indent: str) -> str:
    start = int(el.get("start", "1") or 1)
    items = []
    for number, li in enumerate((c for c in el if c.tag == "li"), start):
        marker = f"{number}. " if el.tag == "ol" else "- "
        items.append(_item(li, marker, link, width, indent))
    return "\n".join(items)


def _item(li: ET.Element, marker: str, link: LinkFn, width: int, indent: str) -> str:
    rest = indent + " " * len(marker)
    nested = [c for c in li if c.tag in ("ul", "ol", "p")]
    if not nested:
        return wrap(_clean(inline(li, link)), width, indent + marker, rest)
    lines = [wrap(_clean(li.text or ""), width, indent + marker, rest)] if (li.text or "").strip() else []
    for child in li:
        if child.tag in ("ul", "ol"):
            lines.append(_list(child, link, width, rest))
        elif child.tag == "p":
            first = indent + marker if not lines else rest
            lines.append(wrap(_clean(inline(child, link)), width, first, rest))
    return "\n".join(lines)


def _table(el: ET.Element, link: LinkFn) -> str:
    rows = [[_clean(inline(cell, link)) for cell in tr] for tr in el.iter("tr")]
    return "\n".join(" | ".join(row) for row in rows)
