"""Phase 1, the one plan: gather the posts → choose the issues → render each → the archive page and feed.

Every command starts here with its `Run` (settings, clock, store, work policy, memo): `build` writes what
the plan made, `check` reports its findings, `send` mails its email, the preview serves it, and `social`
gathers the posts through the same first stage. Only `writer` (phase 2) touches build/. Rendering happens
per issue, in this process or in worker processes; each issue's result is a frozen record. With a store,
unchanged posts are not parsed and unchanged issues are not rendered again.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.check import rules
from newsletter.content.issue import (
    Issue,
    Selection,
    Week,
    arrange,
    file_week,
    issue_files,
    resolve_posts,
    select,
    week_of,
)
from newsletter.content.issuefile import IssueFile
from newsletter.content.posts import Library, PostMeta, load
from newsletter.content.settings import Settings
from newsletter.errors import WARNING, InputError, Problem, Problems
from newsletter.run import store
from newsletter.run.context import Run
from newsletter.run.pool import Forked, can_fork, parallel_map

if TYPE_CHECKING:
    from newsletter.email.render import Renderer
    from newsletter.run.store import Earlier
    from newsletter.run.writer import Staged
    from newsletter.social.captions import Caption


@dataclass(frozen=True)
class IssueOutputs:
    """Everything one issue is made of, rendered; `files` is what its folder in build/ holds."""

    issue: Issue
    html: str
    text: str
    eml: bytes
    captions: tuple[Caption, ...]
    size: int  # bytes of the HTML as sent (UTF-8, CRLF); under `check` (Work.inline "bound") maybe un-inlined
    findings: tuple[Problem, ...]
    files: Mapping[str, object]  # bytes; the preview's cards are social.outputs.LazyCard, drawn on request
    key: str = ""  # the store's key of its inputs
    cards: Mapping[str, str] = field(default_factory=dict)  # slug -> key of its cards (outputs.cards_key)
    links: Mapping[str, bool] = field(default_factory=dict)  # path into the blog -> it is a known post
    fresh: Mapping[str, bytes] = field(default_factory=dict)  # captions made anew, by store.caption_key


@dataclass(frozen=True)
class StagedIssue:
    """What comes back to a build's parent for an issue a worker rendered and wrote aside: no posts, no
    bytes, so the parent's memory does not grow with the archive."""

    week: str
    key: str
    staged: Staged
    findings: tuple[Problem, ...]
    cards: Mapping[str, str]
    links: Mapping[str, bool]
    drafts: bool


Rendered = IssueOutputs | StagedIssue


@dataclass(frozen=True)
class RenderJob:
    """One issue to render, as it crosses into a worker process."""

    issue: Issue
    key: str
    known_paths: frozenset[str]
    split: bool  # captions and cards in a forked child while this process makes the email
    earlier: Earlier | None  # the cards the last build drew for this issue
    only: frozenset[str] | None = None  # outside the cards window: the only cards to draw
    captions: Mapping[str, str] = field(default_factory=dict)  # per post (source): store.caption_key


@dataclass(frozen=True)
class SocialPart:
    """An issue's social outputs: its captions, its files (captions.json, captions.md, cards), the
    problems found making them, and per article the key of its cards."""

    captions: tuple[Caption, ...] = ()
    files: Mapping[str, object] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    cards: Mapping[str, str] = field(default_factory=dict)
    fresh: Mapping[str, bytes] = field(default_factory=dict)  # captions made anew, by store.caption_key


@dataclass(frozen=True)
class Plan:
    settings: Settings
    library: Library
    weeks: tuple[Week, ...]  # every selected issue
    rendered: tuple[Rendered, ...]  # the issues that had to be rendered (all, without a store)
    reused: tuple[str, ...]  # issue folders (and "index") the store vouched for
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

    @property
    def issues(self) -> tuple[IssueOutputs, ...]:
        """The rendered issues in full (a build's are StagedIssue records: written aside already)."""
        return tuple(r for r in self.rendered if isinstance(r, IssueOutputs))


