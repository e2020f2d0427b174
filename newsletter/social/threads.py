"""Threads written from the article's structure: the hook (title and summary), one post per section
(its heading and its most informative sentences, lists kept as lists), then the link and the call to
action. No sentence is said twice; posts are numbered i/N only when there are two or more."""

from __future__ import annotations

from collections.abc import Callable

from newsletter.social import text as T
from newsletter.social.article import Block, Scorer, Section
from newsletter.social.cards import label_of
from newsletter.social.counting import Rule

MAX_POSTS = 20  # a thread longer than this is not read to the end; later sections are left out
HOOK_POSTS = 3  # a summary longer than three posts is cut there
PER_POST = 3  # sentences per section post: a post says one thing, with room to breathe
CANDIDATES = 12  # sentences considered per section (by score): keeps a huge section linear

Fits = Callable[[str], bool]


def thread_parts(
    rule: Rule,
    title: str,
    hook: str,
    sections: list[Section],
    closing: list[str],
    label: Callable[[str, int, int], str],
    scorer: Scorer | None = None,
) -> tuple[str, ...]:
    """`closing` holds the last post's text from richest to leanest (with and without hashtags);
    `label(text, index, total)` renders one post through the thread template. `scorer` (of these
    sections) can be shared by the threads of one article."""
    widest = _labeller(label, MAX_POSTS)

    def fits(body: str) -> bool:
        return rule.fits(widest(body))

    seen = T.Seen([title])
    posts = _hook(title, seen.fresh(hook), fits)
    scorer = scorer or Scorer(sections)
    for section in sections:
        if len(posts) >= MAX_POSTS - 1:
            break
        posts.extend(_section(section, scorer, seen, fits, rule.bullet))
    posts = posts[: MAX_POSTS - 1]
    for end in closing:  # a short article that fits one post is one post, not a thread
        whole = "\n\n".join([*posts, end])
        if rule.fits(label(whole, 1, 1)):
            return (label(whole, 1, 1),)
    posts = _close(posts, closing, fits)
    total = len(posts)
    return tuple(label(text, i, total) for i, text in enumerate(posts, 1))


def _labeller(label: Callable[[str, int, int], str], widest: int) -> Callable[[str], str]:
    """Packing measures many candidate posts: render the template once around a marker and splice each
    candidate in (unless the template does more with the text than place it). The label is reserved at
    its widest, so the final 'i/N' fits whatever N turns out to be."""
    probe = label("\x00", widest, widest)
    if probe.count("\x00") != 1:
        return lambda text: label(text, widest, widest)
    head, tail = probe.split("\x00")
    return lambda text: T.normalize(head + text + tail)


def _hook(title: str, summary: str, fits: Fits) -> list[str]:
    title = T.cut_to_fit(title, fits) or T.ELLIPSIS
    if not summary or fits(f"{title}\n\n{summary}"):
        return [f"{title}\n\n{summary}".strip()]
    pieces = T.split_to_fit(summary, lambda c: fits(f"{title}\n\n{c}"))
    if len(pieces) > HOOK_POSTS:
        pieces = pieces[:HOOK_POSTS]
        pieces[-1] = T.cut_to_fit(pieces[-1], fits, force=True) or T.ELLIPSIS
    return [f"{title}\n\n{pieces[0]}", *pieces[1:]]


def _section(section: Section, score: Scorer, seen: T.Seen, fits: Fits, bullet: str) -> list[str]:
    """One post: the heading, the section's lists, and its best sentences in the article's order."""
    heading = section.heading if section.heading not in seen else ""
    if heading:
        seen.add(heading)
    lists = [b for b in section.blocks if b.items]
    every, order = score.ranked(section)
    # The best CANDIDATES not said yet (filtering the ranked list is the same as ranking the filtered one).
    ranked: list[tuple[float, int, str]] = []
    for entry in every:
        if entry[2] not in seen:
            ranked.append(entry)
            if len(ranked) == CANDIDATES:
                break
    chosen: list[str] = []
    shown_lists: list[str] = []
    for block in lists:
        # The items in full, else condensed to their labels, else the list on posts of its own.
        full = _list_text(block, seen, bullet)
        short = _list_text(block, seen, bullet, tuple(dict.fromkeys(map(label_of, block.items))))
        # A list that fits only without the heading goes without it: its lead says what it is.
        tries = [(h, t) for h in dict.fromkeys((heading, "")) for t in (full, short) if t]
        found = next(((h, t) for h, t in tries if fits(_assemble(h, [], [*shown_lists, t]))), None)
        if found:
            heading, text = found
            shown_lists.append(text)
            _remember(block, seen)
        elif full:
            posts = _long_list(heading, block, seen, fits, bullet)
            return posts + _section(Section("", _after(section, block)), score, seen, fits, bullet)
    for _, _, sentence in ranked:
        if len(chosen) >= PER_POST:
            break
        trial = sorted([*chosen, sentence], key=order.__getitem__)
        if fits(_assemble(heading, trial, shown_lists)) and sentence not in seen:
            chosen = trial
            seen.add(sentence)
    if chosen or shown_lists:
        return [_assemble(heading, chosen, shown_lists)]
    if ranked:  # even the best sentence is longer than a post: split it between words
        best = ranked[0][2]
        seen.add(best)
        pieces = T.split_to_fit(best, lambda c: fits(_assemble(heading, [c], [])))
        return [_assemble(heading, [pieces[0]], []), *pieces[1:]]
    return []


