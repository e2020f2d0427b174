"""Property tests: whatever the text (emoji sequences, CJK, RTL, combining marks, URLs, hashtags),
no caption exceeds its platform's limit and no grapheme or URL is split."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from conftest import SETTINGS, TEMPLATES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsletter.content import frontmatter, markup
from newsletter.content import posts as content
from newsletter.content.settings import load_settings
from newsletter.email.render import Renderer
from newsletter.errors import Problems
from newsletter.run.memo import Memo
from newsletter.social import text as T
from newsletter.social.captions import captions
from newsletter.social.counting import count_graphemes, graphemes, rules

PIECES = [
    "👩‍👩‍👧‍👦", "🏳️‍⚧️", "👍🏽", "🇺🇸", "1️⃣", "❤️", "✨", "🚀",  # emoji sequences and singles
    "日本語", "한국어", "中文字",  # CJK
    "مرحبا", "שלום",  # RTL
    "e\u0301", "a\u0308\u0304", "नमस्ते",  # combining marks, conjuncts
    "https://viaskincare.com/blog/a-long-path?x=1", "example.com", "#SkinCare", "@studio",
    "Dr.", "massage", "—", "•", "…", "skin", "lift.", "Why?",
]  # fmt: skip
# The tests drawing articles are slow-marked (the everyday loop, -m "not slow", leaves them out), and
# their example counts were halved for the suite's time (issue 20): CI's profile (derandomize) runs the
# same examples every time; elsewhere each run draws fresh ones, so runs together still explore widely.
words = st.lists(st.one_of(st.sampled_from(PIECES), st.text(alphabet="abcdefghij", min_size=1, max_size=12)),
                 min_size=1, max_size=120).map(" ".join)  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
    (root / "posts").mkdir()
    import shutil

    shutil.copytree(TEMPLATES, root / "templates")
    return load_settings(root)


@pytest.fixture(scope="module")
def renderer(site):
    """One renderer for every example of the module: making one per example compiled the caption
    templates again each time (three quarters of an example's time). What it keeps (compiled
    templates, the label splices and their pieces) depends on the templates alone, never on the post."""
    return Renderer(site)


@pytest.fixture(scope="module")
def run_memo():
    """One run's memo for every example, as a build has one for all its posts: each caption call made
    its own, and so asked fontconfig again (a process each) for the characters the fonts lack. It keeps
    only pure functions' answers (run/memo.py)."""
    return Memo()


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


CHROME = {"…", "“", "”", "—", "•", "‘", "’", "："}  # "：" ends a heading in CJK that stands as a lead-in


def untagged(url: str) -> str:
    """The URL without utm_* parameters (as the article had it before a platform tagged it). The rest of
    the query is kept as written, as `with_utm` keeps it: parse_qsl and urlencode would read '?x' as
    '?x=' (and re-encode a merge tag), a link the article never had."""
    parts = urlsplit(url)
    query = [piece for piece in parts.query.split("&") if piece and not piece.startswith("utm_")]
    return urlunsplit(parts._replace(query="&".join(query)))


def _nothing_split(caption_text: str, sources: list[str], link: str) -> None:
    """A split grapheme shows up as a cluster no source has; a split URL as a link no source has."""
    allowed = CHROME | {g for s in sources for g in graphemes(s)}
    for cluster in graphemes(caption_text):
        assert cluster.isascii() or cluster in allowed, repr(cluster)
    source_words = {w for s in sources for w in s.split()}
    # both sides as `untagged` writes them: a source's 'path?' (its '?' a question's, or an empty query)
    # is the link 'path' once a platform's tags were added and taken away again
    source_links = source_words | {untagged(w) for w in source_words if "://" in w}
    for word in caption_text.split():
        word = word.strip("“”…")
        if "://" in word:  # a link of the site's own carries the platform's tags instead of its own
            assert untagged(word) in source_links or word == link, word


