"""Threads written from the article's structure: the hook (title and summary), one post per section
(its heading, its lists with what introduces them, and its most informative sentences, all in the
article's order), then the link and the call to action. No sentence is said twice; a sentence that
points back comes with what it points at or not at all; every post starts at the start of a
sentence, a heading or a list item; posts are numbered i/N only when there are two or more."""

from __future__ import annotations

import functools
from collections.abc import Callable

from newsletter.social import text as T
from newsletter.social.article import AVOID, NOWHERE, Scorer, Section, Unit
from newsletter.social.cards import label_of
from newsletter.social.counting import Rule

MAX_POSTS = 20  # a thread longer than this is not read to the end; later sections are left out
HOOK_POSTS = 3  # a summary longer than three posts stops there, at a sentence end
PER_POST = 3  # sentences chosen per section post: a post says one thing, with room to breathe
MAX_SENTENCES = 5  # with the sentences they point back at
CANDIDATES = 12  # sentences considered per section (by score): keeps a huge section linear
MIN_WORDS = 4  # a post shorter than this (but the closing link) joins the one before or goes

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
    """The thread's posts, not yet numbered (see `numbered`). `closing` holds the last post's text from
    richest to leanest (with and without hashtags); `label(text, index, total)` renders one post
    through the thread template. `scorer` (of these sections) can be shared by the threads of one
    article."""
    widest = _labeller(label, MAX_POSTS)

    def fits(body: str) -> bool:
        return rule.fits(widest(body))

    seen = T.Seen([title])
    summary = seen.fresh(hook)
    posts = _hook(title, summary, fits)
    seen.last = T.sentences(posts[-1].rsplit("\n\n", 1)[-1])[-1] if summary else ""
    scorer = scorer or Scorer(sections)
    for section in sections:
        if len(posts) >= MAX_POSTS - 1:
            break
        posts.extend(Post(section, seen, fits, rule.bullet).write(scorer))
    posts = _no_short_posts(posts[: MAX_POSTS - 1], fits)
    for end in closing:  # a short article that fits one post is one post, not a thread
        whole = "\n\n".join([*posts, end])
        if rule.fits(label(whole, 1, 1)):
            return (whole,)
    return tuple(_close(posts, closing, fits))


def numbered(posts: tuple[str, ...], label: Callable[[str, int, int], str]) -> tuple[str, ...]:
    """Each post through the thread template, as post i of N (a thread of one post is not numbered by
    the default template): after edits, so a post left out or added renumbers the others."""
    return tuple(label(text, i, len(posts)) for i, text in enumerate(posts, 1))


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
    """The title and the summary's first sentences; a summary too long for one post goes on in
    posts of its own at sentence ends. When the title and the first sentence do not fit together,
    the title is shortened (to half its words at most), else that sentence, with an ellipsis."""
    said = T.sentences(summary)
    if not said:
        return [T.cut_to_fit(title, fits) or T.ELLIPSIS]
    n = T.longest(len(said), lambda k: fits(f"{title}\n\n{T.join(said[:k])}"))
    if n:
        first = f"{title}\n\n{T.join(said[:n])}"
    else:
        n, first = 1, _shortened(title, said[0], fits)
        if not first:
            n, first = 0, T.cut_to_fit(title, fits) or T.ELLIPSIS
    return [first, *_pack(said[n:], fits, HOOK_POSTS - 1)]


