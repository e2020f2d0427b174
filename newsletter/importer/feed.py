"""An RSS or Atom feed (feedparser): one article per entry, from the entry's full content when the feed
has it; otherwise the caller fetches the entry's page (on the feed's own host only) and extracts it."""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
import xml.sax
from dataclasses import dataclass, replace

from newsletter.importer import convert
from newsletter.importer.records import Article
from newsletter.importer.source import SourceError
from newsletter.urls import is_absolute_http

_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Entry:
    """A feed entry: its article when the feed carries the content, else the page to fetch for it."""

    link: str  # where the entry's article lives; the post's `source:`
    article: Article | None  # None: the feed has only a summary, fetch `link`
    fields: Article  # the feed's metadata for the entry, laid over a fetched page's


class FeedError(SourceError):
    pass


def read_feed(data: bytes, url: str, source: str, zone: dt.tzinfo, headers: dict[str, str]) -> list[Entry]:
    import feedparser  # lazy: only an import of a feed needs it

    parsed = feedparser.parse(data, response_headers={**headers, "content-location": url or ""})
    if not parsed.entries:
        broken = parsed.get("bozo_exception")
        if isinstance(broken, xml.sax.SAXParseException):
            line = broken.getLineNumber() or 0
            raise FeedError(f"the feed is not well-formed XML: {broken.getMessage()}", line)
        raise FeedError("the feed has no entries: nothing to import")
    return [_entry(item, url or source, zone) for item in parsed.entries]


def _entry(item, base: str, zone: dt.tzinfo) -> Entry:
    link = item.get("link") or item.get("id") or ""
    fields = Article(
        source=link,
        kind="feed entry",
        title=_text(item.get("title", ""), item.get("title_detail", {}).get("type", "")),
        date=_date(item, zone),
        body="",
        author=_author(item),
        summary=_summary(item),
        tags=tuple(
            dict.fromkeys(t["term"].strip() for t in item.get("tags", []) if (t.get("term") or "").strip())
        ),
        **_image(item),
    )
    if fields.image:
        plain = [c.get("value", "") for c in item.get("content", []) if c.get("type") == "text/plain"]
        fields = replace(fields, image_alt=_text(plain[0], "")[:200] if plain else "")
    content = _content(item)
    if not content:
        return Entry(link, None, fields)
    converted = convert.fragment(content, link if is_absolute_http(link) else base)
    if converted is None or not converted.markdown.strip():
        return Entry(link, None, fields)
    return Entry(link, replace(fields, body=converted.markdown, images=converted.images), fields)


def _content(item) -> str:
    """The longest HTML content (feedparser also files media:description under `content`)."""
    bodies = [c.get("value", "") for c in item.get("content", []) if "html" in (c.get("type") or "")]
    return max(bodies, key=len, default="")


def _text(value: str, kind: str) -> str:
    if "html" in kind:
        value = html.unescape(_TAGS.sub("", value))
    return re.sub(r"\s+", " ", value).strip()


def _summary(item) -> str:
    summary = item.get("summary", "")
    text = _text(summary, "html")
    return text if len(text) <= 300 else ""  # a summary that is the whole article is none


def _author(item) -> str:
    detail = item.get("author_detail") or {}
    return _text(detail.get("name") or item.get("author", ""), "")


def _date(item, zone: dt.tzinfo) -> dt.date | None:
    moment = item.get("published_parsed") or item.get("updated_parsed")
    if not moment:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(moment), dt.UTC).astimezone(zone).date()


def _image(item) -> dict:
    """The entry's picture: media:content or media:thumbnail, else an image enclosure."""
    candidates = [*item.get("media_content", []), *item.get("media_thumbnail", [])]
    candidates += [
        {"url": e.get("href", "")}
        for e in item.get("enclosures", [])
        if (e.get("type") or "").startswith("image/")
    ]
    for media in candidates:
        url = media.get("url", "")
        if is_absolute_http(url) and media.get("medium", "image") == "image":
            width, height = str(media.get("width", "")), str(media.get("height", ""))
            size = int(width) if width.isdigit() and 1 <= int(width) <= 2000 else 0
            return {
                "image": url,
                "image_width": size,
                "image_height": int(height) if size and height.isdigit() and 1 <= int(height) <= 2000 else 0,
            }
    return {}