def _assemble(heading: str, sentences: list[str], lists: list[str]) -> str:
    return "\n\n".join(x for x in (heading, " ".join(sentences), *lists) if x)


def _list_text(block: Block, seen: T.Seen, bullet: str, items: tuple[str, ...] | None = None) -> str:
    lead, fresh = _fresh_list(block, seen, block.items if items is None else items)
    if not fresh:
        return ""
    lines = "\n".join(f"{bullet} {i}" for i in fresh)
    return f"{lead}\n{lines}" if lead else lines


def _fresh_list(block: Block, seen: T.Seen, items: tuple[str, ...]) -> tuple[str, list[str]]:
    """The lead and the items not said yet, and no item that repeats the lead or another item."""
    lead = block.lead if block.lead and block.lead not in seen else ""
    here = T.Seen([lead] if lead else [])
    fresh = []
    for item in items:
        if item not in seen and item not in here:
            fresh.append(item)
            here.add(item)
    return lead, fresh


def _remember(block: Block, seen: T.Seen) -> None:
    for sentence in (block.lead, *block.items):
        if sentence:
            seen.add(sentence)


def _after(section: Section, block: Block) -> tuple[Block, ...]:
    at = section.blocks.index(block)
    return tuple(b for b in section.blocks[at + 1 :] if not b.items)


def _long_list(heading: str, block: Block, seen: T.Seen, fits: Fits, bullet: str) -> list[str]:
    """A list longer than a post: as many items per post as fit, the heading and lead on the first.
    An item longer than a post alone is cut at a word with an ellipsis."""
    lead, items = _fresh_list(block, seen, block.items)
    _remember(block, seen)
    opening = "\n\n".join(x for x in (heading, lead) if x)
    glue = "\n" if lead else "\n\n"
    posts: list[str] = []
    while items and len(posts) < MAX_POSTS:
        prefix = "" if posts else opening
        n = _take(items, prefix, glue, bullet, fits)
        if n == 0:  # one item longer than a post: cut at a word
            short = T.cut_to_fit(items[0], lambda c, p=prefix: fits(_listed(p, glue, bullet, [c])))
            posts.append(_listed(prefix, glue, bullet, [short or T.ELLIPSIS]))
            items = items[1:]
            continue
        posts.append(_listed(prefix, glue, bullet, items[:n]))
        items = items[n:]
    return posts


def _listed(prefix: str, glue: str, bullet: str, lines: list[str]) -> str:
    listed = "\n".join(f"{bullet} {line}" for line in lines)
    return f"{prefix}{glue}{listed}" if prefix else listed


def _take(items: list[str], prefix: str, glue: str, bullet: str, fits: Fits) -> int:
    def fits_k(k: int) -> bool:
        return fits(_listed(prefix, glue, bullet, items[:k]))

    return _even(items, T.longest(len(items), fits_k), fits_k)


def _even(items: list[str], most: int, fits: Callable[[int], bool]) -> int:
    """Items for this post: as many as fit, unless fewer per post share the list out more evenly
    (4 items as 2 + 2 rather than 3 + 1, which leaves one orphan item on a post of its own)."""
    if most == 0 or most >= len(items):
        return most
    posts = -(-len(items) // most)
    even = -(-len(items) // posts)
    return even if fits(even) else most


def _close(posts: list[str], closing: list[str], fits: Fits) -> list[str]:
    """The link and call to action: added to the last post when it fits, else a post of their own
    (leaner variants drop hashtags before anything is cut)."""
    for text in closing:
        if posts and fits(f"{posts[-1]}\n\n{text}"):
            return [*posts[:-1], f"{posts[-1]}\n\n{text}"]
    for text in closing:
        if fits(text):
            return [*posts, text]
    return [*posts, T.cut_to_fit(closing[-1], fits) or ""]
