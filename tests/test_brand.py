"""The studio's brand (issue 22, item 2) and the web copy and archive a reader lands on (item 4), through
the command line: the postal address, the accent colour checked in light and dark mode, the logo, the
social links, the subscribe link, the web copy's header and the archive page. What a reader sees of these
is measured in a real browser in tests/test_perceptual.py."""

from __future__ import annotations

import io
import re
import shutil

import lxml.html
import pytest
from conftest import REPO, SETTINGS, Project, plan_of
from PIL import Image

from newsletter import colors

WEEK = "2026-W42"
POST = """\
---
title: Colour and movement
date: 2026-10-14
summary: Why the face needs movement, in one short read.
cta: {text: Book a facial, url: "https://viaskincare.com/book"}
---

An opening paragraph with [a link](https://viaskincare.com/services).

## A section heading

> A quote from the studio.

The end.
"""
ADDRESS_LINE = 9  # of conftest.SETTINGS
PLACEHOLDER = "Via Skincare, 1 Example Street, Springfield"
WHY = "a postal address is required in commercial email in the US and the EU"


def _fast_first(count: int, rows: list) -> list:
    """The first `count` rows run in the everyday loop; the others prove the same for other inputs and
    run in the full suite only (marked slow)."""
    made = [r if isinstance(r, tuple) else (r,) for r in rows]
    return [*made[:count], *(pytest.param(*r, marks=pytest.mark.slow) for r in made[count:])]


# conftest's projects copy the packaged templates into templates/, and Jinja keeps compiled templates by
# file path, so each test compiled its copies again (a third of a build's time). No test here edits a
# template it did not write: their projects are made here with templates/ empty, as `newsletter init`
# leaves it, so they use the packaged ones.
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
def built(_once, tmp_path_factory, cli):
    """The one-post project of _project() with the test settings, built once for this module by the
    first test that asks (under conftest's clock and checks), and that build's result; shared: tests
    only read it."""
    if not _once:
        root = tmp_path_factory.mktemp("brand")
        (root / "posts").mkdir()
        (root / "templates").mkdir()
        _once["project"] = _project(Project(root))
        _once["result"] = _build(_once["project"], cli)
    return _once["project"], _once["result"]


def _project(project, extra: str = "", address: str | None = None):
    text = SETTINGS
    if address is not None:
        text = re.sub(r"(?m)^address = .*$", f"address = {address}".rstrip(), text)
    project.settings(extra, text=text)
    project.post("2026-10-14-colour.md", POST)
    return project


def _build(project, cli, *args: str):
    result = cli("--project", project.root, "build", *args)
    assert result.exit_code == 0, result.output
    return result


def _email(project) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((project.build / WEEK / "email.html").read_bytes())


def _web(project) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((project.build / WEEK / "index.html").read_bytes())


def _archive(project) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((project.build / "index.html").read_bytes())


def _style(element) -> dict[str, str]:
    """The inline style, colours spelled #rrggbb (premailer shortens #ffffff to #fff)."""
    pairs = (p.split(":", 1) for p in element.get("style", "").split(";") if ":" in p)
    return {
        k.strip(): re.sub(r"#[0-9a-fA-F]{3,6}\b", lambda m: colors.normal(m.group(0)), v.strip())
        for k, v in pairs
    }


def _dark_rules(html: str) -> str:
    return html.split("@media (prefers-color-scheme: dark)", 1)[1]


def _png(width: int, height: int, color=(123, 63, 160)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


# The postal address ------------------------------------------------------------------------------


def _address_warning(address: str, what: str) -> str:
    return f"setup.cfg:{ADDRESS_LINE}: warning: [newsletter] address: '{address}' is a placeholder ('{what}'); {WHY}: set it to the sender's postal address"


@pytest.mark.parametrize(
    ("address", "what"),
    [
        (PLACEHOLDER, "Example Street"),  # what `newsletter init` writes
        # the repository's sample, and the other kinds of placeholder: in the full suite
        pytest.param(
            "Via Skincare, studio address to be confirmed", "to be confirmed", marks=pytest.mark.slow
        ),
        pytest.param("Studio Lumen, see www.example.com", "example.com", marks=pytest.mark.slow),
        pytest.param("Studio Lumen, TBD", "TBD", marks=pytest.mark.slow),
        pytest.param("Studio Lumen, address tbc", "tbc", marks=pytest.mark.slow),
        pytest.param("XXX Larkin Street", "XXX", marks=pytest.mark.slow),
    ],
)
def test_a_placeholder_address_warns_in_build_and_check(project, cli, address, what):
    _project(project, address=address)
    result = _build(project, cli)
    assert _address_warning(address, what) in result.stderr.splitlines()
    check = cli("--project", project.root, "check")
    assert check.exit_code == 0
    assert (
        f"setup.cfg:{ADDRESS_LINE}: warning[address]: [newsletter] address: '{address}' is a placeholder ('{what}'); "
        f"{WHY}: set it to the sender's postal address\n"
        "    fix: set address in setup.cfg to the sender's postal address\n"
    ) in check.output
    assert cli("--project", project.root, "check", "--strict").exit_code == 1


@pytest.mark.slow
def test_a_placeholder_or_empty_address_stops_send(project, cli):
    _project(project, address=PLACEHOLDER)
    result = cli("--project", project.root, "send", "--to", "me@example.org", "--dry-run")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"setup.cfg:{ADDRESS_LINE}: [newsletter] address: '{PLACEHOLDER}' is a placeholder ('Example Street'); {WHY}: "
        "set it to the sender's postal address",
        "Aborted: 1 error found.",
    ]
    _project(project, address="")
    result = cli("--project", project.root, "send", "--to", "me@example.org", "--dry-run")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"setup.cfg:{ADDRESS_LINE}: [newsletter] address: is empty; {WHY}: set it to the sender's postal address"
    )
    build = _build(project, cli)  # the same empty address only warns while nothing is sent
    assert f"setup.cfg:{ADDRESS_LINE}: warning: [newsletter] address: is empty; {WHY}" in build.stderr


