"""Captions per (post, platform, kind): rendered from templates, measured, fitted, never over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import markup
from ..config import Settings
from ..content import Post
from ..errors import Problems
from ..issue import week_of
from ..render import Renderer
from ..urls import with_utm
from . import text as T
from .counting import PINTEREST_TITLE_LIMIT, Rule, rules
from .threads import thread_parts, topic_sentences

KINDS = ("teaser", "benefits", "quote", "thread")


@dataclass(frozen=True)
class Caption:
    post: str  # slug
    platform: str
    kind: str
    text: str
    length: int
    limit: int
    fold: int
    link: str
    title: str
    image: str
    hashtags: tuple[str, ...]
    parts: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        data = {
            "post": self.post, "platform": self.platform, "kind": self.kind, "text": self.text,
            "length": self.length, "limit": self.limit, "fold": self.fold, "link": self.link,
            "title": self.title, "image": self.image, "hashtags": list(self.hashtags),
        }  # fmt: skip
        if self.parts:
            data["parts"] = list(self.parts)
        return data


def captions(
    posts: list[Post],
    renderer: Renderer,
    problems: Problems,
    platforms: tuple[str, ...] = (),
    kinds: tuple[str, ...] = (),
) -> list[Caption]:
    settings = renderer.settings
    table = rules(settings.mastodon_max_characters)
    chosen = [table[p] for p in (platforms or tuple(table))]
    out = []
    for post in posts:
        if post.draft:
            continue
        base = _post_context(post, settings)  # once per post: every platform shares it
        for rule in chosen:
            for kind in kinds or KINDS:
                if (kind == "thread" and not rule.threads) or (kind == "benefits" and not post.highlights):
                    continue  # no thread on platforms without threads; no list, no benefits caption
                caption = build(post, rule, kind, renderer, problems, base)
                if caption is not None:
                    out.append(caption)
    return out


def build(
    post: Post, rule: Rule, kind: str, renderer: Renderer, problems: Problems, base: dict | None = None
) -> Caption | None:
    settings = renderer.settings
    url = _link_url(post, rule, settings)
    ctx = _context(base or _post_context(post, settings), rule, url, renderer)
    parts: tuple[str, ...] = ()
    if kind == "thread":
        parts = thread_parts(rule, ctx, lambda c: _render(renderer, "thread", c))
        text = "\n\n\n\n".join(parts)  # Typefully's separator: four newlines between posts
    elif kind == "teaser" and post.override(rule.platform):
        text = T.plain(post.override(rule.platform))
        text = text if rule.fits(text) else None
    else:
        text = fit(rule, kind, ctx, renderer)
    if not text or (parts and not all(rule.fits(p) for p in parts)):
        problems.error(
            post.source, 0,
            f"{kind} caption for {rule.label} cannot fit in {rule.limit} even after cutting; "
            f"shorten the article's {'social.' + rule.platform if kind == 'teaser' else 'summary'}",
            "caption-limit",
        )  # fmt: skip
        return None
    length = max(rule.measure(p) for p in parts) if parts else rule.measure(text)
    title = _cut_plain(post.title, PINTEREST_TITLE_LIMIT) if rule.platform == "pinterest" else post.title
    return Caption(post.slug, rule.platform, kind, text, length, rule.limit, rule.fold, url, title,
                   post.image, tuple(ctx["tags"]), parts)  # fmt: skip


def _link_url(post: Post, rule: Rule, settings: Settings) -> str:
    if not rule.utm:
        return post.url
    params = {
        "utm_source": rule.platform,
        "utm_medium": "social",
        "utm_campaign": settings.campaign(week_of(post)),
    }
    return with_utm(post.url, settings.site_url, params)


def _post_context(post: Post, settings: Settings) -> dict:
    return {
        "title": T.plain(post.title), "hook": T.plain(post.summary), "lead": post.lead,
        "items": [T.plain(i) for i in post.highlights], "quote": T.plain(post.quote) or _striking(post),
        "author": post.author, "all_tags": _hashtags(post, settings), "topics": topic_sentences(post),
    }  # fmt: skip


def _context(base: dict, rule: Rule, url: str, renderer: Renderer) -> dict:
    tags = base["all_tags"][: rule.max_hashtags]
    inline_url = url if rule.link == "inline" else ""
    link = renderer.render("social/link.txt", platform=rule.platform, url=inline_url).strip()
    return {
        **base, "platform": rule.platform, "bullet": rule.bullet, "link": link, "url": inline_url,
        "tags": tags, "hashtags": " ".join(tags), "items": list(base["items"]),
    }  # fmt: skip


def _hashtags(post: Post, settings: Settings) -> list[str]:
    seen: dict[str, str] = {}
    for tag in (*post.tags, *settings.hashtags):
        if (h := T.hashtag(tag)) and h.lower() not in seen:
            seen[h.lower()] = h
    return list(seen.values())


def _striking(post: Post) -> str:
    """No quote given: the shortest complete sentence of six words or more, first on ties."""
    candidates = [
        s for p in markup.paragraphs(post.tree) for s in T.sentences(p)
        if len(s.split()) >= 6 and s.endswith(".") and "http" not in s
    ]  # fmt: skip
    return min(candidates, key=len) if candidates else T.plain(post.summary)


def _render(renderer: Renderer, kind: str, ctx: dict) -> str:
    return T.normalize(renderer.render(f"social/{kind}.txt", **ctx))


# Each kind gives up the least important part first; the last resort cuts one field at a word.
def _drop_hashtag(ctx: dict) -> bool:
    if not ctx["tags"]:
        return False
    ctx["tags"] = ctx["tags"][:-1]
    ctx["hashtags"] = " ".join(ctx["tags"])
    return True


def _clear(key: str) -> Callable[[dict], bool]:
    def clear(ctx: dict) -> bool:
        changed = bool(ctx[key])
        ctx[key] = "" if isinstance(ctx[key], str) else []
        return changed

    return clear


def _label_items(ctx: dict) -> bool:
    """'Post-Surgical Recovery: Promoting healing…' condenses to its label 'Post-Surgical Recovery'."""
    labels = [i.split(": ", 1)[0] if ": " in i[:60] else i for i in ctx["items"]]
    changed = labels != ctx["items"]
    ctx["items"] = labels
    return changed


def _drop_item(ctx: dict) -> bool:
    if len(ctx["items"]) <= 1:
        return False
    ctx["items"] = ctx["items"][:-1]
    return True


REDUCTIONS: dict[str, tuple[list[Callable[[dict], bool]], str]] = {
    "teaser": ([_drop_hashtag], "hook"),
    "benefits": ([_drop_hashtag, _clear("lead"), _label_items, _drop_item], "title"),
    "quote": ([_drop_hashtag, _clear("title")], "quote"),
}


def fit(rule: Rule, kind: str, ctx: dict, renderer: Renderer) -> str | None:
    ctx = dict(ctx)
    reductions, field = REDUCTIONS[kind]
    text = _render(renderer, kind, ctx)
    for reduce in reductions:
        while not rule.fits(text) and reduce(ctx):
            text = _render(renderer, kind, ctx)
    if rule.fits(text):
        return text
    return _cut_field(rule, kind, ctx, field, renderer)


def _cut_field(rule: Rule, kind: str, ctx: dict, field: str, renderer: Renderer) -> str | None:
    """Binary search for the most words of `field` that still fit."""
    full = ctx[field]
    low, high, best = 1, T.word_count(full) - 1, None
    while low <= high:
        middle = (low + high) // 2
        text = _render(renderer, kind, {**ctx, field: T.cut(full, middle)})
        if rule.fits(text):
            best, low = text, middle + 1
        else:
            high = middle - 1
    return best


def _cut_plain(text: str, limit: int) -> str:
    words, short = T.word_count(text), text
    while words > 1 and len(short) > limit:
        words -= 1
        short = T.cut(text, words)
    return short
