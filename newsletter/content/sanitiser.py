"""What the sanitiser will remove from an article, found on the parsed HTML (not by regexes over the
Markdown), so each warning names exactly what goes and the source line it came from.

Python-Markdown's output (raw HTML passed through, reference links resolved) is parsed with lxml; every
element, event handler and URL outside the email allow-list is a finding. nh3 still does the removing.
"""

from __future__ import annotations

import html
import re

from newsletter.urls import ALLOWED_SCHEMES, is_allowed, scheme_of

# The email allow-list: what nh3 keeps (markup) and what these findings report are the same sets.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
}
_URL_ATTRIBUTES = ("href", "src")
_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def findings(raw_html: str, body: str) -> tuple[tuple[tuple[int, str], ...], tuple[int, ...]]:
    """(removed, empty_alt): (body line, what) for each thing removed, body lines of images without alt."""
    import lxml.html

    if not raw_html.strip():
        return (), ()
    root = lxml.html.fragment_fromstring(raw_html, create_parent="div")
    locate = _Locator(body)
    removed: list[tuple[int, str]] = []
    empty_alt: list[int] = []
    skip: set = set()  # descendants of a removed element go with it: one finding for the element
    for element in root.iterdescendants():
        if not isinstance(element.tag, str) or element in skip:
            continue
        tag = element.tag.lower()
        if tag not in ALLOWED_TAGS:
            removed.append((locate(f"<{tag}", tag), f"<{tag}> element"))
            skip.update(element.iterdescendants())
            continue
        for name, value in element.attrib.items():
            name = name.lower()
            if name.startswith("on"):
                removed.append((locate(name, name), f"event handler attribute '{name}'"))
            elif (
                name in _URL_ATTRIBUTES
                and name in ALLOWED_ATTRIBUTES.get(tag, ())
                and (what := _bad_url(value))
            ):
                removed.append((locate(value, value), what))
        if tag == "img" and not (element.get("alt") or "").strip():
            empty_alt.append(locate(element.get("src") or "![", "img"))
    return tuple(removed), tuple(empty_alt)


def _bad_url(url: str) -> str:
    if is_allowed(url):
        return ""
    scheme = scheme_of(url)
    if scheme and scheme not in ALLOWED_SCHEMES:
        return f"{scheme}: URL"
    return f"invalid URL '{url[:60]}'"


class _Locator:
    """The body line where a finding's text appears; repeated findings take later lines in turn.
    Lines are compared as typed, with entities decoded, and with spaces and controls dropped (which is
    how 'jav&#x09;ascript:' reads to a browser)."""

    def __init__(self, body: str):
        self.lines = body.split("\n")
        self.forms = [
            (line.lower(), html.unescape(line).lower(), _NOISE.sub("", html.unescape(line)).lower())
            for line in self.lines
        ]
        self.last: dict[str, int] = {}

    def __call__(self, needle: str, key: str) -> int:
        wanted = needle.lower()
        squeezed = _NOISE.sub("", wanted)
        start = self.last.get(key, 0)
        order = [*range(start, len(self.forms)), *range(0, start)]
        for form, text in ((0, wanted), (1, wanted), (2, squeezed)):  # the closest reading wins
            for index in order:
                if text and text in self.forms[index][form]:
                    self.last[key] = index + 1
                    return index + 1
        return 1
