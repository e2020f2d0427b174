"""Text processing stays linear: the pathological bodies of tests/pathological.py, at the post size cap,
finish through the command line with a result or a clean `file:line` error (each in a subprocess with
a timeout, so a regression fails instead of hanging the suite)."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO
from hypothesis import given
from hypothesis import strategies as st
from pathological import post

from newsletter.content import markup
from newsletter.social import text as T

TIMEOUT = 60  # seconds; each run takes 1-7 s here, the old code minutes to hours
POST = "posts/2026-10-14-slow.md"
UNCLOSED = f"{POST}:6: {markup.UNCLOSED}\nAborted: 1 error found.\n"


def newsletter(project, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "newsletter", "--project", str(project.root), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def slow(project):
    def write(name: str):
        path = project.post("2026-10-14-slow.md", "")
        path.write_text(post(name), encoding="utf-8")
        assert 990_000 < path.stat().st_size < 1_000_000
        return project

    return write


@pytest.mark.slow  # a megabyte through the whole pipeline
@pytest.mark.parametrize(
    ("name", "command"),  # each body through one command: both commands read posts through the one loader
    [("link-openers", ["build"]), ("nested-brackets", ["social", "--format", "json"])],
)
def test_unclosed_brackets_at_the_size_cap_are_refused_fast_with_their_line(slow, name, command):
    done = newsletter(slow(name), *command)
    assert (done.returncode, done.stderr, done.stdout) == (1, UNCLOSED, "")


@pytest.mark.slow  # a megabyte through the whole pipeline
def test_a_megabyte_of_abbreviation_lines_builds_to_the_size_error(slow):
    # '*[HTML]: Hyper Text' is plain text here (the abbr extension is not enabled); its '*'s made the
    # captions' emphasis pattern scan to the end once per line.
    done = newsletter(slow("abbreviations"), "build")
    assert done.returncode == 1
    first = done.stderr.splitlines()[0]
    assert re.fullmatch(
        r"2026-W42/email\.html: email is 10\d\d\.\d KB after inlining; Gmail clips above 102\.0 KB\. "
        rf"Largest articles: {POST} 10\d\d\.\d KB\. Move an article to next week or shorten it",
        first,
    ), first


@pytest.mark.slow  # a megabyte through the whole pipeline
def test_a_megabyte_of_abbreviation_lines_gives_every_caption(slow):
    done = newsletter(slow("abbreviations"), "social", "--format", "json")
    assert done.returncode == 0, done.stderr
    captions = json.loads(done.stdout)
    assert {c["kind"] for c in captions} >= {"teaser", "thread"}
    assert all(c["length"] <= c["limit"] for c in captions)


@pytest.mark.slow  # a megabyte through the whole pipeline
def test_every_other_pathological_body_is_read_in_linear_time():
    """The classes found while auditing, through the Markdown reader and the caption text functions
    (the command line's time is mostly premailer's on a megabyte of HTML; these are what was slow)."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO / "tests")!r})
        from pathological import BODIES, SIZE
        from newsletter.content import markup
        from newsletter.social import text as T
        converter = markup.Converter()
        for name, body in BODIES.items():
            if name in ("link-openers", "nested-brackets", "abbreviations"):
                continue  # through the command line above (build and social: render, plain, threads)
            made = body(SIZE)
            started = time.perf_counter()
            rendered = converter.render(made)
            plain = T.plain(markup.text(rendered.tree)) if not rendered.errors else ""
            T.split_to_fit(plain[:200_000], lambda piece: len(piece) <= 280)
            print(name, bool(rendered.errors), round(time.perf_counter() - started, 2))
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT, env=env
    )
    assert done.returncode == 0, done.stderr
    refused = {line.split()[0]: line.split()[1] == "True" for line in done.stdout.splitlines()}
    assert refused == {
        "reference-openers": True,
        "image-openers": True, "emphasis-openers": False, "unclosed-tags": False, "one-word": False,
        "one-paragraph": False,
    }  # fmt: skip


