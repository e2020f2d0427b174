"""An article's structure for captions, read from the tree Python-Markdown built (never from the HTML,
never by patterns over the Markdown): sections of units in the article's order (sentences, lists with
what introduces them, quotations), each unit knowing what it points back at; and which sentences say
the most.

What never becomes a sentence: image alt text, table cells, code blocks, and a sentence holding a link
the sanitiser refuses (`[Click me](javascript:…)`). A sentence keeps its links as `text URL`."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import regex

from newsletter.run.memo import per_run
from newsletter.social import text as T
from newsletter.social.counting import HTTP_URL
from newsletter.urls import absolute, is_allowed, is_merge_tag, scheme_of

# Words that carry no topic: they never make a sentence look informative.
STOPWORDS = frozenset(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "among",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "even",
        "every",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "however",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "like",
        "made",
        "make",
        "many",
        "may",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "never",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "since",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "you",
        "your",
        "yours",
    ]
)

HEADING = -1  # a unit that needs its section's heading (an answer under its question, a list without lead)
NOWHERE = -2  # a unit that needs something no post can show with it (what came before the section)
REFUSED = "\ue000"  # stands for a refused link: the sentence holding it is never used
_NUMBERING = re.compile(r"^\s*(\d+|[ivxlc]+|[a-z])[.):]\s+", re.I)
_SKIPPED = ("img", "ul", "ol", "table", "pre", "blockquote", "script", "style", "cite")

# A sentence that opens with one of these points back at what came before it.
_POINTING = frozenset(
    [
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "they",
        "them",
        "their",
        "he",
        "she",
        "his",
        "her",
        "such",
        "and",
        "but",
        "so",
        "or",
        "yet",
        "also",
        "then",
        "because",
        "which",
        "however",
        "instead",
        "still",
        "otherwise",
        "thus",
        "therefore",
        "hence",
        "plus",
        "yes",
        "no",
    ]
)
_FIRST_WORD = regex.compile(r"[\"“‘'(«]*(\p{L}+)")
_PART_OF = regex.compile(
    r"[\"“‘'(«]*(?:each|all|both|none|some|many|most|several|any|either|neither|one|two|three|four|five)"
    r"\s+of\s+(?:these|those|them|this|that|the above)\b",
    re.I,
)
_ONE_OF = regex.compile(r"\s+(?:of|day|way|thing|reason|more|last|final|simple|small|easy)\b", re.I)
DEMONSTRATIVE = regex.compile(r"\b(?:this|these|those|such)\b(?!\s+(?:week|month|year|morning|evening|"
                               r"season|autumn|fall|winter|spring|summer|weekend|time of year)\b)", re.I)  # fmt: skip
_THAT_NOUN = regex.compile(
    r"\b(?:of|with|in|on|for|by|from|at|to|into|through|about|like|after|before|during|without|under|"
    r"over|honor|honour)\s+that\b",
    re.I,
)
# "Without it, stagnation begins.": a preposition and a pronoun open it.
_AFTER_WORD = regex.compile(
    r"[\"“‘'(«]*(?:without|with|for|from|after|before|despite|like|unlike|beyond|because of|thanks to|"
    r"instead of|besides|through|by|of|in|on)\s+(?:it|them|this|that|these|those|its|their)\b",
    re.I,
)
# "These are the products we use:" and "Here is how:" point at the list that follows, not back.
_POINTS_AHEAD = regex.compile(r"[\"“‘'(«]*(?:these|those|this|here)(?:\s+(?:is|are)|’s|'s)\b", re.I)
# Words a heading or lead uses for a list of things to avoid, and for a list of things to do or gain.
AVOID = regex.compile(r"\b(?:mistakes?|myths?|don[’']?ts?|avoid\w*|never|pitfalls?|skip\w*|worst|"
                      r"(?:do|does) not|warning|contraindicat\w*)\b", re.I)  # fmt: skip
GOOD = regex.compile(r"\b(?:benefi\w*|ways?|reasons?|steps?|tips?|routines?|rituals?|how to|why|"
                     r"advantages?|results?|effects?|helps?|can)\b", re.I)  # fmt: skip


def refers(sentence: str) -> bool:
    """Whether a sentence opens by pointing back ('This…', 'It moves…', 'But…', 'Each of these
    movements…', 'When we honor that system…'). English words only."""
    first = _FIRST_WORD.match(sentence)
    if first is None:
        return False
    if sentence.endswith(":") and _POINTS_AHEAD.match(sentence):
        return False
    word = first.group(1).lower()
    if _PART_OF.match(sentence):
        return True  # 'Each of them leaves skin drier…', 'Both of these…'
    if word in _POINTING or (word == "one" and not _ONE_OF.match(sentence, first.end())):
        return True  # 'One booked three weeks ahead…' (a facial): but not 'One of the ways…'

    opening = " ".join(sentence.split(" ")[:5])
    return bool(DEMONSTRATIVE.search(opening) or _THAT_NOUN.search(opening) or _AFTER_WORD.match(sentence))


@dataclass(frozen=True)
class Unit:
    """One thing a section says, in the article's order: a sentence, a list (`text` is its lead,
    the sentences introducing it, maybe none) or a quotation (`text` its words, `by` who said them)."""

    text: str = ""
    needs: tuple[int, ...] = ()  # the units it points back at (HEADING, NOWHERE: see above)
    items: tuple[str, ...] = ()
    numbers: tuple[int, ...] = ()  # an ordered list's item numbers, as the article shows them
    avoid: bool = False  # a list of things to avoid: its heading or its lead says so
    good: bool = False  # a list of benefits, ways, reasons or steps
    quote: bool = False
    by: str = ""
    usable: bool = True  # False: it holds a refused link
    paragraph: int = 0

    @property
    def is_list(self) -> bool:
        return bool(self.items)

    @property
    def typeset(self) -> str:
        """A quotation as a post shows it: “…” — Name."""
        said = f"“{T.nested(self.text)}”"
        return f"{said} — {self.by}" if self.by else said


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the text before the first heading
    units: tuple[Unit, ...]
    number: int = 0  # the heading's own number ('3. Exfoliation is safer…' → 3)
    steps: bool = False  # a how-to section (a 'Step' heading or a numbered list): instructions

    def sentences(self) -> list[str]:
        return [u.text for u in self.units if not u.is_list and u.usable]

    def closure(self, index: int, said: int = -1) -> tuple[list[int], bool]:
        """The units `index` cannot be shown without (itself included, in order), and whether it
        needs the heading; ([], False) when it cannot be shown at all. `said`: a unit the reader has
        just read (the end of the post before): what it needs is not needed again."""
        found, heading, todo = set(), False, [index]
        while todo:
            at = todo.pop()
            if at in found or (at == said and at != index):
                continue
            if at == NOWHERE or not self.units[at].usable:
                return [], False
            found.add(at)
            for need in self.units[at].needs:
                if need == HEADING:
                    heading = True
                else:
                    todo.append(need)
        if heading and not self.heading:
            return [], False
        return sorted(found), heading


Resolve = Callable[[str], "str | None"]  # a link's href → the URL a caption shows, "" none, None refused


def resolver(page_url: str, site_url: str) -> Resolve:
    def resolve(href: str) -> str | None:
        href = href.strip()
        if not href:
            return ""
        if not is_allowed(href) or is_merge_tag(href):
            return None
        if scheme_of(href) == "mailto":
            return href[len("mailto:") :].split("?", 1)[0]
        if href.startswith("#"):
            return page_url.split("#", 1)[0] + href
        return absolute(href, site_url)

    return resolve


def inline(element: ET.Element, resolve: Resolve) -> str:
    """An element's words as a caption says them: links as 'text URL', images, nested lists and
    tables left out, a refused link as REFUSED."""
    parts: list[str] = []
    _walk(element, resolve, parts)
    return " ".join(_URL_END.sub(_after_url, "".join(parts)).split())


_URL_ENDS = "\ue001"  # where a link's URL ends, until what follows it is known (markup may come between)
_URL_END = re.compile(f"{_URL_ENDS}(.?)", re.S)


def _after_url(match: re.Match) -> str:
    """ASCII punctuation after a link stays on it (the platforms leave it out of the URL); anything else
    (a letter of any script, '-', "'", '/', other punctuation: 'をご覧ください。', '-based') would become
    part of the URL, so a space comes first."""
    following = match.group(1)
    return following if not following or following.isspace() or following in ".,;:!?)" else f" {following}"


def _walk(element: ET.Element, resolve: Resolve, parts: list[str]) -> None:
    parts.append(element.text or "")
    for child in element:
        if child.tag == "a":
            parts.append(_anchor(child, resolve))
        elif child.tag == "br":
            parts.append(" ")
        elif child.tag not in _SKIPPED:
            _walk(child, resolve, parts)
        parts.append(child.tail or "")


def _anchor(element: ET.Element, resolve: Resolve) -> str:
    words = inline(element, resolve)
    url = resolve(element.get("href", ""))
    if url is None:
        return REFUSED
    if not url or not words:
        return f" {words} " if words else ""
    # What follows the URL is settled by `inline` (_after_url), once the markup around the link is read.
    return f" {url}{_URL_ENDS}" if words in (url, element.get("href")) else f" {words} {url}{_URL_ENDS}"


def heading_text(element: ET.Element, resolve: Resolve) -> tuple[str, int]:
    """'1. The anatomy of expression' → ('The anatomy of expression', 1): a thread numbers its posts."""
    said = inline(element, resolve)
    found = _NUMBERING.match(said)
    number = int(found.group(1)) if found and found.group(1).isdigit() else 0
    return _NUMBERING.sub("", said).replace(REFUSED, "").strip(), number


def sections(tree: ET.Element, title: str = "", resolve: Resolve = lambda href: href) -> list[Section]:
    """Top-level blocks grouped under their headings."""
    out: list[Section] = []
    heading, number = "", 0
    units: list[Unit] = []
    for element in tree:
        if re.fullmatch(r"h[1-6]", element.tag):
            if units or heading:
                out.append(_section(heading, number, units))
            heading, number = heading_text(element, resolve)
            units = []
            if T.key(heading) == T.key(title):  # a '# Title' heading repeats the title
                heading = ""
        elif element.tag == "p":
            _paragraph(inline(element, resolve), units)
        elif element.tag in ("ul", "ol"):
            _list(element, units, heading, resolve)
        elif element.tag == "blockquote" and (found := quotation(element, resolve)):
            units.append(Unit(found[0], quote=True, by=found[1], paragraph=len(units)))
    if units or heading:
        out.append(_section(heading, number, units))
    return [s for s in out if s.units]


def _section(heading: str, number: int, units: list[Unit]) -> Section:
    steps = bool(re.match(r"step\b", heading, re.I)) or any(u.numbers for u in units)
    return Section(heading, tuple(units), number, steps)


def _paragraph(text: str, units: list[Unit]) -> None:
    paragraph = len(units)
    for sentence in T.sentences(text):
        needs = ((len(units) - 1,) if units else (HEADING,)) if refers(sentence) else ()
        usable = REFUSED not in sentence
        units.append(Unit(sentence.replace(REFUSED, "").strip(), needs, usable=usable, paragraph=paragraph))


def _list(element: ET.Element, units: list[Unit], heading: str, resolve: Resolve) -> None:
    items, numbers = [], []
    start = int(element.get("start", "1")) if element.get("start", "1").isdigit() else 1
    for n, li in enumerate(c for c in element if c.tag == "li"):
        said = inline(li, resolve)
        if said and REFUSED not in said:
            items.append(said)
            numbers.append(start + n)
    if not items:
        return
    lead, needs = _lead(units)
    said_by = f"{heading} {lead}"
    avoid = bool(AVOID.search(said_by))
    if not lead or (avoid and not AVOID.search(lead)):
        needs = (*needs, HEADING)  # the heading says what the list is
    good = element.tag == "ol" or bool(GOOD.search(said_by))
    units.append(Unit(lead, needs, tuple(items), tuple(numbers) if element.tag == "ol" else (),
                      avoid, good and not avoid, paragraph=len(units)))  # fmt: skip


def _lead(units: list[Unit]) -> tuple[str, tuple[int, ...]]:
    """The sentences of the paragraph just before a list that introduce it (the last one ends with ':',
    with those it points back at), taken out of the paragraph; and what the first of them needs."""
    if not units or units[-1].is_list or units[-1].quote or not units[-1].text.endswith(":"):
        return "", ()
    if not units[-1].usable:
        return "", ()
    taken = [units.pop()]
    while units and taken[0].needs == (len(units) - 1,) and units[-1].paragraph == taken[0].paragraph:
        taken.insert(0, units.pop())
    if any(not u.usable for u in taken):
        return "", (NOWHERE,)
    return T.join(u.text for u in taken), taken[0].needs


_DASH = regex.compile(r"\s(?:—|–|―|--)\s*(?=[\p{Lu}\p{Lt}\p{Lo}])")


def attribution(text: str) -> tuple[str, str]:
    """'“Words.” — Daniel Reyes, skin therapist' → ('“Words.”', 'Daniel Reyes, skin therapist'):
    a trailing dash and a name (a capital or a letter without case, at most ten words, no full stop)
    after words that end a sentence or a quotation. Else (text, '')."""
    text = text.strip()
    if text[:1] in "—–―":
        return "", text.lstrip("—–―- ").strip()
    found = list(_DASH.finditer(text))
    if not found:
        return text, ""
    words, who = text[: found[-1].start()].rstrip(), text[found[-1].end() :].strip()
    if not words or words[-1] not in '.!?…"”’»」。！？' or who.endswith(".") or len(who.split()) > 10:
        return text, ""
    return words, who


def quotation(element: ET.Element, resolve: Resolve) -> tuple[str, str] | None:
    """A blockquote's words without their attribution (a <cite>, or a trailing '— Name[, role]'), and
    the attribution; None when it holds a refused link, a list, or nothing."""
    if any(child.tag in ("ul", "ol") for child in element):
        return None
    cites = [" ".join("".join(c.itertext()).split()) for c in element.iter("cite")]
    paragraphs = [inline(p, resolve) for p in element if p.tag == "p"] or [inline(element, resolve)]
    paragraphs = [p for p in paragraphs if p and p.strip("—–―- ,")]
    if not paragraphs or any(REFUSED in p for p in paragraphs):
        return None
    said, who = [], ""
    for paragraph in paragraphs:  # up to the first attribution (two quotes in a row are one blockquote)
        words, who = attribution(paragraph)
        if words:
            said.append(words)
        if who:
            break
    if cites and not who:
        who = cites[0]
    words = T.unquoted(" ".join(said).strip().rstrip("—–―- ,").strip())
    return (words, who.strip(" ,")) if words else None


class Scorer:
    """How much a sentence says about the article: the mean weight of its topic words (a word's
    weight grows with how often the article uses it), more when it speaks of its section's heading,
    less when it is very short or points back ('This', 'That's why', 'But', 'these proteins')."""

    def __init__(self, all_sections: list[Section]):
        self.weight: Counter[str] = Counter()
        for section in all_sections:
            for unit in section.units:
                for text in (unit.text, *unit.items):
                    self.weight.update(self.topic_words(text))
        # One scorer serves the threads of every platform: each sentence is scored and each section
        # ranked once per article, not once per platform.
        self._scores: dict[tuple[str, str], float] = {}
        self._ranked: dict[int, tuple[Section, list[tuple[float, int, int]]]] = {}
        self._repeats: dict[int, tuple[Section, dict]] = {}

    def repeats(self, section: Section) -> dict:
        """Whether a post of this section repeats itself, by its heading and units (threads.Post)."""
        found = self._repeats.get(id(section))
        if found is None or found[0] is not section:
            found = self._repeats[id(section)] = (section, {})
        return found[1]

    def ranked(self, section: Section) -> list[tuple[float, int, int]]:
        """The section's sentences and quotations as (score, -index, index), best first."""
        found = self._ranked.get(id(section))
        if found is None or found[0] is not section:
            ranked = sorted(
                ((self.score(u.text, section.heading), -n, n) for n, u in enumerate(section.units)
                 if not u.is_list and u.usable),
                reverse=True,
            )  # fmt: skip
            found = self._ranked[id(section)] = (section, ranked)
        return found[1]

    def score(self, sentence: str, heading: str = "") -> float:
        found = self._scores.get((sentence, heading))
        if found is None:
            found = self._scores[sentence, heading] = self(sentence, heading)
        return found

    @staticmethod
    @per_run(4096)  # an issue's sentences, in the run's memo
    def topic_words(sentence: str) -> tuple[str, ...]:
        if "://" in sentence:
            sentence = HTTP_URL.sub(" ", sentence)
        return tuple(w for w in T.words_of(sentence) if len(w) > 3 and w not in STOPWORDS)

    def __call__(self, sentence: str, heading: str = "") -> float:
        words = set(self.topic_words(sentence))
        if not words:
            return 0.0
        # fsum: exactly rounded, so the same whatever order the set gives (a plain sum follows the hash
        # seed, and two sentences that tie could swap places from one run to the next)
        score = math.fsum(math.log1p(self.weight[w]) for w in words) / math.sqrt(len(words))
        score *= 1.0 + 0.5 * len(words & set(self.topic_words(heading)))
        if refers(sentence):
            score *= 0.6
        elif DEMONSTRATIVE.search(sentence):  # "…a supply of these vital proteins": which ones?
            score *= 0.75
        if T.words_in(sentence) < 5:
            score *= 0.7
        return score
