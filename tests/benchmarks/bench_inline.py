"""What premailer costs in a fresh process, and what `inline._unvalidated_inline_styles` buys: the
sample week's email inlined once (the first email of a process, as in a cold build or a pool worker)
and a second time, in fresh interpreters, alternating with and without the change; the bytes must match.

    python tests/benchmarks/bench_inline.py [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

ONE = r"""
import hashlib, json, sys, time
from pathlib import Path
from newsletter.content import posts as content
from newsletter.content.issue import Issue
from newsletter.content.settings import load_settings
from newsletter.email import images, inline, render
from newsletter.errors import Problems
settings = load_settings(Path(sys.argv[1]))
library = content.load(settings, Problems())
issue = Issue("2026-W42", tuple(library.full(library.metas, settings, Problems(), 1)), None)
renderer = render.Renderer(settings, False)
local = images.prepare(issue.week, issue.posts, settings, None, True, Problems())
html = render.email_html(issue, renderer, local=local)
if sys.argv[2] == "validated":
    inline._unvalidated_inline_styles = lambda: None  # premailer as it comes
inline._inliner()  # the import is not what is measured
started = time.process_time()
first = inline.inline_css(html)
middle = time.process_time()
inline.inline_css(html)
print(json.dumps({"first": middle - started, "again": time.process_time() - middle,
                  "digest": hashlib.sha256(first.encode()).hexdigest()}))
"""


def once(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", ONE, str(REPO), mode], capture_output=True, text=True,
                          check=True, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})  # fmt: skip
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"validated": [], "unvalidated": []}
    for _ in range(args.runs):  # alternating, so both see the same machine
        for mode in runs:
            runs[mode].append(once(mode))
    digests = {r["digest"] for rs in runs.values() for r in rs}
    assert len(digests) == 1, "the inlined email differs"
    for mode, rs in runs.items():
        first = statistics.median(r["first"] for r in rs) * 1000
        again = statistics.median(r["again"] for r in rs) * 1000
        print(f"{mode:12s} first email {first:5.1f} ms CPU, the next {again:4.1f} ms (median of {len(rs)})")
    saved = [v["first"] - u["first"] for v, u in zip(runs["validated"], runs["unvalidated"], strict=True)]
    print(f"saved per process: {statistics.median(saved) * 1000:.1f} ms CPU (median of the pairs); "
          "same bytes")  # fmt: skip


if __name__ == "__main__":
    main()
