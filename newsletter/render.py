"""The Jinja environment and everything rendered from templates: email HTML, text part, index."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import colors, emailbody, plaintext
from .config import LAYOUTS, Settings
from .content import Post
from .errors import NewsletterError
from .issue import Issue
from .urls import absolute, is_allowed, with_utm

_ATTR_URL = re.compile(r'\b(href|src)="([^"]*)"')
# Invisible filler after the preheader stops inbox previews from pulling in body text.
PREHEADER_FILLER = "&#8199;&#65279;&#847; " * 90


@lru_cache(maxsize=8)
def environment(templates_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        keep_trailing_newline=True,
        auto_reload=False,  # one build, one read of each template; the preview starts a fresh environment
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["wrap"] = plaintext.wrap
    return env


def render_template(settings: Settings, name: str, **context) -> str:
    """Render one template; template mistakes become errors naming the template and line."""
    try:
        template = environment(settings.templates_dir).get_template(name)
        return template.render(settings=settings, **context)
    except jinja2.TemplateSyntaxError as exc:
        where = f"{settings.relative(settings.templates_dir)}/{exc.name or name}"
        raise NewsletterError(f"{where}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        where = settings.relative(settings.templates_dir)
        raise NewsletterError(
            f"{where}/{exc.name}: template not found; restore it from the project"
        ) from None
    except jinja2.UndefinedError as exc:
        raise NewsletterError(f"{_template_place(exc, settings, name)}: {exc.message}") from None


def _template_place(exc: Exception, settings: Settings, name: str) -> str:
    """The innermost template frame of the traceback names the line of an undefined variable."""
    tb, place = exc.__traceback__, f"{settings.relative(settings.templates_dir)}/{name}"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(str(settings.templates_dir)):
            place = f"{settings.relative(Path(filename))}:{tb.tb_lineno}"
        tb = tb.tb_next
    return place


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
        return with_utm(absolute(url, self.settings.site_url), self.settings.site_url, dict(self.utm))

    def in_html(self, fragment: str) -> str:
        def replace(match: re.Match) -> str:
            url = self(html.unescape(match.group(2)))
            # A URL outside the allow-list loses its attribute rather than keep an empty or unsafe one.
            return f'{match.group(1)}="{html.escape(url, quote=True)}"' if url else ""

        return _ATTR_URL.sub(replace, fragment)


def email_html(issue: Issue, settings: Settings, layout: str | None = None) -> str:
    """The email before inlining; `layout` (full | digest) defaults to the site's setting."""
    links = Links.email(settings, issue.week)
    page = render_template(
        settings,
        "email.html",
        issue=issue,
        posts=[_post_context(p, links) for p in issue.posts],
        preheader=issue.preheader,
        preheader_filler=Markup(PREHEADER_FILLER),
        layout=_layout(layout, settings),
        button_text=colors.label_on(settings.accent_color),
    )
    # Template links too (logo, CTA, footer): one pass over the page keeps the policy in one place.
    return links.in_html(page).replace("&apos;", "&#39;")


def _layout(layout: str | None, settings: Settings) -> str:
    chosen = layout or settings.layout
    if chosen not in LAYOUTS:
        raise NewsletterError(f"layout must be one of {' | '.join(LAYOUTS)}, got '{chosen}'")
    return chosen


def _post_context(post: Post, links: Links) -> dict:
    return {
        "post": post,
        "url": links(post.url),
        "body": Markup(emailbody.prepare(post.html, post.title)),
        "dir": Markup(' dir="rtl"' if emailbody.reads_right_to_left(post.title) else ""),
        "hero_size": Markup(emailbody.image_size(post.image_width, post.image_height)),
        "cta_url": links(post.cta.url) if post.cta else "",
        "cta_width": _button_width(post.cta.text) if post.cta else 0,
        "more_width": _button_width("Read more"),
    }


def _button_width(text: str) -> int:
    """VML buttons need a width: about 9 px a character of 16 px bold, plus the padding."""
    return max(200, 9 * len(text) + 48)


def email_text(issue: Issue, settings: Settings, layout: str | None = None) -> str:
    links = Links.email(settings, issue.week)
    posts = [
        {"post": p, "url": links(p.url), "body": plaintext.render(p.tree, links),
         "cta_url": links(p.cta.url) if p.cta else ""}
        for p in issue.posts
    ]  # fmt: skip
    text = render_template(settings, "email.txt", issue=issue, posts=posts, layout=_layout(layout, settings))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def index_html(settings: Settings, weeks: dict[str, tuple[Post, ...]]) -> str:
    return render_template(settings, "index.html", weeks=weeks)