@pytest.mark.slow  # fuzz: captions of every platform for each drawn article
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=words, summary=words, items=st.lists(words, min_size=2, max_size=6), paragraph=words)
# found by a fresh run: '#SkinCare …' is a heading (Markdown needs no space after '#') that ends in a URL,
# and the colon of a heading standing as a lead-in was glued onto the link
@example(title="👩‍👩‍👧‍👦", summary="🇺🇸", items=["👩‍👩‍👧‍👦", "👩‍👩‍👧‍👦", "🏳️‍⚧️"],
         paragraph="#SkinCare https://viaskincare.com/blog/a-long-path?x=1")  # fmt: skip
# found by a fresh run, in the oracle: the test's own cut of the title at 150 code points split the last
# emoji (a joiner left dangling, which the post drops as invisible) or the last link ('…?x', whose query
# `untagged` rewrote as '?x='); the captions showed the title as the post has it
@example(title=" ".join(["aaaaaaaaaaa"] * 12) + " 👩‍👩‍👧‍👦", summary="a", items=["a", "a"], paragraph="a")
@example(title=" ".join(["aaaaaaaaaaa"] * 9) + " https://viaskincare.com/blog/a-long-path?x=1", summary="a",
         items=["a", "a"], paragraph="a")  # fmt: skip
# found by a fresh run, in the oracle: the title cut at 150 code points ends in '…/a-long-path?', which the
# caption tags as the link '…/a-long-path' followed by its '?'
@example(title="👩‍👩‍👧‍👦 👩‍👩‍👧‍👦 🏳️‍⚧️ 🏳️‍⚧️ 👍🏽 👍🏽 👍🏽 a a aaaaaa aaaaaaaaa aaaaaaaaaaa aaaaaaaaaaaa aaaaaaaaaaaa aaaaaaaaaaaa "
         "https://viaskincare.com/blog/a-long-path?x=1", summary="👩‍👩‍👧‍👦", items=["👩‍👩‍👧‍👦", "👩‍👩‍👧‍👦"],
         paragraph="👩‍👩‍👧‍👦")  # fmt: skip
# found by a fresh run, in the oracle: a heading ending in CJK ('#SkinCare 日本語') stands as a lead-in
# with the full-width colon, which is the tool's own punctuation, as "…" is
@example(title="👩‍👩‍👧‍👦", summary="👩‍👩‍👧‍👦", items=["👩‍👩‍👧‍👦", "🏳️‍⚧️"], paragraph="#SkinCare 日本語")
def test_no_caption_exceeds_its_limit_or_splits_a_grapheme(
    site, renderer, run_memo, title, summary, items, paragraph
):
    # at most 150 code points, cut at a grapheme boundary: a cut inside an emoji would be the test's own
    # split (and the post drops the joiner it leaves dangling, so no caption could show the cluster)
    title = title[: max(at for at in _boundaries(title) if at <= 150)]
    post = make_post(site, title, summary, items, paragraph)
    problems = Problems()
    with run_memo.active():
        made = captions([post], renderer, problems)
    table = rules(site.mastodon_max_characters)
    for caption in made:
        rule = table[caption.platform]
        for text in caption.parts or (caption.text,):
            assert rule.fits(text), (caption.platform, caption.kind, rule.measure(text))
            _nothing_split(text, [title, summary, paragraph, *items, "#SkinCare #日本"], caption.link)
    for problem in problems.items:  # only an honest "cannot fit" may stop a caption
        assert "cannot fit" in problem.message


@pytest.mark.slow  # fuzz; a cut on real text is in the fast loop (test_social.py, test_social_exports.py)
@settings(max_examples=100, deadline=None)
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


# Articles with structure: sections, lists after a colon, and sentences that recur (a summary that is
# also the first sentence, a list item that repeats a sentence): what threads and captions are made of.
WORDS = ["skin", "fascia", "massage", "oxygen", "flow", "tissue", "lymph", "glow", "calm", "touch",
         "日本語", "✨", "👍🏽", "café", "https://viaskincare.com/a?b=1", "example.com", "#Glow", "Dr."]  # fmt: skip
