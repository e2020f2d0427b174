"""Templates get data, not objects, and run in a sandbox with budgets (issue 19, items 2 and 3).

The attacks are one table: each goes into a copy of the sample project's templates/email.txt or
email.html and must give exit 1 with the exact `templates/FILE:LINE:` message, write nothing (outside
the project or in build/) and read nothing into any output. Every attack is rendered as the build
renders its template (the run's renderer, the build's context for that template, the same message a
build prints); one attack of each way a render stops also goes through `newsletter build`, which
shows that the command stops with that message and writes nothing. The render budget is lowered to 1 s for builds
(the real one is RENDER_SECONDS, 10 s) and to 0.25 s for a render of the attack alone, so the loops of
the table stop quickly.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, SETTINGS, TEMPLATES, plan_of
from markupsafe import Markup

from newsletter.content.settings import load_settings
from newsletter.email import limits, render
from newsletter.email.context import View, plain
from newsletter.email.render import Renderer
from newsletter.email.sandbox import Sandbox
from newsletter.errors import InputError
from newsletter.preview.server import start

SECRET = "SECRET-4b1d-read-from-outside"
BUDGET = 1.0  # low enough that the loops stop quickly, high enough for a real render on a loaded machine
ALONE = 0.25  # the budget of a render of the attack alone: nothing else renders under it
WEEK = "2026-W42"


@pytest.fixture
def site(tmp_path: Path, monkeypatch) -> Path:
    """The sample project in tmp_path/project, and tmp_path/outside holding a secret file."""
    root = tmp_path / "project"
    shutil.copytree(TEMPLATES, root / "templates")
    shutil.copytree(REPO / "posts", root / "posts")
    (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET, encoding="utf-8")
    monkeypatch.setattr(limits, "RENDER_SECONDS", BUDGET)
    return root


NO_SETTING = "'newsletter.content.settings.Settings object' has no attribute '{}'"
UNSAFE = "access to attribute '{}' of '{}' object is unsafe."
NOT_CALLABLE = (
    "{} cannot be called in a template; a template may call its macros, loop helpers, the built-in"
    " functions and filters, and the str, mapping and date methods the README lists (Security)"
)
TOO_SLOW = f"rendering took longer than {BUDGET:g} s; look for a loop that runs too long"
TOO_SLOW_ALONE = TOO_SLOW.replace(f" {BUDGET:g} s;", f" {ALONE:g} s;")
NO_WIDTH = "a width or count of {:,}; at most 1,000,000"
OUTPUT = "the output passed 2,000,000 characters"

# (id, template file, line 2 of it, the message). OUTSIDE is the folder outside the project.
ATTACKS = [
    # Reading, writing, listing: the paths of settings are not in the template's data.
    ("read", "email.txt", "{{ settings.templates_dir.joinpath('OUTSIDE/secret.txt').read_text() }}",
     NO_SETTING.format("templates_dir")),
    ("write", "email.txt", "{{ settings.build_dir.joinpath('OUTSIDE/pwned.pth').write_text('import os') }}",
     NO_SETTING.format("build_dir")),
    ("list", "email.txt", "{{ settings.root.iterdir() | list }}", NO_SETTING.format("root")),
    ("posts-dir", "email.html", "{{ settings.posts_dir.parent }}", NO_SETTING.format("posts_dir")),
    ("joinpath", "email.txt", "{% for item in posts %}{{ item.post.source.joinpath('x') }}{% endfor %}",
     "'str object' has no attribute 'joinpath'"),
    ("open", "email.txt", "{{ open('OUTSIDE/secret.txt').read() }}", "'open' is undefined"),
    ("Path", "email.txt", "{{ Path('OUTSIDE/secret.txt').read_text() }}", "'Path' is undefined"),
    ("os", "email.txt", "{{ os.popen('id').read() }}", "'os' is undefined"),
    ("import", "email.txt", "{% import 'os' as os %}{{ os.system('id') }}",
     "no template 'os' in templates/ or the package's"),
    ("include-outside", "email.txt", "{% include 'OUTSIDE/secret.txt' %}",
     "no template 'OUTSIDE/secret.txt' in templates/ or the package's"),
    ("include-parent", "email.html", "{% include '../../outside/secret.txt' %}",
     "no template '../../outside/secret.txt' in templates/ or the package's"),
    # Python's internals: no attribute starting with '_', on anything.
    ("class-chain", "email.txt", "{{ ''.__class__.__mro__[1].__subclasses__() }}", UNSAFE.format("__class__", "str")),
    ("subclasses", "email.txt", "{{ ().__class__.__base__.__subclasses__() }}", UNSAFE.format("__class__", "tuple")),
    ("cycler-globals", "email.txt", "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
     UNSAFE.format("__init__", "type")),
    ("lipsum-globals", "email.txt", "{{ lipsum.__globals__['os'] }}", UNSAFE.format("__globals__", "function")),
    ("range-globals", "email.txt", "{{ range.__globals__ }}", UNSAFE.format("__globals__", "function")),
    ("namespace", "email.txt", "{{ namespace.__init__.__globals__ }}", UNSAFE.format("__init__", "type")),
    ("namespace-private", "email.txt", "{% set ns = namespace() %}{{ ns._Namespace__attrs }}",
     UNSAFE.format("_Namespace__attrs", "Namespace")),
    ("self-globals", "email.html", "{{ self.__init__.__globals__ }}", UNSAFE.format("__init__", "TemplateReference")),
    ("self-context", "email.txt", "{{ self._TemplateReference__context }}",
     UNSAFE.format("_TemplateReference__context", "TemplateReference")),
    ("view-data", "email.txt", "{{ settings._data }}", UNSAFE.format("_data", "Settings")),
    ("attr-filter", "email.txt", "{{ settings | attr('__class__') }}", UNSAFE.format("__class__", "Settings")),
    ("map-attribute", "email.txt", "{{ posts | map(attribute='__class__') | list }}", UNSAFE.format("__class__", "dict")),
    ("format-attribute", "email.txt", "{{ '{0.__class__}'.format(settings) }}", UNSAFE.format("__class__", "Settings")),
    ("format-chain", "email.html", "{{ '{0.name.__class__.__mro__}'.format(settings) }}",
     UNSAFE.format("__class__", "str")),
    ("format-map", "email.txt", "{{ '{x.__class__}'.format_map({'x': 1}) }}", UNSAFE.format("__class__", "int")),
    ("date-tzinfo", "email.txt", "{% for item in posts %}{{ item.post.published.tzinfo }}{% endfor %}",
     UNSAFE.format("tzinfo", "datetime")),
    ("date-replace", "email.txt", "{% for item in posts %}{{ item.post.date.replace(year=1) }}{% endfor %}",
     UNSAFE.format("replace", "date")),
    # Calls outside the allow-list.
    ("encode", "email.txt", "{{ settings.name.encode() }}", NOT_CALLABLE.format("str.encode()")),
    ("fromkeys", "email.txt", "{{ dict.fromkeys('ab') }}", NOT_CALLABLE.format("dict.fromkeys()")),
    ("list-append", "email.txt", "{% set seen = [] %}{{ seen.append(1) }}", NOT_CALLABLE.format("list.append()")),
    ("mapping-update", "email.txt", "{{ settings.handles.update({}) }}", "'dict object' has no attribute 'update'"),
    # Time: loops over anything, not only range().
    ("nested-lists", "email.txt", "{% for a in [1] * 999999 %}{% for b in [1] * 999999 %}{% endfor %}{% endfor %}",
     TOO_SLOW),
    ("nested-strings", "email.html", "{% for a in 'x' * 999999 %}{% for b in 'x' * 999999 %}{% endfor %}{% endfor %}",
     TOO_SLOW),
    ("recursive-loop", "email.txt", "{% for x in [[1] * 999999] * 999999 recursive %}{{ loop(x) if x is iterable }}"
     "{% endfor %}", TOO_SLOW),
    ("map-filter", "email.txt", "{% for a in range(99999) %}{{ ([1] * 999999) | map('string') | join }}{% endfor %}",
     TOO_SLOW),
    # Numbers.
    ("power", "email.txt", "{{ (10 ** 1000) ** 1000 }}", "a number over 4,300 digits"),
    ("product", "email.txt", "{{ (10 ** 3000) * (10 ** 3000) }}", "a number over 4,300 digits"),
    # Huge strings: refused before they are made, or as the output passes its limit.
    ("repeat", "email.txt", "{{ 'x' * 10 ** 9 }}", "a repeated string or list over 1,000,000 items"),
    ("repeat-loop", "email.txt", "{% for i in range(100000) %}{{ 'x' * 999999 }}{% endfor %}", OUTPUT),
    ("repeat-loop-html", "email.html", "{% for i in range(100000) %}{{ 'x' * 999999 }}{% endfor %}", OUTPUT),
    ("macro-buffer", "email.txt",
     "{% macro m() %}{% for i in range(100000) %}{{ 'x' * 999999 }}{% endfor %}{% endmacro %}{{ m() }}", OUTPUT),
    ("filter-block", "email.txt",
     "{% for i in range(100000) %}{% filter center(999999) %}{% endfilter %}{% endfor %}", OUTPUT),
    ("center", "email.txt", "{{ '' | center(10 ** 8) }}", NO_WIDTH.format(10**8)),
    # One slow filter call: textwrap on a long word (the render budget is checked between calls)
    ("wordwrap-long", "email.txt", "{{ ('x' * 999999) | wordwrap(1) }}", "a string to wrap over 100,000 characters"),
    ("center-html", "email.html", "{{ '' | center(100000000) }}", NO_WIDTH.format(10**8)),
    ("str-center", "email.txt", "{{ ''.center(10 ** 8) }}", NO_WIDTH.format(10**8)),
    ("str-zfill", "email.txt", "{{ ''.zfill(10 ** 8) }}", NO_WIDTH.format(10**8)),
    ("format-width", "email.txt", "{{ '{:>100000000}'.format('x') }}", NO_WIDTH.format(10**8)),
    ("percent-width", "email.txt", "{{ '%100000000s' % 'x' }}", NO_WIDTH.format(10**8)),
    ("percent-star", "email.txt", "{{ '%*s' % (100000000, 'x') }}", "a '*' width in a % format; write the number"),
    ("format-filter", "email.txt", "{{ '%100000000s' | format('x') }}", NO_WIDTH.format(10**8)),
    ("indent", "email.txt", "{{ ('a\\n' * 499999) | indent(100) }}", "an indented string over 2,000,000 characters"),
    ("wordwrap", "email.txt", "{{ ('a ' * 40000) | wordwrap(1, wrapstring='x' * 40) }}",
     "a wrapped string over 2,000,000 characters"),
    ("truncate", "email.txt", "{{ 'abc' | truncate(10 ** 9) }}", NO_WIDTH.format(10**9)),
    ("batch", "email.txt", "{{ [1] | batch(10 ** 9, 0) | list }}", NO_WIDTH.format(10**9)),
    ("doubling-concat", "email.txt",
     "{% set ns = namespace(s='x' * 999999) %}{% for i in range(30) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "a joined string over 2,000,000 characters"),
    ("doubling-plus", "email.txt",
     "{% set ns = namespace(s='x' * 999999) %}{% for i in range(30) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
     "an added string or list over 1,000,000 items"),
    ("join", "email.txt", "{{ (['x' * 999999] * 1000) | join }}", "a joined string over 2,000,000 characters"),
    ("str-join", "email.txt", "{{ ''.join(['x' * 999999] * 1000) }}", "a joined string over 2,000,000 characters"),
    ("print-list", "email.txt", "{{ ['x' * 999999] * 1000 }}", "a value whose text is over 2,000,000 characters"),
    ("replace", "email.txt", "{{ ('x' * 999999) | replace('x', 'xxxxxxxxxx') }}",
     "a replaced string over 2,000,000 characters"),
    ("str-replace", "email.txt", "{{ ('x' * 999999).replace('x', 'xxxxxxxxxx') }}",
     "a replaced string over 2,000,000 characters"),
    ("sum-lists", "email.txt", "{{ ([[1]] * 100000) | sum(start=[]) }}", "sum adds numbers: its start must be a number"),
    ("lipsum", "email.txt", "{{ lipsum(10 ** 9) }}", "lipsum makes at most 100 paragraphs of at most 1,000 words"),
]  # fmt: skip


def _attack(site: Path, template: str, attack: str) -> Path:
    """The attack as line 2 of the project's `template`; returns the folder outside the project."""
    outside = site.parent / "outside"
    text = f"Start\n{attack}\nEnd\n".replace("OUTSIDE", str(outside))
    (site / "templates" / template).write_text(text, encoding="utf-8")
    return outside


