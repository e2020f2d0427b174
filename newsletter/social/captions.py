"""Captions per (post, platform, kind): rendered from templates, measured, fitted, never over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from weakref import WeakKeyDictionary

from jinja2 import nodes

from newsletter.content import markup
from newsletter.content.issue import week_of
from newsletter.content.posts import Post
from newsletter.content.settings import Settings
from newsletter.email.render import Renderer
from newsletter.errors import Problems
from newsletter.social import cards as C
from newsletter.social import text as T
from newsletter.social.article import Scorer, Section, sections
from newsletter.social.cards import label_of
from newsletter.social.counting import PINTEREST_TITLE_LIMIT, Rule, rules
from newsletter.social.records import Caption, Fields
from newsletter.social.threads import thread_parts
from newsletter.urls import with_utm

KINDS = ("teaser", "benefits", "quote", "thread")


def render(renderer: Renderer, name: str, context: dict) -> str:
    """The one place social renders a template: `social/NAME.txt`, tidied into a caption."""
    return T.normalize(renderer.render(f"social/{name}.txt", **context))


@dataclass(frozen=True)
class Article:
    """What every platform's captions of one post share, computed once per post."""

    post: Post
    week: str
    title: str
    hook: str  # the summary without sentences the title already says
    lead: str  # the paragraph leading into the benefits list
    items: tuple[str, ...]
    quote: str
    tags: tuple[str, ...]  # brand tags first, then the article's, each once
    brand: int  # how many of `tags` are brand tags
    sections: tuple[Section, ...]
    cards: tuple[C.Card, ...]

    @cached_property
    def scorer(self) -> Scorer:
        """The threads of every platform rank the same sentences: scored once per article."""
        return Scorer(list(self.sections))


def article(post: Post, settings: Settings, week: str = "") -> Article:
    title = T.plain(post.title)
    seen = T.Seen([title])
    hook = seen.fresh(T.plain(post.summary))
    items, listed = [], T.Seen([title])
    for item in (T.plain(i) for i in post.highlights):
        if item and item not in listed:  # a list item that repeats the title or another item goes
            items.append(item)
            listed.add(item)
    lead = T.Seen([title, *items]).fresh(T.plain(post.lead))
    quote = T.Seen().fresh(T.plain(post.quote) or _striking(post))
    brand = _hashtags(settings.hashtags)
    tags = _hashtags((*settings.hashtags, *post.tags))
    made = C.cards_of(post.slug, title, post.author, _last_sentence(lead), tuple(items), quote, settings.name,
                      C.fonts_of(settings))  # fmt: skip
    return Article(post, week or week_of(post), title, hook, lead, tuple(items), quote, tags, len(brand),
                   tuple(sections(post.tree, title)), tuple(made))  # fmt: skip


def captions(
    posts: list[Post],
    renderer: Renderer,
    problems: Problems,
    platforms: tuple[str, ...] = (),
    kinds: tuple[str, ...] = (),
    week: str = "",
) -> list[Caption]:
    """Every caption of the published posts; `week` is the issue folder their cards live in."""
    bases = [article(post, renderer.settings, week) for post in posts if not post.draft]
    return of_articles(bases, renderer, problems, platforms, kinds)


def of_articles(
    bases: list[Article],
    renderer: Renderer,
    problems: Problems,
    platforms: tuple[str, ...] = (),
    kinds: tuple[str, ...] = (),
) -> list[Caption]:
    table = rules(renderer.settings.mastodon_max_characters)
    chosen = [table[p] for p in (platforms or tuple(table))]
    out = []
    for base in bases:
        for rule in chosen:
            shared = None  # the link and the fields, the same for every kind of this post and platform
            for kind in kinds or KINDS:
                if (kind == "thread" and not rule.threads) or (kind == "benefits" and not base.items):
                    continue  # no thread on platforms without threads; no list, no benefits caption
                if shared is None:
                    shared = _shared(base, rule, renderer)
                if (caption := build(base, rule, kind, renderer, problems, shared)) is not None:
                    out.append(caption)
    return out


def _shared(base: Article, rule: Rule, renderer: Renderer) -> tuple[str, Fields]:
    url = _link_url(base.post, rule, renderer.settings)
    return url, _fields(base, rule, url, renderer)


