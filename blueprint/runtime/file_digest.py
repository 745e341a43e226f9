"""A file's SHA-256, computed on processor time the rest of the run leaves idle.

Every run records each input file's SHA-256: the manifest, the Run sheet and the filings name the
exact extract they came from, and a second file with the same content is used once. Hashing a
large extract is real work (about half a second for 800 MB on the project's 2-core test machine).
Done inside the reading pipeline, it competed for the two cores with Arrow's parse, which is what
bounds the read.

So :class:`FileDigest` hashes the file beside the run, reading it a second time (the operating
system's file cache serves that read: the parser has just read the same bytes), at the lowest
scheduling priority the system offers (on Linux; elsewhere at normal priority). It then runs on time
no other part of the run wants: while Python loads its libraries, between the read and the
evaluation, and while the outputs are written. A large file is hashed by a Python process of its
own (``sha256_worker.py``), a small one by a thread of this process. A thread needs Python's global
lock after every block it hashes, and while the libraries load, the main thread holds that lock
almost all the time: the thread got about a third of the idle core, so on a large extract the hash
was not done when the evaluation ended and the outputs waited for it (0.1-0.2 s of a 3 s run with
one core idle). A process of its own has its own lock and uses the whole idle core. For a small file
the process would cost more to start (about 20 ms of processor time) than the hash itself. The result
is asked for only when it is needed (the manifest, or a second file of the same size). A run given
many files hashes :data:`AT_ONCE` of them at a time, each with a buffer no larger than the file, so
that their buffers stay a few megabytes however many files there are.

The value must be the SHA-256 of the bytes the parser read. Both reads take the file's identity
(device, inode, size and modification time) when they open it and again when they finish, and
both compare theirs with the identity the parser saw when it opened the file: a file that was
changed, replaced or extended while the run read it is refused (:class:`FileChanged`) rather than
given a fingerprint that may describe other bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from ..base.errors import UsageError
from . import sha256_worker

#: Bytes read at a time by the hashing thread (one buffer, reused). Small enough to stay in the
#: processor's cache between the copy from the file cache and the hashing: on the 2-core test
#: machine, 800 MB took 0.55 s of processor time with 1 MB blocks against 0.62 s with 16 MB ones.
BLOCK_BYTES = 1 << 20
#: Files at least this large are hashed by a process of their own (see above); smaller ones by the
#: thread. Hashing 32 MB takes about 17 ms on the 2-core test machine, starting the process about 20.
PROCESS_FROM_BYTES = 32 << 20
#: The program that process runs.
WORKER = Path(sha256_worker.__file__)
#: The niceness of the hashing thread or process: the lowest priority (Linux: 19).
LOWEST_PRIORITY = 19
#: Files hashed at the same time: a run given many files (``--input doj/*.dat``) hashes them a few
#: at a time, so that their buffers never add up to more than this many blocks.
AT_ONCE = 2
_SLOTS = threading.BoundedSemaphore(AT_ONCE)

Identity = tuple[int, int, int, int]


#: Why a file is refused when it changed between the parser's read and the hashing thread's.
CHANGED = (
    "the file changed while it was being read (its size or modification time differs); "
    "run again once nothing is writing to it"
)


class FileChanged(UsageError):
    """The file's fingerprint cannot be given: it is not the version the run read (changed,
    replaced or extended meanwhile), or the second read failed. Nothing has been written then:
    the run asks for the fingerprint before it writes its outputs. The message names the file only."""

    def __init__(self, file: str, reason: str = CHANGED):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


def file_identity(fh) -> Identity:
    """What tells one version of an open file from another: device, inode, size, modification time.

    The hashing process reports the same (``sha256_worker.identity``), and the two are compared.
    """
    dev, ino, size, mtime = sha256_worker.identity(fh.fileno())
    return (dev, ino, size, mtime)


def lower_this_thread() -> bool:
    """Give the calling thread, and only it, the lowest scheduling priority; True if that was done."""
    return lower_priority(threading.get_native_id())


def lower_priority(native_id: int) -> bool:
    """Give one thread (or a single-threaded process, by its id) the lowest priority; True if done.

    Linux schedules each thread on its own, and ``setpriority`` given a thread's id changes that
    thread alone. Elsewhere the same call would name a process, so nothing is changed there.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        os.sched_setscheduler(native_id, os.SCHED_IDLE, os.sched_param(0))
        return True
    except (OSError, AttributeError):
        pass
    try:
        os.setpriority(os.PRIO_PROCESS, native_id, LOWEST_PRIORITY)
    except OSError:  # a restricted sandbox: hashing at normal priority is still correct
        return False
    return True


#: Digests started by :func:`start_early`, waiting for the read that will use them, by resolved path.
_EARLY: dict[Path, FileDigest] = {}


