"""What lets a run skip work: a fingerprint of everything but the posts, and a store of what the last run
made. One small protocol, three stores: the manifest in build/ (`build`, and `social`, which only reads
it and the captions kept beside it), memory (`preview`, whose one run lives across saves), and none
(`--no-cache`, `check`, `send`).

The manifest, build/.newsletter-cache.json, is typed records in memory (`PostEntry`, `OutputEntry`),
JSON only at the edges (`from_json`/`to_json`); it is trusted only when the fingerprint matches and each
issue folder's stamp says it is untouched, and a manifest that is unreadable or of another shape is
ignored: the build simply starts cold."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat as stat_module
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from newsletter import __version__
from newsletter.content.posts import Library, Post, PostMeta
from newsletter.content.reader import (
    SETTINGS,
    Rereader,
    Source,
    StatReader,
    read_file,
    read_sources,
    template_files,
)
from newsletter.content.settings import PACKAGED_TEMPLATES as PACKAGED
from newsletter.content.settings import Settings
from newsletter.errors import Problem, Problems, Severity
from newsletter.run.writer import CAPTIONS

if TYPE_CHECKING:
    from newsletter.content.issue import Week
    from newsletter.social.records import Caption

MANIFEST = ".newsletter-cache.json"
Warnings = tuple[Problem, ...]


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
    digest.update(settings.brand.fingerprint.encode() + b"\0")  # the logo file's content
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


def issue_key(fp: str, week: Week, sources: Mapping[str, Source], images: Iterable[str] = ()) -> str:
    """The issue file's bytes too (its subject, order and intro shape the issue), and the digests of
    the local images its posts use (email.images.digests): a new picture renders the issue again."""
    issue_file = (f"issue:{week.file.digest}",) if week.file is not None else ()
    # each post's file too: a post renamed (its slug, so its links) or copied is another issue
    posts = sorted(f"{p.source}\0{sources[p.source].digest}" for p in week.posts)
    return key(fp, week.week, *issue_file, *posts, "images:1", *images)


def caption_key(fp: str, library: Library, meta: PostMeta, week: str) -> str:
    """A post's captions depend on its bytes and its social file's (its source's digest), its file and
    slug (two posts of the same bytes, a post renamed), the week its cards live in, everything the
    fingerprint covers, and the code that makes them: the tool's own (a changed caption writer, even of
    the same version, makes them again), Python's and the libraries that parse and count."""
    digest = library.sources[meta.source].digest
    return key(fp, "captions:2", code_digest(), digest, meta.source, meta.slug, week)


# What the captions are made with besides the package: each one's installed files change on an upgrade.
_LIBRARIES = ("markdown", "regex", "yaml", "jinja2", "markupsafe", "nh3", "lxml", "budoux")


@functools.cache
def code_digest() -> str:  # the package's own source files, read once per process (about 2 ms)
    import sys
    import unicodedata

    package = Path(__file__).parents[1]
    # Python's own Unicode tables count graphemes and widths: an upgrade may count otherwise
    digest = hashlib.sha256(f"{sys.version_info[:3]}:{unicodedata.unidata_version}\0".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(installed(_LIBRARIES).encode())
    return digest.hexdigest()


def installed(names: Iterable[str]) -> str:
    """Which version of each library is installed, as its files' stat says (an upgrade rewrites them):
    found, not imported."""
    import importlib.util

    found = []
    for name in names:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None and spec.origin else ""
        info = os.stat(origin) if origin and os.path.exists(origin) else None
        found.append(f"{name}:{origin}:{info and (info.st_size, info.st_mtime_ns)}\0")
    return "".join(found)


def read_inside(folder: Path, relative: str) -> bytes:
    """A regular file at `relative` inside `folder`, no component of it followed if a link."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    *parents, name = relative.split("/")
    fd = os.open(folder, flags)
    try:
        for part in parents:
            inner = os.open(part, flags, dir_fd=fd)
            os.close(fd)
            fd = inner
        return read_regular(Path(name), fd)
    finally:
        os.close(fd)


def read_regular(path: Path, folder_fd: int | None = None) -> bytes:
    """A regular file's bytes, never through a symbolic link and never blocking on a FIFO or device
    (OSError for anything else); with `folder_fd`, `path` is a name inside that open folder."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags, dir_fd=folder_fd)
    try:
        if not stat_module.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path}: not a regular file")
        with open(fd, "rb", closefd=False) as f:
            return f.read()
    finally:
        os.close(fd)


