"""Every row of the speed issue's targets table, measured in one run, and with --readme written into the
README's Speed table (between `<!-- bench:start -->` and `<!-- bench:end -->`).

    python tests/benchmarks/run.py --readme          # every row (about 20 minutes on 2 cores, quiet)
    python tests/benchmarks/run.py --quick --readme  # every row but the 4,000-post one (about 8 minutes)
    python tests/benchmarks/run.py --only sample     # rows whose group is named (sample, preview, archive, big)

A row that compares two commands runs them in turn, A B A B ..., after one warm-up of each, and its
figure is the median of the per-pair ratios A/B (wall time; the CPU ratio beside it): on a machine that
other work shares, a ratio measured this way holds when the absolute times drift. Absolute rows (the
archive builds, the preview) are medians of whole-process wall times, so they are only as good as the
machine is quiet: the table prints the 1-minute load average at the start of each row. CPU and peak
memory come from the kernel's accounting of each finished process and the children it waited for
(`os.wait4`); the 4,000-post row polls the proportional set size of the build and its workers, summed.

mjml: the CLI pinned in tests/benchmarks/mjml/ (`npm ci --prefix tests/benchmarks/mjml`), or MJML=path.
The preview rows need Playwright and Debian's chromium (CHROMIUM=path for another).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

PY = sys.executable
NEWSLETTER = [PY, "-m", "newsletter"]
# What pip's console script `newsletter` runs, started the same way (the interpreter, not a shim).
CONSOLE_SCRIPT = [PY, "-c", "import re, sys; from newsletter.cli import run; sys.exit(run())"]
MJML_HERE = HERE / "mjml" / "node_modules" / ".bin" / "mjml"


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + sys seconds, the process and every child it waited for
    peak: float  # MiB, the largest single process (ru_maxrss)


@dataclass
class Row:
    group: str
    what: str
    target: str
    limit: float  # the figure must be at most this (a ratio, seconds or MB)
    unit: str  # "ratio" | "s" | "MB"
    values: list[float] = field(default_factory=list)  # the figure per run (per pair for a ratio)
    cpu: list[float] = field(default_factory=list)  # per-pair CPU ratios, or CPU seconds per run
    detail: str = ""
    load: float = 0.0
    skipped: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def met(self) -> bool:
        return bool(self.values) and self.median <= self.limit


def once(command: list[str], cwd: Path, before: Callable[[], None] | None = None) -> Sample:
    """One whole-process run; stdout and stderr kept in a file (a pipe nobody reads could fill)."""
    if before is not None:
        before()
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=output)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0,):
            output.seek(0)
            raise SystemExit(f"failed ({process.returncode}): {command}\n{output.read().decode()[-3000:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def paired(row: Row, a: Callable[[], Sample], b: Callable[[], Sample], runs: int) -> tuple[list, list]:
    """A B A B ...: one warm-up of each, then `runs` pairs; the row's figures are the per-pair ratios."""
    a(), b()
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(a())
        theirs.append(b())
    row.values = [x.wall / y.wall for x, y in zip(ours, theirs, strict=True)]
    row.cpu = [x.cpu / y.cpu for x, y in zip(ours, theirs, strict=True)]
    return ours, theirs


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 2 else f"{seconds:.2f} s"


def _medians(samples: list[Sample]) -> str:
    wall = statistics.median(s.wall for s in samples)
    cpu = statistics.median(s.cpu for s in samples)
    peak = statistics.median(s.peak for s in samples)
    return f"{_ms(wall)} wall, {_ms(cpu)} CPU, {peak:.0f} MiB"


# --- the sample project ---------------------------------------------------------------------------------


def sample_project(tmp: Path) -> Path:
    project = tmp / "sample"
    shutil.copytree(
        REPO,
        project,
        ignore=shutil.ignore_patterns("build", ".git", "node_modules", "tests", "docs", "*.egg-info"),
    )
    return project


