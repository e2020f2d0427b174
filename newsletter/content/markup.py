"""Markdown to safe HTML, and the parsed tree that captions and the plain-text part are made from."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import nh3

from newsletter.content import sanitiser as audit
from newsletter.content.sanitiser import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from newsletter.urls import ALLOWED_SCHEMES

# Extensions (see _extensions): tables, fenced_code, sane_lists, and attr_list: `![alt](src){width=300}`
# sizes an image (nh3 keeps only the allowed attributes; the audit reports an event handler in braces).
MAX_NESTING = 12  # lists and quotes inside each other
MAX_DEPTH = 40  # elements inside each other, inline ones included
_THEMATIC_BREAK = re.compile(r" {0,3}([*_-])(?:[ \t]*\1){2,}[ \t]*")
# A line's nesting as the source shows it: quote and list markers, and 4-space indents (Markdown's tab).
_LINE_MARKERS = re.compile(r"(?:[ ]{0,3}(?:>|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]?)*")
PLACEHOLDER = re.compile("\x02wzxhzdk:(\\d+)\x03")


@dataclass(frozen=True)
class Rendered:
    html: str
    tree: ET.Element
    removed: tuple[tuple[int, str], ...]  # (body line, what) the sanitiser dropped
    empty_alt: tuple[int, ...]  # body lines of images without alt text
    errors: tuple[tuple[int, str], ...] = ()  # (body line, message): the article cannot be used


class _Capture:
    """Keeps the finished tree: the plain-text part and captions walk it instead of re-parsing HTML.
    (Duck-typed rather than a Treeprocessor subclass so that importing this module stays cheap.)"""

    def __init__(self, md) -> None:
        self.md = md

    def run(self, root: ET.Element) -> None:
        self.md.captured = root


_EMPTY = ET.Element("div")

# A bare http(s) URL in prose, as mail clients would autolink it (untracked): one pass of a single
# character class, so linear. It starts a word (after a space, an opening bracket or quote, or emphasis)
# and ends before a space, a quote or an angle bracket; trailing punctuation is then given back.
_BARE_URL = re.compile(r"(?:(?<=^)|(?<=[\s(\[*_~\"'“‘«]))(?i:https?://)[^\s<>\"\x00-\x1f\x7f]+")
_TRAILING = ".,:;!?'\"*_~’”»"
_SKIP_TAGS = {"a", "code", "pre", "kbd", "samp", "script", "style"}
_RAW_ANCHOR = (re.compile(r"<a\b", re.I), re.compile(r"</a\s*>", re.I))


class _BareUrls:
    """Links the bare http(s) URLs of text nodes, so they are tracked, checked and sanitised like the
    other links (mail clients would link them anyway, untracked). Not inside code, an existing link, or
    a raw-HTML `<a>` (whose tags are stash placeholders around the text). Runs after Python-Markdown's
    own tree processors; duck-typed like _Capture."""

    def __init__(self, md) -> None:
        self.md = md

    def run(self, root: ET.Element) -> None:
        stack = [root]
        while stack:
            parent = stack.pop()
            if parent.tag in _SKIP_TAGS:
                continue
            self._link_runs(parent)
            stack.extend(parent)

    def _link_runs(self, parent: ET.Element) -> None:
        """parent.text and each child's tail, in order, tracking raw `<a>` tags across them."""
        depth = [0]
        made, rest = self._split(parent.text, depth)
        parent.text = rest
        at = 0
        parent[at:at] = made
        at += len(made)
        for child in list(parent)[at:]:
            at += 1
            made, tail = self._split(child.tail, depth)
            if made:
                child.tail = tail
                parent[at:at] = made
                at += len(made)

    def _split(self, run: str | None, depth: list[int]) -> tuple[list[ET.Element], str | None]:
        """(anchors made from `run`, each with what follows it as its tail; what precedes the first)."""
        if not run or ("://" not in run and "\x02" not in run):
            return [], run
        found: list[tuple[int, str]] = []  # (offset in run, url)
        start = 0
        for segment, outside in self._segments(run, depth):
            for match in _BARE_URL.finditer(segment) if outside else ():
                if url := _trimmed(match.group(0)):
                    found.append((start + match.start(), url))
            start += len(segment)
        if not found:
            return [], run
        made = []
        for n, (begin, url) in enumerate(found):
            anchor = ET.Element("a", {"href": url})
            anchor.text = url
            anchor.tail = run[begin + len(url) : found[n + 1][0] if n + 1 < len(found) else len(run)]
            made.append(anchor)
        return made, run[: found[0][0]]

    def _segments(self, run: str, depth: list[int]):
        """The run cut at stash placeholders: (text, outside any raw <a>) pieces, placeholders included."""
        last = 0
        for match in PLACEHOLDER.finditer(run):
            yield run[last : match.start()], depth[0] == 0
            chunk = str(self.md.htmlStash.rawHtmlBlocks[int(match.group(1))]).strip()
            if _RAW_ANCHOR[1].match(chunk):
                depth[0] = max(depth[0] - 1, 0)
            elif _RAW_ANCHOR[0].match(chunk) and not chunk.endswith("/>"):
                depth[0] += 1
            yield match.group(0), False
            last = match.end()
        yield run[last:], depth[0] == 0


