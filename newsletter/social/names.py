"""Where a card lives: its sizes and file name. Apart from `cards` (which imports the text and font
machinery) so that the plan and the web copy can name an issue's og:image card without it."""

from __future__ import annotations

from newsletter.content.settings import Settings

SIZES = {"portrait": (1080, 1350), "pin": (1000, 1500), "link": (1200, 630)}


def file_name(slug: str, kind: str, size: str) -> str:
    width, height = SIZES[size]
    return f"{slug}-{kind}-{width}x{height}.png"


def url_for(settings: Settings, path: str) -> str:
    return f"{settings.archive_url.rstrip('/')}/{path}"
