"""Properties every caption of an article must have, read from the captions as a follower reads them
and checked against the article's own tree (issue 21, items 1-5). Used on the corpus and on
hypothesis-generated articles."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

import regex

from newsletter.content.posts import Post
from newsletter.social import text as T
from newsletter.social.article import resolver, sections
from newsletter.social.captions import URL_END
from newsletter.social.counting import HTTP_URL, rules
from newsletter.social.records import Caption
from newsletter.urls import is_allowed, is_own

# The words for a sentence that opens by pointing back, and for a list of things to avoid.
OPENS_POINTING = regex.compile(
    r"[\"“‘(]*(?:this|that|these|those|it|its|they|such|(?:each|all|both) of (?:these|those|them))\b", re.I
)
AVOID_WORDS = regex.compile(r"\b(?:mistakes?|myths?|don[’']?ts?|avoid\w*|never)\b", re.I)
GOOD_WORDS = regex.compile(r"\b(?:benefits?|ways?|reasons?|steps?)\b", re.I)
BULLET = re.compile(r"^(?:[-•]|\d+\.) ")
LABEL = re.compile(r"\n\n\d+/\d+$")
MIN_WORDS = 4


class Facts:
    """What the article is, from its tree: what may never be said, its lists, its sentences in order."""

    def __init__(self, post: Post, site_url: str):
        tree = post.tree
        self.post = post
        self.title = T.plain(post.title)
        self.refused = [_text(a) for a in tree.iter("a") if not is_allowed(a.get("href", "")) and _text(a)]
        self.alts = [img.get("alt", "").strip() for img in tree.iter("img") if img.get("alt", "").strip()]
        self.cells = [_text(c) for tag in ("td", "th") for c in tree.iter(tag) if _text(c)]
        self.sections = sections(tree, self.title, resolver(post.url, site_url))
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
                    self.lists.append(
                        {
                            "items": unit.items,
                            "heading": section.heading,
                            "lead": unit.text,
                            "avoid": bool(AVOID_WORDS.search(f"{section.heading} {unit.text}")),
                        }
                    )
                    previous = tuple(unit.items)
                    continue
                key = _key(unit.text)
                self.order.setdefault(key, position)
                self.before.setdefault(key, previous)
                if not unit.quote:
                    self.prose.add(key)
                previous = (unit.text,)
        numbered = tuple(s.heading for s in self.sections if s.number)
        if len(numbered) >= 3:  # a listicle's numbered headings may stand as its list, under its title
            self.lists.append({"items": numbered, "heading": "", "lead": "", "avoid": False})
        self.summary = [_key(s) for s in T.sentences(T.plain(post.summary))]
        # what a post may open with: a heading, a sentence (a list's lead too), a list item
        self.starts = {_key(x) for x in self.headings} | set(self.summary) | set(self.order)
        for section in self.sections:
            for unit in section.units:
                self.starts.update(_key(s) for s in T.sentences(unit.text))


def _key(text: str) -> str:
    """A sentence's key with its URLs left out (a platform tags the site's own links its way)."""
    return T.key(HTTP_URL.sub(" ", text) if "://" in text else text)


def _text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def check(post: Post, made: list[Caption], site_url: str) -> None:
    facts = Facts(post, site_url)
    table = rules()
    for caption in made:
        rule = table[caption.platform]
        parts = caption.parts or (caption.text,)
        for part in parts:
            assert rule.fits(part), (caption.platform, caption.kind, rule.measure(part))
        _never_said(facts, caption)
        _lists_travel_with_their_intro(facts, caption)
        _links_tagged_once(caption, site_url, rule.utm)
        if caption.kind == "thread":
            _thread(facts, caption)
        if caption.kind == "benefits":
            _benefits(facts, caption, made)
        if caption.kind == "quote":
            _quote(facts, caption)


def _lines(part: str) -> list[str]:
    return [line.strip() for line in LABEL.sub("", part).split("\n") if line.strip()]


def _never_said(facts: Facts, caption: Caption) -> None:
    """A refused link's text, image alt text and table cells never become content."""
    for text in facts.refused + [a for a in facts.alts if T.words_in(a) >= 3]:
        assert text not in caption.text, (caption.platform, caption.kind, text)
    said = {_key(s) for line in _lines(caption.text) for s in T.sentences(BULLET.sub("", line))}
    for cell in facts.cells:
        assert _key(cell) not in said or _key(cell) in facts.order, (caption.platform, cell)


