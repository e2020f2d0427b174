"""Nothing lost, nothing fetched, nothing random: SIGKILL mid-build, sockets, determinism across runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, SETTINGS


def _outputs(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def _run(root: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "--project", str(root), *args],
        cwd=root, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _write_posts(root: Path, version: str, weeks: int = 4) -> None:
    posts = root / "posts"
    shutil.rmtree(posts, ignore_errors=True)
    shutil.copytree(REPO / "posts", posts)
    for path in posts.glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8") + f"\nRevision {version}.\n", encoding="utf-8")
    for week in range(weeks):
        day = f"2026-{8 + week // 4:02d}-{1 + (week % 4) * 7:02d}"
        (posts / f"{day}-extra-{week}.md").write_text(
            f"---\ntitle: Extra {week} {version}\ndate: {day}\n---\n\nBody {version}.\n\n- one\n- two\n",
            encoding="utf-8",
        )


@pytest.fixture
def killable(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
    (root / "templates").mkdir()  # the packaged templates: their compiled code is shared by every process
    return root


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_old_or_new_files(killable):
    root = killable
    versions = {}
    for version in ("old", "new"):
        _write_posts(root, version)
        started = time.perf_counter()
        process = _run(root, "build", "--all", "--out", str(root / version))
        assert process.wait(timeout=60) == 0, process.stderr.read()
        duration = time.perf_counter() - started  # of a whole cold build: the last is of the new posts
        versions[version] = _outputs(root / version)
    old, new = versions["old"], versions["new"]
    assert all(old[name] != new.get(name) for name in old if name.endswith("email.html"))
    first = root / "build" / sorted(old)[0]  # phase 2 writes in sorted order: this file changes first
    rng = random.Random(20261121)
    for trial in range(3):  # a SIGKILL inside phase 2, one anywhere, and a SIGTERM inside phase 2
        shutil.rmtree(root / "build", ignore_errors=True)
        shutil.copytree(root / "old", root / "build")
        process = _run(root, "build", "--all")
        if trial % 2:  # anywhere in the run
            time.sleep(rng.uniform(0.0, duration))
        else:  # inside phase 2, where a kill can tear files: wait for the first write, then a little more
            deadline = time.perf_counter() + 30
            while first.read_bytes() == old[sorted(old)[0]] and time.perf_counter() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0.0, 0.08))
        process.send_signal(signal.SIGTERM if trial % 3 == 2 else signal.SIGKILL)
        process.wait(timeout=60)
        for name, data in _outputs(root / "build").items():
            assert data in (old.get(name), new.get(name)), f"{name} is neither the old nor the new version"
    final = _run(root, "build", "--all")
    assert final.wait(timeout=60) == 0
    assert _outputs(root / "build") == new  # a later build completes and clears leftover temp files
    assert not [p for p in (root / "build").rglob("*") if ".tmp-" in p.name]


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sockets_are_blocked_except_loopback():
    from pytest_socket import SocketBlockedError, SocketConnectBlockedError

    with pytest.raises((SocketBlockedError, SocketConnectBlockedError)):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_remote_css_in_templates_is_never_fetched(project, cli):
    html = project.own_template("email.html")
    html.write_text(
        html.read_text(encoding="utf-8").replace(
            "<style>", '<link rel="stylesheet" href="http://example.com/evil.css">\n<style>\n'
            "@import url(http://example.com/evil2.css);\n"
        ),
        encoding="utf-8",
    )  # fmt: skip
    project.post("2026-10-14-a.md", "---\ntitle: A\ndate: 2026-10-14\n---\n\nText.\n")
    result = cli("--project", project.root, "build")  # a fetch would raise SocketBlockedError here
    assert result.exit_code == 0, result.output
    built = (project.build / "2026-W42" / "email.html").read_text(encoding="utf-8")
    assert "<link" not in built and "@import" not in built and "evil" not in built


def _sha(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in _outputs(folder).items()}


@pytest.mark.slow  # two builds in processes of their own: a hash seed and a zone are set per process
def test_builds_are_identical_across_hash_seeds_timezones_and_file_order(killable, tmp_path):
    results = []
    for seed, tz, order in (("1", "UTC", sorted), ("4242", "Asia/Tokyo", lambda p: sorted(p, reverse=True))):
        root = tmp_path / f"copy-{seed}"
        shutil.copytree(killable, root)
        (root / "posts").mkdir()
        for path in order((REPO / "posts").glob("*.md")):  # creation order changes directory order
            shutil.copy(path, root / "posts" / path.name)
        process = _run(root, "build", "--all", env={"PYTHONHASHSEED": seed, "TZ": tz})
        assert process.wait(timeout=60) == 0, process.stderr.read()
        results.append(_sha(root / "build"))
    assert results[0] == results[1]
    assert len(results[0]) > 20  # the sample week: email, captions, 18 cards, archive


@pytest.fixture
def read_only():
    """Make a folder really read-only: chmod for a normal user; a read-only bind mount for root."""
    undo = []

    def make(folder: Path) -> None:
        if os.geteuid() != 0:
            for path in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
                path.chmod(0o555)
                undo.append(lambda p=path: p.chmod(0o755))
            return
        mount = shutil.which("mount")
        bind = subprocess.run([mount or "mount", "--bind", str(folder), str(folder)], capture_output=True)
        if bind.returncode != 0:
            pytest.skip(
                f"root without mount rights: {bind.stderr.decode().strip()} (simulated in test_build.py)"
            )
        undo.append(lambda: subprocess.run(["umount", str(folder)], check=True))
        subprocess.run([mount, "-o", "remount,ro,bind", str(folder)], check=True)

    yield make
    for step in reversed(undo):
        step()


@pytest.mark.slow  # a real read-only folder (a bind mount as root); simulated and fast: test_build.py
def test_read_only_output_folder_is_an_error_and_keeps_the_old_build(sample, cli, read_only):
    assert cli("--project", sample.root, "build").exit_code == 0
    before = {p: p.read_bytes() for p in sample.build.rglob("*") if p.is_file()}
    post = sample.posts / "2026-10-17-why-facial-muscles-need-movement.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace("breathes.", "breathes again."), encoding="utf-8"
    )
    read_only(sample.build)
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 1
    assert re.match(rf"{re.escape(str(sample.build))}(/2026-W42)?: cannot write: (Read-only file system|Permission denied)",
                    result.stderr), result.stderr  # fmt: skip
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in sample.build.rglob("*") if p.is_file()} == before


# A large build killed mid-way (issue 14): SIGTERM and SIGKILL leave no process and no torn issue folder.

MANY = 160  # twenty issues: enough to keep two render workers busy while the build is killed


def _many_posts(root: Path, revision: str) -> None:
    """MANY short posts, eight a week: enough for the worker pool and a few seconds of work."""
    posts = root / "posts"
    posts.mkdir(exist_ok=True)
    start = dt.date(2025, 1, 6)
    for n in range(MANY):
        day = start + dt.timedelta(days=n * 7 // 8)
        (posts / f"{day.isoformat()}-post-{n}.md").write_text(
            f"---\ntitle: Post {n}\ndate: {day.isoformat()}\n---\n\nMassage and fascia work together, part {n}. "
            f"Revision {revision}.\n\n- Softer lines\n- Brighter skin\n",
            encoding="utf-8",
        )


def _processes_of(root: Path) -> list[int]:
    """Every process whose command line names this project: the build and the workers it forked."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(root).encode() in command and b"newsletter" in command:
                found.append(int(entry.name))
    return found


