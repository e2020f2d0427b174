"""The plain-text part, rendered from the Markdown tree (never from the email HTML), wrapped at 78.

Prose is reflowed: a line break in the Markdown source is a space, only a hard break (`<br>`: two
trailing spaces or a backslash) starts a new line. Widths are display columns (wcwidth), so a table of
Japanese names lines up and a Chinese paragraph wraps at 78 columns, not 78 characters.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

WIDTH = 78
MIN_WIDTH = 20  # deep quotes and lists still wrap (markup.MAX_NESTING keeps nesting far below this)
CODE_INDENT = "    "
UNDERLINE = {"h1": "=", "h2": "-"}
BLOCKS = {"p", "ul", "ol", "blockquote", "pre", "table", "hr", "div", "h1", "h2", "h3", "h4", "h5", "h6"}
# Characters a line may not start or end with (the common core of the Japanese kinsoku rules): a break
# inside a run of wide characters never strands a full stop or an opening bracket.
NO_LINE_START = frozenset(
    "、。，．,.!?！？：；:;)]}）］｝〕〉》」』】〙〗〟’”ーｰ…‥々ゝゞ・ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"
)
NO_LINE_END = frozenset("([{（［｛〔〈《「『【〘〖〝‘“")
_SOURCE_SPACE = re.compile(r"[ \t\r\n\f\v]+")  # not \s: a no-break space must stay unbreakable
LinkFn = Callable[[str], str]


def render(tree: ET.Element, link: LinkFn = lambda url: url, width: int = WIDTH) -> str:
    """Blocks separated by blank lines; `link` lets the caller make URLs absolute and tagged."""
    return "\n\n".join(_blocks(tree, link, width)).strip("\n") + "\n"


def width_of(text: str) -> int:
    """Display columns: East Asian wide characters and emoji count 2, combining marks 0."""
    if text.isascii():
        return len(text)
    from wcwidth import wcswidth  # lazy: about 10 ms to import, only for text that needs it

    columns = wcswidth(text)
    return columns if columns >= 0 else sum(max(_columns_of(char), 0) for char in text)


def _columns_of(char: str) -> int:
    from wcwidth import wcwidth

    return wcwidth(char)


def wrap(text: str, width: int = WIDTH, first: str = "", rest: str = "") -> str:
    """Each line of `text` (a hard break) wrapped at word boundaries; a URL longer than the line stays
    whole on a line of its own. Also the templates' `wrap` filter."""
    width = max(width, width_of(first) + MIN_WIDTH, width_of(rest) + MIN_WIDTH)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        indent = first if not lines else rest
        lines.extend(_fill(_SOURCE_SPACE.split(paragraph.strip()), width, indent, rest) or [indent.rstrip()])
    return "\n".join(lines)


def _fill(words: list[str], width: int, first: str, rest: str) -> list[str]:
    """Greedy fill in display columns; a piece wider than the line goes alone, never broken."""
    lines: list[str] = []
    line, used, empty = first, width_of(first), True
    for piece, spaced in _pieces(words):
        gap = 1 if spaced and not empty else 0
        columns = width_of(piece)
        if not empty and used + gap + columns > width:
            lines.append(line)
            line, used, empty, gap = rest, width_of(rest), True, 0
        line, used, empty = line + " " * gap + piece, used + gap + columns, False
    if not empty:
        lines.append(line)
    return lines


def _pieces(words: list[str]) -> Iterator[tuple[str, bool]]:
    """(piece, preceded by a space): words, and within a word runs of wide characters split where a
    line may break (Chinese and Japanese have no spaces between words). URLs are never split."""
    for word in filter(None, words):
        if word.isascii() or "://" in word or not any(_columns_of(char) == 2 for char in word):
            yield word, True
            continue
        start = 0
        for at in range(1, len(word)):
            if _breaks_before(word, at):
                yield word[start:at], start == 0
                start = at
        yield word[start:], start == 0