def _trimmed(url: str) -> str:
    """A bare URL without the punctuation that ends its sentence: trailing marks, and a closing bracket
    that has no opening one in the URL (GFM's rule: `(see https://x.com/a)`); '' when no host is left."""
    opened = {")": url.count("("), "]": url.count("[")}
    closed = {")": url.count(")"), "]": url.count("]")}  # counted once: "x)))…" stays linear
    end = len(url)
    while end:
        mark = url[end - 1]
        if mark in closed and opened[mark] < closed[mark]:
            closed[mark] -= 1
        elif mark not in _TRAILING:
            break
        end -= 1
    url = url[:end]
    host = url.split("://", 1)[1].split("/", 1)[0] if "://" in url else ""
    return url if host.strip(".:@") else ""


class Converter:
    """Markdown to safe HTML. One per run (building one costs more than converting a post), reset
    between documents; never shared between runs, so no state leaks from one project to another."""

    def __init__(self) -> None:
        self.md = _markdown()

    def render(self, body: str) -> Rendered:
        deepest_line, deepest = _source_nesting(body)
        too_deep = (
            f"lists and quotes nest {{}} levels deep from here; the limit is {MAX_NESTING}: flatten them"
        )
        if deepest > MAX_NESTING:  # before Markdown sees it: its block parser recurses per level
            return Rendered("", _EMPTY, (), (), ((deepest_line, too_deep.format(deepest)),))
        try:
            md = self.md.reset()
            md.scans.reset(body)
            raw = md.convert(body)
        except RecursionError:
            self.md = _markdown()  # a RecursionError leaves the converter half-way through a document
            return Rendered("", _EMPTY, (), (), ((deepest_line, too_deep.format("too many")),))
        except _Unclosed as stop:
            self.md = _markdown()  # as above: the document was left half-way
            return Rendered("", _EMPTY, (), (), ((stop.line(body), UNCLOSED),))
        tree = md.captured
        if (depth := _tree_depth(tree)) > MAX_DEPTH:
            message = f"the Markdown nests {depth} elements deep; the limit is {MAX_DEPTH}: simplify it"
            return Rendered("", _EMPTY, (), (), ((deepest_line, message),))
        _resolve_stash(tree, md)
        removed, empty_alt = audit.findings(raw, body)
        return Rendered(_aligned(sanitize(raw)), tree, removed, empty_alt)


def _markdown():
    import markdown  # lazy: a rebuild that parses nothing never pays for it
    from markdown.inlinepatterns import SubstituteTagInlineProcessor

    md = markdown.Markdown(extensions=_extensions(), output_format="html")
    md.treeprocessors.register(_BareUrls(md), "bare_urls", -5)  # after `unescape`: real characters
    md.treeprocessors.register(_Capture(md), "capture", -10)
    md.preprocessors.register(_html_blocks(md), "html_block", 20)
    md.scans = _Scans()
    for name in _LINK_PROCESSORS:
        md.scans.count(md.inlinePatterns[name])
    # CommonMark's other hard break, a backslash at the end of a line (Python-Markdown knows only two
    # trailing spaces). After `escape` (180), so an escaped backslash before a line end stays literal.
    md.inlinePatterns.register(SubstituteTagInlineProcessor(r"\\\n", "br"), "backslash_break", 99)
    return md


