"""The sample issue's email: both articles, inlined CSS, no remote or active content, full text part."""

from __future__ import annotations

import json
import re
import shutil
from email import message_from_bytes, policy

import lxml.html
import pytest
from conftest import REPO, TEMPLATES, Project

from newsletter.content.markup import render
from newsletter.email import text as plaintext

WEEK = "2026-W42"


@pytest.fixture(scope="module")
def _once() -> dict:
    return {}


@pytest.fixture
def built(_once, tmp_path_factory, cli):
    """The sample project built once for this module, by the first test that asks (so under
    conftest's clock and checks), and its issue folder; shared: tests only read it."""
    if not _once:
        root = tmp_path_factory.mktemp("sample")
        shutil.copytree(TEMPLATES, root / "templates")
        shutil.copytree(REPO / "posts", root / "posts")
        sample = Project(root)
        sample.settings()
        _once["result"] = cli("--project", root, "build")
        _once["sample"] = sample
    result = _once["result"]
    assert result.exit_code == 0, result.output
    return _once["sample"], _once["sample"].build / WEEK


def test_build_prints_one_summary_line(built, _once):
    """The first build of the sample (the shared one): everything written."""
    assert re.fullmatch(
        r"Built 2026-W42 \(2 posts\) in build/: \d+ written, 0 unchanged in \d+\.\d\d s, 1 warning\n",
        _once["result"].stdout,
    )


def test_email_html_holds_both_articles(built):
    _, folder = built
    html = (folder / "email.html").read_text(encoding="utf-8")
    assert "Why Facial Muscles Need Movement" in html
    assert "Facial Massage and Tissue Regeneration" in html
    assert "Softer lines from relaxed fascia" in html
    assert "Massage and Stem Cell Activation" in html


def test_css_is_inlined_and_only_media_queries_stay_in_head(built):
    _, folder = built
    doc = lxml.html.fromstring((folder / "email.html").read_bytes())
    for element in doc.xpath(
        "//td[@class='article']//*[self::p or self::h1 or self::h2 or self::li or self::a]"
    ):
        assert element.get("style"), f"<{element.tag}> has no inline style"
    styles = "".join(doc.xpath("//style/text()"))
    without_media = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*\s*\}", "", styles)
    assert without_media.strip() == ""
    assert "@media screen and (max-width: 620px)" in styles
    assert "prefers-color-scheme: dark" in styles


def test_no_link_script_or_import_in_email(built):
    _, folder = built
    html = (folder / "email.html").read_text(encoding="utf-8").lower()
    assert "<link" not in html
    assert "<script" not in html
    assert "@import" not in html
    assert "&apos;" not in html


def test_text_part_has_every_heading_list_item_and_link(built):
    sample, folder = built
    text = (folder / "email.txt").read_text(encoding="utf-8")
    flat = " ".join(text.split())
    for post in sorted(sample.posts.glob("*.md")):
        body = post.read_text(encoding="utf-8").split("---\n", 2)[2]
        for heading in re.findall(r"^#+ (.+)$", body, re.M):
            assert heading in text
        for item in re.findall(r"^- (.+)$", body, re.M):
            assert item.replace("**", "") in flat
        for url in re.findall(r"\]\((\S+?)\)", body):
            assert url in text
    assert "Book a facial massage:\nhttps://viaskincare.com/?utm_source=newsletter" in text
    assert "Unsubscribe: *|UNSUB|*" in text
    assert "&#" not in text and "&amp;" not in text


def test_text_part_lines_are_wrapped_at_78(built):
    _, folder = built
    for line in (folder / "email.txt").read_text(encoding="utf-8").splitlines():
        assert len(line) <= 78 or re.search(r"https?://\S{20,}", line), line


def test_text_part_renders_links_lists_quotes_and_headings_from_markdown():
    tree = render(
        "# Title\n\nSee [our studio](https://viaskincare.com/a) and <https://x.com/b>.\n\n"
        "1. first\n2. second\n\n> quoted *words*\n\n### Small\n\nA ![pic](p.png) here.\n"
    ).tree
    assert plaintext.render(tree) == (
        "Title\n=====\n\n"
        "See our studio (https://viaskincare.com/a) and https://x.com/b.\n\n"
        "1. first\n2. second\n\n"
        "> quoted words\n\n"
        "SMALL\n\n"
        "A [pic] here.\n"
    )


def test_eml_is_multipart_alternative_with_text_first(built):
    _, folder = built
    raw = (folder / "email.eml").read_bytes()
    message = message_from_bytes(raw, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"] == "<*|UNSUB|*>"
    assert message["Message-ID"].endswith("@viaskincare.com>")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    assert parts[0].get_content().replace("\r\n", "\n") == (folder / "email.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_title_with_markup_is_escaped_in_html_and_typed_in_text(project, cli):
    project.post(
        "2026-10-14-tags.md",
        '---\ntitle: "<b>&"\ndate: 2026-10-14\n---\n\nBody with a list:\n\n- one\n- two\n',
    )
    assert cli("--project", project.root, "build").exit_code == 0
    folder = project.build / WEEK
    html = (folder / "email.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;&amp;" in html and "<b>&" not in html
    assert "<b>&\n" in (folder / "email.txt").read_text(encoding="utf-8")
    captions = json.loads((folder / "captions.json").read_text(encoding="utf-8"))
    teaser = next(c for c in captions if (c["platform"], c["kind"]) == ("x", "teaser"))
    assert teaser["text"].startswith("<b>&\n")


@pytest.mark.slow
def test_unsafe_markdown_is_sanitised_with_warnings(project, cli):
    project.post(
        "2026-10-14-x.md",
        "---\ntitle: X\ndate: 2026-10-14\n---\n\nHello\n\n<script>alert(1)</script>\n\n"
        '<img src="/a.png" onerror="alert(1)" alt="a">\n\n[x](javascript:alert(1))\n\n[y](jav&#x09;ascript:alert(1))\n',
    )
    result = cli("--project", project.root, "build")
    assert result.exit_code == 0, result.output
    html = (project.build / WEEK / "email.html").read_text(encoding="utf-8").lower()
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "posts/2026-10-14-x.md:8: warning: removed <script> element: not allowed in email" in result.stderr
    assert "posts/2026-10-14-x.md:10: warning: removed event handler attribute 'onerror'" in result.stderr
    assert "posts/2026-10-14-x.md:12: warning: removed javascript: URL: not allowed in email" in result.stderr
    assert "posts/2026-10-14-x.md:14: warning: removed javascript: URL: not allowed in email" in result.stderr