def plan(run: Run, selection: Selection) -> Plan:
    """Read, validate and render what the selection and the run's work need; raise once with every
    problem (or, when the work collects, return them all as findings)."""
    problems = Problems(strict=run.strict)
    with run.active():  # the deep helpers remember in the run's memo (run/memo.py)
        rules.settings_findings(run.settings, run.work.sends, problems)
        library = gather(run, selection, problems)
        made = _issues(run, selection, library, problems)
    if not run.work.collect:
        problems.raise_if_errors()
    return made


def gather(run: Run, selection: Selection, problems: Problems) -> Library:
    """The one load, through the run's store: every post (or the named ones) read, parsed and validated.
    Named posts (--post, social's POST arguments) are resolved from this same load: files load only
    those files, a slug loads the library once and picks from it."""
    settings = run.settings
    names = selection.files
    only = tuple(Path(n).resolve() for n in names) if names and all(Path(n).exists() for n in names) else ()
    library = load(settings, problems, only, run.store.post, run.workers, run.store.read)
    return run.store.parsed(library)


def _candidates(selection: Selection, library: Library, settings: Settings) -> tuple[PostMeta, ...]:
    """The posts a selection chooses from: the named ones (file or slug), else every post."""
    if not selection.files:
        return library.metas
    named = resolve_posts(settings, selection.files, library.metas, "--post ")
    return tuple(m for m in library.metas if m.source in named)


def _issues(run: Run, selection: Selection, library: Library, problems: Problems) -> Plan:
    settings = run.settings
    # Posts with errors are left out and the rest go on, so one run reports every problem there is.
    files = issue_files(settings, problems)
    try:
        candidates = _candidates(selection, library, settings)
        weeks = tuple(select(candidates, selection, settings.relative(settings.posts_dir)))
    except InputError as exc:
        if selection.week:  # `--week W51` with no posts: other weeks' posts and issue files are not its
            # business, not even as the warnings a week that has an issue gets about them
            demoted = outside(settings, problems, library, selection, ())
            problems.items = [p for p in problems.items if p not in demoted]
        if not any(p.is_error for p in problems.items):  # else a consequence of the posts' own errors
            problems.extend(exc.problems)
        return Plan(settings, library, (), (), (), None, "", tuple(problems.items))
    outside(settings, problems, library, selection, weeks)
    if not selection.files:  # hand-picked posts (--post) make an issue of their own: no issue file
        weeks = tuple(arrange(w, files.get(w.week), problems, _broken_slugs(library, w.week)) for w in weeks)
    known = _Known(settings, library)
    todo, reused = [], []
    window = cards_window(run, library, selection)
    for week in weeks:
        key = store.issue_key(run.store.fp, week, library.sources, _image_digests(run, week))
        # In the cards window or not is part of what an issue is: a newest week drafted or removed
        # brings an older one into the window, and it is rendered again with every card.
        key = store.key(key, "every card" if window is None or week.week in window else "og card")
        if (warnings := run.store.fresh(week.week, key, known)) is not None:
            reused.append(week.week)
            problems.extend(warnings)
        else:
            todo.append((week, key))
    # Captions are kept by a build (its stager) and read from the store's: nothing else needs their keys
    keeps = (
        run.work.captions and not selection.files and (run.stager is not None or run.store.kept() is not None)
    )
    index = feed = None
    index_key = ""
    # hand-picked posts leave the site's archive page alone
    archive = run.work.archive and not selection.files
    if archive:
        index_key = _index_key(run, library, files, selection)
    stale = archive and run.store.fresh("index", index_key) is None
    # One issue re-rendered (an edit): the archive page and feed are drawn by a child meanwhile, on the
    # other core, from the posts' metadata, while this process parses the rest of the issue's posts and
    # renders it; thrown away if the render finds an error (as before, not drawn)
    apart = stale and len(todo) == 1 and run.workers > 1 and can_fork()
    with Forked(_index_apart, run, library, files, selection.drafts) if apart else nullcontext() as early:
        jobs = [
            RenderJob(
                Issue(w.week, library.full(w.posts, settings, problems, run.workers), w.file),
                key, known.paths if todo else frozenset(), False, run.store.earlier(w.week),
                None if window is None or w.week in window else _og_card(w),
                _caption_keys(run, library, w) if keeps else {},
            )
            for w, key in todo
        ]  # fmt: skip
        rendered = _render_all(run, jobs, problems)
        # The templates' own findings (CSS clients ignore, links not followed) belong to no issue, so no
        # issue kept by the store carries them: read again by every run, rendered or not (a few ms).
        rules.template_css(run.settings, problems)
        if archive and not stale:
            reused.append("index")
        elif stale and not any(p.is_error for p in problems.items):
            if early is not None:
                index, feed, found = early.result()
                problems.extend(found)
            else:
                index, feed = _index(run, library, files, selection.drafts, problems)
    return Plan(
        settings, library, weeks, rendered, tuple(reused), index, index_key, tuple(problems.items), feed
    )


