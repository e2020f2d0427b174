"""Builds: selection, golden sample issue, determinism, nothing rewritten, atomic two-phase writes."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import REPO, TEMPLATES, Project

from newsletter.run.writer import atomic_write

WEEK = "2026-W42"
GOLDEN_FILES = ["email.html", "email.txt", "email.eml", "captions.json"]


@pytest.fixture(scope="module")
def _once() -> dict:
    return {}


@pytest.fixture
def built(_once, tmp_path_factory, cli) -> Project:
    """The sample project built once for this module, by the first test that asks (so under
    conftest's clock and checks); shared: tests only read it (or build a copy, `built_copy`)."""
    if not _once:
        root = tmp_path_factory.mktemp("sample")
        shutil.copytree(TEMPLATES, root / "templates")
        shutil.copytree(REPO / "posts", root / "posts")
        sample = Project(root)
        sample.settings()
        assert cli("--project", root, "build").exit_code == 0
        _once["sample"] = sample
    return _once["sample"]


@pytest.fixture
def built_copy(built, tmp_path) -> Project:
    """A copy of the built sample, build/ included, for a test that changes it."""
    shutil.copytree(built.root, tmp_path / "copy", symlinks=True)
    return Project(tmp_path / "copy")


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_sample_issue_matches_golden_files(built, golden, name):
    golden(f"sample/{name}", (built.build / WEEK / name).read_bytes())


@pytest.mark.slow
def test_rebuild_is_byte_identical(built_copy, cli):
    """A second build of the sample (of a copy of the project, into another folder) makes the same bytes
    as the first."""
    sample = built_copy
    assert cli("--project", sample.root, "build", "--out", sample.root / "two").exit_code == 0
    one, two = sample.outputs(), sample.outputs(sample.root / "two")
    assert one == two
    assert len(one) > 20


@pytest.mark.slow
def test_rebuild_of_unchanged_inputs_rewrites_nothing(built_copy, cli):
    sample = built_copy
    stamps = {
        p: p.stat().st_mtime_ns
        for p in sample.build.rglob("*")
        if (p.is_file() and p.suffix != ".json") or p.name == "captions.json"
    }
    for path in stamps:
        os.utime(path, ns=(1, 1))
    result = cli("--project", sample.root, "build")
    assert " 0 written, " in result.stdout
    assert all(p.stat().st_mtime_ns == 1 for p in stamps)


@pytest.mark.slow
def test_bom_and_crlf_give_identical_output(project, cli):
    text = "---\ntitle: Line ends\ndate: 2026-10-14\n---\n\nOne paragraph.\n\n- a\n- b\n"
    project.post("2026-10-14-ends.md", text)
    assert cli("--project", project.root, "build", "--out", project.root / "lf").exit_code == 0
    for variant in (
        b"\xef\xbb\xbf" + text.encode(),
        text.replace("\n", "\r\n").encode(),
        text.replace("\n", "\r").encode(),
    ):
        project.raw_post("2026-10-14-ends.md", variant)
        assert cli("--project", project.root, "build", "--out", project.root / "other").exit_code == 0
        assert project.outputs(project.root / "other") == project.outputs(project.root / "lf")


def _post(project, name, date, extra=""):
    project.post(name, f"---\ntitle: {name}\ndate: {date}\n{extra}---\n\nBody of {name}.\n")


@pytest.mark.slow
def test_default_build_is_latest_week_and_drafts_never_appear(project, cli):
    _post(project, "2026-10-07-old.md", "2026-10-07")
    _post(project, "2026-10-14-new.md", "2026-10-14")
    _post(project, "2026-10-21-draft.md", "2026-10-21", "draft: true\n")
    result = cli("--project", project.root, "build")
    assert result.stdout.startswith("Built 2026-W42 (1 post) ")
    assert sorted(p.name for p in project.build.iterdir()) == [
        ".newsletter-cache.json",
        ".newsletter-captions",
        ".newsletter.lock",
        "2026-W42",
        "feed.xml",
        "index.html",
    ]
    index = (project.build / "index.html").read_text(encoding="utf-8")
    assert "2026-W41/index.html" in index and "2026-W42/index.html" in index and "draft" not in index


@pytest.mark.slow
def test_week_all_and_post_selection(project, cli):
    _post(project, "2026-10-07-old.md", "2026-10-07")
    _post(project, "2026-10-14-new.md", "2026-10-14")
    assert cli("--project", project.root, "build", "--week", "2026-W41").stdout.startswith(
        "Built 2026-W41 (1 post)"
    )
    assert cli("--project", project.root, "build", "--all").stdout.startswith(
        "Built 2 issues (2026-W41 … 2026-W42, 2 posts)"
    )
    one = cli("--project", project.root, "build", "--post", project.posts / "2026-10-07-old.md")
    assert one.stdout.startswith("Built 2026-W41 (1 post) in build/selected/:")
    html = (project.build / "selected/2026-W41/email.html").read_text(encoding="utf-8")
    assert "2026-10-07-old.md" in html and "2026-10-14-new.md" not in html


@pytest.mark.slow
def test_a_build_of_chosen_posts_never_replaces_the_weeks_issue(project, cli):
    _post(
        project, "2026-10-12-first.md", "2026-10-12", "image: https://viaskincare.com/a.jpg\nimage_alt: A\n"
    )
    _post(project, "2026-10-14-second.md", "2026-10-14")
    assert cli("--project", project.root, "build").stdout.startswith("Built 2026-W42 (2 posts) in build/:")
    week = project.outputs(project.build / "2026-W42")
    index = (project.build / "index.html").read_bytes()
    one = cli("--project", project.root, "build", "--post", "second")
    assert one.exit_code == 0, one.output
    assert one.stdout.startswith("Built 2026-W42 (1 post) in build/selected/: ")
    assert project.outputs(project.build / "2026-W42") == week  # the week's issue, untouched
    assert (project.build / "index.html").read_bytes() == index
    chosen = (project.build / "selected/2026-W42/email.html").read_text(encoding="utf-8")
    assert "2026-10-14-second.md" in chosen and "2026-10-12-first.md" not in chosen
    assert not (project.build / "selected/index.html").exists()  # no archive page of its own


@pytest.mark.parametrize("out", ["build", pytest.param("build/", marks=pytest.mark.slow)])
def test_chosen_posts_are_refused_over_the_weekly_issues_folder(project, cli, out, monkeypatch):
    _post(project, "2026-10-14-second.md", "2026-10-14")
    monkeypatch.chdir(project.root)
    result = cli("--project", project.root, "build", "--post", "second", "--out", out)
    assert result.exit_code == 1
    assert result.stderr == (
        "--out build: is where the weekly issues are published; a build of chosen posts (--post) would "
        "replace that week's issue there: leave out --out (it writes into build/selected/) or choose "
        "another folder\n"
    )
    assert not project.build.exists() or not (project.build / "2026-W42").exists()


def test_week_without_posts_is_a_clear_error(project, cli):
    _post(project, "2026-10-14-new.md", "2026-10-14")
    result = cli("--project", project.root, "build", "--week", "2026-W01")
    assert result.exit_code == 1
    assert result.stderr == (
        "--week 2026-W01: no published posts that week; weeks with posts: 2026-W42\nAborted: 1 error found.\n"
    )


@pytest.mark.parametrize("week", ["2026-42", "2026-W54", "W42"])
def test_bad_week_is_a_usage_error(project, cli, week):
    result = cli("--project", project.root, "build", "--week", week)
    assert result.exit_code == 2
    assert "Invalid value for '--week'" in result.stderr


@pytest.mark.slow
def test_deleted_post_captions_are_removed_on_rebuild(project, cli):
    _post(project, "2026-10-14-a.md", "2026-10-14")
    _post(project, "2026-10-15-b.md", "2026-10-15")
    assert cli("--project", project.root, "build").exit_code == 0
    assert (project.build / WEEK / "cards/b-title-1200x630.png").is_file()
    (project.posts / "2026-10-15-b.md").unlink()
    result = cli("--project", project.root, "build")
    assert "removed" in result.stdout
    assert not list((project.build / WEEK / "cards").glob("b-*"))


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "file.txt"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


@pytest.mark.slow
def test_unwritable_output_is_an_error_and_keeps_old_build(built_copy, cli, monkeypatch):
    """The OS refuses the write (read-only folder; simulated so it also holds when tests run as root)."""
    sample = built_copy
    before = sample.outputs()
    post = sample.root / "posts" / "2026-10-14-facial-massage-and-tissue-regeneration.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace("Tissue Regeneration\n", "Renewal\n", 1), encoding="utf-8"
    )

    def refuse(target, data):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr("newsletter.run.writer._write_file", refuse)
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{sample.build / WEEK}: cannot write: Permission denied")
    assert sample.outputs() == before