def build(
    base: Article,
    rule: Rule,
    kind: str,
    renderer: Renderer,
    problems: Problems,
    shared: tuple[str, Fields] | None = None,
) -> Caption | None:
    settings = renderer.settings
    post = base.post
    url, fields = shared or _shared(base, rule, renderer)
    parts: tuple[str, ...] = ()
    if kind == "thread":
        parts = _thread(base, rule, fields, renderer)
        text = "\n\n\n\n".join(parts)  # Typefully's separator: four newlines between posts
    elif kind == "teaser" and post.override(rule.platform):
        text = T.plain(post.override(rule.platform))
        text = text if rule.fits(text) else None
    else:
        if kind == "quote" and base.quote in T.Seen([base.title]):
            fields = replace(fields, title="")  # "From “X”" under a quote that is X says it twice
        text = fit(rule, kind, fields, base, renderer)
    if not text or (parts and not all(rule.fits(p) for p in parts)):
        problems.error(
            post.source, 0,
            f"{kind} caption for {rule.label} cannot fit in {rule.limit} even after cutting; "
            f"shorten the article's {'social.' + rule.platform if kind == 'teaser' else 'summary'}",
            "caption-limit",
        )  # fmt: skip
        return None
    length = max(rule.measure(p) for p in parts) if parts else rule.measure(text)
    title = base.title
    if rule.platform == "pinterest":
        title = T.cut_to_fit(title, lambda t: len(t) <= PINTEREST_TITLE_LIMIT) or ""
    card = C.path_for(base.week, post.slug, kind, rule.platform)
    size = C.size_for(rule.platform)
    alt = next((c.fitted(size).alt() for c in base.cards if c.kind == C.CARD_OF_KIND[kind]), "")
    return Caption(post.slug, rule.platform, kind, text, length, rule.limit, rule.fold, url, title,
                   C.url_for(settings, card), alt, card, T.hashtags_in(text), parts,
                   tuple(rule.measure(p) for p in parts))  # fmt: skip


def _link_url(post: Post, rule: Rule, settings: Settings) -> str:
    if not rule.utm:
        return post.url
    return with_utm(post.url, settings.site_url, _utm(rule, settings, week_of(post)))


def _utm(rule: Rule, settings: Settings, week: str) -> dict[str, str]:
    return {"utm_source": rule.platform, "utm_medium": "social", "utm_campaign": settings.campaign(week)}


def _fields(base: Article, rule: Rule, url: str, renderer: Renderer) -> Fields:
    settings = renderer.settings
    post = base.post
    inline_url = url if rule.link == "inline" else ""
    link = render(renderer, "link", {"platform": rule.platform, "url": inline_url})
    cta_url = ""
    if post.cta and rule.link == "inline":
        params = _utm(rule, settings, week_of(post))
        cta_url = with_utm(post.cta.url, settings.site_url, params) if rule.utm else post.cta.url
    return Fields(
        platform=rule.platform, bullet=rule.bullet, title=base.title, hook=base.hook, lead=base.lead,
        items=base.items, quote=base.quote, author="" if post.author == settings.name else post.author, tags=base.tags[: rule.max_hashtags],
        link=link, url=inline_url, cta_text=T.plain(post.cta.text) if post.cta else "",
        cta_url=cta_url if cta_url != url else "",
    )  # fmt: skip


def _hashtags(tags) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for tag in tags:
        if (h := T.hashtag(tag)) and h.lower() not in seen:
            seen[h.lower()] = h
    return tuple(seen.values())


def _striking(post: Post) -> str:
    """No quote given: the shortest complete sentence of six words or more, first on ties."""
    candidates = [
        s for p in markup.paragraphs(post.tree) for s in T.sentences(p)
        if len(s.split()) >= 6 and s.endswith(".") and "http" not in s
    ]  # fmt: skip
    return min(candidates, key=len) if candidates else T.plain(post.summary)


