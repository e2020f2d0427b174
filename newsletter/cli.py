"""The command line: thin commands that parse, call one library function and report. Only this prints."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from newsletter import __version__
from newsletter.content.scheduling import (
    DATE_FORMATS,
    date_format_named,
)  # standard library only: cheap at start-up


class Context:
    """Settings are loaded on first use, so --help never reads the project."""

    def __init__(self, project: Path | None):
        self.project = project
        self._settings = None
        self._now = None

    @property
    def now(self):
        """The command's one `now` (see newsletter.clock), in the site's time zone; read once."""
        if self._now is None:
            from newsletter.clock import now

            self._now = now(self.settings.zone)
        return self._now

    @property
    def settings(self):
        if self._settings is None:
            from newsletter.content.settings import find_root, load_settings

            root = self.project.resolve() if self.project else find_root(Path.cwd().resolve())
            self._settings = load_settings(root)
        return self._settings


def _week(ctx, param, value):
    if value is None:
        return None
    from newsletter.content.issue import parse_week

    try:
        return parse_week(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _to(ctx, param, value):
    """A malformed --to is a usage error (exit 2), as a malformed --week is; a well-formed list that
    is refused (too many addresses) exits 1."""
    from newsletter.email.send import Malformed, recipients

    try:
        recipients(value)
    except Malformed as exc:
        raise click.BadParameter(exc.message.removeprefix("--to: ")) from None
    return value


def _date(ctx, param, value):
    """A malformed date is a usage error (exit 2), as a malformed --week is."""
    import re

    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(
            f"expected a real date as YYYY-MM-DD, like 2026-10-17, got '{value}'"
        ) from None


class _Out(click.Path):
    """--out names a place: an empty value is a malformed argument (exit 2), not the current folder
    (Path("") is "."). Where it may point is the command's to check (exit 1: writer.check_out and
    check_export)."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("must name a folder or file, got an empty value", param, ctx)
        return super().convert(value, param, ctx)


def _selection(week, every, files, drafts: bool = False):
    from newsletter.content.issue import Selection

    if sum(map(bool, (week, every, files))) > 1:
        raise click.UsageError("choose one of --week, --all and --post")
    return Selection(week, every, tuple(files), drafts)


def _report_warnings(warnings, limit: int | None = None) -> None:
    from newsletter.check.rules import worst_first

    ordered = worst_first(warnings, limit) if limit is not None else list(warnings)
    for warning in ordered:
        click.echo(str(warning), err=True)
    if limit is not None and len(warnings) > limit:
        from newsletter.errors import more_warnings

        click.echo(more_warnings(len(warnings) - limit), err=True)


def _progress():
    """Per-issue progress on a terminal (one line, rewritten); nothing when stderr is not a TTY."""
    import sys

    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, week: str) -> None:
        end = "\n" if done == total else ""
        click.echo(f"\rRendering issues: {done}/{total} ({week})", err=True, nl=False)
        if end:
            click.echo("", err=True)

    return show


@click.group(name="newsletter", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Project folder (default: the nearest folder up whose setup.cfg has [newsletter]).",
)
@click.version_option(__version__, prog_name="newsletter")
@click.pass_context
def main(ctx: click.Context, project: Path | None) -> None:
    """Turn article Markdown into a weekly email issue, its web copy and social captions.

    \b
    Example:
      newsletter init studio && cd studio && newsletter new "Hello" && newsletter build --drafts
    """
    ctx.obj = Context(project)


