"""Load posts: the one loader. List, read, split, validate every field, render the body, check slugs, sort;
collect every problem, stop once. Build, check, social, send, preview and list all load through here."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.content.reader import (
    SOCIAL_SUFFIX,
    Source,
    contents,
    list_sources,
    post_of_social,
    read_sources,
    social_contents,
    social_path,
)
from newsletter.content.settings import PLATFORMS, Settings
from newsletter.content.socialfile import NONE, Edits
from newsletter.email import headers
from newsletter.errors import Problem, Problems, closest
from newsletter.run.pool import parallel_map
from newsletter.urls import is_absolute_http, scheme_of

if TYPE_CHECKING:  # only a parse needs these (a build of unchanged posts parses none)
    import xml.etree.ElementTree as ET

    from newsletter.content import markup

KNOWN_KEYS = (
    "title", "date", "author", "summary", "tags", "image", "image_alt", "cta", "highlights",
    "quote", "draft", "social", "slug", "image_width", "image_height",
    "source",  # where `newsletter import` took the post from; --update finds it by this
)  # fmt: skip
MAX_IMAGE_SIDE = 2000  # pixels; a bigger number is a typo (or a picture far too heavy for email)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FILENAME = re.compile(r"(\d{4}-\d{2}-\d{2})-(.+)")
HEADER_KEYS = ("title", "summary", "subject", "preheader")  # they reach the Subject line and the preheader
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)  # far from datetime's edges (1 and 9999)
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
    # The Markdown, its HTML and its pickled tree, compressed, read through `body`, `html` and `tree`
    # below: a build's parent holds every post of the archive until its last issue is rendered, and one
    # emoji makes a `str` four bytes a character (the big row of tests/benchmarks/run.py, 4,000 posts:
    # 648 MB of peak memory held as str). About 25 µs a read.
    body_data: bytes
    body_line: int
    html_data: bytes
    tree_data: bytes
    url: str
    image_width: int = 0  # the hero's size in pixels from front matter; 0 when unknown
    image_height: int = 0
    # Local images (files of the project, see email.images): (reference as written, line in the file)
    images: tuple[tuple[str, int], ...] = ()
    edits: Edits = NONE  # the captions its social file (posts/STEM.social.yaml) edits

    @property
    def body(self) -> str:
        """The Markdown below the front matter, as written."""
        return zlib.decompress(self.body_data).decode("utf-8")

    @property
    def html(self) -> str:
        """The body rendered and sanitised (markup.render)."""
        return zlib.decompress(self.html_data).decode("utf-8")

    @functools.cached_property
    def tree(self) -> ET.Element:
        """The parsed Markdown, made from `tree_data` on first use. A tree takes about 60 KB of memory,
        its pickle about 5 KB: a build's parent keeps every post of the archive until the last issue
        is rendered, and only the process that renders a post's issue needs its tree."""
        import pickle

        return pickle.loads(zlib.decompress(self.tree_data))

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("tree", None)  # sent to a worker as its pickle only
        return state

    def override(self, platform: str) -> str:
        return dict(self.social).get(platform, "")

    @property
    def meta(self) -> PostMeta:
        return PostMeta(
            self.source,
            self.slug,
            self.title,
            self.date,
            self.published,
            self.draft,
            self.images,
            self.summary,
        )


@dataclass(frozen=True)
class PostMeta:
    """What selection, ordering and the archive need from a post, without parsing its Markdown
    (a rebuild takes it from the manifest when the file's bytes are unchanged)."""

    source: str
    slug: str
    title: str
    date: dt.date
    published: dt.datetime
    draft: bool
    images: tuple[tuple[str, int], ...] = ()  # its local images: the issue key covers their bytes
    summary: str = ""  # the archive page shows each issue's summaries

    def to_json(self) -> dict:
        data = {"source": self.source, "slug": self.slug, "title": self.title, "draft": self.draft,
                "published": self.published.isoformat(), "summary": self.summary}  # fmt: skip
        return data | ({"images": [list(i) for i in self.images]} if self.images else {})

    @classmethod
    def from_json(cls, data: dict) -> PostMeta:
        published = dt.datetime.fromisoformat(data["published"])
        images = tuple((str(ref), int(line)) for ref, line in data.get("images", []))
        return cls(
            data["source"],
            data["slug"],
            data["title"],
            published.date(),
            published,
            data["draft"],
            images,
            str(data.get("summary", "")),
        )


