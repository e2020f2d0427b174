"""Choose which posts make an issue: by ISO week, every week, or named files; drafts only when asked."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from newsletter.content import issuefile
from newsletter.content.issuefile import IssueFile
from newsletter.errors import InputError, NewsletterError, Problem, Problems

if TYPE_CHECKING:
    from newsletter.content.posts import Post, PostMeta
    from newsletter.content.settings import Settings

WEEK = re.compile(r"(\d{4})-[Ww](\d{2})")  # 2026-w42 is read as 2026-W42
DRAFT_PREFIX = "[DRAFT] "  # a drafts build marks every issue that holds a draft
SUBJECT_LIMIT = 60
PREHEADER_MAX = 200
ARCHIVE_SUMMARY = 160  # the archive page's line under each issue: two or three lines, whole sentences


@dataclass(frozen=True)
class Selection:
    """What the command line asked for: one week, every week, or named posts; none of them = the latest week."""

    week: str | None = None
    every: bool = False
    files: tuple[str, ...] = ()  # named posts, files or slugs, as typed; resolved from the run's one load
    drafts: bool = False  # --drafts: drafts count as published (marked "[DRAFT]")
    # `every` for the preview: only the weeks it shows are selected, so a broken draft of a week with no
    # issue does not stop it; `--all` promises the whole archive, every post of every week.
    shown_only: bool = False


LATEST = Selection()  # no selection: the latest week that has published posts


@dataclass(frozen=True)
class Week:
    """A selected issue before rendering: its posts by metadata (selection never needs their bodies)."""

    week: str  # ISO week, "2026-W42"
    posts: tuple[PostMeta, ...]
    file: IssueFile | None = None  # the editor's issues/YYYY-Www.md, applied (order, exclude)

    @property
    def subject(self) -> str:
        return subject_of([p.title for p in self.posts], self.file, any(p.draft for p in self.posts))

    @property
    def date(self) -> dt.datetime:
        return max(p.published for p in self.posts)


def preheader_of(summaries: list[str], file: IssueFile | None = None, limit: int = PREHEADER_MAX) -> str:
    """The editor's preheader; else the summaries, one line, cut at a word before Gmail's ~200-character
    preview ends (the email's preheader and the archive page's line under each issue)."""
    if file is not None and file.preheader:
        return file.preheader
    return excerpt(" ".join(" ".join(summaries).split()), limit)


MIN_SENTENCE = 40  # "Hi." before a long paragraph is no summary: cut that at a word instead
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*(?= )")


def excerpt(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters where a reader expects a cut: after the last whole
    sentence that fits (a real one, MIN_SENTENCE characters at least), else at a word, with "…"."""
    if len(text) <= limit:
        return text
    room = text[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(room) if m.end() <= limit]
    if ends and ends[-1] >= MIN_SENTENCE:
        return text[: ends[-1]]
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:—- ") + "…"


def heading_of(titles: list[str], file: IssueFile | None = None, draft: bool = False) -> tuple[str, int]:
    """What the archive page heads an issue with: the editor's subject, else the lead article's title,
    and how many more articles to announce beside it ("and 1 more article"), not "Title + 1 more"."""
    if file is not None and file.subject:
        return subject_of(titles, file, draft), 0
    return (DRAFT_PREFIX if draft else "") + titles[0], len(titles) - 1


def subject_of(titles: list[str], file: IssueFile | None = None, draft: bool = False) -> str:
    """The editor's subject; else the lead article's title, more articles announced without overflowing
    the inbox line. An issue holding a draft says so first."""
    prefix = DRAFT_PREFIX if draft else ""
    if file is not None and file.subject:
        return prefix + file.subject
    first, rest = titles[0], len(titles) - 1
    if not rest:
        return prefix + first
    joined = " · ".join(titles)
    return prefix + (joined if len(joined) <= SUBJECT_LIMIT else f"{first} + {rest} more")


@dataclass(frozen=True)
class Issue:
    week: str  # ISO week, "2026-W42"
    posts: tuple[Post, ...]
    file: IssueFile | None = None  # the editor's issue file: subject, preheader, layout, intro

    @property
    def subject(self) -> str:
        return subject_of([p.title for p in self.posts], self.file, self.draft)

    @property
    def draft(self) -> bool:
        return any(p.draft for p in self.posts)

    @property
    def layout(self) -> str | None:
        """The issue file's layout, else None (the site's setting)."""
        return self.file.layout if self.file is not None and self.file.layout else None

    @property
    def intro(self) -> str:
        """The editor's note (Markdown), empty without an issue file."""
        return self.file.intro if self.file is not None else ""

    @property
    def preheader(self) -> str:
        """The editor's preheader; else the summaries, one line, cut at a word before Gmail's
        ~200-character preview ends."""
        return preheader_of([p.summary for p in self.posts], self.file)

    @property
    def date(self) -> dt.datetime:
        """Stable send date: the newest post's publication time, so the .eml is deterministic."""
        return max(p.published for p in self.posts)


class Dated(Protocol):
    """Anything with a date: a post's metadata or the post itself."""

    @property
    def date(self) -> dt.date: ...


