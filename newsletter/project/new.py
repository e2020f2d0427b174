"""`newsletter new`: a post file with front matter to fill in, never overwriting one."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

from newsletter.content.issuefile import INTRO_PLACEHOLDER
from newsletter.content.settings import Settings
from newsletter.email import headers
from newsletter.errors import NewsletterError
from newsletter.run.writer import atomic_write

MAX_SLUG = 60  # file names stay far below the 255-byte limit; URLs stay readable
BODY_PLACEHOLDER = "Write the article here."
# What `new` writes for the author to replace (the post's body, the issue file's intro): the `placeholder`
# rule (check/rules.py) finds exactly these lines, so a post still holding one never goes out.
PLACEHOLDERS = (BODY_PLACEHOLDER, INTRO_PLACEHOLDER)


def slugify(title: str) -> str:
    """Lowercase ASCII words joined by hyphens, cut at a word boundary to MAX_SLUG characters."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        cut = slug[: MAX_SLUG + 1].rsplit("-", 1)[0]
        slug = (cut if len(cut) >= MAX_SLUG // 2 else slug[:MAX_SLUG]).strip("-")
    return slug


def create(settings: Settings, title: str, today: dt.date, date: str | None = None) -> Path:
    """`newsletter new TITLE`: a draft dated `date`, else `today` (the command's clock)."""
    if not title.strip() or headers.control(title):
        raise NewsletterError("TITLE: expected a single line of text without control characters")
    try:
        day = dt.date.fromisoformat(date) if date else today
    except ValueError:
        raise NewsletterError(f"--date: expected YYYY-MM-DD, got '{date}'") from None
    slug = slugify(title)
    if not slug:
        raise NewsletterError(
            f"TITLE: '{title}' has no ASCII letters or digits, which a post's file name and slug are made of: "
            "add a word or two in Latin letters to the title (it can be edited after), or write the file "
            'yourself with a `slug:` in its front matter (see README "Posts")'
        )
    path = settings.posts_dir / f"{day.isoformat()}-{slug}.md"
    if path.exists():
        raise NewsletterError(f"{settings.relative(path)}: already exists; choose another title or date")
    body = (
        f"---\ntitle: {json.dumps(title.strip(), ensure_ascii=False)}\ndate: {day.isoformat()}\n"
        'summary: ""\ntags: []\ndraft: true\n---\n\n' + BODY_PLACEHOLDER + "\n"
    )
    atomic_write(path, body.encode("utf-8"))
    return path


def create_issue(settings: Settings, today: dt.date, week: str | None = None) -> Path:
    """`newsletter new --issue [WEEK]`: the issue file of WEEK, else of the latest week with posts
    (drafts count: the editor plans ahead), else of the ISO week of `today`."""
    from newsletter.content.issue import by_week
    from newsletter.content.issuefile import scaffold
    from newsletter.content.posts import load
    from newsletter.errors import Problems

    if week is None:
        weeks = by_week(load(settings, Problems()).metas, drafts=True)
        if weeks:
            week = max(weeks)
        else:
            year, number, _ = today.isocalendar()
            week = f"{year}-W{number:02d}"
    return scaffold(settings, week)
