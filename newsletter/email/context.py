"""What templates see: plain, frozen data made from the run's objects, never the objects themselves.

A template is the project's code-like input, and Jinja's sandbox only guards the objects it is given: a
`pathlib.Path` in the context is a file reader and writer (`settings.templates_dir.joinpath(...)
.read_text()`). So every value a template gets is converted here, recursively, into strings, numbers,
booleans, None, dates and times (immutable; the sandbox lets templates read their fields and format
them), tuples and read-only mappings; a value of any other type is a bug of ours (TypeError), found by
the first test that renders it. `Markup` stays `Markup`: it is a string that says it is already escaped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from markupsafe import Markup

SCALARS = (bool, int, float, type(None), dt.date, dt.time)  # datetime is a date

# Per class of the run: fields templates do not get, and properties they do (fields are included by
# default). Filesystem paths and the schedule's machinery have no place in an email or a page, and a
# post's pickled tree is bytes.
_HIDDEN: dict[str, frozenset[str]] = {
    "newsletter.content.settings.Settings": frozenset(
        {
            "root",
            "posts_dir",
            "templates_dir",
            "build_dir",
            "schedule",
            "card_fonts",
        }  # paths: not a template's
    ),
    "newsletter.content.posts.Post": frozenset({"tree_data", "edits"}),  # edits: the captions' business
    # The logo's bytes go into the issue folder, not into a template; notes are the plan's to report.
    "newsletter.content.brand.Logo": frozenset({"data"}),
    "newsletter.content.brand.Brand": frozenset({"notes"}),
}
# Fields a template reads under another name, in the field's place: a post's text is kept compressed
# (content.posts) and read through its `body` and `html` properties, in the order they always had.
_AS: dict[str, dict[str, str]] = {
    "newsletter.content.posts.Post": {"body_data": "body", "html_data": "html"},
}
_PROPERTIES: dict[str, tuple[str, ...]] = {
    "newsletter.content.settings.Settings": ("domain", "mail_domain", "address_lines"),
    "newsletter.content.issue.Issue": ("subject", "draft", "layout", "intro", "preheader", "date"),
}


class View(Mapping):
    """A read-only mapping; `view.key` reads a key in templates as it read the object's attribute. Its
    type carries the name of what it was made from, so an undefined field still reads
    "'newsletter.content.issue.Issue object' has no attribute 'subjekt'"."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]):
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __getattr__(self, name: str) -> Any:
        """`|attr('title')` reads attributes only (a `.` falls back to the key): the keys answer as
        attributes too. Never a name with `_` (the sandbox refuses those anyway)."""
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)


_VIEWS: dict[type, type[View]] = {}


def _view_class(cls: type) -> type[View]:
    if cls not in _VIEWS:
        _VIEWS[cls] = type(cls.__name__, (View,), {"__slots__": (), "__module__": cls.__module__})
    return _VIEWS[cls]


# A mapping made from a dict reads like one in messages ("'dict object' has no attribute 'x'").
_DICT_VIEW = type("dict", (View,), {"__slots__": (), "__module__": "builtins"})


def plain(value: Any) -> Any:
    """`value` as template data (see the module's docstring)."""
    if isinstance(value, str):
        return value if type(value) in (str, Markup) else str(value)
    if isinstance(value, SCALARS):
        return value
    if isinstance(value, tuple | list | frozenset | set):
        return tuple(plain(v) for v in value)
    if isinstance(value, Mapping):
        return _DICT_VIEW({_key(k): plain(v) for k, v in value.items()})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass(value)
    raise TypeError(f"a template may be given only plain data, not {type(value).__qualname__}")


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"a template mapping's keys are strings, not {type(key).__qualname__}")
    return str(key)


def _dataclass(value: Any) -> View:
    cls = type(value)
    name = f"{cls.__module__}.{cls.__qualname__}"
    hidden = _HIDDEN.get(name, frozenset())
    named = _AS.get(name, {})
    shown = (named.get(f.name, f.name) for f in dataclasses.fields(value) if f.name not in hidden)
    data = {key: plain(getattr(value, key)) for key in shown}
    data.update((p, plain(getattr(value, p))) for p in _PROPERTIES.get(name, ()))
    return _view_class(cls)(data)


def context(values: Mapping[str, Any]) -> dict[str, Any]:
    """A render's variables, each made plain."""
    return {name: plain(value) for name, value in values.items()}
