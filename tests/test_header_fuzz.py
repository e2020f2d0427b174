"""Fuzzing the header routes: titles, summaries, settings (`from`, `unsubscribe_url`, `name`) and
`send --to`, full of encoded-words, line breaks of every kind, bidi controls and long words. Each example
is refused cleanly (a NewsletterError) or gives a message whose header block an independent reader
finds sound (tests/eml_checks.py) and whose Subject, From and To read back as what was meant.

CI runs NEWSLETTER_FUZZ_EXAMPLES (default 50) examples; the long run is
    NEWSLETTER_FUZZ_EXAMPLES=5000 python -m pytest tests/test_header_fuzz.py --hypothesis-show-statistics
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from email import message_from_bytes, policy
from pathlib import Path

import click
import pytest
from conftest import SETTINGS, TEMPLATES
from eml_checks import check_eml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from newsletter.content import markup
from newsletter.content.issue import Issue
from newsletter.content.posts import parse
from newsletter.content.reader import Source
from newsletter.content.settings import load_settings
from newsletter.email import headers, mime
from newsletter.email.send import recipients
from newsletter.errors import Problems

pytestmark = pytest.mark.slow  # fuzzing: the everyday loop (-m 'not slow') leaves it to CI

EXAMPLES = int(os.environ.get("NEWSLETTER_FUZZ_EXAMPLES", "50"))
BREAKS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00"]
INVISIBLE = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f",
             "\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00a0", "\u3000"]  # fmt: skip
HEADERS = ["From: Evil <evil@evil.example>", "Bcc: evil@evil.example", "To: x@y.z", "", "<html>"]


@st.composite
def encoded_words(draw) -> str:
    payload = draw(st.sampled_from(BREAKS)) + draw(st.sampled_from(HEADERS))
    if draw(st.booleans()):
        text = base64.b64encode(payload.encode("utf-8", "surrogatepass")).decode()
        return f"=?{draw(st.sampled_from(['utf-8', 'UTF-8', 'iso-8859-1']))}?{draw(st.sampled_from('bB'))}?{text}?="
    text = "".join(c if c.isalnum() else f"={b:02X}" for c in payload for b in c.encode("utf-8"))
    return f"=?utf-8?{draw(st.sampled_from('qQ'))}?{text.replace('=20', '_')}?="


PIECES = st.one_of(
    encoded_words(),
    st.sampled_from(BREAKS + INVISIBLE + HEADERS),
    st.text(max_size=20),
    st.sampled_from(
        ["Ü" * 90, "x" * 120, "\U0001f469\u200d\U0001f467", "=?", "?=", '"', "<", ">", ",", "\\"]
    ),
)
ONE_LINE = st.one_of(
    encoded_words().map(
        lambda w: w.split("?")[0] + "?q?" + w.split("?")[3] + "?=" if "?b?" not in w.lower() else w
    ),
    st.sampled_from(INVISIBLE + HEADERS),
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20),
)
# Half the texts carry line breaks (refused where they are typed); the other half must build.
TEXT = st.one_of(st.lists(PIECES, min_size=1, max_size=6), st.lists(ONE_LINE, min_size=1, max_size=6)).map(
    "".join
)
VALID = ["hello@viaskincare.com", "a.b+c@example.org", "o'neil@example.co.uk", "x_y@mail.example.com"]
ADDRESSES = st.sampled_from(VALID * 12 + ["x@y", "bad", "a@b.c, d@e.f", "=?utf-8?q?a?=@x.com",
                                         "me@example.com\nBcc: x@y.z", "ü@example.com"])  # fmt: skip


@st.composite
def mailbox_text(draw) -> str:
    name = draw(st.one_of(st.just(""), TEXT, st.text(st.characters(min_codepoint=32, max_codepoint=126))))
    address = draw(ADDRESSES)
    form = draw(st.sampled_from(["bare", "angle", "quoted"]))
    if form == "bare" or not name:
        return address
    if form == "quoted":
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + f'" <{address}>'
    return f"{name} <{address}>"


UNSUBSCRIBE = st.one_of(
    st.sampled_from(["*|UNSUB|*", "{{ unsubscribe_url }}", "%unsubscribe_url%", "{$unsubscribe}",
                     "https://viaskincare.com/u?id=1"]),
    TEXT.map(lambda t: "https://viaskincare.com/u/" + t),
)  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("header-fuzz")
    shutil.copytree(TEMPLATES, root / "templates")
    (root / "posts").mkdir()
    return root


def _settings_text(name: str, sender: str, unsubscribe: str) -> str:
    text = SETTINGS.replace("name = Via Skincare\n", f"name = {name}\n", 1)
    text = text.replace("from = Via Skincare <hello@viaskincare.com>", f"from = {sender}", 1)
    return text.replace("unsubscribe_url = *|UNSUB|*", f"unsubscribe_url = {unsubscribe}", 1)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(
    title=TEXT, summary=TEXT, name=st.one_of(st.just("Via Skincare"), TEXT), sender=mailbox_text(),
    unsubscribe=UNSUBSCRIBE,
    to=st.lists(st.lists(mailbox_text(), min_size=1, max_size=2).map(", ".join), min_size=1, max_size=2),
)  # fmt: skip
def test_no_input_adds_a_header(site, title, summary, name, sender, unsubscribe, to):
    (site / "setup.cfg").write_text(
        _settings_text(name, sender, unsubscribe), encoding="utf-8", errors="surrogatepass"
    )
    front = f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\nsummary: {json.dumps(summary, ensure_ascii=False)}\n"
    raw = (front + "date: 2026-10-14\n---\n\nBody.\n").encode("utf-8", "surrogatepass")
    try:
        config = load_settings(site)
        boxes = recipients(tuple(to))
    except click.ClickException as exc:
        event("settings or --to refused")
        assert exc.exit_code == 1 and exc.format_message().strip()
        return
    problems = Problems()
    source = Source(site / "posts" / "2026-10-14-x.md", "posts/x.md", raw, "")
    post = parse(source, config, markup.Converter(), problems)
    if post is None or any(p.severity == "error" for p in problems.items):
        event("post refused")
        assert all(str(p).startswith("posts/x.md:") for p in problems.items)
        return
    event("built")
    data = mime.as_bytes(
        mime.message(Issue("2026-W42", (post,)), config, "<p>x</p>", "x\n", "[TEST] ", boxes)
    )
    check_eml(data)
    message = message_from_bytes(data, policy=policy.default)
    assert message["Subject"] == headers.clean("[TEST] " + post.title)
    assert [a.addr_spec for a in message["From"].addresses] == [headers.parse_mailbox(config.sender).address]
    assert [a.addr_spec for a in message["To"].addresses] == [box.address for box in boxes]
