"""What a build writes for social per issue: captions.json, captions.md and the image cards."""

from __future__ import annotations

from ..content import Post
from ..errors import Problems
from ..render import Renderer
from . import cards as C
from . import exports
from .captions import article, of_articles


def outputs(
    posts: list[Post], renderer: Renderer, problems: Problems, week: str
) -> tuple[list, dict[str, bytes]]:
    """The issue's captions, and paths inside the issue folder → bytes. Cards are drawn only here
    (Pillow is imported here)."""
    from . import draw

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
                files[f"cards/{C.file_name(card.slug, card.kind, size)}"] = draw.png(
                    card, size, settings.accent_color
                )
    return made, files
