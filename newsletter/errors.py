"""The one error family, and the collector that lets a run report every problem before stopping."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import click


def closest(word: str, choices, cutoff: float = 0.6) -> str:
    """The choice `word` most likely meant (a "did you mean" hint), or "": difflib is imported only
    when a message needs one, not by every run."""
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return found[0] if found else ""


class Severity(StrEnum):
    """A str enum: findings serialise to JSON and the manifest as plain "error"/"warning"."""

    ERROR = "error"
    WARNING = "warning"


ERROR = Severity.ERROR
WARNING = Severity.WARNING


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about an input: where, what, and how bad."""

    where: str
    line: int
    message: str
    severity: Severity = ERROR
    rule: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        place = f"{self.where}:{self.line}" if self.line else self.where
        prefix = "" if self.severity == ERROR else "warning: "
        return f"{place}: {prefix}{self.message}"


class NewsletterError(click.ClickException):
    """Anything the user can fix: exit 1, a clear message, no traceback."""

    exit_code = 1

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:  # Click prints "Error: " first; our messages start with a place
        click.echo(self.format_message(), err=True, file=file)


class InputError(NewsletterError):
    """One or more problems in posts, templates or settings."""

    def __init__(self, problems: list[Problem]):
        # The same problem found twice (one template error in every issue of `build --all`) is said once.
        self.problems = sorted(set(problems), key=lambda p: (p.where, p.line, p.message, p.severity))
        # Every error, but only the first few warnings: an archive's hundreds of warnings would bury
        # the one error that stopped the build (`check` lists them all).
        shown = {id(p) for p in [p for p in self.problems if not p.is_error][:SHOWN_WARNINGS]}
        lines = [str(p) for p in self.problems if p.is_error or id(p) in shown]
        hidden = sum(not p.is_error for p in self.problems) - len(shown)
        if hidden:
            lines.append(more_warnings(hidden))
        lines.append(f"Aborted: {plural(sum(p.is_error for p in self.problems), 'error')} found.")
        super().__init__("\n".join(lines))


SHOWN_WARNINGS = 5  # with errors, as without; the build's success line and each preview rebuild alike


def plural(count: int, word: str) -> str:
    """ "1 warning", "2 warnings": every count the tool prints."""
    return f"{count} {word}{'s' if count != 1 else ''}"


def more_warnings(hidden: int) -> str:
    return f"… and {plural(hidden, 'more warning')}: run `newsletter check`"


@dataclass
class Problems:
    """Collects problems during a phase; `raise_if_errors` stops once, with all of them."""

    items: list[Problem] = field(default_factory=list)
    strict: bool = False

    def error(self, where: str | Path, line: int, message: str, rule: str = "") -> None:
        self.items.append(Problem(str(where), line, message, ERROR, rule))

    def warn(self, where: str | Path, line: int, message: str, rule: str = "") -> None:
        self.items.append(Problem(str(where), line, message, WARNING, rule))

    def extend(self, problems) -> None:
        self.items.extend(problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if not p.is_error]

    def has_errors(self) -> bool:
        return any(p.is_error or self.strict for p in self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors():
            problems = self.items
            if self.strict:
                problems = [replace(p, severity=ERROR) for p in problems]
            raise InputError(problems)