def _issue_folders(out: Path) -> dict[str, dict[str, bytes]]:
    return {
        folder.name: {
            p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
        }
        for folder in sorted(out.iterdir())
        if folder.is_dir() and re.fullmatch(r"\d{4}-W\d{2}", folder.name)
    }


@pytest.mark.slow
def test_a_large_build_killed_leaves_no_process_and_no_torn_issue(tmp_path):
    """Killed while its worker pool runs, a cold 160-post build leaves no process, and every issue folder it
    left is whole (staged folders are swapped in only complete)."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
    shutil.copytree(REPO / "templates", root / "templates")
    _many_posts(root, "new")
    for kill in (signal.SIGTERM, signal.SIGKILL):
        shutil.rmtree(root / "build", ignore_errors=True)
        process = _run(root, "build", "--all", "--jobs", "2")
        deadline = time.monotonic() + 120
        # until the render pool runs: its workers have begun staging issue folders
        while not list((root / "build").glob(".stage*/2*")) and process.poll() is None:
            assert time.monotonic() < deadline, "the render pool never started"
            time.sleep(0.02)
        assert len(_processes_of(root)) >= 3, "the parent and two workers run"
        time.sleep(random.Random(kill).uniform(0.1, 0.6))
        assert process.poll() is None, "the build ended before it could be killed"
        process.send_signal(kill)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _processes_of(root) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_of(root) == [], f"a worker outlived the build ({kill.name})"
        if (root / "build").is_dir():
            _assert_complete(_issue_folders(root / "build"))
    final = _run(root, "build", "--all", "--jobs", "2")
    assert final.wait(timeout=240) == 0  # and a build after the kills completes, clearing what they left
    folders = _issue_folders(root / "build")
    assert len(folders) == MANY // 8
    _assert_complete(folders)
    assert not [p for p in (root / "build").rglob("*") if ".tmp" in p.name or ".stage" in p.name]


def _assert_complete(folders: dict[str, dict[str, bytes]]) -> None:
    """Every issue folder holds the same files as the others, and its cards: nine a post in the cards
    window (the newest issues), only the og:image card before it; each file whole."""
    names = {frozenset(n for n in files if not n.startswith("cards/")) for files in folders.values()}
    assert len(names) <= 1, "an issue folder is missing files"
    for week, files in folders.items():
        captions = json.loads(files["captions.json"])
        posts = {caption["post"] for caption in captions}
        cards = {n for n in files if n.startswith("cards/")}
        named = {c["card"].split("/", 1)[1] for c in captions if c["card"]}
        assert named and named <= cards, week  # every card a caption names is there
        assert len(cards) in (9 * len(posts), 1), week
        assert b"Revision new" in files["email.txt"], week
        assert files["email.html"].rstrip().endswith(b"</html>"), week
        json.loads(files["captions.json"])
        assert all(data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
                   for name, data in files.items() if name.endswith(".png")), week  # fmt: skip
