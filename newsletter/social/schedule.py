"""Posting times for scheduler exports: the site's weekly slots, in its timezone, after publication."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from ..config import Settings
from ..content import Post
from ..errors import NewsletterError
from .captions import Caption

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FORMAT = "%Y-%m-%d %H:%M"


def parse(schedule: str) -> list[tuple[int, dt.time]]:
    slots = []
    for part in filter(None, (p.strip().lower() for p in schedule.split(","))):
        match = re.fullmatch(r"(mon|tue|wed|thu|fri|sat|sun)\w*\s+(\d{1,2}):(\d{2})", part)
        if not match or int(match.group(2)) > 23 or int(match.group(3)) > 59:
            raise NewsletterError(
                f"setup.cfg: [newsletter] schedule: expected slots like 'mon 09:00, thu 18:30', got '{part}'"
            )
        slots.append((DAYS.index(match.group(1)), dt.time(int(match.group(2)), int(match.group(3)))))
    return sorted(slots)


def _slots(after: dt.datetime, slots: list[tuple[int, dt.time]], zone) -> Iterator[dt.datetime]:
    monday = after.astimezone(zone).date() - dt.timedelta(days=after.astimezone(zone).weekday())
    while True:
        for day, time in slots:
            moment = dt.datetime.combine(monday + dt.timedelta(days=day), time, tzinfo=zone)
            if moment > after:
                yield moment
        monday += dt.timedelta(days=7)


def posting_times(captions: list[Caption], posts: list[Post], settings: Settings) -> dict[Caption, str]:
    """Each platform's captions take its next free slots after their post is published."""
    slots = parse(settings.schedule)
    if not slots:
        return {}
    published = {p.slug: p.published for p in posts}
    taken: dict[str, set[dt.datetime]] = {}
    times: dict[Caption, str] = {}
    for caption in captions:
        used = taken.setdefault(caption.platform, set())
        moment = next(m for m in _slots(published[caption.post], slots, settings.zone) if m not in used)
        used.add(moment)
        times[caption] = moment.strftime(FORMAT)
    return times
