"""Caption fitting stays linear: every caption of one post (8 platforms, 4 kinds) for a post with
2,000 highlights, and for one with a 20,000-word summary. Target: under 1 s each (median of 5). Each
try is a run of its own (a command's cost); then the same with one run's memo kept across tries (the
preview's cost after its first save).

    python tests/benchmarks/bench_social.py
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from newsletter.content import markup  # noqa: E402
from newsletter.content import posts as content  # noqa: E402
from newsletter.content.reader import Source  # noqa: E402
from newsletter.content.settings import load_settings  # noqa: E402
from newsletter.email.render import Renderer  # noqa: E402
from newsletter.errors import Problems  # noqa: E402
from newsletter.run.memo import Memo  # noqa: E402
from newsletter.social.captions import captions  # noqa: E402

SETTINGS = (
    (REPO / "tests" / "conftest.py")
    .read_text(encoding="utf-8")
    .split('SETTINGS = """\\\n')[1]
    .split('"""')[0]
)
WORDS = [
    "massage",
    "fascia",
    "oxygen",
    "circulation",
    "tissue",
    "lymph",
    "skin",
    "glow",
    "calm",
    "touch",
    "regeneration",
    "collagen",
]


def _words(n: int, start: int = 0) -> str:
    return " ".join(WORDS[(start + i) % len(WORDS)] for i in range(n))


def highlights_post() -> str:
    items = "\n".join(f'  - "Benefit {n}: {_words(8, n)}"' for n in range(2000))
    return f"---\ntitle: Many benefits\ndate: 2026-10-14\nhighlights:\n{items}\n---\n\nA short body.\n"


def long_summary_post() -> str:
    sentences = [f"{_words(19, n).capitalize()}." for n in range(1000)]  # 20,000 words
    summary = " ".join(sentences)
    return f'---\ntitle: A long summary\ndate: 2026-10-14\nsummary: "{summary}"\n---\n\n{summary}\n'


def measure(name: str, text: str, settings, runs: int = 5) -> None:
    path = settings.posts_dir / "2026-10-14-bench.md"
    problems = Problems()
    post = content.parse(
        Source(path, "posts/2026-10-14-bench.md", text.encode("utf-8"), "x"),
        settings,
        markup.Converter(),
        problems,
    )
    assert post is not None, problems.items
    cold = [_timed(post, settings) for _ in range(runs)]  # each a run of its own (captions makes its memo)
    with Memo().active():  # one run kept across the tries, as the preview keeps its run across saves
        _timed(post, settings)
        warm = [_timed(post, settings) for _ in range(runs)]
    print(f"{name}: median {statistics.median(cold):.3f} s (min {min(cold):.3f}, max {max(cold):.3f}, "
          f"{runs} runs); with the run's memo warm {statistics.median(warm):.3f} s")  # fmt: skip


def _timed(post, settings) -> float:
    problems = Problems()
    started = time.perf_counter()
    made = captions([post], Renderer(settings), problems)
    elapsed = time.perf_counter() - started
    assert len(made) >= 20 and not problems.items, problems.items
    return elapsed


def main() -> None:
    root = Path(tempfile.mkdtemp())
    try:
        (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
        shutil.copytree(REPO / "newsletter" / "templates", root / "templates")
        (root / "posts").mkdir()
        settings = load_settings(root)
        measure("2,000 highlights", highlights_post(), settings)
        measure("20,000-word summary", long_summary_post(), settings)
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
