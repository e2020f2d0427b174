"""`newsletter init [DIR]`: a starter project (settings to fill in, a welcome draft, an empty
templates/ folder: every template comes from the package until the project overrides it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from newsletter.errors import NewsletterError
from newsletter.run.writer import atomic_write

SETUP_CFG = """\
# The newsletter's settings: fill in every line, then write a post with: newsletter new "Title"
[newsletter]
# the sender's name, shown in inboxes and in the footer
name = My Newsletter
# the site the articles live on; links, images and the web archive are made absolute against it
site_url = https://example.com
from = My Newsletter <hello@example.com>
reply_to = hello@example.com
# the postal address the footer must carry (anti-spam law in most countries)
address = My Newsletter, 1 Example Street, Springfield
# your email service's unsubscribe merge tag, e.g. *|UNSUB|* (Mailchimp) or {{ unsubscribe_url }}
unsubscribe_url = *|UNSUB|*
language = en
timezone = UTC
accent_color = #1a73e8
# where an article is published on the site, and where the issues' web copies go
post_url = {site_url}/blog/{slug}
archive_url = {site_url}/newsletter
"""

WELCOME = """\
---
title: "Welcome to the newsletter"
date: {date}
summary: "What this newsletter is about, and how often it comes."
draft: true
---

This is a draft: `newsletter build` leaves it out until you set `draft: false`
(or build with `--drafts` to see it).

- Write posts in `posts/` with `newsletter new "Title"`.
- Preview them live with `newsletter preview`.
- Check an issue before it goes out with `newsletter check`.
"""

TEMPLATES_README = """\
# Template overrides

Every template comes from the newsletter package until a file of the same name is put here
(`email.html`, `email.css`, `email.txt`, `index.html`, `feed.xml`, `preview/*.html`, `social/*.txt`).
"""


def init(folder: Path, today: dt.date) -> list[Path]:
    """Write the starter files into `folder` (created if needed); never overwrite a project."""
    cfg = folder / "setup.cfg"
    if cfg.exists():
        raise NewsletterError(f"{cfg}: already exists; run init in a new folder, or add a [newsletter] "
                              "section to this setup.cfg by hand")  # fmt: skip
    day = today
    files = {
        cfg: SETUP_CFG,
        folder / "posts" / f"{day.isoformat()}-welcome.md": WELCOME.format(date=day.isoformat()),
        folder / "templates" / "README.md": TEMPLATES_README,
        folder / ".gitignore": "build/\n",
    }
    for path in files:
        if path.exists() and path.name != ".gitignore":
            raise NewsletterError(f"{path}: already exists; run init in a new folder")
    written = []
    for path, text in files.items():
        if not path.exists():  # a .gitignore of the user's stays as it is
            atomic_write(path, text.encode("utf-8"))
            written.append(path)
    (folder / "issues").mkdir(exist_ok=True)
    return written
