"""Cards draw every character or say so: Japanese read back by OCR, Arabic and Hebrew shaped and right to
left, a character no font has reported by `build` and `check` (never silently dropped), emoji gone
without a stray space, and the typography rules (dashes, numbers, quotes, width) on what is drawn."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import unicodedata

import pytest
from conftest import require
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageChops, features

from newsletter.social import draw, fonts, lines
from newsletter.social.cards import SIZES, Card, cards_of, clean, curly, inner
from newsletter.social.outputs import cards_key

ACCENT = "#8a6f5a"
JAPANESE = """\
---
title: "日本の美容マッサージ — Kobido, the Japanese Facial"
author: 山田 花子
date: 2026-10-14
---

Kobido is a traditional Japanese facial massage that works on the circulation of the whole face.
"""
REFUSED = """\
---
title: Glow from within
date: 2026-10-14
---

Facial massage keeps the tissue moving \U0010fffd every single day of the week.
"""
WARNING = (
    "card text has U+10FFFD (private use), which no card font has: it is left out of the image cards and "
    "their alt text; add a font that has it to card_fonts in setup.cfg"
)
DASHES = "—–-"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _needs(ok: bool, what: str) -> None:
    if not ok:
        (pytest.fail if _in_ci() else pytest.skip)(f"{what} (CI installs it: see .ci/run)")


def _ink(data: bytes) -> Image.Image:
    """The card's text as a black and white mask: what differs clearly from the background."""
    image = Image.open(io.BytesIO(data)).convert("L")
    background = max(image.getcolors(), key=lambda c: c[0])[1]
    return ImageChops.difference(image, Image.new("L", image.size, background)).point(
        lambda v: 255 if v > 60 else 0
    )


def _system_face(role: str, script: str) -> fonts.Face:
    found = next(s for s in fonts._scripts("en") if s.lang == script)
    face = fonts._system(found, role)
    _needs(face is not None, f"no {script} font: apt-get install fonts-noto-core fonts-noto-cjk")
    return face


# -- fonts ----------------------------------------------------------------------------------------


def test_every_shipped_face_has_the_basic_set_drawn_without_reading_a_cmap():
    for role in fonts.PRIMARY:
        assert fonts._cmap(fonts.primary(role)) >= fonts.BASIC, role


def test_pillow_lays_text_out_with_raqm():
    _needs(features.check("raqm"), "Pillow's raqm layout needs libfribidi0")
    assert draw.LAYOUT == draw.ImageFont.Layout.RAQM


def test_each_character_run_has_its_own_font():
    _system_face("title", "ja")
    runs = fonts.Fonts().runs("title", "日本の美容マッサージ — Kobido")
    assert [text for _, text in runs] == ["日本の美容マッサージ", " — Kobido"]
    assert runs[1][0] == fonts.primary("title") and "CJK" in runs[0][0].path
    arabic = fonts.Fonts().runs("body", "فوائد تدليك الوجه")
    assert len(arabic) == 1 and "Arabic" in arabic[0][0].path  # spaces between Arabic words stay Arabic


def test_card_fonts_come_before_the_system_fallbacks_and_are_in_the_cache_key(tmp_path):
    serif_it, sans = fonts._cmap(fonts.primary("quote")), fonts._cmap(fonts.primary("body"))
    char = chr(min(sans - serif_it - fonts.BASIC))  # in Source Sans, not in Source Serif Italic
    mine = tmp_path / "mine.ttf"
    shutil.copy(fonts.primary("body").path, mine)
    chosen = fonts.Fonts(extra=(str(mine),))
    assert chosen.face("quote", char) == fonts.Face(str(mine))
    with_char = cards_of("x", "T", "", "", (), f"Quote {char} here", "Via", chosen)
    latin = cards_of("x", "T", "", "", (), "Quote here", "Via", chosen)
    assert cards_key(with_char, ACCENT) != cards_key(
        cards_of("x", "T", "", "", (), f"Quote {char} here", "Via"), ACCENT
    )
    assert cards_key(latin, ACCENT) == cards_key(cards_of("x", "T", "", "", (), "Quote here", "Via"), ACCENT)


