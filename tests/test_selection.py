"""What a run selects, and what it reports: posts outside the selection never block it (issue 22 item 5),
`check --week W` reports only W (item 6), and the small traps of week names, exit codes and images
(item 8). Every test goes through the command line."""

from __future__ import annotations

import pytest

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): no test
# here edits a template it did not write, and copies would be compiled again (see tests/conftest.py).


BROKEN = "posts/2026-10-21-next-week.md"  # a draft of 2026-W43; the sample's posts are in 2026-W42
UNCLOSED = '---\ntitle: "Next week\ndate: 2026-10-21\ndraft: true\n---\n\nBody.\n'
YAML_ERROR = (
    "invalid YAML at column 8: a quoted scalar starts here and is not closed "
    "(found unexpected end of stream on line 4); close the quote"
)
PREHEADER = '---\npreheader: "Two reads from the studio."\n---\n'
DEMOTED = f"{BROKEN}:2: warning: {YAML_ERROR} (a post of 2026-W43, not in this issue)"


@pytest.fixture
def broken(sample):
    """The sample with next week's draft left with an unclosed quote on line 2 (and a preheader of the
    editor's, so this week has no warning of its own)."""
    (sample.root / BROKEN).write_text(UNCLOSED, encoding="utf-8")
    (sample.root / "issues").mkdir()
    (sample.root / "issues" / "2026-W42.md").write_text(PREHEADER, encoding="utf-8")
    return sample


# Item 5: posts outside the selection never block it -------------------------------------------------


@pytest.mark.parametrize(
    "args", [pytest.param(("build", "--week", "2026-W42"), marks=pytest.mark.slow), ("build",)]
)
def test_a_broken_draft_of_next_week_is_a_warning_for_this_weeks_build(broken, cli, args):
    result = cli("--project", broken.root, *args)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [DEMOTED]
    assert result.stdout.startswith("Built 2026-W42 (2 posts) in build/: ")
    assert (broken.build / "2026-W42" / "email.html").is_file()


@pytest.mark.slow
def test_a_broken_draft_of_next_week_is_a_warning_for_check_and_send(broken, cli):
    check = cli("--project", broken.root, "check", "--week", "2026-W42")
    assert check.exit_code == 0, check.output
    assert check.stdout == (
        f"{BROKEN}:2: warning[front-matter]: {YAML_ERROR} (a post of 2026-W43, not in this issue)\n"
        "    fix: edit the key on that line\n0 errors, 1 warning\n"
    )
    send = cli("--project", broken.root, "send", "--to", "tester@example.com", "--dry-run")
    assert send.exit_code == 0, send.output
    assert send.stderr.splitlines() == [DEMOTED]


@pytest.mark.parametrize(
    "args",
    [
        ("build", "--week", "2026-W43"),
        pytest.param(("build", "--all"), marks=pytest.mark.slow),
        pytest.param(("check", "--all"), marks=pytest.mark.slow),
    ],
)
def test_the_broken_post_is_an_error_for_its_own_week_and_for_all(broken, cli, args):
    result = cli("--project", broken.root, *args)
    assert result.exit_code == 1
    if args[0] == "build":
        assert result.stderr == f"{BROKEN}:2: {YAML_ERROR}\nAborted: 1 error found.\n"
    else:
        assert f"{BROKEN}:2: error[front-matter]: {YAML_ERROR}\n" in result.stdout
    assert not (broken.build / "2026-W42").exists()


@pytest.mark.slow
def test_the_week_of_a_broken_post_comes_from_its_front_matter_when_it_can_be_read(broken, cli):
    sample = broken
    (sample.root / BROKEN).unlink()
    # Named for W43 but dated in W44 by its readable front matter; its error is in the body.
    post = sample.root / "posts" / "2026-10-21-moved.md"
    post.write_text("---\ntitle: Moved\ndate: 2026-10-28\n---\n", encoding="utf-8")
    result = cli("--project", sample.root, "build", "--week", "2026-W42")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "posts/2026-10-21-moved.md:5: warning: the body is empty: write the article below the front "
        "matter (a post of 2026-W44, not in this issue)\n"
    )
    assert cli("--project", sample.root, "build", "--week", "2026-W44").exit_code == 1


@pytest.mark.slow
def test_a_broken_post_without_a_date_in_its_name_is_an_error_everywhere(broken, cli):
    sample = broken
    (sample.root / BROKEN).unlink()
    (sample.root / "posts" / "notes.md").write_text('---\ntitle: "Notes\n---\n\nBody.\n', encoding="utf-8")
    result = cli("--project", sample.root, "build", "--week", "2026-W42")
    assert result.exit_code == 1
    assert result.stderr == (
        "posts/notes.md:2: invalid YAML at column 8: a quoted scalar starts here and is not closed "
        "(found unexpected end of stream on line 2); close the quote\nAborted: 1 error found.\n"
    )


