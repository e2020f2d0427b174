"""One clock per command (newsletter/clock.py): set by NEWSLETTER_NOW, never read deep in the code."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "newsletter"
SYSTEM_CLOCK = {("datetime", "now"), ("datetime", "today"), ("datetime", "utcnow"), ("date", "today")}


def test_only_the_clock_module_asks_the_system_for_the_date():
    callers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute | ast.Name):
                owner = node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id
                if (owner, node.attr) in SYSTEM_CLOCK:
                    callers.add(path.relative_to(PACKAGE).as_posix())
    assert callers == {"clock.py"}


def test_new_dates_a_post_by_the_clock(project, cli, monkeypatch):
    monkeypatch.setenv("NEWSLETTER_NOW", "2031-02-28T23:30:00")
    result = cli("--project", project.root, "new", "Leap day")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Created posts/2031-02-28-leap-day.md\n"
    assert "date: 2031-02-28\n" in (project.root / "posts" / "2031-02-28-leap-day.md").read_text()


def test_the_clock_is_read_in_the_sites_time_zone(project, cli, monkeypatch):
    # 07:30 UTC on 1 March is still 28 February in Los Angeles (the sample site's zone)
    monkeypatch.setenv("NEWSLETTER_NOW", "2031-03-01T07:30:00+00:00")
    assert cli("--project", project.root, "new", "Late").stdout == "Created posts/2031-02-28-late.md\n"


def test_new_issue_without_posts_is_for_the_clocks_week(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("NEWSLETTER_NOW", "2030-01-01")
    assert cli("init", tmp_path / "p").exit_code == 0
    (tmp_path / "p" / "posts" / "2030-01-01-welcome.md").unlink()
    result = cli("--project", tmp_path / "p", "new", "--issue")
    assert result.stdout == "Created issues/2030-W01.md\n"


def test_init_dates_the_welcome_draft_by_the_clock(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("NEWSLETTER_NOW", "2029-07-04T10:00")
    assert cli("init", tmp_path / "p").exit_code == 0
    assert (tmp_path / "p" / "posts" / "2029-07-04-welcome.md").is_file()


def test_a_malformed_clock_is_a_clear_error(project, cli, monkeypatch):
    monkeypatch.setenv("NEWSLETTER_NOW", "next tuesday")
    result = cli("--project", project.root, "new", "Hello")
    assert result.exit_code == 1
    assert result.stderr == (
        "NEWSLETTER_NOW: expected an ISO 8601 date or date-time such as 2026-11-22 or "
        "2026-11-22T08:30, got 'next tuesday'; unset it to use the system clock\n"
    )
