"""An article page (fetched or saved): the article's Markdown and its metadata, from Open Graph and
`article:` tags, JSON-LD (schema.org Article and its kinds, Yoast's @graph included), `<time>`, the
byline and `<title>`, in that order of trust."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from newsletter.importer import convert, dates
from newsletter.importer.records import Article
from newsletter.importer.source import SourceError
from newsletter.urls import is_absolute_http

ARTICLE_TYPES = {"article", "blogposting", "newsarticle", "techarticle", "report", "posting", "webpage"}
_TITLE_SUFFIX = re.compile(r"\s+[|–—·:-]\s+[^|–—·]{1,60}$")  # "Title | Site", "Title – Journal"
_SPACE = re.compile(r"\s+")


class NoArticle(SourceError):
    """The page holds no article (a list of posts, a home page, a log-in wall)."""


@dataclass
class _Meta:
    """Everything the page says about itself; field -> (value, where it was found)."""

    found: dict[str, tuple[str, str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    def offer(self, key: str, value, where: str) -> None:
        text = _clean(value)
        if text and key not in self.found:
            self.found[key] = (text, where)

    def get(self, key: str) -> str:
        return self.found.get(key, ("", ""))[0]

    def origin(self, key: str) -> str:
        return self.found.get(key, ("", ""))[1]


def read_page(html: str, url: str, source: str, now: dt.datetime, kind: str = "page") -> Article:
    """`url`: where the page came from ("" for a saved file without a canonical address)."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):  # only a comment, or nothing lxml can read as HTML
        raise NoArticle("no article found: the page has no HTML content") from None
    base = _base(tree, url)
    meta = metadata(tree, base)
    converted = convert.extract(html, base, convert.image_sizes(html))
    if converted is None or converted.words < convert.MIN_WORDS:
        words = converted.words if converted else 0
        raise NoArticle(
            f"no article found: the page has {words} words of text outside its navigation, menus and "
            "footer (a list of posts or a home page?); import the article's own page"
        )
    return article(meta, converted, source, kind, now)


def article(meta: _Meta, converted: convert.Converted, source: str, kind: str, now: dt.datetime) -> Article:
    guessed, notes = [], []
    title = meta.get("title")
    if meta.origin("title") in ("<title>", "<h1>"):
        guessed.append(f"title from the page's {meta.origin('title')}")
    body = demote(_drop_title_heading(converted.markdown, title))
    day = dates.from_iso(meta.get("date"), now.tzinfo or dt.UTC) if meta.get("date") else None
    if day is None and (shown := dates.from_shown(meta.get("shown_date"), now)):
        day = shown.date
        guessed.append(f"date {day} from '{meta.get('shown_date')}' ({shown.guessed or 'shown on the page'})")
    image = meta.get("image")
    if converted.relative:
        notes.append(
            f"{len(converted.relative)} relative links or images could not be made absolute "
            f"(the file has no address), e.g. '{converted.relative[0]}'"
        )
    return Article(
        source=source,
        kind=kind,
        title=title,
        date=day,
        body=body,
        author=meta.get("author"),
        summary=meta.get("summary"),
        image=image,
        image_alt=meta.get("image_alt") if image else "",
        image_width=_size(meta.get("image_width")),
        image_height=_size(meta.get("image_height")) if _size(meta.get("image_width")) else 0,
        tags=tuple(meta.tags),
        images=converted.images,
        guessed=tuple(guessed),
        notes=tuple(notes),
    )


def metadata(tree, base: str) -> _Meta:
    meta = _Meta()
    tags = _meta_tags(tree)
    ld = _json_ld(tree)
    for key, names in (
        ("title", ("og:title", "twitter:title")),
        ("summary", ("og:description", "twitter:description", "description")),
        ("date", ("article:published_time", "og:published_time", "datepublished", "date", "dc.date.issued")),
        ("author", ("author", "article:author")),
        ("image", ("og:image", "og:image:url", "og:image:secure_url", "twitter:image")),
        ("image_alt", ("og:image:alt", "twitter:image:alt")),
        ("image_width", ("og:image:width",)),
        ("image_height", ("og:image:height",)),
    ):
        for name in names:
            for value in tags.get(name, []):
                if key == "author" and is_absolute_http(value):  # article:author is often a profile URL
                    continue
                meta.offer(key, value, f"<meta {name}>")
        if key == "title" or key == "summary":
            meta.offer(key, ld.get("headline" if key == "title" else "description"), "JSON-LD")
    _from_json_ld(meta, ld)
    _from_markup(meta, tree)
    meta.tags = _tags(tags.get("article:tag", []), ld.get("keywords"), tree)
    if meta.get("image"):
        meta.found["image"] = (urljoin(base, meta.get("image")) if base else meta.get("image"), "image")
        if not is_absolute_http(meta.get("image")):
            del meta.found["image"]
    return meta


def _meta_tags(tree) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        name = (element.get("property") or element.get("name") or element.get("itemprop") or "").lower()
        if name and element.get("content"):
            found.setdefault(name, []).append(element.get("content"))
    return found