@main.command(short_help="Build the issue: email, text part, .eml, web copy, captions, cards.")
@click.option("--week", callback=_week, metavar="YYYY-Www", help="Build this ISO week's issue.")
@click.option("--all", "every", is_flag=True, help="Build one issue per week that has posts.")
@click.option(
    "--post", "files", multiple=True, metavar="FILE|SLUG",
    help="Build an issue of exactly these posts, by file or slug (repeatable), into build/selected/.",
)  # fmt: skip
@click.option("--drafts", is_flag=True, help="Include drafts; their issues' subjects start with [DRAFT].")
@click.option(
    "--out",
    type=_Out(file_okay=False, path_type=Path),
    help="Output folder (default: build/; with --post, build/selected/).",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
@click.option("--no-cache", is_flag=True, help="Parse and render everything, ignoring the last build.")
@click.pass_obj
def build(obj: Context, week, every, files, drafts, out, strict, jobs, no_cache) -> None:
    """Build the weekly issue: email.html, email.txt, email.eml, the web copy (index.html),
    captions and image cards; plus the archive page and the Atom feed.

    With no selection, builds the latest week that has published posts. --post builds an issue of
    only the posts named into build/selected/YYYY-Www/ (or --out DIR), never over the week's issue
    in build/, and leaves the archive page and feed alone.

    \b
    Examples:
      newsletter build
      newsletter build --week 2026-W42
      newsletter build --all --drafts
      newsletter build --post why-facial-muscles-need-movement
    """
    from newsletter.run.build import build as run

    selection = _selection(week, every, files, drafts)
    result = run(
        obj.settings,
        obj.now,
        selection,
        out=out,
        strict=strict,
        workers=jobs or 0,
        use_cache=not no_cache,
        progress=_progress(),
    )
    from newsletter.errors import SHOWN_WARNINGS, plural  # the same few as when the build stops on an error

    _report_warnings(result.warnings, SHOWN_WARNINGS)
    where = obj.settings.relative(result.out)
    issues = result.issues[0] if len(result.issues) == 1 else f"{len(result.issues)} issues"
    span = f"{result.issues[0]} … {result.issues[-1]}, " if len(result.issues) > 1 else ""
    removed = f", {len(result.removed)} removed" if result.removed else ""
    warned = f", {plural(len(result.warnings), 'warning')}" if result.warnings else ""
    click.echo(
        f"Built {issues} ({span}{plural(result.posts, 'post')}) in {where}/: "
        f"{len(result.written)} written, {result.unchanged} unchanged{removed} in {result.seconds:.2f} s{warned}"
    )


def _date_format(ctx, param, value):
    """One of Hootsuite's date formats, in any case; a wrong one is a usage error listing them as the
    upload dialog spells them (click.Choice would list them lower-cased, where mm reads as minutes)."""
    if value is None:
        return None
    found = date_format_named(value)
    if found is None:
        accepted = ", ".join(f"'{name}'" for name in DATE_FORMATS)
        raise click.BadParameter(
            f"'{value}' is not one of {accepted} (pick the same in Hootsuite's upload dialog)"
        )
    return found


@main.command(short_help="Export social captions as text, JSON or scheduler CSV.")
@click.argument("posts", nargs=-1, metavar="[POST]...")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    metavar="NAME",
    help="x, bluesky, threads, mastodon, linkedin, instagram, facebook, pinterest (repeatable).",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["teaser", "benefits", "quote", "thread"]),
    help="Caption kind (repeatable).",
)
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice(["text", "json", "csv", "buffer", "hootsuite"]),
    help="Output format.",
)
@click.option(
    "--out",
    type=_Out(dir_okay=True, path_type=Path),
    help="Write to FILE (text, json) or into FOLDER (csv, buffer, hootsuite) instead of stdout.",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Scheduler exports: first day of posting slots, YYYY-MM-DD (default today; never in the past).",
)
@click.option(
    "--date-format",
    callback=_date_format,
    metavar="FORMAT",
    help=f"Hootsuite's date column, as chosen in its upload dialog: {', '.join(map(repr, DATE_FORMATS))} "
    "(default: the hootsuite_date_format setting, MM/DD/YYYY HH:mm).",
)
@click.option(
    "--edit",
    metavar="POST",
    help="Write POST's social file (posts/STEM.social.yaml) with its current captions, to edit; "
    "never overwrites one.",
)
@click.pass_obj
def social(obj: Context, posts, platforms, kinds, fmt, out, start, date_format, edit) -> None:
    """Export social captions for POSTs (files or slugs; default: every published post).

    With --edit POST, write the post's social file instead: its captions as the build makes them
    now, in a YAML to edit; every build then posts what the file says (see the README).

    \b
    Examples:
      newsletter social --platform x --kind thread
      newsletter social why-facial-muscles-need-movement --format json
      newsletter social --format buffer --out exports/ --start 2026-10-19
      newsletter social --format hootsuite --date-format "DD/MM/YYYY HH:mm"
      newsletter social --edit why-facial-muscles-need-movement
    """
    from dataclasses import replace

    from newsletter.content.settings import PLATFORMS
    from newsletter.social.command import export

    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        raise click.BadParameter(_unknown_platform(unknown[0], PLATFORMS), param_hint="--platform")
    if edit is not None:
        from newsletter.social.command import edit as write_edit

        if posts or out or start or date_format or fmt != "text":
            raise click.UsageError(
                "--edit writes one post's social file: "
                "give no POST, --format, --out, --start or --date-format"
            )
        path = write_edit(obj.settings, edit, tuple(platforms), tuple(kinds), obj.now)
        click.echo(
            f"Wrote {obj.settings.relative(path)}: edit its captions; every build posts them as written"
        )
        return
    if date_format and fmt not in ("hootsuite", "csv"):
        raise click.BadParameter(
            f"only --format hootsuite and csv write Hootsuite's dates, not --format {fmt}"
            + (" (Buffer's Posting Time is always YYYY-MM-DD HH:mm)" if fmt == "buffer" else ""),
            param_hint="--date-format",
        )
    settings = obj.settings
    if date_format:  # the option overrides its setting for this run
        settings = replace(settings, scheduling=replace(settings.scheduling, date_format=date_format))
    result = export(
        settings, posts, tuple(platforms), tuple(kinds), fmt, out, start and start.date(), obj.now
    )
    _report_warnings(result.warnings)
    if result.stdout is not None:
        click.echo(result.stdout, nl=False)
    for name in result.written:
        click.echo(f"Wrote {name}", err=True)


