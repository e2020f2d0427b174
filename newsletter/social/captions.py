"""Captions per (post, platform, kind): rendered from templates, measured, fitted, never over."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from weakref import WeakKeyDictionary

from jinja2 import nodes

from newsletter.content import markup
from newsletter.content.issue import week_of
from newsletter.content.posts import Post
from newsletter.content.settings import Settings
from newsletter.content.socialfile import Edit
from newsletter.email.render import Renderer
from newsletter.errors import Problems
from newsletter.run.memo import entry
from newsletter.social import cards as C
from newsletter.social import text as T
from newsletter.social.article import REFUSED, Scorer, Section, inline, resolver, sections
from newsletter.social.counting import _TRAILING, HTTP_URL, PINTEREST_TITLE_LIMIT, Rule, rules
from newsletter.social.records import Caption, Fields
from newsletter.social.selection import highlights, quote
from newsletter.social.threads import numbered, thread_parts
from newsletter.urls import with_utm

KINDS = ("teaser", "benefits", "quote", "thread")


def render(renderer: Renderer, name: str, context: dict) -> str:
    """The one place social renders a template: `social/NAME.txt`, tidied into a caption."""
    return T.normalize(renderer.render(f"social/{name}.txt", **context))


URL_END = _TRAILING + "”’»」）"  # what ends a sentence or a quotation, not the link before it
MIN_ITEMS = 3  # a benefits caption shows at least this many items (or all, when the list is shorter)


@dataclass(frozen=True)
class Article:
    """What every platform's captions of one post share, computed once per post."""

    post: Post
    week: str
    title: str
    hook: str  # the summary without sentences the title already says
    intros: tuple[str, ...]  # what may introduce the benefits list, richest first (see selection)
    items: tuple[str, ...]
    numbers: tuple[int, ...]  # the items' numbers when the list is numbered (steps)
    quote: str
    quote_by: str  # who said the quote ("" when the article does not say)
    tags: tuple[str, ...]  # brand tags first, then the article's, each once
    brand: int  # how many of `tags` are brand tags
    sections: tuple[Section, ...]
    cards: tuple[C.Card, ...]
    scorer: Scorer  # the threads of every platform rank the same sentences: scored once per article

    @property
    def lead(self) -> str:
        return self.intros[0] if self.intros else ""


def article(post: Post, settings: Settings, week: str = "") -> Article:
    title = T.plain(post.title)
    resolve = resolver(post.url, settings.site_url)
    found = sections(post.tree, title, resolve)
    scorer = Scorer(found)
    hook = T.Seen([title]).fresh(_summary(post, resolve))
    chosen = highlights(post, found, title)
    listed = T.Seen()
    for line in (title, *(line for i in chosen.intros for line in i.split("\n"))):
        listed.add_all(line)
    items: list[str] = []
    numbers: list[int] = []
    for n, item in enumerate(chosen.items):
        if item and not listed.says_any(item):  # an item that repeats the title or another item goes
            items.append(item)
            numbers.extend(chosen.numbers[n : n + 1])
            listed.add_all(item)
    said = quote(post, found, scorer, settings.name)
    quoted = T.Seen().fresh(said.text)
    brand = _hashtags(settings.hashtags)
    tags = _hashtags((*settings.hashtags, *post.tags))
    made = C.cards_of(post.slug, title, post.author, _unlinked(_card_lead(chosen.intros)),
                      tuple(_unlinked(i) for i in items), T.nested(quoted), settings.name,
                      C.fonts_of(settings), quote_by=said.by, numbers=tuple(numbers))  # fmt: skip
    return Article(post, week or week_of(post), title, hook, chosen.intros, tuple(items), tuple(numbers),
                   quoted, said.by, tags, len(brand), tuple(found), tuple(made), scorer)  # fmt: skip


def _summary(post: Post, resolve) -> str:
    """The front matter's summary; else the first paragraph as captions say it (links kept as URLs,
    a sentence holding a refused link left out)."""
    if post.summary != markup.first_paragraph(post.tree):
        if "](" not in post.summary and "<" not in post.summary:
            return T.plain(post.summary)
        tree = markup.render(post.summary).tree  # links in it: read as the article's are
        said = " ".join(t for el in tree if el.tag == "p" and (t := inline(el, resolve)))
        return T.join(s for s in T.sentences(said) if REFUSED not in s)
    first = next((t for el in post.tree if el.tag == "p" and (t := inline(el, resolve))), "")
    return T.join(s for s in T.sentences(first) if REFUSED not in s)


