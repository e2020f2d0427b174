"""Which font draws each character of a card, decided from the fonts' character maps (no Pillow here:
`check` and the alt text use it without drawing).

Each role (title, quote, body, strong) has a chain: the shipped Source Serif/Sans Pro face first, then
the `card_fonts` setting's files, then Noto faces of the role's style for CJK, Arabic, Hebrew, Cyrillic
and Greek found through fontconfig, then whatever installed font fontconfig picks for a character none
of those has. A character is drawn by the first font of its chain that has it; one none has is left
out (and `check` and the build say so). The answer depends only on the character and the installed
fonts, never on what was drawn before, so a card is the same bytes in any build order."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import font_source_sans_pro
import font_source_serif_pro
import regex

from newsletter.run.memo import entry, per_run

PRIMARY = {
    "title": (font_source_serif_pro, "SourceSerifPro-Semibold.ttf"),
    "quote": (font_source_serif_pro, "SourceSerifPro-It.ttf"),
    "body": (font_source_sans_pro, "SourceSansPro-Regular.ttf"),
    "strong": (font_source_sans_pro, "SourceSansPro-Semibold.ttf"),
}
# The style a fallback is asked for in each role: serif or sans, fontconfig weight and slant.
STYLE = {
    "title": ("serif", "semibold", "roman"),
    "quote": ("serif", "regular", "italic"),  # CJK, Arabic and Hebrew have no italic: the upright face
    "body": ("sans", "regular", "roman"),
    "strong": ("sans", "semibold", "roman"),
}


@dataclass(frozen=True)
class Script:
    lang: str  # fontconfig language the face must support
    serif: str  # preferred families (fonts-noto-cjk, fonts-noto-core); fontconfig finds another if absent
    sans: str
    chars: regex.Pattern  # the characters this fallback is tried first for


_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Bopomofo}\u3000-\u303f\uff00-\uffef]")
# The CJK faces per site language: Han characters differ in shape between Japan, China, Taiwan, Korea.
CJK_FACES = {"ja": ("ja", "JP"), "zh": ("zh-cn", "SC"), "zh-cn": ("zh-cn", "SC"), "zh-hans": ("zh-cn", "SC"),
             "zh-tw": ("zh-tw", "TC"), "zh-hant": ("zh-tw", "TC"), "zh-hk": ("zh-hk", "HK"), "ko": ("ko", "KR")}  # fmt: skip
OTHER_SCRIPTS = (
    Script("ar", "Noto Naskh Arabic", "Noto Sans Arabic", regex.compile(r"\p{Arabic}")),
    Script("he", "Noto Serif Hebrew", "Noto Sans Hebrew", regex.compile(r"\p{Hebrew}")),
    Script("ru", "Noto Serif", "Noto Sans", regex.compile(r"\p{Cyrillic}")),
    Script("el", "Noto Serif", "Noto Sans", regex.compile(r"\p{Greek}")),
)
# Characters every shipped face has (tests/test_card_scripts.py checks it against their cmaps): text
# made only of these is one run of the primary face, decided without reading a font file.
BASIC = frozenset([*range(0x20, 0x7F), *range(0xA0, 0x100), *(ord(c) for c in "‘’‚“”„–—†‡•…‰‹›€™")])
_SIMPLE = regex.compile("[{}]*".format("".join(regex.escape(chr(c)) for c in sorted(BASIC))))
# Invisible characters (joiners, direction marks): drawn as nothing, so never missing; they stay in the
# run they are in, where the shaper needs them.
_INVISIBLE = frozenset(("Cf",))
_MARKS = frozenset(("Mn", "Me", "Mc"))  # combining marks: drawn by the font of the letter they sit on


@dataclass(frozen=True)
class Face:
    """One font: a file and, for a collection (.ttc), the face's index in it."""

    path: str
    index: int = 0

    def stamp(self) -> tuple[str, int, int, int]:
        """What the cards' cache key knows of the file: a font replaced or updated redraws its cards.
        Asked of the file each time (a stat): the preview's run lives longer than a font's version."""
        status = os.stat(self.path)
        return (self.path, self.index, status.st_size, status.st_mtime_ns)


