"""Image cards as a follower sees them: the platform's size, text that contrasts with its background
(measured from the pixels), nothing clipped, no empty boxes for emoji, and words OCR can read back."""

from __future__ import annotations

import difflib
import io
import os
import re
import subprocess
import zlib

import pytest
from conftest import require
from PIL import Image, ImageChops, ImageDraw

from newsletter import colors
from newsletter.run.memo import Memo
from newsletter.social import draw
from newsletter.social.cards import SIZES, Card, cards_of

WEEK = "2026-W42"
BENEFITS = [
    "Softer lines from relaxed fascia",
    "Brighter skin tone from increased oxygenation",
    "Defined contours from reduced stagnation",
    "A feeling of internal lightness — not just external lift",
]


@pytest.fixture(scope="module")
def _module_cards() -> dict:
    return {}  # the sample week's cards, by name, once the first test asking for `cards` built them


@pytest.fixture
def cards(_module_cards, tmp_path_factory, cli):
    """The sample week's cards, built once for the module by the first test that asks (under conftest's
    fixtures: its clock, and its card memo, which gives the bytes a drawing gives); shared read-only."""
    if not _module_cards:
        import shutil

        from conftest import REPO, SETTINGS, TEMPLATES

        root = tmp_path_factory.mktemp("cards")
        shutil.copytree(TEMPLATES, root / "templates")
        shutil.copytree(REPO / "posts", root / "posts")
        (root / "setup.cfg").write_text(SETTINGS + "accent_color = #8a6f5a\n", encoding="utf-8")
        assert cli("--project", root, "build").exit_code == 0
        folder = root / "build" / WEEK / "cards"
        _module_cards.update({p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))})
    return _module_cards


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _colours(image: Image.Image) -> tuple[tuple, tuple, int]:
    """Background (the commonest colour), ink (the colour in the image farthest from it in contrast),
    and how many pixels are fully that ink."""
    counts = {colour: n for n, colour in image.getcolors(maxcolors=1 << 16)}
    background = max(counts, key=counts.__getitem__)
    ink = max(counts, key=lambda c: _contrast(c, background))
    return background, ink, counts[ink]


def _contrast(one: tuple, two: tuple) -> float:
    return colors.contrast(colors.hex_of(one), colors.hex_of(two))


def test_every_card_has_its_platform_size(cards):
    assert len(cards) == 18
    for name, data in cards.items():
        width, height = map(int, re.search(r"-(\d+)x(\d+)\.png$", name).groups())
        assert (width, height) in SIZES.values()
        assert _image(data).size == (width, height)
        assert len(data) < 1_000_000  # Bluesky's limit for an image


def test_text_contrasts_with_the_background_measured_from_pixels(cards):
    for name, data in cards.items():
        background, ink, solid = _colours(_image(data))
        assert background == (0x8A, 0x6F, 0x5A), name  # the accent colour
        assert _contrast(ink, background) >= 4.5, (name, ink)
        assert solid > 2000, name  # the ink is real text, not a stray pixel


@pytest.mark.parametrize("accent", ["#ffffff", "#000000", "#777777", "#1a73e8", "#ffcc00", "#8a6f5a", "#e0e"])
def test_light_or_dark_text_reaches_4_5_to_1_on_any_accent(accent):
    card = Card(
        "x", "title", "Why Facial Muscles Need Movement", byline="by Katerina Summers", site="Via Skincare"
    )
    background, ink, _ = _colours(_image(draw.png(card, "link", accent)))
    assert background == colors.rgb(accent)
    assert _contrast(ink, background) >= 4.5


def _inside_margins(image: Image.Image, background: tuple) -> None:
    """No ink in the outer margin: nothing is drawn past the edge of its box."""
    width, height = image.size
    size = next(name for name, dims in SIZES.items() if dims == image.size)
    side, edge = draw.side_margin(size) - 2, round(min(width, height) * 0.09) - 2
    left, top, right, bottom = ImageChops.difference(
        image, Image.new("RGB", image.size, background)
    ).getbbox()
    assert left >= side and top >= edge and right <= width - side and bottom <= height - edge


