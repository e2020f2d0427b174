"""Issue 21, item 7: a post's social file (posts/STEM.social.yaml), where the social manager edits any
caption by platform and kind, a thread post by post, or turns a caption off; the edits survive every
rebuild, are validated like front matter, and `newsletter social --edit POST` writes a starting point.
All through the command line."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, TEMPLATES, Project

WEEK = "2026-W42"
POST = "posts/2026-10-17-why-facial-muscles-need-movement.md"
SOCIAL = "posts/2026-10-17-why-facial-muscles-need-movement.social.yaml"
SLUG = "why-facial-muscles-need-movement"
LINK = "https://viaskincare.com/blog/why-facial-muscles-need-movement"
TEASER = f"Forty muscles, one face: why they need to move, and what a massage does.\n\n{LINK}"
SECOND = "Facial muscles attach skin to bone, so every expression moves the skin with them."


@pytest.fixture(scope="module")
def _module_built() -> dict:
    return {}  # {"sample": the sample project, built}, made by the first test asking for `built`


@pytest.fixture
def built(_module_built, tmp_path_factory, tmp_path, cli) -> Project:
    """The sample as its first build left it, for a copy's cost (build/ included): built once for the
    module, under conftest's fixtures (clock, .eml checks, card memo), by the first test that asks."""
    if "sample" not in _module_built:
        root = tmp_path_factory.mktemp("built-sample")
        shutil.copytree(TEMPLATES, root / "templates")
        shutil.copytree(REPO / "posts", root / "posts")
        Project(root).settings()
        result = cli("--project", root, "build")
        assert result.exit_code == 0, result.output
        _module_built["sample"] = root
    root = tmp_path / "built"
    shutil.copytree(_module_built["sample"], root, symlinks=True)
    return Project(root)


def _social(project, text: str):
    path = project.root / SOCIAL
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _captions(project) -> list[dict]:
    return json.loads((project.build / WEEK / "captions.json").read_text(encoding="utf-8"))


def _find(captions: list[dict], platform: str, kind: str) -> dict:
    return next(c for c in captions if c["post"] == SLUG and c["platform"] == platform and c["kind"] == kind)


EDITS = f"""\
x:
  teaser: |
    {TEASER.replace(chr(10), chr(10) + "    ")}
  benefits: off
bluesky:
  thread:
    2: {SECOND}
pinterest: off
"""


def test_an_edit_survives_the_rebuild_in_captions_json_markdown_and_the_buffer_csv(built, cli, tmp_path):
    sample = built  # built as `sample` is, once for the module
    before = _captions(sample)
    _social(sample, EDITS)
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 0, result.output
    assert " 0 written" not in result.stdout  # the social file is part of the post: its issue is rebuilt
    after = _captions(sample)
    teaser = _find(after, "x", "teaser")
    assert teaser["text"] == TEASER and teaser["edited"] is True
    assert teaser["length"] == 97 and teaser["hashtags"] == []
    assert not [c for c in after if c["post"] == SLUG and c["platform"] == "pinterest"]  # turned off
    assert not [c for c in after if c["post"] == SLUG and c["platform"] == "x" and c["kind"] == "benefits"]
    thread, generated = _find(after, "bluesky", "thread"), _find(before, "bluesky", "thread")
    assert thread["edited"] is True and len(thread["parts"]) == len(generated["parts"])
    assert thread["parts"][1] == f"{SECOND}\n\n2/{len(generated['parts'])}"
    assert thread["parts"][0] == generated["parts"][0]  # the posts not edited follow the article
    edited = {(c["platform"], c["kind"]) for c in after if c.get("edited")}
    assert edited == {("x", "teaser"), ("bluesky", "thread")}  # nothing else is marked
    markdown = (sample.build / WEEK / "captions.md").read_text(encoding="utf-8")
    assert "### X · teaser · 97/280 · edited\n\n~~~~text\n" + TEASER + "\n~~~~\n" in markdown
    out = tmp_path / "exports"
    exported = cli("--project", sample.root, "social", SLUG, "--format", "buffer", "--out", out,
                   "--start", "2026-11-23")  # fmt: skip
    assert exported.exit_code == 0, exported.output
    (x_file,) = out.glob("captions-buffer-x*.csv")
    rows = list(csv.DictReader(io.StringIO(x_file.read_text(encoding="utf-8-sig"))))
    assert TEASER in [row["Text"] for row in rows]


