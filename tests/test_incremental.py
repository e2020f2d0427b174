"""Incremental builds and the process pool change how fast, never what: outputs are byte-identical."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from newsletter.run.store import MANIFEST, stamp

sys.path.insert(0, str(REPO / "tests" / "benchmarks"))
from generate import generate


def restamp(out: Path) -> None:
    """Make a copied build folder's manifest the copy's own, as a build here would have left it: each
    output group's stamp taken again (a copy keeps names, sizes and mtimes but not inodes), and no post
    stat vouched for (each post is read and hashed again, and found unchanged, as after a save)."""
    path = out / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    for name, entry in data["entries"].items():
        entry["stamp"] = stamp(out / ("index.html" if name == "index" else name))
    for entry in data["posts"].values():
        entry.pop("stat", None)
    path.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")), encoding="utf-8")


@pytest.fixture(scope="module")
def _archive(tmp_path_factory) -> Path:
    """Where the synthetic archive is built once per module; tests get copies (`synthetic`), never it."""
    return tmp_path_factory.mktemp("synthetic") / "site"


@pytest.fixture
def synthetic(_archive, tmp_path, cli) -> Path:
    """Two weeks of two posts (a pool, and issues of several posts), built: a copy of the module's
    archive, build/ included. The first test that needs it builds it, under that test's fixtures (the
    pinned clock, the .eml checks, the card memo)."""
    if not (_archive / "build" / MANIFEST).is_file():
        generate(_archive, posts=7)  # five posts a week: the first week keeps two
        for n in (2, 3, 4):
            next((_archive / "posts").glob(f"*-post-{n}.md")).unlink()
        assert cli("--project", _archive, "build", "--all", "--jobs", "1").exit_code == 0
    root = tmp_path / "site"
    shutil.copytree(_archive, root, symlinks=True)
    restamp(root / "build")
    return root


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def _edit(root: Path) -> None:
    post = sorted((root / "posts").glob("*.md"))[-1]
    post.write_text(
        post.read_text(encoding="utf-8").replace('title: "', 'title: "Edited ', 1), encoding="utf-8"
    )


def test_editing_one_post_rewrites_only_its_issue_and_the_index(synthetic, cli):
    out = synthetic / "build"
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    kept = out / ".newsletter-captions"  # the build's bookkeeping: the captions of each post
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.parent != kept}
    before = {p.name for p in kept.iterdir()}
    _edit(synthetic)
    result = cli("--project", synthetic, "build", "--all")
    changed = {p.relative_to(out).as_posix() for p, ns in stamps.items() if p.stat().st_mtime_ns != ns}
    weeks = {name.split("/")[0] for name in changed if "/" in name}
    assert len(weeks) == 1, weeks
    assert "index.html" in changed
    assert f"{len(changed) - 1} written" in result.stdout  # every changed file but the cache manifest
    after = {p.name for p in kept.iterdir()}
    assert len(before - after) == len(after - before) == 1  # the edited post's captions, made again


def test_an_edit_redraws_only_the_edited_articles_cards(synthetic, cli, monkeypatch):
    """The issue of an edited post is rendered again, but the cards of its other articles are the
    last build's bytes; deleting a card (the folder's stamp changes) makes every card be drawn again."""
    from newsletter.social import cards, draw

    drawn: list[str] = []
    real = draw.png

    def png(card, size, accent):
        drawn.append(f"cards/{cards.file_name(card.slug, card.kind, size)}")
        return real(card, size, accent)

    monkeypatch.setattr(draw, "png", png)
    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    cold = _files(synthetic / "build")
    drawn.clear()
    post = sorted((synthetic / "posts").glob("*.md"))[-1]
    _edit(synthetic)
    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    slug = post.stem.split("-", 3)[3]
    assert drawn and {name.split("/")[1].startswith(slug) for name in drawn} == {True}, drawn
    edited = _files(synthetic / "build")
    week = next(name.split("/")[0] for name in drawn_files(cold, edited))
    issue_cards = [n for n in edited if n.startswith(f"{week}/cards/")]
    assert len(issue_cards) > len(drawn)  # the issue has other articles, whose cards were reused
    assert {n: edited[n] for n in issue_cards if slug not in n} == {
        n: cold[n] for n in issue_cards if slug not in n
    }
    drawn.clear()
    (synthetic / "build" / issue_cards[0]).unlink()
    _edit(synthetic)
    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    assert sorted(f"{week}/{name}" for name in drawn) == sorted(issue_cards)


def drawn_files(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return [name for name in after if "/cards/" in name and before.get(name) != after[name]]


def test_a_touched_output_is_rebuilt(synthetic, cli):
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    victim = sorted((synthetic / "build").glob("*/email.html"))[-1]  # the smaller issue
    victim.write_text("tampered", encoding="utf-8")
    others = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in victim.parent.rglob("*") if p.is_file()}
    del others[victim]
    result = cli("--project", synthetic, "build", "--all")
    # The issue folder is replaced whole, but only the tampered file is written again: the others are
    # the same files (hard links into the new folder), so their inode and mtime stay (rsync sees no change).
    assert " 1 written, " in result.stdout
    assert victim.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in others} == others


@pytest.mark.slow  # renders every issue (fast: test_pipeline.py, a template change seen by a rebuild)
def test_changing_a_template_rebuilds_everything(synthetic, cli):
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    css = synthetic / "templates" / "email.css"
    # The title's size: a literal of the stylesheet (its colours come from the brand's palette).
    text = css.read_text(encoding="utf-8")
    assert "font-size: 28px; line-height: 34px" in text
    css.write_text(text.replace("font-size: 28px; line-height: 34px", "font-size: 29px; line-height: 34px"),
                   encoding="utf-8")  # fmt: skip
    result = cli("--project", synthetic, "build", "--all")
    html = list((synthetic / "build").glob("*/email.html"))
    assert len(html) == 2  # both weeks
    assert all("font-size:29px" in p.read_text(encoding="utf-8") for p in html)
    assert "written" in result.stdout


def test_unchanged_rebuild_imports_no_heavy_module(synthetic):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    probe = (  # the copy is built: this build has nothing to do
        "import sys; from newsletter.cli import main\n"
        "try:\n    main(['--project', sys.argv[1], 'build', '--all'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('premailer', 'markdown', 'jinja2', 'lxml', 'yaml', 'PIL', 'regex', 'logging', 'pickle',\n"
        "         'ctypes', 'difflib', 'xml.etree.ElementTree', 'newsletter.content.markup',\n"
        "         'newsletter.email.images')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, synthetic], check=True, env=env, capture_output=True, text=True
    )
    assert out.stdout.splitlines()[-1] == "[]"
    assert " 0 written, " in out.stdout


@pytest.mark.slow  # four cold builds, with and without a pool, every card drawn afresh
@pytest.mark.fresh_cards  # the same card bytes from one worker and many, each drawn here
def test_cold_incremental_one_worker_and_many_give_the_same_bytes(synthetic, cli):
    """Every way of building the same sources gives byte-identical outputs: cold with one process, cold
    with a pool, and incremental (after an edit) with one process and with a pool."""
    project = ("--project", synthetic, "build", "--all")
    builds = {name: synthetic / name for name in ("cold1", "coldN", "inc1", "incN")}
    for name, jobs in (("inc1", "1"), ("incN", "2")):  # what the incremental builds start from
        assert cli(*project, "--jobs", jobs, "--out", builds[name]).exit_code == 0
    _edit(synthetic)
    for name, jobs in (("cold1", "1"), ("coldN", "2")):
        assert cli(*project, "--no-cache", "--jobs", jobs, "--out", builds[name]).exit_code == 0
    for name, jobs in (("inc1", "1"), ("incN", "2")):
        assert " 0 unchanged" not in cli(*project, "--jobs", jobs, "--out", builds[name]).stdout
    reference = _files(builds["cold1"])
    assert len(reference) > 4 * 9  # nine cards a post, and each issue's email, text and pages
    for name in ("coldN", "inc1", "incN"):
        assert _files(builds[name]) == reference, name


def _counting_stylesheet_parses(monkeypatch) -> list:
    import premailer

    calls: list = []
    parse = premailer.Premailer._parse_style_rules
    monkeypatch.setattr(
        premailer.Premailer, "_parse_style_rules", lambda self, *a: calls.append(a) or parse(self, *a)
    )
    return calls


@pytest.mark.fresh_inline  # premailer itself, not the suite's memo of inlined emails
def test_an_edit_takes_premailers_parse_of_the_stylesheet_from_the_manifest(synthetic, cli, monkeypatch):
    """A build keeps it (data: selectors and declarations); the edit's issue is inlined with it and
    gets the bytes a cold build gets."""
    calls = _counting_stylesheet_parses(monkeypatch)
    assert cli("--project", synthetic, "build", "--all", "--no-cache", "--jobs", "1").exit_code == 0
    assert calls
    assert json.loads((synthetic / "build" / MANIFEST).read_text(encoding="utf-8"))["stylesheets"]
    calls.clear()
    manifest = json.loads((synthetic / "build" / MANIFEST).read_text(encoding="utf-8"))
    manifest["stylesheets"]["not asked for"] = [[[[0, 0, 0, 1, 0, 0], "p", "color:red"]], []]
    (synthetic / "build" / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    _edit(synthetic)
    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    assert calls == []
    kept = json.loads((synthetic / "build" / MANIFEST).read_text(encoding="utf-8"))["stylesheets"]
    assert "not asked for" not in kept and kept  # what this build used, and only that, is kept again
    cold = synthetic / "cold"
    assert (
        cli("--project", synthetic, "build", "--all", "--no-cache", "--jobs", "1", "--out", cold).exit_code
        == 0
    )
    assert _files(synthetic / "build") == _files(cold)


_P = [0, 0, 0, 1, 0, 0]


@pytest.mark.fresh_inline
@pytest.mark.parametrize(
    "kept",
    [
        "nonsense",
        [[[[1, 2], "p", "color:red"]], []],
        [[], [{"media": 1}]],
        [[[_P, "", "color:red"]], []],  # premailer asserts a selector
        [[[_P, "[[[", "color:red"]], []],  # cssselect cannot read it: parsed again, inlined again
        [[[_P, "p", "color:red\x00"]], []],
        [[], [["a:hover", "x}</style><script>alert(1)</script><style>a{"]]],  # would close the <style>
    ],
)
def test_a_kept_stylesheet_of_another_shape_is_parsed_again(synthetic, cli, monkeypatch, kept):
    out = synthetic / "build"
    calls = _counting_stylesheet_parses(monkeypatch)
    assert cli("--project", synthetic, "build", "--all", "--no-cache", "--jobs", "1").exit_code == 0
    cold = _files(out)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["stylesheets"] = {name: kept for name in manifest["stylesheets"]}
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    calls.clear()
    post = sorted((synthetic / "posts").glob("*.md"))[-1]
    first = post.read_bytes()
    _edit(synthetic)
    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    assert calls
    post.write_bytes(first)  # back to the first title: the bytes of the first build
    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    assert _files(out) == cold


def test_a_manifest_nested_past_pythons_limit_is_a_cold_build(synthetic, cli):
    out = synthetic / "build"
    cold = _files(out)
    (out / MANIFEST).write_text('{"posts": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    result = cli("--project", synthetic, "build", "--all")
    assert result.exit_code == 0, result.output
    assert _files(out) == cold


def test_a_build_with_errors_writes_nothing_and_leaves_no_staging(synthetic, cli):
    """Workers write issue folders aside as they go; an error anywhere means none of them is swapped in."""
    out = synthetic / "build"
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    posts = sorted((synthetic / "posts").glob("*.md"))
    _edit(synthetic)  # would rewrite one issue
    posts[-1].write_text(posts[-1].read_text(encoding="utf-8").replace("date: ", "date: not-a-", 1), "utf-8")
    result = cli("--project", synthetic, "build", "--all")
    assert result.exit_code == 1
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".") and "tmp" in p.name] == []


def _age(root: Path) -> None:
    """Posts last modified an hour ago: settled, so the manifest records their stat."""
    for post in (root / "posts").glob("*.md"):
        os.utime(post, ns=(post.stat().st_atime_ns, post.stat().st_mtime_ns - 3600 * 10**9))


def _reads(monkeypatch) -> list[str]:
    from newsletter.content import reader as sources

    read: list[str] = []
    real = sources._read_with_stat
    monkeypatch.setattr(sources, "_read_with_stat", lambda path, where, problems: read.append(where) or real(path, where, problems))  # fmt: skip
    return read


def test_a_rebuild_reads_only_the_post_files_whose_stat_changed(synthetic, cli, monkeypatch):
    _age(synthetic)
    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    read = _reads(monkeypatch)
    assert " 0 written" in cli("--project", synthetic, "build", "--all", "--jobs", "1").stdout
    assert read == []  # one stat per post, no open, read or hash
    post = sorted((synthetic / "posts").glob("*.md"))[-1]
    before = post.stat()
    text = post.read_text(encoding="utf-8")
    title = text.split('title: "', 1)[1].split('"', 1)[0]
    post.write_text(text.replace(title, "X" + title[1:], 1), encoding="utf-8")  # same size
    os.utime(post, ns=(before.st_atime_ns, before.st_mtime_ns))  # and same mtime: the ctime tells
    assert post.stat().st_size == before.st_size
    result = cli("--project", synthetic, "build", "--all", "--jobs", "1")
    assert result.exit_code == 0 and " 0 written" not in result.stdout
    # The edited post, then the other posts of its issue (parsed to render the issue again): no others.
    assert read[0] == f"posts/{post.name}" and len(set(read)) == len(read) <= 2  # its issue has two
    texts = [p.read_text(encoding="utf-8") for p in (synthetic / "build").glob("*/email.txt")]
    assert any("X" + title[1:] in t for t in texts)


@pytest.mark.realclock  # compares file mtimes with the clock: a faked clock puts every file in the past
def test_a_post_saved_just_now_is_read_again_next_time(synthetic, cli, monkeypatch):
    """Its stat is not recorded: two saves within a clock tick could leave size and mtime unchanged."""
    _age(synthetic)
    post = sorted((synthetic / "posts").glob("*.md"))[-1]
    post.write_text(post.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    read = _reads(monkeypatch)
    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    assert read == [f"posts/{post.name}"]


@pytest.mark.slow  # a cold build of the archive as the reference
def test_deleting_a_linked_post_warns_about_the_links_to_it_as_a_cold_build_does(synthetic, cli):
    """A cached issue's link warnings hold only while the posts it links to exist (review finding)."""
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    texts = {p: p.read_text(encoding="utf-8") for p in (synthetic / "posts").glob("*.md")}
    linked = {slug for t in texts.values() for slug in re.findall(r"/blog/(post-\d+)\)", t)}
    victim = next(p for p in sorted(texts) if p.stem.split("-", 3)[3] in linked)
    victim.unlink()
    warm = cli("--project", synthetic, "build", "--all")
    cold = cli("--project", synthetic, "build", "--all", "--no-cache", "--out", synthetic / "cold")
    count = re.compile(r", (\d+) warnings")
    assert count.search(warm.stdout).group(1) == count.search(cold.stdout).group(1)
    again = cli("--project", synthetic, "build", "--all")  # and the next no-op build still says so
    assert count.search(again.stdout).group(1) == count.search(cold.stdout).group(1)


