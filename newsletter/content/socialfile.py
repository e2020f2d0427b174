"""A post's social file, posts/STEM.social.yaml: the captions the social manager edited, which every
build posts instead of the ones it makes from the article. It is read with its post, through the one
reader (content.reader), and validated as front matter is: each problem names the file and line,
unknown platforms and kinds get a did-you-mean, and each caption is counted as its platform counts it.

    x:
      teaser: |-
        The words X gets, exactly as written.
      benefits: off              # no benefits caption on X
      thread:                    # the whole thread, post by post (the build numbers them 1/N)
        - The first post.
        - The second post.
    bluesky:
      thread:
        2: A new second post.    # one post of the thread the article gives; `off` leaves it out
    pinterest: off               # nothing for Pinterest
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsletter.content.settings import PLATFORMS, Settings, platform_hint
from newsletter.email import headers
from newsletter.errors import Problems, closest

if TYPE_CHECKING:
    import yaml

    from newsletter.social.counting import Rule

KINDS = ("teaser", "benefits", "quote", "thread")
RULE = "social-file"
_STR, _INT, _BOOL, _NULL = (f"tag:yaml.org,2002:{t}" for t in ("str", "int", "bool", "null"))
_OFF = frozenset({"false", "off", "no"})  # what YAML reads as false, in any case


@dataclass(frozen=True)
class Part:
    """One post of an edited thread."""

    number: int  # 1 = the thread's first post
    text: str | None  # None: the post is left out
    line: int


@dataclass(frozen=True)
class Edit:
    """One caption of the social file: its text, or off; a thread's posts, all or some of them."""

    platform: str
    kind: str  # "" for a whole platform turned off
    line: int
    text: str | None = None  # the caption as written; None with no parts: turned off
    parts: tuple[Part, ...] = ()
    whole: bool = False  # `parts` is the whole thread, in order (a list), not some of its posts by number

    @property
    def off(self) -> bool:
        return self.text is None and not self.parts

    def line_of(self, index: int) -> int:
        """The line of the thread's post `index` (0-based) when this edit wrote it, else the edit's."""
        number = index + 1
        return next((p.line for p in self.parts if p.number == number and p.text is not None), self.line)


@dataclass(frozen=True)
class Edits:
    """Every edit of one post's social file (none: the post has no social file)."""

    source: str = ""  # the social file, as messages show it
    edits: tuple[Edit, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.edits)

    def of(self, platform: str, kind: str) -> Edit | None:
        return next((e for e in self.edits if e.platform == platform and e.kind in ("", kind)), None)


NONE = Edits()


def parse(raw: bytes, where: str, settings: Settings, problems: Problems) -> Edits:
    """The edits of a social file's bytes; every problem reported (rule `social-file`)."""
    from newsletter.content import frontmatter  # lazy: PyYAML only for a post that has a social file

    text = frontmatter.decode(raw, where, problems)
    kind = frontmatter.YamlKind("a social file", 1, RULE)
    node = frontmatter.yaml_node(text, where, problems, kind) if text is not None else None
    if node is None:
        return Edits(where)
    return Edits(where, tuple(_Reader(where, settings, problems).platforms(node)))


