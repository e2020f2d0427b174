"""Image cards for the platforms that post a picture: per article a title, a benefits and a quote card,
at Instagram portrait, Pinterest and link-card sizes, in the site's accent colour and name.

What a card says (and its alt text) is decided here without Pillow, so the alt text is what is drawn:
emoji go (the cards are two-colour), straight quotes become curly ones, and characters no card font
has (see `fonts`) are left out and listed in `Card.missing`, which `check` and the build report.
Drawing is in `draw`, which imports Pillow and the fonts only when a build writes cards."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import regex

from newsletter.content.settings import Settings
from newsletter.social import text as T
from newsletter.social.fonts import PLAIN, Fonts
from newsletter.social.names import SIZES, file_name, url_for  # noqa: F401 (named here too)

# Which size each platform attaches: Instagram's 4:5 feed, Pinterest's 2:3 pin, a link card elsewhere.
PLATFORM_SIZE = {"instagram": "portrait", "pinterest": "pin"}
CARD_OF_KIND = {"teaser": "title", "thread": "title", "benefits": "benefits", "quote": "quote"}
MAX_ITEMS = 6  # a card is read at a glance: more benefits than this go unread
# Characters of lead-in and items a benefits card of each size holds at a size a phone shows legibly
# (about 36 px on the link card, 34 px on the tall ones; measured on the studio's articles).
BUDGET = {"link": 220, "portrait": 420, "pin": 480}
ALT_LIMIT = 1000  # Bluesky and X accept more; a screen reader user does not want more
# Emoji: what shows as a colour picture (emoji presentation, or a pictograph asking for it with U+FE0F),
# a flag, with its skin tones, joiners and tags; leftover selectors and keycaps. The cards are drawn in
# two colours, so emoji go; a pictograph shown as text by default (©, ™, ☃) stays and is drawn by a font.
_EMOJI = regex.compile(
    r"(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\p{Regional_Indicator})"
    r"(?:[\uFE0E\uFE0F\u20E3\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]"
    r"|\u200D(?:\p{Extended_Pictographic}\uFE0F?|\p{Emoji_Presentation}))*"
    r"|[\uFE0E\uFE0F\u20E3\u200D\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]"
)
_GAP = "\x00"  # where an emoji was, until the spaces around it are settled
_NO_GAP = regex.compile(
    r"[\s\x00]*\x00[\s\x00]*(?=[.,;:!?…)\]}»›’”、。，．！？]|$)"  # before punctuation: no space is left
    r"|(?<=^|[(\[{«‹‘“])[\s\x00]*\x00[\s\x00]*"  # nor after an opening bracket or quote
)
_ROLES = {"heading": "title", "lead": "body", "items": "body", "quote": "quote", "byline": "strong",
          "site": "strong"}  # fmt: skip  # the font role each field is drawn in (see draw.paragraphs)


@dataclass(frozen=True)
class Card:
    """What one card says. `kind` is title | benefits | quote."""

    slug: str
    kind: str
    heading: str
    lead: str = ""
    items: tuple[str, ...] = ()
    numbers: tuple[int, ...] = ()  # the items' own numbers when the article's list is numbered (steps)
    more: int = 0  # items of the article's list the card leaves out (it says so: "+2 more in the article")
    quote: str = ""
    byline: str = ""
    site: str = ""
    missing: tuple[str, ...] = ()  # characters of the article no card font has: left out, reported
    fonts: Fonts = field(default=PLAIN, repr=False)  # the cache key has the font files used instead

    def fitted(self, size: str) -> Card:
        """What this card says at `size`: a benefits list too long to read condenses its items to
        their labels ('Post-Surgical Recovery'), then leaves out its lead-in."""
        if self.kind != "benefits":
            return self
        labels = distinct_labels(self.items)
        for option in (self, replace(self, items=labels), replace(self, items=labels, lead="")):
            if len(option.lead) + sum(len(i) for i in option.items) <= BUDGET[size]:
                return option
        return option

    @property
    def numbered(self) -> bool:
        return bool(self.numbers) and len(self.numbers) == len(self.items)

    @property
    def lead_lines(self) -> list[str]:
        """The lead's lines (a heading above the sentence introducing the list, a quotation it points
        back at), each drawn and said as a line of its own."""
        return self.lead.split("\n") if self.lead else []

    def alt(self) -> str:
        if self.kind == "benefits":
            listed = [f"{marker(self, n)} {i}" if self.numbered else i for n, i in enumerate(self.items)]
            lead = " ".join(line if line[-1] in T.ENDED + '”’"' else f"{line}." for line in self.lead_lines)
            said = f"{self.heading}. {lead} " + "; ".join(i.rstrip(".;,") for i in listed) + "."
            if self.more:
                said += f" {more_line(self.more)}."
        elif self.kind == "quote":
            said = f"“{self.quote}” {self.byline}." if self.byline else f"“{self.quote}”"
        else:
            said = f"{self.heading}, {self.byline}." if self.byline else f"{self.heading}."
        alt = f"Text card from {self.site}: {' '.join(said.split())}"
        return alt if len(alt) <= ALT_LIMIT else T.cut_to_fit(alt, lambda a: len(a) <= ALT_LIMIT) or ""


def more_line(more: int) -> str:
    return f"+{more} more in the article"


def marker(card: Card, n: int) -> str:
    """What stands before item `n`: its number in a numbered list, else a bullet."""
    return f"{card.numbers[n]}." if card.numbered else "•"


def texts(card: Card) -> list[tuple[str, str]]:
    """(font role, text) of everything the card draws."""
    fields = [("heading", card.heading), ("lead", card.lead), *(("items", i) for i in card.items),
              ("quote", card.quote), ("byline", card.byline), ("site", card.site.upper())]  # fmt: skip
    return [(_ROLES[field], text) for field, text in fields if text]


def label_of(item: str) -> str:
    """'Post-Surgical Recovery: Promoting healing…' condenses to its label 'Post-Surgical Recovery'
    (Japanese and Chinese write a full-width colon, without a space: '保湿：朝と夜に')."""
    found = [at for at in (item.find(": ", 0, 60), item.find("：", 0, 60)) if at > 0]
    return item[: min(found)].rstrip() if found else item


def distinct_labels(items: tuple[str, ...]) -> tuple[str, ...]:
    """The items condensed to their labels, unless two would say the same: then the items stay whole
    (merging them would show fewer items than the caption or card counts)."""
    labels = tuple(label_of(i) for i in items)
    return labels if len(set(labels)) == len(labels) else items


def clean(text: str) -> str:
    """Emoji removed with the space they leave, so no empty box, double space or space before
    punctuation is drawn ('microcirculation 🌿.' is 'microcirculation.')."""
    text = _NO_GAP.sub("", _EMOJI.sub(_GAP, text))
    return " ".join(text.replace(_GAP, " ").split())


_OPENS_AFTER = frozenset("([{<«‹“‘—–-/")  # a straight quote after one of these (or a space) opens


def curly(text: str) -> str:
    """Straight quotes as typographic ones: "x" is “x”, 'x' is ‘x’, it's is it’s, '90s is ’90s."""
    out = []
    for n, char in enumerate(text):
        if char not in "\"'":
            out.append(char)
            continue
        before, after = text[n - 1 : n], text[n + 1 : n + 2]
        opens = (not before or before.isspace() or before in _OPENS_AFTER) and not after.isspace()
        if char == '"':
            out.append("“" if opens else "”")
        else:
            out.append("‘" if opens and not after.isdigit() else "’")
    return "".join(out)


def inner(quote: str) -> str:
    """A quotation as it stands inside the card's “…”: its own wrapping quotes dropped, its double
    quotes turned single (“x” inside a quote is ‘x’)."""
    if len(quote) > 1 and quote[0] == "“" and quote[-1] == "”" and "“" not in quote[1:-1]:
        quote = quote[1:-1].strip()
    return quote.translate({0x201C: "‘", 0x201D: "’"})


class _Typesetter:
    """Card text as it is drawn: emoji out, curly quotes, characters no font has left out (kept in
    `missing`, in the order met)."""

    def __init__(self, fonts: Fonts):
        self.fonts = fonts
        self.missing: dict[str, None] = {}

    def __call__(self, field: str, text: str) -> str:
        kept, gone = self.fonts.keep(_ROLES[field], curly(clean(text)))
        self.missing.update(dict.fromkeys(gone))
        return kept


def size_for(platform: str) -> str:
    return PLATFORM_SIZE.get(platform, "link")


def path_for(week: str, slug: str, kind: str, platform: str) -> str:
    """The card a caption attaches, as a path inside the build folder."""
    return f"{week}/cards/{file_name(slug, CARD_OF_KIND[kind], size_for(platform))}"


def cards_of(
    slug: str,
    title: str,
    author: str,
    lead: str,
    items: tuple[str, ...],
    quote: str,
    site: str,
    fonts: Fonts = PLAIN,
    quote_by: str | None = None,
    numbers: tuple[int, ...] = (),
) -> list[Card]:
    """The cards of one article: title and quote always, benefits when it has a list. `quote_by`:
    who said the quote ("" nobody named), when it is not the author."""
    say = _Typesetter(fonts)
    heading = say("heading", title)
    by = say("byline", author) if author and author != site else ""
    brand = say("site", site)
    out = [Card(slug, "title", heading, byline=f"by {by}" if by else "", site=brand)]
    numbered = len(numbers) == len(items)
    kept = [(c, numbers[n] if numbered else 0) for n, i in enumerate(items) if (c := say("items", i))]
    shown = kept[:MAX_ITEMS]
    if shown:
        lines = "\n".join(t for line in lead.split("\n") if (t := say("lead", line)))  # its lines kept
        out.append(Card(slug, "benefits", heading, lines, tuple(c for c, _ in shown),
                        tuple(n for _, n in shown) if numbered else (), len(kept) - len(shown),
                        site=brand))  # fmt: skip
    if said := inner(say("quote", quote)):
        # the studio is named at the foot of every card: a quote is attributed only to a person
        said_by = author if quote_by is None else quote_by
        who = say("byline", said_by) if said_by and said_by != site else ""
        out.append(Card(slug, "quote", heading, quote=said, byline=f"— {who}" if who else "", site=brand))
    missing = tuple(say.missing)
    return [replace(card, missing=missing, fonts=fonts) for card in out]


def fonts_of(settings: Settings) -> Fonts:
    """The site's card fonts: its `card_fonts` files, and its language for the CJK faces."""
    return Fonts(tuple(str(p) for p in settings.card_fonts), settings.language)
