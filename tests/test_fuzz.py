"""Fuzzing: any front matter and Markdown body either builds or gets a clean error, never a traceback.

CI runs NEWSLETTER_FUZZ_EXAMPLES (default 60) examples; the documented long run takes 2,000 or more:
    NEWSLETTER_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

import click
import lxml.html
import pytest
from conftest import SETTINGS, TEMPLATES
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from newsletter.content.settings import load_settings
from newsletter.run.build import build

pytestmark = pytest.mark.slow  # fuzzing: the everyday loop (-m 'not slow') leaves it to CI

EXAMPLES = int(os.environ.get("NEWSLETTER_FUZZ_EXAMPLES", "60"))  # a built example costs ~0.3 s

KEYS = ["title", "date", "author", "summary", "tags", "image", "image_alt", "cta", "highlights", "quote",
        "draft", "social", "slug", "titel", "x"]  # fmt: skip
SCALARS = st.one_of(
    st.text(max_size=40), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
    st.sampled_from(["2026-10-14", "2026-13-05", "17/10/2026", "no", "01234", "1.10", "javascript:alert(1)",
                     "../../etc/passwd", "file:///etc/passwd", "https://viaskincare.com/x", "*|UNSUB|*",
                     "<b>&", "Hi\nBcc: x@y", "&amp;", "🏳️‍⚧️", "e\u0301"]),
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
RAW_LINES = st.sampled_from([
    "title: [unclosed", "date: &a 2026-10-14", "x: *a", "---", "...", ": :", "title: !!python/object:os.system x",
    "\t- tab", "title: 'ok'", "date: 2026-10-14T08:00:00+02:00",
])  # fmt: skip
BODY_PIECES = st.sampled_from([
    "# Heading", "## Sub", "- item", "1. first", "> quote", "```\ncode\n```", "| a | b |\n|---|---|\n| 1 | 2 |",
    "[link](https://viaskincare.com/blog/x)", "[bad](javascript:alert(1))", "![](pic.png)", "![alt](//evil/x.png)",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "<iframe src=x>",
    "<style>@import url(http://example.com/x.css);</style>", "<link rel=stylesheet href=http://example.com/x>",
    "&amp; &lt;b&gt; &#x09;", "TODO", "*|UNSUB|*", "{{ unsubscribe_url }}", "\u202e\u200d", "\x00", "\r\n", "\r",
    "👩‍👩‍👧‍👦 日本語 مرحبا", "a" * 300,
])  # fmt: skip
BODIES = st.lists(st.one_of(BODY_PIECES, st.text(max_size=60)), max_size=12).map("\n\n".join)


def _yaml(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


TEXT = st.one_of(st.text(max_size=80), BODY_PIECES)
PLAUSIBLE = {
    "summary": TEXT, "quote": TEXT, "author": st.text(max_size=30),
    "tags": st.lists(st.text(max_size=20), max_size=6), "highlights": st.lists(TEXT, max_size=5),
    "cta": st.fixed_dictionaries({"text": st.text(min_size=1, max_size=30), "url": st.just("https://viaskincare.com/book")}),
    "draft": st.just(False), "social": st.fixed_dictionaries({"x": TEXT}),
    "image": st.sampled_from(["https://viaskincare.com/a.jpg", "/img/b.png"]), "image_alt": st.text(min_size=1, max_size=20),
}  # fmt: skip


@st.composite
def posts(draw) -> bytes:
    mode = draw(st.integers(0, 9))
    if mode == 0:  # no front matter at all
        return draw(BODIES).encode("utf-8")
    if mode <= 2:  # chaos: any keys, any values, broken YAML lines
        keys = draw(st.lists(st.sampled_from(KEYS), max_size=6, unique=True))
        lines = [f"{k}: {_yaml(draw(VALUES))}" for k in keys] + draw(st.lists(RAW_LINES, max_size=2))
    else:  # plausible posts: exercise rendering, sanitising, captions and fitting
        keys = draw(st.lists(st.sampled_from(sorted(PLAUSIBLE)), max_size=6, unique=True))
        title = draw(st.one_of(st.text(min_size=1, max_size=120), BODY_PIECES))
        lines = [
            f"title: {_yaml(title)}",
            "date: 2026-10-14",
            *(f"{k}: {_yaml(draw(PLAUSIBLE[k]))}" for k in keys),
        ]
    text = "---\n" + "\n".join(lines) + f"\n---\n\n{draw(BODIES)}\n"
    encoding = draw(st.sampled_from(["utf-8"] * 8 + ["utf-8-sig", "latin-1"]))
    return text.encode(encoding, errors="replace")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
    shutil.copytree(TEMPLATES, root / "templates")
    (root / "posts").mkdir()
    return root


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=posts())
@example(data=b'---\ntitle: "0\\f0"\ndate: 2026-10-14\n---\n\n# Heading\n')  # form feed split a mail header
def test_any_post_builds_or_fails_cleanly(site, data):
    post = site / "posts" / "2026-10-14-fuzz.md"
    post.write_bytes(data)
    try:
        settings = load_settings(site)
        result = build(settings, dt.datetime(2026, 11, 22, tzinfo=settings.zone), out=site / "build")
    except click.ClickException as exc:  # NewsletterError: a clean, located message
        event("clean error")
        assert exc.exit_code == 1
        assert exc.format_message().strip()
        return
    event("built")
    doc = lxml.html.fromstring((site / "build" / result.issues[0] / "email.html").read_bytes())
    assert not doc.xpath("//script | //iframe | //svg | //link | //object | //embed")
    for element in doc.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            if name in ("href", "src"):
                assert value.startswith(("https://", "http://", "mailto:", "*|")), value
