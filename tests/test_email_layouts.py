"""Layouts (full, digest), image sizes (Markdown attributes, front matter) and the button's label colour.
What a reader sees of these is measured in tests/test_perceptual.py; here: the markup and the errors."""

from __future__ import annotations

import json
import re

import lxml.html
import pytest
from conftest import plan_of

from newsletter import colors

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): no test
# here edits a template it did not write, and copies would be compiled again (see tests/conftest.py).


WEEK = "2026-W42"
FM = "---\ntitle: Pictures\ndate: 2026-10-14\n{}---\n\n{}\n"
HERO = "image: https://cdn.example.com/hero.jpg\nimage_alt: Hands at work\n"


def _fast_first(count: int, rows: list) -> list:
    """The first `count` rows run in the everyday loop; the others prove the same for other inputs and
    run in the full suite only (marked slow)."""
    made = [r if isinstance(r, tuple) else (r,) for r in rows]
    return [*made[:count], *(pytest.param(*r, marks=pytest.mark.slow) for r in made[count:])]


def _images(project, cli, front: str = "", body: str = "Text.") -> list[dict]:
    project.post("2026-10-14-pics.md", FM.format(front, body))
    result = cli("--project", project.root, "build")
    assert result.exit_code == 0, result.output
    doc = lxml.html.fromstring((project.build / WEEK / "email.html").read_bytes())
    return [dict(img.attrib) for img in doc.xpath("//img")]


# Images -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_markdown_width_is_kept_and_never_exceeds_the_column(project, cli):
    body = (
        "![Badge](https://cdn.example.com/b.png){width=120}\n\n"
        "![Wide](https://cdn.example.com/w.png){width=1600 height=900}\n\n"
        "![Unknown](https://cdn.example.com/u.png)\n\n"
        "![Typo](https://cdn.example.com/t.png){width=wide height=3}\n"
    )
    badge, wide, unknown, typo = _images(project, cli, body=body)
    assert (badge["width"], badge.get("height")) == ("120", None)
    assert "width:120px" in badge["style"] and "max-width:100%" in badge["style"]
    assert (wide["width"], wide["height"]) == ("536", "302")  # 900 * 536 / 1600, proportional
    # Unknown size: Outlook for Windows needs a number (the column); others show the picture's own size.
    assert unknown["width"] == "536" and "height" not in unknown
    assert "width:auto" in unknown["style"] and "max-width:100%" in unknown["style"]
    assert typo["width"] == "536" and "height" not in typo


@pytest.mark.slow
def test_hero_size_from_front_matter(project, cli):
    front = HERO + "image_width: 1200\nimage_height: 630\n"
    (hero,) = _images(project, cli, front=front)
    assert (hero["class"], hero["width"], hero["height"]) == ("hero", "536", "281")
    (small,) = _images(project, cli, front=HERO + "image_width: 400\nimage_height: 300\n")
    assert (small["width"], small["height"]) == ("400", "300")
    (unknown,) = _images(project, cli, front=HERO)
    assert unknown["width"] == "536" and "height" not in unknown and "width:auto" in unknown["style"]


@pytest.mark.parametrize(
    ("front", "message"),
    _fast_first(2, [
        (HERO + "image_width: 0\n", "6: 'image_width' must be a whole number of pixels from 1 to 2000, got '0'"),
        (HERO + "image_width: 2500\n", "6: 'image_width' must be a whole number of pixels from 1 to 2000, got '2500'"),
        (HERO + "image_width: wide\n", "6: 'image_width' must be a whole number of pixels from 1 to 2000, got 'wide'"),
        (HERO + "image_height: true\n", "6: 'image_height' must be a whole number of pixels from 1 to 2000, got 'true'"),
        (HERO + "image_height: 300\n", "6: 'image_height' needs 'image_width' so the picture keeps its shape"),
        ("image_width: 300\n", "4: 'image_width' describes the hero picture: set 'image' too, or remove it"),
    ]),
)  # fmt: skip
def test_bad_hero_sizes_are_errors_with_their_line(project, cli, front, message):
    project.post("2026-10-14-pics.md", FM.format(front, "Text."))
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"posts/2026-10-14-pics.md:{message}"


@pytest.mark.slow
def test_event_handler_in_attribute_list_is_removed_with_a_warning(project, cli):
    (img,) = _images(project, cli, body="![A](https://cdn.example.com/a.png){onerror=alert(1) width=50}")
    assert "onerror" not in img and img["width"] == "50"
    assert (
        "posts/2026-10-14-pics.md:6: warning: removed event handler attribute 'onerror'"
        in cli("--project", project.root, "build", "--no-cache").stderr
    )


