"""Orchestrates a build: phase 1 renders in memory, phase 2 writes atomically.

Incremental: posts whose bytes are unchanged are not parsed again, issues whose inputs are unchanged
(and whose files are untouched) are not rendered again. Independent issues render in a process pool.
Heavy modules (Markdown, Jinja, premailer) are imported only when something must be rendered.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import cache
from .cache import Manifest, PostMeta, Source
from .config import Settings
from .errors import Problem, Problems
from .issue import Issue, by_week, check_unique_slugs, from_files, select


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


@dataclass(frozen=True)
class Plan:
    """Phase 1's result: the outputs that must be (re)written, and what they were made from."""

    issues: tuple[Issue, ...]  # every selected issue; rendered ones hold full posts
    posts: tuple  # every post: a Post where parsed, a PostMeta where the cache answered
    outputs: dict[str, bytes]
    warnings: tuple[Problem, ...]
    reused: tuple[str, ...] = ()  # output groups the manifest vouched for
    groups: dict[str, tuple[str, list[str], list[Problem]]] = field(default_factory=dict)


def load(settings: Settings, problems: Problems, files: tuple[Path, ...] = (), workers: int = 1) -> list:
    """Every post parsed (check, send and social use this), or only the named files."""
    sources = cache.read_sources(list(files) or cache.list_sources(settings, problems), settings, problems)
    parsed = _parse(sources, settings, problems, workers)
    posts = sorted(parsed.values(), key=lambda p: (p.published, p.slug))
    check_unique_slugs(posts, problems)
    problems.raise_if_errors()
    return posts


def choose(posts: list, week: str | None, every: bool, files: tuple[Path, ...]) -> list[Issue]:
    return from_files(posts) if files else select(posts, week, every)


def render_email(issue: Issue, settings: Settings, problems: Problems) -> tuple[str, str]:
    """The inlined HTML and the plain-text part, with the size budget checked."""
    from . import checks, inline, render

    html = inline.inline_css(render.email_html(issue, settings))
    checks.email_size(issue, settings, html, problems)
    return html, render.email_text(issue, settings)


def render_issue(issue: Issue, settings: Settings, problems: Problems) -> dict[str, bytes]:
    """Everything one issue folder holds, as bytes keyed by path inside the build folder."""
    from . import mime

    html, text = render_email(issue, settings, problems)
    message = mime.as_bytes(mime.message(issue, settings, html, text))
    social_files = social_outputs(issue, settings, problems)
    files = {"email.html": html.encode("utf-8"), "email.txt": text.encode("utf-8"), "email.eml": message}
    return {f"{issue.week}/{name}": data for name, data in {**files, **social_files}.items()}


def social_outputs(issue: Issue, settings: Settings, problems: Problems) -> dict[str, bytes]:
    """captions.json, captions.md and cards/*.png (scheduler CSVs only from `newsletter social`)."""
    from .social.outputs import outputs

    return outputs(list(issue.posts), settings, problems, issue.week)


# Workers: module-level so a process pool can pickle them; each returns its problems with its result.
def _parse_job(job: tuple[Source, Settings]):
    from .content import parse

    problems = Problems()
    return parse(job[0], job[1], problems), problems.items


def _render_job(job: tuple[Issue, Settings]):
    problems = Problems()
    return render_issue(job[0], job[1], problems), problems.items


