"""Save-to-reload time of `newsletter preview` in real Chromium: median of 10 saves on the sample project
(or on a generated project of N posts, the last post edited).

    python tests/benchmarks/bench_preview.py [--saves 10] [--posts 1000]

Starts the preview on a copy of the repository's project, opens the issue page in headless Chromium,
then changes a post's title on disk and measures until the open page shows it (watch, debounce,
rebuild, swap, SSE, reload, render).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from newsletter.preview.server import start  # noqa: E402

POST = "posts/2026-10-17-why-facial-muscles-need-movement.md"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def measure(
    root: Path, post: Path, week: str, saves: int, chromium: str = "/usr/bin/chromium"
) -> list[float]:
    """Seconds from each save of `post` (its title changed) to the open issue page showing the new title."""
    running = start(root, "127.0.0.1", 0, lambda text, error: None)
    threading.Thread(target=running.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    from playwright.sync_api import sync_playwright

    original = post.read_text(encoding="utf-8")
    times = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
            page = browser.new_page()
            page.goto(running.url + f"issue/{week}/", timeout=600_000)
            for n in range(saves):
                title = f"Edited title number {n}"
                time.sleep(0.3)  # let the previous reload settle, as between real saves
                started = time.perf_counter()
                post.write_text(
                    re.sub(r"(?m)^title: .*$", f"title: {title}", original, count=1), encoding="utf-8"
                )
                page.wait_for_function(
                    f"document.body && document.body.innerText.includes({title!r})", timeout=120_000
                )
                times.append(time.perf_counter() - started)
            browser.close()
    finally:
        post.write_text(original, encoding="utf-8")
        running.server.shutdown()
        running.close()
    return times


def generated(posts: int) -> tuple[Path, Path, str]:
    from generate import generate

    root = generate(Path(tempfile.mkdtemp()) / "site", posts)
    post = sorted((root / "posts").glob("*.md"))[-1]
    year, week, _ = dt.date.fromisoformat(post.name[:10]).isocalendar()
    return root, post, f"{year}-W{week:02d}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--posts", type=int, default=0, help="a generated project of this many posts")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    if args.posts:
        root, post, week = generated(args.posts)
    else:
        root = Path(tempfile.mkdtemp()) / "site"
        shutil.copytree(
            REPO, root, ignore=shutil.ignore_patterns("build", ".git", "node_modules", "tests", "docs")
        )
        post, week = root / POST, "2026-W42"
    times = measure(root, post, week, args.saves, args.chromium)
    print(
        f"save-to-reload ({args.posts or 'sample'} posts, {args.saves} saves): median "
        f"{statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
