"""The typed records social stages pass along: what a caption is made of, and the caption made."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fields:
    """Everything a caption template sees. Fitting makes smaller copies with dataclasses.replace."""

    platform: str
    bullet: str
    title: str
    hook: str
    lead: str
    items: tuple[str, ...]
    quote: str
    author: str
    tags: tuple[str, ...]  # the hashtags to show, brand tags first
    link: str  # the rendered link line ("Read more: URL", "Link in bio.") or ""
    url: str  # the article link when the platform shows it in the text, else ""
    cta_text: str = ""
    cta_url: str = ""
    more: int = 0  # list items left out ("+2 more in the article")
    numbered: bool = False  # the items are steps: numbered, not bulleted
    intros: tuple[str, ...] = ()  # what may stand as `lead`, richest first (fitting picks one)

    def context(self) -> dict:
        return {
            "platform": self.platform, "bullet": self.bullet, "title": self.title, "hook": self.hook,
            "lead": self.lead, "items": list(self.items), "quote": self.quote, "author": self.author,
            "tags": list(self.tags), "hashtags": " ".join(self.tags), "link": self.link, "url": self.url,
            "cta_text": self.cta_text, "cta_url": self.cta_url, "more": self.more, "numbered": self.numbered,
        }  # fmt: skip


@dataclass(frozen=True)
class Caption:
    post: str  # slug
    platform: str
    kind: str
    text: str
    length: int
    limit: int
    fold: int
    link: str
    title: str
    image: str  # the card's URL under archive_url (what a scheduler attaches)
    alt: str  # the card's alt text
    card: str  # the card's path inside the build folder, e.g. 2026-W42/cards/slug-title-1200x630.png
    hashtags: tuple[str, ...]  # exactly the tags the text carries
    parts: tuple[str, ...] = ()
    part_lengths: tuple[int, ...] = ()  # each thread post's count
    edited: bool = (
        False  # the post's social file (or front matter's social:) gave other words than the article
    )

    def as_dict(self) -> dict:
        data = {
            "post": self.post, "platform": self.platform, "kind": self.kind, "text": self.text,
            "length": self.length, "limit": self.limit, "fold": self.fold, "link": self.link,
            "title": self.title, "image": self.image, "alt": self.alt, "card": self.card,
            "hashtags": list(self.hashtags),
        }  # fmt: skip
        if self.parts:
            data["parts"] = list(self.parts)
            data["part_lengths"] = list(self.part_lengths)
        if self.edited:
            data["edited"] = True
        return data

    @classmethod
    def from_dict(cls, data: object) -> Caption:
        """A caption as `as_dict` gave it (read back from the build's kept captions); ValueError when the
        data is of another shape."""
        if not isinstance(data, dict) or not _REQUIRED.issubset(data):
            raise ValueError("caption")
        if not set(data) <= _TEXTS | _NUMBERS | _LISTS | {"edited"}:
            raise ValueError("caption")
        if not all(isinstance(data[k], str) for k in _TEXTS):
            raise ValueError("caption")
        if not all(type(data[k]) is int for k in _NUMBERS):
            raise ValueError("caption")
        hashtags, parts, lengths = data["hashtags"], data.get("parts", []), data.get("part_lengths", [])
        if not (isinstance(hashtags, list) and isinstance(parts, list) and isinstance(lengths, list)):
            raise ValueError("caption")
        if not all(isinstance(t, str) for t in (*hashtags, *parts)) or not all(
            type(n) is int for n in lengths
        ):
            raise ValueError("caption")
        edited = data.get("edited", False)
        if edited is not True and edited is not False:
            raise ValueError("caption")
        return cls(
            data["post"], data["platform"], data["kind"], data["text"], data["length"], data["limit"],
            data["fold"], data["link"], data["title"], data["image"], data["alt"], data["card"],
            tuple(hashtags), tuple(parts), tuple(lengths), edited,
        )  # fmt: skip


_TEXTS = frozenset({"post", "platform", "kind", "text", "link", "title", "image", "alt", "card"})
_NUMBERS = frozenset({"length", "limit", "fold"})
_LISTS = frozenset({"hashtags", "parts", "part_lengths"})
_REQUIRED = _TEXTS | _NUMBERS | {"hashtags"}
