"""Phase 2: the only writer of build/. Each issue folder is replaced whole (built aside, then swapped in),
so a reader or a killed build sees the old folder or the new one, never a mix; single files are
replaced atomically; a lock keeps two builds from writing one folder at once."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from newsletter.content.settings import Settings
from newsletter.errors import NewsletterError

LOCK = ".newsletter.lock"
LOCK_WAIT_SECONDS = 60.0
WEEK_FOLDER = re.compile(r"\d{4}-W\d{2}")
CAPTIONS = ".newsletter-captions"  # build/'s captions of each post (run.store.Kept), bookkeeping
# Names this tool writes inside an issue folder; anything else there is the user's and is kept.
OURS = re.compile(
    r"index\.html|email\.(html|txt|eml)|captions\.(json|md)|captions-[\w-]+\.csv|social/.+\.txt|cards/.+\.png"
    r"|images/[\w-]+\.(png|jpg|gif)"
    r"|images/logo-[0-9a-f]+\.[a-z]+"  # the brand's logo (content.brand), named by its content
)
# Pictures named by their content (email.images, content.brand): a sent email points at them, so once an
# issue folder holds one, no rebuild removes it (an edited picture gets a new name beside the old one).
KEPT = re.compile(r"images/[\w-]+-[0-9a-f]{8}\.(png|jpg|gif)|images/logo-[0-9a-f]{12}\.(png|jpg|gif|webp)")
_TEMP = re.compile(r"\..+\.tmp-\d+(-\d+)?")


@dataclass(frozen=True)
class Written:
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]


SELECTED = "selected"  # build --post writes into build_dir/selected/: never over the week's issue


def check_out(given: Path | None, settings: Settings, selected: bool = False) -> Path:
    """The output folder (--out, else build_dir; for hand-picked posts, build_dir/selected), resolved;
    refused, before anything is written or removed, when it is a symbolic link (the swaps and the
    clean-up of `build --all` would act in the link's target), when its clean-up or swaps could touch
    the project's sources, or when hand-picked posts would replace the week's published issue."""
    out = given if given is not None else settings.build_dir / SELECTED if selected else settings.build_dir
    label = f"--out {settings.relative(out.absolute())}" if given is not None else settings.relative(out)
    if out.is_symlink():
        raise NewsletterError(
            f"{label}: is a symbolic link (to {os.readlink(out)}); the build replaces and removes folders "
            "inside its output folder, so it does not write through a link: give the real folder instead"
        )
    out = out.resolve()
    shown = f"--out {settings.relative(out)}" if given is not None else settings.relative(out)
    if out.exists() and not out.is_dir():
        raise NewsletterError(f"{shown}: is a file, not a folder; choose a folder such as build/")
    if selected and out == settings.build_dir.resolve():
        raise NewsletterError(
            f"{shown}: is where the weekly issues are published; a build of chosen posts (--post) would "
            f"replace that week's issue there: leave out --out (it writes into "
            f"{settings.relative(settings.build_dir / SELECTED)}/) or choose another folder"
        )
    root = settings.root.resolve()
    if root.is_relative_to(out):
        raise NewsletterError(
            f"{shown}: contains the project's setup.cfg; choose a folder inside it, such as build/"
        )
    for name, source in _sources(settings):
        if out == source or out.is_relative_to(source) or source.is_relative_to(out):
            raise NewsletterError(
                f"{shown}: is or contains the {name} ({settings.relative(source)}); "
                "choose an output folder outside the sources, such as build/"
            )
    return out


def check_export(target: Path, settings: Settings) -> None:
    """`social --out`: a file or folder anywhere but inside the project's sources (an export named
    like a post would replace it) and not setup.cfg itself."""
    real = target.resolve()
    shown = settings.relative(real)
    if real == (settings.root / "setup.cfg").resolve():
        raise NewsletterError(f"--out {shown}: is the project's setup.cfg; choose another file")
    for name, source in _sources(settings):
        if real == source or real.is_relative_to(source):
            raise NewsletterError(
                f"--out {shown}: is inside the {name} ({settings.relative(source)}); "
                "write exports outside the sources"
            )


def _sources(settings: Settings) -> tuple[tuple[str, Path], ...]:
    """The folders the project reads, resolved."""
    return (
        ("posts folder", settings.posts_dir),
        ("templates folder", settings.templates_dir),
        ("issues folder", settings.issues_dir.resolve()),
    )


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """One build at a time per output folder: a second one waits, then gives up with a clear message."""
    make_folder(out)
    try:
        # O_NOFOLLOW: a symbolic link planted as the lock file would make the build create or lock a
        # file outside the output folder.
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        handle = os.fdopen(fd, "a+b")  # held for the whole block
    except OSError as exc:
        raise NewsletterError(
            f"{out}: cannot write: {exc.strerror}; check the folder's permissions"
        ) from None
    with handle:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise NewsletterError(
                        f"{out}: another build has been writing here for {LOCK_WAIT_SECONDS:.0f} s; "
                        "wait for it to finish or build into another folder with --out"
                    ) from None
                time.sleep(0.05)
        try:
            _clean_temp(out)
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _clean_temp(out: Path) -> None:
    """Temp files and folders of a build that was killed: nobody else holds the lock, so they are stale."""
    for path in out.iterdir():
        if _TEMP.fullmatch(path.name):
            _remove(path)


@dataclass(frozen=True)
class Staged:
    """One issue folder made ready aside by the worker that rendered it (`stage_issue`)."""

    week: str
    names: tuple[str, ...]  # the files of ours it holds, sorted
    changed: bool  # False: out/WEEK already holds exactly these files; nothing was staged
    removed: tuple[str, ...]  # files of ours in out/WEEK that the new folder no longer has
    kept: tuple[str, ...] = ()  # files of ours whose bytes were already there: linked, not rewritten


@dataclass(frozen=True)
class Stager:
    """Called in the worker with each rendered issue: its folder is written under `root` (inside the
    output folder, so the swap is a rename), and only a small record goes back to the parent, so the
    build's memory does not grow with the archive. The parent swaps the folders in once every issue
    succeeded (`commit`); when phase 1 found errors, `root` is removed and build/ is untouched."""

    out: Path
    root: Path

    def __call__(self, week: str, files: Mapping[str, bytes]) -> Staged:
        return stage_issue(self.out, self.root, week, files)

    def keep(self, fresh: Mapping[str, bytes]) -> None:
        """Captions made anew (run.store.Kept), written aside beside the folders; `keep_captions` moves them
        in once the build succeeded."""
        for name, data in fresh.items():
            with contextlib.suppress(OSError):  # a cache: one that cannot be written is not kept
                _write_file(self.root / CAPTIONS / f"{name}.json", data)


def keep_captions(out: Path, root: Path, wanted: frozenset[str]) -> None:
    """The captions kept aside by this build moved into out/.newsletter-captions/, and those not in
    `wanted` (the keys of every post the build knows) removed: posts that changed or left. A cache:
    what cannot be moved or removed (a link there, a full disk) is simply not kept."""
    staged, folder = root / CAPTIONS, out / CAPTIONS
    nofollow = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        if staged.is_dir() and not os.path.lexists(folder):
            folder.mkdir()
        # Opened without following a link: every move and removal below happens inside this very
        # folder, even if a link took its name meanwhile.
        target = os.open(folder, nofollow)
    except OSError:  # a link, a file, or not writable: nothing is kept
        return
    try:
        names: list[str] = []
        with contextlib.suppress(OSError):
            source = os.open(staged, nofollow)
            try:
                names = os.listdir(source)
                for name in names:
                    with contextlib.suppress(OSError):
                        os.replace(name, name, src_dir_fd=source, dst_dir_fd=target)
            finally:
                os.close(source)
        for name in os.listdir(target):
            if name.removesuffix(".json") not in wanted:
                with contextlib.suppress(OSError):  # a folder someone put there stays
                    os.unlink(name, dir_fd=target)
    except OSError:
        pass
    finally:
        os.close(target)


def staging_root(out: Path) -> Path:
    return out / f".stage.tmp-{os.getpid()}"


def stage_issue(out: Path, root: Path, week: str, files: Mapping[str, bytes]) -> Staged:
    """out/WEEK's next version, in root/WEEK: exactly `files`, plus any file of the user's already there
    and every picture named by its content that an earlier build wrote (KEPT: sent emails show them)."""
    folder = out / week
    if folder.is_symlink():
        raise NewsletterError(
            f"{folder}: is a symbolic link; issue folders are replaced whole, so the build will not write "
            "through a link. Remove the link (the build makes a real folder)"
        )
    old = _listing(folder)
    names = tuple(sorted(files))
    removed = tuple(sorted(n for n in old if n not in files and _removable(n)))
    if not removed and all(old.get(n) == files[n] for n in files):
        return Staged(week, names, False, ())
    stage = root / week
    kept = []
    try:
        for name, data in files.items():
            if old.get(name) == data and _link(folder / name, stage / name):
                kept.append(name)
            else:
                _write_file(stage / name, data)
        for name in old:  # the user's own files come along: never delete what the build did not write
            if name not in files and not _removable(name) and not _link(folder / name, stage / name):
                _write_file(stage / name, old[name])
    except OSError as exc:
        raise _unchanged(folder, exc) from None
    return Staged(week, names, True, removed, tuple(sorted(kept)))


def _removable(name: str) -> bool:
    """A file of ours that a rebuild drops when the issue no longer has it; not a content-named picture."""
    return bool(OURS.fullmatch(name)) and not KEPT.fullmatch(name)


def _unchanged(folder: Path, exc: OSError) -> NewsletterError:
    return NewsletterError(
        f"{folder}: cannot write: {exc.strerror}; check the folder's permissions and free space "
        "(the issue folder is unchanged)"
    )


def _link(existing: Path, target: Path) -> bool:
    """A file whose bytes are unchanged goes into the new folder as a hard link to the old one: same
    inode, same mtime, so rsync-style deploys and `make` see it unchanged. False where links fail."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(existing, target, follow_symlinks=False)
    except OSError:
        return False
    return True