def _last_sentence(text: str) -> str:
    """The sentence that leads into the list; with the one before it when it opens on a pronoun
    ("It is particularly beneficial in:" says nothing without its subject)."""
    found = T.sentences(text)
    if len(found) >= 2 and found[-1].split(" ", 1)[0] in ("It", "This", "These", "They", "That", "Those"):
        return f"{found[-2]} {found[-1]}"
    return found[-1] if found else ""


def _thread(base: Article, rule: Rule, fields: Fields, renderer: Renderer) -> tuple[str, ...]:
    pieces = _around(renderer, "thread", "text")

    def label(text: str, index: int, total: int) -> str:
        if pieces is not None and (around := pieces(index=index, total=total)) is not None:
            return T.normalize(around[0] + text + around[1])
        return render(renderer, "thread", {"text": text, "index": index, "total": total})

    closing = [render(renderer, "thread-end", replace(fields, tags=t).context()) for t in _tag_steps(fields)]
    return thread_parts(rule, base.title, base.hook, list(base.sections), closing, label, base.scorer)


# A template that only prints a variable, once and as it is, renders as the same text before and after
# it whatever its value: rendered once per value of the other variables (a thread's "i/N" label), its
# output is spliced around each post instead of rendering the template for every post and every try.
_SPLICES: WeakKeyDictionary[Renderer, dict] = WeakKeyDictionary()
_MARK = "\x00"
# Nodes that cannot see or change what a printed variable shows (no include, filter block, call, macro
# or autoescape block: anything else and the template is rendered for every value).
_PLAIN = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Name, nodes.Const, nodes.Compare,
    nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Test, nodes.CondExpr, nodes.Add, nodes.Sub,
    nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Concat, nodes.Neg, nodes.Pos,
)  # fmt: skip


def _around(renderer: Renderer, name: str, var: str) -> Callable[..., tuple[str, str] | None] | None:
    """For a template `social/NAME.txt` that only places `var`: a function of the other variables giving
    the text before and after it (None when it does more, or a value renders the mark other than once)."""
    found = _SPLICES.setdefault(renderer, {})
    if name not in found:
        found[name] = _places_only(renderer, f"social/{name}.txt", var)
    if not found[name]:
        return None
    cache: dict[tuple, tuple[str, str] | None] = found.setdefault((name, var), {})

    def pieces(**context) -> tuple[str, str] | None:
        key = tuple(sorted(context.items()))
        if key not in cache:
            raw = renderer.render(f"social/{name}.txt", **{var: _MARK}, **context)
            cache[key] = tuple(raw.split(_MARK)) if raw.count(_MARK) == 1 else None  # type: ignore[assignment]
        return cache[key]

    return pieces


def _places_only(renderer: Renderer, path: str, var: str) -> bool:
    env = renderer.env
    try:
        source = env.loader.get_source(env, path)[0]  # type: ignore[union-attr]
    except Exception:  # the render reports it, with the template's name and line
        return False
    return only_places(env, source, path, var)


def only_places(env, source: str, path: str, var: str) -> bool:
    """Whether the template `source` does nothing with `var` but print it once, as it is."""
    if env.finalize is not None or (env.autoescape(path) if callable(env.autoescape) else env.autoescape):
        return False
    try:
        tree = env.parse(source)
    except Exception:  # the render reports it, with the template's name and line
        return False
    every = list(tree.find_all(nodes.Node))
    if not all(isinstance(n, _PLAIN) for n in every):
        return False
    uses = [n for n in every if isinstance(n, nodes.Name) and n.name == var]
    printed = [
        n for o in tree.find_all(nodes.Output) for n in o.nodes if isinstance(n, nodes.Name) and n.name == var
    ]
    return len(uses) == 1 and printed == uses and uses[0].ctx == "load"


def _tag_steps(fields: Fields) -> list[tuple[str, ...]]:
    """Hashtags from all to none, the article's dropped before the brand's."""
    return [fields.tags[:k] for k in range(len(fields.tags), -1, -1)]


# Fitting: each kind gives up its least important parts in order; within a step, a binary search
# finds the smallest reduction that fits (hashtags and trailing items), so a caption of thousands
# of items costs a few renders, not one per item.
@dataclass(frozen=True)
class Step:
    count: Callable[[Fields, Article], int]  # how many reductions this step can make
    apply: Callable[[Fields, Article, int], Fields]  # the k-th (1 = least, count = most)