def index_key(fp: str, library: Library, *extra: str) -> str:
    """The archive page and feed show each issue's subject, date and articles' titles and links: they
    depend on the posts' metadata, not their bodies (an edit of an article's text does not render
    them again)."""
    # One encoding of every post's fields (by file), not a dict and a json.dumps per post: at 1,000
    # posts this key is most of what a no-op build computes (23 -> 6 ms here).
    metas = sorted((m.source, m.slug, m.title, m.draft, m.published.isoformat(), m.summary, m.images)
                   for m in library.metas)  # fmt: skip
    return key(fp, "index", *extra, json.dumps(metas))


def _problems(items: Iterable[Any]) -> Warnings:
    return tuple(Problem(str(w), int(line), str(m), Severity(s), str(r)) for w, line, m, s, r in items)


def _problems_json(warnings: Iterable[Problem]) -> list[list]:
    # Not dataclasses.astuple, which deep-copies every field: 30 ms a save at 1,000 posts' warnings.
    return [[w.where, w.line, w.message, w.severity, w.rule] for w in warnings]


@dataclass(frozen=True)
class PostEntry:
    """One post as the last build saw it: its bytes' digest, metadata, warnings, and the stat of its file
    (None when it was modified too recently to vouch for it: see reader.RACY_SECONDS)."""

    digest: str
    meta: PostMeta
    warnings: Warnings = ()
    stat: tuple[int, ...] | None = None

    def to_json(self) -> dict:
        data = {"digest": self.digest, "meta": self.meta.to_json(), "warnings": _problems_json(self.warnings)}
        return data | ({"stat": list(self.stat)} if self.stat else {})

    @classmethod
    def from_json(cls, data: dict) -> PostEntry:
        stat = data.get("stat")
        if stat is not None and not (isinstance(stat, list) and all(isinstance(n, int) for n in stat)):
            raise ValueError("stat")
        if not isinstance(data["digest"], str):
            raise ValueError("digest")
        return cls(
            data["digest"],
            PostMeta.from_json(data["meta"]),
            _problems(data["warnings"]),
            tuple(stat) if stat else None,
        )


@dataclass(frozen=True)
class OutputEntry:
    """One output group as written (an issue folder, or "index" for the archive page and feed): the key
    of its inputs, how many files, a stamp of the folder, its warnings, per article the key of its cards,
    its links into the blog (path -> it ended at a post), and whether it held drafts."""

    key: str
    count: int
    stamp: str
    warnings: Warnings = ()
    cards: Mapping[str, str] = field(default_factory=dict)
    links: Mapping[str, bool] = field(default_factory=dict)
    drafts: bool = False

    def to_json(self) -> dict:
        data: dict[str, Any] = {
            "key": self.key, "count": self.count, "stamp": self.stamp,
            "warnings": _problems_json(self.warnings),
        }  # fmt: skip
        if self.cards:
            data["cards"] = dict(self.cards)
        if self.links:
            data["links"] = dict(sorted(self.links.items()))
        if self.drafts:
            data["drafts"] = True
        return data

    @classmethod
    def from_json(cls, data: dict) -> OutputEntry:
        fields = data["key"], data["stamp"], data["count"], data.get("links", {}), data.get("cards", {})
        if not (isinstance(fields[0], str) and isinstance(fields[1], str) and isinstance(fields[2], int)):
            raise ValueError("entry")
        if not (isinstance(fields[3], dict) and isinstance(fields[4], dict)):
            raise ValueError("entry")
        return cls(
            data["key"], data["count"], data["stamp"], _problems(data["warnings"]),
            {str(k): str(v) for k, v in fields[4].items()}, {str(k): bool(v) for k, v in fields[3].items()},
            bool(data.get("drafts")),
        )  # fmt: skip