def _unknown_platform(name: str, platforms) -> str:
    from newsletter.content.settings import platform_hint

    return f"'{name}' is not one of {', '.join(platforms)}{platform_hint(name)}"


@main.command(short_help="Send a test copy of the issue by SMTP.")
@click.option(
    "--to", "to", required=True, multiple=True, metavar="ADDRESS", callback=_to,
    help="Where the test copy goes: repeat it, or separate addresses with commas.",
)  # fmt: skip
@click.option(
    "--week", callback=_week, metavar="YYYY-Www", help="Send this ISO week's issue (default: latest)."
)
@click.option(
    "--dry-run", is_flag=True,
    help="Send nothing: print the headers, the parts with their sizes and the text part.",
)  # fmt: skip
@click.option("--raw", is_flag=True, help="With --dry-run: print the message as sent (MIME, encoded).")
@click.pass_obj
def send(obj: Context, to: tuple[str, ...], week, dry_run: bool, raw: bool) -> None:
    """Send a test copy of the issue by SMTP, subject prefixed [TEST].

    Server settings come from smtp_host, smtp_port, smtp_user and smtp_starttls in setup.cfg;
    the password only from the NEWSLETTER_SMTP_PASSWORD environment variable. The Date header is
    the time of sending.

    \b
    Examples:
      newsletter send --to me@example.com
      newsletter send --to me@example.com --to editor@example.com --week 2026-W42
      newsletter send --to me@example.com --dry-run
      newsletter send --to me@example.com --dry-run --raw > test.eml
    """
    from newsletter.email.send import send as run
    from newsletter.email.send import summary

    if raw and not dry_run:
        raise click.UsageError("--raw goes with --dry-run (it prints the message instead of sending it)")
    result = run(obj.settings, to, obj.now, week, dry_run)
    _report_warnings(result.warnings)
    if dry_run and raw:
        click.echo(result.message.decode("utf-8", "replace").replace("\r\n", "\n"), nl=False)
        return
    if dry_run:
        click.echo(summary(result.message), nl=False)
        return
    tls = "STARTTLS" if result.encrypted else "no TLS"
    click.echo(
        f'Sent {result.week} "{result.subject}" as a test to {", ".join(result.to)} via {result.server} ({tls})'
    )


@main.command(short_help="Report everything wrong with an issue; writes nothing.")
@click.option("--week", callback=_week, metavar="YYYY-Www", help="Check this ISO week's issue.")
@click.option("--all", "every", is_flag=True, help="Check every week that has posts.")
@click.option("--format", "fmt", default="text", show_default=True, type=click.Choice(["text", "json"]))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.pass_obj
def check(obj: Context, week, every, fmt: str, strict: bool) -> None:
    """Report everything wrong with an issue before it goes out; writes nothing.

    Each finding has a rule id, a severity, a place and a fix. Exit 1 on any error
    (or any warning with --strict).

    \b
    Examples:
      newsletter check
      newsletter check --all --format json
      newsletter check --week 2026-W42 --strict
    """
    from newsletter.check.report import format_json, format_text, report, run
    from newsletter.errors import InputError, NewsletterError, Problem

    selection = _selection(week, every, ())
    try:
        settings = obj.settings
    except InputError as exc:  # setup.cfg itself is wrong: reported like every other finding
        found = report(exc.problems, strict)
    except NewsletterError as exc:  # setup.cfg unreadable or without [newsletter]
        found = report([Problem("setup.cfg", 0, exc.message, rule="settings")], strict)
    else:
        found = run(settings, obj.now, selection, strict)
    click.echo((format_json if fmt == "json" else format_text)(found), nl=False)
    if found.failed:
        raise SystemExit(1)