@dataclass(frozen=True)
class Broken:
    """A post the loader could not make: its problems, and the date that places it in a week (from its
    front matter when that can be read, else from its file name; None when neither gives one)."""

    source: str
    date: dt.date | None
    problems: tuple[Problem, ...]

    @property
    def week(self) -> str | None:
        if self.date is None:
            return None
        year, week, _ = self.date.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def slug(self) -> str:
        """What its file name makes the slug (its front matter could say otherwise; it was not read)."""
        stem = Path(self.source).stem
        match = FILENAME.fullmatch(stem)
        return match.group(2) if match else stem

    @property
    def first(self) -> Problem:
        return next((p for p in self.problems if p.is_error), self.problems[0])


# What a run already knows about an unchanged file: its metadata and the warnings it had.
Known = Callable[[Source], "tuple[PostMeta, tuple[Problem, ...]] | None"]


@dataclass(frozen=True)
class Library:
    """Every post of a run, sorted by publication: metadata for all, the full post where parsed."""

    sources: Mapping[str, Source]
    metas: tuple[PostMeta, ...]
    parsed: Mapping[str, Post]
    warnings: Mapping[str, tuple[Problem, ...]]  # per source, for the manifest
    broken: Mapping[str, Broken] = field(default_factory=dict)  # per source: the posts with errors

    @property
    def posts(self) -> tuple[Post, ...]:
        """The parsed posts in order (every post when the library was loaded in full)."""
        return tuple(self.parsed[m.source] for m in self.metas if m.source in self.parsed)

    def full(self, metas, settings: Settings, problems: Problems, workers: int = 1) -> tuple[Post, ...]:
        """These posts parsed, parsing the ones the manifest answered for."""
        missing = [self.sources[m.source] for m in metas if m.source not in self.parsed]
        # Their findings were reported when the manifest answered for them; parsing again finds the same.
        found, _, _ = _parse_all(missing, settings, Problems(), workers)
        return tuple(self.parsed.get(m.source) or found[m.source] for m in metas)


def load(
    settings: Settings,
    problems: Problems,
    files: tuple[Path, ...] = (),
    known: Known | None = None,
    workers: int = 1,
    read: Callable[[list[Path], Settings, Problems], list[Source]] | None = None,
) -> Library:
    """The one loader: every post in posts_dir (or the named files), validated, slugs checked, sorted.
    With `known`, unchanged files are not parsed: their metadata and warnings come from the last build.
    `read` turns paths into sources (the preview's skips files whose stat is unchanged)."""
    sources = (read or read_sources)(_posts_named(files, settings, problems) if files
                                     else list_sources(settings, problems), settings, problems)  # fmt: skip
    metas: dict[str, PostMeta] = {}
    warnings: dict[str, tuple[Problem, ...]] = {}
    stale = []
    for source in sources:
        if known is not None and (hit := known(source)) is not None:
            metas[source.source], warnings[source.source] = hit
            problems.extend(hit[1])
        else:
            stale.append(source)
    parsed, found, broken = _parse_all(stale, settings, problems, workers)
    warnings.update(found)
    metas.update({where: post.meta for where, post in parsed.items()})
    ordered = tuple(sorted(metas.values(), key=lambda m: (m.published, m.slug)))
    check_unique_slugs(ordered, problems)
    # A parsed post's bytes now live in its Post; only a digest and stat are asked of its source later
    # (a read, were there one, would go to the file, as for a source its stat vouched for).
    kept = {s.source: replace(s, raw=None) if s.source in parsed else s for s in sources}
    return Library(kept, ordered, parsed, warnings, broken)


