"""Phase 2 never loses anything: --out guarded, folders swapped whole, a lock, bookkeeping that cannot break
a build, inputs that cannot hang it (issue 14)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_incremental import restamp

from newsletter.run.store import MANIFEST

WEEK = "2026-W42"


def _build(project, cli, *args):
    return cli("--project", project.root, "build", *args)


@pytest.fixture(scope="module")
def _sample_build(tmp_path_factory) -> Path:
    """The sample's build folder, made once per module; tests get copies (`built`), never it."""
    return tmp_path_factory.mktemp("sample-build") / "build"


@pytest.fixture
def built(sample, cli, _sample_build):
    """The sample project after a build: the module's one build of the same sources, copied into it (the
    first test that needs it makes it, under that test's fixtures)."""
    if not (_sample_build / MANIFEST).is_file():
        assert _build(sample, cli).exit_code == 0
        shutil.copytree(sample.build, _sample_build, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copytree(_sample_build, sample.build, symlinks=True)
        restamp(sample.build)
    return sample


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("templates", "--out templates: is or contains the templates folder (templates); "
                      "choose an output folder outside the sources, such as build/"),
        ("posts/out", "--out posts/out: is or contains the posts folder (posts); "
                      "choose an output folder outside the sources, such as build/"),
        (".", "--out .: contains the project's setup.cfg; choose a folder inside it, such as build/"),
    ],
)  # fmt: skip
def test_out_is_refused_where_it_could_touch_the_sources(sample, cli, out, message):
    before = {p: p.read_bytes() for p in sample.root.rglob("*") if p.is_file()}
    result = _build(sample, cli, "--out", sample.root / out)
    assert result.exit_code == 1
    assert result.stderr.replace(str(sample.root) + "/", "").replace(str(sample.root), ".") == message + "\n"
    assert {p: p.read_bytes() for p in sample.root.rglob("*") if p.is_file()} == before


def test_out_naming_a_file_is_a_clear_error(sample, cli):
    target = sample.root / "notes.txt"
    target.write_text("mine", encoding="utf-8")
    result = _build(sample, cli, "--out", target)
    assert result.exit_code == 2 or result.stderr == (
        "--out notes.txt: is a file, not a folder; choose a folder such as build/\n"
    )
    assert target.read_text(encoding="utf-8") == "mine"


def test_a_symlinked_issue_folder_is_refused_and_its_target_untouched(sample, cli, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me", encoding="utf-8")
    sample.build.mkdir()
    (sample.build / WEEK).symlink_to(elsewhere)
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{sample.build / WEEK}: is a symbolic link;")
    assert [p.name for p in elsewhere.iterdir()] == ["precious.txt"]


def test_files_of_the_users_own_in_an_issue_folder_survive_rebuilds(built, cli):
    sample = built
    mine = sample.build / WEEK / "notes-for-the-team.txt"
    mine.write_text("ours", encoding="utf-8")
    post = sample.posts / "2026-10-17-why-facial-muscles-need-movement.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace("breathes.", "breathes again."), encoding="utf-8"
    )
    assert _build(sample, cli).exit_code == 0
    assert "breathes again" in (sample.build / WEEK / "email.txt").read_text(encoding="utf-8")
    assert mine.read_text(encoding="utf-8") == "ours"


@pytest.mark.slow  # builds in processes of their own: the lock between real processes is the point
def test_two_builds_at_once_into_one_folder_both_succeed_with_the_same_result(sample, cli):
    command = [sys.executable, "-m", "newsletter", "--project", str(sample.root), "build", "--no-cache"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    together = sample.outputs()
    assert _build(sample, cli, "--no-cache", "--out", sample.root / "alone").exit_code == 0  # the reference
    assert together == sample.outputs(sample.root / "alone")


@pytest.mark.parametrize("text", [
    "{", *(pytest.param(text, marks=pytest.mark.slow)  # each a cold build: the fast loop keeps one
           for text in ("[1, 2]", '{"fingerprint": 3}', '{"posts": {"x": 1}, "entries": []}')),
])  # fmt: skip
def test_a_manifest_of_the_wrong_shape_means_a_cold_build(built, cli, text):
    sample = built
    (sample.build / ".newsletter-cache.json").write_text(text, encoding="utf-8")
    result = _build(sample, cli)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_a_full_disk_while_saving_the_manifest_is_a_clear_error(sample, cli, monkeypatch):
    from newsletter.run import writer

    real = writer.atomic_write

    def full(target: Path, data: bytes) -> None:
        if target.name == ".newsletter-cache.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        real(target, data)

    monkeypatch.setattr(writer, "atomic_write", full)
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{sample.build}/.newsletter-cache.json: cannot save the build manifest: No space left on device; "
        "the outputs are complete, the next build starts cold\n"
    )
    assert (sample.build / WEEK / "email.html").is_file()


