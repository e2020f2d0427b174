"""The performance figures of the README, measured: medians of at least 5 runs, with min and max.

    python tests/benchmarks/run.py            # everything (about 10 minutes on 2 cores)
    python tests/benchmarks/run.py --quick    # 3 runs, 200/400 posts: a smoke test of the runner
    python tests/benchmarks/run.py --readme   # also rewrite the README's results table

mjml is measured side by side when an `mjml` command is on PATH (npm install -g mjml) or MJML=path.
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
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, sum(_pss_kb(pid) for pid in _tree(process.pid)))
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"failed: {args}\n{process.stderr.read().decode()}")
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


def mjml_figures(tmp: Path, project: Path, runs: int) -> list[dict]:
    mjml = os.environ.get("MJML") or shutil.which("mjml")
    if not mjml:
        return [{"what": "mjml, one article (not installed: npm install -g mjml)", "skipped": True}]
    article = sorted((project / "posts").glob("*.md"))[-1]
    html = subprocess.run([sys.executable, "-c", (
        "import sys; from newsletter.markup import render; "
        "print(render(open(sys.argv[1]).read().split('---', 2)[2]).html)"), str(article)],
        capture_output=True, text=True, check=True, cwd=REPO).stdout  # fmt: skip
    source = tmp / "article.mjml"
    source.write_text(
        '<mjml><mj-head><mj-preview>Preview</mj-preview></mj-head><mj-body width="600px"><mj-section>'
        f'<mj-column><mj-text>{html}</mj-text><mj-button href="https://viaskincare.com">Book</mj-button>'
        "</mj-column></mj-section></mj-body></mjml>",
        encoding="utf-8",
    )
    theirs, ours = [], []
    for _ in range(runs):  # alternate, so both see the same machine state
        started = time.perf_counter()
        subprocess.run([mjml, str(source), "-o", str(tmp / "mjml.html")], check=True, capture_output=True)
        theirs.append(time.perf_counter() - started)
        fresh(project)
        ours.append(cli("build", "--post", str(article), "--no-cache", cwd=project))
    ratio = statistics.median(ours) / statistics.median(theirs)
    return [series("mjml CLI, one-article email, cold", theirs, "reference"),
            series("newsletter build, one-article issue, cold, all outputs", ours, "ratio < 0.9")
            | {"ratio": ratio}]  # fmt: skip


def measure(runs: int, sizes: tuple[int, int]) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="newsletter-bench-"))
    figures = []
    project = sample_project(tmp)
    figures.append(series("`newsletter --help`, cold process",
                          [cli("--help", cwd=project) for _ in range(max(runs, 10))], "< 80 ms"))  # fmt: skip
    cold = []
    for _ in range(runs):
        fresh(project)
        cold.append(cli("build", cwd=project))
    figures.append(series("`newsletter build`, sample week, cold, all outputs", cold, "< 350 ms"))
    figures.extend(mjml_figures(tmp, project, runs))
    cli("build", cwd=project)
    again = [cli("build", cwd=project) for _ in range(runs)]
    figures.append(series("`newsletter build` again, nothing changed", again, "< 150 ms"))
    small, large = sizes
    results = {}
    for size in sizes:
        big = generate(tmp / f"p{size}", size)
        times, peaks = [], []
        for _ in range(runs):
            fresh(big)
            elapsed, peak = timed_peak("-m", "newsletter", "build", "--all", cwd=big)
            times.append(elapsed)
            peaks.append(peak)
        results[size] = full = series(f"full build, {size} posts (~{size // 5} issues), all outputs", times,
                                      "< 30 s" if size == small else f"<= 2.1x the {small}-post time")  # fmt: skip
        figures.append(full)
        if size == small:
            figures.append({"what": f"peak memory (PSS, parent and workers), {size}-post build", "median": statistics.median(peaks),
                            "min": min(peaks), "max": max(peaks), "runs": runs, "target": "< 500 MB", "unit": "MB"})  # fmt: skip
            posts = sorted((big / "posts").glob("*.md"))
            edits = []
            for n in range(runs):
                post = posts[(n * 97) % len(posts)]
                post.write_text(
                    post.read_text(encoding="utf-8").replace('title: "', 'title: "Edit ', 1), encoding="utf-8"
                )
                edits.append(cli("build", "--all", cwd=big))
            figures.append(series(f"rebuild after editing one post of {size}", edits, "< 1 s"))
            social = [
                cli("social", "--format", "json", "--out", str(tmp / "captions.json"), cwd=big)
                for _ in range(runs)
            ]
            figures.append(series(f"`newsletter social --format json`, {size} posts", social, "< 5 s"))
    results[large]["ratio"] = results[large]["median"] / results[small]["median"]
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
    return f"Measured {dt.date.today().isoformat()} on {machine}.\n\n" + "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 runs on 200 and 400 posts")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's results table")
    args = parser.parse_args()
    figures = measure(3, (200, 400)) if args.quick else measure(5, (1000, 2000))
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