def _item_list(facts: Facts, line: str) -> dict | None:
    text = BULLET.sub("", line)
    shown = _key(text.rstrip("…"))
    for found in facts.lists:
        for item in found["items"]:
            if _key(item) == shown or _key(item.split(": ", 1)[0]) == shown:
                return found
            if text.endswith("…") and _key(item).startswith(shown):  # an item cut to fit
                return found
    return None


def _last(text: str) -> str:
    said = T.sentences(text)
    return _key(said[-1]) if said else ""


def _lists_travel_with_their_intro(facts: Facts, caption: Caption) -> None:
    """Every list comes with its lead (the line right above it), or under its heading (the post's
    first line); a list spread over posts goes on at the top of the next one; a list of things to
    avoid is introduced by words that say so."""
    previous_list = None
    for n, part in enumerate(caption.parts or (caption.text,)):
        lines = _lines(part)
        for at, line in enumerate(lines):
            if not BULLET.match(line) or (at and BULLET.match(lines[at - 1])):
                continue
            found = _item_list(facts, line)
            if found is None:
                continue  # the front matter's highlights
            if at == 0:  # goes on from the post before, which ended in the same list
                assert n and previous_list is found, (caption.platform, caption.kind, part)
                continue
            above = lines[at - 1]
            heading = found["heading"]
            intro = {heading, f"{heading}:"} if heading else {facts.title}
            ok = above in intro or (found["lead"] and _last(found["lead"]) == _last(above))
            headed = next((x for x in reversed(lines[:at]) if x in facts.headings), None)
            ok = ok or (heading and headed == heading) or (not heading and caption.kind == "benefits")
            assert ok, (caption.platform, caption.kind, above, line)
            if found["avoid"]:
                said = " ".join(lines[:at])
                assert AVOID_WORDS.search(said), (caption.platform, caption.kind, part)
        previous_list = _item_list(facts, lines[-1]) if lines and BULLET.match(lines[-1]) else None