def _caption_keys(run: Run, library: Library, week: Week) -> dict[str, str]:
    return {
        m.source: store.caption_key(run.store.fp, library, m, week.week) for m in week.posts if not m.draft
    }


def _index_key(run: Run, library: Library, files: dict[str, IssueFile], selection: Selection) -> str:
    extra = ("drafts" if selection.drafts else "", *sorted(f"{w}:{f.digest}" for w, f in files.items()))
    return store.index_key(run.store.fp, library, *extra)


def archive_pages(
    run: Run, library: Library, selection: Selection, problems: Problems
) -> tuple[bytes | None, bytes | None, str]:
    """The archive page, the feed and their key, when the store cannot vouch for them (else None,
    None): the preview makes them after a save's email step, whose work leaves them out."""
    files = issue_files(run.settings, Problems())  # the email step reported the issue files' problems
    key = _index_key(run, library, files, selection)
    if run.store.fresh("index", key) is not None:
        return None, None, key
    with run.active():
        index, feed = _index(run, library, files, selection.drafts, problems)
    return index, feed, key


def cards_window(run: Run, library: Library, selection: Selection) -> frozenset[str] | None:
    """The issues that get every card: the `cards_window` newest weeks of the site, by week number
    (never by the clock: the same posts draw the same cards whenever they are built). An issue outside
    it gets only its web copy's og:image card (the lead article's title card at 1200x630); cards
    drawn before are kept (social.outputs). None: every issue (`cards_window = all`, or posts picked
    with --post, which make an issue of their own)."""
    size = run.settings.cards_window
    if not size or selection.files:
        return None
    weeks = {week_of(m) for m in library.metas if selection.drafts or not m.draft}
    return frozenset(sorted(w for w in weeks if w is not None)[-size:])


def _og_card(week: Week | Issue) -> frozenset[str]:
    from newsletter.social.names import file_name

    return (
        frozenset({f"cards/{file_name(week.posts[0].slug, 'title', 'link')}"}) if week.posts else frozenset()
    )


def _broken_slugs(library: Library, week: str) -> frozenset[str]:
    """The slugs (by file name) of the posts of `week` that could not be loaded."""
    return frozenset(b.slug for b in library.broken.values() if b.week in (week, None))


def _image_digests(run: Run, week: Week) -> tuple[str, ...]:
    intro = week.file is not None and bool(week.file.intro)
    if not intro and not any(m.images for m in week.posts):  # no local image: nothing to read (or import)
        return ()
    from newsletter.email import images

    return images.digests(_referring(run, week.posts, week.file), run.settings, run.memo)


def _referring(run: Run, posts, file: IssueFile | None) -> list:
    """What refers to the issue's local images: its posts, and the issue file's intro."""
    from newsletter.email import images

    return [*posts, *filter(None, [images.intro(file, run.memo)])]


