"""What a build writes for social per issue: captions.json, captions.md and the image cards."""

from __future__ import annotations

import threading

from ..content import Post
from ..errors import Problems
from ..render import Renderer
from . import cards as C
from . import exports
from .captions import article, of_articles

_DRAWING = threading.Lock()  # one lazy card drawn at a time, and each only once


class LazyCard:
    """A card the preview draws when it is first requested, then keeps: the same bytes as `draw.png`
    gives a build (picklable, so the preview's worker processes can hand it back undrawn)."""

    __slots__ = ("_png", "accent", "card", "size")

    def __init__(self, card: C.Card, size: str, accent: str):
        self.card, self.size, self.accent, self._png = card, size, accent, None

    def __getstate__(self):
        return (self.card, self.size, self.accent, self._png)

    def __setstate__(self, state) -> None:
        self.card, self.size, self.accent, self._png = state

    def __call__(self) -> bytes:
        with _DRAWING:
            if self._png is None:
                from . import draw

                self._png = draw.png(self.card, self.size, self.accent)
            return self._png


def outputs(
    posts: list[Post], renderer: Renderer, problems: Problems, week: str, lazy_cards: bool = False
) -> tuple[list, dict[str, bytes]]:
    """The issue's captions, and paths inside the issue folder → bytes. Cards are drawn only here
    (Pillow is imported here); with `lazy_cards` (the preview) each card is a LazyCard, drawn on request."""
    settings = renderer.settings
    bases = [article(post, settings, week) for post in posts if not post.draft]
    made = of_articles(bases, renderer, problems)
    files = {
        "captions.json": exports.as_json(made).encode("utf-8"),
        "captions.md": exports.as_markdown(made, week).encode("utf-8"),
    }
    for base in bases:
        for card in base.cards:
            for size in C.SIZES:
                drawn = LazyCard(card, size, settings.accent_color)  # one way to draw, lazy or not
                files[f"cards/{C.file_name(card.slug, card.kind, size)}"] = drawn if lazy_cards else drawn()
    return made, files
