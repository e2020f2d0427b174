"""Checks on rendered output: the size budget Gmail enforces, the head stylesheet limit."""

from __future__ import annotations

import re

from .config import Settings
from .errors import Problems
from .issue import Issue

WARN_BYTES = 90 * 1024
CLIP_BYTES = 102 * 1024
STYLE_BYTES = 16 * 1024


def wire_size(html: str) -> int:
    """What Gmail measures: the HTML as sent, UTF-8 with CRLF line ends."""
    return len(html.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))


def email_size(issue: Issue, settings: Settings, html: str, problems: Problems) -> None:
    size = wire_size(html)
    where = f"{issue.week}/email.html"
    if size > CLIP_BYTES or size > WARN_BYTES:
        costs = ", ".join(f"{source} {_kb(cost)}" for source, cost in article_costs(issue, html)[:5])
        message = (
            f"email is {_kb(size)} after inlining; Gmail clips above {_kb(CLIP_BYTES)}. "
            f"Largest articles: {costs}. Move an article to next week or shorten it"
        )
        if size > CLIP_BYTES:
            problems.error(where, 0, message, rule="size-clip")
        else:
            problems.warn(where, 0, message, rule="size-warn")
    for style in re.findall(r"<style[^>]*>(.*?)</style>", html, re.S):
        if len(style.encode("utf-8")) > STYLE_BYTES:
            problems.warn(
                where,
                0,
                f"head <style> is {_kb(len(style))}; Gmail drops it above 16 KB",
                "style-size",
            )


def article_costs(issue: Issue, html: str) -> list[tuple[str, int]]:
    """Bytes each article adds to the inlined email, largest first (its cell, styles included)."""
    cells = html.split('<td class="footer"')[0].split('<td class="article"')[1:]
    costs = [(post.source, wire_size(cell)) for post, cell in zip(issue.posts, cells, strict=False)]
    return sorted(costs, key=lambda c: (-c[1], c[0]))


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"
