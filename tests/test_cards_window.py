"""The cards window: every card for the newest issues, only the og:image card for older ones, cards
drawn before kept, and captions that name only cards their issue has."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "tests" / "benchmarks"))
from generate import generate

WEEKS = ("2022-W01", "2022-W02", "2022-W03")  # 5, 5 and 2 posts


def _window(root: Path, value: str) -> None:
    settings = root / "setup.cfg"
    settings.write_text(settings.read_text(encoding="utf-8") + f"cards_window = {value}\n", encoding="utf-8")


def _cards(root: Path, week: str) -> set[str]:
    return {p.name for p in (root / "build" / week / "cards").glob("*.png")}


def _lead_title_card(root: Path, week: str) -> str:
    page = (root / "build" / week / "index.html").read_text(encoding="utf-8")
    url = page.split('<meta property="og:image" content="', 1)[1].split('"', 1)[0]
    return url.rsplit("/", 1)[1]


@pytest.fixture
def synthetic(tmp_path) -> Path:
    return generate(tmp_path / "site", posts=12)


@pytest.mark.slow  # a three-issue site: any build of two issues or more costs a pool of workers
def test_older_issues_get_only_their_og_image_card(synthetic, cli):
    _window(synthetic, "1")
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    newest = _cards(synthetic, WEEKS[-1])
    assert len(newest) == 2 * 9  # two articles, three kinds, three sizes
    for week in WEEKS[:-1]:
        assert _cards(synthetic, week) == {_lead_title_card(synthetic, week)}  # what a shared link shows
        named = {c["card"] for c in json.loads((synthetic / "build" / week / "captions.json").read_bytes())}
        assert named == {"", f"{week}/cards/{_lead_title_card(synthetic, week)}"}
        assert "Card: ![" in (synthetic / "build" / week / "captions.md").read_text(encoding="utf-8")


@pytest.mark.slow  # two builds of a three-issue site
def test_an_issue_that_leaves_the_window_keeps_its_cards(synthetic, cli):
    _window(synthetic, "1")
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    before = _cards(synthetic, WEEKS[-1])
    post = synthetic / "posts" / "2022-01-24-post-12.md"  # a post of a new, later week
    post.write_text((synthetic / "posts" / "2022-01-17-post-10.md").read_text(encoding="utf-8")
                    .replace("date: 2022-01-17", "date: 2022-01-24"), encoding="utf-8")  # fmt: skip
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    assert _cards(synthetic, WEEKS[-1]) == before  # out of the window now, never deleted
    assert len(_cards(synthetic, "2022-W04")) == 9


@pytest.mark.slow  # a three-issue site and 108 cards
def test_all_draws_every_card_of_every_issue(synthetic, cli):
    _window(synthetic, "all")
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    assert [len(_cards(synthetic, week)) for week in WEEKS] == [45, 45, 18]


@pytest.mark.parametrize("value", ["0", "-2", "two", "３"])
def test_a_bad_cards_window_names_the_key(synthetic, cli, value):
    _window(synthetic, value)
    result = cli("--project", synthetic, "build", "--all")
    assert result.exit_code == 1
    assert f"cards_window: expected a positive whole number or 'all', got '{value}'" in result.stderr


@pytest.mark.slow  # three builds of a three-issue site
def test_an_issue_that_enters_the_window_gets_every_card_as_a_cold_build_gives(synthetic, cli, tmp_path):
    """The newest week's posts removed, the week before becomes the newest: an incremental build draws
    its every card, as a cold build of the same posts does (it kept the og:image card alone)."""
    import shutil

    _window(synthetic, "1")
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    assert len(_cards(synthetic, WEEKS[1])) == 1
    for post in synthetic.glob("posts/2022-01-1[78]-*.md"):  # 2022-W03's two posts
        post.unlink()
    assert cli("--project", synthetic, "build", "--all").exit_code == 0
    cold = tmp_path / "cold"
    shutil.copytree(synthetic, cold, ignore=shutil.ignore_patterns("build"))
    assert cli("--project", cold, "build", "--all", "--no-cache").exit_code == 0
    assert len(_cards(synthetic, WEEKS[1])) == 45
    for name in ("captions.json", "captions.md", "index.html"):
        made, wanted = (root / "build" / WEEKS[1] / name for root in (synthetic, cold))
        assert made.read_bytes() == wanted.read_bytes(), name
