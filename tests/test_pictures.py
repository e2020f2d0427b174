"""The one picture pipeline (newsletter/email/pictures.py) through the command line: what build makes of
a picture and what check finds in it (issue 22 review 6, 7, 8, 14, 16). The logo's side is in
tests/test_brand.py, the rest of local images in tests/test_local_images.py."""

from __future__ import annotations

import email
import email.policy
import io
import random
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageCms

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): no test
# here edits a template it did not write, and copies would be compiled again (see tests/conftest.py).


WEEK = "2026-W42"
POST = "posts/2026-10-14-pictures.md"


def _post(project, body: str) -> None:
    project.post("2026-10-14-pictures.md", f"---\ntitle: Pictures\ndate: 2026-10-14\n---\n\nHello.\n\n{body}")


def _save(path: Path, image: Image.Image, kind: str = "PNG", **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, kind, **options)
    return path


def _made(project) -> dict[str, bytes]:
    folder = project.build / WEEK / "images"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _only(project) -> Image.Image:
    ((_, data),) = _made(project).items()
    return Image.open(io.BytesIO(data))


def _build(cli, project):
    result = cli("--project", project.root, "build")
    assert result.exit_code == 0, result.output
    return result


def test_check_finds_a_truncated_picture_as_build_does(project, cli):
    """Review 6: check opened headers only: 0 errors, while build said the picture cannot be decoded."""
    data = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 200, 30)).save(data, "PNG")
    (project.posts / "trunc.png").write_bytes(data.getvalue()[:-200])
    _post(project, "![Cut](trunc.png)\n")
    message = (
        "image 'trunc.png' (posts/trunc.png): the picture cannot be decoded (image file is truncated); export "
        "it again as PNG or JPEG"
    )
    built = cli("--project", project.root, "build")
    assert (built.exit_code, built.stderr) == (1, f"{POST}:8: {message}\nAborted: 1 error found.\n")
    checked = cli("--project", project.root, "check")
    assert checked.exit_code == 1
    assert checked.stdout.splitlines()[0] == f"{POST}:8: error[image]: {message}"
    assert not project.build.exists()


@pytest.mark.slow
def test_sixteen_bit_and_one_bit_greyscale_keep_their_tones(project, cli):
    """Review 8: convert("RGBA") clips 16-bit samples, so a dark 16-bit PNG came out white."""
    deep = Image.new("I;16", (30, 10))
    for x in range(30):
        for y in range(10):
            deep.putpixel((x, y), (0, 30000, 65535)[x // 10])
    _save(project.posts / "deep.png", deep)
    _post(project, "![Deep](deep.png)\n")
    _build(cli, project)
    with _only(project) as made:
        assert made.mode == "L"
        assert [made.getpixel((x, 5)) for x in (5, 15, 25)] == [0, 116, 255]  # 30000 / 257, not 255
    bits = Image.new("1", (20, 10), 1)
    for x in range(10):
        for y in range(10):
            bits.putpixel((x, y), 0)
    (project.posts / "deep.png").unlink()
    shutil.rmtree(project.build)  # pictures once written stay in the issue folder
    _save(project.posts / "bits.png", bits)
    _post(project, "![Bits](bits.png)\n")
    _build(cli, project)
    with _only(project) as made:
        assert made.mode == "L" and (made.getpixel((5, 5)), made.getpixel((15, 5))) == (0, 255)


@pytest.mark.slow
def test_a_colour_profile_is_applied_or_dropped_and_never_shipped(project, cli):
    """Review 16: 100 KB of arbitrary text as an ICC profile went into the output as it was."""
    junk = ("not a colour profile " * 5000).encode()
    _save(project.posts / "junk.png", Image.new("RGB", (40, 30), (200, 40, 90)), icc_profile=junk)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    _save(project.posts / "srgb.jpg", Image.new("RGB", (40, 30), (200, 40, 90)), "JPEG", icc_profile=srgb,
          quality=95)  # fmt: skip
    _post(project, "![Junk](junk.png)\n\n![sRGB](srgb.jpg)\n")
    _build(cli, project)
    made = _made(project)
    assert len(made) == 2
    for name, data in made.items():
        assert b"not a colour profile" not in data, name
        with Image.open(io.BytesIO(data)) as picture:
            assert "icc_profile" not in picture.info, name
            red, green, blue = picture.convert("RGB").getpixel((20, 15))
            assert abs(red - 200) <= 3 and abs(green - 40) <= 3 and abs(blue - 90) <= 3, name


def _gif(path: Path, frames: int, size=(40, 30), comment: bytes = b"", noise: bool = False) -> Path:
    rng = random.Random(frames)
    images = []
    for n in range(frames):
        if noise:
            images.append(Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3)))
        else:
            images.append(Image.new("RGB", size, (n % 250, 90, 250 - n % 250)))
    extra = {"comment": comment} if comment else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, "GIF", save_all=True, append_images=images[1:], duration=[120] * frames, loop=0,
                   **extra)  # fmt: skip
    return path


