"""`newsletter check`: the plan of a build, every rule, and a report; writes nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, replace

from newsletter.check.rules import RULES, known_paths, post_rules, rule_markdown, rule_of
from newsletter.content.issue import LATEST, Selection, week_of
from newsletter.content.settings import Settings
from newsletter.errors import Problem, Problems, plural
from newsletter.run.context import CHECK, Run
from newsletter.run.plan import plan

__all__ = ["RULES", "Report", "format_json", "format_text", "rules_markdown", "run"]
rules_markdown = rule_markdown


@dataclass(frozen=True)
class Report:
    findings: tuple[Problem, ...]
    strict: bool

    @property
    def errors(self) -> int:
        return sum(f.is_error for f in self.findings)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    @property
    def failed(self) -> bool:
        return bool(self.errors or (self.strict and self.findings))


def run(settings: Settings, now: dt.datetime, selection: Selection = LATEST, strict: bool = False) -> Report:
    """The build's plan (same loader, same rules, same messages; no card drawn, nothing written) plus
    the selected weeks' posts that are in no issue (drafts, excluded posts), as warnings. Other weeks'
    posts are not reported (the plan made a broken one a warning naming its week); `--all` selects
    every week, draft-only ones too."""
    # Every core, as build uses them (the captions of an issue beside its email, issues in workers), and
    # the compiled templates build keeps (Jinja's per-user folder, never the project).
    workers = os.cpu_count() or 1
    made = plan(Run(settings, now, CHECK, workers=workers, strict=strict, bytecode=True), selection)
    problems = Problems(list(made.findings))
    chosen = {p.source for outputs in made.issues for p in outputs.issue.posts}
    weeks = {selection.week} if selection.week else {w.week for w in made.weeks}
    known = known_paths(settings.url_for(m.slug) for m in made.library.metas)
    for post in made.library.posts:
        if post.source not in chosen and (selection.every or week_of(post) in weeks):
            # the cards' characters, from their fonts' maps: nothing drawn (imported only here: the
            # social modules cost a process about 40 ms, and the issue's captions were made in a child)
            from newsletter.social import glyphs

            post_rules(post, settings, known, problems, going_out=False)  # not going out: a warning
            glyphs.check(post, settings, problems)
    return report(problems.items, strict)


def report(problems: list[Problem], strict: bool) -> Report:
    findings = sorted(
        {replace(p, rule=rule_of(p)) for p in problems},
        key=lambda p: (p.where, p.line, p.rule, p.message),
    )
    return Report(tuple(findings), strict)


def format_text(report: Report) -> str:
    lines = []
    for f in report.findings:
        place = f"{f.where}:{f.line}" if f.line else f.where
        lines.append(f"{place}: {f.severity}[{f.rule}]: {f.message}\n    fix: {RULES[f.rule].fix}")
    lines.append(f"{plural(report.errors, 'error')}, {plural(report.warnings, 'warning')}")
    return "\n".join(lines) + "\n"


def format_json(report: Report) -> str:
    items = [
        {"rule": f.rule, "severity": str(f.severity), "file": f.where, "line": f.line, "message": f.message,
         "fix": RULES[f.rule].fix}
        for f in report.findings
    ]  # fmt: skip
    return (
        json.dumps({"errors": report.errors, "warnings": report.warnings, "findings": items}, indent=2) + "\n"
    )