@dataclass(frozen=True)
class Earlier:
    """The cards an issue folder of the last build holds, by article (slug -> key), when the folder is
    untouched: social.outputs reuses the bytes of an article whose key is unchanged."""

    folder: Path
    keys: Mapping[str, str]

    def find(self, slug: str, card_key: str, names: Iterable[str]) -> dict[str, bytes] | None:
        """The bytes of an article's cards when they were drawn with `card_key`, else None."""
        if self.keys.get(slug) != card_key:
            return None
        try:
            return {name: read_inside(self.folder, name) for name in names}
        except OSError:  # a card went missing (or is a link, or not a file): draw them all again
            return None


@dataclass(frozen=True)
class KeptCaptions:
    """One post's captions as a build made them: per caption its (platform, kind) and its JSON as
    `captions.json` lists it (`exports.json_items`, UTF-8), which `social --format json` splices in
    as it is; other exports read the captions back (`captions()`). On disk: a JSON line of the heads
    and the items' sizes, then the items' bytes (never encoded again: tens of MB at thousands of posts)."""

    heads: tuple[tuple[str, str], ...]
    items: tuple[bytes, ...]

    def to_bytes(self, name: str) -> bytes:
        head = {"key": name, "heads": [list(h) for h in self.heads], "sizes": [len(i) for i in self.items]}
        return json.dumps(head, ensure_ascii=True).encode("ascii") + b"\n" + b"".join(self.items)

    @classmethod
    def made(cls, captions: Iterable[Caption], items: Iterable[bytes]) -> KeptCaptions:
        return cls(tuple((c.platform, c.kind) for c in captions), tuple(items))

    @classmethod
    def from_bytes(cls, data: bytes, name: str) -> KeptCaptions:
        """ValueError when the data is of another shape, or is another post's (its key is not `name`)."""
        line, _, rest = data.partition(b"\n")
        found = json.loads(line)
        if found["key"] != name:
            raise ValueError("key")
        heads, sizes = found["heads"], found["sizes"]
        if not (isinstance(heads, list) and isinstance(sizes, list) and len(heads) == len(sizes)):
            raise ValueError("kept captions")
        if not all(type(n) is int and n > 0 for n in sizes) or sum(sizes) != len(rest):
            raise ValueError("sizes")
        if not all(isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in heads):
            raise ValueError("heads")
        items, start = [], 0
        for n in sizes:
            items.append(rest[start : start + n])
            start += n
        if not all(i.startswith(b"  {") and i.endswith(b"}") for i in items):
            raise ValueError("items")
        return cls(tuple((h[0], h[1]) for h in heads), tuple(items))

    def captions(self, slug: str) -> tuple[Caption, ...]:
        """The captions themselves (ValueError when an item is not one, or not the one its head says,
        or another post's)."""
        from newsletter.social.records import Caption

        try:
            made = tuple(Caption.from_dict(json.loads(i.decode("utf-8"))) for i in self.items)
        except RecursionError:  # nested past Python's limit (written by hand): not a caption
            raise ValueError("items") from None
        if any((c.platform, c.kind) != h or c.post != slug for c, h in zip(made, self.heads, strict=True)):
            raise ValueError("heads")
        return made

    def checked_items(self, slug: str) -> tuple[bytes, ...]:
        """The items as they are, once each is known to be UTF-8 JSON of a caption of this post with the
        platform and kind its head says (ValueError else): what `social --format json` splices in."""
        self.captions(slug)  # each item read back as a caption, field by field
        return self.items