def _posts_named(files: tuple[Path, ...], settings: Settings, problems: Problems) -> list[Path]:
    """The files named (--post, social's POST arguments), but a social file: it is not a post."""
    posts = []
    for path in files:
        if path.name.endswith(SOCIAL_SUFFIX):
            post = settings.relative(post_of_social(path))
            problems.error(settings.relative(path), 0, f"is the social file of {post} (its edited captions), "
                           f"not a post: name the post, {post}")  # fmt: skip
        else:
            posts.append(path)
    return posts


def _parse_all(sources: list[Source], settings: Settings, problems: Problems, workers: int):
    """Parse in this process, or in worker processes when there are many (the pool has its cost)."""
    parsed: dict[str, Post] = {}
    warnings: dict[str, tuple[Problem, ...]] = {}
    broken: dict[str, Broken] = {}
    if not sources:
        return parsed, warnings, broken
    from newsletter.content import markup  # lazy, like everything only a parse needs

    jobs = [(s, settings) for s in sources]
    made = parallel_map(_parse_job, jobs, workers, least=40, state=markup.Converter())
    for source, (post, found, day) in zip(sources, made, strict=True):
        problems.extend(found)
        warnings[source.source] = tuple(p for p in found if not p.is_error)
        if post is not None:
            parsed[source.source] = post
        elif found:
            broken[source.source] = Broken(source.source, day, tuple(found))
    return parsed, warnings, broken


def _parse_job(converter: markup.Converter, job: tuple[Source, Settings]):
    """One post, in whichever process runs it (the converter comes with the pool); returns its problems,
    and for a post with errors the date that places it in a week."""
    problems = Problems()
    post = parse(job[0], job[1], converter, problems)
    return post, problems.items, broken_date(*job) if post is None else None


def parse(source: Source, settings: Settings, converter: markup.Converter, problems: Problems) -> Post | None:
    """The post and its social file; an error in either leaves the post out (as a broken post)."""
    count = len(problems.items)
    doc = _document(source, problems)
    edits = _edits(source, settings, problems)
    post = _validate(doc, source.path, source.source, settings, converter, problems) if doc else None
    if post is None or any(p.is_error for p in problems.items[count:]):
        return None
    if not edits:
        return post
    _overridden(post, edits, doc.lines.get("social", 1), problems)
    return replace(post, edits=edits)


def _edits(source: Source, settings: Settings, problems: Problems) -> Edits:
    raw = social_contents(source, settings, problems)
    if raw is None:
        return NONE
    from newsletter.content import socialfile  # lazy: PyYAML and the counters only for posts that have one

    return socialfile.parse(raw, settings.relative(social_path(source.path)), settings, problems)


def _overridden(post: Post, edits: Edits, line: int, problems: Problems) -> None:
    """A teaser set both by front matter's `social:` and by the social file: the file's is used."""
    for platform, text in post.social:
        edit = edits.of(platform, "teaser")
        if edit is not None and edit.text != text:
            problems.warn(edits.source, edit.line, f"the {platform} teaser is also set by 'social:' in "
                          f"{post.source}:{line}; this file's is used: remove one of them", "social-file")  # fmt: skip


def _document(source: Source, problems: Problems):
    from newsletter.content import (
        frontmatter,  # lazy: PyYAML (~10 ms) only when a post is parsed, not on a no-op build
    )

    raw = contents(source, problems)
    text = frontmatter.decode(raw, source.source, problems) if raw is not None else None
    return frontmatter.split(text, source.source, problems) if text is not None else None


def broken_date(source: Source, settings: Settings) -> dt.date | None:
    """The date that places a post with errors in a week: its front matter's when that can be read
    and is valid, else its file name's (YYYY-MM-DD-slug.md), else None. Read again, silently: only
    broken posts come here, and their problems were reported by the parse."""
    doc = _document(source, Problems())
    return (doc and _front_matter_date(doc, settings)) or file_date(source.path)


def _front_matter_date(doc, settings: Settings) -> dt.date | None:
    silent = Problems()  # its problems were reported by the validation already
    published = FieldChecker(doc, "", silent).date(settings)
    return None if silent.items else published.date()


