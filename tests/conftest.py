"""Shared fixtures: a CliRunner, throwaway projects, golden-file comparison (refresh: --update-golden)."""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import sys
import textwrap
from pathlib import Path

# This workplace's machines set PYTHONDONTWRITEBYTECODE=1: every `python -m newsletter` a test starts then
# compiled the package again, and pytest rewrote every test module's asserts again in each worker and
# each run. The suite writes bytecode (into __pycache__/, ignored by git) for itself and its children.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
    sys.dont_write_bytecode = False

import pytest
from click.testing import CliRunner
from hypothesis import settings

from newsletter.cli import main

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "newsletter" / "templates"  # the packaged defaults (the studio overrides none)
GOLDEN = Path(__file__).resolve().parent / "golden"


# CI explores the same examples every run (a red CI then means the change, not the dice); locally and in
# the long fuzz run hypothesis draws fresh ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")


# A worker's heap is large once collected (the test modules, hypothesis, Playwright: about a million
# objects), and each automatic full collection walked all of it: about 10 s of the suite's CPU, measured
# with gc.callbacks. What exists after collection is frozen (never scanned again) and young objects are
# collected less often; cycles the tests make are still collected.
def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)


# gc.get_freeze_count() walks the whole frozen generation (10-20 ms in a collected worker, 15 s of the
# suite's CPU when every test asked it): a test knows it thawed the heap from this flag instead.
_THAWED: list[bool] = [False]
_real_unfreeze = gc.unfreeze


def _unfreeze() -> None:
    _THAWED[0] = True
    _real_unfreeze()


gc.unfreeze = _unfreeze


@pytest.fixture(autouse=True)
def _heap_frozen_again():
    """The pool (newsletter/run/pool.py) freezes before it forks and unfreezes after, which thaws
    what collection froze too: frozen again after such a test, once collected."""
    yield
    if _THAWED[0]:
        _THAWED[0] = False
        gc.collect()
        gc.freeze()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="Rewrite tests/golden/ from the current output."
    )


def require(tool: str, hint: str) -> str:
    """A test that needs an outside tool: fails in CI (CI=true) when it is missing, skips elsewhere."""
    path = shutil.which(tool) or (tool if Path(tool).exists() else None)
    if path:
        return path
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{tool} is missing in CI: {hint}")
    pytest.skip(f"{tool} is not installed here: {hint}")


# The one clock hook (newsletter/clock.py): every test runs at this moment unless it sets its own, so no
# test depends on the day it runs (CI runs the suite again under faketime, a year ahead).
TEST_NOW = "2026-11-22T12:00:00"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEWSLETTER_NOW", TEST_NOW)
    return TEST_NOW


def plan_of(root: Path, work: str = "BUILD"):
    """The plan of a project's latest issue, as a command's run makes it (work: BUILD, CHECK, ...)."""
    import datetime as dt

    from newsletter.content.issue import Selection
    from newsletter.content.settings import load_settings
    from newsletter.run import context
    from newsletter.run.plan import plan

    settings = load_settings(root)
    now = dt.datetime.fromisoformat(TEST_NOW).replace(tzinfo=settings.zone)
    return plan(context.Run(settings, now, getattr(context, work)), Selection())


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner):
    """Run the command line in-process: cli("--project", p, "build") -> click Result."""

    def run(*args: str | Path):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


SETTINGS = """\
[metadata]
name = sample

[newsletter]
name = Via Skincare
site_url = https://viaskincare.com
from = Via Skincare <hello@viaskincare.com>
reply_to = hello@viaskincare.com
address = Via Skincare, 2140 Larkin Street, San Francisco, CA 94109
unsubscribe_url = *|UNSUB|*
timezone = America/Los_Angeles
utm_campaign = weekly-{week}
hashtags = ViaSkincare
post_url = {site_url}/blog/{slug}
"""

GOOD_POST = """\
---
title: A good post
date: 2026-10-14
---

Hello there, this is a post.
"""


class Project:
    """A minimal project in tmp_path; its templates/ overrides the packaged ones file by file."""

    def __init__(self, root: Path):
        self.root = root
        self.posts = root / "posts"
        self.build = root / "build"

    def post(self, name: str, text: str) -> Path:
        path = self.posts / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def raw_post(self, name: str, data: bytes) -> Path:
        path = self.posts / name
        path.write_bytes(data)
        return path

    def own_template(self, name: str) -> Path:
        """The project's copy of one packaged template (copied on first use), to edit."""
        path = self.root / "templates" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(TEMPLATES / name, path)
        return path

    def settings(self, extra: str = "", text: str | None = None) -> None:
        (self.root / "setup.cfg").write_text((SETTINGS if text is None else text) + extra, encoding="utf-8")

    def outputs(self, folder: Path | None = None) -> dict[str, bytes]:
        """Every output file; dot files and folders (the cache manifest, the build lock, compiled
        templates) are bookkeeping, not output."""
        folder = folder or self.build
        return {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        }


