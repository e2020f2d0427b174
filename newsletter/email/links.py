"""Rewrite the href and src attributes of real tags in an HTML page, leaving every other byte as it is.

A regex over the whole page also rewrote prose that merely looked like an attribute (`src="...`" in a
sentence). Here Python's HTML tokenizer finds the start tags; only their attributes change. Outlook's
conditional comments (`<!--[if mso]>...<![endif]-->`) hold markup too (the VML button): they are
tokenized the same way.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser

URL_ATTRIBUTES = ("href", "src")
_ATTRIBUTE = re.compile(r"""(\s+)([^\s"'>/=]+)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


def rewrite(page: str, url: Callable[[str], str], src: Callable[[str], str] | None = None) -> str:
    """`url` maps each href/src value (entities decoded) to its new value; "" drops the attribute.
    `src`, when given, maps the src values instead (images: never tagged for a campaign)."""
    parser = _Tags(page, url, src or url)
    parser.feed(page)
    parser.close()
    out: list[str] = []
    at = 0
    for start, length, replacement in sorted(parser.edits):
        out.extend((page[at:start], replacement))
        at = start + length
    out.append(page[at:])
    return "".join(out)


class _ByAttribute:
    """A mapper that knows which attribute it maps: _rewrite_tag asks `for_attribute` first."""

    def __init__(self, href: Callable[[str], str], src: Callable[[str], str]):
        self.href, self.src = href, src

    def __call__(self, value: str) -> str:
        return self.href(value)

    def for_attribute(self, name: str) -> Callable[[str], str]:
        return self.src if name == "src" else self.href


class _Tags(HTMLParser):
    def __init__(self, page: str, url: Callable[[str], str], src: Callable[[str], str]):
        super().__init__(convert_charrefs=False)
        self.page = page
        self.url, self.src = url, src
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", page)]
        self.edits: list[tuple[int, int, str]] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs) -> None:
        raw = self.get_starttag_text() or ""
        at = self._offset()
        if self.page.startswith(raw, at) and (new := _rewrite_tag(raw, self.url, self.src)) != raw:
            self.edits.append((at, len(raw), new))

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        at = self._offset() + len("<!--")
        conditional = data.startswith("[if") and self.page.startswith(data, at)
        if conditional and (inner := rewrite(data, self.url, self.src)) != data:
            self.edits.append((at, len(data), inner))


def _rewrite_tag(raw: str, url: Callable[[str], str], src: Callable[[str], str]) -> str:
    name_end = re.match(r"<[^\s/>]+", raw)
    head = name_end.group(0) if name_end else "<"

    def one(match: re.Match) -> str:
        space, name, _, value = match.groups()
        if name.lower() not in URL_ATTRIBUTES or value is None:
            return match.group(0)
        mapping = src if name.lower() == "src" else url
        new = mapping(html.unescape(value.strip("\"'") if value[:1] in "\"'" else value))
        return f'{space}{name}="{html.escape(new, quote=True)}"' if new else ""

    return head + _ATTRIBUTE.sub(one, raw[len(head) :])