def _shortened(title: str, sentence: str, fits: Fits) -> str:
    words = title.split(" ")
    short = T.cut_to_fit(title, lambda t: fits(f"{t}\n\n{sentence}"), force=True)
    if short and T.word_count(short) >= min(len(words), max(MIN_WORDS, (len(words) + 1) // 2)):
        return f"{short}\n\n{sentence}"
    cut = T.cut_to_fit(sentence, lambda s: fits(f"{title}\n\n{s}"), force=True)
    return f"{title}\n\n{cut}" if cut and T.words_in(cut) >= MIN_WORDS else ""


def _pack(sentences: list[str], fits: Fits, most: int) -> list[str]:
    """Sentences packed greedily into at most `most` posts; one longer than a post is cut at a word
    with an ellipsis (the rest of it is not continued: a post never starts mid-sentence)."""
    posts: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and fits(T.join([*current, sentence])):
            current.append(sentence)
            continue
        if current:
            posts.append(T.join(current))
            current = []
        if len(posts) >= most:
            return posts
        if fits(sentence):
            current = [sentence]
        elif cut := T.cut_to_fit(sentence, fits, force=True):
            posts.append(cut)
    if current and len(posts) < most:
        posts.append(T.join(current))
    return posts


class Post:
    """The posts of one section: its heading, then what it says in the article's order (lists with
    their intros, chosen sentences with what they point back at). A list too long for a post takes
    posts of its own, the first one with what introduces it."""

    def __init__(self, section: Section, seen: T.Seen, fits: Fits, bullet: str):
        self.section, self.seen, self.fits, self.bullet = section, seen, fits, bullet
        self.units = section.units
        self._said_twice: dict[tuple[str, tuple[int, ...]], bool] = {}  # the scorer's, once writing
        # A heading goes only when it was said as it is (the title); a summary that speaks of what
        # the section is about does not make the section's heading a repeat.
        self.heading = section.heading if section.heading and not seen.said_exactly(section.heading) else ""
        # A post without a heading goes on from the thread's last sentence: a sentence pointing back
        # at it may open the post (it comes right after what it points at).
        self.bridge = -1
        if not self.heading and seen.last:
            last = T.key(seen.last)
            self.bridge = max((n for n, u in enumerate(self.units) if not u.is_list and T.key(u.text) == last),
                              default=-1)  # fmt: skip

    def write(self, scorer: Scorer) -> list[str]:
        self._said_twice = scorer.repeats(self.section)
        chosen: dict[int, str] = {}
        for index, unit in enumerate(self.units):
            if not unit.is_list:
                continue
            # With its lead in this post; else, as the section's first list, over posts of its own
            # with its lead; else under the heading alone, here or over posts of its own.
            for bare in (False, True):
                if not self._shown(index, bare) or self._place_list(index, chosen, bare) is not None:
                    break
                if not chosen and (posts := self._long_list(index, bare)):
                    self.seen.last = ""
                    return posts + self._rest(index, scorer)
        picked = 0
        for _, _, index in self._candidates(scorer):
            if picked >= PER_POST:
                break
            trial = self._with(index, chosen) if index not in chosen else None
            if trial is not None and self._sentences(trial) <= MAX_SENTENCES and self.fits(self._text(trial)):
                chosen, picked = trial, picked + 1
        if not chosen:
            return self._cut_best(scorer)
        self._remember(chosen)
        last = self.units[max(chosen)]
        self.seen.last = "" if last.is_list or last.quote else last.text
        return [self._text(chosen)]

    def _candidates(self, scorer: Scorer) -> list[tuple[float, int, int]]:
        """The best CANDIDATES sentences not said yet (filtering the ranked list is ranking the rest)."""
        out = []
        for entry in scorer.ranked(self.section):
            if self.units[entry[2]].text not in self.seen:
                out.append(entry)
                if len(out) == CANDIDATES:
                    break
        return out

    def _shown(self, index: int, bare: bool = False) -> bool:
        """Whether unit `index` can be shown in this post: what it points back at can be, and the
        heading it needs is here. `bare`: a list under its heading alone, without its lead (the heading
        says what it is, unless it is a list of things to avoid and only the lead says so)."""
        if bare:
            unit = self.units[index]
            return bool(self.heading) and unit.usable and not (unit.avoid and not AVOID.search(self.heading))
        needed, heading = self.section.closure(index, self.bridge)
        return bool(needed) and (self.heading != "" or not heading)

    def _with(
        self, index: int, chosen: dict[int, str], form: str | None = None, bare: bool = False
    ) -> dict[int, str] | None:
        """`chosen` with unit `index` (as `form`) and what it points back at; None when that cannot be
        shown here (said already, refused, or needing a heading this post has not)."""
        if not self._shown(index, bare):
            return None
        needed = [index] if bare else self.section.closure(index, self.bridge)[0]
        trial = dict(chosen)
        for at in needed:
            if at not in trial:
                text = form if at == index and form is not None else self._form(self.units[at])
                if not text or (not self.units[at].is_list and self.units[at].text in self.seen):
                    return None
                trial[at] = text
        return None if self._repeats(trial) or not self._opens_on_bridge(trial) else trial

    def _opens_on_bridge(self, trial: dict[int, str]) -> bool:
        """What points back at the bridge must open the post: nothing before it in the post."""
        if self.bridge < 0:
            return True
        for at in trial:
            goes_on = self.bridge in self.section.closure(at)[0]  # from the bridge
            if goes_on and min(trial) < min(self.section.closure(at, self.bridge)[0]):
                return False
        return True

    def _form(self, unit: Unit, labels: bool = False) -> str:
        if unit.quote:
            return unit.typeset
        if unit.is_list:
            return self._list_text(unit, labels)
        return unit.text

    def _place_list(self, index: int, chosen: dict[int, str], bare: bool) -> dict[int, str] | None:
        """The list in this post, in full or as labels: with its lead, or (`bare`) under the heading."""
        unit = self.units[index]
        for labels in (False, True):
            form = self._list_text(unit, labels, bare=bare)
            trial = self._with(index, chosen, form, bare) if form else None
            if trial is not None and self.fits(self._text(trial)):
                chosen.clear()
                chosen.update(trial)
                return trial
        return None

    def _list_text(self, unit: Unit, labels: bool = False, bare: bool = False) -> str:
        lead, fresh = self._fresh_items(unit, labels)
        if not fresh or (unit.text and not lead and not bare):
            return ""  # nothing new, or its lead was said already: only its heading can introduce it
        lines = "\n".join(f"{self._marker(unit, n)} {item}" for n, item in fresh)
        return f"{lead}\n{lines}" if lead and not bare else lines

    def _marker(self, unit: Unit, n: int) -> str:
        return f"{unit.numbers[n]}." if unit.numbers else self.bullet

    def _lead(self, unit: Unit) -> str:
        return unit.text if unit.text and not self.seen.says_any(unit.text) else ""

    def _fresh_items(self, unit: Unit, labels: bool = False) -> tuple[str, list[tuple[int, str]]]:
        """The lead and the items not said yet (by position), none repeating the lead or another."""
        lead = self._lead(unit)
        here = T.Seen([lead] if lead else [])
        fresh = []
        for n, item in enumerate(unit.items):
            shown = label_of(item) if labels else item
            if not self.seen.says_any(item) and not here.says_any(shown):
                fresh.append((n, shown))
                here.add_all(shown)
        return lead, fresh

    def _repeats(self, trial: dict[int, str]) -> bool:
        """Whether two things this post would say are the same sentence. It depends only on the
        heading and which units the trial holds, so the threads of every platform share the answers
        (about half the tries are the same across platforms)."""
        asked = (self.heading, tuple(sorted(trial)))
        found = self._said_twice.get(asked)
        if found is None:
            found = self._said_twice[asked] = self._says_twice(asked[1])
        return found

    def _says_twice(self, units: tuple[int, ...]) -> bool:
        here = T.Seen()
        here.add_all(self.heading)
        for at in units:
            unit = self.units[at]
            for said in (unit.text, *unit.items) if unit.is_list else (unit.text,):
                if said and here.says_any(said):
                    return True
                if said:
                    here.add_all(said)
        return False

    def _sentences(self, trial: dict[int, str]) -> int:
        return sum(1 for at in trial if not self.units[at].is_list)

    def _text(self, chosen: dict[int, str], heading: str | None = None) -> str:
        """The post: the heading, then runs of sentences (one paragraph) and lists and quotations."""
        blocks: list[str] = []
        run: list[str] = []
        for at in sorted(chosen):
            if self.units[at].is_list or self.units[at].quote:
                if run:
                    blocks.append(T.join(run))
                    run = []
                blocks.append(chosen[at])
            else:
                run.append(chosen[at])
        if run:
            blocks.append(T.join(run))
        heading = self.heading if heading is None else heading
        return "\n\n".join([heading, *blocks] if heading else blocks)

    def _remember(self, chosen: dict[int, str]) -> None:
        if self.heading:
            self.seen.add_all(self.heading)
        for at in chosen:
            unit = self.units[at]
            for said in (unit.text, *unit.items):
                if said:
                    self.seen.add_all(said)

    def _cut_best(self, scorer: Scorer) -> list[str]:
        """Nothing fits whole: the best sentence that stands alone (or under its heading), cut at a
        word with an ellipsis."""
        for _, _, index in self._candidates(scorer):
            needed, heading = self.section.closure(index, self.bridge)
            if needed != [index] or (heading and not self.heading):
                continue
            unit = self.units[index]
            if self._repeats({index: unit.text}) or self.fits(self._text({index: self._form(unit)})):
                continue  # left out for saying something again, not for its length
            cut = T.cut_to_fit(self._form(unit), functools.partial(self._fits_as, index), force=True)
            # a cut that says only what was said (the hook cut the same sentence start) is a repeat
            if cut and not self.seen.says_any(cut):
                self._remember({index: cut})
                self.seen.last = ""
                return [self._text({index: cut})]
        return []

    def _long_list(self, index: int, bare: bool = False) -> list[str]:
        """A list longer than a post: as many items per post as fit, what introduces it (the heading,
        the lead and what the lead points back at; `bare`: the heading alone) on the first; an item
        longer than a post alone is cut at a word with an ellipsis."""
        unit = self.units[index]
        needed, heading_needed = ([index], True) if bare else self.section.closure(index, self.bridge)
        before = {at: self._form(self.units[at]) for at in needed if at not in (index, self.bridge)}
        if any(self.units[at].text in self.seen for at in before) or self._repeats({**before, index: ""}):
            return []
        lead, items = self._fresh_items(unit)
        if unit.text and not lead and not bare:
            return []  # its lead was said already: only its heading can introduce it
        lead = "" if bare else lead
        glue = "\n" if lead else "\n\n"
        heading = self.heading

        def opening(heading: str) -> str:
            return "\n\n".join(x for x in (self._text(before, heading), lead) if x)

        def most(start: str) -> int:
            return T.longest(len(items), lambda k: self.fits(self._listed(unit, start, glue, items[:k])))

        if heading and lead and not heading_needed and most(opening(heading)) < 2 <= most(opening("")):
            heading = ""  # the lead says what the list is: room for more than one item beside it
        if not bare and most(opening(heading)) < min(2, len(items)):
            return []  # not two whole items beside what introduces it: the heading alone may do
        posts: list[str] = []
        while items and len(posts) < MAX_POSTS:
            first = not posts
            start = opening(heading) if first else ""
            n = room = most(start)
            if room and room < len(items):  # share the items out evenly over the posts they take
                after = -(-(len(items) - room) // max(1, most("")))
                n = min(room, -(-len(items) // (after + 1)))
            if n == 0:  # one item longer than a post: cut at a word
                n_, text = items[0]
                short = T.cut_to_fit(text, functools.partial(self._item_fits, unit, start, glue, n_))
                if short is None:
                    if first:
                        return []  # not even what introduces the list and one word of an item
                    items = items[1:]
                    continue
                items = [(n_, short), *items[1:]]
                n = 1
            posts.append(self._listed(unit, start, glue, items[:n]))
            items = items[n:]
        self._remember({**before, index: ""})
        return posts

    def _fits_as(self, index: int, text: str) -> bool:
        """The post fits with `text` in place of the unit at `index`."""
        return self.fits(self._text({index: text}))

    def _item_fits(self, unit: Unit, prefix: str, glue: str, number: int, text: str) -> bool:
        """The post of one item, `text`, numbered `number`, fits after `prefix`."""
        return self.fits(self._listed(unit, prefix, glue, [(number, text)]))

    def _listed(self, unit: Unit, prefix: str, glue: str, lines: list[tuple[int, str]]) -> str:
        listed = "\n".join(f"{self._marker(unit, n)} {line}" for n, line in lines)
        return f"{prefix}{glue}{listed}" if prefix else listed

    def _rest(self, index: int, scorer: Scorer) -> list[str]:
        """What the section says after a long list, without its heading (said on the list's first
        post): what points back before it cannot be shown."""
        after = self.units[index + 1 :]
        shifted = tuple(
            Unit(u.text, tuple(n - index - 1 if n > index else NOWHERE for n in u.needs), u.items, u.numbers,
                 u.avoid, u.good, u.quote, u.by, u.usable, u.paragraph)
            for u in after
        )  # fmt: skip
        if not shifted:
            return []
        rest = Section("", shifted, steps=self.section.steps)
        return Post(rest, self.seen, self.fits, self.bullet).write(scorer)


def _no_short_posts(posts: list[str], fits: Fits) -> list[str]:
    """A post of fewer than MIN_WORDS words joins the one before it (or, the first, the one after)
    when they fit together; otherwise it goes."""
    out: list[str] = []
    for post in posts:
        if T.words_in(post) >= MIN_WORDS:
            out.append(post)
        elif out and fits(f"{out[-1]}\n\n{post}"):
            out[-1] = f"{out[-1]}\n\n{post}"
    if len(posts) > 1 and posts[0] and T.words_in(posts[0]) < MIN_WORDS and out:
        joined = f"{posts[0]}\n\n{out[0]}"
        if fits(joined):
            out[0] = joined
    return out


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
