"""The built email rendered in real Chromium: the mobile rule wins over inlined styles, dark mode applies."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO, TEMPLATES, Project

WEEK = "2026-W42"


@pytest.fixture(scope="module")
def _once() -> dict:
    return {}


@pytest.fixture
def email_url(_once, tmp_path_factory, cli):
    """The sample's email, built once for this module by the first test that asks (under conftest's
    clock and checks); shared: the tests only open it."""
    if not _once:
        root = tmp_path_factory.mktemp("sample")
        shutil.copytree(TEMPLATES, root / "templates")
        shutil.copytree(REPO / "posts", root / "posts")
        Project(root).settings()
        assert cli("--project", root, "build").exit_code == 0
        _once["url"] = (root / "build" / WEEK / "email.html").as_uri()
    return _once["url"]


@pytest.fixture
def pages(browser):
    """Pages opened by the test, closed after it."""
    opened = []

    def page(url, width, scheme="light"):
        made = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
        opened.append(made)
        made.goto(url)
        return made

    yield page
    for made in opened:
        made.close()


def _style(page, selector, prop):
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).{prop}")


@pytest.mark.slow
def test_mobile_rule_applies_after_inlining(pages, email_url):
    desktop = pages(email_url, 800)
    assert _style(desktop, "td.article", "paddingLeft") == "32px"
    mobile = pages(email_url, 375)
    assert _style(mobile, "td.article", "paddingLeft") == "18px"
    assert _style(mobile, ".article h1", "fontSize") == "24px"
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.slow
def test_dark_mode_rules_apply(pages, email_url):
    light = pages(email_url, 800)
    dark = pages(email_url, 800, scheme="dark")
    assert _style(light, "table.container", "backgroundColor") == "rgb(255, 255, 255)"
    # The palette of the default accent (#1a73e8): a near-black card tinted towards it, warm white text.
    assert _style(dark, "table.container", "backgroundColor") == "rgb(33, 40, 50)"
    assert _style(dark, ".article h1", "color") == "rgb(241, 237, 233)"


@pytest.mark.slow
def test_preheader_is_invisible(pages, email_url):
    page = pages(email_url, 800)
    assert page.evaluate("document.querySelector('.preheader').getBoundingClientRect().height") == 0
    assert not page.is_visible(".preheader")


@pytest.mark.fresh_inline
def test_a_floated_picture_gets_outlooks_align_as_premailer_gives_it():
    """The inliner reads `<img style>` floats without cssutils' validation (a cost, not a difference):
    a floated picture still gets the `align` Outlook reads, and the email is what premailer makes."""
    from premailer import Premailer

    from newsletter.email import inline

    html = (
        "<html><head><style>.r { float: right } p { color: #333 }</style></head><body>"
        '<p><img class="r" src="https://e.example/a.png" width="80" alt="a">'
        '<img style="float: left; width: 90px" src="https://e.example/b.png" width="90" alt="b">'
        '<img style="border: 0" src="https://e.example/c.png" width="70" alt="c">text</p></body></html>'
    )
    ours = inline.inline_css(html)
    assert 'align="right"' in ours and 'align="left"' in ours and ours.count("align=") == 2
    plain = Premailer(html, allow_network=False, disable_validation=True, remove_classes=False,
                      keep_style_tags=False, strip_important=False,
                      disable_basic_attributes=["width", "height"]).transform(pretty_print=False)  # fmt: skip
    assert ours == plain
