"""Post bodies that make a naive text processor superlinear, at the post size cap (1 MiB; these stay
just under 1,000,000 bytes). Used by tests/test_linear_text.py and tests/benchmarks/bench_pathological.py."""

from __future__ import annotations

SIZE = 998_000  # bytes of body; the front matter brings the file to just under 1,000,000
FRONT = "---\ntitle: A slow post\ndate: 2026-10-14\n---\n\n"  # the body starts on line 6


def _repeat(unit: str, size: int) -> str:
    return unit * (size // len(unit))


def _nested(size: int) -> str:
    half = (size - 1) // 2
    return "[" * half + "a" + "]" * half


# name → body builder. The first three are the issue's; the rest are the same classes found while
# auditing (each was quadratic or worse before).
BODIES = {
    "link-openers": lambda size: _repeat("[a](", size),  # social/text.py's link regex: cubic
    "nested-brackets": _nested,  # Python-Markdown's link reader: quadratic
    "abbreviations": lambda size: _repeat("*[HTML]: Hyper Text\n", size),  # text.py's emphasis regex
    "reference-openers": lambda size: _repeat("[a][b", size),
    "image-openers": lambda size: _repeat("![a](", size),
    "emphasis-openers": lambda size: _repeat("*a ", size),
    "unclosed-tags": lambda size: _repeat("<a ", size),  # html.parser before Python 3.11.13
    "one-word": lambda size: "x" * size,  # a card's width measure overflowed
    "one-paragraph": lambda size: _repeat("word ", size),  # caption splitting was quadratic
}


def post(name: str, size: int = SIZE) -> str:
    return FRONT + BODIES[name](size) + "\n"
