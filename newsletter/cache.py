"""What lets a rebuild skip work: source digests, a fingerprint of everything else, and the manifest
of the last build (which issue folders came from which inputs, and the files they hold)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import astuple, dataclass
from pathlib import Path

from . import __version__
from .config import Settings
from .errors import Problem, Problems

MANIFEST = ".newsletter-cache.json"


@dataclass(frozen=True)
class Source:
    path: Path
    source: str  # as messages show it
    raw: bytes
    digest: str


@dataclass(frozen=True)
class PostMeta:
    """What issue selection and the archive index need from a post, without parsing its Markdown."""

    source: str
    slug: str
    title: str
    date: dt.date
    published: dt.datetime
    draft: bool

    @classmethod
    def of(cls, post) -> PostMeta:
        return cls(post.source, post.slug, post.title, post.date, post.published, post.draft)

    def to_json(self) -> dict:
        return {"source": self.source, "slug": self.slug, "title": self.title, "draft": self.draft,
                "published": self.published.isoformat()}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict) -> PostMeta:
        published = dt.datetime.fromisoformat(data["published"])
        return cls(data["source"], data["slug"], data["title"], published.date(), published, data["draft"])


def list_sources(settings: Settings, problems: Problems) -> list[Path]:
    """Sorted *.md in posts_dir; links that leave the project are skipped with a warning."""
    folder = settings.posts_dir
    if not folder.is_dir():
        problems.error(
            settings.relative(folder), 0, "posts folder not found; create it or set posts_dir", "posts-dir"
        )
        return []
    files = []
    root = settings.root.resolve()
    for path in sorted(folder.glob("*.md")):
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            problems.warn(
                settings.relative(path), 0, "symbolic link to outside the project: not followed", "symlink"
            )
            continue
        files.append(path)
    return files


def read_sources(paths: list[Path], settings: Settings, problems: Problems) -> list[Source]:
    sources = []
    for path in paths:
        where = settings.relative(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.error(where, 0, f"cannot be read: {exc.strerror}", "encoding")
            continue
        sources.append(Source(path, where, raw, hashlib.sha256(raw).hexdigest()))
    return sources


def fingerprint(settings: Settings) -> str:
    """Everything but the posts that shapes the output: the tool, its settings and every template."""
    digest = hashlib.sha256(__version__.encode())
    digest.update((settings.root / "setup.cfg").read_bytes())
    for path in sorted(p for p in settings.templates_dir.rglob("*") if p.is_file()):
        digest.update(
            path.relative_to(settings.templates_dir).as_posix().encode() + b"\0" + path.read_bytes()
        )
    return digest.hexdigest()


def key(fp: str, *parts: str) -> str:
    return hashlib.sha256("\0".join((fp, *parts)).encode()).hexdigest()


def _problems(items: list) -> list[Problem]:
    return [Problem(*item) for item in items]


class Manifest:
    """build/.newsletter-cache.json: trusted only when the fingerprint matches and files are untouched."""

    def __init__(self, out: Path, fp: str, data: dict | None = None):
        self.out = out
        self.fp = fp
        data = data if data and data.get("fingerprint") == fp else {}
        self.posts: dict[str, dict] = data.get("posts", {})
        self.entries: dict[str, dict] = data.get("entries", {})

    @classmethod
    def load(cls, out: Path, fp: str) -> Manifest:
        try:
            return cls(out, fp, json.loads((out / MANIFEST).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return cls(out, fp)

    def post(self, source: str, digest: str) -> tuple[PostMeta, list[Problem]] | None:
        entry = self.posts.get(source)
        if not entry or entry["digest"] != digest:
            return None
        return PostMeta.from_json(entry["meta"]), _problems(entry["warnings"])

    def remember_post(self, meta: PostMeta, digest: str, warnings: list[Problem]) -> None:
        self.posts[meta.source] = {
            "digest": digest,
            "meta": meta.to_json(),
            "warnings": [list(astuple(w)) for w in warnings],
        }

    def fresh(self, name: str, entry_key: str) -> list[Problem] | None:
        """The warnings recorded for an output group when its key matches and its files are untouched."""
        entry = self.entries.get(name)
        if not entry or entry["key"] != entry_key:
            return None
        for file, (size, mtime) in entry["files"].items():
            try:
                stat = os.stat(self.out / file)
            except OSError:
                return None
            if stat.st_size != size or stat.st_mtime_ns != mtime:
                return None
        return _problems(entry["warnings"])

    def remember(self, name: str, entry_key: str, files: list[str], warnings: list[Problem]) -> None:
        stats = {f: os.stat(self.out / f) for f in files}
        self.entries[name] = {
            "key": entry_key,
            "files": {f: [s.st_size, s.st_mtime_ns] for f, s in sorted(stats.items())},
            "warnings": [list(astuple(w)) for w in warnings],
        }

    def forget(self, keep_posts: set[str]) -> None:
        self.posts = {k: v for k, v in self.posts.items() if k in keep_posts}

    def dumps(self) -> bytes:
        data = {"fingerprint": self.fp, "posts": self.posts, "entries": self.entries}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