def outside(
    settings: Settings, problems: Problems, library: Library, selection: Selection, weeks: tuple[Week, ...]
) -> frozenset[Problem]:
    """Posts outside the selection never block it: a broken post of a week not selected (a draft of
    next week, above all) is a warning naming its week, and the warnings of other weeks' posts are not
    this run's. `--all` selects every post's week; a broken post with no date (neither in its front
    matter nor in its file name) belongs to no week and stays an error everywhere. Issue files alike:
    one for another week (misnamed `2026-w48.md` included) is that week's business; `--post` uses none."""
    if selection.every and not selection.shown_only:
        return frozenset()
    named = {p.source for w in weeks for p in w.posts}
    named.update(settings.relative(Path(n).resolve()) for n in selection.files if Path(n).exists())
    chosen = {selection.week} if selection.week else {w.week for w in weeks}

    def inside(source: str, week: str | None) -> bool:
        return week is None or source in named or (not selection.files and week in chosen)

    dropped: set[Problem] = set()
    demoted: dict[Problem, Problem] = {}
    for meta in library.metas:
        if not inside(meta.source, week_of(meta)):
            dropped.update(library.warnings.get(meta.source, ()))
    for source, broken in library.broken.items():
        if inside(source, broken.week):
            continue
        for p in broken.problems:
            if p.is_error:
                note = f" (a post of {broken.week}, not in this issue)"
                demoted[p] = replace(p, severity=WARNING, message=p.message + note)
            else:
                dropped.add(p)
    for p in problems.items:
        week = file_week(settings, p.where)
        if week is None or (not selection.files and week in chosen):
            continue
        if p.is_error:
            demoted[p] = replace(p, severity=WARNING, message=p.message + f" (for {week}, not this issue)")
        else:
            dropped.add(p)
    problems.items = [demoted.get(p, p) for p in problems.items if p not in dropped]
    return frozenset(demoted.values())


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


def _render_all(run: Run, jobs: list[RenderJob], problems: Problems) -> tuple[Rendered, ...]:
    if not jobs:
        return ()
    # One issue (the weekly build, an edit): its captions and cards in a forked child, the email here.
    if len(jobs) == 1 and run.workers > 1 and can_fork() and run.work.captions:
        jobs = [replace(j, split=True) for j in jobs]
    count = iter(range(1, len(jobs) + 1))
    progress = run.progress
    done = (lambda r: progress(next(count), len(jobs), _week_of(r))) if progress else None
    run.renderer()  # made before the workers fork, so they inherit it
    made = parallel_map(_render_job, jobs, run.workers, state=run, done=done)
    for outputs in made:
        problems.extend(outputs.findings)
    return tuple(made)


def _week_of(rendered: Rendered) -> str:
    return rendered.week if isinstance(rendered, StagedIssue) else rendered.issue.week


def _render_job(run: Run, job: RenderJob) -> Rendered:
    try:
        made = render_issue(run, job)
    except InputError as exc:  # a template problem: every issue would say the same; reported once
        return IssueOutputs(job.issue, "", "", b"", (), 0, tuple(exc.problems), {}, job.key)
    if run.stager is None or any(p.is_error for p in made.findings):  # errors: nothing will be written
        return made
    staged = run.stager(job.issue.week, made.files)  # type: ignore[arg-type]
    run.stager.keep(made.fresh)
    return StagedIssue(
        job.issue.week, job.key, staged, made.findings, made.cards, made.links, job.issue.draft
    )


def render_issue(run: Run, job: RenderJob) -> IssueOutputs:
    """One issue, rendered: the inlined email, its text part and message, captions, and its findings.
    With `job.split` the captions and cards are made by a forked child while this process makes the
    email (a build of one issue then uses two cores); the outputs are the same bytes either way.
    Under the run's memo wherever it runs (a worker, the preview's warm-up)."""
    with run.active():
        return _render_issue(run, job)