def commit(out: Path, root: Path, staged: Staged) -> Written:
    """Swap a staged issue folder in; the old one is left in root/WEEK, removed with `root`."""
    folder = out / staged.week
    if not staged.changed:
        return Written((), len(staged.names), ())
    try:
        _swap(root / staged.week, folder)
    except OSError as exc:
        raise _unchanged(folder, exc) from None
    # The folder was replaced whole; files whose bytes were unchanged are the same files (hard links).
    week, kept = staged.week, set(staged.kept)
    return Written(
        tuple(f"{week}/{n}" for n in staged.names if n not in kept),
        len(kept),
        tuple(f"{week}/{n}" for n in staged.removed),
    )


def discard(root: Path) -> None:
    _remove(root)


def remove_issue(out: Path, week: str) -> tuple[str, ...]:
    """A week that no longer has posts: its files go; a folder holding files of the user's stays."""
    folder = out / week
    if folder.is_symlink() or not folder.is_dir():
        return ()
    old = _listing(folder)
    ours = sorted(n for n in old if OURS.fullmatch(n))
    if len(ours) != len(old):
        for name in ours:
            (folder / name).unlink()
        return tuple(f"{week}/{n}" for n in ours)
    _remove(folder)
    return tuple(f"{week}/{n}" for n in ours)


