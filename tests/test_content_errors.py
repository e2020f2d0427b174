"""Bad front matter and bodies: exact messages with file:line, exit 1, no traceback, nothing written."""

from __future__ import annotations

import time

import pytest

FM = "---\n{}\n---\n\nBody text.\n"
CASES = [
    ("no front matter", "Just text\n",
     "1: no front matter: the file must start with a '---' line, then YAML, then '---'"),
    ("never closed", "---\ntitle: x\ndate: 2026-10-14\n\nbody\n",
     "1: front matter is never closed: add a '---' line after the YAML"),
    ("invalid yaml", FM.format("title: x\ndate: 2026-10-14\ntags: [a, b"),
     "4: invalid YAML at column 12: expected ',' or ']', but got '<stream end>'"),
    ("yaml list", FM.format("- a\n- b"),
     "2: front matter must be 'key: value' lines, got a YAML list or scalar"),
    ("yaml scalar", FM.format("just a string"),
     "2: front matter must be 'key: value' lines, got a YAML list or scalar"),
    ("python tag", FM.format("title: !!python/object/apply:os.system ['touch pwned']\ndate: 2026-10-14"),
     "2: invalid YAML at column 8: could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("month 13", FM.format("title: x\ndate: 2026-13-05"),
     "3: 'date' is not a real date: '2026-13-05'; check the month and day"),
    ("slashed date", FM.format("title: x\ndate: 17/10/2026"), "3: 'date' must be YYYY-MM-DD, got '17/10/2026'"),
    ("word date", FM.format("title: x\ndate: tomorrow"), "3: 'date' must be YYYY-MM-DD, got 'tomorrow'"),
    ("title no", FM.format("title: no\ndate: 2026-10-14"),
     "2: 'title' must be text, got no (YAML reads it as true/false): quote it: title: \"no\""),
    ("title octal", FM.format("title: 01234\ndate: 2026-10-14"),
     "2: 'title' must be text, got 01234 (YAML reads it as a number): quote it: title: \"01234\""),
    ("title float", FM.format("title: 1.10\ndate: 2026-10-14"),
     "2: 'title' must be text, got 1.10 (YAML reads it as a number): quote it: title: \"1.10\""),
    ("duplicate key", FM.format("title: x\ndate: 2026-10-14\ntitle: y"),
     "4: 'title' is given twice (first on line 2); keep one"),
    ("alias bomb", FM.format("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\ntitle: t\ndate: 2026-10-14"),
     "2: YAML anchors and aliases (&name, *name) are not allowed in front matter; write the value out"),
    ("missing title", FM.format("date: 2026-10-14"),
     "1: 'title' is required: add a line like title: \"...\" to the front matter"),
    ("empty date", FM.format("title: x\ndate:"), "3: 'date' is required: add a line like date: 2026-10-17"),
    ("header injection", FM.format('title: "Hi\\nBcc: x@y"\ndate: 2026-10-14'),
     "2: 'title' must be a single line, got a line break"),
    ("javascript cta", FM.format("title: x\ndate: 2026-10-14\ncta: {text: Go, url: 'javascript:alert(1)'}"),
     "4: 'cta.url' must be an absolute http(s) URL, got 'javascript:alert(1)'"),
    ("image traversal", FM.format("title: x\ndate: 2026-10-14\nimage: ../../.ssh/id_rsa\nimage_alt: key"),
     "4: 'image' must be an http(s) URL or a path on the site, got '../../.ssh/id_rsa'"),
    ("file image", FM.format("title: x\ndate: 2026-10-14\nimage: file:///etc/passwd\nimage_alt: pw"),
     "4: 'image' must be an http(s) URL or a path on the site, got 'file:///etc/passwd'"),
    ("image without alt", FM.format("title: x\ndate: 2026-10-14\nimage: https://x.com/a.png"),
     "4: 'image' needs 'image_alt': describe the picture for screen readers"),
    ("slug traversal", FM.format("title: x\ndate: 2026-10-14\nslug: ../x"),
     "4: 'slug' must be lowercase letters, digits and hyphens, got '../x'"),
    ("slug with slash", FM.format("title: x\ndate: 2026-10-14\nslug: a/b"),
     "4: 'slug' must be lowercase letters, digits and hyphens, got 'a/b'"),
    ("empty body", "---\ntitle: x\ndate: 2026-10-14\n---\n   \n\n",
     "5: the body is empty: write the article below the front matter"),
    ("front matter only", "---\ntitle: x\ndate: 2026-10-14\n---\n",
     "5: the body is empty: write the article below the front matter"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_front_matter_gets_exact_message(project, cli, text, expected):
    project.post("2026-10-14-bad.md", text)
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr == f"posts/2026-10-14-bad.md:{expected}\nAborted: 1 error found.\n"
    assert "Traceback" not in result.output
    assert not project.build.exists()


def test_python_tag_executes_nothing(project, cli):
    project.post("2026-10-14-bad.md", FM.format("title: !!python/object/apply:os.system ['touch pwned']"))
    cli("--project", project.root, "build")
    assert not (project.root / "pwned").exists()


def test_latin1_names_byte_offset(project, cli):
    project.raw_post("2026-10-14-latin.md", b"---\ntitle: caf\xe9\ndate: 2026-10-14\n---\nbody\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "posts/2026-10-14-latin.md:2: not UTF-8: byte 0xe9 at offset 14; save the file as UTF-8"
    )


def test_every_problem_is_reported_before_stopping(project, cli):
    project.post("2026-10-14-one.md", FM.format("title: no\ndate: tomorrow"))
    project.post("2026-10-15-two.md", "no front matter\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "posts/2026-10-14-one.md:2: 'title' must be text, got no (YAML reads it as true/false): quote it: title: \"no\"",
        "posts/2026-10-14-one.md:3: 'date' must be YYYY-MM-DD, got 'tomorrow'",
        "posts/2026-10-15-two.md:1: no front matter: the file must start with a '---' line, then YAML, then '---'",
        "Aborted: 3 errors found.",
    ]


def test_duplicate_slugs_name_both_files(project, cli):
    project.post("2026-10-14-same.md", FM.format("title: x\ndate: 2026-10-14"))
    project.post("2026-10-15-other.md", FM.format("title: y\ndate: 2026-10-15\nslug: Same".lower()))
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "posts/2026-10-15-other.md: slug 'same' is also used by posts/2026-10-14-same.md; "
        "give one a different slug"
    )


def test_unknown_key_warns_with_suggestion_and_strict_fails(project, cli):
    project.post("2026-10-14-typo.md", FM.format("titel: x\ntitle: x\ndate: 2026-10-14"))
    result = cli("--project", project.root, "build")
    assert result.exit_code == 0
    assert "posts/2026-10-14-typo.md:2: warning: unknown key 'titel': did you mean 'title'?" in result.stderr
    strict = cli("--project", project.root, "build", "--strict", "--out", project.root / "strict")
    assert strict.exit_code == 1
    assert "posts/2026-10-14-typo.md:2: unknown key 'titel': did you mean 'title'?" in strict.stderr


def test_alias_bomb_is_refused_fast(project, cli):
    layers = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    layers += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    project.post("2026-10-14-bomb.md", FM.format("\n".join(layers) + "\ntitle: t\ndate: 2026-10-14"))
    started = time.perf_counter()
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert "anchors and aliases" in result.stderr
    assert time.perf_counter() - started < 5  # a guard against hanging, not a speed measurement


def test_bad_input_keeps_earlier_build(project, cli):
    project.post("2026-10-14-good.md", FM.format("title: Good\ndate: 2026-10-14"))
    assert cli("--project", project.root, "build").exit_code == 0
    before = project.outputs()
    project.post("2026-10-15-bad.md", FM.format("title: x\ndate: 17 Oct"))
    assert cli("--project", project.root, "build").exit_code == 1
    assert project.outputs() == before