def _clean(project: Path) -> Callable[[], None]:
    """Cold: no build/ (so no manifest and no cards to reuse); `--no-cache` skips the compiled templates."""
    return lambda: shutil.rmtree(project / "build", ignore_errors=True)


def _clean_check(project: Path) -> Callable[[], None]:
    """Cold for check, which has no --no-cache: no build/ and no compiled templates of ours in Jinja's
    per-user folder (check keeps them there, as build does)."""

    def clean() -> None:
        shutil.rmtree(project / "build", ignore_errors=True)
        folder = Path(tempfile.gettempdir()) / f"_jinja2-cache-{os.getuid()}"
        for entry in folder.glob("__newsletter_*.cache"):
            entry.unlink(missing_ok=True)

    return clean


def mjml_source(tmp: Path, project: Path) -> Path | None:
    """The sample week's two articles as MJML, a button each: the email mjml would make of them."""
    code = (
        "import sys; from newsletter.content.markup import render\n"
        "for f in sys.argv[1:]: print(render(open(f).read().split('---', 2)[2]).html + '\\n\\n')"
    )
    articles = sorted((project / "posts").glob("*.md"))
    html = subprocess.run([PY, "-c", code, *map(str, articles)], capture_output=True, text=True,
                          check=True, cwd=project).stdout  # fmt: skip
    sections = "".join(
        f"<mj-section><mj-column><mj-text>{part}</mj-text>"
        '<mj-button href="https://viaskincare.com">Book</mj-button></mj-column></mj-section>'
        for part in html.split("\n\n\n")
        if part.strip()
    )
    source = tmp / "issue.mjml"
    source.write_text(
        f'<mjml><mj-head><mj-preview>Preview</mj-preview></mj-head><mj-body width="600px">{sections}'
        "</mj-body></mjml>",
        encoding="utf-8",
    )
    return source


def sample_rows(tmp: Path, runs: int) -> list[Row]:
    project = sample_project(tmp)
    cold = [*NEWSLETTER, "build", "--no-cache"]
    build = lambda: once(cold, project, _clean(project))  # noqa: E731
    rows = []

    row = Row("sample", "cold sample build ÷ mjml CLI, same two articles, interleaved", "≤ 0.6", 0.6, "ratio")
    mjml = os.environ.get("MJML") or (str(MJML_HERE) if MJML_HERE.exists() else shutil.which("mjml"))
    if mjml:
        source = mjml_source(tmp, project)
        theirs = [mjml, str(source), "-o", str(tmp / "mjml.html")]
        row.load = os.getloadavg()[0]
        ours, other = paired(row, build, lambda: once(theirs, tmp), runs)
        row.detail = f"build {_medians(ours)}; mjml {_medians(other)}"
    else:
        row.skipped = "mjml not installed: npm ci --prefix tests/benchmarks/mjml"
    rows.append(row)

    row = Row("sample", "`newsletter --help` ÷ `python -c 'import click'`", "≤ 1.15", 1.15, "ratio")
    row.load = os.getloadavg()[0]
    ours, other = paired(row, lambda: once([*CONSOLE_SCRIPT, "--help"], project),
                         lambda: once([PY, "-c", "import click"], project), max(runs, 15))  # fmt: skip
    row.detail = f"--help {_medians(ours)}; import click {_medians(other)}"
    rows.append(row)

    row = Row("sample", "`check` ÷ `build` on the sample (cold)", "≤ 0.7", 0.7, "ratio")
    row.load = os.getloadavg()[0]
    check = lambda: once([*NEWSLETTER, "check"], project, _clean_check(project))  # noqa: E731
    ours, other = paired(row, check, build, runs)
    row.detail = f"check {_medians(ours)}; build {_medians(other)}"
    rows.append(row)
    return rows


# --- the preview ----------------------------------------------------------------------------------------