@main.command(short_help="Serve a live-reloading preview of every issue.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option("--open/--no-open", "open_browser", default=True, help="Open the browser.")
@click.option("--drafts", is_flag=True, help="Include drafts, marked Draft (subjects start with [DRAFT]).")
@click.pass_obj
def preview(obj: Context, host: str, port: int, open_browser: bool, drafts: bool) -> None:
    """Serve a live-reloading preview of every issue and its captions.

    \b
    Examples:
      newsletter preview
      newsletter preview --drafts --port 8001 --no-open
    """
    from newsletter.preview.server import serve
    from newsletter.urls import LOOPBACK

    if host not in LOOPBACK:
        click.echo(
            f"warning: listening on {host}: anyone who can reach this machine can read the preview", err=True
        )
    try:
        serve(
            obj.settings.root,
            host,
            port,
            open_browser,
            lambda text, error: click.echo(text, err=error),
            drafts,
        )
    except KeyboardInterrupt:
        click.echo("Stopped the preview.")


@main.command(name="list", short_help="List posts with their date, ISO week and status.")
@click.pass_obj
def list_posts(obj: Context) -> None:
    """List posts with their date, ISO week, status, slug and title, in aligned columns.

    \b
    Example:
      newsletter list
    """
    from newsletter.content.issue import week_of
    from newsletter.content.posts import load
    from newsletter.errors import Problems, plural

    problems = Problems()
    library = load(obj.settings, problems)
    # A broken post is a row of its own, marked with its first problem: list always lists (exit 0).
    rows: list[tuple[dt.date | None, str, str, str, str, str]] = [
        (p.date, p.date.isoformat(), week_of(p), "draft" if p.draft else "published", p.slug, p.title)
        for p in library.metas
    ]
    for b in library.broken.values():
        day = b.date.isoformat() if b.date else "no date"
        first = b.first
        rows.append((b.date, day, b.week or "-", "error", b.slug, f"line {first.line}: {first.message}"))
    rows.sort(key=lambda r: (r[0] is None, r[0] or dt.date.min, r[4]))
    rowed = {p for b in library.broken.values() for p in b.problems}
    warned = sum(not p.is_error for p in problems.items if p not in rowed)  # counted, not listed: check's job
    width = max((len(r[4]) for r in rows), default=0)
    if rows:
        click.echo(f"{'date':<10}  {'week':<8}  {'status':<9}  {'slug':<{width}}  title")
    for _, day, week, status, slug, title in rows:
        click.echo(f"{day:<10}  {week:<8}  {status:<9}  {slug:<{width}}  {title}")
    if not rows:
        click.echo("No posts yet: write one with 'newsletter new TITLE'.")
    counts = [f"{plural(len(library.broken), 'post')} with errors"] if library.broken else []
    counts += [plural(warned, "warning")] if warned else []
    if counts:
        click.echo(f"{', '.join(counts)}: `newsletter check --all` lists every problem", err=True)


@main.command(short_help="Create a draft post, or an issue file with --issue.")
@click.argument("title", required=False)
@click.option(
    "--date", "date", callback=_date, metavar="YYYY-MM-DD", help="Publication date (default: today)."
)
@click.option(
    "--issue", "issue_week", is_flag=False, flag_value="latest", default=None, metavar="[YYYY-Www]",
    help="Create issues/YYYY-Www.md instead (default: the latest week with posts, else this week).",
)  # fmt: skip
@click.pass_obj
def new(obj: Context, title: str | None, date: str | None, issue_week: str | None) -> None:
    """Create a post from TITLE in the posts folder, as a draft; or, with --issue, the issue file
    of a week (subject, preheader, layout, order, exclude, and the editor's intro).

    \b
    Examples:
      newsletter new "Why facial muscles need movement"
      newsletter new "Winter skin" --date 2026-12-01
      newsletter new --issue
      newsletter new --issue 2026-W42
    """
    if issue_week is not None:
        if title or date:
            raise click.UsageError("--issue takes a week, not TITLE or --date")
        from newsletter.project.new import create_issue

        week = None if issue_week == "latest" else _week(None, None, issue_week)
        path = create_issue(obj.settings, obj.now.date(), week)
        click.echo(f"Created {obj.settings.relative(path)}")
        return
    if not title:
        raise click.UsageError("Missing argument 'TITLE' (or use --issue for an issue file).")
    from newsletter.project.new import create

    path = create(obj.settings, title, obj.now.date(), date)
    click.echo(f"Created {obj.settings.relative(path)}")
    click.echo("It is a draft: set 'draft: false' when it is ready.", err=True)


@main.command(name="import", short_help="Turn blog pages, feeds or copied text into posts.")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--draft/--published", "draft", default=None,
    help="Make the posts drafts (the default) or published; --update keeps a post's status unless given.",
)  # fmt: skip
@click.option("--update", is_flag=True, help="Rewrite a post imported before from the same source.")
@click.option("--dry-run", is_flag=True, help="Show each post's Markdown; write nothing.")
@click.option("--download-images", is_flag=True, help="Save the images beside the post and use the copies.")
@click.option("--title", default="", help="The post's title (one SOURCE only; else taken from the source).")
@click.option(
    "--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
    help="The post's date (one SOURCE only; else taken from the source, else today).",
)  # fmt: skip
@click.pass_obj
def import_command(obj: Context, sources, draft, update, dry_run, download_images, title, day) -> None:
    """Import articles as posts: each SOURCE is the URL or saved file of an article page, an RSS or
    Atom feed (one post per entry), or a text file copied from a blog page.

    Posts are drafts named posts/YYYY-MM-DD-slug.md; an existing post is never overwritten. Each post
    made gets a line saying what was guessed and what needs a look. Only the URLs given (and a feed's
    entry pages on its own host) are fetched.

    \b
    Examples:
      newsletter import https://www.example.com/post/winter-skin
      newsletter import saved-page.html https://example.com/feed.xml
      newsletter import copied.txt --title "Facial Massage" --date 2026-10-14
      newsletter import https://example.com/feed.xml --dry-run
    """
    from newsletter.errors import NewsletterError, plural
    from newsletter.importer.records import Options
    from newsletter.importer.run import import_sources

    if (title or day) and len(sources) > 1:
        raise click.UsageError("--title and --date name one post: give one SOURCE with them")
    options = Options(draft, update, dry_run, download_images, title.strip(), day and day.date())
    report = import_sources(obj.settings, tuple(sources), options, obj.now)
    from newsletter.importer.records import Failed

    for item in report.items:
        if isinstance(item, Failed):
            click.echo(str(item), err=True)
            continue
        click.echo(_import_line(obj.settings, item))
        if dry_run:
            click.echo(item.text)
    made = len(report.imported)
    failed = f"; {len(report.failed)} could not be imported" if report.failed else ""
    if not made:
        raise NewsletterError(f"Nothing imported{failed}.")
    verb = "Would import" if dry_run else "Imported"
    click.echo(f"{verb} {plural(made, 'post')}{failed}.", err=True)


