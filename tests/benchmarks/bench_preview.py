"""Save-to-reload time of `newsletter preview` in real Chromium: median of 10 saves on the sample project
(or on a generated project of N posts, the last post edited).

    python tests/benchmarks/bench_preview.py [--saves 10] [--posts 1000]

Starts `newsletter preview` (its own process) on a copy of the repository's project, opens the issue
page in headless Chromium, then changes a post's title on disk and measures until the open page and the email in its frame show
it (watch, rebuild, swap, SSE, update or reload, render).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

POST = "posts/2026-10-17-why-facial-muscles-need-movement.md"
# Updated means what the author looks at shows the new title: the page (the inbox line) and the email
# in its frame, loaded (not a frame still blank from a reload).
SHOWN = """title => {
  const frame = document.getElementById("email");
  const email = frame && frame.contentDocument && frame.contentDocument.body;
  return document.body && document.body.innerText.includes(title) && !!email && email.innerText.includes(title);
}"""
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def measure(
    root: Path, post: Path, week: str, saves: int, chromium: str = "/usr/bin/chromium"
) -> list[float]:
    """Seconds from each save of `post` (its title changed) to the open issue page showing the new title.
    The preview runs as its own process (`newsletter preview`), as an author runs it: this process only
    drives Chromium, so the two never share one interpreter lock."""
    from playwright.sync_api import sync_playwright

    original = post.read_text(encoding="utf-8")
    times = []
    with _preview(root) as url:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
                page = browser.new_page()
                page.goto(url + f"issue/{week}/", timeout=600_000)
                for n in range(saves):
                    title = f"Edited title number {n}"
                    time.sleep(0.5)  # let the previous reload (and the captions after it) settle
                    started = time.perf_counter()
                    post.write_text(
                        re.sub(r"(?m)^title: .*$", f"title: {title}", original, count=1), encoding="utf-8"
                    )
                    page.wait_for_function(SHOWN, arg=title, timeout=120_000, polling=5)
                    times.append(time.perf_counter() - started)
                browser.close()
        finally:
            post.write_text(original, encoding="utf-8")
    return times


@contextlib.contextmanager
def _preview(root: Path, timeout: float = 600.0):
    """`newsletter preview` on a free port, until it serves its home page; yields its URL."""
    port = _free_port()
    command = [sys.executable, "-m", "newsletter", "preview", "--no-open", "--port", str(port)]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        started = time.perf_counter()
        _served(url, started, timeout)
        while not json.loads(urllib.request.urlopen(url + "_status").read())["complete"]:
            if time.perf_counter() - started > timeout:  # the archive behind the latest issue
                raise TimeoutError(f"the preview did not build every issue within {timeout:.0f} s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait()


def _free_port() -> int:
    with socket.socket() as probe:  # a free port, given back for the preview to take
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _served(url: str, started: float, timeout: float) -> float:
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.02)
    raise TimeoutError(f"the preview did not serve {url} within {timeout:.0f} s")


def generated(posts: int, where: Path | None = None) -> tuple[Path, Path, str]:
    from generate import generate

    root = generate((where or Path(tempfile.mkdtemp())) / "site", posts)
    post = sorted((root / "posts").glob("*.md"))[-1]
    year, week, _ = dt.date.fromisoformat(post.name[:10]).isocalendar()
    return root, post, f"{year}-W{week:02d}"


def ready(root: Path, week: str, timeout: float = 600.0) -> float:
    """Seconds from starting `newsletter preview` (a new process) until it serves the page of `week`."""
    port = _free_port()
    command = [sys.executable, "-m", "newsletter", "preview", "--no-open", "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    try:
        return _served(f"http://127.0.0.1:{port}/issue/{week}/", started, timeout)
    finally:
        process.terminate()
        process.wait()


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
