"""Local images (issue 22 item 3), through the CLI: pictures in the project go into the issue folder,
resized, stripped of metadata, content-hashed, linked under archive_url with their size; test sends embed
them; bad ones are file:line errors; an edited picture renders its issue again."""

from __future__ import annotations

import email
import email.policy
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, Project
from PIL import Image

ARCHIVE = "https://viaskincare.com/newsletter"
WEEK = "2026-W42"
POST = "posts/2026-10-14-pictures.md"
HASHED = re.compile(r"(hero|steps)-[0-9a-f]{8}\.(jpg|png)")


def _jpeg(path: Path, size: tuple[int, int], orientation: int = 1) -> None:
    """A photo as a phone saves it: camera make, GPS position, orientation."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (180, 90, 160)).save(path, "JPEG", exif=exif)


def _png(path: Path, size: tuple[int, int], colour=(20, 160, 90, 255)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", size, colour).save(path, "PNG")


def _pictures(project, body: str = "![Steps](images/steps.png)\n") -> None:
    """The hero from the project root (images/hero.jpg, wider than twice the column), a body picture
    beside the post."""
    _jpeg(project.root / "images" / "hero.jpg", (1500, 1000))
    _png(project.posts / "images" / "steps.png", (400, 300))
    project.post(
        "2026-10-14-pictures.md",
        "---\ntitle: Pictures\ndate: 2026-10-14\nimage: images/hero.jpg\nimage_alt: Hands at work\n---\n\n"
        f"Hello there.\n\n{body}",
    )


# conftest's project copies the packaged templates into templates/, and Jinja keeps compiled templates
# by file path, so each test compiled its copies again (a third of a build's time). No test here edits
# a template: their projects are made here with templates/ empty, as `newsletter init` leaves it.
@pytest.fixture
def project(tmp_path):
    """conftest's project (the test settings, empty posts/) with templates/ empty: the packaged ones."""
    for folder in ("posts", "templates"):
        (tmp_path / folder).mkdir()
    made = Project(tmp_path)
    made.settings()
    return made


@pytest.fixture(scope="module")
def _once() -> dict:
    return {}


@pytest.fixture
def built(_once, tmp_path_factory, cli) -> Project:
    """The project of _pictures(), built once for this module by the first test that asks (under
    conftest's clock and checks); shared: tests only read it, or build a copy (`built_copy`)."""
    if not _once:
        root = tmp_path_factory.mktemp("pictures")
        for folder in ("posts", "templates"):
            (root / folder).mkdir()
        project = Project(root)
        project.settings()
        _pictures(project)
        result = _build(cli, project)
        assert result.exit_code == 0, result.output
        _once["project"], _once["result"] = project, result
    return _once["project"]


@pytest.fixture
def built_copy(built, tmp_path) -> Project:
    """A copy of the built project, build/ included, for a test that changes it."""
    shutil.copytree(built.root, tmp_path / "copy", symlinks=True)
    return Project(tmp_path / "copy")


def _build(cli, project, *args):
    return cli("--project", project.root, "build", *args)


def _images(project) -> dict[str, bytes]:
    folder = project.build / WEEK / "images"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _img_tags(html: str) -> list[str]:
    return re.findall(r"<img\b[^>]*>", html)


def _src(tag: str) -> str:
    return re.search(r'\ssrc="([^"]*)"', tag).group(1)


def test_hero_from_the_root_and_body_picture_beside_the_post_go_into_the_issue_folder(built, _once):
    project, result = built, _once["result"]
    files = _images(project)
    assert sorted(HASHED.fullmatch(n).group(1) for n in files) == ["hero", "steps"]
    hero = next(n for n in files if n.startswith("hero-"))
    steps = next(n for n in files if n.startswith("steps-"))
    with Image.open(io.BytesIO(files[hero])) as picture:
        assert (picture.format, picture.size) == ("JPEG", (1200, 800))  # 1500 px wide -> twice the column
        assert dict(picture.getexif()) == {}  # no camera, no GPS, no orientation
    assert b"Exif" not in files[hero] and b"PhoneMaker" not in files[hero]
    with Image.open(io.BytesIO(files[steps])) as picture:
        assert (picture.format, picture.size) == ("PNG", (400, 300))  # never enlarged
    html = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    tags = {_src(t): t for t in _img_tags(html)}
    hero_tag, steps_tag = tags[f"{ARCHIVE}/{WEEK}/images/{hero}"], tags[f"{ARCHIVE}/{WEEK}/images/{steps}"]
    assert ' width="536" height="357"' in hero_tag  # the column; the height from the picture's shape
    assert ' width="400" height="300"' in steps_tag
    # Known sizes: no width warnings, and a local picture is no relative link.
    assert "img-width" not in result.stderr and "has no width" not in result.stderr
    assert "relative link" not in result.stderr