_PRIMARY_FACES = {
    role: Face(str(Path(package.font_directory) / name)) for role, (package, name) in PRIMARY.items()
}


def primary(role: str) -> Face:
    return _PRIMARY_FACES[role]


@dataclass(frozen=True)
class Fonts:
    """A site's card fonts: `extra` are the `card_fonts` files (absolute paths), `language` the site's
    language (it chooses the Japanese, Chinese or Korean CJK faces)."""

    extra: tuple[str, ...] = ()
    language: str = "en"

    def face(self, role: str, char: str) -> Face | None:
        """The font that draws `char` in `role`, or None when no font has it."""
        return _face(self, role, char) if ord(char) not in BASIC else primary(role)

    @entry
    def missing(self, role: str, text: str) -> list[str]:
        """The characters of `text` no font of the role has, each once, in order."""
        if _SIMPLE.fullmatch(text):
            return []
        found = dict.fromkeys(c for c in text if _visible(c) and self.face(role, c) is None)
        return list(found)

    def keep(self, role: str, text: str) -> tuple[str, tuple[str, ...]]:
        """`text` without the characters no font has (spaces closed up), and those characters."""
        gone = self.missing(role, text)
        if not gone:
            return text, ()
        kept = "".join(c for c in text if c not in gone)
        return " ".join(kept.split()), tuple(gone)

    @entry
    def runs(self, role: str, text: str) -> tuple[tuple[Face, str], ...]:
        """`text` cut into runs drawn by one font each. A space between two runs of the same fallback
        face stays in that face (an Arabic sentence is one run, shaped and ordered as a whole); marks
        and joiners stay with the letter before them; characters no font has are left out."""
        if _SIMPLE.fullmatch(text):
            return ((primary(role), text),)
        faces = self._faces(role, text)
        out: list[list] = []
        for char, face in zip(text, faces, strict=True):
            if face is None:
                continue
            if out and out[-1][0] == face:
                out[-1][1] += char
            else:
                out.append([face, char])
        return tuple((face, run) for face, run in out)

    def _faces(self, role: str, text: str) -> list[Face | None]:
        faces: list[Face | None] = []
        last = None  # the face of the last visible character
        for char in text:
            face = None if char.isspace() else self._visible_face(role, char, last)
            faces.append(face)
            last = face or last
        # A space takes its neighbours' face when both sides have the same fallback face.
        after: list[Face | None] = [None] * len(text)
        right = None
        for n in range(len(text) - 1, -1, -1):
            after[n], right = right, faces[n] or right
        left = None
        for n, char in enumerate(text):
            if char.isspace():
                faces[n] = self._space(role, char, left, after[n])
            else:
                left = faces[n] or left
        return faces

    def _visible_face(self, role: str, char: str, last: Face | None) -> Face | None:
        category = unicodedata.category(char)
        if category in _INVISIBLE:
            return last or primary(role)
        if category in _MARKS and last is not None and ord(char) in _cmap(last):
            return last
        return self.face(role, char)

    def _space(self, role: str, char: str, left: Face | None, right: Face | None) -> Face | None:
        if left is not None and left == right and left != primary(role) and ord(char) in _cmap(left):
            return left
        return self.face(role, char)

    def used(self, role: str, text: str) -> tuple[Face, ...]:
        """The fonts that draw `text`, each once."""
        return tuple(dict.fromkeys(face for face, _ in self.runs(role, text)))


PLAIN = Fonts()  # the fonts of a card made without a site's settings: shipped and system fonts only


def shipped_draw(role: str, text: str) -> bool:
    """Every visible character of `text` is in the shipped font of the role: drawn (and so kept in
    the card's text and alt text) on any machine, whatever fonts it has installed."""
    if _SIMPLE.fullmatch(text):
        return True
    shipped = _cmap(primary(role))
    return all(ord(c) in shipped for c in text if _visible(c) and ord(c) not in BASIC)


def _visible(char: str) -> bool:
    return not char.isspace() and unicodedata.category(char) not in _INVISIBLE


@per_run()
def _face(fonts: Fonts, role: str, char: str) -> Face | None:
    code = ord(char)
    for face in _candidates(fonts, role, char):
        if code in _cmap(face):
            return face
    return _any_font(role, char)


