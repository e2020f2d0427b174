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


def _single(captions: list[Caption]) -> list[Caption]:
    """Schedulers take one post per row: threads go to tools that speak them (Typefully)."""
    return [c for c in captions if c.kind != "thread"]


def buffer_files(captions: list[Caption], times: dict[Caption, str]) -> dict[str, bytes]:
    """One file per platform, at most 100 rows each; UTF-8 with BOM so spreadsheets read it right."""
    files: dict[str, bytes] = {}
    for platform in sorted({c.platform for c in captions}):
        rows = [c for c in _single(captions) if c.platform == platform]
        for page, start in enumerate(range(0, len(rows), BUFFER_MAX_ROWS), 1):
            chunk = rows[start : start + BUFFER_MAX_ROWS]
            body = [
                [c.text, c.image, ",".join(h.lstrip("#") for h in c.hashtags), times.get(c, "")]
                for c in chunk
            ]
            suffix = f"-{page}" if len(rows) > BUFFER_MAX_ROWS else ""
            files[f"captions-buffer-{platform}{suffix}.csv"] = (
                "\ufeff" + _csv([BUFFER_HEADER, *body])
            ).encode()
    return files


def hootsuite_files(captions: list[Caption], times: dict[Caption, str]) -> dict[str, bytes]:
    """No header: date-time, message, link; at most 350 rows; one file per profile (platform)."""
    files: dict[str, bytes] = {}
    for platform in sorted({c.platform for c in captions}):
        rows = [c for c in _single(captions) if c.platform == platform]
        for page, start in enumerate(range(0, len(rows), HOOTSUITE_MAX_ROWS), 1):
            chunk = rows[start : start + HOOTSUITE_MAX_ROWS]
            suffix = f"-{page}" if len(rows) > HOOTSUITE_MAX_ROWS else ""
            body = [[times.get(c, ""), c.text, c.link] for c in chunk]
            files[f"captions-hootsuite-{platform}{suffix}.csv"] = _csv(body).encode()
    return files
