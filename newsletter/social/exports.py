"""Caption exports: plain text report, JSON, and scheduler CSVs (Buffer, Hootsuite)."""

from __future__ import annotations

import csv
import io
import json

from .captions import Caption

BUFFER_HEADER = ["Text", "Image URL", "Tags", "Posting Time"]
BUFFER_MAX_ROWS = 100
HOOTSUITE_MAX_ROWS = 350


def as_json(captions: list[Caption]) -> str:
    return json.dumps([c.as_dict() for c in captions], ensure_ascii=False, indent=2) + "\n"


def as_text(captions: list[Caption]) -> str:
    blocks = []
    for c in captions:
        fold = f", folds at {c.fold}" if c.fold else ""
        head = f"== {c.post} · {c.platform} · {c.kind} · {c.length}/{c.limit}{fold}"
        blocks.append(f"{head}\n{c.text}")
    return "\n\n".join(blocks) + "\n"


def caption_file(caption: Caption) -> str:
    return f"social/{caption.post}/{caption.platform}-{caption.kind}.txt"


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _pages(captions: list[Caption], name: str, cap: int):
    """(file name, rows) per platform, split at the scheduler's row cap; threads are left out:
    schedulers take one post per row (threads go to tools that speak them, like Typefully)."""
    for platform in sorted({c.platform for c in captions}):
        rows = [c for c in captions if c.platform == platform and c.kind != "thread"]
        for page, start in enumerate(range(0, len(rows), cap), 1):
            suffix = f"-{page}" if len(rows) > cap else ""
            yield f"captions-{name}-{platform}{suffix}.csv", rows[start : start + cap]


def buffer_files(captions: list[Caption], times: dict[Caption, str]) -> dict[str, bytes]:
    """One file per platform, at most 100 rows each; UTF-8 with BOM so spreadsheets read it right."""
    return {
        name: (
            "\ufeff" + _csv([BUFFER_HEADER, *([c.text, c.image, _tags(c), times.get(c, "")] for c in rows)])
        ).encode()
        for name, rows in _pages(captions, "buffer", BUFFER_MAX_ROWS)
    }


def _tags(caption: Caption) -> str:
    return ",".join(h.lstrip("#") for h in caption.hashtags)


def hootsuite_files(captions: list[Caption], times: dict[Caption, str]) -> dict[str, bytes]:
    """No header: date-time, message, link; at most 350 rows; one file per profile (platform)."""
    return {
        name: _csv([[times.get(c, ""), c.text, c.link] for c in rows]).encode()
        for name, rows in _pages(captions, "hootsuite", HOOTSUITE_MAX_ROWS)
    }
