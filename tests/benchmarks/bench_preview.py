"""Save-to-reload time of `newsletter preview` in real Chromium: median of 10 saves on the sample project.

    python tests/benchmarks/bench_preview.py [--saves 10]

Starts the preview on a copy of the repository's project, opens the issue page in headless Chromium,
then changes a post's title on disk and measures until the open page shows it (watch, debounce,
rebuild, swap, SSE, reload, render).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from newsletter.preview import start  # noqa: E402

POST = "posts/2026-10-17-why-facial-muscles-need-movement.md"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    saves = parser.parse_args().saves
    root = Path(tempfile.mkdtemp()) / "site"
    shutil.copytree(
        REPO, root, ignore=shutil.ignore_patterns("build", ".git", "node_modules", "tests", "docs")
    )
    running = start(root, "127.0.0.1", 0, lambda text, error: None)
    threading.Thread(target=running.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    from playwright.sync_api import sync_playwright

    post = root / POST
    original = post.read_text(encoding="utf-8")
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=parser.parse_args().chromium, args=ARGS)
        page = browser.new_page()
        page.goto(running.url + "issue/2026-W42/")
        for n in range(saves):
            title = f"Why Facial Muscles Need Movement {n}"
            time.sleep(0.3)  # let the previous reload settle, as between real saves
            started = time.perf_counter()
            post.write_text(
                original.replace("title: Why Facial Muscles Need Movement", f"title: {title}"),
                encoding="utf-8",
            )
            page.wait_for_function(
                f"document.body && document.body.innerText.includes({title!r})", timeout=15_000
            )
            times.append(time.perf_counter() - started)
        browser.close()
    running.server.shutdown()
    running.close()
    print(
        f"save-to-reload (sample project, {saves} saves): median {statistics.median(times) * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
