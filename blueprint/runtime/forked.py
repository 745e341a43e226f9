"""Work run in forked child processes while this process carries on or waits.

Two forms, one mechanism (a ``ProcessPoolExecutor`` that forks, its workers set up by
:func:`quiet_worker`, stopped at once by :func:`stop_pool` on an interrupt):

- :class:`InChild`, one call in one child while the parent does other work. A local run writes its
  review workbook (the largest output: a third of a second for a large county) in a child process
  while the parent writes the tables and the report, so both cores work. Where a process cannot be
  forked (Windows, or AWS Lambda, which has no shared memory for the pool's locks) or the child
  dies, the call simply runs in this process: same result, no parallelism.
- :func:`in_children`, the same function on each of ``count`` indexes, each in a child of its own,
  all at once (the local run's evaluation, one shard of people per core, ``blueprint.run.parallel``).
  It runs nothing here in place of a failed call and raises instead: the caller has its own way to
  do the work in one process, and decides when to use it.

The children are forked, so they inherit the work as it is in memory: nothing is pickled on the way
in (only a key, and for :func:`in_children` an index), only each call's result (or its exception)
on the way back.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, TypeVar

T = TypeVar("T")

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


def _fork_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes forked from this one (at its first submit), each quiet."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=quiet_worker
    )


def _call(key: int) -> Any:
    fn, args, kwargs = _PENDING[key]
    return fn(*args, **kwargs)


def _call_at(key: int, index: int) -> Any:
    fn, args, kwargs = _PENDING[key]
    return fn(*args, index, **kwargs)


def in_children(fn: Callable[[int], T], count: int, *, meanwhile: Callable[[], Any] | None = None) -> list[T]:
    """``[fn(0), ..., fn(count - 1)]``, each call in a forked child of its own, all at the same time.

    ``meanwhile``, if given, is called here once the children have started, before their results
    are collected: work that needs none of theirs runs in the time this process would spend
    waiting. The children are forked before it runs, so they do not inherit what it makes.

    Raises the first error in the order of the calls: a call's own exception, ``BrokenProcessPool``
    when a child died, or the error of a pool that could not start (no fork on this platform); or the
    error of ``meanwhile``. The other children are then stopped at once, as they are on an
    interrupt. Nothing is run in this process instead: unlike :class:`InChild`, the caller decides
    what to do.
    """
    key = next(_KEYS)
    _PENDING[key] = (fn, (), {})
    pool = None
    try:
        pool = _fork_pool(count)
        # A forking pool starts all its children at the first submit; _PENDING[key] is in place until the end.
        running = pool.map(_call_at, [key] * count, range(count))
        if meanwhile is not None:
            meanwhile()
        results = list(running)
    except BaseException:
        if pool is not None:
            stop_pool(pool)
        raise
    finally:
        del _PENDING[key]
    # The results are in: the children end on their own (a large one takes a few hundredths of a
    # second to give its memory back), and this process goes on meanwhile.
    pool.shutdown(wait=False)
    return results


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
                pool = _fork_pool(1)
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
        self._pool.shutdown(wait=False)  # the child ends on its own, as in in_children
        return result

    def cancel(self) -> None:
        """Stop the child if it is still running (an interrupt or an error elsewhere)."""
        if self._pool is not None:
            stop_pool(self._pool)
            self._pool = None
            self._future = None


class Later:
    """A value this process makes after it started a call that needs it, handed to that call.

    The local run starts writing its result tables in a child before the input files' SHA-256 is
    ready (``blueprint.run.outputs``); the child needs the fingerprints only at the end, for the
    summary. The call is given a ``Later`` and asks :meth:`get` when it needs the value; this process
    calls :meth:`attach` with the started call, then :meth:`give` once the value exists.

    In a forked child the value comes through a pipe (pickled, like a call's result); a call run in
    this process (:class:`InProcess`, or :class:`InChild` after its child died) reads it directly.
    """

    def __init__(self) -> None:
        self._given = False
        self._value: Any = None
        self._receive, self._send = multiprocessing.Pipe(duplex=False)
        self._to_child = False
        self._owner = os.getpid()

    def attach(self, call: InProcess) -> None:
        """Say where the call runs: :meth:`give` then sends the value to its child, if it has one."""
        self._to_child = getattr(call, "forked", False)
        # This process never reads the pipe: with its own end closed, a child that died makes the
        # send fail at once instead of filling the pipe with nobody to read it.
        self._receive.close()
        if not self._to_child:
            self._send.close()

    def give(self, value: Any) -> None:
        """The value is ready: the call's :meth:`get` returns it."""
        self._value, self._given = value, True
        if self._to_child:
            self._to_child = False
            try:
                self._send.send(value)
            except OSError:  # the child is gone; InChild.wait runs the call here, where get() has it
                pass
            finally:
                self._send.close()

    def get(self) -> Any:
        """The value, waiting for :meth:`give` if this is the child and it has not come yet."""
        if os.getpid() == self._owner:
            if not self._given:
                raise RuntimeError("Later.get() in the process that gives the value, before give()")
            return self._value
        self._send.close()  # the child's copy: if the parent ends without giving, recv() ends too
        return self._receive.recv()


__all__ = ["InChild", "InProcess", "Later", "in_children", "quiet_worker", "stop_pool"]
