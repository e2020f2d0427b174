"""`newsletter new`: a post file with front matter to fill in, never overwriting one."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

from .config import Settings
from .errors import NewsletterError
from .writer import atomic_write


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")


def create(settings: Settings, title: str, date: str | None = None) -> Path:
    if not title.strip() or "\n" in title or "\r" in title:
        raise NewsletterError("TITLE: expected a single line of text")
    try:
        day = dt.date.fromisoformat(date) if date else dt.datetime.now(settings.zone).date()
    except ValueError:
        raise NewsletterError(f"--date: expected YYYY-MM-DD, got '{date}'") from None
    slug = slugify(title)
    if not slug:
        raise NewsletterError(f"TITLE: '{title}' has no letters or digits to make a file name from")
    path = settings.posts_dir / f"{day.isoformat()}-{slug}.md"
    if path.exists():
        raise NewsletterError(f"{settings.relative(path)}: already exists; choose another title or date")
    body = (
        f"---\ntitle: {json.dumps(title.strip(), ensure_ascii=False)}\ndate: {day.isoformat()}\n"
        'summary: ""\ntags: []\ndraft: true\n---\n\nWrite the article here.\n'
    )
    atomic_write(path, body.encode("utf-8"))
    return path
