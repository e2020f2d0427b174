"""Nothing in a project reaches outside it, every project file is read like a post, and no input of
issue 19's list gives a traceback (issue 19, items 4, 5 and 7). Everything goes through the command
line, on a copy of the sample project, with the exact message."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import TEMPLATES

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): a test that
# edits one copies it first (_own); copies would be compiled again (see tests/conftest.py).


def _own(sample, name: str) -> Path:
    """The project's own copy of the packaged template `name`."""
    path = sample.root / "templates" / name
    shutil.copy(TEMPLATES / name, path)
    return path


WEEK = "2026-W42"
POST = "posts/2026-10-17-why-facial-muscles-need-movement.md"
SECRET = "SECRET-OUTSIDE-THE-PROJECT"


def _fast_first(count: int, rows: list) -> list:
    """The first `count` rows run in the everyday loop; the others prove the same for other inputs and
    run in the full suite only (marked slow)."""
    made = [r if isinstance(r, tuple) else (r,) for r in rows]
    return [*made[:count], *(pytest.param(*r, marks=pytest.mark.slow) for r in made[count:])]


@pytest.fixture
def outside(tmp_path_factory) -> Path:
    """A folder that is not the project's (the sample project is tmp_path itself)."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    return folder


def _build(sample, cli, *args):
    return cli("--project", sample.root, "build", *args)


def _outputs_text(sample) -> str:
    return "".join(data.decode("utf-8", "replace") for data in sample.outputs().values())


# Item 4: no link leads out ----------------------------------------------------------------------------


def test_a_template_linked_out_of_the_project_is_not_followed(sample, cli, outside):
    _own(sample, "email.txt").unlink()
    (sample.root / "templates" / "email.txt").symlink_to(outside / "secret.txt")
    result = _build(sample, cli)
    assert result.exit_code == 0, result.output
    assert (
        "templates/email.txt: warning: symbolic link to outside the project: not followed; "
        "the packaged template is used"
    ) in result.stderr.splitlines()
    assert SECRET not in _outputs_text(sample)
    assert "Unsubscribe: *|UNSUB|*" in (sample.build / WEEK / "email.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_template_linked_inside_the_project_is_followed(sample, cli):
    shared = sample.root / "brand"
    shared.mkdir()
    own = _own(sample, "email.txt")
    (shared / "email.txt").write_text(own.read_text(encoding="utf-8") + "Sent from the brand folder.\n")
    own.unlink()
    own.symlink_to(shared / "email.txt")
    result = _build(sample, cli)
    assert result.exit_code == 0, result.output
    assert "symbolic link" not in result.stderr
    assert "Sent from the brand folder." in (sample.build / WEEK / "email.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("folder", "fix"),
    [
        ("posts", "make posts/ a folder of the project, or set posts_dir"),
        pytest.param(
            "templates",
            "make templates/ a folder of the project, or set templates_dir",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            "issues",
            "make issues/ a folder of the project (copy the files in) or remove the link",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_a_source_folder_linked_out_of_the_project_is_an_error(sample, cli, outside, folder, fix):
    source = sample.root / folder
    if source.is_dir():
        source.rename(outside / folder)
    else:
        (outside / folder).mkdir()
    source.symlink_to(outside / folder)
    result = _build(sample, cli)
    assert result.exit_code == 1
    message = f"{folder}: symbolic link to outside the project ({outside / folder}): not followed; {fix}"
    assert message in result.stderr.splitlines()
    assert not sample.build.exists()


def test_setup_cfg_linked_out_of_the_project_is_an_error(sample, cli, outside):
    (sample.root / "setup.cfg").rename(outside / "setup.cfg")
    (sample.root / "setup.cfg").symlink_to(outside / "setup.cfg")
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert result.stderr == (
        "setup.cfg: symbolic link to outside the project: not followed; the project's settings must be a "
        "file in the project folder: copy it in place of the link\nAborted: 1 error found.\n"
    )


@pytest.mark.slow
def test_an_issue_file_linked_out_of_the_project_is_skipped_with_a_warning(sample, cli, outside):
    (outside / "issue.md").write_text(f'---\nsubject: "{SECRET}"\n---\n', encoding="utf-8")
    (sample.root / "issues").mkdir()
    (sample.root / "issues" / f"{WEEK}.md").symlink_to(outside / "issue.md")
    result = _build(sample, cli)
    assert result.exit_code == 0, result.output
    assert f"issues/{WEEK}.md: warning: symbolic link to outside the project: not followed" in (
        result.stderr.splitlines()
    )
    assert SECRET not in _outputs_text(sample)


@pytest.mark.parametrize("given", [False, True])
def test_an_output_folder_that_is_a_link_is_refused_before_anything_is_touched(sample, cli, outside, given):
    """`build --all` removes week folders without posts: through a link they would be someone else's."""
    (outside / "2026-W01").mkdir()
    (outside / "2026-W01" / "mine.txt").write_text("keep", encoding="utf-8")
    link = sample.root / ("elsewhere" if given else "build")
    link.symlink_to(outside)
    result = _build(sample, cli, "--all", *(["--out", link] if given else []))
    assert result.exit_code == 1
    label = "--out elsewhere" if given else "build"
    assert result.stderr == (
        f"{label}: is a symbolic link (to {outside}); the build replaces and removes folders inside its "
        "output folder, so it does not write through a link: give the real folder instead\n"
    )
    assert sorted(p.name for p in outside.iterdir()) == ["2026-W01", "secret.txt"]
    assert (outside / "2026-W01" / "mine.txt").read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize("out", ["issues", "issues/out"])