@pytest.mark.slow
def test_an_animated_gif_is_re_encoded_without_its_comment_and_keeps_its_animation(project, cli):
    """Review 7: an animated GIF was copied byte for byte, comments and all."""
    _gif(project.posts / "moving.gif", 4, comment=b"made on my laptop by Jo")
    _post(project, "![Moving](moving.gif)\n")
    _build(cli, project)
    ((name, data),) = _made(project).items()
    assert re.fullmatch(r"moving-[0-9a-f]{8}\.gif", name)
    assert b"made on my laptop" not in data
    with Image.open(io.BytesIO(data)) as made:
        assert (made.format, made.n_frames, made.info.get("loop")) == ("GIF", 4, 0)
        assert "comment" not in made.info
        made.seek(2)
        assert made.info["duration"] == 120


@pytest.mark.slow
def test_a_long_animation_is_refused_and_a_heavy_one_warned_about(project, cli, monkeypatch):
    from newsletter.email import pictures

    monkeypatch.setattr(pictures, "GIF_BUDGET", 100_000)  # the real budget is 1 MB
    _gif(project.posts / "long.gif", 301, size=(4, 4))
    _post(project, "![Long](long.gif)\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{POST}:8: image 'long.gif' (posts/long.gif): an animation of more than 300 frames; cut it to at most "
        "300 (Outlook for Windows shows only the first frame), or use a still picture"
    )
    (project.posts / "long.gif").unlink()
    _gif(project.posts / "heavy.gif", 4, size=(200, 150), noise=True)
    _post(project, "![Heavy](heavy.gif)\n")
    result = _build(cli, project)
    (size,) = [len(d) for d in _made(project).values()]
    assert size > 100_000
    assert (
        f"{POST}:8: warning: image 'heavy.gif' (posts/heavy.gif): an animated GIF of {size / 1e6:.1f} MB (after "
        "re-encoding; email clients load it whole, often over phone data): keep it under 0.1 MB with fewer frames, "
        "fewer colours or a smaller size"
    ) in result.stderr.splitlines()


@pytest.mark.slow
def test_a_test_send_over_the_size_mail_servers_take_is_warned_about(project, cli, monkeypatch):
    from newsletter.email import send

    monkeypatch.setattr(send, "MAX_TEST_BYTES", 200_000)  # the real budget is 10 MB
    rng = random.Random(7)
    _save(project.posts / "noise.png", Image.frombytes("RGB", (300, 300), rng.randbytes(300 * 300 * 3)))
    _post(project, "![Noise](noise.png)\n")
    result = cli("--project", project.root, "send", "--to", "me@example.com", "--dry-run", "--raw")
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes[result.stdout_bytes.index(b"Subject:") :]
    size = len(raw.replace(b"\n", b"\r\n"))
    assert size > 200_000
    (warning,) = [line for line in result.stderr.splitlines() if "MB" in line]
    assert warning == (
        f"send: warning: the test message is {size / 1e6:.1f} MB with its pictures (over 0.2 MB): many mail servers "
        "refuse messages over 10 MB and Gmail over 25 MB; make the pictures smaller or use fewer of them"
    )
    assert email.message_from_bytes(raw, policy=email.policy.default).is_multipart()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("file", "ref", "made"),
    [("my photo.jpg", "my%20photo.jpg", r"my-photo-[0-9a-f]{8}\.jpg"),
     pytest.param("Ünïcode Bild.jpg", "%C3%9Cn%C3%AFcode%20Bild.jpg", r"unicode-bild-[0-9a-f]{8}\.jpg", marks=pytest.mark.slow)],
)  # fmt: skip
def test_a_percent_encoded_reference_is_decoded_before_its_name_is_made(project, cli, file, ref, made):
    _save(project.posts / file, Image.new("RGB", (20, 20), (9, 9, 9)), "JPEG")
    _post(project, f"![Photo]({ref})\n")
    _build(cli, project)
    assert re.fullmatch(made, next(iter(_made(project))))


def test_a_dropped_query_is_named_when_the_file_is_not_found(project, cli):
    """Review 14: a file really named `x.jpg?utm_source=1` was 'not found: looked for posts/x.jpg'."""
    _save(project.posts / "x.jpg?utm_source=1", Image.new("RGB", (20, 20), (9, 9, 9)), "JPEG")
    _post(project, "![X](x.jpg?utm_source=1)\n")
    result = cli("--project", project.root, "build")
    assert result.stderr.splitlines()[0] == (
        f"{POST}:8: image 'x.jpg?utm_source=1' not found: looked for posts/x.jpg and x.jpg (the '?utm_source=1' "
        "after the file name is not part of it: a file name ends at '?' or '#'); add the file or fix the path"
    )
