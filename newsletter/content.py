"""Load posts: read, split, validate every field, render the body; collect every problem, stop once."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import frontmatter, markup
from .cache import Source, list_sources, read_sources
from .config import PLATFORMS, Settings
from .errors import Problems
from .issue import check_unique_slugs
from .urls import is_absolute_http, scheme_of

KNOWN_KEYS = (
    "title", "date", "author", "summary", "tags", "image", "image_alt", "cta", "highlights",
    "quote", "draft", "social", "slug", "image_width", "image_height",
)  # fmt: skip
MAX_IMAGE_SIDE = 2000  # pixels; a bigger number is a typo (or a picture far too heavy for email)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FILENAME = re.compile(r"(\d{4}-\d{2}-\d{2})-(.+)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?")


@dataclass(frozen=True)
class Cta:
    text: str
    url: str


@dataclass(frozen=True)
class Post:
    source: str  # path relative to the project root, as messages show it
    slug: str
    title: str
    date: dt.date
    published: dt.datetime  # aware, in the site's timezone
    author: str
    summary: str
    tags: tuple[str, ...]
    image: str
    image_alt: str
    cta: Cta | None
    highlights: tuple[str, ...]
    lead: str
    quote: str
    draft: bool
    social: tuple[tuple[str, str], ...]
    body: str
    body_line: int
    html: str
    tree: ET.Element
    url: str
    image_width: int = 0  # the hero's size in pixels from front matter; 0 when unknown
    image_height: int = 0

    def override(self, platform: str) -> str:
        return dict(self.social).get(platform, "")


def load_posts(settings: Settings, problems: Problems, files: list[Path] | None = None) -> list[Post]:
    paths = list_sources(settings, problems) if files is None else files
    posts = [
        post
        for source in read_sources(paths, settings, problems)
        if (post := parse(source, settings, problems))
    ]
    check_unique_slugs(posts, problems)
    return sorted(posts, key=lambda p: (p.published, p.slug))


def parse(source: Source, settings: Settings, problems: Problems) -> Post | None:
    text = frontmatter.decode(source.raw, source.source, problems)
    doc = frontmatter.split(text, source.source, problems) if text is not None else None
    if doc is None:
        return None
    return _validate(doc, source.path, source.source, settings, problems)


def _validate(doc, path: Path, where: str, settings: Settings, problems: Problems) -> Post | None:
    count = len(problems.items)
    check = _Checker(doc, where, problems)
    for key in doc.meta:
        if str(key) not in KNOWN_KEYS:
            hint = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
            fix = f"did you mean '{hint[0]}'?" if hint else "remove it or check the spelling"
            problems.warn(where, doc.lines.get(str(key), 2), f"unknown key '{key}': {fix}", "unknown-key")
    title = check.line_text("title", required=True)
    published = check.date(settings)
    slug = check.slug(path)
    image = check.image(settings)
    image_width, image_height = check.image_size(image)
    cta = check.cta()
    if not doc.body.strip():
        problems.error(
            where, doc.body_line, "the body is empty: write the article below the front matter", "body-empty"
        )
    if any(p.severity == "error" for p in problems.items[count:]):
        return None
    rendered = markup.render(doc.body)
    for line, what in rendered.removed:
        problems.warn(where, doc.body_line + line - 1, f"removed {what}: not allowed in email", "sanitized")
    for line in rendered.empty_alt:
        problems.warn(
            where, doc.body_line + line - 1, "image without alt text: describe it in ![...]", "alt-missing"
        )
    items, lead = markup.benefits(rendered.tree)
    meta = doc.meta
    return Post(
        source=where,
        slug=slug,
        title=title,
        date=published.date(),
        published=published,
        author=check.line_text("author") or settings.name,
        summary=check.line_text("summary") or markup.first_paragraph(rendered.tree),
        tags=check.strings("tags"),
        image=image,
        image_alt=check.line_text("image_alt"),
        cta=cta,
        highlights=check.strings("highlights") or items,
        lead=lead,
        quote=check.line_text("quote") or markup.first_blockquote(rendered.tree),
        draft=meta.get("draft") is True,
        social=check.social(),
        body=doc.body,
        body_line=doc.body_line,
        html=rendered.html,
        tree=rendered.tree,
        url=settings.url_for(slug),
        image_width=image_width,
        image_height=image_height,
    )


class _Checker:
    """Field validators for one post; each reports with the key's line and returns a clean value."""

    def __init__(self, doc, where: str, problems: Problems):
        self.meta: dict[str, Any] = doc.meta
        self.lines: dict[str, int] = doc.lines
        self.raw: dict[str, str] = doc.raw
        self.where = where
        self.problems = problems

    def error(self, key: str, message: str) -> None:
        # A missing key has no line of its own: point at the front matter's opening line.
        rule = "cta-empty" if key == "cta" else "front-matter"
        self.problems.error(self.where, self.lines.get(key, 1), message, rule)

    def line_text(self, key: str, required: bool = False) -> str:
        value = self.meta.get(key)
        if value is None or value == "":
            if required:
                self.error(key, f"'{key}' is required: add a line like {key}: \"...\" to the front matter")
            return ""
        if not isinstance(value, str):
            typed = self.raw.get(key, str(value))
            kind = {bool: "true/false", int: "a number", float: "a number"}.get(type(value), "a list")
            self.error(
                key,
                f"'{key}' must be text, got {typed} (YAML reads it as {kind}): quote it: {key}: \"{typed}\"",
            )
            return ""
        value = value.strip()
        if "\n" in value or "\r" in value:
            self.error(key, f"'{key}' must be a single line, got a line break")
            return ""
        # Form feeds, NEL, U+2028 and other controls also split mail headers and captions.
        control = next(
            (c for c in value if c != "\t" and unicodedata.category(c) in ("Cc", "Zl", "Zp")), None
        )
        if control:
            self.error(key, f"'{key}' contains the control character U+{ord(control):04X}; remove it")
            return ""
        return value

    def date(self, settings: Settings) -> dt.datetime:
        fallback = dt.datetime(1970, 1, 1, tzinfo=settings.zone)
        value = self.meta.get("date")
        if value is None or value == "":
            self.error("date", "'date' is required: add a line like date: 2026-10-17")
            return fallback
        text = str(value).strip()
        if not _DATE.fullmatch(text):
            self.error("date", f"'date' must be YYYY-MM-DD, got '{text}'")
            return fallback
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            self.error("date", f"'date' is not a real date: '{text}'; check the month and day")
            return fallback
        return parsed.replace(tzinfo=settings.zone) if parsed.tzinfo is None else parsed

    def slug(self, path: Path) -> str:
        match = FILENAME.fullmatch(path.stem)
        value = self.meta.get("slug", match.group(2) if match else path.stem)
        if not isinstance(value, str) or not SLUG.fullmatch(value):
            self.error("slug", f"'slug' must be lowercase letters, digits and hyphens, got '{value}'")
            return ""
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.meta.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            self.error(key, f"'{key}' must be a list of text items, e.g. {key}: [one, two]")
            return ()
        return tuple(str(v).strip() for v in value if str(v).strip())

    def image(self, settings: Settings) -> str:
        value = self.line_text("image")
        if not value:
            return ""
        if not self.line_text("image_alt"):
            self.error("image", "'image' needs 'image_alt': describe the picture for screen readers")
        if (
            scheme_of(value) not in ("http", "https", "")
            or ".." in value.split("/")
            or value.startswith("//")
        ):
            self.error("image", f"'image' must be an http(s) URL or a path on the site, got '{value}'")
            return ""
        if is_absolute_http(value):
            return value
        return f"{settings.site_url}/{value.lstrip('/')}"

    def image_size(self, image: str) -> tuple[int, int]:
        """image_width and image_height: whole pixels, 1 to MAX_IMAGE_SIDE; a height needs a width."""
        width, height = self.pixels("image_width"), self.pixels("image_height")
        for key in ("image_width", "image_height"):
            if key in self.meta and not image:
                self.error(key, f"'{key}' describes the hero picture: set 'image' too, or remove it")
        if height and not width:
            self.error("image_height", "'image_height' needs 'image_width' so the picture keeps its shape")
        return width, height if width else 0

    def pixels(self, key: str) -> int:
        value = self.meta.get(key)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_IMAGE_SIDE:
            self.error(key, f"'{key}' must be a whole number of pixels from 1 to {MAX_IMAGE_SIDE}, got "
                            f"'{self.raw.get(key, value)}'")  # fmt: skip
            return 0
        return value

    def cta(self) -> Cta | None:
        value = self.meta.get("cta")
        if value is None:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("text"), str) or not value["text"].strip():
            self.error(
                "cta",
                "'cta' must have 'text' and 'url', e.g. cta: {text: Book now, url: https://...}",
            )
            return None
        url = str(value.get("url", "")).strip()
        if not is_absolute_http(url) or "\n" in value["text"]:
            self.error("cta", f"'cta.url' must be an absolute http(s) URL, got '{url}'")
            return None
        return Cta(value["text"].strip(), url)

    def social(self) -> tuple[tuple[str, str], ...]:
        value = self.meta.get("social")
        if value is None:
            return ()
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            self.error("social", "'social' must map platforms to text, e.g. social: {x: \"...\"}")
            return ()
        unknown = sorted(set(value) - set(PLATFORMS))
        if unknown:
            self.error(
                "social",
                f"'social' has unknown platform '{unknown[0]}'; use one of {', '.join(PLATFORMS)}",
            )
        return tuple(sorted((k, v.strip()) for k, v in value.items() if k in PLATFORMS))
