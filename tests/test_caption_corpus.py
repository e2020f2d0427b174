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


@pytest.fixture(scope="module")
def renderer(corpus):
    """One renderer and one run memo (active while the module's tests run) for the module, as one build
    has for all its posts: a renderer per test compiled the caption templates again, a memo per call
    asked fontconfig again for the emoji, Japanese and Arabic characters. Both keep only what depends
    on the templates or the text alone."""
    from newsletter.run.memo import Memo

    memo = Memo()
    with memo.active():
        yield Renderer(corpus[0])


def test_the_corpus_has_every_shape_the_issue_asks_for():
    assert len(list(FIXTURES.glob("corpus/*.md"))) >= 12
    assert len(list(FIXTURES.glob("corpus-heldout/*.md"))) == 3


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: f"{p.parent.name}-{p.stem[11:]}")
def test_corpus_captions_have_the_properties(corpus, renderer, path):
    settings, posts = corpus
    post = posts[path.name]
    problems = Problems()
    made = captions([post], renderer, problems)
    assert not problems.items, [p.message for p in problems.items]
    assert {c.kind for c in made} >= {"teaser", "thread"}
    check(post, made, settings.site_url)


@pytest.mark.slow  # node and the official library (test_twitter_text.py)
def test_corpus_threads_agree_with_twitter_text(corpus, renderer):
    from test_twitter_text import _official

    from newsletter.social.counting import count_x

    _, posts = corpus
    made = captions(list(posts.values()), renderer, Problems(), platforms=("x",))
    texts = [part for c in made for part in (c.parts or (c.text,))]
    assert [count_x(t) for t in texts] == _official(texts)
    assert json.dumps(texts)  # every part is text


# The checks find what issue 21 saw: each mutation puts one of its failures back into a good caption.
MUTATIONS = [
    ("gua-sha-mistakes", "thread", lambda p: [p[0] + "\n\nClick me", *p[1:]]),  # a refused link speaks
    ("gua-sha-mistakes", "thread", lambda p: [x.replace("Five mistakes we see most often\n\n", "") for x in p]),
    ("gua-sha-mistakes", "benefits", lambda t: t.replace("What gua sha does well:\n\n", "")),  # list alone
    ("interview-with-daniel-reyes", "quote", lambda t: t.replace("“Most", "“\"Most")),  # straight in curly
    ("interview-with-daniel-reyes", "quote", lambda t: t + "\n— Daniel Reyes"),  # credited twice
    ("building-a-barrier-friendly-routine", "thread",
     lambda p: [x.replace("W46", "W46&utm_source=old") for x in p]),  # tracking doubled
    ("retinol-questions-answered", "thread",
     lambda p: [x.replace("Can I use retinol in summer?\n\nYes. ", "") for x in p]),  # "It…" points at nothing
    ("lymphatic-drainage-at-home", "thread", lambda p: [p[0], p[2], p[1], *p[3:]]),  # out of order
    ("reasons-to-book-a-facial-before-winter", "benefits", lambda t: t.replace("+3 more in the article\n", "")),
    ("chemical-peels-compared", "thread",
     lambda p: [p[0] + "\n\nThree amber bottles of peel solution on a marble tray", *p[1:]]),  # alt text
    ("sensitive-skin-cold-months-guide", "thread",
     lambda p: [p[0], "red and dry skin, often all in the same afternoon.", *p[1:]]),  # starts mid-sentence
]  # fmt: skip


@pytest.mark.parametrize(
    ("slug", "kind", "mutate"), MUTATIONS, ids=[f"{s}-{k}-{n}" for n, (s, k, _) in enumerate(MUTATIONS)]
)
def test_the_checks_find_each_failure_the_issue_saw(corpus, renderer, slug, kind, mutate):
    import dataclasses

    settings, posts = corpus
    post = next(p for p in posts.values() if p.slug == slug)
    (caption,) = captions([post], renderer, Problems(), platforms=("x",), kinds=(kind,))
    if caption.parts:
        parts = tuple(mutate(list(caption.parts)))
        caption = dataclasses.replace(caption, parts=parts, text="\n\n\n\n".join(parts))
    else:
        caption = dataclasses.replace(caption, text=mutate(caption.text))
    with pytest.raises(AssertionError):
        check(post, [caption], settings.site_url)
