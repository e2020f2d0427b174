"""The one seam around premailer: CSS inlined with the network off, merge tags kept byte-identical."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import re
import sys
import types
from dataclasses import dataclass

from newsletter.run import memo
from newsletter.urls import MERGE_TAG

log = logging.getLogger("newsletter.inline")
# A library logs; the command line decides what to show. The package's one logger gets its NullHandler
# here, where logging is imported anyway, so that `import newsletter` does not import logging (~5 ms).
logging.getLogger("newsletter").addHandler(logging.NullHandler())
# Stylesheet links and @import would make premailer (or cssutils) fetch over the network.
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.I | re.S)
# A CSS at-keyword, escapes included: '@\import' and '@\69 mport' are '@import' to a CSS tokenizer.
_AT_KEYWORD = re.compile(r"@((?:[A-Za-z0-9_-]|\\[0-9A-Fa-f]{1,6}[ \t\n\r\f]?|\\[^\n\r\f0-9A-Fa-f])+)")
_CSS_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{1,6})[ \t\n\r\f]?|\\(.)", re.S)
_RULE_REST = re.compile(r"""(?:"[^"]*"|'[^']*'|[^;"'{}])*;?""")


def strip_remote_css(html: str) -> str:
    """<link> tags anywhere, and every at-rule in a <style> whose unescaped name is 'import'."""
    return _STYLE.sub(lambda m: m.group(1) + strip_imports(m.group(2)) + m.group(3), _LINK.sub("", html))


def strip_imports(css: str) -> str:
    out, at = [], 0
    for match in _AT_KEYWORD.finditer(css):
        if match.start() < at or _css_unescape(match.group(1)).lower() != "import":
            continue
        out.append(css[at : match.start()])
        at = _RULE_REST.match(css, match.end()).end()  # type: ignore[union-attr]
    return "".join(out) + css[at:]


def _css_unescape(ident: str) -> str:
    def one(match: re.Match) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return match.group(2)

    return _CSS_ESCAPE.sub(one, ident)


class _DeferredRequests(types.ModuleType):
    """Stands in for `requests` until something uses it; then the real module is imported."""

    def __getattr__(self, name: str):
        sys.modules.pop("requests", None)
        real = importlib.import_module("requests")
        return getattr(real, name)


def _defer_requests() -> None:
    """premailer imports requests (~90 ms) only to fetch remote CSS, which this project never allows.
    (importlib's LazyLoader does not help: the import statement itself touches __spec__ and loads it.)"""
    if "requests" not in sys.modules:
        sys.modules["requests"] = _DeferredRequests("requests")


_INLINER: type | None = None


def _inliner() -> type:
    """premailer's Premailer, with the rules of a stylesheet parsed once per run (in the run's memo,
    run/memo.py, never at module level: the CSS is the project's templates'): every issue of a build
    has the same template CSS, and cssutils parsing and re-printing it was a third of the time premailer
    took per issue. premailer still does all the inlining (selectors, specificity, merging)."""
    global _INLINER
    if _INLINER is None:
        _defer_requests()
        from premailer import Premailer  # lazy: lxml + cssutils cost ~130 ms at import

        from newsletter.run import store

        _unvalidated_inline_styles()
        # What a parse depends on besides its arguments: the two libraries and this package's code
        # (this seam around them), as the kept captions' key names them.
        made_by = [store.installed(("premailer", "cssutils")), store.code_digest()]

        class CachedRules(Premailer):
            def _parse_style_rules(self, css_body, ruleset_index):
                run_memo = memo.current()
                if run_memo is None:  # outside a run: nothing is kept
                    return super()._parse_style_rules(css_body, ruleset_index)
                asked = [*made_by, css_body, ruleset_index, self.strip_important, self.exclude_pseudoclasses,
                         self.include_star_selectors, self.disable_validation]  # fmt: skip
                key = hashlib.sha256(json.dumps(asked).encode()).hexdigest()
                table = run_memo.table(memo.STYLESHEETS, 32)  # a preview session with many template edits
                if key not in table and (kept := run_memo.table(memo.KEPT_STYLESHEETS).pop(key, None)):
                    table[key] = kept
                    self.kept = [*getattr(self, "kept", []), key]
                if key not in table:
                    table[key] = super()._parse_style_rules(css_body, ruleset_index)
                rules, leftover = table[key]
                return list(rules), list(leftover)  # premailer extends and sorts what it gets

        _INLINER = CachedRules
    return _INLINER


def _unvalidated_inline_styles() -> None:
    """premailer parses an element's own style attribute with cssutils' validation on, whatever
    `disable_validation` says (merge_style.merge_styles calls csstext_to_pairs without it). Validation
    only logs (the parsed properties are the same), and each property name it meets first compiles
    cssutils' lazily compiled value grammar: 10-20 ms of the first email of every process
    (tests/benchmarks/bench_inline.py). The call goes to the same function with validation off."""
    from premailer import merge_style

    parse = merge_style.csstext_to_pairs
    if getattr(parse, "unvalidated", False):
        return

    def unvalidated(csstext: str, validate: bool = True) -> list:
        return parse(csstext, validate=False)

    unvalidated.unvalidated = True  # type: ignore[attr-defined]
    unvalidated._lock = parse._lock  # type: ignore[attr-defined]  # csstext_to_pairs reads its own lock
    merge_style.csstext_to_pairs = unvalidated
    _unvalidated_image_floats()