def test_a_project_with_card_fonts_builds_and_exports(sample, cli):
    """card_fonts is a setting of paths: the templates never see it (they get plain data, no paths),
    and a build and `social` with one run as without it."""
    shutil.copy(fonts.primary("body").path, sample.root / "mine.ttf")
    sample.settings(extra="card_fonts = mine.ttf\n")
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 0, result.output
    assert any((sample.build / "2026-W42" / "cards").glob("*.png"))
    assert cli("--project", sample.root, "social", "--format", "json").exit_code == 0


def test_a_card_font_that_is_missing_or_not_a_font_is_a_settings_error(project, cli):
    (project.root / "notes.txt").write_text("not a font", encoding="utf-8")
    project.settings(extra="card_fonts = fonts/none.otf, notes.txt\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert (
        "setup.cfg:15: [newsletter] card_fonts: no font file 'fonts/none.otf' (paths are relative to the project root)"
        in result.stderr
    )
    assert (
        "setup.cfg:15: [newsletter] card_fonts: 'notes.txt' is not a TrueType or OpenType font (.ttf, .otf, .ttc)"
        in result.stderr
    )


# -- a Japanese card, read back -------------------------------------------------------------------


@pytest.mark.slow  # OCR (tesseract) of a build's card: the real-tool proof of the Japanese card
def test_ocr_reads_the_japanese_title_card_back(project, cli, tmp_path):
    tesseract = require("tesseract", "apt-get install tesseract-ocr tesseract-ocr-jpn (CI installs it)")
    langs = subprocess.run([tesseract, "--list-langs"], capture_output=True, text=True, check=True).stdout
    _needs("jpn" in langs.split(), "tesseract has no Japanese data: apt-get install tesseract-ocr-jpn")
    _system_face("title", "ja")
    project.post("2026-10-14-kobido.md", JAPANESE)
    assert cli("--project", project.root, "build").exit_code == 0
    card = project.build / "2026-W42" / "cards" / "kobido-title-1080x1350.png"
    out = subprocess.run([tesseract, str(card), "-", "-l", "jpn"], capture_output=True, text=True, check=True,
                         timeout=120, env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout  # fmt: skip
    read = "".join(out.split())
    for said in ("日本の", "美容マッサージ", "Kobido,the", "JapaneseFacial", "by山田花子"):
        assert said in read, (said, out)
    captions = json.loads((project.build / "2026-W42" / "captions.json").read_text(encoding="utf-8"))
    alts = {c["alt"] for c in captions if c["kind"] == "teaser"}
    assert alts == {
        "Text card from Via Skincare: 日本の美容マッサージ — Kobido, the Japanese Facial, by 山田 花子."
    }


# -- right to left --------------------------------------------------------------------------------


def _clusters(image: Image.Image, top: int, bottom: int, gap: int) -> list[tuple[int, int]]:
    """Runs of inked columns in the rows [top, bottom), split where `gap` or more columns are blank."""
    band = image.crop((0, top, image.width, bottom))
    inked = [band.crop((x, 0, x + 1, band.height)).getextrema()[1] > 0 for x in range(band.width)]
    out, start, blank = [], None, 0
    for x, ink in enumerate(inked):
        if ink:
            if start is None:
                start = x
            blank = 0
        elif start is not None:
            blank += 1
            if blank >= gap:
                out.append((start, x - blank + 1))
                start, blank = None, 0
    if start is not None:
        out.append((start, len(inked) - blank))
    return out


@pytest.mark.parametrize("script,long,short", [("he", "אבגדהוזח", "ש"), ("ar", "بتحميلكم", "لم")])
def test_hebrew_and_arabic_are_drawn_right_to_left_flush_right(script, long, short):
    """The first word of a right-to-left title is drawn at the right, the last at the left, and the
    line ends at the right margin; the Latin word between them stays in its place."""
    _system_face("title", script)
    card = Card("x", "title", f"{long} Kobido {short}", site="Via")
    laid = draw.layout(card, "link")
    title = laid[0]
    assert title.rtl and title.text == card.heading
    mask = _ink(draw.png(card, "link", ACCENT))
    found = _clusters(mask, title.y, title.y + round(title.px * 1.1), gap=round(title.px * 0.18))
    widths = [right - left for left, right in found]
    assert len(found) == 3 and widths[2] == max(widths), found  # long (first) word on the right
    assert abs(found[2][1] - (1200 - draw.side_margin("link"))) < title.px * 0.15  # flush right


def test_arabic_letters_are_joined_by_the_shaper():
    face = _system_face("body", "ar")
    word, letter = "بببب", "ب"
    joined = draw._length(fonts.Fonts(), "body", 100, word)
    alone = draw.face_font(face, 100).getlength(letter)
    assert joined < 0.75 * 4 * alone  # initial and medial forms are narrower than isolated ones


def test_runs_are_ordered_as_the_bidi_algorithm_orders_them():
    # A Latin word and a number inside Hebrew; Hebrew inside English.
    assert lines.visual(["שלום", " ", "Kobido", " ", "עולם"], rtl=True) == [
        (4, True), (3, True), (2, False), (1, True), (0, True)]  # fmt: skip
    assert lines.visual(["Read ", "שלום עולם", " today"], rtl=False) == [(0, False), (1, True), (2, False)]
    assert lines.visual(["فوائد", " ", "5", " ", "أسباب", "."], rtl=True) == [
        (5, True), (4, True), (3, True), (2, False), (1, True), (0, True)]  # fmt: skip
    assert lines.is_rtl("5 أسباب") and not lines.is_rtl("5 reasons") and not lines.is_rtl("")


# -- refused characters: a warning, never a silent drop ---------------------------------------------


@pytest.mark.slow  # three builds and a check; what is missing and how it is named: the test below
def test_a_character_no_font_has_is_a_build_and_check_warning_not_a_drop(project, cli, monkeypatch):
    project.post("2026-10-14-glow.md", REFUSED)
    built = cli("--project", project.root, "build")
    assert built.exit_code == 0
    assert f"posts/2026-10-14-glow.md:6: warning: {WARNING}\n" in built.stderr
    rebuilt = cli("--project", project.root, "build")  # from the cache: still said
    assert f"posts/2026-10-14-glow.md:6: warning: {WARNING}\n" in rebuilt.stderr
    assert cli("--project", project.root, "build", "--strict").exit_code == 1

    captions = json.loads((project.build / "2026-W42" / "captions.json").read_text(encoding="utf-8"))
    alt = next(c["alt"] for c in captions if c["kind"] == "quote")
    assert alt == ("Text card from Via Skincare: “Facial massage keeps the tissue moving every single day of the "
                   "week.”")  # fmt: skip

    def no_drawing(*args):
        raise AssertionError("check drew a card")

    monkeypatch.setattr(draw, "png", no_drawing)
    checked = cli("--project", project.root, "check")
    assert checked.exit_code == 0
    assert f"posts/2026-10-14-glow.md:6: warning[card-glyph]: {WARNING}\n" in checked.stdout


def test_the_character_is_named_in_the_warning():
    assert fonts.describe("\U0010fffd") == "U+10FFFD (private use)"
    assert fonts.describe("☃") == "U+2603 SNOWMAN"
    assert fonts.Fonts().missing("body", "a \U0010fffd b \u200d c") == ["\U0010fffd"]  # a joiner is no glyph


# -- typography -----------------------------------------------------------------------------------


def test_emoji_go_without_leaving_a_space_before_punctuation():
    assert clean("Better microcirculation 🌿.") == "Better microcirculation."
    assert clean("Here’s what changes 👇: less puffiness 💧, calmer skin 😌!") == (
        "Here’s what changes: less puffiness, calmer skin!")  # fmt: skip
    assert clean("🌿 Glow 👩🏽‍⚕️ from (✨ within)") == "Glow from (within)"
    assert clean("Keycap 5️⃣ steps, © and ™ stay") == "Keycap 5 steps, © and ™ stay"  # text by default
    quote = cards_of("x", "T", "", "", (), 'Think of your hands as a "scalpel" 🔪.', "Via")[-1]
    assert quote.quote == "Think of your hands as a ‘scalpel’."
    assert " ".join(draw.drawn_text(quote, "link")[:-1]) == "“Think of your hands as a ‘scalpel’.”"


def test_straight_quotes_become_curly_and_nest_inside_the_cards_quotes():
    assert curly("She said \"it's the fascia\" in the '90s") == "She said “it’s the fascia” in the ’90s"
    assert curly("'single' and (\"bracketed\")") == "‘single’ and (“bracketed”)"
    assert inner("“The whole quote is quoted.”") == "The whole quote is quoted."
    assert inner("Call it “lift” and ‘glow’") == "Call it ‘lift’ and ‘glow’"


WORDS = st.sampled_from(["Facial", "massage", "and", "the", "lymph", "—", "–", "-", "5", "10%", "2026",
                         "#1", "日本の美容マッサージ", "(from", "$40)", "glow,", "—not"])  # fmt: skip


@pytest.mark.slow  # fuzz; the drawn lines of TYPOGRAPHY below are in the fast loop
@given(st.lists(WORDS, min_size=1, max_size=30))
def test_no_break_before_a_dash_or_after_a_number(words):
    text = " ".join(words)
    pieces = lines.units(text)
    assert lines.joined(pieces) == text
    for n, (_, piece) in enumerate(pieces):
        if n:
            assert unicodedata.category(piece[0]) != "Pd", pieces
        if n < len(pieces) - 1:
            assert not lines._NUMBER.fullmatch(piece.split()[-1]), pieces


TYPOGRAPHY = [
    cards_of("a", "Five mistakes — and the 5 habits that fix them for good", "Katerina Summers",
             "What changes when you practise daily — every day:",
             ("Pressing too hard — it bruises", "Working on dry skin for 5 minutes", "Skipping the neck — the lymph drains there"),
             "Movement keeps the face young — not stillness, and not 10 creams.", "Via Skincare"),
    cards_of("b", "日本の美容マッサージ — Kobido, the Japanese Facial", "山田 花子", "施術で得られること:",
             ("血行が良くなり、顔色が明るくなる", "むくみが取れて輪郭がすっきりする"), "顔の筋肉は動かすことで若さを保ちます。", "Via Skincare"),
    cards_of("c", "✨ Glow Up: 5 🌿 Habits for Radiant Skin 💆‍♀️", "Katerina Summers 🌸", "Here’s what changes 👇:",
             ("Better microcirculation 🌿.", "Less puffiness 💧", "Calmer skin 😌 — every day"),
             'Think of your hands as a "scalpel" 🔪.', "Via Skincare"),
]  # fmt: skip


@pytest.mark.parametrize("cards", TYPOGRAPHY, ids=lambda c: c[0].slug)
def test_no_drawn_line_starts_with_a_dash_or_ends_with_a_bare_number(cards):
    for card in cards:
        for size in SIZES:
            drawn = draw.drawn_text(card, size)
            for line in drawn:
                assert line[0] not in DASHES or line == card.byline, (size, drawn)  # "— Name" attributes
                assert not lines._NUMBER.fullmatch(line.split()[-1]) or line == drawn[-1], (size, drawn)


def _said(text: str) -> str:
    """Text with its spaces, bullets and list punctuation gone: how drawn text and alt text compare."""
    return "".join(c for c in text if not c.isspace() and c not in "•.,;")


@pytest.mark.parametrize("cards", TYPOGRAPHY, ids=lambda c: c[0].slug)
def test_the_alt_text_is_exactly_what_is_drawn(cards):
    for card in cards:
        for size in SIZES:
            drawn = draw.drawn_text(card, size)
            alt = card.fitted(size).alt()
            prefix = f"Text card from {card.site}: "
            assert alt.startswith(prefix) and drawn[-1] == card.site.upper()
            assert _said(alt[len(prefix) :]) == _said("".join(drawn[:-1])), (size, alt, drawn)


@pytest.mark.parametrize("size", ["portrait", "pin"])
def test_tall_cards_fill_their_width(size):
    """A typical title and quote reach 85% or more of the text box (6% side margins) on tall cards."""
    width = SIZES[size][0]
    box = width - 2 * draw.side_margin(size)
    for card in (
        Card("x", "title", "Why Facial Muscles Need Movement", byline="by Katerina Summers", site="Via"),
        Card(
            "x", "title", "Facial Massage and Tissue Regeneration", byline="by Katerina Summers", site="Via"
        ),
        Card(
            "x",
            "quote",
            "T",
            quote="It’s about keeping tissues alive, not forcing them into shape.",
            site="Via",
        ),
    ):
        left, _, right, _ = _ink(draw.png(card, size, ACCENT)).getbbox()
        assert right - left >= 0.85 * box, (card.heading, card.quote, (right - left) / box)
