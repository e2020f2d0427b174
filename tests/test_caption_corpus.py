"""The captions of articles nobody tuned them on (tests/fixtures/corpus: a how-to, a listicle, a list
of mistakes, a Q&A, an interview, prose only, links in sentences, a very long title, emoji, Japanese,
Arabic, tables and images; corpus-heldout: three more, read only once the rest was done) have the
properties of issue 21, items 1-5, on every platform."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from caption_checks import check
from conftest import SETTINGS, TEMPLATES

from newsletter.content.posts import load
from newsletter.content.settings import load_settings
from newsletter.email.render import Renderer
from newsletter.errors import Problems
from newsletter.social.captions import captions

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLES = sorted(FIXTURES.glob("corpus/*.md")) + sorted(FIXTURES.glob("corpus-heldout/*.md"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
    shutil.copytree(TEMPLATES, root / "templates")
    (root / "posts").mkdir()
    for path in ARTICLES:
        shutil.copy(path, root / "posts" / path.name)
    settings = load_settings(root)
    problems = Problems()
    posts = {post.source.rsplit("/", 1)[-1]: post for post in load(settings, problems).posts}
    return settings, posts


def test_the_corpus_has_every_shape_the_issue_asks_for():
    assert len(list(FIXTURES.glob("corpus/*.md"))) >= 12
    assert len(list(FIXTURES.glob("corpus-heldout/*.md"))) == 3


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: f"{p.parent.name}-{p.stem[11:]}")
def test_corpus_captions_have_the_properties(corpus, path):
    settings, posts = corpus
    post = posts[path.name]
    problems = Problems()
    made = captions([post], Renderer(settings), problems)
    assert not problems.items, [p.message for p in problems.items]
    assert {c.kind for c in made} >= {"teaser", "thread"}
    check(post, made, settings.site_url)


def test_corpus_threads_agree_with_twitter_text(corpus):
    from test_twitter_text import _official

    from newsletter.social.counting import count_x

    settings, posts = corpus
    made = captions(list(posts.values()), Renderer(settings), Problems(), platforms=("x",))
    texts = [part for c in made for part in (c.parts or (c.text,))]
    assert [count_x(t) for t in texts] == _official(texts)
    assert json.dumps(texts)  # every part is text
