"""Posting times for scheduler exports: the site's weekly slots, in its timezone, after publication."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..config import Settings, Slot
from ..content import Post
from .captions import Caption

FORMAT = "%Y-%m-%d %H:%M"


def _slots(after: dt.datetime, slots: tuple[Slot, ...], zone) -> Iterator[dt.datetime]:
    monday = after.astimezone(zone).date() - dt.timedelta(days=after.astimezone(zone).weekday())
    while True:
        for day, time in ((s.weekday, s.time) for s in slots):
            moment = dt.datetime.combine(monday + dt.timedelta(days=day), time, tzinfo=zone)
            if moment > after:
                yield moment
        monday += dt.timedelta(days=7)


def posting_times(captions: list[Caption], posts: list[Post], settings: Settings) -> dict[Caption, str]:
    """Each platform's captions take its next free slots after their post is published."""
    slots = settings.schedule
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