def preview_rows(tmp: Path, saves: int, size: int) -> list[Row]:
    sample = Row("preview", "preview save → updated page, sample", "≤ 100 ms", 0.1, "s")
    archive = Row("preview", f"preview save → updated page, {size:,} posts", "≤ 250 ms", 0.25, "s")
    ready = Row("preview", f"preview ready (first page served) at {size:,} posts", "≤ 5 s", 5.0, "s")
    try:
        import bench_preview
        import playwright  # noqa: F401
    except ImportError as exc:
        for row in (sample, archive, ready):
            row.skipped = f"needs Playwright ({exc})"
        return [sample, archive, ready]
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    root = sample_project(tmp / "preview")
    sample.load = os.getloadavg()[0]
    sample.values = bench_preview.measure(root, root / bench_preview.POST, "2026-W42", saves, chromium)
    sample.detail = "save of a post's title until the open issue page shows it, in Chromium"
    big, post, week = bench_preview.generated(size, tmp / "preview-archive")
    ready.load = os.getloadavg()[0]
    ready.values = [bench_preview.ready(big, week) for _ in range(3)]
    ready.detail = f"`newsletter preview` started until /issue/{week}/ (the latest) is served"
    archive.load = os.getloadavg()[0]
    archive.values = bench_preview.measure(big, post, week, saves, chromium)
    archive.detail = "the newest post's title saved, its issue page open"
    return [sample, archive, ready]


# --- the archive ----------------------------------------------------------------------------------------


def archive_rows(tmp: Path, size: int, runs: int) -> list[Row]:
    big = generate(tmp / f"p{size}", size)
    every = [*NEWSLETTER, "build", "--all"]
    rows = []

    row = Row("archive", f"cold `build --all`, {size:,} posts", "≤ 12 s", 12.0, "s")
    row.load = os.getloadavg()[0]
    cold = [once([*every, "--no-cache"], big, _clean(big)) for _ in range(runs)]
    row.values, row.cpu = [s.wall for s in cold], [s.cpu for s in cold]
    row.detail = _medians(cold)
    rows.append(row)

    edit = Row("archive", f"edit one post of {size:,}", "≤ 400 ms", 0.4, "s")
    noop = Row("archive", f"no-op rebuild, {size:,} posts", "≤ 200 ms", 0.2, "s")
    edit.load = noop.load = os.getloadavg()[0]
    posts = sorted((big / "posts").glob("*.md"))
    once(every, big)
    edits, noops = [], []
    for n in range(runs + 1):  # interleaved: an edit, then a no-op; the first pair is a warm-up
        post = posts[(n * 97) % len(posts)]
        text = post.read_text(encoding="utf-8").replace('title: "', 'title: "Edit ', 1)
        edits.append(once(every, big, lambda p=post, t=text: p.write_text(t, encoding="utf-8")))
        noops.append(once(every, big))
    edits, noops = edits[1:], noops[1:]
    edit.values, noop.values = [s.wall for s in edits], [s.wall for s in noops]
    edit.detail, noop.detail = _medians(edits), _medians(noops)
    rows += [edit, noop]

    row = Row("archive", f"`social --format json`, {size:,} posts", "≤ 2 s", 2.0, "s")
    row.load = os.getloadavg()[0]
    out = str(tmp / "captions.json")
    social = [once([*NEWSLETTER, "social", "--format", "json", "--out", out], big) for _ in range(runs)]
    row.values = [s.wall for s in social]
    row.detail = _medians(social)
    rows.append(row)
    shutil.rmtree(big, ignore_errors=True)
    return rows


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return pids


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages (the forked workers share most of theirs) counted once."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def big_rows(tmp: Path, size: int) -> list[Row]:
    big = generate(tmp / f"p{size}", size)
    wall = Row("big", f"cold `build --all`, {size:,} posts", "≤ 50 s", 50.0, "s")
    memory = Row("big", f"peak memory (PSS of all processes), {size:,} posts", "≤ 300 MB", 300.0, "MB")
    wall.load = memory.load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen([*NEWSLETTER, "build", "--all", "--no-cache"], cwd=big, stdout=output,
                                   stderr=output)  # fmt: skip
        peak = 0
        while process.poll() is None:
            peak = max(peak, sum(_pss_kb(pid) for pid in _tree(process.pid)))
            time.sleep(0.05)
        wall.values = [time.perf_counter() - started]
        if process.returncode != 0:
            output.seek(0)
            raise SystemExit(f"failed: {size}-post build\n{output.read().decode()[-3000:]}")
    memory.values = [peak / 1024]
    wall.detail = memory.detail = "one run"
    shutil.rmtree(big, ignore_errors=True)
    return [wall, memory]


