"""The plain-text part reads like a person wrote it: reflowed paragraphs (a source line break is not a
line break), lists and quotes indented, tables in aligned columns, URLs whole. Through the CLI."""

from __future__ import annotations

import itertools
import re
import textwrap
import unicodedata
from email import message_from_bytes, policy

import pytest
from conftest import Project

from newsletter.content.markup import render
from newsletter.email import text as plaintext

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): no test
# here edits a template it did not write, and copies would be compiled again (see tests/conftest.py).


WEEK = "2026-W42"
URL = "https://viaskincare.com/journal/2026/10/the-led-panel-and-what-red-light-does-for-collagen-in-the-skin"
# A bare URL in the prose is a link of the site's own: the text part gives it tracked, once.
TRACKED = f"{URL}?utm_source=newsletter&utm_medium=email&utm_campaign=weekly-2026-W42"
PARAGRAPHS = [
    "This autumn we are proud to introduce the LED panel that has been glowing in the back room of the "
    "studio since September, after a long summer of reading, testing and comparing the panels that "
    "clinics across Europe use for their facial treatments.",
    "Red light at about 630 nanometres reaches the dermis, where fibroblasts make collagen and elastin; "
    "near-infrared light goes deeper still, into the muscle and the fascia beneath it.",
    f"The study we relied on most is long but readable, and it is free to read at {URL} for anyone who "
    "wants the numbers behind our claims.",
]
ITEMS = [
    "Post-Surgical Recovery: promoting healing and reducing scar tissue formation after procedures on "
    "the face and neck.",
    "Chronic Skin Conditions: improving symptoms like rosacea, eczema or psoriasis through enhanced "
    "circulation and detoxification.",
]
NESTED = "Gentle pressure along the jaw line, from the chin towards the ear, repeated five or six times."
QUOTE = (
    "Your face is not just skin deep. It is an intelligent system of muscles, fascia, lymph and "
    "expression, all woven together into one living whole."
)
WIDE_ROW = (
    "Lymphatic facial", "60 minutes", "95 €", "Drains fluid and reduces puffiness around the eyes and jaw",
    "Anyone who wakes up puffy",
)  # fmt: skip


WIDE_CELLS = " | ".join(WIDE_ROW)
HARD_BREAK = "  "  # two trailing spaces


