"""What `exports._indented` buys over `json.dumps(..., indent=2)` (the json module's pure-Python
encoder) for the caption records every build and `social --format json` encode: every caption of the
captions.json files of a generated 50-post project, each laid out both ways, rounds alternated A B A B
in this process; medians of per-round times and of the per-round ratios.

    python tests/benchmarks/bench_json.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate
from run import NEWSLETTER

from newsletter.social.exports import _indented


def records(root: Path) -> list[dict]:
    """Every caption a build of the project writes, as its captions.json files list them."""
    subprocess.run([*NEWSLETTER, "build", "--all", "--no-cache"], cwd=root, check=True, capture_output=True)
    return [d for f in sorted(root.glob("build/*/captions.json")) for d in json.loads(f.read_text("utf-8"))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=9)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        items = records(generate(Path(tmp) / "p50", 50))
    plain = lambda d: "  " + json.dumps(d, ensure_ascii=False, indent=2).replace("\n", "\n  ")  # noqa: E731
    assert all(_indented(d) == plain(d) for d in items)
    ours, theirs = [], []
    for _ in range(rounds):
        for way, times in ((_indented, ours), (plain, theirs)):
            start = time.perf_counter()
            for d in items:
                way(d)
            times.append(time.perf_counter() - start)
    ratio = statistics.median(o / t for o, t in zip(ours, theirs, strict=True))
    each = 1e6 / len(items)
    print(
        f"{len(items)} captions: _indented {statistics.median(ours) * each:.1f} µs a caption, "
        f"json.dumps(indent=2) {statistics.median(theirs) * each:.1f} µs; ratio {ratio:.2f} "
        f"(per-round median, {rounds} rounds)"
    )


if __name__ == "__main__":
    main()