sentence = st.builds(
    lambda first, rest, end: f"{first} {' '.join(rest)}{end}",
    st.sampled_from(["Massage", "Oxygen", "Facial", "Movement", "Research", "It", "But", "When"]),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=40),
    st.sampled_from([".", "!", "?", ":"]),
)


@st.composite
def articles(draw):
    pool = draw(st.lists(sentence, min_size=3, max_size=12))
    pick = st.sampled_from(pool)
    sections = []
    for n in range(draw(st.integers(0, 5))):
        paragraph = " ".join(draw(st.lists(pick, min_size=1, max_size=4)))
        block = f"## {n + 1}. {draw(pick).rstrip('.!?:')}\n\n{paragraph}"
        if draw(st.booleans()):
            items = draw(st.lists(st.one_of(pick, st.sampled_from(WORDS)), min_size=2, max_size=6))
            block += f"\n\n{draw(pick).rstrip('.!?:')}:\n\n" + "\n".join(f"- {i}" for i in items)
        sections.append(block)
    intro = " ".join(draw(st.lists(pick, min_size=1, max_size=3)))
    title = " ".join(draw(st.lists(st.sampled_from(["Why", "Skin", "Needs", "Movement", "Glow"]), min_size=1,
                                   max_size=8)))  # fmt: skip
    summary = draw(st.one_of(st.just(intro.split(". ")[0]), pick, st.just(f"{title}.")))
    return title, summary, intro + "\n\n" + "\n\n".join(sections) + "\n"


# Articles with what issue 21 saw go wrong: lists of things to avoid beside lists of benefits or steps,
# lists right under their heading (no lead), refused links, images, tables, quotations with their
# attribution, sentences pointing back, links inside sentences (the site's own with stale UTM tags).
OPENERS = [
    "Massage",
    "Oxygen",
    "Research",
    "Lymph",
    "It",
    "This",
    "These",
    "They",
    "Each of these",
    "But",
    "That",
]
LINKS = ["[our guide](https://viaskincare.com/guide?utm_source=old)", "[the tips](https://example.org/tips)",
         "[our booking page](/book?utm_medium=blog&utm_source=flyer)"]  # fmt: skip
HEADINGS = ["Five mistakes we see", "Myths to leave behind", "Benefits of regular massage", "Steps to a calm jaw",
            "Ways to keep moisture in", "What changes in winter", "Questions we hear"]  # fmt: skip
REFUSED = "[Tap here now](javascript:alert(1))"
ALT = "A therapist pressing warm stones along a jawline"
CELL = "Salicylic acid works inside the pore"
shaped = st.builds(
    lambda first, rest, link, end: f"{first} {' '.join(rest[:2])} {link} {' '.join(rest[2:])}{end}".replace(
        "  ", " "
    ),
    st.sampled_from(OPENERS),
    st.lists(st.sampled_from([*WORDS[:10], "日本語", "✨"]), min_size=3, max_size=14),
    st.one_of(st.just(""), st.just(""), st.sampled_from(LINKS)),
    st.sampled_from([".", ".", "!", "?"]),
)


