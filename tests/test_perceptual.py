"""The email as a reader sees it: measured in real Chromium (and Firefox for width), not grepped.

Every visible text run meets WCAG 2.x AA contrast, computed from the rendered page's styles, in light and
dark mode, at phone and desktop widths, with and without the head <style> (clients that drop it keep
only the inlined styles); nothing scrolls sideways at 375 px; no image is wider than the column or
stretched beyond its own pixels; exactly one divider separates two articles; Firefox agrees on width.
Documents: the sample week (the repository's posts, issue file and settings) and a generated week with
every Markdown feature, each in the `full` and the `digest` layout; and two branded builds (a logo, social
links, a subscribe link; a purple accent that reads as given, a pale one the build must darken), whose
web copy and archive page are measured too, in light and dark mode at 375 and 600 px.

The README's email screenshots come from here: `python -m pytest tests/test_perceptual.py --update-golden`.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, TEMPLATES, require

from newsletter.cli import main

# Every test here needs builds of its own documents and real layouts of them in Chromium (a test costs a
# second or more): the full run's. The fast loop checks the email's structure (tests/test_email_clients.py).
pytestmark = pytest.mark.slow

WIDTHS = (375, 640)
SCHEMES = ("light", "dark")
VARIANTS = ("as sent", "head <style> removed")
DOCUMENTS = ("sample-full", "sample-digest", "features-full", "features-digest", "purple-full", "pale-full")
# The web copy and the archive page of the branded builds: pages on the site, not emails.
PAGES = ("purple-web", "purple-archive", "pale-web", "pale-archive")
PAGE_WIDTHS = (375, 600)
# The branded builds: accent, which posts, and the brand keys. A logo file, social links, a sign-up page.
BRANDS = {
    "purple": ("#7b3fa0", None),
    "pale": ("#f0e68c", "features"),  # every Markdown feature: links, headings, quotes in the pale accent
}
BRAND_KEYS = """\
logo = images/logo.png
logo_width = 180
subscribe_url = https://viaskincare.com/subscribe
social_links =
    instagram https://www.instagram.com/viaskincare
    facebook https://www.facebook.com/viaskincare
    tiktok https://www.tiktok.com/@viaskincare
