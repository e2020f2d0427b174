"""The budgets every template render keeps: time, output, and the size of what one operation makes.

A template is code from the project, so one render may take at most `RENDER_SECONDS` (looked at in every
call, attribute and item lookup, filter and output, and every `MAX_LOOP_TICK` items of any `for` loop:
no signal, so it holds in the preview's server threads and in pool workers too), produce at most
`MAX_OUTPUT` characters, repeat or add strings and lists up to `MAX_STRING` items, ask for widths and
counts up to `MAX_STRING` (`|center(N)`, `'{:>N}'`, `|batch(N)`), and make numbers of at most
`MAX_INT_DIGITS` digits. Each limit is checked before the work it bounds is done, so a short template
cannot make Python allocate gigabytes first; going over one is a `TemplateLimit` raised inside the
template, which the renderer reports with the template's file and line.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import time
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import jinja2
import jinja2.sandbox

SecurityError = jinja2.sandbox.SecurityError

RENDER_SECONDS = 10.0  # one template render; a real email takes milliseconds
MAX_STRING = 1_000_000  # characters of one string (items of one list) a template makes
MAX_OUTPUT = 2_000_000  # characters one render may produce: 8 MB of UTF-8 at most, under the 10 MB
# text node past which lxml (premailer) silently drops the rest of the email; an email is ~100 KB
MAX_WRAPPED = 100_000  # characters one wordwrap call wraps: Python's textwrap is slow on long words (a
# megabyte wrapped at width 1 took 17 s, past the render budget, which a single filter call cannot see)
MAX_INT_DIGITS = 4_300  # digits of a number a template makes: Python's own limit for printing one
MAX_LOOP_TICK = 256  # items of a `for` loop between two looks at the clock
_MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))


class TemplateLimit(SecurityError):
    """A template went over one of the budgets above."""


# --- the budget of the render running in this thread (or process) ----------------------------------


@dataclass
class Budget:
    """One render's: its time and how much text it made in buffers (a macro, a `set` block)."""

    seconds: float
    deadline: float
    produced: int = 0


_BUDGET: ContextVar[Budget | None] = ContextVar("newsletter_template_budget", default=None)


@contextmanager
def budget(seconds: float):
    """One render's budget, for this thread only (a context variable: the preview's server threads
    render at the same time, each against its own clock)."""
    token = _BUDGET.set(Budget(seconds, time.monotonic() + seconds))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def tick() -> None:
    """Stop the render when its time is spent (no render running: no clock)."""
    spent = _BUDGET.get()
    if spent is not None and time.monotonic() > spent.deadline:
        raise TemplateLimit(
            f"rendering took longer than {spent.seconds:g} s; look for a loop that runs too long"
        )


def emit(text: Any) -> Any:
    """Text written into a buffer (a macro's, a `set` or `filter` block's), counted as it is made; the
    text a render yields is counted as it is joined (Sandbox.render)."""
    spent = _BUDGET.get()
    if spent is not None and isinstance(text, str):
        spent.produced += len(text)
        if spent.produced > MAX_OUTPUT:
            raise TemplateLimit(f"the output passed {MAX_OUTPUT:,} characters")
        if time.monotonic() > spent.deadline:
            tick()
    return text


def _looped(items: Iterable) -> Iterable:
    for number, item in enumerate(items):
        if number % MAX_LOOP_TICK == 0:
            tick()
        yield item


def guard_loop(iterable: Any) -> Any:
    """A `for` loop's iterable, looking at the clock as it goes (an undefined one fails as before)."""
    if isinstance(iterable, jinja2.Undefined):
        return iterable
    return _looped(iter(iterable))


# --- sizes ------------------------------------------------------------------------------------------


