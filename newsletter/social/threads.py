"""Threads: the article condensed to its topic sentences, packed greedily into numbered posts."""

from __future__ import annotations

from collections.abc import Callable

from .. import markup
from ..content import Post
from . import text as T
from .counting import Rule

MAX_SENTENCES = 12


def topic_sentences(post: Post) -> list[str]:
    """The first sentence of each section (or of each paragraph when there are no headings),
    in the article's order: the article's argument, condensed."""
    picked = []
    for block in markup.sections(post.tree):
        first = T.sentences(block)[0] if block else ""
        if len(first.split()) >= 3 and first[-1:] in ".!?":
            picked.append(first)
    return picked[:MAX_SENTENCES]


def thread_parts(rule: Rule, ctx: dict, render: Callable[[dict], str]) -> tuple[str, ...]:
    """Pack sentences greedily; the i/N label is reserved at its widest, then N is filled in."""
    opening = f"{ctx['title']}\n\n{T.sentences(ctx['hook'])[0]}" if ctx["hook"] else ctx["title"]
    closing = "\n\n".join(x for x in (ctx["link"], ctx["hashtags"]) if x)
    units = [opening, *ctx["topics"], closing]
    # A unit is cut, never split, so there are at most len(units) posts: reserving that label's
    # width during packing guarantees the final "i/N" fits whatever N turns out to be.
    posts = _pack(units, rule, _labeller(render, len(units)))
    total = len(posts)
    return tuple(render({"text": text, "index": i, "total": total}) for i, text in enumerate(posts, 1))


def _labeller(render: Callable[[dict], str], widest: int) -> Callable[[str], str]:
    """Packing measures hundreds of candidate posts: render the template once around a marker and
    splice each candidate in, unless the template does more with the text than place it."""
    probe = render({"text": "\x00", "index": widest, "total": widest})
    if probe.count("\x00") != 1:
        return lambda text: render({"text": text, "index": widest, "total": widest})
    head, tail = probe.split("\x00")
    return lambda text: T.normalize(head + text + tail)


def _pack(units: list[str], rule: Rule, labelled: Callable[[str], str]) -> list[str]:
    posts: list[str] = []
    current = ""
    for unit in units:
        unit = _fit_alone(unit, rule, labelled)
        joined = f"{current}\n\n{unit}" if "\n" in unit or "\n" in current else f"{current} {unit}"
        if current and rule.fits(labelled(joined.strip())):
            current = joined.strip()
        else:
            if current:
                posts.append(current)
            current = unit
    posts.append(current)
    return posts


def _fit_alone(unit: str, rule: Rule, labelled: Callable[[str], str]) -> str:
    """A sentence is cut only when it alone is longer than a post."""
    words = T.word_count(unit)
    short = unit
    while words > 1 and not rule.fits(labelled(short)):
        words -= 1
        short = T.cut(unit, words)
    return short
