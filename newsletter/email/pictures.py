"""A picture file's bytes made ready for email: the one pipeline for post images, heroes and the logo.

Decoded in full (a truncated or corrupt file is refused here, by `check` as by `build`), within limits
(pixels, frames), turned upright by its EXIF orientation, converted to sRGB without a colour profile,
resized (Lanczos) to at most `max_width` pixels wide (never enlarged), and re-encoded with none of the
original's metadata (EXIF, GPS, XMP, comments, text chunks, GIF extensions). JPEG stays JPEG; an
animated GIF stays an animated GIF where animation is wanted (its frames re-encoded); everything else
becomes PNG, which every mail client shows. Same bytes in, same bytes out: Pillow writes no time stamps.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field

MAX_WIDTH = 1200  # twice the email's 600 px column: high-density screens show 2 pixels per CSS pixel
MAX_PIXELS = 50_000_000  # a 50-megapixel photo is about 200 MB decoded; a bigger one is refused
MAX_FRAMES = 300  # an animation longer than that is a video; email clients replay it from the network
MAX_ANIMATION_PIXELS = 30_000_000  # all frames together (each is held decoded while it is re-encoded)
GIF_BUDGET = 1_000_000  # bytes: an animated GIF over it loads slowly on phone data (a warning)
JPEG_QUALITY = 85  # what Ghost and most CDNs use: no visible loss at email sizes
PROCESS = b"2"  # hashed into every name: bump it when the processing changes, so caches see new files
_JPEG = ("JPEG", "MPO")
_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "GIF": ("image/gif", ".gif")}
SUFFIXES = tuple(suffix.lstrip(".") for _, suffix in _TYPES.values())  # all this module writes: png, jpg, gif
_SWAPPED = (5, 6, 7, 8)  # EXIF orientations that turn the picture a quarter
_DEEP = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")  # more than 8 bits a pixel: scaled, never clipped
_OUT_MODES = {"JPEG": ("RGB", "L"), "PNG": ("RGB", "RGBA", "L", "LA", "P")}
_READ_ERRORS = (OSError, ValueError, SyntaxError, EOFError)


class Unusable(Exception):
    """Why bytes cannot be used as a picture (the tail of the message that names the file)."""


class NotAPicture(Unusable):
    """Bytes no picture reader knows (a text file, an SVG, a video)."""


@dataclass(frozen=True)
class Made:
    """A picture as the issue folder holds it. `tail` is `HASH.EXT`, decided by the bytes and the way
    they were made (whoever names the file puts its stem in front); `data` is None when the picture
    was only checked; `notes` are warnings for the author (each says its fix)."""

    tail: str
    width: int
    height: int
    content_type: str
    data: bytes | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()


def make(
    raw: bytes, write: bool, max_width: int = MAX_WIDTH, animation: bool = True, digits: int = 8
) -> Made:
    """The picture of `raw`, decoded in full either way; encoded only when `write` (`check` reads
    every pixel but makes no file). `animation` False keeps an animated GIF's first frame, as PNG."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS says it, with its fix
        image = _open(raw, max_width)
        width, height = _upright_size(image)
        animated = animation and image.format == "GIF" and getattr(image, "is_animated", False)
        out_format = "GIF" if animated else "JPEG" if image.format in _JPEG else "PNG"
        if width > max_width:
            width, height = max_width, max(1, round(height * max_width / width))
        content_type, suffix = _TYPES[out_format]
        key = PROCESS + f"\0{max_width}\0{int(animation)}\0".encode() + raw
        tail = f"{hashlib.sha256(key).hexdigest()[:digits]}{suffix}"
        if animated:
            data = _animation(image, (width, height), write)
        else:
            data = _still(image, (width, height), out_format, write)
    notes: tuple[str, ...] = ()
    if animated and data is not None and len(data) > GIF_BUDGET:
        notes = (f"an animated GIF of {len(data) / 1e6:.1f} MB (after re-encoding; email clients load it whole, "
                 f"often over phone data): keep it under {GIF_BUDGET / 1e6:g} MB with fewer frames, fewer "
                 "colours or a smaller size",)  # fmt: skip
    return Made(tail, width, height, content_type, data, notes)


def _open(raw: bytes, max_width: int):
    """The picture's header, within the pixel limit (Pillow's own guard refuses past 2 x 89 MP with
    an exception of its own; both are told the same way)."""
    from PIL import Image, UnidentifiedImageError

    too_big = f"make it smaller (at most {max_width} px wide is all the email shows)"
    try:
        image = Image.open(io.BytesIO(raw))
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        count = f"{int(found.group(1)):,} pixels" if found else "the number of pixels"
        raise Unusable(f"{count} is over {MAX_PIXELS:,}; {too_big}") from None
    except (UnidentifiedImageError, *_READ_ERRORS):
        raise NotAPicture(
            "not a picture that can be read (PNG, JPEG, GIF or WebP); export it again as PNG or JPEG"
        ) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise Unusable(f"{width}x{height} pixels is over {MAX_PIXELS:,}; {too_big}")
    return image


