"""Reading project files: the only place that opens posts, issue files, templates and setup.cfg.

Every project input is read the same way: a regular file only (a FIFO would block, a device never end,
a folder named like a file is not one), at most its kind's size cap, and no symbolic link that leads out
of the project. Messages name the file as the user sees it."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from newsletter.errors import Problems, closest

# What an XML/HTML tree refuses in its text (lxml raises): a template holding one cannot make an email
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Settings(Protocol):
    """What reading needs of content.settings.Settings (not imported: settings.py reads setup.cfg
    through this module)."""

    @property
    def root(self) -> Path: ...
    @property
    def posts_dir(self) -> Path: ...
    @property
    def templates_dir(self) -> Path: ...
    def relative(self, path: Path) -> str: ...


# The default templates, shipped inside the package; a project's own file of the same name wins.
PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Caps: far above any real file of the kind, low enough that a stray video or /dev/zero is never read whole.
MAX_POST_BYTES = 1024 * 1024  # posts and issue files: a weekly article is a few KB
MAX_TEMPLATE_BYTES = 256 * 1024  # the packaged email.html is 4 KB, and an email over 102 KB is clipped
MAX_SETTINGS_BYTES = 128 * 1024  # a setup.cfg with every tool's section is a few KB
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # a phone's full-size photo is 3-12 MB; a video renamed .jpg is more


@dataclass(frozen=True)
class Kind:
    """What a file is to the project: its size cap and how messages talk about it."""

    limited: str  # "posts are", as in "posts are limited to N bytes"
    limit: int
    fix: str  # what to put there instead of a pipe, device or folder


POST = Kind("posts are", MAX_POST_BYTES, "use a .md file")
ISSUE_FILE = Kind("issue files are", MAX_POST_BYTES, "use a .md file")
TEMPLATE = Kind("templates are", MAX_TEMPLATE_BYTES, "use a text file")
SETTINGS = Kind("setup.cfg is", MAX_SETTINGS_BYTES, "use a text file")
IMAGE = Kind("images are", MAX_IMAGE_BYTES, "use a picture file (PNG, JPEG, GIF or WebP)")
SOCIAL = Kind("social files are", MAX_POST_BYTES, "make it a regular .social.yaml file")

# A post's social file: the captions the social manager edited, beside the post and named after its file
# (posts/2026-10-17-why-facial-muscles-need-movement.social.yaml). It is read with its post: its bytes
# are part of the post's digest and its stat of the post's, so editing it rebuilds that post's issue.
SOCIAL_SUFFIX = ".social.yaml"


def social_path(post: Path) -> Path:
    return post.with_name(post.stem + SOCIAL_SUFFIX)


def post_of_social(path: Path) -> Path:
    """The post a social file belongs to (the file it is named after)."""
    return path.with_name(path.name.removesuffix(SOCIAL_SUFFIX) + ".md")


def leads_out(path: Path, root: Path) -> str:
    """'' when `path` (through every link on the way) stays inside `root`; else why it may not be
    followed: 'outside' (it resolves out of the project) or 'broken' (a dangling link or a loop)."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "broken" if os.path.lexists(path) else ""
    return "" if resolved.is_relative_to(root.resolve()) else "outside"


LINK_MESSAGES = {
    "outside": "symbolic link to outside the project: not followed",
    "broken": "broken symbolic link: not followed",
}


def list_folder(folder: Path, suffix: str, settings: Settings, problems: Problems) -> list[Path]:
    """Sorted entries of `folder` named *suffix; links that leave the project (or lead nowhere) are
    skipped with a warning naming them. The folder itself was checked with the settings."""
    root = settings.root.resolve()
    # scandir, not glob + is_symlink: the directory entry tells a link apart without a stat per file.
    with os.scandir(folder) as scan:
        found = sorted((entry.name, entry.is_symlink()) for entry in scan if entry.name.endswith(suffix))
    files = []
    for name, link in found:
        path = folder / name
        if link and (why := leads_out(path, root)):
            problems.warn(settings.relative(path), 0, LINK_MESSAGES[why], "symlink")
            continue
        files.append(path)
    return files


def read_file(path: Path, where: str, problems: Problems, kind: Kind = POST) -> bytes | None:
    """The bytes of one project file, or None with the problem reported (see the module's rules;
    links are the caller's to check, as only it knows whether the path came from the project)."""
    return _open_read(path, where, problems, kind)[0]


