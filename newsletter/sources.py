"""Finding and reading the post files: the only place that touches posts/ on disk."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import Problems

# A post is prose: far below this. The cap keeps a stray video or /dev/zero from being read whole.
MAX_POST_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    path: Path
    source: str  # as messages show it
    raw: bytes
    digest: str


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
    for path in paths:
        where = settings.relative(path)
        raw = _read(path, where, problems)
        if raw is not None:
            sources.append(Source(path, where, raw, hashlib.sha256(raw).hexdigest()))
    return sources


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


def _read(path: Path, where: str, problems: Problems) -> bytes | None:
    """A regular file only: opening a FIFO or a device would block or never end."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        problems.error(where, 0, f"cannot be read: {exc.strerror}", "encoding")
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            problems.error(
                where, 0, "not a regular file (a pipe, device or folder): use a .md file", "encoding"
            )
            return None
        if info.st_size > MAX_POST_BYTES:
            problems.error(
                where, 0, f"is {info.st_size} bytes; posts are limited to {MAX_POST_BYTES} bytes", "encoding"
            )
            return None
        try:
            return handle.read(MAX_POST_BYTES + 1)
        except OSError as exc:
            problems.error(where, 0, f"cannot be read: {exc.strerror}", "encoding")
            return None
