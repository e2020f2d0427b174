"""Local images: a post's pictures and hero given as files of the project, made ready for the email.

A reference that is neither a URL nor a path on the site (`/...`) names a file, looked up relative to the
post's folder, then the project root, and read through content.reader (a regular file, at most IMAGE's
cap, never a link out of the project). The issue folder gets each one as `images/NAME-HASH.EXT`, made by
email.pictures (decoded in full, upright, sRGB, at most MAX_WIDTH pixels wide, no metadata); the email
refers to it at `{archive_url}/YYYY-Www/images/NAME-HASH.EXT` with its width and height. `check`
decodes each file as build does but writes nothing; build, preview and send make the files. Each file
is read and made once per run (the run's memo, keyed by the file's digest); NAME comes from the
reference that names it, HASH from its bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from newsletter.content.reader import IMAGE, RACY_SECONDS, leads_out, read_file
from newsletter.email import pictures
from newsletter.errors import Problems
from newsletter.urls import file_part, is_merge_tag, scheme_of

if TYPE_CHECKING:
    from newsletter.content.settings import Settings

MAX_WIDTH = pictures.MAX_WIDTH
MEMO_LIMIT = 32  # made images kept per run: the preview's run lives for hours
_IMG_SRC = re.compile(r"<img\b[^>]*?\ssrc=\"([^\"]*)\"")


def is_local(ref: str) -> bool:
    """A file of the project: not a URL (any scheme), not a path on the site (`/...`), not an anchor."""
    ref = ref.strip()
    return bool(ref) and not is_merge_tag(ref) and not scheme_of(ref) and not ref.startswith(("/", "#", "\\"))


def body_refs(fragment: str, body: str, body_line: int) -> tuple[tuple[str, int], ...]:
    """(reference, line in the post) of every local image in a post's sanitised HTML, each once. The
    line is the image's own: the HTML's images are, in order, the Markdown's image syntax (`![](...)`,
    `![][ref]`, `<img src>`, outside code) in order, matched by their URL; a reference-style image's line
    is its definition's. Prose that mentions the path earlier, an escaped `&amp;` or a src such as `.`
    (found on every line) no longer takes the line."""
    import html

    found: dict[str, int] = {}
    spots = _image_spots(body)
    cursor = 0
    for raw in _IMG_SRC.findall(fragment):
        src = html.unescape(raw)
        at = next((i for i in range(cursor, len(spots)) if spots[i][0] == src), None)
        if at is not None:
            cursor = at + 1
        if is_local(src) and src not in found:
            if at is not None:
                number = spots[at][1]
            else:  # syntax the scan does not know: the first line holding the reference, as before
                number = next((n for n, line in enumerate(body.split("\n")) if src in line), 0)
            found[src] = body_line + number
    return tuple(found.items())


_FENCE = re.compile(r"(?m)^ {0,3}(`{3,}|~{3,})[^\n]*\n(?:.*\n)*?(?: {0,3}\1[`~]*[ \t]*$|\Z)")
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_ALT = r"\[(?:[^\[\]\\]|\\.|\[[^\[\]]*\])*\]"
_DEST = r"<(?P<angled>[^>\n]*)>|(?P<bare>(?:[^\s()\\]|\\.|\([^\s()]*\))+)"
_INLINE = re.compile(r"!" + _ALT + r"\(\s*(?:" + _DEST + r")")
_REFERENCE = re.compile(r"!\[(?P<alt>(?:[^\[\]\\]|\\.)*)\](?:\[(?P<label>[^\[\]]*)\])?(?!\()")
_DEFINITION = re.compile(r"(?m)^ {0,3}\[(?P<label>[^\[\]]+)\]:[ \t]*(?:<(?P<angled>[^>\n]*)>|(?P<bare>\S+))")
_RAW_IMG = re.compile(
    r"""<img\b[^>]*?\ssrc\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))""", re.I
)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def _image_spots(body: str) -> list[tuple[str, int]]:
    """(URL as the HTML has it, 0-based line) of each image in the Markdown source, in order; code
    blocks and spans are blanked first (an image there is text)."""
    import html

    def blank(match: re.Match) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    text = _CODE_SPAN.sub(blank, _FENCE.sub(blank, body))

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset)

    def url(match: re.Match, *groups: str) -> tuple[str, int]:
        name = next(g for g in groups if match.group(g) is not None)
        value = match.group(name)
        if match.re is not _RAW_IMG:  # Markdown backslash escapes; HTML has entities only
            value = _ESCAPED.sub(r"\1", value)
        return html.unescape(value), line_of(match.start(name))

    definitions = {
        " ".join(m.group("label").lower().split()): url(m, "angled", "bare")
        for m in _DEFINITION.finditer(text)
    }
    spots: list[tuple[int, tuple[str, int]]] = []
    spots += [(m.start(), url(m, "angled", "bare")) for m in _INLINE.finditer(text)]
    spots += [(m.start(), url(m, "dq", "sq", "bare")) for m in _RAW_IMG.finditer(text)]
    for m in _REFERENCE.finditer(text):
        label = " ".join((m.group("label") or m.group("alt")).lower().split())
        if label in definitions:
            spots.append((m.start(), definitions[label]))
    return [spot for _, spot in sorted(spots, key=lambda s: s[0])]


@dataclass(frozen=True)
class Picture:
    """One image as the issue folder holds it; `data` is None when it was only checked."""

    name: str
    width: int
    height: int
    content_type: str
    data: bytes | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()  # warnings for the post that uses it (email.pictures)


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
    found: dict[tuple[str, str], Picture] = {}
    for post in posts:
        for ref, line in post.images:
            picture = _picture_for(post.source, ref, line, settings, memo, make, problems)
            if picture is not None:
                found[(post.source, ref)] = picture
    return LocalImages(f"{settings.archive_url}/{week}/images", found)


@dataclass(frozen=True)
class Intro:
    """The issue file's intro as a referrer of local images, like a post: looked up from issues/,
    then the project root; errors name issues/FILE:LINE."""

    source: str
    images: tuple[tuple[str, int], ...]


def intro(file, memo: Memo) -> Intro | None:
    """The local images of an issue file's intro (content.issuefile.IssueFile), or None. Its Markdown
    is read only when it can hold a picture at all; once per run and file."""
    text = file.intro if file is not None else ""
    if "![" not in text and "<img" not in text.lower():
        return None
    table = memo.table("intro-images")
    if file.digest not in table:
        from newsletter.content.markup import Converter

        rendered = Converter().render(text)  # its own errors are the renderer's to report
        table[file.digest] = () if rendered.errors else body_refs(rendered.html, text, file.intro_line)
    return Intro(file.source, table[file.digest]) if table[file.digest] else None


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
    # The memo holds what the bytes make, never a name: a picture's name comes from the reference that
    # names it here, so the same bytes under two names (a photo reused in another week as zzz.jpg) are
    # named the same in every run, whichever reference the run met first (--jobs, --week, the cache).
    table = memo.table("images", MEMO_LIMIT)
    key = (digest, make)
    if key not in table:
        if raw is None:
            raw = read_file(path, shown, found, IMAGE)
            if raw is None:
                return None
        try:
            made = _make(raw, make)
        except pictures.Unusable as exc:
            problems.error(source, line, f"image '{ref}' ({shown}): {exc}", "image")
            return None
        table[key] = made
    for note in table[key].notes:
        problems.warn(source, line, f"image '{ref}' ({shown}): {note}", "image")
    stem = PurePosixPath(file_part(ref)[0]).stem
    return dataclasses.replace(table[key], name=f"{_stem(stem)}-{table[key].name}")


def locate(source: str, ref: str, line: int, settings, problems: Problems) -> Path | None:
    """The file a reference names: beside the post first, then from the project root; never outside
    the project (`..` that climbs out of it, or a symbolic link that leads out)."""
    root = Path(os.path.abspath(settings.root))
    relative, dropped = file_part(ref)
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
                       f"project (beside the {_what(source, settings)} or from the project root)", "image")  # fmt: skip
    else:
        problems.error(source, line, f"image '{ref}' not found: looked for {' and '.join(tried)}{dropped}; "
                       "add the file or fix the path", "image")  # fmt: skip
    return None


def _what(source: str, settings) -> str:
    issues = settings.relative(settings.issues_dir)
    return "issue file" if source.startswith(f"{issues}/") else "post"


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


def _make(raw: bytes, make: bool) -> Picture:
    """The picture as the issue folder holds it (decoded in full either way; its bytes only when
    `make`); its name is the tail the bytes decide, HASH.EXT: the reference gives the stem."""
    made = pictures.make(raw, make)
    return Picture(made.tail, made.width, made.height, made.content_type, made.data, made.notes)


def _stem(stem: str) -> str:
    """A file name's stem as a URL path segment: letters, digits, _ and -, lower case."""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()  # Ü -> U
    return re.sub(r"[^a-z0-9_-]+", "-", ascii_stem.lower()).strip("-")[:60] or "image"
