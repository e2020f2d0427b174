"""What `newsletter social` does: choose posts, build captions, export in the asked format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..build import atomic_write
from ..config import Settings
from ..content import Post, load_posts
from ..errors import NewsletterError, Problem, Problems
from . import exports, schedule
from .captions import captions


@dataclass(frozen=True)
class Export:
    stdout: str | None
    written: tuple[str, ...]
    warnings: tuple[Problem, ...]


def choose(posts: list[Post], wanted: tuple[str, ...], settings: Settings) -> list[Post]:
    """POST arguments are files or slugs; none means every published post."""
    if not wanted:
        return [p for p in posts if not p.draft]
    by_key = {p.slug: p for p in posts} | {p.source: p for p in posts}
    chosen, missing = [], []
    for name in wanted:
        path = Path(name)
        key = settings.relative(path.resolve()) if path.exists() else name
        (chosen.append(by_key[key]) if key in by_key else missing.append(name))
    if missing:
        raise NewsletterError(
            f"{missing[0]}: no such post (give a file in posts/ or a slug; see 'newsletter list')"
        )
    return chosen


def export(
    settings: Settings, wanted: tuple[str, ...], platforms: tuple[str, ...], kinds: tuple[str, ...],
    fmt: str, out: Path | None,
) -> Export:  # fmt: skip
    problems = Problems()
    posts = choose(load_posts(settings, problems), wanted, settings)
    problems.raise_if_errors()
    made = captions(posts, settings, problems, platforms, kinds)
    problems.raise_if_errors()
    if fmt in ("text", "json"):
        data = exports.as_json(made) if fmt == "json" else exports.as_text(made)
        if out is None:
            return Export(data, (), tuple(problems.warnings))
        atomic_write(out, data.encode("utf-8"))
        return Export(None, (str(out),), tuple(problems.warnings))
    times = schedule.posting_times(made, posts, settings)
    files = {} if fmt == "hootsuite" else exports.buffer_files(made, times)
    if fmt != "buffer":
        files |= exports.hootsuite_files(made, times)
    folder = out or Path.cwd()
    for name, data in files.items():
        atomic_write(folder / name, data)
    return Export(None, tuple(str(folder / n) for n in sorted(files)), tuple(problems.warnings))
