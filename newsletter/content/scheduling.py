"""The scheduler exports' settings, from [newsletter] in setup.cfg: the weekly posting slots, each
platform's own slots or its offset from them, the Buffer tags and the date format Hootsuite is told at
upload. Errors are `setup.cfg:LINE` problems like every setting's (the caller's `bad`). Standard library
only: the command line reads the date formats when it starts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from newsletter.errors import closest

# Hootsuite's bulk composer reads the date column in the format picked in its upload dialog; these are
# the ones this project writes (name as the dialog spells it -> strftime). Times are 24-hour.
DATE_FORMATS = {
    "MM/DD/YYYY HH:mm": "%m/%d/%Y %H:%M",
    "DD/MM/YYYY HH:mm": "%d/%m/%Y %H:%M",
    "YYYY-MM-DD HH:mm": "%Y-%m-%d %H:%M",
}
DEFAULT_DATE_FORMAT = "MM/DD/YYYY HH:mm"
# The default stagger (minutes after each `schedule` slot): see the README, "Scheduler exports". Every
# platform gets its own minute, 30 apart: a follower of several never gets the article eight times at
# once, and the manager can answer one network's first replies before the next one posts. The
# conversation networks go first, in the morning slot; Pinterest, searched more than scrolled, last.
DEFAULT_OFFSETS = (
    "x 0, linkedin 30, facebook 60, instagram 90, threads 120, bluesky 150, mastodon 180, pinterest 210"
)
MAX_OFFSET = 24 * 60  # a day either way
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)\w*\s+(\d{1,2}):(\d{2})")
RENAMED = {"twitter": "x", "bsky": "bluesky", "ig": "instagram", "fb": "facebook"}  # names people type
_OFFSET = re.compile(r"([a-z]+)\s+([+-]?\d+)")

Bad = Callable[[str, str], None]


def defaults(platforms: tuple[str, ...]) -> dict[str, str]:
    return {
        "schedule": "mon 09:00, wed 09:00, fri 09:00",
        "schedule_offsets": DEFAULT_OFFSETS,
        **{f"schedule_{p}": "" for p in platforms},  # a platform's own slots, instead of schedule + offset
        "buffer_tags": "",  # labels that exist in the Buffer account; empty: no tags
        "hootsuite_date_format": DEFAULT_DATE_FORMAT,
    }


@dataclass(frozen=True, order=True)
class Slot:
    """A weekly posting time: weekday (0 = Monday) and time of day, in the site's timezone."""

    weekday: int
    time: dt.time


@dataclass(frozen=True)
class Scheduling:
    slots: tuple[Slot, ...] = ()  # `schedule`
    own: Mapping[str, tuple[Slot, ...]] = field(default_factory=dict)  # `schedule_<platform>`
    offsets: Mapping[str, int] = field(default_factory=dict)  # minutes; a platform not named: 0
    buffer_tags: tuple[str, ...] = ()
    date_format: str = DEFAULT_DATE_FORMAT  # a key of DATE_FORMATS

    def slots_of(self, platform: str) -> tuple[tuple[Slot, ...], dt.timedelta]:
        """A platform's weekly slots and the offset that moves them (none for its own slots)."""
        if platform in self.own:
            return self.own[platform], dt.timedelta(0)
        return self.slots, dt.timedelta(minutes=self.offsets.get(platform, 0))


def parse(v: Mapping[str, str], platforms: tuple[str, ...], bad: Bad) -> Scheduling:
    """The scheduling keys of the [newsletter] values `v` (defaults filled in)."""
    own = {p: _slots(v[f"schedule_{p}"], f"schedule_{p}", bad) for p in platforms}
    return Scheduling(
        slots=_slots(v["schedule"], "schedule", bad),
        own={p: slots for p, slots in own.items() if slots},
        offsets=_offsets(v["schedule_offsets"], platforms, bad),
        buffer_tags=_tags(v["buffer_tags"], bad),
        date_format=_date_format(v["hootsuite_date_format"], bad),
    )


def _slots(text: str, key: str, bad: Bad) -> tuple[Slot, ...]:
    """'mon 09:00, thu 18:30' into weekly slots; an empty setting means no posting times."""
    slots = []
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        match = _SLOT.fullmatch(part)
        if not match or int(match.group(2)) > 23 or int(match.group(3)) > 59:
            bad(key, f"expected slots like 'mon 09:00, thu 18:30', got '{part}'")
            return ()
        hour, minute = int(match.group(2)), int(match.group(3))
        slots.append(Slot(DAYS.index(match.group(1)), dt.time(hour, minute)))
    return tuple(sorted(set(slots)))


def _offsets(text: str, platforms: tuple[str, ...], bad: Bad) -> dict[str, int]:
    """'linkedin 30, facebook 60': minutes after each `schedule` slot, per platform."""
    offsets: dict[str, int] = {}
    for part in filter(None, (p.strip().lower() for p in re.split(r"[,\n]", text))):
        match = _OFFSET.fullmatch(part)
        if not match:
            bad(
                "schedule_offsets",
                f"expected 'platform minutes' like 'linkedin 30, facebook 60', got '{part}'",
            )
            continue
        name, minutes = match.group(1), int(match.group(2))
        if name not in platforms:
            close = closest(name, (*platforms, *RENAMED))
            hint = RENAMED.get(close, close) if close else ""
            fix = f"did you mean '{hint}'?" if hint else f"use one of {', '.join(platforms)}"
            bad("schedule_offsets", f"unknown platform '{name}' in '{part}': {fix}")
        elif name in offsets:
            bad("schedule_offsets", f"'{name}' is given twice; keep one")
        elif abs(minutes) > MAX_OFFSET:
            bad("schedule_offsets", f"an offset is minutes, at most {MAX_OFFSET} either way, got '{part}'")
        else:
            offsets[name] = minutes
    return offsets


def _tags(text: str, bad: Bad) -> tuple[str, ...]:
    """Buffer tags are the account's own labels (a tag Buffer does not have fails the row), so they are
    given, never made from hashtags."""
    tags = tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    if any("\n" in t for t in tags):
        bad("buffer_tags", "expected tags on one line, separated by commas, like 'Newsletter, Skincare'")
        return ()
    return tags


def date_format_named(text: str) -> str | None:
    """The DATE_FORMATS name `text` spells, in any case and spacing; None if it spells none."""
    wanted = " ".join(text.split()).lower()
    return next((name for name in DATE_FORMATS if name.lower() == wanted), None)


def _date_format(text: str, bad: Bad) -> str:
    found = date_format_named(text)
    if not found:
        bad("hootsuite_date_format", f"expected one of {' | '.join(DATE_FORMATS)} (the format chosen in "
            f"Hootsuite's upload dialog), got '{text.strip()}'")  # fmt: skip
    return found or DEFAULT_DATE_FORMAT