def _card_lead(intros: tuple[str, ...]) -> str:
    """A card has room for a short lead-in: the richest that is short, else the leanest."""
    return next((i for i in intros if len(i) <= 120), intros[-1] if intros else "")


def _unlinked(text: str) -> str:
    """Text for a card (nothing on it is clickable): its URLs left out, their punctuation kept."""
    if "://" not in text:
        return text
    cut = HTTP_URL.sub(lambda m: m.group(0)[len(m.group(0).rstrip(URL_END)) :], text)
    return " ".join(cut.replace(" .", ".").replace(" ,", ",").split())


@entry  # under the run's memo, or one of its own (run/memo.py)
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


@entry
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
                edit = base.post.edits.of(rule.platform, kind)
                if not _made_for(base, rule, kind, edit):
                    continue
                if shared is None:
                    shared = _shared(base, rule, renderer)
                if (caption := build(base, rule, kind, renderer, problems, shared, edit)) is not None:
                    out.append(caption)
    return out


def _made_for(base: Article, rule: Rule, kind: str, edit: Edit | None) -> bool:
    """No thread on platforms without threads, nothing the social file turns off; a benefits caption
    when the article has a list, a quote caption when something in it stands as a quote, or when the
    social file gives its words."""
    if (kind == "thread" and not rule.threads) or (edit is not None and edit.off):
        return False
    missing = (kind == "benefits" and not base.items) or (kind == "quote" and not base.quote)
    return edit is not None or not missing


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
    edit: Edit | None = None,
) -> Caption | None:
    """The caption the article gives, or the one the post's social file gives (`edit`): marked edited
    when its text is not what the article gives (a front matter `social:` teaser always is)."""
    settings = renderer.settings
    post = base.post
    url, fields = shared or _shared(base, rule, renderer)
    # An edited caption does not need one made from the article that fits: what making it found is moot.
    made = _made(base, rule, kind, fields, renderer, problems if edit is None else Problems())
    text, bodies = made
    lines: dict[int, int] = {}  # thread post -> the social file's line, for the posts the edit wrote
    if edit is not None:
        text, bodies, lines = _edited(edit, bodies, rule, post.edits.source, problems)
    label = _labeller(renderer)
    parts = numbered(bodies, label) if bodies is not None else ()
    if parts:
        text = "\n\n\n\n".join(parts)  # Typefully's separator: four newlines between posts
    if not text:
        return None
    if parts and not _parts_fit(parts, rule, kind, post, lines, problems):
        return None
    edited = kind == "teaser" and bool(post.override(rule.platform))  # a person's words, always
    if edit is not None:  # the social file's: edited where they are not the article's
        edited = edited or text != (made[0] if made[1] is None else "\n\n\n\n".join(numbered(made[1], label)))
    length = max(rule.measure(p) for p in parts) if parts else rule.measure(text)
    title = base.title
    if rule.platform == "pinterest":
        title = T.cut_to_fit(title, lambda t: len(t) <= PINTEREST_TITLE_LIMIT) or ""
    # A caption of a kind whose card the article has none of (benefits without a list): the title card.
    shows = kind if any(c.kind == C.CARD_OF_KIND[kind] for c in base.cards) else "teaser"
    card = C.path_for(base.week, post.slug, shows, rule.platform)
    size = C.size_for(rule.platform)
    alt = next((c.fitted(size).alt() for c in base.cards if c.kind == C.CARD_OF_KIND[shows]), "")
    return Caption(post.slug, rule.platform, kind, text, length, rule.limit, rule.fold, url, title,
                   C.url_for(settings, card), alt, card, T.hashtags_in(text), parts,
                   tuple(rule.measure(p) for p in parts), edited)  # fmt: skip


def _made(
    base: Article, rule: Rule, kind: str, fields: Fields, renderer: Renderer, problems: Problems
) -> tuple[str | None, tuple[str, ...] | None]:
    """The caption the article gives: its text, or (for a thread) its posts not yet numbered; (None,
    None) when there is none (a caption that cannot fit is an error, a benefits caption simply goes)."""
    post = base.post
    if kind == "thread":
        return "", _thread(base, rule, fields, renderer)
    if kind == "teaser" and post.override(rule.platform):
        text = T.plain(post.override(rule.platform))
        if rule.fits(text):
            return text, None
    elif kind == "benefits":
        if not base.items or not _enough_items(fields):
            return None, None  # fewer than MIN_ITEMS items this platform can show: no benefits caption
        return fit(rule, kind, fields, base, renderer), None  # even its shortest form may be too long
    elif kind == "quote" and not base.quote:
        return None, None
    else:
        if kind == "quote":
            fields = replace(fields, title=T.nested(fields.title))
            if base.quote in T.Seen([base.title]):
                fields = replace(fields, title="")  # "From “X”" under a quote that is X says it twice
        if fitted := fit(rule, kind, fields, base, renderer):
            return fitted, None
    _cannot_fit(post, rule, kind, problems)
    return None, None