@pytest.mark.slow  # three builds of two issues (a pool of workers each)
def test_an_edit_of_the_social_file_alone_rebuilds_only_its_issue(sample, cli):
    """Its bytes are in the post's digest and its stat in the post's: a rebuild that reads no post
    whose stat is unchanged still sees an edit, even one keeping the file's size and mtime."""
    older = sample.root / "posts/2026-10-07-an-older-article.md"
    first = sample.root / "posts/2026-10-14-facial-massage-and-tissue-regeneration.md"
    older.write_text(
        first.read_text(encoding="utf-8").replace("date: 2026-10-14", "date: 2026-10-07"), "utf-8"
    )
    social = _social(sample, "x:\n  teaser: First words for X.\n")
    hour_ago = social.stat().st_mtime_ns - 3600 * 10**9
    for path in sample.posts.iterdir():  # settled: the manifest records their stat
        os.utime(path, ns=(hour_ago, hour_ago))
    assert cli("--project", sample.root, "build", "--all").exit_code == 0
    assert _find(_captions(sample), "x", "teaser")["text"] == "First words for X."
    stamp = social.stat()
    social.write_text("x:\n  teaser: Other words for X.\n", encoding="utf-8")  # same size
    os.utime(social, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # and mtime: the ctime tells
    other = (sample.build / "2026-W41" / "captions.json").stat()
    result = cli("--project", sample.root, "build", "--all")
    assert result.exit_code == 0 and " 2 written" in result.stdout, result.stdout  # captions.json and .md
    assert _find(_captions(sample), "x", "teaser")["text"] == "Other words for X."
    assert (sample.build / "2026-W41" / "captions.json").stat().st_mtime_ns == other.st_mtime_ns
    social.unlink()  # gone: the article's words again
    assert cli("--project", sample.root, "build", "--all").exit_code == 0
    assert "edited" not in _find(_captions(sample), "x", "teaser")


def test_front_matter_teaser_overrides_still_work_and_are_marked_edited(project, cli):
    project.post("2026-10-14-a.md", '---\ntitle: A\ndate: 2026-10-14\nsocial: {x: "**Bold** words for X"}\n'
                 "---\n\nSome words about the article, long enough to say something.\n")  # fmt: skip
    assert cli("--project", project.root, "build").exit_code == 0
    teaser = next(c for c in _captions(project) if c["platform"] == "x" and c["kind"] == "teaser")
    assert teaser["text"] == "Bold words for X" and teaser["edited"] is True


def test_the_social_file_wins_over_front_matter_and_says_so(sample, cli):
    path = sample.root / POST
    path.write_text(path.read_text(encoding="utf-8").replace("quote:", 'social: {x: "Front matter words"}\nquote:'),
                    encoding="utf-8")  # fmt: skip
    _social(sample, "x:\n  teaser: The file's words\n")
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 0, result.output
    assert (f"{SOCIAL}:2: warning: the x teaser is also set by 'social:' in {POST}:7; this file's is used: "
            "remove one of them\n") in result.stderr  # fmt: skip
    assert _find(_captions(sample), "x", "teaser")["text"] == "The file's words"


# Validated like front matter: file and line, what was expected, how to fix it; the post is left out.
INVALID = [
    ("twitter:\n  teaser: Hi\n",
     "1: unknown platform 'twitter'; did you mean 'x'? (the platforms: x, bluesky, threads, mastodon, linkedin, "
     "instagram, facebook, pinterest)"),
    ("x:\n  teasr: Hi\n",
     "2: unknown kind 'teasr' for X; did you mean 'teaser'? (the kinds: teaser, benefits, quote, thread)"),
    ("linkedin:\n  thread: [One post]\n",
     "2: LinkedIn has no threads (threads are for X, Bluesky, Threads, Mastodon); give it a teaser"),
    ("x:\n  teaser: " + "word " * 57 + "\n", "2: the X teaser is 284 of 280 as X counts it; shorten it"),
    ("bluesky:\n  thread:\n    - One.\n    - " + "é" * 301 + "\n",
     "4: the Bluesky thread's post 2 is 301 of 300 as Bluesky counts it; shorten it"),
    ("threads:\n  teaser: " + " ".join(f"https://e.com/{n}" for n in range(6)) + "\n",
     "2: the Threads teaser is 6 links of 5 as Threads counts it; shorten it"),
    ("x:\n  teaser:\n", "2: 'x.teaser' is empty: write the caption, or off to post none"),
    ("x:\n  quote: yes\n", "2: 'x.quote' is yes: write the caption, or off to post none"),
    ("x:\n  teaser: 1.10\n", "2: 'x.teaser' must be text, got 1.10 (YAML reads it as a number): quote it: \"1.10\""),
    ("x:\n  teaser: [a, b]\n", "2: 'x.teaser' must be text, got a list"),
    ("x:\n  teaser: One\n  teaser: Two\n", "3: 'teaser' is given twice (first on line 2); keep one"),
    ("x: Hello\n",
     "1: 'x' takes its captions by kind (teaser, benefits, quote, thread), e.g. x: {teaser: \"...\"}, or off"),
    ("- x\n", "1: a social file maps platforms to their captions, e.g. x: {teaser: \"...\"}; got a list or a "
     "single value"),
    ("x:\n  thread: Just one post\n",
     "2: 'x.thread' is a list of posts (- \"The first post\"), or posts by number (2: \"A new second post\"), "
     "or off"),
    ("x:\n  thread:\n    0: Zero\n", "3: 'x.thread' takes posts by number (1 is the first post), got '0'"),
    ("x:\n  teaser: 'unclosed\n",
     "2: invalid YAML at column 11: a quoted scalar starts here and is not closed (found unexpected end of "
     "stream on line 3); close the quote"),
    ("x: &a {teaser: Hi}\nbluesky: *a\n",
     "1: YAML anchors and aliases (&name, *name) are not allowed in a social file; write the value out"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), INVALID, ids=[m.split(": ", 1)[1][:40] for _, m in INVALID])
def test_each_problem_of_a_social_file_is_an_error_at_its_line(project, cli, text, message):
    # the post alone (none of these messages depends on the sample's other post): with the post left
    # out, the build has no issue to render and stops at the error, a thirtieth of the sample's build
    shutil.copy(REPO / POST, project.posts)
    _social(project, text)
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert f"{SOCIAL}:{message}\n" in result.stderr, result.stderr
    assert result.stderr.endswith("Aborted: 1 error found.\n")


def test_a_thread_post_beyond_the_articles_thread_and_a_post_too_long_with_its_number(project, cli):
    shutil.copy(REPO / POST, project.posts)  # the post alone, as above: its thread is the sample's
    _social(
        project,
        "x:\n  thread:\n    40: Too far\nmastodon:\n  thread:\n    - " + "word " * 100 + "\n    - Two.\n",
    )
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert (f"{SOCIAL}:3: the X thread the article gives has 7 posts, so there is no post 40: number a post "
            "from 1 to 7, or give the whole thread as a list\n") in result.stderr  # fmt: skip
    assert (f"{SOCIAL}:6: the Mastodon thread's post 1 is 504 of 500 as Mastodon counts it with its number; "
            "shorten it\n") in result.stderr  # fmt: skip


@pytest.mark.slow  # two builds; the error in its own week alone: "the X teaser is 284 of 280" above
def test_over_the_limit_is_an_error_for_its_week_and_a_warning_for_others(sample, cli):
    later = sample.root / "posts/2026-10-21-next-week.md"
    later.write_text("---\ntitle: Next week\ndate: 2026-10-21\n---\n\nA post of the next week.\n", "utf-8")
    (sample.posts / "2026-10-21-next-week.social.yaml").write_text(
        "x:\n  teaser: " + "word " * 57 + "\n", "utf-8"
    )
    message = (
        "posts/2026-10-21-next-week.social.yaml:2: the X teaser is 284 of 280 as X counts it; shorten it"
    )
    own = cli("--project", sample.root, "build", "--week", "2026-W43")
    assert own.exit_code == 1 and f"{message}\n" in own.stderr
    other = cli("--project", sample.root, "build", "--week", WEEK)
    assert other.exit_code == 0, other.output
    assert (
        f"{message.replace(': the X', ': warning: the X')} (a post of 2026-W43, not in this issue)\n"
        in other.stderr
    )


def test_the_loader_never_takes_a_social_file_for_a_post(sample, cli):
    _social(sample, "x:\n  teaser: Hi\n")
    listed = cli("--project", sample.root, "list")
    assert listed.exit_code == 0 and listed.stdout.count("\n") == 3  # the header and the two posts
    named = cli("--project", sample.root, "build", "--post", sample.root / SOCIAL)
    assert named.exit_code == 1
    assert f"{SOCIAL}: is the social file of {POST} (its edited captions), not a post: name the post, {POST}\n" \
        in named.stderr  # fmt: skip
    orphan = sample.posts / "2026-10-17-why-facial-muscle-need-movement.social.yaml"
    (sample.root / SOCIAL).rename(orphan)
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 0
    assert ("posts/2026-10-17-why-facial-muscle-need-movement.social.yaml: warning: no post "
            "2026-10-17-why-facial-muscle-need-movement.md beside it, so its captions are not used; rename it "
            "2026-10-17-why-facial-muscles-need-movement.social.yaml\n") in result.stderr  # fmt: skip


def test_a_social_file_linking_out_of_the_project_is_not_followed(sample, cli, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-outside.social.yaml"
    outside.write_text("x:\n  teaser: Words from outside\n", encoding="utf-8")
    (sample.root / SOCIAL).symlink_to(outside)
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 0
    assert f"{SOCIAL}: warning: symbolic link to outside the project: not followed\n" in result.stderr
    assert _find(_captions(sample), "x", "teaser")["text"] != "Words from outside"


# newsletter social --edit POST -----------------------------------------------------------------------
def test_edit_writes_the_current_captions_and_a_build_of_them_changes_nothing(built, cli):
    sample = built  # built as `sample` is, once for the module
    before = (sample.build / WEEK / "captions.json").read_bytes()
    result = cli("--project", sample.root, "social", "--edit", SLUG)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {SOCIAL}: edit its captions; every build posts them as written\n"
    text = (sample.root / SOCIAL).read_text(encoding="utf-8")
    assert text.startswith(f'# The captions of "Why Facial Muscles Need Movement" ({POST}),\n')
    assert "\nx:  # X: 280 a post; a link counts 23, CJK characters and emoji 2\n  teaser: |-\n" in text
    assert "\nlinkedin:  # LinkedIn: 3,000; about 210 show before “see more”\n" in text
    assert "\n  thread:\n    - |-\n      Why Facial Muscles Need Movement\n\n      Beneath every" in text
    assert "1/7" not in text  # the build numbers the posts
    rebuilt = cli("--project", sample.root, "build")
    assert rebuilt.exit_code == 0 and " 0 written" in rebuilt.stdout, rebuilt.output
    assert (sample.build / WEEK / "captions.json").read_bytes() == before  # the same words: nothing edited


def test_edit_never_overwrites_a_social_file(sample, cli):
    path = _social(sample, "x:\n  teaser: My own words\n")
    result = cli("--project", sample.root, "social", "--edit", SLUG)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{SOCIAL}: already exists, and --edit never overwrites it (it holds the captions as edited): edit it, "
        f"or delete it and run 'newsletter social --edit {SLUG}' again to start over from the captions the "
        "article gives\n"
    )
    assert path.read_text(encoding="utf-8") == "x:\n  teaser: My own words\n"


def test_edit_of_some_platforms_and_kinds_and_of_a_draft(project, cli):
    project.post("2026-10-14-draft.md", "---\ntitle: Soon\ndate: 2026-10-14\ndraft: true\n---\n\n"
                 "An article that is not out yet, with enough words to make a caption.\n")  # fmt: skip
    result = cli(
        "--project", project.root, "social", "--edit", "draft", "--platform", "x", "--kind", "teaser"
    )
    assert result.exit_code == 0, result.output
    text = (project.posts / "2026-10-14-draft.social.yaml").read_text(encoding="utf-8")
    body = text.split("\n\nx:", 1)[1]
    assert body == (
        "  # X: 280 a post; a link counts 23, CJK characters and emoji 2\n  teaser: |-\n    Soon\n\n"
        "    An article that is not out yet, with enough words to make a caption.\n\n"
        "    Read more: https://viaskincare.com/blog/draft?utm_source=x&utm_medium=social&utm_campaign=weekly-2026-W42\n\n"
        "    #ViaSkincare\n"
    )
    usage = cli("--project", project.root, "social", "--edit", "draft", "--format", "json")
    assert usage.exit_code == 2
    assert (
        "--edit writes one post's social file: give no POST, --format, --out, --start or --date-format"
        in usage.stderr
    )


@pytest.mark.slow  # fifteen articles; the sample's case is in the fast loop
def test_edit_reads_back_to_the_same_words_on_every_corpus_article(project, cli):
    """Emoji, Japanese, Arabic, tables, a very long title: the file --edit writes is read back to the
    captions the article gives, so the captions made with it mark nothing edited (`social`: the same
    captions a build writes, without drawing 135 cards)."""
    corpus = Path(__file__).parent / "fixtures"
    for path in [*corpus.glob("corpus/*.md"), *corpus.glob("corpus-heldout/*.md")]:
        shutil.copy(path, project.posts)
        result = cli("--project", project.root, "social", "--edit", path.stem[11:])
        assert result.exit_code == 0, result.output
    assert len(list(project.posts.glob("*.social.yaml"))) == 15
    result = cli("--project", project.root, "social", "--format", "json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert len(made) > 300 and [c for c in made if c.get("edited")] == []


@pytest.mark.parametrize(
    "text",
    [
        "  starts with spaces",
        "ends with a line break\n",
        "tab\there",
        "#NotAComment",
        "- not a list",
        "a: not a key",
        '"quoted"',
        "line\n\n  indented\nlast",
        "é 日本 🌿",
    ],
)
def test_each_text_the_writer_writes_reads_back_the_same(text):
    from newsletter.content.socialfile import parse
    from newsletter.errors import Problems
    from newsletter.social.editfile import _scalar

    class Site:
        mastodon_max_characters = 500

    problems = Problems()
    edits = parse(f"x:\n  teaser: {_scalar(text, '    ')}\n".encode(), "x.social.yaml", Site(), problems)
    assert problems.items == []
    # read as a caption is: visible characters (a tab is a space), no white space around
    assert edits.of("x", "teaser").text == text.replace("\t", " ").strip()
