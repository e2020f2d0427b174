"""Caption lints (`newsletter check`): what a follower would trip over in a caption as it is posted,
made from the article or edited in the post's social file. Warnings name the post file, or the social
file's line for an edited caption. One function per idea, each judging a caption against the article's
own facts (its tree): the property tests of issue 21 (tests/caption_checks.py) use the same functions on
every caption of the corpus and of generated articles. A card character no font has is the
`card-glyph` rule (social/glyphs.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

import regex

from newsletter.content.posts import Post
from newsletter.content.settings import Settings
from newsletter.errors import Problems
from newsletter.social import text as T
from newsletter.social.article import Section
from newsletter.social.counting import _TRAILING, HTTP_URL, rules
from newsletter.social.records import Caption
from newsletter.social.selection import lead_in
from newsletter.urls import is_own

# The words for a sentence that opens by pointing back, and for a list of things to avoid.
OPENS_POINTING = regex.compile(
    r"[\"“‘(]*(?:this|that|these|those|it|its|they|such|(?:each|all|both) of (?:these|those|them))\b", re.I
)
AVOID_WORDS = regex.compile(r"\b(?:mistakes?|myths?|don[’']?ts?|avoid\w*|never)\b", re.I)
BULLET = re.compile(r"^(?:[-•]|\d+\.) ")
LABEL = re.compile(r"\n\n\d+/\d+$")  # a thread post's number, as the default template writes it
URL_END = _TRAILING + "”’»」）"
_CONTINUES = tuple(",;:)]}—–-…")  # what only the middle of a sentence opens with


class Facts:
    """What the article is, from its tree: its headings, its lists with what introduces them, its
    sentences in order and what each may follow."""

    def __init__(self, post: Post, sections: Iterable[Section]):
        self.post = post
        self.title = T.plain(post.title)
        self.sections = tuple(sections)
        self.headings = {s.heading for s in self.sections if s.heading}
        self.order: dict[str, int] = {}  # sentence key → position in the article
        self.before: dict[str, tuple[str, ...]] = {}  # sentence key → what may stand right before it
        self.prose: set[str] = set()
        self.lists: list[dict] = []
        position = 0
        for section in self.sections:
            previous: tuple[str, ...] = (section.heading,) if section.heading else ()
            for unit in section.units:
                position += 1
                if unit.is_list:
                    avoid = bool(AVOID_WORDS.search(f"{section.heading} {unit.text}"))
                    self.lists.append({"items": unit.items, "heading": section.heading, "lead": unit.text,
                                       "avoid": avoid})  # fmt: skip
                    previous = tuple(unit.items)
                    continue
                found = key(unit.text)
                self.order.setdefault(found, position)
                self.before.setdefault(found, previous)
                if not unit.quote:
                    self.prose.add(found)
                previous = (unit.text,)
        numbered = tuple(s.heading for s in self.sections if s.number)
        if len(numbered) >= 3:  # a listicle's numbered headings may stand as its list, under its title
            self.lists.append({"items": numbered, "heading": "", "lead": "", "avoid": False})
        self.summary = {key(s) for s in T.sentences(T.plain(post.summary))}
        # what a post may open with: a heading, a sentence (a list's lead too), a list item
        self.starts = {key(x) for x in (*self.headings, self.title)} | self.summary | set(self.order)
        self.said: set[str] = set()  # every sentence and item of the article, as keys
        for section in self.sections:
            for unit in section.units:
                self.starts.update(key(s) for s in T.sentences(unit.text))
                self.said.update(key(s) for s in (*T.sentences(unit.text), *unit.items))


def key(text: str) -> str:
    """A sentence's key with its URLs left out (a platform tags the site's own links its way)."""
    return T.key(HTTP_URL.sub(" ", text) if "://" in text else text)


def posts_of(caption: Caption) -> tuple[str, ...]:
    return caption.parts or (caption.text,)


def lines(part: str) -> list[str]:
    """A post's lines, without its 'i/N' number."""
    return [line.strip() for line in LABEL.sub("", part).split("\n") if line.strip()]


# A post that starts mid-sentence -----------------------------------------------------------------------
def mid_sentence(facts: Facts, part: str) -> str:
    """The opening line of a post that starts inside a sentence ('see most often.'), else ''. A post
    starts at a heading, a list item, a quotation, the link, a sentence of the article (or its start,
    cut with '…'); words the article does not have start a sentence when they open with a capital."""
    found = lines(part)
    opening = found[0] if found else ""
    if not opening or opening in facts.headings or BULLET.match(opening):
        return ""
    if opening.startswith(("“", "Read the", "#")) or starts_a_sentence(facts, opening):
        return ""
    first = (T.sentences(opening) or [opening])[0].rstrip("…")
    inside = f" {key(first)} "
    if any(inside in f" {s} " and not f" {s} ".startswith(inside) for s in facts.said):
        return opening  # the tail of one of the article's sentences
    return opening if key(first) not in facts.said and _opens_lower(first) else ""