def _candidates(fonts: Fonts, role: str, char: str):
    """The chain for `char`: the primary face, the `card_fonts`, then the script fallbacks, the one
    made for the character's script first (so an Arabic letter never opens the CJK collection)."""
    yield primary(role)
    yield from (Face(path) for path in fonts.extra)
    scripts = _scripts(fonts.language)
    for script in sorted(scripts, key=lambda s: not s.chars.match(char)):
        if (face := _system(script, role)) is not None:
            yield face


def _scripts(language: str) -> tuple[Script, ...]:
    lang, region = CJK_FACES.get(language.lower(), CJK_FACES.get(language.lower()[:2], CJK_FACES["ja"]))
    cjk = Script(lang, f"Noto Serif CJK {region}", f"Noto Sans CJK {region}", _CJK)
    return (cjk, *OTHER_SCRIPTS)


@functools.cache  # no user text: one of the package's scripts and roles (see tests/test_pipeline.py)
def _system(script: Script, role: str) -> Face | None:
    """fontconfig's best face of the role's style for the script's language, if it has the language
    (fc-match always answers; a face without the language is not a fallback for it)."""
    kind, weight, slant = STYLE[role]
    family = script.serif if kind == "serif" else script.sans
    generic = "serif" if kind == "serif" else "sans-serif"
    found = _fc("fc-match", f"{family},{generic}:lang={script.lang}:weight={weight}:slant={slant}",
                "%{file}\t%{index}\t%{lang}\n")  # fmt: skip
    for line in found[:1]:
        path, index, langs = [*line.split("\t"), "", ""][:3]
        if script.lang in langs.split("|"):
            return Face(path, int(index or 0))
    return None


@per_run()
def _any_font(role: str, char: str) -> Face | None:
    """The long tail (symbols, rarer scripts): the installed outline font fontconfig prefers for the
    role's style among those whose character map has `char`."""
    kind, weight, slant = STYLE[role]
    generic = "serif" if kind == "serif" else "sans-serif"
    pattern = f"{generic}:charset={ord(char):x}:outline=true:weight={weight}:slant={slant}"
    for line in _fc("fc-match", pattern, "%{file}\t%{index}\n")[:1]:
        path, index = [*line.split("\t"), ""][:2]
        face = Face(path, int(index or 0))
        if path and ord(char) in _cmap(face):  # fc-match answers even when nothing has it
            return face
    return None


def _fc(tool: str, pattern: str, form: str) -> list[str]:
    """A fontconfig query's lines; none when fontconfig is not installed (then only the shipped fonts
    and `card_fonts` draw)."""
    if shutil.which(tool) is None:
        return []
    done = subprocess.run([tool, "--format", form, pattern], capture_output=True, text=True, timeout=30)
    return [line for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []


@per_run(64)  # the file is asked for its stamp once per run
def _cmap(face: Face) -> frozenset[int]:
    """The code points the face has glyphs for."""
    try:
        return _read_cmap(face.stamp())
    except OSError:  # a font file gone since fontconfig named it draws nothing
        return frozenset()


# Kept per process, by the file's path, size and modification time (a changed file is a new key): a
# font's character map is the machine's, never text of the user's, and reading the CJK collection's
# takes a quarter of a second, too much to pay again in every run of a long preview or test session.
@functools.lru_cache(maxsize=32)
def _read_cmap(stamp: tuple[str, int, int, int]) -> frozenset[int]:
    """fontTools reads only the cmap table."""
    from fontTools.ttLib import TTFont, TTLibError

    path, index = stamp[:2]
    try:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            return frozenset(font.getBestCmap() or ())
    except (OSError, TTLibError):  # a broken or unreadable system font draws nothing
        return frozenset()


def describe(char: str) -> str:
    """'U+10FFFD (private use)', 'U+2603 SNOWMAN': how a warning names a character."""
    name = unicodedata.name(char, "")
    if name:
        return f"U+{ord(char):04X} {name}"
    kinds = {"Co": "private use", "Cn": "unassigned", "Cs": "surrogate", "Cc": "control"}
    return f"U+{ord(char):04X} ({kinds.get(unicodedata.category(char), 'no name')})"