@pytest.mark.slow
def test_check_warns_about_images_without_a_width(project, cli):
    project.post("2026-10-14-pics.md", FM.format(HERO, "Text.\n\n![Roller](https://cdn.example.com/r.png)"))
    report = json.loads(cli("--project", project.root, "check", "--format", "json").stdout)
    found = [(f["file"], f["line"], f["message"]) for f in report["findings"] if f["rule"] == "img-width"]
    why = "Outlook for Windows shows it 536 px wide whatever its size"
    assert found == [
        ("posts/2026-10-14-pics.md", 4, f"hero image has no image_width: {why}"),
        ("posts/2026-10-14-pics.md", 10,
         f"image 'https://cdn.example.com/r.png' has no width: {why}; add {{width=N}} after it"),
    ]  # fmt: skip


# Layouts ------------------------------------------------------------------------------------------


def test_digest_layout_matches_golden_files(sample, cli, golden):
    sample.settings("layout = digest\n")
    assert cli("--project", sample.root, "build").exit_code == 0
    for name in ("email.html", "email.txt"):
        golden(f"digest/{name}", (sample.build / WEEK / name).read_bytes())
    doc = lxml.html.fromstring((sample.build / WEEK / "email.html").read_bytes())
    buttons = doc.xpath("//a[@class='button']")
    titles = doc.xpath("//a[@class='title-link']")
    assert [b.text_content() for b in buttons] == ["Read more", "Read more"]
    assert [b.get("href") for b in buttons] == [t.get("href") for t in titles]
    assert not doc.xpath("//div[@class='content']")  # summaries only, no article bodies
    text = (sample.build / WEEK / "email.txt").read_text(encoding="utf-8")
    assert text.count("Read more:\nhttps://viaskincare.com/blog/") == 2  # a long URL on its own line


@pytest.mark.slow
def test_render_takes_the_layout_as_a_parameter(sample):
    from newsletter.content.settings import load_settings
    from newsletter.email import render
    from newsletter.errors import NewsletterError

    settings = load_settings(sample.root)
    issue = plan_of(sample.root).issues[0].issue
    renderer = render.Renderer(settings)
    assert settings.layout == "full"
    assert 'class="content"' in render.email_html(issue, renderer)
    assert 'class="content"' not in render.email_html(issue, renderer, layout="digest")
    assert "Read more:" in render.email_text(issue, renderer, layout="digest")
    with pytest.raises(NewsletterError, match=re.escape("layout must be one of full | digest, got 'grid'")):
        render.email_html(issue, renderer, layout="grid")


def test_unknown_layout_is_a_settings_error(project, cli):
    project.settings("layout = magazine\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "setup.cfg:15: [newsletter] layout: expected one of full | digest, got 'magazine'"
    )


# The button's label ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("accent", "label"),
    [
        ("#8a6f5a", "#ffffff"),
        pytest.param("#1a73e8", "#ffffff", marks=pytest.mark.slow),
        pytest.param("#ffcc00", "#1a1a1a", marks=pytest.mark.slow),
    ],
)
def test_button_label_is_white_or_dark_whichever_reads(project, cli, accent, label):
    project.settings(f"accent_color = {accent}\n")
    project.post(
        "2026-10-14-a.md", "---\ntitle: A\ndate: 2026-10-14\ncta: {text: Go, url: https://x.org}\n---\n\nT.\n"
    )
    assert cli("--project", project.root, "build").exit_code == 0
    html = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    (button,) = lxml.html.fromstring(html.encode()).xpath("//a[@class='button']")
    style = dict(p.strip().split(":", 1) for p in button.get("style").split(";") if p.strip())
    assert colors.rgb(style["background-color"].strip()) == colors.rgb(accent)  # premailer writes #fc0
    assert colors.contrast(style["color"].strip(), accent) >= 4.5
    assert f"color:{label};" in html  # the Outlook (VML) label too
    assert colors.label_on(accent) == label


@pytest.mark.slow
def test_right_to_left_articles_get_their_direction(project, cli):
    project.post("2026-10-14-ar.md", "---\ntitle: تدليك الوجه\ndate: 2026-10-14\n---\n\nفقرة.\n\n- عنصر\n")
    project.post("2026-10-15-en.md", "---\ntitle: Massage\ndate: 2026-10-15\n---\n\nEnglish, then עברית.\n")
    assert cli("--project", project.root, "build").exit_code == 0
    doc = lxml.html.fromstring((project.build / WEEK / "email.html").read_bytes())
    arabic, english = doc.xpath("//td[@class='article']")
    assert arabic.get("dir") == "rtl" and english.get("dir") is None
    assert [p.get("dir") for p in arabic.xpath(".//div[@class='content']//p")] == ["auto"]
    assert [p.get("dir") for p in english.xpath(".//div[@class='content']//p")] == ["auto"]