@pytest.fixture(scope="module")
def _issue_store() -> dict:
    return {}


@pytest.fixture
def sample_issue(_issue_store, tmp_path_factory):
    """The sample's issue as a build renders it (planned once for this module; read only)."""
    if "issue" not in _issue_store:
        root = tmp_path_factory.mktemp("issue")
        shutil.copytree(REPO / "posts", root / "posts")
        (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
        _issue_store["issue"] = plan_of(root).issues[0].issue
    return _issue_store["issue"]


# The everyday loop's attacks: a few of each part of the table; every attack runs in the full suite.
FAST_ATTACKS = {"read", "write", "include-outside", "class-chain", "format-attribute", "date-tzinfo", "encode",
                "nested-lists", "power", "repeat-loop", "center", "join"}  # fmt: skip


@pytest.mark.parametrize(
    ("template", "attack", "message"),
    [
        pytest.param(*a[1:], id=a[0], marks=[] if a[0] in FAST_ATTACKS else [pytest.mark.slow])
        for a in ATTACKS
    ],
)
def test_a_template_attack_is_an_error_naming_its_line(
    tmp_path, sample_issue, template, attack, message, monkeypatch
):
    """The template rendered as the build renders it, with the build's context: its error is the
    message `build` prints (the build's own path: the test below). The project holds only the attacked
    template: the others come from the package, the same files as the sample's copies."""
    site = tmp_path / "project"
    (site / "templates").mkdir(parents=True)
    (site / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET, encoding="utf-8")
    outside = _attack(site, template, attack)
    monkeypatch.setattr(limits, "RENDER_SECONDS", ALONE)
    renderer = Renderer(load_settings(site))
    make = render.email_text if template == "email.txt" else render.email_html
    started = time.monotonic()
    with pytest.raises(InputError) as raised:
        make(sample_issue, renderer)
    said = raised.value.format_message() + "\n"
    assert said == (
        f"templates/{template}:2: {message.replace('OUTSIDE', str(outside)).replace(TOO_SLOW, TOO_SLOW_ALONE)}\n"
        "Aborted: 1 error found.\n"
    )
    assert time.monotonic() - started < 8  # the budget held (a loop runs for ever)
    assert [p.name for p in outside.iterdir()] == ["secret.txt"]  # nothing written outside
    assert SECRET not in said


# One attack of each way a render stops: a refusal raised in the template's code (in email.txt, rendered
# after email.html and its inlining), a missing template (in email.html), the time budget, and the
# output limit thrown into the template where it yielded. The other refusals of the table are raised as
# the first is (their messages: the test above).
THROUGH_BUILD = ["read", "include-parent", "nested-lists", "repeat-loop"]
FAST_THROUGH_BUILD = ["read", "include-parent"]  # the everyday loop's: one in email.txt, one in email.html


@pytest.mark.parametrize(
    ("template", "attack", "message"),
    [
        pytest.param(*a[1:], id=a[0], marks=[] if a[0] in FAST_THROUGH_BUILD else [pytest.mark.slow])
        for a in ATTACKS
        if a[0] in THROUGH_BUILD
    ],
)
def test_a_template_attack_stops_the_build_with_its_line_and_writes_nothing(
    site, cli, template, attack, message
):
    outside = _attack(site, template, attack)
    started = time.monotonic()
    result = cli("--project", site, "build")
    assert (result.exit_code, result.stderr) == (
        1,
        f"templates/{template}:2: {message.replace('OUTSIDE', str(outside))}\nAborted: 1 error found.\n",
    )
    assert time.monotonic() - started < 8  # the budget held (1 s here; a loop runs for ever)
    assert [p.name for p in outside.iterdir()] == ["secret.txt"]  # nothing written outside
    assert not (site / "build").exists()  # nothing written at all, so no output holds anything read
    assert SECRET not in result.output


def test_the_attacks_named_are_in_the_table():
    assert set(THROUGH_BUILD) | FAST_ATTACKS <= {a[0] for a in ATTACKS}


# What a template may use: the packaged templates use little of it; an author's template may use all.
ALLOWED = """\
{%- macro box(text) %}[{{ text }}{{ caller() }}]{% endmacro -%}
{% call box(settings.name | upper) %}!{% endcall %} {{ settings.domain }} {{ settings.hashtags | join(',') }}
{% for item in posts %}{{ loop.index }}/{{ loop.length }} {{ loop.cycle('odd', 'even') }} {{ item.post.title[:6] }}\
 {{ item.post.date.strftime('%d %b %Y') }} {{ item.post.date.isoformat() }} {{ item.post.published.year }}
{% endfor -%}
{% set ns = namespace(total=0) %}{% for n in range(1, 5) %}{% set ns.total = ns.total + n %}{% endfor -%}
{{ ns.total }} {{ '{:>5}|{:.2f}'.format('ab', 1 / 3) }} {{ '%s=%03d' | format('n', 7) }} {{ 'a,b'.split(',') }}\
 {{ ' x '.strip() }} {{ 'x'.center(5, '-') }} {{ settings.handles.get('nobody', 'none') }}\
 {{ dict(a=1).items() | list }} {{ issue.subject.startswith('Facial') }} {{ 2 ** 10 }} {{ 'ab' * 3 }}
{% set j = joiner(' + ') %}{% for tag in ['a', 'b'] %}{{ j() }}{{ tag }}{% endfor %} {{ self.extra() }}\
 {% block extra %}block{% endblock %} {{ rfc3339(issue.date) }}
{% for x in [1, [2, [3]]] recursive %}{% if x is iterable %}({{ loop(x) }}){% else %}{{ x }}{% endif %}{% endfor %}
"""


def test_a_template_may_use_macros_loops_filters_and_the_named_methods(site, sample_issue):
    """Rendered as the build renders email.txt (a build's own use of a project's template: test_brand)."""
    (site / "templates" / "email.txt").write_text(ALLOWED, encoding="utf-8")
    assert render.email_text(sample_issue, Renderer(load_settings(site))) == (
        "[VIA SKINCARE!] viaskincare.com ViaSkincare\n"
        "1/2 odd Facial 14 Oct 2026 2026-10-14 2026\n"
        "2/2 even Why Fa 17 Oct 2026 2026-10-17 2026\n"
        "10    ab|0.33 n=007 ['a', 'b'] x --x-- none [('a', 1)] True 1024 ababab\n"
        "a + b block block 2026-10-17T00:00:00-07:00\n"
        "1(2(3))\n"
    )


def test_a_template_reads_a_posts_body_and_html_as_text(site, sample_issue):
    """Kept as UTF-8 (a build's parent holds thousands of posts), given to templates as the text they were."""
    (site / "templates" / "email.txt").write_text(
        "{% for item in posts %}{{ item.post.body.split()[0] }}|{{ item.post.html[:3] }}|"
        "{{ item.post.body_data is defined }}{{ item.post.html_data is defined }}\n{% endfor %}",
        encoding="utf-8",
    )
    expected = "".join(f"{p.body.split()[0]}|<p>|FalseFalse\n" for p in sample_issue.posts)
    assert render.email_text(sample_issue, Renderer(load_settings(site))) == expected
    (site / "templates" / "email.txt").write_text(
        "{{ posts[0].post | attr('title') }}|{{ posts | map(attribute='post.slug') | join(',') }}|"
        "{{ posts[0].post | attr('body') | wordcount > 0 }}|{{ posts[0].post | attr('nothing') is defined }}",
        encoding="utf-8",
    )
    first = sample_issue.posts[0]
    slugs = ",".join(p.slug for p in sample_issue.posts)
    assert (
        render.email_text(sample_issue, Renderer(load_settings(site)))
        == f"{first.title}|{slugs}|True|False\n"
    )
    # in the places they always had: a template that lists a post's keys lists the same ones
    (site / "templates" / "email.txt").write_text("{{ posts[0].post | list | join(',') }}", encoding="utf-8")
    assert render.email_text(sample_issue, Renderer(load_settings(site))) == (
        "source,slug,title,date,published,author,summary,tags,image,image_alt,cta,highlights,lead,quote,"
        "draft,social,body,body_line,html,url,image_width,image_height,images\n"
    )
    assert all(isinstance(p.body, str) and p.html.startswith("<p>") for p in sample_issue.posts)


def test_an_extended_template_may_call_super(site, sample_issue):
    (site / "templates" / "base.txt").write_text("{% block body %}base{% endblock %}\n", encoding="utf-8")
    (site / "templates" / "email.txt").write_text(
        "{% extends 'base.txt' %}{% block body %}{{ super() }} and {{ issue.week }}{% endblock %}",
        encoding="utf-8",
    )
    assert render.email_text(sample_issue, Renderer(load_settings(site))) == "base and 2026-W42\n"


@pytest.mark.slow  # a second of the budget spent in each worker
def test_the_budget_holds_in_pool_workers(site, cli):
    (site / "posts" / "2026-11-02-later.md").write_text(
        "---\ntitle: A later post\ndate: 2026-11-02\n---\n\nA later body.\n", encoding="utf-8"
    )
    (site / "templates" / "email.txt").write_text(
        "Start\n{% for a in [1] * 999999 %}{% for b in [1] * 999999 %}{% endfor %}{% endfor %}\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    result = cli("--project", site, "build", "--all", "--jobs", "2")
    # Each issue's worker reports it (the same line once per week, as for any template error).
    *problems, summary = result.stderr.splitlines()
    assert (result.exit_code, set(problems)) == (1, {f"templates/email.txt:2: {TOO_SLOW}"})
    assert summary.startswith("Aborted:")
    assert time.monotonic() - started < 8


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


@pytest.mark.slow  # a second of the budget spent in each of the server's threads
def test_the_budget_holds_in_the_previews_server_threads(site, monkeypatch):
    """Pages render in the server's threads, at the same time: each render has its own clock, and a
    template that runs for ever shows its error instead of holding the thread."""
    seen = _record_contexts(monkeypatch)
    (site / "templates" / "preview" / "home.html").write_text(
        "{% extends 'preview/base.html' %}{% block main %}\n"
        "{% for a in [1] * 999999 %}{% for b in [1] * 999999 %}{% endfor %}{% endfor %}{% endblock %}\n",
        encoding="utf-8",
    )
    running = start(site, "127.0.0.1", 0, lambda text, error: None)
    serving = threading.Thread(
        target=running.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    serving.start()
    try:
        pages: dict[str, str] = {}
        paths = ["/", "/", f"/issue/{WEEK}/", "/social/why-facial-muscles-need-movement/"]
        started = time.monotonic()
        readers = [
            threading.Thread(target=lambda i=i, p=p: pages.__setitem__(i, _get(running.url.rstrip("/") + p)))
            for i, p in enumerate(paths)
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(30)
        assert time.monotonic() - started < 8
    finally:
        running.server.shutdown()
        running.close()
    for home in (pages[0], pages[1]):
        assert f"templates/preview/home.html:2: {TOO_SLOW}" in home
    assert "Plain-text part" in pages[2] and "captions" in pages[3]
    assert {"preview/home.html", "preview/issue.html", "preview/social.html"} <= {n for n, _ in seen}
    assert all(_only_data(context) for _, context in seen)


def _record_contexts(monkeypatch) -> list[tuple[str, dict]]:
    """Every (template, context) the sandbox renders from now on."""
    seen: list[tuple[str, dict]] = []
    rendering = Sandbox.render

    def recording(env: Sandbox, name: str, context: dict, seconds: float) -> str:
        seen.append((name, context))
        return rendering(env, name, context, seconds)

    monkeypatch.setattr(Sandbox, "render", recording)
    return seen


def _only_data(value) -> bool:
    """Whether `value` holds nothing but template data, all the way down."""
    if isinstance(value, str | bool | int | float | dt.date | dt.time | type(None)):
        return True
    if isinstance(value, tuple):
        return all(_only_data(v) for v in value)
    if isinstance(value, View | dict):
        return all(isinstance(k, str) and _only_data(v) for k, v in value.items())
    return False


@pytest.mark.slow
def test_every_template_of_a_build_gets_only_data(site, cli, monkeypatch):
    seen = _record_contexts(monkeypatch)
    assert cli("--project", site, "build", "--jobs", "1").exit_code == 0
    assert {"email.html", "email.txt", "index.html", "feed.xml", "social/teaser.txt"} <= {n for n, _ in seen}
    assert all(_only_data(context) for _, context in seen)


def test_settings_become_a_read_only_view_without_paths(site):
    settings = load_settings(site)
    data = plain(settings)
    assert isinstance(data, View) and _only_data(data)
    assert {"root", "posts_dir", "templates_dir", "build_dir", "schedule"}.isdisjoint(data)
    assert (data["name"], data["domain"], data["hashtags"]) == (
        "Via Skincare",
        "viaskincare.com",
        ("ViaSkincare",),
    )
    with pytest.raises(TypeError):
        data["name"] = "x"  # type: ignore[index]
    assert type(plain(Markup("<b>"))) is Markup and plain([1, "a"]) == (1, "a")


def test_an_object_that_is_not_data_is_our_bug_not_the_templates(site):
    renderer = Renderer(load_settings(site))
    with pytest.raises(TypeError, match="a template may be given only plain data, not PosixPath"):
        renderer.render("email.txt", issue=site)


def test_the_real_budget_is_ten_seconds():
    assert limits.RENDER_SECONDS == 10.0  # the `site` fixture lowers it for its tests only


def test_the_same_broken_template_in_two_projects_names_each_ones_line(tmp_path, cli):
    """Each project's template error is its own `file:line`, however the template's code was made (the
    suite keeps Jinja's generated code by source: tests/conftest.py; Python's compile names the file)."""
    from conftest import GOOD_POST, Project

    for name in ("a", "b"):
        project = Project(tmp_path / name)
        project.posts.mkdir(parents=True)
        project.settings()
        project.post("2026-10-14-a.md", GOOD_POST)
        template = project.own_template("email.txt")
        template.write_text(
            "{{ settings.name }}\n{{ 1 // (settings.name | length - 12) }}\n", encoding="utf-8"
        )
        result = cli("--project", project.root, "build")
        assert (result.exit_code, result.stderr) == (
            1,
            "templates/email.txt:2: template error: ZeroDivisionError: integer division or modulo by "
            "zero\nAborted: 1 error found.\n",
        ), name
