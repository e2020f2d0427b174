"""Posting times for scheduler exports: the site's weekly slots, in its timezone, from a start date
on, never in the past and never before a post is published."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from newsletter.content.settings import Settings, Slot
from newsletter.social.records import Caption

FORMAT = "%Y-%m-%d %H:%M"


def _slots(after: dt.datetime, slots: tuple[Slot, ...], zone) -> Iterator[dt.datetime]:
    local = after.astimezone(zone)
    monday = local.date() - dt.timedelta(days=local.weekday())
    while True:
        for day, time in ((slot.weekday, slot.time) for slot in slots):
            moment = dt.datetime.combine(monday + dt.timedelta(days=day), time, tzinfo=zone)
            if moment > after:
                yield moment
        monday += dt.timedelta(days=7)


def posting_times(
    captions: list[Caption],
    published: dict[str, dt.datetime],
    settings: Settings,
    start: dt.date,
    now: dt.datetime,
) -> dict[Caption, str]:
    """Each platform's captions take its next free slots from `start` (and after `now`, and after
    their post is published), in the order given."""
    slots = settings.schedule
    if not slots:
        return {}
    zone = settings.zone
    earliest = max(dt.datetime.combine(start, dt.time(0, 0), tzinfo=zone), now)
    taken: dict[str, set[dt.datetime]] = {}
    times: dict[Caption, str] = {}
    for caption in captions:
        if caption.kind == "thread":  # schedulers take one post a row: threads are not exported, take no slot
            continue
        used = taken.setdefault(caption.platform, set())
        after = max(earliest, published[caption.post])
        moment = next(m for m in _slots(after, slots, zone) if m not in used)
        used.add(moment)
        times[caption] = moment.strftime(FORMAT)
    return times
