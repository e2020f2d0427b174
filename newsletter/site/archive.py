"""The web archive: each issue's web copy (build/YYYY-Www/index.html), the archive page
(build/index.html) and the Atom feed (build/feed.xml). The email and its web copy are one render: the
email template marks what only makes sense in an inbox (`<!--email-only-->`: "View in browser", the
unsubscribe link) and what only makes sense on the web (`<!--web-only-->`: "All issues", the subscribe
link); each copy drops the other's parts."""

from __future__ import annotations

import datetime as dt
import html as htmlmod
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup

from newsletter.content.issue import ARCHIVE_SUMMARY, Week, by_week, heading_of, preheader_of, subject_of
from newsletter.content.settings import Settings
from newsletter.urls import has_utm, is_merge_tag, same_page, without_utm

if TYPE_CHECKING:
    from newsletter.content.issue import Issue
    from newsletter.content.issuefile import IssueFile
    from newsletter.content.posts import PostMeta

_EMAIL_ONLY = re.compile(r"<!--email-only-->.*?<!--/email-only-->", re.S)
_WEB_ONLY = re.compile(r"<!--web-only-->.*?<!--/web-only-->", re.S)
_WEB_MARKS = re.compile(r"<!--/?web-only-->")
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
    summary: str = ""  # the issue's preheader: the issue file's, else its articles' summaries
    heading: str = ""  # the archive page's: the editor's subject, else the lead article's title
    more: int = 0  # articles beside the lead one that the heading does not name ("and 1 more article")


def email_copy(page: str) -> str:
    """The inlined render as the email: the web copy's parts taken out."""
    return _WEB_ONLY.sub("", page)


def web_copy(page: str, issue: Issue, settings: Settings) -> str:
    """The inlined render as a page on the site: inbox-only parts removed, merge tags made plain links to
    the site, and the tags a shared link needs (Open Graph, Twitter card: the issue's title card)."""
    page = _WEB_MARKS.sub("", _EMAIL_ONLY.sub("", page))
    page = _HREF.sub(
        lambda m: f'href="{settings.site_url}"' if is_merge_tag(htmlmod.unescape(m.group(1))) else m.group(0),
        page,
    )
    page = _INLINE_MERGE.sub("", page)  # *|FNAME|* in prose: no reader of the web copy has one
    page = _untracked(page, settings)
    page = own_images(page, settings, issue.week)
    url = web_url(settings, issue.week)
    tags = head_tags(settings, "article", issue.subject, issue.preheader, url,
                     card_url(settings, issue.week, issue.posts[0].slug))  # fmt: skip
    return page.replace("</head>", str(tags) + "</head>", 1)  # str: Markup + "</head>" would escape it


def own_images(page: str, settings: Settings, week: str, into: str = "") -> str:
    """The issue folder's own pictures (images/NAME-HASH.EXT, the logo) by a relative URL: the web copy is
    published beside them at {archive_url}/WEEK/, so the same page is right there and opened from
    build/ before anything is published (the email keeps absolute URLs: it is read far from the archive).
    `into`: the page's folder seen from the archive root ("" for the web copy, "WEEK/" for the archive
    page). og:image and the cards stay absolute: other sites read them."""
    base = re.escape(htmlmod.escape(f"{settings.archive_url.rstrip('/')}/{week}/images/", quote=True))
    return re.sub(rf'(\s(?:src|srcset)=")(?:{base})', lambda m: f"{m.group(1)}{into}images/", page)


def _untracked(page: str, settings: Settings) -> str:
    """The archive's home and the sign-up page are where a reader of the web copy goes next, not email
    traffic: links to exactly those pages (compared parsed, not by prefix: an issue's own page under
    archive_url is not the home) lose the email's utm_ parameters, the rest of their query kept. A
    sign-up link the editor tagged in setup.cfg keeps its tags (the email kept them too)."""
    subscribe = settings.brand.subscribe_url
    pages = [u for u in (home(settings), subscribe) if u and not (u == subscribe and has_utm(u))]

    def clean(match: re.Match) -> str:
        url = htmlmod.unescape(match.group(1))
        if not any(same_page(url, p) for p in pages) or (plain := without_utm(url)) == url:
            return match.group(0)
        return f'href="{htmlmod.escape(plain, quote=True)}"'

    return _HREF.sub(clean, page)


