"""Every case of shared/facts/bad-inputs.md that a post file can carry, as fixture files.

tests/fixtures/bad-inputs/NAME.md is copied to posts/2026-10-14-bad.md; NAME.expected holds the exit
code on its first line, then the exact stderr (exit 1) or the lines that must appear (exit 0, where the
build must also be SAFE: no script, handler, javascript:/vbscript:/data: URL or remote CSS). For exit 0,
a line `stdout: TEXT` must be a line of stdout, `output: FILE: TEXT` must occur in that built file, and
`(no warnings)` means stderr holds no warning.

Optional companions: NAME.cfg (`key = value` lines replacing those [newsletter] settings), NAME.args
(the command after `--project ROOT`, one argument per line; default `build`), NAME.env (`KEY=VALUE`),
NAME.template-FILE (its bytes become the project's templates/FILE, e.g. NAME.template-email.txt).
Arguments and values may use Python escapes (\\n, \\u2028) to carry characters a file line cannot.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SETTINGS

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): no test
# here edits a template it did not write, and copies would be compiled again (see tests/conftest.py).


FIXTURES = Path(__file__).parent / "fixtures" / "bad-inputs"
CASES = sorted(p.stem for p in FIXTURES.glob("*.md"))
# The everyday loop's cases: one of each kind of companion (a post alone, with settings, with command
# arguments, with a template; an unsafe post that builds); every case runs in the full suite.
FAST = {"invalid-yaml", "header-injection", "site-url-bad-port", "header-send-to-line-break",
        "template-sandbox-escape", "safe-script"}  # fmt: skip
UNSAFE = re.compile(r"<script|<iframe|<svg|<link|@import|\son\w+=|javascript:|vbscript:|data:", re.I)


def _companion(name: str, suffix: str) -> list[str]:
    path = FIXTURES / f"{name}{suffix}"
    if not path.is_file():
        return []
    return [_ESCAPE.sub(_unescape, line) for line in path.read_text(encoding="utf-8").splitlines()]


_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[nrtfv])")


def _unescape(match: re.Match) -> str:
    code = match.group(1)
    return (
        chr(int(code[1:], 16))
        if code[0] in "ux"
        else {"n": "\n", "r": "\r", "t": "\t", "f": "\f", "v": "\v"}[code]
    )


def _settings(overrides: list[str]) -> str:
    text = SETTINGS
    for line in overrides:
        key = line.split("=", 1)[0].strip()
        pattern = re.compile(rf"(?m)^{re.escape(key)} = .*\n")
        replacement = line.replace("\\", "\\\\") + "\n"
        text = pattern.sub(replacement, text) if pattern.search(text) else text + line + "\n"
    return text


@pytest.mark.parametrize("name", [n if n in FAST else pytest.param(n, marks=pytest.mark.slow) for n in CASES])
def test_bad_input(project, cli, name, monkeypatch):
    (project.posts / "2026-10-14-bad.md").write_bytes((FIXTURES / f"{name}.md").read_bytes())
    project.settings(text=_settings(_companion(name, ".cfg")))
    for line in _companion(name, ".env"):
        monkeypatch.setenv(*line.split("=", 1))
    for template in FIXTURES.glob(f"{name}.template-*"):
        target = project.root / "templates" / template.name.split(".template-", 1)[1]
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(template.read_bytes())
    args = _companion(name, ".args") or ["build"]
    code, *lines = (FIXTURES / f"{name}.expected").read_text(encoding="utf-8").splitlines()
    result = cli("--project", project.root, *args)
    assert "Traceback" not in result.output
    assert result.exit_code == int(code), result.output
    if result.exit_code == 1:
        assert result.stderr.splitlines() == lines
        assert not project.build.exists()
        return
    for line in lines:
        if line == "(no warnings)":
            assert "warning" not in result.stderr, result.stderr
        elif line.startswith("stdout: "):
            assert line.removeprefix("stdout: ") in result.stdout.splitlines(), result.stdout
        elif line.startswith("output: "):
            file, text = line.removeprefix("output: ").split(": ", 1)
            assert text in (project.build / file).read_text(encoding="utf-8"), file
        else:
            assert line in result.stderr.splitlines(), result.stderr
    for path in project.build.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".eml", ".txt"):
            assert not UNSAFE.search(path.read_text(encoding="utf-8").split("</title>")[-1]), path


def test_fixture_table_is_large():
    assert len(CASES) >= 30
    assert set(CASES) >= FAST


def test_symlink_to_outside_is_not_followed(project, cli, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-secret.md"
    outside.write_text("---\ntitle: Secret\ndate: 2026-10-14\n---\n\nSecret text.\n", encoding="utf-8")
    (project.posts / "2026-10-14-link.md").symlink_to(outside)
    project.post("2026-10-14-ok.md", "---\ntitle: Ok\ndate: 2026-10-14\n---\n\nFine.\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 0
    assert (
        "posts/2026-10-14-link.md: warning: symbolic link to outside the project: not followed"
        in result.stderr
    )
    assert "Secret text" not in (project.build / "2026-W42" / "email.html").read_text(encoding="utf-8")


def _broken_template(project, cli, text: str):
    project.post("2026-10-14-ok.md", "---\ntitle: Ok\ndate: 2026-10-14\n---\n\nFine.\n")
    (project.root / "templates" / "email.txt").write_text(text, encoding="utf-8")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    return result.stderr


def test_jinja_syntax_error_names_template_and_line(project, cli):
    assert _broken_template(project, cli, "line one\n{% if %}\n") == (
        "templates/email.txt:2: template syntax error: Expected an expression, got 'end of statement block'\n"
        "Aborted: 1 error found.\n"
    )


@pytest.mark.slow
def test_undefined_variable_names_template_and_line(project, cli):
    assert _broken_template(project, cli, "fine\n{{ issue.subjekt }}\n") == (
        "templates/email.txt:2: 'newsletter.content.issue.Issue object' has no attribute 'subjekt'\n"
        "Aborted: 1 error found.\n"
    )


def test_missing_settings_section_and_nonexistent_post(project, cli):
    project.settings(text="[metadata]\nname = x\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr == "setup.cfg: no [newsletter] section; add one with at least name and site_url.\n"
    project.settings()
    missing = cli("--project", project.root, "build", "--post", project.posts / "nope.md")
    assert missing.exit_code == 1
    assert missing.stderr == (
        f"--post {project.posts / 'nope.md'}: no such post (give a file in posts/ or a slug; see 'newsletter list')\n"
    )
