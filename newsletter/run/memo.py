"""The run's memo: work one run does once and asks for again, kept on the run, never at module level.

Two ways in, by how far the run is:

- Where the run is at hand, its memo is: `run.memo.table(name)` (the images of an issue, the renderer).
- The deep pure helpers (how X counts a line, a sentence's words, a glyph's font, a line's width on a
  card) are called from twenty places that have no run, and threading a parameter through all of them
  would change every signature for no gain in clarity. They are decorated `@per_run`: the answer is kept
  in the memo of the run in progress, found through a `ContextVar` that the run installs for its
  duration (`Memo.active()`: `plan` and `render_issue` in this process; every worker of the pool, which
  installs the memo that was active when the pool started). Outside any run such a helper simply
  computes; `@entry` marks the library's entry points (captions, a card's drawing), which run under the
  active memo, or under a fresh one for the call when called on their own (by a test, a benchmark), so
  their work is still done once per call and forgotten when it returns.

A ContextVar, not a global: each thread has its own (the preview's server threads draw cards under the
preview run's memo, see preview/server.py), and a forked worker keeps the one it was given. Every table
is bounded, as the preview's run lives for hours: past its limit a table starts again (cheaper than LRU
bookkeeping, and a run's working set is far smaller than the limits)."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

LIMIT = 8192  # entries per table unless the table says otherwise
# The table of stylesheets premailer parsed (email/inline.py), by a digest of all the parse depends on,
# and the parses the last build kept in its manifest (run/store.py), so that an edit's one process does
# not parse them again: taken into the first table when used, and only that table is kept again.
STYLESHEETS = "premailer-rules"
KEPT_STYLESHEETS = "premailer-rules-kept"
_STAR_ARGS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS


class Memo:
    """The run's memo tables (see the module's docstring), one per name or per `@per_run` function."""

    __slots__ = ("_tables", "renderer")

    def __init__(self) -> None:
        self._tables: dict[Hashable, dict] = {}
        self.renderer: Any = None  # email.render.Renderer, made by Run.renderer() when first needed

    def table(self, name: Hashable, limit: int = LIMIT) -> dict:
        """The table called `name`, emptied when it has grown past `limit` entries."""
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = {}
        elif len(table) >= limit:
            table.clear()
        return table

    @contextlib.contextmanager
    def active(self) -> Iterator[Memo]:
        """This memo is the one `@per_run` helpers use, in this thread, until the block ends."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)


_ACTIVE: ContextVar[Memo | None] = ContextVar("newsletter_memo", default=None)


def current() -> Memo | None:
    """The memo of the run in progress in this thread, if any."""
    return _ACTIVE.get()


def install(memo: Memo | None) -> None:
    """For a worker process that lives for the pool: `memo` is its memo until it exits."""
    _ACTIVE.set(memo)


def per_run(limit: int = LIMIT) -> Callable[[F], F]:
    """A pure function's answers kept in the active run's memo, by its positional arguments (the
    argument itself for a function of one; at most `limit` answers at a time; the table is
    `memo.table(function)`); computed afresh when no run is active."""

    def decorate(function: F) -> F:
        active = _ACTIVE.get
        code = function.__code__
        if code.co_argcount == 1 and not code.co_flags & _STAR_ARGS:  # most helpers take one text: the
            # text itself is the key (no tuple to build and hash on every call)

            @functools.wraps(function)
            def remembered(arg):
                memo = active()
                if memo is None:
                    return function(arg)
                try:  # the common case, a hit: two dict lookups
                    return memo._tables[remembered][arg]
                except KeyError:
                    pass
                found = memo.table(remembered, limit)[arg] = function(arg)
                return found

            return cast(F, remembered)

        @functools.wraps(function)
        def remembered_all(*args):
            memo = active()
            if memo is None:
                return function(*args)
            try:
                return memo._tables[remembered_all][args]
            except KeyError:
                pass
            found = memo.table(remembered_all, limit)[args] = function(*args)
            return found

        return cast(F, remembered_all)  # the same call signature

    return decorate


def entry(function: F) -> F:
    """A library entry point: it runs under the active run's memo, or under a fresh memo of its own
    when no run is active, so that the `@per_run` helpers below it still do each piece of work once."""

    @functools.wraps(function)
    def entered(*args, **kwargs):
        if _ACTIVE.get() is not None:
            return function(*args, **kwargs)
        token = _ACTIVE.set(Memo())
        try:
            return function(*args, **kwargs)
        finally:
            _ACTIVE.reset(token)

    return cast(F, entered)