def test_source_date_epoch_is_part_of_the_cache_key(built, cli, monkeypatch):
    sample = built
    assert " 0 written" in _build(sample, cli).stdout  # built: nothing to do without it
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1760000000")
    result = _build(sample, cli)
    assert " 0 written" not in result.stdout
    assert b"Date: Thu, 09 Oct 2025" in (sample.build / WEEK / "email.eml").read_bytes()


def test_a_fifo_in_posts_is_an_error_not_a_hang(built, cli):
    sample = built
    os.mkfifo(sample.posts / "2026-10-20-pipe.md")
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert "posts/2026-10-20-pipe.md: not a regular file (a pipe, device or folder): use a .md file" in (
        result.stderr.splitlines()
    )


def test_post_dev_zero_is_an_error_not_a_hang(sample, cli):
    result = _build(sample, cli, "--post", "/dev/zero")
    assert result.exit_code == 1
    assert result.stderr == (
        "/dev/zero: not a regular file (a pipe, device or folder): use a .md file\nAborted: 1 error found.\n"
    )


def test_a_symlink_loop_in_posts_is_a_warning(built, cli):
    sample = built
    loop = sample.posts / "2026-10-20-loop.md"
    loop.symlink_to(loop)
    result = _build(sample, cli)
    assert result.exit_code == 0
    assert "posts/2026-10-20-loop.md: warning: broken symbolic link: not followed" in result.stderr


def test_temp_files_left_by_a_killed_build_are_cleared(built, cli):
    sample = built
    (sample.build / ".2026-W42.tmp-99999").mkdir()
    (sample.build / ".index.html.tmp-99999-1").write_text("half", encoding="utf-8")
    assert _build(sample, cli).exit_code == 0
    assert not [p for p in sample.build.iterdir() if ".tmp-" in p.name]


def test_a_week_without_posts_any_more_loses_its_folder_with_all(built, cli):
    sample = built
    extra = sample.post("2026-10-07-early.md", "---\ntitle: Early\ndate: 2026-10-07\n---\n\nEarly bird.\n")
    assert _build(sample, cli, "--all").exit_code == 0
    assert (sample.build / "2026-W41").is_dir()
    extra.unlink()
    result = _build(sample, cli, "--all")
    assert result.exit_code == 0
    assert not (sample.build / "2026-W41").exists()
    assert (sample.build / WEEK / "email.html").is_file()


def test_the_preview_survives_any_exception_in_a_rebuild(sample, monkeypatch):
    from newsletter.preview.state import Preview
    from newsletter.run import plan as pipeline

    preview = Preview(sample.root, lambda text, error: None)
    assert preview.rebuild().error == ""
    real = pipeline.plan
    monkeypatch.setattr(pipeline, "plan", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    broken = preview.rebuild()
    assert broken.error == "internal error: RuntimeError: boom"
    assert broken.files[f"{WEEK}/email.html"]  # the last good build is still served
    monkeypatch.setattr(pipeline, "plan", real)
    assert preview.rebuild().error == ""


def test_a_post_over_one_mebibyte_is_an_error(project, cli):
    """Made here rather than kept as a 1 MB fixture file: prose far beyond any article."""
    body = ("Massage and fascia, a long paragraph of words. " * 40 + "\n\n") * 560
    project.post("2026-10-14-bad.md", "---\ntitle: Too long\ndate: 2026-10-14\n---\n\n" + body)
    size = (project.posts / "2026-10-14-bad.md").stat().st_size
    assert size > 1024 * 1024
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr == (
        f"posts/2026-10-14-bad.md:1: the file is {size:,} bytes; posts are limited to 1,048,576 bytes\n"
        "Aborted: 1 error found.\n"
    )


def test_a_lock_file_that_is_a_symbolic_link_is_refused(sample, cli, tmp_path):
    """The lock is opened without following links: nothing is created outside the output folder."""
    outside = tmp_path / "outside" / "lock"
    outside.parent.mkdir()
    sample.build.mkdir()
    (sample.build / ".newsletter.lock").symlink_to(outside)
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 1
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    assert not outside.exists()