def head_tags(settings: Settings, kind: str, title: str, description: str, url: str, image: str) -> Markup:
    """What a page needs in its <head> to be found and shared: a description, Open Graph and the Twitter
    card (X, LinkedIn, Facebook, Slack, iMessage read these; og:url is the canonical address). No <link>
    tags: no output of the build holds one (the safety checks refuse any, stylesheet or not)."""
    esc = htmlmod.escape
    meta = [
        f'<meta name="description" content="{esc(description)}">',
        f'<meta property="og:type" content="{kind}">',
        f'<meta property="og:site_name" content="{esc(settings.name)}">',
        f'<meta property="og:title" content="{esc(title)}">',
        f'<meta property="og:description" content="{esc(description)}">',
        f'<meta property="og:url" content="{esc(url)}">',
    ]
    if image:
        meta += [f'<meta property="og:image" content="{esc(image)}">',
                 '<meta property="og:image:width" content="1200">',
                 '<meta property="og:image:height" content="630">']  # fmt: skip
    meta += [
        f'<meta name="twitter:card" content="{"summary_large_image" if image else "summary"}">',
        f'<meta name="twitter:title" content="{esc(title)}">',
        f'<meta name="twitter:description" content="{esc(description)}">',
    ]
    if image:
        meta.append(f'<meta name="twitter:image" content="{esc(image)}">')
    if handle := settings.handles.get("x", ""):
        meta.append(f'<meta name="twitter:site" content="@{esc(handle.lstrip("@"))}">')
    return Markup("\n".join(meta) + "\n")


def home(settings: Settings) -> str:
    """The archive page's URL: where "All issues" leads."""
    return f"{settings.archive_url.rstrip('/')}/"


def logo_of(settings: Settings, week: str) -> dict | None:
    """The logo as a template shows it in the issue of `week` (a project file is copied into each issue
    folder, so its URL is that issue's), or None."""
    logo, dark = settings.brand.logo, settings.brand.logo_dark
    if logo is None:
        return None
    shown: dict = {"url": logo.url_in(settings.archive_url, week), "width": logo.width, "height": logo.height,
                   "dark": None}  # fmt: skip
    if dark is not None:  # dark mode's version, in the same box
        shown["dark"] = {"url": dark.url_in(settings.archive_url, week), "width": dark.width,
                         "height": dark.height}  # fmt: skip
    return shown


def assets(settings: Settings) -> dict[str, bytes]:
    """Files every issue folder holds beside the email: the logos, when they are project files."""
    brand = settings.brand
    return {logo.file: logo.data for logo in (brand.logo, brand.logo_dark) if logo is not None and logo.file}


def web_url(settings: Settings, week: str) -> str:
    return f"{settings.archive_url.rstrip('/')}/{week}/"


def card_url(settings: Settings, week: str, slug: str) -> str:
    """The lead article's title card at 1200x630, as the build draws it into the issue's cards/."""
    from newsletter.social import names as cards  # not `cards`: the name needs no text machinery

    return cards.url_for(settings, f"{week}/cards/{cards.file_name(slug, 'title', 'link')}")


def entries(
    metas: tuple[PostMeta, ...],
    files: dict[str, IssueFile],
    settings: Settings,
    drafts: bool,
    broken: Callable[[str], frozenset[str]] = lambda week: frozenset(),
) -> list[Entry]:
    """Every issue of the site, newest first, arranged by its issue file (a broken one is ignored here:
    the issue's own plan reports it; `broken(week)`: the slugs of that week's posts that failed to load)."""
    from newsletter.content.issue import arrange
    from newsletter.errors import Problems

    made = []
    for week, posts in by_week(metas, drafts).items():
        arranged = arrange(Week(week, posts), files.get(week), sink := Problems(), broken(week))
        if sink.has_errors():
            arranged = Week(week, posts)
        shown = arranged.posts
        titles, draft = [p.title for p in shown], any(p.draft for p in shown)
        made.append(Entry(
            week, subject_of(titles, arranged.file, draft),
            max(p.published for p in shown), web_url(settings, week),
            tuple((p.title, settings.url_for(p.slug)) for p in shown), card_url(settings, week, shown[0].slug),
            preheader_of([p.summary for p in shown], arranged.file, ARCHIVE_SUMMARY),
            *heading_of(titles, arranged.file, draft),
        ))  # fmt: skip
    return sorted(made, key=lambda e: e.week, reverse=True)


def index_html(renderer, items: list[Entry]) -> str:
    """The archive page: the header (logo or name, subscribe), then every issue with its summary. The
    logo is the newest issue's copy (every issue folder holds one)."""
    settings = renderer.settings
    description = f"Every issue of the {settings.name} newsletter, newest first."
    tags = head_tags(settings, "website", f"{settings.name}: newsletter archive", description, home(settings),
                     items[0].image if items else "")  # fmt: skip
    page = renderer.render(
        "index.html", issues=items, logo=logo_of(settings, items[0].week) if items else None,
        home=home(settings), head_tags=tags,
    )  # fmt: skip
    return own_images(page, settings, items[0].week, f"{items[0].week}/") if items else page


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