def _upright_size(image) -> tuple[int, int]:
    try:
        orientation = image.getexif().get(0x0112, 1)
    except _READ_ERRORS:  # an EXIF block that does not parse: nothing to turn by
        orientation = 1
    return image.size[::-1] if orientation in _SWAPPED else image.size


def _decoded(image):
    """Every pixel read: a truncated or corrupt file fails here, whatever the command."""
    try:
        image.load()
    except _READ_ERRORS as exc:
        raise Unusable(f"the picture cannot be decoded ({exc}); export it again as PNG or JPEG") from None
    return image


def _still(image, size: tuple[int, int], out_format: str, write: bool) -> bytes | None:
    from PIL import Image, ImageOps

    _decoded(image)
    if not write:
        return None
    try:
        upright = ImageOps.exif_transpose(image)
    except _READ_ERRORS:  # an orientation tag that does not parse: as it is
        upright = image
    upright = _srgb(_eight_bits(upright), out_format)
    transparency = upright.info.get("transparency")
    if upright.size != size:
        if upright.mode == "P":  # palette indexes cannot be resampled
            upright, transparency = upright.convert("RGBA"), None
        upright = upright.resize(size, Image.Resampling.LANCZOS)
    upright.info = {}  # EXIF, GPS, XMP, comments, text chunks, the profile: none of it goes out
    out = io.BytesIO()
    options: dict = {"quality": JPEG_QUALITY, "optimize": True} if out_format == "JPEG" else {}
    if transparency is not None and out_format == "PNG":
        options["transparency"] = transparency
    upright.save(out, out_format, **options)
    return out.getvalue()


def _eight_bits(image):
    """8 bits a channel in the modes the output format takes. Pillow's convert() clips deeper samples
    (a 16-bit greyscale PNG came out white): they are scaled; 1-bit pictures become greyscale."""
    if image.mode in _DEEP:
        high = image.getextrema()[1]
        deep = image.mode.startswith("I;16") or high > 255
        image = image.convert("I") if image.mode.startswith("I;16") else image
        image = image.point(lambda v: v * (1 / 257)) if deep else image
        return image.convert("L")
    if image.mode == "1":
        return image.convert("L")
    return image


def _srgb(image, out_format: str):
    """The pixels in sRGB, which mail clients assume: a colour profile is applied (littleCMS, through
    Pillow's ImageCms) and dropped; one that does not parse, or does not fit the picture's colours,
    is dropped and the pixels are taken as sRGB. The output carries no profile."""
    from PIL import ImageCms

    profile = image.info.get("icc_profile")
    wanted = _OUT_MODES[out_format]
    target = "RGBA" if "A" in image.mode or "transparency" in image.info else "RGB"
    if profile and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            srgb = ImageCms.createProfile("sRGB")
            mode = "RGBA" if image.mode == "RGBA" else "RGB"
            image = ImageCms.profileToProfile(image, source, srgb, outputMode=mode)
        except (ImageCms.PyCMSError, *_READ_ERRORS):
            pass  # not a profile littleCMS can use: the pixels as they are
    if image.mode not in wanted:
        image = image.convert("RGB" if out_format == "JPEG" else target)
    return image


def _animation(image, size: tuple[int, int], write: bool) -> bytes | None:
    """An animated GIF, frame by frame: decoded within MAX_FRAMES and MAX_ANIMATION_PIXELS, and, to
    write, each frame resized and the whole saved again (loop count and frame times kept; comments,
    application extensions and everything else dropped)."""
    from PIL import Image

    frames, durations = [], []
    width, height = image.size
    loop = image.info.get("loop")  # the first frame's: None plays it once
    index = 0
    while True:
        try:
            image.seek(index)
        except EOFError:
            break
        if index >= MAX_FRAMES:
            raise Unusable(f"an animation of more than {MAX_FRAMES} frames; cut it to at most {MAX_FRAMES} "
                           "(Outlook for Windows shows only the first frame), or use a still picture")  # fmt: skip
        if (index + 1) * width * height > MAX_ANIMATION_PIXELS:
            raise Unusable(f"{index + 1} frames of {width}x{height} pixels are over {MAX_ANIMATION_PIXELS:,} "
                           "pixels in all; make it smaller or shorter")  # fmt: skip
        _decoded(image)
        if write:
            frame = image.convert("RGBA")
            frames.append(frame.resize(size, Image.Resampling.LANCZOS) if frame.size != size else frame)
            durations.append(int(image.info.get("duration", 0) or 0))
        index += 1
    if not write:
        return None
    for frame in frames:
        frame.info = {}
    out = io.BytesIO()
    options: dict = {"loop": loop} if loop is not None else {}
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=durations, disposal=2,
                   **options)  # fmt: skip
    return out.getvalue()
