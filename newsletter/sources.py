"""Finding and reading the post files: the only place that touches posts/ on disk."""

from __future__ import annotations

import hashlib
import os
import stat
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