def test_out_inside_the_issues_folder_is_refused(sample, cli, out):
    (sample.root / "issues").mkdir()
    result = _build(sample, cli, "--out", sample.root / out)
    assert result.exit_code == 1
    assert result.stderr == (
        f"--out {out}: is or contains the issues folder (issues); choose an output folder outside the "
        "sources, such as build/\n"
    )
    assert list((sample.root / "issues").iterdir()) == []


def test_an_export_into_a_source_folder_is_refused(sample, cli):
    before = (sample.root / POST).read_bytes()
    result = cli("--project", sample.root, "social", "--format", "json", "--out", sample.root / POST)
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"--out {POST}: is inside the posts folder (posts); write exports outside the sources\n"
    )
    assert (sample.root / POST).read_bytes() == before


@pytest.mark.parametrize("command", [["build", "--out", ""], ["social", "--format", "json", "--out", " "]])
def test_an_empty_out_is_a_usage_error(sample, cli, command):
    result = cli("--project", sample.root, *command)
    assert result.exit_code == 2
    assert "Invalid value for '--out': must name a folder or file, got an empty value" in result.stderr


def test_folder_settings_outside_the_project_are_errors(sample, cli):
    sample.settings("posts_dir = /etc\ntemplates_dir = ../templates\nbuild_dir = /tmp/newsletter-out\n")
    result = _build(sample, cli)
    assert result.exit_code == 1
    why = "is outside the project folder; the project's folders live inside it (only --out and --project may point elsewhere)"
    assert result.stderr.splitlines() == [
        f"setup.cfg:15: [newsletter] posts_dir: '/etc' {why}",
        f"setup.cfg:16: [newsletter] templates_dir: '../templates' {why}",
        f"setup.cfg:17: [newsletter] build_dir: '/tmp/newsletter-out' {why}",
        "Aborted: 3 errors found.",
    ]


def test_a_folder_setting_that_leads_out_through_a_link_is_an_error(sample, cli, outside):
    (outside / "articles").mkdir()
    (sample.root / "content").symlink_to(outside)
    sample.settings("posts_dir = content/articles\n")
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"setup.cfg:15: [newsletter] posts_dir: 'content/articles' resolves to {outside / 'articles'}, "
        "outside the project, through a symbolic link; choose a folder inside the project",
        "Aborted: 1 error found.",
    ]


def test_credentials_in_site_url_are_an_error_that_does_not_repeat_them(sample, cli):
    sample.settings(
        text=(sample.root / "setup.cfg").read_text().replace("https://", "https://ed:hunter2@", 1)
    )
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert result.stderr == (
        "setup.cfg:6: [newsletter] site_url: must not hold a user name or password (the part before '@'): "
        "every link in the email and the web copy would carry it; remove it\nAborted: 1 error found.\n"
    )


