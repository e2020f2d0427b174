"""Pathological post bodies at the post size cap (tests/pathological.py: just under 1,000,000 bytes)
through the command line: `newsletter build` and `newsletter social --format json`, wall time of each
(median of --runs), with the exit code and the first line of the message. Target: every run under 10 s
(before the linear-text work: '[a](' * 2,000 alone ran past 90 s; a 1 MB paragraph of words 100 s).

    python tests/benchmarks/bench_pathological.py              # every body, 3 runs each
    python tests/benchmarks/bench_pathological.py --runs 1 --json times.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from pathological import BODIES, post  # noqa: E402

SETTINGS = (
    (REPO / "tests" / "conftest.py")
    .read_text(encoding="utf-8")
    .split('SETTINGS = """\\\n')[1]
    .split('"""')[0]
)
COMMANDS = {"build": ["build", "--no-cache"], "social json": ["social", "--format", "json"]}
TIMEOUT = 600


def once(root: Path, args: list[str]) -> tuple[float, int, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "newsletter", "--project", str(root), *args],
            capture_output=True, text=True, timeout=TIMEOUT, env=env,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return TIMEOUT, -1, f"timed out after {TIMEOUT} s"
    elapsed = time.perf_counter() - started
    first = (done.stderr.strip().splitlines() or [""])[0]
    if "Traceback" in done.stderr:
        first = "TRACEBACK: " + done.stderr.strip().splitlines()[-1]
    return elapsed, done.returncode, first


def measure(runs: int) -> list[dict]:
    root = Path(tempfile.mkdtemp())
    figures = []
    try:
        (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
        (root / "posts").mkdir()
        path = root / "posts" / "2026-10-14-slow.md"
        for name in BODIES:
            path.write_text(post(name), encoding="utf-8")
            for label, args in COMMANDS.items():
                results = [once(root, args) for _ in range(runs)]
                times = [r[0] for r in results]
                figures.append({
                    "body": name, "command": label, "bytes": path.stat().st_size,
                    "median_s": round(statistics.median(times), 2), "min_s": round(min(times), 2),
                    "max_s": round(max(times), 2), "exit": results[-1][1], "message": results[-1][2][:120],
                })  # fmt: skip
                shown = figures[-1]
                print(
                    f"{name:18} {label:12} {shown['median_s']:6.2f} s (min {shown['min_s']:.2f}, max "
                    f"{shown['max_s']:.2f})  exit {shown['exit']}  {shown['message'][:70]}",
                    flush=True,
                )
    finally:
        shutil.rmtree(root)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    load = os.getloadavg()
    figures = measure(options.runs)
    print(f"load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