def weight(value: Any, limit: int = MAX_OUTPUT) -> int:
    """About how many characters `str(value)` has, counting no further than just past `limit` (a
    container that refers to itself stops there too)."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, tuple | list | set | frozenset):
            total += 2 + 2 * len(item)
            stack.extend(item)
        else:
            total += 24  # a number, a date, None: their text is short (numbers are bounded)
    return total


_SHORT = (int, float, type(None), dt.date, dt.time)  # their text is short (numbers are bounded)


def _too_long(what: str, limit: int = MAX_OUTPUT) -> TemplateLimit:
    return TemplateLimit(f"{what} over {limit:,} characters")


def sized(value: Any) -> Any:
    """`value`, about to become text (printed, joined, formatted): refused when that text is too long."""
    if isinstance(value, _SHORT):
        return value
    if isinstance(value, str):
        if len(value) > MAX_OUTPUT:
            raise _too_long("a string")
    elif weight(value) > MAX_OUTPUT:
        raise _too_long("a value whose text is")
    return value


def sized_all(values: tuple) -> tuple:
    """The operands of `~`, before they are joined."""
    if sum(len(v) if isinstance(v, str) else weight(v) for v in values) > MAX_OUTPUT:
        raise _too_long("a joined string")
    return values


def _count(number: Any) -> None:
    """A width or a count a template asks for (`|center(N)`, `'{:>N}'`, `|batch(N)`)."""
    if _whole(number) and abs(number) > MAX_STRING:
        raise TemplateLimit(f"a width or count of {number:,}; at most {MAX_STRING:,}")


def spec(spec: str) -> None:
    """A str.format spec such as '>30' or '.2f': its width and precision are bounded (a fill
    character is never a digit next to them: the alignment sign comes between)."""
    for digits in re.findall(r"\d+", spec):
        _count(int(digits))


_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _percent(template: str, values: Any) -> None:
    """`'%10s' % x` and `|format`: widths are bounded, and '*' (a width taken from the values) refused."""
    for match in _PERCENT.finditer(template):
        for width in match.groups():
            if width == "*":
                raise SecurityError("a '*' width in a % format; write the number")
            if width:
                _count(int(width))
    sized(values)


def _replaced(text: str, old: Any, new: Any, count: Any = -1) -> None:
    old, new = str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    if _whole(count) and count >= 0:
        found = min(found, count)
    if len(text) + found * max(0, len(new) - len(old)) > MAX_OUTPUT:
        raise _too_long("a replaced string")


def _joined(separator: Any, items: tuple) -> None:
    if weight(items) + len(str(separator)) * len(items) > MAX_OUTPUT:
        raise _too_long("a joined string")


def _int_result(operator: str, left: int, right: int) -> None:
    """`*` and `**` of whole numbers: the result's size, estimated before it is computed."""
    bits: float
    if operator == "*":
        bits = left.bit_length() + right.bit_length()
    elif right <= 0 or abs(left) <= 1:
        return
    else:
        bits = math.log2(abs(left)) * right
    if bits > _MAX_INT_BITS:
        raise TemplateLimit(f"a number over {MAX_INT_DIGITS:,} digits")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- filters and globals ----------------------------------------------------------------------------

# Filters' widths and counts (position after the value, name), and filters that turn their whole value
# into text.
_COUNTED = {
    "batch": ((0, "linecount"),), "center": ((0, "width"),), "indent": ((0, "width"),),
    "slice": ((0, "slices"),), "truncate": ((0, "length"), (3, "leeway")), "wordwrap": ((0, "width"),),
    "wrap": ((0, "width"),),
}  # fmt: skip
_STRINGIFYING = frozenset({
    "capitalize", "center", "e", "escape", "forceescape", "format", "indent", "lower", "pprint", "replace",
    "safe", "string", "striptags", "title", "tojson", "trim", "truncate", "upper", "urlencode", "urlize",
    "wordcount", "wordwrap", "wrap", "xmlattr",
})  # fmt: skip


def _argument(args: tuple, kwargs: dict, position: int, name: str, default: Any) -> Any:
    return kwargs.get(name, args[position] if len(args) > position else default)