@pytest.mark.slow
def test_exif_orientation_turns_the_picture_upright_before_the_metadata_goes(project, cli):
    _jpeg(project.posts / "turned.jpg", (300, 200), orientation=6)  # a phone held upright
    project.post("2026-10-14-pictures.md", "---\ntitle: T\ndate: 2026-10-14\n---\n\n![Turned](turned.jpg)\n")
    assert _build(cli, project).exit_code == 0
    ((name, data),) = _images(project).items()
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.size == (200, 300) and dict(picture.getexif()) == {}
    html = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    assert 'width="200" height="300"' in next(t for t in _img_tags(html) if name in t)


@pytest.mark.slow
def test_an_author_given_width_is_kept_and_the_height_follows_the_picture(project, cli):
    _pictures(project, "![Steps](images/steps.png){width=200}\n")
    assert _build(cli, project).exit_code == 0
    html = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    assert ' width="200" height="150"' in next(t for t in _img_tags(html) if "/images/steps-" in t)


@pytest.mark.slow
def test_no_image_url_carries_utm_in_the_email_the_web_copy_or_the_eml(project, cli):
    _pictures(
        project,
        "![Steps](images/steps.png)\n\n![On the site](/img/site.png){width=100}\n\n"
        "![Tagged](https://viaskincare.com/x.png?utm_source=blog&v=2){width=100}\n\n"
        "[a link](https://viaskincare.com/blog/x)\n",
    )
    assert _build(cli, project).exit_code == 0
    folder = project.build / WEEK
    message = email.message_from_bytes((folder / "email.eml").read_bytes(), policy=email.policy.default)
    pages = {
        "email.html": (folder / "email.html").read_text(encoding="utf-8"),
        "index.html": (folder / "index.html").read_text(encoding="utf-8"),
        "email.eml": message.get_body(("html",)).get_content(),
    }
    for name, page in pages.items():
        sources = [_src(t) for t in _img_tags(page)]
        assert len(sources) >= 4, name
        assert not [s for s in sources if "utm_" in s], name
        assert "https://viaskincare.com/img/site.png" in sources  # a path on the site stays one
        assert "https://viaskincare.com/x.png?v=2" in sources  # remote: kept, less its tracking
        assert "https://viaskincare.com/blog/x?utm_source=newsletter" in page  # links keep theirs


def test_the_web_copy_refers_to_its_own_pictures_relatively(built):
    """Opened from build/ (file://) before anything is published, the web copy shows its pictures; at
    {archive_url}/WEEK/ the same relative URLs are the published files. The email keeps absolute URLs."""
    project = built
    names = sorted(_images(project))
    web = (project.build / WEEK / "index.html").read_text(encoding="utf-8")
    assert sorted(_src(t) for t in _img_tags(web)) == [f"images/{n}" for n in names]
    assert all((project.build / WEEK / _src(t)).is_file() for t in _img_tags(web))
    card = f"{ARCHIVE}/{WEEK}/cards/pictures-title-1200x630.png"
    assert f'<meta property="og:image" content="{card}">' in web  # other sites read it: absolute
    email_html = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    assert sorted(_src(t) for t in _img_tags(email_html)) == [f"{ARCHIVE}/{WEEK}/images/{n}" for n in names]


