"""One pipeline: every command loads, plans and reports through the same code, with no hidden state."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "newsletter"
WEEK = "2026-W42"


def test_two_builds_in_one_process_see_a_template_change(sample, cli):
    """No cache outlives a run: the second build reads the edited stylesheet (one process, no pool)."""
    assert cli("--project", sample.root, "build", "--jobs", "1").exit_code == 0
    css = sample.root / "templates" / "email.css"
    text = css.read_text(encoding="utf-8")
    # The title's size: a literal of the stylesheet (its colours come from the brand's palette).
    assert "font-size: 28px; line-height: 34px" in text
    css.write_text(text.replace("font-size: 28px; line-height: 34px", "font-size: 29px; line-height: 34px"),
                   encoding="utf-8")  # fmt: skip
    result = cli("--project", sample.root, "build", "--jobs", "1")
    assert result.exit_code == 0
    assert " 0 written" not in result.stdout
    assert "font-size:29px" in (sample.build / WEEK / "email.html").read_text(encoding="utf-8")


def _both(project, cli) -> tuple[tuple[int, list[str]], tuple[int, list[str]]]:
    """The error lines of `build` and of `check`, each with its exit code."""
    built = cli("--project", project.root, "build")
    checked = cli("--project", project.root, "check", "--format", "json")
    errors = [
        (f"{f['file']}:{f['line']}: " if f["line"] else f"{f['file']}: ") + f["message"]
        for f in json.loads(checked.stdout)["findings"]
        if f["severity"] == "error"
    ]
    lines = [
        line
        for line in built.stderr.splitlines()
        if not line.startswith("Aborted") and ": warning: " not in line
    ]
    return (built.exit_code, lines), (checked.exit_code, errors)


BAD = {
    "schedule": ("setup", "schedule = mon 9am\n"),
    "template": ("template", "fine\n{{ issue.subjekt }}\n"),
    "post": ("post", "---\ntitle: Bad\ndate: 2026-13-05\n---\n\nBody.\n"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_check_and_build_give_the_same_error_line_and_exit_code(sample, cli, case):
    kind, text = BAD[case]
    if kind == "setup":
        sample.settings(extra=text)
    elif kind == "template":
        (sample.root / "templates" / "email.txt").write_text(text, encoding="utf-8")
    else:
        sample.post("2026-10-15-bad.md", text)
    (build_code, build_lines), (check_code, check_lines) = _both(sample, cli)
    assert build_code == check_code == 1
    assert build_lines and build_lines == check_lines
    expected = {
        "schedule": "setup.cfg:15: [newsletter] schedule: expected slots like 'mon 09:00, thu 18:30', got 'mon 9am'",
        "template": "templates/email.txt:2: 'newsletter.content.issue.Issue object' has no attribute 'subjekt'",
        "post": "posts/2026-10-15-bad.md:3: 'date' is not a real date: '2026-13-05'; check the month and day",
    }[case]
    assert build_lines == [expected]


def _imports(path: Path) -> set[str]:
    """Every module of the package this file imports, at the top or inside a function."""
    module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("newsletter"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if base.startswith("newsletter"):
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): p
        for p in PACKAGE.rglob("*.py")
    }
    graph = {}
    for name, path in modules.items():
        # "from . import x" names a module; "from .x import y" names x (y is an attribute)
        graph[name] = {m for m in _imports(path) if m in modules and m != name and m != "newsletter"}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_in_the_package():
    graph = _graph()
    assert len(graph) > 20 and graph["newsletter.cli"], "the walk found the package's modules"
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path):
    """The test above could pass on a finder that sees nothing: show it catches a lazy import."""
    graph = _graph()
    graph["newsletter.content.settings"] = graph["newsletter.content.settings"] | {"newsletter.run.build"}
    assert _cycle(graph) is not None
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def f():\n    from newsletter.run import build\n", encoding="utf-8")
    assert "newsletter.run.build" in _imports_outside(lazy)


def _imports_outside(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_every_command_loads_posts_through_the_one_loader():
    """read → parse → slugs → sort happens in content.load only."""
    callers = {
        p.relative_to(REPO).as_posix()
        for p in PACKAGE.rglob("*.py")
        if "read_sources(" in p.read_text(encoding="utf-8")
        or "list_sources(" in p.read_text(encoding="utf-8")
    }
    # The importer reads the posts' front matter only, through the one reader, to find their `source:`.
    assert callers == {
        "newsletter/content/posts.py",
        "newsletter/content/reader.py",
        "newsletter/importer/write.py",
    }


def test_compiled_templates_are_kept_outside_the_build_folder(sample, cli):
    """Compiled templates are loaded as code: they are kept in Jinja's per-user 0700 folder, never in
    build/, which may come back from a CI cache or a shared drive (a planted file there ran code)."""
    import os
    import stat

    from newsletter.email.render import bytecode_cache

    assert cli("--project", sample.root, "build").exit_code == 0
    cache = bytecode_cache()
    assert cache is not None
    folder = Path(cache.directory)
    assert not folder.is_relative_to(sample.root)
    info = folder.stat()
    assert info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o700
    assert any(p.name.startswith("__newsletter_") for p in folder.iterdir())  # the build filled it
    built = {p.relative_to(sample.build).parts[0] for p in sample.build.rglob("*")}
    assert built == {".newsletter-cache.json", ".newsletter.lock", WEEK, "index.html", "feed.xml"}
