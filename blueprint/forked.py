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
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

# The calls waiting to be picked up by a forked child, by key. The child reads its own copy.
_PENDING: dict[int, tuple[Callable, tuple, dict]] = {}
_KEYS = itertools.count()


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
                pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
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
        try:
            return self._future.result()
        except BrokenProcessPool:
            return super().wait()
        finally:
            assert self._pool is not None
            self._pool.shutdown()


__all__ = ["InChild", "InProcess"]