def test_missing_unreadable_linked_out_and_fifo_images_are_file_line_errors(project, cli, tmp_path):
    images = project.root / "images"
    images.mkdir()
    (images / "notes.png").write_text("not a picture", encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-secret.png"
    _png(outside, (10, 10))
    (images / "out.png").symlink_to(outside)
    os.mkfifo(images / "pipe.png")
    project.post(
        "2026-10-14-pictures.md",
        "---\ntitle: Pictures\ndate: 2026-10-14\nimage: images/gone.jpg\nimage_alt: Gone\n---\n\n"
        "Hello.\n\n![Notes](images/notes.png)\n\n![Out](images/out.png)\n\n![Pipe](images/pipe.png)\n\n"
        "![Up](../../up.png)\n",
    )
    result = _build(cli, project)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{POST}:4: image 'images/gone.jpg' not found: looked for posts/images/gone.jpg and images/gone.jpg; "
        "add the file or fix the path\n"
        f"{POST}:10: image 'images/notes.png' (images/notes.png): not a picture that can be read (PNG, JPEG, "
        "GIF or WebP); export it again as PNG or JPEG\n"
        f"{POST}:12: image 'images/out.png' (images/out.png) is a symbolic link to outside the project: not "
        "followed; copy the picture into the project\n"
        f"{POST}:14: image 'images/pipe.png' (images/pipe.png): not a regular file (a pipe, device or "
        "folder): use a picture file (PNG, JPEG, GIF or WebP)\n"
        f"{POST}:16: image '../../up.png' is outside the project; copy the picture into the project (beside "
        "the post or from the project root)\n"
        "Aborted: 5 errors found.\n"
    )
    assert not project.build.exists()
    checked = cli("--project", project.root, "check")
    assert checked.exit_code == 1
    assert f"{POST}:4: error[image]: image 'images/gone.jpg' not found" in checked.stdout


@pytest.mark.slow
def test_check_decodes_pictures_without_making_them(project, cli, monkeypatch):
    _pictures(project)
    from newsletter.email import pictures

    made = []
    real = pictures.make
    monkeypatch.setattr(pictures, "make", lambda raw, write, *a: made.append(write) or real(raw, write, *a))
    result = cli("--project", project.root, "check")
    assert result.exit_code == 0, result.output
    assert made == [False, False] and not project.build.exists()  # decoded, no file made
    made.clear()
    assert _build(cli, project).exit_code == 0
    assert made == [True, True]  # each picture made once in the run


@pytest.mark.slow
def test_send_dry_run_embeds_local_images_as_related_parts(project, cli):
    _pictures(project)
    result = cli("--project", project.root, "send", "--to", "me@example.com", "--dry-run", "--raw")
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes[result.stdout_bytes.index(b"Subject:") :]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    kinds = [part.get_content_type() for part in message.walk()]
    assert kinds == ["multipart/alternative", "text/plain", "multipart/related", "text/html", "image/jpeg",
                     "image/png"]  # fmt: skip
    html = message.get_body(("html",)).get_content()
    cids = {part["Content-ID"].strip("<>"): part for part in message.walk() if part["Content-ID"]}
    sources = [_src(t) for t in _img_tags(html)]
    assert sorted(s.removeprefix("cid:") for s in sources) == sorted(cids)
    assert all(HASHED.fullmatch(c.split("@")[0]) and c.endswith("@viaskincare.com") for c in cids)
    hero = next(p for c, p in cids.items() if c.startswith("hero-"))
    with Image.open(io.BytesIO(hero.get_content())) as picture:
        assert picture.size == (1200, 800)
    assert f"{ARCHIVE}/{WEEK}/images/" not in html  # the test copy needs nothing published


@pytest.mark.slow
def test_editing_a_picture_renders_its_issue_again(built_copy, cli):
    project = built_copy
    before = _images(project)
    again = _build(cli, project)
    assert " 0 written" in again.stdout  # unchanged: nothing rendered or written
    _png(project.posts / "images" / "steps.png", (400, 300), colour=(200, 30, 30, 255))
    edited = _build(cli, project)
    assert edited.exit_code == 0 and " 0 written" not in edited.stdout
    after = _images(project)
    old = next(n for n in before if n.startswith("steps-"))
    (new,) = [n for n in after if n.startswith("steps-") and n != old]  # a new name for new bytes
    assert after[old] == before[old]  # and the old file stays: emails sent already point at it
    assert " removed" not in edited.stdout
    html = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    assert new in html and old not in html
    assert " 0 written" in _build(cli, project).stdout  # the kept file does not make the issue stale


@pytest.mark.slow
def test_a_picture_no_longer_used_stays_in_the_issue_folder(built_copy, cli):
    project = built_copy
    before = _images(project)
    _pictures(project, body="No picture in the body any more.\n")
    result = _build(cli, project)
    assert result.exit_code == 0 and " removed" not in result.stdout, result.output
    assert _images(project) == before


@pytest.mark.slow
def test_two_builds_are_byte_identical(built_copy, cli):
    project = built_copy
    first = project.outputs()
    shutil.rmtree(project.build)
    assert _build(cli, project, "--no-cache").exit_code == 0
    assert project.outputs() == first
    assert any(name.startswith(f"{WEEK}/images/") for name in first)


