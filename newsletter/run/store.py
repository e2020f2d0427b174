"""What lets a rebuild skip work: a fingerprint of everything but the posts, and the manifest of the last
build (each post's digest and metadata; which issue folders came from which inputs, and their files)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import astuple
from pathlib import Path

from newsletter import __version__
from newsletter.content.issue import Week
from newsletter.content.posts import Library, PostMeta
from newsletter.content.reader import SETTINGS, Source, StatReader, read_file, template_files
from newsletter.content.settings import PACKAGED_TEMPLATES as PACKAGED
from newsletter.content.settings import Settings
from newsletter.errors import Problem, Problems, Severity

MANIFEST = ".newsletter-cache.json"


def fingerprint(settings: Settings) -> str:
    """Everything but the posts that shapes the output: the tool, its settings, every template (the
    project's and the packaged defaults, so an upgrade re-renders), and SOURCE_DATE_EPOCH (it sets the
    message's Date)."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode() + b"\0")
    # Read like the settings and templates themselves (content.reader), so the fingerprint covers exactly
    # the files a render uses: a template that is a link out of the project is not among them.
    problems = Problems()
    raw = read_file(settings.root / "setup.cfg", "setup.cfg", problems, SETTINGS)
    problems.raise_if_errors()  # it was just read to make `settings`: only a race gets here
    digest.update(raw or b"")
    packaged = sorted(
        (p.relative_to(PACKAGED).as_posix(), p.read_bytes()) for p in PACKAGED.rglob("*") if p.is_file()
    )
    for label, files in ((b"project", template_files(settings)), (b"package", packaged)):
        for name, data in files:
            digest.update(
                label + b"\0" + name.encode() + b"\0" + (b"\1" + data if data is not None else b"\0")
            )
    return digest.hexdigest()


def key(fp: str, *parts: str) -> str:
    return hashlib.sha256("\0".join((fp, *parts)).encode()).hexdigest()


def _problems(items: list) -> tuple[Problem, ...]:
    return tuple(Problem(w, line, m, Severity(s), r) for w, line, m, s, r in items)


class Manifest:
    """build/.newsletter-cache.json: trusted only when the fingerprint matches and files are untouched.
    Per post its digest and metadata; per issue folder (and the index) the key of its inputs, how many
    files it holds and a stamp of the folder; small enough to read in milliseconds at thousands of posts.
    A manifest that is unreadable or of another shape is ignored: the build simply starts cold."""

    # How posts are read: every file (no manifest); a loaded manifest's StatReader skips the files whose
    # stat it recorded; the preview's in-memory manifest has a sources.Rereader.
    reader = None

    def __init__(self, out: Path, fp: str, data: dict | None = None):
        self.out = out
        self.fp = fp
        raw = data if isinstance(data, dict) else {}
        data = raw if raw.get("fingerprint") == fp else {}
        self.posts: dict[str, dict] = data.get("posts", {})
        self.entries: dict[str, dict] = data.get("entries", {})
        # The cards each issue folder holds outlive a change of settings or templates: a card's key
        # names everything it depends on (what it says, its size, the accent colour, the drawing code).
        self._drawn = _drawn(raw.get("entries"))

    @classmethod
    def load(cls, out: Path, fp: str) -> Manifest:
        try:
            manifest = cls(out, fp, json.loads((out / MANIFEST).read_text(encoding="utf-8")))
            manifest._validate()
            return manifest
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return cls(out, fp)

    def _validate(self) -> None:
        """Read every field once, so a hand-edited manifest fails here (and is ignored), not mid-build;
        what is read is kept for `post`."""
        self._known: dict[str, tuple[str, PostMeta, tuple[Problem, ...]]] = {}
        stats: dict[str, tuple[tuple[int, ...], str]] = {}
        for source, entry in self.posts.items():
            assert isinstance(source, str) and isinstance(entry["digest"], str)
            self._known[source] = (
                entry["digest"],
                PostMeta.from_json(entry["meta"]),
                _problems(entry["warnings"]),
            )
            if (info := entry.get("stat")) is not None:
                assert isinstance(info, list) and all(isinstance(n, int) for n in info)
                stats[source] = (tuple(info), entry["digest"])
        self.reader = StatReader(stats)  # unchanged post files are not read again
        for entry in self.entries.values():
            assert isinstance(entry["key"], str) and isinstance(entry["stamp"], str)
            assert isinstance(entry.get("links", {}), dict)
            assert isinstance(entry["count"], int)
            _problems(entry["warnings"])

    def post(self, source: Source) -> tuple[PostMeta, tuple[Problem, ...]] | None:
        known = getattr(self, "_known", {}).get(source.source)
        if known is not None:
            return (known[1], known[2]) if known[0] == source.digest else None
        entry = self.posts.get(source.source)
        if not entry or entry["digest"] != source.digest:
            return None
        return PostMeta.from_json(entry["meta"]), _problems(entry["warnings"])

    def reuse(self, library: Library) -> Library:
        """The library with the unchanged posts this cache holds parsed (the preview's keeps them in
        memory, so the other posts of an edited issue are not parsed again); a manifest holds none."""
        return library

    def issue_key(self, week: Week, sources: Mapping[str, Source]) -> str:
        # The issue file's bytes too: its subject, order and intro shape the issue.
        issue_file = (f"issue:{week.file.digest}",) if week.file is not None else ()
        return key(self.fp, week.week, *issue_file, *sorted(sources[p.source].digest for p in week.posts))

    def index_key(self, library: Library, *extra: str) -> str:
        """The archive page and feed show each issue's subject, date and articles' titles and links:
        they depend on the posts' metadata, not their bodies (an edit of an article's text does not
        render them again)."""
        metas = sorted(json.dumps(m.to_json(), sort_keys=True) for m in library.metas)
        return key(self.fp, "index", *extra, *metas)

    def fresh(self, name: str, entry_key: str, known=None) -> tuple[Problem, ...] | None:
        """The warnings recorded for an output group when its key matches and its files are untouched
        (the stamp of its folder: a few stat calls per issue, not one per file), and each link it holds
        into the blog still ends, or still does not end, at a post of `known` (a post deleted or added
        elsewhere changes its "link-unknown-post" warnings)."""
        entry = self.entries.get(name)
        if not entry or entry["key"] != entry_key or entry["stamp"] != stamp(self.out / _path(name)):
            return None
        links = entry.get("links") or {}
        if known is not None and any((path in known) != ok for path, ok in links.items()):
            return None
        return _problems(entry["warnings"])

    def holds(self, library: Library) -> bool:
        """Every post of the library came from this manifest, unchanged and with the stat it recorded,
        and it has no others."""
        if library.parsed or library.sources.keys() != self.posts.keys():
            return False
        return all(
            s.stat is not None and list(s.stat) == self.posts[name].get("stat")
            for name, s in library.sources.items()
        )

    def remember_posts(self, library: Library) -> None:
        """Every post of this run, and only those: deleted posts leave the manifest."""
        posts = {}
        for meta in library.metas:
            warnings = library.warnings.get(meta.source, ())
            source = library.sources[meta.source]
            posts[meta.source] = {
                "digest": source.digest,
                "meta": meta.to_json(),
                "warnings": [list(astuple(w)) for w in warnings],
                **({"stat": list(source.stat)} if source.stat else {}),
            }
        self.posts = posts

    def remember(self, name: str, entry_key: str, count: int, warnings, cards=None, links=None) -> None:
        """An output group as written: `count` files, stamped now, and the key of each article's cards."""
        self.entries[name] = {
            "key": entry_key,
            "count": count,
            "stamp": stamp(self.out / _path(name)),
            "warnings": [list(astuple(w)) for w in warnings],
            **({"cards": dict(cards)} if cards else {}),
            **({"links": dict(sorted(links.items()))} if links else {}),
        }

    def cards(self, name: str) -> tuple[Path, dict[str, str]] | None:
        """(folder, slug -> key) of the cards an issue folder holds, when the folder is untouched since
        the last build recorded it: an issue rendered again reuses the cards of its unchanged articles,
        even after a template or setting changed (the keys say whether a card is still the same)."""
        found = self._drawn.get(name)
        if found is None or found[0] != stamp(self.out / _path(name)):
            return None
        return self.out / _path(name), found[1]

    def count(self, name: str) -> int:
        entry = self.entries.get(name)
        return entry["count"] if entry else 0

    def dumps(self) -> bytes:
        data = {"fingerprint": self.fp, "posts": self.posts, "entries": self.entries}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _drawn(entries) -> dict[str, tuple[str, dict[str, str]]]:
    """Per issue folder of a manifest file: (stamp, slug -> card key); whatever is malformed is left out."""
    found = {}
    for name, entry in (entries if isinstance(entries, dict) else {}).items():
        cards = entry.get("cards") if isinstance(entry, dict) else None
        if isinstance(cards, dict) and isinstance(entry.get("stamp"), str):
            found[str(name)] = (entry["stamp"], {str(k): str(v) for k, v in cards.items()})
    return found


def _path(name: str) -> str:
    return "index.html" if name == "index" else name


def stamp(path: Path) -> str:
    """What changes when an output is touched: a file's size, mtime and inode; for an issue folder, those
    of every entry in it (the files, and the cards/ folder, whose mtime changes when a card in it is
    replaced or removed). A card rewritten in place, keeping its name, is not seen (issue folders are
    replaced whole, so a build never does that); statting every card would cost a stat per file."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return ""
    parts = [f".:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"]
    if os.path.isdir(path) and not os.path.islink(path):
        with os.scandir(path) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                try:
                    e = entry.stat(follow_symlinks=False)
                except OSError:
                    return ""
                parts.append(f"{entry.name}:{e.st_size}:{e.st_mtime_ns}:{e.st_ino}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
