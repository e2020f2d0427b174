"""The worker pool's forked call: a one-issue build draws its captions and cards in a child while the
parent makes the email. Whatever happens to the child, the result is the one the parent would make."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from newsletter.content.issue import Selection
from newsletter.content.settings import load_settings
from newsletter.run import pool
from newsletter.run.context import Run
from newsletter.run.plan import RenderJob, plan, render_issue


def _fail() -> None:
    raise ValueError("made in whichever process ran me")


def _unpicklable():
    return lambda: "made here"


def test_a_forked_call_runs_in_a_child():
    assert pool.Forked(os.getpid).result() != os.getpid()


def test_a_child_that_fails_is_replaced_by_the_call_made_here():
    with pytest.raises(ValueError, match="whichever process"):
        pool.Forked(_fail).result()
    assert pool.Forked(_unpicklable).result()() == "made here"  # a lambda cannot cross the pipe


def test_a_child_whose_result_was_not_asked_for_is_stopped():
    started = time.monotonic()
    with pytest.raises(RuntimeError), pool.Forked(time.sleep, 60) as call:
        pid = call._pid
        raise RuntimeError("the parent failed first")
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)


def test_an_issue_rendered_with_its_social_part_in_a_child_is_the_same(sample):
    settings = load_settings(sample.root)
    run = Run(settings, dt.datetime(2026, 11, 22, tzinfo=settings.zone))
    issue = plan(run, Selection()).issues[0].issue
    here = render_issue(run, RenderJob(issue, "", frozenset(), False, None))
    split = render_issue(run, RenderJob(issue, "", frozenset(), True, None))
    assert split.files.keys() == here.files.keys()
    assert len([name for name in here.files if name.startswith("cards/")]) == 18
    assert split.files == here.files
    assert split.findings == here.findings
    assert split.captions == here.captions
