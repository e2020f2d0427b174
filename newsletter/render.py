"""The Jinja environment and everything rendered from templates: email HTML, text part, index."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import plaintext
from .config import Settings
from .content import Post
from .errors import NewsletterError
from .issue import Issue
from .urls import absolute, is_allowed, with_utm

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
        # Only real tags' href/src (prose that looks like one stays); a URL outside the allow-list loses
        # its attribute rather than keep an empty or unsafe one.
        from .htmlurls import rewrite

        return rewrite(fragment, self)


def email_html(issue: Issue, settings: Settings) -> str:
    links = Links.email(settings, issue.week)
    page = render_template(
        settings,
        "email.html",
        issue=issue,
        posts=[_post_context(p, links) for p in issue.posts],
        preheader=issue.preheader,
        preheader_filler=Markup(PREHEADER_FILLER),
    )
    # Template links too (logo, CTA, footer): one pass over the page keeps the policy in one place.
    return links.in_html(page).replace("&apos;", "&#39;")


def _post_context(post: Post, links: Links) -> dict:
    return {
        "post": post,
        "url": links(post.url),
        "body": Markup(_email_images(post.html)),
        "cta_url": links(post.cta.url) if post.cta else "",
        "cta_width": max(200, 9 * len(post.cta.text) + 48) if post.cta else 0,
    }


def _email_images(fragment: str) -> str:
    """Outlook ignores CSS widths: every article image gets a width attribute within the column."""
    return re.sub(r"<img(?![^>]*\bwidth=)", '<img width="536"', fragment)


def email_text(issue: Issue, settings: Settings) -> str:
    links = Links.email(settings, issue.week)
    posts = [
        {"post": p, "url": links(p.url), "body": plaintext.render(p.tree, links),
         "cta_url": links(p.cta.url) if p.cta else ""}
        for p in issue.posts
    ]  # fmt: skip
    text = render_template(settings, "email.txt", issue=issue, posts=posts)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def index_html(settings: Settings, weeks: dict[str, tuple[Post, ...]]) -> str:
    return render_template(settings, "index.html", weeks=weeks)