def file_date(path: Path) -> dt.date | None:
    """The date a post's file name starts with (YYYY-MM-DD-slug.md), if it is a real one."""
    match = FILENAME.fullmatch(path.stem)
    try:
        return dt.date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def check_unique_slugs(posts, problems: Problems) -> None:
    """Slugs name output folders and URLs: two posts may not share one, even in a different case."""
    seen: dict[str, PostMeta] = {}
    for post in sorted(posts, key=lambda p: p.source):
        other = seen.setdefault(post.slug.lower(), post)
        if other is not post:
            problems.error(
                post.source,
                0,
                f"slug '{post.slug}' is also used by {other.source}; give one a different slug",
                "slug-duplicate",
            )


def _validate(doc, path: Path, where: str, settings: Settings, converter, problems: Problems) -> Post | None:
    count = len(problems.items)
    check = FieldChecker(doc, where, problems)
    for key in doc.meta:
        if str(key) not in KNOWN_KEYS:
            hint = closest(str(key), KNOWN_KEYS)
            fix = f"did you mean '{hint}'?" if hint else "remove it or check the spelling"
            problems.warn(where, doc.lines.get(str(key), 2), f"unknown key '{key}': {fix}", "unknown-key")
    title = check.line_text("title", required=True)
    if "summary" in doc.meta and not str(doc.meta["summary"] or "").strip():
        problems.warn(where, doc.lines.get("summary", 1), "'summary' is empty: write one or two sentences "
                      "(inboxes show it after the subject), or remove the line to use the first paragraph",
                      "summary-empty")  # fmt: skip
    published = check.date(settings)
    slug = check.slug(path)
    image = check.image(settings)
    image_width, image_height = check.image_size(image)
    cta = check.cta()
    if not doc.body.strip():
        problems.error(
            where, doc.body_line, "the body is empty: write the article below the front matter", "body-empty"
        )
    if any(p.is_error for p in problems.items[count:]):
        return None
    rendered = converter.render(doc.body)
    for line, message in rendered.errors:  # nesting and size limits: the tree cannot be used
        problems.error(where, doc.body_line + line - 1, message, "front-matter")
    if rendered.errors:
        return None
    for line, what in rendered.removed:
        problems.warn(where, doc.body_line + line - 1, f"removed {what}: not allowed in email", "sanitized")
    for line in rendered.empty_alt:
        problems.warn(
            where, doc.body_line + line - 1, "image without alt text: describe it in ![...]", "alt-missing"
        )
    import pickle

    from newsletter.content import markup
    from newsletter.email import images

    items, lead = markup.benefits(rendered.tree)
    hero = ((image, doc.lines.get("image", 1)),) if image and images.is_local(image) else ()
    body_images = images.body_refs(rendered.html, doc.body, doc.body_line)
    return Post(
        source=where,
        slug=slug,
        title=title,
        date=published.date(),
        published=published,
        author=check.line_text("author") or settings.name,
        summary=check.line_text("summary") or headers.visible(markup.first_paragraph(rendered.tree)),
        tags=check.strings("tags"),
        image=image,
        image_alt=check.line_text("image_alt"),
        cta=cta,
        highlights=check.strings("highlights") or items,
        lead=lead,
        quote=check.line_text("quote") or headers.visible(markup.first_blockquote(rendered.tree)),
        draft=check.draft(),
        social=check.social(),
        body_data=_packed(doc.body.encode("utf-8")),
        body_line=doc.body_line,
        html_data=_packed(rendered.html.encode("utf-8")),
        tree_data=_packed(pickle.dumps(rendered.tree, protocol=pickle.HIGHEST_PROTOCOL)),
        url=settings.url_for(slug),
        image_width=image_width,
        image_height=image_height,
        images=hero + tuple(ref for ref in body_images if ref[0] != image),
    )


def _packed(data: bytes) -> bytes:
    """zlib level 1: a post's text in a quarter to a third of its bytes, in about 50 µs (level 6 saves
    a tenth more in three times as long)."""
    return zlib.compress(data, 1)


