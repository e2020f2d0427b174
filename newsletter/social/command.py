"""What `newsletter social` does: choose posts, build captions, export in the asked format."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from newsletter.content import frontmatter
from newsletter.content.issue import Selection, resolve_posts, week_of
from newsletter.content.posts import Library, PostMeta
from newsletter.content.reader import social_path
from newsletter.content.settings import Settings
from newsletter.content.socialfile import KINDS
from newsletter.errors import NewsletterError, Problem, Problems
from newsletter.run import store
from newsletter.run.context import SOCIAL, Run
from newsletter.run.plan import gather
from newsletter.run.pool import parallel_map
from newsletter.run.store import Manifest, NoStore
from newsletter.run.writer import atomic_write, check_export, write_new
from newsletter.social import exports, schedule
from newsletter.social.counting import rules
from newsletter.social.editfile import starting_point


@dataclass(frozen=True)
class Export:
    stdout: str | None
    written: tuple[str, ...]
    warnings: tuple[Problem, ...]


def _chosen(library: Library, wanted: tuple[str, ...], settings: Settings) -> list[PostMeta]:
    """The posts named (files or slugs), else every published post. A draft named is an error: its
    captions would go out before the article does."""
    if not wanted:
        return [m for m in library.metas if not m.draft]
    named = resolve_posts(settings, wanted, library.metas)
    metas = [m for m in library.metas if m.source in named]
    problems = Problems()
    for meta in metas:
        if meta.draft:
            problems.error(meta.source, _draft_line(settings, meta),
                           "is a draft; set 'draft: false' when it is published, then export its captions",
                           "draft")  # fmt: skip
    problems.raise_if_errors()
    return metas


_NEEDS = {
    "benefits": "a benefits caption needs a list of which at least three items (or all of a shorter list) fit "
    "the platform",
    "quote": "a quote caption needs a quotation of six words or more",
}


def _none_made(platforms: tuple[str, ...], kinds: tuple[str, ...]) -> str:
    asked = f"{'/'.join(kinds) or 'any'} caption for {'/'.join(platforms) or 'any platform'}"
    needs = "; ".join(_NEEDS[k] for k in kinds or _NEEDS if k in _NEEDS)
    fix = "write one in the post's social file (newsletter social --edit POST)"
    return f"no {asked}{': ' + needs if needs else ''}; {fix}"


def _kept(
    run: Run, library: Library, metas: list[PostMeta], platforms: tuple[str, ...], kinds: tuple[str, ...],
    encode: bool,
) -> dict[str, list]:  # fmt: skip
    """Per post (source) the last build kept captions for: its captions of those asked, in the order
    `captions` makes them (for JSON, as their JSON texts)."""
    kept = run.store.kept()
    if kept is None:
        return {}
    order = {p: n for n, p in enumerate(platforms or rules(run.settings.mastodon_max_characters))}
    kind_order = {k: n for n, k in enumerate(kinds or KINDS)}
    found: dict[str, list] = {}
    for meta in metas:
        entry = kept.get(store.caption_key(run.store.fp, library, meta, week_of(meta)))
        if entry is None:
            continue
        try:
            made: tuple = entry.checked_items(meta.slug) if encode else entry.captions(meta.slug)
        except (ValueError, TypeError, KeyError):  # not its captions (UnicodeDecodeError too): made again
            continue
        heads = entry.heads
        chosen = sorted(
            (n for n, (p, k) in enumerate(heads) if p in order and k in kind_order),
            key=lambda n: (order[heads[n][0]], kind_order[heads[n][1]]),
        )
        found[meta.source] = [made[n] for n in chosen]
    return found


def _draft_line(settings: Settings, post: PostMeta) -> int:
    """The front matter's `draft:` line, as the loader's own parser places its keys (0 when the file no
    longer says it): read again only for this error, since a loaded post keeps no key lines."""
    text = (settings.root / post.source).read_text(encoding="utf-8", errors="replace")
    doc = frontmatter.split(text, post.source, Problems())
    return doc.lines.get("draft", 0) if doc is not None else 0


def _job(
    state: tuple, job: tuple[int, int, tuple[str, ...], tuple[str, ...], bool]
) -> tuple[dict[str, list], list[Problem]]:
    """Captions for a chunk of posts, in whichever process runs it. The renderer and the posts come
    with the pool (inherited when the workers fork, never pickled): a job names its posts by position.
    For JSON the worker hands back each caption's JSON (UTF-8) instead of the caption."""
    from newsletter.social.captions import captions  # only for posts the last build did not caption

    renderer, posts = state
    start, end, platforms, kinds, encode = job
    problems = Problems()
    made = captions(list(posts[start:end]), renderer, problems, platforms, kinds)
    by_post: dict[str, list] = {}  # slugs are unique (the loader made sure)
    items = exports.json_items(made) if encode else made
    for caption, item in zip(made, items, strict=True):
        by_post.setdefault(caption.post, []).append(item)
    return by_post, problems.items


