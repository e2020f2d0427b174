"""The clock: one `now` per command, read by the command line and passed down as a value.

Library code never asks the system for the time: a schedule, a send date, a new post's date or the
year of an imported `Oct 17` all take the `now` they are given, so a test (or anyone reproducing a run)
sets it in one place. That place is the environment variable NEWSLETTER_NOW, an ISO 8601 date or
date-time (`2026-11-22`, `2026-11-22T08:30`, `2026-11-22T08:30:00+01:00`); a value without an offset is
in the site's time zone. It is distinct from SOURCE_DATE_EPOCH, which fixes the dates written into
builds and never moves the clock of schedules or sends."""

from __future__ import annotations

import datetime as dt
import os

from newsletter.errors import NewsletterError

ENV = "NEWSLETTER_NOW"


def now(zone: dt.tzinfo | None = None) -> dt.datetime:
    """The command's `now`, aware: in `zone` (the site's), else in the machine's local zone."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return dt.datetime.now(zone).astimezone(zone)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise NewsletterError(
            f"{ENV}: expected an ISO 8601 date or date-time such as 2026-11-22 or 2026-11-22T08:30, "
            f"got '{text}'; unset it to use the system clock"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()
    return moment.astimezone(zone)