class Kept:
    """The captions builds made, a file per post in build/.newsletter-captions/ named by its
    `caption_key`: what the next build (an edited issue's other posts) and `social` take instead of
    making them again. Data, never code; a file that is unreadable, a link or of another shape is as
    good as missing (the captions are made again)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, name: str) -> KeptCaptions | None:
        try:
            fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:  # gone, or a link
            return None
        try:
            return KeptCaptions.from_bytes(read_regular(Path(f"{name}.json"), fd), name)
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            return None
        finally:
            os.close(fd)


def kept_in(out: Path) -> Kept | None:
    """The kept captions of an output folder, unless build/ itself is a link (the folder is opened
    without following one: `Kept.get`)."""
    if out.is_symlink() or not (out / CAPTIONS).is_dir():
        return None
    return Kept(out / CAPTIONS)


Reader = Callable[[list[Path], Settings, Problems], list[Source]]


class Store(Protocol):
    """What a run asks of the last run's work. Each method answers None (or the input unchanged) when the
    store knows nothing, so a run without a store is simply a cold one. `read` turns the post files into
    sources: a store may vouch for unchanged files without reading them (content.reader)."""

    fp: str
    read: Reader

    def post(self, source: Source) -> tuple[PostMeta, Warnings] | None:
        """An unchanged post's metadata and warnings, so it need not be parsed."""
        ...

    def parsed(self, library: Library) -> Library:
        """The library with the parsed posts the store keeps (the preview's memory)."""
        ...

    def fresh(self, name: str, entry_key: str, known: Any = None) -> Warnings | None:
        """The warnings of an output group whose inputs and files are unchanged, else None."""
        ...

    def earlier(self, week: str) -> Earlier | None:
        """The cards an untouched issue folder holds."""
        ...

    def kept(self) -> Kept | None:
        """The captions the last builds made, by `caption_key`."""
        ...


class NoStore:
    """A cold run: nothing is known, everything is read, parsed and rendered."""

    def __init__(self, fp: str = ""):
        self.fp = fp
        self.read: Reader = read_sources

    def post(self, source: Source) -> tuple[PostMeta, Warnings] | None:
        return None

    def parsed(self, library: Library) -> Library:
        return library

    def fresh(self, name: str, entry_key: str, known: Any = None) -> Warnings | None:
        return None

    def earlier(self, week: str) -> Earlier | None:
        return None

    def kept(self) -> Kept | None:
        return None