def _filter_checks(name: str, value: Any, args: tuple, kwargs: dict) -> None:
    """What one filter call would make, checked before it runs (the result is checked after)."""
    for position, parameter in _COUNTED.get(name, ()):
        _count(_argument(args, kwargs, position, parameter, 0))
    if name in _STRINGIFYING:
        sized(value)
    text = value if isinstance(value, str) else ""
    if name == "indent":
        width = _argument(args, kwargs, 0, "width", 4)
        step = len(width) if isinstance(width, str) else width if _whole(width) else 0
        if len(text) + (text.count("\n") + 1) * step > MAX_OUTPUT:
            raise _too_long("an indented string")
    elif name == "wordwrap":
        if len(text) > MAX_WRAPPED:
            raise _too_long("a string to wrap", MAX_WRAPPED)
        width = _argument(args, kwargs, 0, "width", 79)
        wrapstring = _argument(args, kwargs, 2, "wrapstring", None) or "\n"
        lines = len(text) // max(1, width if _whole(width) else 1) + text.count("\n") + 1
        if len(text) + lines * len(str(wrapstring)) > MAX_OUTPUT:
            raise _too_long("a wrapped string")
    elif name == "replace" and len(args) >= 2:
        _replaced(str(value), args[0], args[1], _argument(args, kwargs, 2, "count", -1))
    elif name == "format":
        _percent(str(value), (args, kwargs))
    elif name == "tojson":
        indent = _argument(args, kwargs, 0, "indent", None)
        if _whole(indent) and indent > 100:
            raise SecurityError("tojson indents by at most 100")
    elif name == "sum" and not isinstance(_argument(args, kwargs, 1, "start", 0), int | float):
        raise SecurityError("sum adds numbers: its start must be a number")


def guarded_filter(name: str, function):
    passes = getattr(function, "jinja_pass_arg", None) is not None

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        tick()
        first = 1 if passes else 0
        if len(args) > first:
            if name == "join":  # materialised once: measured, then joined
                args = (*args[:first], tuple(args[first]), *args[first + 1 :])
                _joined(_argument(args[first + 1 :], kwargs, 0, "d", ""), args[first])
            _filter_checks(name, args[first], args[first + 1 :], kwargs)
        result = function(*args, **kwargs)
        return sized(result) if isinstance(result, str) else result

    return guarded


def lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    """Jinja's lorem ipsum, with its counts bounded (it loops in Python, out of the sandbox's sight)."""
    if not (_whole(n) and _whole(min) and _whole(max)) or n > 100 or max > 1000 or min > max:
        raise SecurityError("lipsum makes at most 100 paragraphs of at most 1,000 words")
    return jinja2.utils.generate_lorem_ipsum(n, html, min, max)


def template_range(*args: int) -> range:
    """range() for templates: at most Jinja's MAX_RANGE items (a `for` loop over it looks at the clock)."""
    return jinja2.sandbox.safe_range(*args)


def str_call(name: str, text: str, args: tuple, kwargs: dict) -> tuple:
    """A str method's arguments, checked before it runs (an iterable to join is materialised)."""
    if name in ("center", "ljust", "rjust", "zfill") and args:
        _count(args[0])
    elif name == "replace" and len(args) >= 2:
        _replaced(text, args[0], args[1], _argument(args, kwargs, 2, "count", -1))
    elif name == "join" and args:
        args = (tuple(args[0]), *args[1:])
        _joined(text, args[0])
    return args


def binop(operator: str, left: Any, right: Any) -> None:
    """`%`, `+`, `*` and `**` of a template, checked before they run."""
    if operator == "%" and isinstance(left, str):
        _percent(left, right)
    elif operator == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        if len(left) + len(right) > MAX_STRING:
            raise TemplateLimit(f"an added string or list over {MAX_STRING:,} items")
    elif operator in ("*", "**") and _whole(left) and _whole(right):
        _int_result(operator, left, right)
    elif operator == "*":
        sequence, times = (right, left) if _whole(left) else (left, right)
        if isinstance(sequence, _SEQUENCES) and _whole(times) and len(sequence) * times > MAX_STRING:
            raise TemplateLimit(f"a repeated string or list over {MAX_STRING:,} items")


_SEQUENCES = (str, list, tuple)
