"""`newsletter import`: every SOURCE read, turned into articles, settled (title, date) and written as
posts; one report item per post made and per source (or feed entry) that made none. A failed source
never stops the others."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from newsletter.content.settings import Settings
from newsletter.email import headers
from newsletter.errors import Problems
from newsletter.importer import feed, fetch, images, page, source, text, write
from newsletter.importer.records import Article, Failed, Imported, Options, Report


@dataclass(frozen=True)
class _Found:
    """An article and where its images can be fetched from."""

    article: Article
    page_url: str
    folder: Path | None
    label: str  # how the report names it: the SOURCE as typed, or a feed entry's link


def import_sources(settings: Settings, names: tuple[str, ...], options: Options, now: dt.datetime) -> Report:
    existing = write.existing_sources(settings)
    taken: set[Path] = set()
    items: list[Imported | Failed] = []
    for name in names:
        found = list(_articles(name, settings, now))
        articles = [f for f in found if isinstance(f, _Found)]
        if (options.title or options.date) and len(articles) > 1:
            items.append(Failed(name, f"--title and --date name one post, and this feed has {len(articles)} "
                                "entries: import them without, then edit the posts"))  # fmt: skip
            continue
        for item in found:
            items.append(
                item if isinstance(item, Failed) else _make(settings, item, options, now, existing, taken)
            )
    return Report(tuple(items))


def _articles(name: str, settings: Settings, now: dt.datetime) -> Iterator[_Found | Failed]:
    try:
        loaded = source.load(name)
        kind = source.kind_of(loaded)
        ident = name if source.is_url(name) else settings.relative(Path(name).expanduser().resolve())
        if kind == "feed":
            yield from _entries(loaded, ident, settings, now)
        elif kind == "page":
            yield _Found(
                page.read_page(source.page_text(loaded), loaded.url, ident, now),
                loaded.url,
                loaded.folder,
                name,
            )
        else:
            yield _Found(text.read_text(source.plain_text(loaded), ident, now), "", None, name)
    except (fetch.FetchError, source.SourceError) as exc:
        yield Failed(name, exc.message, getattr(exc, "line", 0))


def _entries(
    loaded: source.Loaded, ident: str, settings: Settings, now: dt.datetime
) -> Iterator[_Found | Failed]:
    entries = feed.read_feed(loaded.data, loaded.url, ident, settings.zone, dict(loaded.headers))
    for entry in entries:
        if entry.article is not None:
            yield _Found(entry.article, entry.link, None, entry.link or ident)
            continue
        where = entry.link or f"{ident} (entry '{entry.fields.title}')"
        if not loaded.url:
            yield Failed(where, "the feed has no content for this entry and is a file, so its page is not "
                         "fetched: import the page by its URL")  # fmt: skip
            continue
        try:
            fetched = source.load(entry.link, fetch.same_host(loaded.url))
            if source.kind_of(fetched) != "page":
                raise source.SourceError("the entry's link is not a web page")
            article = page.read_page(source.page_text(fetched), fetched.url, entry.link, now, "feed entry")
        except (fetch.FetchError, source.SourceError) as exc:
            yield Failed(
                where, f"the feed has no content for this entry and its page could not be used: {exc.message}"
            )
            continue
        yield _Found(_overlay(entry.fields, article), fetched.url, None, entry.link)


def _overlay(fields: Article, article: Article) -> Article:
    """The feed's own metadata for an entry wins over what its page says; the page gives the body."""
    taken = {
        k: getattr(fields, k) for k in ("title", "date", "author", "summary", "tags") if getattr(fields, k)
    }
    if fields.image and not article.image:
        taken.update(image=fields.image, image_alt=fields.image_alt, image_width=fields.image_width,
                     image_height=fields.image_height)  # fmt: skip
    guessed = (
        article.guessed if "title" not in taken else tuple(g for g in article.guessed if "title" not in g)
    )
    return replace(article, **taken, guessed=guessed)


def _settle(article: Article, options: Options, now: dt.datetime) -> Article:
    """Title and date from the options, the source, or a flagged guess; SourceError when no title."""
    guessed, notes = list(article.guessed), list(article.notes)
    title = _one_line(options.title or article.title)
    if not title:
        heading = re.search(r"(?m)^#{1,6} +(.+)$", article.body)
        if heading is None:
            raise source.SourceError(
                "no title found (no title line, metadata or heading): give one with --title"
            )
        title = _one_line(re.sub(r"[*_`\\]", "", heading.group(1)))
        guessed.append("title from the first heading (the source has none; set it with --title)")
    day = options.date or article.date
    if day is None:
        day = now.date()
        guessed.append(f"date {day}, today (the source has none; set it with --date)")
    alt = article.image_alt
    if article.image and not alt:
        alt = title
        notes.append("image_alt is the title: describe the picture")
    if options.title or options.date:
        guessed = [
            g for g in guessed if not (options.title and "title" in g) and not (options.date and "date" in g)
        ]
    return replace(article, title=title, date=day, image_alt=alt, guessed=tuple(guessed), notes=tuple(notes),
                   author=_one_line(article.author), summary=_one_line(article.summary))  # fmt: skip


def _one_line(value: str) -> str:
    """Front matter text is one line without controls (the loader refuses the rest)."""
    cleaned = "".join(" " if headers.control(c) else c for c in value)
    return re.sub(r"\s+", " ", cleaned).strip()


def _make(
    settings: Settings, found: _Found, options: Options, now: dt.datetime, existing: dict, taken: set[Path]
) -> Imported | Failed:
    try:
        article = _settle(found.article, options, now)
        goal = write.target(settings, article, existing, taken, options.update, options.draft)
    except (source.SourceError, write.Refused) as exc:
        return Failed(found.label, str(exc))
    body, notes = article.body, list(article.notes)
    saved: list[images.Saved] = []
    if options.download_images and article.images:
        if options.dry_run:
            notes.append(f"{len(article.images)} images not downloaded (--dry-run)")
        else:
            saved, missed = images.collect(article.images, found.page_url, found.folder, goal.path.stem)
            body, notes = images.relink(body, saved), notes + missed
    post = write.post_text(article, goal.draft, body)
    problems = _validate(settings, goal.path, post)
    errors = [p for p in problems if p.is_error]
    if errors:
        return Failed(found.label, "the post would not load: " + "; ".join(p.message for p in errors))
    notes += [f"line {p.line}: {p.message}" for p in problems]
    files = [(goal.path.parent / s.name, s.data) for s in saved]
    if not options.dry_run:
        try:
            write.save(goal.path, post, files)
        except OSError as exc:
            return Failed(found.label, f"{settings.relative(goal.path)}: cannot write: {exc.strerror}")
    taken.add(goal.path)
    existing[article.source] = write.Existing(goal.path, goal.draft)
    action = ("would " + goal.action.removesuffix("d")) if options.dry_run else goal.action
    return Imported(found.label, article.kind, goal.path, action, goal.draft, post, article.guessed,
                    tuple(notes), tuple(p for p, _ in files))  # fmt: skip


def _validate(settings: Settings, path: Path, post: str) -> list:
    """The post as the loader will read it: its errors stop the import, its warnings are notes."""
    from newsletter.content.markup import Converter
    from newsletter.content.posts import parse
    from newsletter.content.reader import Source

    problems = Problems()
    raw = post.encode("utf-8")
    parse(
        Source(path, settings.relative(path), raw, hashlib.sha256(raw).hexdigest()),
        settings,
        Converter(),
        problems,
    )
    return problems.items
