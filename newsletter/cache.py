"""What lets a rebuild skip work: a fingerprint of everything but the posts, and the manifest of the last
build (each post's digest and metadata; which issue folders came from which inputs, and their files)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import astuple
from pathlib import Path

from . import __version__
from .config import PACKAGED_TEMPLATES as PACKAGED
from .config import Settings
from .content import Library, PostMeta
from .errors import Problem, Severity
from .issue import Week
from .sources import Source

MANIFEST = ".newsletter-cache.json"


def fingerprint(settings: Settings) -> str:
    """Everything but the posts that shapes the output: the tool, its settings, every template (the
    project's and the packaged defaults, so an upgrade re-renders), and SOURCE_DATE_EPOCH (it sets the
    message's Date)."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode() + b"\0")
    digest.update((settings.root / "setup.cfg").read_bytes())
    for label, folder in ((b"project", settings.templates_dir), (b"package", PACKAGED)):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix().encode()
            digest.update(label + b"\0" + name + b"\0" + path.read_bytes())
    return digest.hexdigest()


def key(fp: str, *parts: str) -> str:
    return hashlib.sha256("\0".join((fp, *parts)).encode()).hexdigest()


def _problems(items: list) -> tuple[Problem, ...]:
    return tuple(Problem(w, line, m, Severity(s), r) for w, line, m, s, r in items)


class Manifest:
    """build/.newsletter-cache.json: trusted only when the fingerprint matches and files are untouched.
    A manifest that is unreadable or of another shape is ignored: the build simply starts cold."""

    def __init__(self, out: Path, fp: str, data: dict | None = None):
        self.out = out
        self.fp = fp
        data = data if isinstance(data, dict) and data.get("fingerprint") == fp else {}
        self.posts: dict[str, dict] = data.get("posts", {})
        self.entries: dict[str, dict] = data.get("entries", {})

    @classmethod
    def load(cls, out: Path, fp: str) -> Manifest:
        try:
            manifest = cls(out, fp, json.loads((out / MANIFEST).read_text(encoding="utf-8")))
            manifest._validate()
            return manifest
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return cls(out, fp)

    def _validate(self) -> None:
        """Touch every field once, so a hand-edited manifest fails here (and is ignored), not mid-build."""
        for source, entry in self.posts.items():
            assert isinstance(source, str) and isinstance(entry["digest"], str)
            PostMeta.from_json(entry["meta"])
            _problems(entry["warnings"])
        for entry in self.entries.values():
            assert isinstance(entry["key"], str)
            for name, (size, mtime) in entry["files"].items():
                assert isinstance(name, str) and isinstance(size, int) and isinstance(mtime, int)
            _problems(entry["warnings"])

    def post(self, source: Source) -> tuple[PostMeta, tuple[Problem, ...]] | None:
        entry = self.posts.get(source.source)
        if not entry or entry["digest"] != source.digest:
            return None
        return PostMeta.from_json(entry["meta"]), _problems(entry["warnings"])

    def issue_key(self, week: Week, sources: Mapping[str, Source]) -> str:
        # The issue file's bytes too: its subject, order and intro shape the issue.
        issue_file = (f"issue:{week.file.digest}",) if week.file is not None else ()
        return key(self.fp, week.week, *issue_file, *sorted(sources[p.source].digest for p in week.posts))

    def index_key(self, library: Library, *extra: str) -> str:
        return key(
            self.fp, "index", *extra,
            *sorted(f"{m.source}:{library.sources[m.source].digest}" for m in library.metas),
        )  # fmt: skip

    def fresh(self, name: str, entry_key: str) -> tuple[Problem, ...] | None:
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

    def remember_posts(self, library: Library) -> None:
        """Every post of this run, and only those: deleted posts leave the manifest."""
        posts = {}
        for meta in library.metas:
            warnings = library.warnings.get(meta.source, ())
            posts[meta.source] = {
                "digest": library.sources[meta.source].digest,
                "meta": meta.to_json(),
                "warnings": [list(astuple(w)) for w in warnings],
            }
        self.posts = posts

    def remember(self, name: str, entry_key: str, files: list[str], warnings) -> None:
        stats = {f: os.stat(self.out / f) for f in files}
        self.entries[name] = {
            "key": entry_key,
            "files": {f: [s.st_size, s.st_mtime_ns] for f, s in sorted(stats.items())},
            "warnings": [list(astuple(w)) for w in warnings],
        }

    def files(self, name: str) -> list[str]:
        entry = self.entries.get(name)
        return sorted(entry["files"]) if entry else []

    def dumps(self) -> bytes:
        data = {"fingerprint": self.fp, "posts": self.posts, "entries": self.entries}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