def _cannot_fit(post: Post, rule: Rule, kind: str, problems: Problems) -> None:
    problems.error(
        post.source, 0,
        f"{kind} caption for {rule.label} cannot fit in {rule.limit} even after cutting; "
        f"shorten the article's {'social.' + rule.platform if kind == 'teaser' else 'summary'}",
        "caption-limit",
    )  # fmt: skip


def _edited(
    edit: Edit, bodies: tuple[str, ...] | None, rule: Rule, source: str, problems: Problems
) -> tuple[str | None, tuple[str, ...] | None, dict[int, int]]:
    """The social file's caption: its text; for a thread, its posts (the whole thread, or the posts the
    article gives with the ones it numbers replaced or left out) and the line of each post it wrote."""
    if edit.kind != "thread":
        return edit.text, None, {}
    if edit.whole:
        return "", tuple(p.text or "" for p in edit.parts), {n: p.line for n, p in enumerate(edit.parts)}
    posts = bodies or ()
    if beyond := [p for p in edit.parts if p.number > len(posts)]:
        problems.error(source, beyond[0].line, f"the {rule.label} thread the article gives has {len(posts)} "
                       f"posts, so there is no post {beyond[0].number}: number a post from 1 to {len(posts)}, "
                       "or give the whole thread as a list", "social-file")  # fmt: skip
        return None, None, {}
    replaced = {p.number - 1: p for p in edit.parts}
    kept: list[str] = []
    lines: dict[int, int] = {}
    for n, body in enumerate(posts):
        part = replaced.get(n)
        if part is not None and part.text is not None:
            lines[len(kept)] = part.line
        if part is None or part.text is not None:
            kept.append(body if part is None else part.text)  # type: ignore[arg-type]
    return ("", tuple(kept), lines) if kept else (None, None, {})


def _parts_fit(
    parts: tuple[str, ...], rule: Rule, kind: str, post: Post, lines: dict[int, int], problems: Problems
) -> bool:
    """Each post of a thread fits, its number included; one the social file wrote is its error there."""
    for n, part in enumerate(parts):
        if rule.fits(part):
            continue
        if n in lines:
            problems.error(post.edits.source, lines[n], f"the {rule.label} thread's post {n + 1} is "
                           f"{rule.over(part)} as {rule.label} counts it with its number; shorten it",
                           "social-file")  # fmt: skip
        else:
            _cannot_fit(post, rule, kind, problems)
        return False
    return True


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
    items, intros = base.items, base.intros
    if rule.link != "inline":  # a link that cannot be clicked: what says it is left out
        items = tuple(i for i in items if "://" not in i)
        intros = tuple(i for i in intros if "://" not in i)
    return Fields(
        platform=rule.platform, bullet=rule.bullet, title=base.title, hook=base.hook,
        lead=intros[0] if intros else "", items=items, quote=T.nested(base.quote), author=base.quote_by,
        tags=base.tags[: rule.max_hashtags], link=link, url=inline_url,
        cta_text=T.plain(post.cta.text) if post.cta else "", cta_url=cta_url if cta_url != url else "",
        more=len(base.items) - len(items), numbered=bool(base.numbers), intros=intros,
    )  # fmt: skip


def _enough_items(fields: Fields) -> bool:
    total = len(fields.items) + fields.more
    return bool(fields.intros) and len(fields.items) >= min(MIN_ITEMS, total)


def localizer(rule: Rule, settings: Settings, week: str) -> Callable[[str], str]:
    """The links of a caption as this platform gets them: the site's own links carry the platform's
    UTM tags where it has them, and no stale `utm_*` of anyone's where it has none (other sites'
    links are theirs)."""
    params = _utm(rule, settings, week) if rule.utm else {}

    def retag(match) -> str:
        found = match.group(0)
        end = len(found.rstrip(URL_END))
        return with_utm(found[:end], settings.site_url, params) + found[end:]

    return lambda text: HTTP_URL.sub(retag, text) if "://" in text else text


def _hashtags(tags) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for tag in tags:
        if (h := T.hashtag(tag)) and h.lower() not in seen:
            seen[h.lower()] = h
    return tuple(seen.values())


def thread_posts(base: Article, rule: Rule, renderer: Renderer) -> tuple[str, ...]:
    """The posts of the thread the article gives this platform, not numbered (`social --edit`)."""
    return _thread(base, rule, _shared(base, rule, renderer)[1], renderer)