def _import_line(settings, item) -> str:
    from newsletter.errors import plural

    status = "draft" if item.draft else "published"
    line = f"{item.action.capitalize()} {settings.relative(item.path)} ({status}) from {item.source} ({item.kind})"
    if item.images:
        line += f"; {plural(len(item.images), 'image')} saved in {settings.relative(item.images[0].parent)}/"
    if item.guessed:
        line += "; guessed: " + ", ".join(item.guessed)
    if item.notes:
        line += "; look at: " + ", ".join(item.notes)
    return line


@main.command(short_help="Start a new project: settings, a welcome draft, templates/.")
@click.argument("folder", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
def init(folder: Path) -> None:
    """Start a newsletter project in FOLDER (default: here): setup.cfg with a [newsletter] section to
    fill in, posts/ with a welcome draft, issues/, and an empty templates/ (every template comes from
    the package until you put your own there).

    \b
    Example:
      newsletter init my-newsletter && cd my-newsletter && newsletter new "Hello"
    """
    from newsletter.clock import now
    from newsletter.project.init import init as run

    written = run(folder, now().date())
    click.echo(f"Created {', '.join(str(p.relative_to(folder)) for p in written)} in {folder}/")
    click.echo('Next: fill in setup.cfg, then: newsletter new "Title"')


def run() -> None:
    """The console script and `python -m newsletter`: the command line in a process of its own. At its
    exit the interpreter's last garbage collections are skipped: they visit every object premailer,
    cssutils and Jinja made only to free them, about 90 ms of a cold build's or check's 0.9 s
    (tests/benchmarks/bench_exit.py). Every exit handler still runs, and output is flushed as usual."""
    import atexit

    atexit.register(_skip_last_collections)  # registered first, so it runs after every other handler
    main()


def _skip_last_collections() -> None:
    import gc

    gc.disable()
    gc.freeze()  # what is left is freed by the process's end, not searched for cycles first
