"""`check` bounds the inlined email instead of inlining it (newsletter/email/bound.py): the bound must
never be under what premailer makes, and check must report what build reports."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsletter.check.rules import clear_when_inlined, unsized_images, wire_size
from newsletter.email import bound, inline
from newsletter.errors import InputError
from tests.conftest import plan_of

pytestmark = pytest.mark.fresh_inline  # premailer's own output, never the suite's memo of it


def _styles(html: str) -> list[int]:
    return [len(s.encode("utf-8")) for s in re.findall(r"<style[^>]*>(.*?)</style>", html, re.S)]


def _holds(page: str) -> bound.Bound | None:
    """The bound of `page`, asserted above premailer's output in every way check relies on."""
    measured = bound.bound(page)
    if measured is None:
        return None
    inlined = inline.inline_css(page)
    assert wire_size(inlined) <= measured.size
    assert max(_styles(inlined), default=0) <= measured.style
    if measured.images_sized:
        assert not unsized_images(inlined)
    return measured


def test_the_sample_email_is_bounded_close_to_its_inlined_size(sample):
    made = plan_of(sample.root)
    (issue,) = made.issues
    from newsletter.email import render

    page = render.email_html(issue.issue, _renderer(sample.root))
    measured = _holds(page)
    assert measured is not None and clear_when_inlined(measured)
    inlined = wire_size(inline.inline_css(page))
    assert inlined < measured.size < 2 * inlined  # loose enough to be sound, tight enough to be of use


def _renderer(root):
    from newsletter.content.settings import load_settings
    from newsletter.email.render import Renderer

    return Renderer(load_settings(root))


def _page(css: str, body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}<style>{css}</style></head><body>{body}</body></html>"


@pytest.mark.parametrize(
    "css, body",
    [
        ("@font-face { font-family: x; src: url(x.woff); }", "<p>a</p>"),  # an at-rule premailer keeps
        (r"p { content: '\201C'; }", "<p>a</p>"),  # an escape
        ("p { content: '<b>'; }", "<p>a</p>"),  # an angle bracket
        ("p { content: 'a;b'; }", "<p>a</p>"),  # a string cssutils does not split where we would
        ("p { color: red; } }", "<p>a</p>"),  # a brace too many
        ("p:nth-child( { color: red; }", "<p>a</p>"),
        ("p[title=a { color: red; }", "<p>a</p>"),  # a selector lxml cannot read
        ("p { background: url(*|UNSUB|*); }", "<p>a</p>"),  # a merge tag in the CSS
        ("/* open comment", "<p>a</p>"),
        ("p { content: 'open; } td { color: red; }", "<p>a</p>"),  # a string left open
        ('p { content: "{"; }', "<p>a</p>"),  # a brace in a string
    ],
)
def test_what_the_bound_does_not_model_gives_no_bound(css, body):
    assert bound.bound(_page(css, body)) is None


def test_a_comment_is_read_as_css_reads_it():
    # '/*' in a string opens no comment, a quote inside a comment opens no string: every rule counts
    body = "<p>a</p><table><tr><td>b</td></tr></table>"
    with_td = _holds(_page("/* it's */ p { content: '/*' } td { font-family: 'a', 'b' } /* */", body))
    without = _holds(_page("/* it's */ p { content: '/*' } /* */", body))
    assert with_td is not None and without is not None
    assert with_td.size > without.size  # the rule after the string was read, not taken for a comment


def test_a_sheet_premailer_is_told_to_ignore_or_an_odd_style_attribute_gives_no_bound():
    assert (
        bound.bound(
            '<html><head><style data-premailer="ignore">p{color:red}</style></head><body><p>a</p></body></html>'
        )
        is None
    )
    assert bound.bound(_page("p { color: red; }", "<p style=\"content: '&lt;'\">a</p>")) is None


def test_a_sheet_for_print_is_left_as_it_is_and_measured_exactly():
    css = "p { color: red; }" * 2000
    page = _page("b { color: blue; }", "<p>a</p>", head=f'<style media="print">{css}</style>')
    measured = _holds(page)
    assert measured is not None and measured.style >= len(css) > 16 * 1024
    assert not clear_when_inlined(measured)  # Gmail drops it: check inlines and reports style-size