@pytest.mark.slow
def test_downloaded_images_of_an_import_build(project, cli, tmp_path):
    page = tmp_path / "saved"
    (page / "images").mkdir(parents=True)
    fixtures = REPO / "tests" / "fixtures" / "import"
    shutil.copy(fixtures / "plain-post.html", page / "post.html")
    shutil.copy(fixtures / "label.png", page / "images" / "label.png")
    imported = cli(
        "--project", project.root, "import", page / "post.html", "--download-images", "--published"
    )
    assert imported.exit_code == 0, imported.output
    (post,) = project.posts.glob("*.md")
    assert f"]({post.stem}/label.png)" in post.read_text(encoding="utf-8").replace(
        "{width=480 height=320}", ""
    )
    result = cli("--project", project.root, "build", "--all")
    assert result.exit_code == 0, result.output
    (week,) = [p for p in project.build.iterdir() if p.is_dir() and not p.name.startswith(".")]
    (name,) = [p.name for p in (week / "images").iterdir()]
    assert re.fullmatch(r"label-[0-9a-f]{8}\.png", name)
    html = (week / "email.html").read_text(encoding="utf-8")
    tag = next(t for t in _img_tags(html) if name in t)
    # The page said 480x320; the picture is 4x3 pixels: the given width stays, the height keeps its shape.
    assert _src(tag) == f"{ARCHIVE}/{week.name}/images/{name}" and ' width="480" height="360"' in tag


def test_the_preview_serves_an_issue_images_from_its_build():
    from newsletter.preview.server import _local_images

    page = f'<img src="{ARCHIVE}/{WEEK}/images/steps-0123abcd.png"><a href="{ARCHIVE}/{WEEK}/">'.encode()
    assert _local_images(page, ARCHIVE) == (
        f'<img src="/build/{WEEK}/images/steps-0123abcd.png"><a href="{ARCHIVE}/{WEEK}/">'.encode()
    )


@pytest.mark.slow
def test_digest_shows_a_local_body_picture_from_the_issue_folder_with_its_size(project, cli):
    """Issue 22 review 1: no hero, a local body picture; the digest used its reference as a site URL."""
    _png(project.posts / "images" / "steps.png", (400, 300))
    project.settings("layout = digest\n")
    project.post("2026-10-14-pictures.md", "---\ntitle: Pictures\ndate: 2026-10-14\n---\n\nHello there.\n\n"
                 "![Steps](images/steps.png)\n")  # fmt: skip
    assert _build(cli, project).exit_code == 0
    (name,) = _images(project)
    folder = project.build / WEEK
    for page, url in (("email.html", f"{ARCHIVE}/{WEEK}/images/{name}"), ("index.html", f"images/{name}")):
        tags = _img_tags((folder / page).read_text(encoding="utf-8"))
        (tag,) = [t for t in tags if "steps" in t]
        assert _src(tag) == url, page  # the web copy refers to the issue folder's copy relatively
        assert ' width="400" height="300"' in tag, page
    result = cli("--project", project.root, "send", "--to", "me@example.com", "--dry-run", "--raw")
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes[result.stdout_bytes.index(b"Subject:") :]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    (tag,) = [t for t in _img_tags(html) if "steps" in t]
    assert _src(tag) == f"cid:{name}@viaskincare.com"
    assert [p["Content-ID"] for p in message.walk() if p["Content-ID"]] == [f"<{name}@viaskincare.com>"]


@pytest.mark.slow
def test_each_image_error_names_the_line_of_the_image_itself(project, cli):
    """Review 9: the line was the first one holding the path's text: prose mentioning it earlier, an
    escaped `&amp;` src (never found: line 0 of the body) and `![d](.)` (a dot is on most lines)."""
    project.post(
        "2026-10-14-pictures.md",
        "---\ntitle: Pictures\ndate: 2026-10-14\n---\n\nHello.\n\n"
        "First put images/gone.png and a&b.png beside the post (see the picture below).\n\n"
        "```\n![Gone](images/gone.png)\n```\n\n"
        "![Gone](images/gone.png)\n\n"
        '<img src="a&amp;b.png" alt="Both">\n\n'
        "![Dot](.)\n\n"
        "![Ref][later]\n\n"
        "[later]: images/later.png\n",
    )
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    fix = "add the file or fix the path"
    assert result.stderr.splitlines() == [
        f"{POST}:14: image 'images/gone.png' not found: looked for posts/images/gone.png and images/gone.png; {fix}",
        f"{POST}:16: image 'a&b.png' not found: looked for posts/a&b.png and a&b.png; {fix}",
        f"{POST}:18: image '.' (posts): not a regular file (a pipe, device or folder): use a picture file (PNG, "
        "JPEG, GIF or WebP)",
        f"{POST}:22: image 'images/later.png' not found: looked for posts/images/later.png and images/later.png; "
        f"{fix}",
        "Aborted: 4 errors found.",
    ]


