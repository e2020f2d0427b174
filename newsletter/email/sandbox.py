"""The sandbox every template runs in: Jinja's `SandboxedEnvironment`, narrowed to an allow-list, and
the budgets of newsletter.email.limits wired into the code Jinja generates.

Templates get plain data (newsletter.email.context) and may
- read attributes, except names starting with `_` and, on dates and times, anything but their fields
  and formatting methods;
- call only their own macros (and `caller`, `super()`, `self.block()`), the `loop`, `cycler` and
  `joiner` helpers, the registered globals and filters, and the str, mapping, tuple and date methods
  named below; any other call is an error naming it.
`str.format` and `format_map` stay: Jinja's sandbox runs them with a formatter that looks every field
(`{0.x}`, `{0[x]}`) up through this sandbox, so they reach nothing an attribute cannot, and their
widths are bounded here. Refusals are `SecurityError`s naming the template's line (the renderer adds
the file).
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Mapping
from typing import Any

import jinja2
import jinja2.sandbox
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, optimizeconst
from jinja2.runtime import BlockReference, LoopContext, Macro
from jinja2.utils import Cycler, Joiner
from markupsafe import EscapeFormatter, Markup

from newsletter.email import limits
from newsletter.email.limits import MAX_OUTPUT, TemplateLimit, guard_loop, sized, tick

SecurityError = jinja2.sandbox.SecurityError

# Methods templates may call, by the type they are bound to.
STR_METHODS = frozenset({
    "capitalize", "casefold", "center", "count", "endswith", "find", "format", "format_map", "index",
    "isalnum", "isalpha", "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper",
    "join", "ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind",
    "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip",
    "swapcase", "title", "upper", "zfill",
})  # fmt: skip
MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})
SEQUENCE_METHODS = frozenset({"count", "index"})
DATE_METHODS = frozenset({"strftime", "isoformat", "weekday", "isoweekday"})
DATE_FIELDS = frozenset({"year", "month", "day", "hour", "minute", "second", "microsecond"})
_DATES = (dt.date, dt.time)  # a datetime is a date
_METHODS = (
    (str, STR_METHODS), (Mapping, MAPPING_METHODS), (tuple | list, SEQUENCE_METHODS), (_DATES, DATE_METHODS),
    (LoopContext, frozenset({"cycle", "changed"})), (Cycler, frozenset({"next", "reset"})),
)  # fmt: skip
_CALLABLE_OBJECTS = (Macro, BlockReference, LoopContext, Joiner)  # caller is a Macro; super() a block


# --- calls ------------------------------------------------------------------------------------------


class _Format:
    """A string's `format` or `format_map`: Jinja's sandboxed formatter (every field such as
    `{0.x}` is looked up through the sandbox), with its widths bounded."""

    def __init__(self, env: jinja2.Environment, text: str, mapped: bool):
        self.env, self.text, self.mapped = env, text, mapped

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        if self.mapped:
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one mapping")
            mapping: Any = args[0]
            args, kwargs = (), mapping
        sized((args, dict(kwargs)))
        if isinstance(self.text, Markup):
            formatter: _BoundedFormatter = _BoundedEscapeFormatter(self.env, escape=self.text.escape)
        else:
            formatter = _BoundedFormatter(self.env)
        return sized(type(self.text)(formatter.vformat(self.text, args, kwargs)))


class _BoundedFormatter(jinja2.sandbox.SandboxedFormatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        limits.spec(format_spec)
        return super().format_field(sized(value), format_spec)


class _BoundedEscapeFormatter(_BoundedFormatter, EscapeFormatter):
    pass


def _describe_callable(obj: Any) -> str:
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", None)
    if owner is not None and name and not isinstance(owner, types.ModuleType):
        kind = owner if isinstance(owner, type) else type(owner)  # dict.fromkeys, 'x'.encode
        return f"{kind.__name__}.{name}()"
    if name:
        return f"{name}()"
    return f"a '{type(obj).__name__}' object"


def _prepared(obj: Any, args: tuple, kwargs: dict) -> tuple:
    """A call's arguments, checked before it runs: a recursive loop's `loop(children)` looks at the
    clock, a str method's widths and results are bounded."""
    if isinstance(obj, LoopContext) and args:
        return (guard_loop(args[0]), *args[1:])
    if isinstance(obj, types.BuiltinMethodType | types.MethodType) and isinstance(obj.__self__, str):
        return limits.str_call(obj.__name__, obj.__self__, args, kwargs)
    return args