def _json_ld(tree) -> dict:
    """The page's article object from its JSON-LD blocks (the first of an article type); {} if none.
    Objects named by @id in a @graph are looked up, so Yoast's author and image references resolve."""
    objects: list[dict] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                objects.extend(g for g in item.get("@graph", [item]) if isinstance(g, dict))
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    for wanted in ("article", "webpage"):  # an Article beats the WebPage around it
        for candidate in objects:
            types = candidate.get("@type", [])
            types = [types] if isinstance(types, str) else types
            if any(str(t).lower() in ARTICLE_TYPES and (str(t).lower() != "webpage") == (wanted == "article")
                   for t in types):  # fmt: skip
                return {k: _resolve(v, by_id) for k, v in candidate.items()}
    return {}


def _resolve(value, by_id: dict):
    if isinstance(value, dict) and set(value) <= {"@id"} | {"name"} and value.get("@id") in by_id:
        return {**by_id[value["@id"]], **value}
    if isinstance(value, list):
        return [_resolve(v, by_id) for v in value]
    return value


def _from_json_ld(meta: _Meta, ld: dict) -> None:
    meta.offer("date", ld.get("datePublished"), "JSON-LD")
    authors = ld.get("author")
    authors = authors if isinstance(authors, list) else [authors]
    names = [a.get("name") if isinstance(a, dict) else a for a in authors]
    meta.offer("author", ", ".join(_clean(n) for n in names if isinstance(n, str) and _clean(n)), "JSON-LD")
    image = ld.get("image")
    image = image[0] if isinstance(image, list) and image else image
    if isinstance(image, dict):
        meta.offer("image", image.get("url") or image.get("contentUrl"), "JSON-LD")
        meta.offer("image_alt", image.get("caption") or image.get("description"), "JSON-LD")
        meta.offer("image_width", image.get("width"), "JSON-LD")
        meta.offer("image_height", image.get("height"), "JSON-LD")
    elif isinstance(image, str):
        meta.offer("image", image, "JSON-LD")


def _from_markup(meta: _Meta, tree) -> None:
    """What the visible page says, for the fields its metadata left out."""
    for xpath in ('//time[@itemprop="datePublished"]', '//time[contains(@class, "published")]',
                  "//article//time", "//main//time", "//time"):  # fmt: skip
        for element in tree.xpath(xpath):
            meta.offer("date", element.get("datetime"), "<time>")
            meta.offer("shown_date", element.text_content(), "<time>")
    for xpath in ('//*[@rel="author"]', '//*[@itemprop="author"]', '//*[contains(@class, "byline")]//a',
                  '//*[contains(@class, "author")]'):  # fmt: skip
        for element in tree.xpath(xpath):
            name = re.sub(r"^(?i:by)\s+", "", _clean(element.text_content()))
            if len(name) <= 60:  # an author box holds a biography, not a byline
                meta.offer("author", name, "byline")
    headings = tree.xpath("//article//h1 | //main//h1 | //h1")
    if headings:
        meta.offer("title", headings[0].text_content(), "<h1>")
    titles = tree.xpath("//title")
    if titles:
        meta.offer("title", _TITLE_SUFFIX.sub("", _clean(titles[0].text_content())), "<title>")


def _tags(tagged: list[str], keywords, tree) -> list[str]:
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    rel_tags = [a.text_content() for a in tree.xpath('//a[@rel="tag"]')]
    seen: dict[str, str] = {}
    for tag in tagged or (keywords if isinstance(keywords, list) else []) or rel_tags:
        text = _clean(tag)
        if isinstance(tag, str) and text and len(text) <= 40:
            seen.setdefault(text.lower(), text)
    return list(seen.values())


def _base(tree, url: str) -> str:
    """Relative links resolve against <base href>, else the page's address, else (a saved page) the
    canonical address it names."""
    bases = tree.xpath("//base/@href")
    if bases and (url or is_absolute_http(bases[0])):
        return urljoin(url, bases[0])
    if url:
        return url
    for found in tree.xpath('//link[@rel="canonical"]/@href | //meta[@property="og:url"]/@content'):
        if is_absolute_http(found):
            return found
    return ""


def demote(markdown: str) -> str:
    """The post's title is the email's only top-level heading: an article's own `#` headings go one
    level down (and the rest with them), outside code blocks."""
    lines, fenced = markdown.split("\n"), False
    has_h1 = False
    for line in lines:
        fenced ^= line.startswith("```")
        has_h1 |= not fenced and line.startswith("# ")
    if not has_h1:
        return markdown
    out, fenced = [], False
    for line in lines:
        fenced ^= line.startswith("```")
        out.append("#" + line if not fenced and re.match(r"#{1,5} ", line) else line)
    return "\n".join(out)


def _drop_title_heading(markdown: str, title: str) -> str:
    """The page's own <h1> repeats the title the post already shows."""
    first, _, rest = markdown.partition("\n")
    if first.startswith("#") and _fold(first.lstrip("#")) == _fold(title):
        return rest.lstrip("\n")
    return markdown


def _fold(text: str) -> str:
    return _SPACE.sub(" ", re.sub(r"[*_`\\]", "", text)).strip().lower()


def _clean(value) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return ""
    return _SPACE.sub(" ", str(value)).strip()


def _size(text: str) -> int:
    return int(text) if text.isdigit() and 1 <= int(text) <= 2000 else 0