def export(
    settings: Settings, wanted: tuple[str, ...], platforms: tuple[str, ...], kinds: tuple[str, ...],
    fmt: str, out: Path | None, start: dt.date | None, now: dt.datetime,
) -> Export:  # fmt: skip
    """Captions as text or JSON, or scheduler CSVs whose slots start at `start` (default the day of
    `now`) and are never before `now`. The posts come from the plan's one load (`gather`); captions
    need no issue, so no issue is rendered. What the last build made is taken from build/ (its
    manifest for the posts it read, its kept captions for the posts unchanged since): only the rest
    is parsed and captioned here."""
    if out is not None:
        check_export(out, settings)
    platforms, kinds = tuple(dict.fromkeys(platforms)), tuple(dict.fromkeys(kinds))  # asked twice: once
    problems = Problems()
    fp = store.fingerprint(settings)
    last = Manifest.load(settings.build_dir, fp) if not settings.build_dir.is_symlink() else NoStore(fp)
    run = Run(settings, now, SOCIAL, last, workers=os.cpu_count() or 1)
    library = gather(run, Selection(files=wanted), problems)
    problems.raise_if_errors()
    metas = _chosen(library, wanted, settings)
    found = _kept(run, library, metas, platforms, kinds, fmt == "json")
    missing = [m for m in metas if m.source not in found]
    posts = library.full(missing, settings, problems, run.workers) if missing else ()
    chunks = [(i, i + 25, platforms, kinds, fmt == "json") for i in range(0, len(posts), 25)]
    made_of: dict[str, list] = {m.slug: items for m in metas if (items := found.get(m.source))}
    # per post: its captions; for JSON, each already as its JSON (UTF-8)
    state = (run.renderer(), posts) if posts else None
    for by_post, found_problems in parallel_map(_job, chunks, run.workers, state=state):
        made_of.update(by_post)
        problems.extend(found_problems)
    problems.raise_if_errors()
    made = [c for m in metas for c in made_of.get(m.slug, ())]
    said = set(made_of)  # the posts that have a caption of those asked
    for meta in metas if wanted else ():  # a post asked for by name never gets an empty answer unexplained
        if meta.slug not in said:
            problems.warn(meta.source, 0, _none_made(platforms, kinds), "caption-none")
    if fmt in ("text", "json"):
        data = exports.json_document(made) if fmt == "json" else exports.as_text(made).encode("utf-8")
        if out is None:
            return Export(data.decode("utf-8"), (), tuple(problems.warnings))
        if out.is_dir():
            raise NewsletterError(f"--out {out}: is a folder; --format {fmt} writes one file: give its name, "
                                  f"such as {out / ('captions.json' if fmt == 'json' else 'captions.txt')}")  # fmt: skip
        _write(out, data)
        return Export(None, (str(out),), tuple(problems.warnings))
    if not made:  # nothing to schedule: the warnings say why
        return Export(None, (), tuple(problems.warnings))
    if all(c.kind == "thread" for c in made):
        raise NewsletterError(
            f"--format {fmt}: schedulers take one post a row, so threads are not exported to them; "
            "choose other --kind values, or --format text or json for threads"
        )
    published = {meta.slug: meta.published for meta in metas}
    times = schedule.posting_times(made, published, settings, start or now.date(), now)
    files = {} if fmt == "hootsuite" else exports.buffer_files(made, times, settings)
    if fmt != "buffer":
        files |= exports.hootsuite_files(made, times, settings)
    folder = out or Path.cwd()
    if folder.exists() and not folder.is_dir():
        raise NewsletterError(f"--out {folder}: is a file; --format {fmt} writes its files into a folder")
    for name, content in files.items():
        _write(folder / name, content)
    return Export(None, tuple(str(folder / n) for n in sorted(files)), tuple(problems.warnings))


def edit(
    settings: Settings, wanted: str, platforms: tuple[str, ...], kinds: tuple[str, ...], now: dt.datetime
) -> Path:
    """`social --edit POST`: the post's social file, written with the captions the build makes now (of
    the platforms and kinds asked), as a starting point; never over one that exists. A draft may have
    one: its captions are prepared before it is published."""
    platforms, kinds = tuple(dict.fromkeys(platforms)), tuple(dict.fromkeys(kinds))
    problems = Problems()
    run = Run(settings, now, SOCIAL)
    library = gather(run, Selection(files=(wanted,)), problems)
    problems.raise_if_errors()
    named = resolve_posts(settings, (wanted,), library.metas)
    post = next(p for p in library.posts if p.source in named)
    target = social_path(settings.root / post.source)
    exists = _exists(target, settings, post.slug)
    if exists:
        raise NewsletterError(exists)
    from newsletter.social.captions import article, of_articles, thread_posts

    renderer = run.renderer()
    base = article(post, settings)
    made = of_articles([base], renderer, problems, platforms, kinds)
    problems.raise_if_errors()
    table = rules(settings.mastodon_max_characters)
    chosen = [table[p] for p in platforms or table]
    threads = {
        c.platform: thread_posts(base, table[c.platform], renderer) for c in made if c.kind == "thread"
    }
    text = starting_point(post.title, post.source, made, threads, chosen, kinds or KINDS)
    try:
        write_new(target, text.encode("utf-8"))
    except FileExistsError:  # made since it was looked for
        raise NewsletterError(_exists(target, settings, post.slug)) from None
    except OSError as exc:
        raise NewsletterError(f"{settings.relative(target)}: cannot write: {exc.strerror}; check the "
                              "posts folder's permissions") from None  # fmt: skip
    return target


def _exists(target: Path, settings: Settings, slug: str) -> str:
    if not os.path.lexists(target):
        return ""
    shown = settings.relative(target)
    return (f"{shown}: already exists, and --edit never overwrites it (it holds the captions as edited): "
            f"edit it, or delete it and run 'newsletter social --edit {slug}' again to start over from "
            "the captions the article gives")  # fmt: skip


def _write(target: Path, data: bytes) -> None:
    try:
        atomic_write(target, data)
    except OSError as exc:
        raise NewsletterError(
            f"{target}: cannot write: {exc.strerror}; choose another --out (a folder you can write to)"
        ) from None
