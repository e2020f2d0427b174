"""The run's renderer (a sandboxed Jinja environment) and everything rendered from templates: email HTML,
text part, index. Templates are the project's own code-like input: they get plain data
(newsletter.email.context), run in the sandbox of newsletter.email.sandbox (an allow-list) within the
budgets of newsletter.email.limits (time, output, sizes), and every mistake in them is a problem
naming the template file and line."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import jinja2.sandbox
from markupsafe import Markup

from newsletter.content.settings import LAYOUTS, Settings
from newsletter.content.settings import PACKAGED_TEMPLATES as PACKAGED
from newsletter.email import body as emailbody
from newsletter.email import limits, sandbox
from newsletter.email import text as plaintext
from newsletter.email.context import context as plain_context
from newsletter.email.context import plain
from newsletter.email.loader import TemplateLoader
from newsletter.email.sandbox import Sandbox as _Sandbox
from newsletter.errors import InputError, NewsletterError, Problem
from newsletter.site.archive import home, logo_of, rfc3339, web_url
from newsletter.urls import absolute, has_utm, is_allowed, with_utm, without_utm

if TYPE_CHECKING:
    from newsletter.content.issue import Issue
    from newsletter.content.posts import Post
    from newsletter.email.images import LocalImages

# Invisible filler after the preheader stops inbox previews from pulling in body text.
PREHEADER_FILLER = "&#8199;&#65279;&#847; " * 90


class Renderer:
    """Templates for one run: made per build, check, preview rebuild or export and passed down; templates
    are read when first used, so an edit is seen by the next run (no cache outlives a run)."""

    def __init__(self, settings: Settings, bytecode: bool = False):
        self.settings = settings
        env = _Sandbox(
            # The project's templates first; any it lacks come from the package (a fresh `init` has none).
            loader=TemplateLoader(settings),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "xml"), default_for_string=False),
            keep_trailing_newline=True,
            auto_reload=False,  # one run, one read of each template
            trim_blocks=True,
            lstrip_blocks=True,
        )
        if bytecode:
            env.bytecode_cache = bytecode_cache()
        env.add_filter("wrap", plaintext.wrap)
        env.globals["rfc3339"] = rfc3339
        self.env = env
        self.data = plain(settings)  # what templates see as `settings`: data, not the object

    def render(self, name: str, **context) -> str:
        """One template rendered from plain data (see newsletter.email.context); template mistakes,
        the sandbox's refusals and its limits raise a problem naming the template and line."""
        data = plain_context(context)
        try:
            return self.env.render(name, {"settings": self.data, **data}, limits.RENDER_SECONDS)
        except jinja2.TemplateSyntaxError as exc:
            raise self._problem(
                exc.name or name, exc.lineno, f"template syntax error: {exc.message}"
            ) from None
        except jinja2.TemplateNotFound as exc:
            where, line = self._frame(exc)  # an include or import of a template that is not there
            if where is not None and exc.name != name:
                raise self._problem(
                    where, line, f"no template '{exc.name}' in {self._folder()}/ or the package's"
                ) from None
            raise self._problem(
                str(exc.name or name), 0, "template not found; restore it from the project"
            ) from None
        except UnicodeDecodeError as exc:
            raise self._problem(name, 0, f"template is not UTF-8 (byte at offset {exc.start})") from None
        except Exception as exc:  # raised by template code: {{ 1/0 }}, recursion, the sandbox's limits
            where, line = self._frame(exc)
            if where is None:
                raise  # not the template's doing: a bug of ours keeps its traceback
            raise self._problem(where, line, _describe(exc)) from None

    def _problem(self, name: str, line: int, message: str) -> InputError:
        return InputError([Problem(self.origin(name), line, message, rule="template")])

    def origin(self, name: str) -> str:
        """Where a template comes from, as messages name it: the project's file, else the package's."""
        own = self.settings.templates_dir / name
        if own.is_file() or not (PACKAGED / name).is_file():
            return f"{self._folder()}/{name}"
        return f"newsletter/templates/{name} (packaged default)"

    def _folder(self) -> str:
        return self.settings.relative(self.settings.templates_dir)

    def _frame(self, exc: Exception) -> tuple[str | None, int]:
        """The innermost template frame of the traceback: Jinja rewrites it to the template's file and line."""
        folders = (str(self.settings.templates_dir) + "/", str(PACKAGED) + "/")
        found: tuple[str | None, int] = (None, 0)
        tb = exc.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            folder = next((f for f in folders if filename.startswith(f)), None)
            if folder is not None:
                found = (filename[len(folder) :], tb.tb_lineno)
            tb = tb.tb_next
        return found


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs: compiling the templates costs a process ~35 ms, loading
    them ~2 ms. They live in Jinja's per-user cache folder (`_jinja2-cache-UID` in the system's temp
    folder, which Jinja makes mode 0700 and refuses when someone else owns it), never in build/:
    compiled templates are loaded as code, and a build folder restored from a CI cache or a shared
    drive must not be able to run code. Jinja checks each entry against its template's source and its
    own and Python's versions; the file names also carry a digest of this module's and the sandbox's
    source, because the code Jinja generates depends on the environment made there (the sandbox's code
    generator and intercepted operators, trim settings), which Jinja's check does not cover."""
    tag = hashlib.sha256(
        Path(__file__).read_bytes() + Path(sandbox.__file__).read_bytes() + jinja2.__version__.encode()
    ).hexdigest()[:16]
    try:
        return jinja2.FileSystemBytecodeCache(pattern=f"__newsletter_{tag}_%s.cache")
    except (RuntimeError, OSError):  # no safe folder: compile as if there were no cache
        return None


