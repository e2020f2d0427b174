"""The editor's week (issue 12), through the command line: issue files, drafts, a starter project,
unfinished work in `check`, the web archive and feed, and the command line's polish."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import feedparser
import pytest
from conftest import REPO, Project
from lxml import html as lxml_html

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): no test
# here edits a template it did not write, and copies would be compiled again (see tests/conftest.py).


WEEK = "2026-W42"
A = "2026-10-14-facial-massage-and-tissue-regeneration.md"


def _issue(project, text: str, week: str = WEEK) -> Path:
    folder = project.root / "issues"
    folder.mkdir(exist_ok=True)
    path = folder / f"{week}.md"
    path.write_text(text, encoding="utf-8")
    return path


def _build(project, cli, *args):
    result = cli("--project", project.root, "build", *args)
    assert result.exit_code == 0, result.output
    return result


# 1. Issue file -------------------------------------------------------------------------------------


def test_issue_file_sets_subject_preheader_order_and_intro(sample, cli):
    _issue(sample, "---\nsubject: \"Two ways to move your face\"\npreheader: \"A note, then two articles\"\n"
                   "order: [why-facial-muscles-need-movement]\n---\n\nHello from the *studio*.\n")  # fmt: skip
    _build(sample, cli)
    html = (sample.build / WEEK / "email.html").read_text(encoding="utf-8")
    text = (sample.build / WEEK / "email.txt").read_text(encoding="utf-8")
    eml = (sample.build / WEEK / "email.eml").read_text(encoding="utf-8")
    assert "Subject: Two ways to move your face" in eml
    assert "A note, then two articles" in html
    doc = lxml_html.fromstring(html)
    intro = doc.xpath('//td[@class="intro"]')[0].text_content().strip()
    titles = [t.text_content() for t in doc.xpath('//h1[@class="title"]')]
    assert intro == "Hello from the studio."
    assert titles == ["Why Facial Muscles Need Movement", "Facial Massage and Tissue Regeneration"]
    # The intro comes before the first article in the text part too.
    assert text.index("Hello from the studio.") < text.index("Why Facial Muscles Need Movement")


@pytest.mark.slow
def test_issue_file_exclude_and_layout(sample, cli):
    _issue(sample, "---\nexclude: [facial-massage-and-tissue-regeneration]\nlayout: digest\n---\n")
    _build(sample, cli)
    doc = lxml_html.fromstring((sample.build / WEEK / "email.html").read_bytes())
    assert [t.text_content() for t in doc.xpath('//h1[@class="title"]')] == [
        "Why Facial Muscles Need Movement"
    ]
    assert "Read more" in doc.text_content()


@pytest.mark.slow
def test_issue_file_errors_name_file_and_line(sample, cli):
    _issue(sample, "---\nsubjct: x\norder: [nope]\nlayout: wide\n---\n")
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 1
    assert result.stderr.replace(
        "issue 2026-W42: warning: preheader is 149 characters; inboxes show about 100: shorten the summaries, "
        "or set 'preheader:' in issues/2026-W42.md\n",
        "",
    ) == (
        "issues/2026-W42.md:2: warning: unknown key 'subjct': did you mean 'subject'?\n"
        "issues/2026-W42.md:3: 'order' names 'nope', which is not a post of 2026-W42; its posts: "
        "facial-massage-and-tissue-regeneration, why-facial-muscles-need-movement\n"
        "issues/2026-W42.md:4: 'layout' must be one of full | digest, got 'wide'\n"
        "Aborted: 2 errors found.\n"
    )


@pytest.mark.slow
def test_editing_the_issue_file_rerenders_the_issue(sample, cli):
    _build(sample, cli)
    path = _issue(sample, '---\nsubject: "First"\n---\n')
    assert " 0 written" not in _build(sample, cli).stdout
    assert "Subject: First" in (sample.build / WEEK / "email.eml").read_text(encoding="utf-8")
    assert re.search(r": 0 written, \d+ unchanged", _build(sample, cli).stdout)
    path.write_text('---\nsubject: "Second"\n---\n', encoding="utf-8")
    _build(sample, cli)
    assert "Subject: Second" in (sample.build / WEEK / "email.eml").read_text(encoding="utf-8")


@pytest.mark.slow
def test_new_issue_scaffolds_the_latest_week_and_is_an_error_until_written(sample, cli):
    result = cli("--project", sample.root, "new", "--issue")
    assert result.stdout == "Created issues/2026-W42.md\n"
    again = cli("--project", sample.root, "new", "--issue", "2026-w42")
    assert again.exit_code == 1 and again.stderr == "issues/2026-W42.md: already exists; edit it\n"
    found = cli("--project", sample.root, "check").stdout
    assert (
        "issues/2026-W42.md:10: error[placeholder]: placeholder text from `newsletter new --issue`" in found
    )


# 2. Drafts -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_drafts_only_with_the_flag_and_marked(project, cli):
    project.post("2026-10-14-live.md", "---\ntitle: Live\ndate: 2026-10-14\n---\n\nText.\n")
    project.post(
        "2026-10-15-wip.md", "---\ntitle: Work in progress\ndate: 2026-10-15\ndraft: true\n---\n\nText.\n"
    )
    _build(project, cli)
    assert "Work in progress" not in (project.build / WEEK / "email.html").read_text(encoding="utf-8")
    _build(project, cli, "--drafts")
    eml = message_from_bytes((project.build / WEEK / "email.eml").read_bytes(), policy=policy.default)
    assert eml["Subject"] == "[DRAFT] Live · Work in progress"
    _build(project, cli)  # a normal build takes the draft out again
    assert "Work in progress" not in (project.build / WEEK / "email.html").read_text(encoding="utf-8")


# 3. Starter project ----------------------------------------------------------------------------------


@pytest.mark.slow  # five real processes
def test_init_new_undraft_build_with_packaged_templates(tmp_path):
    """The README's walk-through, as a user runs it: a real process, no template copied by hand."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    folder = tmp_path / "x"

    def run(*args: str, cwd: Path = folder) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "newsletter", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip

    made = run("init", str(folder), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in (folder / "templates").iterdir()) == ["README.md"]
    assert "[newsletter]" in (folder / "setup.cfg").read_text(encoding="utf-8")
    assert run("new", "Hello", "--date", "2026-10-14").returncode == 0
    post = folder / "posts" / "2026-10-14-hello.md"
    post.write_text(post.read_text(encoding="utf-8").replace("draft: true", "draft: false"), encoding="utf-8")
    unwritten = run("build")  # published with `new`'s placeholder body: subscribers would read it
    assert unwritten.returncode == 1 and "placeholder text from `newsletter new`" in unwritten.stderr
    text = post.read_text(encoding="utf-8").replace("Write the article here.", "Hello, readers.")
    post.write_text(text, encoding="utf-8")
    built = run("build")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("Built 2026-W42 (1 post) in build/")
    assert "Hello" in (folder / "build" / WEEK / "email.html").read_text(encoding="utf-8")
    again = run("init", str(folder), cwd=tmp_path)
    assert (
        again.returncode == 1
        and again.stderr
        == f"{folder}/setup.cfg: already exists; run init in a new "
        "folder, or add a [newsletter] section to this setup.cfg by hand\n"
    )