def test_unclosed_tags_stay_text():
    rendered = markup.render("x <a b <a c\n\nnext")
    assert rendered.html == "<p>x &lt;a b &lt;a c</p>\n<p>next</p>"


def test_the_bracket_budget_leaves_an_article_with_links_and_stray_brackets_alone():
    sentence = "See [the guide](https://example.com/a), and a [stray bracket in an aside (never closed. "
    filler = "Massage moves the lymph and wakes the tissue under the skin, every morning. " * 3
    paragraph = (sentence + filler) * 4  # 4 '[' and 4 '(' that never close in 1,300 characters
    # About 200 KB: it reads about 3 times its length, over twice the allowance for short posts, which
    # plays no part (with the allowance alone it would be refused; with the factor alone it is not).
    body = "\n\n".join([paragraph] * 160)
    rendered = markup.render(body)
    assert not rendered.errors
    assert rendered.html.count('<a href="https://example.com/a">the guide</a>') == 640


def test_an_unclosed_bracket_is_named_at_its_line():
    body = "Fine.\n\nStill fine.\n\n" + "[" * 20_000 + "\n"  # 200 M characters to read: far past the budget
    assert markup.render(body).errors == ((5, markup.UNCLOSED),)


# The patterns plain() used before it was made linear: its results must not change.
def _old_plain(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return " ".join(html.unescape(text).split())


@given(st.text(alphabet="*_[]()!` a\n\tx\u00a0é", max_size=40))
def test_plain_gives_what_the_old_patterns_gave(text):
    assert T.plain(text) == _old_plain(text)


# Texts made of what the sentence-end pattern looks at: words (capitals, letters without case, digits,
# CJK), end marks and emoji with their modifiers, closing quotes, spaces of several kinds, openers.
_PIECES = [
    ["a", "B", "Ω", "ж", "ا", "日", "1", "x y"],
    ["", ".", "!", "?", "…", "؟", "。", "！", "？", "✨", "🇫🇷", "🌿\ufe0f", "👍\U0001f3fb", "..."],
    ["", '"', "”", "’", ")", "»", "」"],
    ["", " ", "  ", "\n", "\t", "\u3000", "\xa0", "\x85", "\x1c"],
    ["", '"', "“", "‘", "(", "«", "「", "『", "）"],
]
_SENTENCE = st.tuples(*(st.sampled_from(choices) for choices in _PIECES)).map("".join)


@given(st.lists(_SENTENCE, max_size=8).map("".join))
def test_sentence_ends_are_where_the_pattern_finds_them(text):
    # The pattern is tried only after the characters a sentence end can follow: the same matches.
    assert list(T.sentence_ends(text)) == [m.span() for m in T._SENTENCE_END.finditer(text)]


def _words_one_by_one(text: str) -> int:
    total = 0
    for word in T._WORD.findall(text):
        cjk = len(T._CJK.findall(word))
        total += (cjk + 1) // 2 + (len(word) > cjk)
    return total


@given(st.text(alphabet="ab 1日本語のカ한é\u0301-'.", max_size=30))
def test_words_in_counts_each_word_as_the_word_by_word_count_does(text):
    assert T.words_in(text) == _words_one_by_one(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('Read [the guide](https://x.com/a "t") and ![a photo](p.png) now', "Read the guide and a photo now"),
        ("*soft* and _calm_, **firm** and `code`", "soft and calm, firm and code"),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("[a [b](c)", "a [b"),
    ],
)
def test_plain_strips_markdown(text, expected):
    assert T.plain(text) == expected


def test_longest_finds_the_same_answer_with_few_probes():
    probes: list[int] = []

    def fits(k: int) -> bool:
        probes.append(k)
        return k <= 37

    assert T.longest(1_000_000, fits) == 37
    assert max(probes) <= 64 and len(probes) <= 14
    assert [T.longest(n, lambda k: k <= 5) for n in (0, 1, 4, 5, 6, 100)] == [0, 1, 4, 5, 5, 5]
