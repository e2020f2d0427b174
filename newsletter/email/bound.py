"""How large premailer's output can be, known without premailer: what `check` needs of the inlined email.

`check` measures the inlined email for three findings only (size-warn/size-clip, style-size, img-width),
and premailer costs its process about 120 ms (cssutils' import and the stylesheet's parse), most of
check's critical path (tests/benchmarks/run.py: `check` ÷ `build`). An upper bound is enough to know that
none of the three can fire; when it cannot say so, check inlines as build does.

The bound follows premailer's transform (premailer 3.10) step by step, on the same input
(`inline.prepare`), the same parser and the same selector engine (lxml, lxml.cssselect):
- the page is parsed and printed by lxml as premailer does, each `<style>` premailer reads emptied (it
  removes it or refills it with the rules it could not inline): that print is exact;
- every element a rule's selector, with its pseudo-classes dropped (a superset), matches gets at most
  a `style` attribute of every matching rule's declarations and its own style, as cssutils prints them
  and lxml escapes them (`_weight`: at most twice the characters, six bytes for a quote), and at most
  as much again in `align`, `valign` and `bgcolor`; every image at most ` align="right"`;
- each emptied `<style>` at most every rule of its sheet once per selector, declarations `!important`.
Anything this does not model (at-rules left, escapes, `<` or `>` in CSS, a merge tag in CSS, a
`data-premailer` attribute, a selector lxml cannot read) gives no bound: check inlines.
`tests/test_inline_bound.py` holds the bound above premailer's output on generated pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from newsletter.email import inline

# One rule of a sheet with its comments removed: selectors, then declarations with no nested block.
_RULE = re.compile(r"\s*([^{}]+?)\s*\{([^{}]*)\}\s*")
_STRING = re.compile(r""""[^"\n]*"|'[^'\n]*'""")
_STRING_OR_COMMENT = re.compile(r""""[^"\n]*"|'[^'\n]*'|/\*.*?\*/""", re.S)
# Pseudo-classes and pseudo-elements (with an argument list that holds no parentheses of its own).
_PSEUDO = re.compile(r"::?[A-Za-z_-][\w-]*(?:\([^()]*\))?")
_UNMODELLED = re.compile(r"[@\\<>]")
# What lxml refuses in an attribute or a <style> (premailer would raise): control characters, non-characters
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_BARE_URL = re.compile(r"(?i)url\(\s*(?![\"'])")  # an unquoted url() may hold ";" or braces, one token

_CHARS = re.compile(r"[\"'&\t\n\r\f\xa0]|[^\x00-\x7f]")
_BASIC = ("text-align", "vertical-align", "background-color")  # premailer's align, valign, bgcolor
_EXTRA = {'"': 5, "'": 5, "&": 4, "\t": 5, "\n": 5, "\r": 5, "\f": 5, "\xa0": 5}


@dataclass(frozen=True)
class Bound:
    page: str  # the page as premailer prints it before it inlines (its <style> emptied), tags restored
    size: int  # wire bytes (UTF-8, CRLF) the inlined page reaches at most
    style: int  # bytes the largest <style> of the inlined page holds at most
    images_sized: bool  # every <img> of the inlined page has a width="N" (the img-width rule finds none)


def bound(page: str) -> Bound | None:
    """The bound of `inline.inline_css(page)`, or None where this does not model what premailer does."""
    from lxml import etree

    prepared = inline.prepare(page)
    stripped = prepared.html.strip()
    try:
        tree = etree.fromstring(stripped, etree.HTMLParser()).getroottree()
    except (etree.ParserError, ValueError):
        return None
    root_element = tree.getroot()
    # premailer makes a head where there is none: its @media sheet goes there, and rules may match it
    if root_element is None or root_element.find("head") is None:
        return None
    doctype: str = tree.docinfo.doctype  # type: ignore[union-attr]
    root = tree if stripped.startswith(doctype) else root_element
    sheets = _sheets(root_element, prepared.token)
    if sheets is None:
        return None
    added, styles = _added(root_element, sheets, prepared.token)
    if added is None:
        return None
    printed = etree.tostring(root, method="html", pretty_print=False, encoding="utf-8").decode("utf-8")
    finished = prepared.finish(printed)
    head = 0 if "</head>" in printed else 64 + 2 * len(prepared.media.encode("utf-8"))
    kept = [len(s.encode("utf-8")) for s in re.findall(r"<style[^>]*>(.*?)</style>", finished, re.S)]
    # With no head to put them in here, the @media rules are premailer's output's alone: count them too
    media = len(f"\n{prepared.media}".encode()) if prepared.media else 0  # as Prepared.finish writes it
    sizes = _wire(finished) + added + head
    return Bound(finished, sizes, max([*kept, *styles, media], default=0), _sized(root_element))


def _sized(page: Any) -> bool:
    """Read on the parsed images, not the print: premailer rewrites `style`, `align`, `valign` and
    `bgcolor` (whose old text could hold `width="1"`), never `width` (a basic attribute it is told to
    leave); no value with a `>` that would end the img-width rule's look at the tag early."""
    return all(
        re.fullmatch(r"\d+", img.get("width", "")) and not any(">" in v for v in img.attrib.values())
        for img in page.iter("img")
    )


def _wire(text: str) -> int:
    return len(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))


def _select(selector: str, page: Any) -> list[Any]:
    """The elements premailer's engine (lxml.cssselect, its default translator) finds for a selector."""
    from lxml.cssselect import CSSSelector

    found: Any = CSSSelector(selector)(page)
    return list(found)


