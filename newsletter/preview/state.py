"""The preview's state: the build it serves, swapped whole on every rebuild.

The preview keeps one run (and its in-memory store) between rebuilds: a saved post re-renders its issue
and the archive page, a template or setting change starts a new run that renders everything. Unchanged
post files are stat'ed, not read; image cards are drawn when the browser first asks for one, not by the
rebuild. Each rebuild is swapped in as one immutable Snapshot, so a request sees the complete old build
or the complete new one. A failed rebuild keeps the last good build and shows the error.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

from newsletter.content.issue import Selection
from newsletter.content.settings import Settings, load_settings
from newsletter.errors import SHOWN_WARNINGS, InputError, NewsletterError, Problem, Problems, plural
from newsletter.run import store
from newsletter.run.context import PREVIEW, PREVIEW_EMAIL, Run
from newsletter.run.memo import Memo

if TYPE_CHECKING:
    from newsletter.content.posts import PostMeta
    from newsletter.email.render import Renderer
    from newsletter.run.plan import IssueOutputs
    from newsletter.social.outputs import LazyCard

Report = Callable[[str, bool], None]  # (message, is_error): the CLI decides how to print
FIRST_PAINT_WEEKS = 3  # newest weeks tried for the first paint before the whole archive is built
CAPTIONS_PAUSE = 0.2  # seconds between a save's email step and its captions step (see Preview._next)


@dataclass(frozen=True)
class Snapshot:
    generation: int = 0
    settings: Settings | None = None
    files: Mapping[str, bytes | LazyCard] = field(default_factory=dict)  # the build, by path inside build/
    issues: Mapping[str, IssueOutputs] = field(default_factory=dict)  # week -> its rendered issue
    posts: tuple[PostMeta, ...] = ()  # every post, in order
    renderer: Renderer | None = None  # the run's renderer, for the preview's own pages
    error: str = ""  # the last rebuild's error; "" when it succeeded
    warnings: tuple[Problem, ...] = ()
    memo: Memo | None = None  # the run's memo: lazy cards are drawn under it (run/memo.py)
    pages: int = 0  # the generation that last changed the issue pages (a save's captions step does not)
    whole: int = 0  # the generation that last finished a save (its email step does not): other pages


class BuildFiles(Mapping[str, "bytes | LazyCard"]):
    """The build by path inside build/ ('index.html', '2026-W42/email.html'), read through to each
    issue's own files: a rebuild swaps in the issues it rendered instead of copying every path of the
    archive into a new dict. Card values may be LazyCard (drawn when first served)."""

    def __init__(self, top: Mapping[str, bytes | LazyCard], issues: Mapping[str, IssueOutputs]):
        self._top, self._issues = top, issues

    def __getitem__(self, name: str):
        week, slash, rest = name.partition("/")
        if slash and week in self._issues:
            return self._issues[week].files[rest]
        return self._top[name]

    def __iter__(self):
        yield from self._top
        for week, outputs in self._issues.items():
            yield from (f"{week}/{name}" for name in outputs.files)

    def __len__(self) -> int:
        return len(self._top) + sum(len(outputs.files) for outputs in self._issues.values())


def _summary(snap: Snapshot) -> str:
    """One line per rebuild, then the worst few warnings (hundreds would bury the terminal)."""
    from newsletter.check.rules import worst_first

    count = len(snap.warnings)
    lines = [
        f"Rebuilt {plural(len(snap.issues), 'issue')}, {len(snap.files)} files, {plural(count, 'warning')}"
    ]
    lines += [str(w) for w in worst_first(snap.warnings)[:SHOWN_WARNINGS]]
    if count > SHOWN_WARNINGS:
        lines.append(
            f"… and {count - SHOWN_WARNINGS} more: see the preview's home page or run `newsletter check`"  # the home page lists them all
        )
    return "\n".join(lines)


def with_social(run: Run, outputs: IssueOutputs, window, found: list[Problem]) -> IssueOutputs:
    """An issue rendered without its captions, completed: captions, captions.json/md and lazy cards
    (`window`: plan.cards_window); what making them found is added to `found`."""
    from newsletter.run.plan import social_part

    part = social_part(run, outputs.issue, window)
    found.extend(part.problems)
    return replace(outputs, captions=part.captions, files={**outputs.files, **part.files},
                   findings=outputs.findings + part.problems, cards=part.cards)  # fmt: skip


class _LatestFiles:
    """The preview's store for its first paint: it reads only the post files whose names date them in
    the latest week (YYYY-MM-DD-slug.md), so a large archive's latest issue is served in a second or two
    instead of after every post is parsed. A post whose front matter dates it elsewhere, and the link
    warnings that need every post, are right in the full build that follows at once."""

    def __init__(self, skip: frozenset[tuple[int, int]] = frozenset()):
        self._store: store.Store = store.NoStore()  # the run's, set by Preview._next
        self.skip = skip  # weeks (ISO year, week) whose first paint failed: the one before them is tried
        self.week: tuple[int, int] | None = None  # the week read; None: every file was
        self.partial = False  # some post files were left for the full build

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def read(self, paths: list[Path], settings: Settings, problems) -> list:
        from newsletter.content.posts import file_date

        weeks = {path: (d.isocalendar()[:2] if (d := file_date(path)) else None) for path in paths}
        latest = max((w for w in weeks.values() if w is not None and w not in self.skip), default=None)
        self.week = latest
        chosen = [path for path, week in weeks.items() if week == latest] if latest else paths
        self.partial = len(chosen) < len(paths)
        return self._store.read(chosen, settings, problems)


def _shown_weeks(library, drafts: bool) -> set[str]:
    """The weeks the preview shows: every week with a published post (a draft too with --drafts)."""
    from newsletter.content.issue import week_of

    return {w for m in library.metas if (drafts or not m.draft) and (w := week_of(m)) is not None}


class Preview:
    """The current build and its rebuilds; thread-safe swaps, waiters woken on every change."""

    def __init__(self, root: Path, report: Report, drafts: bool = False):
        self.root = root
        self.report = report
        self.drafts = drafts
        self.snapshot = Snapshot()
        self.changed = threading.Condition()
        self._rebuilding = threading.Lock()
        self._run: Run | None = None  # kept across saves while templates and settings are unchanged
        self.complete = False  # the snapshot holds every week the preview shows

    def rebuild(self, latest_first: bool = False) -> Snapshot:
        """The next build, swapped in. `latest_first` (the preview's start): only the latest issue, so
        its pages are served at once; then `rebuild()` makes the rest while they are."""
        with self._rebuilding:
            old = self.snapshot
            done = False
            try:
                new = self._first_paint(old) if latest_first else self._next(old)
                done = True
            except NewsletterError as exc:
                new = self._failed(old, exc.format_message())
                self.report(new.error, True)
            except Exception as exc:  # a bug of ours: show it, keep serving the last good build and watching
                detail = "".join(traceback.format_exception_only(exc)).strip()
                new = self._failed(old, f"internal error: {detail}")
                self.report(traceback.format_exc(), True)
            self._swap(new)
            # After the swap: the store vouches for what this build made, so it is the one shown even
            # if printing fails. A first paint's warnings are the latest issue's alone: wait for all.
            if done and self.complete:
                self.report(_summary(new), False)
            return new

    def _first_paint(self, old: Snapshot) -> Snapshot:
        """The newest week by file name that builds: one whose files are all drafts (`init`'s welcome
        post, next week's draft: "no published posts") or broken gives way to the week before, at most
        FIRST_PAINT_WEEKS of them, then to the whole archive. What is wrong with a week passed over is
        reported by the full build that follows at once."""
        skip: set[tuple[int, int]] = set()
        for _ in range(FIRST_PAINT_WEEKS):
            latest = _LatestFiles(frozenset(skip))
            try:
                return self._next(old, latest)
            except NewsletterError:
                if latest.week is None:  # it read every file
                    raise
                skip.add(latest.week)
        return self._next(old)

    def _next(self, old: Snapshot, latest: _LatestFiles | None = None) -> Snapshot:
        """The next build. A save in a warm run is made in two steps: first its issue's email (what the
        open issue page shows), swapped in at once; then the issue's captions, swapped in as a second
        generation (the captions pages). A new run (the first build, a template or setting changed)
        and the rest of the archive after the latest issue are rendered in one step."""
        from newsletter.clock import now
        from newsletter.run.plan import archive_pages, cards_window, plan

        settings = load_settings(self.root)
        fp = store.fingerprint(settings)
        run = self._run
        warm = run is not None and run.store.fp == fp
        if run is None or not warm:  # a template or setting changed: a new run renders everything
            run = Run(settings, now(settings.zone), PREVIEW, store.Memory(fp), os.cpu_count() or 1)
            old = replace(old, files=BuildFiles({}, {}), issues={})
        self._run = run
        two_steps = warm and self.complete
        step = replace(run, work=PREVIEW_EMAIL) if two_steps else run  # the same store and memo
        if latest is not None:  # a first paint: the latest week's files, through the run's store
            latest._store = run.store
            step = replace(step, store=cast(store.Store, latest))
        selection = Selection(every=latest is None, drafts=self.drafts, shown_only=True)
        made = plan(step, selection)
        memory = run.store
        assert isinstance(memory, store.Memory)
        if made.index is not None:
            memory.keep("index", made.index_key, ())
        memory.remember_posts(made.library, (p for o in made.issues for p in o.issue.posts))
        weeks = {w.week for w in made.weeks}
        issues = {w: o for w, o in old.issues.items() if w in weeks}
        memory.forget(w for w in old.issues if w not in weeks)  # not shown now: rendered when it is again
        issues.update((outputs.issue.week, outputs) for outputs in made.issues)
        top: dict[str, bytes | LazyCard] = {
            n: old.files[n] for n in ("index.html", "feed.xml") if n in old.files
        }
        if made.index is not None:
            top["index.html"] = made.index
            if made.feed is not None:
                top["feed.xml"] = made.feed
        snap = self._snapshot(old.generation + 1, run, top, issues, made.posts, made.warnings)
        if two_steps:  # the captions of the issues rendered, and the archive page and feed
            found: list[Problem] = []
            if made.issues:
                # The email first: the open issue page reloads now, the other pages once the save is
                # whole. The captions step would hold the interpreter lock half the time while the
                # server threads serve that reload (and the browser shares the cores): it waits.
                self._swap(replace(snap, whole=old.whole))
                time.sleep(CAPTIONS_PAUSE)
                window = cards_window(run, made.library, selection)
                issues = dict(issues)  # the snapshot swapped in keeps its own: snapshots never change
                for outputs in made.issues:
                    issues[outputs.issue.week] = with_social(run, outputs, window, found)
            # Made after the email step (whose work leaves them out), and after a save that renders no
            # issue too: a week whose only post became a draft leaves the archive.
            pages = Problems()
            index, feed, key = archive_pages(run, made.library, selection, pages)
            found += pages.items
            if any(p.is_error for p in found):  # a caption that cannot fit: as a one-step build says it
                raise InputError([p for p in found if p.is_error])
            if index is not None:
                top = dict(top)  # likewise
                top["index.html"] = index
                if feed is not None:
                    top["feed.xml"] = feed
                memory.keep("index", key, ())
            warnings = made.warnings + tuple(found)
            unchanged = (warnings, made.posts) == (old.warnings, old.posts)
            if unchanged and not (made.issues or old.error or index):
                return old  # a save that changes nothing shown (a touch, a draft's edit): no page reloads
            generation = snap.generation + 1 if made.issues else snap.generation
            snap = self._snapshot(generation, run, top, issues, made.posts, warnings, snap.pages)
        partial = latest is not None and latest.partial
        for outputs in made.issues if not partial else ():  # a first paint's findings lack the archive
            done = issues[outputs.issue.week]
            memory.keep(done.issue.week, done.key, done.findings, done.links)
        self.complete = not partial and weeks >= _shown_weeks(made.library, self.drafts)
        return snap

    def _snapshot(self, generation, run: Run, top, issues, posts, warnings, pages: int = 0) -> Snapshot:
        frozen = MappingProxyType(dict(sorted(issues.items())))
        return Snapshot(generation, run.settings, BuildFiles(top, frozen), frozen, posts, run.renderer(), "",
                        warnings, run.memo, pages or generation, generation)  # fmt: skip

    def _failed(self, old: Snapshot, error: str) -> Snapshot:
        """The last good build (the one before this rebuild) with the error, as a new generation of
        every page (a save's first step may have been swapped in already)."""
        generation = max(old.generation, self.snapshot.generation) + 1
        return replace(old, generation=generation, pages=generation, whole=generation, error=error)

    def _swap(self, new: Snapshot) -> None:
        with self.changed:
            self.snapshot = new
            self.changed.notify_all()

    def warm(self) -> None:
        """Render the newest issue once in this process and throw it away, so the first save's rebuild
        finds premailer, its parsed stylesheet and the compiled templates ready (about 400 ms of CPU
        otherwise)."""
        from newsletter.run.plan import RenderJob, render_issue

        snap, run = self.snapshot, self._run
        if snap.error or not snap.issues or run is None:
            return
        issue = snap.issues[max(snap.issues)].issue  # the newest week
        with contextlib.suppress(NewsletterError):  # a template problem: the next rebuild reports it
            render_issue(run, RenderJob(issue, "", frozenset(), False, None))

    def wait(self, generation: int, timeout: float) -> int:
        """The snapshot's generation once it is not `generation` (or when `timeout` seconds passed)."""
        with self.changed:
            self.changed.wait_for(lambda: self.snapshot.generation != generation, timeout=timeout)
            return self.snapshot.generation

    def close(self) -> None:
        pass
