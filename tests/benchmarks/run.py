"""The performance figures of the README, measured: medians (with min and max) of every target of the
speed issue, the machine's load average noted before and after.

    python tests/benchmarks/run.py            # everything (about 30 minutes on 2 cores: 4,000-post builds)
    python tests/benchmarks/run.py --quick    # fewer runs, 200/400 posts: a smoke test of the runner
    python tests/benchmarks/run.py --readme   # also rewrite the README's results table
    python tests/benchmarks/run.py --suite    # also time the test suite (once)

mjml is measured side by side, runs interleaved, with the CLI installed in tests/benchmarks/mjml/
(`npm ci` there; package.json and the lockfile pin it), or MJML=path.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))
from generate import generate  # noqa: E402


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
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


def timed_peak(*args: str, cwd: Path) -> tuple[float, float]:
    """Wall time and the peak of the summed PSS of the process and its workers, polled every 20 ms."""
    # stderr to a file, not a pipe: a build's warnings would fill a pipe nobody reads while polling.
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        peak = 0
        while process.poll() is None:
            peak = max(peak, sum(_pss_kb(pid) for pid in _tree(process.pid)))
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        if process.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"failed: {args}\n{errors.read().decode()}")
    return elapsed, peak / 1024


def run(*args: str, cwd: Path, quiet: bool = True) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed: {args}\n{done.stderr}")
    return elapsed, done.stderr


def cli(*args: str, cwd: Path) -> float:
    return run("-m", "newsletter", *args, cwd=cwd)[0]


def series(label: str, times: list[float], target: str) -> dict:
    return {"what": label, "median": statistics.median(times), "min": min(times), "max": max(times),
            "runs": len(times), "target": target}  # fmt: skip


def fresh(project: Path) -> None:
    shutil.rmtree(project / "build", ignore_errors=True)


def sample_project(tmp: Path) -> Path:
    project = tmp / "sample"
    shutil.copytree(
        REPO,
        project,
        ignore=shutil.ignore_patterns("build", ".git", "node_modules", "tests", "docs", "*.egg-info"),
    )
    return project


MJML_HERE = Path(__file__).parent / "mjml" / "node_modules" / ".bin" / "mjml"


def mjml_figures(tmp: Path, project: Path, runs: int) -> list[dict]:
    """The sample week's email written as MJML (both articles, a button each) against a cold
    `newsletter build` of the same week, which also writes the text part, the .eml, captions and cards."""
    mjml = os.environ.get("MJML") or (str(MJML_HERE) if MJML_HERE.exists() else shutil.which("mjml"))
    if not mjml:
        return [{"what": "mjml CLI (not installed: npm ci in tests/benchmarks/mjml)", "skipped": True}]
    code = (
        "import sys; from newsletter.content.markup import render\n"
        "for f in sys.argv[1:]: print(render(open(f).read().split('---', 2)[2]).html)"
    )
    articles = sorted((project / "posts").glob("*.md"))
    html = subprocess.run([sys.executable, "-c", code, *map(str, articles)], capture_output=True, text=True,
                          check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}).stdout  # fmt: skip
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
    theirs, ours = [], []
    for _ in range(runs):  # alternate, so both see the same machine state
        started = time.perf_counter()
        subprocess.run([mjml, str(source), "-o", str(tmp / "mjml.html")], check=True, capture_output=True)
        theirs.append(time.perf_counter() - started)
        fresh(project)
        ours.append(cli("build", cwd=project))
    ratio = statistics.median(ours) / statistics.median(theirs)
    return [series("mjml CLI, the sample week's email, cold", theirs, "reference"),
            series("`newsletter build`, sample week, cold, all outputs (incl. 18 cards)", ours,
                   "ratio ≤ 0.5") | {"ratio": ratio}]  # fmt: skip


def help_figures(project: Path, runs: int) -> list[dict]:
    ours, floor = [], []
    for _ in range(runs):
        ours.append(cli("--help", cwd=project))
        floor.append(run("-c", "import click", cwd=project)[0])
    ratio = statistics.median(ours) / statistics.median(floor)
    return [series("`python -c 'import click'` (the floor)", floor, "reference"),
            series("`newsletter --help`, cold process", ours, "ratio ≤ 1.2") | {"ratio": ratio}]  # fmt: skip


def build_figures(tmp: Path, size: int, runs: int, target: str, memory: str = "") -> list[dict]:
    big = generate(tmp / f"p{size}", size)
    times, peaks = [], []
    for _ in range(runs):
        fresh(big)
        elapsed, peak = timed_peak("-m", "newsletter", "build", "--all", cwd=big)
        times.append(elapsed)
        peaks.append(peak)
    figures = [series(f"full cold build, {size} posts (~{size // 5} issues), all outputs", times, target)]
    if memory:
        figures.append({"what": f"peak memory (PSS, parent and workers), {size}-post build",
                        "median": statistics.median(peaks), "min": min(peaks), "max": max(peaks),
                        "runs": runs, "target": memory, "unit": "MB"})  # fmt: skip
    return figures


def rebuild_figures(tmp: Path, size: int, runs: int) -> list[dict]:
    big = tmp / f"p{size}"
    cli("build", "--all", cwd=big)
    again = [cli("build", "--all", cwd=big) for _ in range(runs)]
    posts = sorted((big / "posts").glob("*.md"))
    edits = []
    for n in range(runs):
        post = posts[(n * 97) % len(posts)]
        post.write_text(
            post.read_text(encoding="utf-8").replace('title: "', 'title: "Edit ', 1), encoding="utf-8"
        )
        edits.append(cli("build", "--all", cwd=big))
    return [series(f"no-op rebuild, {size} posts", again, "< 300 ms"),
            series(f"rebuild after editing one post of {size}", edits, "< 600 ms")]  # fmt: skip


def social_figures(tmp: Path, size: int, runs: int) -> list[dict]:
    big = tmp / f"p{size}"
    times = [
        cli("social", "--format", "json", "--out", str(tmp / "captions.json"), cwd=big) for _ in range(runs)
    ]
    return [series(f"`newsletter social --format json`, {size} posts", times, "< 3 s")]


def preview_figures(size: int, saves: int) -> list[dict]:
    try:
        import bench_preview
    except ImportError as exc:  # playwright missing
        return [{"what": f"preview, save → new page served, {size} posts ({exc})", "skipped": True}]
    root, post, week = bench_preview.generated(size)
    times = bench_preview.measure(root, post, week, saves)
    shutil.rmtree(root.parent, ignore_errors=True)
    return [series(f"preview, save → new page served in Chromium, {size} posts", times, "< 400 ms")]


def suite_figures() -> list[dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=REPO, check=False,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO), "CI": "true"})  # fmt: skip
    Path(tempfile.gettempdir(), "newsletter-bench-suite.log").write_text(
        done.stdout + done.stderr, encoding="utf-8"
    )
    lines = done.stdout.strip().splitlines()
    summary = lines[-1].strip("= ").split(" in ")[0] if lines else "no output"  # "489 passed": failures show
    return [series(f"test suite (`pytest`, -n auto; {summary})", [time.perf_counter() - started], "< 90 s")]


def measure(runs: int, sizes: tuple[int, int], big_runs: int, suite: bool) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="newsletter-bench-"))
    project = sample_project(tmp)
    small, large = sizes
    figures = [*mjml_figures(tmp, project, runs), *help_figures(project, max(runs, 10))]
    figures += preview_figures(small, runs)
    figures += build_figures(tmp, small, runs, "< 12 s")
    figures += social_figures(tmp, small, runs)
    figures += build_figures(tmp, large, big_runs, "< 50 s", memory="< 400 MB")
    figures += rebuild_figures(tmp, large, runs)
    if suite:
        figures += suite_figures()
    shutil.rmtree(tmp, ignore_errors=True)
    return figures


def table(figures: list[dict]) -> str:
    rows = ["| what | median | min | max | runs | target |", "|---|---|---|---|---|---|"]
    for f in figures:
        if f.get("skipped"):
            rows.append(f"| {f['what']} | – | – | – | – | – |")
            continue
        fmt = (
            (lambda v: f"{v:.0f} MB")
            if f.get("unit") == "MB"
            else (lambda v: f"{v * 1000:.0f} ms" if v < 2 else f"{v:.2f} s")
        )
        ratio = f" (ratio {f['ratio']:.2f})" if "ratio" in f else ""
        rows.append(
            f"| {f['what']} | {fmt(f['median'])}{ratio} | {fmt(f['min'])} | {fmt(f['max'])} | {f['runs']} | {f['target']} |"
        )
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    load = " → ".join(f"{a:.1f}" for a in LOADS)
    return (
        f"Measured {dt.date.today().isoformat()} on {machine}; load average (1 min) {load} "
        "(before → after; above the core count, other work shared the machine).\n\n" + "\n".join(rows) + "\n"
    )


LOADS: list[float] = []


def compiled() -> None:
    """The package's modules compiled to bytecode, as `pip install` leaves them: without this (an
    editable install under PYTHONDONTWRITEBYTECODE=1) every run would compile ~45 modules (~50 ms)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "newsletter")], check=True)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 runs on 200 and 400 posts")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's results table")
    parser.add_argument("--suite", action="store_true", help="also time the test suite")
    args = parser.parse_args()
    compiled()
    LOADS.append(os.getloadavg()[0])
    figures = measure(3, (200, 400), 1, args.suite) if args.quick else measure(5, (1000, 4000), 1, args.suite)
    LOADS.append(os.getloadavg()[0])
    text = table(figures)
    print(text)
    print(json.dumps(figures, indent=1), file=sys.stderr)
    if args.readme:
        readme = REPO / "README.md"
        start, end = "<!-- bench:start -->\n", "<!-- bench:end -->"
        head, rest = readme.read_text(encoding="utf-8").split(start)
        readme.write_text(head + start + text + end + rest.split(end, 1)[1], encoding="utf-8")


if __name__ == "__main__":
    main()
