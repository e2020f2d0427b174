"""Post files from articles: `posts/YYYY-MM-DD-slug.md` with front matter and Markdown. Never over an
existing post; `--update` rewrites the post whose `source:` is the same source, in place."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from newsletter.content.settings import Settings
from newsletter.errors import Problems
from newsletter.importer.records import Article
from newsletter.project.new import slugify


@dataclass(frozen=True)
class Existing:
    path: Path
    draft: bool


@dataclass(frozen=True)
class Target:
    path: Path
    action: str  # "created" or "updated"
    draft: bool


class Refused(ValueError):
    pass


def existing_sources(settings: Settings) -> dict[str, Existing]:
    """`source:` -> the post imported from it, for every post in posts_dir that has one."""
    from newsletter.content import frontmatter
    from newsletter.content.reader import list_sources, read_sources

    problems = Problems()  # a post that cannot be read is the build's to report, not the importer's
    found: dict[str, Existing] = {}
    for source in read_sources(list_sources(settings, problems), settings, problems):
        text = frontmatter.decode(source.raw or b"", source.source, problems) if source.raw else None
        doc = frontmatter.split(text, source.source, problems) if text else None
        if doc is not None and isinstance(doc.meta.get("source"), str):
            found.setdefault(doc.meta["source"], Existing(source.path, doc.meta.get("draft") is True))
    return found


def target(
    settings: Settings, article: Article, existing: dict[str, Existing], taken: set[Path], update: bool,
    draft: bool | None,
) -> Target:  # fmt: skip
    """Where the article goes, or Refused saying why it goes nowhere."""
    before = existing.get(article.source)
    if before is not None:
        if not update:
            raise Refused(f"already imported as {settings.relative(before.path)}; use --update to rewrite it")
        return Target(before.path, "updated", before.draft if draft is None else draft)
    slug = slugify(article.title)
    if not slug:
        raise Refused(f"the title '{article.title}' has no letters or digits to make a file name from")
    path = settings.posts_dir / f"{article.date.isoformat()}-{slug}.md"  # type: ignore[union-attr]
    if path.exists() or path in taken:
        raise Refused(
            f"{settings.relative(path)} already exists and was not imported from this source; "
            "rename one of them or import with --title"
        )
    return Target(path, "created", True if draft is None else draft)


def post_text(article: Article, draft: bool, body: str) -> str:
    """Front matter (strings JSON-quoted: valid YAML, whatever the title holds) and the body."""
    lines = ["---", f"title: {_quote(article.title)}", f"date: {article.date.isoformat()}"]  # type: ignore[union-attr]
    for key in ("author", "summary", "image", "image_alt"):
        if value := getattr(article, key):
            lines.append(f"{key}: {_quote(value)}")
    if article.image and article.image_width:
        lines.append(f"image_width: {article.image_width}")
        if article.image_height:
            lines.append(f"image_height: {article.image_height}")
    if article.tags:
        lines.append(f"tags: [{', '.join(_quote(t) for t in article.tags)}]")
    lines += [f"draft: {'true' if draft else 'false'}", f"source: {_quote(article.source)}", "---", ""]
    return "\n".join(lines) + "\n" + body.strip("\n") + "\n"


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def save(path: Path, text: str, images: list[tuple[Path, bytes]]) -> None:
    """Images first, then the post, each atomically: a post never points at a missing picture."""
    from newsletter.run.writer import atomic_write

    for image_path, data in images:
        if not image_path.exists():
            atomic_write(image_path, data)
    atomic_write(path, text.encode("utf-8"))