def _article_tags(brand_first: bool) -> Step:
    def count(f: Fields, a: Article) -> int:
        keep = min(a.brand, len(f.tags)) if brand_first else 0
        return len(f.tags) - keep

    return Step(count, lambda f, a, k: replace(f, tags=f.tags[: len(f.tags) - k]))


def _once(change: Callable[[Fields, Article], Fields]) -> Step:
    return Step(lambda f, a: int(change(f, a) != f), lambda f, a, k: change(f, a))


DROP_ARTICLE_TAGS = _article_tags(brand_first=True)
DROP_ALL_TAGS = _article_tags(brand_first=False)
SHORT_LEAD = _once(lambda f, a: replace(f, lead=_last_sentence(f.lead)))
NO_LEAD = _once(lambda f, a: replace(f, lead=""))
LABELS = _once(lambda f, a: replace(f, items=tuple(dict.fromkeys(label_of(i) for i in f.items))))
NO_SOURCE = _once(lambda f, a: replace(f, title="") if f.title else f)
DROP_ITEMS = Step(lambda f, a: max(0, len(f.items) - 1), lambda f, a, k: replace(f, items=f.items[:-k]))

STEPS: dict[str, tuple[list[Step], str]] = {
    "teaser": ([DROP_ARTICLE_TAGS, DROP_ALL_TAGS], "hook"),
    "benefits": ([DROP_ARTICLE_TAGS, SHORT_LEAD, NO_LEAD, LABELS, DROP_ALL_TAGS, DROP_ITEMS], "title"),
    "quote": ([DROP_ARTICLE_TAGS, NO_SOURCE, DROP_ALL_TAGS], "quote"),
}


def fit(rule: Rule, kind: str, fields: Fields, base: Article, renderer: Renderer) -> str | None:
    """The richest version of the caption that fits; then hashtags dropped on the way are put back
    while they still fit (a shorter lead may have made room)."""

    made: dict[Fields, str] = {}  # the search and the hashtag refill try some versions twice

    def text_of(f: Fields) -> str:
        found = made.get(f)
        if found is None:
            found = made[f] = render(renderer, kind, f.context())
        return found

    steps, field = STEPS[kind]
    fitted = _reduce(rule, steps, fields, base, text_of)
    if fitted is None:
        fitted = _cut_field(rule, fields, steps, base, field, text_of)
    if fitted is None:
        return None
    return text_of(_refill_tags(rule, fitted, fields.tags, text_of))


def _reduce(rule, steps: list[Step], fields: Fields, base: Article, text_of) -> Fields | None:
    if rule.fits(text_of(fields)):
        return fields
    for step in steps:
        count = step.count(fields, base)
        k = _first(count, lambda k, f=fields, s=step: rule.fits(text_of(s.apply(f, base, k))))
        if k:
            return step.apply(fields, base, k)
        if count:
            fields = step.apply(fields, base, count)
    return None


def _first(count: int, fits: Callable[[int], bool]) -> int:
    """The smallest k in 1..count with fits(k) (fits holds from some k on); 0 if none."""
    if not count or not fits(count):
        return 0
    low, high = 1, count
    while low < high:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _cut_field(rule, fields: Fields, steps: list[Step], base: Article, field: str, text_of) -> Fields | None:
    """Last resort: every step taken, then the most words of one field that fit, with an ellipsis."""
    for step in steps:
        fields = step.apply(fields, base, step.count(fields, base)) if step.count(fields, base) else fields
    value = getattr(fields, field)
    best = T.cut_to_fit(value, lambda v: rule.fits(text_of(replace(fields, **{field: v}))))
    return replace(fields, **{field: best}) if best else None


def _refill_tags(rule, fitted: Fields, wanted: tuple[str, ...], text_of) -> Fields:
    if len(fitted.tags) >= len(wanted):
        return fitted
    extra = T.longest(
        len(wanted) - len(fitted.tags),
        lambda k: rule.fits(text_of(replace(fitted, tags=wanted[: len(fitted.tags) + k]))),
    )
    return replace(fitted, tags=wanted[: len(fitted.tags) + extra]) if extra else fitted
