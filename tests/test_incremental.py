"""Incremental builds and the process pool change how fast, never what: outputs are byte-identical."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "tests" / "benchmarks"))
from generate import generate


@pytest.fixture
def synthetic(tmp_path) -> Path:
    return generate(tmp_path / "site", posts=24)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".newsletter-cache.json"
    }


def _edit(root: Path) -> None:
    post = sorted((root / "posts").glob("*.md"))[7]
    post.write_text(
        post.read_text(encoding="utf-8").replace('title: "', 'title: "Edited ', 1), encoding="utf-8"
    )


def test_cache_and_pool_give_the_same_bytes_as_a_plain_build(synthetic, cli):
    plain, fast = synthetic / "plain", synthetic / "fast"
    assert (
        cli("--project", synthetic, "build", "--all", "--no-cache", "--jobs", "1", "--out", plain).exit_code
        == 0
    )
    assert cli("--project", synthetic, "build", "--all", "--jobs", "2", "--out", fast).exit_code == 0
    assert _files(plain) == _files(fast)
    _edit(synthetic)
    assert (
        cli("--project", synthetic, "build", "--all", "--no-cache", "--jobs", "1", "--out", plain).exit_code
        == 0
    )
    incremental = cli("--project", synthetic, "build", "--all", "--jobs", "2", "--out", fast)
    assert incremental.exit_code == 0
    assert _files(plain) == _files(fast)
    assert len(_files(fast)) > 200


def test_editing_one_post_rewrites_only_its_issue_and_the_index(synthetic, cli):
    out = synthetic / "build"
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    _edit(synthetic)
    result = cli("--project", synthetic, "build", "--all")
    changed = {p.relative_to(out).as_posix() for p, ns in stamps.items() if p.stat().st_mtime_ns != ns}
    weeks = {name.split("/")[0] for name in changed if "/" in name}
    assert len(weeks) == 1, weeks
    assert "index.html" in changed
    assert f"{len(changed) - 1} written" in result.stdout  # every changed file but the cache manifest


def test_a_touched_output_is_rebuilt(synthetic, cli):
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    victim = next((synthetic / "build").glob("*/email.html"))
    victim.write_text("tampered", encoding="utf-8")
    result = cli("--project", synthetic, "build", "--all")
    # Issue folders are replaced whole: the tampered issue's files, and only those, are written again.
    count = sum(1 for p in victim.parent.rglob("*") if p.is_file())
    assert f"{count} written" in result.stdout
    assert victim.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_changing_a_template_rebuilds_everything(synthetic, cli):
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    css = synthetic / "templates" / "email.css"
    css.write_text(css.read_text(encoding="utf-8").replace("#f4efea", "#f4efeb"), encoding="utf-8")
    result = cli("--project", synthetic, "build", "--all")
    html = list((synthetic / "build").glob("*/email.html"))
    assert all("#f4efeb" in p.read_text(encoding="utf-8") for p in html) and len(html) > 3
    assert "written" in result.stdout


def test_unchanged_rebuild_imports_no_renderer(synthetic):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "newsletter", "--project", synthetic, "build", "--all"], check=True, env=env,
                   capture_output=True)  # fmt: skip
    probe = (
        "import sys; from newsletter.cli import main\n"
        "try:\n    main(['--project', sys.argv[1], 'build', '--all'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('premailer', 'markdown', 'jinja2', 'lxml') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, synthetic], check=True, env=env, capture_output=True, text=True
    )
    assert out.stdout.splitlines()[-1] == "[]"
    assert " 0 written, " in out.stdout