def test_an_edit_of_an_articles_text_leaves_the_archive_page_and_feed_alone(synthetic, cli):
    """They show subjects, dates, titles and links only: a body edit renders its issue, not them."""
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    out = synthetic / "build"
    before = {name: (out / name).stat().st_mtime_ns for name in ("index.html", "feed.xml")}
    post = sorted((synthetic / "posts").glob("*.md"))[-1]
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    result = cli("--project", synthetic, "build", "--all")
    assert result.exit_code == 0 and " 0 written" not in result.stdout
    assert {name: (out / name).stat().st_mtime_ns for name in before} == before
    assert any("One more sentence." in p.read_text(encoding="utf-8") for p in out.glob("*/email.txt"))


@pytest.mark.slow  # renders every issue, and a cold build of the archive as the reference
def test_a_template_change_renders_every_issue_but_draws_no_card(synthetic, cli, monkeypatch):
    """Cards do not depend on the email's stylesheet: their bytes are taken from the untouched folders."""
    from newsletter.social import draw

    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    drawn: list = []
    real = draw.png
    monkeypatch.setattr(draw, "png", lambda *a: drawn.append(a) or real(*a))
    css = synthetic / "templates" / "email.css"
    text = css.read_text(encoding="utf-8")
    # The title's size: a literal of the stylesheet (its colours come from the brand's palette).
    assert "font-size: 28px; line-height: 34px" in text
    css.write_text(text.replace("font-size: 28px; line-height: 34px", "font-size: 29px; line-height: 34px"),
                   encoding="utf-8")  # fmt: skip
    assert cli("--project", synthetic, "build", "--all", "--jobs", "1").exit_code == 0
    assert drawn == []
    monkeypatch.setattr(draw, "png", real)  # the reference build's cards may come from the card memo
    cold = synthetic / "cold"
    assert cli("--project", synthetic, "build", "--all", "--no-cache", "--out", cold).exit_code == 0
    assert _files(synthetic / "build") == _files(cold)


