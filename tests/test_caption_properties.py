"""Property tests: whatever the text (emoji sequences, CJK, RTL, combining marks, URLs, hashtags),
no caption exceeds its platform's limit and no grapheme or URL is split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, SETTINGS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter import content, frontmatter, markup
from newsletter.config import load_settings
from newsletter.errors import Problems
from newsletter.render import Renderer
from newsletter.social import text as T
from newsletter.social.captions import captions
from newsletter.social.counting import graphemes, rules

PIECES = [
    "👩‍👩‍👧‍👦", "🏳️‍⚧️", "👍🏽", "🇺🇸", "1️⃣", "❤️", "✨", "🚀",  # emoji sequences and singles
    "日本語", "한국어", "中文字",  # CJK
    "مرحبا", "שלום",  # RTL
    "e\u0301", "a\u0308\u0304", "नमस्ते",  # combining marks, conjuncts
    "https://viaskincare.com/blog/a-long-path?x=1", "example.com", "#SkinCare", "@studio",
    "Dr.", "massage", "—", "•", "…", "skin", "lift.", "Why?",
]  # fmt: skip
words = st.lists(st.one_of(st.sampled_from(PIECES), st.text(alphabet="abcdefghij", min_size=1, max_size=12)),
                 min_size=1, max_size=120).map(" ".join)  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
    (root / "posts").mkdir()
    import shutil

    shutil.copytree(REPO / "templates", root / "templates")
    return load_settings(root)


def make_post(site, title: str, summary: str, items: list[str], paragraph: str):
    meta = {"title": title, "date": "2026-10-14", "summary": summary, "tags": ["skin care", "日本"]}
    head = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in meta.items())
    body = f"{paragraph}\n\nIt brings:\n\n" + "\n".join(f"- {i}" for i in items) + f"\n\n{paragraph}\n"
    problems = Problems()
    doc = frontmatter.split(f"---\n{head}\n---\n\n{body}", "posts/p.md", problems)
    assert doc is not None, problems.items
    post = content._validate(
        doc, Path("posts/2026-10-14-p.md"), "posts/p.md", site, markup.Converter(), problems
    )
    assert post is not None, problems.items
    return post


def _boundaries(text: str) -> set[int]:
    offsets, at = {0}, 0
    for cluster in graphemes(text):
        at += len(cluster)
        offsets.add(at)
    return offsets


CHROME = {"…", "“", "”", "—", "•"}  # what the caption templates themselves add


def _nothing_split(caption_text: str, sources: list[str], link: str) -> None:
    """A split grapheme shows up as a cluster no source has; a split URL as a link no source has."""
    allowed = CHROME | {g for s in sources for g in graphemes(s)}
    for cluster in graphemes(caption_text):
        assert cluster.isascii() or cluster in allowed, repr(cluster)
    source_words = {w for s in sources for w in s.split()}
    for word in caption_text.split():
        word = word.strip("“”…")
        if "://" in word:
            assert word in source_words or word == link, word


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=words, summary=words, items=st.lists(words, min_size=2, max_size=6), paragraph=words)
def test_no_caption_exceeds_its_limit_or_splits_a_grapheme(site, title, summary, items, paragraph):
    title = title[:150]
    post = make_post(site, title, summary, items, paragraph)
    problems = Problems()
    made = captions([post], Renderer(site), problems)
    table = rules(site.mastodon_max_characters)
    for caption in made:
        rule = table[caption.platform]
        for text in caption.parts or (caption.text,):
            assert rule.fits(text), (caption.platform, caption.kind, rule.measure(text))
            _nothing_split(text, [title, summary, paragraph, *items, "#SkinCare #日本"], caption.link)
    for problem in problems.items:  # only an honest "cannot fit" may stop a caption
        assert "cannot fit" in problem.message


@settings(max_examples=200, deadline=None)
@given(text=words, keep=st.integers(min_value=1, max_value=200))
def test_cut_ends_on_a_word_and_grapheme_boundary(text, keep):
    short = T.cut(text, keep)
    assert short.endswith("…")
    head = short[:-1]
    assert text.startswith(head)
    assert len(head) in _boundaries(text)
    assert len(head) == len(text) or text[len(head) :].lstrip(" ,;:—–-(\"'“‘.!?").startswith(
        text[len(head) :].lstrip(" ,;:—–-(\"'“‘.!?")
    )
    following = text[len(head) :]
    assert following == "" or following[0] in " ,;:—–-(\"'“‘.!?" or head == ""
