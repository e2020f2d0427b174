"""What an article's benefits and quote captions show besides its sections: the list (with what
introduces it) and the quote (with who said it), chosen from the article's structure."""

from __future__ import annotations

import re
from dataclasses import dataclass

import regex

from newsletter.content import markup
from newsletter.content.posts import Post
from newsletter.social import text as T
from newsletter.social.article import AVOID, DEMONSTRATIVE, GOOD, HEADING, Scorer, Section, attribution

MIN_QUOTE_WORDS = 6
MAX_QUOTE_WORDS = 30  # a pull quote is read at a glance
_QUESTION = "?؟？"
# A sentence that opens with one of these is an instruction, a how-to step: not a pull quote.
_INSTRUCTION = regex.compile(
    r"(?:use|apply|try|add|avoid|skip|book|keep|wear|give|cut|hold|place|sweep|start|stop|swap|finish|warm|"
    r"cleanse|rinse|pat|remember|make|take|let|don[’']?t|never|always)\b"
    # words that are nouns as often as verbs: an instruction when an object or a manner follows
    r"|(?:massage|press|work|roll|layer|clean|glide|stroke|rest)\s+(?:your|the|a|an|it|them|this|that|"
    r"these|those|each|every|slowly|gently|lightly|firmly|outwards|upwards|up|down|out|back)\b",
    re.I,
)
_ENDS = regex.compile(r"(?:[.!。！]|\p{Extended_Pictographic}\uFE0F?)$")  # a statement, not a question


@dataclass(frozen=True)
class Highlights:
    """The list a benefits caption shows. `intros` are what may introduce it, richest first: each one
    says what the items are (its lead, its heading, or "" when the title is its heading)."""

    items: tuple[str, ...] = ()
    intros: tuple[str, ...] = ("",)
    numbers: tuple[int, ...] = ()  # an ordered list's item numbers (steps)
    avoid: bool = False  # things to avoid: its intro says so


@dataclass(frozen=True)
class Quote:
    text: str = ""  # the words, without quotation marks around them
    by: str = ""  # who said them; "" when the article does not say


def highlights(post: Post, sections: list[Section], title: str) -> Highlights:
    """The front matter's `highlights`, else the article's list of benefits, ways, reasons or steps,
    else another list, else numbered headings the title announces ('7 Reasons…'), else a list of
    things to avoid; most items first, then the earliest. A list goes with what introduces it."""
    if post.highlights and tuple(post.highlights) != markup.benefits(post.tree)[0]:
        return Highlights(tuple(i for i in (T.plain(h) for h in post.highlights) if i))
    found: list[tuple[tuple[int, int, int], Highlights]] = []
    for at, section in enumerate(sections):
        for index, unit in enumerate(section.units):
            if not unit.is_list or len(unit.items) < 2:
                continue
            intros = _intros(section, index)
            if intros:
                rank = 3 if unit.avoid else 0 if unit.good else 1
                found.append(((rank, -len(unit.items), at), Highlights(unit.items, intros, unit.numbers,
                                                                        unit.avoid)))  # fmt: skip
    if listed := _numbered_headings(sections, title):
        found.append(((3 if listed.avoid else 2, -len(listed.items), 0), listed))
    return min(found, key=lambda pair: pair[0])[1] if found else Highlights()


def _intros(section: Section, index: int) -> tuple[str, ...]:
    unit = section.units[index]
    if not section.heading and not unit.text and unit.needs == (HEADING,):
        return ("",)  # a list before any heading and without lead: the title is its heading
    needed, heading_needed = section.closure(index)
    if not needed or any(section.units[i].is_list for i in needed[:-1]):
        # its lead cannot be shown (it points back at a list or at what cannot be said): its heading
        # alone may introduce it, unless only the lead says it holds things to avoid
        if section.heading and unit.usable and not (unit.avoid and not AVOID.search(section.heading)):
            return (lead_in(section.heading),)
        return ()
    lead = ""
    said = T.Seen([section.heading] if heading_needed else [])
    for i in needed:  # a quotation it points back at stands on a line of its own
        unit = section.units[i]
        if unit.text and said.says_any(unit.text):
            continue  # said already (by the heading, or by a sentence before it)
        said.add_all(unit.text)
        if unit.quote:
            lead = f"{lead}\n{unit.typeset}\n".lstrip("\n")
        elif unit.text:
            lead = f"{lead}{unit.text}" if not lead or lead.endswith("\n") else T.join([lead, unit.text])
    lead = lead.strip("\n")
    heading = lead_in(section.heading)
    if lead and heading_needed:  # the lead introduces the list: the heading above it is a title line
        options = [f"{section.heading}\n{lead}", heading]
    elif lead:
        options = [lead, heading] if heading else [lead]
    else:
        options = [heading]  # a list without lead (closure needs the heading, so there is one)
    if not section.heading and not lead:
        options = [""]
    return tuple(dict.fromkeys(options))


