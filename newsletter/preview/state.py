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
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from newsletter.content.issue import Selection
from newsletter.content.settings import Settings, load_settings
from newsletter.errors import SHOWN_WARNINGS, NewsletterError, Problem, plural
from newsletter.run import store
from newsletter.run.context import PREVIEW, Run
from newsletter.run.memo import Memo

if TYPE_CHECKING:
    from newsletter.content.posts import PostMeta
    from newsletter.email.render import Renderer
    from newsletter.run.plan import IssueOutputs
    from newsletter.social.outputs import LazyCard

Report = Callable[[str, bool], None]  # (message, is_error): the CLI decides how to print


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

    def rebuild(self) -> Snapshot:
        with self._rebuilding:
            old = self.snapshot
            try:
                new = self._next(old)
                self.report(_summary(new), False)
            except NewsletterError as exc:
                new = replace(old, generation=old.generation + 1, error=exc.format_message())
                self.report(new.error, True)
            except Exception as exc:  # a bug of ours: show it, keep serving the last good build and watching
                detail = "".join(traceback.format_exception_only(exc)).strip()
                new = replace(old, generation=old.generation + 1, error=f"internal error: {detail}")
                self.report(traceback.format_exc(), True)
            with self.changed:
                self.snapshot = new
                self.changed.notify_all()
            return new

    def _next(self, old: Snapshot) -> Snapshot:
        from newsletter.clock import now
        from newsletter.run.plan import plan

        settings = load_settings(self.root)
        fp = store.fingerprint(settings)
        run = self._run
        if run is None or run.store.fp != fp:  # a template or setting changed: a new run renders everything
            run = Run(settings, now(settings.zone), PREVIEW, store.Memory(fp), os.cpu_count() or 1)
            old = replace(old, files=BuildFiles({}, {}), issues={})
        self._run = run
        made = plan(run, Selection(every=True, drafts=self.drafts, shown_only=True))
        memory = run.store
        assert isinstance(memory, store.Memory)
        for outputs in made.issues:
            memory.keep(outputs.issue.week, outputs.key, outputs.findings)
        if made.index is not None:
            memory.keep("index", made.index_key, ())
        memory.remember_posts(made.library, (p for o in made.issues for p in o.issue.posts))
        weeks = {w.week for w in made.weeks}
        issues = {w: o for w, o in old.issues.items() if w in weeks}
        issues.update((outputs.issue.week, outputs) for outputs in made.issues)
        top: dict[str, bytes | LazyCard] = {
            n: old.files[n] for n in ("index.html", "feed.xml") if n in old.files
        }
        if made.index is not None:
            top["index.html"] = made.index
            if made.feed is not None:
                top["feed.xml"] = made.feed
        frozen = MappingProxyType(dict(sorted(issues.items())))
        return Snapshot(
            old.generation + 1, settings, BuildFiles(top, frozen), frozen, made.posts, run.renderer(), "",
            made.warnings, run.memo,
        )  # fmt: skip

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
        with self.changed:
            self.changed.wait_for(lambda: self.snapshot.generation != generation, timeout=timeout)
            return self.snapshot.generation

    def close(self) -> None:
        pass
