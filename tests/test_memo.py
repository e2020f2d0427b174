"""The run's memo: what a run remembers lives on the run, bounded, and is found by the deep helpers
through the run in progress, in this process, in the pool's workers and in the preview's threads."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import TEST_NOW

from newsletter.content.issue import Selection
from newsletter.content.settings import load_settings
from newsletter.run import memo as M
from newsletter.run.context import BUILD, CHECK, Run
from newsletter.run.memo import Memo, entry, per_run
from newsletter.run.plan import plan
from newsletter.run.pool import parallel_map
from newsletter.social import counting, draw
from newsletter.social.cards import Card

CALLS: list[str] = []


@per_run(limit=2)
def _length(text: str) -> int:
    CALLS.append(text)
    return len(text)


def test_a_helper_keeps_its_answers_in_the_active_run_only():
    CALLS.clear()
    assert _length("a") == _length("a") == 1
    assert CALLS == ["a", "a"], "outside a run: computed every time, kept nowhere"
    with Memo().active() as memo:
        assert _length("a") == _length("a") == 1
        assert M.current() is memo
    assert CALLS == ["a", "a", "a"]
    assert memo.table(_length) == {"a": 1}
    assert M.current() is None


def test_a_table_is_bounded():
    CALLS.clear()
    with Memo().active() as memo:
        for text in ("a", "bb", "ccc", "a"):
            _length(text)
    assert len(memo.table(_length)) <= 2
    assert CALLS == ["a", "bb", "ccc", "a"], "past its limit the table started again"


@entry
def _twice(text: str) -> int:
    return _length(text) + _length(text)


def test_an_entry_point_gives_itself_a_memo_for_the_call():
    CALLS.clear()
    assert _twice("abc") == 6
    assert CALLS == ["abc"], "the second call found the first's answer"
    assert M.current() is None, "and the memo is gone with the call"
    assert _twice("abc") == 6 and CALLS == ["abc", "abc"]


@pytest.mark.fresh_inline  # it reads premailer's rules table on the run
def test_a_run_counts_its_captions_in_its_own_memo(sample):
    settings = load_settings(sample.root)
    run = Run(
        settings, dt.datetime.fromisoformat(TEST_NOW).replace(tzinfo=settings.zone), BUILD
    )  # it inlines
    plan(run, Selection())
    counted = run.memo.table(counting.count_x)
    assert len(counted) > 20 and all(isinstance(n, int) for n in counted.values())
    assert run.memo.table("premailer-rules"), "the template CSS was parsed once, for this run"
    other = Run(settings, run.now, CHECK)
    assert other.memo.table(counting.count_x) == {}, "another run starts empty"


def _seen(state: object, text: str) -> tuple[bool, bool]:
    """In a worker: is a memo active, and does it hold what the parent counted before the pool?"""
    memo = M.current()
    return memo is not None, memo is not None and "parent" in memo.table(_length)


def test_pool_workers_work_under_the_memo_of_the_run_that_started_them():
    with Memo().active():
        _length("parent")
        assert parallel_map(_seen, ["x", "y"], workers=2) == [(True, True), (True, True)]
    assert parallel_map(_seen, ["x", "y"], workers=2) == [(False, False), (False, False)]


def test_the_same_card_whatever_the_memo_holds():
    """A card drawn in a run that drew others first is the same bytes as one drawn in a fresh run."""
    card = Card("x", "title", "Why Faces Need Movement", site="Via Skincare")
    alone = draw.png(card, "link", "#8a6f5a")
    with Memo().active():
        for other in ("Regeneration", "Facial massage and tissue regeneration"):
            draw.png(Card("x", "title", other, site="Via Skincare"), "link", "#8a6f5a")
        assert draw.png(card, "link", "#8a6f5a") == alone


@pytest.mark.fresh_inline  # it reads premailer's rules table on the run
def test_the_previews_run_keeps_its_memo_across_saves(sample):
    from newsletter.preview.state import Preview

    running = Preview(sample.root, lambda text, error: None)
    first = running.rebuild()
    assert first.error == "" and first.memo is not None
    assert first.memo.table("premailer-rules")
    post = next((sample.root / "posts").glob("*.md"))
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    second = running.rebuild()
    # a save is two generations: its email, then its captions (preview/state.py)
    assert second.error == "" and second.generation == first.generation + 2
    assert second.memo is first.memo
