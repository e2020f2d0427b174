"""What the sanitiser will remove from an article, found on the parsed HTML (not by regexes over the
Markdown), so each warning names exactly what goes and the source line it came from.

Python-Markdown's output (raw HTML passed through, reference links resolved) is parsed with lxml; every
element, event handler and URL outside the email allow-list is a finding. nh3 still does the removing.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re

from newsletter.urls import ALLOWED_SCHEMES, is_allowed, scheme_of

# The email allow-list: what nh3 keeps (markup) and what these findings report are the same sets.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
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
    how 'jav&#x09;ascript:' reads to a browser).

    Each reading is one string searched with str.find from the line after the last finding of the same
    kind, not a loop over lines per finding (thousands of findings in a 1 MiB post were quadratic).
    A text that appears nowhere is searched in full, so the searching has a budget of a few dozen times
    the body; past it (only a post built to be slow gets there) a finding takes the line after the last
    one of its kind."""

    def __init__(self, body: str):
        lines = body.split("\n")
        self.count = len(lines)
        self.forms = [
            _Reading([line.lower() for line in lines]),
            _Reading([html.unescape(line).lower() for line in lines]),
            _Reading([_NOISE.sub("", html.unescape(line)).lower() for line in lines]),
        ]
        self.last: dict[str, int] = {}
        self.left = SEARCH_FACTOR * len(body) + SEARCH_ALLOWANCE

    def __call__(self, needle: str, key: str) -> int:
        wanted = needle.lower()
        squeezed = _NOISE.sub("", wanted)
        start = self.last.get(key, 0)
        for reading, text in zip(self.forms, (wanted, wanted, squeezed), strict=True):  # closest wins
            if self.left < 0:
                break
            index, self.left = reading.find(text, start, self.left)
            if index is not None:
                self.last[key] = index + 1
                return index + 1
        if self.left < 0:
            self.last[key] = min(start + 1, self.count)
            return self.last[key]
        return 1


SEARCH_FACTOR = 32
SEARCH_ALLOWANCE = 1_000_000


class _Reading:
    """One reading of the body's lines, joined: the first line from `start` on (then from the top)
    holding a text is one str.find, and the line a position falls in one bisection."""

    def __init__(self, lines: list[str]):
        self.text = "\n".join(lines)
        self.starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))

    def find(self, text: str, start: int, left: int) -> tuple[int | None, int]:
        """(line index or None, budget left): `text` never spans lines (a line break never matches)."""
        if not text or "\n" in text:
            return None, left
        offset = self.starts[start] if start < len(self.starts) else len(self.text)
        at = self.text.find(text, offset)
        if at < 0:
            at = self.text.find(text, 0, offset)
            left -= len(self.text)
        else:
            left -= at - offset
        return (bisect.bisect_right(self.starts, at) - 1 if at >= 0 else None), left
