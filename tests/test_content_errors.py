"""Bad inputs beyond one file (tests/test_bad_inputs.py has the one-file fixtures): several files,
warnings vs --strict, speed guards, and that a failed build keeps the previous one."""

from __future__ import annotations

import time

FM = "---\n{}\n---\n\nBody text.\n"


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
