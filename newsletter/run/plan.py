"""Phase 1, the one plan: load → select → render → inline → captions → checks, all in memory.

Build, check, send, social and preview all start here; only `writer` (phase 2) touches build/.
Rendering happens per issue, in this process or in worker processes; each issue's result is a frozen
record. With a cache (the last build's manifest), unchanged posts are not parsed and unchanged issues
are not rendered again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from newsletter.check import rules
from newsletter.content.issue import LATEST, Issue, Selection, Week, arrange, issue_files, select
from newsletter.content.posts import Library, PostMeta, load
from newsletter.content.settings import Settings
from newsletter.errors import InputError, Problem, Problems
from newsletter.run.pool import Forked, can_fork, parallel_map

if TYPE_CHECKING:
    from newsletter.email.render import Renderer
    from newsletter.run.store import Manifest
    from newsletter.run.writer import Staged, Stager
    from newsletter.social.captions import Caption
    from newsletter.social.outputs import Cards


Progress = Callable[[int, int, str], None]  # (issues rendered, issues to render, the week just done)


@dataclass(frozen=True)
class IssueOutputs:
    """Everything one issue is made of, rendered; `files` is what its folder in build/ holds."""

    issue: Issue
    html: str
    text: str
    eml: bytes
    captions: tuple[Caption, ...]
    size: int  # bytes of the HTML as sent (UTF-8, CRLF)
    findings: tuple[Problem, ...]
    files: Mapping[str, bytes]  # the preview's cards are social.outputs.LazyCard, drawn on request
    key: str = ""  # the cache key of its inputs
    staged: Staged | None = None  # built with a stager: the folder written aside (files etc. then empty)
    cards: Mapping[str, str] = field(default_factory=dict)  # slug -> key of its cards (outputs.cards_key)
    links: Mapping[str, bool] = field(default_factory=dict)  # path into the blog -> it is a known post


@dataclass(frozen=True)
class Plan:
    settings: Settings
    library: Library
    weeks: tuple[Week, ...]  # every selected issue
    rendered: tuple[IssueOutputs, ...]  # the issues that had to be rendered (all, without a cache)
    reused: tuple[str, ...]  # issue folders (and "index") the cache vouched for
    index: bytes | None  # build/index.html when it had to be rendered
    index_key: str
    findings: tuple[Problem, ...]
    feed: bytes | None = None  # build/feed.xml, rendered with the index

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.findings if not p.is_error)

    @property
    def posts(self) -> tuple[PostMeta, ...]:
        return self.library.metas


def plan(
    settings: Settings,
    selection: Selection = LATEST,
    strict: bool = False,
    workers: int = 1,
    cache: Manifest | None = None,
    raise_errors: bool = True,
    progress: Progress | None = None,
    stage: Stager | None = None,
    bytecode: bool = False,
    lazy_cards: bool = False,
    renderer: Renderer | None = None,
) -> Plan:
    """Read, validate and render what the selection needs; raise once with every problem (or, for
    `check`, return them all as findings). `progress(done, total, week)` hears of each rendered issue:
    nothing here prints, the command line decides how to show it. With `stage` (the build), each issue's
    folder is written aside by the process that rendered it and only a small record comes back. With
    `bytecode` compiled templates are kept for the next run (render.bytecode_cache). The preview passes
    `lazy_cards` (cards drawn when requested) and its `renderer` (kept while its templates are unchanged)."""
    problems = Problems(strict=strict)
    renderers = _Renderers(settings, bytecode, renderer, lazy_cards)
    made = _plan(settings, selection, workers, cache, problems, progress, stage, renderers)
    if raise_errors:
        problems.raise_if_errors()
    return made


class _Renderers:
    """The run's one renderer, made when something first needs rendering (a no-op rebuild never does,
    so it never imports Jinja or premailer)."""

    def __init__(
        self,
        settings: Settings,
        bytecode: bool = False,
        renderer: Renderer | None = None,
        lazy_cards: bool = False,
    ):
        self.settings = settings
        self.bytecode = bytecode
        self._renderer = renderer
        self.lazy_cards = lazy_cards

    def get(self) -> Renderer:
        if self._renderer is None:
            from newsletter.email.render import Renderer

            self._renderer = Renderer(self.settings, self.bytecode)
        return self._renderer


def _plan(
    settings, selection, workers, cache, problems: Problems, progress=None, stage=None, renderers=None
) -> Plan:
    known = cache.post if cache is not None else None
    read = cache.reader if cache is not None else None
    library = load(settings, problems, selection.files, known, workers, read)
    library = cache.reuse(library) if cache is not None else library
    # Posts with errors are left out and the rest go on, so one run reports every problem there is.
    files = issue_files(settings, problems)
    try:
        weeks = tuple(select(library.metas, selection, settings.relative(settings.posts_dir)))
    except InputError as exc:
        if not any(p.is_error for p in problems.items):  # else a consequence of the posts' own errors
            problems.extend(exc.problems)
        return Plan(settings, library, (), (), (), None, "", tuple(problems.items))
    if not selection.files:  # hand-picked posts (--post) make an issue of their own: no issue file
        weeks = tuple(arrange(w, files.get(w.week), problems) for w in weeks)
    renderers = renderers or _Renderers(settings)
    todo, reused = [], []
    known = _Known(settings, library)
    for week in weeks:
        key = cache.issue_key(week, library.sources) if cache is not None else ""
        if cache is not None and (warnings := cache.fresh(week.week, key, known)) is not None:
            reused.append(week.week)
            problems.extend(warnings)
        else:
            todo.append((week, key))
    issues = [
        (
            Issue(w.week, library.full(w.posts, settings, problems, workers), w.file),
            key,
            _earlier(cache, w.week),
        )
        for w, key in todo
    ]
    rendered = _render_all(renderers, issues, known, workers, problems, progress, stage)
    index = feed = None
    index_key = ""
    if not selection.files:  # an issue of hand-picked posts leaves the archive page of the whole site alone
        extra = ("drafts" if selection.drafts else "", *sorted(f"{w}:{f.digest}" for w, f in files.items()))
        index_key = cache.index_key(library, *extra) if cache is not None else ""
        if cache is not None and cache.fresh("index", index_key) is not None:
            reused.append("index")
        elif not any(p.is_error for p in problems.items):
            index, feed = _index(renderers, library, files, selection.drafts, problems)
    return Plan(
        settings, library, weeks, rendered, tuple(reused), index, index_key, tuple(problems.items), feed
    )


class _Known:
    """The known posts' paths, made once per run and only when needed: by the link rule of the issues
    rendered, and by a cached issue that links into the blog (its link warnings are still true only
    while each link it holds still does, or still does not, end at a post)."""

    def __init__(self, settings: Settings, library: Library):
        self.settings, self.library = settings, library

    @functools.cached_property
    def paths(self) -> frozenset[str]:
        return rules.known_paths(self.settings.url_for(m.slug) for m in self.library.metas)

    def __contains__(self, path: str) -> bool:
        return path in self.paths


def _earlier(cache, week: str):
    """The cards the last build drew for this issue, when its folder is untouched (see Cards)."""
    found = cache.cards(week) if cache is not None else None
    if found is None:
        return None
    from newsletter.social.outputs import Cards

    return Cards(*found)


def _render_all(
    renderers: _Renderers,
    issues,
    known: _Known,
    workers,
    problems: Problems,
    progress: Progress | None = None,
    stage=None,
) -> tuple[IssueOutputs, ...]:
    if not issues:
        return ()
    settings = renderers.settings
    known_paths = known.paths
    # One issue (the weekly build, an edit): its captions and cards in a forked child, the email here.
    split = len(issues) == 1 and workers > 1 and can_fork()
    jobs = [
        (issue, key, known_paths, stage, split, earlier, renderers.lazy_cards)
        for issue, key, earlier in issues
    ]
    count = iter(range(1, len(jobs) + 1))
    done = (lambda o: progress(next(count), len(jobs), o.issue.week)) if progress else None
    made = parallel_map(_render_job, jobs, workers, state=renderers.get(), done=done)
    for outputs in made:
        problems.extend(outputs.findings)
    rules.template_css(settings, problems)
    return tuple(made)


def _render_job(renderer: Renderer, job: tuple) -> IssueOutputs:
    issue, key, known_paths, stage, split, earlier, lazy_cards = job
    try:
        made = render_issue(issue, renderer, known_paths, key, split, earlier, lazy_cards)
        if stage is None or any(p.is_error for p in made.findings):  # errors: nothing will be written
            return made
        staged = stage(issue.week, made.files)
        # Only what the build's parent needs comes back: no posts, no bytes.
        slim = Issue(issue.week, ())
        return replace(made, issue=slim, html="", text="", eml=b"", captions=(), files={}, staged=staged)
    except InputError as exc:  # a template problem: every issue would say the same; reported once
        return IssueOutputs(issue, "", "", b"", (), 0, tuple(exc.problems), {}, key)


def render_issue(
    issue: Issue,
    renderer: Renderer,
    known_paths: frozenset[str] = frozenset(),
    key: str = "",
    split: bool = False,
    earlier: Cards | None = None,
    lazy_cards: bool = False,
) -> IssueOutputs:
    """One issue, rendered: the inlined email, its text part and message, captions, and its findings.
    With `split` the captions and cards are made by a forked child while this process makes the email
    (a build of one issue then uses two cores); the outputs are the same bytes either way. With
    `lazy_cards` its cards are social.outputs.LazyCard, drawn when first asked for."""
    from newsletter.email import inline, mime, render
    from newsletter.site import archive

    settings, problems, links = renderer.settings, Problems(), {}
    with Forked(_social, issue, renderer, earlier, lazy_cards) if split else nullcontext() as social:
        for post in issue.posts:
            rules.post_rules(post, settings, known_paths, problems, links)
        html = inline.inline_css(render.email_html(issue, renderer))
        size = rules.email_size(issue, html, problems)
        rules.issue_rules(issue, html, problems)
        text = render.email_text(issue, renderer)
        eml = mime.as_bytes(mime.message(issue, settings, html, text))
        made = social.result() if social else _social(issue, renderer, earlier, lazy_cards)
    captions, social_files, social_problems, cards = made
    problems.extend(social_problems)
    files = {"email.html": html.encode("utf-8"), "email.txt": text.encode("utf-8"), "email.eml": eml,
             **social_files}  # fmt: skip
    if settings.archive_url:  # the web copy, published at {archive_url}/YYYY-Www/
        files["index.html"] = archive.web_copy(html, issue, settings).encode("utf-8")
    return IssueOutputs(
        issue,
        html,
        text,
        eml,
        tuple(captions),
        size,
        tuple(problems.items),
        files,
        key,
        cards=cards,
        links=links,
    )


def _social(issue: Issue, renderer: Renderer, earlier: Cards | None = None, lazy_cards: bool = False):
    """(captions, files, problems, card keys) of the issue's social part."""
    from newsletter.social import outputs as social

    problems = Problems()
    posts = list(issue.posts)
    captions, files, cards = social.outputs(posts, renderer, problems, issue.week, earlier, lazy_cards)
    return tuple(captions), files, tuple(problems.items), cards


def _index(renderers: _Renderers, library: Library, files, drafts: bool, problems: Problems):
    """The archive page and the Atom feed: every issue of the site, by subject and date."""
    from newsletter.site import archive

    items = archive.entries(library.metas, files, renderers.settings, drafts)
    try:
        renderer = renderers.get()
        return (archive.index_html(renderer, items).encode("utf-8"),
                archive.feed_xml(renderer, items).encode("utf-8"))  # fmt: skip
    except InputError as exc:
        problems.extend(exc.problems)
        return None, None