def _describe(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "template calls itself without end (a recursive macro or include)"
    if isinstance(exc, jinja2.UndefinedError | jinja2.sandbox.SecurityError):
        return str(exc.message)
    return f"template error: {type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Links:
    """Makes every link absolute and tags the site's own links for one channel."""

    settings: Settings
    utm: tuple[tuple[str, str], ...]

    @classmethod
    def email(cls, settings: Settings, week: str) -> Links:
        utm = (
            ("utm_source", "newsletter"),
            ("utm_medium", "email"),
            ("utm_campaign", settings.campaign(week)),
        )
        return cls(settings, utm)

    def __call__(self, url: str) -> str:
        if not is_allowed(url):
            return ""
        made = absolute(url, self.settings.site_url)
        if made == self.settings.brand.subscribe_url and has_utm(made):
            return made  # the editor tagged the sign-up link in setup.cfg: their attribution, everywhere
        return with_utm(made, self.settings.site_url, dict(self.utm))

    def image(self, url: str) -> str:
        """An image's URL: absolute, never tagged for the campaign (an image is no landing page)."""
        if not is_allowed(url):
            return ""
        return without_utm(absolute(url, self.settings.site_url))

    def in_html(self, fragment: str) -> str:
        # Only real tags' href/src (prose that looks like one stays); a URL outside the allow-list loses
        # its attribute rather than keep an empty or unsafe one. src is an image's: no UTM.
        from newsletter.email.links import rewrite

        return rewrite(fragment, self, self.image)


def _intro(issue: Issue, renderer: Renderer):
    """The editor's note from the issue file, sanitised like an article body: its HTML and its tree."""
    if not issue.intro:
        return None
    from newsletter.content.markup import Converter

    rendered = Converter().render(issue.intro)
    if rendered.errors:
        line, message = rendered.errors[0]
        assert issue.file is not None
        raise InputError(
            [Problem(issue.file.source, issue.file.intro_line + line - 1, message, rule="issue-file")]
        )
    return rendered


def email_html(
    issue: Issue, renderer: Renderer, layout: str | None = None, local: LocalImages | None = None
) -> str:
    """The email before inlining; `layout` (full | digest) defaults to the issue file's, then the site's;
    `local`: the issue's local images (email.images), which its posts' references point at."""
    settings = renderer.settings
    links = Links.email(settings, issue.week)
    intro = _intro(issue, renderer)
    page = renderer.render(
        "email.html",
        issue=issue,
        posts=[_post_context(p, links, local.for_post(p.source) if local else {}) for p in issue.posts],
        preheader=issue.preheader,
        preheader_filler=Markup(PREHEADER_FILLER),
        layout=_layout(layout or issue.layout, settings),
        web_url=links(web_url(settings, issue.week)) if settings.archive_url else "",
        intro=Markup(emailbody.prepare(intro.html, "", _intro_images(issue, local))) if intro else "",
        button_text=settings.brand.palette.button_text,
        logo=logo_of(settings, issue.week),
        archive_home=home(settings) if settings.archive_url else "",  # the web copy's "All issues"
    )
    # Template links too (logo, CTA, footer): one pass over the page keeps the policy in one place.
    return links.in_html(page).replace("&apos;", "&#39;")


def _intro_images(issue: Issue, local: LocalImages | None) -> dict[str, tuple[str, int, int]]:
    """The intro's local images (email.images.intro): its copies in the issue folder, as a post's."""
    return local.for_post(issue.file.source) if local and issue.file else {}


def _layout(layout: str | None, settings: Settings) -> str:
    chosen = layout or settings.layout
    if chosen not in LAYOUTS:
        raise NewsletterError(f"layout must be one of {' | '.join(LAYOUTS)}, got '{chosen}'")
    return chosen


def _post_context(post: Post, links: Links, local: dict[str, tuple[str, int, int]]) -> dict:
    if post.image in local:  # a local hero: its copy in the issue folder, sized from the picture
        url, width, height = local[post.image]
        shown = post.image_width or width
        tall = post.image_height or round(height * shown / width)
        post = dataclasses.replace(post, image=url, image_width=shown, image_height=tall)
    return {
        "post": post,
        "url": links(post.url),
        "body": Markup(emailbody.prepare(post.html, post.title, local)),
        "dir": Markup(' dir="rtl"' if emailbody.reads_right_to_left(post.title) else ""),
        "hero_size": Markup(emailbody.image_size(post.image_width, post.image_height)),
        "cta_url": links(post.cta.url) if post.cta else "",
        "cta_width": _button_width(post.cta.text) if post.cta else 0,
        "more_width": _button_width("Read more"),
        # Every digest button says "Read more": screen readers get which article it opens.
        "more_label": f"Read more: {post.title}",
        "lead_image": _lead_image(post, local),
    }


def _lead_image(post: Post, local: dict[str, tuple[str, int, int]]) -> dict | None:
    """The digest's picture for an article without a hero: its first body image, sized as the body
    sizes it. A local one is its processed copy in the issue folder (the archive URL, the picture's
    own size, as the body shows it); any other src as written (the page's one link pass makes it
    absolute like the body's)."""
    if post.image:
        return None
    found = next(post.tree.iter("img"), None)
    if found is None or not found.get("src"):
        return None
    src = str(found.get("src"))
    width, height = (int(v) if (v := str(found.get(k, ""))).isdigit() else 0 for k in ("width", "height"))
    if src in local:
        src, natural, tall = local[src]
        width = width or natural  # a {width=N} the author gave wins, the height keeps the shape
        height = round(tall * width / natural)
    size = emailbody.image_size(width, height if width else 0)
    return {"src": src, "alt": found.get("alt", ""), "size": Markup(size)}


def _button_width(text: str) -> int:
    """VML buttons need a width: about 9 px a character of 16 px bold, plus the padding."""
    return max(200, 9 * len(text) + 48)


def email_text(issue: Issue, renderer: Renderer, layout: str | None = None) -> str:
    settings = renderer.settings
    links = Links.email(settings, issue.week)
    posts = [
        {"post": p, "url": links(p.url), "body": plaintext.render(p.tree, links),
         "cta_url": links(p.cta.url) if p.cta else ""}
        for p in issue.posts
    ]  # fmt: skip
    intro = _intro(issue, renderer)
    text = renderer.render(
        "email.txt", issue=issue, posts=posts, layout=_layout(layout or issue.layout, settings),
        web_url=links(web_url(settings, issue.week)) if settings.archive_url else "",
        intro=plaintext.render(intro.tree, links).rstrip("\n") if intro else "",
    )  # fmt: skip
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