def _project_at(root: Path, request: pytest.FixtureRequest, posts: Path | None = None) -> Project:
    """A project with the test settings. Its templates/ is empty, so the packaged templates are used,
    unless the test is marked `copied_templates` (templates/ holds copies of them, to edit): Jinja
    keeps compiled templates by file path, so each copy is compiled again, a third of a sample build.
    A test that changes one template writes just that one (see `own_template`)."""
    if request.node.get_closest_marker("copied_templates"):
        shutil.copytree(TEMPLATES, root / "templates")
    else:
        (root / "templates").mkdir()
    if posts is None:
        (root / "posts").mkdir()
    else:
        shutil.copytree(posts, root / "posts")
    proj = Project(root)
    proj.settings()
    return proj


@pytest.fixture
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Project:
    return _project_at(tmp_path, request)


@pytest.fixture
def sample(tmp_path: Path, request: pytest.FixtureRequest) -> Project:
    """The repository's own posts and templates, with the test settings."""
    return _project_at(tmp_path, request, REPO / "posts")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare bytes with tests/golden/NAME; with --update-golden, write them instead."""
    update = request.config.getoption("--update-golden")

    def check(name: str, data: bytes) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return
        assert path.is_file(), f"missing golden file {path}; run: python -m pytest --update-golden"
        assert data == path.read_bytes(), (
            f"{name} differs from its golden file; if intended: pytest --update-golden"
        )

    return check


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser():
    """Real headless Chromium (Debian's package), driven by Playwright; CI installs it."""
    executable = require(os.environ.get("CHROMIUM", "/usr/bin/chromium"), "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Every .eml the suite makes is read back by an independent parser (tests/eml_checks.py) at the moment
# it is made: in builds, sends and dry runs, in this process and in forked pool workers.
EML_CHECKED: list[int] = []


@pytest.fixture(autouse=True)
def _every_eml_is_checked(monkeypatch):
    from eml_checks import check_eml

    import newsletter.email.mime as mime

    made = mime.as_bytes

    def checked(message):
        data = made(message)
        check_eml(data)
        EML_CHECKED.append(len(data))
        return data

    monkeypatch.setattr(mime, "as_bytes", checked)


# The suite builds the sample project a few hundred times, and drawing its cards was a fifth of the
# suite's CPU. A card is a pure function of what cards_key() covers (what it says, size, accent, the
# drawing code, the font files; the incremental cache already relies on that), so the cards a build
# draws through LazyCard are kept here, on disk (builds draw them in forked children), shared by the
# xdist workers, for the session only. Not kept: cards drawn by draw.png directly (the card tests), and
# any build of a test that replaced anything the drawing modules hold (draw.png to count draws, draw.ink
# to draw in another colour, a font table) or is marked `fresh_cards` (it compares card bytes across builds).
@pytest.fixture(scope="session")
def _card_memo_folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "card-memo"
    folder.mkdir(exist_ok=True)
    return folder


_PRISTINE_DRAWING: list[dict[str, int]] = []  # the drawing modules' names, as the first test found them


def _names_of(module) -> dict[str, int]:
    return {name: id(value) for name, value in vars(module).items() if not name.startswith("__")}


@pytest.fixture(autouse=True)
def _cards_drawn_once_per_session(request, _card_memo_folder, monkeypatch):
    if request.node.get_closest_marker("fresh_cards"):
        return
    from newsletter import colors
    from newsletter.social import draw, fonts, lines, outputs

    real = outputs.LazyCard.__call__
    modules = (draw, lines, fonts, colors)
    if not _PRISTINE_DRAWING:
        _PRISTINE_DRAWING.extend(_names_of(m) for m in modules)
    pristine = tuple(_PRISTINE_DRAWING)

    def call(card: outputs.LazyCard) -> bytes:
        # a test that replaced any function or constant the drawing reads (draw.ink, a font table) draws
        # its own cards and keeps none: the memo's key covers what a card says, not how it is drawn
        if card._png is not None or any(_names_of(m) != p for m, p in zip(modules, pristine, strict=True)):
            return real(card)
        name = f"{outputs.cards_key((card.card,), card.accent)}-{card.size}.png"
        path = _card_memo_folder / name
        try:
            card._png = path.read_bytes()
        except FileNotFoundError:
            data = real(card)
            part = path.with_name(f"{name}.{os.getpid()}.part")
            part.write_bytes(data)
            os.replace(part, path)
        return card._png

    monkeypatch.setattr(outputs.LazyCard, "__call__", call)


# The same few emails are inlined hundreds of times (every build of the sample): premailer's transform is
# a pure function of the HTML it is given (the stylesheet is in it), about a sixth of a sample build. So
# each worker keeps the inlined email for the session, by the HTML's digest, when inlining it logged
# nothing (cssutils' messages reach the build's findings through the log); a test that replaces
# `inline_css` or premailer's inliner, or is marked `fresh_inline`, inlines afresh.
INLINED: dict[bytes, str] = {}


@pytest.fixture(autouse=True)
def _inlined_once_per_session(request, monkeypatch):
    if request.node.get_closest_marker("fresh_inline"):
        return
    import logging

    from newsletter.email import inline

    real, inliner = inline.inline_css, inline._inliner

    class _Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            self.any = True

    def memo(html: str) -> str:
        if inline.inline_css is not memo or inline._inliner is not inliner:
            return real(html)
        _rules_parsed_once_per_session(inline, _Seen, monkeypatch)
        key = hashlib.sha256(html.encode("utf-8", "surrogatepass")).digest()
        if key in INLINED:
            return INLINED[key]
        seen = _Seen()
        seen.any = False
        inline.log.addHandler(seen)
        try:
            made = real(html)
        finally:
            inline.log.removeHandler(seen)
        if not seen.any:
            INLINED[key] = made
        return made

    monkeypatch.setattr(inline, "inline_css", memo)


# An email not inlined before (another accent, a template of the test's own) still has the stylesheet of
# many others, and cssutils parsing it was most of premailer's time: its rules are kept for the session
# as the run's memo keeps them for one run (newsletter/email/inline.py), when parsing logged nothing.
RULES: dict[tuple, tuple[list, list]] = {}


def _rules_parsed_once_per_session(inline, seen_class, monkeypatch) -> None:
    """Only for the product's inliner (its CachedRules, at its logging level), for this test only."""
    from premailer import Premailer

    parse = Premailer._parse_style_rules
    if getattr(parse, "session_memo", False):
        return

    def parse_once(self, css_body, ruleset_index):
        if type(self) is not inline._inliner() or not self.cache_css_parsing:
            return parse(self, css_body, ruleset_index)
        key = (css_body, ruleset_index, self.strip_important, self.exclude_pseudoclasses,
               self.include_star_selectors, self.disable_validation)  # fmt: skip
        if key not in RULES:
            seen = seen_class()
            seen.any = False
            inline.log.addHandler(seen)
            try:
                made = parse(self, css_body, ruleset_index)
            finally:
                inline.log.removeHandler(seen)
            if seen.any:
                return made
            RULES[key] = made
        rules, leftover = RULES[key]
        return list(rules), list(leftover)

    parse_once.session_memo = True  # type: ignore[attr-defined]
    monkeypatch.setattr(Premailer, "_parse_style_rules", parse_once)


@pytest.fixture(autouse=True)
def _one_worker_unless_asked(request, monkeypatch):
    """In-process commands run with one worker (as on a one-core machine), unless the test passes
    `--jobs N` or is marked `all_cores`: forking a pytest worker (hundreds of MB) for a two-article build
    cost the suite about 30 s of CPU, mostly copied page tables and copy-on-write faults. The pool and
    the forked child are proved by the tests that ask for them (test_pool.py, the `--jobs` tests of
    test_incremental.py, test_hardening.py's kills)."""
    if not request.node.get_closest_marker("all_cores"):
        monkeypatch.setattr(os, "cpu_count", lambda: 1)


# Templates are compiled again whenever the bytecode cache cannot serve them: a project of the test's own
# (its templates under a new tmp path), `--no-cache`, an edited template. Jinja's compile is parse, then
# generate Python source, then Python's compile; the first two were about 7 s of the suite's CPU. The
# generated source of the product's Sandbox (no finalize) is a pure function of the template's source,
# its name and the environment's syntax settings, policies, filters (the functions behind them: Jinja
# folds constants through them), tests and intercepted operators (the file name only appears in errors,
# which are never kept), so each worker keeps it by those; Python's compile still runs with the real file
# name, so tracebacks and the renderer's template:line messages name the test's own file.
GENERATED: dict[tuple, str] = {}


@pytest.fixture(autouse=True, scope="session")
def _templates_generated_once_per_session():
    import jinja2

    from newsletter.email.sandbox import Sandbox  # the product's one environment: its options are fixed

    real = jinja2.Environment.compile

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if not isinstance(source, str) or raw or type(self) is not Sandbox or self.finalize is not None:
            return real(self, source, name, filename, raw, defer_init)
        escape = self.autoescape(name) if callable(self.autoescape) else self.autoescape
        key = (
            type(self), self.code_generator_class, self.optimized, self.is_async, escape, source, name,
            defer_init, tuple(sorted(self.extensions)), repr(sorted(self.policies.items())),
            frozenset((n, getattr(f, "__wrapped__", f)) for n, f in self.filters.items()),
            frozenset(self.tests.items()), self.intercepted_binops, self.intercepted_unops,
            self.block_start_string, self.block_end_string, self.variable_start_string,
            self.variable_end_string, self.comment_start_string, self.comment_end_string,
            self.line_statement_prefix, self.line_comment_prefix, self.trim_blocks, self.lstrip_blocks,
            self.newline_sequence, self.keep_trailing_newline,
        )  # fmt: skip
        code = GENERATED.get(key)
        if code is None:
            code = GENERATED[key] = real(self, source, name, filename, True, defer_init)
        return self._compile(code, "<template>" if filename is None else filename)

    jinja2.Environment.compile = compile
    yield
    jinja2.Environment.compile = real