def starts_a_sentence(facts: Facts, line: str) -> bool:
    first = T.sentences(line)[0] if T.sentences(line) else line
    found = key(first.rstrip("…"))
    return found in facts.starts or (first.endswith("…") and any(k.startswith(found) for k in facts.starts))


def _opens_lower(text: str) -> bool:
    text = text.lstrip("\"“‘'(«")
    if text.startswith(_CONTINUES):
        return True
    letter = next((c for c in text if c.isalpha()), "")
    return letter.islower()


# A sentence that points back at nothing shown -----------------------------------------------------------
def dangling(facts: Facts, caption: Caption) -> list[tuple[int, str]]:
    """(post index, sentence) of each of the article's sentences that opens by pointing back ('It moves
    fluid…', 'Each of these…') and is not right after what it points at; for a quote caption, a quote
    that opens so. The summary's sentences open the article as its author wrote them, and the quote
    the author gave (front matter's `quote:`, else the first blockquote) stands as they chose: not
    judged."""
    if caption.kind == "quote":
        opening = lines(caption.text)[:1]
        inner = opening[0].strip("“”") if opening else ""
        given = bool(facts.post.quote) and key(facts.post.quote) in key(inner)
        return [(0, inner)] if not given and OPENS_POINTING.match(inner) else []
    found: list[tuple[int, str]] = []
    last_said = ""
    for n, part in enumerate(posts_of(caption)):
        shown = lines(part)
        said = sentences_of(part)
        for index, (line, sentence) in enumerate(said):
            k = key(sentence)
            if k not in facts.order or k in facts.summary or not OPENS_POINTING.match(sentence):
                continue
            if index and said[index - 1][0] == line:
                before = said[index - 1][1]
            else:
                before = shown[line - 1] if line else last_said
            allowed = [key(b) for b in facts.before.get(k, ())]
            if not any(a and a in key(before) for a in allowed):
                found.append((n, sentence))
        if shown:
            last_said = shown[-1]
    return found


def sentences_of(part: str) -> list[tuple[int, str]]:
    """(line number, sentence) for the prose of a post: not list items, quotations, links or tags."""
    out: list[tuple[int, str]] = []
    for at, line in enumerate(lines(part)):
        if BULLET.match(line) or line.startswith(("#", "Read the whole article", "“")):
            continue
        out.extend((at, s) for s in T.sentences(line))
    return out


# A title too long for the platform -----------------------------------------------------------------------
def title_cut(facts: Facts, caption: Caption) -> str:
    """How this caption shows the title when it is too long for the platform's teaser, else '':
    shortened (a thread's first post, a pin's 100-character title) or cut by the platform's fold ('see
    more' inside a teaser's first line). A benefits caption that gave up words of a short title for its
    items is not the title's fault."""
    title = facts.title
    if caption.platform == "pinterest" and caption.title != title:
        return caption.title
    if caption.kind not in ("teaser", "thread"):
        return ""
    first = lines(posts_of(caption)[0])[:1]
    if first and first[0] != title and first[0].endswith("…") and title.startswith(first[0][:-1].rstrip()):
        return first[0]
    if (
        caption.kind == "teaser"
        and caption.fold
        and first
        and first[0] == title
        and len(title) > caption.fold
    ):
        return title[: caption.fold].rsplit(" ", 1)[0] + " … see more"
    return ""


# A list without its heading -----------------------------------------------------------------------------
def lists_alone(facts: Facts, caption: Caption) -> list[tuple[int, str]]:
    """(post index, first item) of each list of the article shown without its heading or the sentence
    introducing it (or, for a list of things to avoid, without words that say so); a list spread over
    posts goes on at the top of the next one."""
    found = []
    previous_list = None
    for n, part in enumerate(posts_of(caption)):
        shown = lines(part)
        for at, line in enumerate(shown):
            if not BULLET.match(line) or (at and BULLET.match(shown[at - 1])):
                continue
            listed = item_list(facts, line)
            if listed is None:
                continue  # the front matter's highlights, or words the article does not have
            if at == 0:  # goes on from the post before, which ended in the same list
                if not (n and previous_list is listed):
                    found.append((n, line))
                continue
            if not _introduced(facts, caption, listed, shown, at) or (
                listed["avoid"] and not AVOID_WORDS.search(" ".join(shown[:at]))
            ):
                found.append((n, line))
        previous_list = item_list(facts, shown[-1]) if shown and BULLET.match(shown[-1]) else None
    return found