def _links_tagged_once(caption: Caption, site_url: str, utm: bool) -> None:
    for match in HTTP_URL.finditer(caption.text):
        url = match.group(0).rstrip(URL_END)
        keys = [k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
        assert len(keys) == len(set(keys)), url
        if is_own(url, site_url):
            tags = dict(parse_qsl(urlsplit(url).query))
            sources = [k for k in keys if k.startswith("utm_")]
            if utm:
                assert tags.get("utm_source") == caption.platform, url
            else:
                assert not sources, url


def _sentences_of(part: str) -> list[tuple[int, str]]:
    """(line number, sentence) for the prose of a post: not headings' neighbours, bullets or links."""
    out = []
    for at, line in enumerate(_lines(part)):
        if BULLET.match(line) or line.startswith(("#", "Read the whole article", "“")):
            continue
        out.extend((at, s) for s in T.sentences(line))
    return out


def _thread(facts: Facts, caption: Caption) -> None:
    parts = caption.parts or (caption.text,)
    bodies = [LABEL.sub("", p) for p in parts]
    # 3. the hook: the title (or its start), then whole sentences of the summary
    first = _lines(bodies[0])
    title = first[0].rstrip("…")
    assert facts.title.startswith(title), first[0]
    last_position = 0
    last_said = ""
    for n, body in enumerate(bodies):
        lines = _lines(body)
        closing = n == len(bodies) - 1
        if not closing:
            assert T.words_in(body) >= MIN_WORDS, (caption.platform, body)
        if n:
            opening = lines[0]
            starts = (
                opening in facts.headings
                or BULLET.match(opening)
                or opening.startswith(("“", "Read the", "#"))
                or _starts_a_sentence(facts, opening)
            )
            assert starts, (caption.platform, "starts mid-sentence", opening)
        said = _sentences_of(body)
        for index, (line, sentence) in enumerate(said):
            key = _key(sentence)
            if n == 0 or key not in facts.order:
                continue
            # 1. sentences keep the article's order
            assert facts.order[key] >= last_position, (caption.platform, "out of order", sentence)
            last_position = facts.order[key]
            # 1. a sentence that opens by pointing back comes right after what it points at
            if OPENS_POINTING.match(sentence):
                if index and said[index - 1][0] == line:
                    before = said[index - 1][1]
                else:
                    before = lines[line - 1] if line else last_said
                allowed = [_key(b) for b in facts.before.get(key, ())]
                assert any(a and a in _key(before) for a in allowed), (
                    caption.platform, "dangling", sentence, before
                )  # fmt: skip
        if lines:
            last_said = lines[-1]
        _links_kept(facts, body)


def _starts_a_sentence(facts: Facts, line: str) -> bool:
    first = T.sentences(line)[0] if T.sentences(line) else line
    key = _key(first.rstrip("…"))
    return key in facts.starts or (first.endswith("…") and any(k.startswith(key) for k in facts.starts))


def _links_kept(facts: Facts, body: str) -> None:
    """A sentence that had a link is said with its URL or not at all."""
    for section in facts.sections:
        for unit in section.units:
            if "://" in unit.text and not unit.is_list:
                bare = " ".join(HTTP_URL.sub(" ", unit.text).split())
                assert bare not in body, bare


def _benefits(facts: Facts, caption: Caption, made: list[Caption]) -> None:
    """At least three items (or all of a shorter list), and how many were left out; never the list
    of things to avoid when the article has a list of benefits, ways, reasons or steps."""
    lines = _lines(caption.text)
    shown = [line for line in lines if BULLET.match(line)]
    found = _item_list(facts, shown[0]) if shown else None
    if found is None:
        return
    said = T.Seen()  # an item repeating the title, the intro or another item is not one more item
    for text in (facts.title, found["heading"], found["lead"]):
        said.add_all(text)
    total = 0
    for item in found["items"]:
        if not said.says_any(item):
            total += 1
            said.add_all(item)
    assert len(shown) >= min(3, total), (caption.platform, caption.text)
    more = re.search(r"\+(\d+) more in the article", caption.text)
    left = total - len(shown)
    assert (int(more.group(1)) if more else 0) == max(0, left), (caption.platform, left, caption.text)
    if found["avoid"]:
        good = [f for f in facts.lists if not f["avoid"] and GOOD_WORDS.search(f"{f['heading']} {f['lead']}")]
        assert not good, (caption.platform, "a list of things to avoid as the benefits", caption.text)


def _quote(facts: Facts, caption: Caption) -> None:
    """Curly quotes outside, curly single ones inside; printed once with its attribution; never a
    list item, a question or a sentence under six words; the author credited only for their own."""
    lines = _lines(caption.text)
    said = lines[0]
    assert said.startswith("“") and said.endswith("”"), said
    inner = said[1:-1]
    assert '"' not in inner and "“" not in inner and "”" not in inner, said
    assert not inner.rstrip("’").endswith("?") and T.words_in(inner) >= 6, said
    assert all(inner != item for f in facts.lists for item in f["items"]), said
    if not facts.post.quote or _key(facts.post.quote) not in _key(inner):  # chosen, not given
        assert not OPENS_POINTING.match(inner), ("a quote pointing at what it does not show", said)
    credits = [line for line in lines if line.startswith("— ")]
    assert len(credits) <= 1, caption.text
    if credits:
        assert credits[0][2:] not in inner, caption.text
        explicit = facts.post.quote and facts.post.quote.rstrip().endswith(credits[0][2:])
        if credits[0][2:] == facts.post.author and not explicit:
            keys = [_key(s.rstrip("…")) for s in T.sentences(inner)]
            assert all(k in facts.prose for k in keys), ("credited for others' words", said)