"""
SITE = "https://viaskincare.com/newsletter/"  # archive_url: where the build's files are published
SCREENSHOTS = REPO / "docs" / "screenshots"
IMAGE_HOST = "https://img.example.test/"
_SIZE = re.compile(r"w(\d+)h(\d+)\.png")

# A week that uses every Markdown feature a post can hold (tables, nested lists, quotes, code, long
# unbroken URLs and words, images of several sizes with and without width attributes, RTL, CJK).
FEATURES = {
    "2026-10-19-every-feature.md": f"""\
        ---
        title: Everything Markdown can do, in one article
        date: 2026-10-19
        summary: Tables, nested lists, quotes, code, long links and pictures of every size.
        image: {IMAGE_HOST}w1200h630.png
        image_alt: A wide teal hero picture
        image_width: 1200
        image_height: 630
        cta: {{text: Book a facial massage today, url: "https://viaskincare.com/book"}}
        ---

        An opening paragraph with **bold**, _emphasis_, `inline code` and [a link](https://viaskincare.com/services).

        ## A table

        | Treatment | Minutes | Price | Notes |
        |---|--:|--:|---|
        | Facial massage | 60 | 95 | Gentle, for every skin type |
        | Lymphatic drainage | 45 | 80 | Reduces puffiness after a long flight |
        | Buccal massage | 50 | 110 | Inside the cheeks; ask first |

        ## Nested lists

        1. First step
            - a detail
            - another detail
                1. deeper still
                2. and deeper
        2. Second step

        - Unordered
            - nested
                - deeper

        > A quote that runs over more than one line, to see how the border and the italic text hold up
        > on a narrow phone screen.
        >
        > > A quote inside a quote.

        ### Code

        ```python
        def massage(face, minutes=60):
            return face.with_circulation(minutes * 1.5)  # a comment well past the width of a phone screen
        ```

        A long unbroken link: <https://viaskincare.com/blog/a-very-long-path/with/many/segments?utm_source=somewhere&utm_medium=elsewhere&campaign=averyveryverylongcampaignname>

        [https://example.org/averyveryveryveryveryveryveryveryveryveryveryverylongpathwithoutbreaks](https://example.org/x)

        A long word: Pneumonoultramicroscopicsilicovolcanoconiosis-and-more-hyphenated-fortyfive-letters.

        ***

        ![A small badge, 120 pixels wide](https://img.example.test/w120h80.png){{width=120}}

        ![A wide photo given at 1600 pixels](https://img.example.test/w1600h900.png){{width=1600 height=900}}

        ![A photo given at 400 pixels](https://img.example.test/w800h400.png){{width=400}}

        ![A small photo of unknown size](https://img.example.test/w300h200.png)

        ![A big photo of unknown size](https://img.example.test/w1400h700.png)

        The last paragraph of the first article.
        """,
    "2026-10-20-rtl.md": """\
        ---
        title: "تدليك الوجه — עיסוי פנים"
        date: 2026-10-20
        cta: {text: احجز الآن, url: "https://viaskincare.com/book"}
        ---

        تدليك الوجه أكثر من مجرد طقس للاسترخاء: إنه تقنية مدعومة علمياً لها فوائد عميقة لصحة البشرة وتجديد الأنسجة.

        - تحسين الدورة الدموية الدقيقة
        - تصريف اللمفاوي

        עיסוי פנים הוא יותר מטקס מרגיע: זו טכניקה מבוססת מדעית עם יתרונות עמוקים לבריאות העור.

        > ציטוט בעברית על תנועה, חמצן ורקמות חיות.
        """,
    "2026-10-21-cjk.md": """\
        ---
        title: 顔のマッサージと肌の再生について
        date: 2026-10-21
        summary: 顔のマッサージは肌の再生を助けます。
        ---

        顔のマッサージは単なるリラックスのための儀式ではなく、肌の健康と組織の再生に深い効果をもたらす科学的に裏付けられた技術です。皮膚、筋肉、結合組織を刺激することで、治癒を促し、コラーゲンの生成を高め、微小循環を改善します。

        面部按摩不仅仅是一种放松的仪式，它是一种有科学依据的技术，对皮肤健康和组织再生有着深远的益处。通过刺激皮肤、肌肉和结缔组织，面部按摩能够促进愈合、增加胶原蛋白的生成并改善微循环。
        """,
    "2026-10-22-long-title.md": f"""\
        ---
        title: Supercalifragilisticexpialidociousfacialmassagetechniques explained
        date: 2026-10-22
        image: {IMAGE_HOST}w400h300.png
        image_alt: A small teal picture
        ---

        A short article whose title holds one very long word, and whose hero image is smaller than the column.
        """,
}


# Page scripts --------------------------------------------------------------------------------------

# WCAG 2.x: relative luminance of sRGB, (L1 + 0.05) / (L2 + 0.05); large text is >= 24 px, or >= 18.66 px
# (14 pt) and bold. The background is found by compositing the ancestors' background colours (table
# cells included) over the canvas, the text colour by compositing it (times the ancestors' opacity) over that.
CONTRAST_JS = """() => {
  const rgba = (s) => {
    const m = /rgba?\\(([^)]*)\\)/.exec(s);
    if (!m) throw new Error("unexpected colour " + s);
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const channel = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const meta = document.querySelector('meta[name="color-scheme"]');
  const darkCanvas = matchMedia("(prefers-color-scheme: dark)").matches && meta && /dark/.test(meta.content);
  const canvas = darkCanvas ? [18, 18, 18, 1] : [255, 255, 255, 1];
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), canvas);
  };
  const opacity = (element) => {
    let o = 1;
    for (let e = element; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    return o;
  };
  const show = (c) => "rgb(" + c.slice(0, 3).map(Math.round).join(",") + ")";
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.data.replace(/\\s+/g, " ").trim();
    const element = node.parentElement;
    if (!text || !element) continue;
    const style = getComputedStyle(element);
    const range = document.createRange();
    range.selectNodeContents(node);
    const shown = Array.from(range.getClientRects()).some(r => r.width > 0 && r.height > 0);
    if (!shown || style.visibility !== "visible") continue;
    const color = rgba(style.color);
    color[3] *= opacity(element);
    if (color[3] === 0) continue;
    const bg = background(element);
    const fg = over(color, bg);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    const r = ratio(fg, bg);
    if (r < need) {
      const where = element.tagName.toLowerCase() + (element.className ? "." + element.className : "");
      failures.push({text: text.slice(0, 40), where, color: show(fg), background: show(bg),
                     ratio: Math.floor(r * 100) / 100, need});
    }
  }
  return failures;
}"""

# Elements that stick out of the viewport on the right (the deepest ones name the culprit).
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const out = Array.from(document.body.querySelectorAll("*")).filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > width + 0.5 && !Array.from(e.children).some(c => c.getBoundingClientRect().right > width + 0.5);
  });
  return {scrollWidth: document.documentElement.scrollWidth, width,
          culprits: out.slice(0, 5).map(e => e.tagName.toLowerCase() + " " + (e.textContent || e.getAttribute("src") || "").trim().slice(0, 50) + " right=" + Math.round(e.getBoundingClientRect().right))};
}"""

# Every image against the content box of its article cell, and against its own pixels.
IMAGES_JS = """() => Array.from(document.images).filter(i => i.getClientRects().length).map(img => {
  const cell = img.closest("td.article") || img.closest("td");
  const cs = getComputedStyle(cell), c = cell.getBoundingClientRect(), r = img.getBoundingClientRect();
  return {alt: img.alt, complete: img.complete, natural: img.naturalWidth, naturalHeight: img.naturalHeight,
          width: r.width, left: r.left, right: r.right,
          columnLeft: c.left + parseFloat(cs.paddingLeft), columnRight: c.right - parseFloat(cs.paddingRight),
          attrWidth: img.getAttribute("width"), attrHeight: img.getAttribute("height")};
})"""

# Horizontal lines (borders, <hr>, hairline boxes) between the last ink of one article and the first ink
# of the next; lines closer than 3 px that overlap are one line a reader sees.
DIVIDERS_JS = """() => {
  const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility === "visible";
  const alpha = (s) => { const m = /rgba?\\(([^)]*)\\)/.exec(s); const p = m[1].split(/[\\s,\\/]+/).filter(Boolean); return p.length > 3 ? parseFloat(p[3]) : 1; };
  const ink = (cell) => {
    const boxes = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.data.trim()) continue;
      const range = document.createRange(); range.selectNodeContents(n);
      boxes.push(...Array.from(range.getClientRects()).filter(r => r.width > 0 && r.height > 0));
    }
    cell.querySelectorAll("img").forEach(i => visible(i) && boxes.push(i.getBoundingClientRect()));
    return boxes;
  };
  const lines = [];
  for (const e of document.body.querySelectorAll("*")) {
    if (!visible(e)) continue;
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    for (const [side, y] of [["Top", r.top], ["Bottom", r.bottom]]) {
      if (parseFloat(s["border" + side + "Width"]) > 0 && !["none", "hidden"].includes(s["border" + side + "Style"])
          && alpha(s["border" + side + "Color"]) > 0) lines.push({y, left: r.left, right: r.right});
    }
    if (r.height > 0 && r.height <= 4 && alpha(s.backgroundColor) > 0) lines.push({y: r.top, left: r.left, right: r.right});
  }
  const cells = Array.from(document.querySelectorAll("td.article")).filter(visible);
  const gaps = [];
  for (let i = 0; i + 1 < cells.length; i++) {
    const after = Math.max(...ink(cells[i]).map(b => b.bottom));
    const before = Math.min(...ink(cells[i + 1]).map(b => b.top));
    const wide = cells[i].getBoundingClientRect().width * 0.4;
    const between = lines.filter(l => l.y > after && l.y < before && l.right - l.left >= wide).sort((a, b) => a.y - b.y);
    const seen = [];
    for (const l of between) {
      const last = seen[seen.length - 1];
      if (last && l.y - last.y < 3 && l.left < last.right && l.right > last.left) continue;
      seen.push(l);
    }
    gaps.push(seen.map(l => Math.round(l.y)));
  }
  return gaps;
}"""


# Building the documents ----------------------------------------------------------------------------


def _project(folder: Path, posts: dict[str, str] | None, layout: str, brand: str = "") -> Path:
    """A copy of the repository's project (its settings, templates, issue file and posts, or the given
    posts); with `brand`, its accent colour, a logo file, social links and a subscribe link."""
    shutil.copytree(TEMPLATES, folder / "templates")
    (folder / "posts").mkdir()
    if posts is None:
        for post in (REPO / "posts").glob("*.md"):
            shutil.copy(post, folder / "posts" / post.name)
        shutil.copytree(REPO / "issues", folder / "issues")
    else:
        for name, text in posts.items():
            (folder / "posts" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    cfg = (REPO / "setup.cfg").read_text(encoding="utf-8")
    if layout != "full":
        cfg = cfg.replace("[newsletter]\n", f"[newsletter]\nlayout = {layout}\n", 1)
    if brand:
        accent = BRANDS[brand][0]
        cfg = re.sub(r"(?m)^accent_color = .*$", f"accent_color = {accent}\n" + BRAND_KEYS.rstrip(), cfg)
        (folder / "images").mkdir()
        (folder / "images" / "logo.png").write_bytes(_logo(accent))
    (folder / "setup.cfg").write_text(cfg, encoding="utf-8")
    return folder


def _logo(accent: str) -> bytes:
    """A 2x logo (360x90 for 180 px): the studio's name in white on its accent, as a PNG."""
    from PIL import Image, ImageDraw

    from newsletter import colors

    image = Image.new("RGB", (360, 90), colors.rgb(colors.reaching(accent, colors.WHITE, 4.5)))
    ImageDraw.Draw(image).text((180, 45), "VIA SKINCARE", fill=(255, 255, 255), font_size=44, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _strip_head_style(html: str) -> str:
    head, body = html.split("</head>", 1)
    return re.sub(r"<style\b[^>]*>.*?</style>\s*", "", head, flags=re.S | re.I) + "</head>" + body


@dataclass
class Documents:
    """Each document is built once per session, when a test first asks for it."""

    root: Path
    built: dict[str, Path | str] = field(default_factory=dict)

    def path(self, name: str, variant: str = VARIANTS[0]) -> Path:
        if name in PAGES:  # a branded build's web copy or archive page
            which, page = name.split("-")
            email = self.path(f"{which}-full")
            return email.with_name("index.html") if page == "web" else email.parent.parent / "index.html"
        html = self.attempt(name)
        assert isinstance(html, Path), html  # a failed build fails every test that needs it
        if variant == VARIANTS[0]:
            return html
        stripped = html.with_name("email-no-head-style.html")
        if not stripped.exists():
            stripped.write_text(_strip_head_style(html.read_text(encoding="utf-8")), encoding="utf-8")
        return stripped

    def attempt(self, name: str) -> Path | str:
        """The built email.html, or why the build failed."""
        if name not in self.built:
            self.built[name] = self._build(name)
        return self.built[name]

    def site(self, name: str) -> Path:
        """The build folder a document lives in: what is published at archive_url."""
        path = self.path(name)
        return path.parent if name.endswith("-archive") else path.parent.parent

    def _build(self, name: str) -> Path | str:
        which, layout = name.split("-")
        brand = which if which in BRANDS else ""
        posts = FEATURES if which == "features" or (brand and BRANDS[brand][1]) else None
        folder = _project(self.root / name, posts, layout, brand)
        from newsletter.social import draw

        # No page measured here shows a card (the web copy names its og:image card, it draws none):
        # a stand-in PNG instead of drawing every card of six builds (a sixth of this file's CPU).
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(draw, "png", lambda card, size, accent: _png(*draw.SIZES[size]))
            result = CliRunner().invoke(main, ["--project", str(folder), "build"], catch_exceptions=False)
        if result.exit_code != 0:
            return f"building {name} failed:\n{result.output}"
        return next((folder / "build").glob("*/email.html"))


@pytest.fixture(scope="session")
def documents(tmp_path_factory) -> Documents:
    return Documents(tmp_path_factory.mktemp("perceptual"))


@functools.cache  # the same few sizes for every page and Firefox's copies
def _png(width: int, height: int) -> bytes:
    """A stand-in picture of the size its name gives (no network): teal, so it shows against any page."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (42, 127, 98)).save(out, "PNG", optimize=False, compress_level=1)
    return out.getvalue()


def _serve_images(site: Path):
    """Pictures come from the stand-in host, and what the build publishes at archive_url (the logo) from
    the build folder itself; every other request (fonts, trackers, links) is refused."""

    def serve(route) -> None:
        url = route.request.url
        published = site / url[len(SITE) :].split("?")[0] if url.startswith(SITE) else None
        if url.startswith("file://"):
            route.continue_()
        elif url.startswith(IMAGE_HOST) and (size := _SIZE.search(url)):
            route.fulfill(status=200, content_type="image/png", body=_png(int(size[1]), int(size[2])))
        elif published is not None and published.is_file() and published.suffix == ".png":
            route.fulfill(status=200, content_type="image/png", body=published.read_bytes())
        else:
            route.abort()

    return serve


@pytest.fixture(scope="session")
def pages(browser, documents):
    """One Chromium page per (document, variant), loaded once, all in one browser context (a context
    costs more than a page); tests change width and colour scheme."""
    context = browser.new_context(viewport={"width": 640, "height": 900})
    opened: dict[tuple[str, str], object] = {}
    shown: dict[tuple[str, str], tuple[str, int]] = {}  # each page's colour scheme and width now

    def get(name: str, variant: str = VARIANTS[0], width: int = 640, scheme: str = "light"):
        key = (name, variant)
        if key not in opened:
            page = context.new_page()
            page.route("**/*", _serve_images(documents.site(name)))
            page.goto(documents.path(name, variant).as_uri())
            opened[key], shown[key] = page, ("", 640)  # the scheme set once at first, explicitly
        page = opened[key]
        if shown[key][0] != scheme:
            page.emulate_media(color_scheme=scheme)
        if shown[key][1] != width:
            page.set_viewport_size({"width": width, "height": 900})
        shown[key] = (scheme, width)
        return page

    yield get
    context.close()


# The perceptual tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_text_run_meets_wcag_aa_contrast(pages, name):
    failures: dict[tuple, list[int]] = {}
    for variant in VARIANTS:
        for scheme in SCHEMES:
            for width in WIDTHS:
                for f in pages(name, variant, width, scheme).evaluate(CONTRAST_JS):
                    key = (
                        variant,
                        scheme,
                        f["where"],
                        f["text"],
                        f["color"],
                        f["background"],
                        f["ratio"],
                        f["need"],
                    )
                    failures.setdefault(key, []).append(width)
    report = [
        f"{v}, {s}, {'/'.join(map(str, w))} px: {where} '{text}' {fg} on {bg} = {ratio}:1 (needs {need}:1)"
        for (v, s, where, text, fg, bg, ratio, need), w in failures.items()
    ]
    assert not report, f"{len(report)} text runs below WCAG AA:\n" + "\n".join(report[:25])


@pytest.mark.parametrize("name", DOCUMENTS)
def test_nothing_scrolls_sideways_on_a_phone(pages, name):
    for variant in VARIANTS:
        for width in WIDTHS:
            found = pages(name, variant, width).evaluate(OVERFLOW_JS)
            assert found["scrollWidth"] <= found["width"], (
                f"{variant}, {width} px: the page is {found['scrollWidth']} px wide: {found['culprits']}"
            )


@pytest.mark.parametrize("name", DOCUMENTS)
def test_images_fit_the_column_and_are_never_stretched(pages, name):
    for variant in VARIANTS:
        for width in WIDTHS:
            for img in pages(name, variant, width).evaluate(IMAGES_JS):
                where = f"{variant}, {width} px, image '{img['alt']}'"
                assert img["complete"] and img["natural"] > 0, f"{where}: did not load"
                assert img["left"] >= img["columnLeft"] - 0.5, f"{where}: starts left of the column"
                assert img["right"] <= img["columnRight"] + 0.5, f"{where}: wider than the column"
                assert img["width"] <= img["natural"] + 0.5, (
                    f"{where}: shown {img['width']:.0f} px wide, stretched from {img['natural']} px"
                )
                # Outlook for Windows sizes images by their attributes alone: they must fit the column and
                # keep the picture's proportions.
                assert img["attrWidth"] and int(img["attrWidth"]) <= 536, f"{where}: width={img['attrWidth']}"
                if img["attrHeight"]:
                    shown = int(img["attrHeight"]) / int(img["attrWidth"])
                    assert abs(shown - img["naturalHeight"] / img["natural"]) < 0.02, f"{where}: distorted"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_exactly_one_divider_between_articles(pages, name):
    for variant in VARIANTS:
        gaps = pages(name, variant, 640).evaluate(DIVIDERS_JS)
        assert gaps, "expected more than one article"
        for number, lines in enumerate(gaps, 1):
            assert len(lines) == 1, (
                f"{variant}: {len(lines)} lines between article {number} and {number + 1} at y={lines}"
            )


# The web copy and the archive page --------------------------------------------------------------------

# Every visible picture of a page against the viewport and its own pixels (the logo, the email's images).
PAGE_IMAGES_JS = """() => Array.from(document.images).filter(i => i.getClientRects().length).map(img => {
  const r = img.getBoundingClientRect();
  return {alt: img.alt, complete: img.complete, natural: img.naturalWidth, width: r.width, left: r.left,
          right: r.right, viewport: document.documentElement.clientWidth};
})"""


def _page_contrast(pages, name: str) -> list[str]:
    report = []
    for scheme in SCHEMES:
        for width in PAGE_WIDTHS:
            for f in pages(name, VARIANTS[0], width, scheme).evaluate(CONTRAST_JS):
                report.append(f"{scheme}, {width} px: {f['where']} '{f['text']}' {f['color']} on "
                              f"{f['background']} = {f['ratio']}:1 (needs {f['need']}:1)")  # fmt: skip
    return report


@pytest.mark.parametrize("name", PAGES)
def test_web_copy_and_archive_meet_wcag_aa_contrast_in_light_and_dark(pages, name):
    report = _page_contrast(pages, name)
    assert not report, f"{len(report)} text runs below WCAG AA:\n" + "\n".join(report[:25])


@pytest.mark.parametrize("name", PAGES)
def test_web_copy_and_archive_fit_a_phone(pages, name):
    for width in PAGE_WIDTHS:
        page = pages(name, VARIANTS[0], width)
        found = page.evaluate(OVERFLOW_JS)
        assert found["scrollWidth"] <= found["width"], (
            f"{width} px: the page is {found['scrollWidth']} px wide: {found['culprits']}"
        )
        for img in page.evaluate(PAGE_IMAGES_JS):
            where = f"{width} px, image '{img['alt']}'"
            assert img["complete"] and img["natural"] > 0, f"{where}: did not load"
            assert img["left"] >= 0 and img["right"] <= img["viewport"] + 0.5, f"{where}: off the page"
            assert img["width"] <= img["natural"] + 0.5, f"{where}: stretched from {img['natural']} px"
        # Reading text (articles, the intro, the archive's summaries) is at least 15 px on a phone.
        smallest = page.evaluate(
            "Math.min(...Array.from(document.querySelectorAll('td.article p, td.article li, td.intro p, p.summary, ul.posts li')).filter(e =>"
            " e.getClientRects().length && e.textContent.trim().length > 40)"
            ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
        )
        assert smallest >= 15, f"{width} px: body text at {smallest} px"


@pytest.mark.parametrize("name", ("purple", "pale"))
def test_branded_pages_show_the_logo_the_way_back_and_the_sign_up(pages, name):
    web = pages(f"{name}-web", VARIANTS[0], 375)
    assert web.is_visible("a.web-nav-link") and web.is_visible("a.web-subscribe")
    assert web.evaluate("document.querySelector('td.masthead img.logo').naturalWidth") == 360  # the 2x file
    archive = pages(f"{name}-archive", VARIANTS[0], 375)
    assert archive.is_visible("header img") and archive.is_visible("a.subscribe")
    assert archive.evaluate("document.querySelectorAll('p.summary').length") >= 1
    email = pages(f"{name}-full", VARIANTS[0], 375)
    assert not email.query_selector("a.web-nav-link") and not email.query_selector("a.web-subscribe")


# A second engine: Firefox ----------------------------------------------------------------------------

FIREFOX_PREFS = {
    # Nothing leaves the machine: every connection goes to a dead local proxy, background services off.
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.no_proxies_on": "",
    "network.proxy.allow_hijacking_localhost": True,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "app.update.enabled": False,
    "app.normandy.enabled": False,
    "toolkit.telemetry.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "extensions.update.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    # Light mode, and the host page may read its frames' sizes (file:// pages are one origin).
    "layout.css.prefers-color-scheme.content-override": 1,
    "security.fileuri.strict_origin_policy": False,
}
PHONE = 375
GAP = 20
STATUS = 20  # the strip above each frame: green fits, red too wide, blue frame too short, grey unknown
EDGE = 4  # pixels at each side of a frame compared row by row

HOST_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin:0;background:#000">{frames}
<script>
window.addEventListener("load", () => document.querySelectorAll("iframe").forEach((f) => {{
  const status = f.previousElementSibling, d = f.contentDocument && f.contentDocument.documentElement;
  if (!d) return;
  status.style.background = d.scrollWidth > {phone} ? "#f00" : d.scrollHeight > f.height ? "#00f" : "#0f0";
}}));
</script></body></html>"""
FRAME = (
    '<div style="position:absolute;left:{left}px;top:0;width:{phone}px">'
    '<div style="height:{status}px;background:#888"></div>'
    '<iframe src="{src}" width="{phone}" height="{height}" scrolling="no" '
    'style="border:0;display:block"></iframe></div>'
)
# The control: a paragraph wider than a phone, placed as an author's raw HTML would land.
TOO_WIDE = '<p style="width:700px;margin:0;background:#c0392b;color:#ffffff">too wide for a phone</p>'


def _firefox_copy(source: Path, folder: Path, name: str, extra: str = "") -> str:
    """The document with its pictures as local files (Firefox never touches the network)."""
    html = source.read_text(encoding="utf-8")
    for width, height in {(int(w), int(h)) for w, h in _SIZE.findall(html)}:
        (folder / f"w{width}h{height}.png").write_bytes(_png(width, height))
    html = re.sub(re.escape(IMAGE_HOST) + r"(w\d+h\d+\.png)[^\"]*", r"\1", html)
    if extra:
        html = re.sub(r'(<td class="article"[^>]*>)', r"\1" + extra.replace("\\", r"\\"), html, count=1)
    (folder / f"{name}.html").write_text(html, encoding="utf-8")
    return f"{name}.html"


def _edges_differ(image, left: int, top: int, height: int) -> list[int]:
    """Rows where the frame's right edge shows something its left edge does not: content cut off."""
    rows = []
    for y in range(top, top + height):
        base = image.getpixel((left + 1, y))
        right = [image.getpixel((left + PHONE - 1 - dx, y)) for dx in range(EDGE)]
        if any(max(abs(a - b) for a, b in zip(p, base, strict=True)) > 24 for p in right):
            rows.append(y)
    return rows


@pytest.mark.realclock  # Firefox's start-up times out under a faked clock
def test_firefox_renders_nothing_wider_than_a_phone(documents, pages, tmp_path):
    """Firefox (--headless --screenshot) draws every document in a 375 px frame; a frame whose right
    edge shows content its left edge does not, or whose document reports a scroll width over 375, is
    too wide. A deliberately too-wide copy must be caught, so the check is known to work."""
    firefox = require("firefox-esr", "apt-get install firefox-esr (CI installs it)")
    from PIL import Image

    profile = tmp_path / "profile"
    profile.mkdir()
    prefs = (
        f"user_pref({k!r}, {str(v).lower() if isinstance(v, bool) else repr(v)});"
        for k, v in FIREFOX_PREFS.items()
    )
    (profile / "user.js").write_text("\n".join(prefs).replace("'", '"') + "\n", encoding="utf-8")
    broken = [b for n in DOCUMENTS if isinstance(b := documents.attempt(n), str)]
    names = [*(n for n in DOCUMENTS if isinstance(documents.attempt(n), Path)), "control"]
    sources = {n: documents.path(n if n != "control" else "features-full") for n in names}
    # Frame heights from Chromium's layout at the same width, with room for Firefox's fonts.
    heights = {
        n: int(pages(n if n != "control" else "features-full", VARIANTS[0], PHONE).evaluate(
            "document.documentElement.scrollHeight") * 1.3) + 200
        for n in names
    }  # fmt: skip
    frames = "".join(
        FRAME.format(left=i * (PHONE + GAP), phone=PHONE, status=STATUS, height=heights[n],
                     src=_firefox_copy(sources[n], tmp_path, n, TOO_WIDE if n == "control" else ""))
        for i, n in enumerate(names)
    )  # fmt: skip
    (tmp_path / "host.html").write_text(HOST_PAGE.format(frames=frames, phone=PHONE), encoding="utf-8")
    size = f"{len(names) * (PHONE + GAP)},{max(heights.values()) + STATUS}"
    subprocess.run(
        [firefox, "--headless", "--no-remote", "--profile", str(profile), "--screenshot",
         str(tmp_path / "shot.png"), f"--window-size={size}", (tmp_path / "host.html").as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    shot = Image.open(tmp_path / "shot.png").convert("RGB")
    found = {}
    for i, n in enumerate(names):
        left = i * (PHONE + GAP)
        status = shot.getpixel((left + PHONE // 2, STATUS // 2))
        cut = _edges_differ(shot, left, STATUS, heights[n])
        found[n] = {"status": status, "cut rows": len(cut), "first cut at": cut[0] - STATUS if cut else None}
    assert found["control"]["status"] == (255, 0, 0) and found["control"]["cut rows"] > 0, found["control"]
    wide = [
        f"{n} in Firefox: {v}"
        for n, v in found.items()
        if n != "control" and (v["status"] != (0, 255, 0) or v["cut rows"])
    ]
    assert not wide + broken, "\n".join(wide + broken)


# README screenshots ------------------------------------------------------------------------------------

SHOTS = {
    # name: (document, width, colour scheme, height, what the picture centres on)
    "email-light.png": ("sample-full", 640, "light", 900, "button"),
    "email-dark.png": ("sample-full", 640, "dark", 900, "button"),
    "email-mobile.png": ("sample-full", 375, "light", 900, "top"),
    "email-digest.png": ("sample-digest", 640, "light", 900, "top"),
    "email-intro.png": ("sample-full", 640, "light", 700, "top"),
    "email-brand.png": ("purple-full", 640, "light", 900, "top"),
    "email-pale.png": ("pale-full", 640, "light", 900, "quote"),
    "email-pale-dark.png": ("pale-full", 640, "dark", 900, "quote"),
    "web-copy.png": ("purple-web", 600, "light", 900, "top"),
    "web-copy-mobile.png": ("purple-web", 375, "dark", 800, "top"),
    "archive.png": ("purple-archive", 600, "light", 700, "top"),
    "archive-dark.png": ("purple-archive", 375, "dark", 700, "top"),
}
# "button": the end of the first article, its call to action, the divider and the next title.
_TOP = {
    "top": "0",
    "quote": "Math.max(0, document.querySelector('.content blockquote').getBoundingClientRect().top + scrollY - 440)",
    "button": "Math.max(0, document.querySelector('a.button').getBoundingClientRect().bottom + scrollY + 220 - {h})",
}


def test_readme_screenshots_show_the_built_email(pages, request, tmp_path):
    """Taken from the same pages the tests measure; --update-golden writes them to docs/screenshots."""
    from PIL import Image

    folder = SCREENSHOTS if request.config.getoption("--update-golden") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, (document, width, scheme, height, anchor) in SHOTS.items():
        page = pages(document, VARIANTS[0], width, scheme)
        top = page.evaluate(_TOP[anchor].format(h=height))
        end = page.evaluate(
            "(document.querySelector('table.wrapper') || document.body).getBoundingClientRect().bottom + scrollY"
        )
        height = min(height, round(end - top))
        clip = {"x": 0, "y": top, "width": width, "height": height}
        page.bring_to_front()  # pages share a context: one in the background draws no frames
        page.screenshot(path=str(folder / name), clip=clip, full_page=True)
        picture = Image.open(folder / name)
        assert picture.size == (width, height)
        assert len(picture.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50, name
        assert (folder / name).stat().st_size < 300_000, name
    missing = [name for name in SHOTS if f"docs/screenshots/{name}" not in readme]
    assert not missing, f"README does not show {missing}"