class _Reader:
    def __init__(self, where: str, settings: Settings, problems: Problems):
        from newsletter.social.counting import rules

        self.where, self.problems = where, problems
        self.rules = rules(settings.mastodon_max_characters)

    def error(self, node: yaml.Node, message: str) -> None:
        self.problems.error(self.where, node.start_mark.line + 1, message, RULE)

    def platforms(self, root: yaml.Node) -> Iterator[Edit]:
        import yaml

        if not isinstance(root, yaml.MappingNode):
            self.error(root, 'a social file maps platforms to their captions, e.g. x: {teaser: "..."}; '
                       "got a list or a single value")  # fmt: skip
            return
        for key, value in self.entries(root, "platform"):
            name = key.value
            if name not in PLATFORMS:
                self.error(key, f"unknown platform '{name}'{platform_hint(name)} (the platforms: "
                           f"{', '.join(PLATFORMS)})")  # fmt: skip
            elif _off(value):
                yield Edit(name, "", key.start_mark.line + 1)
            elif not isinstance(value, yaml.MappingNode):
                self.error(value, f"'{name}' takes its captions by kind ({', '.join(KINDS)}), e.g. "
                           f'{name}: {{teaser: "..."}}, or off')  # fmt: skip
            else:
                yield from self.kinds(name, value)

    def kinds(self, platform: str, node: yaml.MappingNode) -> Iterator[Edit]:
        rule = self.rules[platform]
        for key, value in self.entries(node, "kind"):
            kind = key.value
            if kind not in KINDS:
                hint = closest(kind.lower(), KINDS)
                said = f"; did you mean '{hint}'?" if hint else ""
                self.error(
                    key, f"unknown kind '{kind}' for {rule.label}{said} (the kinds: {', '.join(KINDS)})"
                )
            elif kind == "thread" and not rule.threads:
                threads = ", ".join(r.label for r in self.rules.values() if r.threads)
                self.error(key, f"{rule.label} has no threads (threads are for {threads}); give it a teaser")
            elif (edit := self.caption(rule, kind, key, value)) is not None:
                yield edit

    def caption(self, rule: Rule, kind: str, key: yaml.Node, value: yaml.Node) -> Edit | None:
        line = key.start_mark.line + 1
        if _off(value):
            return Edit(rule.platform, kind, line)
        if kind == "thread":
            return self.thread(rule, line, value)
        text = self.text(value, f"{rule.platform}.{kind}")
        if text is None or not self.fits(rule, text, value, f"the {rule.label} {kind}"):
            return None
        return Edit(rule.platform, kind, line, text)

    def thread(self, rule: Rule, line: int, node: yaml.Node) -> Edit | None:
        import yaml

        name = f"{rule.platform}.thread"
        if isinstance(node, yaml.SequenceNode) and node.value:
            parts = [self.part(rule, n, item) for n, item in enumerate(node.value, 1)]
            whole = True
        elif isinstance(node, yaml.MappingNode) and node.value:
            parts = list(self.numbered(rule, node))
            whole = False
        else:
            self.error(node, f"'{name}' is a list of posts (- \"The first post\"), or posts by number "
                       '(2: "A new second post"), or off')  # fmt: skip
            return None
        if any(p is None for p in parts):
            return None
        return Edit(rule.platform, "thread", line, parts=tuple(parts), whole=whole)  # type: ignore[arg-type]

    def numbered(self, rule: Rule, node: yaml.MappingNode) -> Iterator[Part | None]:
        seen: dict[int, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            number = int(key.value) if key.tag == _INT and key.value.isdigit() else 0
            if number < 1:
                self.error(key, f"'{rule.platform}.thread' takes posts by number (1 is the first post), "
                           f"got '{key.value}'")  # fmt: skip
                yield None
            elif number in seen:
                self.error(key, f"post {number} is given twice (first on line {seen[number]}); keep one")
                yield None
            else:
                seen[number] = line
                yield Part(number, None, line) if _off(value) else self.part(rule, number, value)

    def part(self, rule: Rule, number: int, node: yaml.Node) -> Part | None:
        text = self.text(node, f"{rule.platform}.thread post {number}")
        if text is None or not self.fits(rule, text, node, f"the {rule.label} thread's post {number}"):
            return None
        return Part(number, text, node.start_mark.line + 1)

    def text(self, node: yaml.Node, name: str) -> str | None:
        """A caption's text: a string, made visible as front matter's text is, trimmed."""
        import yaml

        text = headers.visible(node.value, lines=True).strip() if node.tag == _STR else ""
        if text and isinstance(node, yaml.ScalarNode):
            return text
        if isinstance(node, yaml.ScalarNode) and node.tag in (_STR, _NULL):
            self.error(node, f"'{name}' is empty: write the caption, or off to post none")
        elif isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            self.error(node, f"'{name}' is {node.value}: write the caption, or off to post none")
        elif isinstance(node, yaml.ScalarNode):
            self.error(node, f"'{name}' must be text, got {node.value} (YAML reads it as a number): quote it: "
                       f'"{node.value}"')  # fmt: skip
        else:
            self.error(
                node,
                f"'{name}' must be text, got a {'list' if isinstance(node, yaml.SequenceNode) else 'mapping'}",
            )
        return None

    def fits(self, rule: Rule, text: str, node: yaml.Node, what: str) -> bool:
        """Counted as the platform counts it: over its limit is an error (of this post; a post of
        another week is that week's, and the plan makes it a warning there)."""
        if why := rule.over(text):
            self.error(node, f"{what} is {why} as {rule.label} counts it; shorten it")
            return False
        return True

    def entries(self, node: yaml.MappingNode, what: str) -> Iterator[tuple[yaml.ScalarNode, yaml.Node]]:
        """A mapping's (key, value) pairs, each key a name given once."""
        import yaml

        seen: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if not isinstance(key, yaml.ScalarNode) or key.tag != _STR:
                self.error(key, f"a {what} is a name, such as {'x' if what == 'platform' else 'teaser'}; got "
                           f"'{getattr(key, 'value', key)}'")  # fmt: skip
            elif key.value in seen:
                self.error(key, f"'{key.value}' is given twice (first on line {seen[key.value]}); keep one")
            else:
                seen[key.value] = line
                yield key, value


def _off(node: yaml.Node) -> bool:
    """`off`, `false` or `no`: this caption (or platform) is not posted."""
    return node.tag == _BOOL and str(node.value).lower() in _OFF
