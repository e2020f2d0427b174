"""The command-line contract: help everywhere, list, new, project discovery, README commands."""

from __future__ import annotations

import re

import pytest
from conftest import REPO

COMMANDS = ["build", "social", "preview", "check", "send", "new", "list", "init", "import"]


@pytest.mark.parametrize("command", [[], *[[c] for c in COMMANDS]])
def test_every_command_has_help(cli, command):
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: newsletter")
    assert "--help" in result.stdout


def test_top_level_help_lists_every_command(cli):
    listed = cli("--help").stdout
    for command in COMMANDS:
        assert re.search(rf"^  {command}\s", listed, re.M)


def test_list_shows_posts_with_week_and_status(sample, cli):
    result = cli("--project", sample.root, "list")
    assert result.stdout.splitlines() == [
        "date        week      status     slug                                    title",
        "2026-10-14  2026-W42  published  facial-massage-and-tissue-regeneration  Facial Massage and Tissue Regeneration",
        "2026-10-17  2026-W42  published  why-facial-muscles-need-movement        Why Facial Muscles Need Movement",
    ]


def test_new_creates_a_draft_and_refuses_to_overwrite(project, cli):
    result = cli("--project", project.root, "new", "Café: Spring Routine!", "--date", "2026-11-02")
    assert result.stdout == "Created posts/2026-11-02-cafe-spring-routine.md\n"
    text = (project.posts / "2026-11-02-cafe-spring-routine.md").read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Café: Spring Routine!"\ndate: 2026-11-02\n')
    assert "draft: true" in text
    assert (
        "2026-11-02  2026-W45  draft      cafe-spring-routine"
        in cli("--project", project.root, "list").stdout
    )
    again = cli("--project", project.root, "new", "Café: Spring Routine!", "--date", "2026-11-02")
    assert again.exit_code == 1
    assert (
        again.stderr
        == "posts/2026-11-02-cafe-spring-routine.md: already exists; choose another title or date\n"
    )


def test_new_says_how_to_name_a_post_whose_title_has_no_latin_letters(project, cli):
    result = cli("--project", project.root, "new", "椿油の使い方", "--date", "2026-11-24")
    assert result.exit_code == 1 and not list(project.posts.glob("2026-11-24-*"))
    assert result.stderr == (
        "TITLE: '椿油の使い方' has no ASCII letters or digits, which a post's file name and slug are made of: "
        "add a word or two in Latin letters to the title (it can be edited after), or write the file "
        'yourself with a `slug:` in its front matter (see README "Posts")\n'
    )


def test_project_is_found_from_a_subfolder(sample, cli, monkeypatch):
    monkeypatch.chdir(sample.posts)
    assert cli("list").exit_code == 0


def test_no_project_is_a_clear_error(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("list")
    assert result.exit_code == 1
    assert "no setup.cfg with a [newsletter] section here or in any parent folder" in result.stderr


def test_settings_errors_are_reported_per_key(project, cli):
    project.settings(
        text="[newsletter]\nname = X\nsite_url = example.com\nfrom = nobody\naddress = A\n"
        "unsubscribe_url = *|UNSUB|*\ntimezone = Mars/Olympus\nacent_color = red\nbuild_dir = posts/out\n"
    )
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "setup.cfg:3: [newsletter] site_url: expected an absolute http(s) URL like https://example.com, got 'example.com'",
        "setup.cfg:4: [newsletter] from: expected 'Name <address@example.com>', got 'nobody': "
        "it is not an address like name@example.com",
        "setup.cfg:7: [newsletter] timezone: unknown timezone 'Mars/Olympus'; use an IANA name such as Europe/London",
        "setup.cfg:8: [newsletter] unknown key 'acent_color': did you mean 'accent_color'?",
        "setup.cfg:9: [newsletter] build_dir: must be separate from posts_dir ('posts'); a clean would delete sources",
        "Aborted: 5 errors found.",
    ]


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_starts_with_the_two_fresh_machine_commands():
    build, tests = _readme_commands()
    assert "pip install" in build and "newsletter build" in build
    assert "pip install" in tests and "pytest" in tests


def test_ci_runs_exactly_the_readme_test_command():
    _, tests = _readme_commands()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_readme_documents_every_command():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"newsletter {command}" in text


def test_an_error_is_not_buried_under_an_archives_warnings(project, cli):
    """Every error is shown, with the first five warnings and a pointer to `check` for the rest."""
    for day in range(10, 18):
        project.post(
            f"2026-10-{day}-p{day}.md",
            f'---\ntitle: "Post {day}"\ndate: 2026-10-{day}\ntagz: [a]\n---\n\nBody.\n',
        )
    project.post("2026-10-20-bad.md", '---\ntitle: "Bad"\ndate: 2026-13-01\n---\n\nBody.\n')
    result = cli("--project", project.root, "build", "--all")  # --all: a post of any week is an error
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert sum(": warning: " in line for line in lines) == 5
    assert "… and 3 more warnings: run `newsletter check`" in lines
    assert any(line.startswith("posts/2026-10-20-bad.md:3: ") for line in lines)
    assert lines[-1] == "Aborted: 1 error found."
