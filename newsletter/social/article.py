"""An article's structure for threads: sections (heading, sentences, lists) and which sentences
say the most. Read from the tree Python-Markdown built, never from the HTML."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from newsletter.content import markup
from newsletter.social import text as T

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
# A sentence lifted out of its paragraph that starts like this points back at something not shown.
_ANAPHORA = re.compile(r"^(this|that|these|those|it|they|its|their|such|and|but|so|or|because|which)\b", re.I)
_DEMONSTRATIVE = re.compile(r"\b(these|those|such)\b", re.I)  # "these vital proteins": which?
_NUMBERING = re.compile(r"^\s*(?:\d+|[ivxlc]+|[a-z])[.):]\s+", re.I)


@dataclass(frozen=True)
class Block:
    """A paragraph's sentences, or a list with the sentence that leads into it (ending in ':')."""

    sentences: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    lead: str = ""


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the text before the first heading
    blocks: tuple[Block, ...]

    def sentences(self) -> list[str]:
        return [s for b in self.blocks for s in b.sentences]


def heading_text(element: ET.Element) -> str:
    """'1. The anatomy of expression' → 'The anatomy of expression': a thread numbers its own posts."""
    return _NUMBERING.sub("", T.plain(markup.text(element)))


def sections(tree: ET.Element, title: str = "") -> list[Section]:
    """Top-level blocks grouped under their headings; a list takes the sentence before it as its lead."""
    out: list[Section] = []
    heading, blocks = "", []
    for element in tree:
        if re.fullmatch(r"h[1-6]", element.tag):
            if blocks or heading:
                out.append(Section(heading, tuple(blocks)))
            heading, blocks = heading_text(element), []
            if T.key(heading) == T.key(title):  # a '# Title' heading repeats the title
                heading = ""
        elif element.tag in ("p", "blockquote"):
            if found := T.sentences(T.plain(markup.text(element))):
                blocks.append(Block(sentences=tuple(found)))
        elif element.tag in ("ul", "ol"):
            blocks.append(_list_block(element, blocks))
    if blocks or heading:
        out.append(Section(heading, tuple(blocks)))
    return [s for s in out if s.blocks]


def _list_block(element: ET.Element, blocks: list[Block]) -> Block:
    items = tuple(t for li in element if (t := T.plain(markup.text(li))))
    lead = ""
    if blocks and blocks[-1].sentences and blocks[-1].sentences[-1].endswith(":"):
        *rest, lead = blocks[-1].sentences
        blocks[-1] = Block(sentences=tuple(rest))
        if not rest:
            blocks.pop()
    return Block(items=items, lead=lead)


class Scorer:
    """How much a sentence says about the article: the mean weight of its topic words (a word's
    weight grows with how often the article uses it), more when it speaks of its section's heading,
    less when it is very short or points back ('This', 'That's why', 'But', 'these proteins')."""

    def __init__(self, all_sections: list[Section]):
        texts = [s for sec in all_sections for b in sec.blocks for s in (*b.sentences, *b.items, b.lead)]
        self.weight: Counter[str] = Counter()
        for t in texts:
            self.weight.update(self.topic_words(t))
        # One scorer serves the threads of every platform: each sentence is scored and each section
        # ranked once per article, not once per platform.
        self._scores: dict[tuple[str, str], float] = {}
        self._ranked: dict[Section, tuple[list[tuple[float, int, str]], dict[str, int]]] = {}

    def ranked(self, section: Section) -> tuple[list[tuple[float, int, str]], dict[str, int]]:
        """The section's sentences as (score, -position, sentence), best first, and each sentence's
        position (its last, for a sentence said twice)."""
        found = self._ranked.get(section)
        if found is None:
            said = section.sentences()
            ranked = sorted(
                ((self.score(s, section.heading), -n, s) for n, s in enumerate(said)), reverse=True
            )
            found = self._ranked[section] = (ranked, {s: n for n, s in enumerate(said)})
        return found

    def score(self, sentence: str, heading: str = "") -> float:
        found = self._scores.get((sentence, heading))
        if found is None:
            found = self._scores[sentence, heading] = self(sentence, heading)
        return found

    @staticmethod
    @lru_cache(maxsize=4096)  # an issue's sentences; bounded so a worker's memory stays flat
    def topic_words(sentence: str) -> tuple[str, ...]:
        return tuple(w for w in T.words_of(sentence) if len(w) > 3 and w not in STOPWORDS)

    def __call__(self, sentence: str, heading: str = "") -> float:
        words = set(self.topic_words(sentence))
        if not words:
            return 0.0
        score = sum(math.log1p(self.weight[w]) for w in words) / math.sqrt(len(words))
        score *= 1.0 + 0.5 * len(words & set(self.topic_words(heading)))
        if _ANAPHORA.match(sentence):
            score *= 0.6
        elif _DEMONSTRATIVE.search(sentence):
            score *= 0.75
        if len(T.words_of(sentence)) < 5:
            score *= 0.7
        return score