def week_folders(out: Path) -> list[str]:
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if WEEK_FOLDER.fullmatch(p.name) and p.is_dir())


def write_file(out: Path, name: str, data: bytes) -> bool:
    """One file at the build root, replaced atomically when its bytes change; True when written."""
    target = out / name
    try:
        if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
        atomic_write(target, data)
    except OSError as exc:
        raise NewsletterError(
            f"{target}: cannot write: {exc.strerror}; check the folder's permissions"
        ) from None
    return True


def atomic_write(target: Path, data: bytes) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_new(target: Path, data: bytes) -> None:
    """Write a file that must not exist yet (a post's social file, which holds a person's edits): made
    aside, then linked into place, which fails if anything is there by then; never replaces one.
    FileExistsError when it exists."""
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.link(temp, target, follow_symlinks=False)
    finally:
        temp.unlink(missing_ok=True)


def make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NewsletterError(
            f"{folder}: cannot write: {exc.strerror}; check the folder's permissions"
        ) from None


def unmake_folder(folder: Path) -> None:
    """Remove a folder this build made, when it holds nothing but the lock file."""
    try:
        (folder / LOCK).unlink(missing_ok=True)
        folder.rmdir()
    except OSError:  # not empty: another build or the user put something there
        pass


def _listing(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _write_file(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _swap(stage: Path, folder: Path) -> None:
    """Put `stage` where `folder` is, in one step where the kernel allows it (Linux renameat2 with
    RENAME_EXCHANGE); afterwards `stage` holds the old folder, if there was one."""
    if not folder.exists():
        os.rename(stage, folder)
        return
    if _exchange(stage, folder):
        return
    aside = folder.with_name(f".{folder.name}.tmp-{os.getpid()}-old")
    os.rename(folder, aside)
    os.rename(stage, folder)
    os.rename(aside, stage)


def _exchange(a: Path, b: Path) -> bool:
    import ctypes  # lazy: only a build that swaps a folder in asks (a no-op build swaps none)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