@pytest.mark.slow
def test_other_weeks_warnings_are_not_this_builds(broken, cli):
    sample = broken
    (sample.root / BROKEN).unlink()
    (sample.root / "posts" / "2026-10-21-typo.md").write_text(
        "---\ntitle: Typo\ndate: 2026-10-21\ntitel: x\n---\n\nBody.\n", encoding="utf-8"
    )
    result = cli("--project", sample.root, "build", "--week", "2026-W42")
    assert result.exit_code == 0 and result.stderr == ""
    later = cli("--project", sample.root, "build", "--week", "2026-W43")
    assert "posts/2026-10-21-typo.md:4: warning: unknown key 'titel': did you mean 'title'?" in later.stderr


def test_list_always_lists_and_marks_broken_posts_with_their_first_problem(broken, cli):
    (broken.root / "posts" / "notes.md").write_text("---\ntitle: Notes\n---\n\nBody.\n", encoding="utf-8")
    result = cli("--project", broken.root, "list")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "date        week      status     slug                                    title",
        "2026-10-14  2026-W42  published  facial-massage-and-tissue-regeneration  Facial Massage and Tissue Regeneration",
        "2026-10-17  2026-W42  published  why-facial-muscles-need-movement        Why Facial Muscles Need Movement",
        f"2026-10-21  2026-W43  error      next-week                               line 2: {YAML_ERROR}",
        "no date     -         error      notes                                   line 1: 'date' is required: add a "
        "line like date: 2026-10-17",
    ]  # fmt: skip
    assert result.stderr == "2 posts with errors: `newsletter check --all` lists every problem\n"


def test_list_counts_warnings_and_leaves_them_to_check(sample, cli):
    sample.post("2026-10-21-typo.md", "---\ntitle: Typo\ndate: 2026-10-21\ntitel: x\n---\n\nBody.\n")
    result = cli("--project", sample.root, "list")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("2026-10-21  2026-W43  published  typo")
    assert result.stderr == "1 warning: `newsletter check --all` lists every problem\n"


# Item 6: `check --week W` reports only W ---------------------------------------------------------------

W49 = "---\ntitle: December\ndate: 2026-12-02\ntitel: x\n---\n\nSee [the shop](http://example.com/shop).\n"


def test_check_of_a_week_reports_only_that_week(broken, cli):
    (broken.root / BROKEN).unlink()
    (broken.root / "posts" / "2026-12-02-december.md").write_text(W49, encoding="utf-8")
    result = cli("--project", broken.root, "check", "--week", "2026-W42")
    assert result.exit_code == 0, result.output
    assert result.stdout == "0 errors, 0 warnings\n"
    december = cli("--project", broken.root, "check", "--week", "2026-W49")
    assert december.stdout.splitlines()[-1] == "0 errors, 2 warnings"
    assert "warning[link-insecure]: insecure link 'http://example.com/shop'" in december.stdout


def test_check_of_a_week_without_posts_reports_only_that(broken, cli):
    (broken.root / BROKEN).unlink()
    (broken.root / "posts" / "2026-12-02-december.md").write_text(W49, encoding="utf-8")
    result = cli("--project", broken.root, "check", "--week", "2026-W50")
    assert result.exit_code == 1
    assert result.stdout == (
        "--week 2026-W50: error[no-posts]: no published posts that week; weeks with posts: 2026-W42, "
        "2026-W49\n    fix: write a post or choose another --week\n1 error, 0 warnings\n"
    )


def test_a_week_without_posts_gets_nothing_of_other_weeks_issue_files_or_broken_posts(broken, cli):
    """The broken draft of 2026-W43 and 2026-W49's issue file (an unknown key) are not 2026-W50's."""
    (broken.root / "posts" / "2026-12-02-december.md").write_text(W49.replace("titel: x\n", ""), "utf-8")
    (broken.root / "issues" / "2026-W49.md").write_text("---\nsubjct: December\n---\n", encoding="utf-8")
    result = cli("--project", broken.root, "check", "--week", "2026-W50")
    assert result.exit_code == 1
    assert result.stdout == (
        "--week 2026-W50: error[no-posts]: no published posts that week; weeks with posts: 2026-W42, "
        "2026-W49\n    fix: write a post or choose another --week\n1 error, 0 warnings\n"
    )


