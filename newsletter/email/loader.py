"""Where templates come from: the project's templates_dir, then the package's defaults, each file read
like every project input (content.reader: a regular file, at most MAX_TEMPLATE_BYTES, UTF-8).

A project template that is a symbolic link out of the project is not followed: the packaged template
of that name is used instead (as if the file were not there), and the run warns about the link once
(reader.template_link_warnings). A link that stays inside the project is followed. Anything else wrong
with a project template (a pipe or folder in its place, over the cap, not UTF-8) is an error naming
`templates/FILE`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path

from newsletter.content import reader
from newsletter.content.settings import PACKAGED_TEMPLATES as PACKAGED
from newsletter.content.settings import Settings
from newsletter.errors import InputError, Problems

Source = tuple[str, str, Callable[[], bool]]  # Jinja's (text, filename, uptodate)


class TemplateFileError(InputError):
    """A template file that cannot be used. Raised while Jinja loads it: for a template rendered by
    name it reaches the user as it is; for one that is included, the renderer names the include's
    line and quotes this (so str() is the problem alone, without InputError's closing line)."""

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems)


class TemplateLoader(jinja2.BaseLoader):
    """The project's template of a name, else the packaged one. `filename` is the file's path in
    templates_dir (or the package): Jinja puts it in tracebacks, and the renderer turns those into
    `templates/FILE:LINE` messages."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def get_source(self, environment: jinja2.Environment, template: str) -> Source:
        pieces = split_template_path(template)  # refuses '..' and empty parts (TemplateNotFound)
        own = self.settings.templates_dir.joinpath(*pieces)
        if reader.template_usable(own, self.settings):
            return _load(own, self.settings.relative(own))
        packaged = PACKAGED.joinpath(*pieces)
        if packaged.is_file():
            return _load(packaged, f"newsletter/templates/{template}")
        raise jinja2.TemplateNotFound(template)


def _load(path: Path, where: str) -> Source:
    problems = Problems()
    before = reader.file_stamp(path)
    text = reader.read_template(path, where, problems)
    if text is None:
        raise TemplateFileError(problems.items)
    # Jinja asks this only with auto_reload; the renderer reads each template once per run.
    return text, str(path), lambda: reader.file_stamp(path) == before