@pytest.mark.parametrize(
    "page",
    [
        # premailer makes the head its @media sheet goes into (a new user's template: 27 KB of them)
        "<html><body><style>@media (max-width: 600px) { .x { color: red !important; } }</style><p>a</p></body></html>",
        # and a rule may match that head
        "<html><body><style>head { font-family: " + "a" * 200 + " }</style><p>a</p></body></html>",
        "<html></html>",
        # an unquoted url() is one token to cssutils, ";" and braces included
        _page("p { background: url(a;b:x;b:x;b:x); }", "<p>a</p>"),
        _page("p { background: url(a}td{xxx); }", "<p>a</p><table><tr><td>b</td></tr></table>"),
        # lxml refuses it in an attribute: premailer raises, build reports it
        _page("p { font-family: 'A\x0bB'; }", "<p>a</p>"),
        _page("p { color: red; }", '<p style="font-family: A\x01B">a</p>'),
    ],
)  # fmt: skip
def test_what_premailer_does_differently_here_gives_no_bound(page):
    assert bound.bound(page) is None


def test_a_width_in_an_attribute_premailer_rewrites_is_not_taken_for_the_images():
    # the style's old text holds width="600" (printed in single quotes); premailer writes color:red
    page = _page(
        "img { color: red; }", """<img src="https://e.com/a.png" style='content: "x" width="600"'>"""
    )
    measured = _holds(page)
    assert measured is not None and not measured.images_sized
    assert unsized_images(inline.inline_css(page))
    page = _page(
        "p { color: red; }", """<img src="https://e.com/a.png" align='" width="600"' style="float:right">"""
    )
    assert not _holds(page).images_sized


def test_a_left_over_rule_is_counted_in_bytes_not_characters():
    # :hover rules stay in a <style>; a Japanese class name is three bytes a character
    for name in ("ボタン" * 70, "\U0001d4b3" * 200):
        css = "".join(f".{name}{i}:hover {{ color: red; }}\n" for i in range(26))
        measured = _holds(_page(css, "<p>a</p>"))
        assert measured is not None and measured.style > 16 * 1024


_SELECTORS = st.sampled_from(
    ["p", "td", "a", ".x", ".y", "td .x", "p a", "td > p", ".x:hover", "a:first-child", "p::before",
     ".x:not(.y)", "td p:nth-child(2)", "p + p", "p ~ a", "*", ".y a:last-child", "body", "img", "table td"]
)  # fmt: skip
_VALUES = st.sampled_from(
    ["red", "#abc", "#FFF", ".5em .5em", "0 auto", "Georgia, 'Times New Roman', serif", '"Helvetica Neue", a',
     "1px solid#fff", "left", "center", "right", "top", "transparent", "1,2,3,4", "12px/1.5 a", "+.5",
     "1e3px", "url(https://example.com/a.png)", "calc(1px + 2px)", "rgb(1, 2, 3)", "0.0000001", "'é'",
     "unset", "red !important", "red!important", "x & y"]
)  # fmt: skip
_PROPERTIES = st.sampled_from(
    ["color", "text-align", "vertical-align", "background-color", "font-family", "margin", "float",
     "padding", "width", "height", "font", "content", "Color", "background", "margin-left"]
)  # fmt: skip
_DECLARATIONS = st.lists(st.tuples(_PROPERTIES, _VALUES), min_size=1, max_size=4).map(
    lambda ds: "; ".join(f"{p}: {v}" for p, v in ds)
)
_RULES = st.lists(
    st.tuples(st.lists(_SELECTORS, min_size=1, max_size=3), _DECLARATIONS), min_size=1, max_size=8
).map(lambda rules: "\n".join(f"{', '.join(s)} {{ {d} }}" for s, d in rules))
_TEXT = st.sampled_from(["a", "Tom & Jerry", '"quoted"', "日本語", "x\xa0y", "*|FNAME|*", ""])