def parallel_map(function, jobs: list, workers: int, least: int = 2) -> list:
    """In this process for small work (a pool costs ~100 ms to start); else forked workers on every core."""
    if workers <= 1 or len(jobs) < least:
        return [function(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        return list(pool.map(function, jobs, chunksize=max(1, len(jobs) // (workers * 4))))


def _parse(sources: list[Source], settings: Settings, problems: Problems, workers: int) -> dict[str, object]:
    parsed = {}
    for source, (post, found) in zip(
        sources, parallel_map(_parse_job, [(s, settings) for s in sources], workers, least=40), strict=True
    ):
        problems.extend(found)
        if post is not None:
            parsed[source.source] = post
    return parsed


def plan(
    settings: Settings,
    week: str | None = None,
    every: bool = False,
    files: tuple[Path, ...] = (),
    strict: bool = False,
    workers: int = 1,
    manifest: Manifest | None = None,
) -> Plan:
    """Phase 1: read, validate and render what changed; raise once with every problem."""
    problems = Problems(strict=strict)
    # The caller's manifest already holds the fingerprint: templates are read once per build.
    manifest = manifest or Manifest(settings.build_dir, cache.fingerprint(settings))
    fp = manifest.fp
    sources = cache.read_sources(list(files) or cache.list_sources(settings, problems), settings, problems)
    by_source = {s.source: s for s in sources}
    posts, parsed = _posts(sources, settings, problems, manifest, workers)
    problems.raise_if_errors()
    issues = choose(posts, week, every, files)
    groups: dict[str, tuple[str, list[str], list[Problem]]] = {}
    todo, reused = [], []
    for issue in issues:
        issue_key = cache.key(fp, issue.week, *sorted(by_source[p.source].digest for p in issue.posts))
        if (warnings := manifest.fresh(issue.week, issue_key)) is not None:
            reused.append(issue.week)
            problems.extend(warnings)
        else:
            todo.append((issue, issue_key))
    missing = [by_source[p.source] for i, _ in todo for p in i.posts if p.source not in parsed]
    parsed.update(_parse(missing, settings, problems, workers))
    full = [Issue(i.week, tuple(parsed[p.source] for p in i.posts)) for i, _ in todo]
    outputs: dict[str, bytes] = {}
    for (issue, issue_key), (made, found) in zip(
        todo,
        parallel_map(_render_job, [(i, settings) for i in full], workers),
        strict=True,
    ):
        outputs.update(made)
        problems.extend(found)
        groups[issue.week] = (issue_key, sorted(made), [p for p in found if p.severity == "warning"])
    if not files:  # an issue of hand-picked posts leaves the archive page of the whole site alone
        _index(settings, fp, posts, by_source, manifest, outputs, groups, reused)
    problems.raise_if_errors()
    shown = [parsed.get(p.source, p) for p in posts]
    rendered = {i.week: i for i in full}
    return Plan(tuple(rendered.get(i.week, i) for i in issues), tuple(shown), outputs, tuple(problems.warnings),
                tuple(reused), groups)  # fmt: skip


def _posts(sources, settings, problems, manifest, workers) -> tuple[list, dict]:
    """Metadata for every post: from the manifest when its bytes are unchanged, else by parsing it."""
    from_cache: dict[str, PostMeta] = {}
    stale = []
    for source in sources:
        if (hit := manifest.post(source.source, source.digest)) is not None:
            from_cache[source.source] = hit[0]
            problems.extend(hit[1])
        else:
            stale.append(source)
    before = len(problems.items)
    parsed = _parse(stale, settings, problems, workers)
    for source in stale:
        if source.source in parsed:
            post = parsed[source.source]
            own = [p for p in problems.items[before:] if p.where == source.source and p.severity == "warning"]
            manifest.remember_post(PostMeta.of(post), source.digest, own)
    posts = [parsed.get(s.source) or from_cache.get(s.source) for s in sources]
    posts = sorted((p for p in posts if p is not None), key=lambda p: (p.published, p.slug))
    check_unique_slugs(posts, problems)
    manifest.forget({s.source for s in sources})
    return posts, parsed


def _index(settings, fp, posts, by_source, manifest, outputs, groups, reused) -> None:
    index_key = cache.key(fp, "index", *sorted(f"{p.source}:{by_source[p.source].digest}" for p in posts))
    if manifest.fresh("index", index_key) is not None:
        reused.append("index")
        return
    from . import render

    outputs["index.html"] = render.index_html(settings, by_week(posts)).encode("utf-8")
    groups["index"] = (index_key, ["index.html"], [])


def build(
    settings: Settings,
    week: str | None = None,
    every: bool = False,
    files: tuple[Path, ...] = (),
    out: Path | None = None,
    strict: bool = False,
    workers: int = 0,
    use_cache: bool = True,
) -> Result:
    started = time.perf_counter()
    out = (out or settings.build_dir).resolve()
    workers = workers or os.cpu_count() or 1
    fp = cache.fingerprint(settings)
    manifest = Manifest.load(out, fp) if use_cache else Manifest(out, fp)
    made = plan(settings, week, every, files, strict, workers, manifest)
    owned = {name for name in made.groups if name != "index"}
    written, unchanged, removed = write(out, made.outputs, owned)
    unchanged += sum(len(manifest.entries[name]["files"]) for name in made.reused)
    for name, (group_key, names, warnings) in made.groups.items():
        manifest.remember(name, group_key, names, warnings)
    if use_cache:
        _save(out, manifest)
    return Result(
        out, tuple(i.week for i in made.issues), sum(len(i.posts) for i in made.issues), written, unchanged,
        removed, made.warnings, time.perf_counter() - started,
    )  # fmt: skip


def _save(out: Path, manifest: Manifest) -> None:
    data = manifest.dumps()
    target = out / cache.MANIFEST
    if not (target.is_file() and target.read_bytes() == data):
        atomic_write(target, data)


def write(
    out: Path, outputs: dict[str, bytes], owned: set[str]
) -> tuple[tuple[str, ...], int, tuple[str, ...]]:
    """Phase 2: each changed file replaced atomically (several at once: the time is in the kernel);
    unchanged files keep their mtime."""
    from .errors import NewsletterError

    def one(name: str) -> bool:
        target = out / name
        try:
            if target.parent not in created and _same(target, outputs[name]):
                return False
            atomic_write(target, outputs[name])
            return True
        except OSError as exc:
            raise NewsletterError(
                f"{target}: cannot write: {exc.strerror}; check the folder's permissions "
                "(files written before this one are complete, the rest are unchanged)"
            ) from None

    names = sorted(outputs)
    # A folder this build creates holds no old files: nothing to compare, one stat saved per file.
    created = {folder for folder in sorted({(out / n).parent for n in names}) if _mkdir(folder)}
    with ThreadPoolExecutor(max_workers=4) as threads:
        changed = list(threads.map(one, names))
    written = tuple(n for n, c in zip(names, changed, strict=True) if c)
    try:
        removed = _remove_stale(out, outputs, owned)
    except OSError as exc:
        raise NewsletterError(f"{exc.filename}: cannot remove: {exc.strerror}") from None
    return written, len(names) - len(written), removed


def _same(target: Path, data: bytes) -> bool:
    try:
        return target.stat().st_size == len(data) and target.read_bytes() == data
    except FileNotFoundError:
        return False


def _mkdir(folder: Path) -> bool:
    """Make the folder; True when it did not exist before."""
    from .errors import NewsletterError

    if folder.is_dir():
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NewsletterError(
            f"{folder}: cannot write: {exc.strerror}; check the folder's permissions"
        ) from None
    return True


def atomic_write(target: Path, data: bytes) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
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