def start_early(paths) -> None:
    """Start hashing the given files now, before the run that reads them has loaded its libraries.

    The ``clearance run`` command calls this first of all: loading Arrow, pandas and the engine
    takes a few tenths of a second on one core, and the hashing threads use the other meanwhile.
    A path that cannot be opened is left to the reader, which reports it.
    """
    for path in map(Path, paths):
        key = path.resolve()
        if key in _EARLY:
            continue
        try:
            with open(path, "rb") as fh:
                identity = file_identity(fh)
        except OSError:
            continue
        _EARLY[key] = FileDigest(path, identity)


def digest_for(path: Path, identity: Identity, name: str) -> FileDigest:
    """The digest of the file the caller has open with ``identity``: one started early if it read
    that same version (:func:`start_early`), else a new one."""
    early = _EARLY.pop(Path(path).resolve(), None)
    if early is not None:
        if early.identity == identity:
            early.name = name
            return early
        early.cancel()
    return FileDigest(path, identity, name=name)


def cancel_early() -> None:
    """Stop the early digests no read took (a file the policy's own reader reads, or a run that stopped)."""
    while _EARLY:
        _EARLY.popitem()[1].cancel()


class FileDigest:
    """The SHA-256 of ``path``, computed in the background from the moment it is made.

    ``identity`` is what :func:`file_identity` gave when the caller opened the file to read it;
    :meth:`hexdigest` raises :class:`FileChanged` if the file hashed was another version.
    A thread started at once waits for its turn (:data:`AT_ONCE`), then hashes the file itself or,
    for a file of :data:`PROCESS_FROM_BYTES` or more, starts the hashing process and waits for it.
    """

    def __init__(self, path: Path | str, identity: Identity, *, name: str | None = None):
        self._path = Path(path)
        #: The file's name as messages give it.
        self.name = name or self._path.name
        #: The version of the file this digest is of (see :func:`file_identity`).
        self.identity = identity
        self._stop = threading.Event()
        self._hex: str | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()  # between starting the process and cancel() stopping it
        self._process: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._run, name="file-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        lower_this_thread()
        while not _SLOTS.acquire(timeout=0.1):
            if self._stop.is_set():
                return
        try:
            if not (self.identity[2] >= PROCESS_FROM_BYTES and self._hash_in_process()):
                self._settle(sha256_worker.sha256_of(str(self._path), BLOCK_BYTES, stopped=self._stop.is_set))
        finally:
            _SLOTS.release()

    def _hash_in_process(self) -> bool:
        """Hash the file in a process of its own; False if none could be started (no interpreter
        to start, or the system refused), and the thread then hashes it itself."""
        with self._lock:
            if self._stop.is_set():
                return True
            try:
                self._process = subprocess.Popen(
                    [sys.executable, "-I", "-S", str(WORKER), str(self._path), str(BLOCK_BYTES)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except OSError:
                return False
        lower_priority(self._process.pid)
        out, _ = self._process.communicate()
        if self._stop.is_set():
            return True
        try:
            result = json.loads(out) if self._process.returncode == 0 else None
        except ValueError:
            result = None
        self._settle(
            result if isinstance(result, dict) else {"error": "unreadable", "reason": "the hashing process failed"}
        )
        return True

    def _settle(self, result: dict | None) -> None:
        """Keep what a hashing said (``sha256_worker.sha256_of``): the SHA-256 if the file it read was
        the version the parser read, else why not. None: it was cancelled, and nothing is kept."""
        if result is None or self._stop.is_set():
            return
        if result.get("error") == "missing":  # moved or deleted after the parser opened it
            self._error = FileChanged(self.name)
        elif "error" in result:  # a read failed after the parser had read the same bytes
            reason = f"could not be read a second time for its SHA-256 ({result.get('reason')})"
            self._error = FileChanged(self.name, reason)
        elif tuple(result["opened"]) != self.identity or tuple(result["finished"]) != self.identity:
            self._error = FileChanged(self.name)
        else:
            self._hex = result["sha256"]

    def hexdigest(self) -> str:
        """The SHA-256 (hex), waiting for the thread if it is still reading."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._hex is None:
            raise RuntimeError("the digest was cancelled")
        return self._hex

    def cancel(self) -> None:
        """Stop hashing (the file failed, or the run stopped): the thread ends at its next block,
        the hashing process at once."""
        self._stop.set()
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.kill()


__all__ = [
    "AT_ONCE",
    "BLOCK_BYTES",
    "CHANGED",
    "FileChanged",
    "FileDigest",
    "PROCESS_FROM_BYTES",
    "cancel_early",
    "digest_for",
    "file_identity",
    "lower_priority",
    "lower_this_thread",
    "start_early",
]