def test_studio_overrides_no_template_twice():
    packaged = {
        p.relative_to(REPO / "newsletter" / "templates")
        for p in (REPO / "newsletter" / "templates").rglob("*")
        if p.is_file()
    }
    studio = {p.relative_to(REPO / "templates") for p in (REPO / "templates").rglob("*") if p.is_file()}
    assert not (packaged & studio), packaged & studio
    assert Path("email.html") in packaged


# 4. check catches unfinished work --------------------------------------------------------------------


@pytest.mark.slow
def test_check_catches_unfinished_work(project, cli):
    project.post(
        "2026-10-14-a.md", '---\ntitle: A\ndate: 2026-10-14\nsummary: ""\n---\n\nWrite the article here.\n'
    )
    project.post("2026-10-15-b.md", "---\ntitle: B\ndate: 2026-10-15\ncta: {text: Book}\n---\n\nText.\n")
    _issue(
        project,
        '---\nsubject: "' + "A subject far too long for any inbox to show it whole, really" + '"\n---\n',
    )
    result = cli("--project", project.root, "check")
    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    for expected in (
        "posts/2026-10-14-a.md:4: warning[summary-empty]: 'summary' is empty",
        "posts/2026-10-14-a.md:7: error[placeholder]: placeholder text from `newsletter new`: 'Write the article here.'",
        "posts/2026-10-15-b.md:4: error[cta-empty]: 'cta.url' is missing: add the page the button opens",
        "issues/2026-W42.md:2: warning[subject-length]: subject is 61 characters, over 60",
    ):
        assert any(expected in line for line in lines), (expected, "\n".join(lines))


@pytest.mark.slow
def test_subject_over_the_limit_from_the_issue_file(project, cli):
    project.post("2026-10-14-a.md", "---\ntitle: A\ndate: 2026-10-14\n---\n\nText.\n")
    _issue(project, '---\nsubject: "' + "x" * 70 + '"\n---\n')
    found = cli("--project", project.root, "check").stdout
    assert (
        f"issues/2026-W42.md:2: warning[subject-length]: subject is 70 characters, over 60: '{'x' * 70}'; shorten it"
        in found
    )


@pytest.mark.slow
def test_build_shows_the_worst_five_warnings_and_a_count(project, cli):
    for day in range(1, 8):
        project.post(f"2026-10-{day + 11:02d}-p{day}.md",
                     f"---\ntitle: P{day}\ndate: 2026-10-{day + 11:02d}\n---\n\n![](/{day}.png)\n")  # fmt: skip
    result = _build(project, cli, "--all")
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 5
    assert re.search(r"^… and \d+ more warnings: run `newsletter check`$", result.stderr, re.M)
    assert re.search(r", \d+ warnings\n$", result.stdout)


# 6. Web archive and feed -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _once() -> dict:
    return {}


