"""One function run in a forked child process while this process carries on.

A local run writes its review workbook (the largest output: a third of a second for a large
county) in a child process while the parent writes the tables and the report, so both cores work.
The child is forked, so it inherits the arguments as they are in memory: nothing is pickled on
the way in, only the function's result (or its exception) on the way back.

Where a process cannot be forked (Windows, or AWS Lambda, which has no shared memory for the
pool's locks) or the child dies, the function simply runs in this process: same result, no
parallelism.
"""

from __future__ import annotations

import itertools
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

# The calls waiting to be picked up by a forked child, by key. The child reads its own copy.
_PENDING: dict[int, tuple[Callable, tuple, dict]] = {}
_KEYS = itertools.count()


def quiet_worker() -> None:
    """Set up a forked worker: Ctrl-C (sent to the whole terminal's process group) is left to the
    parent, which stops its workers itself; SIGTERM ends the worker at once, without a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """End a pool's worker processes now (an interrupt), instead of waiting for their work."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # the executor has no public handle
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
    pool.shutdown(wait=False, cancel_futures=True)


def _call(key: int) -> Any:
    fn, args, kwargs = _PENDING[key]
    return fn(*args, **kwargs)


class InProcess:
    """``fn(*args, **kwargs)``, made in this process when :meth:`wait` asks for its result."""

    def __init__(self, fn: Callable, *args, **kwargs):
        self._call = (fn, args, kwargs)

    def wait(self) -> Any:
        fn, args, kwargs = self._call
        return fn(*args, **kwargs)

    def cancel(self) -> None:
        """Nothing runs until :meth:`wait`, so there is nothing to stop."""


class InChild(InProcess):
    """``fn(*args, **kwargs)`` started in a forked child; :meth:`wait` returns its result or raises."""

    def __init__(self, fn: Callable, *args, **kwargs):
        super().__init__(fn, *args, **kwargs)
        self._pool: ProcessPoolExecutor | None = None
        self._future = None
        key = next(_KEYS)
        _PENDING[key] = self._call
        try:
            if "fork" in multiprocessing.get_all_start_methods():
                pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("fork"), initializer=quiet_worker
                )
                try:
                    self._future = pool.submit(_call, key)  # forks here, with _PENDING[key] in place
                except Exception:
                    pool.shutdown(wait=False)
                    raise
                self._pool = pool
        except Exception:  # no child here: wait() makes the call in this process
            self._future = None
        finally:
            del _PENDING[key]

    @property
    def forked(self) -> bool:
        """Whether the call is running in a child process."""
        return self._future is not None

    def wait(self) -> Any:
        """The call's result. Its exception is raised here; a child that died is replaced by a run here."""
        if self._future is None:
            return super().wait()
        assert self._pool is not None
        try:
            result = self._future.result()
        except BrokenProcessPool:
            self._pool.shutdown()
            return super().wait()
        except BaseException:  # the call's own error, or an interrupt while waiting
            self.cancel()
            raise
        self._pool.shutdown()
        return result

    def cancel(self) -> None:
        """Stop the child if it is still running (an interrupt or an error elsewhere)."""
        if self._pool is not None:
            stop_pool(self._pool)
            self._pool = None
            self._future = None


__all__ = ["InChild", "InProcess", "quiet_worker", "stop_pool"]
