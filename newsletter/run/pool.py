"""The worker pool: large work on every core, small work in this process, workers that die with us."""

from __future__ import annotations

import gc
import os
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from newsletter.run import memo

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

    context = multiprocessing.get_context("fork")
    size = min(workers, len(jobs))
    # What the workers inherit (the parsed posts, the modules) stays shared only while nobody writes
    # to its pages: frozen, the garbage collector never walks (and so never dirties) them in a worker.
    gc.freeze()
    try:
        return _pooled(function, jobs, size, context, state, tell)
    finally:
        gc.unfreeze()


def _pooled(function, jobs, size: int, context, state, tell) -> list:
    from concurrent.futures import ProcessPoolExecutor

    # Each worker works under the memo of the run that started the pool (inherited through fork, like
    # the state): what it remembers stays in its own copy and ends with it.
    started = (state, memo.current())
    with ProcessPoolExecutor(size, mp_context=context, initializer=_start, initargs=started) as pool:
        calls = [(function, job) for job in jobs]
        results = []
        for result in pool.map(_call, calls, chunksize=max(1, len(jobs) // (size * 4))):
            results.append(result)
            tell(result)
        return results


class Forked(Generic[Result]):
    """A call running in a forked child; `result()` waits for it. When the child fails in any way (an
    exception, a crash, an unpicklable result) `result()` makes the call again in this process, so
    errors are raised here exactly as without the child, and the result never depends on the fork.
    Used as a context manager, a child whose result was not asked for is stopped on the way out."""

    def __init__(self, function: Callable[..., Result], *args: Any):
        self._call = (function, args)
        self._pid, self._read = _fork(function, args)

    def result(self) -> Result:
        function, args = self._call
        with os.fdopen(self._read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        if os.waitstatus_to_exitcode(status) == 0 and data:
            import pickle  # lazy: a build that renders nothing forks nothing

            return pickle.loads(data)
        return function(*args)

    def __enter__(self) -> Forked[Result]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pid:  # the caller failed before asking: end the child (blocked on a full pipe, maybe)
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            os.close(self._read)


def can_fork() -> bool:
    """Forking is safe only while this process runs one thread (the preview's server threads could
    hold locks a child would inherit locked) and on a system that has fork."""
    return hasattr(os, "fork") and threading.active_count() == 1


def _fork(function: Callable[..., Any], args: tuple) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    code = 1
    try:  # the child: compute, send, and leave without running the parent's cleanup (atexit, buffers)
        os.close(read)
        _die_with_parent()
        import pickle

        data = pickle.dumps(function(*args), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        code = 0
    except BaseException:  # any failure: the parent makes the call itself
        pass
    finally:
        os._exit(code)


def _start(state: Any, run_memo: memo.Memo | None) -> None:
    global _state
    _state = state
    memo.install(run_memo)
    _die_with_parent()


def _call(call: tuple[Callable[[Any, Job], Result], Job]) -> Result:
    function, job = call
    return function(_state, job)


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGTERM to this worker when the build process dies, even by SIGKILL,
    so no worker outlives an interrupted build."""
    import ctypes  # lazy: only a pool's worker asks (its parent never does)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers still end when the pool's queue closes
        pass
