"""What the importer works with and reports: frozen records, made by the stages and printed by cli.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Options:
    """The command line's choices, as the library takes them."""

    draft: bool | None = None  # None: a new post is a draft, an updated one keeps its status
    update: bool = False
    dry_run: bool = False
    download_images: bool = False
    title: str = ""  # --title / --date: for a source that makes exactly one post
    date: dt.date | None = None


@dataclass(frozen=True)
class Image:
    """An image of the article: where it is now (an absolute URL, or a file of a saved page)."""

    src: str
    alt: str


@dataclass(frozen=True)
class Article:
    """One post as read from a source, before it has a file: metadata, Markdown body, and what the
    reader had to guess or could not settle."""

    source: str  # recorded as `source:` in the front matter; --update finds the post by it
    kind: str  # "page", "feed entry", "copied text"
    title: str
    date: dt.date | None
    body: str  # Markdown
    author: str = ""
    summary: str = ""
    image: str = ""
    image_alt: str = ""
    image_width: int = 0
    image_height: int = 0
    tags: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()  # those in the body, for --download-images
    guessed: tuple[str, ...] = ()  # "title from the first heading", "date 2026-10-17 from 'Oct 17'"...
    notes: tuple[str, ...] = ()  # what needs a look


@dataclass(frozen=True)
class Imported:
    """A post made (or, with --dry-run, that would be made) from a source."""

    source: str  # as the report names it: the argument, or the feed entry's link
    kind: str
    path: Path
    action: str  # "created", "updated", "would create", "would update"
    draft: bool
    text: str  # the post file, front matter and Markdown
    guessed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    images: tuple[Path, ...] = ()  # files saved by --download-images


@dataclass(frozen=True)
class Failed:
    """A source (or one entry of a feed) that made no post, and why."""

    source: str
    message: str
    line: int = 0  # of a file, when one line is at fault

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}" if self.line else f"{self.source}: {self.message}"


@dataclass(frozen=True)
class Report:
    items: tuple[Imported | Failed, ...] = field(default_factory=tuple)

    @property
    def imported(self) -> tuple[Imported, ...]:
        return tuple(i for i in self.items if isinstance(i, Imported))

    @property
    def failed(self) -> tuple[Failed, ...]:
        return tuple(i for i in self.items if isinstance(i, Failed))
