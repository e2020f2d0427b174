"""Mail header values that no input can turn into another header.

Python's email package (3.11.7 here) decodes RFC 2047 encoded-words in a value it is given and writes the
decoded text back out when it folds: `=?utf-8?q?Hi=0AFrom:_x?=` in a title became a second From: (the
CVE-2024-6923 family). So every value is made here, never parsed by the policy:

- text is cleaned: every line break (CR, LF, VT, FF, NEL, U+2028/2029, the separators U+001C-001E) and
  control becomes a space, bidi controls and zero-width characters go;
- text that is plain printable ASCII without `=?` is written as words; anything else becomes RFC 2047
  encoded-words made by `email.header`, so `=?...?=` in the input reaches the reader as literal text;
- addresses are parsed strictly (one mailbox, ASCII addr-spec), then written back in a canonical form;
- every value is folded here at 78 characters, and `mime` stores it verbatim.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

MAX_LINE = 78
# str.splitlines() boundaries: each of them ends a header line in some reader.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# Unicode's Bidi_Control characters: embeddings and overrides U+202A-202E, isolates U+2066-2069, the
# marks U+200E/U+200F and the Arabic letter mark U+061C. They reorder what a reader sees ('gpj.exe').
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Invisible format characters that can hide or join text: zero-width space, non-joiner, joiner (kept
# inside an emoji sequence), BOM, word joiner, the invisible operators U+2061-2064, the deprecated format
# controls U+206A-206F, the Mongolian vowel separator U+180E and interlinear annotations U+FFF9-FFFB.
ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u2060\u2061\u2062\u2063\u2064\u180e\ufff9\ufffa\ufffb" + "".join(
    chr(c) for c in range(0x206A, 0x2070)
)
# Tag characters draw nothing except inside an emoji tag sequence (the flags of England, Scotland, Wales).
TAGS = "\U000e0001\U000e0020-\U000e007f"
_ZERO_WIDTH_OR_BIDI = re.compile(f"[{BIDI}{ZERO_WIDTH}{TAGS}]")


@functools.cache
def _invisible_pattern():
    """Compiled on first use: `regex` (for the emoji classes) costs ~7 ms to import, and most runs
    (a rebuild of unchanged posts) never look at a header."""
    import regex

    others = BIDI + ZERO_WIDTH.replace("\u200d", "")
    return regex.compile(
        # A zero-width joiner between two pictographs builds one emoji (👩‍👩‍👧): that one stays, as do
        # the tags of a flag's tag sequence (a black flag, tags, then the cancel tag U+E007F).
        rf"(?<![\p{{Extended_Pictographic}}\p{{Emoji_Modifier}}\ufe0f])\u200d"
        rf"|\u200d(?!\p{{Extended_Pictographic}})|[{others}]"
        rf"|\U000e0001|(?<![\U0001f3f4\U000e0020-\U000e007e])[\U000e0020-\U000e007f]"
    )


_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_DOT_ATOM = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_PHRASE = re.compile(rf"[{_ATEXT}]+(?: [{_ATEXT}]+)*")
MAX_ADDRESS = 64  # "Reply-To: <" + address + ">" still fits one 78-character line


def line_break(value: str) -> str:
    """The first character that would end a header line, or ''."""
    return next((c for c in value if c in LINE_BREAKS), "")


def control(value: str) -> str:
    """The first control character other than tab (line breaks included), or ''."""
    return next((c for c in value if c != "\t" and unicodedata.category(c) in ("Cc", "Zl", "Zp")), "")


def invisible(value: str) -> list[str]:
    """Bidi controls and zero-width characters, as U+XXXX names, in order of appearance."""
    if not _ZERO_WIDTH_OR_BIDI.search(value):  # the usual case, without the regex module
        return []
    return [f"U+{ord(m.group(0)):04X}" for m in _invisible_pattern().finditer(value)]


def strip_invisible(value: str) -> str:
    if not _ZERO_WIDTH_OR_BIDI.search(value):
        return value
    return _invisible_pattern().sub("", value)


def visible(value: str, lines: bool = False) -> str:
    """The one filter of control characters that every output shares (the Subject line, the email and
    its text part, the web copy, the archive and feed, captions and cards): controls (C0, C1, DEL,
    U+2028/2029) become spaces, bidi controls and invisible format characters go, lone surrogates become
    U+FFFD. With `lines`, line feeds stay (a caption override's lines). Applied where front matter and
    issue-file text is read (content/posts.py), so no output can miss it."""
    if lines:
        return "\n".join(visible(line) for line in value.split("\n"))
    if value.isascii() and value.isprintable():  # the usual case: nothing to filter
        return value
    return "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else "\ufffd" if "\ud800" <= c <= "\udfff" else c
        for c in strip_invisible(value)
    )


def clean(value: str) -> str:
    """One line of visible text for a mail header: `visible`, then spaces folded to one."""
    return " ".join(visible(value).split())


def has_encoded_word(value: str) -> bool:
    return "=?" in value


# Folding ------------------------------------------------------------------------------------------------


def fold(name: str, tokens: list[str]) -> str:
    """Tokens joined by spaces, a fold (CRLF + space) before any that would pass 78 characters.
    Returns the value as it follows 'Name: '."""
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) <= MAX_LINE:
            lines[-1] += " " + token
        else:
            lines.append(" " + token)
    first = lines[0][len(name) + 2 :] if lines[0] != f"{name}:" else ""
    return "\r\n".join([first, *lines[1:]])


def _encoded_words(name: str, text: str) -> list[str]:
    """RFC 2047 encoded-words (UTF-8, B or Q, whichever is shorter), each short enough for a line."""
    from email.header import Header  # lazy: only a message being made needs it

    encoded = Header(text, "utf-8", header_name=name).encode(linesep="\r\n", maxlinelen=MAX_LINE)
    return encoded.split("\r\n ")


def _plain(text: str) -> bool:
    return (
        all(" " <= c <= "~" for c in text)
        and not has_encoded_word(text)
        and all(len(word) < MAX_LINE - 1 for word in text.split(" "))
    )


def text_tokens(name: str, value: str) -> list[str]:
    """Unstructured text (Subject, a display name) as foldable tokens."""
    text = clean(value)
    if not text:
        return []
    return text.split(" ") if _plain(text) else _encoded_words(name, text)


def unstructured(name: str, value: str) -> str:
    return fold(name, text_tokens(name, value))


# Addresses ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mailbox:
    name: str  # display name as text (cleaned), may be ""
    address: str  # ASCII addr-spec

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address

    def tokens(self, header: str) -> list[str]:
        if not self.name:
            return [self.address]
        quoted = '"' + self.name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if _PHRASE.fullmatch(self.name) and _plain(self.name):
            name = self.name.split(" ")
        elif _plain(self.name) and len(quoted) < MAX_LINE - 1:  # a quoted string is never folded inside
            name = [quoted]
        else:
            name = _encoded_words(header, self.name)
        return [*name, f"<{self.address}>"]


class AddressError(ValueError):
    """Why a string is not one mailbox; the message is shown after the setting's or option's name."""


def parse_mailbox(value: str) -> Mailbox:
    """Exactly one `Name <local@domain>` or `local@domain`; anything else is an AddressError."""
    text = value.strip()
    if bad := control(text):
        raise AddressError(f"contains the control character U+{ord(bad):04X}; write it on one line")
    if has_encoded_word(text):
        raise AddressError("contains encoded-word syntax '=?'; write the name as plain text")
    if len(_split_commas(text)) > 1:
        raise AddressError("holds several addresses separated by commas; give exactly one")
    if not text.endswith(">"):
        return Mailbox("", _addr_spec(text))
    opening = text.rfind("<")
    if opening < 0:
        raise AddressError("has '>' without '<'")
    return Mailbox(_display_name(text[:opening].strip()), _addr_spec(text[opening + 1 : -1].strip()))


def _display_name(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        inner = raw[1:-1]
        if re.search(r'(?<!\\)(?:\\\\)*"', inner):
            raise AddressError('has a quote inside the quoted name; escape it as \\"')
        name = re.sub(r"\\(.)", r"\1", inner)
    elif re.search(r'[<>()\[\]:;@\\,"]', raw):
        bad = re.search(r'[<>()\[\]:;@\\,"]', raw).group(0)  # type: ignore[union-attr]
        raise AddressError(f"has '{bad}' in the name: put the name in double quotes, or give one address")
    else:
        name = raw
    if invisible(name):
        raise AddressError(f"has the invisible character {invisible(name)[0]} in the name; remove it")
    return " ".join(name.split())


def _addr_spec(raw: str) -> str:
    local, at, domain = raw.rpartition("@")
    if not at or not local or not domain:
        raise AddressError("it is not an address like name@example.com")
    if not _DOT_ATOM.fullmatch(local):
        raise AddressError(f"'{local}' is not a valid address before the @ (ASCII letters, digits, . _ + -)")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise AddressError(f"'{domain}' is not a valid domain (ASCII, e.g. example.com; use xn-- for IDN)")
    if len(raw) > MAX_ADDRESS:
        raise AddressError(f"the address is {len(raw)} characters; at most {MAX_ADDRESS} fit a header line")
    return raw


def parse_mailbox_list(value: str) -> list[Mailbox]:
    """Comma-separated mailboxes (commas inside quoted names do not split)."""
    parts = _split_commas(value)
    if any(not p.strip() for p in parts):
        raise AddressError("has an empty entry between commas")
    return [parse_mailbox(p) for p in parts]


def _split_commas(value: str) -> list[str]:
    parts, current, quoted, escaped = [], "", False, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return parts


def mailboxes(name: str, boxes: list[Mailbox]) -> str:
    """An address header: mailboxes separated by commas, folded between tokens."""
    tokens: list[str] = []
    for index, box in enumerate(boxes):
        own = box.tokens(name)
        if index < len(boxes) - 1:
            own[-1] += ","
        tokens.extend(own)
    return fold(name, tokens)