def _sheets(page: Any, token: str) -> list[list[tuple[list[str], str]]] | None:
    """The rules of each `<style>` premailer reads (its media attribute absent, all or screen), each
    emptied in the tree; None when one holds what this does not model."""
    sheets = []
    for element in _select("style", page):
        media = element.attrib.get("media")
        if media and media not in ("all", "screen"):
            continue  # premailer leaves it as it is: printed exactly
        if "data-premailer" in element.attrib:
            return None
        rules = _rules(element.text or "", token)
        if rules is None:
            return None
        sheets.append(rules)
        element.text = None
    return sheets


def _rules(css: str, token: str) -> list[tuple[list[str], str]] | None:
    # Strings and comments read left to right, as CSS's tokenizer reads them ('/*' in a string opens
    # no comment, a quote in a comment opens no string); a quote or comment left open: no bound.
    css = _STRING_OR_COMMENT.sub(lambda m: m.group(0) if m.group(0)[0] in "\"'" else " ", css)
    if not _modelled(css, token) or "/*" in _STRING.sub("", css):
        return None
    rules: list[tuple[list[str], str]] = []
    at = 0
    while at < len(css):
        match = _RULE.match(css, at)
        if match is None:
            return None if css[at:].strip() else rules
        selectors = [s.strip() for s in match.group(1).split(",")]
        if not all(selectors):
            return None
        rules.append((selectors, match.group(2)))
        at = match.end()
    return rules


def _modelled(css: str, token: str) -> bool:
    """No at-rule, escape, angle bracket or merge tag, and no string holding a brace or a semicolon
    (which would split a rule or a declaration where cssutils does not)."""
    if _UNMODELLED.search(css) or token in css or _NOT_XML.search(css) or _BARE_URL.search(css):
        return False
    outside = _STRING.sub("", css)
    if "'" in outside or '"' in outside:  # a string left open runs to the line's end in CSS
        return False
    return not any(c in s for s in _STRING.findall(css) for c in "{};")


def _weight(text: str) -> int:
    """Bytes cssutils' print of a declaration can take in an attribute lxml escapes: a character at
    most two (a space after a comma or between tokens, a zero before a point), a quote seven (cssutils
    prints ' as ", lxml writes &quot;), & six, a character beyond ASCII eight; and `; ` and ` !`."""
    extra = sum(_EXTRA.get(c, 6) for c in _CHARS.findall(text))
    return 2 * len(text) + extra + 4


def _declarations(text: str) -> dict[str, int]:
    """Each property a block sets (by its name as written: cssutils' name can only merge two), with the
    bound of its printed declaration; a property set twice, the larger."""
    weights: dict[str, int] = {}
    for declaration in text.split(";"):  # no string holds ";" (_rules)
        name = declaration.split(":", 1)[0].strip()
        if declaration.strip():
            weights[name] = max(weights.get(name, 0), _weight(declaration.strip()))
    return weights


def _merged(into: dict[str, int], weights: dict[str, int]) -> None:
    for name, weight in weights.items():
        into[name] = max(into.get(name, 0), weight)


def _without_pseudo(selector: str) -> str:
    """The selector with its pseudo-classes and pseudo-elements dropped: it matches every element the
    selector matches (a compound left empty is `*`)."""
    spaced = re.sub(r"\s*([>+~])\s*", r" \1 ", _PSEUDO.sub("", selector))
    out: list[str] = []
    for token in spaced.split():
        if token in (">", "+", "~") and (not out or out[-1] in (">", "+", "~")):
            out.append("*")
        out.append(token)
    if out and out[-1] in (">", "+", "~"):
        out.append("*")
    return " ".join(out) or "*"


def _added(page: Any, sheets: list[list[tuple[list[str], str]]], token: str) -> tuple[int | None, list[int]]:
    """Wire bytes the inlining can add to the emptied page's print, and the bound of each refilled
    `<style>`'s text. An element's style holds each property once (premailer's merge: the most
    specific rule's value, its own style's above all), so each property counts once, at its largest."""
    from lxml.cssselect import SelectorError

    # Keyed by the element itself: an lxml proxy's id() is reused once nothing holds it.
    per_element: dict[Any, dict[str, int]] = {}
    styles = []
    for rules in sheets:
        leftover = 0
        for selectors, block in rules:
            weights = _declarations(block)
            important = sum(weights.values()) + 12 * len(weights)  # each declaration made !important
            for selector in selectors:
                if ":" in selector:  # only a pseudo-class rule is left over (premailer: ":" in selector)
                    leftover += _weight(selector) + 8 + important  # bytes: a selector may be Japanese
                try:
                    matched = _select(_without_pseudo(selector), page)
                except (SelectorError, ValueError):
                    return None, []
                for element in matched:
                    _merged(per_element.setdefault(element, {}), weights)
        styles.append(leftover)
    added = 64 + sum(2 * s for s in styles)  # a refilled sheet: a line per rule, CRLF on the wire
    for element, weights in per_element.items():
        existing = element.attrib.get("style", "")
        if not _modelled(existing, token):
            return None, []
        _merged(weights, _declarations(existing))
        basic = sum(w for name, w in weights.items() if name.lower() in _BASIC)
        # ` style="…"`; ` align="…"`, ` valign="…"`, ` bgcolor="…"` (a short colour made six digits)
        added += 9 + sum(weights.values()) + 35 + basic
    added += 14 * sum(1 for _ in page.iter("img"))  # ` align="right"` of a floated image
    return added, styles
