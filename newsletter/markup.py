"""Markdown to safe HTML, and the parsed tree that captions and the plain-text part are made from."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor

from .urls import ALLOWED_SCHEMES

# attr_list: `![alt](src){width=300}` sizes an image (nh3 keeps only the attributes allowed below).
EXTENSIONS = ["tables", "fenced_code", "sane_lists", "attr_list"]
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
# What the sanitiser removes, spotted in the source so the warning can name the line.
_UNSAFE = [
    (re.compile(r"<\s*(script|iframe|object|embed|style|link|form|input|button|svg|math|meta|base)\b", re.I),
     "<{0}> element"),
    (re.compile(r"<[^>]*\s(on[a-z]+)\s*=", re.I), "event handler attribute '{0}'"),
    (re.compile(r"\{:?[^{}]*\b(on[a-z]+)\s*=[^{}]*\}", re.I), "event handler attribute '{0}'"),  # attr_list
    (re.compile(r"(?:\]\(|=\s*[\"']?)\s*((?:[a-z]|&#x?[0-9a-f]+;?|\s)+):", re.I), "{0}: URL"),
]  # fmt: skip
PLACEHOLDER = re.compile("\x02wzxhzdk:(\\d+)\x03")


@dataclass(frozen=True)
class Rendered:
    html: str
    tree: ET.Element
    removed: tuple[tuple[int, str], ...]  # (body line, what) the sanitiser dropped
    empty_alt: tuple[int, ...]  # body lines of images without alt text


class _Capture(Treeprocessor):
    """Keeps the finished tree: the plain-text part and captions walk it instead of re-parsing HTML."""

    def run(self, root: ET.Element) -> None:
        self.md.captured = root  # type: ignore[attr-defined]


_CONVERTER: markdown.Markdown | None = None


def _converter() -> markdown.Markdown:
    """One Markdown instance per process, reset between documents: building one costs more than a post."""
    global _CONVERTER
    if _CONVERTER is None:
        _CONVERTER = markdown.Markdown(extensions=EXTENSIONS, output_format="html")
        _CONVERTER.treeprocessors.register(_Capture(_CONVERTER), "capture", -10)
    return _CONVERTER.reset()


def render(body: str) -> Rendered:
    md = _converter()
    raw = md.convert(body)
    tree = md.captured  # type: ignore[attr-defined]
    _resolve_stash(tree, md)
    return Rendered(sanitize(raw), tree, tuple(_unsafe_lines(body)), tuple(_empty_alt_lines(body)))


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


def _resolve_stash(tree: ET.Element, md: markdown.Markdown) -> None:
    """Raw HTML in the tree sits behind stash placeholders: replace each by its text content."""

    def text_of(match: re.Match) -> str:
        chunk = md.htmlStash.rawHtmlBlocks[int(match.group(1))]
        # nh3 with no tags allowed keeps text and drops script/style content along with their tags.
        return html.unescape(nh3.clean(str(chunk), tags=set(), attributes={}))

    for element in tree.iter():
        if element.text and "\x02" in element.text:
            element.text = PLACEHOLDER.sub(text_of, element.text)
        if element.tail and "\x02" in element.tail:
            element.tail = PLACEHOLDER.sub(text_of, element.tail)
    for element in list(tree):
        if element.tag == "p" and not "".join(element.itertext()).strip() and not len(element):
            tree.remove(element)


def _unsafe_lines(body: str):
    for number, line in enumerate(body.split("\n"), 1):
        for pattern, label in _UNSAFE:
            for match in pattern.finditer(line):
                what = re.sub(r"&#x?[0-9a-f]+;?|\s", "", match.group(1), flags=re.I).lower()
                if label.startswith("{0}:") and what in ALLOWED_SCHEMES:
                    continue
                yield number, label.format(what)


def _empty_alt_lines(body: str):
    for number, line in enumerate(body.split("\n"), 1):
        if re.search(r"!\[\s*\]\(|<img\b(?![^>]*\balt\s*=\s*[\"']?[^\"'\s>])", line, re.I):
            yield number


def text(element: ET.Element) -> str:
    """The visible text of an element, whitespace folded."""
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def lists(tree: ET.Element) -> list[ET.Element]:
    return [el for el in tree.iter() if el.tag in ("ul", "ol")]


def benefits(tree: ET.Element) -> tuple[tuple[str, ...], str]:
    """The most prominent bullet list (most items, unordered first) and the sentence that leads into it."""
    candidates = [el for el in lists(tree) if len(el) >= 2]
    if not candidates:
        return (), ""
    best = max(candidates, key=lambda el: (el.tag == "ul", len(el), -_index(tree, el)))
    items = tuple(text(li) for li in best if text(li))
    return items, _lead(tree, best)


def _index(tree: ET.Element, target: ET.Element) -> int:
    return next(i for i, el in enumerate(tree.iter()) if el is target)


def _lead(tree: ET.Element, target: ET.Element) -> str:
    previous = None
    for el in tree:
        if el is target:
            break
        previous = el
    if previous is not None and previous.tag == "p":
        lead = text(previous)
        return lead if lead.endswith(":") else ""
    return ""


def first_paragraph(tree: ET.Element) -> str:
    return next((text(el) for el in tree if el.tag == "p" and text(el)), "")


def first_blockquote(tree: ET.Element) -> str:
    return next((text(el) for el in tree.iter("blockquote")), "")


def paragraphs(tree: ET.Element) -> list[str]:
    """Top-level prose blocks in order: paragraphs and list items, for threads and quotes."""
    out: list[str] = []
    for el in tree:
        if el.tag in ("p", "blockquote") or re.fullmatch(r"h[1-6]", el.tag):
            out.append(text(el))
        elif el.tag in ("ul", "ol"):
            out.extend(text(li) for li in el)
    return [p for p in out if p]


def sections(tree: ET.Element) -> list[str]:
    """The first paragraph under each heading (and before the first), or every paragraph if no headings."""
    blocks = [el for el in tree if el.tag == "p" or re.fullmatch(r"h[1-6]", el.tag)]
    if not any(el.tag != "p" for el in blocks):
        return [text(el) for el in blocks if text(el)]
    firsts, waiting = [], True
    for el in blocks:
        if el.tag != "p":
            waiting = True
        elif waiting and text(el):
            firsts.append(text(el))
            waiting = False
    return firsts
