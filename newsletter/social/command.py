"""What `newsletter social` does: choose posts, build captions, export in the asked format."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from .. import cache
from ..build import atomic_write, parallel_map
from ..cache import PostMeta
from ..config import Settings
from ..errors import NewsletterError, Problem, Problems
from ..issue import check_unique_slugs
from . import exports, schedule
from .captions import captions


@dataclass(frozen=True)
class Export:
    stdout: str | None
    written: tuple[str, ...]
    warnings: tuple[Problem, ...]


def _keys(wanted: tuple[str, ...], settings: Settings) -> dict[str, str]:
    """POST arguments are files or slugs: each as the key a post answers to, mapped to what was typed."""
    keys = {}
    for name in wanted:
        path = Path(name)
        keys[settings.relative(path.resolve()) if path.exists() else name] = name
    return keys


def _job(job) -> tuple[list, list]:
    """Parse a chunk of posts and caption the wanted ones, in one worker: posts never cross processes."""
    from ..content import parse

    sources, settings, platforms, kinds, keys = job
    problems = Problems()
    done = []
    for source in sources:
        post = parse(source, settings, problems)
        if post is None:
            continue
        picked = (post.source in keys or post.slug in keys) if keys else not post.draft
        made = captions([post], settings, problems, platforms, kinds) if picked else []
        done.append((PostMeta.of(post), picked, made))
    return done, problems.items


def export(
    settings: Settings, wanted: tuple[str, ...], platforms: tuple[str, ...], kinds: tuple[str, ...],
    fmt: str, out: Path | None, start: dt.date | None = None, now: dt.datetime | None = None,
) -> Export:  # fmt: skip
    """Captions as text or JSON, or scheduler CSVs whose slots start at `start` (default today) and
    are never in the past."""
    problems = Problems()
    workers = os.cpu_count() or 1
    keys = _keys(wanted, settings)
    sources = cache.read_sources(cache.list_sources(settings, problems), settings, problems)
    chunks = [sources[i : i + 25] for i in range(0, len(sources), 25)]
    results = []
    for done, found in parallel_map(_job, [(c, settings, platforms, kinds, keys) for c in chunks], workers):
        results.extend(done)
        problems.extend(found)
    check_unique_slugs([meta for meta, _, _ in results], problems)
    problems.raise_if_errors()
    answered = {k for meta, picked, _ in results if picked for k in (meta.source, meta.slug)}
    missing = [name for key, name in keys.items() if key not in answered]
    if missing:
        raise NewsletterError(
            f"{missing[0]}: no such post (give a file in posts/ or a slug; see 'newsletter list')"
        )
    results.sort(key=lambda r: (r[0].published, r[0].slug))
    posts = [meta for meta, picked, _ in results if picked]
    made = [caption for _, _, found in results for caption in found]
    problems.raise_if_errors()
    if fmt in ("text", "json"):
        data = exports.as_json(made) if fmt == "json" else exports.as_text(made)
        if out is None:
            return Export(data, (), tuple(problems.warnings))
        atomic_write(out, data.encode("utf-8"))
        return Export(None, (str(out),), tuple(problems.warnings))
    now = now or dt.datetime.now(settings.zone)
    published = {meta.slug: meta.published for meta in posts}
    times = schedule.posting_times(made, published, settings, start or now.date(), now)
    files = {} if fmt == "hootsuite" else exports.buffer_files(made, times)
    if fmt != "buffer":
        files |= exports.hootsuite_files(made, times)
    folder = out or Path.cwd()
    for name, data in files.items():
        atomic_write(folder / name, data)
    return Export(None, tuple(str(folder / n) for n in sorted(files)), tuple(problems.warnings))
