"""`newsletter build`: the plan (phase 1), then the writer (phase 2), then the manifest for next time.

Incremental: posts whose bytes are unchanged are not parsed again, issues whose inputs are unchanged
(and whose files are untouched) are not rendered again. Heavy modules (Markdown, Jinja, premailer)
are imported only when something must be rendered.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

from newsletter.content.issue import LATEST, Selection, week_of
from newsletter.content.settings import Settings
from newsletter.errors import NewsletterError, Problem
from newsletter.run import memo, store, writer
from newsletter.run.context import BUILD, Progress, Run
from newsletter.run.plan import Plan, StagedIssue, plan
from newsletter.run.store import Manifest, OutputEntry


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


def build(
    settings: Settings,
    now: dt.datetime,
    selection: Selection = LATEST,
    out: Path | None = None,
    strict: bool = False,
    workers: int = 0,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> Result:
    started = time.perf_counter()
    # before anything is written or removed; hand-picked posts never replace the week's issue
    out = writer.check_out(out, settings, selected=bool(selection.files))
    workers = workers or os.cpu_count() or 1
    fp = store.fingerprint(settings)
    # --no-cache: a cold run (an empty manifest vouches for nothing), still saved for the next build
    manifest = Manifest.load(out, fp) if use_cache else Manifest(out, fp)
    # One build at a time writes into a folder. Workers write each issue's folder aside as they finish
    # it; the folders are swapped in only once phase 1 found nothing wrong, else build/ stays as it was.
    existed = out.exists()
    try:
        with writer.locked(out):
            root = writer.staging_root(out)
            try:
                run = Run(
                    settings,
                    now,
                    BUILD,
                    manifest,
                    workers,
                    strict,
                    progress,
                    writer.Stager(out, root),
                    bytecode=use_cache,
                )
                # premailer's parse of the template's stylesheet, as the last build made it
                run.memo.table(memo.KEPT_STYLESHEETS).update(manifest.stylesheets)
                made = plan(run, selection)
                manifest.keep_stylesheets(run.memo.table(memo.STYLESHEETS))
                written, unchanged, removed = _write(out, root, made, manifest, selection.every)
                # Not for hand-picked posts: they keep none, and their library holds only those
                # posts, so every other post's kept captions would be removed as unknown.
                if made.rendered and not selection.files:
                    writer.keep_captions(out, root, _caption_keys(made, manifest.fp))
                if not selection.drafts:
                    removed += _unpublish_drafts(out, made, manifest)
                _save(out, manifest, made, removed)
            finally:
                writer.discard(root)  # the old folders swapped out, or everything staged by a failed build
    except BaseException:
        if not existed:  # a failed first build leaves no build/ behind (only the lock file was made)
            writer.unmake_folder(out)
        raise
    return Result(
        out, tuple(w.week for w in made.weeks), sum(len(w.posts) for w in made.weeks), written, unchanged,
        removed, made.warnings, time.perf_counter() - started,
    )  # fmt: skip


def _write(
    out: Path, root: Path, made: Plan, manifest: Manifest, every: bool
) -> tuple[tuple[str, ...], int, tuple[str, ...]]:
    written: list[str] = []
    removed: list[str] = []
    unchanged = sum(manifest.count(name) for name in made.reused)
    for outputs in _staged(made):
        result = writer.commit(out, root, outputs.staged)
        written += result.written
        removed += result.removed
        unchanged += result.unchanged
    site = {"index.html": made.index, "feed.xml": made.feed}
    for name, data in site.items():
        if data is None:
            continue
        if writer.write_file(out, name, data):
            written.append(name)
        else:
            unchanged += 1
    if every:  # the whole site was planned: a week that no longer has posts loses its folder
        weeks = {w.week for w in made.weeks}
        for week in writer.week_folders(out):
            if week not in weeks:
                removed += writer.remove_issue(out, week)
                manifest.forget(week)
    return tuple(written), unchanged, tuple(removed)


def _holds(target: Path, data: bytes) -> bool:
    try:
        return store.read_regular(target) == data
    except OSError:  # missing, a link, not a file
        return False


def _caption_keys(made: Plan, fp: str) -> frozenset[str]:
    """The kept captions still of use: each published post's, for its own week."""
    return frozenset(store.caption_key(fp, made.library, m, week_of(m)) for m in made.posts if not m.draft)


def _staged(made: Plan) -> tuple[StagedIssue, ...]:
    staged = tuple(r for r in made.rendered if isinstance(r, StagedIssue))
    assert len(staged) == len(made.rendered)  # the plan was made with a stager and found no error
    return staged


def _unpublish_drafts(out: Path, made: Plan, manifest: Manifest) -> tuple[str, ...]:
    """A build without --drafts leaves no issue folder that a --drafts build made with drafts in it:
    build/ is what gets published. Such a folder is rendered again when its week is built, else
    removed (`build --week` or `--all` brings a week that has published posts back)."""
    rendered = {o.week for o in _staged(made)}
    removed: tuple[str, ...] = ()
    for week in writer.week_folders(out):
        entry = manifest.entries.get(week)
        if entry is not None and entry.drafts and week not in rendered:
            removed += writer.remove_issue(out, week)
            manifest.forget(week)
    return removed


def _save(out: Path, manifest: Manifest, made: Plan, removed: tuple[str, ...] = ()) -> None:
    if not (made.rendered or made.index is not None or removed) and manifest.holds(made.library):
        return  # nothing new: the manifest on disk already says all of it (an archive's no-op build)
    manifest.remember_posts(made.library)
    for outputs in _staged(made):
        warnings = tuple(p for p in outputs.findings if not p.is_error)
        count = len(outputs.staged.names)
        entry = OutputEntry(outputs.key, count, "", warnings, outputs.cards, outputs.links, outputs.drafts)
        manifest.remember(outputs.week, entry)
    if made.index is not None:
        count = 1 + (made.feed is not None)
        manifest.remember("index", OutputEntry(made.index_key, count, ""))
    data = manifest.dumps()
    target = out / store.MANIFEST
    try:
        if not _holds(target, data):
            writer.atomic_write(target, data)  # a link there is replaced, never written through
    except OSError as exc:
        raise NewsletterError(
            f"{target}: cannot save the build manifest: {exc.strerror}; the outputs are complete, "
            "the next build starts cold"
        ) from None
