"""`newsletter social --edit POST`: the post's social file as a starting point, a YAML a person reads and
edits, holding the captions the build makes now (content.socialfile reads it back, to the same words)."""

from __future__ import annotations

import yaml

from newsletter.content.socialfile import KINDS
from newsletter.social.counting import Rule
from newsletter.social.records import Caption

HEADER = """\
# The captions of "{title}" ({source}),
# written by `newsletter social --edit` as a starting point for editing them.
#
# Every build posts what this file says instead of what it makes from the article, exactly as
# written (links, tracking and hashtags included), and marks a caption "edited" (captions.json,
# captions.md, the preview) where its words differ from the article's.
#   - Change a caption in place. Delete the captions you leave as they are: they then follow the
#     article when it changes.
#   - Turn a caption off with `off` (benefits: off), or a whole platform (pinterest: off).
#   - A thread is a list of posts; the build numbers them 1/N. To change one post of the thread the
#     article gives and keep the others following it, give the post's number instead of the list:
#       thread:
#         2: A new second post.
#         4: off
# Each caption is counted as its platform counts it: one over the limit is an error (newsletter check).
"""

# How each platform counts, for the comment beside it (shared/facts/social.md).
COUNTS = {
    "x": "a link counts 23, CJK characters and emoji 2",
    "bluesky": "graphemes; a link counts in full",
    "threads": "an emoji counts its UTF-8 bytes; at most 5 links",
    "mastodon": "a link counts 23",
    "instagram": "links cannot be clicked: say where the link is",
    "pinterest": "the pin's description; its link goes in the link column",
}


def starting_point(
    title: str, source: str, captions: list[Caption], threads: dict[str, tuple[str, ...]],
    rules: list[Rule], kinds: tuple[str, ...] = KINDS,
) -> str:  # fmt: skip
    """The file: the header, then per platform its captions by kind; a kind the article gives none of
    is a comment saying so. `threads` holds each platform's thread posts, not numbered (a caption's
    parts carry their 'i/N')."""
    out = [HEADER.format(title=title, source=source)]
    made = {(c.platform, c.kind): c for c in captions}
    for rule in rules:
        platform = rule.platform
        asked = [k for k in kinds if k != "thread" or rule.threads]
        if not any((platform, k) in made for k in asked):
            continue
        out.append(f"{platform}:  # {_about(rule)}")
        for kind in asked:
            caption = made.get((platform, kind))
            if caption is None:
                out.append(f"  # {kind}: the article gives none for {rule.label}; write one here to post it")
            elif kind == "thread":
                out.append("  thread:")
                out.extend(f"    - {_scalar(post, '      ')}" for post in threads[platform])
            else:
                out.append(f"  {kind}: {_scalar(caption.text, '    ')}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _about(rule: Rule) -> str:
    size = f"{rule.limit:,} a post" if rule.threads else f"{rule.limit:,}"
    fold = f"; about {rule.fold} show before “see more”" if rule.fold else ""
    how = f"; {COUNTS[rule.platform]}" if rule.platform in COUNTS else ""
    return f"{rule.label}: {size}{fold}{how}"


def _scalar(text: str, indent: str) -> str:
    """`text` as a literal block (`|-`, the lines as they are) when it reads back the same, else as a
    double-quoted string (a text with leading spaces, a final line break or unprintable characters)."""
    block = "|-\n" + "\n".join(indent + line if line else "" for line in text.split("\n"))
    if _reads_back(block, text):
        return block
    quoted = yaml.safe_dump(text, default_style='"', allow_unicode=True, width=10**9).rstrip("\n")
    return quoted if _reads_back(quoted, text) else block


def _reads_back(value: str, text: str) -> bool:
    try:
        return yaml.safe_load(f"k: {value}\n") == {"k": text}
    except yaml.YAMLError:
        return False