@pytest.mark.slow
def test_a_build_without_drafts_unpublishes_what_a_drafts_build_wrote(project, cli):
    """build/ is what gets published: a --drafts build's draft-only week does not survive a plain build
    (review finding: it stayed and the README's rsync published the draft)."""
    _post(project, "2026-10-14-live.md", "2026-10-14")
    _post(project, "2026-10-28-secret.md", "2026-10-28", "draft: true\n")
    assert cli("--project", project.root, "build", "--drafts").exit_code == 0
    assert (project.build / "2026-W44" / "email.html").is_file()
    result = cli("--project", project.root, "build")
    assert result.exit_code == 0 and " removed" in result.stdout
    assert not (project.build / "2026-W44").exists()
    assert (project.build / "2026-W42" / "email.html").is_file()
    assert "secret" not in (project.build / "index.html").read_text(encoding="utf-8").lower()


@pytest.mark.slow
def test_the_archive_heads_an_issue_with_its_lead_title_and_a_whole_sentence_summary(project, cli):
    """Without an editor's subject the archive page does not show the inbox's "Title + 1 more": the lead
    title, then "and 1 more article"; the summary is cut after a whole sentence, not mid-phrase."""
    long = (
        "Cold air and indoor heating strip the skin's barrier. Here is the routine our therapists use, "
        "and why we start with less, not more, when skin is stinging and tight in December."
    )
    project.post(
        "2026-10-12-winter.md",
        f'---\ntitle: "Winter Barrier Repair: A Routine That Works"\ndate: 2026-10-12\nsummary: "{long}"\n---\n\nB.\n',
    )
    _post(project, "2026-10-14-calm.md", "2026-10-14", 'summary: "Five simple steps for calm skin."\n')
    assert cli("--project", project.root, "build").exit_code == 0
    import lxml.html

    page = lxml.html.fromstring((project.build / "index.html").read_bytes())
    (issue,) = page.xpath("//li[@class='issue']")
    assert issue.xpath("string(a[@class='subject'])") == "Winter Barrier Repair: A Routine That Works"
    assert issue.xpath("string(span[@class='more'])") == "and 1 more article"
    summary = issue.xpath("string(p[@class='summary'])")
    assert summary == "Cold air and indoor heating strip the skin's barrier."
    eml = (project.build / WEEK / "email.eml").read_text(encoding="utf-8")
    assert "Subject: Winter Barrier Repair: A Routine That Works + 1 more" in eml  # the inbox line stays


def test_a_long_preheader_is_cut_after_a_sentence_or_at_a_word_with_an_ellipsis():
    from newsletter.content.issue import excerpt

    text = "One short sentence here. " + "word " * 60
    assert (
        excerpt(text, 200).endswith("word…") and len(excerpt(text, 200)) <= 200
    )  # no sentence end late enough
    many = "A sentence that goes on for a while. " * 8
    assert excerpt(many, 200) == ("A sentence that goes on for a while. " * 5).rstrip()
    assert excerpt("Short.", 200) == "Short."