@pytest.fixture
def built(_once, tmp_path_factory, cli) -> Project:
    """The sample built once for this module by the first test that asks (under conftest's clock and
    checks); shared: tests only read it."""
    if not _once:
        root = tmp_path_factory.mktemp("sample")
        shutil.copytree(REPO / "posts", root / "posts")
        (root / "templates").mkdir()
        _once["sample"] = Project(root)
        _once["sample"].settings()
        _build(_once["sample"], cli)
    return _once["sample"]


def test_web_copy_has_no_merge_tags_and_an_og_image(built):
    sample = built
    page = (sample.build / WEEK / "index.html").read_text(encoding="utf-8")
    email = (sample.build / WEEK / "email.html").read_text(encoding="utf-8")
    assert "*|UNSUB|*" in email and "*|UNSUB|*" not in page
    assert "View in browser" in email and "View in browser" not in page
    doc = lxml_html.fromstring(page)
    image = doc.xpath('//meta[@property="og:image"]/@content')[0]
    assert (
        image
        == f"https://viaskincare.com/newsletter/{WEEK}/cards/facial-massage-and-tissue-regeneration-title-1200x630.png"
    )
    assert (sample.build / image.split("/newsletter/", 1)[1]).is_file()  # the card the build drew
    link = lxml_html.fromstring(email).xpath('//td[@class="browser-link"]/a/@href')[0]
    assert link.startswith(f"https://viaskincare.com/newsletter/{WEEK}/?")


@pytest.mark.slow
def test_archive_page_and_atom_feed(sample, cli):
    sample.post("2026-10-07-earlier.md", "---\ntitle: Earlier\ndate: 2026-10-07\n---\n\nText.\n")
    _issue(sample, '---\nsubject: "Movement week"\n---\n')
    _build(sample, cli, "--all")
    index = lxml_html.fromstring((sample.build / "index.html").read_bytes())
    subjects = [a.text_content() for a in index.xpath('//a[@class="subject"]')]
    assert subjects == ["Movement week", "Earlier"]
    assert "Why Facial Muscles Need Movement" in index.text_content()
    feed = feedparser.parse((sample.build / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert [e.title for e in feed.entries] == ["Movement week", "Earlier"]
    assert feed.entries[0].link == f"https://viaskincare.com/newsletter/{WEEK}/"
    assert feed.entries[0].id == f"https://viaskincare.com/newsletter/{WEEK}/"
    assert feed.entries[0].updated == "2026-10-17T00:00:00-07:00"


# 7. Command-line polish ------------------------------------------------------------------------------


@pytest.mark.slow
def test_post_by_slug_and_lower_case_week(sample, cli):
    assert _build(sample, cli, "--post", "why-facial-muscles-need-movement").stdout.startswith(
        "Built 2026-W42 (1 post)"
    )
    assert _build(sample, cli, "--week", "2026-w42").stdout.startswith("Built 2026-W42 (2 posts)")
    missing = cli("--project", sample.root, "build", "--post", "nope")
    assert missing.exit_code == 1
    assert (
        missing.stderr
        == "--post nope: no such post (give a file in posts/ or a slug; see 'newsletter list')\n"
    )


def test_twitter_suggests_x(sample, cli):
    result = cli("--project", sample.root, "social", "--platform", "twitter")
    assert result.exit_code == 2
    assert (
        "'twitter' is not one of x, bluesky, threads, mastodon, linkedin, instagram, facebook, pinterest; "
        "did you mean 'x'?" in result.stderr
    )


@pytest.mark.slow
def test_build_all_removes_a_week_without_posts(sample, cli):
    extra = sample.post("2026-10-07-earlier.md", "---\ntitle: Earlier\ndate: 2026-10-07\n---\n\nText.\n")
    _build(sample, cli, "--all")
    assert (sample.build / "2026-W41" / "email.html").is_file()
    extra.unlink()
    result = _build(sample, cli, "--all")
    assert not (sample.build / "2026-W41").exists()
    assert re.search(r", \d+ removed in", result.stdout)


@pytest.mark.slow
def test_progress_is_quiet_off_a_terminal_and_heard_by_the_library(sample, cli):
    from newsletter.content.issue import Selection
    from newsletter.content.settings import load_settings
    from newsletter.run.build import build

    assert _build(sample, cli, "--all").stderr.count("Rendering") == 0  # CliRunner is not a TTY
    heard = []
    settings = load_settings(sample.root)
    build(settings, dt.datetime(2026, 11, 22, tzinfo=settings.zone), Selection(every=True), use_cache=False, workers=1,
          progress=lambda done, total, week: heard.append((done, total, week)))  # fmt: skip
    assert heard == [(1, 1, WEEK)]


@pytest.mark.parametrize("command", ["build", "social", "preview", "check", "send", "new", "list", "init"])
def test_help_has_an_example_and_nothing_cut_off(cli, command):
    text = cli(command, "--help").stdout
    assert "Example" in text
    commands = cli("--help").stdout.split("Commands:")[1]
    assert "..." not in commands, commands  # Click shortens a long first line with "..."