def test_long_text_is_sized_down_and_wrapped_never_clipped():
    words = " ".join(["Regeneration"] * 40)
    items = tuple(f"Benefit {n}: " + "longer words " * 12 for n in range(6))
    for card in (
        Card("x", "title", words, byline="by Someone With A Long Name", site="Via Skincare"),
        Card("x", "benefits", words[:200], "A lead sentence that goes on:", items, site="Via Skincare"),
        Card("x", "quote", words, quote=words * 2, byline="— Katerina Summers", site="Via Skincare"),
        Card(
            "x", "title", "Supercalifragilisticexpialidociouslylongwordthatneverends" * 2, site="Via Skincare"
        ),
    ):
        for size in SIZES:
            image = _image(draw.png(card, size, "#8a6f5a"))
            _inside_margins(image, (0x8A, 0x6F, 0x5A))


def test_emoji_are_removed_not_drawn_as_boxes():
    (plain,) = cards_of("x", "Glow from within", "", "", (), "", "Via Skincare")[:1]
    (emoji,) = cards_of("x", "Glow ✨ from 👩‍👩‍👧‍👦 within 🇺🇸", "", "", (), "", "Via Skincare")[:1]
    assert emoji.heading == "Glow from within"
    assert draw.png(emoji, "link", "#8a6f5a") == draw.png(plain, "link", "#8a6f5a")
    assert draw.drawable("body", "Crème brûlée — “café”") == "Crème brûlée — “café”"
    assert draw.drawable("body", "skin \U0010fffd care") == "skin care"  # no font has it: left out


def test_the_same_card_is_the_same_bytes(cards):
    card = Card(
        "x", "quote", "T", quote="It’s about keeping tissues alive.", byline="— K", site="Via Skincare"
    )
    assert draw.png(card, "portrait", "#8a6f5a") == draw.png(card, "portrait", "#8a6f5a")


def _ocr(data: bytes, tmp_path) -> str:
    tesseract = require("tesseract", "apt-get install tesseract-ocr (CI installs it)")
    path = tmp_path / "card.png"
    path.write_bytes(data)
    out = subprocess.run([tesseract, str(path), "stdout"], capture_output=True, text=True, check=True, timeout=60,
                         env={**os.environ, "OMP_THREAD_LIMIT": "1"})  # fmt: skip
    return " ".join(out.stdout.split())


def _found(item: str, text: str) -> bool:
    """Fuzzy: the item's words appear in order with at most a few OCR slips."""
    words, seen = item.lower().split(), text.lower().split()
    best = max(
        (difflib.SequenceMatcher(None, " ".join(words), " ".join(seen[i : i + len(words)])).ratio()
         for i in range(max(1, len(seen) - len(words) + 1))),
        default=0,
    )  # fmt: skip
    return best >= 0.85


@pytest.mark.slow  # OCR (tesseract): the real-tool proof that the smallest card text reads
def test_ocr_reads_the_benefits_back_from_the_card(cards, tmp_path):
    """The link card has the smallest text of the three sizes: if OCR reads it, a person can."""
    text = _ocr(cards["why-facial-muscles-need-movement-benefits-1200x630.png"], tmp_path)
    for item in BENEFITS:
        assert _found(item, text), (item, text)
    assert _found("Why Facial Muscles Need Movement", text)
    assert "VIA SKINCARE" in text.upper()


def _plain(card: Card, size: str) -> bytes:
    """The card's coverage mask drawn the plain way (ImageDraw.text, every line rendered afresh)."""
    width, height = SIZES[size]
    mask = Image.new("L", (width, height), 0)
    pen = ImageDraw.Draw(mask)
    x0, x1, rule_y, thickness = draw._rule(size)
    pen.line([(x0, rule_y), (x1, rule_y)], fill=255, width=thickness)
    for line in draw.layout(card, size):
        pen.text((line.x, line.y), line.text, font=draw.font(line.role, line.px), fill=255)
    return mask.tobytes()