@pytest.mark.slow
def test_check_of_a_week_still_reports_its_own_drafts(broken, cli):
    (broken.root / BROKEN).unlink()
    draft = "---\ntitle: Later\ndate: 2026-10-16\ndraft: true\n---\n\nSee [it](http://example.com/x).\n"
    (broken.root / "posts" / "2026-10-16-later.md").write_text(draft, encoding="utf-8")
    result = cli("--project", broken.root, "check", "--week", "2026-W42")
    assert result.stdout == (
        "posts/2026-10-16-later.md:7: warning[link-insecure]: insecure link 'http://example.com/x'\n"
        "    fix: change http:// to https://\n0 errors, 1 warning\n"
    )


# Item 8: the small traps --------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_lower_case_issue_file_name_is_an_error_saying_to_rename_it(sample, cli):
    (sample.root / "issues").mkdir()
    (sample.root / "issues" / "2026-w42.md").write_text(PREHEADER, encoding="utf-8")
    result = cli("--project", sample.root, "build", "--week", "2026-w42")
    assert result.exit_code == 1
    assert (
        "issues/2026-w42.md: rename it to 2026-W42.md: issue files are named YYYY-Www.md with a capital W"
        in result.stderr.splitlines()
    )
    assert result.stderr.endswith("Aborted: 1 error found.\n")


def test_a_one_digit_week_gets_a_did_you_mean(sample, cli):
    result = cli("--project", sample.root, "build", "--week", "2026-W7")
    assert result.exit_code == 2
    assert (
        "Error: Invalid value for '--week': expected YYYY-Www like 2026-W42, got '2026-W7'; did you mean "
        "2026-W07?" in result.stderr
    )


@pytest.mark.parametrize("value", ["17-10-2026", "2026-02-30", "20261017"])
def test_a_malformed_new_date_is_a_usage_error(sample, cli, value):
    result = cli("--project", sample.root, "new", "Winter skin", "--date", value)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--date': expected a real date as YYYY-MM-DD, like 2026-10-17, got '{value}'"
    )
    assert not list((sample.root / "posts").glob("*winter-skin.md"))


def test_a_new_post_that_exists_is_exit_1(sample, cli):
    result = cli("--project", sample.root, "new", "Why facial muscles need movement", "--date", "2026-10-17")
    assert result.exit_code == 1
    assert result.stderr == (
        "posts/2026-10-17-why-facial-muscles-need-movement.md: already exists; choose another title or date\n"
    )


@pytest.mark.slow
def test_an_http_hero_image_is_flagged_like_a_body_image(broken, cli):
    (broken.root / BROKEN).unlink()
    post = broken.root / "posts" / "2026-10-17-why-facial-muscles-need-movement.md"
    text = post.read_text(encoding="utf-8")
    post.write_text(
        text.replace(
            "---\n", "---\nimage: http://example.com/hero.jpg\nimage_alt: Hands\nimage_width: 600\n", 1
        ),
        encoding="utf-8",
    )
    result = cli("--project", broken.root, "check", "--week", "2026-W42")
    assert result.stdout == (
        "posts/2026-10-17-why-facial-muscles-need-movement.md:2: warning[link-insecure]: insecure hero image "
        "'http://example.com/hero.jpg'\n    fix: change http:// to https://\n0 errors, 1 warning\n"
    )


@pytest.mark.slow
def test_the_preheader_warning_says_the_issue_file_sets_it(sample, cli):
    result = cli("--project", sample.root, "build")
    assert result.stderr == (
        "issue 2026-W42: warning: preheader is 149 characters; inboxes show about 100: shorten the summaries, "
        "or set 'preheader:' in the issue file (newsletter new --issue 2026-W42)\n"
    )
    (sample.root / "issues").mkdir()
    (sample.root / "issues" / "2026-W42.md").write_text(
        f'---\npreheader: "{"x" * 120}"\n---\n', encoding="utf-8"
    )
    again = cli("--project", sample.root, "build")
    assert again.stderr == (
        "issue 2026-W42: warning: preheader is 120 characters; inboxes show about 100: shorten 'preheader:' "
        "in issues/2026-W42.md\n"
    )


DIGEST_POST = """\
---
title: Jade rollers, tested
date: 2026-10-15
summary: What a jade roller does and does not do.
---

Some words first.

![A jade roller on a towel](https://example.com/roller.png){width=300 height=200}

More words.
"""


