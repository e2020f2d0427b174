"""One run of a command: its settings, its clock, its store, the work its outputs need, and its memo.

Every command makes one `Run` and hands it to the plan; the stages take it instead of mode flags. The
preview keeps one run alive across saves (while the templates and settings are unchanged), so its memo
and its store's memory survive from one save to the next."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from newsletter.content.settings import Settings
from newsletter.run.memo import Memo
from newsletter.run.store import NoStore, Store

if TYPE_CHECKING:
    from newsletter.email.render import Renderer
    from newsletter.run.writer import Stager

Progress = Callable[[int, int, str], None]  # (issues rendered, issues to render, the week just done)
CardWork = Literal["draw", "lazy", "none"]


@dataclass(frozen=True)
class Work:
    """What a command's outputs need; the plan does nothing else. `cards`: drawn ("draw"), drawn when
    first served ("lazy", the preview), or not at all ("none": their names still go into the captions).
    `site`: the web copies; `archive`: the archive page and the feed. `collect`: return every finding instead of
    stopping at the first error (`check`). `images`: local images made into the issue folder ("make")
    or only checked to exist and open as pictures ("check"). `sends`: a message goes to people, so what
    the law requires of it (a postal address) is an error, not a warning. `lints`: the captions are
    linted as a follower would read them (social.lint)."""

    captions: bool = True
    cards: CardWork = "draw"
    site: bool = True
    collect: bool = False
    images: Literal["make", "check"] = "make"
    sends: bool = False
    lints: bool = False
    archive: bool = True  # a preview save makes them later; `check` renders them for their templates' errors
    # "bound": premailer only when email/bound.py cannot show that the inlined email is clear of the
    # size, style and image-width findings (`check`, which writes no email)
    inline: Literal["premailer", "bound"] = "premailer"


BUILD = Work()
PREVIEW = Work(cards="lazy")
PREVIEW_EMAIL = Work(captions=False, cards="none", archive=False)  # a save's first step (preview/state.py)
# check writes nothing: no web copy (a string transform of the email that reports nothing), but the
# archive page and feed are rendered for what their templates may report
CHECK = Work(cards="none", site=False, collect=True, images="check", lints=True, inline="bound")
SEND = Work(captions=False, cards="none", site=False, sends=True, archive=False)
SOCIAL = Work(cards="none", site=False, archive=False)


@dataclass(frozen=True)
class Run:
    settings: Settings
    now: dt.datetime
    work: Work = BUILD
    store: Store = field(default_factory=NoStore)
    workers: int = 1
    strict: bool = False
    progress: Progress | None = None
    stager: Stager | None = None  # the build: each issue folder is written aside by whoever rendered it
    bytecode: bool = False  # compiled templates kept between runs (email.render.bytecode_cache)
    memo: Memo = field(default_factory=Memo, compare=False)

    def active(self) -> contextlib.AbstractContextManager[Memo]:
        """The run's memo is the one the deep helpers use (run/memo.py) until the block ends."""
        return self.memo.active()

    def renderer(self) -> Renderer:
        """The run's one renderer, made when something first needs rendering (a no-op rebuild never
        does, so it never imports Jinja or premailer)."""
        if self.memo.renderer is None:
            from newsletter.email.render import Renderer

            self.memo.renderer = Renderer(self.settings, self.bytecode)
        return self.memo.renderer