@pytest.mark.slow
def test_a_real_address_sends_and_warns_nowhere(built, cli):
    project, build = built
    result = cli("--project", project.root, "send", "--to", "me@example.org", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "address" not in build.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "address", ["Studio Lumen, Examplestraße 5, 10115 Berlin", "1 Main St, Example, TX 75001"]
)
def test_a_real_address_holding_example_sends(project, cli, address):
    """Review 12: any 'example' substring was a placeholder, so real streets and towns were refused."""
    _project(project, address=address)
    result = cli("--project", project.root, "send", "--to", "me@example.org", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "address" not in result.stderr


@pytest.mark.slow
def test_a_postal_address_on_several_lines_is_shown_as_lines(project, cli):
    """Review 12: a multi-line address was refused ('must be a single line'); setup.cfg's continuation
    lines are the address's lines in the email's and web copy's footer and the text part, joined with
    commas on the archive page's one footer line."""
    lines = ["Via Skincare", "2140 Larkin Street", "San Francisco, CA 94109"]
    _project(project, address="\n    ".join(lines))
    result = cli("--project", project.root, "send", "--to", "me@example.org", "--dry-run")
    assert result.exit_code == 0, result.output
    _build(project, cli)
    for page in (_email(project), _web(project)):
        (footer,) = [p for p in page.xpath("//p") if p.text == lines[0]]
        assert [footer.text, *(br.tail for br in footer.iter("br"))] == lines
    text = (project.build / WEEK / "email.txt").read_text(encoding="utf-8")
    assert "\n".join(lines) + "\n" in text
    assert "Via Skincare, 2140 Larkin Street, San Francisco, CA 94109" in _archive(project).text_content()
    _project(project, address="\n    ".join(["Via Skincare", "Example Street 1"]))
    sent = cli("--project", project.root, "send", "--to", "me@example.org", "--dry-run")
    assert sent.stderr.splitlines()[0] == (
        f"setup.cfg:{ADDRESS_LINE}: [newsletter] address: 'Via Skincare, Example Street 1' is a placeholder "
        f"('Example Street'); {WHY}: set it to the sender's postal address"
    )


def test_the_preview_warns_about_the_placeholder_address_too(project):
    _project(project, address=PLACEHOLDER)
    made = plan_of(project.root, "PREVIEW")
    assert [str(w) for w in made.warnings if w.rule == "address"] == [
        _address_warning(PLACEHOLDER, "Example Street")
    ]


@pytest.mark.slow
@pytest.mark.all_cores  # as a user runs it: one issue, its captions and cards in a forked child
def test_the_readme_first_command_still_builds_the_sample(tmp_path, cli):
    """`pip install . && newsletter build` in the repository: its setup.cfg keeps the placeholder."""
    for name in ("posts", "issues", "templates"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "setup.cfg", tmp_path / "setup.cfg")
    result = cli("--project", tmp_path, "build")
    assert result.exit_code == 0, result.output
    assert (
        "warning: [newsletter] address: 'Via Skincare, studio address to be confirmed' is a placeholder"
        in (result.stderr)
    )


# The accent colour -------------------------------------------------------------------------------


def test_a_purple_accent_colours_links_headings_quote_bar_masthead_and_button(project, cli):
    _project(project, "accent_color = #7b3fa0\n")
    result = _build(project, cli)
    assert "accent_color" not in result.stderr  # it reads on white as given
    email = _email(project)
    assert _style(email.xpath("//div[@class='content']//a")[0])["color"] == "#7b3fa0"
    assert _style(email.xpath("//div[@class='content']//h2")[0])["color"] == "#7b3fa0"
    assert _style(email.xpath("//div[@class='content']//blockquote")[0])["border-left"] == "3px solid #7b3fa0"
    assert _style(email.xpath("//td[@class='masthead']/a")[0])["color"] == "#7b3fa0"
    button = _style(email.xpath("//a[@class='button']")[0])
    assert (button["background-color"], button["color"]) == ("#7b3fa0", "#ffffff")
    # Dark mode: the accent lightened until it reads on the dark card.
    html = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    dark = _dark_rules(html)
    card = re.search(r"\.container \{ background-color: (#[0-9a-f]{6})", dark).group(1)
    link = re.search(r"\.content a, \.web-nav-link \{ color: (#[0-9a-f]{6})", dark).group(1)
    assert link != "#7b3fa0" and colors.contrast(link, card) >= 4.5


@pytest.mark.slow
def test_a_pale_accent_is_darkened_to_read_with_a_warning(project, cli):
    _project(project, "accent_color = #f0e68c\n")
    result = _build(project, cli)
    assert result.stderr.splitlines()[:2] == [
        "setup.cfg:15: warning: [newsletter] accent_color: '#f0e68c' reaches 1.28:1 on the white email; WCAG AA "
        "needs 4.5:1 for links and headings, so they use '#7d7849' (4.51:1); set a darker accent_color to choose "
        "the shade yourself",
        "setup.cfg:15: warning: [newsletter] accent_color: '#f0e68c' reaches 1.28:1 on the white email; WCAG AA "
        "needs 3:1 for the quote bar, so they use '#9d965c' (3.02:1); set a darker accent_color to choose the "
        "shade yourself",
    ]
    email = _email(project)
    assert _style(email.xpath("//div[@class='content']//a")[0])["color"] == "#7d7849"
    assert _style(email.xpath("//div[@class='content']//blockquote")[0])["border-left"] == "3px solid #9d965c"
    button = _style(email.xpath("//a[@class='button']")[0])  # a pale button takes a dark label: as given
    assert (button["background-color"], button["color"]) == ("#f0e68c", "#1a1a1a")
    dark = _dark_rules((project.build / WEEK / "email.html").read_text(encoding="utf-8"))
    assert ".content a, .web-nav-link { color: #f0e68c !important; }" in dark  # dark mode reads it as given
    check = cli("--project", project.root, "check")
    assert (
        "setup.cfg:15: warning[accent-contrast]: [newsletter] accent_color: '#f0e68c' reaches" in check.output
    )


@pytest.mark.slow
def test_a_middle_grey_accent_darkens_the_button_instead_of_failing(project, cli):
    _project(project, "accent_color = #777777\n")
    result = _build(project, cli)
    assert (
        "setup.cfg:15: warning: [newsletter] accent_color: neither a white nor a dark label reaches 4.5:1 on "
        "'#777777' (4.48:1 at best), so the button uses '#767676' (white label, 4.54:1); set a darker or lighter "
        "accent_color to choose the shade yourself"
    ) in result.stderr.splitlines()
    button = _style(_email(project).xpath("//a[@class='button']")[0])
    assert (button["background-color"], button["color"]) == ("#767676", "#ffffff")


@pytest.mark.slow
def test_accent_color_dark_is_checked_on_the_dark_card(project, cli):
    _project(project, "accent_color = #7b3fa0\naccent_color_dark = #3a1f4d\n")
    result = _build(project, cli)
    (warning,) = [
        line for line in result.stderr.splitlines() if "accent_color_dark" in line and "links" in line
    ]
    assert warning.startswith(
        "setup.cfg:16: warning: [newsletter] accent_color_dark: '#3a1f4d' reaches 1.07:1 on the dark-mode email ("
    )
    assert warning.endswith("set a lighter accent_color_dark to choose the shade yourself")
    _project(project, "accent_color_dark = purple\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "setup.cfg:15: [newsletter] accent_color_dark: expected a hex colour like #c9a88f, got 'purple'"
    )


# The logo ----------------------------------------------------------------------------------------


def _logo_names(project) -> list[str]:
    return sorted(p.name for p in (project.build / WEEK / "images").iterdir())


@pytest.mark.slow
def test_a_logo_file_is_made_into_the_issue_folder_by_content(project, cli):
    (project.root / "images").mkdir()
    data = _png(800, 200)
    (project.root / "images" / "logo.png").write_bytes(data)
    _project(project, "logo = images/logo.png\nlogo_width = 160\n")
    result = _build(project, cli)
    assert "logo" not in result.stderr
    (name,) = _logo_names(project)
    assert re.fullmatch(r"logo-[0-9a-f]{12}\.png", name)
    with Image.open(project.build / WEEK / "images" / name) as made:
        assert (made.format, made.size) == ("PNG", (320, 80))  # twice its display width, for sharp screens
    url = f"https://viaskincare.com/newsletter/{WEEK}/images/{name}"
    (logo,) = _email(project).xpath("//td[contains(@class, 'masthead')]//img")
    assert (logo.get("src"), logo.get("width"), logo.get("height"), logo.get("alt")) == (
        url,
        "160",
        "40",
        "Via Skincare",
    )
    assert logo.getparent().get("href").startswith("https://viaskincare.com")  # the logo links home
    # The web copy and the archive page refer to the issue folder's copy relatively: right when published
    # at {archive_url}/WEEK/ and {archive_url}/, and shown when opened from build/ before that.
    assert _web(project).xpath("//td[contains(@class, 'masthead')]//img/@src") == [f"images/{name}"]
    assert _archive(project).xpath("//header//img/@src") == [f"{WEEK}/images/{name}"]
    # A new logo: a new name, and the old copy stays (emails sent already show it).
    (project.root / "images" / "logo.png").write_bytes(_png(400, 100, (10, 120, 90)))
    rebuilt = _build(project, cli)
    assert " removed" not in rebuilt.stdout
    assert name not in (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    assert len(_logo_names(project)) == 2 and name in _logo_names(project)


@pytest.mark.slow
def test_a_logo_is_never_shown_wider_than_its_pixels(project, cli):
    (project.root / "images").mkdir()
    (project.root / "images" / "logo.png").write_bytes(_png(120, 60))
    _project(project, "logo = images/logo.png\nlogo_width = 240\n")
    result = _build(project, cli)
    assert (
        "setup.cfg:15: warning: [newsletter] logo: logo_width 240 is wider than 'images/logo.png' (120 px): it is "
        "shown 120 px wide, never stretched; give a picture at least twice as wide for sharp screens"
    ) in result.stderr.splitlines()
    (logo,) = _email(project).xpath("//img[@class='logo']")
    assert (logo.get("width"), logo.get("height")) == ("120", "60")


@pytest.mark.slow
def test_a_logo_on_the_web_is_used_as_it_is(project, cli):
    _project(project, "logo = https://cdn.example.com/logo.png\n")
    result = _build(project, cli)
    assert (
        "setup.cfg:15: warning: [newsletter] logo: 'https://cdn.example.com/logo.png' is on the web and has no "
        "logo_width: it is shown 200 px wide (the build never downloads it to measure); set logo_width"
    ) in result.stderr.splitlines()
    (logo,) = _email(project).xpath("//img[@class='logo']")
    assert (logo.get("src"), logo.get("width"), logo.get("height")) == (
        "https://cdn.example.com/logo.png",
        "200",
        None,
    )
    assert not (project.build / WEEK / "images").exists()


@pytest.mark.parametrize(
    ("setting", "file", "message"),
    _fast_first(1, [
        ("logo = images/missing.png", None,
         "setup.cfg:15: [newsletter] logo: 'images/missing.png' cannot be read: No such file or directory"),
        ("logo = images/logo.png", b"not a picture",
         "setup.cfg:15: [newsletter] logo: 'images/logo.png' is not a PNG, JPEG, GIF or WebP image"),
        ("logo = images/logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>",
         "setup.cfg:15: [newsletter] logo: 'images/logo.svg' is not a PNG, JPEG, GIF or WebP image (Gmail and "
         "Outlook do not show SVG; export a PNG)"),
        ("logo = ../logo.png", None,
         "setup.cfg:15: [newsletter] logo: '../logo.png' is outside the project; put the logo in the project, "
         "e.g. images/logo.png"),
        ("logo = https://user:secret@cdn.example.com/l.png", None,
         "setup.cfg:15: [newsletter] logo: 'https://user:secret@cdn.example.com/l.png' holds a user name or "
         "password (the part before '@'); remove it: give an https:// URL or a file of the project such as "
         "images/logo.png"),
        ("logo = https://cdn.example.com/l.png\nlogo_width = 900", None,
         "setup.cfg:16: [newsletter] logo_width: expected a width in pixels from 1 to 536 (the email's column), "
         "got '900'"),
    ]),
)  # fmt: skip
def test_logo_errors_name_the_setting_and_line(project, cli, setting, file, message):
    if file is not None:
        (project.root / "images").mkdir()
        (project.root / setting.split("= ")[1]).write_bytes(file)
    _project(project, setting + "\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message, "Aborted: 1 error found."]
    assert not project.build.exists()


# Social links, subscribe link --------------------------------------------------------------------

SOCIAL = """\
social_links =
    instagram https://www.instagram.com/viaskincare
    https://www.facebook.com/viaskincare
    tiktok = https://www.tiktok.com/@viaskincare
    site https://shop.viaskincare.com
"""


@pytest.mark.slow
def test_social_links_are_text_links_in_the_footer_in_their_order(project, cli):
    _project(project, SOCIAL)
    _build(project, cli)
    for page in (_email(project), _web(project)):
        links = page.xpath("//td[@class='footer']//p[@class='social']/a")
        assert [(a.text, a.get("href")) for a in links] == [
            ("Instagram", "https://www.instagram.com/viaskincare"),
            ("Facebook", "https://www.facebook.com/viaskincare"),  # a bare URL is named by its host
            ("TikTok", "https://www.tiktok.com/@viaskincare"),
            ("shop.viaskincare.com", "https://shop.viaskincare.com"),
        ]


def test_social_link_errors_name_the_line_of_the_entry(project, cli):
    _project(
        project,
        "social_links =\n    instgram https://www.instagram.com/v\n    facebook www.facebook.com/v\n"
        "    youtube https://youtube.com/@v\n    youtube https://youtube.com/@w\n    just words here\n",
    )
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "setup.cfg:16: [newsletter] social_links: unknown network 'instgram': did you mean 'instagram'? (known: "
        "instagram, facebook, tiktok, linkedin, pinterest, youtube, x, bluesky, threads, mastodon, site)",
        "setup.cfg:17: [newsletter] social_links: facebook: expected an http(s) URL, got 'www.facebook.com/v'",
        "setup.cfg:19: [newsletter] social_links: 'youtube' is listed twice (first on line 18); keep one",
        "setup.cfg:20: [newsletter] social_links: expected 'network URL' such as 'instagram "
        "https://www.instagram.com/yourstudio', got 'just words here'",
        "Aborted: 4 errors found.",
    ]


@pytest.mark.slow
def test_an_http_social_or_subscribe_link_is_flagged_like_a_post_link(project, cli):
    _project(
        project,
        "social_links =\n    instagram https://www.instagram.com/v\n    facebook http://www.facebook.com/v\n"
        "subscribe_url = http://viaskincare.com/subscribe\n",
    )
    result = cli("--project", project.root, "check")
    assert result.exit_code == 0, result.output
    assert (
        "setup.cfg:17: warning[link-insecure]: [newsletter] social_links: facebook: insecure link "
        "'http://www.facebook.com/v'\n    fix: change http:// to https://\n"
        "setup.cfg:18: warning[link-insecure]: [newsletter] subscribe_url: insecure link "
        "'http://viaskincare.com/subscribe'\n    fix: change http:// to https://\n"
    ) in result.stdout
    assert "insecure link 'http://www.facebook.com/v'" in _build(project, cli).stderr


@pytest.mark.slow
def test_subscribe_url_shows_on_the_web_copy_and_archive_not_in_the_email(project, cli):
    _project(project, "subscribe_url = https://viaskincare.com/subscribe\n")
    _build(project, cli)
    web, email, archive = _web(project), _email(project), _archive(project)
    assert web.xpath("//a[@class='web-subscribe']/@href") == ["https://viaskincare.com/subscribe"]  # no utm_
    assert web.xpath("//td[@class='web-signup']//a[@class='button']/@href") == [
        "https://viaskincare.com/subscribe"
    ]
    assert "Subscribe" not in (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    assert not email.xpath("//a[contains(@href, '/subscribe')]")
    assert archive.xpath("//a[@class='subscribe']/@href") == ["https://viaskincare.com/subscribe"]
    _project(project, "subscribe_url = viaskincare.com/subscribe\n")
    result = cli("--project", project.root, "build")
    assert result.stderr.splitlines()[0] == (
        "setup.cfg:15: [newsletter] subscribe_url: expected an http(s) URL, got 'viaskincare.com/subscribe': give "
        "the address of your sign-up page"
    )


@pytest.mark.slow
def test_a_subscribe_url_the_editor_tagged_keeps_its_tags_and_only_exact_pages_lose_ours(project, cli):
    """Review 13: a subscribe_url with utm_ tags got utm_source=newsletter added in the web copy (the
    untracked pages were matched by string prefix, which also hit every URL under archive_url)."""
    tagged = "https://viaskincare.com/subscribe?utm_source=site&utm_medium=web&ref=nl"
    _project(project, f"subscribe_url = {tagged}\n")
    project.post(
        "2026-10-14-colour.md",
        POST + "\n[Last week](https://viaskincare.com/newsletter/2026-W41/) and [all issues]"
        "(https://viaskincare.com/newsletter?x=1).\n",
    )
    _build(project, cli)
    web = _web(project)
    assert web.xpath("//a[@class='web-subscribe']/@href") == [tagged]
    assert _archive(project).xpath("//a[@class='subscribe']/@href") == [tagged]
    links = {a.text: a.get("href") for a in web.xpath("//a[@href]")}
    utm = "utm_source=newsletter&utm_medium=email&utm_campaign=weekly-2026-W42"
    assert links["Last week"] == f"https://viaskincare.com/newsletter/2026-W41/?{utm}"  # not the home page
    assert links["all issues"] == "https://viaskincare.com/newsletter?x=1"  # the home page: ours dropped
    assert f"https://viaskincare.com/newsletter?x=1&{utm}" in (project.build / WEEK / "email.html").read_text(
        encoding="utf-8"
    ).replace("&amp;", "&")


@pytest.mark.slow
def test_a_merge_tag_in_a_link_to_the_site_stays_as_typed(project, cli):
    """Review 5: with_utm percent-encoded the query, so the ESP found no merge tag to fill in."""
    _project(project)
    project.post(
        "2026-10-14-colour.md",
        POST + "\n[Your bookings](https://viaskincare.com/account?e=*|EMAIL|*&lang=en%20GB&utm_source=old)\n",
    )
    _build(project, cli)
    utm = "utm_source=newsletter&utm_medium=email&utm_campaign=weekly-2026-W42"
    wanted = f"https://viaskincare.com/account?e=*|EMAIL|*&lang=en%20GB&{utm}"
    folder = project.build / WEEK
    hrefs = [a.get("href") for a in _email(project).xpath("//a[text()='Your bookings']")]
    assert hrefs == [wanted]
    assert f"Your bookings ({wanted})" in " ".join((folder / "email.txt").read_text(encoding="utf-8").split())
    import email as mail
    import email.policy

    message = mail.message_from_bytes((folder / "email.eml").read_bytes(), policy=email.policy.default)
    assert wanted.replace("&", "&amp;") in message.get_body(("html",)).get_content()
    # The web copy has no reader an ESP fills in: its merge tags go, as in prose; the rest stays.
    assert [a.get("href") for a in _web(project).xpath("//a[text()='Your bookings']")] == [
        wanted.replace("*|EMAIL|*", "")
    ]


def test_without_subscribe_url_no_page_offers_to_subscribe(built):
    project, _ = built
    for name in (f"{WEEK}/index.html", "index.html", f"{WEEK}/email.html"):
        assert "Subscribe" not in (project.build / name).read_text(encoding="utf-8"), name


# The web copy and the archive --------------------------------------------------------------------


def test_the_web_copy_has_a_header_back_to_the_archive_and_the_email_does_not(built):
    project, _ = built
    web = _web(project)
    assert web.xpath("//a[@class='web-nav-link']/@href") == ["https://viaskincare.com/newsletter/"]  # no utm_
    assert web.xpath("//a[@class='web-nav-link']")[0].text_content() == "← All issues"
    assert web.xpath("//td[@class='masthead']/a")[0].text == "Via Skincare"  # name linking home, no logo
    email = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    assert "All issues" not in email and "web-only" not in email and 'class="web-nav' not in email
    page = (project.build / WEEK / "index.html").read_text(encoding="utf-8")
    assert "View in browser" not in page and "web-only" not in page


def _meta(doc) -> dict[str, str]:
    found = {m.get("property") or m.get("name"): m.get("content") for m in doc.xpath("//meta")}
    return found


@pytest.mark.slow
def test_web_copy_and_archive_carry_open_graph_and_twitter_card_tags(project, cli):
    _project(project, "handle_x = viaskincare\n")
    _build(project, cli)
    card = f"https://viaskincare.com/newsletter/{WEEK}/cards/colour-title-1200x630.png"
    web = _meta(_web(project))
    assert {k: web[k] for k in ("og:type", "og:title", "og:description", "og:url", "og:image")} == {
        "og:type": "article",
        "og:title": "Colour and movement",
        "og:description": "Why the face needs movement, in one short read.",
        "og:url": f"https://viaskincare.com/newsletter/{WEEK}/",
        "og:image": card,
    }
    assert (web["og:image:width"], web["og:image:height"]) == ("1200", "630")
    assert (web["twitter:card"], web["twitter:image"], web["twitter:site"]) == (
        "summary_large_image",
        card,
        "@viaskincare",
    )
    assert (project.build / WEEK / "cards" / "colour-title-1200x630.png").is_file()
    archive = _meta(_archive(project))
    assert (archive["og:type"], archive["og:url"], archive["og:image"]) == (
        "website", "https://viaskincare.com/newsletter/", card,
    )  # fmt: skip
    assert archive["twitter:title"] == "Via Skincare: newsletter archive"


@pytest.mark.slow
def test_the_archive_lists_each_issue_with_its_summary_and_follows_dark_mode(project, cli):
    _project(project)
    project.post(
        "2026-10-07-earlier.md",
        "---\ntitle: Earlier\ndate: 2026-10-07\nsummary: The week before.\n---\n\nT.\n",
    )
    (project.root / "issues").mkdir()
    (project.root / "issues" / f"{WEEK}.md").write_text('---\npreheader: "The editor\'s own line."\n---\n')
    _build(project, cli, "--all")
    archive = _archive(project)
    issues = archive.xpath("//li[@class='issue']")
    assert [
        (i.xpath(".//a[@class='subject']")[0].text, i.xpath(".//p[@class='summary']")[0].text) for i in issues
    ] == [
        ("Colour and movement", "The editor's own line."),
        ("Earlier", "The week before."),
    ]
    assert (
        archive.xpath("//header//a[@href='https://viaskincare.com']")[0].text_content().strip()
        == "Via Skincare"
    )
    html = (project.build / "index.html").read_text(encoding="utf-8")
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html


@pytest.mark.slow
def test_brand_settings_reach_templates_as_data(project, cli):
    """A project's own template reads the brand from `settings.brand` (plain data, like every setting)."""
    _project(project, SOCIAL + "accent_color = #7b3fa0\n")
    (project.root / "templates" / "email.txt").write_text(
        "{{ settings.brand.palette.link }} {% for s in settings.brand.social_links %}{{ s.label }} {% endfor %}\n"
    )
    _build(project, cli)
    assert (
        project.build / WEEK / "email.txt"
    ).read_text() == "#7b3fa0 Instagram Facebook TikTok shop.viaskincare.com \n"


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size (IHDR) over a few bytes of pixels: what a decompression bomb looks like."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _photo_logo(orientation: int = 1) -> bytes:
    """A JPEG as a phone saves it: camera, GPS, orientation, a comment."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    out = io.BytesIO()
    Image.new("RGB", (300, 100), (123, 63, 160)).save(out, "JPEG", exif=exif, comment=b"secret note")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    _fast_first(1, [
        (_png_header(20000, 20000), "400,000,000 pixels is over 50,000,000; make it smaller (at most 400 px wide "
                                    "is all the email shows)"),
        (_png_header(12000, 12000), "12000x12000 pixels is over 50,000,000; make it smaller (at most 400 px wide "
                                    "is all the email shows)"),
        (_png(300, 200)[:-200], "the picture cannot be decoded (image file is truncated); export it again as PNG "
                                "or JPEG"),
    ]),
    ids=["bomb", "over-the-limit", "truncated"],
)  # fmt: skip
def test_a_logo_goes_through_the_picture_limits_in_build_check_and_list(project, cli, data, message):
    """Issue 22 review 2: the logo was checked by its header only: a 20000x20000 PNG gave a traceback, a
    12000x12000 one shipped 144 MP in every issue (with Pillow's raw warning printed), a truncated one
    built."""
    import warnings

    (project.root / "images").mkdir()
    (project.root / "images" / "logo.png").write_bytes(data)
    _project(project, "logo = images/logo.png\n")
    expected = f"setup.cfg:15: [newsletter] logo: 'images/logo.png': {message}"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        built = cli("--project", project.root, "build")
        checked = cli("--project", project.root, "check")
        listed = cli("--project", project.root, "list")
    assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]
    assert (built.exit_code, built.stderr.splitlines()) == (1, [expected, "Aborted: 1 error found."])
    assert (
        checked.exit_code == 1
        and expected.replace("setup.cfg:15: ", "setup.cfg:15: error[settings]: ") in checked.stdout
    )
    assert listed.exit_code == 1 and expected in listed.stderr
    assert not project.build.exists()


@pytest.mark.slow
def test_a_logo_photo_is_turned_upright_and_loses_its_metadata(project, cli):
    (project.root / "images").mkdir()
    (project.root / "images" / "logo.jpg").write_bytes(_photo_logo(orientation=6))
    _project(project, "logo = images/logo.jpg\n")
    _build(project, cli)
    (name,) = _logo_names(project)
    data = (project.build / WEEK / "images" / name).read_bytes()
    with Image.open(io.BytesIO(data)) as made:
        assert (made.format, made.size, dict(made.getexif())) == ("JPEG", (100, 300), {})
        assert "comment" not in made.info and "exif" not in made.info
    assert b"PhoneMaker" not in data and b"secret note" not in data
    (logo,) = _email(project).xpath("//img[@class='logo']")
    assert (logo.get("width"), logo.get("height")) == ("100", "300")  # upright: not 300 x 100


@pytest.mark.slow
def test_a_webp_or_gif_logo_becomes_png_and_a_query_is_dropped_as_for_post_images(project, cli):
    (project.root / "images").mkdir()
    out = io.BytesIO()
    Image.new("RGBA", (200, 50), (123, 63, 160, 200)).save(out, "WEBP", lossless=True)
    (project.root / "images" / "logo.webp").write_bytes(out.getvalue())
    _project(project, "logo = images/logo.webp?v=2\n")
    _build(project, cli)
    (name,) = _logo_names(project)
    assert name.endswith(".png")  # Outlook does not show WebP
    with Image.open(project.build / WEEK / "images" / name) as made:
        assert (made.format, made.mode, made.size) == ("PNG", "RGBA", (200, 50))
    from newsletter.preview.server import _local_images

    url = f"https://viaskincare.com/newsletter/{WEEK}/images/{name}"
    assert (
        _local_images(url.encode(), "https://viaskincare.com/newsletter")
        == f"/build/{WEEK}/images/{name}".encode()
    )
    _project(project, "logo = images/missing.png?v=2\n")
    result = cli("--project", project.root, "build")
    assert result.stderr.splitlines()[0] == (
        "setup.cfg:15: [newsletter] logo: 'images/missing.png?v=2' cannot be read: No such file or directory (the "
        "'?v=2' after the file name is not part of it: a file name ends at '?' or '#')"
    )


@pytest.mark.slow
def test_an_http_logo_is_flagged_as_an_http_hero_is(project, cli):
    _project(project, "logo = http://cdn.example.com/logo.png\nlogo_width = 120\n")
    result = _build(project, cli)
    assert (
        "setup.cfg:15: warning: [newsletter] logo: insecure logo 'http://cdn.example.com/logo.png': mail clients "
        "block or flag http:// pictures; change http:// to https://"
    ) in result.stderr.splitlines()
    checked = cli("--project", project.root, "check")
    assert "setup.cfg:15: warning[link-insecure]: [newsletter] logo: insecure logo" in checked.stdout


@pytest.mark.parametrize(
    "handle", _fast_first(2, ["@a b", "@", "way_too_long_handle", "viaskin-care", "@via@x.com"])
)
def test_an_x_handle_is_checked_as_x_checks_it(project, cli, handle):
    """Review 17: `handle_x = @a b` went into twitter:site as it was."""
    _project(project, f"handle_x = {handle}\n")
    result = cli("--project", project.root, "build")
    assert (result.exit_code, result.stderr.splitlines()) == (1, [
        f"setup.cfg:15: [newsletter] handle_x: expected an X handle, 1 to 15 letters, digits or _ (an @ first is "
        f"fine), got '{handle}'",
        "Aborted: 1 error found.",
    ])  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    "handle",
    [
        "@viaskincare",
        pytest.param("Via_Skin_2026", marks=pytest.mark.slow),
        pytest.param("x", marks=pytest.mark.slow),
    ],
)
def test_a_good_x_handle_is_taken(project, cli, handle):
    _project(project, f"handle_x = {handle}\n")
    _build(project, cli)
    (site,) = _web(project).xpath("//meta[@name='twitter:site']/@content")
    assert site == "@" + handle.lstrip("@")


# A logo for dark mode ----------------------------------------------------------------------------------


def _clear_png(colour: tuple[int, int, int]) -> bytes:
    """A 320x80 logo: a mark in `colour` on a transparent background, as designers export them."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (320, 80), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((10, 10, 150, 70), fill=(*colour, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _logos(project, dark: bool) -> tuple[str, str]:
    (project.root / "images").mkdir(exist_ok=True)
    light, night = _clear_png((30, 20, 40)), _clear_png((235, 225, 245))
    (project.root / "images" / "logo.png").write_bytes(light)
    (project.root / "images" / "logo-dark.png").write_bytes(night)
    extra = "logo = images/logo.png\nlogo_width = 160\n" + (
        "logo_dark = images/logo-dark.png\n" if dark else ""
    )
    _project(project, extra)
    from newsletter.email import pictures  # the names the pipeline gives them at logo_width 160

    made = (pictures.make(d, True, max_width=320, animation=False, digits=12) for d in (light, night))
    return tuple(f"logo-{m.tail}" for m in made)  # type: ignore[return-value]


@pytest.mark.slow
def test_a_dark_logo_on_transparency_without_logo_dark_is_a_warning(project, cli):
    _logos(project, dark=False)
    result = cli("--project", project.root, "check")
    assert (
        "setup.cfg:15: warning[logo]: [newsletter] logo: 'images/logo.png' is dark on a transparent background "
        "(its pixels average #1e1428, 1.19:1 on the dark-mode card #212832; 3:1 is needed): it nearly "
        "disappears in dark mode; set logo_dark to a light version of it, or give the logo a background of "
        "its own\n    fix: set logo_width, give a picture at least that wide, or set logo_dark to a light "
        "version\n"
    ) in result.stdout
    _logos(project, dark=True)
    assert "logo" not in cli("--project", project.root, "check").stdout


def test_logo_dark_needs_logo(project, cli):
    (project.root / "images").mkdir()
    (project.root / "images" / "logo-dark.png").write_bytes(_clear_png((235, 225, 245)))
    _project(project, "logo_dark = images/logo-dark.png\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr == (
        "setup.cfg:15: [newsletter] logo_dark: is set but logo is not; set logo too (logo_dark is its "
        "dark-mode version)\nAborted: 1 error found.\n"
    )


@pytest.mark.slow  # a real browser
def test_logo_dark_shows_in_dark_mode_only_where_clients_support_it(project, cli, browser):
    light, night = _logos(project, dark=True)
    _build(project, cli)
    assert sorted(p.name for p in (project.build / WEEK / "images").iterdir()) == sorted([light, night])
    email = _email(project)
    (hidden,) = email.xpath("//div[@class='logo-dark']")
    assert "mso-hide:all" in hidden.get("style") and "display:none" in hidden.get("style")
    assert hidden.xpath(".//img/@src") == [f"https://viaskincare.com/newsletter/{WEEK}/images/{night}"]
    html = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    assert '<!--[if !mso]><!--><div class="logo-dark"' in html  # Outlook for Windows never sees it
    pages = {
        "email": (project.build / WEEK / "email.html").as_uri(),
        "web": (project.build / WEEK / "index.html").as_uri(),
        "archive": (project.build / "index.html").as_uri(),
    }
    seen = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 640, "height": 600}, color_scheme=scheme)
        try:
            page = context.new_page()
            for name, url in pages.items():
                page.goto(url)
                seen[scheme, name] = page.evaluate(
                    "Array.from(document.querySelectorAll('img.logo')).filter(i => i.offsetWidth)"
                    ".map(i => (i.currentSrc || i.src).split('/').pop())"
                )
            page.goto(pages["email"])  # a client that drops the head <style> (Gmail) keeps the light one
            page.evaluate("document.querySelectorAll('style').forEach(s => s.remove())")
            seen[scheme, "no style"] = page.evaluate(
                "Array.from(document.querySelectorAll('img.logo')).filter(i => i.offsetWidth)"
                ".map(i => i.src.split('/').pop())"
            )
        finally:
            context.close()
    assert seen == {
        **{("light", n): [light] for n in ("email", "web", "archive", "no style")},
        **{("dark", n): [night] for n in ("email", "web", "archive")},
        ("dark", "no style"): [light],
    }
