"""The preview's live update in real Chromium: the issue page is patched in place on a save (no
navigation, toggles and scroll kept, the email frame reloaded where it is); other pages reload."""

from __future__ import annotations

import threading

import pytest

from newsletter.preview.server import start

WEEK = "2026-W42"
POST = "posts/2026-10-17-why-facial-muscles-need-movement.md"
TITLE = "title: Why Facial Muscles Need Movement"


@pytest.fixture
def live(sample):
    running = start(sample.root, "127.0.0.1", 0, lambda text, error: None)
    thread = threading.Thread(
        target=running.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield running
    running.server.shutdown()
    running.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.errors = []
    opened.on("pageerror", lambda e: opened.errors.append(str(e)))
    yield opened
    context.close()


def _edit(sample, old: str, new: str) -> None:
    path = sample.root / POST
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


EMAIL_SHOWS = """title => {
  const body = document.getElementById("email").contentDocument.body;
  return !!body && body.innerText.includes(title);
}"""


def test_a_save_patches_the_issue_page_in_place_keeping_toggles_and_scroll(live, page, sample):
    page.goto(f"{live.url}issue/{WEEK}/")
    page.wait_for_function(EMAIL_SHOWS, arg="Why Facial Muscles Need Movement")
    page.click("button[data-width='375']")
    page.click("#dark")
    page.evaluate("window.scrollTo(0, 300); window.sameDocument = true")
    build = page.inner_text("#live-build")
    _edit(sample, TITLE, "title: Why Faces Need Movement")
    page.wait_for_function("document.getElementById('articles').innerText.includes('Why Faces Need Movement')",
                           timeout=10_000)  # fmt: skip
    page.wait_for_function(EMAIL_SHOWS, arg="Why Faces Need Movement", timeout=10_000)
    assert page.evaluate("window.sameDocument") is True  # no navigation: the document is the one opened
    assert page.get_attribute("button[data-width='375']", "aria-pressed") == "true"
    assert page.get_attribute("#dark", "aria-pressed") == "true"
    assert page.get_attribute("#email", "src").endswith("email.html?dark=1")  # still the dark view
    assert page.evaluate("document.getElementById('email').style.width") == "375px"
    assert page.evaluate("window.scrollY") == 300
    assert "Why Faces Need Movement" in page.inner_text("#text-part")
    assert page.inner_text("#live-build") != build
    assert page.errors == []


@pytest.mark.slow  # the everyday loop keeps the in-place test above
def test_an_error_and_its_fix_are_patched_in_too(live, page, sample):
    page.goto(f"{live.url}issue/{WEEK}/")
    page.evaluate("window.sameDocument = true")
    _edit(sample, "date: 2026-10-17", "date: 17 Oct")
    page.wait_for_selector("#error-overlay", timeout=10_000)
    assert "'date' must be YYYY-MM-DD, got '17 Oct'" in page.inner_text("#error-overlay")
    _edit(sample, "date: 17 Oct", "date: 2026-10-17")
    page.wait_for_selector("#error-overlay", state="detached", timeout=10_000)
    assert page.evaluate("window.sameDocument") is True
    assert page.errors == []


@pytest.mark.slow
def test_a_page_without_live_parts_reloads_once_per_save(live, page, sample):
    page.goto(live.url)
    page.wait_for_load_state()
    loads = []
    page.on("load", lambda opened: loads.append(opened.url))
    before = live.preview.snapshot.generation
    _edit(sample, TITLE, "title: Why Faces Need Movement")
    for _ in range(100):  # until both steps of the save are swapped in (a second at most each)
        if live.preview.snapshot.generation >= before + 2:
            break
        live.preview.wait(live.preview.snapshot.generation, timeout=1)
    page.wait_for_function("document.body.innerText.includes('Why Faces Need Movement')", timeout=10_000)
    page.wait_for_timeout(500)  # a second reload, were there one, starts within the event's delivery
    assert loads == [live.url]  # one new document, not one per step of the save
    assert page.errors == []