@st.composite
def _elements(draw, depth: int = 0) -> str:
    tag = draw(st.sampled_from(["p", "td", "a", "span", "img", "table", "div"]))
    attrs = ""
    if draw(st.booleans()):
        attrs += f' class="{draw(st.sampled_from(["x", "y", "x y"]))}"'
    if draw(st.booleans()):
        value = draw(_VALUES).replace('"', "&quot;")
        attrs += f' style="{draw(_PROPERTIES)}: {value}"'
    if tag == "img":
        width = draw(st.sampled_from(["", ' width="600"']))
        return f'<img src="https://e.com/a.png"{attrs}{width}>'
    inner = "".join(draw(st.lists(_elements(depth + 1), max_size=3))) if depth < 2 else ""
    if tag == "table":
        return f"<table><tr><td{attrs}>{draw(_TEXT)}{inner}</td></tr></table>"
    return f"<{tag}{attrs}>{draw(_TEXT)}{inner}</{tag}>"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_RULES, st.lists(_elements(), min_size=1, max_size=5), st.booleans())
@example(
    "td { font-family: Georgia, 'Times New Roman', serif }",
    ['<table><tr><td class="x">a</td></tr></table>'],
    True,
)
@example(".x, .x:hover, .x:first-child { background-color: #abc; text-align: center }",
         ['<p class="x" style="color: red">a</p>'] * 3, False)  # fmt: skip
@example("p:hover, a:hover, td:hover { font-family: 'a', 'b', 'c' }", ["<p>a</p>"], False)
def test_the_bound_is_never_under_premailers_output(css, elements, media):
    head = "<style>@media (max-width: 600px) { .x { color: red !important; } }</style>" if media else ""
    _holds(_page(css, "".join(elements), head))


_MEASURED = ("size-warn", "size-clip", "style-size", "img-width")


def _measured(root, work: str) -> list[tuple[str, str, int, str]]:
    try:
        findings = plan_of(root, work).findings
    except InputError as exc:  # build stops at an error (check collects)
        findings = tuple(exc.problems)
    return sorted((p.rule, p.where, p.line, p.message) for p in findings if p.rule in _MEASURED)


@pytest.mark.parametrize("paragraphs, image, found", [
    (68, "", ["size-warn"]),  # between 90 and 102 KB: the bound is above the warning, check inlines
    (80, "", ["size-clip"]),  # over 102 KB: an error in both
    (2, '<img src="https://viaskincare.com/seal.png" alt="">', ["img-width"]),  # quoted as inlined
    (2, '<img src="https://viaskincare.com/seal.png" alt="" width="80">', []),  # clear: no premailer
])  # fmt: skip
def test_check_reports_what_build_reports_of_the_inlined_email(
    project, monkeypatch, paragraphs, image, found
):
    words = " ".join("regeneration collagen circulation fascia lymph" for _ in range(12))
    for n in range(2):
        body = "\n\n".join(f"Paragraph {i} about massage: {words}." for i in range(paragraphs))
        project.post(
            f"2026-10-1{n}-long-{n}.md", f"---\ntitle: Long {n}\ndate: 2026-10-1{n}\n---\n\n{body}\n"
        )
    template = project.own_template("email.html")
    template.write_text(template.read_text().replace("</body>", f"{image}</body>", 1))
    built = _measured(project.root, "BUILD")
    calls = []
    real = inline.inline_css
    monkeypatch.setattr(inline, "inline_css", lambda html: calls.append(1) or real(html))
    checked = _measured(project.root, "CHECK")
    assert checked == built
    assert [rule for rule, *_ in built] == found
    assert bool(calls) is bool(found)
    if image and found:
        assert 'style="' in built[0][3]  # the message quotes the tag as the email has it: inlined


def test_a_control_character_in_the_stylesheet_is_a_template_error_with_its_line(project, cli):
    # lxml refuses it in the style attribute premailer writes: it was a traceback in build
    css = project.own_template("email.css")
    lines = css.read_text(encoding="utf-8").count("\n")
    css.write_text(css.read_text(encoding="utf-8") + "p { font-family: 'A\x0bB'; }\n", encoding="utf-8")
    project.post("2026-10-14-a.md", "---\ntitle: A\ndate: 2026-10-14\n---\n\nHello.\n")
    message = (
        f"templates/email.css:{lines + 1}: control character U+000B: the email's HTML cannot hold it "
        "(lxml, which premailer prints it with, refuses it); delete it"
    )
    built = cli("--project", project.root, "build")
    assert built.exit_code == 1 and message in built.output and "Traceback" not in built.output
    checked = cli("--project", project.root, "check")
    assert checked.exit_code == 1
    assert checked.output.count(message.replace(": control", ": error[template]: control")) == 1
