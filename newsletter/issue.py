"""Choose which posts make an issue: by ISO week, every week, or named files; drafts never."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, Problem

if TYPE_CHECKING:
    from .content import Post, PostMeta

WEEK = re.compile(r"(\d{4})-W(\d{2})")
SUBJECT_LIMIT = 60
PREHEADER_MAX = 200


@dataclass(frozen=True)
class Selection:
    """What the command line asked for: one week, every week, or named posts; none of them = the latest week."""

    week: str | None = None
    every: bool = False
    files: tuple[Path, ...] = ()


LATEST = Selection()  # no selection: the latest week that has published posts


@dataclass(frozen=True)
class Week:
    """A selected issue before rendering: its posts by metadata (selection never needs their bodies)."""

    week: str  # ISO week, "2026-W42"
    posts: tuple[PostMeta, ...]


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


def week_of(post: PostMeta) -> str:
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


def by_week(posts) -> dict[str, tuple[PostMeta, ...]]:
    weeks: dict[str, list[PostMeta]] = {}
    for post in posts:
        if not post.draft:
            weeks.setdefault(week_of(post), []).append(post)
    return {week: tuple(items) for week, items in sorted(weeks.items())}


def select(posts, selection: Selection, folder: str = "posts") -> list[Week]:
    if selection.files:
        return from_files(posts)
    weeks = by_week(posts)
    if not weeks:
        raise InputError([Problem(folder, 0, "no published posts; write one with 'newsletter new TITLE'",
                                  rule="no-posts")])  # fmt: skip
    if selection.every:
        return [Week(w, items) for w, items in weeks.items()]
    week = selection.week or max(weeks)
    if week not in weeks:
        known = ", ".join(weeks)
        message = f"no published posts that week; weeks with posts: {known}"
        raise InputError([Problem(f"--week {week}", 0, message, rule="no-posts")])
    return [Week(week, weeks[week])]


def from_files(posts) -> list[Week]:
    """--post FILE...: one issue of exactly those posts, named after the newest one's week."""
    chosen = tuple(p for p in posts if not p.draft)
    if not chosen:
        message = "every named post is a draft; set 'draft: false' to include it"
        raise InputError([Problem("--post", 0, message, rule="no-posts")])
    return [Week(week_of(max(chosen, key=lambda p: p.published)), chosen)]
