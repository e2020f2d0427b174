"""Caption exports: a plain-text report, JSON, a readable Markdown page, and scheduler CSVs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from newsletter.content.scheduling import DATE_FORMATS
from newsletter.content.settings import Settings
from newsletter.errors import NewsletterError
from newsletter.social import text as T
from newsletter.social.counting import HTTP_URL, rules
from newsletter.social.records import Caption

Times = dict[Caption, dt.datetime]
BUFFER_HEADER = ["Text", "Image URL", "Tags", "Posting Time"]  # Buffer's header, case-sensitive
BUFFER_TIME = "%Y-%m-%d %H:%M"  # Buffer's Posting Time, 24-hour, in the channel's time zone
MEDIA_PLATFORMS = ("instagram", "pinterest")  # a post there is a picture: the Hootsuite row names the card
URL_END = ".,;:!?)]}'\"…”’»」）"  # what may follow a URL in a sentence without being part of it
PIN_LIMIT = 500
BUFFER_MAX_ROWS = 100
HOOTSUITE_MAX_ROWS = 350
LABELS = {
    "x": "X", "bluesky": "Bluesky", "threads": "Threads", "mastodon": "Mastodon", "linkedin": "LinkedIn",
    "instagram": "Instagram", "facebook": "Facebook", "pinterest": "Pinterest",
}  # fmt: skip


def json_items(captions: list[Caption]) -> list[bytes]:
    """Each caption as `json_document` lists it (indented one level, UTF-8): made where the captions
    are, so a pool's workers share the encoding and the build keeps them as they are. JSON strings hold
    no raw line break, so indenting every line of a caption's own dump gives what dumping the whole
    list gives."""
    return [_indented(c.as_dict()).encode("utf-8") for c in captions]


# `json.dumps(..., indent=2)` takes the json module's pure-Python encoder (its C encoder serves only
# `indent=None`): a caption is a flat record of strings, numbers and lists of them, so its layout is
# written here around the C string encoder, the same text (tests/test_social_exports.py compares them;
# tests/benchmarks/bench_json.py measures what it buys).
_STRING = json.encoder.encode_basestring  # the C function (ensure_ascii=False)


class _Nested(Exception):
    """A record `_indented` does not lay out itself (a nested value, a key json would convert)."""


def _scalar(value: object) -> str:
    if isinstance(value, str):
        return _STRING(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if type(value) is int:
        return int.__repr__(value)
    if isinstance(value, (list, tuple, dict)):
        raise _Nested
    return json.dumps(value, ensure_ascii=False)  # a float or a subclass, as json would give it


def _indented(data: dict) -> str:
    """`"  " + json.dumps(data, ensure_ascii=False, indent=2)` with every line indented by two more."""
    try:
        lines = []
        for name, value in data.items():
            if not isinstance(name, str):
                raise _Nested
            if isinstance(value, list):
                shown = (
                    "[\n" + ",\n".join(f"      {_scalar(v)}" for v in value) + "\n    ]" if value else "[]"
                )
            else:
                shown = _scalar(value)
            lines.append(f"    {_STRING(name)}: {shown}")
    except _Nested:  # never a caption's: json's own layout
        return "  " + json.dumps(data, ensure_ascii=False, indent=2).replace("\n", "\n  ")
    return "  {\n" + ",\n".join(lines) + "\n  }" if lines else "  {}"


def json_document(items: list[bytes]) -> bytes:
    """`json_items` of every caption, in order, as the one JSON document: joined as bytes (tens of MB
    at thousands of posts, which as one str of emoji-holding text would take four bytes a character)."""
    return b"[\n" + b",\n".join(items) + b"\n]\n" if items else b"[]\n"


def as_text(captions: list[Caption]) -> str:
    blocks = []
    for c in captions:
        fold = f", folds at {c.fold}" if c.fold else ""
        head = f"== {c.post} · {c.platform} · {c.kind} · {c.length}/{c.limit}{fold}"
        blocks.append(f"{head}\n{c.text}")
    return "\n\n".join(blocks) + "\n"


def as_markdown(captions: list[Caption], week: str) -> str:
    """Every caption of an issue on one page, for review and copying: each in a fenced block (kept
    exactly as posted), a thread post by post, with the card it attaches."""
    out = [f"# Captions for {week}", ""]
    post = ""
    for c in captions:
        if c.post != post:
            post = c.post
            out += [f"## {c.title}", ""]
        fold = f", folds at {c.fold}" if c.fold else ""
        fold += " · edited" if c.edited else ""  # the post's social file gives other words than the article
        out += [f"### {LABELS.get(c.platform, c.platform)} · {c.kind} · {c.length}/{c.limit}{fold}", ""]
        for n, part in enumerate(c.parts or (c.text,), 1):
            if len(c.parts) > 1:
                out += [f"Post {n} of {len(c.parts)}:", ""]
            out += ["~~~~text", part, "~~~~", ""]
        if c.hashtags:
            out += [f"Hashtags: {' '.join(c.hashtags)}", ""]
        if c.card:  # an archive issue outside the cards window has only its og:image card
            out += [f"Card: ![{_md_escape(c.alt)}]({c.card.split('/', 1)[1]})", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _zone_label(timezone: str) -> str:
    """The site's time zone as a file name part: the scheduler reads the times in the zone of the
    account or channel, so the file says which zone they are in (America/Los_Angeles:
    America-Los_Angeles; IANA names hold no other character a file name cannot)."""
    return timezone.replace("/", "-")


def _pages(captions: list[Caption], name: str, cap: int, zone: str):
    """(file name, rows) per platform, split at the scheduler's row cap; threads are left out:
    schedulers take one post per row (threads go to tools that speak them, like Typefully)."""
    for platform in sorted({c.platform for c in captions}):
        rows = [c for c in captions if c.platform == platform and c.kind != "thread"]
        for page, start in enumerate(range(0, len(rows), cap), 1):
            suffix = f"-{page}" if len(rows) > cap else ""
            yield f"captions-{name}-{platform}{suffix}.{_zone_label(zone)}.csv", rows[start : start + cap]


def buffer_files(captions: list[Caption], times: Times, settings: Settings) -> dict[str, bytes]:
    """One file per platform, at most 100 rows each; UTF-8 with BOM so spreadsheets read it right.
    Tags are the `buffer_tags` setting (labels of the Buffer account), never the hashtags."""
    tags = ",".join(settings.scheduling.buffer_tags)
    return {
        name: ("\ufeff" + _csv([BUFFER_HEADER, *(_buffer_row(c, times, tags) for c in rows)])).encode()
        for name, rows in _pages(captions, "buffer", BUFFER_MAX_ROWS, settings.timezone)
    }


def _buffer_row(caption: Caption, times: Times, tags: str) -> list[str]:
    when = times[caption].strftime(BUFFER_TIME) if caption in times else ""  # blank: Buffer queues it
    return [_buffer_text(caption), caption.image, tags, when]


def _buffer_text(caption: Caption) -> str:
    """Buffer's CSV has no link column: it takes a post's link from the URL in its text, and for a
    pin that URL becomes the pin's destination. So Pinterest rows end with the article link (cut
    text first if the 500-character description would overflow; the link is never cut)."""
    if caption.platform != "pinterest":
        return caption.text
    fits = lambda body: len(f"{body}\n\n{caption.link}") <= PIN_LIMIT  # noqa: E731
    body = T.cut_to_fit(caption.text, fits) or ""
    return f"{body}\n\n{caption.link}".strip()


def hootsuite_files(captions: list[Caption], times: Times, settings: Settings) -> dict[str, bytes]:
    """Hootsuite's bulk composer: no header; date and time (in the format chosen at upload), the text,
    the link (only when the text does not carry it already, since Hootsuite adds it to the text), and
    where the post needs a picture (Instagram, Pinterest) its URL; at most 350 rows; one file per
    profile (platform)."""
    strftime = DATE_FORMATS[settings.scheduling.date_format]
    files = {}
    for name, rows in _pages(captions, "hootsuite", HOOTSUITE_MAX_ROWS, settings.timezone):
        files[name] = _csv([_hootsuite_row(c, _hootsuite_time(c, times), strftime) for c in rows]).encode()
    return files


def _hootsuite_row(caption: Caption, when: dt.datetime, strftime: str) -> list[str]:
    row = [when.strftime(strftime), caption.text, _hootsuite_link(caption)]
    return [*row, caption.image] if caption.platform in MEDIA_PLATFORMS else row


def _hootsuite_link(caption: Caption) -> str:
    """The article link for the link column: none where the text has it (it would be posted twice)
    or where it cannot be clicked (Instagram says "Link in bio.")."""
    if rules()[caption.platform].link == "bio":
        return ""
    page = _page(caption.link)
    carried = any(_page(found.rstrip(URL_END)) == page for found in HTTP_URL.findall(caption.text))
    return "" if carried else caption.link


def _page(url: str) -> str:
    """A URL without its query and fragment: the article's link whatever tracking it carries."""
    return url.split("#", 1)[0].split("?", 1)[0]


def _hootsuite_time(caption: Caption, times: Times) -> dt.datetime:
    """Hootsuite needs a time on every row, on a 5-minute mark (its upload refuses 09:03)."""
    when = times.get(caption)
    where = f"setup.cfg: [newsletter] schedule (or schedule_{caption.platform}, schedule_offsets)"
    if when is None:
        raise NewsletterError(
            f"--format hootsuite: every Hootsuite row needs a posting time, and {caption.platform} has "
            f"no slots; set {where}"
        )
    if when.minute % 5:
        raise NewsletterError(
            "--format hootsuite: Hootsuite takes times on 5-minute marks (09:00, 09:05, …), and a "
            f"{caption.platform} slot falls at {when:%H:%M}; change {where}"
        )
    return when
