"""Choose which posts make an issue: by ISO week, every week, or named files; drafts never."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import NewsletterError, Problems

if TYPE_CHECKING:  # a Post or a cache.PostMeta: selection needs dates, slugs and titles only
    from .content import Post

WEEK = re.compile(r"(\d{4})-W(\d{2})")
SUBJECT_LIMIT = 60
PREHEADER_MAX = 200


@dataclass(frozen=True)
class Issue:
    week: str  # ISO week, "2026-W42"
    posts: tuple[Post, ...]

    @property
    def subject(self) -> str:
        """The lead article's title; more articles are announced without overflowing the inbox line."""
        first, rest = self.posts[0].title, len(self.posts) - 1
        if not rest:
            return first
        joined = " · ".join(p.title for p in self.posts)
        return joined if len(joined) <= SUBJECT_LIMIT else f"{first} + {rest} more"

    @property
    def preheader(self) -> str:
        """The summaries, one line, cut at a word before Gmail's ~200-character preview ends."""
        text = " ".join(" ".join(p.summary for p in self.posts).split())
        if len(text) <= PREHEADER_MAX:
            return text
        return text[: PREHEADER_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:—-") + "…"

    @property
    def date(self) -> dt.datetime:
        """Stable send date: the newest post's publication time, so the .eml is deterministic."""
        return max(p.published for p in self.posts)


def week_of(post: Post) -> str:
    year, week, _ = post.date.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(value: str) -> str:
    match = WEEK.fullmatch(value)
    if not match:
        raise ValueError(f"expected YYYY-Www like 2026-W42, got '{value}'")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no ISO week {week}") from None
    return f"{year}-W{week:02d}"


def by_week(posts: list[Post]) -> dict[str, tuple[Post, ...]]:
    weeks: dict[str, list[Post]] = {}
    for post in posts:
        if not post.draft:
            weeks.setdefault(week_of(post), []).append(post)
    return {week: tuple(items) for week, items in sorted(weeks.items())}


def select(posts: list[Post], week: str | None = None, every: bool = False) -> list[Issue]:
    weeks = by_week(posts)
    if not weeks:
        raise NewsletterError("posts/: no published posts; write one with 'newsletter new TITLE'")
    if every:
        return [Issue(w, items) for w, items in weeks.items()]
    if week is None:
        week = max(weeks)
    if week not in weeks:
        known = ", ".join(weeks)
        raise NewsletterError(f"--week {week}: no published posts that week; weeks with posts: {known}")
    return [Issue(week, weeks[week])]


def from_files(posts: list[Post]) -> list[Issue]:
    """--post FILE...: one issue of exactly those posts, named after the newest one's week."""
    chosen = tuple(p for p in posts if not p.draft)
    if not chosen:
        raise NewsletterError("--post: every named post is a draft; set 'draft: false' to include it")
    return [Issue(week_of(max(chosen, key=lambda p: p.published)), chosen)]


def check_unique_slugs(posts: list, problems: Problems) -> None:
    """Slugs name output folders: two posts may not share one, even in a different case."""
    seen: dict[str, Post] = {}
    for post in sorted(posts, key=lambda p: p.source):
        other = seen.setdefault(post.slug.lower(), post)
        if other is not post:
            problems.error(
                post.source,
                0,
                f"slug '{post.slug}' is also used by {other.source}; give one a different slug",
                "slug-duplicate",
            )