def _render_issue(run: Run, job: RenderJob) -> IssueOutputs:
    issue, renderer = job.issue, run.renderer()
    settings, problems = run.settings, Problems()
    links: dict[str, bool] = {}
    with Forked(_social, run, issue, job) if job.split else nullcontext() as social:
        # Imported once the child runs: it needs none of them (mime's `email` package and inline's
        # `logging` are about 20 ms), and in `check` the child's captions are the longer half.
        from newsletter.email import images, inline, mime, render
        from newsletter.site import archive

        for post in issue.posts:
            rules.post_rules(post, settings, job.known_paths, problems, links)
        local = images.prepare(
            issue.week, _referring(run, issue.posts, issue.file), settings, run.memo,
            run.work.images == "make", problems,
        )  # fmt: skip
        # One render for both: the email drops the web copy's parts, the web copy the inbox's.
        page = render.email_html(issue, renderer, local=local)
        page = _bounded(run, page) or inline.inline_css(page)
        html = archive.email_copy(page)
        size = rules.email_size(issue, html, problems)
        rules.issue_rules(issue, html, problems)
        text = render.email_text(issue, renderer)
        eml = mime.as_bytes(mime.message(issue, settings, html, text))
        web = None  # the web copy, published at {archive_url}/YYYY-Www/; made while the child works
        if run.work.site and settings.archive_url:
            web = archive.web_copy(page, issue, settings).encode("utf-8")
        part = social.result() if social else _social(run, issue, job)
    problems.extend(part.problems)
    files = {"email.html": html.encode("utf-8"), "email.txt": text.encode("utf-8"), "email.eml": eml,
             **part.files, **local.files, **archive.assets(settings)}  # fmt: skip
    if web is not None:
        files["index.html"] = web
    return IssueOutputs(
        issue, html, text, eml, part.captions, size, tuple(problems.items), files, job.key,
        cards=part.cards, links=links, fresh=part.fresh,
    )  # fmt: skip


def _bounded(run: Run, page: str) -> str | None:
    """For a run that bounds instead of inlining (`check`): the page as premailer prints it before it
    inlines, when the bound shows the inlined email clear of every finding it is measured for; the
    findings made of it are then the inlined email's, and premailer is never imported (about 120 ms
    of check's critical path). None: inline."""
    if run.work.inline != "bound":
        return None
    from newsletter.email import bound

    measured = bound.bound(page)
    return measured.page if measured is not None and rules.clear_when_inlined(measured) else None


def social_part(run: Run, issue: Issue, window: frozenset[str] | None) -> SocialPart:
    """The social part of an issue rendered without it (the preview's second step after a save);
    `window`: cards_window(...) of the run's plan."""
    with_captions = replace(run, work=replace(run.work, captions=True, cards="lazy"))
    only = None if window is None or issue.week in window else _og_card(issue)
    job = RenderJob(issue, "", frozenset(), False, None, only)
    with run.active():  # under the run's memo, as in the plan
        return _social(with_captions, issue, job)


def _social(run: Run, issue: Issue, job: RenderJob) -> SocialPart:
    """The issue's social part, as the run's work asks: nothing, captions only, or captions and cards."""
    if not run.work.captions:
        return SocialPart()
    from newsletter.social import outputs as social

    problems = Problems()
    captions, files, cards, fresh = social.outputs(
        list(issue.posts),
        run.renderer(),
        problems,
        issue.week,
        job.earlier,
        run.work.cards,
        run.work.lints,
        job.only,
        job.captions,
        run.store.kept(),
    )
    return SocialPart(tuple(captions), files, tuple(problems.items), cards, fresh)


def _index_apart(
    run: Run, library: Library, files: dict[str, IssueFile], drafts: bool
) -> tuple[bytes | None, bytes | None, tuple[Problem, ...]]:
    """_index with its problems returned, for a child to send back."""
    found = Problems()
    index, feed = _index(run, library, files, drafts, found)
    return index, feed, tuple(found.items)


def _index(run: Run, library: Library, files: dict[str, IssueFile], drafts: bool, problems: Problems):
    """The archive page and the Atom feed: every issue of the site, by subject and date."""
    from newsletter.site import archive

    items = archive.entries(
        library.metas, files, run.settings, drafts, functools.partial(_broken_slugs, library)
    )
    try:
        renderer: Renderer = run.renderer()
        return (archive.index_html(renderer, items).encode("utf-8"),
                archive.feed_xml(renderer, items).encode("utf-8"))  # fmt: skip
    except InputError as exc:
        problems.extend(exc.problems)
        return None, None
