"""The command line: thin commands that parse, call one library function and report. Only this prints."""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__


class Context:
    """Settings are loaded on first use, so --help never reads the project."""

    def __init__(self, project: Path | None):
        self.project = project
        self._settings = None

    @property
    def settings(self):
        if self._settings is None:
            from .config import find_root, load_settings

            root = self.project.resolve() if self.project else find_root(Path.cwd().resolve())
            self._settings = load_settings(root)
        return self._settings


def _week(ctx, param, value):
    if value is None:
        return None
    from .issue import parse_week

    try:
        return parse_week(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _selection(week, every, files):
    from .issue import Selection

    if sum(map(bool, (week, every, files))) > 1:
        raise click.UsageError("choose one of --week, --all and --post")
    return Selection(week, every, tuple(f.resolve() for f in files))


def _report_warnings(warnings) -> None:
    for warning in warnings:
        click.echo(str(warning), err=True)


@click.group(name="newsletter", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Project folder (default: the nearest folder up whose setup.cfg has [newsletter]).",
)
@click.version_option(__version__, prog_name="newsletter")
@click.pass_context
def main(ctx: click.Context, project: Path | None) -> None:
    """Turn article Markdown into a weekly email issue and social captions."""
    ctx.obj = Context(project)


@main.command()
@click.option("--week", callback=_week, metavar="YYYY-Www", help="Build this ISO week's issue.")
@click.option("--all", "every", is_flag=True, help="Build one issue per week that has posts.")
@click.option(
    "--post", "files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Build an issue of exactly these posts (repeatable).",
)  # fmt: skip
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: build/).",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
@click.option("--no-cache", is_flag=True, help="Parse and render everything, ignoring the last build.")
@click.pass_obj
def build(obj: Context, week, every, files, out, strict, jobs, no_cache) -> None:
    """Build the weekly issue: email.html, email.txt, email.eml and captions.

    With no selection, builds the latest week that has published posts.
    """
    from .build import build as run

    selection = _selection(week, every, files)
    result = run(
        obj.settings,
        selection,
        out=out,
        strict=strict,
        workers=jobs or 0,
        use_cache=not no_cache,
    )
    _report_warnings(result.warnings)
    where = obj.settings.relative(result.out)
    issues = ", ".join(result.issues)
    removed = f", {len(result.removed)} removed" if result.removed else ""
    click.echo(
        f"Built {issues} ({result.posts} post{'s' if result.posts != 1 else ''}) in {where}/: "
        f"{len(result.written)} written, {result.unchanged} unchanged{removed} in {result.seconds:.2f} s"
    )


@main.command()
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
    type=click.Path(dir_okay=True, path_type=Path),
    help="Write to FILE (text, json) or into FOLDER (csv, buffer, hootsuite) instead of stdout.",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Scheduler exports: first day of posting slots, YYYY-MM-DD (default today; never in the past).",
)
@click.pass_obj
def social(obj: Context, posts, platforms, kinds, fmt, out, start) -> None:
    """Export social captions for POSTs (files or slugs; default: every published post)."""
    from .config import PLATFORMS
    from .social.command import export

    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        raise click.BadParameter(
            f"'{unknown[0]}' is not one of {', '.join(PLATFORMS)}", param_hint="--platform"
        )
    result = export(obj.settings, posts, tuple(platforms), tuple(kinds), fmt, out, start and start.date())
    _report_warnings(result.warnings)
    if result.stdout is not None:
        click.echo(result.stdout, nl=False)
    for name in result.written:
        click.echo(f"Wrote {name}", err=True)


@main.command()
@click.option(
    "--to", "to", required=True, multiple=True, metavar="ADDRESS",
    help="Where the test copy goes: repeat it, or separate addresses with commas.",
)  # fmt: skip
@click.option(
    "--week", callback=_week, metavar="YYYY-Www", help="Send this ISO week's issue (default: latest)."
)
@click.option("--dry-run", is_flag=True, help="Print the message instead of sending it.")
@click.pass_obj
def send(obj: Context, to: tuple[str, ...], week, dry_run: bool) -> None:
    """Send a test copy of the issue by SMTP, subject prefixed [TEST].

    Server settings come from smtp_host, smtp_port, smtp_user and smtp_starttls in setup.cfg;
    the password only from the NEWSLETTER_SMTP_PASSWORD environment variable.
    """
    from .send import send as run

    result = run(obj.settings, to, week, dry_run)
    _report_warnings(result.warnings)
    if dry_run:
        click.echo(result.message.decode("utf-8", "replace").replace("\r\n", "\n"), nl=False)
        return
    tls = "STARTTLS" if result.encrypted else "no TLS"
    click.echo(f"Sent a test to {', '.join(result.to)} via {result.server} ({tls})")


@main.command()
@click.option("--week", callback=_week, metavar="YYYY-Www", help="Check this ISO week's issue.")
@click.option("--all", "every", is_flag=True, help="Check every week that has posts.")
@click.option("--format", "fmt", default="text", show_default=True, type=click.Choice(["text", "json"]))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.pass_obj
def check(obj: Context, week, every, fmt: str, strict: bool) -> None:
    """Report everything wrong with an issue before it goes out; writes nothing.

    Each finding has a rule id, a severity, a place and a fix. Exit 1 on any error
    (or any warning with --strict).
    """
    from .checks import format_json, format_text, report, run
    from .errors import InputError, NewsletterError, Problem

    selection = _selection(week, every, ())
    try:
        settings = obj.settings
    except InputError as exc:  # setup.cfg itself is wrong: reported like every other finding
        found = report(exc.problems, strict)
    except NewsletterError as exc:  # setup.cfg unreadable or without [newsletter]
        found = report([Problem("setup.cfg", 0, exc.message, rule="settings")], strict)
    else:
        found = run(settings, selection, strict)
    click.echo((format_json if fmt == "json" else format_text)(found), nl=False)
    if found.failed:
        raise SystemExit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=int, help="Port to listen on (0: any free port)."
)
@click.option("--open/--no-open", "open_browser", default=True, help="Open the browser.")
@click.pass_obj
def preview(obj: Context, host: str, port: int, open_browser: bool) -> None:
    """Serve a live-reloading preview of every issue and its captions."""
    from .preview import serve
    from .urls import LOOPBACK

    if host not in LOOPBACK:
        click.echo(
            f"warning: listening on {host}: anyone who can reach this machine can read the preview", err=True
        )
    try:
        serve(obj.settings.root, host, port, open_browser, lambda text, error: click.echo(text, err=error))
    except KeyboardInterrupt:
        click.echo("Stopped the preview.")


@main.command(name="list")
@click.pass_obj
def list_posts(obj: Context) -> None:
    """List posts with their date, ISO week and status."""
    from .content import load
    from .errors import Problems
    from .issue import week_of

    problems = Problems()
    posts = load(obj.settings, problems).metas
    problems.raise_if_errors()
    _report_warnings(problems.warnings)
    for post in posts:
        status = "draft" if post.draft else "     "
        click.echo(f"{post.date.isoformat()}  {week_of(post)}  {status}  {post.slug}  {post.title}")
    if not posts:
        click.echo("No posts yet: write one with 'newsletter new TITLE'.")


@main.command()
@click.argument("title")
@click.option("--date", "date", metavar="YYYY-MM-DD", help="Publication date (default: today).")
@click.pass_obj
def new(obj: Context, title: str, date: str | None) -> None:
    """Create a post from TITLE in the posts folder, as a draft."""
    from .newpost import create

    path = create(obj.settings, title, date)
    click.echo(f"Created {obj.settings.relative(path)}")
