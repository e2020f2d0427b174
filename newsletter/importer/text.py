"""Text copied from a blog page (like the studio's seeds) into a post: the title, author, date and
reading-time lines at the top recognised and removed, numbered or Title-Case section lines made `##`
headings, `•`/`-`/`*` lines made lists, page debris removed, bare domain names made links.

In copied text each line is usually its own paragraph; a line is joined to the next only when it ends
mid-sentence (no closing punctuation, and the next line starts in lower case)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from newsletter.importer import dates
from newsletter.importer.records import Article
from newsletter.importer.source import SourceError
from newsletter.social.counting import URL

_BULLET = re.compile(r"[•·▪◦‣●○■□➤►✓✔–*+-]\s+(?P<text>\S.*)")
_NUMBERED = re.compile(r"(?P<number>\d{1,2})[.)]\s+(?P<text>\S.*)")
_READING_TIME = re.compile(r"(?:[-•·]\s*)?\d+\s*min(?:ute)?s?\.?\s+read", re.I)
_AUTHOR = re.compile(
    r"(?:[-•·]\s*|(?i:by|written by|author:)\s+)(?P<name>[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|da|van|von|der|la|le)){0,3})"
)
_CLOSED = re.compile(r"[.!?:;…]['\"”’)\]]*$")  # a line ending like this ends its sentence
_DEBRIS = re.compile(
    r"\S*\.(?:png|jpe?g|gif|webp|svg|avif)\)?|\d+\s+(?:views?|comments?|likes?)|"
    r"(?:share(?: this(?: post)?)?:?|facebook|twitter|x \(twitter\)|linkedin|pinterest|whatsapp|"
    r"copy link|link copied|like|tweet|post not marked as liked|print|email)(?:\s*[·|/]?\s*"
    r"(?:facebook|twitter|x|linkedin|pinterest|whatsapp|email|copy link))*",
    re.I,
)
# A line that is exactly one of these ends the article: what follows is the page around it.
_END = re.compile(
    r"comments?|recent posts|related (?:posts|articles)|see all|write a comment(?:\.\.\.|…)?|"
    r"log in to leave a comment\.?|you (?:may|might) also like|more posts",
    re.I,
)
_SMALL = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "on",
          "or", "over", "per", "the", "to", "vs", "via", "with", "is", "it", "its"}  # fmt: skip
MAX_HEADING_WORDS = 14


@dataclass(frozen=True)
class _Line:
    number: int  # in the file, for the report
    text: str


def read_text(text: str, source: str, now: dt.datetime) -> Article:
    lines = [_Line(n, line.strip()) for n, line in enumerate(text.split("\n"), 1)]
    lines, cut = _cut_end(lines)
    kept = [line for line in lines if not _DEBRIS.fullmatch(line.text)]
    removed = [f"'{line.text}'" for line in lines if _DEBRIS.fullmatch(line.text)] + cut
    title, author, found, rest, header = _header([line for line in kept if line.text], now)
    blocks, headings = _blocks(rest)
    if not blocks:
        raise SourceError("holds no article text (only a title, byline or page debris)")
    guessed, notes = [], []
    if found and found.guessed:
        guessed.append(f"date {found.date} from '{header['date']}' ({_why(found.guessed)})")
    if headings:
        kinds = " and ".join(sorted(headings))
        guessed.append(f"{sum(headings.values())} headings from {kinds} lines")
    if removed:
        notes.append(f"removed {', '.join(removed[:4])}{' …' if len(removed) > 4 else ''}")
    return Article(
        source=source,
        kind="copied text",
        title=title,
        date=found.date if found else None,
        body="\n\n".join(blocks) + "\n",
        author=author,
        guessed=tuple(guessed),
        notes=tuple(notes),
    )


def _why(reason: str) -> str:
    return "no year given: the latest such date not in the future" if reason == "no year" else reason


def _cut_end(lines: list[_Line]) -> tuple[list[_Line], list[str]]:
    """Everything from the first end marker on (a comments box, recent posts) once the article began."""
    seen_text = 0
    for index, line in enumerate(lines):
        if _END.fullmatch(line.text) and seen_text >= 3:
            dropped = [line for line in lines[index:] if line.text]
            label = f"'{line.text}'" + (f" and {len(dropped) - 1} lines after it" if len(dropped) > 1 else "")
            return lines[:index], [label]
        seen_text += bool(line.text)
    return lines, []


def _header(lines: list[_Line], now: dt.datetime):
    """(title, author, date found, the other lines, what the header said). The title is the first line
    when it reads as one; author, date and reading time are recognised only in the lines after it."""
    header: dict[str, str] = {}
    title, start = "", 0
    if lines and _title_like(lines[0].text):
        title, start = lines[0].text, 1
    author, found = "", None
    index = start
    while index < len(lines) and index < start + 6:
        text = lines[index].text
        if _READING_TIME.fullmatch(text):
            pass
        elif not found and (date := dates.from_shown(text.lstrip("-•· "), now)):
            found, header["date"] = date, text.lstrip("-•· ")
        elif not author and (match := _AUTHOR.fullmatch(text)) and len(match.group("name")) <= 40:
            author = match.group("name")
        else:
            break
        index += 1
    return title, author, found, lines[index:], header


def _title_like(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= 20 and not re.search(r"[.,;:]$", text) and not _BULLET.fullmatch(text)


def _blocks(lines: list[_Line]) -> tuple[list[str], dict[str, int]]:
    """Markdown blocks: headings, lists and paragraphs; and how many headings came from which kind."""
    blocks: list[str] = []
    headings: dict[str, int] = {}
    items: list[str] = []  # the list being gathered
    ordered = False
    index = 0
    while index < len(lines):
        line, start = lines[index], index
        joined, index = _joined(lines, index)
        bullet = _BULLET.fullmatch(line.text)
        numbered = _NUMBERED.fullmatch(line.text)
        if numbered and _numbered_list(lines, start):
            items, ordered = _gather(blocks, items, ordered, True), True
            items.append(_inline(_NUMBERED.fullmatch(joined).group("text")))  # type: ignore[union-attr]
            continue
        if bullet:
            items, ordered = _gather(blocks, items, ordered, False), False
            items.append(_inline(_BULLET.fullmatch(joined).group("text")))  # type: ignore[union-attr]
            continue
        _flush(blocks, items, ordered)
        items = []
        kind = "numbered" if numbered and _heading_like(numbered.group("text")) else ""
        kind = kind or ("Title-Case" if joined == line.text and _title_case(line.text) else "")
        if kind and joined == line.text:
            headings[kind] = headings.get(kind, 0) + 1
            blocks.append("## " + _inline(line.text))
        else:
            blocks.append(_escape_start(_inline(joined)))
    _flush(blocks, items, ordered)
    return blocks, headings


def _gather(blocks: list[str], items: list[str], ordered: bool, wanted: bool) -> list[str]:
    """The list being gathered, or a new one when the kind of list changes."""
    if items and ordered != wanted:
        _flush(blocks, items, ordered)
        return []
    return items


def _flush(blocks: list[str], items: list[str], ordered: bool) -> None:
    if not items:
        return
    if blocks and not re.match(r"#|- |\d+\. ", blocks[-1]) and not _CLOSED.search(blocks[-1]):
        blocks[-1] += ":"  # "It is particularly beneficial in" leads into the list
    labelled = [_label(item) for item in items]
    if all(labelled):
        items = [f"**{label}:** {rest}" for label, rest in labelled]  # type: ignore[misc]
    marker = (lambda n: f"{n}.") if ordered else (lambda n: "-")
    blocks.append("\n".join(f"{marker(n)} {item}" for n, item in enumerate(items, 1)))


def _label(item: str) -> tuple[str, str] | None:
    """'Post-Surgical Recovery: Promoting healing…' -> ('Post-Surgical Recovery', 'Promoting healing…')."""
    match = re.fullmatch(r"([A-Z][^:*]{0,40}):\s+(\S.*)", item)
    if match and len(match.group(1).split()) <= 5 and _title_case(match.group(1)):
        return match.group(1), match.group(2)
    return None


def _joined(lines: list[_Line], index: int) -> tuple[str, int]:
    """The line at `index` with the lines that continue its sentence; and the next index."""
    text = lines[index].text
    index += 1
    while _continues(lines, index) and not _CLOSED.search(text):
        text += " " + lines[index].text
        index += 1
    return text, index


def _continues(lines: list[_Line], index: int) -> bool:
    """The line at `index` carries on the sentence before it: it starts in lower case."""
    if index >= len(lines) or index == 0 or _CLOSED.search(lines[index - 1].text):
        return False
    first = lines[index].text[:1]
    return first.isalpha() and first.islower()


def _numbered_list(lines: list[_Line], index: int) -> bool:
    """A numbered line is a list item when the line before or after it is numbered too."""
    neighbours = [lines[i].text for i in (index - 1, index + 1) if 0 <= i < len(lines)]
    return any(_NUMBERED.fullmatch(text) for text in neighbours)


def _heading_like(text: str) -> bool:
    return len(text.split()) <= MAX_HEADING_WORDS and not re.search(r"[.,;:!]$", text)


def _title_case(text: str) -> bool:
    """'The Role of Microcirculation in Tissue Regeneration': every word capitalised but small ones."""
    if not _heading_like(text) or len(text.split()) < 2 or not text[:1].isupper():
        return False
    words = [w.strip("\"'“”‘’()") for w in text.replace("—", " ").replace("–", " ").split()]
    words = [w for w in words if w[:1].isalpha()]
    return bool(words) and all(w[:1].isupper() or w.lower() in _SMALL for w in words)


def _inline(text: str) -> str:
    """Markdown-escaped text; URLs and bare domain names (viaskincare.com) become links."""
    out, last = [], 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)]}'\"…")
        out.append(_escape(text[last : match.start()]))
        out.append(f"<{url}>" if "://" in url else f"[{url}](https://{url})")
        last = match.start() + len(url)
    out.append(_escape(text[last:]))
    return "".join(out)


def _escape(text: str) -> str:
    """Markdown's own characters as text; `<` as an entity (Markdown has no escape for it)."""
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text).replace("<", "&lt;")


def _escape_start(text: str) -> str:
    """A paragraph that Markdown would read as a heading, quote, list or rule keeps its first character."""
    if re.match(r"(#{1,6}\s|>|[-+*]\s|\d+[.)]\s|={3,}|-{3,})", text):
        return re.sub(r"^(\d+)([.)])", r"\1\\\2", text) if text[:1].isdigit() else "\\" + text
    return text