def lead_in(heading: str) -> str:
    """A heading standing as a lead-in: 'Five mistakes we see most often:'. One that ends in a URL is
    left as it is: a colon glued on would become part of the link."""
    if not heading or heading[-1] in T.ENDED or "://" in heading.rsplit(None, 1)[-1]:
        return heading
    cjk = not heading[-1].isascii() and any(T.is_cjk(c) for c in heading)
    return f"{heading}：" if cjk else f"{heading}:"  # Japanese and Chinese: full width


def _numbered_headings(sections: list[Section], title: str) -> Highlights | None:
    numbered = [s for s in sections if s.number]
    if len(numbered) < 3 or [s.number for s in numbered] != list(range(1, len(numbered) + 1)):
        return None
    count = re.match(r"\s*(\d+)\b", title)
    if not (count and int(count.group(1)) == len(numbered)) and not GOOD.search(title):
        return None
    return Highlights(tuple(s.heading for s in numbered), avoid=bool(AVOID.search(title)))


def quote(post: Post, sections: list[Section], scorer: Scorer, site: str) -> Quote:
    """The front matter's `quote` (its '— Name' parsed), else the first blockquote that is a real
    quote (six words or more, not a question), else the article's most telling plain sentence. The
    author is credited only with words of their own article; a quote names whom it names."""
    author = post.author if post.author != site else ""
    if post.quote and post.quote != markup.first_blockquote(post.tree):
        words, who = attribution(T.plain(post.quote))
        words = T.unquoted(words)
        return Quote(words, who or (author if _own(words, sections) else ""))
    for section in sections:
        for unit in section.units:
            if unit.quote and unit.usable and _quotable(unit.text):
                return Quote(unit.text, unit.by or (author if _own(unit.text, sections) else ""))
    best = _striking(sections, scorer, T.plain(post.summary))
    return Quote(best, author) if best else Quote()


def _quotable(text: str) -> bool:
    return T.words_in(text) >= MIN_QUOTE_WORDS and text.rstrip('"”’»」』)').strip()[-1:] not in _QUESTION


def _own(words: str, sections: list[Section]) -> bool:
    """Whether every sentence of `words` is a sentence of the article's own prose."""
    prose = {T.key(u.text) for s in sections for u in s.units if not u.is_list and not u.quote}
    said = T.sentences(words)
    return bool(said) and all(T.key(s) in prose for s in said)


def _striking(sections: list[Section], scorer: Scorer, summary: str) -> str:
    """The best-scored sentence that stands alone: the author's prose (not a list item, a quotation,
    a how-to step or a question), six to thirty words, no link, not pointing back, not the summary."""
    said = T.Seen([summary])
    best: tuple[tuple[bool, float], int, str] | None = None
    position = 0
    for section in sections:
        if section.steps:
            continue
        for unit in section.units:
            position += 1
            text = unit.text
            if unit.is_list or unit.quote or not unit.usable or unit.needs or "://" in text:
                continue
            if not _ENDS.search(text) or not MIN_QUOTE_WORDS <= T.words_in(text) <= MAX_QUOTE_WORDS:
                continue
            if _INSTRUCTION.match(text) or DEMONSTRATIVE.search(text):
                continue  # a how-to step; or 'these changes', 'such results': which ones?
            score = (text not in said, scorer.score(text, section.heading))  # the teaser's words last
            if best is None or score > best[0]:
                best = (score, position, text)
    return best[2] if best else ""