@st.composite
def shaped_articles(draw):
    """Every sentence and item said once in the body (the summary may repeat one): what a sentence
    points back at, and which list an item is of, are then plain to check."""
    used: set[str] = set()
    written: list[str] = []

    def fresh() -> str:
        said = draw(shaped.filter(lambda x: T.key(x) not in used))
        used.add(T.key(said))
        written.append(said)
        return said

    def paragraph() -> str:
        return " ".join(fresh() for _ in range(draw(st.integers(1, 3))))

    def items() -> list[str]:
        return [
            fresh() if draw(st.booleans()) else f"{fresh().rstrip('.!?')}"
            for _ in range(draw(st.integers(2, 6)))
        ]

    blocks = [paragraph()]
    for heading in draw(st.lists(st.sampled_from(HEADINGS), min_size=1, max_size=4, unique=True)):
        blocks.append(f"## {heading}")
        for kind in draw(
            st.lists(
                st.sampled_from(
                    ["p", "p", "list", "lead-list", "ol", "quote", "cite", "table", "image", "refused"]
                ),
                min_size=1,
                max_size=4,
            )
        ):
            if kind == "p":
                blocks.append(paragraph())
            elif kind == "list":
                blocks.append("\n".join(f"- {i}" for i in items()))
            elif kind == "lead-list":
                blocks.append(
                    f"{paragraph().rstrip('.!?')}, as follows:\n\n" + "\n".join(f"- {i}" for i in items())
                )
            elif kind == "ol":
                blocks.append("\n".join(f"{n}. {i}" for n, i in enumerate(items(), 1)))
            else:
                blocks.append(
                    {
                        "quote": '> "Slow hands calm the skin far more than any tool can." — Daniel Reyes, skin therapist',
                        "cite": "> Listening hands find the tension before the eyes do.\n>\n> <cite>Mei Tanaka</cite>",
                        "table": f"| Acid | Use |\n|---|---|\n| BHA | {CELL} |",
                        "image": f"![{ALT}](/images/stones.jpg)",
                        "refused": f"{REFUSED} for the printable chart.",
                    }[kind]
                )
    title = " ".join(draw(st.lists(st.sampled_from(["Why", "Skin", "Needs", "Gentle", "Jaw", "Massage"]),
                                   min_size=2, max_size=30)))  # fmt: skip
    summary = draw(st.one_of(st.just(""), st.sampled_from(written), st.just(fresh())))
    return title, summary, "\n\n".join(blocks) + "\n"


def _post(site, title: str, summary: str, body: str, author: str = ""):
    meta = {
        "title": title,
        "date": "2026-10-14",
        "summary": summary,
        "tags": ["skin care", "glow"],
        "cta": {"text": "Book a facial", "url": "https://viaskincare.com/book"},
    }
    if author:
        meta["author"] = author
    if not summary:
        del meta["summary"]
    head = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in meta.items())
    problems = Problems()
    doc = frontmatter.split(f"---\n{head}\n---\n\n{body}", "posts/p.md", problems)
    post = content._validate(
        doc, Path("posts/2026-10-14-p.md"), "posts/p.md", site, markup.Converter(), problems
    )
    assert post is not None, problems.items
    return post


def _sentences(caption) -> list[str]:
    """What a reader hears as sentences: every line, split at sentence ends; labels, links and tags aside."""
    said = []
    for part in caption.parts or (caption.text,):
        for line in part.split("\n"):
            line = line.strip().lstrip("-• ").strip("“”")
            if not line or re.fullmatch(r"\d+/\d+|(#\S+ ?)+|.*https?://\S+|— .*|From “.*", line):
                continue
            said += [s for s in T.sentences(line) if len(T.words_of(s)) > 1]
    return said


_URL = "https://viaskincare.com/a?b=1"
_HEAD = f"Massage {_URL} {_URL} {_URL} {_URL} example.com {_URL}:"


@pytest.mark.slow  # fuzz: captions of every platform for each drawn article
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(article=articles())
# found by a fresh run: the hook cut its first sentence, and a section cut a longer one that starts with
# the same words to the same text (Threads)
@example(article=("Why", f"{_HEAD} Massage skin skin.",
                  f"{_HEAD} Massage skin skin.\n\n## 1. Massage skin skin\n\n{_HEAD} {_HEAD}\n"))  # fmt: skip
