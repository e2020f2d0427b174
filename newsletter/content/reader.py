"""Finding and reading the post files: the only place that touches posts/ on disk."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from newsletter.content.settings import Settings
from newsletter.errors import Problems

# A post is prose: far below this. The cap keeps a stray video or /dev/zero from being read whole.
MAX_POST_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    path: Path
    source: str  # as messages show it
    raw: bytes | None  # None: not read, its stat vouched for it (see StatReader); `contents` reads it
    digest: str
    stat: tuple[int, ...] | None = None  # (size, mtime, ctime, inode, device) before the read; None: racy


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
    # scandir, not glob + is_symlink: the directory entry tells a link apart without a stat per file.
    with os.scandir(folder) as scan:
        found = sorted((entry.name, entry.is_symlink()) for entry in scan if entry.name.endswith(".md"))
    for name, link in found:
        path = folder / name
        try:
            outside = link and not path.resolve(strict=True).is_relative_to(root)
        except (OSError, RuntimeError):  # a dangling link or a loop
            problems.warn(settings.relative(path), 0, "broken symbolic link: not followed", "symlink")
            continue
        if outside:
            problems.warn(
                settings.relative(path), 0, "symbolic link to outside the project: not followed", "symlink"
            )
            continue
        files.append(path)
    return files


def read_sources(paths: list[Path], settings: Settings, problems: Problems) -> list[Source]:
    sources = []
    settled = _settled()
    for path in paths:
        where = settings.relative(path)
        raw, info = _read_with_stat(path, where, problems)
        if raw is not None:
            kept = info if info is not None and info[1] < settled else None
            sources.append(Source(path, where, raw, hashlib.sha256(raw).hexdigest(), kept))
    return sources


def contents(source: Source, problems: Problems) -> bytes | None:
    """The bytes of a post, read now when the source was vouched for by its stat and not read."""
    return source.raw if source.raw is not None else _read(source.path, source.source, problems)


class StatReader:
    """read_sources for a build with a manifest: a post whose size, mtime, ctime and inode are the ones
    the last build recorded is neither read nor hashed (its digest is the manifest's); it is read only
    when it must be parsed (an issue of it is rendered again). At 4,000 posts this is one stat per
    post instead of an open, read and SHA-256. Stats are recorded only for files last modified more
    than RACY_SECONDS before they were read (two saves within a clock tick could keep the stat)."""

    def __init__(self, known: dict[str, tuple[tuple[int, ...], str]]):
        self.known = known  # source -> (stat, digest), from the manifest

    def __call__(self, paths: list[Path], settings: Settings, problems: Problems) -> list[Source]:
        vouched, rest = [], []
        for path in paths:
            where = settings.relative(path)
            hit = self.known.get(where)
            info = _stat(path) if hit is not None else None
            if hit is not None and info is not None and hit[0] == info:
                vouched.append(Source(path, where, None, hit[1], info))
            else:
                rest.append(path)
        read = {s.path: s for s in read_sources(rest, settings, problems)}
        made = {s.path: s for s in vouched} | read
        return [made[p] for p in paths if p in made]


class Rereader:
    """read_sources for a long-running process (the preview): a file whose size, mtime, ctime and inode
    are as when it was last read is not read or hashed again. The stat is taken before the read, so a
    save during it is seen next time; a file modified less than RACY_SECONDS before it was read is read
    again every time (a second save in the same clock tick, same size, would keep the stat)."""

    def __init__(self) -> None:
        self._read: dict[Path, tuple[tuple[int, ...], Source]] = {}

    def __call__(self, paths: list[Path], settings: Settings, problems: Problems) -> list[Source]:
        old, stamps = self._read, {path: _stat(path) for path in paths}
        known = {p: old[p][1] for p in paths if p in old and stamps[p] is not None and old[p][0] == stamps[p]}
        read = {s.path: s for s in read_sources([p for p in paths if p not in known], settings, problems)}
        settled = time.time_ns() - int(RACY_SECONDS * 1e9)
        sources = [s for p in paths if (s := known.get(p) or read.get(p)) is not None]
        self._read = {
            s.path: (stamps[s.path], s) for s in sources if (stamps[s.path] or (0, settled))[1] < settled
        }
        return sources


RACY_SECONDS = 2.0  # coarse file systems keep mtimes to the second or two


def _stat(path: Path) -> tuple[int, ...] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def _settled() -> int:
    return time.time_ns() - int(RACY_SECONDS * 1e9)


def _read(path: Path, where: str, problems: Problems) -> bytes | None:
    return _read_with_stat(path, where, problems)[0]


def _read_with_stat(
    path: Path, where: str, problems: Problems
) -> tuple[bytes | None, tuple[int, ...] | None]:
    """A regular file only: opening a FIFO or a device would block or never end. The stat is the
    open file's, taken before the read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        problems.error(where, 0, f"cannot be read: {exc.strerror}", "encoding")
        return None, None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        stamp = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
        if not stat.S_ISREG(info.st_mode):
            problems.error(
                where, 0, "not a regular file (a pipe, device or folder): use a .md file", "encoding"
            )
            return None, None
        if info.st_size > MAX_POST_BYTES:
            problems.error(
                where, 0, f"is {info.st_size} bytes; posts are limited to {MAX_POST_BYTES} bytes", "encoding"
            )
            return None, None
        try:
            return handle.read(MAX_POST_BYTES + 1), stamp
        except OSError as exc:
            problems.error(where, 0, f"cannot be read: {exc.strerror}", "encoding")
            return None, None
