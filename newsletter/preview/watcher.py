"""The preview's watcher: one rebuild per burst of saves in the project's sources."""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import struct
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from newsletter.preview.state import Preview

# How long watchfiles waits for the next change before it reports a burst, in ms. 50 ms made a save
# wait about 100 ms before its rebuild began; at 20 ms an editor's burst of writes may now and then be
# two rebuilds, the second one right after the first (changes during a rebuild are kept). A module
# value so that a test can widen it: on a loaded machine a burst written in a loop can span 20 ms.
QUIET_MS = 20

# Linux's inotify says when a writer *closed* a file (or renamed its new copy into place): the save is
# whole then, and waiting for watchfiles' quiet step (20-40 ms of each save's 100) buys nothing. Those
# events rebuild after a much shorter quiet (a burst of closed writes is still one rebuild); watchfiles
# stays the watcher of everything else (deletions, new folders, other systems) and skips a burst the
# fast path already rebuilt for. tests/benchmarks/bench_preview.py measures what it buys.
CLOSED_QUIET_MS = 4  # a burst of closed writes (a loop of writes, an editor's two) is one rebuild
_IN_CLOSE_WRITE, _IN_MOVED_FROM, _IN_MOVED_TO, _IN_DONT_FOLLOW = 0x8, 0x40, 0x80, 0x02000000
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)


def watch(preview: Preview, stop: threading.Event, ready: threading.Event | None = None) -> None:
    """Rebuild once per burst of saves in posts/, issues/, templates/ or setup.cfg. `ready` is set once
    the inotify watches are in place (at once where there are none): the preview's start waits for it,
    so a save made right after the start is not missed."""
    import watchfiles

    root = preview.root
    ready = ready or threading.Event()
    handled: dict[str, tuple[int, int, int]] = {}  # path -> its stat when the fast path rebuilt for it
    if sys.platform.startswith("linux"):
        args = (preview, stop, handled, ready)
        threading.Thread(target=_closed_writes, args=args, daemon=True, name="newsletter-inotify").start()
    else:
        ready.set()

    def relevant(change, path: str) -> bool:
        return _relevant(preview, Path(path))

    for changes in watchfiles.watch(
        root, watch_filter=relevant, step=QUIET_MS, debounce=1600, stop_event=stop
    ):
        # skipped only when the fast path rebuilt for every path, as it is now (a file deleted that it
        # never saw is not "unchanged": None against no entry)
        paths = {path for _, path in changes}
        if not all(path in handled and handled[path] == _stat(path) for path in paths):
            preview.rebuild()
        for (
            path
        ) in paths:  # an entry answers for watchfiles' one report of that save: what comes later is news
            handled.pop(path, None)


def _relevant(preview: Preview, target: Path) -> bool:
    root, settings = preview.root, preview.snapshot.settings
    posts = settings.posts_dir if settings else root / "posts"
    templates = settings.templates_dir if settings else root / "templates"
    return (
        target == root / "setup.cfg"
        or target.is_relative_to(posts)
        or target.is_relative_to(templates)
        or target.is_relative_to(root / "issues")
    )


def _a_source(preview: Preview, target: Path) -> bool:
    """A post, social file, issue file, template or setup.cfg: never an editor's backup (`post.md~`,
    renamed into place before the new file is written), swap or temporary file, which watchfiles sees."""
    if target.name.startswith(".") or target.name.endswith("~") or not _relevant(preview, target):
        return False
    settings = preview.snapshot.settings
    templates = settings.templates_dir if settings else preview.root / "templates"
    if target.is_relative_to(templates):
        return bool(target.suffix)  # not vim's `4913` test file
    return target.suffix in (".md", ".yaml", ".cfg")


def _stat(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _closed_writes(preview: Preview, stop: threading.Event, handled: dict, ready: threading.Event) -> None:
    """Rebuild when a relevant file's writer closes it or renames it into place, after CLOSED_QUIET_MS
    of quiet. Any failure (no inotify, too many watches) leaves the preview to watchfiles alone."""
    try:
        _rebuild_on_close(preview, stop, handled, ready)
    finally:
        ready.set()  # no inotify (an error setting it up): the start waits no longer, watchfiles watches


def _rebuild_on_close(preview: Preview, stop: threading.Event, handled: dict, ready: threading.Event) -> None:
    with contextlib.suppress(OSError, AttributeError), _inotify(preview, ready) as (fd, folders):
        quiet = CLOSED_QUIET_MS / 1000
        while not stop.is_set():
            if not select.select([fd], [], [], 0.25)[0]:
                continue
            events = list(_events(fd, folders))
            while select.select([fd], [], [], quiet)[0]:  # a burst: wait until it is over
                events += _events(fd, folders)
            saved = {p for mask, _, p in events if mask & (_IN_CLOSE_WRITE | _IN_MOVED_TO)}
            saved = {p for p in saved if _a_source(preview, Path(p))}
            if saved:
                # The copy a save renamed into place (`sed -i`'s, an atomic writer's) is handled too:
                # watchfiles reports it as added and deleted, and it is gone (None, as its stat is now)
                origins = {c: p for mask, c, p in events if mask & _IN_MOVED_FROM and c}
                renamed = {
                    origins[c] for mask, c, p in events if mask & _IN_MOVED_TO and p in saved and c in origins
                }
                handled.update((p, _stat(p)) for p in saved | renamed)
                preview.rebuild()


@contextlib.contextmanager
def _inotify(preview: Preview, ready: threading.Event) -> Iterator[tuple[int, dict[int, str]]]:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    try:
        folders: dict[int, str] = {}
        for folder in _folders(preview):
            wd = libc.inotify_add_watch(
                fd, os.fsencode(folder), _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_DONT_FOLLOW
            )
            if wd >= 0:
                folders[wd] = folder
        ready.set()
        yield fd, folders
    finally:
        os.close(fd)


def _folders(preview: Preview) -> list[str]:
    """The project folder (setup.cfg) and every folder under posts/, issues/ and templates/ at start,
    never through a link (a folder added later is watchfiles' to see)."""
    root, settings = preview.root, preview.snapshot.settings
    tops = [root / "posts", root / "issues", root / "templates"]
    if settings is not None:
        tops[0], tops[2] = settings.posts_dir, settings.templates_dir
    found = [str(root)]
    for top in tops:
        if top.is_dir() and not top.is_symlink():
            found.append(str(top))
            found += [str(Path(d) / n) for d, names, _ in os.walk(top) for n in names]
    return [f for f in found if not os.path.islink(f)]


def _events(fd: int, folders: dict[int, str]) -> Iterator[tuple[int, int, str]]:
    """(mask, cookie, path) of the events waiting on `fd` (an overflowed queue is watchfiles' to see);
    a rename's two halves share their cookie."""
    try:
        data = os.read(fd, 64 * 1024)
    except BlockingIOError:
        return
    at = 0
    while at + _EVENT.size <= len(data):
        wd, mask, cookie, size = _EVENT.unpack_from(data, at)
        name = data[at + _EVENT.size : at + _EVENT.size + size].rstrip(b"\0")
        at += _EVENT.size + size
        if wd in folders and name:
            yield mask, cookie, os.path.join(folders[wd], os.fsdecode(name))