def test_generated_articles_never_repeat_a_sentence_nor_overflow_nor_misreport_tags(
    site, renderer, run_memo, article
):
    post = _post(site, *article)
    problems = Problems()
    with run_memo.active():
        made = captions([post], renderer, problems)
    table = rules(site.mastodon_max_characters)
    for caption in made:
        rule = table[caption.platform]
        for part in caption.parts or (caption.text,):
            assert rule.fits(part), (caption.platform, caption.kind, rule.measure(part))
            if caption.platform == "bluesky":
                assert count_graphemes(part) <= 300 and len(part.encode("utf-8")) <= 3000
        assert caption.hashtags == T.hashtags_in(caption.text)
        said = [T.key(s) for s in _sentences(caption)]
        assert len(said) == len(set(said)), (caption.platform, caption.kind, caption.text)
        if caption.parts and len(caption.parts) == 1:
            assert not re.search(r"\n\n\d+/\d+$", caption.text)
    for problem in problems.items:
        assert "cannot fit" in problem.message


# Thread labels are spliced around each post when the template only places the post's text: the
# threads must be the ones rendering the template for every post gives.
@pytest.mark.parametrize(
    ("source", "spliced"),
    [
        ((TEMPLATES / "social" / "thread.txt").read_text(encoding="utf-8"), True),
        ("{{ index }}/{{ total }} {{ text }}", True),
        ("{{ text|upper }}", False),
        ("{{ text }}{{ text }}", False),
        ("{% if text|length > 9 %}long {% endif %}{{ text }}", False),
        ("{% filter upper %}{{ text }}{% endfilter %}", False),
        ("{% include 'social/link.txt' %}{{ text }}", False),
        ("{% for i in range(total) %}{{ text }}{% endfor %}", False),
        ("{% set text = text ~ '!' %}{{ text }}", False),
        ("{{ text ~ '' }}", False),
    ],
)
def test_label_splice_only_for_templates_that_just_place_the_text(renderer, source, spliced):
    from newsletter.social.captions import only_places

    assert only_places(renderer.env, source, "social/thread.txt", "text") is spliced


@pytest.fixture(scope="module")
def unspliced(site):
    """A renderer only ever used with the splice refused: it renders the thread template for every post."""
    return Renderer(site)


@pytest.mark.slow  # fuzz: captions of every platform for each drawn article
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(article=articles())
def test_spliced_labels_give_the_threads_rendering_gives(site, renderer, unspliced, run_memo, article):
    from unittest import mock

    from newsletter.social import captions as social

    post = _post(site, *article)
    with run_memo.active():
        fast = captions([post], renderer, Problems(), kinds=("thread",))
        with mock.patch.object(social, "_places_only", lambda *args: False):
            slow = captions([post], unspliced, Problems(), kinds=("thread",))
    assert fast == slow
    # each renderer keeps its splice decision: the shared ones must have taken the two paths
    assert social._SPLICES[unspliced].get("thread") is False
    assert social._SPLICES[renderer].get("thread") is True


@pytest.mark.slow  # fuzz: captions of every platform for each drawn article
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(article=shaped_articles())
# found by a fresh run, in the oracle: the second item says again (five words inside six) the sentence
# the lead points back at, which the caption shows above the list; the check read the intro as the lead
# alone, so counted it as an item left out without "+1 more"
@example(article=("Why Why", "", "Massage skin skin fascia.\n\n## Five mistakes we see\n\nMassage skin skin skin "
                  "skin skin.\n\nIt skin skin skin, as follows:\n\n- Massage skin skin skin\n"
                  "- Massage skin skin skin skin\n"))  # fmt: skip
def test_generated_articles_have_the_properties_of_issue_21(site, renderer, run_memo, article):
    """Items 1-5 of issue 21 (see caption_checks) on articles of every shape the generator makes."""
    from caption_checks import check

    post = _post(site, *article, author="Katerina Summers")
    problems = Problems()
    with run_memo.active():
        made = captions([post], renderer, problems)
    check(post, made, site.site_url)
    said = "\n".join(c.text for c in made)
    assert "Tap here now" not in said and ALT not in said and CELL not in said
    for problem in problems.items:
        assert "cannot fit" in problem.message
