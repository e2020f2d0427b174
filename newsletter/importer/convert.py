"""An article's HTML to clean Markdown: trafilatura finds the article (its XML output keeps ordered
lists, quotes, inline code and table heads, which its own HTML and Markdown outputs lose), the XML is
mapped back to plain HTML, sanitised with the posts' nh3 allow-list, and markdownify writes Markdown.

Images keep their width and height from the page (the email sizes by them) as `{width=N height=M}`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from newsletter.content.markup import sanitize
from newsletter.importer.records import Image

MIN_WORDS = 30  # below this the page has no article, only navigation and labels
_SIMPLE = {"p": "p", "item": "li", "quote": "blockquote", "row": "tr", "lb": "br", "del": "del", "div": "div"}
_HI = {"#b": "strong", "#i": "em", "#u": "u", "#t": "code", "#sup": "sup", "#sub": "sub"}


@dataclass(frozen=True)
class Converted:
    markdown: str
    images: tuple[Image, ...]
    words: int  # of prose (paragraphs, items, quotes, cells): how much article there is
    relative: tuple[str, ...] = ()  # links and images that could not be made absolute


def extract(html: str, base: str, sizes: dict[str, tuple[str, str]] | None = None) -> Converted | None:
    """The main article of a whole page (None when trafilatura finds none)."""
    import trafilatura  # lazy: about 0.3 s of imports, only for an import

    xml = trafilatura.extract(
        html,
        output_format="xml",
        include_comments=False,
        include_links=True,
        include_images=True,
        include_tables=True,
        include_formatting=True,
        deduplicate=False,
    )
    if not xml:
        return None
    return _from_xml(xml, base, sizes or {})


def fragment(html: str, base: str) -> Converted | None:
    """A feed entry's content: an article already, but it may still carry share buttons and the like."""
    wrapped = f"<html><body><article>{html}</article></body></html>"
    found = extract(wrapped, base, image_sizes(wrapped))
    if found is not None and found.words >= MIN_WORDS:
        return found
    return from_html(html, base)  # too short for trafilatura's liking: take it as it is


def from_html(html: str, base: str) -> Converted:
    """HTML that is the article as it is."""
    import lxml.html

    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return _finish(root, base, image_sizes(html))


def image_sizes(html: str) -> dict[str, tuple[str, str]]:
    """src -> (width, height) as the page's <img> attributes give them (trafilatura drops both)."""
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return {}
    return {img.get("src", ""): (img.get("width", ""), img.get("height", "")) for img in root.iter("img")}


def _from_xml(xml: str, base: str, sizes: dict[str, tuple[str, str]]) -> Converted | None:
    import lxml.etree
    import lxml.html

    main = lxml.etree.fromstring(xml.encode("utf-8")).find("main")
    if main is None:
        return None
    root = lxml.html.Element("div")
    for child in main:
        root.append(_to_html(child))
    root.text = main.text
    return _finish(root, base, sizes)


def _to_html(node):
    """trafilatura's XML element (TEI-like) as the HTML element it came from."""
    import lxml.html

    tag, attrs = _html_tag(node)
    element = lxml.html.Element(tag, **attrs)
    element.text, element.tail = node.text, node.tail
    for child in node:
        element.append(_to_html(child))
    if tag == "code" and "\n" in (node.text or ""):  # a code block, not inline code
        outer = lxml.html.Element("pre")
        outer.append(element)
        outer.tail, element.tail = element.tail, None
        return outer
    return element


def _html_tag(node) -> tuple[str, dict[str, str]]:
    tag = node.tag
    if tag in _SIMPLE:
        return _SIMPLE[tag], {}
    if tag == "head":
        level = (node.get("rend") or "h2").lstrip("h")
        return f"h{level if level in '123456' and level else 2}", {}
    if tag == "list":
        return ("ol" if node.get("rend") == "ol" else "ul"), {}
    if tag == "hi":
        return _HI.get(node.get("rend", ""), "span"), {}
    if tag == "ref":
        return "a", {"href": node.get("target", "")}
    if tag == "graphic":
        return "img", {k: node.get(k, "") for k in ("src", "alt", "title") if node.get(k)}
    if tag == "cell":
        return ("th" if node.get("role") == "head" else "td"), {}
    return {"table": "table", "code": "code"}.get(tag, "span"), {}


def _finish(root, base: str, sizes: dict[str, tuple[str, str]]) -> Converted:
    """Absolute URLs, image sizes, sanitising and Markdown, from an HTML tree of the article."""
    import lxml.html

    relative = _absolute(root, base, sizes)
    for table in root.iter("table"):
        _table_head(table)
    images = tuple(
        Image(img.get("src", ""), (img.get("alt") or "").strip())
        for img in root.iter("img")
        if img.get("src")
    )
    words = len(" ".join(_prose(root)).split())
    clean = sanitize(lxml.html.tostring(root, encoding="unicode"))
    return Converted(_markdown(clean), images, words, relative)


def _absolute(root, base: str, sizes: dict[str, tuple[str, str]]) -> tuple[str, ...]:
    relative: list[str] = []
    for element in root.iter("a", "img"):
        attribute = "href" if element.tag == "a" else "src"
        value = (element.get(attribute) or "").strip()
        if not value or value.startswith(("#", "mailto:")):
            continue
        if element.tag == "img":
            width, height = sizes.get(value, ("", ""))
            if width.isdigit():
                element.set("width", width)
                if height.isdigit():
                    element.set("height", height)
        if base:
            element.set(attribute, urljoin(base, value))
        elif not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", value):
            relative.append(value)
    return tuple(relative)


def _table_head(table) -> None:
    """markdownify writes a table's first row as its head only when it holds <th> cells."""
    rows = list(table.iter("tr"))
    if rows and not any(cell.tag == "th" for cell in rows[0]):
        for cell in rows[0]:
            cell.tag = "th"


def _prose(root) -> list[str]:
    return [" ".join(el.itertext()) for el in root.iter("p", "li", "blockquote", "td", "th")]


def _markdown(html: str) -> str:
    import markdownify

    class Writer(markdownify.MarkdownConverter):
        def escape(self, text, parent_tags):
            # Text that reads "<b>" or "[x](y)" stays text: Markdown would take it for raw HTML or a link
            # (and `\<` is no escape in Markdown)
            if "_noformat" in parent_tags:  # code: shown as typed
                return super().escape(text, parent_tags)
            return re.sub(r"([\[\]])", r"\\\1", super().escape(text, parent_tags).replace("<", "&lt;"))

        def convert_img(self, el, text, parent_tags):
            image = super().convert_img(el, text, parent_tags)
            width, height = el.get("width", ""), el.get("height", "")
            if width.isdigit() and "_inline" not in parent_tags:
                image += "{width=" + width + (f" height={height}" if height.isdigit() else "") + "}"
            return image

    text = Writer(heading_style="ATX", bullets="-", strong_em_symbol="*", escape_misc=False).convert(html)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