def decode_text(raw: bytes, where: str, problems: Problems) -> str | None:
    """UTF-8 text without a leading BOM, or None with the offending byte's line and offset reported."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.error(
            where,
            line,
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}; save the file as UTF-8",
            "encoding",
        )
        return None


def template_usable(path: Path, settings: Settings) -> bool:
    """A project template the loader takes: there, and not a link (on any part of the way) that leads
    out of the project or nowhere. A pipe or folder in its place is taken: reading it says what is wrong."""
    return os.path.lexists(path) and not leads_out(path, settings.root)


def template_text(settings: Settings, name: str, problems: Problems) -> str | None:
    """The project's own template `name` as the loader reads it; None when there is none or it is a
    link out of the project, or with the problem reported when it cannot be read."""
    path = settings.templates_dir / name
    if not template_usable(path, settings):
        return None
    return read_template(path, settings.relative(path), problems)


def read_template(path: Path, where: str, problems: Problems) -> str | None:
    """A template's text (regular file, TEMPLATE's cap, UTF-8); problems carry the "template" rule."""
    found = Problems()
    raw = read_file(path, where, found, TEMPLATE)
    text = decode_text(raw, where, found) if raw is not None else None
    if text is not None and (bad := _NOT_XML.search(text)):
        line = text.count("\n", 0, bad.start()) + 1
        found.error(where, line, f"control character U+{ord(bad.group()):04X}: the email's HTML cannot hold it "
                    "(lxml, which premailer prints it with, refuses it); delete it", "template")  # fmt: skip
        text = None
    problems.extend(replace(p, rule="template") for p in found.items)
    return text


def template_files(settings: Settings) -> list[tuple[str, bytes | None]]:
    """Every file of templates_dir the loader could use, by name, with its bytes (None: unreadable;
    its error comes when it is rendered): what a build's fingerprint covers."""
    return [
        (name, read_file(path, name, Problems(), TEMPLATE))
        for name, path, usable in sorted(_template_entries(settings))
        if usable
    ]


def template_link_warnings(settings: Settings, problems: Problems) -> None:
    """A warning for each entry of templates_dir that is a symbolic link the loader does not follow."""
    for name, path, usable in sorted(_template_entries(settings)):
        if not usable:
            why = leads_out(path, settings.root)
            fallback = "; the packaged template is used" if (PACKAGED_TEMPLATES / name).is_file() else ""
            problems.warn(settings.relative(path), 0, f"{LINK_MESSAGES[why]}{fallback}", "symlink")


def _template_entries(settings: Settings) -> Iterator[tuple[str, Path, bool]]:
    """(name, path, usable) of every entry under templates_dir, and of every link there that leads out
    of the project or nowhere (not usable, not entered). Links inside the project are followed, each
    folder once (a link to a folder above would loop)."""
    seen: set[Path] = set()
    stack = [(settings.templates_dir, "")]
    while stack:
        folder, prefix = stack.pop()
        if not folder.is_dir() or folder.resolve() in seen:
            continue
        seen.add(folder.resolve())
        with os.scandir(folder) as scan:
            entries = sorted((entry.name, entry.is_symlink(), entry.is_dir()) for entry in scan)
        for name, link, is_dir in entries:
            path = folder / name
            if link and leads_out(path, settings.root):
                yield prefix + name, path, False
            else:  # a folder too: one named like a template (email.txt/) is an error the render will say
                yield prefix + name, path, True
                if is_dir:
                    stack.append((path, f"{prefix}{name}/"))


@dataclass(frozen=True)
class Source:
    path: Path
    source: str  # as messages show it
    raw: bytes | None  # None: not read, its stat vouched for it (see StatReader); `contents` reads it
    digest: str  # of the post's bytes, and of its social file's when it has one
    # (size, mtime, ctime, inode, device) before the read, then the same of its social file when it has
    # one; None: racy
    stat: tuple[int, ...] | None = None
    social: bytes | None = None  # the social file's bytes, read with the post (None: it has none)


def list_sources(settings: Settings, problems: Problems) -> list[Path]:
    """Sorted *.md in posts_dir; links that leave the project are skipped with a warning, and so is a
    social file named after no post (its edits would silently go unused)."""
    folder = settings.posts_dir
    if not folder.is_dir():
        problems.error(
            settings.relative(folder), 0, "posts folder not found; create it or set posts_dir", "posts-dir"
        )
        return []
    posts = list_folder(folder, ".md", settings, problems)
    _orphans(list_folder(folder, SOCIAL_SUFFIX, settings, problems), posts, settings, problems)
    return posts


def _orphans(socials: list[Path], posts: list[Path], settings: Settings, problems: Problems) -> None:
    stems = {p.stem for p in posts}
    for path in socials:
        stem = post_of_social(path).stem
        if stem in stems:
            continue
        hint = closest(stem, sorted(stems), cutoff=0.5)
        fix = f"rename it {hint}{SOCIAL_SUFFIX}" if hint else "name it after its post's file"
        problems.warn(settings.relative(path), 0, f"no post {stem}.md beside it, so its captions are not "
                      f"used; {fix}", "social-file")  # fmt: skip


def read_sources(paths: list[Path], settings: Settings, problems: Problems) -> list[Source]:
    sources = []
    settled = _settled()
    for path in paths:
        where = settings.relative(path)
        raw, info = _read_with_stat(path, where, problems)
        if raw is None:
            continue
        social, extra = _read_social(path, settings, problems)
        kept = (
            info + extra
            if info is not None and extra is not None and _mtime(info + extra) < settled
            else None
        )
        sources.append(Source(path, where, raw, _digest(raw, social), kept, social))
    return sources