# --- the table ------------------------------------------------------------------------------------------


def _figure(row: Row, value: float) -> str:
    if row.unit == "ratio":
        return f"{value:.2f}"
    return f"{value:.0f} MB" if row.unit == "MB" else _ms(value)


def table(rows: list[Row], loads: tuple[float, float], note: str) -> str:
    lines = [
        "| figure | median | min – max | runs | target | met | load | detail |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.skipped or not row.values:
            lines.append(f"| {row.what} | – | – | – | {row.target} | not run | – | {row.skipped} |")
            continue
        median = _figure(row, row.median)
        if row.unit == "ratio":
            median += f" (CPU {statistics.median(row.cpu):.2f})"
        spread = f"{_figure(row, min(row.values))} – {_figure(row, max(row.values))}"
        met = "yes" if row.met else "**no**"
        lines.append(f"| {row.what} | {median} | {spread} | {len(row.values)} | {row.target} | {met} | "
                     f"{row.load:.1f} | {row.detail} |")  # fmt: skip
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return (
        f"Measured {dt.date.today().isoformat()} on {machine}{note}; load average (1 min) "
        f"{loads[0]:.1f} at the start, {loads[1]:.1f} at the end (a load above the core count means other "
        "work shared the machine: trust the ratios, re-run the absolute rows quiet). Ratios: median of "
        "per-pair wall-time ratios, runs interleaved.\n\n" + "\n".join(lines) + "\n"
    )


def compiled() -> None:
    """The package compiled to bytecode, as `pip install` leaves it: without this (an editable install
    under PYTHONDONTWRITEBYTECODE=1) every run would compile the package's modules again."""
    subprocess.run([PY, "-m", "compileall", "-q", str(REPO / "newsletter")], check=True)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def write_readme(text: str) -> None:
    readme = REPO / "README.md"
    start, end = "<!-- bench:start -->\n", "<!-- bench:end -->"
    head, rest = readme.read_text(encoding="utf-8").split(start)
    readme.write_text(head + start + text + end + rest.split(end, 1)[1], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the 4,000-post row")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's Speed table")
    parser.add_argument("--only", action="append", default=[], help="run only these groups (repeatable)")
    parser.add_argument("--runs", type=int, default=7, help="pairs per ratio row (default 7)")
    parser.add_argument("--posts", type=int, default=1000, help="the archive rows' size (default 1000)")
    args = parser.parse_args()
    compiled()
    groups = set(args.only) or {"sample", "preview", "archive", "big"}
    if args.quick:
        groups.discard("big")
    tmp = Path(tempfile.mkdtemp(prefix="newsletter-bench-"))
    start = os.getloadavg()[0]
    rows: list[Row] = []
    try:
        if "sample" in groups:
            rows += sample_rows(tmp, args.runs)
        if "preview" in groups:
            rows += preview_rows(tmp, max(args.runs, 6), args.posts)
        if "archive" in groups:
            rows += archive_rows(tmp, args.posts, 3)
        if "big" in groups:
            rows += big_rows(tmp, 4 * args.posts)
        elif args.quick:
            rows += [Row("big", f"cold `build --all` / peak memory, {4 * args.posts:,} posts", "≤ 50 s / ≤ 300 MB",
                         0, "s", skipped="--quick")]  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    note = " (--quick: no 4,000-post row)" if args.quick else ""
    text = table(rows, (start, os.getloadavg()[0]), note)
    print(text)
    print(json.dumps([row.__dict__ for row in rows], indent=1, default=str), file=sys.stderr)
    if args.readme:
        write_readme(text)


if __name__ == "__main__":
    main()
