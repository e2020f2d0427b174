"""The run object: each command does only the work its output needs, through the one plan."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from newsletter.content import posts
from newsletter.social import draw

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): no test
# here edits a template it did not write, and copies would be compiled again (see tests/conftest.py).


PACKAGE = Path(__file__).resolve().parent.parent / "newsletter"
WEEK = "2026-W42"


@pytest.fixture
def drawn(monkeypatch) -> list:
    calls: list = []
    real = draw.png
    monkeypatch.setattr(draw, "png", lambda *a: calls.append(a) or real(*a))
    return calls


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = posts.parse
    monkeypatch.setattr(posts, "parse", lambda source, *a: calls.append(source.source) or real(source, *a))
    return calls


@pytest.mark.slow
def test_a_build_draws_the_cards(sample, cli, drawn):
    assert cli("--project", sample.root, "build", "--jobs", "1").exit_code == 0
    assert len(drawn) == 18  # the counter sees draws: the tests below are not vacuous


def test_check_draws_no_card(sample, cli, drawn):
    result = cli("--project", sample.root, "check")
    assert result.exit_code == 0, result.output
    assert drawn == []
    assert not sample.build.exists()


def test_send_dry_run_draws_no_card(sample, cli, drawn):
    result = cli("--project", sample.root, "send", "--to", "me@example.com", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Subject: [TEST]" in result.stdout
    assert drawn == []


@pytest.mark.slow
def test_social_draws_no_card(sample, cli, drawn):
    assert cli("--project", sample.root, "social", "--format", "json").exit_code == 0
    assert drawn == []


@pytest.mark.slow  # a real process: what it imports is the point
def test_check_does_not_import_the_drawing_library_or_premailer(sample):
    # no card is drawn; the sample's email is bounded, not inlined (tests/test_inline_bound.py)
    code = (
        "import sys\nfrom newsletter.cli import main\n"
        "try:\n    main(['--project', sys.argv[1], 'check'])\nexcept SystemExit as e:\n    assert e.code == 0, e\n"
        "print(sorted(m for m in sys.modules if m in ('PIL', 'premailer', 'cssutils')"
        " or m.startswith('newsletter.social.draw')))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(sample.root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "why-facial-muscles-need-movement",
        pytest.param("posts/2026-10-17-why-facial-muscles-need-movement.md", marks=pytest.mark.slow),
    ],
)
def test_build_post_parses_each_post_once(sample, cli, parsed, name, monkeypatch):
    monkeypatch.chdir(sample.root)
    result = cli("--project", sample.root, "build", "--no-cache", "--jobs", "1", "--post", name)
    assert result.exit_code == 0, result.output
    assert len(parsed) == len(set(parsed)), parsed
    assert "posts/2026-10-17-why-facial-muscles-need-movement.md" in parsed


@pytest.mark.slow
def test_build_post_by_file_parses_only_that_file(sample, cli, parsed, monkeypatch):
    monkeypatch.chdir(sample.root)
    post = "posts/2026-10-17-why-facial-muscles-need-movement.md"
    assert cli("--project", sample.root, "build", "--no-cache", "--post", post).exit_code == 0
    assert parsed == [post]


def test_an_unknown_post_is_named(sample, cli):
    result = cli("--project", sample.root, "build", "--post", "no-such-post")
    assert result.exit_code == 1
    assert result.stderr == (
        "--post no-such-post: no such post (give a file in posts/ or a slug; see 'newsletter list')\n"
    )


def test_social_refuses_a_draft_named_on_the_command_line(sample, cli):
    path = sample.root / "posts" / "2026-10-17-why-facial-muscles-need-movement.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("---\n", "---\ndraft: true\n", 1), encoding="utf-8"
    )
    result = cli("--project", sample.root, "social", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        "posts/2026-10-17-why-facial-muscles-need-movement.md:2: is a draft; set 'draft: false' when it is "
        "published, then export its captions\nAborted: 1 error found.\n"
    )