@pytest.mark.slow
def test_a_digest_article_shows_its_first_body_image_and_names_itself_on_its_button(sample, cli):
    from lxml import html as lxml_html

    sample.settings("layout = digest\n")
    (sample.root / "posts" / "2026-10-15-jade-rollers.md").write_text(DIGEST_POST, encoding="utf-8")
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 0, result.output
    page = lxml_html.fromstring((sample.build / "2026-W42" / "email.html").read_bytes())
    article = next(td for td in page.xpath('//td[@class="article"]') if "Jade rollers" in td.text_content())
    [hero] = article.xpath('.//img[@class="hero"]')
    assert hero.get("src") == "https://example.com/roller.png"
    assert hero.get("alt") == "A jade roller on a towel"
    assert (hero.get("width"), hero.get("height")) == ("300", "200")
    labels = [a.get("aria-label") for a in page.xpath('//a[@class="button"]')]
    assert labels == [
        "Read more: Facial Massage and Tissue Regeneration",
        "Read more: Jade rollers, tested",
        "Read more: Why Facial Muscles Need Movement",
    ]
    assert [a.text_content() for a in page.xpath('//a[@class="button"]')] == ["Read more"] * 3
    others = [td for td in page.xpath('//td[@class="article"]') if "Jade rollers" not in td.text_content()]
    assert all(not td.xpath(".//img") for td in others)  # no picture of their own: none is invented


# Issue 22 follow-up: issue files of other weeks, broken posts named in `order` ---------------------------

W41_RENAME = (
    "issues/2026-w41.md: rename it to 2026-W41.md: issue files are named YYYY-Www.md with a capital W"
)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("build", "--week", "2026-W42"),
        pytest.param(("build",), marks=pytest.mark.slow),
        pytest.param(("send", "--to", "t@example.com", "--dry-run"), marks=pytest.mark.slow),
    ],
)
def test_a_misnamed_issue_file_of_another_week_is_a_warning(sample, cli, args):
    (sample.root / "issues").mkdir()
    (sample.root / "issues" / "2026-W42.md").write_text(PREHEADER, encoding="utf-8")
    (sample.root / "issues" / "2026-w41.md").write_text(PREHEADER, encoding="utf-8")
    result = cli("--project", sample.root, *args)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"{W41_RENAME.replace(': ', ': warning: ', 1)} (for 2026-W41, not this issue)"
    ]


@pytest.mark.slow
def test_check_of_this_week_warns_about_another_weeks_misnamed_issue_file_with_the_right_fix(sample, cli):
    (sample.root / "issues").mkdir()
    (sample.root / "issues" / "2026-W42.md").write_text(PREHEADER, encoding="utf-8")
    (sample.root / "issues" / "2026-w41.md").write_text(PREHEADER, encoding="utf-8")
    result = cli("--project", sample.root, "check", "--week", "2026-W42")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "issues/2026-w41.md: warning[issue-name]: rename it to 2026-W41.md: issue files are named YYYY-Www.md "
        "with a capital W (for 2026-W41, not this issue)\n"
        "    fix: rename the file as the message says (git mv keeps its history)\n0 errors, 1 warning\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("check", "--week", "2026-W41"),
        pytest.param(("check", "--all"), marks=pytest.mark.slow),
        pytest.param(("build", "--all"), marks=pytest.mark.slow),
    ],
)
def test_a_misnamed_issue_file_is_an_error_for_its_own_week_and_for_all(sample, cli, args):
    sample.post("2026-10-07-earlier.md", "---\ntitle: Earlier\ndate: 2026-10-07\n---\n\nText.\n")
    (sample.root / "issues").mkdir()
    (sample.root / "issues" / "2026-w41.md").write_text(PREHEADER, encoding="utf-8")
    result = cli("--project", sample.root, *args)
    assert result.exit_code == 1
    if args[0] == "build":
        assert result.stderr.splitlines()[-2:] == [W41_RENAME, "Aborted: 1 error found."]
    else:
        assert (
            "issues/2026-w41.md: error[issue-name]: rename it to 2026-W41.md: issue files are named "
            "YYYY-Www.md with a capital W\n    fix: rename the file as the message says (git mv keeps its "
            "history)\n"
        ) in result.stdout


@pytest.mark.slow
def test_a_broken_post_named_in_order_reports_only_its_own_error(sample, cli):
    (sample.root / "issues").mkdir()
    (sample.root / "issues" / "2026-W42.md").write_text(
        '---\npreheader: "Two reads."\norder: [broken-one, why-facial-muscles-need-movement]\n---\n',
        encoding="utf-8",
    )
    sample.post("2026-10-15-broken-one.md", '---\ntitle: "Unclosed\ndate: 2026-10-15\n---\n\nBody.\n')
    result = cli("--project", sample.root, "build", "--week", "2026-W42")
    assert result.exit_code == 1
    assert "which is not a post of" not in result.stderr
    assert result.stderr == (
        "posts/2026-10-15-broken-one.md:2: invalid YAML at column 8: a quoted scalar starts here and is not "
        "closed (found unexpected end of stream on line 3); close the quote\nAborted: 1 error found.\n"
    )
