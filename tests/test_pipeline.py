"""One pipeline: every command loads, plans and reports through the same code, with no hidden state."""

from __future__ import annotations

import ast
import functools
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "newsletter"
WEEK = "2026-W42"


@pytest.mark.slow
def test_two_builds_in_one_process_see_a_template_change(sample, cli):
    """No cache outlives a run: the second build reads the edited stylesheet (one process, no pool)."""
    css = sample.own_template("email.css")  # the project's own stylesheet, edited between the builds
    assert cli("--project", sample.root, "build", "--jobs", "1").exit_code == 0
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


@pytest.mark.slow
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


@functools.cache
def _parsed(path: Path) -> ast.Module:
    """A file of the package, parsed once for this module's tests (they only walk the tree)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(path: Path) -> set[str]:
    """Every module of the package this file imports, at the top or inside a function."""
    module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(_parsed(path)):
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


@pytest.mark.slow
def test_no_import_cycles_in_the_package():
    graph = _graph()
    assert len(graph) > 20 and graph["newsletter.cli"], "the walk found the package's modules"
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])


@pytest.mark.slow
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


# The only process-wide caches of the package, each with why it holds no input of the user's. Whatever
# else a run remembers lives in the run's memo (newsletter/run/memo.py: `@per_run`, `run.memo.table`).
CACHES_ALLOWED = {
    "newsletter/email/headers.py:_invisible_pattern": "argument-free: a compiled pattern (regex imported late)",
    "newsletter/social/outputs.py:_drawing_digest": "argument-free: the digest of the package's drawing code",
    "newsletter/run/store.py:code_digest": "argument-free: the digest of the package's own source files",
    "newsletter/social/lines.py:_japanese": "argument-free: BudouX's shipped Japanese model",
    "newsletter/social/lines.py:_chinese": "argument-free: BudouX's shipped Chinese model",
    "newsletter/social/fonts.py:_system": "fontconfig's face for one of the package's scripts and roles: "
    "this machine's fonts, asked with no user text (32 entries at most)",
    "newsletter/social/fonts.py:_read_cmap": "a font file's character map by (path, size, mtime): the "
    "machine's and card_fonts' files, never text; bounded (32); the CJK collection's takes 0.25 s to read",
}
_CACHE_NAMES = {"lru_cache", "cache", "cached"}  # functools' and cachetools' memoising decorators


def _cache_uses(path: Path) -> list[tuple[str, int, bool]]:
    """(function, line, whether it takes arguments) for each function that a cache decorates or wraps
    (`@lru_cache(...)`, `@functools.cache`, `@cached(...)`, `lru_cache(maxsize=9)(f)`, `cache(f)`)."""
    tree = _parsed(path)
    names, modules = set(_CACHE_NAMES), {"functools", "cachetools"}
    for node in ast.walk(
        tree
    ):  # aliases: `from functools import lru_cache as memo`, `import functools as ft`
        if isinstance(node, ast.ImportFrom) and node.module in modules:
            names.update(a.asname or a.name for a in node.names if a.name in _CACHE_NAMES)
        elif isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name in modules)

    def is_cache(node: ast.expr) -> bool:
        node = node.func if isinstance(node, ast.Call) else node
        if isinstance(node, ast.Attribute):
            return node.attr in _CACHE_NAMES and isinstance(node.value, ast.Name) and node.value.id in modules
        return isinstance(node, ast.Name) and node.id in names

    def takes_arguments(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> bool:
        a = function.args
        return bool(a.posonlyargs or a.args or a.vararg or a.kwonlyargs or a.kwarg)

    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    uses, decorators = [], set()
    for function in functions.values():
        for decorator in function.decorator_list:
            decorators.add(id(decorator))
            if is_cache(decorator):
                uses.append((function.name, decorator.lineno, takes_arguments(function)))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in decorators or not node.args:
            continue
        if is_cache(node.func) if isinstance(node.func, ast.Call) else is_cache(node):
            wrapped = node.args[0]
            target = functions.get(wrapped.id) if isinstance(wrapped, ast.Name) else wrapped
            name = wrapped.id if isinstance(wrapped, ast.Name) else ast.unparse(wrapped)
            known = isinstance(target, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            uses.append((name, node.lineno, takes_arguments(target) if known else True))
    return uses


@pytest.mark.slow
def test_no_process_wide_cache_of_user_input():
    """A cache at module level outlives the run that filled it (the preview's process lives for hours)
    and keeps whatever text it was given: those that take arguments live in the run's memo instead."""
    found = {
        f"{path.relative_to(REPO).as_posix()}:{name}": (line, arguments)
        for path in sorted(PACKAGE.rglob("*.py"))
        for name, line, arguments in _cache_uses(path)
    }
    assert "newsletter/social/lines.py:_japanese" in found, "the walk finds the package's caches"
    refused = [
        f"{key.split(':')[0]}:{line}: {key.split(':')[1]} "
        + ("takes arguments: keep its answers in the run's memo (run/memo.py: @per_run)" if arguments
           else "is argument-free: name it in CACHES_ALLOWED with its reason")
        for key, (line, arguments) in found.items()
        if key not in CACHES_ALLOWED
    ]  # fmt: skip
    assert refused == []
    assert sorted(set(CACHES_ALLOWED) - set(found)) == [], "allowed caches that no longer exist"
    assert all(len(reason) > 20 for reason in CACHES_ALLOWED.values())


def test_the_cache_finder_finds_each_way_of_writing_a_cache(tmp_path):
    """The test above could pass on a finder that sees nothing: show it finds each form."""
    module = tmp_path / "caches.py"
    module.write_text(
        "import functools\nimport functools as ft\nfrom functools import lru_cache as remember\n"
        "from cachetools import cached\n\n"
        "@functools.lru_cache(32)\ndef a(text):\n    pass\n\n"
        "@ft.cache\ndef b():\n    pass\n\n"
        "@remember(maxsize=None)\ndef c(*args):\n    pass\n\n"
        "@cached({})\ndef d(key):\n    pass\n\n"
        "def e(text):\n    pass\n\n"
        "f = remember(maxsize=9)(e)\ng = functools.cache(lambda: 1)\n"
        "h = functools.cached_property(e)\n",
        encoding="utf-8",
    )
    assert sorted(_cache_uses(module)) == [
        ("a", 6, True),
        ("b", 10, False),
        ("c", 14, True),
        ("d", 18, True),
        ("e", 25, True),
        ("lambda: 1", 26, False),
    ]


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


@pytest.mark.slow
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
    assert built == {".newsletter-cache.json", ".newsletter-captions", ".newsletter.lock", WEEK, "index.html",
                     "feed.xml"}  # fmt: skip


def test_a_loaded_post_with_an_emoji_is_held_in_about_its_utf8_size(sample):
    """A build's parent holds every parsed post of the archive until its last issue is rendered, and one
    emoji makes a `str` four bytes a character: a post's Markdown and HTML are kept as UTF-8 and its
    file's bytes are let go once it is parsed (4,000 posts: peak memory 648 → 404 MB, the big row of
    tests/benchmarks/run.py). Held as str, this post took about 10 times its file."""
    import dataclasses
    import sys

    from newsletter.content.posts import load
    from newsletter.content.settings import load_settings
    from newsletter.errors import Problems

    words = " ".join(f"word{n}" for n in range(3000))
    (sample.root / "posts" / "2026-10-15-long.md").write_text(
        f'---\ntitle: "Long ✨"\ndate: 2026-10-15\nsummary: "A long one."\n---\n\n{words} 🌿\n\n- a\n- b\n',
        encoding="utf-8",
    )
    size = (sample.root / "posts" / "2026-10-15-long.md").stat().st_size
    library = load(load_settings(sample.root), Problems())
    post = library.parsed["posts/2026-10-15-long.md"]
    held = sum(sys.getsizeof(getattr(post, f.name)) for f in dataclasses.fields(post))
    held += sys.getsizeof(library.sources[post.source].raw)
    assert held < 2 * size, (held, size)
    assert (
        post.body.lstrip().startswith("word0 word1")
        and "🌿" in post.html
        and post.html.startswith("<p>word0")
    )
