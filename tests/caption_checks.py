"""Properties every caption of an article must have, read from the captions as a follower reads them
and checked against the article's own tree (issue 21, items 1-5). Used on the corpus and on
hypothesis-generated articles. What `newsletter check` lints (newsletter/social/lint.py) is judged by the
very functions it uses: one function per idea."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

import regex

from newsletter.content.posts import Post
from newsletter.social import lint
from newsletter.social import text as T
from newsletter.social.article import resolver, sections
from newsletter.social.captions import URL_END
from newsletter.social.counting import HTTP_URL, rules
from newsletter.social.lint import BULLET, LABEL, key, lines
from newsletter.social.records import Caption
from newsletter.urls import is_allowed, is_own

GOOD_WORDS = regex.compile(r"\b(?:benefits?|ways?|reasons?|steps?)\b", re.I)
MIN_WORDS = 4


class Facts(lint.Facts):
    """The lints' facts, and what may never be said: refused links' text, image alt text, table cells."""

    def __init__(self, post: Post, site_url: str):
        tree = post.tree
        super().__init__(post, sections(tree, T.plain(post.title), resolver(post.url, site_url)))
        self.refused = [_text(a) for a in tree.iter("a") if not is_allowed(a.get("href", "")) and _text(a)]
        self.alts = [img.get("alt", "").strip() for img in tree.iter("img") if img.get("alt", "").strip()]
        self.cells = [_text(c) for tag in ("td", "th") for c in tree.iter(tag) if _text(c)]


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
        # every list comes with its lead or under its heading; a list of things to avoid says so
        alone = lint.lists_alone(facts, caption)
        assert not alone, (caption.platform, caption.kind, alone)
        _links_tagged_once(caption, site_url, rule.utm)
        if caption.kind == "thread":
            _thread(facts, caption)
        if caption.kind == "benefits":
            _benefits(facts, caption, made)
        if caption.kind == "quote":
            _quote(facts, caption)


def _never_said(facts: Facts, caption: Caption) -> None:
    """A refused link's text, image alt text and table cells never become content."""
    for text in facts.refused + [a for a in facts.alts if T.words_in(a) >= 3]:
        assert text not in caption.text, (caption.platform, caption.kind, text)
    said = {key(s) for line in lines(caption.text) for s in T.sentences(BULLET.sub("", line))}
    for cell in facts.cells:
        assert key(cell) not in said or key(cell) in facts.order, (caption.platform, cell)


def _links_tagged_once(caption: Caption, site_url: str, utm: bool) -> None:
    """No one else's tracking and none twice (the lint); the platform's own where it has tracking, none
    where it has not."""
    foreign = lint.foreign_tracking(caption, site_url)
    assert not foreign, foreign
    for match in HTTP_URL.finditer(caption.text):
        url = match.group(0).rstrip(URL_END)
        keys = [k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
        if is_own(url, site_url):
            tags = dict(parse_qsl(urlsplit(url).query))
            sources = [k for k in keys if k.startswith("utm_")]
            if utm:
                assert tags.get("utm_source") == caption.platform, url
            else:
                assert not sources, url


def _thread(facts: Facts, caption: Caption) -> None:
    parts = caption.parts or (caption.text,)
    bodies = [LABEL.sub("", p) for p in parts]
    # 3. the hook: the title (or its start), then whole sentences of the summary
    first = lines(bodies[0])
    title = first[0].rstrip("…")
    assert facts.title.startswith(title), first[0]
    last_position = 0
    for n, body in enumerate(bodies):
        closing = n == len(bodies) - 1
        if not closing:
            assert T.words_in(body) >= MIN_WORDS, (caption.platform, body)
        # 3. every post starts at the start of a sentence, a heading or a list item
        assert not lint.mid_sentence(facts, body), (caption.platform, "starts mid-sentence", lines(body)[0])
        for _, sentence in lint.sentences_of(body):
            found = key(sentence)
            if n == 0 or found not in facts.order:
                continue
            # 1. sentences keep the article's order
            assert facts.order[found] >= last_position, (caption.platform, "out of order", sentence)
            last_position = facts.order[found]
        _links_kept(facts, body)
    # 1. a sentence that opens by pointing back comes right after what it points at
    assert not lint.dangling(facts, caption), (caption.platform, "dangling", lint.dangling(facts, caption))


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
    shown = [line for line in lines(caption.text) if BULLET.match(line)]
    found = lint.item_list(facts, shown[0]) if shown else None
    if found is None:
        return
    said = T.Seen()  # an item repeating the title, the intro or another item is not one more item
    # The intro as the caption shows it, not only the list's lead: a lead that points back ('It…, as
    # follows:') comes with the sentence it points at, and an item saying that sentence again is no
    # more one more item than one repeating the lead itself.
    above = lines(caption.text)[: lines(caption.text).index(shown[0])]
    for text in (facts.title, found["heading"], found["lead"], *above):
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
    shown = lines(caption.text)
    said = shown[0]
    assert said.startswith("“") and said.endswith("”"), said
    inner = said[1:-1]
    assert '"' not in inner and "“" not in inner and "”" not in inner, said
    assert not inner.rstrip("’").endswith("?") and T.words_in(inner) >= 6, said
    assert all(inner != item for f in facts.lists for item in f["items"]), said
    # chosen, not given: not pointing at what it does not show
    assert not lint.dangling(facts, caption), ("a quote pointing at what it does not show", said)
    credits = [line for line in shown if line.startswith("— ")]
    assert len(credits) <= 1, caption.text
    if credits:
        assert credits[0][2:] not in inner, caption.text
        explicit = facts.post.quote and facts.post.quote.rstrip().endswith(credits[0][2:])
        if credits[0][2:] == facts.post.author and not explicit:
            keys = [key(s.rstrip("…")) for s in T.sentences(inner)]
            assert all(k in facts.prose for k in keys), ("credited for others' words", said)
