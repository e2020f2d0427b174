"""What `cli.run` buys by skipping the interpreter's last garbage collections at exit: a cold `build`
and a `check` of the sample, each run as the console script does (`cli.run`) and with the plain
Click entry point (`cli.main`, the interpreter's usual exit), alternated A B A B in fresh processes.

    python tests/benchmarks/bench_exit.py [--runs 9]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PY, Row, _clean, _clean_check, _medians, once, paired, sample_project

RUN = [PY, "-c", "from newsletter.cli import run; run()"]
MAIN = [PY, "-c", "from newsletter.cli import main; main()"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        project = sample_project(Path(tmp))
        for args, clean in ((["build", "--no-cache"], _clean(project)), (["check"], _clean_check(project))):
            row = Row("exit", " ".join(args), "", 0, "ratio")
            fast, plain = paired(row, functools.partial(once, [*RUN, *args], project, clean),
                                 functools.partial(once, [*MAIN, *args], project, clean), runs)  # fmt: skip
            saved = statistics.median(p.wall - f.wall for f, p in zip(fast, plain, strict=True))
            print(
                f"{' '.join(args)}: run ÷ main {statistics.median(row.values):.3f} (per-pair median, "
                f"{runs} pairs), {saved * 1000:.0f} ms saved; run {_medians(fast)}; main {_medians(plain)}"
            )


if __name__ == "__main__":
    main()