# Python-Markdown's link processors (inline links, images, references) read from each '[' to its ']'
# (getText) and from each '(' after it to its ')' (getLink), character by character, to the end of the
# paragraph when there is none: '[' * N, '[a](' * N or '[a][b' * N cost N² steps (a 1 MB post: hours).
# Their reads are counted per document; a document that needs more than SCAN_FACTOR times its own length
# (plus an allowance for short posts) is refused with the line of the bracket that started the read,
# which keeps every post linear (a 1 MB one is refused in about a second). Links cost about twice their
# length; a '[' that never closes costs about three times the rest of its paragraph, so an article with
# a stray bracket in every paragraph reads at about 3 times its length.
_LINK_PROCESSORS = (
    "reference",
    "link",
    "image_link",
    "image_reference",
    "short_reference",
    "short_image_ref",
)
SCAN_FACTOR = 8
SCAN_ALLOWANCE = 250_000
UNCLOSED = (
    "too many '[' or '(' that never close (or nest deeply): Markdown reads the rest of the paragraph "
    "again for each one; close them, or write a literal one as \\[ or \\("
)


def _html_blocks(md):
    """Python-Markdown's raw-HTML preprocessor with one change to its parser (a copy of html.parser,
    which Python-Markdown patches already): a start tag that runs to the end of the post without a '>'
    is text to the end at once. html.parser before Python 3.11.13 (CVE-2025-6069) gives it up one '<' at
    a time and reads the rest again from the next '<': '<a ' * N took hours. The text is the same."""
    from markdown.htmlparser import HTMLExtractor, htmlparser
    from markdown.preprocessors import HtmlBlockPreprocessor

    class Extractor(HTMLExtractor):
        def check_for_whole_start_tag(self, i: int) -> int:
            found = htmlparser.locatestarttagend_tolerant.match(self.rawdata, i)  # type: ignore[attr-defined]
            if found and found.end() == len(self.rawdata):
                return found.end()  # never closed: parse_starttag passes it on as text
            return super().check_for_whole_start_tag(i)

    class Blocks(HtmlBlockPreprocessor):
        def run(self, lines: list[str]) -> list[str]:
            parser = Extractor(self.md)
            parser.feed("\n".join(lines))
            parser.close()
            return "".join(parser.cleandoc).split("\n")

    return Blocks(md)


class _Unclosed(Exception):
    def __init__(self, data: str, index: int):
        self.data, self.index = data, index

    def line(self, body: str) -> int:
        """The body line of the text the read started at (the paragraph's first line if not found)."""
        for text in (self.data[max(self.index - 1, 0) :], self.data):
            snippet = re.split("[\x02\n]", text[:40], maxsplit=1)[0]
            if snippet and (at := body.find(snippet)) >= 0:
                return body.count("\n", 0, at) + 1
        return 1


class _Scans:
    """Characters the link processors of one Markdown instance may still read in this document."""

    def __init__(self) -> None:
        self.left = 0

    def reset(self, body: str) -> None:
        self.left = SCAN_FACTOR * len(body) + SCAN_ALLOWANCE

    def count(self, processor) -> None:
        """Wraps the processor's two readers (it is this converter's own instance, never shared)."""
        text, link = processor.getText, processor.getLink

        def get_text(data: str, index: int):
            self.spend(data, index)
            found = text(data, index)
            self.left -= found[1] - index  # the reader stops at the ']' or at the end
            return found

        def get_link(data: str, index: int):
            self.spend(data, index)
            found = link(data, index)
            if data.startswith("(", index):  # anything else is refused before reading
                self.left -= (found[2] if found[3] else len(data)) - index
            return found

        processor.getText, processor.getLink = get_text, get_link

    def spend(self, data: str, index: int) -> None:
        if self.left < 0:
            raise _Unclosed(data, index)


def _extensions() -> list:
    """The extensions as objects: named by string, Markdown looks each one up among every installed
    package's entry points (importlib.metadata, ~30 ms a process). fenced_code imports codehilite, which
    imports Pygments when it is installed (~15 ms) though nothing here highlights code: an import of
    Pygments is refused while they load, so codehilite records it as absent."""
    import sys

    blocked = "pygments" not in sys.modules
    if blocked:
        sys.modules["pygments"] = None  # type: ignore[assignment]  # None in sys.modules: ImportError
    try:
        from markdown.extensions.attr_list import AttrListExtension
        from markdown.extensions.fenced_code import FencedCodeExtension
        from markdown.extensions.sane_lists import SaneListExtension
        from markdown.extensions.tables import TableExtension
    finally:
        if blocked:
            del sys.modules["pygments"]
    # Tables: a column's alignment as an `align` attribute (nh3 keeps it; a style it would drop).
    return [TableExtension(use_align_attribute=True), FencedCodeExtension(), SaneListExtension(),
            AttrListExtension()]  # fmt: skip


def render(body: str) -> Rendered:
    """One document with a converter of its own (tests and one-off uses)."""
    return Converter().render(body)


