"""Posting times for scheduler exports: each platform's weekly slots (the site's `schedule` moved by the
platform's offset, or its own `schedule_<platform>`), in the site's timezone, from a start date on,
never in the past and never before a post is published."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from newsletter.content.settings import Settings, Slot
from newsletter.social.records import Caption


def _slots(
    after: dt.datetime, slots: tuple[Slot, ...], offset: dt.timedelta, zone: ZoneInfo
) -> Iterator[dt.datetime]:
    """The moments of `slots` + `offset` after `after`, in order. An offset moves wall-clock time (09:00
    + 30 minutes is 09:30 on the day DST starts too); a time the clocks skip is read as the clocks
    do, an hour on. The week before `after`'s is tried too: a negative offset reaches back into it."""
    local = after.astimezone(zone)
    monday = local.date() - dt.timedelta(days=local.weekday() + 7)
    while True:
        for slot in slots:
            wall = dt.datetime.combine(monday + dt.timedelta(days=slot.weekday), slot.time, tzinfo=zone)
            moment = (wall + offset).astimezone(dt.UTC).astimezone(zone)
            if moment > after:
                yield moment
        monday += dt.timedelta(days=7)


def posting_times(
    captions: list[Caption],
    published: dict[str, dt.datetime],
    settings: Settings,
    start: dt.date,
    now: dt.datetime,
) -> dict[Caption, dt.datetime]:
    """Each platform's captions take its next free slots from `start` (and after `now`, and after
    their post is published), in the order given. A platform without slots gets no times."""
    zone = settings.zone
    earliest = max(dt.datetime.combine(start, dt.time(0, 0), tzinfo=zone), now)
    taken: dict[str, set[dt.datetime]] = {}
    times: dict[Caption, dt.datetime] = {}
    for caption in captions:
        if caption.kind == "thread":  # schedulers take one post a row: threads are not exported, take no slot
            continue
        slots, offset = settings.scheduling.slots_of(caption.platform)
        if not slots:
            continue
        used = taken.setdefault(caption.platform, set())
        after = max(earliest, published[caption.post])
        moment = next(m for m in _slots(after, slots, offset, zone) if m not in used)
        used.add(moment)
        times[caption] = moment
    return times