# Item 5: every file read like a post -------------------------------------------------------------------


def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.mkdir()


@pytest.mark.parametrize(
    ("name", "make", "fix"),
    _fast_first(1, [
        (f"issues/{WEEK}.md", _fifo, "use a .md file"),
        (f"issues/{WEEK}.md", _folder, "use a .md file"),
        ("posts/2026-10-20-folder.md", _folder, "use a .md file"),
        ("templates/email.txt", _fifo, "use a text file"),
        ("templates/email.css", _folder, "use a text file"),
        ("setup.cfg", _fifo, "use a text file"),
        ("setup.cfg", _folder, "use a text file"),
    ]),
)  # fmt: skip
def test_special_files_and_folders_named_like_files_are_not_regular_files(sample, cli, name, make, fix):
    """A FIFO would hang the read, a folder gave an IsADirectoryError traceback."""
    (sample.root / "issues").mkdir()
    make(sample.root / name)
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert f"{name}: not a regular file (a pipe, device or folder): {fix}" in result.stderr.splitlines()
    assert not sample.build.exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "cap", "what"),
    _fast_first(
        1,
        [
            (f"issues/{WEEK}.md", 1024 * 1024, "issue files are"),
            ("templates/email.html", 256 * 1024, "templates are"),
            ("setup.cfg", 128 * 1024, "setup.cfg is"),
        ],
    ),
)
def test_each_kind_of_file_has_its_size_cap(sample, cli, name, cap, what):
    """Checked on the open file before reading: a link to /dev/zero or a huge file is never read whole."""
    path = sample.root / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes((path.read_bytes() if path.exists() else b"---\n---\n") + b"#" * cap)
    size = path.stat().st_size
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert (
        f"{name}:1: the file is {size:,} bytes; {what} limited to {cap:,} bytes" in result.stderr.splitlines()
    )


def test_posts_and_front_matter_share_one_cap():
    from newsletter.content import frontmatter, reader

    assert frontmatter.MAX_POST_BYTES is reader.MAX_POST_BYTES == 1024 * 1024


@pytest.mark.slow
def test_the_preview_reads_templates_the_same_way(sample, outside):
    from newsletter.preview.state import Preview

    _own(sample, "email.txt").unlink()
    (sample.root / "templates" / "email.txt").symlink_to(outside / "secret.txt")
    snap = Preview(sample.root, lambda text, error: None).rebuild()
    assert snap.error == ""
    assert SECRET not in snap.files[f"{WEEK}/email.txt"].decode("utf-8")
    assert any(
        str(w) == "templates/email.txt: warning: symbolic link to outside the project: not followed; "
        "the packaged template is used"
        for w in snap.warnings
    )


@pytest.mark.slow
def test_a_changed_template_behind_an_inside_link_is_rebuilt(sample, cli):
    """The build's fingerprint reads templates as the loader does, links inside the project included."""
    shared = sample.root / "brand"
    shared.mkdir()
    target = shared / "email.txt"
    own = _own(sample, "email.txt")
    target.write_text(own.read_text(encoding="utf-8"), encoding="utf-8")
    own.unlink()
    own.symlink_to(target)
    assert _build(sample, cli).exit_code == 0
    target.write_text(target.read_text(encoding="utf-8") + "A second line of thanks.\n", encoding="utf-8")
    assert _build(sample, cli).exit_code == 0
    assert "A second line of thanks." in (sample.build / WEEK / "email.txt").read_text(encoding="utf-8")


# Item 7: no traceback; setup.cfg messages name their line -----------------------------------------------


def test_a_long_merge_tag_as_unsubscribe_url_is_a_settings_error(sample, cli):
    sample.settings(
        text=(sample.root / "setup.cfg").read_text().replace("*|UNSUB|*", "*|" + "U" * 120 + "|*")
    )
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert result.stderr == (
        "setup.cfg:10: [newsletter] unsubscribe_url: the merge tag is 124 characters; at most 75 fit the "
        "List-Unsubscribe header line\nAborted: 1 error found.\n"
    )