def _source_nesting(body: str) -> tuple[int, int]:
    """(line, levels): the deepest nesting, counted from each line's markers and indentation, and the
    first line that passes MAX_NESTING (else the deepest line)."""
    best, first = (1, 0), 0
    for number, line in enumerate(body.split("\n"), 1):
        expanded = line.expandtabs(4)
        if _THEMATIC_BREAK.fullmatch(expanded):  # "* * * *" is a rule, not nested lists
            continue
        indent = len(expanded) - len(expanded.lstrip(" "))
        markers = _LINE_MARKERS.match(expanded.lstrip(" ")).group(0)  # type: ignore[union-attr]
        levels = indent // 4 + len(re.findall(r">|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t])", markers))
        if levels > best[1]:
            best = (number, levels)
        if levels > MAX_NESTING and not first:
            first = number
    return (first or best[0]), best[1]


def _tree_depth(tree: ET.Element) -> int:
    """The deepest element, found without recursion."""
    deepest, stack = 0, [(tree, 0)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            stack.extend((child, depth + 1) for child in element)
    return deepest


_ALIGNED = re.compile(r'<(td|th)\b([^>]*?)\salign="(left|right|center)"')


def _aligned(fragment: str) -> str:
    """A table column's alignment (`--:`) as an inline style beside the `align` attribute: the email's
    stylesheet aligns cells left, and premailer lets a cell's own style win over it (Outlook reads
    `align`). Added after nh3, which allows no style attribute, so no author CSS gets through."""
    return _ALIGNED.sub(r'<\1\2 align="\3" style="text-align:\3"', fragment)


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


_CITE = (re.compile(r"<cite(?:\s[^<>]*)?>", re.I), re.compile(r"</cite\s*>", re.I))


def _resolve_stash(tree: ET.Element, md) -> None:
    """Raw HTML in the tree sits behind stash placeholders: replace each by its text content, except
    `<cite>…</cite>`, which stays an element (captions credit a quote to the name it cites)."""
    _lift_cites(tree, md.htmlStash.rawHtmlBlocks)

    def text_of(match: re.Match) -> str:
        chunk = md.htmlStash.rawHtmlBlocks[int(match.group(1))]
        # nh3 with no tags allowed keeps text and drops script/style content along with their tags.
        return html.unescape(nh3.clean(str(chunk), tags=set(), attributes={}))

    for element in tree:  # a fenced code block is stashed HTML: keep it a code block, not a paragraph
        match = PLACEHOLDER.fullmatch((element.text or "").strip())
        if element.tag == "p" and not len(element) and match and _stashed(md, match).startswith("<pre"):
            element.tag, element.text = "pre", text_of(match)
    for element in tree.iter():
        if element.text and "\x02" in element.text:
            element.text = PLACEHOLDER.sub(text_of, element.text)
        if element.tail and "\x02" in element.tail:
            element.tail = PLACEHOLDER.sub(text_of, element.tail)
    for element in list(tree):
        if element.tag == "p" and not "".join(element.itertext()).strip() and not len(element):
            tree.remove(element)


def _stashed(md, match: re.Match) -> str:
    return str(md.htmlStash.rawHtmlBlocks[int(match.group(1))]).lstrip()


def _lift_cites(tree: ET.Element, chunks: list) -> None:
    """Each `<cite>` placeholder closed by a `</cite>` one in the same run of text becomes a `cite`
    element holding what is between them (the text part and the HTML are unchanged by it)."""
    for parent in list(tree.iter()):
        if parent.text and "\x02" in parent.text:
            parent.text, made = _cites_in(parent.text, chunks)
            parent[0:0] = made
        for child in list(parent):
            if child.tail and "\x02" in child.tail:
                child.tail, made = _cites_in(child.tail, chunks)
                at = list(parent).index(child) + 1
                parent[at:at] = made


def _cites_in(run: str, chunks: list) -> tuple[str, list[ET.Element]]:
    spans, opened = [], None
    for match in PLACEHOLDER.finditer(run):
        chunk = str(chunks[int(match.group(1))]).strip()
        if opened is None and _CITE[0].fullmatch(chunk):
            opened = match
        elif opened is not None and _CITE[1].fullmatch(chunk):
            spans.append((opened, match))
            opened = None
    if not spans:
        return run, []
    made = []
    for n, (start, end) in enumerate(spans):
        cite = ET.Element("cite")
        cite.text = run[start.end() : end.start()]
        cite.tail = run[end.end() : spans[n + 1][0].start() if n + 1 < len(spans) else len(run)]
        made.append(cite)
    return run[: spans[0][0].start()], made


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
