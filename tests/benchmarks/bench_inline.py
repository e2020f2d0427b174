"""What premailer costs in a fresh process, and what `inline._unvalidated_inline_styles` buys (style
attributes and `<img style>` floats parsed without cssutils' validation): a week's email inlined once
(the first email of a process, as in a cold build or a pool worker) and a second time, in fresh
interpreters, alternating with and without the change; the bytes must match. The sample's email has no
picture; `--pictures` uses a generated week (generate.py: five posts with pictures) instead.

    python tests/benchmarks/bench_inline.py [--runs 9] [--pictures]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
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
week = sys.argv[3]
metas = [m for m in library.metas if "%d-W%02d" % m.date.isocalendar()[:2] == week]
issue = Issue(week, tuple(library.full(metas, settings, Problems(), 1)), None)
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


def once(mode: str, project: Path, week: str) -> dict:
    done = subprocess.run([sys.executable, "-c", ONE, str(project), mode, week], capture_output=True,
                          text=True, check=True, cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})  # fmt: skip
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--pictures", action="store_true", help="a generated week with pictures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project, week = REPO, "2026-W42"
        if args.pictures:
            sys.path.insert(0, str(Path(__file__).parent))
            from generate import generate

            project, week = Path(tmp) / "project", "2022-W02"
            generate(project, posts=10)
        runs: dict[str, list[dict]] = {"validated": [], "unvalidated": []}
        for _ in range(args.runs):  # alternating, so both see the same machine
            for mode in runs:
                runs[mode].append(once(mode, project, week))
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