@pytest.mark.slow  # six builds of the archive, one with a pool
def test_a_pictures_name_comes_from_its_own_reference_whatever_the_run(synthetic, cli):
    """Issue 22 review 3: the same bytes as images/photo.jpg in week 1 and images/zzz.jpg in week 2.
    The run's memo knew the bytes by their digest and kept the first reference's name, so week 2 got
    photo-HASH.jpg from a one-process build and zzz-HASH.jpg from a pool, --week or --no-cache."""
    from PIL import Image

    (synthetic / "posts" / "images").mkdir()
    Image.new("RGB", (64, 48), (180, 90, 160)).save(synthetic / "posts" / "images" / "photo.jpg", "JPEG")
    (synthetic / "posts" / "images" / "zzz.jpg").write_bytes(
        (synthetic / "posts" / "images" / "photo.jpg").read_bytes()
    )
    posts = sorted((synthetic / "posts").glob("*.md"))
    for post, ref in ((posts[0], "images/photo.jpg"), (posts[2], "images/zzz.jpg")):  # weeks 1, 2
        post.write_text(post.read_text(encoding="utf-8") + f"\n![Hands]({ref})\n", encoding="utf-8")
    every = ("--project", synthetic, "build", "--all")
    assert cli(*every, "--jobs", "1", "--out", synthetic / "inc").exit_code == 0
    _edit(synthetic)  # week 2: the incremental build renders it again, alone
    runs = {
        "cold1": (*every, "--jobs", "1"),
        "coldN": (*every, "--jobs", "2"),
        "nocache": (*every, "--no-cache", "--jobs", "1"),
        "week": ("--project", synthetic, "build", "--week", "2022-W02", "--jobs", "1"),
        "inc": (*every, "--jobs", "1"),
    }
    for name, args in runs.items():
        result = cli(*args, "--out", synthetic / name)
        assert result.exit_code == 0, result.output
    week2 = {
        name: {n: d for n, d in _files(synthetic / name).items() if n.startswith("2022-W02/")}
        for name in runs
    }
    names = [n for n in week2["cold1"] if "/images/" in n]
    assert len(names) == 1 and re.fullmatch(r"2022-W02/images/zzz-[0-9a-f]{8}\.jpg", names[0]), names
    for name in runs:
        assert week2[name] == week2["cold1"], name
    (week1,) = [n for n in _files(synthetic / "cold1") if n.startswith("2022-W01/images/")]
    assert (
        week1.split("/")[-1].startswith("photo-") and week1[-12:] == names[0][-12:]
    )  # same bytes, same hash


def test_an_edit_draws_the_archive_page_in_a_child_and_gets_the_cold_bytes(synthetic, cli, monkeypatch):
    """With a second worker, one re-rendered issue leaves the archive page and feed to a forked child
    (drawn while the issue renders); what it sends back is exactly what a cold one-process build writes."""
    from newsletter.run import plan

    forked: list[str] = []
    real = plan.Forked
    monkeypatch.setattr(plan, "Forked", lambda function, *args: forked.append(function.__name__) or real(function, *args))  # fmt: skip
    project = ("--project", synthetic, "build", "--all")
    assert cli(*project, "--jobs", "2").exit_code == 0
    _edit(synthetic)
    forked.clear()
    assert cli(*project, "--jobs", "2").exit_code == 0
    assert "_index_apart" in forked
    assert cli(*project, "--no-cache", "--jobs", "1", "--out", synthetic / "cold").exit_code == 0
    for name in ("index.html", "feed.xml"):
        assert (synthetic / "build" / name).read_bytes() == (synthetic / "cold" / name).read_bytes()
