"""The `card-glyph` rule: characters of a post's image cards that no card font has, found from the
fonts' character maps without drawing (`check` and the build both report them)."""

from __future__ import annotations

from newsletter.content.settings import Settings
from newsletter.errors import Problems
from newsletter.social.captions import article
from newsletter.social.fonts import describe


def check(post, settings: Settings, problems: Problems) -> None:
    """The rule for a post whose cards were not made by this run (`check` of posts outside the
    selection); a build's cards report through `report` as they are made."""
    report(post, article(post, settings).cards, settings, problems)


def report(post, cards, settings: Settings, problems: Problems) -> None:
    """A warning for each character no card font has, at the first line of the post file holding it."""
    missing = cards[0].missing if cards else ()
    if not missing:
        return
    text = (settings.root / post.source).read_text(encoding="utf-8", errors="replace").split("\n")
    for char in missing:
        line = next((n for n, row in enumerate(text, 1) if char in row), 0)
        problems.warn(post.source, line, f"card text has {describe(char)}, which no card font has: it is left "
                      "out of the image cards and their alt text; add a font that has it to card_fonts in "
                      "setup.cfg", "card-glyph")  # fmt: skip
