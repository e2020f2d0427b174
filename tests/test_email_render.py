"""The built email rendered in real Chromium: the mobile rule wins over inlined styles, dark mode applies."""

from __future__ import annotations

import pytest

WEEK = "2026-W42"


@pytest.fixture
def email_url(sample, cli):
    assert cli("--project", sample.root, "build").exit_code == 0
    return (sample.build / WEEK / "email.html").as_uri()


def _page(browser, url, width, scheme="light"):
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.goto(url)
    return page


def _style(page, selector, prop):
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).{prop}")


def test_mobile_rule_applies_after_inlining(browser, email_url):
    desktop = _page(browser, email_url, 800)
    assert _style(desktop, "td.article", "paddingLeft") == "32px"
    mobile = _page(browser, email_url, 375)
    assert _style(mobile, "td.article", "paddingLeft") == "18px"
    assert _style(mobile, ".article h1", "fontSize") == "24px"
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375


def test_dark_mode_rules_apply(browser, email_url):
    light = _page(browser, email_url, 800)
    dark = _page(browser, email_url, 800, scheme="dark")
    assert _style(light, "table.container", "backgroundColor") == "rgb(255, 255, 255)"
    # The palette of the default accent (#1a73e8): a near-black card tinted towards it, warm white text.
    assert _style(dark, "table.container", "backgroundColor") == "rgb(33, 40, 50)"
    assert _style(dark, ".article h1", "color") == "rgb(241, 237, 233)"


def test_preheader_is_invisible(browser, email_url):
    page = _page(browser, email_url, 800)
    assert page.evaluate("document.querySelector('.preheader').getBoundingClientRect().height") == 0
    assert not page.is_visible(".preheader")
