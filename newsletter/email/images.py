"""Local images: a post's pictures and hero given as files of the project, made ready for the email.

A reference that is neither a URL nor a path on the site (`/...`) names a file, looked up relative to the
post's folder, then the project root, and read through content.reader (a regular file, at most IMAGE's
cap, never a link out of the project). The issue folder gets each one as `images/NAME-HASH.EXT`: turned
upright by its EXIF orientation, at most MAX_WIDTH pixels wide (twice the 600 px column: sharp on a
high-density screen), re-encoded without its metadata (EXIF, GPS, XMP, comments); the email refers to it
at `{archive_url}/YYYY-Www/images/NAME-HASH.EXT` with its width and height. `check` only opens each
file's header (size and orientation); build, preview and send make the files. Each file is read and
made once per run (the run's memo, keyed by the file's digest)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote

from newsletter.content.reader import IMAGE, RACY_SECONDS, leads_out, read_file
from newsletter.errors import Problems
from newsletter.urls import is_merge_tag, scheme_of

if TYPE_CHECKING:
    from newsletter.content.settings import Settings

CONTAINER = 600  # px: the email's column (templates/email.html)
MAX_WIDTH = 2 * CONTAINER  # high-density screens show 2 image pixels per CSS pixel
MAX_PIXELS = 50_000_000  # a 50-megapixel photo is about 200 MB decoded; a bigger one is refused
JPEG_QUALITY = 85  # what Ghost and most CDNs use: no visible loss at email sizes
PROCESS = b"1"  # hashed into every name: bump it when the processing changes, so caches see new files
MEMO_LIMIT = 32  # made images kept per run: the preview's run lives for hours
_FORMATS = {"JPEG": ("JPEG", ".jpg"), "MPO": ("JPEG", ".jpg"), "GIF": ("GIF", ".gif")}  # else PNG
_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}
_IMG_SRC = re.compile(r"<img\b[^>]*?\ssrc=\"([^\"]*)\"")
_SWAPPED = (5, 6, 7, 8)  # EXIF orientations that turn the picture a quarter


def is_local(ref: str) -> bool:
    """A file of the project: not a URL (any scheme), not a path on the site (`/...`), not an anchor."""
    ref = ref.strip()
    return bool(ref) and not is_merge_tag(ref) and not scheme_of(ref) and not ref.startswith(("/", "#", "\\"))


def body_refs(fragment: str, body: str, body_line: int) -> tuple[tuple[str, int], ...]:
    """(reference, line in the post) of every local image in a post's sanitised HTML, each once; the
    line is the first one of the Markdown body that holds the reference (a reference-style image's is
    its definition's)."""
    import html

    found: dict[str, int] = {}
    lines = body.split("\n")
    for raw in _IMG_SRC.findall(fragment):
        src = html.unescape(raw)
        if is_local(src) and src not in found:
            number = next((n for n, line in enumerate(lines) if src in line), 0)
            found[src] = body_line + number
    return tuple(found.items())


@dataclass(frozen=True)
class Picture:
    """One image as the issue folder holds it; `data` is None when it was only checked."""

    name: str
    width: int
    height: int
    content_type: str
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class LocalImages:
    """An issue's local images: per (post, reference) its picture, and where the archive serves it."""

    base: str  # {archive_url}/YYYY-Www/images
    pictures: Mapping[tuple[str, str], Picture] = field(default_factory=dict)

    def for_post(self, source: str) -> dict[str, tuple[str, int, int]]:
        """reference -> (absolute URL, width, height) for one post."""
        return {
            ref: (f"{self.base}/{p.name}", p.width, p.height)
            for (post, ref), p in self.pictures.items()
            if post == source
        }

    @property
    def files(self) -> dict[str, bytes]:
        """What the issue folder gets: images/NAME -> bytes (none for pictures only checked)."""
        return {f"images/{p.name}": p.data for p in self.pictures.values() if p.data is not None}

    def by_url(self) -> dict[str, Picture]:
        return {f"{self.base}/{p.name}": p for p in self.pictures.values()}


class _Unusable(Exception):
    """Why a file cannot be used as a picture (the message's tail)."""


class Memo(Protocol):
    """The run's memo (run.context.Memo), as this module uses it."""

    def table(self, name: str, limit: int = ...) -> dict: ...


class _Referring(Protocol):
    """A post as this module sees it (content.posts imports this module: no import back)."""

    @property
    def source(self) -> str: ...
    @property
    def images(self) -> tuple[tuple[str, int], ...]: ...


def prepare(
    week: str, posts: Iterable[_Referring], settings: Settings, memo: Memo, make: bool, problems: Problems
) -> LocalImages:
    """Every local image of the issue's posts, checked (`make` False) or made; each file that is
    missing, unreadable or no picture is an error at the post's line that refers to it."""
    pictures: dict[tuple[str, str], Picture] = {}
    for post in posts:
        for ref, line in post.images:
            picture = _picture_for(post.source, ref, line, settings, memo, make, problems)
            if picture is not None:
                pictures[(post.source, ref)] = picture
    return LocalImages(f"{settings.archive_url}/{week}/images", pictures)


def digests(metas: Iterable, settings: Settings, memo: Memo) -> tuple[str, ...]:
    """Per local image of these posts, its reference and its file's digest ("missing" when there is
    none to read): what the store's issue key adds, so an edited picture renders its issue again."""
    found = []
    for meta in metas:
        for ref, _ in getattr(meta, "images", ()):
            path = locate(meta.source, ref, 0, settings, Problems())
            digest = _load(path, "", settings, memo, Problems())[0] if path is not None else ""
            found.append(f"{meta.source}\0{ref}\0{digest or 'missing'}")
    return tuple(sorted(found))


def _picture_for(source: str, ref: str, line: int, settings, memo: Memo, make: bool, problems: Problems):
    path = locate(source, ref, line, settings, problems)
    if path is None:
        return None
    shown = settings.relative(path)
    found = Problems()
    digest, raw = _load(path, shown, settings, memo, found)
    for problem in found.items:  # the reader names the file; the message names the reference too
        problems.error(source, line, f"image '{ref}' ({shown}): {problem.message}", "image")
    if not digest:
        return None
    table = memo.table("images", MEMO_LIMIT)
    key = (digest, make)
    if key not in table:
        if raw is None:
            raw = read_file(path, shown, found, IMAGE)
            if raw is None:
                return None
        try:
            made = _make(raw, PurePosixPath(ref).stem, make)
        except _Unusable as exc:
            problems.error(source, line, f"image '{ref}' ({shown}): {exc}", "image")
            return None
        table[key] = made
    return table[key]


def locate(source: str, ref: str, line: int, settings, problems: Problems) -> Path | None:
    """The file a reference names: beside the post first, then from the project root; never outside
    the project (`..` that climbs out of it, or a symbolic link that leads out)."""
    root = Path(os.path.abspath(settings.root))
    relative = unquote(ref.split("?")[0].split("#")[0])
    tried, outside = [], False
    for base in dict.fromkeys(((root / source).parent, root)):
        path = Path(os.path.normpath(base / relative))
        if not path.is_relative_to(root):
            outside = True
            continue
        if os.path.lexists(path):
            if why := leads_out(path, root):
                link = "to outside the project" if why == "outside" else "that leads nowhere"
                problems.error(source, line, f"image '{ref}' ({settings.relative(path)}) is a symbolic link "
                               f"{link}: not followed; copy the picture into the project", "image")  # fmt: skip
                return None
            return path
        tried.append(settings.relative(path))
    if not tried and outside:
        problems.error(source, line, f"image '{ref}' is outside the project; copy the picture into the "
                       "project (beside the post or from the project root)", "image")  # fmt: skip
    else:
        problems.error(source, line, f"image '{ref}' not found: looked for {' and '.join(tried)}; add the "
                       "file or fix the path", "image")  # fmt: skip
    return None


def _load(path: Path, shown: str, settings, memo: Memo, problems: Problems) -> tuple[str, bytes | None]:
    """(digest, bytes) of an image file; the bytes are None when the run already knew the digest of a
    file with this stat (vouched only for files last modified RACY_SECONDS before they were read)."""
    try:
        info = os.stat(path)
        stamp: tuple | None = (str(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
    except OSError:
        stamp = None
    table = memo.table("image-digests")
    if stamp is not None and stamp in table:
        return table[stamp], None
    raw = read_file(path, shown, problems, IMAGE)
    if raw is None:
        return "", None
    digest = hashlib.sha256(raw).hexdigest()
    if stamp is not None and stamp[2] < time.time_ns() - int(RACY_SECONDS * 1e9):
        table[stamp] = digest
    return digest, raw


def _make(raw: bytes, stem: str, make: bool) -> Picture:
    """The picture as the issue folder holds it (only its name and size unless `make`)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS says it below
            image = Image.open(io.BytesIO(raw))
            source_format = image.format or ""
            frames = getattr(image, "n_frames", 1)
            orientation = image.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise _Unusable(
            "not a picture that can be read (PNG, JPEG, GIF or WebP); export it again as PNG or JPEG"
        ) from None
    width, height = image.size[::-1] if orientation in _SWAPPED else image.size
    if width * height > MAX_PIXELS:
        raise _Unusable(f"{width}x{height} pixels is over {MAX_PIXELS:,}; make it smaller (at most "
                        f"{MAX_WIDTH} px wide is all the email shows)")  # fmt: skip
    out_format, suffix = _FORMATS.get(source_format, ("PNG", ".png"))
    animated = out_format == "GIF" and frames > 1
    if width > MAX_WIDTH and not animated:
        width, height = MAX_WIDTH, max(1, round(height * MAX_WIDTH / width))
    digest = hashlib.sha256(PROCESS + b"\0" + raw).hexdigest()[:8]
    name = f"{_stem(stem)}-{digest}{suffix}"
    if not make:
        return Picture(name, width, height, _TYPES[out_format])
    # An animated GIF is copied as it is: resizing it would keep only its first frame.
    data = raw if animated else _encode(image, (width, height), out_format)
    return Picture(name, width, height, _TYPES[out_format], data)


def _encode(image, size: tuple[int, int], out_format: str) -> bytes:
    """Upright, resized, and saved with nothing of the original's metadata but its colour profile and
    transparency. Same bytes in, same bytes out: Pillow writes no time stamps."""
    from PIL import Image, ImageOps

    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError) as exc:  # a truncated or corrupt file
        raise _Unusable(f"the picture cannot be decoded ({exc}); export it again as PNG or JPEG") from None
    kept = {k: upright.info[k] for k in ("icc_profile", "transparency") if k in upright.info}
    wanted = {"JPEG": ("RGB", "L", "CMYK"), "GIF": ("P", "L"), "PNG": ("RGB", "RGBA", "L", "LA", "P")}
    if upright.mode not in wanted[out_format] or (upright.size != size and upright.mode == "P"):
        upright = upright.convert("RGB" if out_format == "JPEG" else "RGBA")
        kept.pop("transparency", None)  # carried by the alpha channel now
    if upright.size != size:
        upright = upright.resize(size, Image.Resampling.LANCZOS)
    upright.info = {}  # EXIF, GPS, XMP, comments, text chunks: none of it goes out
    out = io.BytesIO()
    options = {"quality": JPEG_QUALITY, "optimize": True} if out_format == "JPEG" else {}
    upright.save(out, out_format, **options, **kept)
    return out.getvalue()


def _stem(stem: str) -> str:
    """A file name's stem as a URL path segment: letters, digits, _ and -, lower case."""
    return re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-")[:60] or "image"