def _introduced(facts: Facts, caption: Caption, listed: dict, shown: list[str], at: int) -> bool:
    above = shown[at - 1]
    heading = listed["heading"]
    intro = {heading, lead_in(heading)} if heading else {facts.title}  # as the captions introduce it
    if above in intro or (listed["lead"] and _last(listed["lead"]) == _last(above)):
        return True
    headed = next((x for x in reversed(shown[:at]) if x in facts.headings), None)
    return bool(heading and headed == heading) or (not heading and caption.kind == "benefits")


def item_list(facts: Facts, line: str) -> dict | None:
    text = BULLET.sub("", line)
    shown = key(text.rstrip("…"))
    for found in facts.lists:
        for item in found["items"]:
            if key(item) == shown or key(item.split(": ", 1)[0]) == shown:
                return found
            if text.endswith("…") and key(item).startswith(shown):  # an item cut to fit
                return found
    return None


def _last(text: str) -> str:
    said = T.sentences(text)
    return key(said[-1]) if said else ""


# Someone else's tracking --------------------------------------------------------------------------------
def foreign_tracking(caption: Caption, site_url: str) -> list[tuple[str, str]]:
    """(link, what is wrong) for each link of the site's own that reports to another campaign: a
    utm_source that is not this platform's; and for any link, a query parameter given twice."""
    found = []
    for match in HTTP_URL.finditer(caption.text):
        url = match.group(0).rstrip(URL_END)
        keys = [k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
        if twice := next((k for k in keys if keys.count(k) > 1), ""):
            found.append((url, f"carries {twice} twice"))
        elif is_own(url, site_url):
            source = dict(parse_qsl(urlsplit(url).query)).get("utm_source", caption.platform)
            if source != caption.platform:
                found.append((url, f"carries utm_source={source}, not {caption.platform}"))
    return found


# The rules, reported -----------------------------------------------------------------------------------
def report(post: Post, sections: Iterable[Section], made: list[Caption], settings: Settings,
           problems: Problems) -> None:  # fmt: skip
    """Every lint of one post's captions, as warnings (rules caption-*)."""
    facts = Facts(post, sections)
    labels = {r.platform: r.label for r in rules().values()}
    for caption in made:
        name = f"the {labels[caption.platform]} {caption.kind}"

        def warn(index: int, message: str, rule: str, caption: Caption = caption) -> None:
            where, line = _place(post, caption, index)
            problems.warn(where, line, message, rule)

        for n, part in enumerate(caption.parts):
            if opening := mid_sentence(facts, part):
                warn(
                    n,
                    f"{name}'s post {n + 1} starts mid-sentence: “{_short(opening)}”",
                    "caption-mid-sentence",
                )
        for n, sentence in dangling(facts, caption):
            warn(n, f"{_which(name, caption, n)} points back at what it does not show: “{_short(sentence)}”",
                 "caption-dangling")  # fmt: skip
        for n, item in lists_alone(facts, caption):
            warn(n, f"{_which(name, caption, n)} shows a list without its heading or lead-in: “{_short(item)}”",
                 "caption-list")  # fmt: skip
        for url, wrong in foreign_tracking(caption, settings.site_url):
            warn(0, f"{_which(name, caption, 0)} links {url}, which {wrong}: its visits would count for "
                 "another campaign", "caption-utm")  # fmt: skip
    _titles(facts, made, labels, problems)


def _titles(facts: Facts, made: list[Caption], labels: dict[str, str], problems: Problems) -> None:
    """One warning per platform whose captions show the title shortened, naming the captions."""
    cut: dict[str, list[tuple[str, str]]] = {}
    for caption in made:
        if shown := title_cut(facts, caption):
            cut.setdefault(caption.platform, []).append((caption.kind, shown))
    for platform, found in cut.items():
        kinds = [kind for kind, _ in found]
        named = ", ".join(kinds[:-1]) + (" and " if len(kinds) > 1 else "") + kinds[-1]
        where = (
            "pin's title"
            if platform == "pinterest"
            else named + (" captions" if len(kinds) > 1 else " caption")
        )
        problems.warn(facts.post.source, 0, f"the title ({len(facts.title)} characters) is too long for "
                      f"{labels[platform]}: its {where} "
                      f"show{'s' if len(kinds) == 1 or platform == 'pinterest' else ''} it as “{found[0][1]}”",
                      "caption-title")  # fmt: skip


def _place(post: Post, caption: Caption, index: int) -> tuple[str, int]:
    """An edited caption's problem is where it was edited: its line in the social file."""
    edit = post.edits.of(caption.platform, caption.kind) if caption.edited else None
    if edit is None or not post.edits.source:
        return post.source, 0
    return post.edits.source, edit.line_of(index) if caption.parts else edit.line


def _which(name: str, caption: Caption, n: int) -> str:
    """'the X thread's post 3', 'the LinkedIn benefits caption'."""
    return f"{name}'s post {n + 1}" if len(caption.parts) > 1 else f"{name} caption"


def _short(text: str, most: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= most else flat[:most].rsplit(" ", 1)[0] + "…"