SAMPLES = [
    Card("x", "title", "Why Facial Muscles Need Movement", byline="by Katerina Summers", site="Via Skincare"),
    Card(
        "x",
        "benefits",
        "Facial Massage",
        "What regular practice brings:",
        tuple(BENEFITS),
        site="Via Skincare",
    ),
    Card(
        "x", "quote", "T", quote="It’s about keeping tissues alive, fjord.", byline="— K. Summers", site="Via"
    ),
    Card("x", "title", " ".join(["Regeneration"] * 30), site="Via Skincare"),
    Card(
        "x",
        "benefits",
        "Steps",
        "Do this:",
        ("Cleanse", "Warm the oil", "Press it in"),
        (1, 2, 10),
        more=2,
        site="Via Skincare",
    ),
]


@pytest.mark.parametrize("card", SAMPLES, ids=lambda c: c.kind)
def test_cached_lines_and_own_encoder_give_the_plain_drawings_pixels(card):
    """Lines drawn from the kept bitmaps, only the drawn rows deflated: the PNG decodes (zlib checks
    the Adler-32 of the spliced stream) to exactly the mask ImageDraw.text draws."""
    for size in SIZES:
        data = draw.png.__wrapped__(card, size, "#8a6f5a")
        image = Image.open(io.BytesIO(data))
        assert image.mode == "P" and image.size == SIZES[size]
        idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
        width, height = SIZES[size]
        assert len(zlib.decompress(idat)) == (width + 1) * height
        assert image.tobytes() == _plain(card, size), (card.kind, size)


def test_a_card_is_the_same_bytes_with_the_line_cache_cold_or_warm():
    card = SAMPLES[1]
    with Memo().active() as memo:  # a run of its own: its kept bitmaps start empty
        cold = [draw.png.__wrapped__(card, size, "#8a6f5a") for size in SIZES]
        kept = len(memo.table(draw._short))
        warm = [draw.png.__wrapped__(card, size, "#8a6f5a") for size in SIZES]
    assert kept and len(memo.table(draw._short)) == kept, "the second drawing found every bitmap kept"
    assert cold == warm


PEEL = ["Picking at flaking skin", "Skipping sunscreen", "Using retinol or acids too soon", "Hot showers and saunas",
        "Exfoliating with scrubs", "Heavy workouts on day one", "Skipping moisturiser"]  # fmt: skip


def _peel_card() -> Card:
    made = cards_of("peel", "7 Mistakes to Avoid After a Chemical Peel", "", "Mistakes to avoid:", tuple(PEEL),
                    "", "Via Skincare", numbers=tuple(range(1, 8)))  # fmt: skip
    return next(c for c in made if c.kind == "benefits")


def test_a_numbered_list_keeps_its_numbers_and_the_card_says_what_it_leaves_out():
    """A card under '7 Mistakes…' with six of them says so, and a numbered list stays numbered; the alt
    text says what the card draws."""
    card = _peel_card()
    drawn = [line.text for line in draw.layout(card, "portrait")]
    assert [t for t in drawn if re.fullmatch(r"\d+\.|•", t)] == ["1.", "2.", "3.", "4.", "5.", "6."]
    assert drawn[-2:] == ["+1 more in the article", "VIA SKINCARE"]
    assert card.alt() == (
        "Text card from Via Skincare: 7 Mistakes to Avoid After a Chemical Peel. Mistakes to avoid: "
        + "; ".join(f"{n}. {item}" for n, item in enumerate(PEEL[:6], 1))
        + ". +1 more in the article."
    )


@pytest.mark.slow  # OCR (tesseract)
def test_ocr_reads_the_numbers_and_the_left_out_count_back(tmp_path):
    text = _ocr(draw.png(_peel_card(), "portrait", "#8a6f5a"), tmp_path)
    for n, item in enumerate(PEEL[:6], 1):
        assert _found(f"{n}. {item}", text), (item, text)
    assert _found("+1 more in the article", text), text
