"""Compare article extractors on the importer's hand-written fixtures (the README's table).

Needs the candidates installed: pip install trafilatura readability-lxml markdownify
Run from the repository root: python tests/benchmarks/compare_extractors.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"
PAGES = ("wix-post.html", "wordpress-post.html", "plain-post.html")
# Text that belongs to the page around the article, never to the article.
BOILERPLATE = (
    "cookies", "Share", "Facebook", "Recent Posts", "Related", "Comments", "comment", "Log In",
    "views", "Previous post", "Gua sha", "Proudly", "min read", "Home",
)  # fmt: skip


def trafilatura_markdown(html: str) -> str:
    import trafilatura

    options = dict(include_links=True, include_images=True, include_tables=True, include_formatting=True)
    return trafilatura.extract(html, output_format="markdown", include_comments=False, **options) or ""


def trafilatura_html_markdownify(html: str) -> str:
    import markdownify
    import trafilatura

    options = dict(include_links=True, include_images=True, include_tables=True, include_formatting=True)
    body = trafilatura.extract(html, output_format="html", include_comments=False, **options) or ""
    return markdownify.markdownify(body, heading_style="ATX")


def importer(html: str) -> str:
    sys.path.insert(0, str(FIXTURES.parent.parent.parent))
    from newsletter.importer import convert

    return convert.extract(html, "https://example.test/post", convert.image_sizes(html)).markdown


def readability_markdownify(html: str) -> str:
    import markdownify
    from readability import Document

    return markdownify.markdownify(Document(html).summary(html_partial=True), heading_style="ATX")


CANDIDATES = {
    "trafilatura (Markdown output)": trafilatura_markdown,
    "trafilatura (HTML output) + markdownify": trafilatura_html_markdownify,
    "readability-lxml + markdownify": readability_markdownify,
    "chosen: trafilatura (XML output) + markdownify": importer,
}


def expected(page: str) -> dict[str, int]:
    """What the article holds, counted from the fixture's own article markup."""
    import lxml.html

    tree = lxml.html.fromstring((FIXTURES / page).read_text(encoding="utf-8"))
    body = next(
        found[0]
        for xpath in ('//*[@data-hook="ricos-viewer"]', '//*[contains(@class, "entry-content")]', "//article")
        if (found := tree.xpath(xpath))
    )
    paragraphs = [
        p.text_content().strip()
        for p in body.iter("p")
        if not p.xpath(
            "ancestor-or-self::*[contains(@class, 'share') or contains(@class, 'sharedaddy') or contains(@class, 'related') or contains(@class, 'byline')] | ancestor::li"
        )
        and p.text_content().strip()
    ]
    return {
        "paragraphs": paragraphs,
        "headings": len(body.xpath(".//h2[not(ancestor::*[contains(@class,'related')])]")),
        "ol": len(body.xpath(".//ol")),
        "quotes": len(body.xpath(".//blockquote")),
        "images": len(body.xpath(".//img[not(ancestor::header)]")),
        "tables": len(body.xpath(".//table")),
        "captions": len(body.xpath(".//figcaption")),
    }


def _count(pattern: str, text: str) -> int:
    return len(re.findall(pattern, text, re.M))


def score(markdown: str, want: dict) -> dict[str, str]:
    flat = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", re.sub(r"\s+", " ", markdown))
    flat = re.sub(r"[*_`\\]", "", flat)
    kept = sum(p[:60] in flat for p in want["paragraphs"])
    leaked = sorted({b for b in BOILERPLATE if b in markdown})
    found = {
        "paragraphs": kept,
        "headings": _count(r"^#{2,3} ", markdown),
        "ol": _count(r"^1\. ", markdown),
        "quotes": _count(r"^> (?!.*\n>)", markdown + "\n"),  # each quote's last line
        "images": markdown.count("!["),
        "tables": _count(r"^\| ?-", markdown),
        "captions": sum(c in markdown for c in ("Warm a balm", "Roll from the centre")),
    }
    cells = {k: f"{v}/{len(want[k]) if k == 'paragraphs' else want[k]}" for k, v in found.items()}
    return {**cells, "boilerplate": ", ".join(leaked) or "none"}


def main() -> None:
    rows = []
    for name, extract in CANDIDATES.items():
        for page in PAGES:
            html = (FIXTURES / page).read_text(encoding="utf-8")
            rows.append((name, page, score(extract(html), expected(page))))
    columns = list(rows[0][2])
    print("| extractor | page | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for name, page, cells in rows:
        print(f"| {name} | {page.removesuffix('.html')} | " + " | ".join(cells.values()) + " |")


if __name__ == "__main__":
    main()
