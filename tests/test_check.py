"""`newsletter check`: every rule fires with its id, place and exit code; the sample is clean of errors."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, TEMPLATES

from newsletter.check.report import RULES, rules_markdown


def _long(n: int, paragraphs: int, day: str) -> str:
    words = " ".join(f"regeneration{n} collagen circulation fascia lymph" for _ in range(12))
    body = "\n\n".join(f"Paragraph {i} about massage: {words}." for i in range(paragraphs))
    return f"---\ntitle: Long {n}\ndate: {day}\n---\n\n{body}\n"


def _every_rule_project(project, tmp_path):
    p = project.post
    p(
        "2026-10-12-a.md",
        "---\ntitle: A title that goes on and on well past the sixty characters an inbox shows\n"
        "date: 2026-10-12\ntitel: typo\nsummary: " + "A long summary that runs on. " * 6 + "\n---\n\n"
        "Intro with a TODO left in.\n\n<script>alert(1)</script>\n\n![](/pic.png)\n\n"
        "[old](http://example.org/x) and [gone](https://viaskincare.com/blog/no-such-post)\n",
    )
    project.raw_post("2026-10-13-latin.md", b"---\ntitle: caf\xe9\ndate: 2026-10-13\n---\nx\n")
    p("2026-10-13-empty.md", "---\ntitle: Empty\ndate: 2026-10-13\n---\n\n")
    p("2026-10-13-dup.md", "---\ntitle: Dup\ndate: 2026-10-13\nslug: same\n---\n\nOne.\n")
    p("2026-10-14-dup.md", "---\ntitle: Dup 2\ndate: 2026-10-14\nslug: same\n---\n\nTwo.\n")
    p("2026-10-14-cta.md", "---\ntitle: CTA\ndate: 2026-10-14\ncta: {text: Book}\n---\n\nText.\n")
    p("2026-10-14-cta.social.yaml", "twiter:\n  teaser: Hi\n")
    p("2026-10-12-a.social.yaml", "linkedin:\n  teaser: https://viaskincare.com/blog/a?utm_source=x\n")
    p(
        "2026-10-15-override.md",
        '---\ntitle: Over\ndate: 2026-10-15\nsocial: {x: "' + "word " * 80 + '"}\n---\n\nText.\n',
    )
    outside = tmp_path.parent / f"{tmp_path.name}-outside.md"
    outside.write_text("---\ntitle: O\ndate: 2026-10-15\n---\n\nO.\n", encoding="utf-8")
    (project.posts / "2026-10-15-link.md").symlink_to(outside)
    for n in range(2):  # 2026-W40: between 90 and 102 KB
        p(f"2026-09-28-warn-{n}.md", _long(n, 54, "2026-09-28"))
    for n in range(12):  # 2026-W38: over 102 KB
        p(f"2026-09-14-clip-{n:02d}.md", _long(n, 30, "2026-09-14"))
    css = project.own_template("email.css")
    big = (
        "@media (max-width: 300px) {\n"
        + "".join(f"  .x{i} {{ color: #123456 !important; }}\n" for i in range(450))
        + "}\n"
    )
    css.write_text(css.read_text(encoding="utf-8") + ".grid { display: flex; }\n" + big, encoding="utf-8")
    html = project.own_template("email.html")
    html.write_text(html.read_text(encoding="utf-8").replace(
        '<td class="masthead">', '<td class="masthead"><img src="https://viaskincare.com/logo.png" alt="Logo">'),
        encoding="utf-8")  # fmt: skip


EXPECTED = {
    ("unknown-key", "posts/2026-10-12-a.md", 4),
    ("unfinished", "posts/2026-10-12-a.md", 8),
    ("sanitized", "posts/2026-10-12-a.md", 10),
    ("alt-missing", "posts/2026-10-12-a.md", 12),
    ("link-relative", "posts/2026-10-12-a.md", 12),
    ("link-insecure", "posts/2026-10-12-a.md", 14),
    ("link-unknown-post", "posts/2026-10-12-a.md", 14),
    ("encoding", "posts/2026-10-13-latin.md", 2),
    ("body-empty", "posts/2026-10-13-empty.md", 5),
    ("slug-duplicate", "posts/2026-10-14-dup.md", 0),
    ("cta-empty", "posts/2026-10-14-cta.md", 4),
    ("symlink", "posts/2026-10-15-link.md", 0),
    ("caption-limit", "posts/2026-10-15-override.md", 0),
    ("social-file", "posts/2026-10-14-cta.social.yaml", 1),
    ("caption-utm", "posts/2026-10-12-a.social.yaml", 2),
    ("subject-length", "issue 2026-W42", 0),
    ("preheader-length", "issue 2026-W42", 0),
    ("img-width", "issue 2026-W42", 0),
    ("size-warn", "2026-W40/email.html", 0),
    ("size-clip", "2026-W38/email.html", 0),
    ("style-size", "2026-W42/email.html", 0),
    # the line appended after the repository's stylesheet
    (
        "css-unsupported",
        "templates/email.css",
        len((TEMPLATES / "email.css").read_text().splitlines()) + 1,
    ),
}


@pytest.mark.slow  # an archive of fourteen long posts, over the size limits, checked twice
def test_every_rule_is_reported_with_id_place_and_exit_code(project, cli, tmp_path):
    _every_rule_project(project, tmp_path)
    result = cli("--project", project.root, "check", "--all", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    found = {(f["rule"], f["file"], f["line"]) for f in report["findings"]}
    assert found >= EXPECTED, EXPECTED - found
    for finding in report["findings"]:
        assert finding["severity"] == RULES[finding["rule"]].severity
        assert finding["fix"] == RULES[finding["rule"]].fix
    assert report["errors"] == sum(f["severity"] == "error" for f in report["findings"])
    assert not project.build.exists()

    # The text report: of the latest week only, whose posts hold the line below (the archive's long weeks
    # are rendered once, for the JSON report above).
    text = cli("--project", project.root, "check")
    assert text.exit_code == 1
    assert "posts/2026-10-12-a.md:14: warning[link-insecure]: insecure link 'http://example.org/x'\n" \
           "    fix: change http:// to https://\n" in text.stdout  # fmt: skip
    assert re.search(r"^\d+ errors, \d+ warnings\n\Z", text.stdout, re.M)


def _one_rule(project, cli):
    result = cli("--project", project.root, "check", "--format", "json")
    return result.exit_code, {
        (f["rule"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]
    }


def test_settings_rule(project, cli):
    project.settings(extra="accent_color = red\n")
    code, found = _one_rule(project, cli)
    assert code == 1 and found == {("settings", "setup.cfg", 15)}


def test_posts_dir_and_no_posts_rules(project, cli):
    code, found = _one_rule(project, cli)
    assert code == 1 and found == {("no-posts", "posts", 0)}
    project.posts.rmdir()
    code, found = _one_rule(project, cli)
    assert code == 1 and ("posts-dir", "posts", 0) in found


def test_front_matter_and_template_rules(project, cli):
    project.post("2026-10-14-a.md", "---\ntitle: A\ndate: 17 Oct\n---\n\nText.\n")
    project.post("2026-10-15-b.md", "---\ntitle: B\ndate: 2026-10-15\n---\n\nText.\n")
    (project.root / "templates" / "email.txt").write_text("{{ nope }}\n", encoding="utf-8")
    html = project.own_template("email.html")
    html.write_text(
        html.read_text(encoding="utf-8").replace("{% endfor %}", "{% endfor %}{% if %}", 1), encoding="utf-8"
    )
    code, found = _one_rule(project, cli)
    assert code == 1
    assert ("front-matter", "posts/2026-10-14-a.md", 3) in found
    assert any(rule == "template" and file == "templates/email.html" for rule, file, _ in found)


def test_sample_project_passes_check(sample, cli):
    result = cli("--project", sample.root, "check")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.endswith("0 errors, 1 warning\n")


@pytest.mark.slow
def test_strict_fails_on_warnings(sample, cli):
    assert cli("--project", sample.root, "check", "--strict").exit_code == 1


@pytest.mark.slow
def test_check_writes_nothing(sample, cli):
    cli("--project", sample.root, "check")
    assert not sample.build.exists()


def test_readme_lists_every_rule_generated_from_the_code(request):
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- rules:start -->\n", "<!-- rules:end -->"
    table = rules_markdown()
    if request.config.getoption("--update-golden"):
        head, rest = text.split(start)
        readme.write_text(head + start + table + end + rest.split(end, 1)[1], encoding="utf-8")
        return
    assert start + table + end in text, "README rules table is stale: run python -m pytest --update-golden"
