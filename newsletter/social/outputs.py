"""What a build writes for social per issue: captions.json, captions.md and the image cards."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from newsletter.content.posts import Post
from newsletter.email.render import Renderer
from newsletter.errors import Problems
from newsletter.run.memo import entry
from newsletter.run.store import Earlier, Kept, KeptCaptions
from newsletter.social import cards as C
from newsletter.social import exports, glyphs
from newsletter.social.captions import article, of_articles
from newsletter.social.fonts import shipped_draw
from newsletter.social.records import Caption

# The code that decides what a card shows and draws it: a change to it changes every card.
_DRAWING_CODE = (
    *(Path(__file__).with_name(name) for name in ("cards.py", "draw.py", "fonts.py", "lines.py")),
    Path(__file__).parents[1] / "colors.py",  # the ink's contrast
)
_DRAWING = threading.Lock()  # one lazy card drawn at a time, and each only once


class LazyCard:
    """A card the preview draws when it is first requested, then keeps: the same bytes as `draw.png`
    gives a build (picklable, so the preview's worker processes can hand it back undrawn)."""

    __slots__ = ("_png", "accent", "card", "size")

    def __init__(self, card: C.Card, size: str, accent: str):
        self.card, self.size, self.accent = card, size, accent
        self._png: bytes | None = None

    def __getstate__(self):
        return (self.card, self.size, self.accent, self._png)

    def __setstate__(self, state) -> None:
        self.card, self.size, self.accent, self._png = state

    def __call__(self) -> bytes:
        with _DRAWING:
            png = self._png
            if png is None:
                from newsletter.social import draw

                png = self._png = draw.png(self.card, self.size, self.accent)
            return png


@entry
def outputs(
    posts: list[Post],
    renderer: Renderer,
    problems: Problems,
    week: str,
    earlier: Earlier | None = None,
    cards: str = "draw",
    lint: bool = False,
    only: frozenset[str] | None = None,
    keys: Mapping[str, str] | None = None,
    kept: Kept | None = None,
) -> tuple[list[Caption], dict[str, bytes | LazyCard], dict[str, str], dict[str, bytes]]:
    """The issue's captions, paths inside the issue folder → bytes, and per article the key of its
    cards. Cards are drawn only here (Pillow is imported here), unless `earlier` holds the very same
    cards, drawn by the last build: an article whose cards' key is unchanged reuses their bytes. With
    `lazy_cards` (the preview) each card is a LazyCard, drawn on request. With `lint` (check), the
    captions as posted are linted (social.lint). `only`: the cards to draw when the last build has none
    of the article's to give (an archive issue outside the cards window: its og:image card); a caption
    whose card the issue does not have names none. `keys`: per post (source) its `caption_key`;
    `kept`: the captions the last builds made, by that key (a post found there is not captioned
    again). Also returns the captions made anew, by key, for the build to keep."""
    settings = renderer.settings
    bases = [article(post, settings, week) for post in posts if not post.draft]
    made, items, fresh = _captions(bases, renderer, problems, keys or {}, kept)
    files: dict[str, bytes | LazyCard] = {}
    card_keys: dict[str, str] = {}
    for base in bases:
        glyphs.report(base.post, base.cards, settings, problems)  # characters no card font has
        if lint:
            from newsletter.social import lint as lints

            lints.report(
                base.post, base.sections, [c for c in made if c.post == base.post.slug], settings, problems
            )
        if cards == "none":  # check: the warnings, no drawing
            continue
        names = {
            f"cards/{C.file_name(card.slug, card.kind, size)}": LazyCard(card, size, settings.accent_color)
            for card in base.cards
            for size in C.SIZES
        }
        card_keys[base.post.slug] = key = cards_key(base.cards, settings.accent_color)
        wanted = names if only is None else {n: c for n, c in names.items() if n in only}
        found = None
        if earlier is not None:  # every card drawn before is kept, else those still wanted
            found = earlier.find(base.post.slug, key, names) or earlier.find(base.post.slug, key, wanted)
        if found is not None:
            files.update(found)
        else:  # one way to draw, lazy or not
            files.update({name: card if cards == "lazy" else card() for name, card in wanted.items()})
    if cards != "none" and only is not None:
        cut = [c.card.partition("/")[2] not in files for c in made]
        made = [
            replace(c, image="", alt="", card="") if gone else c for c, gone in zip(made, cut, strict=True)
        ]
        items = [
            exports.json_items([c])[0] if gone else i for c, i, gone in zip(made, items, cut, strict=True)
        ]
    if cards == "none":  # check: it writes nothing, so the exports are not made
        return made, files, card_keys, fresh
    files["captions.json"] = exports.json_document(items)
    files["captions.md"] = exports.as_markdown(made, week).encode("utf-8")
    return made, files, card_keys, fresh


def _captions(
    bases: list, renderer: Renderer, problems: Problems, keys: Mapping[str, str], kept: Kept | None
) -> tuple[list[Caption], list[bytes], dict[str, bytes]]:
    """Every article's captions and their JSON items (`exports.json_items`), taken from `kept` when
    the last builds made them; those made here without a problem (a post whose social file has an
    error is never kept) come back by key."""
    made: list[Caption] = []
    items: list[bytes] = []
    fresh: dict[str, bytes] = {}
    for base in bases:
        name = keys.get(base.post.source)
        entry = kept.get(name) if kept is not None and name else None
        found = _read(entry, base.post.slug) if entry is not None else None
        if found is not None:  # encoded again, not copied: captions.json is what a cold build writes
            made.extend(found)
            items.extend(exports.json_items(list(found)))
            continue
        own = Problems()
        captions = of_articles([base], renderer, own)
        problems.extend(own.items)
        encoded = exports.json_items(captions)
        made.extend(captions)
        items.extend(encoded)
        if name and not own.items and _machine_free(base):
            fresh[name] = KeptCaptions.made(captions, encoded).to_bytes(name)
    return made, items, fresh


def _read(entry: KeptCaptions, slug: str) -> tuple[Caption, ...] | None:
    try:
        return entry.captions(slug)
    except (ValueError, TypeError, KeyError):  # not its captions (UnicodeDecodeError too): made again
        return None


def _machine_free(base) -> bool:
    """Captions that say the same on every machine: their cards' alt text leaves out characters no
    installed font has, so an article whose cards hold any character beyond the shipped fonts' (or
    lost one) is captioned afresh by every run instead of kept (a font installed since would change
    it). Accents, Polish or Czech letters the shipped fonts have are kept; Japanese is not."""
    return all(not card.missing and all(shipped_draw(r, t) for r, t in C.texts(card)) for card in base.cards)


def cards_key(cards, accent: str) -> str:
    """What an article's cards depend on: what each says, the sizes, the accent colour, the code that
    draws them and the font files that draw their characters (path, size and modification time: a
    font installed, updated or added to card_fonts redraws the cards it changes, and only those)."""
    digest = hashlib.sha256(_drawing_digest().encode())
    digest.update(repr((tuple(cards), accent, C.SIZES, _fonts_used(cards))).encode())
    return digest.hexdigest()[:32]


def _fonts_used(cards) -> tuple:
    used: dict = {}
    for card in cards:
        for role, text in C.texts(card):
            used.update(dict.fromkeys(face.stamp() for face in card.fonts.used(role, text)))
    return tuple(sorted(used))


@functools.cache
def _drawing_digest() -> str:  # the package's own source files, read once per process
    return hashlib.sha256(b"".join(source.read_bytes() for source in _DRAWING_CODE)).hexdigest()
