"""Split a post into YAML front matter and Markdown body, with file line numbers for every key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from newsletter.content.reader import MAX_POST_BYTES, decode_text
from newsletter.errors import Problems

MAX_YAML_DEPTH = 20  # front matter nests two levels; deeper is an attack on the recursive constructor
MAX_NUMBER_DIGITS = 100  # Python refuses int() of more than 4,300 digits; no front matter needs 100

# libyaml's parser when PyYAML was built with it (several times faster), the pure-Python one otherwise.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader that leaves dates as text (so a bad date is our message, not a ValueError)."""


class _PyLoader(yaml.SafeLoader):
    """The pure-Python parser: slower, but its error messages point at the exact column."""


_Loader.yaml_implicit_resolvers = _PyLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Document:
    meta: dict[str, Any]
    lines: dict[str, int]  # key -> line in the file
    raw: dict[str, str]  # key -> the scalar as typed, for "quote it" hints
    body: str
    body_line: int  # file line where the body starts


@dataclass(frozen=True)
class YamlKind:
    """A YAML input of the project as messages place and name it."""

    name: str  # "front matter", as in "not allowed in front matter"
    first: int  # the file line of the YAML's first line
    rule: str = ""  # the check rule of its problems ("": front-matter)

    @property
    def too_deep(self) -> str:
        return f"{self.name} nests deeper than {MAX_YAML_DEPTH} levels; flatten the value"


FRONT_MATTER = YamlKind("front matter", 2)  # the opening '---' is line 1 and YAML marks count from 0


def decode(raw: bytes, where: str, problems: Problems) -> str | None:
    """UTF-8 only (BOM dropped); CRLF and lone CR become LF so output never depends on them.
    No NUL bytes (they end C strings in mail software) and no file over MAX_POST_BYTES."""
    if len(raw) > MAX_POST_BYTES:
        problems.error(
            where,
            1,
            f"the file is {len(raw):,} bytes; posts are limited to {MAX_POST_BYTES:,} bytes",
            "encoding",
        )
        return None
    if (nul := raw.find(b"\0")) >= 0:
        line = raw[:nul].count(b"\n") + raw[:nul].count(b"\r") - raw[:nul].count(b"\r\n") + 1
        problems.error(
            where, line, f"NUL byte at offset {nul}: remove it (the file may not be text)", "encoding"
        )
        return None
    text = decode_text(raw, where, problems)
    if text is None:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split(text: str, where: str, problems: Problems) -> Document | None:
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        problems.error(
            where,
            1,
            "no front matter: the file must start with a '---' line, then YAML, then '---'",
        )
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        problems.error(where, 1, "front matter is never closed: add a '---' line after the YAML")
        return None
    parsed = _parse_yaml("\n".join(lines[1:end]), where, problems)
    if parsed is None:
        return None
    meta, key_lines, raw = parsed
    return Document(meta, key_lines, raw, "\n".join(lines[end + 1 :]), end + 2)


def _parse_yaml(
    source: str, where: str, problems: Problems, loader_class: type = _Loader
) -> tuple[dict, dict[str, int], dict[str, str]] | None:
    # File line = YAML line + 2: the opening '---' is line 1 and YAML marks count from 0.
    if found := _depth_problem(source, loader_class, FRONT_MATTER):
        problems.error(where, *found)
        return None
    try:
        loader = loader_class(source)
        try:
            node = loader.get_single_node()
            if node is None:
                problems.error(where, 2, "front matter is empty: add at least 'title' and 'date'")
                return None
            if not isinstance(node, yaml.MappingNode):
                problems.error(where, 2, "front matter must be 'key: value' lines, got a YAML list or scalar")
                return None
            if found := _node_problem(node, FRONT_MATTER):
                problems.error(where, *found)
                return None
            key_lines = _key_lines(node, where, problems)
            raw = {str(k.value): v.value for k, v in node.value if isinstance(v, yaml.ScalarNode)}
            try:
                meta = loader.construct_document(node)
            except (ValueError, OverflowError, RecursionError) as exc:  # a value YAML parses, Python refuses
                problems.error(where, 2, f"front matter holds a value that cannot be read: {str(exc)[:100]}")
                return None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        if loader_class is not _PyLoader:  # say it the way the pure-Python parser does: exact column
            return _parse_yaml(source, where, problems, _PyLoader)
        line, message = _yaml_message(exc, FRONT_MATTER.first)
        problems.error(where, line, message)
        return None
    except yaml.YAMLError as exc:
        problems.error(where, 2, f"invalid YAML: {exc}")
        return None
    if found := _value_problem(meta, key_lines):
        problems.error(where, *found)
        return None
    return meta, key_lines, raw