def _breaks_before(word: str, at: int) -> bool:
    before, after = word[at - 1], word[at]
    if _columns_of(after) == 0 or before == "\u200d":  # inside a grapheme: a combining mark, a ZWJ sequence
        return False
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    return _columns_of(before) == 2 or _columns_of(after) == 2


def inline(element: ET.Element, link: LinkFn) -> str:
    """Inline content as one flow of text: source line breaks and runs of spaces are single spaces,
    links are 'text (url)', images their alt text, and a hard break (<br>) is a newline."""
    parts = [_SOURCE_SPACE.sub(" ", element.text or "")]
    for child in element:
        parts.append(_inline_child(child, link))
        parts.append(_SOURCE_SPACE.sub(" ", child.tail or ""))
    return "".join(parts)


def _inline_child(child: ET.Element, link: LinkFn) -> str:
    if child.tag == "a":
        label = _flow(inline(child, link)).replace("\n", " ")
        href = link(child.get("href", ""))
        if not href or href in (label, f"mailto:{label}"):
            return label
        # A URL shown as itself (<https://…>, a bare URL) is said once, in its tracked form.
        return href if label == child.get("href") else f"{label} ({href})"
    if child.tag == "img":
        alt = child.get("alt", "").strip()
        return f"[{alt}]" if alt else ""
    if child.tag == "br":
        return "\n"
    if child.tag == "code":
        return f"`{inline(child, link)}`"
    return inline(child, link)