# --- the code Jinja generates: loops, output and `~` pass through the budget -------------------------


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with the template's loops, output and `~` passed through the budget
    (Jinja allows no new node types, so the iterable of each `for` is wrapped as it is written)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.loop_iterables: set[int] = set()  # ids of the parsed tree's nodes, alive while it compiles
        self.buffered = False

    def visit_For(self, node: nodes.For, frame) -> None:
        self.loop_iterables.add(id(node.iter))
        super().visit_For(node, frame)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if id(node) not in self.loop_iterables:
            return super().visit(node, *args, **kwargs)
        self.write("environment.guard_loop(")
        super().visit(node, *args, **kwargs)
        self.write(")")
        return None

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"{join}(environment.sized_all((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")

    # Output: text a render yields is counted as it is joined (Sandbox.render); text that goes into a
    # buffer first (a macro, a `set` or `filter` block, a call block) is counted where it is made.

    def visit_Output(self, node: nodes.Output, frame) -> None:
        self.buffered = frame.buffer is not None
        super().visit_Output(node, frame)

    def _output_child_pre(self, node, frame, finalize) -> None:
        if self.buffered:
            self.write("environment.emit(")
        super()._output_child_pre(node, frame, finalize)
        self.write("environment.sized(")

    def _output_child_post(self, node, frame, finalize) -> None:
        self.write(")")
        super()._output_child_post(node, frame, finalize)
        if self.buffered:
            self.write(")")

    def _output_const_repr(self, group) -> str:
        text = super()._output_const_repr(group)
        return f"environment.emit({text})" if self.buffered else text

    def start_write(self, frame, node=None) -> None:  # a filter block's or a call block's result
        super().start_write(frame, node)
        if frame.buffer is not None:
            self.write("environment.emit(")

    def end_write(self, frame) -> None:
        if frame.buffer is not None:
            self.write(")")
        super().end_write(frame)


# --- the environment --------------------------------------------------------------------------------


class Sandbox(jinja2.sandbox.SandboxedEnvironment):
    """Jinja's sandbox with the allow-list and budgets of this module."""

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset(("*", "**", "+", "%"))
    # What the generated code calls as `environment.NAME(...)`.
    guard_loop = staticmethod(guard_loop)
    emit = staticmethod(limits.emit)
    sized = staticmethod(sized)
    sized_all = staticmethod(limits.sized_all)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, function in list(self.filters.items()):
            self.filters[name] = limits.guarded_filter(name, function)
        self.globals["range"] = limits.template_range
        self.globals["lipsum"] = limits.lipsum

    def render(self, name: str, context: dict[str, Any], seconds: float) -> str:
        """Template `name` rendered within its budget: `seconds`, and `MAX_OUTPUT` characters counted
        as the text is joined, so a render stops as it passes the limit instead of making all of it."""
        with limits.budget(seconds):
            template = self.get_template(name)
            made: Any = template.root_render_func(template.new_context(context))  # a generator: .throw
            try:
                parts, size = [], 0
                for part in made:
                    size += len(part)
                    if size > MAX_OUTPUT:
                        over = TemplateLimit(f"the output passed {MAX_OUTPUT:,} characters")
                        made.throw(over)  # raised where the template yielded the text: its file and line
                        raise over
                    parts.append(part)
                return "".join(parts)
            except Exception:
                self.handle_exception()  # Jinja's: the traceback names the template's lines

    def add_filter(self, name: str, function) -> None:
        self.filters[name] = limits.guarded_filter(name, function)

    # Attributes and items.

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        if isinstance(obj, _DATES):
            return attr in DATE_FIELDS or attr in DATE_METHODS
        return super().is_safe_attribute(obj, attr, value)

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        """A refused attribute is an error where it is read (Jinja's sandbox returns an undefined value,
        which `|map(attribute=...) | list` would print as "Undefined" without a word)."""
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe.")

    def getattr(self, obj: Any, attribute: str) -> Any:
        tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        tick()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> _Format | None:
        if (
            isinstance(value, types.MethodType | types.BuiltinMethodType)
            and value.__name__ in ("format", "format_map")
            and isinstance(value.__self__, str)
        ):
            return _Format(self, value.__self__, value.__name__ == "format_map")
        return None

    # Calls.

    def call(__self, __context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        tick()
        if isinstance(__obj, jinja2.Undefined):  # fails with its own message ('x' is undefined)
            return __context.call(__obj, *args, **kwargs)
        if not __self.is_safe_callable(__obj):
            raise SecurityError(
                f"{_describe_callable(__obj)} cannot be called in a template; a template may call its"
                " macros, loop helpers, the built-in functions and filters, and the str, mapping and date"
                " methods the README lists (Security)"
            )
        args = _prepared(__obj, args, kwargs)
        result = __context.call(__obj, *args, **kwargs)
        return sized(result) if isinstance(result, str) else result

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, (*_CALLABLE_OBJECTS, _Format)):
            return True
        if any(obj is value for value in self.globals.values()):
            return True
        if not isinstance(obj, types.BuiltinMethodType | types.MethodType):
            return False
        owner, name = obj.__self__, obj.__name__
        if isinstance(owner, type):  # a class's own method: str.maketrans, dict.fromkeys
            return False
        return any(isinstance(owner, kind) and name in names for kind, names in _METHODS)

    # Operators.

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        tick()
        limits.binop(operator, left, right)
        return super().call_binop(context, operator, left, right)