def _source(text: str, indent: str = "", first: str = "") -> str:
    """Hard-wrapped at 60 columns, as an editor's text editor leaves it."""
    return textwrap.fill(
        text, 60, initial_indent=first or indent, subsequent_indent=indent,
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip


POST = f"""\
---
title: The LED panel is here
date: 2026-10-14
---

{_source(PARAGRAPHS[0])}

## What the light does

{_source(PARAGRAPHS[1])}

It is beneficial in:

{_source(ITEMS[0], "  ", "- ")}
{_source(ITEMS[1], "  ", "- ")}
- Massage at home:
{_source(NESTED, "      ", "    - ")}

{_source(QUOTE, "> ")}

| Treatment | Length | Price |
|-----------|-------:|------:|
| LED facial | 45 min | 70 € |
| Lymphatic massage | 60 min | 95 € |
| 顔のマッサージ | 30 min | 50 € |

| Treatment | Length | Price | What it does | Who it suits |
|---|---|---|---|---|
| {WIDE_CELLS} |

{_source(PARAGRAPHS[2])}

The first line ends with two spaces,{HARD_BREAK}
the second with a backslash,\\
and this third one is the last.

```
panel:   on
minutes: 12
```
"""


def columns(line: str) -> int:
    """Display width, measured independently of the code under test."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


@pytest.fixture(scope="module")
def _once() -> dict:
    return {}


@pytest.fixture
def built(_once, tmp_path_factory, cli):
    """The text part of POST's issue, in email.txt and in the .eml: built once for this module by the
    first test that asks (under conftest's clock and checks); the tests only read the two strings."""
    if not _once:
        root = tmp_path_factory.mktemp("text")
        for folder in ("posts", "templates"):
            (root / folder).mkdir()
        project = Project(root)
        project.settings()
        project.post("2026-10-14-led-panel.md", POST)
        result = cli("--project", project.root, "build")
        assert result.exit_code == 0, result.output
        folder = project.build / WEEK
        txt = (folder / "email.txt").read_text(encoding="utf-8")
        eml = message_from_bytes((folder / "email.eml").read_bytes(), policy=policy.default)
        _once["parts"] = txt, eml.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return _once["parts"]


def _whole(text: str, paragraph: str, prefix: str = "") -> None:
    """The paragraph's words in order, separated by one space, or by a line break (then `prefix`) only
    where the next word would not fit in 78 columns: a greedy fill, no source line break left."""
    words = paragraph.split(" ")
    joint = rf"(?: |\n{re.escape(prefix)})"
    found = re.search(joint.join(map(re.escape, words)), text)
    assert found, f"not whole: {paragraph[:40]}..."
    lines = found.group(0).split("\n")
    for line, following in itertools.pairwise(lines):
        start = text.rfind("\n", 0, text.find(line)) + 1  # the whole line, with any prefix before it
        full = text[start : text.index("\n", start)]
        assert columns(full) + 1 + columns(following.removeprefix(prefix).split(" ")[0]) > 78, full


def test_the_text_part_is_the_same_in_email_txt_and_the_eml(built):
    txt, eml = built
    assert txt == eml


def test_no_line_is_wider_than_78_columns_except_a_lone_url(built):
    txt, _ = built
    for line in txt.split("\n"):
        assert columns(line) <= 78 or re.fullmatch(r"https://\S+", line.strip()), line
    assert f"\n{TRACKED}\n" in txt  # longer than a line: whole, on a line of its own


def test_hard_wrapped_paragraphs_are_reflowed_whole(built):
    txt, _ = built
    for paragraph in PARAGRAPHS:
        _whole(txt, paragraph.replace(URL, TRACKED))
    assert "introduce the LED panel that has been glowing" in txt  # the "LED↵panel", rejoined


def test_only_hard_breaks_start_a_new_line(built):
    txt, _ = built
    assert (
        "The first line ends with two spaces,\nthe second with a backslash,\nand this third one is the last.\n"
        in txt
    )


def test_list_items_are_whole_with_continuation_lines_under_the_text(built):
    txt, _ = built
    for item in ITEMS:
        _whole(txt, item, "  ")
        assert f"\n- {item[:30]}" in txt
    assert "\n- Massage at home:\n  - Gentle pressure" in txt  # nested: indented under the item's text
    _whole(txt, NESTED, "    ")


def test_quote_lines_carry_the_quote_prefix(built):
    txt, _ = built
    _whole(txt, QUOTE, "> ")
    start = txt.index("> Your face")
    block = txt[start : txt.index("\n\n", start)].split("\n")
    assert len(block) == 2 and all(line.startswith("> ") for line in block)


def test_table_columns_line_up_in_display_columns(built):
    txt, _ = built
    start = txt.index("Treatment ")
    table = txt[start : txt.index("\n\n", start)].split("\n")
    assert len(table) == 5  # header, rule, three rows
    assert table[1].startswith("------") and "-+-" in table[1]

    def separators(line: str) -> list[int]:
        return [columns(line[:at]) for at, char in enumerate(line) if char in "|+"]

    assert len({tuple(separators(line)) for line in table}) == 1
    assert len(separators(table[0])) == 2
    assert "顔のマッサージ    | 30 min |  50 €" in txt  # wide characters count 2; Price is right-aligned


def test_a_table_too_wide_for_the_line_becomes_label_value_lines(built):
    txt, _ = built
    assert (
        "Treatment:    Lymphatic facial\n"
        "Length:       60 minutes\n"
        "Price:        95 €\n"
        "What it does: Drains fluid and reduces puffiness around the eyes and jaw\n"
        "Who it suits: Anyone who wakes up puffy\n"
    ) in txt


def test_code_blocks_stay_verbatim_and_indented(built):
    txt, _ = built
    assert "\n    panel:   on\n    minutes: 12\n" in txt


@pytest.mark.slow
def test_the_template_lines_wrap_like_the_body(project, cli):
    """Title, byline and the 'label: URL' lines of the template go through the same wrap."""
    project.post(
        "2026-10-14-long.md",
        "---\ntitle: A title long enough that it cannot possibly fit on one line of a plain-text email\n"
        "date: 2026-10-14\ncta: {text: Book a facial massage, url: 'https://viaskincare.com/booking/facial-massage'}\n---\n\nHello.\n",
    )
    result = cli("--project", project.root, "build")
    assert result.exit_code == 0, result.output
    txt = (project.build / WEEK / "email.txt").read_text(encoding="utf-8")
    assert "\nA title long enough that it cannot possibly fit on one line of a plain-text\nemail\n" in txt
    assert "\nBook a facial massage:\nhttps://viaskincare.com/booking/facial-massage?utm_source=" in txt
    assert "\nView in browser:\nhttps://viaskincare.com/newsletter/2026-W42/?utm_source=" in txt


# The renderer on its own: exact output -----------------------------------------------------------


def _text(markdown: str, width: int = 78) -> str:
    return plaintext.render(render(markdown).tree, width=width)


def test_nested_and_numbered_lists_align_their_text():
    assert _text(
        "8. eight\n9. nine, long enough to wrap at forty columns\n10. ten\n    - inner item that wraps too here\n",
        width=40,
    ) == (
        "8.  eight\n"
        "9.  nine, long enough to wrap at forty\n"
        "    columns\n"
        "10. ten\n"
        "    - inner item that wraps too here\n"
    )


def test_loose_list_items_keep_their_blank_lines():
    assert _text("- one\n\n    more about one\n\n- two\n") == "- one\n\n  more about one\n\n- two\n"


def test_nested_quotes_and_a_quote_in_a_list():
    assert _text("> outer\n>\n> > inner\n") == "> outer\n>\n> > inner\n"
    assert _text("- item\n\n    > quoted in the item\n") == "- item\n\n  > quoted in the item\n"


def test_aligned_table_exact_layout():
    assert _text("| a | bb | c |\n|:-:|--:|---|\n| 1 | 2 | three |\n| 日本 | 4 | 5 |\n") == (
        " a   | bb | c\n-----+----+------\n 1   |  2 | three\n日本 |  4 | 5\n"
    )


def test_wide_table_with_long_labels_does_not_pad_them():
    row = "| " + " | ".join(["x" * 20] * 4) + " |"
    head = "| " + " | ".join(["A label longer than a third of the line", "B", "C", "D"]) + " |"
    assert _text(f"{head}\n|---|---|---|---|\n{row}\n") == (
        f"A label longer than a third of the line: {'x' * 20}\nB: {'x' * 20}\nC: {'x' * 20}\nD: {'x' * 20}\n"
    )


def test_chinese_and_japanese_wrap_between_characters_in_display_columns():
    out = _text("日本語の文章はスペースがないので、折り返しが難しいです。" * 3)
    lines = out.rstrip("\n").split("\n")
    assert "".join(lines) == "日本語の文章はスペースがないので、折り返しが難しいです。" * 3
    assert all(columns(line) <= 78 for line in lines) and columns(lines[0]) >= 76
    assert not any(line[0] in "、。" for line in lines)  # no line starts with a comma or full stop


def test_headings_wrap_and_their_rule_spans_the_widest_line():
    assert _text("## 顔のマッサージ\n") == "顔のマッサージ\n--------------\n"
    long = "A heading that goes on and on"
    assert _text(f"# {long}\n", width=20) == "A heading that goes\non and on\n===================\n"


def test_an_escaped_backslash_at_a_line_end_is_no_break():
    assert _text("one \\\\\ntwo\n") == "one \\ two\n"


def test_a_backslash_break_is_a_break_in_the_html_too():
    assert render("one\\\ntwo\n").html == "<p>one<br>\ntwo</p>"  # CommonMark's backslash hard break


# Bare URLs (issue 22 follow-up): linked in the Markdown, so tracked, checked and sanitised ---------------

BARE = """\
---
title: Bare links
date: 2026-10-14
---

Gift cards are at https://viaskincare.com/gift-cards. Our old shop (http://shop.example.com/sale)
is closed; `https://viaskincare.com/code` is code, and [this](https://viaskincare.com/a) a link.
"""


@pytest.mark.slow
def test_a_bare_url_is_a_tracked_link_in_the_html_and_the_text_part(project, cli):
    project.post("2026-10-14-bare.md", BARE)
    result = cli("--project", project.root, "build")
    assert result.exit_code == 0, result.output
    html = (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    tracked = "https://viaskincare.com/gift-cards?utm_source=newsletter&utm_medium=email&utm_campaign=weekly-2026-W42"
    hrefs = re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', html)
    assert (tracked.replace("&", "&amp;"), "https://viaskincare.com/gift-cards") in hrefs
    assert ("http://shop.example.com/sale", "http://shop.example.com/sale") in hrefs  # ")" stays outside
    assert re.search(r"<code[^>]*>https://viaskincare.com/code</code>", html)  # code is never linked
    text = (project.build / WEEK / "email.txt").read_text(encoding="utf-8")
    assert f"Gift cards are at\n{tracked}." in text  # said once, tracked, the full stop kept outside
    check = cli("--project", project.root, "check")
    assert (
        "posts/2026-10-14-bare.md:6: warning[link-insecure]: insecure link 'http://shop.example.com/sale'"
        in check.stdout
    )


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("see https://a.com/x.", '<p>see <a href="https://a.com/x">https://a.com/x</a>.</p>'),
        ("(https://a.com/b_(c))", '<p>(<a href="https://a.com/b_(c)">https://a.com/b_(c)</a>)</p>'),
        (
            "<https://a.com> [t](https://b.com)",
            '<p><a href="https://a.com">https://a.com</a> <a href="https://b.com">t</a></p>',
        ),
        ("xhttps://a.com and http://.", "<p>xhttps://a.com and http://.</p>"),
        ('<a href="https://a.com">https://b.com</a>', '<p><a href="https://a.com">https://b.com</a></p>'),
        ("*https://a.com*!", '<p><em><a href="https://a.com">https://a.com</a></em>!</p>'),
    ],
)
def test_bare_urls_are_linked_outside_code_and_links_without_trailing_punctuation(body, html):
    assert render(body).html == html


@pytest.mark.slow  # tens of thousands of URLs: the size is the point
def test_the_bare_url_scanner_is_linear():
    """Tens of thousands of URL-looking words are found in one pass (a backtracking pattern would not end)."""
    body = (
        " ".join(["https://a.com/" + "x" * 50] * 20000)
        + " "
        + "https://" * 20000
        + " https://b.c"
        + ")" * 50000
    )
    made = render(body)
    assert made.html.count("<a href=") == 20002  # the run of "https://" is one (odd) URL


@pytest.mark.slow
def test_table_column_alignment_is_kept_in_the_html(project, cli):
    """`:--`, `:-:`, `--:` align the HTML cells too (the email's stylesheet aligns cells left): as the
    `align` attribute Outlook reads and an inline style, which premailer keeps over the stylesheet."""
    table = "| Step | Product | Minutes |\n|:-----|:-------:|--------:|\n| 1 | Cleanser | 2 |\n"
    project.post("2026-10-14-table.md", f"---\ntitle: Table\ndate: 2026-10-14\n---\n\n{table}")
    assert cli("--project", project.root, "build").exit_code == 0
    import lxml.html

    for name in ("email.html", "index.html"):
        page = lxml.html.fromstring((project.build / WEEK / name).read_bytes())
        cells = page.xpath("//div[contains(@class, 'content')]//table//*[self::th or self::td]")
        found = [
            (c.text_content(), c.get("align"), re.findall(r"text-align:\s*(\w+)", c.get("style")))
            for c in cells
        ]
        assert found == [
            ("Step", "left", ["left"]), ("Product", "center", ["center"]), ("Minutes", "right", ["right"]),
            ("1", "left", ["left"]), ("Cleanser", "center", ["center"]), ("2", "right", ["right"]),
        ], name  # fmt: skip
