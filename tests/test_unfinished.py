"""Unfinished work is an error: `newsletter new`'s placeholder body in a published post, and the
placeholder intro of `new --issue`, stop `check`, `build` and `send` for the week that holds them;
a draft keeps it with a warning, and `check --week` leaves other weeks' posts alone."""

from __future__ import annotations

import pytest

from newsletter.check import rules
from newsletter.content.issuefile import INTRO_PLACEHOLDER
from newsletter.project import new

POST = "posts/2026-10-14-hello.md"
BODY_ERROR = f"{POST}:9: placeholder text from `newsletter new`: 'Write the article here.'; write the article"
INTRO_ERROR = (
    "issues/2026-W42.md:10: placeholder text from `newsletter new --issue`: write the intro or delete it"
)
SUMMARY_WARNING = (
    f"{POST}:4: warning: 'summary' is empty: write one or two sentences (inboxes show it after the "
    "subject), or remove the line to use the first paragraph"
)


def _new_post(project, cli, title: str = "Hello", date: str = "2026-10-14", publish: bool = True):
    made = cli("--project", project.root, "new", title, "--date", date)
    assert made.exit_code == 0, made.output
    path = next(project.posts.glob(f"{date}-*.md"))
    if publish:
        path.write_text(path.read_text(encoding="utf-8").replace("draft: true", "draft: false"), "utf-8")
    return path


def _write_body(path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(new.BODY_PLACEHOLDER, text), "utf-8")


def test_the_rule_looks_for_exactly_what_new_writes(project, cli):
    assert rules.PLACEHOLDERS is new.PLACEHOLDERS == (new.BODY_PLACEHOLDER, INTRO_PLACEHOLDER)
    path = _new_post(project, cli, publish=False)
    assert path.read_text(encoding="utf-8").endswith(f"---\n\n{new.BODY_PLACEHOLDER}\n")
    cli("--project", project.root, "new", "--issue", "2026-W42")
    assert (
        (project.root / "issues" / "2026-W42.md")
        .read_text(encoding="utf-8")
        .endswith(f"\n{INTRO_PLACEHOLDER}\n")
    )


def test_check_gives_an_error_for_a_published_post_holding_the_placeholder(project, cli):
    _new_post(project, cli)
    result = cli("--project", project.root, "check")
    assert result.exit_code == 1
    assert (
        f"{POST}:9: error[placeholder]: placeholder text from `newsletter new`: 'Write the article here.'; "
        "write the article\n    fix: write the article, or the intro\n"
    ) in result.stdout
    assert result.stdout.endswith("1 error, 1 warning\n")


def test_build_stops_with_the_line_and_writes_nothing(project, cli):
    _new_post(project, cli)
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr == f"{SUMMARY_WARNING}\n{BODY_ERROR}\nAborted: 1 error found.\n"
    assert not project.build.exists()


def test_send_refuses_the_week(project, cli):
    _new_post(project, cli)
    result = cli("--project", project.root, "send", "--to", "me@example.com", "--dry-run")
    assert result.exit_code == 1
    assert result.stderr == f"{SUMMARY_WARNING}\n{BODY_ERROR}\nAborted: 1 error found.\n"
    assert result.stdout == ""


def test_a_draft_may_keep_it_with_a_warning(project, cli):
    _new_post(project, cli, publish=False)
    result = cli("--project", project.root, "build", "--drafts")
    assert result.exit_code == 0, result.stderr
    assert (
        f"{POST}:9: warning: placeholder text from `newsletter new`: 'Write the article here.'; write the article"
        in result.stderr.splitlines()
    )
    found = cli("--project", project.root, "check", "--week", "2026-W42").stdout
    assert f"{POST}:9: warning[placeholder]:" in found


def test_another_weeks_post_is_not_in_this_weeks_check(project, cli):
    _write_body(_new_post(project, cli), "The article, written.")
    _new_post(project, cli, "Later", "2026-10-21")  # week 43, placeholder still there
    result = cli("--project", project.root, "check", "--week", "2026-W42")
    assert result.exit_code == 0
    assert "2026-10-21-later.md" not in result.stdout  # `check --week` reports only its week (issue 22)
    later = cli("--project", project.root, "check", "--week", "2026-W43")
    assert later.exit_code == 1
    assert "posts/2026-10-21-later.md:9: error[placeholder]:" in later.stdout


@pytest.mark.parametrize("command", [["build"], ["send", "--to", "me@example.com", "--dry-run"]])
def test_the_issue_files_placeholder_intro_is_an_error(project, cli, command):
    _write_body(_new_post(project, cli), "The article, written.")
    assert cli("--project", project.root, "new", "--issue", "2026-W42").exit_code == 0
    result = cli("--project", project.root, *command)
    assert result.exit_code == 1
    assert result.stderr == f"{INTRO_ERROR}\n{SUMMARY_WARNING}\nAborted: 1 error found.\n"
    checked = cli("--project", project.root, "check")
    assert (
        "issues/2026-W42.md:10: error[placeholder]: placeholder text from `newsletter new --issue`: "
        "write the intro or delete it\n" in checked.stdout
    )
    intro = project.root / "issues" / "2026-W42.md"
    intro.write_text(intro.read_text(encoding="utf-8").replace(INTRO_PLACEHOLDER, "Hello, readers."), "utf-8")
    assert cli("--project", project.root, *command).exit_code == 0
