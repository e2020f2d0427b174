"""Orchestrates a build: phase 1 renders everything in memory, phase 2 writes atomically."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import checks, content, inline, mime, render
from .config import Settings
from .content import Post
from .errors import NewsletterError, Problem, Problems
from .issue import Issue, by_week, from_files, select
from .social import captions as social
from .social import exports, schedule


@dataclass(frozen=True)
class Result:
    out: Path
    issues: tuple[str, ...]
    posts: int
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]
    warnings: tuple[Problem, ...]
    seconds: float


def load(settings: Settings, problems: Problems, files: tuple[Path, ...] = ()) -> list[Post]:
    """Every post (the archive index needs them all), or only the named files."""
    posts = content.load_posts(settings, problems, list(files) if files else None)
    problems.raise_if_errors()
    return posts


def choose(posts: list[Post], week: str | None, every: bool, files: tuple[Path, ...]) -> list[Issue]:
    return from_files(posts) if files else select(posts, week, every)


def render_email(issue: Issue, settings: Settings, problems: Problems) -> tuple[str, str]:
    """The inlined HTML and the plain-text part, with the size budget checked."""
    html = inline.inline_css(render.email_html(issue, settings))
    checks.email_size(issue, settings, html, problems)
    return html, render.email_text(issue, settings)


def render_issue(issue: Issue, settings: Settings, problems: Problems) -> dict[str, bytes]:
    """Everything one issue folder holds, as bytes keyed by path inside the build folder."""
    html, text = render_email(issue, settings, problems)
    message = mime.as_bytes(mime.message(issue, settings, html, text))
    captions = social.captions(list(issue.posts), settings, problems)
    times = schedule.posting_times(captions, list(issue.posts), settings)
    files = {
        "email.html": html.encode("utf-8"),
        "email.txt": text.encode("utf-8"),
        "email.eml": message,
        "captions.json": exports.as_json(captions).encode("utf-8"),
        **exports.buffer_files(captions, times),
        **exports.hootsuite_files(captions, times),
        **{exports.caption_file(c): (c.text + "\n").encode("utf-8") for c in captions},
    }
    return {f"{issue.week}/{name}": data for name, data in files.items()}


@dataclass(frozen=True)
class Plan:
    """Phase 1's result: every output in memory, and what it was made from."""

    issues: tuple[Issue, ...]
    posts: tuple[Post, ...]
    outputs: dict[str, bytes]
    warnings: tuple[Problem, ...]


def plan(
    settings: Settings,
    week: str | None = None,
    every: bool = False,
    files: tuple[Path, ...] = (),
    strict: bool = False,
) -> Plan:
    """Phase 1: read, validate and render everything; raise once with every problem."""
    problems = Problems(strict=strict)
    posts = load(settings, problems, files)
    issues = choose(posts, week, every, files)
    outputs: dict[str, bytes] = {}
    for issue in issues:
        outputs.update(render_issue(issue, settings, problems))
    outputs["index.html"] = render.index_html(settings, by_week(posts)).encode("utf-8")
    problems.raise_if_errors()
    return Plan(tuple(issues), tuple(posts), outputs, tuple(problems.warnings))


def build(
    settings: Settings,
    week: str | None = None,
    every: bool = False,
    files: tuple[Path, ...] = (),
    out: Path | None = None,
    strict: bool = False,
) -> Result:
    started = time.perf_counter()
    out = (out or settings.build_dir).resolve()
    made = plan(settings, week, every, files, strict)
    written, unchanged, removed = write(out, made.outputs, {i.week for i in made.issues})
    return Result(
        out, tuple(i.week for i in made.issues), sum(len(i.posts) for i in made.issues), written, unchanged,
        removed, made.warnings, time.perf_counter() - started,
    )  # fmt: skip


def write(
    out: Path, outputs: dict[str, bytes], owned: set[str]
) -> tuple[tuple[str, ...], int, tuple[str, ...]]:
    """Phase 2: each changed file replaced atomically; unchanged files keep their mtime."""
    written, unchanged, target = [], 0, out
    try:
        for name in sorted(outputs):
            target = out / name
            if target.is_file() and target.read_bytes() == outputs[name]:
                unchanged += 1
                continue
            atomic_write(target, outputs[name])
            written.append(name)
        removed = _remove_stale(out, outputs, owned)
    except OSError as exc:
        # Name the output being replaced, not the temp file the OS refused.
        where = exc.filename if target == out else target
        raise NewsletterError(
            f"{where}: cannot write: {exc.strerror}; check the folder's permissions "
            "(files written before this one are complete, the rest are unchanged)"
        ) from None
    return tuple(written), unchanged, removed


def atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _remove_stale(out: Path, outputs: dict[str, bytes], owned: set[str]) -> tuple[str, ...]:
    """Files an earlier build left in a rebuilt issue folder (a deleted post's captions) go."""
    removed = []
    for week in sorted(owned):
        folder = out / week
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(out).as_posix()
            if name not in outputs:
                path.unlink()
                removed.append(name)
    return tuple(removed)