def week_of(post: Dated) -> str:
    year, week, _ = post.date.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(value: str) -> str:
    match = WEEK.fullmatch(value.strip())
    if not match:
        short = re.fullmatch(r"(\d{4})-[Ww](\d)", value.strip())  # 2026-W7: the week needs two digits
        hint = f"; did you mean {short.group(1)}-W0{short.group(2)}?" if short else ""
        raise ValueError(f"expected YYYY-Www like 2026-W42, got '{value}'{hint}")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no ISO week {week}") from None
    return f"{year}-W{week:02d}"


def by_week(posts, drafts: bool = False) -> dict[str, tuple[PostMeta, ...]]:
    weeks: dict[str, list[PostMeta]] = {}
    for post in posts:
        if drafts or not post.draft:
            weeks.setdefault(week_of(post), []).append(post)
    return {week: tuple(items) for week, items in sorted(weeks.items())}


def select(posts, selection: Selection, folder: str = "posts") -> list[Week]:
    if selection.files:
        return from_files(posts, selection.drafts)
    weeks = by_week(posts, selection.drafts)
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


def from_files(posts, drafts: bool = False) -> list[Week]:
    """--post FILE...: one issue of exactly those posts, named after the newest one's week."""
    chosen = tuple(p for p in posts if drafts or not p.draft)
    if not chosen:
        message = "every named post is a draft; set 'draft: false' to include it, or build with --drafts"
        raise InputError([Problem("--post", 0, message, rule="no-posts")])
    return [Week(week_of(max(chosen, key=lambda p: p.published)), chosen)]


def issue_files(settings: Settings, problems: Problems) -> dict[str, IssueFile]:
    """Every issue file, by week; a misnamed or invalid one is reported and left out."""
    found: dict[str, IssueFile] = {}
    for path in issuefile.paths(settings, problems):
        where = settings.relative(path)
        try:
            week = parse_week(path.stem)
        except ValueError as exc:
            problems.error(where, 0, f"issue files are named YYYY-Www.md: {exc}", "issue-name")
            continue
        if path.stem != week:  # 2026-w47.md: --week takes it, but other tools and people look for -W
            problems.error(where, 0, f"rename it to {week}.md: issue files are named YYYY-Www.md with a "
                           "capital W", "issue-name")  # fmt: skip
            continue
        if week in found:
            problems.error(where, 0, f"a second issue file for {week} ({found[week].source}); keep one",
                           "issue-file")  # fmt: skip
            continue
        parsed = issuefile.read(path, where, problems)
        if parsed is not None:
            found[week] = parsed
    return found


def file_week(settings: Settings, where: str) -> str | None:
    """The week an issue file is for, by its name (2026-w48.md too), from a problem's place; None for
    anything else (a post, setup.cfg, an issue file whose name holds no week)."""
    path = Path(where)
    if path.suffix != ".md" or path.parent != Path(settings.relative(settings.issues_dir)):
        return None
    try:
        return parse_week(path.stem)
    except ValueError:
        return None


def arrange(
    week: Week, file: IssueFile | None, problems: Problems, broken: frozenset[str] = frozenset()
) -> Week:
    """The week as the editor arranged it: excluded posts out, ordered slugs first, the rest by date.
    A slug of one of the week's `broken` posts is not "not a post of the week": that post's own error
    says what is wrong, and once it is fixed the slug is found."""
    if file is None:
        return week
    slugs = {p.slug for p in week.posts} | broken
    listed = ", ".join(p.slug for p in week.posts)
    for key, values, line in (
        ("order", file.order, file.order_line),
        ("exclude", file.exclude, file.exclude_line),
    ):
        for slug in values:
            if slug not in slugs:
                problems.error(file.source, line, f"'{key}' names '{slug}', which is not a post of {week.week}; "
                               f"its posts: {listed}", "issue-file")  # fmt: skip
    kept = [p for p in week.posts if p.slug not in file.exclude]
    if not kept:
        problems.error(file.source, file.exclude_line, f"'exclude' leaves {week.week} without posts; "
                       "remove a slug from it", "issue-file")  # fmt: skip
        return replace(week, file=file)
    rank = {slug: n for n, slug in enumerate(file.order)}
    ordered = sorted(kept, key=lambda p: rank.get(p.slug, len(rank)))  # stable: the rest keep date order
    return replace(week, posts=tuple(ordered), file=file)


def resolve_posts(
    settings: Settings, wanted: tuple[str, ...], metas: tuple[PostMeta, ...], label: str = ""
) -> frozenset[str]:
    """--post and social's POST arguments are files or slugs: each as the source of its post, picked
    from the run's one load. A file the loader could not read is left out: it reported why already."""
    found: set[str] = set()
    for name in wanted:
        path = Path(name)
        if path.exists():
            found.add(settings.relative(path.resolve()))
            continue
        match = [m for m in metas if m.slug == name]
        if not match:
            raise NewsletterError(
                f"{label}{name}: no such post (give a file in posts/ or a slug; see 'newsletter list')"
            )
        found.add(match[0].source)
    return frozenset(found)