def test_a_long_site_host_is_a_settings_error(sample, cli):
    host = "a" * 60 + "." + "b" * 60 + ".com"
    sample.settings(text=(sample.root / "setup.cfg").read_text().replace("viaskincare.com", host, 1))
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert result.stderr == (
        "setup.cfg:6: [newsletter] site_url: the host is 125 characters as mail writes it; at most 38 fit "
        "the Message-ID header line: use a shorter host name\nAborted: 1 error found.\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize("closed", [True, pytest.param(False, marks=pytest.mark.slow)])
def test_tags_nested_a_thousand_levels_are_an_error(sample, cli, closed):
    """PyYAML's composers recurse once per level: RecursionError, or a crash of libyaml's far deeper."""
    tags = "[" * 1000 + ("]" * 1000 if closed else "")
    sample.post("2026-10-14-deep.md", f"---\ntitle: Deep\ndate: 2026-10-14\ntags: {tags}\n---\n\nBody.\n")
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        "posts/2026-10-14-deep.md:4: front matter nests deeper than 20 levels; flatten the value",
        "Aborted: 1 error found.",
    ]


@pytest.mark.parametrize("command", ["build", pytest.param("check", marks=pytest.mark.slow)])
def test_a_template_that_is_not_utf8_is_one_clear_error(sample, cli, command):
    """The CSS rule read the template itself and raised UnicodeDecodeError."""
    path = _own(sample, "email.html")
    path.write_bytes(path.read_bytes().replace(b"</head>", b"<!-- caf\xe9 --></head>"))
    line = path.read_bytes()[: path.read_bytes().index(b"\xe9")].count(b"\n") + 1
    offset = path.read_bytes().index(b"\xe9")
    result = cli("--project", sample.root, command)
    assert result.exit_code == 1
    message = f"not UTF-8: byte 0xe9 at offset {offset}; save the file as UTF-8"
    if command == "build":
        assert result.stderr.splitlines() == [
            f"templates/email.html:{line}: {message}",
            "Aborted: 1 error found.",
        ]
    else:
        assert f"templates/email.html:{line}: error[template]: {message}" in result.stdout.splitlines()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_export_into_an_unwritable_folder_is_a_clear_error(sample, cli):
    result = cli("--project", sample.root, "social", "--format", "csv", "--out", "/proc")
    assert result.exit_code == 1
    assert result.stderr.startswith("/proc/captions-buffer-")
    assert result.stderr.endswith(
        ": cannot write: No such file or directory; choose another --out (a folder you can write to)\n"
    )


@pytest.mark.slow
def test_setup_cfg_with_a_utf8_bom_is_accepted(sample, cli):
    cfg = sample.root / "setup.cfg"
    cfg.write_bytes(b"\xef\xbb\xbf" + cfg.read_bytes())
    result = _build(sample, cli)
    assert result.exit_code == 0, result.output


def test_setup_cfg_that_is_not_utf8_names_the_byte(sample, cli, monkeypatch):
    """Found from the current folder too: it used to say there was no setup.cfg at all."""
    cfg = sample.root / "setup.cfg"
    cfg.write_bytes(cfg.read_bytes().replace(b"Larkin Street", b"Lark\xe9n Street"))  # the address, line 9
    offset = cfg.read_bytes().index(b"\xe9")
    monkeypatch.chdir(sample.root)
    result = cli("build")
    assert result.exit_code == 1
    assert result.stderr == (
        f"setup.cfg:9: not UTF-8: byte 0xe9 at offset {offset}; save the file as UTF-8\nAborted: 1 error found.\n"
    )


def test_a_duplicate_key_in_setup_cfg_names_both_lines(sample, cli):
    sample.settings("name = Another Name\n")
    result = _build(sample, cli)
    assert result.exit_code == 1
    assert result.stderr == (
        "setup.cfg:15: [newsletter] duplicate key 'name' (first on line 5); keep one\nAborted: 1 error found.\n"
    )
