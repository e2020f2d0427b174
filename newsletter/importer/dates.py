"""Dates as sources write them: ISO 8601 from metadata and feeds, and what a blog page shows
(`Oct 17`, `October 17, 2026`, `17 Oct 2026`, `3 days ago`). A date without a year is resolved against
the command's `now`: the latest such date not in the future."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_MONTH_NAMES = (
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
    ("nov", "november"), ("dec", "december"),
)  # fmt: skip
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
# The shapes a blog shows a date in, optionally after "Published", "Posted", "Updated" and the like.
_LEAD = r"(?:(?:published|posted|updated|last updated|date)\s*:?\s*(?:on\s+)?)?"
SHOWN = [
    re.compile(rf"{_LEAD}{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?", re.I),
    re.compile(rf"{_LEAD}{_DAY}\s+{_MONTH}(?:,?\s+{_YEAR})?", re.I),
    re.compile(rf"{_LEAD}{_YEAR}-(?P<month>\d{{2}})-(?P<day>\d{{2}})", re.I),
]
_AGO = re.compile(
    r"(?:(?P<n>\d+|an?|one)\s+(?P<unit>minute|hour|day|week)s?\s+ago|(?P<word>today|yesterday|just now))",
    re.I,
)


@dataclass(frozen=True)
class Found:
    date: dt.date
    guessed: str = ""  # why it is a guess ("no year"), "" when the source said it in full


def from_iso(text: str, zone: dt.tzinfo) -> dt.date | None:
    """A metadata or feed date (`2026-11-03T17:00:00.000Z`, `2026-08-20`): the day in the site's zone."""
    text = text.strip()
    try:
        moment = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        match = re.match(r"\d{4}-\d{2}-\d{2}", text)
        try:
            return dt.date.fromisoformat(match.group(0)) if match else None
        except ValueError:
            return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(zone).date()


def from_shown(text: str, now: dt.datetime) -> Found | None:
    """A date as a page shows it, when `text` is nothing else (a line, a label); None otherwise."""
    text = text.strip().strip("·•|-–—").strip()
    for pattern in SHOWN:
        match = pattern.fullmatch(text)
        if match:
            return _dated(match, now)
    match = _AGO.fullmatch(text)
    return _ago(match, now) if match else None


def _dated(match: re.Match, now: dt.datetime) -> Found | None:
    month_text = match.group("month").lower()
    month = int(month_text) if month_text.isdigit() else MONTHS[month_text]
    day, year = int(match.group("day")), match.group("year")
    try:
        if year:
            return Found(dt.date(int(year), month, day))
        return Found(_latest(month, day, now.date()), "no year")
    except ValueError:
        return None


def _latest(month: int, day: int, today: dt.date) -> dt.date:
    """The latest month/day that is not after today (29 February: the latest leap year's)."""
    for year in range(today.year, today.year - 8, -1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    raise ValueError(f"no {month}/{day}")


def _ago(match: re.Match, now: dt.datetime) -> Found:
    word = (match.group("word") or "").lower()
    if word:
        back = dt.timedelta(days=1) if word == "yesterday" else dt.timedelta(0)
        return Found((now - back).date(), "relative to today")
    count_text = match.group("n").lower()
    count = int(count_text) if count_text.isdigit() else 1
    unit = {"minute": "minutes", "hour": "hours", "day": "days", "week": "weeks"}[match.group("unit").lower()]
    return Found((now - dt.timedelta(**{unit: count})).date(), "relative to today")