@pytest.mark.slow
def test_the_hero_follows_the_body_pictures_rules_for_dot_dot(project, cli):
    """Review 10: `image: ../images/photo.jpg` was refused with an outdated message, while the body took
    `../`: inside the project both are fine, outside both get the body's error."""
    _jpeg(project.root / "images" / "photo.jpg", (300, 200))
    project.post(
        "2026-10-14-pictures.md",
        "---\ntitle: Pictures\ndate: 2026-10-14\nimage: ../images/photo.jpg\nimage_alt: Hands\n---\n\n"
        "Hello.\n\n![Again](../images/photo.jpg)\n",
    )
    assert _build(cli, project).exit_code == 0
    (name,) = _images(project)
    html = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    assert [_src(t) for t in _img_tags(html) if "photo" in t] == [f"{ARCHIVE}/{WEEK}/images/{name}"] * 2
    project.post(
        "2026-10-14-pictures.md",
        "---\ntitle: Pictures\ndate: 2026-10-14\nimage: ../../photo.jpg\nimage_alt: Hands\n---\n\n"
        "Hello.\n\n![Again](../../other.jpg)\n",
    )
    result = _build(cli, project)
    outside = ("image '../../photo.jpg' is outside the project; copy the picture into the project (beside the post "
               "or from the project root)")  # fmt: skip
    assert result.stderr.splitlines() == [
        f"{POST}:4: {outside}",
        f"{POST}:10: {outside.replace('photo', 'other')}",
        "Aborted: 2 errors found.",
    ]


@pytest.mark.slow
def test_pictures_in_the_issue_files_intro_are_local_images(project, cli):
    """Review 4: the intro's pictures became site URLs and check said nothing about missing ones."""
    _png(project.root / "images" / "steps.png", (400, 300))
    project.post("2026-10-14-pictures.md", "---\ntitle: Pictures\ndate: 2026-10-14\n---\n\nHello.\n")
    issues = project.root / "issues"
    issues.mkdir()
    intro = "---\nsubject: Pictures week\n---\n\nA note from the studio.\n\n![Steps](images/steps.png)\n"
    (issues / f"{WEEK}.md").write_text(intro, encoding="utf-8")
    assert _build(cli, project).exit_code == 0
    (name,) = _images(project)
    assert name.startswith("steps-")
    for page, url in (("email.html", f"{ARCHIVE}/{WEEK}/images/{name}"), ("index.html", f"images/{name}")):
        html = (project.build / WEEK / page).read_text(encoding="utf-8")
        (tag,) = [t for t in _img_tags(html) if "steps" in t]
        assert _src(tag) == url and ' width="400" height="300"' in tag, page
    sent = cli("--project", project.root, "send", "--to", "me@example.com", "--dry-run", "--raw")
    assert f'src="cid:{name}@viaskincare.com"' in sent.stdout.replace("=\n", "").replace("=3D", "=")
    # An edited intro picture renders the issue again.
    _png(project.root / "images" / "steps.png", (400, 300), colour=(200, 30, 30, 255))
    assert " 0 written" not in _build(cli, project).stdout
    (issues / f"{WEEK}.md").write_text(
        intro + "\n![Gone](images/gone.png)\n\n![Key](../../etc/passwd)\n", "utf-8"
    )
    expected = [
        f"issues/{WEEK}.md:9: image 'images/gone.png' not found: looked for issues/images/gone.png and "
        "images/gone.png; add the file or fix the path",
        f"issues/{WEEK}.md:11: image '../../etc/passwd' is outside the project; copy the picture into the "
        "project (beside the issue file or from the project root)",
    ]
    built = cli("--project", project.root, "build")
    assert (built.exit_code, built.stderr.splitlines()) == (1, [*expected, "Aborted: 2 errors found."])
    checked = cli("--project", project.root, "check")
    assert checked.exit_code == 1
    assert [line for line in checked.stdout.splitlines() if line.startswith("issues/")] == [
        e.replace(": image", ": error[image]: image", 1) for e in expected
    ]
