"""The `card-glyph` rule: characters of a post's image cards that no card font has, found from the
fonts' character maps without drawing (`check` and the build both report them)."""

from __future__ import annotations

from newsletter.content.settings import Settings
from newsletter.social.captions import article
from newsletter.social.fonts import describe


def problems_of(post, settings: Settings) -> list[tuple[int, str]]:
    """(line, message) for each such character, at the first line of the post file that holds it."""
    cards = article(post, settings).cards
    missing = cards[0].missing if cards else ()
    if not missing:
        return []
    text = (settings.root / post.source).read_text(encoding="utf-8", errors="replace").split("\n")
    out = []
    for char in missing:
        line = next((n for n, row in enumerate(text, 1) if char in row), 0)
        out.append((line, f"card text has {describe(char)}, which no card font has: it is left out of "
                          "the image cards and their alt text; add a font that has it to card_fonts in setup.cfg"))  # fmt: skip
    return out