def _digest(raw: bytes, social: bytes | None) -> str:
    digest = hashlib.sha256(raw)
    if social is not None:  # a post without one keeps the digest it always had
        digest.update(b"\0" + SOCIAL_SUFFIX.encode() + b"\0" + social)
    return digest.hexdigest()


def contents(source: Source, problems: Problems) -> bytes | None:
    """The bytes of a post, read now when the source was vouched for by its stat and not read."""
    return source.raw if source.raw is not None else _read(source.path, source.source, problems)


def social_contents(source: Source, settings: Settings, problems: Problems) -> bytes | None:
    """The bytes of a post's social file (None: it has none), read now when the post was not read."""
    if source.raw is not None:
        return source.social
    return _read_social(source.path, settings, problems)[0]


def _social_file(post: Path, settings: Settings) -> Path | None:
    """The post's social file when it has one the reader may follow (a link out of the project is
    not: the listing warned about it)."""
    path = social_path(post)
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode) and leads_out(path, settings.root):
        return None
    return path


def _read_social(
    post: Path, settings: Settings, problems: Problems
) -> tuple[bytes | None, tuple[int, ...] | None]:
    """The social file's bytes and stat; (None, ()) when the post has none."""
    path = _social_file(post, settings)
    if path is None:
        return None, ()
    return _open_read(path, settings.relative(path), problems, SOCIAL)


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
            info = _stat(path, settings) if hit is not None else None
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
        old, stamps = self._read, {path: _stat(path, settings) for path in paths}
        known = {p: old[p][1] for p in paths if p in old and stamps[p] is not None and old[p][0] == stamps[p]}
        read = {s.path: s for s in read_sources([p for p in paths if p not in known], settings, problems)}
        settled = time.time_ns() - int(RACY_SECONDS * 1e9)
        sources = [s for p in paths if (s := known.get(p) or read.get(p)) is not None]
        self._read = {
            s.path: (stamp, s)
            for s in sources
            if (stamp := stamps[s.path]) is not None and _mtime(stamp) < settled
        }
        return sources


RACY_SECONDS = 2.0  # coarse file systems keep mtimes to the second or two


def _stat(path: Path, settings: Settings) -> tuple[int, ...] | None:
    """A post's stat, then its social file's when it has one (a social file added, edited or removed
    changes it)."""
    info = file_stamp(path)
    if info is None:
        return None
    social = _social_file(path, settings)
    if social is None:
        return info
    extra = file_stamp(social)
    return info + extra if extra is not None else None


def file_stamp(path: Path) -> tuple[int, ...] | None:
    """What tells a file's version from another without reading it (None when it cannot be stat'ed):
    the ctime and inode catch an edit that kept the size and the modification time."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def _mtime(stamp: tuple[int, ...]) -> int:
    """The newest modification time of a post's stat (and its social file's: every fifth field)."""
    return max(stamp[1::5])


def _settled() -> int:
    return time.time_ns() - int(RACY_SECONDS * 1e9)


def _read(path: Path, where: str, problems: Problems) -> bytes | None:
    return _read_with_stat(path, where, problems)[0]


def _read_with_stat(
    path: Path, where: str, problems: Problems
) -> tuple[bytes | None, tuple[int, ...] | None]:
    """A post's bytes and stat (the tests count post reads here)."""
    return _open_read(path, where, problems, POST)


def _open_read(
    path: Path, where: str, problems: Problems, kind: Kind
) -> tuple[bytes | None, tuple[int, ...] | None]:
    """A regular file only: opening a FIFO or a device would block or never end, and a folder has no
    bytes. O_NONBLOCK keeps the open of a FIFO from waiting for a writer; the type is checked on the
    open file (no race with a rename), before anything is read. The stat is taken before the read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        problems.error(where, 0, f"cannot be read: {exc.strerror}", "encoding")
        return None, None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            problems.error(where, 0, f"not a regular file (a pipe, device or folder): {kind.fix}", "encoding")
            return None, None
        if info.st_size > kind.limit:
            problems.error(
                where, 1, f"the file is {info.st_size:,} bytes; {kind.limited} limited to {kind.limit:,} bytes",
                "encoding",
            )  # fmt: skip
            return None, None
        stamp = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
        with os.fdopen(fd, "rb") as handle:
            fd = -1  # the handle owns it now
            data = handle.read(kind.limit + 1)
    except OSError as exc:
        problems.error(where, 0, f"cannot be read: {exc.strerror}", "encoding")
        return None, None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > kind.limit:  # it grew after the stat
        problems.error(where, 1, f"the file is over {kind.limit:,} bytes; {kind.limited} limited to "
                       f"{kind.limit:,} bytes", "encoding")  # fmt: skip
        return None, None
    return data, stamp