class Manifest(NoStore):
    """build/.newsletter-cache.json: per post its digest and metadata, per issue folder (and the index)
    an OutputEntry; small enough to read in milliseconds at thousands of posts."""

    def __init__(
        self,
        out: Path,
        fp: str,
        posts: Mapping[str, PostEntry] | None = None,
        entries: Mapping[str, OutputEntry] | None = None,
        drawn: Mapping[str, OutputEntry] | None = None,
        captions: Kept | None = None,
        stylesheets: Mapping[str, Stylesheet] | None = None,
    ):
        super().__init__(fp)
        self.out = out
        # premailer's parse of each stylesheet the last build inlined with (memo.STYLESHEETS): data, as
        # premailer returns it (rules of specificity, selector and declarations; pseudo-class leftovers)
        self.stylesheets: dict[str, Stylesheet] = dict(stylesheets or {})
        self.captions = captions  # only a manifest read from disk offers them (not --no-cache's)
        self.posts: dict[str, PostEntry] = dict(posts or {})
        self.entries: dict[str, OutputEntry] = dict(entries or {})
        # The cards each issue folder holds outlive a change of settings or templates: a card's key names
        # everything it depends on (what it says, its size, the accent colour, the drawing code).
        self.drawn: dict[str, OutputEntry] = dict(drawn or {})
        self.read = StatReader({s: (e.stat, e.digest) for s, e in self.posts.items() if e.stat})

    @classmethod
    def load(cls, out: Path, fp: str) -> Manifest:
        try:
            data = json.loads(read_regular(out / MANIFEST).decode("utf-8"))
            entries = {str(n): OutputEntry.from_json(e) for n, e in data.get("entries", {}).items()}
            if data.get("fingerprint") != fp:  # other templates or settings: only the cards still hold
                return cls(out, fp, drawn=entries)
            posts = {str(s): PostEntry.from_json(e) for s, e in data["posts"].items()}
            sheets = _stylesheets(data.get("stylesheets", {}))
            return cls(out, fp, posts, entries, entries, kept_in(out), sheets)
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):  # a cold build
            return cls(out, fp)

    def kept(self) -> Kept | None:
        return self.captions

    def post(self, source: Source) -> tuple[PostMeta, Warnings] | None:
        entry = self.posts.get(source.source)
        return (entry.meta, entry.warnings) if entry is not None and entry.digest == source.digest else None

    def fresh(self, name: str, entry_key: str, known: Any = None) -> Warnings | None:
        """The stamp of its folder is a few stat calls per issue, not one per file; each link the group
        holds into the blog must still end, or still not end, at a post of `known` (a post deleted or
        added elsewhere changes its "link-unknown-post" warnings)."""
        entry = self.entries.get(name)
        if entry is None or entry.key != entry_key or entry.stamp != stamp(self.out / _path(name)):
            return None
        if known is not None and any((path in known) != ok for path, ok in entry.links.items()):
            return None
        return entry.warnings

    def earlier(self, week: str) -> Earlier | None:
        entry = self.drawn.get(week)
        if entry is None or not entry.cards or entry.stamp != stamp(self.out / _path(week)):
            return None
        return Earlier(self.out / _path(week), entry.cards)

    def holds(self, library: Library) -> bool:
        """Every post of the library came from this manifest, unchanged and with the stat it recorded,
        and it has no others."""
        if library.parsed or library.sources.keys() != self.posts.keys():
            return False
        return all(s.stat is not None and s.stat == self.posts[n].stat for n, s in library.sources.items())

    def remember_posts(self, library: Library) -> None:
        """Every post of this run, and only those: deleted posts leave the manifest."""
        self.posts = {
            m.source: PostEntry(
                library.sources[m.source].digest, m, library.warnings.get(m.source, ()),
                library.sources[m.source].stat,
            )
            for m in library.metas
        }  # fmt: skip

    def remember(self, name: str, entry: OutputEntry) -> None:
        """An output group as written, stamped now."""
        self.entries[name] = replace(entry, stamp=stamp(self.out / _path(name)))

    def forget(self, name: str) -> None:
        self.entries.pop(name, None)

    def count(self, name: str) -> int:
        entry = self.entries.get(name)
        return entry.count if entry else 0

    def keep_stylesheets(self, table: Mapping) -> None:
        """The stylesheets this process parsed or used (memo.STYLESHEETS) that are plain data, for the next
        build; when it inlined nothing (a pool's workers did), the ones it found stay."""
        if table:
            self.stylesheets = {k: v for k, v in table.items() if isinstance(k, str) and _is_stylesheet(v)}

    def dumps(self) -> bytes:
        data = {
            "fingerprint": self.fp,
            "posts": {s: e.to_json() for s, e in self.posts.items()},
            "entries": {n: e.to_json() for n, e in self.entries.items()},
        }
        if self.stylesheets:
            data["stylesheets"] = self.stylesheets
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


# premailer's parse of a stylesheet: [((important, ids, classes, elements, sheet, index), selector,
# declarations)], [(selector, declarations)] for the pseudo-class rules it leaves in the head
Stylesheet = tuple[list[tuple[tuple[int, ...], str, str]], list[tuple[str, str]]]


