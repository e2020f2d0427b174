"""The editor's issue file, issues/YYYY-Www.md (optional): subject, preheader, layout, order, exclude in
front matter, and the intro note as its Markdown body. Validated like posts: every problem names the
file and line; unknown keys warn with a did-you-mean; a slug that is not in the week is an error."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from newsletter.content import reader
from newsletter.content.settings import LAYOUTS, Settings
from newsletter.errors import Problems, closest

FOLDER = "issues"
INTRO_PLACEHOLDER = "Write a short note to your readers here, or delete this line."
KNOWN_KEYS = ("subject", "preheader", "layout", "order", "exclude")


@dataclass(frozen=True)
class IssueFile:
    source: str  # "issues/2026-W42.md", as messages name it
    digest: str  # of the file's bytes: part of the issue's cache key
    subject: str = ""
    preheader: str = ""
    layout: str = ""
    order: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    intro: str = ""  # Markdown, rendered above the first article
    intro_line: int = 0
    order_line: int = 1
    subject_line: int = 1
    exclude_line: int = 1


def folder(settings: Settings) -> Path:
    return settings.issues_dir


def paths(settings: Settings, problems: Problems) -> list[Path]:
    """The *.md files in issues/, read like posts: the folder as a link out of the project is an
    error, a file that is one is skipped with a warning."""
    base = folder(settings)
    if not base.is_dir():
        return []
    if message := _link_out(settings):
        problems.error(FOLDER, 0, message, "issue-file")
        return []
    return reader.list_folder(base, ".md", settings, problems)


def _link_out(settings: Settings) -> str:
    base = folder(settings)
    if reader.leads_out(base, settings.root) != "outside":
        return ""
    return (f"symbolic link to outside the project ({base.resolve()}): not followed; make {FOLDER}/ a folder "
            "of the project (copy the files in) or remove the link")  # fmt: skip


def read(path: Path, where: str, problems: Problems) -> IssueFile | None:
    """One issue file, through the reader (regular file, size cap), parsed; None with its problems."""
    raw = reader.read_file(path, where, problems, reader.ISSUE_FILE)
    return parse(raw, where, problems) if raw is not None else None


def parse(raw: bytes, where: str, problems: Problems) -> IssueFile | None:
    from newsletter.content import frontmatter  # lazy: PyYAML only when there is an issue file

    text = frontmatter.decode(raw, where, problems)
    doc = frontmatter.split(text, where, problems) if text is not None else None
    if doc is None:
        return None
    from newsletter.content.posts import FieldChecker

    check = FieldChecker(doc, where, problems, rule="issue-file")
    for key in doc.meta:
        if str(key) not in KNOWN_KEYS:
            hint = closest(str(key), KNOWN_KEYS)
            fix = f"did you mean '{hint}'?" if hint else f"use one of {', '.join(KNOWN_KEYS)}"
            problems.warn(where, doc.lines.get(str(key), 2), f"unknown key '{key}': {fix}", "unknown-key")
    layout = check.line_text("layout")
    if layout and layout not in LAYOUTS:
        check.error("layout", f"'layout' must be one of {' | '.join(LAYOUTS)}, got '{layout}'")
    made = IssueFile(
        source=where,
        digest=hashlib.sha256(raw).hexdigest(),
        subject=check.line_text("subject"),
        preheader=check.line_text("preheader"),
        layout=layout if layout in LAYOUTS else "",
        order=check.strings("order"),
        exclude=check.strings("exclude"),
        intro=doc.body.strip("\n") + "\n" if doc.body.strip() else "",
        intro_line=doc.body_line + len(doc.body) - len(doc.body.lstrip("\n")),
        order_line=doc.lines.get("order", 1),
        subject_line=doc.lines.get("subject", 1),
        exclude_line=doc.lines.get("exclude", 1),
    )
    # Kept even with errors (the run aborts anyway), so its order and exclude are checked in the same run.
    return made


def scaffold(settings: Settings, week: str) -> Path:
    """`newsletter new --issue WEEK`: an issue file to fill in, never overwriting one."""
    from newsletter.errors import NewsletterError
    from newsletter.run.writer import atomic_write

    path = folder(settings) / f"{week}.md"
    if message := _link_out(settings):
        raise NewsletterError(f"{FOLDER}: {message}")
    if path.exists():
        raise NewsletterError(f"{settings.relative(path)}: already exists; edit it")
    text = (
        "---\n"
        "# Every key is optional. An empty subject keeps the default (the articles' titles).\n"
        'subject: ""\n'
        '# preheader: "One line shown after the subject in the inbox"\n'
        "# layout: digest                        (full | digest; default: the site's layout)\n"
        "# order: [slug-first, slug-second]       (the rest follow by date)\n"
        "# exclude: [slug-to-hold-back]\n"
        "---\n\n"
        f"{INTRO_PLACEHOLDER}\n"
    )
    atomic_write(path, text.encode("utf-8"))
    return path