class FieldChecker:
    """Field validators for one post; each reports with the key's line and returns a clean value."""

    def __init__(self, doc, where: str, problems: Problems, rule: str = "front-matter"):
        self.rule = rule
        self.meta: dict[str, Any] = doc.meta
        self.lines: dict[str, int] = doc.lines
        self.raw: dict[str, str] = doc.raw
        self.where = where
        self.problems = problems

    def error(self, key: str, message: str) -> None:
        # A missing key has no line of its own: point at the front matter's opening line.
        rule = "cta-empty" if key == "cta" else self.rule
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
        if control := headers.control(value):
            self.error(key, f"'{key}' contains the control character U+{ord(control):04X}; remove it")
            return ""
        if not headers.strip_invisible(value).strip():  # U+00A0, U+3000, U+200B... only
            if required:
                self.error(
                    key, f"'{key}' is blank: it holds only spaces or invisible characters; write the {key}"
                )
            return ""
        if key in HEADER_KEYS:
            self._header_safety(key, value)
        return headers.visible(value)  # what every output shows: the subject's filter (one function)

    def _header_safety(self, key: str, value: str) -> None:
        """Text that would mislead in a mail header: warned here, made harmless by `headers`."""
        line = self.lines.get(key, 1)
        if found := headers.invisible(value):
            self.problems.warn(
                self.where, line,
                f"'{key}' contains invisible characters ({', '.join(dict.fromkeys(found))}): bidi controls "
                "and zero-width characters can disguise text; they are removed from every output",
                "header-unsafe",
            )  # fmt: skip
        if headers.has_encoded_word(value):
            self.problems.warn(
                self.where, line,
                f"'{key}' contains '=?', the start of a MIME encoded-word; it is sent as literal text, "
                "never decoded",
                "header-unsafe",
            )  # fmt: skip

    def draft(self) -> bool:
        value = self.meta.get("draft", False)
        if value is None or isinstance(value, bool):
            return value is True
        typed = self.raw.get("draft", str(value))
        got = f'the text "{typed}"' if isinstance(value, str) else f"{typed}"
        self.error("draft", f"'draft' must be true or false, got {got}: write draft: true or draft: false")
        return True  # never publish what the author may have meant to hold back

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
        if not EARLIEST <= parsed.date() <= LATEST:
            self.error("date", f"'date' must be between {EARLIEST} and {LATEST}, got '{text}'")
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
        return tuple(text for v in value if (text := headers.visible(str(v)).strip()))

    def image(self, settings: Settings) -> str:
        value = self.line_text("image")
        if not value:
            return ""
        if not self.line_text("image_alt"):
            self.error("image", "'image' needs 'image_alt': describe the picture for screen readers")
        # A file of the project follows the body's pictures' rules (email.images: `..` is fine while it
        # stays inside the project, the body's error when it leads out); a path on the site never climbs.
        on_site = value.startswith("/") and ".." in value.split("/")
        if scheme_of(value) not in ("http", "https", "") or value.startswith("//") or on_site:
            self.error("image", "'image' must be an https:// URL, a path on the site (/images/hero.jpg) or a "
                       f"file of the project (images/hero.jpg, beside the post or from the project root), got "
                       f"'{value}'")  # fmt: skip
            return ""
        if is_absolute_http(value):
            return value
        if value.startswith("/") or scheme_of(value):  # a path on the site, as before local images
            return f"{settings.site_url}/{value.lstrip('/')}"
        return value  # a file of the project: the email stage makes it (email.images)

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
        url = str(value.get("url") or "").strip()
        if not url:
            self.error("cta", "'cta.url' is missing: add the page the button opens, e.g. url: https://...")
            return None
        if not is_absolute_http(url) or "\n" in value["text"]:
            self.error("cta", f"'cta.url' must be an absolute http(s) URL, got '{url}'")
            return None
        return Cta(headers.visible(value["text"]).strip(), url)

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
        return tuple(
            sorted((k, headers.visible(v, lines=True).strip()) for k, v in value.items() if k in PLATFORMS)
        )
