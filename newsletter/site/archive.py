"""The web archive: each issue's web copy (build/YYYY-Www/index.html), the archive page
(build/index.html) and the Atom feed (build/feed.xml). The web copy is the inlined email with what only
makes sense in an inbox taken out: the "View in browser" link and the ESP's unsubscribe merge tags."""

from __future__ import annotations

import datetime as dt
import html as htmlmod
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsletter.content.issue import Week, by_week, subject_of
from newsletter.content.settings import Settings
from newsletter.urls import is_merge_tag

if TYPE_CHECKING:
    from newsletter.content.issue import Issue
    from newsletter.content.issuefile import IssueFile
    from newsletter.content.posts import PostMeta

_EMAIL_ONLY = re.compile(r"<!--email-only-->.*?<!--/email-only-->", re.S)
_HREF = re.compile(r'href="([^"]*)"')
_INLINE_MERGE = re.compile(r"\*\|[A-Z0-9_:]+\|\*|\{\{\s*[\w.]+\s*\}\}|%%[\w:]+%%|\[\[[\w.]+\]\]")


@dataclass(frozen=True)
class Entry:
    """One issue as the archive page and the feed list it."""

    week: str
    subject: str
    date: dt.datetime
    url: str  # the web copy
    posts: tuple[tuple[str, str], ...]  # (title, url)
    image: str = ""  # the lead article's 1200x630 title card


def web_copy(email_html: str, issue: Issue, settings: Settings) -> str:
    """The inlined email as a page on the site: inbox-only parts removed, merge tags made plain links to
    the site, and Open Graph tags so a shared link shows the issue's title card."""
    page = _EMAIL_ONLY.sub("", email_html)
    page = _HREF.sub(
        lambda m: f'href="{settings.site_url}"' if is_merge_tag(htmlmod.unescape(m.group(1))) else m.group(0),
        page,
    )
    page = _INLINE_MERGE.sub("", page)  # *|FNAME|* in prose: no reader of the web copy has one
    return page.replace(
        "</head>",
        _og_tags(
            issue.subject, card_url(settings, issue.week, issue.posts[0].slug), web_url(settings, issue.week)
        )
        + "</head>",
        1,
    )


def _og_tags(title: str, image: str, url: str) -> str:
    esc = htmlmod.escape
    return (
        f'<meta property="og:type" content="article">\n<meta property="og:title" content="{esc(title)}">\n'
        f'<meta property="og:url" content="{esc(url)}">\n<meta property="og:image" content="{esc(image)}">\n'
        '<meta property="og:image:width" content="1200">\n<meta property="og:image:height" content="630">\n'
    )


def web_url(settings: Settings, week: str) -> str:
    return f"{settings.archive_url.rstrip('/')}/{week}/"


def card_url(settings: Settings, week: str, slug: str) -> str:
    """The lead article's title card at 1200x630, as the build draws it into the issue's cards/."""
    from newsletter.social import cards

    return cards.url_for(settings, f"{week}/cards/{cards.file_name(slug, 'title', 'link')}")


def entries(
    metas: tuple[PostMeta, ...], files: dict[str, IssueFile], settings: Settings, drafts: bool
) -> list[Entry]:
    """Every issue of the site, newest first, arranged by its issue file (a broken one is ignored here:
    the issue's own plan reports it)."""
    from newsletter.content.issue import arrange
    from newsletter.errors import Problems

    made = []
    for week, posts in by_week(metas, drafts).items():
        arranged = arrange(Week(week, posts), files.get(week), sink := Problems())
        if sink.has_errors():
            arranged = Week(week, posts)
        shown = arranged.posts
        made.append(Entry(
            week, subject_of([p.title for p in shown], arranged.file, any(p.draft for p in shown)),
            max(p.published for p in shown), web_url(settings, week),
            tuple((p.title, settings.url_for(p.slug)) for p in shown), card_url(settings, week, shown[0].slug),
        ))  # fmt: skip
    return sorted(made, key=lambda e: e.week, reverse=True)


def index_html(renderer, items: list[Entry]) -> str:
    return renderer.render("index.html", issues=items)


def feed_xml(renderer, items: list[Entry]) -> str:
    settings = renderer.settings
    updated = max((e.date for e in items), default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    return renderer.render(
        "feed.xml", issues=items, updated=rfc3339(updated), feed_url=f"{settings.archive_url.rstrip('/')}/feed.xml",
        home=f"{settings.archive_url.rstrip('/')}/", domain=settings.domain,
    )  # fmt: skip


def rfc3339(moment: dt.datetime) -> str:
    """Atom's date format; templates have it as the global `rfc3339(date)`."""
    return moment.isoformat(timespec="seconds")