# What no parse of a template's CSS gives, and what would let a hand-edited manifest close the <style>
# element or trip lxml: markup, NUL and other control characters, lone surrogates.
_NOT_CSS = re.compile(r"[<\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_MOST_RULES = 5000  # far beyond any email's stylesheet: a bigger entry is not kept


def _is_stylesheet(value: Any) -> bool:
    try:
        rules, leftover = value
        if len(rules) + len(leftover) > _MOST_RULES:
            return False
        return all(
            len(spec) == 6 and all(type(n) is int for n in spec) and _css(selector, bulk)
            for spec, selector, bulk in rules
        ) and all(_css(selector, bulk) for selector, bulk in leftover)
    except (TypeError, ValueError):  # another shape (a cssutils rule left over, say): not kept
        return False


def _css(selector: Any, bulk: Any) -> bool:
    return (
        type(selector) is str and type(bulk) is str and selector.strip() != ""
        and not _NOT_CSS.search(selector) and not _NOT_CSS.search(bulk)
    )  # fmt: skip


def _stylesheets(data: Any) -> dict[str, Stylesheet]:
    """The manifest's parsed stylesheets, as premailer gives them (tuples); one of another shape is
    left out (parsed again)."""
    if not isinstance(data, dict):
        return {}
    found: dict[str, Stylesheet] = {}
    for name, value in list(data.items())[:32]:  # as many as the run's table holds
        if not (isinstance(name, str) and isinstance(value, list) and len(value) == 2):
            continue
        try:
            rules = [(tuple(spec), selector, bulk) for spec, selector, bulk in value[0]]
            leftover = [(selector, bulk) for selector, bulk in value[1]]
        except (TypeError, ValueError):
            continue
        if _is_stylesheet((rules, leftover)):
            found[name] = (rules, leftover)
    return found


class Memory(NoStore):
    """The preview's store: what it rendered is in memory, so a matching key suffices. Posts are kept as
    objects (no JSON round trip per post per save), parsed posts of rendered issues are kept for the next
    save, and a post file whose stat is unchanged is not read or hashed again."""

    def __init__(self, fp: str):
        super().__init__(fp)
        # output group -> (key, warnings, its links into the blog: path -> it ended at a post)
        self.entries: dict[str, tuple[str, Warnings, Mapping[str, bool]]] = {}
        self._metas: dict[str, tuple[str, PostMeta, Warnings]] = {}
        self._parsed: dict[str, tuple[str, Post]] = {}
        self.read = Rereader()

    def post(self, source: Source) -> tuple[PostMeta, Warnings] | None:
        known = self._metas.get(source.source)
        return (known[1], known[2]) if known is not None and known[0] == source.digest else None

    def parsed(self, library: Library) -> Library:
        kept = {
            s: post
            for s, (digest, post) in self._parsed.items()
            if s in library.sources and library.sources[s].digest == digest
        }
        return replace(library, parsed={**kept, **library.parsed})

    def fresh(self, name: str, entry_key: str, known: Any = None) -> Warnings | None:
        """As the manifest's: each link into the blog must still end, or still not end, at a post."""
        entry = self.entries.get(name)
        if entry is None or entry[0] != entry_key:
            return None
        if known is not None and any((path in known) != ok for path, ok in entry[2].items()):
            return None
        return entry[1]

    def keep(
        self, name: str, entry_key: str, warnings: Iterable[Problem], links: Mapping[str, bool] | None = None
    ) -> None:
        self.entries[name] = (entry_key, tuple(w for w in warnings if not w.is_error), links or {})

    def forget(self, names: Iterable[str]) -> None:
        """Outputs the preview no longer holds (a week whose only post became a draft or was removed):
        made again when they are wanted, even from the same posts as the last time."""
        for name in names:
            self.entries.pop(name, None)

    def remember_posts(self, library: Library, rendered: Iterable[Post]) -> None:
        """Every post's metadata, and the parsed posts of the issues just rendered (with those kept
        before whose file is unchanged)."""
        digests = {m.source: library.sources[m.source].digest for m in library.metas}
        self._metas = {
            m.source: (digests[m.source], m, library.warnings.get(m.source, ())) for m in library.metas
        }
        parsed = {s: (d, p) for s, (d, p) in self._parsed.items() if digests.get(s) == d}
        parsed.update((p.source, (digests[p.source], p)) for p in rendered if p.source in digests)
        self._parsed = parsed


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
