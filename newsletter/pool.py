"""The worker pool: large work on every core, small work in this process, workers that die with us."""

from __future__ import annotations

import ctypes
import signal
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")

# Per-process state of a worker: the run's renderer, handed over once when the worker starts (inherited
# through fork, never pickled) instead of with every job. Set only inside worker processes.
_state: Any = None


def parallel_map(
    function: Callable[[Any, Job], Result],
    jobs: Sequence[Job],
    workers: int,
    least: int = 2,
    state: Any = None,
    done: Callable[[Result], None] | None = None,
) -> list[Result]:
    """`function(state, job)` for every job, in order. In this process for small work (a pool costs
    ~100 ms to start); else in forked workers on every core. `done` hears of each result as it comes
    (the command line's progress)."""
    tell = done or (lambda result: None)
    if workers <= 1 or len(jobs) < least:
        results = []
        for job in jobs:
            results.append(function(state, job))
            tell(results[-1])
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    size = min(workers, len(jobs))
    with ProcessPoolExecutor(size, mp_context=context, initializer=_start, initargs=(state,)) as pool:
        calls = [(function, job) for job in jobs]
        results = []
        for result in pool.map(_call, calls, chunksize=max(1, len(jobs) // (size * 4))):
            results.append(result)
            tell(result)
        return results


def _start(state: Any) -> None:
    global _state
    _state = state
    _die_with_parent()


def _call(call: tuple[Callable[[Any, Job], Result], Job]) -> Result:
    function, job = call
    return function(_state, job)


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGTERM to this worker when the build process dies, even by SIGKILL,
    so no worker outlives an interrupted build."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers still end when the pool's queue closes
        pass