def _flow(text: str) -> str:
    """Each hard-broken line trimmed, single-spaced; empty lines dropped."""
    lines = (re.sub(" +", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _blocks(parent: ET.Element, link: LinkFn, width: int) -> list[str]:
    return [block for el in parent if (block := _block(el, link, width))]


def _block(el: ET.Element, link: LinkFn, width: int) -> str:
    tag = el.tag
    if tag in UNDERLINE:
        title = wrap(_flow(inline(el, link)).replace("\n", " "), width)
        rule = UNDERLINE[tag] * max((width_of(line) for line in title.split("\n")), default=0)
        return f"{title}\n{rule}" if title else ""
    if re.fullmatch(r"h[3-6]", tag):
        return wrap(_flow(inline(el, link)).replace("\n", " ").upper(), width)
    if tag in ("ul", "ol"):
        return _list(el, link, width)
    if tag == "blockquote":
        return _prefixed("\n\n".join(_blocks(el, link, _inner(width, 2))), "> ", "> ")
    if tag == "pre":
        code = "".join(el.itertext()).strip("\n")
        return "\n".join((CODE_INDENT + line).rstrip() for line in code.split("\n")) if code else ""
    if tag == "hr":
        return "-" * 20
    if tag == "table":
        return _table(el, link, width)
    return wrap(_flow(inline(el, link)), width)


def _inner(width: int, indent: int) -> int:
    return max(width - indent, MIN_WIDTH)


def _prefixed(text: str, first: str, rest: str) -> str:
    """`first` before the first line, `rest` before the others; blank lines get no trailing spaces."""
    lines = text.split("\n") if text else [""]
    return "\n".join(((first if n == 0 else rest) + line).rstrip() for n, line in enumerate(lines))


def _list(el: ET.Element, link: LinkFn, width: int) -> str:
    """Items under their marker, continuation lines aligned under the item's text; numbers padded so
    every item's text starts in one column. A loose list (blank lines between items) stays loose."""
    items = [child for child in el if child.tag == "li"]
    if el.tag == "ol":
        start = int(given) if (given := el.get("start") or "1").isdigit() else 1
        numbers = [f"{number}." for number in range(start, start + len(items))]
        markers = [n.ljust(max(map(len, numbers)) + 1) for n in numbers]
    else:
        markers = ["- "] * len(items)
    loose = any(child.tag == "p" for li in items for child in li)
    return ("\n\n" if loose else "\n").join(
        _prefixed(_item(li, link, _inner(width, len(marker))), marker, " " * len(marker))
        for li, marker in zip(items, markers, strict=True)
    )


def _item(li: ET.Element, link: LinkFn, width: int) -> str:
    """An item's blocks: its loose text as a paragraph, then nested lists (no blank line before them,
    they belong to the item's text), paragraphs, quotes, code and tables (after a blank line)."""
    rendered: list[tuple[str, str]] = []  # (tag, text)
    loose = [_SOURCE_SPACE.sub(" ", li.text or "")]

    def flush() -> None:
        if text := _flow("".join(loose)):
            rendered.append(("p", wrap(text, width)))
        loose.clear()

    for child in li:
        if child.tag in BLOCKS:
            flush()
            if block := _block(child, link, width):
                rendered.append((child.tag, block))
            loose.append(_SOURCE_SPACE.sub(" ", child.tail or ""))
        else:
            loose.extend((_inline_child(child, link), _SOURCE_SPACE.sub(" ", child.tail or "")))
    flush()
    out: list[str] = []
    previous = ""
    for tag, text in rendered:
        if out:
            out.append("\n" if {tag, previous} & {"ul", "ol"} else "\n\n")
        out.append(text)
        previous = tag
    return "".join(out)


def _table(el: ET.Element, link: LinkFn, width: int) -> str:
    """Aligned columns (display width, each column aligned as the Markdown says) when they fit the
    line, else one 'label: value' line per cell, a blank line between rows."""
    rows = [[c for c in tr if c.tag in ("th", "td")] for tr in el.iter("tr")]
    rows = [row for row in rows if row]
    if not rows:
        return ""
    count = max(map(len, rows))
    header = rows[0] if all(c.tag == "th" for c in rows[0]) else []
    aligns = [_align(rows[0][i]) if i < len(rows[0]) else "left" for i in range(count)]
    cells = [[_cell(c, link) for c in row] + [""] * (count - len(row)) for row in rows]
    widths = [max(width_of(row[i]) for row in cells) for i in range(count)]
    if sum(widths) + 3 * (count - 1) <= width:
        return _columns(cells, widths, aligns, bool(header))
    labels = cells[0] if header else [""] * count
    return _records(labels, cells[1:] if header else cells, width)


def _cell(cell: ET.Element, link: LinkFn) -> str:
    return _flow(inline(cell, link)).replace("\n", " ")


def _align(cell: ET.Element) -> str:
    match = re.search(r"text-align:\s*(left|right|center)", cell.get("style", "") + cell.get("align", ""))
    return match.group(1) if match else cell.get("align", "left") or "left"


def _pad(text: str, columns: int, align: str) -> str:
    room = columns - width_of(text)
    if align == "right":
        return " " * room + text
    if align == "center":
        return " " * (room // 2) + text + " " * (room - room // 2)
    return text + " " * room


def _columns(cells: list[list[str]], widths: list[int], aligns: list[str], header: bool) -> str:
    lines = [" | ".join(_pad(c, w, a) for c, w, a in zip(row, widths, aligns, strict=True)) for row in cells]
    if header:
        lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _records(labels: list[str], rows: list[list[str]], width: int) -> str:
    """A table too wide for the line: 'label: value' per cell, labels padded so the values line up
    (unless a label is so long that aligning would squeeze the values); empty cells left out."""
    longest = max(map(width_of, labels), default=0)
    aligned = longest <= width // 3
    records = []
    for row in rows:
        lines = []
        for label, value in zip(labels, row, strict=True):
            if not value:
                continue
            if not label:
                lines.append(wrap(value, width))
                continue
            head = f"{label}:" + " " * ((longest - width_of(label)) if aligned else 0) + " "
            lines.append(wrap(value, width, head, " " * width_of(head) if aligned else "  "))
        records.append("\n".join(lines))
    return "\n\n".join(record for record in records if record)