class _StylesUnvalidated(types.ModuleType):
    """cssutils as premailer's transform sees it, but for `parseStyle`, which parses without validation."""

    def __init__(self, real: types.ModuleType):
        super().__init__(real.__name__)
        self._real = real

    def parseStyle(self, csstext: str, *args, **kwargs):
        return self._real.parseStyle(csstext, *args, **{**kwargs, "validate": False})

    def __getattr__(self, name: str):
        return getattr(self._real, name)


def _unvalidated_image_floats() -> None:
    """premailer's transform reads every `<img style>` with `cssutils.parseStyle` to give a floated
    image Outlook's `align` (align_floating_images), validating as it goes: in an email with pictures
    that compiled the same value grammar again, 60-120 ms of the first email of every process. Only
    that call is changed (premailer's module sees cssutils through this wrapper); the float read, and
    so the email, are the same (tests/benchmarks/bench_inline.py)."""
    from premailer import premailer

    if not isinstance(premailer.cssutils, _StylesUnvalidated):
        premailer.cssutils = _StylesUnvalidated(premailer.cssutils)


@dataclass(frozen=True)
class Prepared:
    """What premailer is given (`html`: no remote CSS, no @media rules, merge tags swapped for inert
    tokens) and what goes back around its output (email/bound.py measures the same input)."""

    html: str
    media: str  # the @media rules, put back as written in one <style> in the head
    tags: list[str]
    token: str

    def finish(self, printed: str) -> str:
        """premailer's output (or bound.py's stand-in) with the merge tags and @media rules back."""
        restored = _restore_merge_tags(printed, self.tags, self.token)
        if not self.media:
            return restored
        return restored.replace("</head>", f"<style>\n{self.media}</style>\n</head>", 1)


def prepare(html: str) -> Prepared:
    html, media = _take_media_rules(strip_remote_css(html))
    protected, tags, token = _protect_merge_tags(html)
    return Prepared(protected, media, tags, token)


def inline_css(html: str) -> str:
    """Inline the <style> rules; @media rules stay in the head (the template marks them !important)."""
    prepared = prepare(html)
    inliner = _inliner()(
        prepared.html,
        allow_network=False,
        allow_loading_external_files=False,
        disable_validation=True,
        remove_classes=False,
        keep_style_tags=False,
        strip_important=False,
        # Outlook reads width/height attributes, not CSS: keep the template's numbers, never "100%"/"auto".
        disable_basic_attributes=["width", "height"],
        cssutils_logging_handler=_handler(),
        cssutils_logging_level=logging.ERROR,
    )
    try:
        return prepared.finish(inliner.transform(pretty_print=False))
    except Exception:
        # A parse the last build kept (build/ is data this build trusts) that premailer cannot apply
        # (a hand-edited manifest): parsed afresh and inlined again; anything else is premailer's own.
        kept, run_memo = getattr(inliner, "kept", []), memo.current()
        if not kept or run_memo is None:
            raise
        for key in kept:
            run_memo.table(memo.STYLESHEETS).pop(key, None)
        return inline_css(html)


_MEDIA = re.compile(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*\s*\}\s*")


def _take_media_rules(html: str) -> tuple[str, str]:
    """@media rules cannot be inlined: keep them out of premailer (cssutils parses slowly and rewrites
    them) and put them back, as written, in one <style> in the head."""
    media: list[str] = []

    def take(match: re.Match) -> str:
        media.append(match.group(0).strip() + "\n")
        return ""

    def style(match: re.Match) -> str:
        return match.group(1) + _MEDIA.sub(take, match.group(2)) + match.group(3)

    html = re.sub(r"(<style[^>]*>)(.*?)(</style>)", style, html, flags=re.S | re.I)
    return html, "".join(media)


def _protect_merge_tags(html: str) -> tuple[str, list[str], str]:
    """lxml URL-escapes '|', '{' and spaces in href; swap merge tags for inert tokens, then back.
    The token's stem is one the page does not contain, so prose that happens to hold 'nlmergetag0x'
    is never taken for a token (and the output stays deterministic)."""
    tags: list[str] = []
    stem = "nlmergetag"
    while stem.lower() in html.lower():
        stem += "q"

    def swap(match: re.Match) -> str:
        tags.append(match.group(0))
        return f"{stem}{len(tags) - 1}x"

    return MERGE_TAG.sub(swap, html), tags, stem


def _restore_merge_tags(html: str, tags: list[str], stem: str) -> str:
    return re.sub(rf"{stem}(\d+)x", lambda m: tags[int(m.group(1))], html)


class _Forward(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.log(record.levelno, "cssutils: %s", record.getMessage())


_FORWARD = _Forward()


def _handler() -> logging.Handler:
    """cssutils' messages go to our logger instead of stderr. One handler per process: premailer adds
    the one it is given to cssutils' logger for every email, and logging keeps a handler only once (a
    new one per email made every message print once per issue rendered, and grew a worker's memory)."""
    return _FORWARD
