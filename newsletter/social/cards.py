"""Image cards for the platforms that post a picture: per article a title, a benefits and a quote card,
at Instagram portrait, Pinterest and link-card sizes, in the site's accent colour and name.

What a card says (and its alt text) is decided here without Pillow; drawing it is in `draw`, which
imports Pillow and the fonts only when a build writes cards."""

from __future__ import annotations

from dataclasses import dataclass, replace

import regex

from newsletter.content.settings import Settings
from newsletter.social import text as T

SIZES = {"portrait": (1080, 1350), "pin": (1000, 1500), "link": (1200, 630)}
# Which size each platform attaches: Instagram's 4:5 feed, Pinterest's 2:3 pin, a link card elsewhere.
PLATFORM_SIZE = {"instagram": "portrait", "pinterest": "pin"}
CARD_OF_KIND = {"teaser": "title", "thread": "title", "benefits": "benefits", "quote": "quote"}
MAX_ITEMS = 6  # a card is read at a glance: more benefits than this go unread
# Characters of lead-in and items a benefits card of each size holds at a size a phone shows legibly
# (about 36 px on the link card, 34 px on the tall ones; measured on the studio's articles).
BUDGET = {"link": 220, "portrait": 420, "pin": 480}
ALT_LIMIT = 1000  # Bluesky and X accept more; a screen reader user does not want more
# Emoji and their joiners, modifiers and tags: the card fonts have no colour glyphs, so they go.
_EMOJI = regex.compile(
    r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3\uFE0E\uFE0F\u200D\U0001F3FB-\U0001F3FF"
    r"\U000E0020-\U000E007F]+"
)


@dataclass(frozen=True)
class Card:
    """What one card says. `kind` is title | benefits | quote."""

    slug: str
    kind: str
    heading: str
    lead: str = ""
    items: tuple[str, ...] = ()
    quote: str = ""
    byline: str = ""
    site: str = ""

    def fitted(self, size: str) -> Card:
        """What this card says at `size`: a benefits list too long to read condenses its items to
        their labels ('Post-Surgical Recovery'), then leaves out its lead-in."""
        if self.kind != "benefits":
            return self
        labels = tuple(dict.fromkeys(label_of(i) for i in self.items))
        for option in (self, replace(self, items=labels), replace(self, items=labels, lead="")):
            if len(option.lead) + sum(len(i) for i in option.items) <= BUDGET[size]:
                return option
        return option

    def alt(self) -> str:
        if self.kind == "benefits":
            said = f"{self.heading}. {self.lead} " + "; ".join(i.rstrip(".;,") for i in self.items) + "."
        elif self.kind == "quote":
            said = f"“{self.quote}” {self.byline}." if self.byline else f"“{self.quote}”"
        else:
            said = f"{self.heading}, {self.byline}." if self.byline else f"{self.heading}."
        alt = f"Text card from {self.site}: {' '.join(said.split())}"
        return alt if len(alt) <= ALT_LIMIT else T.cut_to_fit(alt, lambda a: len(a) <= ALT_LIMIT) or ""


def label_of(item: str) -> str:
    """'Post-Surgical Recovery: Promoting healing…' condenses to its label 'Post-Surgical Recovery'."""
    return item.split(": ", 1)[0] if ": " in item[:60] else item


def clean(text: str) -> str:
    """Emoji removed with the space they leave, so no empty box or double space is drawn."""
    return " ".join(_EMOJI.sub(" ", text).split())


def file_name(slug: str, kind: str, size: str) -> str:
    width, height = SIZES[size]
    return f"{slug}-{kind}-{width}x{height}.png"


def size_for(platform: str) -> str:
    return PLATFORM_SIZE.get(platform, "link")


def path_for(week: str, slug: str, kind: str, platform: str) -> str:
    """The card a caption attaches, as a path inside the build folder."""
    return f"{week}/cards/{file_name(slug, CARD_OF_KIND[kind], size_for(platform))}"


def url_for(settings: Settings, path: str) -> str:
    return f"{settings.archive_url.rstrip('/')}/{path}"


def cards_of(
    slug: str, title: str, author: str, lead: str, items: tuple[str, ...], quote: str, site: str
) -> list[Card]:
    """The cards of one article: title and quote always, benefits when it has a list."""
    byline = f"by {clean(author)}" if author and author != site else ""
    out = [Card(slug, "title", clean(title), byline=byline, site=site)]
    shown = tuple(c for i in items[:MAX_ITEMS] if (c := clean(i)))
    if shown:
        out.append(Card(slug, "benefits", clean(title), clean(lead), shown, site=site))
    if quote:  # the studio is named at the foot of every card: a quote is attributed only to a person
        who = f"— {clean(author)}" if author and author != site else ""
        out.append(Card(slug, "quote", clean(title), quote=clean(quote), byline=who, site=site))
    return out