def yaml_node(
    source: str, where: str, problems: Problems, kind: YamlKind, loader_class: type = _Loader
) -> yaml.Node | None:
    """The one node of a YAML file other than front matter (a post's social file), checked as front
    matter is (nesting, anchors and aliases, numbers too long; errors placed at the file's line), with
    each node's marks kept for messages; an empty file is an empty mapping. None: the problem is
    reported."""
    if found := _depth_problem(source, loader_class, kind):
        problems.error(where, *found, kind.rule)
        return None
    try:
        loader = loader_class(source)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        if loader_class is not _PyLoader:  # say it the way the pure-Python parser does: exact column
            return yaml_node(source, where, problems, kind, _PyLoader)
        problems.error(where, *_yaml_message(exc, kind.first), kind.rule)
        return None
    except yaml.YAMLError as exc:
        problems.error(where, kind.first, f"invalid YAML: {exc}", kind.rule)
        return None
    if node is None:
        return yaml.MappingNode("tag:yaml.org,2002:map", [])
    if found := _node_problem(node, kind):
        problems.error(where, *found, kind.rule)
        return None
    return node


def _yaml_message(exc: yaml.MarkedYAMLError, first: int) -> tuple[int, str]:
    """The file line and message of a YAML error, placed where the fault starts: PyYAML's problem mark
    is where it gave up (an unclosed quote: the end of the front matter), its context mark where the
    construct it was reading opened (the quote itself). The context of a block mapping or of a
    constructor is the whole front matter, so there the problem mark says more."""
    start, end = exc.context_mark, exc.problem_mark
    if start is None or str(exc.context).startswith(("while parsing a block", "while constructing")):
        mark = end or start
        line, col = (mark.line + first, mark.column + 1) if mark else (first, 1)
        return line, f"invalid YAML at column {col}: {exc.problem or exc.context}"
    what = str(exc.context).removeprefix("while scanning ").removeprefix("while parsing ")
    found = f"{exc.problem} on line {end.line + first}" if end is not None else str(exc.problem)
    fix = "; close the quote" if "quoted" in what else ""
    return (
        start.line + first,
        f"invalid YAML at column {start.column + 1}: {what} starts here and is not closed ({found}){fix}",
    )


def _depth_problem(source: str, loader_class: type, kind: YamlKind) -> tuple[int, str] | None:
    """Nesting too deep, found from the parser's events before anything is composed: both composers
    recurse once per level (the pure-Python one raises RecursionError near 1,000 levels, libyaml's
    crashes the process near 100,000), while the parsers keep their own stack. A syntax error stops
    the scan; the parse proper then reports it."""
    loader = loader_class(source)
    depth = 0
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH + 1:  # + 1: the top-level mapping of keys
                    return (event.start_mark.line + kind.first if event.start_mark else 0), kind.too_deep
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None


def _node_problem(root: yaml.Node, kind: YamlKind) -> tuple[int, str] | None:
    """What the constructor must never see, found by a walk that never recurses or expands:
    anchors and aliases (no use in front matter, and they enable expansion bombs: an alias is the same
    node reached twice), nesting deeper than MAX_YAML_DEPTH, numbers too long for int()."""
    seen: set[int] = set()
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        line = node.start_mark.line + kind.first
        if id(node) in seen:
            return (
                line,
                f"YAML anchors and aliases (&name, *name) are not allowed in {kind.name}; write the value out",
            )
        if depth > MAX_YAML_DEPTH:
            return line, kind.too_deep
        seen.add(id(node))
        number = isinstance(node, yaml.ScalarNode) and node.tag.endswith((":int", ":float"))
        if number and len(node.value) > MAX_NUMBER_DIGITS:
            return line, (
                f"a number of {len(node.value):,} characters; the limit is {MAX_NUMBER_DIGITS}: "
                "quote it if it is text"
            )
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.extend(((value, depth + 1), (key, depth + 1)))
    return None


def _value_problem(meta: dict, key_lines: dict[str, int]) -> tuple[int, str] | None:
    """NUL (YAML's "\\0") and lone surrogates ("\\ud800") in any string: no encoder or mail reader
    handles them, so they are refused where they are typed."""
    for key, value in meta.items():
        stack = [key, value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend((*item.keys(), *item.values()))
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str):
                if "\0" in item:
                    return key_lines.get(str(key), 2), f"'{key}' contains a NUL character (\\0); remove it"
                if surrogate := next((c for c in item if "\ud800" <= c <= "\udfff"), ""):
                    return key_lines.get(str(key), 2), (
                        f"'{key}' contains the lone surrogate U+{ord(surrogate):04X}, which is not a character; "
                        "remove the \\u escape"
                    )
    return None


def _key_lines(node: yaml.MappingNode, where: str, problems: Problems) -> dict[str, int]:
    lines: dict[str, int] = {}
    for key_node, _ in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 2
        if key in lines:
            problems.error(where, line, f"'{key}' is given twice (first on line {lines[key]}); keep one")
        lines.setdefault(key, line)
    return lines