def _labeller(renderer: Renderer) -> Callable[[str, int, int], str]:
    """`label(text, index, total)`: one post of a thread through the thread template."""
    pieces = _around(renderer, "thread", "text")

    def label(text: str, index: int, total: int) -> str:
        if pieces is not None and (around := pieces(index=index, total=total)) is not None:
            return T.normalize(around[0] + text + around[1])
        return render(renderer, "thread", {"text": text, "index": index, "total": total})

    return label


def _thread(base: Article, rule: Rule, fields: Fields, renderer: Renderer) -> tuple[str, ...]:
    """The thread's posts, not yet numbered, with the platform's tracking on the site's links."""
    closing = [render(renderer, "thread-end", replace(fields, tags=t).context()) for t in _tag_steps(fields)]
    posts = thread_parts(
        rule, base.title, base.hook, list(base.sections), closing, _labeller(renderer), base.scorer
    )
    # Retagging never makes a post longer where threads are (a URL weighs 23 on X and Mastodon; where
    # the text counts in full, stale tags are only taken out), so the posts packed above still fit.
    localize = localizer(rule, renderer.settings, week_of(base.post))
    return tuple(localize(p) for p in posts)


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
# A leaner intro: the list's lead without the heading, or its heading alone (each says what it is).
LEANER_INTRO = Step(
    lambda f, a: len(f.intros) - 1 - f.intros.index(f.lead) if f.lead in f.intros else 0,
    lambda f, a, k: replace(f, lead=f.intros[f.intros.index(f.lead) + k]),
)
LABELS = _once(lambda f, a: replace(f, items=C.distinct_labels(f.items)))
NO_SOURCE = _once(lambda f, a: replace(f, title="") if f.title else f)
# Trailing items, down to MIN_ITEMS (or all of a shorter list); the caption says how many are left out.
DROP_ITEMS = Step(
    lambda f, a: max(0, len(f.items) - min(MIN_ITEMS, len(f.items) + f.more)),
    lambda f, a, k: replace(f, items=f.items[:-k], more=f.more + k),
)

STEPS: dict[str, tuple[list[Step], str]] = {
    "teaser": ([DROP_ARTICLE_TAGS, DROP_ALL_TAGS], "hook"),
    "benefits": ([DROP_ARTICLE_TAGS, LEANER_INTRO, LABELS, DROP_ALL_TAGS, DROP_ITEMS], "title"),
    "quote": ([DROP_ARTICLE_TAGS, NO_SOURCE, DROP_ALL_TAGS], "quote"),
}


def fit(rule: Rule, kind: str, fields: Fields, base: Article, renderer: Renderer) -> str | None:
    """The richest version of the caption that fits; then hashtags dropped on the way are put back
    while they still fit (a shorter lead may have made room)."""

    made: dict[Fields, str] = {}  # the search and the hashtag refill try some versions twice
    localize = localizer(rule, renderer.settings, week_of(base.post))

    def text_of(f: Fields) -> str:
        found = made.get(f)
        if found is None:
            found = made[f] = localize(render(renderer, kind, f.context()))
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
        k = _first(count, functools.partial(_step_fits, rule, step, fields, base, text_of))
        if k:
            return step.apply(fields, base, k)
        if count:
            fields = step.apply(fields, base, count)
    return None


def _step_fits(rule: Rule, step: Step, fields: Fields, base: Article, text_of, k: int) -> bool:
    return rule.fits(text_of(step.apply(fields, base, k)))


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
    cut = T.cut_to_fit if field == "title" else T.cut_sentences  # whole sentences of a summary or quote
    best = cut(value, lambda v: rule.fits(text_of(_with(fields, field, v))))
    if field == "quote" and best and T.words_in(best) < 6:
        return None  # a quote cut to a few words says nothing
    return _with(fields, field, best) if best else None


def _with(fields: Fields, field: str, value: str) -> Fields:
    """`fields` with one text field, named at run time, replaced."""
    changes: dict[str, Any] = {field: value}
    return replace(fields, **changes)


def _refill_tags(rule, fitted: Fields, wanted: tuple[str, ...], text_of) -> Fields:
    if len(fitted.tags) >= len(wanted):
        return fitted
    extra = T.longest(
        len(wanted) - len(fitted.tags),
        lambda k: rule.fits(text_of(replace(fitted, tags=wanted[: len(fitted.tags) + k]))),
    )
    return replace(fitted, tags=wanted[: len(fitted.tags) + extra]) if extra else fitted
